#!/usr/bin/env python3
"""gguf_summary.py - a GGUF file as a small JSON summary, for conformance tests.

    PYTHONPATH=<llama.cpp>/gguf-py /usr/bin/python3 tools/gguf_summary.py FILE.gguf > FILE.json

Reads the file with llama.cpp's own gguf-py reader. Every metadata key with its type and value
(strings up to 256 bytes and scalars as they are; longer strings and arrays as a count and a
checksum of their bytes), every tensor with its type name, ggml shape (ne[0] first) and a
checksum of its data. The checksum is sum_i w_i * (2i + 1) mod 2^64 over the little-endian
uint32 words w_i of the bytes (zero-padded to a multiple of 4): order-sensitive, vectorisable
in numpy and a few lines in C (tests/test_convert.c computes the same from rm.h's reader).
Arrays of strings are hashed as their GGUF serialisation (u64 length, bytes, per element),
numeric arrays as their little-endian elements.
"""
import json
import struct
import sys

import numpy as np
import gguf


def checksum(b):
    b = bytes(b)
    if len(b) % 4:
        b += b"\0" * (4 - len(b) % 4)
    w = np.frombuffer(b, "<u4").astype(np.uint64)
    k = np.arange(len(w), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return "%016x" % int(np.sum(w * k, dtype=np.uint64))


def main():
    r = gguf.GGUFReader(sys.argv[1])
    kv = {}
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue
        t = f.types[0]
        if t == gguf.GGUFValueType.ARRAY:
            et = f.types[1] if len(f.types) > 1 else gguf.GGUFValueType.UINT8
            if et == gguf.GGUFValueType.STRING:
                parts = [bytes(f.parts[i]) for i in f.data]
                blob = b"".join(struct.pack("<Q", len(p)) + p for p in parts)
            else:
                blob = b"".join(bytes(f.parts[i]) for i in f.data)
            kv[name] = {"type": "array", "elem": et.name, "n": len(f.data), "checksum": checksum(blob)}
        elif t == gguf.GGUFValueType.STRING:
            s = bytes(f.parts[-1])
            if len(s) <= 256:
                kv[name] = {"type": "STRING", "value": s.decode("utf-8")}
            else:
                kv[name] = {"type": "STRING", "n": len(s), "checksum": checksum(s)}
        else:
            v = f.parts[-1][0]
            kv[name] = {"type": t.name, "value": float(v) if t in (gguf.GGUFValueType.FLOAT32, gguf.GGUFValueType.FLOAT64)
                        else bool(v) if t == gguf.GGUFValueType.BOOL else int(v)}
    tensors = []
    for t in r.tensors:
        tensors.append({"name": t.name, "type": t.tensor_type.name, "shape": [int(x) for x in t.shape],
                        "checksum": checksum(t.data.tobytes())})
    json.dump({"kv": kv, "tensors": tensors}, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
