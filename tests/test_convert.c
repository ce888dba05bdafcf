/* rmtool convert against llama.cpp's converter and an independent float64 reference.

   The checkpoints come from tools/make_hf_checkpoints.py (run here into build/hf when missing:
   it needs Debian's python3-numpy; PYTHON= overrides the interpreter). Expected data in
   tests/data/hf/expected: *.llama.cpp.json, summaries (tools/gguf_summary.py) of what
   llama.cpp's convert_hf_to_gguf.py writes for the causal-LM checkpoints and for the causal
   twins of the sequence-classification ones (llama, qwen2, gemma2, gptneox; the converter,
   February 2025, predates Qwen3); rewards.jsonl, the EX rewards that
   tools/hf_reward_reference.py computes in float64 from the HF files (for Pythia also with the
   tanh GELU, "rewards_gelu_tanh"). */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"

/* commands start with BIN, replaced by $BUILD/rmtool (the build under test, as tests/run.sh sets it) */
#define BIN "RMTOOL"
#define ERR "build/convert_err.txt"
#define OUT "build/convert_out.txt"
#define HF "build/hf"
#define CV "build/convert"

static int have_hf = 1;

static int sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    int r;
    const char *b = getenv("BUILD");
    int o = 0;
    va_start(ap, fmt);
    if (!strncmp(fmt, BIN, 6)) {
        o = snprintf(cmd, sizeof(cmd), "./%s/rmtool", b && *b ? b : "build");
        fmt += 6;
    }
    vsnprintf(cmd + o, sizeof(cmd) - (size_t)o, fmt, ap);
    va_end(ap);
    r = system(cmd);
    return r == 0 ? 0 : 1;
}

static int convert(const char *dir, const char *out, const char *type) {
    return sh(BIN " convert %s -o %s --type %s > " OUT " 2> " ERR, dir, out, type);
}

/* sum_i w_i * (2i + 1) mod 2^64 over the little-endian uint32 words (tools/gguf_summary.py) */
typedef struct { uint64_t sum, i; unsigned char pend[4]; int np; } cks;
static void cks_add(cks *c, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    size_t k;
    for (k = 0; k < n; k++) {
        c->pend[c->np++] = p[k];
        if (c->np == 4) {
            uint64_t w = (uint64_t)c->pend[0] | (uint64_t)c->pend[1] << 8 | (uint64_t)c->pend[2] << 16 | (uint64_t)c->pend[3] << 24;
            c->sum += w * (2 * c->i + 1);
            c->i++;
            c->np = 0;
        }
    }
}
static void cks_hex(cks *c, char *hex) {
    static const unsigned char z[4] = {0, 0, 0, 0};
    if (c->np) cks_add(c, z, (size_t)(4 - c->np));
    snprintf(hex, 17, "%016llx", (unsigned long long)c->sum);
}

static const char *gtype_name(int t) {
    static const char *const n[] = {"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"};
    return t >= 0 && t < 13 ? n[t] : "?";
}

/* Compares key i of g with the expected entry; "" when equal, else why. */
static void kv_diff(const rm_gguf *g, int64_t i, const rmj_value *exp, char *why, size_t cap) {
    rm_gguf_type t = rm_gguf_kv_type(g, i);
    const char *et = rmj_str(rmj_get(exp, "type"), NULL);
    why[0] = 0;
    if (t == RM_GGUF_ARRAY) {
        rm_gguf_type el;
        uint64_t n, k;
        const void *data;
        cks c = {0, 0, {0}, 0};
        char hex[17];
        rm_str key = rm_gguf_kv_key(g, i);
        char kz[256];
        snprintf(kz, sizeof(kz), "%.*s", (int)key.len, key.ptr);
        rm_gguf_kv_arr(g, i, &el, &n, &data);
        if (strcmp(et, "array") || strcmp(rmj_str(rmj_get(exp, "elem"), NULL), gtype_name(el)) || (double)n != rmj_num(rmj_get(exp, "n"))) {
            snprintf(why, cap, "array of %llu %s, expected %s of %g %s", (unsigned long long)n, gtype_name(el), et, rmj_num(rmj_get(exp, "n")),
                     rmj_str(rmj_get(exp, "elem"), NULL));
            return;
        }
        if (el == RM_GGUF_STRING) {
            for (k = 0; k < n; k++) {
                rm_str s;
                unsigned char len[8];
                int b;
                rm_gguf_kv_arr_str(g, i, k, &s);
                for (b = 0; b < 8; b++) len[b] = (unsigned char)((uint64_t)s.len >> (8 * b));
                cks_add(&c, len, 8);
                cks_add(&c, s.ptr, s.len);
            }
        } else {
            int64_t esz = el == RM_GGUF_UINT8 || el == RM_GGUF_INT8 || el == RM_GGUF_BOOL ? 1 : el == RM_GGUF_UINT16 || el == RM_GGUF_INT16 ? 2 : el == RM_GGUF_UINT64 || el == RM_GGUF_INT64 || el == RM_GGUF_FLOAT64 ? 8 : 4;
            cks_add(&c, data, (size_t)(n * (uint64_t)esz));
        }
        cks_hex(&c, hex);
        if (strcmp(hex, rmj_str(rmj_get(exp, "checksum"), NULL))) snprintf(why, cap, "array contents differ (checksum %s, expected %s)", hex, rmj_str(rmj_get(exp, "checksum"), NULL));
        return;
    }
    if (strcmp(et, gtype_name(t))) {
        snprintf(why, cap, "type %s, expected %s", gtype_name(t), et);
        return;
    }
    if (t == RM_GGUF_STRING) {
        rm_str s;
        rm_gguf_kv_str(g, i, &s);
        if (rmj_get(exp, "value")) {
            size_t n;
            const char *v = rmj_str(rmj_get(exp, "value"), &n);
            if (n != s.len || memcmp(v, s.ptr, n)) snprintf(why, cap, "'%.*s', expected '%s'", (int)RM__MIN(s.len, 80), s.ptr, v);
        } else {
            cks c = {0, 0, {0}, 0};
            char hex[17];
            cks_add(&c, s.ptr, s.len);
            cks_hex(&c, hex);
            if ((double)s.len != rmj_num(rmj_get(exp, "n")) || strcmp(hex, rmj_str(rmj_get(exp, "checksum"), NULL))) snprintf(why, cap, "string of %zu bytes differs", s.len);
        }
    } else if (t == RM_GGUF_FLOAT32 || t == RM_GGUF_FLOAT64) {
        double v;
        rm_gguf_kv_float(g, i, &v);
        if ((float)v != (float)rmj_num(rmj_get(exp, "value"))) snprintf(why, cap, "%.9g, expected %.9g", v, rmj_num(rmj_get(exp, "value")));
    } else if (t == RM_GGUF_BOOL) {
        int64_t v;
        rm_gguf_kv_int(g, i, &v);
        if ((v != 0) != rmj_bool(rmj_get(exp, "value"))) snprintf(why, cap, "%s, expected the other", v ? "true" : "false");
    } else {
        int64_t v, e = 0;
        rm_gguf_kv_int(g, i, &v);
        rmj_int(rmj_get(exp, "value"), &e);
        if (v != e) snprintf(why, cap, "%lld, expected %lld", (long long)v, (long long)e);
    }
}

/* Keys rmtool convert writes differently on purpose (see examples/rmtool_convert.h). */
static const char *allowed_difference(const char *key) {
    if (!strcmp(key, "general.name")) return "the directory's name; the converter derives a display name with heuristics";
    if (!strcmp(key, "general.basename") || !strcmp(key, "general.finetune") || !strcmp(key, "general.size_label"))
        return "not written: the converter derives it from the directory name and parameter count";
    if (strstr(key, ".pooling_type") || strstr(key, ".classifier.output_labels")) return "sequence-classification head (absent from the causal twin)";
    return NULL;
}

/* Labels of the test reward models (tools/make_hf_checkpoints.py's RM_LABELS). */
static int64_t n_labels(const char *name) {
    if (strstr(name, "llama")) return 3;
    if (strstr(name, "pythia")) return 2;
    return 1;
}

/* The converted file gpath against the summary at path; prints each differing key and why.
   ordered: tensors in the summary's order (the converter's), else found by name (llama-quantize
   writes them in its loader's order). */
static void compare_file(const char *name, const char *gpath, const char *path, int ordered) {
    char why[512];
    rmj_doc *d;
    const rmj_value *kv, *ts;
    rm_gguf *g = NULL;
    rm_model *m = NULL;
    int64_t i, ti = 0;
    size_t k;
    int seqcls = strstr(name, "-rm") != NULL;
    d = rmt_load_json(path);
    CHECK(d != NULL, "%s missing", path);
    if (!d) return;
    CHECK(rm_gguf_open(gpath, &g) == RM_OK, "%s: %s", gpath, rm_gguf_error(g));
    kv = rmj_get(rmj_root(d), "kv");
    ts = rmj_get(rmj_root(d), "tensors");
    for (i = 0; g && i < rm_gguf_n_kv(g); i++) {
        rm_str key = rm_gguf_kv_key(g, i);
        char kz[256];
        const rmj_value *e;
        snprintf(kz, sizeof(kz), "%.*s", (int)key.len, key.ptr);
        e = rmj_get(kv, kz);
        if (!e) {
            const char *ok = allowed_difference(kz);
            CHECK(ok != NULL, "%s: key %s written but llama.cpp's converter does not write it", name, kz);
            if (ok) printf("  %-26s %-40s only here: %s\n", name, kz, ok);
            continue;
        }
        kv_diff(g, i, e, why, sizeof(why));
        if (why[0]) {
            const char *ok = allowed_difference(kz);
            CHECK(ok != NULL, "%s: key %s: %s", name, kz, why);
            if (ok) printf("  %-26s %-40s differs (%s): %s\n", name, kz, why, ok);
        }
    }
    for (k = 0; g && k < rmj_len(kv); k++) {
        const rmj_value *e = rmj_at(kv, k);
        if (rm_gguf_find_key(g, e->key) < 0) {
            const char *ok = allowed_difference(e->key);
            CHECK(ok != NULL, "%s: key %s missing", name, e->key);
            if (ok) printf("  %-26s %-40s only in llama.cpp's: %s\n", name, e->key, ok);
        }
    }
    /* tensors: the same names, order, types, shapes and bytes; the head is the only extra */
    for (i = 0; g && i < rm_gguf_n_tensors(g); i++) {
        const rm_tensor *t = rm_gguf_tensor(g, i);
        const rmj_value *e = rmj_at(ts, (size_t)ti);
        cks c = {0, 0, {0}, 0};
        if (!ordered)
            for (k = 0, e = NULL; k < rmj_len(ts); k++)
                if (rm__str_eq(t->name, rmj_str(rmj_get(rmj_at(ts, k), "name"), NULL))) e = rmj_at(ts, k);
        char hex[17];
        int d2;
        if (seqcls && rm__str_eq(t->name, "cls.output.weight")) {
            CHECK(t->type == RM_TYPE_F32 && t->ne[1] == n_labels(name), "%s: head shape", name);
            continue;
        }
        ti++;
        CHECK(e && rm__str_eq(t->name, rmj_str(rmj_get(e, "name"), NULL)), "%s: tensor %lld is %.*s, expected %s", name, (long long)i,
              (int)t->name.len, t->name.ptr, e ? rmj_str(rmj_get(e, "name"), NULL) : "(none by that name)");
        if (!e) continue;
        CHECK(!strcmp(rm_type_name(t->type), rmj_str(rmj_get(e, "type"), NULL)), "%s: %s type %s, expected %s", name, rmj_str(rmj_get(e, "name"), NULL),
              rm_type_name(t->type), rmj_str(rmj_get(e, "type"), NULL));
        for (d2 = 0; d2 < t->n_dims; d2++)
            CHECK((double)t->ne[d2] == rmj_num(rmj_at(rmj_get(e, "shape"), (size_t)d2)), "%s: %s shape", name, rmj_str(rmj_get(e, "name"), NULL));
        CHECK((size_t)t->n_dims == rmj_len(rmj_get(e, "shape")), "%s: %s dims", name, rmj_str(rmj_get(e, "name"), NULL));
        cks_add(&c, t->data, t->nbytes);
        cks_hex(&c, hex);
        CHECK(!strcmp(hex, rmj_str(rmj_get(e, "checksum"), NULL)), "%s: %s data differ", name, rmj_str(rmj_get(e, "name"), NULL));
    }
    CHECK(!g || (size_t)ti == rmj_len(ts), "%s: %lld tensors, llama.cpp's converter %zu", name, (long long)ti, rmj_len(ts));
    rm_gguf_close(g);
    CHECK(rm_model_open(gpath, &m) == RM_OK, "%s: rm.h does not load it: %s", name, rm_model_error(m));
    rm_model_close(m);
    rmj_free(d);
}

static void compare_summary(const char *name) {
    char path[512], gpath[512];
    snprintf(path, sizeof(path), "tests/data/hf/expected/%s.llama.cpp.json", name);
    snprintf(gpath, sizeof(gpath), CV "/%s-f32.gguf", name);
    compare_file(name, gpath, path, 1);
}

static void test_conformance(void) {
    static const char *const names[] = {"qwen2.5-0.5b-instruct", "llama-3.2-1b-instruct", "pythia-160m", "gemma-2-2b",
                                        "qwen2.5-0.5b-instruct-rm", "llama-3.2-1b-instruct-rm", "pythia-160m-rm", "gemma-2-2b-rm"};
    size_t i;
    if (!have_hf) return;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char dir[256], out[256];
        snprintf(dir, sizeof(dir), HF "/%s", names[i]);
        snprintf(out, sizeof(out), CV "/%s-f32.gguf", names[i]);
        CHECK(convert(dir, out, "f32") == 0, "convert %s (see " ERR ")", names[i]);
        compare_summary(names[i]);
    }
}

/* qwen3 is newer than the llama.cpp converter used for the summaries: its layout is checked
   against a qwen3 file the newer llama.cpp of the fixtures loads, rm.h must load it, and the
   rewards below check its numbers. */
static void test_qwen3_and_types(void) {
    static const char *const types[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"};
    size_t i;
    rm_model *m = NULL;
    if (!have_hf) return;
    CHECK(convert(HF "/qwen3-0.6b", CV "/qwen3-0.6b-f32.gguf", "f32") == 0, "convert qwen3");
    CHECK(rm_model_open(CV "/qwen3-0.6b-f32.gguf", &m) == RM_OK && rm_model_hparams(m)->head_dim == 32, "qwen3: %s", rm_model_error(m));
    rm_model_close(m);
    {
        /* the layout llama.cpp reads: tests/data/models/tiny-qwen3.gguf is a qwen3 file that
           llama.cpp (34af94cd, newer than the converter here) loads and computes the fixture
           references on. Every qwen3.* key it has, and every tensor of its layers 0-1 and the
           globals, must be in the converted file with the same number of dimensions (sizes
           differ: the checkpoint is shrunk otherwise) */
        rm_gguf *ref = NULL, *got = NULL;
        int64_t k;
        CHECK(rm_gguf_open("tests/data/models/tiny-qwen3.gguf", &ref) == RM_OK && rm_gguf_open(CV "/qwen3-0.6b-f32.gguf", &got) == RM_OK,
              "open the qwen3 files");
        for (k = 0; ref && got && k < rm_gguf_n_kv(ref); k++) {
            rm_str key = rm_gguf_kv_key(ref, k);
            char kz[256];
            snprintf(kz, sizeof(kz), "%.*s", (int)key.len, key.ptr);
            if (strncmp(kz, "qwen3.", 6) != 0) continue;
            CHECK(rm_gguf_find_key(got, kz) >= 0 && rm_gguf_kv_type(got, rm_gguf_find_key(got, kz)) == rm_gguf_kv_type(ref, k),
                  "qwen3: key %s missing or of another type", kz);
        }
        for (k = 0; ref && got && k < rm_gguf_n_tensors(ref); k++) {
            const rm_tensor *t = rm_gguf_tensor(ref, k), *u;
            char nz[256];
            snprintf(nz, sizeof(nz), "%.*s", (int)t->name.len, t->name.ptr);
            u = rm_gguf_find_tensor(got, nz);
            CHECK(u && u->n_dims == t->n_dims && u->type == t->type, "qwen3: tensor %s missing, or %d-d %s for %d-d %s", nz, u ? u->n_dims : 0,
                  u ? rm_type_name(u->type) : "-", t->n_dims, rm_type_name(t->type));
        }
        CHECK(got && ref && rm_gguf_n_tensors(got) == rm_gguf_n_tensors(ref), "qwen3: %lld tensors, llama.cpp's file has %lld",
              (long long)(got ? rm_gguf_n_tensors(got) : 0), (long long)(ref ? rm_gguf_n_tensors(ref) : 0));
        rm_gguf_close(ref);
        rm_gguf_close(got);
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char out[256];
        const rm_gguf *g;
        const rm_tensor *t;
        snprintf(out, sizeof(out), CV "/qwen3-0.6b-rm-%s.gguf", types[i]);
        CHECK(convert(HF "/qwen3-0.6b-rm", out, types[i]) == 0, "convert --type %s", types[i]);
        m = NULL;
        CHECK(rm_model_open(out, &m) == RM_OK, "%s: %s", out, rm_model_error(m));
        g = rm_model_gguf(m);
        t = rm_gguf_find_tensor(g, "cls.output.weight");
        CHECK(t && t->type == RM_TYPE_F32, "%s: the head stays F32", types[i]);
        t = rm_gguf_find_tensor(g, "blk.0.attn_norm.weight");
        CHECK(t && t->type == RM_TYPE_F32, "%s: norms stay F32", types[i]);
        t = rm_gguf_find_tensor(g, "blk.0.ffn_up.weight");
        /* q4_k_m: rows of 64 are not a multiple of 256, so llama-quantize falls back to Q5_0 */
        CHECK(t && !strcmp(rm_type_name(t->type), i == 5 ? "Q5_0" : i < 3 ? (i == 0 ? "F32" : i == 1 ? "F16" : "BF16") : i == 3 ? "Q8_0" : "Q4_0"),
              "%s: ffn_up is %s", types[i], t ? rm_type_name(t->type) : "absent");
        rm_model_close(m);
    }
}

/* --type q4_k_m against llama-quantize Q4_K_M of llama.cpp's converter's F16 file, for 16
   layers: the per-layer types (attn_v and ffn_down with more bits in some layers) and bytes. */
static void test_quantized(void) {
    if (!have_hf) return;
    CHECK(convert(HF "/llama-3.2-1b-16l", CV "/llama-3.2-1b-16l-q4_k_m.gguf", "q4_k_m") == 0, "convert 16 layers q4_k_m");
    compare_file("llama-3.2-1b-16l", CV "/llama-3.2-1b-16l-q4_k_m.gguf", "tests/data/hf/expected/llama-3.2-1b-16l-q4_k_m.llama-quantize.json", 0);
}

/* EX rewards of the converted F32 files against the float64 reference, every label. */
static void test_rewards(void) {
    rmj_doc *lines[16];
    size_t n = 0, len, i;
    char *txt = rmt_read_file("tests/data/hf/expected/rewards.jsonl", &len), *p, *nl;
    if (!have_hf) {
        free(txt);
        return;
    }
    CHECK(txt != NULL, "rewards.jsonl missing");
    for (p = txt; p && *p && n < 16; p = nl ? nl + 1 : NULL) {
        rmj_error e;
        nl = strchr(p, '\n');
        lines[n] = rmj_parse(p, nl ? (size_t)(nl - p) : strlen(p), &e);
        if (lines[n]) n++;
    }
    CHECK(n == 10, "%zu reference lines", n);
    for (i = 0; i < n; i++) {
        const rmj_value *r = rmj_root(lines[i]), *exp = rmj_get(r, "rewards"), *tanh_exp = rmj_get(r, "rewards_gelu_tanh");
        const char *model = rmj_str(rmj_get(r, "model"), NULL);
        char out[256], *o;
        rmj_doc *got;
        rmj_error e;
        size_t k;
        int f16;
        for (f16 = 0; f16 < 2; f16++) {
            char dir[256];
            snprintf(out, sizeof(out), CV "/%s-%s.gguf", model, f16 ? "f16" : "f32");
            snprintf(dir, sizeof(dir), HF "/%s", model);
            if (f16 || strstr(model, "qwen3")) CHECK(convert(dir, out, f16 ? "f16" : "f32") == 0, "convert %s", out);
            CHECK(sh(BIN " score --model %s --mode explicit --template none --split none --precision f32 --prompt '%s' --response '%s' --json > " OUT " 2> " ERR,
                     out, rmj_str(rmj_get(r, "prompt"), NULL), rmj_str(rmj_get(r, "response"), NULL)) == 0, "score %s", out);
            o = rmt_read_file(OUT, &len);
            got = o ? rmj_parse(o, len, &e) : NULL;
            CHECK(got != NULL, "%s: output %s", model, o ? o : "(none)");
            if (got) {
                const rmj_value *g = rmj_root(got), *ids = rmj_get(r, "ids"), *pi = rmj_get(g, "prompt_ids"), *ri = rmj_get(g, "response_ids");
                double tol = f16 ? 5e-2 : 1e-4; /* F16 weights: ~1e-3 relative on each */
                CHECK(rmj_len(pi) + rmj_len(ri) == rmj_len(ids), "%s: token count", model);
                for (k = 0; k < rmj_len(ids); k++) {
                    const rmj_value *a = k < rmj_len(pi) ? rmj_at(pi, k) : rmj_at(ri, k - rmj_len(pi));
                    CHECK(rmj_num(a) == rmj_num(rmj_at(ids, k)), "%s: token %zu", model, k);
                }
                CHECK(rmj_len(rmj_get(g, "rewards")) == rmj_len(exp), "%s: %zu rewards", model, rmj_len(rmj_get(g, "rewards")));
                for (k = 0; k < rmj_len(exp); k++) {
                    const rmj_value *x = rmj_at(exp, k);
                    double v = rmj_num(rmj_get(rmj_get(g, "rewards"), x->key));
                    if (tanh_exp) {
                        /* GPT-NeoX's hidden_act "gelu" is the exact (erf) GELU; llama.cpp's gptneox
                           graph, and rm.h, compute the tanh approximation (up to 3e-4 apart per
                           activation): 1e-4 against the reference computed that way, 1e-3 against
                           the exact one */
                        double vt = rmj_num(rmj_get(tanh_exp, x->key));
                        CHECK(fabs(v - vt) < tol, "%s %s: %s = %.8f, reference (tanh GELU) %.8f", model, f16 ? "f16" : "f32", x->key, v, vt);
                        CHECK(fabs(v - rmj_num(x)) < (f16 ? tol : 1e-3), "%s %s: %s = %.8f, reference (erf GELU) %.8f", model, f16 ? "f16" : "f32", x->key, v, rmj_num(x));
                        if (!f16) printf("  %-26s %-12s rm.h %+.8f  float64 reference %+.8f (erf GELU: %+.8f)  |d| %.1e\n", model, x->key, v, vt, rmj_num(x), fabs(v - vt));
                        continue;
                    }
                    CHECK(fabs(v - rmj_num(x)) < tol, "%s %s: %s = %.8f, reference %.8f", model, f16 ? "f16" : "f32", x->key, v, rmj_num(x));
                    if (!f16) printf("  %-26s %-12s rm.h %+.8f  float64 reference %+.8f  |d| %.1e\n", model, x->key, v, rmj_num(x), fabs(v - rmj_num(x)));
                }
                CHECK(fabs(rmj_num(rmj_get(g, "reward")) - rmj_num(rmj_at(tanh_exp ? tanh_exp : exp, 0))) < tol, "%s: reward is the first label", model);
            }
            rmj_free(got);
            free(o);
        }
    }
    /* --label picks the output "reward" reports */
    CHECK(sh(BIN " score --model " CV "/llama-3.2-1b-instruct-rm-f32.gguf --mode explicit --template none --split none --precision f32 --label coherence "
             "--prompt 'Hello world' --response ' this is a good answer' --json > " OUT " 2> " ERR) == 0, "--label");
    {
        char *o = rmt_read_file(OUT, &len);
        rmj_error e;
        rmj_doc *got = o ? rmj_parse(o, len, &e) : NULL;
        CHECK(got && fabs(rmj_num(rmj_get(rmj_root(got), "reward")) - rmj_num(rmj_get(rmj_get(rmj_root(got), "rewards"), "coherence"))) < 1e-12, "reward is coherence");
        rmj_free(got);
        free(o);
    }
    CHECK(sh(BIN " score --model " CV "/llama-3.2-1b-instruct-rm-f32.gguf --mode explicit --template none --label nope --prompt a --response b > " OUT " 2> " ERR) != 0,
          "unknown --label refused");
    {
        char *e = rmt_read_file(ERR, &len);
        CHECK(e && strstr(e, "helpfulness, correctness, coherence"), "names listed: %s", e ? e : "");
        free(e);
    }
    for (i = 0; i < n; i++) rmj_free(lines[i]);
    free(txt);
}

/* A converted reward model has no language-model head: implicit scoring is refused. */
static void test_implicit_refused(void) {
    rm_model *m = NULL;
    rm_scorer *s = NULL;
    rm_scorer_desc d;
    if (!have_hf) return;
    CHECK(rm_model_open(CV "/qwen3-0.6b-rm-f32.gguf", &m) == RM_OK, "open");
    memset(&d, 0, sizeof(d));
    d.model = m;
    d.mode = RM_MODE_IMPLICIT;
    d.ref_free = RM_REF_FREE_SUM;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_NO_LM_HEAD && strstr(rm_scorer_error(s), "no output.weight"), "%s", rm_scorer_error(s));
    rm_scorer_free(s);
    rm_model_close(m);
}

/* ---- bad input: a clear error, exit 1, no output file ---- */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* A tiny llama checkpoint: 1 layer, hidden 8, 2 heads, ff 16, vocab 16 (zeros). skip names a
   tensor to leave out, extra one to add, i64 one to store as I64. */
static void tiny_ckpt(const char *dir, const char *skip, const char *extra, const char *i64, uint64_t truncate) {
    static const struct { const char *n; int r, c; } ts[] = {
        {"model.embed_tokens.weight", 16, 8}, {"model.norm.weight", 8, 0}, {"lm_head.weight", 16, 8},
        {"model.layers.0.input_layernorm.weight", 8, 0}, {"model.layers.0.post_attention_layernorm.weight", 8, 0},
        {"model.layers.0.self_attn.q_proj.weight", 8, 8}, {"model.layers.0.self_attn.k_proj.weight", 8, 8},
        {"model.layers.0.self_attn.v_proj.weight", 8, 8}, {"model.layers.0.self_attn.o_proj.weight", 8, 8},
        {"model.layers.0.mlp.gate_proj.weight", 16, 8}, {"model.layers.0.mlp.up_proj.weight", 16, 8},
        {"model.layers.0.mlp.down_proj.weight", 8, 16}, {"model.layers.0.extra.weight", 8, 0}};
    char hdr[8192], path[512];
    size_t o = 0, i, off = 0;
    FILE *f;
    o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "{");
    for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        size_t nb;
        int is64;
        if ((skip && !strcmp(ts[i].n, skip)) || (i == 12 && !extra)) continue;
        is64 = i64 && !strcmp(ts[i].n, i64);
        nb = (size_t)ts[i].r * (size_t)(ts[i].c ? ts[i].c : 1) * (is64 ? 8 : 4);
        if (ts[i].c) o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", o > 1 ? "," : "", ts[i].n, is64 ? "I64" : "F32", ts[i].r, ts[i].c, off, off + nb);
        else o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", o > 1 ? "," : "", ts[i].n, is64 ? "I64" : "F32", ts[i].r, off, off + nb);
        off += nb;
    }
    o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "}");
    sh("mkdir -p %s", dir);
    snprintf(path, sizeof(path), "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    if (f) {
        unsigned char len[8];
        int b;
        for (b = 0; b < 8; b++) len[b] = (unsigned char)((uint64_t)o >> (8 * b));
        fwrite(len, 1, 8, f);
        fwrite(hdr, 1, o, f);
        for (i = 0; i < off - (truncate < off ? truncate : 0); i++) fputc(0, f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/config.json", dir);
    write_text(path, "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                     "\"num_key_value_heads\":2,\"intermediate_size\":16,\"vocab_size\":16,\"max_position_embeddings\":64,\"rms_norm_eps\":1e-5}");
    snprintf(path, sizeof(path), "%s/tokenizer.json", dir);
    write_text(path, "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[]},\"added_tokens\":[]}");
}

/* A tiny checkpoint of the table's F32 tensors (zeros; c = 0 for 1-D), skip left out, with
   this config.json and a two-token BPE tokenizer.json. */
typedef struct { const char *n; int r, c; } tiny_t;
static void tiny_table(const char *dir, const tiny_t *ts, size_t nt, const char *skip, const char *config) {
    char hdr[8192], path[512];
    size_t o = 0, i, off = 0;
    FILE *f;
    o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "{");
    for (i = 0; i < nt; i++) {
        size_t nb = (size_t)ts[i].r * (size_t)(ts[i].c ? ts[i].c : 1) * 4;
        if (skip && !strcmp(ts[i].n, skip)) continue;
        if (ts[i].c) o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", o > 1 ? "," : "", ts[i].n, ts[i].r, ts[i].c, off, off + nb);
        else o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", o > 1 ? "," : "", ts[i].n, ts[i].r, off, off + nb);
        off += nb;
    }
    o += (size_t)snprintf(hdr + o, sizeof(hdr) - o, "}");
    sh("mkdir -p %s", dir);
    snprintf(path, sizeof(path), "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    if (f) {
        unsigned char len[8];
        int b;
        for (b = 0; b < 8; b++) len[b] = (unsigned char)((uint64_t)o >> (8 * b));
        fwrite(len, 1, 8, f);
        fwrite(hdr, 1, o, f);
        for (i = 0; i < off; i++) fputc(0, f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/config.json", dir);
    write_text(path, config);
    snprintf(path, sizeof(path), "%s/tokenizer.json", dir);
    write_text(path, "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[]},\"added_tokens\":[]}");
}

/* GPT-NeoX: hidden 8, 2 heads, ff 16, vocab 16, 1 layer */
static const tiny_t tiny_neox_t[] = {
    {"embed_out.weight", 16, 8}, {"gpt_neox.embed_in.weight", 16, 8}, {"gpt_neox.final_layer_norm.bias", 8, 0},
    {"gpt_neox.final_layer_norm.weight", 8, 0}, {"gpt_neox.layers.0.attention.dense.bias", 8, 0},
    {"gpt_neox.layers.0.attention.dense.weight", 8, 8}, {"gpt_neox.layers.0.attention.query_key_value.bias", 24, 0},
    {"gpt_neox.layers.0.attention.query_key_value.weight", 24, 8}, {"gpt_neox.layers.0.input_layernorm.bias", 8, 0},
    {"gpt_neox.layers.0.input_layernorm.weight", 8, 0}, {"gpt_neox.layers.0.mlp.dense_4h_to_h.bias", 8, 0},
    {"gpt_neox.layers.0.mlp.dense_4h_to_h.weight", 8, 16}, {"gpt_neox.layers.0.mlp.dense_h_to_4h.bias", 16, 0},
    {"gpt_neox.layers.0.mlp.dense_h_to_4h.weight", 16, 8}, {"gpt_neox.layers.0.post_attention_layernorm.bias", 8, 0},
    {"gpt_neox.layers.0.post_attention_layernorm.weight", 8, 0}};
/* Gemma 2: hidden 8, 2 heads of 4 (1 kv), ff 16, vocab 16, 1 layer, no lm_head */
static const tiny_t tiny_gemma_t[] = {
    {"model.embed_tokens.weight", 16, 8}, {"model.layers.0.input_layernorm.weight", 8, 0},
    {"model.layers.0.mlp.down_proj.weight", 8, 16}, {"model.layers.0.mlp.gate_proj.weight", 16, 8},
    {"model.layers.0.mlp.up_proj.weight", 16, 8}, {"model.layers.0.post_attention_layernorm.weight", 8, 0},
    {"model.layers.0.post_feedforward_layernorm.weight", 8, 0}, {"model.layers.0.pre_feedforward_layernorm.weight", 8, 0},
    {"model.layers.0.self_attn.k_proj.weight", 4, 8}, {"model.layers.0.self_attn.o_proj.weight", 8, 8},
    {"model.layers.0.self_attn.q_proj.weight", 8, 8}, {"model.layers.0.self_attn.v_proj.weight", 4, 8}, {"model.norm.weight", 8, 0}};
#define TINY_GEMMA_CFG(extra) "{\"architectures\":[\"Gemma2ForCausalLM\"],\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2," \
    "\"num_key_value_heads\":1,\"head_dim\":4,\"intermediate_size\":16,\"vocab_size\":16,\"max_position_embeddings\":64,\"rms_norm_eps\":1e-6," \
    "\"attn_logit_softcapping\":50.0,\"final_logit_softcapping\":30.0,\"sliding_window\":8" extra "}"
#define TINY_NEOX_CFG(extra) "{\"architectures\":[\"GPTNeoXForCausalLM\"],\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2," \
    "\"intermediate_size\":16,\"vocab_size\":16,\"max_position_embeddings\":64" extra "}"

static void expect_fail(const char *dir, const char *words) {
    char out[512];
    size_t len;
    char *e;
    FILE *f;
    snprintf(out, sizeof(out), "%s.gguf", dir);
    remove(out);
    CHECK(convert(dir, out, "f32") != 0, "%s: conversion succeeded", dir);
    e = rmt_read_file(ERR, &len);
    CHECK(e && strstr(e, words), "%s: error '%s' lacks '%s'", dir, e ? e : "", words);
    free(e);
    f = fopen(out, "rb");
    CHECK(!f, "%s: output file left behind", dir);
    if (f) fclose(f);
    snprintf(out, sizeof(out), "%s.gguf.rm-tmp", dir);
    f = fopen(out, "rb");
    CHECK(!f, "%s: temporary file left behind", dir);
    if (f) fclose(f);
}

static void test_bad_input(void) {
    const char *B = CV "/bad";
    char d[256], p[300];
    sh("rm -rf %s && mkdir -p %s", B, B);
    snprintf(d, sizeof(d), "%s/ok", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    /* the tiny checkpoint itself gets as far as the tokenizer check: two tokens, no merges */
    expect_fail(d, "pre-tokenizer is not recognised");
    snprintf(d, sizeof(d), "%s/arch", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/config.json", d);
    write_text(p, "{\"architectures\":[\"MambaForCausalLM\"]}");
    expect_fail(d, "architecture 'MambaForCausalLM' is not supported");
    snprintf(d, sizeof(d), "%s/field", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/config.json", d);
    write_text(p, "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2,\"vocab_size\":16}");
    expect_fail(d, "required field 'intermediate_size' is missing");
    snprintf(d, sizeof(d), "%s/missing", B);
    tiny_ckpt(d, "model.layers.0.mlp.up_proj.weight", NULL, NULL, 0);
    expect_fail(d, "tensor 'model.layers.0.mlp.up_proj.weight' is missing");
    snprintf(d, sizeof(d), "%s/extra", B);
    tiny_ckpt(d, NULL, "x", NULL, 0);
    expect_fail(d, "tensor 'model.layers.0.extra.weight' is not one");
    snprintf(d, sizeof(d), "%s/i64", B);
    tiny_ckpt(d, NULL, NULL, "model.norm.weight", 0);
    expect_fail(d, "'model.norm.weight' is I64; only F32, F16 and BF16");
    snprintf(d, sizeof(d), "%s/truncated", B);
    tiny_ckpt(d, NULL, NULL, NULL, 100);
    expect_fail(d, "truncated");
    snprintf(d, sizeof(d), "%s/index", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/model.safetensors.index.json", d);
    write_text(p, "{\"weight_map\":{\"model.norm.weight\":\"model.safetensors\",\"model.gone.weight\":\"model.safetensors\"}}");
    expect_fail(d, "maps tensor 'model.gone.weight' to model.safetensors, which does not hold it");
    snprintf(d, sizeof(d), "%s/shard", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/model.safetensors.index.json", d);
    write_text(p, "{\"weight_map\":{\"model.norm.weight\":\"model-00002-of-00002.safetensors\"}}");
    expect_fail(d, "model-00002-of-00002.safetensors: safetensors: cannot open");
    snprintf(d, sizeof(d), "%s/wordpiece", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/tokenizer.json", d);
    write_text(p, "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}},\"added_tokens\":[]}");
    expect_fail(d, "model type 'WordPiece' is not supported (BPE only");
    snprintf(d, sizeof(d), "%s/notok", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/tokenizer.json", d);
    remove(p);
    expect_fail(d, "cannot read");
    /* gptneox: the config fields its converter reads, its tensors by HF name */
    snprintf(d, sizeof(d), "%s/neox-ok", B);
    tiny_table(d, tiny_neox_t, sizeof(tiny_neox_t) / sizeof(tiny_neox_t[0]), NULL, TINY_NEOX_CFG(",\"rotary_pct\":0.5,\"layer_norm_eps\":1e-5"));
    expect_fail(d, "pre-tokenizer is not recognised"); /* everything before the vocabulary passes */
    snprintf(d, sizeof(d), "%s/neox-pct", B);
    tiny_table(d, tiny_neox_t, sizeof(tiny_neox_t) / sizeof(tiny_neox_t[0]), NULL, TINY_NEOX_CFG(",\"layer_norm_eps\":1e-5"));
    expect_fail(d, "required field 'rotary_pct' is missing");
    snprintf(d, sizeof(d), "%s/neox-eps", B);
    tiny_table(d, tiny_neox_t, sizeof(tiny_neox_t) / sizeof(tiny_neox_t[0]), NULL, TINY_NEOX_CFG(",\"rotary_pct\":0.5"));
    expect_fail(d, "required field 'layer_norm_eps' is missing");
    snprintf(d, sizeof(d), "%s/neox-qkv", B);
    tiny_table(d, tiny_neox_t, sizeof(tiny_neox_t) / sizeof(tiny_neox_t[0]), "gpt_neox.layers.0.attention.query_key_value.bias",
               TINY_NEOX_CFG(",\"rotary_pct\":0.5,\"layer_norm_eps\":1e-5"));
    expect_fail(d, "tensor 'gpt_neox.layers.0.attention.query_key_value.bias' is missing");
    snprintf(d, sizeof(d), "%s/neox-head", B);
    tiny_table(d, tiny_neox_t, sizeof(tiny_neox_t) / sizeof(tiny_neox_t[0]), "embed_out.weight", TINY_NEOX_CFG(",\"rotary_pct\":0.5,\"layer_norm_eps\":1e-5"));
    expect_fail(d, "tensor 'embed_out.weight' is missing");
    snprintf(d, sizeof(d), "%s/neox-llama-names", B);
    tiny_ckpt(d, NULL, NULL, NULL, 0);
    snprintf(p, sizeof(p), "%s/config.json", d);
    write_text(p, TINY_NEOX_CFG(",\"rotary_pct\":0.5,\"layer_norm_eps\":1e-5"));
    expect_fail(d, "tensor 'lm_head.weight' is not one a gptneox causal-LM checkpoint has");
    /* gemma2: its config fields, tensors, and the SentencePiece tokenizer.model */
    snprintf(d, sizeof(d), "%s/gemma-nospm", B);
    tiny_table(d, tiny_gemma_t, sizeof(tiny_gemma_t) / sizeof(tiny_gemma_t[0]), NULL, TINY_GEMMA_CFG(",\"query_pre_attn_scalar\":4"));
    expect_fail(d, "tokenizer.model: cannot read");
    snprintf(p, sizeof(p), "%s/tokenizer.model", d);
    write_text(p, "\x0a\x05\x0a\x07"); /* a piece message past the end of the file */
    expect_fail(d, "tokenizer.model: piece 0 is truncated");
    write_text(p, "\x0a\x02\x0a\x07"); /* a piece whose text runs past its message */
    expect_fail(d, "tokenizer.model: piece 0 is corrupt");
    write_text(p, "\x0a\x03\x0a\x01\x61\x0a\x03\x0a\x01\x62"); /* pieces "a", "b": a valid model; the vocabulary builds */
    {
        char out[300];
        snprintf(out, sizeof(out), "%s.gguf", d);
        CHECK(convert(d, out, "f32") == 0, "tiny gemma2 with a two-piece tokenizer.model converts (see " ERR ")");
        remove(out);
    }
    snprintf(d, sizeof(d), "%s/gemma-qpas", B);
    tiny_table(d, tiny_gemma_t, sizeof(tiny_gemma_t) / sizeof(tiny_gemma_t[0]), NULL, TINY_GEMMA_CFG(",\"query_pre_attn_scalar\":256"));
    expect_fail(d, "query_pre_attn_scalar 256 is not 4");
    snprintf(d, sizeof(d), "%s/gemma-cap", B);
    tiny_table(d, tiny_gemma_t, sizeof(tiny_gemma_t) / sizeof(tiny_gemma_t[0]), NULL,
               "{\"architectures\":[\"Gemma2ForCausalLM\"],\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2,\"head_dim\":4,"
               "\"intermediate_size\":16,\"vocab_size\":16,\"max_position_embeddings\":64,\"rms_norm_eps\":1e-6,\"sliding_window\":8,"
               "\"final_logit_softcapping\":30.0,\"query_pre_attn_scalar\":4}");
    expect_fail(d, "required field 'attn_logit_softcapping' is missing");
    snprintf(d, sizeof(d), "%s/gemma-ffnorm", B);
    tiny_table(d, tiny_gemma_t, sizeof(tiny_gemma_t) / sizeof(tiny_gemma_t[0]), "model.layers.0.pre_feedforward_layernorm.weight",
               TINY_GEMMA_CFG(",\"query_pre_attn_scalar\":4"));
    expect_fail(d, "tensor 'model.layers.0.pre_feedforward_layernorm.weight' is missing");
    snprintf(d, sizeof(d), "%s/gemma-untied", B);
    tiny_table(d, tiny_gemma_t, sizeof(tiny_gemma_t) / sizeof(tiny_gemma_t[0]), NULL, TINY_GEMMA_CFG(",\"query_pre_attn_scalar\":4,\"tie_word_embeddings\":false"));
    expect_fail(d, "tie_word_embeddings false");
    CHECK(sh(BIN " convert --help > " OUT " 2> " ERR) == 0, "--help exits 0");
    {
        size_t len;
        char *o = rmt_read_file(OUT, &len);
        CHECK(o && strstr(o, "usage: rmtool convert"), "--help on stdout");
        free(o);
    }
    CHECK(sh(BIN " convert %s/ok -o x.gguf --type q9 > " OUT " 2> " ERR, B) != 0, "unknown --type refused");
}

int main(void) {
    FILE *f = fopen(HF "/llama-3.2-1b-16l/config.json", "rb"); /* the last one the script writes */
    if (f) fclose(f);
    else {
        const char *py = getenv("PYTHON");
        if (sh("%s tools/make_hf_checkpoints.py --tokenizers tests/data/hf --out " HF " > " OUT " 2> " ERR, py && *py ? py : "/usr/bin/python3")) {
            printf("skip: the HF test checkpoints could not be generated (tools/make_hf_checkpoints.py needs numpy: apt-get install python3-numpy); see " ERR "\n");
            have_hf = 0;
        }
    }
    sh("mkdir -p " CV);
    RUN(test_conformance);
    RUN(test_qwen3_and_types);
    RUN(test_quantized);
    RUN(test_rewards);
    RUN(test_implicit_refused);
    RUN(test_bad_input);
    return rmt_summary("test_convert");
}
