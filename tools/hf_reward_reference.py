#!/usr/bin/env python3
"""hf_reward_reference.py - the EX reward of a *ForSequenceClassification checkpoint in float64.

An independent reference for `rmtool convert` + `rmtool score --mode explicit`: numpy only,
reading the Hugging Face directory itself (config.json, safetensors parsed here, tokenizer.json
vocabulary), written from the Hugging Face modeling code's definitions (LlamaModel, Qwen2Model,
Qwen3Model: RMSNorm, rotate-half RoPE with llama3 inv_freq scaling, grouped-query causal
attention, SiLU-gated MLP, Qwen3's per-head q/k RMSNorm; GPTNeoXModel: LayerNorm, fused
per-head query_key_value, partial rotary (rotary_pct), parallel residual, GELU MLP; Gemma2Model:
(1 + w) RMSNorms before and after attention and MLP, sqrt(hidden) embedding scale, soft-capped
attention scores, alternating sliding-window layers, query_pre_attn_scalar) and the sequence-classification head
(score.weight applied to the final-normed hidden state of the last non-pad token: a single
unpadded sequence here, so the last token).

Token ids come from a deliberately simple tokenizer: the text is split at spaces and each piece
must be one token of the byte-level vocabulary ("Ġ" for a leading space), with the BOS token
first when the tokenizer's post-processor adds one; so the texts given must be such words.

    /usr/bin/python3 tools/hf_reward_reference.py DIR "Hello world" " this is a good answer"
prints one JSON line {"ids": [...], "rewards": {label: value}}. --gelu-tanh computes GPT-NeoX's
hidden_act "gelu" (exact, erf) with the tanh approximation instead, as llama.cpp's gptneox
graph does.
"""
import json
import math
import os
import struct
import sys

import numpy as np


def read_safetensors(path):
    out = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        hdr = json.loads(f.read(n))
        data = f.read()
    for name, e in hdr.items():
        if name == "__metadata__":
            continue
        b, t = e["data_offsets"]
        raw = data[b:t]
        if e["dtype"] == "F32":
            a = np.frombuffer(raw, "<f4")
        elif e["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2")
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError("dtype " + e["dtype"])
        out[name] = a.astype(np.float64).reshape(e["shape"])
    return out


def load_weights(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    w = {}
    if os.path.exists(idx):
        files = sorted(set(json.load(open(idx))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    for fn in files:
        w.update(read_safetensors(os.path.join(d, fn)))
    return w


def simple_ids(d, prompt, response):
    tok = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    ids = []
    pp = tok.get("post_processor") or {}
    first = (pp.get("single") or [{}])[0] if pp.get("type") == "TemplateProcessing" else {}
    if "SpecialToken" in first:
        ids.append(next(a["id"] for a in tok["added_tokens"] if a["content"] == first["SpecialToken"]["id"]))
    # a space starts a piece: U+0120 in byte-level BPE, U+2581 in SentencePiece vocabularies
    space = "\u2581" if tok["model"].get("byte_fallback") else "\u0120"
    for text in (prompt, response):
        for i, piece in enumerate(text.split(" ")):
            if piece == "" and i == 0:
                continue
            key = (space if (i > 0) else "") + piece
            if key not in vocab:
                raise ValueError("%r is not one token" % key)
            ids.append(vocab[key])
    return ids


def rms(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def inv_freq(cfg, dim):
    base = cfg.get("rope_theta", 10000.0)
    f = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lw, hw = old / lo, old / hi
        wl = 2 * math.pi / f
        scaled = np.where(wl > lw, f / factor, f)
        smooth = (old / wl - lo) / (hi - lo)
        sm = (1 - smooth) * scaled / factor + smooth * scaled
        med = ~(wl < hw) & ~(wl > lw)
        f = np.where(med, sm, scaled)
    return f


def rope(x, pos, f):
    # x: (T, heads, D); HF rotate_half pairs (i, i + D/2)
    ang = pos[:, None] * f[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, axis=-1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=-1)[:, None, :]
    h = x.shape[-1] // 2
    rot = np.concatenate([-x[..., h:], x[..., :h]], axis=-1)
    return x * cos + rot * sin


def layer_norm(x, w, b, eps):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x, kind):
    if kind == "gelu":  # transformers' GELUActivation: the exact erf form
        return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    # gelu_new / gelu_pytorch_tanh: the tanh approximation
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def attend(q, k, v, mask):
    # q (T, H, D), k/v (T, G, D); scores scaled by 1/sqrt(D)
    T, H, D = q.shape
    G = k.shape[1]
    out = np.zeros((T, H, D))
    for hh in range(H):
        g = hh // (H // G)
        s = q[:, hh, :] @ k[:, g, :].T / math.sqrt(D) + mask
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        out[:, hh, :] = s @ v[:, g, :]
    return out.reshape(T, H * D)


def forward_neox(cfg, w, ids):
    # GPTNeoXModel: LayerNorm with bias, fused query_key_value viewed as (T, heads, 3 * D) and
    # split into q, k, v per head, rotate-half RoPE on the first rotary_pct of each head,
    # parallel residual x + attn(ln1 x) + mlp(ln2 x) (or sequential), GELU MLP
    E, H = cfg["hidden_size"], cfg["num_attention_heads"]
    D = E // H
    rot = int(D * cfg["rotary_pct"])
    eps = cfg["layer_norm_eps"]
    T = len(ids)
    pos = np.arange(T, dtype=np.float64)
    base = cfg.get("rotary_emb_base", cfg.get("rope_theta", 10000.0))
    f = 1.0 / (base ** (np.arange(0, rot, 2, dtype=np.float64) / rot))
    mask = np.triu(np.full((T, T), -np.inf), 1)
    x = w["gpt_neox.embed_in.weight"][ids]
    for il in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % il
        h = layer_norm(x, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
        qkv = (h @ w[p + "attention.query_key_value.weight"].T + w[p + "attention.query_key_value.bias"]).reshape(T, H, 3 * D)
        q, k, v = qkv[..., :D], qkv[..., D:2 * D], qkv[..., 2 * D:]
        q = np.concatenate([rope(q[..., :rot], pos, f), q[..., rot:]], axis=-1)
        k = np.concatenate([rope(k[..., :rot], pos, f), k[..., rot:]], axis=-1)
        a = attend(q, k, v, mask) @ w[p + "attention.dense.weight"].T + w[p + "attention.dense.bias"]

        def mlp(y):
            u = y @ w[p + "mlp.dense_h_to_4h.weight"].T + w[p + "mlp.dense_h_to_4h.bias"]
            return gelu(u, cfg.get("hidden_act", "gelu")) @ w[p + "mlp.dense_4h_to_h.weight"].T + w[p + "mlp.dense_4h_to_h.bias"]
        ln2 = (w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps)
        if cfg.get("use_parallel_residual", True):
            x = x + a + mlp(layer_norm(x, *ln2))
        else:
            x = x + a
            x = x + mlp(layer_norm(x, *ln2))
    return layer_norm(x, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], eps)


def forward_gemma2(cfg, w, ids):
    # Gemma2Model: embeddings times sqrt(hidden), RMSNorm scaling by (1 + w), queries scaled by
    # query_pre_attn_scalar^-1/2, attention scores soft-capped (cap * tanh(s / cap)), even layers
    # limited to the last sliding_window positions, norms after attention and after the MLP as
    # well as before, GELU (tanh form)-gated MLP; the final logit soft-cap is on lm_head's output
    # only, not on the sequence-classification score
    E, H, G, D = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps, cap, sw = cfg["rms_norm_eps"], cfg["attn_logit_softcapping"], cfg["sliding_window"]
    T = len(ids)
    pos = np.arange(T, dtype=np.float64)
    f = 1.0 / (cfg.get("rope_theta", 10000.0) ** (np.arange(0, D, 2, dtype=np.float64) / D))
    i_, j_ = np.arange(T)[:, None], np.arange(T)[None, :]

    def norm(x, name):
        return rms(x, 1.0 + w[name], eps)
    x = w["model.embed_tokens.weight"][ids] * math.sqrt(E)
    for il in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % il
        h = norm(x, p + "input_layernorm.weight")
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(T, H, D)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(T, G, D)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(T, G, D)
        q, k = rope(q, pos, f), rope(k, pos, f)
        masked = (j_ > i_) | ((il % 2 == 0) & (i_ - j_ >= sw))
        out = np.zeros((T, H, D))
        for hh in range(H):
            g = hh // (H // G)
            s = q[:, hh, :] @ k[:, g, :].T * cfg["query_pre_attn_scalar"] ** -0.5
            s = cap * np.tanh(s / cap)
            s = np.where(masked, -np.inf, s)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            out[:, hh, :] = s @ v[:, g, :]
        a = out.reshape(T, H * D) @ w[p + "self_attn.o_proj.weight"].T
        x = x + norm(a, p + "post_attention_layernorm.weight")
        h = norm(x, p + "pre_feedforward_layernorm.weight")
        gt = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        m = (gelu(gt, "gelu_pytorch_tanh") * up) @ w[p + "mlp.down_proj.weight"].T
        x = x + norm(m, p + "post_feedforward_layernorm.weight")
    return norm(x, "model.norm.weight")


def forward(cfg, w, ids):
    mt = cfg["model_type"]
    if mt == "gpt_neox":
        return forward_neox(cfg, w, ids)
    if mt == "gemma2":
        return forward_gemma2(cfg, w, ids)
    E, H = cfg["hidden_size"], cfg["num_attention_heads"]
    G = cfg.get("num_key_value_heads", H)
    D = cfg.get("head_dim") or E // H
    eps = cfg["rms_norm_eps"]
    T = len(ids)
    pos = np.arange(T, dtype=np.float64)
    f = inv_freq(cfg, D)
    x = w["model.embed_tokens.weight"][ids]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for il in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % il
        h = rms(x, w[p + "input_layernorm.weight"], eps)
        q = h @ w[p + "self_attn.q_proj.weight"].T
        k = h @ w[p + "self_attn.k_proj.weight"].T
        v = h @ w[p + "self_attn.v_proj.weight"].T
        if p + "self_attn.q_proj.bias" in w:
            q = q + w[p + "self_attn.q_proj.bias"]
            k = k + w[p + "self_attn.k_proj.bias"]
            v = v + w[p + "self_attn.v_proj.bias"]
        q, k, v = q.reshape(T, H, D), k.reshape(T, G, D), v.reshape(T, G, D)
        if mt == "qwen3":
            q = rms(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k = rope(q, pos, f), rope(k, pos, f)
        out = np.zeros((T, H, D))
        for hh in range(H):
            g = hh // (H // G)
            s = q[:, hh, :] @ k[:, g, :].T / math.sqrt(D) + mask
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            out[:, hh, :] = s @ v[:, g, :]
        x = x + out.reshape(T, H * D) @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"], eps)
        gt = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gt / (1 + np.exp(-gt)) * up) @ w[p + "mlp.down_proj.weight"].T
    return rms(x, w["model.norm.weight"], eps)


def main():
    args = sys.argv[1:]
    gelu_tanh = "--gelu-tanh" in args
    args = [a for a in args if a != "--gelu-tanh"]
    d, prompt, response = args[0], args[1], args[2]
    cfg = json.load(open(os.path.join(d, "config.json")))
    if gelu_tanh:
        # what llama.cpp's gptneox graph (and rm.h) compute for hidden_act "gelu": the tanh form
        cfg["hidden_act"] = "gelu_new"
    w = load_weights(d)
    ids = simple_ids(d, prompt, response)
    h = forward(cfg, w, ids)[-1]
    scores = w["score.weight"] @ h
    labels = cfg.get("id2label") or {}
    out = {labels.get(str(i), "LABEL_%d" % i): float(s) for i, s in enumerate(scores)}
    print(json.dumps({"ids": ids, "rewards": out}))


if __name__ == "__main__":
    main()
