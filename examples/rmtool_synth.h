/* rmtool synth: writes a random-weight GGUF with the tensor names, shapes, types and metadata
   keys that llama.cpp's convert_hf_to_gguf.py (f32, f16, bf16) and llama-quantize (q8_0, q4_0,
   q4_k_m) write for a real model, so that loaders, kernels and benchmarks can run on real
   shapes without the real weights.

       rmtool synth --preset qwen2.5-0.5b --type q8_0 -o q.gguf [--seed N] [--layers N] [--vocab N]

   Included by examples/rmtool.c after rm.h (with RM_IMPLEMENTATION); the dispatcher calls
   rmtool_synth(argc, argv) with argv[0] the subcommand name and the options after it.

   What is real: every hyperparameter from the model's HF config.json, the converter's tensor
   order (HF safetensors order: lexicographic, so blk.10 comes before blk.2) and transforms
   (llama3 rope_freqs.weight, gemma2 norms with the +1 folded in, gptneox fused [Q;K;V]), and
   llama-quantize's tensor order and type mix (Q6_K lm head, the use_more_bits layers of
   attn_v/ffn_down for Q4_K_M, fallbacks when a row is not a multiple of 256).
   What is a stand-in: the tokenizer. It is an SPM ("llama") vocabulary of the model's real
   size (so token_embd and output keep their real shapes): <unk> <s> </s>, the 256 byte
   pieces <0x00>..<0xFF>, "▁" and the printable ASCII characters, "▁" + each letter, and
   placeholder pieces "tok<N>" to fill up. BOS 1, EOS 2, UNK 0.
   Weights are N(0, sigma) (Irwin-Hall of four uniforms) with sigma chosen so that activations
   stay O(1), the scheme of the test fixtures: q/k 1.6/sqrt(d), v and gate/up 1/sqrt(d),
   o 1/sqrt(n_head*head_dim), down 1/sqrt(ff), lm head and tied embeddings 3/sqrt(d), untied
   input embeddings 1; norm weights 1 + N(0, 0.1), biases N(0, 0.1). Each row has its own
   generator seeded from (seed, tensor name, row), so a tensor's values do not depend on the
   output type: the q8_0 file is the f32 file quantized. Tensors are generated while the file
   is written (the writer's fill callback), one at a time. */
#ifndef RMTOOL_SYNTH_H
#define RMTOOL_SYNTH_H
#include "rmtool_opts.h"
#include "rm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <stdarg.h>

static rm_result rmts_fail(char *buf, size_t cap, rm_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return r;
}

typedef enum rmts_arch { RMTS_LLAMA, RMTS_QWEN2, RMTS_QWEN3, RMTS_GEMMA2, RMTS_GPTNEOX } rmts_arch;

typedef struct rmts_preset {
    const char *preset, *name, *basename, *size_label, *license;
    rmts_arch arch;
    int n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx;
    double rope_theta, eps;
    int tied;          /* no output.weight: token_embd is the lm head */
    int write_head_dim;/* config.json has head_dim: key_length/value_length written */
    int add_bos;
    /* llama3 rope scaling (rope_freqs.weight), 0 when absent */
    double rope_factor, rope_low, rope_high;
    int rope_orig_ctx;
    /* gemma2 */
    double attn_softcap, final_softcap;
    int sliding_window;
    /* gptneox */
    double rotary_pct;
} rmts_preset;

/* From each model's HF config.json (Qwen2.5 and Qwen3: the Instruct releases). */
static const rmts_preset rmts_presets[] = {
    {"qwen2.5-0.5b", "Qwen2.5 0.5B Instruct", "Qwen2.5", "0.5B", "apache-2.0", RMTS_QWEN2,
     24, 896, 14, 2, 64, 4864, 151936, 32768, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"qwen2.5-1.5b", "Qwen2.5 1.5B Instruct", "Qwen2.5", "1.5B", "apache-2.0", RMTS_QWEN2,
     28, 1536, 12, 2, 128, 8960, 151936, 32768, 1000000.0, 1e-6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"llama-3.2-1b", "Llama 3.2 1B Instruct", "Llama-3.2", "1B", "llama3.2", RMTS_LLAMA,
     16, 2048, 32, 8, 64, 8192, 128256, 131072, 500000.0, 1e-5, 1, 1, 1, 32.0, 1.0, 4.0, 8192, 0, 0, 0, 0},
    {"llama-3.2-3b", "Llama 3.2 3B Instruct", "Llama-3.2", "3B", "llama3.2", RMTS_LLAMA,
     28, 3072, 24, 8, 128, 8192, 128256, 131072, 500000.0, 1e-5, 1, 1, 1, 32.0, 1.0, 4.0, 8192, 0, 0, 0, 0},
    {"qwen3-0.6b", "Qwen3 0.6B", "Qwen3", "0.6B", "apache-2.0", RMTS_QWEN3,
     28, 1024, 16, 8, 128, 3072, 151936, 40960, 1000000.0, 1e-6, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"gemma-2-2b", "Gemma 2 2b It", "gemma-2", "2B", "gemma", RMTS_GEMMA2,
     26, 2304, 8, 4, 256, 9216, 256000, 8192, 10000.0, 1e-6, 1, 1, 1, 0, 0, 0, 0, 50.0, 30.0, 4096, 0},
    {"pythia-1b", "Pythia 1b", "pythia", "1B", "apache-2.0", RMTS_GPTNEOX,
     16, 2048, 8, 8, 256, 8192, 50304, 2048, 10000.0, 1e-5, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0.25},
};

/* Output types, by llama.cpp's ftype numbers (general.file_type). */
typedef struct rmts_ftype { const char *name; int ftype; int default_type; } rmts_ftype;
static const rmts_ftype rmts_ftypes[] = {
    {"f32", 0, RM_TYPE_F32}, {"f16", 1, RM_TYPE_F16}, {"bf16", 32, RM_TYPE_BF16},
    {"q8_0", 7, RM_TYPE_Q8_0}, {"q4_0", 2, RM_TYPE_Q4_0}, {"q4_k_m", 15, RM_TYPE_Q4_K},
};
#define RMTS_FTYPE_Q4_K_M 15

typedef enum rmts_init { RMTS_GAUSS, RMTS_ROPE_FREQS, RMTS_QKV } rmts_init;

typedef struct rmts_tensor {
    char name[64];
    int type;
    int n_dims;
    int64_t ne[2];
    rmts_init init;
    float mean, sigma, sigma2; /* sigma2: the V rows of a fused QKV */
    int layer;                 /* -1 outside the blocks */
} rmts_tensor;

typedef struct rmts_model {
    const rmts_preset *p;
    const rmts_ftype *ft;
    uint64_t seed;
    rmts_tensor *t;
    int n_t, cap_t;
} rmts_model;

static int rmts_add(rmts_model *m, int layer, const char *suffix, int64_t ne0, int64_t ne1, float mean, float sigma) {
    rmts_tensor *t;
    if (m->n_t == m->cap_t) {
        int cap = m->cap_t ? m->cap_t * 2 : 256;
        rmts_tensor *nt = (rmts_tensor *)realloc(m->t, (size_t)cap * sizeof(rmts_tensor));
        if (!nt) return 0;
        m->t = nt;
        m->cap_t = cap;
    }
    t = &m->t[m->n_t++];
    memset(t, 0, sizeof(*t));
    if (layer >= 0) snprintf(t->name, sizeof(t->name), "blk.%d.%s", layer, suffix);
    else snprintf(t->name, sizeof(t->name), "%s", suffix);
    t->n_dims = ne1 > 0 ? 2 : 1;
    t->ne[0] = ne0;
    t->ne[1] = ne1 > 0 ? ne1 : 1;
    t->init = RMTS_GAUSS;
    t->mean = mean;
    t->sigma = sigma;
    t->layer = layer;
    return 1;
}

/* One block's tensors, in the order of their HF names sorted as strings. */
static int rmts_add_block(rmts_model *m, int il) {
    const rmts_preset *p = m->p;
    int64_t d = p->n_embd, hd = p->head_dim, q = (int64_t)p->n_head * hd, kv = (int64_t)p->n_head_kv * hd, ff = p->n_ff;
    float sd = 1.0f / sqrtf((float)d), sq = 1.6f * sd, so = 1.0f / sqrtf((float)q), sf = 1.0f / sqrtf((float)ff);
    int ok = 1;
    if (p->arch == RMTS_GPTNEOX) {
        /* attention.dense, attention.query_key_value, input_layernorm, mlp.dense_4h_to_h,
           mlp.dense_h_to_4h, post_attention_layernorm; each bias before its weight */
        ok = ok && rmts_add(m, il, "attn_output.bias", d, 0, 0, 0.1f) && rmts_add(m, il, "attn_output.weight", d, d, 0, so);
        ok = ok && rmts_add(m, il, "attn_qkv.bias", 3 * d, 0, 0, 0.1f) && rmts_add(m, il, "attn_qkv.weight", d, 3 * d, 0, sq);
        if (ok) {
            m->t[m->n_t - 1].init = RMTS_QKV;
            m->t[m->n_t - 1].sigma2 = sd;
        }
        ok = ok && rmts_add(m, il, "attn_norm.bias", d, 0, 0, 0.1f) && rmts_add(m, il, "attn_norm.weight", d, 0, 1, 0.1f);
        ok = ok && rmts_add(m, il, "ffn_down.bias", d, 0, 0, 0.1f) && rmts_add(m, il, "ffn_down.weight", ff, d, 0, sf);
        ok = ok && rmts_add(m, il, "ffn_up.bias", ff, 0, 0, 0.1f) && rmts_add(m, il, "ffn_up.weight", d, ff, 0, sd);
        ok = ok && rmts_add(m, il, "ffn_norm.bias", d, 0, 0, 0.1f) && rmts_add(m, il, "ffn_norm.weight", d, 0, 1, 0.1f);
        return ok;
    }
    if (p->arch == RMTS_GEMMA2) sq = 3.5f * sd; /* lets the attention soft-cap act */
    if (p->arch == RMTS_QWEN3) sq = sd;         /* its q/k norms (about 1.7) scale instead */
    /* input_layernorm, mlp.{down,gate,up}_proj, post_attention_layernorm,
       [gemma2: post_feedforward_layernorm, pre_feedforward_layernorm],
       self_attn.{k_norm,k_proj,o_proj,q_norm,q_proj,v_proj} */
    ok = ok && rmts_add(m, il, "attn_norm.weight", d, 0, 1, 0.1f);
    ok = ok && rmts_add(m, il, "ffn_down.weight", ff, d, 0, sf);
    ok = ok && rmts_add(m, il, "ffn_gate.weight", d, ff, 0, sd);
    ok = ok && rmts_add(m, il, "ffn_up.weight", d, ff, 0, sd);
    if (p->arch == RMTS_GEMMA2) {
        ok = ok && rmts_add(m, il, "post_attention_norm.weight", d, 0, 1, 0.1f);
        ok = ok && rmts_add(m, il, "post_ffw_norm.weight", d, 0, 1, 0.1f);
        ok = ok && rmts_add(m, il, "ffn_norm.weight", d, 0, 1, 0.1f);
    } else {
        ok = ok && rmts_add(m, il, "ffn_norm.weight", d, 0, 1, 0.1f);
    }
    if (p->arch == RMTS_QWEN3) ok = ok && rmts_add(m, il, "attn_k_norm.weight", hd, 0, 1.7f, 0.3f);
    if (p->arch == RMTS_QWEN2) ok = ok && rmts_add(m, il, "attn_k.bias", kv, 0, 0, 0.2f);
    ok = ok && rmts_add(m, il, "attn_k.weight", d, kv, 0, sq);
    ok = ok && rmts_add(m, il, "attn_output.weight", q, d, 0, so);
    if (p->arch == RMTS_QWEN3) ok = ok && rmts_add(m, il, "attn_q_norm.weight", hd, 0, 1.7f, 0.3f);
    if (p->arch == RMTS_QWEN2) ok = ok && rmts_add(m, il, "attn_q.bias", q, 0, 0, 0.2f);
    ok = ok && rmts_add(m, il, "attn_q.weight", d, q, 0, sq);
    if (p->arch == RMTS_QWEN2) ok = ok && rmts_add(m, il, "attn_v.bias", kv, 0, 0, 0.2f);
    ok = ok && rmts_add(m, il, "attn_v.weight", d, kv, 0, sd);
    return ok;
}

static int rmts_cmp_layer_str(const void *a, const void *b) {
    char sa[16], sb[16];
    snprintf(sa, sizeof(sa), "%d", *(const int *)a);
    snprintf(sb, sizeof(sb), "%d", *(const int *)b);
    return strcmp(sa, sb);
}

/* llama-quantize's order (llama_model_loader's weight_name_comparer): tensors outside the
   blocks first, then by block number, each group by name. */
static int rmts_cmp_quantize_order(const void *a, const void *b) {
    const rmts_tensor *x = (const rmts_tensor *)a, *y = (const rmts_tensor *)b;
    if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int rmts_ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int rmts_use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

/* llama-quantize's choice for one tensor (llama_tensor_get_type_impl and
   tensor_type_fallback, for the ftypes offered here). */
static int rmts_quant_type(const rmts_model *m, const rmts_tensor *t, int i_attn_v) {
    int ftype = m->ft->ftype, def = m->ft->default_type, nt = def;
    int64_t blck;
    const char *n = t->name;
    /* only 2-D "...weight" tensors that are not norms are quantized */
    if (t->n_dims < 2 || !rmts_ends_with(n, "weight") || strstr(n, "_norm.weight")) return t->type;
    if (!strcmp(n, "output.weight") || (m->p->tied && !strcmp(n, "token_embd.weight"))) {
        if (t->ne[0] % rm_type_block_size(def) != 0) nt = RM_TYPE_Q8_0;
        else if (def != RM_TYPE_Q8_0) nt = RM_TYPE_Q6_K;
    } else if (!strcmp(n, "token_embd.weight")) {
        nt = def;
    } else if (strstr(n, "attn_v.weight") || strstr(n, "attn_qkv.weight")) {
        /* attn_qkv counts as attention-V here, before its own Q5_K rule is reached */
        if (ftype == RMTS_FTYPE_Q4_K_M && rmts_use_more_bits(i_attn_v, m->p->n_layer)) nt = RM_TYPE_Q6_K;
    } else if (strstr(n, "ffn_down")) {
        if (ftype == RMTS_FTYPE_Q4_K_M && rmts_use_more_bits(t->layer, m->p->n_layer)) nt = RM_TYPE_Q6_K;
    }
    /* rows that are not a whole number of 256-blocks */
    blck = 256;
    if ((nt == RM_TYPE_Q4_K || nt == RM_TYPE_Q6_K || nt == RM_TYPE_Q5_K) && t->ne[0] % blck != 0) {
        nt = nt == RM_TYPE_Q4_K ? RM_TYPE_Q5_0 : nt == RM_TYPE_Q6_K ? RM_TYPE_Q8_0 : RM_TYPE_Q5_1;
        if (t->ne[0] % 32 != 0) nt = RM_TYPE_F16;
    } else if (t->ne[0] % rm_type_block_size(nt) != 0) {
        nt = RM_TYPE_F16; /* Q8_0/Q4_0 have no fallback in llama-quantize: it would refuse */
    }
    return nt;
}

static rm_result rmts_plan(rmts_model *m, char *err, size_t errcap) {
    const rmts_preset *p = m->p;
    int64_t d = p->n_embd, V = p->n_vocab;
    float sd = 1.0f / sqrtf((float)d);
    int *order, il, i, quantized = m->ft->ftype != 0 && m->ft->ftype != 1 && m->ft->ftype != 32;
    int ok = 1;
    order = (int *)malloc(sizeof(int) * (size_t)(p->n_layer > 0 ? p->n_layer : 1));
    if (!order) return rmts_fail(err, errcap, RM_ERR_NOMEM, "synth: out of memory");
    for (il = 0; il < p->n_layer; il++) order[il] = il;
    /* the converter follows the safetensors order, where "layers.10" sorts before "layers.2" */
    qsort(order, (size_t)p->n_layer, sizeof(int), rmts_cmp_layer_str);
    if (p->rope_factor > 0) { /* generated tensors come before the checkpoint's */
        ok = ok && rmts_add(m, -1, "rope_freqs.weight", p->head_dim / 2, 0, 0, 0);
        if (ok) m->t[m->n_t - 1].init = RMTS_ROPE_FREQS;
    }
    if (p->arch == RMTS_GPTNEOX) {
        /* embed_out, gpt_neox.embed_in, gpt_neox.final_layer_norm, gpt_neox.layers.* */
        ok = ok && rmts_add(m, -1, "output.weight", d, V, 0, 3.0f * sd);
        ok = ok && rmts_add(m, -1, "token_embd.weight", d, V, 0, 1.0f);
        ok = ok && rmts_add(m, -1, "output_norm.bias", d, 0, 0, 0.1f) && rmts_add(m, -1, "output_norm.weight", d, 0, 1, 0.1f);
        for (i = 0; ok && i < p->n_layer; i++) ok = rmts_add_block(m, order[i]);
    } else {
        /* lm_head, model.embed_tokens, model.layers.*, model.norm */
        if (!p->tied) ok = ok && rmts_add(m, -1, "output.weight", d, V, 0, 3.0f * sd);
        ok = ok && rmts_add(m, -1, "token_embd.weight", d, V, 0,
                            p->arch == RMTS_GEMMA2 ? sd : p->tied ? 3.0f * sd : 1.0f);
        for (i = 0; ok && i < p->n_layer; i++) ok = rmts_add_block(m, order[i]);
        ok = ok && rmts_add(m, -1, "output_norm.weight", d, 0, 1, 0.1f);
    }
    free(order);
    if (!ok) return rmts_fail(err, errcap, RM_ERR_NOMEM, "synth: out of memory");
    /* the converter: 1-D tensors and norms in F32, the rest in the output type */
    for (i = 0; i < m->n_t; i++) {
        rmts_tensor *t = &m->t[i];
        int keep_f32 = t->n_dims < 2 || rmts_ends_with(t->name, "_norm.weight");
        t->type = (keep_f32 || quantized) ? RM_TYPE_F32 : m->ft->default_type;
        if (quantized && !keep_f32) t->type = RM_TYPE_F16; /* what llama-quantize is given */
    }
    if (quantized) {
        int i_attn_v = 0;
        qsort(m->t, (size_t)m->n_t, sizeof(rmts_tensor), rmts_cmp_quantize_order);
        for (i = 0; i < m->n_t; i++) {
            rmts_tensor *t = &m->t[i];
            int is_v = strstr(t->name, "attn_v.weight") || strstr(t->name, "attn_qkv.weight");
            t->type = rmts_quant_type(m, t, i_attn_v);
            if (is_v) i_attn_v++;
        }
    }
    return RM_OK;
}

/* ---- random numbers: splitmix64 for seeding, xorshift64* for the stream ---- */
static uint64_t rmts_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
static uint64_t rmts_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}
static uint64_t rmts_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (uint8_t)*s++) * 1099511628211ull;
    return h;
}

/* Standard normal, approximately: the sum of four 16-bit uniforms (one 64-bit draw), centred
   and scaled to unit variance. Tails end at 3.46 sigma, which random weights do not miss. */
static float rmts_gauss(uint64_t *s) {
    uint64_t r = rmts_next(s);
    float u = (float)(r & 0xffff) + (float)((r >> 16) & 0xffff) + (float)((r >> 32) & 0xffff) + (float)(r >> 48);
    return (u * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

static void rmts_row(const rmts_model *m, const rmts_tensor *t, int64_t row, float *out) {
    int64_t j, n = t->ne[0];
    uint64_t s = rmts_mix(m->seed ^ rmts_mix(rmts_hash(t->name) + (uint64_t)row * 0x9e3779b97f4a7c15ull));
    float sigma = t->sigma;
    if (s == 0) s = 1;
    if (t->init == RMTS_ROPE_FREQS) {
        /* LlamaModel.generate_extra_tensors: per-frequency factors of llama3 rope scaling */
        const rmts_preset *p = m->p;
        double lo_wl = p->rope_orig_ctx / p->rope_low, hi_wl = p->rope_orig_ctx / p->rope_high;
        int dim = p->head_dim;
        for (j = 0; j < n; j++) {
            double freq = 1.0 / pow(p->rope_theta, (double)(2 * j) / dim), wl = 2.0 * 3.14159265358979323846 / freq;
            double f;
            if (wl < hi_wl) f = 1.0;
            else if (wl > lo_wl) f = p->rope_factor;
            else {
                double smooth = (p->rope_orig_ctx / wl - p->rope_low) / (p->rope_high - p->rope_low);
                f = 1.0 / ((1.0 - smooth) / p->rope_factor + smooth);
            }
            out[j] = (float)f;
        }
        return;
    }
    if (t->init == RMTS_QKV && row >= 2 * (t->ne[1] / 3)) sigma = t->sigma2;
    for (j = 0; j < n; j++) out[j] = t->mean + sigma * rmts_gauss(&s);
}

static rm_result rmts_fill(void *user, int64_t index, const char *name, void *dst, size_t nbytes) {
    const rmts_model *m = (const rmts_model *)user;
    const rmts_tensor *t = &m->t[index];
    int64_t rows = t->ne[1], r;
    size_t row_bytes = nbytes / (size_t)rows;
    int failed = 0;
    (void)name;
#ifdef _OPENMP
#pragma omp parallel reduction(| : failed)
#endif
    {
        float *buf = (float *)malloc(sizeof(float) * (size_t)t->ne[0]);
        if (!buf) failed = 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
        for (r = 0; r < rows; r++) {
            if (!buf) continue;
            rmts_row(m, t, r, buf);
            if (rm_quantize_row(t->type, buf, (uint8_t *)dst + (size_t)r * row_bytes, t->ne[0]) != row_bytes) failed = 1;
        }
        free(buf);
    }
    return failed ? RM_ERR_GGUF_TENSOR_TYPE : RM_OK;
}

/* Stand-in SPM vocabulary of exactly n pieces (see the top of this file). */
static rm_result rmts_vocab(rm_gguf_writer *w, int n, char *err, size_t errcap) {
    rm_str *toks = (rm_str *)calloc((size_t)n, sizeof(rm_str));
    float *scores = (float *)calloc((size_t)n, sizeof(float));
    int32_t *types = (int32_t *)calloc((size_t)n, sizeof(int32_t));
    char *pool = (char *)malloc((size_t)n * 16);
    size_t used = 0;
    int i, k = 0, c;
    rm_result e = RM_OK;
    if (!toks || !scores || !types || !pool) {
        e = rmts_fail(err, errcap, RM_ERR_NOMEM, "synth: out of memory for the vocabulary");
        goto done;
    }
    if (n < 3 + 256 + 1) {
        e = rmts_fail(err, errcap, RM_ERR_HPARAM, "synth: a vocabulary needs at least 260 pieces, not %d", n);
        goto done;
    }
#define RMTS_PIECE(...)                                                                   \
    do {                                                                                  \
        int len_ = snprintf(pool + used, 16, __VA_ARGS__);                                \
        toks[k].ptr = pool + used;                                                        \
        toks[k].len = (size_t)len_;                                                       \
        used += (size_t)len_ + 1;                                                         \
    } while (0)
    RMTS_PIECE("<unk>"); types[k++] = 2;
    RMTS_PIECE("<s>"); types[k++] = 3;
    RMTS_PIECE("</s>"); types[k++] = 3;
    for (c = 0; c < 256; c++) { RMTS_PIECE("<0x%02X>", c); types[k++] = 6; }
    RMTS_PIECE("\xe2\x96\x81"); types[k] = 1; scores[k] = -(float)k; k++;
    for (c = 0x21; c < 0x7f && k < n; c++) { RMTS_PIECE("%c", c); types[k] = 1; scores[k] = -(float)k; k++; }
    for (c = 0; c < 52 && k < n; c++) {
        RMTS_PIECE("\xe2\x96\x81%c", c < 26 ? 'a' + c : 'A' + c - 26);
        types[k] = 1; scores[k] = -(float)k; k++;
    }
    for (i = 0; k < n; i++) { RMTS_PIECE("tok%d", i); types[k] = 1; scores[k] = -(float)k; k++; }
#undef RMTS_PIECE
    if ((e = rm_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama")) ||
        (e = rm_gguf_writer_set_str(w, "tokenizer.ggml.pre", "default")) ||
        (e = rm_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, (uint64_t)n)) ||
        (e = rm_gguf_writer_set_arr(w, "tokenizer.ggml.scores", RM_GGUF_FLOAT32, scores, (uint64_t)n)) ||
        (e = rm_gguf_writer_set_arr(w, "tokenizer.ggml.token_type", RM_GGUF_INT32, types, (uint64_t)n)))
        rmts_fail(err, errcap, e, "synth: %s", rm_gguf_writer_error(w));
done:
    free(toks);
    free(scores);
    free(types);
    free(pool);
    return e;
}

/* Metadata in the converter's order; llama-quantize then moves quantization_version and
   file_type to the end (ggml's gguf_set_val removes the key and appends it). */
static rm_result rmts_metadata(rm_gguf_writer *w, const rmts_model *m, char *err, size_t errcap) {
    const rmts_preset *p = m->p;
    char key[128], desc[160];
    const char *a;
    rm_result e = RM_OK;
    int quantized = m->ft->ftype != 0 && m->ft->ftype != 1 && m->ft->ftype != 32;
    switch (p->arch) {
    case RMTS_QWEN2: a = "qwen2"; break;
    case RMTS_QWEN3: a = "qwen3"; break;
    case RMTS_GEMMA2: a = "gemma2"; break;
    case RMTS_GPTNEOX: a = "gptneox"; break;
    default: a = "llama"; break;
    }
#define RMTS_K(suffix) (snprintf(key, sizeof(key), "%s.%s", a, suffix), key)
#define RMTS_TRY(call) do { if (e == RM_OK && (e = (call)) != RM_OK) rmts_fail(err, errcap, e, "synth: %s", rm_gguf_writer_error(w)); } while (0)
    snprintf(desc, sizeof(desc), "RANDOM WEIGHTS (rmtool synth --preset %s --seed %llu)", p->preset, (unsigned long long)m->seed);
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.architecture", a));
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.type", "model"));
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.name", p->name));
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.description", desc));
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.basename", p->basename));
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.size_label", p->size_label));
    RMTS_TRY(rm_gguf_writer_set_str(w, "general.license", p->license));
    if (p->arch == RMTS_GEMMA2 || p->arch == RMTS_GPTNEOX) {
        /* Gemma2Model and GPTNeoXModel write their own short list */
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("context_length"), (uint32_t)p->n_ctx));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("embedding_length"), (uint32_t)p->n_embd));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("block_count"), (uint32_t)p->n_layer));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("feed_forward_length"), (uint32_t)p->n_ff));
        if (p->arch == RMTS_GPTNEOX) {
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("rope.dimension_count"), (uint32_t)(p->rotary_pct * p->head_dim)));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.head_count"), (uint32_t)p->n_head));
            RMTS_TRY(rm_gguf_writer_set_bool(w, RMTS_K("use_parallel_residual"), 1));
            RMTS_TRY(rm_gguf_writer_set_f32(w, RMTS_K("attention.layer_norm_epsilon"), (float)p->eps));
        } else {
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.head_count"), (uint32_t)p->n_head));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.head_count_kv"), (uint32_t)p->n_head_kv));
            RMTS_TRY(rm_gguf_writer_set_f32(w, RMTS_K("attention.layer_norm_rms_epsilon"), (float)p->eps));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.key_length"), (uint32_t)p->head_dim));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.value_length"), (uint32_t)p->head_dim));
            RMTS_TRY(rm_gguf_writer_set_u32(w, "general.file_type", (uint32_t)m->ft->ftype));
            RMTS_TRY(rm_gguf_writer_set_f32(w, RMTS_K("attn_logit_softcapping"), (float)p->attn_softcap));
            RMTS_TRY(rm_gguf_writer_set_f32(w, RMTS_K("final_logit_softcapping"), (float)p->final_softcap));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.sliding_window"), (uint32_t)p->sliding_window));
        }
    } else {
        /* TextModel.set_gguf_parameters, then LlamaModel's vocab_size and rope dimensions */
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("block_count"), (uint32_t)p->n_layer));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("context_length"), (uint32_t)p->n_ctx));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("embedding_length"), (uint32_t)p->n_embd));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("feed_forward_length"), (uint32_t)p->n_ff));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.head_count"), (uint32_t)p->n_head));
        RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.head_count_kv"), (uint32_t)p->n_head_kv));
        RMTS_TRY(rm_gguf_writer_set_f32(w, RMTS_K("rope.freq_base"), (float)p->rope_theta));
        RMTS_TRY(rm_gguf_writer_set_f32(w, RMTS_K("attention.layer_norm_rms_epsilon"), (float)p->eps));
        if (p->write_head_dim) {
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.key_length"), (uint32_t)p->head_dim));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("attention.value_length"), (uint32_t)p->head_dim));
        }
        RMTS_TRY(rm_gguf_writer_set_u32(w, "general.file_type", (uint32_t)m->ft->ftype));
        if (p->arch == RMTS_LLAMA) {
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("vocab_size"), (uint32_t)p->n_vocab));
            RMTS_TRY(rm_gguf_writer_set_u32(w, RMTS_K("rope.dimension_count"), (uint32_t)p->head_dim));
        }
    }
    RMTS_TRY(rm_gguf_writer_set_u32(w, "general.quantization_version", 2));
    if (e == RM_OK) e = rmts_vocab(w, p->n_vocab, err, errcap);
    RMTS_TRY(rm_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1));
    RMTS_TRY(rm_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2));
    RMTS_TRY(rm_gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0));
    RMTS_TRY(rm_gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", p->add_bos));
    RMTS_TRY(rm_gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", 0));
    if (p->arch == RMTS_GEMMA2) RMTS_TRY(rm_gguf_writer_set_bool(w, "tokenizer.ggml.add_space_prefix", 0));
    if (quantized && e == RM_OK) {
        rm_gguf_writer_remove_key(w, "general.quantization_version");
        rm_gguf_writer_remove_key(w, "general.file_type"); /* absent for gptneox */
        RMTS_TRY(rm_gguf_writer_set_u32(w, "general.quantization_version", 2));
        RMTS_TRY(rm_gguf_writer_set_u32(w, "general.file_type", (uint32_t)m->ft->ftype));
    }
#undef RMTS_K
#undef RMTS_TRY
    return e;
}

/* Writes the model of preset p in output type ft to path. */
static rm_result rmts_synthesize(const rmts_preset *p, const rmts_ftype *ft, uint64_t seed, const char *path,
                                 char *err, size_t errcap, uint64_t *bytes_out) {
    rmts_model m;
    rm_gguf_writer *w = NULL;
    rm_result e;
    int i;
    memset(&m, 0, sizeof(m));
    m.p = p;
    m.ft = ft;
    m.seed = seed;
    err[0] = 0;
    if ((e = rmts_plan(&m, err, errcap)) != RM_OK) goto done;
    /* refuse before writing gigabytes if rm.h cannot encode a type the plan needs */
    for (i = 0; i < m.n_t; i++) {
        float zeros[256];
        uint8_t buf[1024];
        memset(zeros, 0, sizeof(zeros));
        if (rm_quantize_row(m.t[i].type, zeros, buf, 256) == 0) {
            e = rmts_fail(err, errcap, RM_ERR_GGUF_TENSOR_TYPE, "synth: rm.h cannot encode %s yet (needed for %s)",
                         rm_type_name(m.t[i].type), m.t[i].name);
            goto done;
        }
    }
    if ((e = rm_gguf_writer_new(&w)) != RM_OK) {
        rmts_fail(err, errcap, e, "synth: out of memory");
        goto done;
    }
    if ((e = rmts_metadata(w, &m, err, errcap)) != RM_OK) goto done;
    for (i = 0; i < m.n_t; i++) {
        const rmts_tensor *t = &m.t[i];
        size_t nb = (size_t)(t->ne[0] / rm_type_block_size(t->type)) * rm_type_block_bytes(t->type) * (size_t)t->ne[1];
        e = rm_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, NULL, nb);
        if (e != RM_OK) {
            rmts_fail(err, errcap, e, "synth: %s", rm_gguf_writer_error(w));
            goto done;
        }
        if (bytes_out) *bytes_out += nb;
    }
    rm_gguf_writer_set_fill(w, rmts_fill, &m);
    if ((e = rm_gguf_writer_write_file(w, path)) != RM_OK) rmts_fail(err, errcap, e, "synth: %s", rm_gguf_writer_error(w));
done:
    rm_gguf_writer_free(w);
    free(m.t);
    return e;
}

static const rmo_opt rmts_opts[] = {
    {"--preset", "NAME", "the real model whose shapes to copy (see below)", RMO_REQUIRED},
    {"--type", "f32|f16|bf16|q8_0|q4_0|q4_k_m", "tensor type of the weight matrices", RMO_REQUIRED},
    {"--output|-o", "FILE", "the GGUF to write", RMO_REQUIRED},
    {"--seed", "N", "random seed (default 1)", 0},
    {"--layers", "N", "override the preset's layer count (smaller files for tests)", 0},
    {"--vocab", "N", "override the preset's vocabulary size", 0},
    {NULL, NULL, NULL, 0}};
static char rmts_notes[512];
static rmo_cmd rmts_cmd = {"synth", "write a random-weight model with a real model's tensor names, shapes, types and keys", NULL, 0,
                           rmts_opts, rmts_notes};

/* the preset and type lists of --help, from the tables */
static void rmts_fill_notes(void) {
    size_t i, k = 0;
    k += (size_t)snprintf(rmts_notes + k, sizeof(rmts_notes) - k, "presets:");
    for (i = 0; i < sizeof(rmts_presets) / sizeof(rmts_presets[0]) && k < sizeof(rmts_notes); i++)
        k += (size_t)snprintf(rmts_notes + k, sizeof(rmts_notes) - k, " %s", rmts_presets[i].preset);
    if (k < sizeof(rmts_notes)) k += (size_t)snprintf(rmts_notes + k, sizeof(rmts_notes) - k, "\ntypes:");
    for (i = 0; i < sizeof(rmts_ftypes) / sizeof(rmts_ftypes[0]) && k < sizeof(rmts_notes); i++)
        k += (size_t)snprintf(rmts_notes + k, sizeof(rmts_notes) - k, " %s", rmts_ftypes[i].name);
    if (k < sizeof(rmts_notes)) snprintf(rmts_notes + k, sizeof(rmts_notes) - k, "\n");
}

/* argv[0] is the subcommand's name, the options follow. */
static int rmtool_synth(int argc, char **argv) {
    const char *preset, *type, *out;
    unsigned long long seed = 1;
    long layers = -1, vocab = -1;
    rmts_preset p;
    const rmts_ftype *ft = NULL;
    char err[512];
    uint64_t bytes = 0;
    rm_result e;
    clock_t c0;
    int i, found = 0, prc;
    rmo_args a;
    memset(&p, 0, sizeof(p));
    rmts_fill_notes();
    if ((prc = rmo_parse(&rmts_cmd, argc - 1, argv + 1, &a)) >= 0) return prc;
    preset = rmo_get(&a, "--preset"), type = rmo_get(&a, "--type"), out = rmo_get(&a, "--output");
    if (rmo_get(&a, "--seed")) seed = strtoull(rmo_get(&a, "--seed"), NULL, 10);
    if (rmo_get(&a, "--layers")) layers = strtol(rmo_get(&a, "--layers"), NULL, 10);
    if (rmo_get(&a, "--vocab")) vocab = strtol(rmo_get(&a, "--vocab"), NULL, 10);
    for (i = 0; i < (int)(sizeof(rmts_presets) / sizeof(rmts_presets[0])); i++)
        if (!strcmp(preset, rmts_presets[i].preset)) { p = rmts_presets[i]; found = 1; }
    for (i = 0; i < (int)(sizeof(rmts_ftypes) / sizeof(rmts_ftypes[0])); i++)
        if (!strcmp(type, rmts_ftypes[i].name)) ft = &rmts_ftypes[i];
    if (!found) { fprintf(stderr, "error: synth: unknown preset '%s' (see rmtool synth --help)\n", preset); return 1; }
    if (!ft) { fprintf(stderr, "error: synth: unknown type '%s' (see rmtool synth --help)\n", type); return 1; }
    if (layers == 0 || layers < -1 || layers > 1000 || vocab == 0 || vocab < -1 || vocab > 10000000) {
        fprintf(stderr, "error: synth: --layers must be 1..1000 and --vocab 260..10000000\n");
        return 1;
    }
    if (layers > 0) p.n_layer = (int)layers;
    if (vocab > 0) p.n_vocab = (int)vocab;
    c0 = clock();
    e = rmts_synthesize(&p, ft, (uint64_t)seed, out, err, sizeof(err), &bytes);
    if (e != RM_OK) {
        fprintf(stderr, "error: %s (%s)\n", err, rm_result_name(e));
        return 1;
    }
    printf("synth: wrote %s: %s %s, %d layers, vocab %d, %.1f MB of tensors (%.1f s CPU)\n", out, p.preset, ft->name,
           p.n_layer, p.n_vocab, (double)bytes / 1e6, (double)(clock() - c0) / CLOCKS_PER_SEC);
    return 0;
}
#endif /* RMTOOL_SYNTH_H */
