/* Forward pass against llama.cpp's reference outputs and the exact float64 values beside them
   (tests/data/ref/<model>.json, computed outside this project; see tests/data/README-fixtures.md).

   Tolerances (issue "The CPU transformer"):
   - F32 files: per-token log-probs within 5e-4 of the exact values and 1e-3 of llama.cpp's;
     last_hidden relative L2 error <= 1e-4 against the exact values. tiny-gemma2 is F32 but
     llama.cpp evaluates its GELU through an fp16 table (1.9e-2 from exact, README-fixtures);
     there the llama.cpp bound is that of the other files below.
   - every other file: the largest per-token distance from the exact values must not exceed
     max(1e-3, 1.25 x llama.cpp's own distance, llamacpp_vs_exact.max_abs_dlogprob), and the
     last hidden state's relative error max(1e-3, 1.25 x llama.cpp's max_rel_dhidden).
   Every file is run at the three precisions (rm_precision). The bounds above hold for the
   default RM_PRECISION_AUTO (no weight rounded: F16 in float, BF16 against bf16 activations as
   llama.cpp does), for RM_PRECISION_F32, and for RM_PRECISION_BF16 on files with BF16 or
   quantized matrices (llama.cpp rounds those activations to bf16 or 8 bits: no finer than
   rm.h). A file whose non-F32 matrices are all F16 is the exception at RM_PRECISION_BF16:
   llama.cpp rounds only the activations, to F16 (unit 2^-11), where the bf16 precision rounds
   activations and weights to bf16 (unit 2^-8): two operands at 8x the unit, so to first order
   at most 16x llama.cpp's distance; its bounds there are max(1e-3, 1.25 x 16 x llama.cpp's).
   Files without F16/BF16 matrices must give the same numbers at every precision; files without
   BF16 matrices the same at AUTO as at F32, files without F16 ones the same at AUTO as at BF16. */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"

static const char *prec_name(int p) { return p == RM_PRECISION_AUTO ? "auto" : p == RM_PRECISION_BF16 ? "bf16" : "f32"; }

/* The figures the README quotes come from here: printed per file. */
static void check_model(const char *name, int n_threads, int precision, double *worst_out) {
    char path[256];
    rmj_doc *doc;
    const rmj_value *root, *cases, *types;
    rm_model *m = NULL;
    rm_ctx *c = NULL;
    rm_ctx_params cp;
    int all_f32, is_gemma, only_f16;
    double lcpp_dev, lcpp_dh, f, tol_exact, tol_lcpp, tol_h, worst_ex = 0, worst_lc = 0, worst_h = 0;
    size_t ci;

    snprintf(path, sizeof(path), "tests/data/ref/%s.json", name);
    doc = rmt_load_json(path);
    CHECK(doc != NULL, "%s: cannot read", path);
    if (!doc) return;
    root = rmj_root(doc);
    types = rmj_get(rmj_get(root, "model"), "tensor_types");
    all_f32 = rmj_len(types) == 1 && rmj_get(types, "F32") != NULL;
    is_gemma = strstr(name, "gemma2") != NULL;
    only_f16 = rmj_len(types) == 2 && rmj_get(types, "F32") != NULL && rmj_get(types, "F16") != NULL;
    lcpp_dev = rmj_num(rmj_get(rmj_get(root, "llamacpp_vs_exact"), "max_abs_dlogprob"));
    lcpp_dh = rmj_num(rmj_get(rmj_get(root, "llamacpp_vs_exact"), "max_rel_dhidden"));
    f = (precision == RM_PRECISION_BF16 && only_f16) ? 16.0 : 1.0;
    if (all_f32) {
        tol_exact = 5e-4;
        tol_lcpp = is_gemma ? (lcpp_dev * 1.25 > 1e-3 ? lcpp_dev * 1.25 : 1e-3) + 5e-4 : 1e-3;
        tol_h = is_gemma ? 1e-3 : 1e-4;
    } else {
        tol_exact = f * lcpp_dev * 1.25 > 1e-3 ? f * lcpp_dev * 1.25 : 1e-3;
        tol_lcpp = -1; /* not bounded separately: llama.cpp rounds activations */
        tol_h = f * lcpp_dh * 1.25 > 1e-3 ? f * lcpp_dh * 1.25 : 1e-3;
    }

    snprintf(path, sizeof(path), "tests/data/models/%s.gguf", name);
    CHECK(rm_model_open(path, &m) == RM_OK, "%s: %s", path, rm_model_error(m));
    memset(&cp, 0, sizeof(cp));
    cp.n_threads = n_threads;
    cp.precision = precision;
    CHECK(rm_ctx_new(m, &cp, &c) == RM_OK, "ctx: %s", rm_ctx_error(c));
    cases = rmj_get(root, "cases");
    for (ci = 0; ci < rmj_len(cases); ci++) {
        const rmj_value *cs = rmj_at(cases, ci);
        int64_t np64, nr64;
        int32_t *p = rmt_int_array(rmj_get(cs, "prompt_tokens"), &np64);
        int32_t *r = rmt_int_array(rmj_get(cs, "response_tokens"), &nr64);
        size_t np = (size_t)np64, nr = (size_t)nr64, i, E = (size_t)rm_model_hparams(m)->n_embd;
        int32_t *toks = (int32_t *)malloc((np + nr) * sizeof(int32_t));
        int32_t *tg = (int32_t *)malloc((np + nr) * sizeof(int32_t));
        double *lp = (double *)malloc((np + nr) * sizeof(double));
        float *hid = (float *)malloc(E * sizeof(float));
        const rmj_value *ex = rmj_get(cs, "exact_response_logprobs"), *lc = rmj_get(cs, "response_logprobs");
        const rmj_value *exh = rmj_get(cs, "exact_last_hidden");
        int64_t last = (int64_t)(np + nr - 1);
        double dh = 0, nh = 0;
        rm_eval e;
        memcpy(toks, p, np * sizeof(int32_t));
        memcpy(toks + np, r, nr * sizeof(int32_t));
        for (i = 0; i < np + nr; i++) tg[i] = (i + 1 >= np && i + 1 < np + nr) ? toks[i + 1] : -1;
        memset(&e, 0, sizeof(e));
        e.tokens = toks;
        e.n_tokens = (int64_t)(np + nr);
        e.targets = tg;
        e.logprobs = lp;
        e.hidden_idx = &last;
        e.n_hidden = 1;
        e.hidden = hid;
        rm_ctx_truncate(c, 0);
        CHECK(rm_ctx_eval(c, &e) == RM_OK, "%s: eval: %s", name, rm_ctx_error(c));
        CHECK(rmj_len(ex) == nr && rmj_len(lc) == nr, "%s: reference has %zu log-probs for %zu tokens", name, rmj_len(ex), nr);
        for (i = 0; i < nr && i < rmj_len(ex); i++) {
            double got = lp[np - 1 + i], d1 = fabs(got - rmj_num(rmj_at(ex, i))), d2 = fabs(got - rmj_num(rmj_at(lc, i)));
            if (d1 > worst_ex) worst_ex = d1;
            if (d2 > worst_lc) worst_lc = d2;
        }
        for (i = 0; i < E && i < rmj_len(exh); i++) {
            double d = hid[i] - rmj_num(rmj_at(exh, i));
            dh += d * d;
            nh += rmj_num(rmj_at(exh, i)) * rmj_num(rmj_at(exh, i));
        }
        if (sqrt(dh / nh) > worst_h) worst_h = sqrt(dh / nh);
        free(p); free(r); free(toks); free(tg); free(lp); free(hid);
    }
    CHECK(worst_ex <= tol_exact, "%s (%s): max |dlogp| vs exact %.3g > %.3g", name, prec_name(precision), worst_ex, tol_exact);
    if (tol_lcpp > 0) CHECK(worst_lc <= tol_lcpp, "%s: max |dlogp| vs llama.cpp %.3g > %.3g", name, worst_lc, tol_lcpp);
    CHECK(worst_h <= tol_h, "%s (%s): last_hidden rel err %.3g > %.3g", name, prec_name(precision), worst_h, tol_h);
    if (n_threads == 0)
        printf("  %-20s %-4s max|dlogp| vs exact %.2e (llama.cpp's own %.2e), vs llama.cpp %.2e, rel dh %.2e (llama.cpp's %.2e)\n",
               name, prec_name(precision), worst_ex, lcpp_dev, worst_lc, worst_h, lcpp_dh);
    if (worst_out) *worst_out = worst_ex;
    rm_ctx_free(c);
    rm_model_close(m);
    rmj_free(doc);
}

static void test_all_reference_models(void) {
    size_t i;
    for (i = 0; i < RMT_N_FIXTURES; i++) {
        double wa = 0, w32 = 0, w16 = 0;
        rmj_doc *doc;
        char path[256];
        const char *nm = rmt_fixture_models[i];
        check_model(nm, 0, RM_PRECISION_AUTO, &wa);
        /* RMT_QUICK (make test-arm64, where qemu runs every instruction): the default precision
           only; test_kernels checks the other precisions' products there */
        if (getenv("RMT_QUICK")) continue;
        check_model(nm, 0, RM_PRECISION_BF16, &w16);
        check_model(nm, 0, RM_PRECISION_F32, &w32);
        snprintf(path, sizeof(path), "tests/data/ref/%s.json", nm);
        if ((doc = rmt_load_json(path)) != NULL) {
            const rmj_value *types = rmj_get(rmj_get(rmj_root(doc), "model"), "tensor_types");
            const int f16 = rmj_get(types, "F16") != NULL, bf16 = rmj_get(types, "BF16") != NULL;
            if (!f16 && !bf16) CHECK(w32 == w16 && wa == w16, "%s: no F16/BF16 matrix, yet the precisions differ (%.9g %.9g %.9g)", nm, wa, w16, w32);
            if (!bf16) CHECK(wa == w32, "%s: no BF16 matrix, yet auto differs from f32 (%.9g vs %.9g)", nm, wa, w32);
            if (!f16) CHECK(wa == w16, "%s: no F16 matrix, yet auto differs from bf16 (%.9g vs %.9g)", nm, wa, w16);
            rmj_free(doc);
        }
    }
}

/* One and two threads agree within 1e-6 (the bound) on log-probs. */
static void test_threads_agree(void) {
    rm_model *m;
    rm_ctx *c1, *c2;
    rm_ctx_params p1, p2;
    int32_t toks[64], tg[64];
    double a[64], b[64];
    rm_eval e;
    int i;
    CHECK(rm_model_open("tests/data/models/tiny-qwen2-q4_k_m.gguf", &m) == RM_OK, "open");
    memset(&p1, 0, sizeof(p1));
    p2 = p1;
    p1.n_threads = 1;
    p2.n_threads = 2;
    rm_ctx_new(m, &p1, &c1);
    rm_ctx_new(m, &p2, &c2);
    for (i = 0; i < 64; i++) {
        toks[i] = (i * 37 + 11) % 512;
        tg[i] = i + 1 < 64 ? (i * 37 + 48) % 512 : -1;
    }
    memset(&e, 0, sizeof(e));
    e.tokens = toks;
    e.n_tokens = 64;
    e.targets = tg;
    e.logprobs = a;
    CHECK(rm_ctx_eval(c1, &e) == RM_OK, "eval 1");
    e.logprobs = b;
    CHECK(rm_ctx_eval(c2, &e) == RM_OK, "eval 2");
    for (i = 0; i < 63; i++) CHECK(fabs(a[i] - b[i]) <= 1e-6, "token %d: %.9g vs %.9g", i, a[i], b[i]);
    rm_ctx_free(c1);
    rm_ctx_free(c2);
    rm_model_close(m);
}

/* Appending after a prefix and token-by-token evaluation equal one batch evaluation. */
static void test_incremental_equals_batch(void) {
    rm_model *m;
    rm_ctx *c;
    int32_t toks[40], tg[40];
    double full[40], part[40];
    rm_eval e;
    int i;
    CHECK(rm_model_open("tests/data/models/tiny-llama3.gguf", &m) == RM_OK, "open");
    rm_ctx_new(m, NULL, &c);
    for (i = 0; i < 40; i++) {
        toks[i] = (i * 53 + 7) % 512;
        tg[i] = i + 1 < 40 ? (i * 53 + 60) % 512 : -1;
    }
    memset(&e, 0, sizeof(e));
    e.tokens = toks;
    e.n_tokens = 40;
    e.targets = tg;
    e.logprobs = full;
    CHECK(rm_ctx_eval(c, &e) == RM_OK, "batch");
    rm_ctx_truncate(c, 0);
    for (i = 0; i < 40; i++) {
        e.tokens = toks + i;
        e.n_tokens = 1;
        e.targets = tg + i;
        e.logprobs = part + i;
        CHECK(rm_ctx_eval(c, &e) == RM_OK, "token %d", i);
    }
    for (i = 0; i < 39; i++) CHECK(fabs(full[i] - part[i]) <= 1e-5, "token %d: %.9g vs %.9g", i, full[i], part[i]);
    CHECK(rm_ctx_n_past(c) == 40, "n_past %lld", (long long)rm_ctx_n_past(c));
    rm_ctx_free(c);
    rm_model_close(m);
}

/* A context never holds more than it was sized for; bad token ids are refused. */
static void test_context_limits(void) {
    rm_model *m;
    rm_ctx *c;
    rm_ctx_params p;
    int32_t toks[20] = {0};
    rm_eval e;
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &m) == RM_OK, "open");
    memset(&p, 0, sizeof(p));
    p.n_ctx = 16;
    rm_ctx_new(m, &p, &c);
    memset(&e, 0, sizeof(e));
    e.tokens = toks;
    e.n_tokens = 20;
    CHECK(rm_ctx_eval(c, &e) == RM_ERR_CONTEXT, "20 tokens in a context of 16");
    e.n_tokens = 16;
    CHECK(rm_ctx_eval(c, &e) == RM_OK, "16 tokens: %s", rm_ctx_error(c));
    e.n_tokens = 1;
    CHECK(rm_ctx_eval(c, &e) == RM_ERR_CONTEXT, "one more");
    rm_ctx_truncate(c, 0);
    toks[3] = 512;
    e.n_tokens = 4;
    CHECK(rm_ctx_eval(c, &e) == RM_ERR_INVALID_ARG, "token id 512 of 512");
    rm_ctx_free(c);
    /* the trained context (stories260K: 128... whatever the file says) bounds a context by default */
    rm_ctx_new(m, NULL, &c);
    {
        int64_t n = rm_model_hparams(m)->n_ctx_train + 1, i;
        int32_t *big = (int32_t *)calloc((size_t)n, sizeof(int32_t));
        for (i = 0; i < n; i++) big[i] = 5;
        e.tokens = big;
        e.n_tokens = n;
        CHECK(rm_ctx_eval(c, &e) == RM_ERR_CONTEXT, "one past the trained context");
        free(big);
    }
    rm_ctx_free(c);
    rm_model_close(m);
}

/* Broken models are refused at open with the key or tensor named. */
static void test_bad_models(void) {
    rm_model *m;
    CHECK(rm_model_open("tests/data/models/no-such-file.gguf", &m) == RM_ERR_IO, "missing file");
    rm_model_close(m);
    CHECK(rm_model_open("build/vocab/ggml-vocab-gpt-2.gguf", &m) == RM_ERR_ARCH, "gpt2 vocab-only file: %s", rm_model_error(m));
    CHECK(strstr(rm_model_error(m), "gpt2") != NULL, "message names the architecture: %s", rm_model_error(m));
    rm_model_close(m);
    {
        rm_result r = rm_model_open("build/vocab/ggml-vocab-llama-spm.gguf", &m);
        CHECK(r == RM_ERR_HPARAM || r == RM_ERR_TENSOR_MISSING, "vocab-only llama file: %s", rm_model_error(m));
        CHECK(rm_model_status(m) == r && strlen(rm_model_error(m)) > 10, "status kept");
    }
    rm_model_close(m);
}


/* Greedy decoding of stories260K from BOS reproduces llama2.c's 200-step story byte for byte
   (tests/data/stories260K_greedy_n200_expected_stdout.txt, from llama2.c's own test suite). */
static void test_stories260K_greedy_story(void) {
    rm_model *m;
    rm_ctx *c;
    int32_t toks[201];
    float logits[512];
    char text[4096];
    size_t n = 0, elen;
    char *expected = rmt_read_file("tests/data/stories260K_greedy_n200_expected_stdout.txt", &elen);
    int step;
    CHECK(expected != NULL, "expected output missing");
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &m) == RM_OK, "open");
    rm_ctx_new(m, NULL, &c);
    toks[0] = rm_vocab_bos(rm_model_vocab(m));
    for (step = 0; step < 200; step++) {
        rm_eval e;
        int64_t last = 0, j, best = 0;
        memset(&e, 0, sizeof(e));
        e.tokens = toks + step;
        e.n_tokens = 1;
        e.logits_idx = &last;
        e.n_logits = 1;
        e.logits = logits;
        CHECK(rm_ctx_eval(c, &e) == RM_OK, "step %d: %s", step, rm_ctx_error(c));
        for (j = 1; j < 512; j++)
            if (logits[j] > logits[best]) best = j;
        toks[step + 1] = (int32_t)best;
    }
    /* llama2.c drops the space that starts the first piece after BOS; the expected file keeps
       no trailing newline */
    CHECK(rm_detokenize(rm_model_vocab(m), toks + 1, 200, text, sizeof(text) - 2, &n) == RM_OK, "detokenize");
    {
        char *t = text[0] == ' ' ? text + 1 : text;
        CHECK(expected && strcmp(t, expected) == 0, "story differs:\n%s\nexpected:\n%s", t, expected ? expected : "");
    }
    free(expected);
    rm_ctx_free(c);
    rm_model_close(m);
}

int main(void) {
    RUN(test_all_reference_models);
    RUN(test_threads_agree);
    RUN(test_incremental_equals_batch);
    RUN(test_context_limits);
    RUN(test_bad_models);
    RUN(test_stories260K_greedy_story);
    return rmt_summary("test_forward");
}
