/* GGUF reader: every fixture opens with the expected metadata and tensor table. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

static void test_fixture_models_open(void) {
    size_t i;
    for (i = 0; i < RMT_N_FIXTURES; i++) {
        char path[256];
        rm_gguf *g;
        rm_result r;
        rm_str arch;
        snprintf(path, sizeof(path), "tests/data/models/%s.gguf", rmt_fixture_models[i]);
        r = rm_gguf_open(path, &g);
        CHECK(r == RM_OK, "%s: %s", path, rm_gguf_error(g));
        if (r == RM_OK) {
            CHECK(rm_gguf_get_str(g, "general.architecture", &arch) == RM_OK, "%s: no architecture", path);
            CHECK(rm_gguf_n_tensors(g) >= 21, "%s: %lld tensors", path, (long long)rm_gguf_n_tensors(g));
            CHECK(rm_gguf_find_tensor(g, "token_embd.weight") != NULL, "%s: no token_embd", path);
        }
        rm_gguf_close(g);
    }
}

static void test_vocab_only_files_open(void) {
    static const char *v[] = {"ggml-vocab-gemma3", "ggml-vocab-llama3.1", "ggml-vocab-qwen3",
                              "ggml-vocab-deepseek-coder", "ggml-vocab-gpt-2", "ggml-vocab-llama-spm",
                              "ggml-vocab-phi-3"};
    size_t i;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char path[256];
        rm_gguf *g;
        rm_gguf_type et;
        uint64_t n = 0;
        snprintf(path, sizeof(path), "build/vocab/%s.gguf", v[i]);
        CHECK(rm_gguf_open(path, &g) == RM_OK, "%s: %s", path, rm_gguf_error(g));
        CHECK(rm_gguf_n_tensors(g) == 0, "%s has tensors", path);
        CHECK(rm_gguf_get_arr(g, "tokenizer.ggml.tokens", &et, &n, NULL) == RM_OK && et == RM_GGUF_STRING && n > 1000,
              "%s: tokens array", path);
        rm_gguf_close(g);
    }
}

static void test_typed_getters(void) {
    rm_gguf *g;
    int64_t v = 0;
    double f = 0;
    rm_str s, tok;
    int b = 0;
    CHECK(rm_gguf_open("tests/data/models/tiny-llama.gguf", &g) == RM_OK, "open");
    CHECK(rm_gguf_get_int(g, "llama.block_count", &v) == RM_OK && v == 2, "block_count %lld", (long long)v);
    CHECK(rm_gguf_get_float(g, "llama.block_count", &f) == RM_ERR_TYPE_MISMATCH, "int read as float");
    CHECK(rm_gguf_get_str(g, "llama.block_count", &s) == RM_ERR_TYPE_MISMATCH, "int read as string");
    CHECK(rm_gguf_get_int(g, "no.such.key", &v) == RM_ERR_NOT_FOUND, "missing key");
    CHECK(rm_gguf_get_float(g, "llama.attention.layer_norm_rms_epsilon", &f) == RM_OK && f > 0 && f < 1e-3, "eps %g", f);
    CHECK(rm_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b) == RM_OK && b == 1, "add_bos");
    CHECK(rm_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 1, &tok) == RM_OK && tok.len == 3 && memcmp(tok.ptr, "<s>", 3) == 0,
          "token 1 is <s>");
    CHECK(rm_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 512, &tok) == RM_ERR_LIMIT, "index past the end");
    rm_gguf_close(g);
    rm_gguf_close(NULL);
}


/* ---- handcrafted files: one per validation rule ---------------------------------------- */

typedef struct buf { unsigned char d[4096]; size_t n; } buf;
static void put(buf *b, const void *p, size_t n) { memcpy(b->d + b->n, p, n); b->n += n; }
static void u32(buf *b, uint32_t v) { put(b, &v, 4); }
static void u64(buf *b, uint64_t v) { put(b, &v, 8); }
static void str(buf *b, const char *s) { u64(b, strlen(s)); put(b, s, strlen(s)); }
static void pad(buf *b, size_t a) { while (b->n % a) b->d[b->n++] = 0; }

/* A valid file: 2 keys (architecture, alignment 32), 2 tensors F32 {8} and Q8_0 {32, 2}.
   Arguments let each test break one thing. */
typedef struct spec {
    uint32_t version, align, n_dims, type1;
    uint64_t n_tensors, n_kv, ne0, off1, strlen_override;
    int dup_key, dup_tensor, value_type, nest;
} spec;

static spec good(void) {
    spec s;
    memset(&s, 0, sizeof(s));
    s.version = 3; s.align = 32; s.n_dims = 1; s.type1 = 8; s.n_tensors = 2; s.n_kv = 3; s.ne0 = 8;
    s.off1 = 32; s.value_type = 8;
    return s;
}

static size_t build(const spec *s, buf *b, size_t *section_ends, int *n_sections) {
    int k = 0;
    b->n = 0;
    put(b, "GGUF", 4);
    u32(b, s->version);
    u64(b, s->n_tensors);
    u64(b, s->n_kv);
    section_ends[k++] = b->n;
    str(b, "general.architecture");
    u32(b, (uint32_t)s->value_type);
    if (s->strlen_override) { u64(b, s->strlen_override); put(b, "llama", 5); } else str(b, "llama");
    section_ends[k++] = b->n;
    str(b, s->dup_key ? "general.architecture" : "general.alignment");
    u32(b, s->dup_key ? 8 : 4);
    if (s->dup_key) str(b, "x"); else u32(b, s->align);
    section_ends[k++] = b->n;
    str(b, "nested");
    u32(b, 9);
    if (s->nest) {
        int d;
        for (d = 0; d < 6; d++) { u32(b, 9); u64(b, 1); }
        u32(b, 4); u64(b, 0);
    } else { u32(b, 4); u64(b, 2); u32(b, 7); u32(b, 9); }
    section_ends[k++] = b->n;
    str(b, "t0");
    u32(b, s->n_dims);
    { uint32_t i; for (i = 0; i < s->n_dims && i < 8; i++) u64(b, i == 0 ? s->ne0 : 1); }
    u32(b, 0);
    u64(b, 0);
    section_ends[k++] = b->n;
    str(b, s->dup_tensor ? "t0" : "t1");
    u32(b, 2); u64(b, 32); u64(b, 2);
    u32(b, s->type1);
    u64(b, s->off1);
    section_ends[k++] = b->n;
    pad(b, s->align && !(s->align & (s->align - 1)) ? s->align : 32);
    section_ends[k++] = b->n;
    { size_t i; for (i = 0; i < 32 + 68; i++) b->d[b->n++] = (unsigned char)(i & 0x3f); }
    section_ends[k++] = b->n;
    *n_sections = k;
    return b->n;
}

static rm_result open_spec(const spec *s) {
    buf b;
    size_t ends[16];
    int n;
    rm_gguf *g;
    rm_result r;
    build(s, &b, ends, &n);
    r = rm_gguf_open_memory(b.d, b.n, &g);
    if (r && strlen(rm_gguf_error(g)) < 10) r = (rm_result)-9998; /* a failure must say why */
    rm_gguf_close(g);
    return r;
}

static void test_corrupt_files_one_per_rule(void) {
    spec s;
    rm_result r;
    s = good(); CHECK((r = open_spec(&s)) == RM_OK, "the valid file: %s", rm_result_name(r));
    s = good(); s.version = 1; CHECK(open_spec(&s) == RM_ERR_GGUF_VERSION, "version 1");
    s = good(); s.version = 0x03000000u; CHECK(open_spec(&s) == RM_ERR_GGUF_VERSION, "byte-swapped version");
    s = good(); s.n_tensors = (uint64_t)1 << 60; CHECK(open_spec(&s) == RM_ERR_GGUF_COUNT, "huge tensor count");
    s = good(); s.n_kv = (uint64_t)1 << 61; CHECK(open_spec(&s) == RM_ERR_GGUF_COUNT, "huge kv count");
    s = good(); s.strlen_override = (uint64_t)1 << 40; CHECK(open_spec(&s) == RM_ERR_GGUF_STRING, "string past the end");
    s = good(); s.value_type = 13; CHECK(open_spec(&s) == RM_ERR_GGUF_VALUE_TYPE, "value type 13");
    s = good(); s.dup_key = 1; CHECK(open_spec(&s) == RM_ERR_GGUF_DUP_KEY, "duplicate key");
    s = good(); s.align = 24; CHECK(open_spec(&s) == RM_ERR_GGUF_ALIGNMENT, "alignment 24");
    s = good(); s.align = 0; CHECK(open_spec(&s) == RM_ERR_GGUF_ALIGNMENT, "alignment 0");
    s = good(); s.dup_tensor = 1; CHECK(open_spec(&s) == RM_ERR_GGUF_DUP_TENSOR, "duplicate tensor");
    s = good(); s.n_dims = 5; CHECK(open_spec(&s) == RM_ERR_GGUF_DIMS, "5 dims");
    s = good(); s.n_dims = 0; CHECK(open_spec(&s) == RM_ERR_GGUF_DIMS, "0 dims");
    s = good(); s.ne0 = (uint64_t)1 << 63; CHECK(open_spec(&s) == RM_ERR_GGUF_DIMS, "negative dim");
    s = good(); s.type1 = 4; CHECK(open_spec(&s) == RM_ERR_GGUF_TENSOR_TYPE, "type id 4 (removed from ggml)");
    s = good(); s.type1 = 99; CHECK(open_spec(&s) == RM_ERR_GGUF_TENSOR_TYPE, "type id 99");
    s = good(); s.type1 = 16; CHECK(open_spec(&s) == RM_ERR_GGUF_TENSOR_TYPE, "IQ2_XXS (unsupported)");
    s = good(); s.type1 = 2; CHECK(open_spec(&s) == RM_OK, "Q4_0 {32, 2} fits as well");
    s = good(); s.off1 = 40; CHECK(open_spec(&s) == RM_ERR_GGUF_OFFSET, "misaligned offset");
    s = good(); s.off1 = 0; CHECK(open_spec(&s) == RM_ERR_GGUF_OFFSET, "overlapping tensors");
    s = good(); s.off1 = 64; CHECK(open_spec(&s) == RM_ERR_GGUF_BOUNDS, "tensor past the end of the file");
    s = good(); s.nest = 1; CHECK(open_spec(&s) == RM_ERR_GGUF_NESTING, "arrays nested 7 deep");
    s = good(); s.ne0 = 12; CHECK(open_spec(&s) == RM_ERR_GGUF_OFFSET, "t0 of 48 bytes runs into t1 at 32");
}

static void test_block_size_rule(void) {
    /* a Q8_0 tensor whose row (8) is not a multiple of 32 */
    buf b;
    size_t ends[16];
    int n;
    spec s = good();
    rm_gguf *g;
    build(&s, &b, ends, &n);
    /* t1 is {32, 2} Q8_0; patch its ne0 from 32 to 16 */
    {
        size_t i;
        for (i = 0; i + 6 < b.n; i++)
            if (memcmp(b.d + i, "t1", 2) == 0 && b.d[i - 8] == 2) {
                uint64_t v = 16;
                memcpy(b.d + i + 2 + 4, &v, 8);
                break;
            }
    }
    CHECK(rm_gguf_open_memory(b.d, b.n, &g) == RM_ERR_GGUF_BLOCK, "row 16 of Q8_0: %s", rm_gguf_error(g));
    rm_gguf_close(g);
}

static void test_truncation_at_every_boundary(void) {
    buf b;
    size_t ends[16], cut;
    int n, i;
    spec s = good();
    rm_gguf *g;
    build(&s, &b, ends, &n);
    for (i = 0; i < n - 1; i++) {
        for (cut = ends[i] - (i ? 1 : 0); cut <= ends[i] + 1 && cut < b.n; cut++) {
            rm_result r = rm_gguf_open_memory(b.d, cut, &g);
            CHECK(r == RM_ERR_GGUF_TRUNCATED || r == RM_ERR_GGUF_STRING || r == RM_ERR_GGUF_COUNT || r == RM_ERR_GGUF_BOUNDS,
                  "cut at %zu (section %d ends at %zu): %s", cut, i, ends[i], rm_result_name(r));
            rm_gguf_close(g);
        }
    }
    /* every prefix of the file fails cleanly */
    for (cut = 0; cut < b.n; cut++) {
        rm_result r = rm_gguf_open_memory(b.d, cut, &g);
        CHECK(r != RM_OK, "prefix of %zu bytes opened", cut);
        rm_gguf_close(g);
    }
}

static void test_not_gguf(void) {
    rm_gguf *g;
    const char *txt = "hello, this is not a model";
    CHECK(rm_gguf_open_memory(txt, strlen(txt), &g) == RM_ERR_GGUF_MAGIC, "text");
    rm_gguf_close(g);
    /* empty and 1-3 byte files are short, not foreign: "empty" / "truncated", never "bad magic" */
    CHECK(rm_gguf_open_memory("", 0, &g) == RM_ERR_GGUF_TRUNCATED && strstr(rm_gguf_error(g), "empty"), "empty: %s", rm_gguf_error(g));
    rm_gguf_close(g);
    {
        static const char *shorts[] = {"G", "GG", "GGU", "ab\n"};
        size_t i;
        for (i = 0; i < 4; i++) {
            CHECK(rm_gguf_open_memory(shorts[i], strlen(shorts[i]), &g) == RM_ERR_GGUF_TRUNCATED &&
                      strstr(rm_gguf_error(g), "truncated (") && !strstr(rm_gguf_error(g), "magic"),
                  "%zu bytes: %s", strlen(shorts[i]), rm_gguf_error(g));
            rm_gguf_close(g);
        }
    }
    {
        FILE *f = fopen("build/gguf_empty.gguf", "wb");
        if (f) fclose(f);
        CHECK(rm_gguf_open("build/gguf_empty.gguf", &g) == RM_ERR_GGUF_TRUNCATED && strstr(rm_gguf_error(g), "empty"), "empty file: %s",
              rm_gguf_error(g));
        rm_gguf_close(g);
        f = fopen("build/gguf_3bytes.gguf", "wb");
        if (f) fputs("GGU", f), fclose(f);
        CHECK(rm_gguf_open("build/gguf_3bytes.gguf", &g) == RM_ERR_GGUF_TRUNCATED && strstr(rm_gguf_error(g), "3 bytes"), "3 bytes: %s",
              rm_gguf_error(g));
        rm_gguf_close(g);
    }
    CHECK(rm_gguf_open_memory("GGUX", 4, &g) == RM_ERR_GGUF_MAGIC, "4 bytes of something else: bad magic");
    rm_gguf_close(g);
    CHECK(rm_gguf_open("tests/data/README-fixtures.md", &g) == RM_ERR_GGUF_MAGIC, "a markdown file");
    rm_gguf_close(g);
    /* a missing file says why, with the system's text */
    CHECK(rm_gguf_open("tests/data/no/such/file.gguf", &g) == RM_ERR_IO && strstr(rm_gguf_error(g), "No such file or directory"),
          "missing file: %s", rm_gguf_error(g));
    rm_gguf_close(g);
    CHECK(rm_gguf_open("tests/data", &g) == RM_ERR_IO && strstr(rm_gguf_error(g), "is a directory"), "a directory: %s", rm_gguf_error(g));
    rm_gguf_close(g);
}

/* A real fixture, truncated inside its tensor data, names the tensor past the end. */
static void test_truncated_fixture(void) {
    size_t n;
    char *d = rmt_read_file("tests/data/models/tiny-llama-q4_0.gguf", &n);
    rm_gguf *g;
    CHECK(d != NULL, "read");
    if (!d) return;
    CHECK(rm_gguf_open_memory(d, n, &g) == RM_OK, "whole file");
    rm_gguf_close(g);
    CHECK(rm_gguf_open_memory(d, n - 1, &g) == RM_ERR_GGUF_BOUNDS, "one byte short");
    CHECK(strstr(rm_gguf_error(g), "output.weight") != NULL || strstr(rm_gguf_error(g), "'") != NULL, "names the tensor: %s", rm_gguf_error(g));
    rm_gguf_close(g);
    free(d);
}

/* Regression from fuzz_gguf: a tensor {1, 2^40+256, 0, 1} is valid, holds no element and has
   nbytes 0; code walking tensors must check nbytes before reading a row. */
static void test_fuzz_regression_empty_tensor(void) {
    size_t n;
    char *d = rmt_read_file("tests/data/fuzz/gguf-empty-tensor.gguf", &n);
    rm_gguf *g;
    const rm_tensor *t;
    CHECK(d != NULL, "read");
    if (!d) return;
    CHECK(rm_gguf_open_memory(d, n, &g) == RM_OK, "opens: %s", rm_gguf_error(g));
    t = rm_gguf_tensor(g, 0);
    CHECK(t && t->ne[2] == 0 && t->nbytes == 0, "zero elements, zero bytes");
    rm_gguf_close(g);
    free(d);
}

int main(void) {
    RUN(test_fixture_models_open);
    RUN(test_vocab_only_files_open);
    RUN(test_typed_getters);
    RUN(test_corrupt_files_one_per_rule);
    RUN(test_block_size_rule);
    RUN(test_truncation_at_every_boundary);
    RUN(test_not_gguf);
    RUN(test_truncated_fixture);
    RUN(test_fuzz_regression_empty_tensor);
    return rmt_summary("test_gguf");
}
