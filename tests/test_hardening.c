/* Bad input gets an error code and a message, never a crash or a silent wrong answer: broken
   models (made here from the fixtures with the GGUF writer), NaN weights, mismatched
   vocabularies and heads, NUL bytes and invalid UTF-8 in text, and no descriptor or mapping
   left behind after close. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

/* Copies src to dst, replacing key `key` (if set) with a string or u32 value, dropping the
   tensor `drop`, and overwriting element 0 of tensor `poison` with NaN. */
typedef struct edit {
    const char *key;
    const char *str_value;
    int u32_set;
    uint32_t u32_value;
    const char *drop;
    const char *poison;
    int token_rename; /* rename token 100 */
} edit;

static rm_result copy_model(const char *src, const char *dst, const edit *ed) {
    rm_gguf *g;
    rm_gguf_writer *w;
    rm_result r;
    int64_t i;
    float *poisoned = NULL;
    rm_str *toks = NULL;
    if ((r = rm_gguf_open(src, &g))) return r;
    rm_gguf_writer_new(&w);
    for (i = 0; i < rm_gguf_n_kv(g) && !r; i++) {
        rm_str k = rm_gguf_kv_key(g, i);
        if (ed->key && rm__str_eq(k, ed->key)) {
            if (ed->str_value) r = rm_gguf_writer_set_str(w, ed->key, ed->str_value);
            else r = rm_gguf_writer_set_u32(w, ed->key, ed->u32_value);
        } else if (ed->token_rename && rm__str_eq(k, "tokenizer.ggml.tokens")) {
            uint64_t n = 0, j;
            rm_gguf_kv_arr(g, i, NULL, &n, NULL);
            toks = (rm_str *)calloc((size_t)n, sizeof(rm_str));
            for (j = 0; j < n; j++) rm_gguf_kv_arr_str(g, i, j, &toks[j]);
            toks[100].ptr = "renamed";
            toks[100].len = 7;
            r = rm_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", toks, n);
        } else {
            r = rm_gguf_writer_copy_kv(w, g, i);
        }
    }
    if (!r && ed->key && ed->u32_set && rm_gguf_find_key(g, ed->key) < 0) r = rm_gguf_writer_set_u32(w, ed->key, ed->u32_value);
    for (i = 0; i < rm_gguf_n_tensors(g) && !r; i++) {
        const rm_tensor *t = rm_gguf_tensor(g, i);
        const void *data = t->data;
        if (ed->drop && rm__str_eq(t->name, ed->drop)) continue;
        if (ed->poison && rm__str_eq(t->name, ed->poison)) {
            poisoned = (float *)malloc(t->nbytes);
            memcpy(poisoned, t->data, t->nbytes);
            poisoned[0] = NAN;
            data = poisoned;
        }
        {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)t->name.len, t->name.ptr);
            r = rm_gguf_writer_add_tensor(w, name, t->type, t->n_dims, t->ne, data, t->nbytes);
        }
    }
    if (!r) r = rm_gguf_writer_write_file(w, dst);
    rm_gguf_writer_free(w);
    rm_gguf_close(g);
    free(poisoned);
    free(toks);
    return r;
}

static rm_result open_edited(const edit *ed, rm_model **m) {
    rm_result r;
    *m = NULL;
    r = copy_model("tests/data/models/stories260K.gguf", "build/hardening.gguf", ed);
    if (r) return r;
    return rm_model_open("build/hardening.gguf", m);
}

static void test_broken_models_name_the_problem(void) {
    rm_model *m;
    edit e;
    memset(&e, 0, sizeof(e));
    e.key = "general.architecture";
    e.str_value = "mamba";
    CHECK(open_edited(&e, &m) == RM_ERR_ARCH && strstr(rm_model_error(m), "mamba"), "unknown arch: %s", rm_model_error(m));
    rm_model_close(m);
    memset(&e, 0, sizeof(e));
    e.drop = "blk.3.attn_q.weight";
    CHECK(open_edited(&e, &m) == RM_ERR_TENSOR_MISSING && strstr(rm_model_error(m), "blk.3.attn_q.weight"), "missing: %s",
          rm_model_error(m));
    rm_model_close(m);
    memset(&e, 0, sizeof(e));
    e.key = "llama.embedding_length";
    e.u32_set = 1;
    e.u32_value = 128;
    CHECK(open_edited(&e, &m) == RM_ERR_TENSOR_SHAPE && strstr(rm_model_error(m), "token_embd.weight") &&
              strstr(rm_model_error(m), "expected {128"), "misshapen: %s", rm_model_error(m));
    rm_model_close(m);
    memset(&e, 0, sizeof(e));
    e.key = "llama.attention.head_count_kv";
    e.u32_set = 1;
    e.u32_value = 3;
    CHECK(open_edited(&e, &m) == RM_ERR_HPARAM && strstr(rm_model_error(m), "head_count"), "inconsistent heads: %s", rm_model_error(m));
    rm_model_close(m);
    memset(&e, 0, sizeof(e));
    e.key = "tokenizer.ggml.model";
    e.str_value = "wordpiece-x";
    CHECK(open_edited(&e, &m) == RM_ERR_VOCAB && strstr(rm_model_error(m), "wordpiece-x"), "unknown tokenizer: %s", rm_model_error(m));
    rm_model_close(m);
}

/* NaN in the weights: the reward is flagged (IM), or the evaluation fails with
   RM_ERR_NONFINITE (hidden state), never printed as a number. */
static void test_nan_weights_are_flagged(void) {
    rm_model *bad, *ref;
    rm_scorer *s;
    rm_scorer_desc d;
    rm_score sc;
    edit e;
    rm_result r;
    memset(&e, 0, sizeof(e));
    e.poison = "output.weight";
    CHECK(open_edited(&e, &bad) == RM_OK, "open: %s", rm_model_error(bad));
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &ref) == RM_OK, "ref");
    memset(&d, 0, sizeof(d));
    d.model = bad;
    d.ref = ref;
    d.mode = RM_MODE_IMPLICIT;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "scorer");
    r = rm_score_pair(s, "Once upon a time", " there was a dog.", &sc);
    CHECK(r == RM_OK && sc.nonfinite == 1 && sc.reward != sc.reward, "NaN in the LM head: r=%d nonfinite=%d reward=%g", r, sc.nonfinite, sc.reward);
    rm_scorer_free(s);
    rm_model_close(bad);
    memset(&e, 0, sizeof(e));
    e.poison = "blk.0.ffn_down.weight";
    CHECK(open_edited(&e, &bad) == RM_OK, "open");
    d.model = bad;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "scorer");
    r = rm_score_pair(s, "Once upon a time", " there was a dog.", &sc);
    CHECK(r == RM_ERR_NONFINITE, "NaN in a layer: %s (%s)", rm_result_name(r), rm_scorer_error(s));
    rm_scorer_free(s);
    rm_model_close(bad);
    rm_model_close(ref);
}

static void test_mismatches(void) {
    rm_model *a, *b, *q;
    rm_head *h;
    rm_scorer *s;
    rm_scorer_desc d;
    edit e;
    memset(&e, 0, sizeof(e));
    e.token_rename = 1;
    CHECK(open_edited(&e, &b) == RM_OK, "renamed copy: %s", rm_model_error(b));
    CHECK(rm_model_open("tests/data/models/stories260K-policy.gguf", &a) == RM_OK, "policy");
    memset(&d, 0, sizeof(d));
    d.model = a;
    d.ref = b;
    d.mode = RM_MODE_IMPLICIT;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_VOCAB_MISMATCH && strstr(rm_scorer_error(s), "100"), "token 100 differs: %s", rm_scorer_error(s));
    rm_scorer_free(s);
    CHECK(rm_model_open("tests/data/models/tiny-qwen2.gguf", &q) == RM_OK, "qwen");
    /* a head of the wrong width */
    CHECK(rm_head_open("tests/data/models/tiny-qwen2-rm.gguf", &h) == RM_OK, "head from the -rm file: %s", rm_head_error(h));
    d.ref = NULL;
    d.head = h;
    d.mode = RM_MODE_EXPLICIT;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_TENSOR_SHAPE && strstr(rm_scorer_error(s), "256"), "head of 256 on a 64-wide model: %s",
          rm_scorer_error(s));
    rm_scorer_free(s);
    rm_head_close(h);
    rm_model_close(a);
    rm_model_close(b);
    rm_model_close(q);
}

static void test_text_edge_cases(void) {
    rm_model *m;
    rm_scorer *s;
    rm_scorer_desc d;
    rm_score sc;
    rm_str r;
    int32_t ids[64];
    size_t n = 99;
    static const char nul_text[] = "a dog\0and a cat";
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &m) == RM_OK, "open");
    CHECK(rm_tokenize(rm_model_vocab(m), "", 0, 0, 0, ids, 64, &n) == RM_OK && n == 0, "empty text: %zu tokens", n);
    CHECK(rm_tokenize(rm_model_vocab(m), nul_text, sizeof(nul_text) - 1, 0, 0, ids, 64, &n) == RM_OK && n > 4, "NUL inside text");
    CHECK(rm_tokenize(rm_model_vocab(m), "caf\xc3", 4, 0, 0, ids, 64, &n) == RM_ERR_UTF8, "truncated UTF-8");
    memset(&d, 0, sizeof(d));
    d.model = m;
    d.mode = RM_MODE_IMPLICIT;
    d.ref_free = RM_REF_FREE_MEAN;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "scorer");
    r.ptr = nul_text;
    r.len = sizeof(nul_text) - 1;
    CHECK(rm_score_text(s, "Once", 4, &r, 1, &sc) == RM_OK && sc.reward == sc.reward, "NUL inside a response: %s", rm_scorer_error(s));
    r.ptr = "\xff\xfe";
    r.len = 2;
    CHECK(rm_score_text(s, "Once", 4, &r, 1, &sc) == RM_ERR_UTF8, "invalid UTF-8 response: %s", rm_scorer_error(s));
    r.len = 0;
    CHECK(rm_score_text(s, "Once", 4, &r, 1, &sc) == RM_ERR_EMPTY, "empty response");
    CHECK(rm_score_text(s, "", 0, &r, 1, &sc) != RM_OK, "empty prompt and response");
    rm_scorer_free(s);
    rm_model_close(m);
}


/* A llama classifier checkpoint (cls.output, no output.weight) has no LM head: implicit scoring
   is refused rather than silently using the embeddings. */
static void test_classifier_without_lm_head(void) {
    rm_model *m;
    rm_scorer *s;
    rm_scorer_desc d;
    edit e;
    memset(&e, 0, sizeof(e));
    e.drop = "output.weight";
    CHECK(copy_model("tests/data/models/tiny-llama-rm.gguf", "build/hardening-cls.gguf", &e) == RM_OK, "copy");
    CHECK(rm_model_open("build/hardening-cls.gguf", &m) == RM_OK, "open: %s", rm_model_error(m));
    memset(&d, 0, sizeof(d));
    d.model = m;
    d.mode = RM_MODE_IMPLICIT;
    d.ref_free = RM_REF_FREE_SUM;
    CHECK(rm_scorer_new(&d, &s) == RM_ERR_NO_LM_HEAD, "IM on a classifier: %s", rm_scorer_error(s));
    rm_scorer_free(s);
    d.mode = RM_MODE_EXPLICIT;
    d.ref_free = RM_REF_FREE_OFF;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "EX on it works: %s", rm_scorer_error(s));
    rm_scorer_free(s);
    rm_model_close(m);
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    int n = 0, c;
    if (!f) return -1;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

/* Every descriptor and mapping is released on close, on success and on every error path. */
static void test_no_descriptors_or_mappings_left(void) {
    int maps0, i;
    FILE *probe;
    rm_model *m;
    rm_gguf *g;
    rm_head *h;
    for (i = 0; i < 3; i++) { /* warm up lazily allocated runtime state */
        rm_model_open("tests/data/models/tiny-llama-q4_k_m.gguf", &m);
        rm_model_close(m);
    }
    maps0 = count_lines("/proc/self/maps");
    for (i = 0; i < 50; i++) {
        rm_model_open("tests/data/models/tiny-llama-q4_k_m.gguf", &m);
        rm_model_close(m);
        rm_model_open("tests/data/README-fixtures.md", &m); /* fails after opening the file */
        rm_model_close(m);
        rm_gguf_open("build/vocab/ggml-vocab-gpt-2.gguf", &g);
        rm_gguf_close(g);
        rm_head_open("tests/data/models/stories260K.gguf", &h); /* no head: fails */
        rm_head_close(h);
    }
    CHECK(count_lines("/proc/self/maps") <= maps0 + 2, "mappings grew from %d to %d", maps0, count_lines("/proc/self/maps"));
    probe = fopen("/dev/null", "r");
    CHECK(probe && fileno(probe) < 10, "descriptors leak: next fd is %d", probe ? fileno(probe) : -1);
    if (probe) fclose(probe);
}

int main(void) {
    RUN(test_broken_models_name_the_problem);
    RUN(test_nan_weights_are_flagged);
    RUN(test_mismatches);
    RUN(test_text_edge_cases);
    RUN(test_classifier_without_lm_head);
    RUN(test_no_descriptors_or_mappings_left);
    return rmt_summary("test_hardening");
}
