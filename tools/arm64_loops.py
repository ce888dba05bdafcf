#!/usr/bin/env python3
"""Instruction counts per multiply-add of the ARM64 kernels' inner loops, from the disassembly.

Usage: tools/arm64_loops.py build/arm64/test_kernels   (OBJDUMP= overrides aarch64-linux-gnu-objdump)

Finds every innermost loop (a backward branch inside one function, with no other loop inside it)
that holds multiply-add instructions, and prints its instruction count, the multiply-add
instructions by kind, the multiply-adds of the product they do (fmla, smlal, smlal2 on 4 lanes:
4; bfdot: 8; sdot: 16 byte products, which are 8 products of int16 activations, as rm.h splits
each into two bytes) and the instructions per multiply-add. Loops with fewer than 8
multiply-add instructions (the element-wise kernels) are left out. Speed itself cannot be
measured under qemu: this is what can be compared instead."""
import os, re, subprocess, sys

MACS = {"fmla": 4, "smlal": 4, "smlal2": 4, "bfdot": 8, "sdot": 8}
BRANCH = re.compile(r"^(b\.\w+|cbn?z|tbn?z|b)$")

def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    od = os.environ.get("OBJDUMP", "aarch64-linux-gnu-objdump")
    text = subprocess.run([od, "-d", "--no-show-raw-insn", sys.argv[1]], capture_output=True, text=True, check=True).stdout
    funcs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.+)>:$", line)
        if m:
            cur = m.group(2)
            funcs[cur] = []
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and cur:
            funcs[cur].append((int(m.group(1), 16), m.group(2), m.group(3)))
    rows = []
    for name, ins in funcs.items():
        if not ins:
            continue
        lo, hi = ins[0][0], ins[-1][0]
        loops = []
        for addr, op, args in ins:
            if BRANCH.match(op):
                t = re.search(r"\b([0-9a-f]+) <", args)
                if t:
                    tgt = int(t.group(1), 16)
                    if lo <= tgt < addr:
                        loops.append((tgt, addr))
        inner = [l for l in loops if not any(o != l and l[0] <= o[0] and o[1] <= l[1] for o in loops)]
        for a, b in inner:
            body = [(op, args) for addr, op, args in ins if a <= addr <= b]
            kinds, macs = {}, 0
            for op, args in body:
                if op in MACS and ".4s" in args:
                    kinds[op] = kinds.get(op, 0) + 1
                    macs += MACS[op]
            if sum(kinds.values()) >= 8:
                rows.append((name, a, len(body), kinds, macs))
    print("%-34s %8s %6s  %-24s %6s %9s" % ("function", "loop at", "instr", "multiply-add instructions", "m-adds", "instr/m-add"))
    for name, a, n, kinds, macs in rows:
        k = " ".join("%d %s" % (v, op) for op, v in sorted(kinds.items()))
        print("%-34s %8x %6d  %-24s %6d %9.3f" % (name[:34], a, n, k, macs, n / macs))

if __name__ == "__main__":
    main()
