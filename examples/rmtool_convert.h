/* rmtool convert: a Hugging Face checkpoint directory to a GGUF file, in C, with no Python.

       rmtool convert HF_DIR -o OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k_m|q5_k_m|q6_k]

   Included by examples/rmtool.c after rm.h, rmjson.h and rmsafetensors.h.

   What it reads: config.json; model.safetensors, or the shards model.safetensors.index.json
   names (every tensor of the weight map must be in the shard it names, and every tensor of a
   shard in the map); tokenizer.json (model type BPE: byte-level BPE as in Llama 3, Qwen and
   GPT-NeoX); for gemma2 tokenizer.model, the SentencePiece model (see below);
   tokenizer_config.json (special tokens, add_bos/add_eos, chat template, added tokens);
   generation_config.json is not needed (llama.cpp's converter does not read it either).

   What it writes, for LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Gemma2ForCausalLM,
   GPTNeoXForCausalLM and their *ForSequenceClassification twins: the tensors, shapes, types and
   metadata that llama.cpp's convert_hf_to_gguf.py writes for the *ForCausalLM checkpoint (names
   from its tensor map; HF safetensors order, shards in file-name order, each shard's tensors by
   name; the llama3 rope_freqs.weight first; llama's q/k rows permuted from HF's half-split rotary
   layout to ggml's interleaved one; gptneox's fused query_key_value rows (and bias) reordered
   from per-head [q; k; v] to [all q; all k; all v]; gemma2's norm weights + 1, its lm_head (tied)
   skipped; the buffers attention.bias, attention.masked_bias, rotary_emb.inv_freq dropped; 1-D
   tensors, norms and biases F32, the other weights in --type; exactly the hparam keys each
   architecture's set_gguf_parameters writes: gemma2 its soft-capping values and sliding window,
   gptneox rope.dimension_count = int(rotary_pct * head size), use_parallel_residual, the
   layer-norm epsilon and no file_type), the byte-level BPE vocabulary as its get_vocab_base()
   and gguf-py's SpecialVocab build it, and
   tokenizer.ggml.pre found the way the converter finds it: the tokenization of its fixed check
   text is hashed (sha256 of Python's str() of the id list) and looked up in a table of the
   hashes for the pre-tokenizers rm.h runs; rm.h's own tokenizer, which follows Hugging Face's,
   does the tokenizing, trying each pre-tokenizer until one gives the hash that names it.
   Gemma's vocabulary is SentencePiece: llama.cpp's converter reads it from tokenizer.model
   (_create_vocab_sentencepiece: each piece's score and type), and so does this (a small
   protobuf reader); tokenizer.json alone is refused with an error naming tokenizer.model,
   because its BPE vocabulary and merge list hold neither the scores nor the piece types, and
   scores made up from the merge order would be a different file from the converter's.
   Checked rather than silently mis-converted: gemma2's query_pre_attn_scalar must be the query
   scale a gemma2 GGUF implies (head_dim; hidden/heads for the 46-layer 27B), since the file has
   no key for it; tie_word_embeddings false is refused for gemma2 (no output.weight in its
   GGUF); a rope base other than 10000, which neither the gemma2 nor the gptneox converter
   writes, is written as rope.freq_base.
   A sequence-classification checkpoint (score.weight [num_labels, hidden], no lm_head) gets
   cls.output.weight F32 {n_embd, num_labels}, {arch}.pooling_type = 3 (LAST, llama.cpp's
   enum) and {arch}.classifier.output_labels from id2label unless those are all the default
   LABEL_<i> names; there is no output.weight, and rm.h refuses implicit scoring on it.

   Differences from llama.cpp's converter, on purpose: general.name is the directory's name
   (the converter derives name/basename/finetune/size_label with heuristics and a model card);
   general.* keys beyond architecture, type, name and file_type are not written. Quantized
   types: the converter writes only f32/f16/bf16/q8_0; for the others this writes what
   llama-quantize writes from the converter's F16 file (weights rounded to F16 first, its
   per-tensor type choice: Q6_K lm head, more bits for some attn_v/ffn_down layers in the _M
   mixes, fallbacks for rows not a multiple of 256), in the converter's tensor order (not
   llama-quantize's).

   Memory: tensors are converted one at a time while the file is written (the writer's fill
   callback), row by row from the safetensors file: the peak is the largest output tensor
   (the writer's buffer) plus a few rows, whatever the checkpoint's size. The output goes
   through a temporary file renamed at the end: on any error no file is left at OUT. */
#ifndef RMTOOL_CONVERT_H
#define RMTOOL_CONVERT_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-256 (FIPS 180-4), for the pre-tokenizer check hash ---- */
typedef struct rmc_sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t n;
} rmc_sha256;

static const uint32_t rmc__k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define RMC__ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
static void rmc__sha_block(rmc_sha256 *s, const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = RMC__ROR(w[i - 15], 7) ^ RMC__ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = RMC__ROR(w[i - 2], 17) ^ RMC__ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3]; e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (RMC__ROR(e, 6) ^ RMC__ROR(e, 11) ^ RMC__ROR(e, 25)) + ((e & f) ^ (~e & g)) + rmc__k[i] + w[i];
        t2 = (RMC__ROR(a, 2) ^ RMC__ROR(a, 13) ^ RMC__ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d; s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}
static void rmc_sha256_init(rmc_sha256 *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof(h0));
    s->len = 0;
    s->n = 0;
}
static void rmc_sha256_update(rmc_sha256 *s, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    s->len += n;
    while (n) {
        size_t k = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, p, k);
        s->n += k;
        p += k;
        n -= k;
        if (s->n == 64) {
            rmc__sha_block(s, s->buf);
            s->n = 0;
        }
    }
}
/* Finishes into 65 bytes of lowercase hex (NUL-terminated). */
static void rmc_sha256_hex(rmc_sha256 *s, char *hex) {
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, z = 0, lb[8];
    int i;
    rmc_sha256_update(s, &pad, 1);
    while (s->n != 56) rmc_sha256_update(s, &z, 1);
    for (i = 0; i < 8; i++) lb[i] = (unsigned char)(bits >> (56 - 8 * i));
    rmc_sha256_update(s, lb, 8);
    for (i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", (unsigned)(s->h[i / 4] >> (24 - 8 * (i % 4))) & 0xffu);
}

/* ---- the conversion ---- */

#define RMC_MAX_SHARDS 4096

typedef enum rmc_arch { RMC_LLAMA, RMC_QWEN2, RMC_QWEN3, RMC_GEMMA2, RMC_GPTNEOX } rmc_arch;
static const char *const rmc_arch_gguf[] = {"llama", "qwen2", "qwen3", "gemma2", "gptneox"};

/* RMC_PERMUTE: llama's q/k rows; RMC_QKV: gptneox's fused rows (or bias elements) from HF's
   per-head [q, k, v] to [all q; all k; all v]; RMC_PLUS_ONE: gemma2's norms, stored as w - 1 */
typedef enum rmc_kind { RMC_COPY, RMC_PERMUTE, RMC_ROPE_FREQS, RMC_QKV, RMC_PLUS_ONE } rmc_kind;

typedef struct rmc_tensor {
    char name[64];
    int type;
    int n_dims;
    int64_t ne[4];
    rmc_kind kind;
    int64_t perm_heads;       /* RMC_PERMUTE: heads of the llama q/k permutation */
    int shard;
    const rmst_tensor *src;
    int f16_first;            /* round through F16 before encoding (llama-quantize's input) */
} rmc_tensor;

typedef struct rmc_ftype { const char *name; int ftype; int type; int mix; } rmc_ftype;
/* mix: 0 one type for every weight (the converter's outtypes), 1 llama-quantize's rules,
   2 its _M rules (more bits for some attn_v / ffn_down layers) */
static const rmc_ftype rmc_ftypes[] = {
    {"f32", 0, RM_TYPE_F32, 0},    {"f16", 1, RM_TYPE_F16, 0},    {"bf16", 32, RM_TYPE_BF16, 0},
    {"q8_0", 7, RM_TYPE_Q8_0, 0},  {"q4_0", 2, RM_TYPE_Q4_0, 1},  {"q4_1", 3, RM_TYPE_Q4_1, 1},
    {"q5_0", 8, RM_TYPE_Q5_0, 1},  {"q5_1", 9, RM_TYPE_Q5_1, 1},  {"q4_k_m", 15, RM_TYPE_Q4_K, 2},
    {"q5_k_m", 17, RM_TYPE_Q5_K, 2}, {"q6_k", 18, RM_TYPE_Q6_K, 1}};

typedef struct rmc_ctx {
    const char *dir;
    char err[1024];
    rmj_doc *config, *tok, *tokcfg;
    rmc_arch arch;
    int seqcls;
    int64_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx, n_labels;
    int has_head_dim, tied;
    int64_t n_rot;              /* gptneox: rotary_pct of the head size */
    int parallel_residual;      /* gptneox: use_parallel_residual */
    double rope_base;           /* gemma2, gptneox: written only when not 10000 (see rmc_metadata) */
    unsigned char *spm_raw;     /* gemma2: tokenizer.model's bytes, and its pieces into them */
    struct rmc_piece *pieces;
    int64_t n_pieces;
    rmst_file *shards[RMC_MAX_SHARDS];
    char *shard_names[RMC_MAX_SHARDS];
    int n_shards;
    rmc_tensor *t;
    int64_t n_t, cap_t;
    const rmc_ftype *ft;
    float *rope_freqs;
    /* row buffers of the fill callback */
    unsigned char *raw;
    float *row;
    size_t raw_cap, row_cap;
} rmc_ctx;

static rm_result rmc_fail(rmc_ctx *c, rm_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return r;
}

static char *rmc_path(const rmc_ctx *c, const char *name) {
    size_t n = strlen(c->dir) + strlen(name) + 2;
    char *p = (char *)malloc(n);
    if (p) snprintf(p, n, "%s/%s", c->dir, name);
    return p;
}

/* Reads and parses DIR/name; *doc NULL and RM_OK when optional and absent. */
static rm_result rmc_json(rmc_ctx *c, const char *name, int required, rmj_doc **doc) {
    char *p = rmc_path(c, name), *txt;
    size_t n = 0;
    rmj_error e;
    *doc = NULL;
    if (!p) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
    txt = read_all(p, &n);
    free(p);
    if (!txt) return required ? rmc_fail(c, RM_ERR_IO, "%s: cannot read %s/%s", name, c->dir, name) : RM_OK;
    *doc = rmj_parse(txt, n, &e);
    free(txt);
    if (!*doc) return rmc_fail(c, RM_ERR_INVALID_ARG, "%s: not valid JSON: %s", name, e.msg);
    return RM_OK;
}

/* A required positive integer of config.json. */
static rm_result rmc_cfg_int(rmc_ctx *c, const char *key, int64_t def, int64_t *out) {
    const rmj_value *v = rmj_get(rmj_root(c->config), key);
    if (!v || rmj_is_null(v)) {
        if (def >= 0) {
            *out = def;
            return RM_OK;
        }
        return rmc_fail(c, RM_ERR_HPARAM, "config.json: required field '%s' is missing", key);
    }
    if (!rmj_int(v, out) || *out <= 0 || *out > ((int64_t)1 << 40))
        return rmc_fail(c, RM_ERR_HPARAM, "config.json: field '%s' must be a positive integer", key);
    return RM_OK;
}
static rm_result rmc_cfg_num(rmc_ctx *c, const char *key, double def, double *out) {
    const rmj_value *v = rmj_get(rmj_root(c->config), key);
    if (!v || rmj_is_null(v)) {
        if (def >= 0) {
            *out = def;
            return RM_OK;
        }
        return rmc_fail(c, RM_ERR_HPARAM, "config.json: required field '%s' is missing", key);
    }
    if (!rmj_is_number(v) || !(rmj_num(v) > 0)) return rmc_fail(c, RM_ERR_HPARAM, "config.json: field '%s' must be a positive number", key);
    *out = rmj_num(v);
    return RM_OK;
}

static rm_result rmc_arch_config(rmc_ctx *c);

static rm_result rmc_read_config(rmc_ctx *c) {
    static const struct { const char *hf; rmc_arch arch; int seqcls; } archs[] = {
        {"LlamaForCausalLM", RMC_LLAMA, 0}, {"MistralForCausalLM", RMC_LLAMA, 0}, {"Qwen2ForCausalLM", RMC_QWEN2, 0},
        {"Qwen3ForCausalLM", RMC_QWEN3, 0}, {"LlamaForSequenceClassification", RMC_LLAMA, 1},
        {"MistralForSequenceClassification", RMC_LLAMA, 1}, {"Qwen2ForSequenceClassification", RMC_QWEN2, 1},
        {"Qwen3ForSequenceClassification", RMC_QWEN3, 1}, {"Gemma2ForCausalLM", RMC_GEMMA2, 0},
        {"Gemma2ForSequenceClassification", RMC_GEMMA2, 1}, {"GPTNeoXForCausalLM", RMC_GPTNEOX, 0},
        {"GPTNeoXForSequenceClassification", RMC_GPTNEOX, 1}};
    const rmj_value *root = rmj_root(c->config), *a = rmj_at(rmj_get(root, "architectures"), 0), *rs;
    const char *an = rmj_str(a, NULL);
    size_t i;
    rm_result e;
    if (!rmj_is_string(a)) return rmc_fail(c, RM_ERR_HPARAM, "config.json: required field 'architectures' is missing or not a list of strings");
    for (i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
        if (strcmp(an, archs[i].hf) == 0) break;
    if (i == sizeof(archs) / sizeof(archs[0]))
        return rmc_fail(c, RM_ERR_ARCH, "config.json: architecture '%.100s' is not supported (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Gemma2ForCausalLM, GPTNeoXForCausalLM and their *ForSequenceClassification twins)", an);
    c->arch = archs[i].arch;
    c->seqcls = archs[i].seqcls;
    if ((e = rmc_cfg_int(c, "hidden_size", -1, &c->n_embd)) || (e = rmc_cfg_int(c, "num_hidden_layers", -1, &c->n_layer)) ||
        (e = rmc_cfg_int(c, "num_attention_heads", -1, &c->n_head)) || (e = rmc_cfg_int(c, "intermediate_size", -1, &c->n_ff)) ||
        (e = rmc_cfg_int(c, "vocab_size", -1, &c->n_vocab)) || (e = rmc_cfg_int(c, "max_position_embeddings", -1, &c->n_ctx)) ||
        (e = rmc_cfg_int(c, "num_key_value_heads", c->n_head, &c->n_head_kv)))
        return e;
    if (c->arch != RMC_LLAMA || rmj_get(root, "num_key_value_heads")) {
        /* the converter writes head_count_kv only when config.json has it */
    }
    c->has_head_dim = rmj_get(root, "head_dim") != NULL && !rmj_is_null(rmj_get(root, "head_dim"));
    /* the converter reads gemma2's head_dim unconditionally; gptneox's is hidden / heads */
    if ((e = rmc_cfg_int(c, "head_dim", c->arch == RMC_GEMMA2 ? -1 : c->n_embd / c->n_head, &c->head_dim))) return e;
    if (c->arch == RMC_GPTNEOX) c->head_dim = c->n_embd / c->n_head;
    if (c->n_head % c->n_head_kv || (c->arch == RMC_LLAMA && (c->head_dim % 2)))
        return rmc_fail(c, RM_ERR_HPARAM, "config.json: num_attention_heads %lld is not a multiple of num_key_value_heads %lld, or head_dim %lld is odd",
                        (long long)c->n_head, (long long)c->n_head_kv, (long long)c->head_dim);
    c->tied = rmj_bool(rmj_get(root, "tie_word_embeddings"));
    if ((e = rmc_arch_config(c))) return e;
    if (c->seqcls) {
        const rmj_value *l = rmj_get(root, "id2label");
        int64_t nl = 0;
        if (rmj_get(root, "num_labels") && !rmj_int(rmj_get(root, "num_labels"), &nl))
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: num_labels is not an integer");
        if (!nl) nl = rmj_is_object(l) ? (int64_t)rmj_len(l) : 2; /* transformers' default is 2 */
        c->n_labels = nl;
    }
    rs = rmj_get(root, "rope_scaling");
    if (rmj_is_object(rs)) {
        const char *ty = rmj_str(rmj_get(rs, "rope_type"), NULL);
        if (!*ty) ty = rmj_str(rmj_get(rs, "type"), NULL);
        if (strcmp(ty, "llama3") != 0 && strcmp(ty, "default") != 0)
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: rope_scaling type '%.40s' is not supported (llama3 only)", ty);
        if (strcmp(ty, "llama3") == 0 && c->arch != RMC_LLAMA)
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: llama3 rope scaling on a %s model is not supported", rmc_arch_gguf[c->arch]);
    }
    return RM_OK;
}

/* What gemma2 and gptneox add to the common fields. Both converters write no rope.freq_base
   (llama.cpp then uses 10000): a checkpoint with another base gets the key (see rmc_metadata)
   rather than a file that silently computes different positions. */
static rm_result rmc_arch_config(rmc_ctx *c) {
    const rmj_value *root = rmj_root(c->config);
    rm_result e;
    c->rope_base = 10000.0;
    if (c->arch == RMC_GPTNEOX) {
        double pct, eps;
        const rmj_value *pr = rmj_get(root, "use_parallel_residual"), *act = rmj_get(root, "hidden_act");
        if ((e = rmc_cfg_num(c, "rotary_pct", -1, &pct)) || (e = rmc_cfg_num(c, "layer_norm_eps", -1, &eps))) return e;
        if (pct > 1) return rmc_fail(c, RM_ERR_HPARAM, "config.json: rotary_pct %g is above 1", pct);
        /* int(rotary_pct * head_dim), as the converter computes it */
        c->n_rot = (int64_t)(pct * (double)c->head_dim);
        if (c->n_rot % 2)
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: rotary_pct %g of head size %lld gives %lld rotary dimensions (odd)", pct,
                            (long long)c->head_dim, (long long)c->n_rot);
        c->parallel_residual = !pr || rmj_is_null(pr) ? 1 : rmj_bool(pr);
        if (act && !rmj_is_null(act) && !rmj_str_eq(act, "gelu") && !rmj_str_eq(act, "gelu_new") && !rmj_str_eq(act, "gelu_fast") &&
            !rmj_str_eq(act, "gelu_pytorch_tanh"))
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: hidden_act '%.40s' is not supported for gptneox (gelu only)", rmj_str(act, NULL));
        if (rmj_get(root, "attention_bias") && rmj_is_bool(rmj_get(root, "attention_bias")) && !rmj_bool(rmj_get(root, "attention_bias")))
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: attention_bias false (GPT-NeoX without q/k/v biases) is not supported");
        if (rmj_is_number(rmj_get(root, "rotary_emb_base"))) c->rope_base = rmj_num(rmj_get(root, "rotary_emb_base"));
        if (rmj_is_number(rmj_get(root, "rope_theta"))) c->rope_base = rmj_num(rmj_get(root, "rope_theta"));
    } else if (c->arch == RMC_GEMMA2) {
        static const char *const need[] = {"rms_norm_eps", "attn_logit_softcapping", "final_logit_softcapping", "sliding_window"};
        double qs, v;
        size_t k;
        const rmj_value *act = rmj_get(root, "hidden_activation");
        for (k = 0; k < sizeof(need) / sizeof(need[0]); k++)
            if ((e = rmc_cfg_num(c, need[k], -1, &v))) return e;
        if (act && !rmj_is_null(act) && !rmj_str_eq(act, "gelu_pytorch_tanh"))
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: hidden_activation '%.40s' is not supported for gemma2 (gelu_pytorch_tanh only)", rmj_str(act, NULL));
        /* llama.cpp (and rm.h) scale queries by 1/sqrt(head_dim), or 1/sqrt(n_embd/n_head) for
           the 46-layer 27B; the GGUF has no key for query_pre_attn_scalar, so any other value
           would give a file that computes different attention */
        if ((e = rmc_cfg_num(c, "query_pre_attn_scalar", -1, &qs))) return e;
        v = (double)(c->n_layer == 46 ? c->n_embd / c->n_head : c->head_dim);
        if (qs != v)
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: query_pre_attn_scalar %g is not %g, the query scale a gemma2 GGUF implies for these sizes (head_dim, or hidden_size/num_attention_heads with 46 layers)",
                            qs, v);
        if (rmj_is_number(rmj_get(root, "rope_theta"))) c->rope_base = rmj_num(rmj_get(root, "rope_theta"));
        if (!rmj_get(root, "tie_word_embeddings") || rmj_is_null(rmj_get(root, "tie_word_embeddings"))) c->tied = 1; /* Gemma2Config's default */
        if (!c->tied) return rmc_fail(c, RM_ERR_HPARAM, "config.json: tie_word_embeddings false: a gemma2 GGUF has no output.weight (the LM head is the embedding)");
    }
    return RM_OK;
}

/* The shard list: the weight map's files, or model.safetensors. */
static int rmc_cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static rm_result rmc_open_shards(rmc_ctx *c) {
    rmj_doc *idx = NULL;
    rm_result e = rmc_json(c, "model.safetensors.index.json", 0, &idx);
    int i;
    if (e) return e;
    if (!idx) {
        c->shard_names[0] = (char *)malloc(18);
        if (!c->shard_names[0]) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
        memcpy(c->shard_names[0], "model.safetensors", 18);
        c->n_shards = 1;
    } else {
        const rmj_value *wm = rmj_get(rmj_root(idx), "weight_map");
        size_t k;
        if (!rmj_is_object(wm)) {
            rmj_free(idx);
            return rmc_fail(c, RM_ERR_INVALID_ARG, "model.safetensors.index.json: no 'weight_map' object");
        }
        for (k = 0; k < rmj_len(wm); k++) {
            const rmj_value *v = rmj_at(wm, k);
            int j;
            if (!rmj_is_string(v) || strchr(v->str, '/') || strchr(v->str, '\\') || strstr(v->str, "..")) {
                rmj_free(idx);
                return rmc_fail(c, RM_ERR_INVALID_ARG, "model.safetensors.index.json: tensor '%.200s' maps to an invalid file name", v->key);
            }
            for (j = 0; j < c->n_shards; j++)
                if (strcmp(c->shard_names[j], v->str) == 0) break;
            if (j < c->n_shards) continue;
            if (c->n_shards == RMC_MAX_SHARDS) {
                rmj_free(idx);
                return rmc_fail(c, RM_ERR_LIMIT, "model.safetensors.index.json: more than %d shards", RMC_MAX_SHARDS);
            }
            c->shard_names[c->n_shards] = (char *)malloc(v->len + 1);
            if (!c->shard_names[c->n_shards]) {
                rmj_free(idx);
                return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
            }
            memcpy(c->shard_names[c->n_shards++], v->str, v->len + 1);
        }
        qsort(c->shard_names, (size_t)c->n_shards, sizeof(char *), rmc_cmp_str);
    }
    for (i = 0; i < c->n_shards; i++) {
        char *p = rmc_path(c, c->shard_names[i]);
        rmst_result r;
        if (!p) {
            rmj_free(idx);
            return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
        }
        r = rmst_open(p, &c->shards[i]);
        free(p);
        if (r != RMST_OK) {
            rmj_free(idx);
            return rmc_fail(c, r == RMST_ERR_IO ? RM_ERR_IO : RM_ERR_INVALID_ARG, "%s: %s", c->shard_names[i], rmst_error(c->shards[i]));
        }
    }
    if (idx) {
        /* every mapped tensor in its shard, every shard tensor in the map */
        const rmj_value *wm = rmj_get(rmj_root(idx), "weight_map");
        size_t k;
        int64_t n_in_shards = 0;
        for (k = 0; k < rmj_len(wm); k++) {
            const rmj_value *v = rmj_at(wm, k);
            for (i = 0; i < c->n_shards; i++)
                if (strcmp(c->shard_names[i], v->str) == 0) break;
            if (!rmst_find(c->shards[i], v->key)) {
                e = rmc_fail(c, RM_ERR_TENSOR_MISSING, "model.safetensors.index.json maps tensor '%.200s' to %s, which does not hold it (incomplete or mismatched shards)",
                             v->key, c->shard_names[i]);
                break;
            }
        }
        for (i = 0; !e && i < c->n_shards; i++) {
            int64_t j;
            n_in_shards += rmst_n_tensors(c->shards[i]);
            for (j = 0; j < rmst_n_tensors(c->shards[i]); j++) {
                const rmj_value *v = rmj_get(wm, rmst_tensor_at(c->shards[i], j)->name);
                if (!rmj_str_eq(v, c->shard_names[i])) {
                    e = rmc_fail(c, RM_ERR_INVALID_ARG, "%s holds tensor '%.200s', which model.safetensors.index.json %s", c->shard_names[i],
                                 rmst_tensor_at(c->shards[i], j)->name, v ? "maps to another file" : "does not list");
                    break;
                }
            }
        }
        (void)n_in_shards;
        rmj_free(idx);
    }
    return e;
}

/* The GGUF name of an HF tensor, "" to skip it, or NULL when unknown. *layer is its block. */
static const char *rmc_map_name(const rmc_ctx *c, const char *hf, char *buf, size_t cap, int64_t *layer) {
    static const struct { const char *hf, *gguf; } blk[] = {
        {"input_layernorm.weight", "attn_norm.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
        {"self_attn.q_proj.weight", "attn_q.weight"},   {"self_attn.k_proj.weight", "attn_k.weight"},
        {"self_attn.v_proj.weight", "attn_v.weight"},   {"self_attn.o_proj.weight", "attn_output.weight"},
        {"self_attn.q_proj.bias", "attn_q.bias"},       {"self_attn.k_proj.bias", "attn_k.bias"},
        {"self_attn.v_proj.bias", "attn_v.bias"},       {"self_attn.q_norm.weight", "attn_q_norm.weight"},
        {"self_attn.k_norm.weight", "attn_k_norm.weight"}, {"mlp.gate_proj.weight", "ffn_gate.weight"},
        {"mlp.up_proj.weight", "ffn_up.weight"},        {"mlp.down_proj.weight", "ffn_down.weight"}};
    static const struct { const char *hf, *gguf; } gemma2[] = {
        {"input_layernorm.weight", "attn_norm.weight"}, {"post_attention_layernorm.weight", "post_attention_norm.weight"},
        {"pre_feedforward_layernorm.weight", "ffn_norm.weight"}, {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"},
        {"self_attn.q_proj.weight", "attn_q.weight"},   {"self_attn.k_proj.weight", "attn_k.weight"},
        {"self_attn.v_proj.weight", "attn_v.weight"},   {"self_attn.o_proj.weight", "attn_output.weight"},
        {"mlp.gate_proj.weight", "ffn_gate.weight"},    {"mlp.up_proj.weight", "ffn_up.weight"},
        {"mlp.down_proj.weight", "ffn_down.weight"}};
    static const struct { const char *hf, *gguf; } neox[] = {
        {"input_layernorm.weight", "attn_norm.weight"}, {"input_layernorm.bias", "attn_norm.bias"},
        {"post_attention_layernorm.weight", "ffn_norm.weight"}, {"post_attention_layernorm.bias", "ffn_norm.bias"},
        {"attention.query_key_value.weight", "attn_qkv.weight"}, {"attention.query_key_value.bias", "attn_qkv.bias"},
        {"attention.dense.weight", "attn_output.weight"}, {"attention.dense.bias", "attn_output.bias"},
        {"mlp.dense_h_to_4h.weight", "ffn_up.weight"},  {"mlp.dense_h_to_4h.bias", "ffn_up.bias"},
        {"mlp.dense_4h_to_h.weight", "ffn_down.weight"}, {"mlp.dense_4h_to_h.bias", "ffn_down.bias"}};
    size_t n = strlen(hf), i;
    *layer = -1;
    /* the converter drops these buffers (of any architecture) */
    if ((n > 20 && strcmp(hf + n - 20, ".rotary_emb.inv_freq") == 0) || (n > 22 && strcmp(hf + n - 22, ".attention.masked_bias") == 0) ||
        (n > 15 && strcmp(hf + n - 15, ".attention.bias") == 0))
        return "";
    if (c->arch == RMC_GPTNEOX) {
        if (strcmp(hf, "gpt_neox.embed_in.weight") == 0) return "token_embd.weight";
        if (strcmp(hf, "gpt_neox.final_layer_norm.weight") == 0) return "output_norm.weight";
        if (strcmp(hf, "gpt_neox.final_layer_norm.bias") == 0) return "output_norm.bias";
        if (strcmp(hf, "embed_out.weight") == 0 && !c->seqcls) return "output.weight";
        if (strcmp(hf, "score.weight") == 0 && c->seqcls) return "cls.output.weight";
        if (strncmp(hf, "gpt_neox.layers.", 16) == 0) {
            char *end;
            long long il = strtoll(hf + 16, &end, 10);
            if (end == hf + 16 || *end != '.' || il < 0 || il >= c->n_layer) return NULL;
            for (i = 0; i < sizeof(neox) / sizeof(neox[0]); i++)
                if (strcmp(end + 1, neox[i].hf) == 0) {
                    snprintf(buf, cap, "blk.%lld.%s", il, neox[i].gguf);
                    *layer = il;
                    return buf;
                }
        }
        return NULL;
    }
    if (c->arch == RMC_GEMMA2) {
        if (strcmp(hf, "lm_head.weight") == 0 && !c->seqcls) return ""; /* the converter skips it: the head is tied */
        if (strncmp(hf, "model.layers.", 13) == 0) {
            char *end;
            long long il = strtoll(hf + 13, &end, 10);
            if (end == hf + 13 || *end != '.' || il < 0 || il >= c->n_layer) return NULL;
            for (i = 0; i < sizeof(gemma2) / sizeof(gemma2[0]); i++)
                if (strcmp(end + 1, gemma2[i].hf) == 0) {
                    snprintf(buf, cap, "blk.%lld.%s", il, gemma2[i].gguf);
                    *layer = il;
                    return buf;
                }
            return NULL;
        }
    }
    if (strcmp(hf, "model.embed_tokens.weight") == 0) return "token_embd.weight";
    if (strcmp(hf, "model.norm.weight") == 0) return "output_norm.weight";
    if (strcmp(hf, "lm_head.weight") == 0 && !c->seqcls) return "output.weight";
    if (strcmp(hf, "score.weight") == 0 && c->seqcls) return "cls.output.weight";
    if (strncmp(hf, "model.layers.", 13) == 0) {
        char *end;
        long long il = strtoll(hf + 13, &end, 10);
        if (end == hf + 13 || *end != '.' || il < 0 || il >= c->n_layer) return NULL;
        for (i = 0; i < sizeof(blk) / sizeof(blk[0]); i++)
            if (strcmp(end + 1, blk[i].hf) == 0) {
                int bias = strstr(blk[i].gguf, ".bias") != NULL, qkn = strstr(blk[i].gguf, "attn_q_norm") || strstr(blk[i].gguf, "attn_k_norm");
                if (bias && c->arch != RMC_QWEN2 && c->arch != RMC_LLAMA) return NULL;
                if (qkn && c->arch != RMC_QWEN3) return NULL;
                snprintf(buf, cap, "blk.%lld.%s", il, blk[i].gguf);
                *layer = il;
                return buf;
            }
    }
    return NULL;
}

static int rmc_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int rmc_more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

/* The output type of one tensor: the converter's rule (1-D, norms, non-weights F32), then for
   quantized --type llama-quantize's llama_tensor_get_type for that file type. */
static int rmc_type_for(const rmc_ctx *c, const rmc_tensor *t, int64_t i_attn_v) {
    const rmc_ftype *ft = c->ft;
    int nt = ft->type;
    if (t->n_dims <= 1 || rmc_ends_with(t->name, "_norm.weight") || !rmc_ends_with(t->name, ".weight")) return RM_TYPE_F32;
    if (strcmp(t->name, "cls.output.weight") == 0) return RM_TYPE_F32; /* rm.h reads F32 heads */
    if (!ft->mix) return t->ne[0] % rm_type_block_size(nt) == 0 ? nt : RM_TYPE_F16;
    if (strcmp(t->name, "output.weight") == 0 || (c->tied && !c->seqcls && strcmp(t->name, "token_embd.weight") == 0)) {
        nt = RM_TYPE_Q6_K;
    } else if (strstr(t->name, "attn_v.weight")) {
        if (ft->mix == 2 && rmc_more_bits(i_attn_v, c->n_layer)) nt = RM_TYPE_Q6_K;
    } else if (strstr(t->name, "attn_qkv.weight")) {
        if (ft->mix == 2) nt = nt == RM_TYPE_Q4_K ? RM_TYPE_Q5_K : RM_TYPE_Q6_K;
    } else if (strstr(t->name, "ffn_down")) {
        int64_t il = strtoll(t->name + 4, NULL, 10);
        if (ft->mix == 2 && rmc_more_bits(il, c->n_layer)) nt = RM_TYPE_Q6_K;
    }
    if ((nt == RM_TYPE_Q4_K || nt == RM_TYPE_Q5_K || nt == RM_TYPE_Q6_K) && t->ne[0] % 256 != 0) {
        nt = nt == RM_TYPE_Q4_K ? RM_TYPE_Q5_0 : nt == RM_TYPE_Q5_K ? RM_TYPE_Q5_1 : RM_TYPE_Q8_0;
        if (t->ne[0] % 32 != 0) nt = RM_TYPE_F16;
    } else if (t->ne[0] % rm_type_block_size(nt) != 0) {
        nt = RM_TYPE_F16;
    }
    return nt;
}

static rm_result rmc_add(rmc_ctx *c, const char *name, int n_dims, const int64_t *ne, rmc_kind kind, int shard, const rmst_tensor *src) {
    rmc_tensor *t;
    int d;
    if (c->n_t == c->cap_t) {
        int64_t cap = c->cap_t ? 2 * c->cap_t : 256;
        rmc_tensor *nt = (rmc_tensor *)realloc(c->t, (size_t)cap * sizeof(rmc_tensor));
        if (!nt) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
        c->t = nt;
        c->cap_t = cap;
    }
    t = &c->t[c->n_t++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->n_dims = n_dims;
    for (d = 0; d < 4; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->kind = kind;
    t->shard = shard;
    t->src = src;
    return RM_OK;
}

/* llama3 frequency divisors (rope_freqs.weight {head_dim/2}), from rope_scaling. */
static rm_result rmc_rope_freqs(rmc_ctx *c) {
    const rmj_value *root = rmj_root(c->config), *rs = rmj_get(root, "rope_scaling");
    double base = 10000.0, factor = 8.0, lo = 1.0, hi = 4.0, old = 8192.0;
    int64_t i, n = c->head_dim / 2;
    if (rmj_is_number(rmj_get(root, "rope_theta"))) base = rmj_num(rmj_get(root, "rope_theta"));
    if (rmj_is_number(rmj_get(rs, "factor"))) factor = rmj_num(rmj_get(rs, "factor"));
    if (rmj_is_number(rmj_get(rs, "low_freq_factor"))) lo = rmj_num(rmj_get(rs, "low_freq_factor"));
    if (rmj_is_number(rmj_get(rs, "high_freq_factor"))) hi = rmj_num(rmj_get(rs, "high_freq_factor"));
    /* the converter reads original_max_position_embeddings from the top level of config.json,
       where Llama 3 configs do not have it, so its 8192 default is what it uses */
    if (rmj_is_number(rmj_get(root, "original_max_position_embeddings"))) old = rmj_num(rmj_get(root, "original_max_position_embeddings"));
    if (lo == hi) return rmc_fail(c, RM_ERR_HPARAM, "config.json: rope_scaling low_freq_factor equals high_freq_factor");
    c->rope_freqs = (float *)malloc((size_t)n * sizeof(float));
    if (!c->rope_freqs) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        /* in float32, as the converter computes them (torch float32 tensors with Python
           scalars: each operation rounds to float) */
        float fr = 1.0f / powf((float)base, (float)(2 * i) / (float)c->head_dim);
        float wl = (float)(2 * 3.14159265358979323846) / fr, v;
        if ((double)wl < old / hi) v = 1.0f;
        else if ((double)wl > old / lo) v = (float)factor;
        else {
            float smooth = ((float)old / wl - (float)lo) / (float)(hi - lo);
            v = 1.0f / ((1.0f - smooth) / (float)factor + smooth);
        }
        c->rope_freqs[i] = v;
    }
    return RM_OK;
}

/* The HF name of a GGUF tensor of block il (-1: outside the blocks), for error messages: the
   name rmc_map_name maps to it. */
static void rmc_hf_name(const rmc_ctx *c, const char *gguf, int64_t il, char *out, size_t cap) {
    static const char *const pre[] = {"model.layers.", "gpt_neox.layers."};
    static const char *const tails[] = {
        "input_layernorm.weight", "input_layernorm.bias", "post_attention_layernorm.weight", "post_attention_layernorm.bias",
        "pre_feedforward_layernorm.weight", "post_feedforward_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
        "self_attn.v_proj.weight", "self_attn.o_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias",
        "self_attn.q_norm.weight", "self_attn.k_norm.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
        "attention.query_key_value.weight", "attention.query_key_value.bias", "attention.dense.weight", "attention.dense.bias",
        "mlp.dense_h_to_4h.weight", "mlp.dense_h_to_4h.bias", "mlp.dense_4h_to_h.weight", "mlp.dense_4h_to_h.bias",
        "embed_tokens.weight", "norm.weight", "embed_in.weight", "final_layer_norm.weight", "final_layer_norm.bias"};
    static const char *const globals[] = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight", "score.weight",
                                          "gpt_neox.embed_in.weight", "gpt_neox.final_layer_norm.weight",
                                          "gpt_neox.final_layer_norm.bias", "embed_out.weight"};
    char buf[96];
    int64_t l;
    size_t k;
    snprintf(out, cap, "%s", gguf);
    if (il < 0) {
        for (k = 0; k < sizeof(globals) / sizeof(globals[0]); k++) {
            const char *g = rmc_map_name(c, globals[k], buf, sizeof(buf), &l);
            if (g && strcmp(g, gguf) == 0) {
                snprintf(out, cap, "%s", globals[k]);
                return;
            }
        }
        return;
    }
    for (k = 0; k < sizeof(tails) / sizeof(tails[0]); k++) {
        char hf[128];
        const char *g;
        snprintf(hf, sizeof(hf), "%s%lld.%s", pre[c->arch == RMC_GPTNEOX], (long long)il, tails[k]);
        g = rmc_map_name(c, hf, buf, sizeof(buf), &l);
        if (g && strcmp(g, gguf) == 0) {
            snprintf(out, cap, "%s", hf);
            return;
        }
    }
}

/* Every tensor of the checkpoint mapped, every tensor the architecture needs present. */
static rm_result rmc_plan(rmc_ctx *c) {
    const rmj_value *rs = rmj_get(rmj_root(c->config), "rope_scaling");
    int s;
    int64_t i, il, i_attn_v = 0;
    char buf[96];
    rm_result e;
    const int64_t E = c->n_embd, D = c->head_dim, H = c->n_head, G = c->n_head_kv, F = c->n_ff, V = c->n_vocab;
    if (rmj_is_object(rs) && (rmj_str_eq(rmj_get(rs, "rope_type"), "llama3") || rmj_str_eq(rmj_get(rs, "type"), "llama3"))) {
        int64_t ne = D / 2;
        if ((e = rmc_rope_freqs(c)) || (e = rmc_add(c, "rope_freqs.weight", 1, &ne, RMC_ROPE_FREQS, -1, NULL))) return e;
    }
    for (s = 0; s < c->n_shards; s++) {
        const rmst_file *f = c->shards[s];
        const rmst_tensor **order = (const rmst_tensor **)malloc(sizeof(*order) * (size_t)(rmst_n_tensors(f) + 1));
        if (!order) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
        for (i = 0; i < rmst_n_tensors(f); i++) order[i] = rmst_tensor_at(f, i);
        /* safetensors' safe_open lists a file's tensors by name */
        qsort(order, (size_t)rmst_n_tensors(f), sizeof(*order), rmst__cmp_name);
        for (i = 0; i < rmst_n_tensors(f); i++) {
            const rmst_tensor *st = order[i];
            int64_t layer, ne[4];
            const char *g = rmc_map_name(c, st->name, buf, sizeof(buf), &layer);
            int d;
            if (!g) {
                free(order);
                if (!c->seqcls && strcmp(st->name, "score.weight") == 0)
                    return rmc_fail(c, RM_ERR_TENSOR_SHAPE, "%s: tensor 'score.weight' in a %s checkpoint (config.json's architectures should be the *ForSequenceClassification one)",
                                    c->shard_names[s], rmj_str(rmj_at(rmj_get(rmj_root(c->config), "architectures"), 0), NULL));
                return rmc_fail(c, RM_ERR_TENSOR_SHAPE, "%s: tensor '%.200s' is not one a %s %s checkpoint has (nothing is dropped silently)",
                                c->shard_names[s], st->name, rmc_arch_gguf[c->arch], c->seqcls ? "sequence-classification" : "causal-LM");
            }
            if (!*g) continue;
            if (st->dtype != RMST_F32 && st->dtype != RMST_F16 && st->dtype != RMST_BF16) {
                free(order);
                return rmc_fail(c, RM_ERR_GGUF_TENSOR_TYPE, "%s: tensor '%.200s' is %s; only F32, F16 and BF16 tensors are converted",
                                c->shard_names[s], st->name, rmst_dtype_name(st->dtype));
            }
            if (st->n_dims < 1 || st->n_dims > 2) {
                free(order);
                return rmc_fail(c, RM_ERR_TENSOR_SHAPE, "%s: tensor '%.200s' has %d dimensions (1 or 2 expected)", c->shard_names[s], st->name, st->n_dims);
            }
            for (d = 0; d < st->n_dims; d++) ne[d] = st->shape[st->n_dims - 1 - d];
            for (i_attn_v = 0; i_attn_v < c->n_t; i_attn_v++)
                if (strcmp(c->t[i_attn_v].name, g) == 0) {
                    free(order);
                    return rmc_fail(c, RM_ERR_GGUF_DUP_TENSOR, "tensor '%.200s' appears in two shards", st->name);
                }
            if ((e = rmc_add(c, g, st->n_dims, ne, RMC_COPY, s, st))) {
                free(order);
                return e;
            }
            if (c->arch == RMC_LLAMA && (strstr(g, "attn_q.") || strstr(g, "attn_k."))) {
                c->t[c->n_t - 1].kind = RMC_PERMUTE;
                c->t[c->n_t - 1].perm_heads = strstr(g, "attn_q.") ? H : G;
            }
            if (c->arch == RMC_GPTNEOX && strstr(g, "attn_qkv.")) c->t[c->n_t - 1].kind = RMC_QKV;
            if (c->arch == RMC_GEMMA2 && rmc_ends_with(st->name, "norm.weight")) c->t[c->n_t - 1].kind = RMC_PLUS_ONE;
        }
        free(order);
    }
    /* presence and shape of what the architecture needs */
    {
        struct { const char *name; int64_t ne0, ne1; int need; } want[32];
        int nw;
        for (il = -1; il < c->n_layer; il++) {
            nw = 0;
#define RMC_W(n, a, b, req) (want[nw].name = (n), want[nw].ne0 = (a), want[nw].ne1 = (b), want[nw].need = (req), nw++)
            if (il < 0) {
                RMC_W("token_embd.weight", E, V, 1);
                RMC_W("output_norm.weight", E, 0, 1);
                if (c->arch == RMC_GPTNEOX) RMC_W("output_norm.bias", E, 0, 1);
                RMC_W("output.weight", E, V, !c->tied && !c->seqcls);
                if (c->seqcls) RMC_W("cls.output.weight", E, c->n_labels, 1);
            } else if (c->arch == RMC_GPTNEOX) {
                RMC_W("attn_norm.weight", E, 0, 1);
                RMC_W("attn_norm.bias", E, 0, 1);
                RMC_W("ffn_norm.weight", E, 0, 1);
                RMC_W("ffn_norm.bias", E, 0, 1);
                RMC_W("attn_qkv.weight", E, 3 * E, 1);
                RMC_W("attn_qkv.bias", 3 * E, 0, 1);
                RMC_W("attn_output.weight", E, E, 1);
                RMC_W("attn_output.bias", E, 0, 1);
                RMC_W("ffn_up.weight", E, F, 1);
                RMC_W("ffn_up.bias", F, 0, 1);
                RMC_W("ffn_down.weight", F, E, 1);
                RMC_W("ffn_down.bias", E, 0, 1);
            } else {
                RMC_W("attn_norm.weight", E, 0, 1);
                RMC_W("ffn_norm.weight", E, 0, 1);
                RMC_W("post_attention_norm.weight", E, 0, c->arch == RMC_GEMMA2);
                RMC_W("post_ffw_norm.weight", E, 0, c->arch == RMC_GEMMA2);
                RMC_W("attn_q.weight", E, H * D, 1);
                RMC_W("attn_k.weight", E, G * D, 1);
                RMC_W("attn_v.weight", E, G * D, 1);
                RMC_W("attn_output.weight", H * D, E, 1);
                RMC_W("attn_q.bias", H * D, 0, c->arch == RMC_QWEN2);
                RMC_W("attn_k.bias", G * D, 0, c->arch == RMC_QWEN2);
                RMC_W("attn_v.bias", G * D, 0, c->arch == RMC_QWEN2);
                RMC_W("attn_q_norm.weight", D, 0, c->arch == RMC_QWEN3);
                RMC_W("attn_k_norm.weight", D, 0, c->arch == RMC_QWEN3);
                RMC_W("ffn_gate.weight", E, F, 1);
                RMC_W("ffn_up.weight", E, F, 1);
                RMC_W("ffn_down.weight", F, E, 1);
            }
#undef RMC_W
            for (s = 0; s < nw; s++) {
                const rmc_tensor *t = NULL;
                char nm[96];
                if (il < 0) snprintf(nm, sizeof(nm), "%s", want[s].name);
                else snprintf(nm, sizeof(nm), "blk.%lld.%s", (long long)il, want[s].name);
                for (i = 0; i < c->n_t; i++)
                    if (strcmp(c->t[i].name, nm) == 0) t = &c->t[i];
                if (!t) {
                    if (want[s].need) {
                        char hf[128];
                        rmc_hf_name(c, nm, il, hf, sizeof(hf));
                        return rmc_fail(c, RM_ERR_TENSOR_MISSING, "checkpoint: tensor '%s' is missing (GGUF %s)", hf, nm);
                    }
                    continue;
                }
                if (t->ne[0] != want[s].ne0 || t->ne[1] != (want[s].ne1 ? want[s].ne1 : 1) || (want[s].ne1 == 0) != (t->n_dims == 1))
                    return rmc_fail(c, RM_ERR_TENSOR_SHAPE, "checkpoint: tensor '%s' has shape {%lld, %lld}, config.json implies {%lld%s%lld}", nm,
                                    (long long)t->ne[0], (long long)t->ne[1], (long long)want[s].ne0, want[s].ne1 ? ", " : "",
                                    want[s].ne1 ? (long long)want[s].ne1 : 0LL);
            }
        }
        /* llama's permutation needs whole head pairs */
        if (c->arch == RMC_LLAMA && ((H * D) % (2 * H) || (G * D) % (2 * G)))
            return rmc_fail(c, RM_ERR_HPARAM, "config.json: head size %lld cannot be permuted into pairs", (long long)D);
    }
    /* types. llama-quantize counts the attn_v tensors it has seen in its own order (the
       loader's: by layer number, then name), not the file's (HF's by name, so blk.10 comes
       before blk.2): the count at an attn_v is its layer number, every layer having one. */
    for (i = 0; i < c->n_t; i++) {
        rmc_tensor *t = &c->t[i];
        i_attn_v = strncmp(t->name, "blk.", 4) == 0 ? strtoll(t->name + 4, NULL, 10) : 0;
        t->type = rmc_type_for(c, t, i_attn_v);
        t->f16_first = c->ft->mix && t->type != RM_TYPE_F32;
    }
    return RM_OK;
}

/* Fills one output tensor row by row from its safetensors source. */
static rm_result rmc_fill(void *user, int64_t index, const char *name, void *dst, size_t nbytes) {
    rmc_ctx *c = (rmc_ctx *)user;
    const rmc_tensor *t = &c->t[index];
    const int64_t n0 = t->ne[0], rows = t->ne[1] * t->ne[2] * t->ne[3];
    const size_t rb = (size_t)(nbytes / (size_t)(rows ? rows : 1));
    size_t esz;
    int64_t r;
    (void)name;
    if ((size_t)n0 > c->row_cap) {
        free(c->row);
        c->row = (float *)malloc((size_t)n0 * sizeof(float));
        c->row_cap = c->row ? (size_t)n0 : 0;
        if (!c->row) return RM_ERR_NOMEM;
    }
    if (t->kind == RMC_ROPE_FREQS) {
        rm_quantize_row(t->type, c->rope_freqs, dst, n0);
        return RM_OK;
    }
    esz = (size_t)rmst_dtype_bits(t->src->dtype) / 8;
    if ((size_t)n0 * esz > c->raw_cap) {
        free(c->raw);
        c->raw = (unsigned char *)malloc((size_t)n0 * esz);
        c->raw_cap = c->raw ? (size_t)n0 * esz : 0;
        if (!c->raw) return RM_ERR_NOMEM;
    }
    if (t->kind == RMC_QKV && t->n_dims == 1) {
        /* the bias {3E}: element (part, head, d) of the output is HF's (head, part, d) */
        const int64_t E = n0 / 3, D = E / c->n_head;
        float *tmp = (float *)malloc((size_t)n0 * sizeof(float));
        unsigned char *all = (unsigned char *)malloc((size_t)n0 * esz);
        int64_t k;
        if (!tmp || !all) {
            free(tmp);
            free(all);
            return RM_ERR_NOMEM;
        }
        if (rmst_read(c->shards[t->shard], t->src, 0, (size_t)n0 * esz, all) != RMST_OK) {
            snprintf(c->err, sizeof(c->err), "%s: %s", c->shard_names[t->shard], rmst_error(c->shards[t->shard]));
            free(tmp);
            free(all);
            return RM_ERR_IO;
        }
        if (t->src->dtype == RMST_F32) memcpy(tmp, all, (size_t)n0 * 4);
        else rm_dequantize_row(t->src->dtype == RMST_F16 ? RM_TYPE_F16 : RM_TYPE_BF16, all, tmp, n0);
        for (k = 0; k < n0; k++) {
            const int64_t part = k / E, h = (k % E) / D, d = k % D;
            c->row[k] = tmp[h * 3 * D + part * D + d];
        }
        free(tmp);
        free(all);
        rm_quantize_row(t->type, c->row, dst, n0);
        return RM_OK;
    }
    for (r = 0; r < rows; r++) {
        int64_t src = r, k;
        if (t->kind == RMC_QKV) {
            /* rows {3E}: output row (part, head, d) is HF's row (head, part, d) */
            const int64_t E = rows / 3, D = E / c->n_head, part = r / E, h = (r % E) / D, d = r % D;
            src = h * 3 * D + part * D + d;
        }
        if (t->kind == RMC_PERMUTE) {
            /* HF rotates (x[i], x[i + d/2]) within each head, ggml (x[2i], x[2i+1]): output row
               2i + j of a head is HF row j * d/2 + i */
            const int64_t per = rows / t->perm_heads, half = per / 2, h = r / per, rem = r % per;
            src = h * per + (rem % 2) * half + rem / 2;
        }
        if (rmst_read(c->shards[t->shard], t->src, (uint64_t)src * (uint64_t)n0 * esz, (size_t)n0 * esz, c->raw) != RMST_OK) {
            snprintf(c->err, sizeof(c->err), "%s: %s", c->shard_names[t->shard], rmst_error(c->shards[t->shard]));
            return RM_ERR_IO;
        }
        if (t->src->dtype == RMST_F32) memcpy(c->row, c->raw, (size_t)n0 * 4);
        else rm_dequantize_row(t->src->dtype == RMST_F16 ? RM_TYPE_F16 : RM_TYPE_BF16, c->raw, c->row, n0);
        if (t->kind == RMC_PLUS_ONE) {
            /* the converter adds 1 in the tensor's torch dtype: float32 for F32 and BF16 (made
               float32 first), float16 for F16 (one rounding of the exact sum) */
            for (k = 0; k < n0; k++) {
                c->row[k] += 1.0f;
                if (t->src->dtype == RMST_F16) {
                    uint16_t h;
                    rm_quantize_row(RM_TYPE_F16, c->row + k, &h, 1);
                    rm_dequantize_row(RM_TYPE_F16, &h, c->row + k, 1);
                }
            }
        }
        if (t->f16_first) {
            /* what llama-quantize reads: the converter's F16 file */
            uint16_t h;
            for (k = 0; k < n0; k++) {
                rm_quantize_row(RM_TYPE_F16, c->row + k, &h, 1);
                rm_dequantize_row(RM_TYPE_F16, &h, c->row + k, 1);
            }
        }
        if (rm_quantize_row(t->type, c->row, (unsigned char *)dst + (size_t)r * rb, n0) != rb) return RM_ERR_INVALID_ARG;
    }
    return RM_OK;
}

/* ---- vocabulary ---- */

static int rmc_looks_special(const char *s) {
    size_t n = strlen(s);
    if (!strcmp(s, "<pad>") || !strcmp(s, "<mask>") || !strcmp(s, "<2mass>") || !strcmp(s, "[@BOS@]")) return 1;
    if (n >= 4 && !strncmp(s, "<|", 2) && !strcmp(s + n - 2, "|>")) return 1;
    if (n >= 8 && !strncmp(s, "<\xef\xbd\x9c", 4) && !strcmp(s + n - 4, "\xef\xbd\x9c>")) return 1;
    if (n >= 8 && !strncmp(s, "<unused", 7) && s[n - 1] == '>') return 1;
    return 0;
}

/* The token id of an added token with this content (the first), or -1. */
static int64_t rmc_added_id(const rmj_value *added, const char *content) {
    size_t i;
    for (i = 0; i < rmj_len(added); i++) {
        const rmj_value *a = rmj_at(added, i);
        int64_t id;
        if (rmj_str_eq(rmj_get(a, "content"), content) && rmj_int(rmj_get(a, "id"), &id)) return id;
    }
    return -1;
}

typedef struct rmc_vocab {
    rm_str *tokens;
    int32_t *types;
    float *scores;     /* SentencePiece vocabularies (gemma2); NULL for BPE */
    char **owned;      /* "[PAD<i>]" texts */
    int64_t n_owned;
    rm_str *merges;
    char **merge_owned;
    int64_t n_merges;
    const char *special_name[7];
    uint32_t special_id[7];
    int n_special;
    int add_flag[7];   /* -1 unset, 0, 1 for add_{bos,eos,...}_token */
} rmc_vocab;

static const char *const rmc_special_types[7] = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};

static void rmc_vocab_free(rmc_vocab *v, int64_t n_vocab) {
    int64_t i;
    for (i = 0; i < v->n_owned; i++) free(v->owned[i]);
    for (i = 0; v->merge_owned && i < v->n_merges; i++) free(v->merge_owned[i]);
    (void)n_vocab;
    free(v->owned);
    free(v->tokens);
    free(v->types);
    free(v->scores);
    free(v->merges);
    free(v->merge_owned);
}

/* ---- SentencePiece tokenizer.model (gemma2) ----
   A protobuf ModelProto: field 1 (repeated, length-delimited) the pieces, each a message of
   piece (1, string), score (2, float) and type (3, varint: 1 normal, 2 unknown, 3 control,
   4 user-defined, 5 unused, 6 byte; 1 when absent); the other fields (trainer and normalizer
   specs) are skipped. Read bounds-checked: a corrupt file is an error naming the offset. */
typedef struct rmc_piece { const char *s; size_t len; float score; int type; } rmc_piece;

static int rmc_pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
    int sh = 0;
    *v = 0;
    while (*p < end && sh < 64) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) return 1;
        sh += 7;
    }
    return 0;
}

/* Skips the value of a field of wire type wt; 0 when it does not fit. */
static int rmc_pb_skip(const unsigned char **p, const unsigned char *end, int wt) {
    uint64_t n;
    switch (wt) {
    case 0: return rmc_pb_varint(p, end, &n);
    case 1: if (end - *p < 8) return 0; *p += 8; return 1;
    case 5: if (end - *p < 4) return 0; *p += 4; return 1;
    case 2:
        if (!rmc_pb_varint(p, end, &n) || n > (uint64_t)(end - *p)) return 0;
        *p += n;
        return 1;
    default: return 0;
    }
}

static rm_result rmc_read_spm(rmc_ctx *c) {
    char *path = rmc_path(c, "tokenizer.model");
    size_t n = 0;
    const unsigned char *p, *end;
    int64_t cap = 0;
    if (!path) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
    c->spm_raw = (unsigned char *)read_all(path, &n);
    free(path);
    if (!c->spm_raw)
        return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: cannot read %s/tokenizer.model: a %s vocabulary is SentencePiece, and its piece scores and types are only in that file (tokenizer.json's BPE vocabulary and merges do not hold them; llama.cpp's converter reads the same file)",
                        c->dir, rmc_arch_gguf[c->arch]);
    p = c->spm_raw;
    end = p + n;
    while (p < end) {
        uint64_t k, len;
        const unsigned char *q, *qe;
        rmc_piece pc;
        if (!rmc_pb_varint(&p, end, &k)) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: not a SentencePiece model (bad field at byte %zu)", (size_t)(p - c->spm_raw));
        if (k >> 3 != 1 || (k & 7) != 2) {
            if (!rmc_pb_skip(&p, end, (int)(k & 7)))
                return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: not a SentencePiece model (field %llu at byte %zu does not fit)", (unsigned long long)(k >> 3), (size_t)(p - c->spm_raw));
            continue;
        }
        if (!rmc_pb_varint(&p, end, &len) || len > (uint64_t)(end - p))
            return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld is truncated", (long long)c->n_pieces);
        q = p;
        qe = p + len;
        p = qe;
        pc.s = NULL;
        pc.len = 0;
        pc.score = 0.0f;
        pc.type = 1;
        while (q < qe) {
            uint64_t f, v;
            if (!rmc_pb_varint(&q, qe, &f)) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld is corrupt", (long long)c->n_pieces);
            if (f == (1 << 3 | 2)) {
                if (!rmc_pb_varint(&q, qe, &v) || v > (uint64_t)(qe - q)) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld is corrupt", (long long)c->n_pieces);
                pc.s = (const char *)q;
                pc.len = (size_t)v;
                q += v;
            } else if (f == (2 << 3 | 5)) {
                uint32_t u;
                if (qe - q < 4) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld is corrupt", (long long)c->n_pieces);
                u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
                memcpy(&pc.score, &u, 4);
                q += 4;
            } else if (f == (3 << 3 | 0)) {
                if (!rmc_pb_varint(&q, qe, &v) || v < 1 || v > 6)
                    return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld has an unknown type", (long long)c->n_pieces);
                pc.type = (int)v;
            } else if (!rmc_pb_skip(&q, qe, (int)(f & 7))) {
                return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld is corrupt", (long long)c->n_pieces);
            }
        }
        if (!pc.s) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: piece %lld has no text", (long long)c->n_pieces);
        if (c->n_pieces == cap) {
            rmc_piece *np;
            cap = cap ? 2 * cap : 4096;
            np = (rmc_piece *)realloc(c->pieces, (size_t)cap * sizeof(rmc_piece));
            if (!np) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
            c->pieces = np;
        }
        c->pieces[c->n_pieces++] = pc;
    }
    if (!c->n_pieces) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: no pieces");
    if (c->n_pieces > c->n_vocab)
        return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.model: %lld pieces, more than config.json's vocab_size %lld", (long long)c->n_pieces, (long long)c->n_vocab);
    return RM_OK;
}

/* An owned copy of a string (s, n) in v->owned, with U+2581 replaced by a space when asked. */
static const char *rmc_own(rmc_vocab *v, const char *s, size_t n, int unspace, size_t *out_len) {
    char *o = (char *)malloc(n + 1), *q = o;
    size_t i;
    if (!o) return NULL;
    for (i = 0; i < n; i++) {
        if (unspace && i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x96 && (unsigned char)s[i + 2] == 0x81) {
            *q++ = ' ';
            i += 2;
        } else {
            *q++ = s[i];
        }
    }
    *q = 0;
    v->owned[v->n_owned++] = o;
    *out_len = (size_t)(q - o);
    return o;
}

/* The vocabulary _create_vocab_sentencepiece builds: [PAD<i>] placeholders (score -10000,
   unused), the pieces with their scores and types (user-defined pieces become normal, as
   SentencePieceProcessor reports them), added_tokens.json and tokenizer_config.json's
   added_tokens_decoder on top (score -1000; control when special or special-looking, else
   user-defined with U+2581 made a space). */
static rm_result rmc_build_vocab_spm(rmc_ctx *c, rmc_vocab *v) {
    const int64_t V = c->n_vocab;
    const rmj_value *atd = rmj_get(rmj_root(c->tokcfg), "added_tokens_decoder");
    rmj_doc *added_json = NULL;
    int64_t i;
    size_t k;
    rm_result e = rmc_json(c, "added_tokens.json", 0, &added_json);
    if (e) return e;
    v->tokens = (rm_str *)calloc((size_t)V, sizeof(rm_str));
    v->types = (int32_t *)calloc((size_t)V, sizeof(int32_t));
    v->scores = (float *)calloc((size_t)V, sizeof(float));
    v->owned = (char **)calloc((size_t)V + rmj_len(atd) + rmj_len(rmj_root(added_json)) + 1, sizeof(char *));
    if (!v->tokens || !v->types || !v->scores || !v->owned) {
        rmj_free(added_json);
        return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < V; i++) {
        if (i < c->n_pieces) {
            const rmc_piece *pc = &c->pieces[i];
            v->tokens[i].ptr = pc->s;
            v->tokens[i].len = pc->len;
            v->scores[i] = pc->score;
            v->types[i] = pc->type == 4 ? RM_TOKEN_NORMAL : pc->type;
        } else {
            char b[32];
            int n = snprintf(b, sizeof(b), "[PAD%lld]", (long long)i);
            size_t len;
            v->tokens[i].ptr = rmc_own(v, b, (size_t)n, 0, &len);
            if (!v->tokens[i].ptr) {
                rmj_free(added_json);
                return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
            }
            v->tokens[i].len = len;
            v->scores[i] = -10000.0f;
            v->types[i] = RM_TOKEN_UNUSED;
        }
    }
    if (added_json) {
        const rmj_value *o = rmj_root(added_json);
        for (k = 0; k < rmj_len(o); k++) {
            int64_t id;
            if (!rmj_int(rmj_at(o, k), &id) || id < 0) {
                rmc_fail(c, RM_ERR_VOCAB, "added_tokens.json: '%.100s' has no valid id", rmj_at(o, k)->key);
                rmj_free(added_json);
                return RM_ERR_VOCAB;
            }
            if (id >= V) continue; /* the converter ignores these, with a warning */
            {
                size_t len;
                const char *t = rmc_own(v, rmj_at(o, k)->key, rmj_at(o, k)->key_len, 0, &len);
                if (!t) {
                    rmj_free(added_json);
                    return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
                }
                v->tokens[id].ptr = t;
                v->tokens[id].len = len;
            }
            v->scores[id] = -1000.0f;
            v->types[id] = RM_TOKEN_USER_DEFINED;
        }
        rmj_free(added_json);
    }
    for (k = 0; k < rmj_len(atd); k++) {
        const rmj_value *a = rmj_at(atd, k), *ct = rmj_get(a, "content");
        char *endp;
        long long id = strtoll(a->key, &endp, 10);
        int special;
        size_t len;
        if (*endp || endp == a->key || id < 0 || id >= V)
            return rmc_fail(c, RM_ERR_VOCAB, "tokenizer_config.json: added_tokens_decoder id '%.40s' is outside 0..%lld", a->key, (long long)V - 1);
        if (!rmj_is_string(ct)) return rmc_fail(c, RM_ERR_VOCAB, "tokenizer_config.json: added_tokens_decoder %lld has no content", id);
        special = rmj_bool(rmj_get(a, "special")) || rmc_looks_special(ct->str);
        v->tokens[id].ptr = rmc_own(v, ct->str, ct->len, !special, &len);
        if (!v->tokens[id].ptr) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
        v->tokens[id].len = len;
        v->types[id] = special ? RM_TOKEN_CONTROL : RM_TOKEN_USER_DEFINED;
        v->scores[id] = -1000.0f;
    }
    return RM_OK;
}

static rm_result rmc_vocab_specials(rmc_ctx *c, rmc_vocab *v);

static rm_result rmc_build_vocab(rmc_ctx *c, rmc_vocab *v) {
    const rmj_value *root = rmj_root(c->tok), *model = rmj_get(root, "model"), *vocab = rmj_get(model, "vocab");
    const rmj_value *added = rmj_get(root, "added_tokens"), *merges = rmj_get(model, "merges");
    const int64_t V = c->n_vocab;
    int64_t i;
    size_t k;
    memset(v, 0, sizeof(*v));
    if (c->arch == RMC_GEMMA2) {
        rm_result e = rmc_build_vocab_spm(c, v);
        return e ? e : rmc_vocab_specials(c, v);
    }
    if (!rmj_str_eq(rmj_get(model, "type"), "BPE"))
        return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: model type '%.40s' is not supported (BPE only: the byte-level BPE of Llama 3, Qwen2/2.5/3, GPT-NeoX; SentencePiece tokenizer.model only for gemma2; Unigram and WordPiece are not converted)",
                        rmj_str(rmj_get(model, "type"), NULL));
    if (rmj_bool(rmj_get(model, "byte_fallback")))
        return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: a BPE model with byte_fallback (SentencePiece-style, as Llama 2) is not supported for %s; byte-level BPE only (a SentencePiece tokenizer.model is read for gemma2 only)",
                        rmc_arch_gguf[c->arch]);
    if (!rmj_is_object(vocab) || !rmj_is_array(merges) || (added && !rmj_is_array(added)))
        return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: model.vocab (object), model.merges (array) or added_tokens (array) is missing");
    v->tokens = (rm_str *)calloc((size_t)V, sizeof(rm_str));
    v->types = (int32_t *)calloc((size_t)V, sizeof(int32_t));
    v->owned = (char **)calloc((size_t)V, sizeof(char *));
    if (!v->tokens || !v->types || !v->owned) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
    for (k = 0; k < rmj_len(vocab); k++) {
        const rmj_value *e = rmj_at(vocab, k);
        int64_t id;
        if (!rmj_int(e, &id) || id < 0 || id >= V)
            return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: token '%.100s' has id outside 0..%lld (vocab_size of config.json)", e->key, (long long)V - 1);
        v->tokens[id].ptr = e->key;
        v->tokens[id].len = e->key_len;
        v->types[id] = RM_TOKEN_NORMAL;
    }
    for (k = 0; k < rmj_len(added); k++) {
        const rmj_value *a = rmj_at(added, k);
        const char *s = rmj_str(rmj_get(a, "content"), NULL);
        int64_t id;
        if (!rmj_int(rmj_get(a, "id"), &id) || id < 0 || id >= V)
            return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: added token '%.100s' has id outside 0..%lld", s, (long long)V - 1);
        v->tokens[id].ptr = s;
        v->tokens[id].len = strlen(s);
        /* the converter re-encodes non-normalized added tokens; for byte-level BPE that is the
           identity on the special-token texts these vocabularies add */
        if (rmj_bool(rmj_get(a, "special")) || rmc_looks_special(s)) v->types[id] = RM_TOKEN_CONTROL;
        else {
            if (strstr(s, "\xe2\x96\x81"))
                return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: added token '%.100s' holds U+2581, which the converter rewrites; not supported", s);
            v->types[id] = RM_TOKEN_USER_DEFINED;
        }
    }
    for (i = 0; i < V; i++)
        if (!v->tokens[i].ptr) {
            char b[32];
            int n = snprintf(b, sizeof(b), "[PAD%lld]", (long long)i);
            v->owned[v->n_owned] = (char *)malloc((size_t)n + 1);
            if (!v->owned[v->n_owned]) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
            memcpy(v->owned[v->n_owned], b, (size_t)n + 1);
            v->tokens[i].ptr = v->owned[v->n_owned++];
            v->tokens[i].len = (size_t)n;
            v->types[i] = RM_TOKEN_UNUSED;
        }
    /* merges: "a b" strings, or [a, b] pairs (spaces inside a part become U+0120 + 256... as
       gguf-py writes them: chr(ord(' ') + 256)) */
    v->n_merges = (int64_t)rmj_len(merges);
    v->merges = (rm_str *)calloc((size_t)v->n_merges + 1, sizeof(rm_str));
    v->merge_owned = (char **)calloc((size_t)v->n_merges + 1, sizeof(char *));
    if (!v->merges || !v->merge_owned) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
    for (i = 0; i < v->n_merges; i++) {
        const rmj_value *m = rmj_at(merges, (size_t)i);
        if (rmj_is_string(m)) {
            v->merges[i].ptr = m->str;
            v->merges[i].len = m->len;
        } else if (rmj_is_array(m) && rmj_len(m) == 2 && rmj_is_string(rmj_at(m, 0)) && rmj_is_string(rmj_at(m, 1))) {
            const rmj_value *p0 = rmj_at(m, 0), *p1 = rmj_at(m, 1);
            char *o = (char *)malloc(2 * (p0->len + p1->len) + 2), *q = o;
            int part;
            if (!o) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
            for (part = 0; part < 2; part++) {
                const rmj_value *p = part ? p1 : p0;
                size_t j;
                if (part) *q++ = ' ';
                for (j = 0; j < p->len; j++) {
                    if (p->str[j] == ' ') { *q++ = (char)0xc4; *q++ = (char)0xa0; } /* U+0120 */
                    else *q++ = p->str[j];
                }
            }
            v->merge_owned[i] = o;
            v->merges[i].ptr = o;
            v->merges[i].len = (size_t)(q - o);
        } else {
            return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: merge %lld is neither \"a b\" nor [a, b]", (long long)i);
        }
    }
    return rmc_vocab_specials(c, v);
}

/* Special ids: tokenizer_config.json's <type>_token (looked up among tokenizer.json's added
   tokens), then config.json's <type>_token_id, first found wins, ids past the vocabulary
   skipped (gguf-py's SpecialVocab); the add_<type>_token flags. */
static rm_result rmc_vocab_specials(rmc_ctx *c, rmc_vocab *v) {
    const rmj_value *added = rmj_get(rmj_root(c->tok), "added_tokens"), *tc = rmj_root(c->tokcfg);
    size_t k;
    for (k = 0; k < 7; k++) v->add_flag[k] = -1;
    for (k = 0; k < 7 && tc; k++) {
        char key[32];
        const rmj_value *ent;
        const char *content = NULL;
        int64_t id;
        snprintf(key, sizeof(key), "add_%s_token", rmc_special_types[k]);
        if (rmj_is_bool(rmj_get(tc, key))) v->add_flag[k] = rmj_bool(rmj_get(tc, key));
        snprintf(key, sizeof(key), "%s_token", rmc_special_types[k]);
        ent = rmj_get(tc, key);
        if (rmj_is_string(ent)) content = ent->str;
        else if (rmj_is_object(ent) && rmj_is_string(rmj_get(ent, "content"))) content = rmj_get(ent, "content")->str;
        if (!content) continue;
        id = rmc_added_id(added, content);
        if (id < 0 || id >= c->n_vocab) continue;
        v->special_name[v->n_special] = rmc_special_types[k];
        v->special_id[v->n_special++] = (uint32_t)id;
    }
    for (k = 0; k < 7; k++) {
        char key[32];
        int64_t id;
        int j, have = 0;
        snprintf(key, sizeof(key), "%s_token_id", rmc_special_types[k]);
        if (!rmj_int(rmj_get(rmj_root(c->config), key), &id)) continue;
        if (id < 0) return rmc_fail(c, RM_ERR_VOCAB, "config.json: %s is negative", key);
        if (id >= c->n_vocab) continue;
        for (j = 0; j < v->n_special; j++) have |= strcmp(v->special_name[j], rmc_special_types[k]) == 0;
        if (have) continue;
        v->special_name[v->n_special] = rmc_special_types[k];
        v->special_id[v->n_special++] = (uint32_t)id;
    }
    return RM_OK;
}

static rm_result rmc_set_vocab(rmc_ctx *c, rm_gguf_writer *w, const rmc_vocab *v, const char *pre) {
    char key[64];
    int k;
    rm_result e;
    if (v->scores) {
        /* _set_vocab_sentencepiece: model llama, pre default, scores, no merges */
        if ((e = rm_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama")) || (e = rm_gguf_writer_set_str(w, "tokenizer.ggml.pre", "default")) ||
            (e = rm_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", v->tokens, (uint64_t)c->n_vocab)) ||
            (e = rm_gguf_writer_set_arr(w, "tokenizer.ggml.scores", RM_GGUF_FLOAT32, v->scores, (uint64_t)c->n_vocab)) ||
            (e = rm_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", RM_GGUF_INT32, v->types, (uint64_t)c->n_vocab)))
            return e;
    } else if ((e = rm_gguf_writer_set_str(w, "tokenizer.ggml.model", "gpt2")) || (e = rm_gguf_writer_set_str(w, "tokenizer.ggml.pre", pre)) ||
               (e = rm_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", v->tokens, (uint64_t)c->n_vocab)) ||
               (e = rm_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", RM_GGUF_INT32, v->types, (uint64_t)c->n_vocab)) ||
               (e = rm_gguf_writer_set_arr_str(w, "tokenizer.ggml.merges", v->merges, (uint64_t)v->n_merges))) {
        return e;
    }
    for (k = 0; k < v->n_special; k++) {
        /* gguf-py's key names: unknown_token_id, padding_token_id, the rest <type>_token_id */
        const char *nm = v->special_name[k];
        snprintf(key, sizeof(key), "tokenizer.ggml.%s_token_id", !strcmp(nm, "unk") ? "unknown" : !strcmp(nm, "pad") ? "padding" : nm);
        if ((e = rm_gguf_writer_set_u32(w, key, v->special_id[k]))) return e;
    }
    for (k = 0; k < 7; k++)
        if (v->add_flag[k] >= 0) {
            snprintf(key, sizeof(key), "tokenizer.ggml.add_%s_token", rmc_special_types[k]);
            if ((e = rm_gguf_writer_set_bool(w, key, v->add_flag[k]))) return e;
        }
    return RM_OK;
}

/* The converter's pre-tokenizer check: the tokenization of this text, hashed. */
static const char rmc_chktxt[] =
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\xf0""\x9f""\x9a""\x80"" (normal) \xf0""\x9f""\x98""\xb6"
    "\xe2""\x80""\x8d""\xf0""\x9f""\x8c""\xab""\xef""\xb8""\x8f"" (multiple emojis concatenated) \xe2""\x9c""\x85"
    " \xf0""\x9f""\xa6""\x99""\xf0""\x9f""\xa6""\x99"" 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3.."
    ".3 \xe1""\x9e""\x80""\xe1""\x9e""\xb6""\xe1""\x9e""\x93""\xe1""\x9f""\x8b""\xe1""\x9e""\x8f""\xe1""\x9f""\x82"
    "\xe1""\x9e""\x96""\xe1""\x9e""\xb7""\xe1""\x9e""\x9f""\xe1""\x9f""\x81""\xe1""\x9e""\x9f""\xe1""\x9e""\xa2"
    "\xe1""\x9e""\xb6""\xe1""\x9e""\x85""\xf0""\x9f""\x98""\x81"" ?\xe6""\x88""\x91""\xe6""\x83""\xb3""\xe5""\x9c"
    "\xa8""apple\xe5""\xb7""\xa5""\xe4""\xbd""\x9c""1314151\xe5""\xa4""\xa9""\xef""\xbd""\x9e"" ------======= \xd0"
    "\xbd""\xd0""\xb5""\xd1""\x89""\xd0""\xbe"" \xd0""\xbd""\xd0""\xb0"" \xd0""\x91""\xd1""\x8a""\xd0""\xbb""\xd0"
    "\xb3""\xd0""\xb0""\xd1""\x80""\xd1""\x81""\xd0""\xba""\xd0""\xb8"" ''''''```````\"\"\"\"......!!!!!!??????"
    " I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

/* Hashes of that check for the pre-tokenizers rm.h runs (the values llama.cpp's converter
   table holds for them: Meta-Llama-3, Qwen1.5 (the same for Qwen2, 2.5 and 3), GPT-2). */
static const struct { const char *hash, *pre; } rmc_pre_hashes[] = {
    {"0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5", "llama-bpe"},
    {"e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea", "qwen2"},
    {"3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454", "gpt-2"},
    /* GPT-NeoX-20B's (Pythia's): the table lists it for mpt-7b and OLMo-1.7, and the later
       entry, olmo, is the one it writes */
    {"b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166", "olmo"}};

/* Whether the tokenizer's post-processor puts a special token first (HF's encode adds it). */
static int rmc_post_adds_bos(const rmj_value *pp) {
    size_t i;
    if (rmj_str_eq(rmj_get(pp, "type"), "TemplateProcessing"))
        return rmj_get(rmj_at(rmj_get(pp, "single"), 0), "SpecialToken") != NULL;
    for (i = 0; i < rmj_len(rmj_get(pp, "processors")); i++)
        if (rmc_post_adds_bos(rmj_at(rmj_get(pp, "processors"), i))) return 1;
    return 0;
}

static rm_result rmc_detect_pre(rmc_ctx *c, const rmc_vocab *v, char *pre, size_t cap) {
    size_t p;
    int add_bos = rmc_post_adds_bos(rmj_get(rmj_root(c->tok), "post_processor"));
    int32_t bos = -1;
    int k;
    char first_hash[65] = "";
    for (k = 0; k < v->n_special; k++)
        if (!strcmp(v->special_name[k], "bos")) bos = (int32_t)v->special_id[k];
    for (p = 0; p < sizeof(rmc_pre_hashes) / sizeof(rmc_pre_hashes[0]); p++) {
        rm_gguf_writer *w = NULL;
        rm_gguf *g = NULL;
        rm_vocab *rv = NULL;
        void *mem = NULL;
        size_t size = 0, n = 0, i;
        int32_t ids[1024];
        rmc_sha256 sh;
        char hex[65], num[16];
        rm_result e;
        if ((e = rm_gguf_writer_new(&w))) return rmc_fail(c, e, "out of memory");
        e = rm_gguf_writer_set_str(w, "general.architecture", "llama");
        if (!e) e = rmc_set_vocab(c, w, v, rmc_pre_hashes[p].pre);
        if (!e) e = rm_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", add_bos && bos >= 0);
        if (!e) e = rm_gguf_writer_write_mem(w, &mem, &size);
        if (e) {
            rmc_fail(c, e, "tokenizer: %s", rm_gguf_writer_error(w));
            rm_gguf_writer_free(w);
            return e;
        }
        rm_gguf_writer_free(w);
        if ((e = rm_gguf_open_memory(mem, size, &g)) || (e = rm_vocab_load(g, &rv))) {
            rmc_fail(c, e, "tokenizer: the vocabulary does not load: %s", rv ? rm_vocab_error(rv) : rm_gguf_error(g));
            rm_vocab_free(rv);
            rm_gguf_close(g);
            rm_gguf_writer_free_mem(mem);
            return e;
        }
        e = rm_tokenize(rv, rmc_chktxt, sizeof(rmc_chktxt) - 1, 1, 0, ids, sizeof(ids) / sizeof(ids[0]), &n);
        rm_vocab_free(rv);
        rm_gguf_close(g);
        rm_gguf_writer_free_mem(mem);
        if (e) return rmc_fail(c, e, "tokenizer: the check text does not tokenize: %s", rm_result_string(e));
        /* Python's str() of a list of ints: "[1, 2, 3]" */
        rmc_sha256_init(&sh);
        rmc_sha256_update(&sh, "[", 1);
        for (i = 0; i < n; i++) {
            int len = snprintf(num, sizeof(num), i ? ", %d" : "%d", ids[i]);
            rmc_sha256_update(&sh, num, (size_t)len);
        }
        rmc_sha256_update(&sh, "]", 1);
        rmc_sha256_hex(&sh, hex);
        if (!first_hash[0]) memcpy(first_hash, hex, 65);
        if (strcmp(hex, rmc_pre_hashes[p].hash) == 0) {
            snprintf(pre, cap, "%s", rmc_pre_hashes[p].pre);
            return RM_OK;
        }
    }
    return rmc_fail(c, RM_ERR_VOCAB, "tokenizer.json: the BPE pre-tokenizer is not recognised: no pre-tokenizer rm.h runs (llama-bpe, qwen2, gpt-2, olmo) tokenizes the converter's check text to its hash (first tried gives %s)",
                    first_hash);
}

/* ---- metadata and the whole conversion ---- */

static rm_result rmc_metadata(rmc_ctx *c, rm_gguf_writer *w, const rmc_vocab *v, const char *pre) {
    const char *a = rmc_arch_gguf[c->arch];
    const rmj_value *root = rmj_root(c->config);
    char key[128];
    const char *base;
    double eps = 0, theta;
    rm_result e = RM_OK;
#define RMC_K(s) (snprintf(key, sizeof(key), "%s.%s", a, s), key)
#define RMC_TRY(call) do { if (!e) e = (call); } while (0)
    base = strrchr(c->dir, '/');
    base = base && base[1] ? base + 1 : c->dir;
    RMC_TRY(rm_gguf_writer_set_str(w, "general.architecture", a));
    RMC_TRY(rm_gguf_writer_set_str(w, "general.type", "model"));
    RMC_TRY(rm_gguf_writer_set_str(w, "general.name", base));
    RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("block_count"), (uint32_t)c->n_layer));
    RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("context_length"), (uint32_t)c->n_ctx));
    RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("embedding_length"), (uint32_t)c->n_embd));
    RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("feed_forward_length"), (uint32_t)c->n_ff));
    RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.head_count"), (uint32_t)c->n_head));
    if (c->arch == RMC_GEMMA2 || c->arch == RMC_GPTNEOX) {
        /* their set_gguf_parameters replace the generic one: exactly these keys */
        if (c->arch == RMC_GEMMA2) {
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.head_count_kv"), (uint32_t)c->n_head_kv));
            RMC_TRY(rm_gguf_writer_set_f32(w, RMC_K("attention.layer_norm_rms_epsilon"), (float)rmj_num(rmj_get(root, "rms_norm_eps"))));
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.key_length"), (uint32_t)c->head_dim));
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.value_length"), (uint32_t)c->head_dim));
            RMC_TRY(rm_gguf_writer_set_u32(w, "general.file_type", (uint32_t)c->ft->ftype));
            RMC_TRY(rm_gguf_writer_set_f32(w, RMC_K("attn_logit_softcapping"), (float)rmj_num(rmj_get(root, "attn_logit_softcapping"))));
            RMC_TRY(rm_gguf_writer_set_f32(w, RMC_K("final_logit_softcapping"), (float)rmj_num(rmj_get(root, "final_logit_softcapping"))));
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.sliding_window"), (uint32_t)rmj_num(rmj_get(root, "sliding_window"))));
        } else {
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("rope.dimension_count"), (uint32_t)c->n_rot));
            RMC_TRY(rm_gguf_writer_set_bool(w, RMC_K("use_parallel_residual"), c->parallel_residual));
            RMC_TRY(rm_gguf_writer_set_f32(w, RMC_K("attention.layer_norm_epsilon"), (float)rmj_num(rmj_get(root, "layer_norm_eps"))));
            /* the converter writes no file_type for gptneox; llama-quantize, whose output the
               other types stand for, always does */
            if (c->ft->mix) RMC_TRY(rm_gguf_writer_set_u32(w, "general.file_type", (uint32_t)c->ft->ftype));
        }
        /* not written by the converter, which leaves llama.cpp at its 10000 default: only a
           checkpoint with another base gets it, so that the file computes what HF computes */
        if (c->rope_base != 10000.0) RMC_TRY(rm_gguf_writer_set_f32(w, RMC_K("rope.freq_base"), (float)c->rope_base));
    } else {
        /* the generic set_gguf_parameters (llama, qwen2, qwen3) */
        if (rmj_get(root, "num_key_value_heads")) RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.head_count_kv"), (uint32_t)c->n_head_kv));
        if (!e && rmj_is_number(rmj_get(root, "rope_theta"))) {
            theta = rmj_num(rmj_get(root, "rope_theta"));
            e = rm_gguf_writer_set_f32(w, RMC_K("rope.freq_base"), (float)theta);
        }
        if (!e && rmc_cfg_num(c, "rms_norm_eps", 1e-6, &eps) == RM_OK && rmj_get(root, "rms_norm_eps"))
            e = rm_gguf_writer_set_f32(w, RMC_K("attention.layer_norm_rms_epsilon"), (float)eps);
        if (c->has_head_dim) {
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.key_length"), (uint32_t)c->head_dim));
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("attention.value_length"), (uint32_t)c->head_dim));
        }
        RMC_TRY(rm_gguf_writer_set_u32(w, "general.file_type", (uint32_t)c->ft->ftype));
        if (c->arch == RMC_LLAMA) {
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("vocab_size"), (uint32_t)c->n_vocab));
            RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("rope.dimension_count"), (uint32_t)c->head_dim));
        }
    }
    if (c->seqcls) {
        const rmj_value *l = rmj_get(root, "id2label");
        int64_t i;
        int dummy = 1;
        RMC_TRY(rm_gguf_writer_set_u32(w, RMC_K("pooling_type"), 3)); /* LAST */
        for (i = 0; i < c->n_labels; i++) {
            char k[32], d[32];
            snprintf(k, sizeof(k), "%lld", (long long)i);
            snprintf(d, sizeof(d), "LABEL_%lld", (long long)i);
            if (!rmj_str_eq(rmj_get(l, k), d)) dummy = 0;
        }
        if (!dummy && !e) {
            rm_str *names = (rm_str *)calloc((size_t)c->n_labels, sizeof(rm_str));
            if (!names) return rmc_fail(c, RM_ERR_NOMEM, "out of memory");
            for (i = 0; i < c->n_labels; i++) {
                char k[32];
                snprintf(k, sizeof(k), "%lld", (long long)i);
                if (!rmj_is_string(rmj_get(l, k))) {
                    free(names);
                    return rmc_fail(c, RM_ERR_HPARAM, "config.json: id2label has no name for label %lld of %lld", (long long)i, (long long)c->n_labels);
                }
                names[i].ptr = rmj_get(l, k)->str;
                names[i].len = rmj_get(l, k)->len;
            }
            e = rm_gguf_writer_set_arr_str(w, RMC_K("classifier.output_labels"), names, (uint64_t)c->n_labels);
            free(names);
        }
    }
    if (!e) e = rmc_set_vocab(c, w, v, pre);
    if (!e && c->tokcfg && rmj_is_string(rmj_get(rmj_root(c->tokcfg), "chat_template")))
        e = rm_gguf_writer_set_str(w, "tokenizer.chat_template", rmj_get(rmj_root(c->tokcfg), "chat_template")->str);
    if (!e && c->arch == RMC_LLAMA && c->tokcfg && rmj_is_bool(rmj_get(rmj_root(c->tokcfg), "add_prefix_space")))
        e = rm_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", rmj_bool(rmj_get(rmj_root(c->tokcfg), "add_prefix_space")));
    if (!e && c->arch == RMC_GEMMA2) e = rm_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", 0); /* Gemma2Model.set_vocab */
    RMC_TRY(rm_gguf_writer_set_u32(w, "general.quantization_version", 2));
    if (e) return rmc_fail(c, e, "gguf: %s", rm_gguf_writer_error(w));
#undef RMC_K
#undef RMC_TRY
    return RM_OK;
}

static rm_result rmc_convert(rmc_ctx *c, const char *out_path) {
    rmc_vocab v;
    rm_gguf_writer *w = NULL;
    char pre[64];
    int64_t i;
    rm_result e;
    memset(&v, 0, sizeof(v));
    if ((e = rmc_json(c, "config.json", 1, &c->config)) || (e = rmc_read_config(c))) return e;
    if ((e = rmc_json(c, "tokenizer.json", 1, &c->tok)) || (e = rmc_json(c, "tokenizer_config.json", 0, &c->tokcfg))) return e;
    if ((e = rmc_open_shards(c)) || (e = rmc_plan(c))) return e;
    if (c->arch == RMC_GEMMA2 && (e = rmc_read_spm(c))) return e;
    snprintf(pre, sizeof(pre), "default");
    if ((e = rmc_build_vocab(c, &v)) || (c->arch != RMC_GEMMA2 && (e = rmc_detect_pre(c, &v, pre, sizeof(pre))))) {
        rmc_vocab_free(&v, c->n_vocab);
        return e;
    }
    if ((e = rm_gguf_writer_new(&w))) {
        rmc_vocab_free(&v, c->n_vocab);
        return rmc_fail(c, e, "out of memory");
    }
    e = rmc_metadata(c, w, &v, pre);
    for (i = 0; !e && i < c->n_t; i++) {
        const rmc_tensor *t = &c->t[i];
        size_t nb = rm_type_block_bytes(t->type) * (size_t)(t->ne[0] / rm_type_block_size(t->type)) * (size_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        if ((e = rm_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, NULL, nb))) rmc_fail(c, e, "gguf: %s", rm_gguf_writer_error(w));
    }
    if (!e) {
        rm_gguf_writer_set_fill(w, rmc_fill, c);
        c->err[0] = 0;
        e = rm_gguf_writer_write_file(w, out_path);
        if (e && !c->err[0]) rmc_fail(c, e, "%s", rm_gguf_writer_error(w));
        else if (e) {
            char tmp[1024];
            snprintf(tmp, sizeof(tmp), "%s", c->err);
            rmc_fail(c, e, "%s", tmp);
        }
    }
    rm_gguf_writer_free(w);
    rmc_vocab_free(&v, c->n_vocab);
    return e;
}

static void rmc_free(rmc_ctx *c) {
    int i;
    for (i = 0; i < c->n_shards; i++) {
        rmst_close(c->shards[i]);
        free(c->shard_names[i]);
    }
    rmj_free(c->config);
    rmj_free(c->tok);
    rmj_free(c->tokcfg);
    free(c->t);
    free(c->rope_freqs);
    free(c->spm_raw);
    free(c->pieces);
    free(c->raw);
    free(c->row);
}

static const rmo_opt rmc_opts[] = {
    {"--output|-o", "OUT.gguf", "the GGUF to write (through a temporary file: nothing is left on error)", RMO_REQUIRED},
    {"--type", "f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k_m|q5_k_m|q6_k", "weight type (default f16; norms, biases and the reward head stay F32)", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rmc_cmd = {
    "convert", "a Hugging Face checkpoint (safetensors; Llama, Qwen2, Qwen3, Gemma 2, GPT-NeoX, causal LM or reward model) to GGUF", "HF_DIR", 1,
    rmc_opts,
    "HF_DIR holds config.json, model.safetensors (or model.safetensors.index.json and its shards),\n"
    "tokenizer.json and tokenizer_config.json (and tokenizer.model for Gemma 2). The GGUF is laid\n"
    "out as llama.cpp's converter lays out the causal-LM checkpoint; a *ForSequenceClassification\n"
    "score.weight becomes cls.output.weight for rmtool score --mode explicit."};

/* argv: the arguments after "convert". */
static int rmtool_convert(int argc, char **argv) {
    const char *dir, *out, *type;
    rmc_ctx c;
    size_t k;
    rm_result e;
    rmo_args a;
    int prc = rmo_parse(&rmc_cmd, argc, argv, &a);
    if (prc >= 0) return prc;
    dir = a.npos ? a.pos[0] : NULL;
    out = rmo_get(&a, "--output");
    type = rmo_get(&a, "--type") ? rmo_get(&a, "--type") : "f16";
    if (!dir) return rmo_error(&rmc_cmd, "give the HF_DIR to convert");
    memset(&c, 0, sizeof(c));
    c.dir = dir;
    for (k = 0; k < sizeof(rmc_ftypes) / sizeof(rmc_ftypes[0]); k++)
        if (!strcmp(type, rmc_ftypes[k].name)) c.ft = &rmc_ftypes[k];
    if (!c.ft) return die("convert: --type '%s' is not one of f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k_m q5_k_m q6_k", type);
    e = rmc_convert(&c, out);
    if (e) die("convert: %s", c.err[0] ? c.err : rm_result_string(e));
    else fprintf(stderr, "convert: wrote %s (%lld tensors, %s)\n", out, (long long)c.n_t, c.ft->name);
    rmc_free(&c);
    return e ? 1 : 0;
}

#endif /* RMTOOL_CONVERT_H */
