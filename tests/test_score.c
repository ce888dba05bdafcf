/* Rewards over token ids against the references in tests/data/ref (computed outside this
   project): IM-RM from im_rm__stories260K-policy__vs__stories260K.json, EX-RM from the -rm
   fixtures' exact_ex_reward. Tolerances: IM per token 5e-4 (F32 forward-pass bound), IM reward
   beta * 2e-3 (the fixtures' suggested sum tolerance); EX 1e-4 on the F32 file and, on the F16
   file, no further from exact than llama.cpp's own ex_reward (but at least 1e-4). */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"


static void test_implicit_reward_matches_reference(void) {
    rmj_doc *doc = rmt_load_json("tests/data/ref/im_rm__stories260K-policy__vs__stories260K.json");
    rm_model *pol, *ref;
    rm_scorer *s1, *s01;
    rm_scorer_desc d;
    const rmj_value *cases;
    size_t ci;
    double worst_tok = 0, worst_r = 0;
    CHECK(doc != NULL, "reference missing");
    if (!doc) return;
    CHECK(rm_model_open("tests/data/models/stories260K-policy.gguf", &pol) == RM_OK, "policy");
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &ref) == RM_OK, "reference");
    memset(&d, 0, sizeof(d));
    d.model = pol;
    d.ref = ref;
    d.mode = RM_MODE_IMPLICIT;
    d.beta = 1.0;
    CHECK(rm_scorer_new(&d, &s1) == RM_OK, "scorer: %s", rm_scorer_error(s1));
    d.beta = 0.1;
    CHECK(rm_scorer_new(&d, &s01) == RM_OK, "scorer: %s", rm_scorer_error(s01));
    cases = rmj_get(rmj_root(doc), "cases");
    for (ci = 0; ci < rmj_len(cases); ci++) {
        const rmj_value *c = rmj_at(cases, ci);
        int64_t np, nr, j;
        int32_t *p = rmt_int_array(rmj_get(c, "prompt_tokens"), &np);
        int32_t *r = rmt_int_array(rmj_get(c, "response_tokens"), &nr);
        const int32_t *rs[1];
        rm_score sc;
        double want1 = rmj_num(rmj_get(rmj_get(c, "exact_im_reward"), "beta=1"));
        double want01 = rmj_num(rmj_get(rmj_get(c, "exact_im_reward"), "beta=0.1"));
        rs[0] = r;
        CHECK(rm_score_ids(s1, p, np, rs, &nr, 1, &sc) == RM_OK, "score: %s", rm_scorer_error(s1));
        CHECK(fabs(sc.reward - want1) <= 2e-3, "case %zu: reward %.9g vs %.9g", ci, sc.reward, want1);
        if (fabs(sc.reward - want1) > worst_r) worst_r = fabs(sc.reward - want1);
        CHECK(sc.n_response == nr && sc.logprobs && sc.ref_logprobs && sc.contributions, "per-token arrays");
        for (j = 0; j < nr; j++) {
            double pe = rmj_num(rmj_at(rmj_get(c, "exact_policy_logprobs"), (size_t)j));
            double re = rmj_num(rmj_at(rmj_get(c, "exact_reference_logprobs"), (size_t)j));
            double d1 = fabs(sc.logprobs[j] - pe), d2 = fabs(sc.ref_logprobs[j] - re);
            CHECK(d1 <= 5e-4 && d2 <= 5e-4, "case %zu token %lld: %.6g/%.6g vs %.6g/%.6g", ci, (long long)j, sc.logprobs[j],
                  sc.ref_logprobs[j], pe, re);
            CHECK(fabs(sc.contributions[j] - (sc.logprobs[j] - sc.ref_logprobs[j])) < 1e-12, "contribution");
            if (d1 > worst_tok) worst_tok = d1;
            if (d2 > worst_tok) worst_tok = d2;
        }
        CHECK(rm_score_ids(s01, p, np, rs, &nr, 1, &sc) == RM_OK, "score: %s", rm_scorer_error(s01));
        CHECK(fabs(sc.reward - want01) <= 2e-4, "case %zu: beta 0.1 reward %.9g vs %.9g", ci, sc.reward, want01);
        free(p);
        free(r);
    }
    printf("  IM-RM stories260K pair: max |d log p| %.2e, max |d reward| (beta 1) %.2e\n", worst_tok, worst_r);
    rm_scorer_free(s1);
    rm_scorer_free(s01);
    rm_model_close(pol);
    rm_model_close(ref);
    rmj_free(doc);
}

/* f32: the file is all F32 (then 1e-4 at every precision). Otherwise (tiny-llama-rm: F16):
   RM_PRECISION_F32 and the default RM_PRECISION_AUTO (F16 weights in float) within llama.cpp's
   own distance of each case (at least 1e-4);
   RM_PRECISION_BF16 within max(1e-4, 1.25 x 16 x llama.cpp's largest distance): the factor of
   test_forward.c for all-F16 files (bf16 rounds activations and weights at 8x F16's unit). */
static void check_ex(const char *name, int f32, int precision) {
    char path[256];
    rmj_doc *doc;
    rm_model *m;
    rm_scorer *s;
    rm_scorer_desc d;
    const rmj_value *cases;
    size_t ci;
    double worst = 0;
    snprintf(path, sizeof(path), "tests/data/ref/%s.json", name);
    doc = rmt_load_json(path);
    CHECK(doc != NULL, "%s missing", path);
    if (!doc) return;
    snprintf(path, sizeof(path), "tests/data/models/%s.gguf", name);
    CHECK(rm_model_open(path, &m) == RM_OK, "%s: %s", path, rm_model_error(m));
    memset(&d, 0, sizeof(d));
    d.model = m;
    d.mode = RM_MODE_EXPLICIT;
    d.precision = precision;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "scorer: %s", rm_scorer_error(s));
    cases = rmj_get(rmj_root(doc), "cases");
    for (ci = 0; ci < rmj_len(cases); ci++) {
        const rmj_value *c = rmj_at(cases, ci);
        int64_t np, nr;
        int32_t *p = rmt_int_array(rmj_get(c, "prompt_tokens"), &np);
        int32_t *r = rmt_int_array(rmj_get(c, "response_tokens"), &nr);
        const int32_t *rs[1];
        rm_score sc;
        double exact = rmj_num(rmj_get(c, "exact_ex_reward")), lcpp = rmj_num(rmj_get(c, "ex_reward"));
        const double lcpp_max = rmj_num(rmj_get(rmj_get(rmj_root(doc), "llamacpp_vs_exact"), "max_abs_dex"));
        double tol = f32 ? 1e-4 : precision != RM_PRECISION_BF16 ? fmax(1e-4, fabs(lcpp - exact)) : fmax(1e-4, 1.25 * 16 * lcpp_max);
        rs[0] = r;
        CHECK(rm_score_ids(s, p, np, rs, &nr, 1, &sc) == RM_OK, "score: %s", rm_scorer_error(s));
        CHECK(fabs(sc.reward - exact) <= tol, "%s case %zu: %.9g vs exact %.9g (tol %.2g)", name, ci, sc.reward, exact, tol);
        CHECK(sc.logprobs == NULL, "EX computes no log-probs");
        if (fabs(sc.reward - exact) > worst) worst = fabs(sc.reward - exact);
        free(p);
        free(r);
    }
    printf("  EX-RM %s (%s): max |d reward| vs exact %.2e\n", name,
           precision == RM_PRECISION_F32 ? "f32" : precision == RM_PRECISION_BF16 ? "bf16" : "auto", worst);
    rm_scorer_free(s);
    rm_model_close(m);
    rmj_free(doc);
}

static void test_explicit_reward_matches_reference(void) {
    check_ex("tiny-qwen2-rm", 1, RM_PRECISION_F32);
    check_ex("tiny-qwen2-rm", 1, RM_PRECISION_BF16);
    check_ex("tiny-llama-rm", 0, RM_PRECISION_F32);
    check_ex("tiny-llama-rm", 0, RM_PRECISION_BF16);
    check_ex("tiny-qwen2-rm", 1, RM_PRECISION_AUTO);
    check_ex("tiny-llama-rm", 0, RM_PRECISION_AUTO);
}

/* K responses against one shared prompt equal scoring them one by one (|d| <= 1e-5), in both
   modes, also when the batch must fall back to one response at a time. */
static void check_shared_prompt(int mode, int64_t n_ctx) {
    rm_model *pol, *ref;
    rm_scorer *s;
    rm_scorer_desc d;
    int32_t prompt[30], resp[4][25];
    const int32_t *rs[4];
    int64_t nr[4] = {25, 7, 1, 18}, i, j;
    rm_score all[4], one;
    double rew[4];
    CHECK(rm_model_open(mode == RM_MODE_IMPLICIT ? "tests/data/models/stories260K-policy.gguf" : "tests/data/models/tiny-qwen2-rm.gguf", &pol) == RM_OK, "open");
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &ref) == RM_OK, "open");
    memset(&d, 0, sizeof(d));
    d.model = pol;
    d.ref = ref;
    d.mode = mode;
    d.n_ctx = n_ctx;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "scorer: %s", rm_scorer_error(s));
    for (i = 0; i < 30; i++) prompt[i] = (int32_t)((i * 31 + 5) % 500 + 3);
    for (i = 0; i < 4; i++) {
        for (j = 0; j < 25; j++) resp[i][j] = (int32_t)((i * 97 + j * 13 + 1) % 500 + 3);
        rs[i] = resp[i];
    }
    CHECK(rm_score_ids(s, prompt, 30, rs, nr, 4, all) == RM_OK, "batch: %s", rm_scorer_error(s));
    for (i = 0; i < 4; i++) rew[i] = all[i].reward;
    for (i = 0; i < 4; i++) {
        CHECK(rm_score_ids(s, prompt, 30, rs + i, nr + i, 1, &one) == RM_OK, "single: %s", rm_scorer_error(s));
        CHECK(fabs(one.reward - rew[i]) <= 1e-5, "mode %d response %lld: batched %.9g vs alone %.9g", mode, (long long)i, rew[i], one.reward);
    }
    rm_scorer_free(s);
    rm_model_close(pol);
    rm_model_close(ref);
}

static void test_shared_prompt_equals_one_by_one(void) {
    check_shared_prompt(RM_MODE_IMPLICIT, 0);
    check_shared_prompt(RM_MODE_EXPLICIT, 0);
    check_shared_prompt(RM_MODE_IMPLICIT, 60); /* 30 + 55 does not fit: sequential fallback */
}

static void test_scorer_errors(void) {
    rm_model *pol, *other, *rm;
    rm_scorer *s;
    rm_scorer_desc d;
    int32_t p[3] = {1, 5, 6}, r[2] = {7, 8};
    const int32_t *rs[1];
    int64_t nr = 2, zero = 0;
    rm_score sc;
    rs[0] = r;
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &pol) == RM_OK, "open");
    CHECK(rm_model_open("tests/data/models/tiny-gptneox.gguf", &other) == RM_OK, "open");
    CHECK(rm_model_open("tests/data/models/tiny-llama-rm.gguf", &rm) == RM_OK, "open");
    memset(&d, 0, sizeof(d));
    d.model = pol;
    d.ref = other;
    d.mode = RM_MODE_IMPLICIT;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "gptneox fixture shares the vocabulary: %s", rm_scorer_error(s));
    rm_scorer_free(s);
    d.ref = NULL;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_INVALID_ARG, "IM without reference");
    rm_scorer_free(s);
    d.mode = RM_MODE_EXPLICIT;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_NO_HEAD, "EX without head: %s", rm_scorer_error(s));
    rm_scorer_free(s);
    d.model = rm;
    d.precision = 3;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_INVALID_ARG, "precision 3: %s", rm_scorer_error(s));
    CHECK(strstr(rm_scorer_error(s), "precision") != NULL, "the message names the precision: %s", rm_scorer_error(s));
    rm_scorer_free(s);
    d.precision = RM_PRECISION_F32;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "EX with head");
    CHECK(rm_score_ids(s, p, 3, rs, &zero, 1, &sc) == RM_ERR_EMPTY, "empty response");
    CHECK(rm_score_ids(s, p, 0, rs, &nr, 1, &sc) == RM_ERR_EMPTY, "empty prompt");
    rm_scorer_free(s);
    d.n_ctx = 4;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "EX small ctx");
    CHECK(rm_score_ids(s, p, 3, rs, &nr, 1, &sc) == RM_ERR_CONTEXT, "pair longer than the context");
    rm_scorer_free(s);
    rm_model_close(pol);
    rm_model_close(other);
    rm_model_close(rm);
}

int main(void) {
    RUN(test_implicit_reward_matches_reference);
    RUN(test_explicit_reward_matches_reference);
    RUN(test_shared_prompt_equals_one_by_one);
    RUN(test_scorer_errors);
    return rmt_summary("test_score");
}
