/* GGUF writer: round trips through the reader, byte-exact rewrites of files that gguf-py and
   llama-quantize wrote, validation, alignment, streaming through the fill callback. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"
#include "examples/rmtool_synth.h"
#include <fcntl.h>
#include <unistd.h>

static const char *vocab_files[] = {"ggml-vocab-gemma3", "ggml-vocab-llama3.1", "ggml-vocab-qwen3",
                                    "ggml-vocab-deepseek-coder", "ggml-vocab-gpt-2", "ggml-vocab-llama-spm",
                                    "ggml-vocab-phi-3"};

/* Copies every key and tensor of g into a new writer. */
static rm_gguf_writer *copy_all(const rm_gguf *g) {
    rm_gguf_writer *w = NULL;
    int64_t i;
    if (rm_gguf_writer_new(&w) != RM_OK) return NULL;
    for (i = 0; i < rm_gguf_n_kv(g); i++) {
        rm_result r = rm_gguf_writer_copy_kv(w, g, i);
        CHECK(r == RM_OK, "copy_kv %lld: %s", (long long)i, rm_gguf_writer_error(w));
    }
    for (i = 0; i < rm_gguf_n_tensors(g); i++) {
        const rm_tensor *t = rm_gguf_tensor(g, i);
        char name[128];
        rm_result r;
        snprintf(name, sizeof(name), "%.*s", (int)t->name.len, t->name.ptr);
        r = rm_gguf_writer_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data, t->nbytes);
        CHECK(r == RM_OK, "add_tensor %s: %s", name, rm_gguf_writer_error(w));
    }
    return w;
}

/* Every key (type and value bytes) and every tensor (name, type, shape, bytes) of a equals b. */
static void compare_structure(const rm_gguf *a, const rm_gguf *b, const char *what) {
    int64_t i;
    CHECK(rm_gguf_n_kv(a) == rm_gguf_n_kv(b), "%s: n_kv %lld vs %lld", what, (long long)rm_gguf_n_kv(a), (long long)rm_gguf_n_kv(b));
    CHECK(rm_gguf_n_tensors(a) == rm_gguf_n_tensors(b), "%s: n_tensors", what);
    for (i = 0; i < rm_gguf_n_kv(a) && i < rm_gguf_n_kv(b); i++) {
        rm_str ka = rm_gguf_kv_key(a, i), kb = rm_gguf_kv_key(b, i);
        CHECK(ka.len == kb.len && memcmp(ka.ptr, kb.ptr, ka.len) == 0, "%s: key %lld", what, (long long)i);
        CHECK(rm_gguf_kv_type(a, i) == rm_gguf_kv_type(b, i), "%s: type of key %lld", what, (long long)i);
    }
    for (i = 0; i < rm_gguf_n_tensors(a) && i < rm_gguf_n_tensors(b); i++) {
        const rm_tensor *ta = rm_gguf_tensor(a, i), *tb = rm_gguf_tensor(b, i);
        CHECK(ta->name.len == tb->name.len && memcmp(ta->name.ptr, tb->name.ptr, ta->name.len) == 0, "%s: tensor %lld name", what, (long long)i);
        CHECK(ta->type == tb->type && ta->n_dims == tb->n_dims && memcmp(ta->ne, tb->ne, sizeof(ta->ne)) == 0,
              "%s: tensor %lld shape/type", what, (long long)i);
        CHECK(ta->nbytes == tb->nbytes && (ta->nbytes == 0 || memcmp(ta->data, tb->data, ta->nbytes) == 0),
              "%s: tensor %lld data", what, (long long)i);
    }
}

/* Every fixture written by gguf-py (converter-style) or llama-quantize comes back byte for byte. */
static void test_fixtures_rewrite_byte_exact(void) {
    size_t m;
    for (m = 0; m < RMT_N_FIXTURES; m++) {
        char path[256];
        rm_gguf *g = NULL, *g2 = NULL;
        rm_gguf_writer *w;
        size_t flen = 0, size = 0;
        void *out = NULL;
        char *orig;
        snprintf(path, sizeof(path), "tests/data/models/%s.gguf", rmt_fixture_models[m]);
        orig = rmt_read_file(path, &flen);
        CHECK(orig != NULL, "read %s", path);
        CHECK(rm_gguf_open(path, &g) == RM_OK, "%s: %s", path, rm_gguf_error(g));
        w = copy_all(g);
        CHECK(w && rm_gguf_writer_write_mem(w, &out, &size) == RM_OK, "%s: write_mem: %s", path, rm_gguf_writer_error(w));
        CHECK(size == flen, "%s: %zu bytes written, file has %zu", path, size, flen);
        if (orig && out && size == flen) CHECK(memcmp(orig, out, size) == 0, "%s: bytes differ", path);
        if (out) {
            CHECK(rm_gguf_open_memory(out, size, &g2) == RM_OK, "%s: reopen: %s", path, rm_gguf_error(g2));
            compare_structure(g, g2, path);
            rm_gguf_close(g2);
        }
        rm_gguf_writer_free_mem(out);
        rm_gguf_writer_free(w);
        rm_gguf_close(g);
        free(orig);
    }
}

/* Vocabulary-only files (llama.cpp's models/ggml-vocab-*.gguf): their writers ended the file
   right after the metadata, without padding it to the alignment; a writer following the GGUF
   layout pads the header, so the copy equals the original plus up to 31 zero bytes. */
static void test_vocab_files_rewrite(void) {
    size_t m;
    for (m = 0; m < sizeof(vocab_files) / sizeof(vocab_files[0]); m++) {
        char path[256];
        rm_gguf *g = NULL, *g2 = NULL;
        rm_gguf_writer *w;
        size_t flen = 0, size = 0, k;
        void *out = NULL;
        char *orig;
        snprintf(path, sizeof(path), "build/vocab/%s.gguf", vocab_files[m]);
        orig = rmt_read_file(path, &flen);
        CHECK(orig != NULL, "read %s (run make vocab)", path);
        if (!orig) continue;
        CHECK(rm_gguf_open(path, &g) == RM_OK, "%s: %s", path, rm_gguf_error(g));
        w = copy_all(g);
        CHECK(w && rm_gguf_writer_write_mem(w, &out, &size) == RM_OK, "%s: write_mem", path);
        CHECK(size >= flen && size - flen < 32 && size % 32 == 0, "%s: %zu bytes written, file has %zu", path, size, flen);
        if (out && size >= flen) {
            CHECK(memcmp(orig, out, flen) == 0, "%s: bytes differ", path);
            for (k = flen; k < size; k++) CHECK(((unsigned char *)out)[k] == 0, "%s: padding byte %zu", path, k);
            CHECK(rm_gguf_open_memory(out, size, &g2) == RM_OK, "%s: reopen", path);
            compare_structure(g, g2, path);
            rm_gguf_close(g2);
        }
        rm_gguf_writer_free_mem(out);
        rm_gguf_writer_free(w);
        rm_gguf_close(g);
        free(orig);
    }
}

static void test_round_trip_every_type(void) {
    rm_gguf_writer *w;
    rm_gguf *g = NULL;
    void *out = NULL;
    size_t size = 0;
    static const uint8_t u8[3] = {1, 2, 255};
    static const int8_t i8[2] = {-5, 7};
    static const uint16_t u16[2] = {65535, 3};
    static const int16_t i16[2] = {-30000, 2};
    static const int32_t i32[3] = {-1, 0, 2147483647};
    static const uint64_t u64[2] = {18446744073709551615ull, 42};
    static const int64_t i64[2] = {-9000000000ll, 1};
    static const double f64[2] = {3.25, -1e300};
    static const float f32a[3] = {0.5f, -2.0f, 1e-7f};
    rm_str strs[4];
    float emb[64 * 3];
    uint16_t half[32 * 2];
    uint8_t q8[34 * 2];
    int64_t ne_emb[2] = {64, 3}, ne_half[2] = {32, 2}, ne_q8[3] = {32, 2, 1}, ne_bias[1] = {0};
    int64_t i, v = 0;
    uint64_t n = 0;
    double f = 0;
    int b = 0;
    rm_str s;
    rm_gguf_type et;
    const void *data;
    const rm_tensor *t;

    strs[0].ptr = "a"; strs[0].len = 1;
    strs[1].ptr = ""; strs[1].len = 0;
    strs[2].ptr = "z\0y"; strs[2].len = 3; /* embedded NUL survives */
    strs[3].ptr = "\xe2\x96\x81hello"; strs[3].len = 8;
    for (i = 0; i < 64 * 3; i++) emb[i] = (float)i * 0.25f - 3.0f;
    for (i = 0; i < 64; i++) half[i] = (uint16_t)(0x3c00 + i);
    for (i = 0; i < 68; i++) q8[i] = (uint8_t)(i * 7);

    CHECK(rm_gguf_writer_new(&w) == RM_OK, "new");
    CHECK(rm_gguf_writer_set_str(w, "general.architecture", "llama") == RM_OK, "str");
    CHECK(rm_gguf_writer_set_u32(w, "a.u32", 4000000000u) == RM_OK, "u32");
    CHECK(rm_gguf_writer_set_i32(w, "a.i32", -123456) == RM_OK, "i32");
    CHECK(rm_gguf_writer_set_u64(w, "a.u64", 1ull << 60) == RM_OK, "u64");
    CHECK(rm_gguf_writer_set_f32(w, "a.f32", 1e-6f) == RM_OK, "f32");
    CHECK(rm_gguf_writer_set_bool(w, "a.bool", 1) == RM_OK, "bool");
    CHECK(rm_gguf_writer_set_str(w, "a.replaced", "old") == RM_OK, "str");
    CHECK(rm_gguf_writer_set_str(w, "a.removed", "gone") == RM_OK, "str");
    CHECK(rm_gguf_writer_set_arr(w, "arr.u8", RM_GGUF_UINT8, u8, 3) == RM_OK, "arr u8");
    CHECK(rm_gguf_writer_set_arr(w, "arr.i8", RM_GGUF_INT8, i8, 2) == RM_OK, "arr i8");
    CHECK(rm_gguf_writer_set_arr(w, "arr.u16", RM_GGUF_UINT16, u16, 2) == RM_OK, "arr u16");
    CHECK(rm_gguf_writer_set_arr(w, "arr.i16", RM_GGUF_INT16, i16, 2) == RM_OK, "arr i16");
    CHECK(rm_gguf_writer_set_arr(w, "arr.i32", RM_GGUF_INT32, i32, 3) == RM_OK, "arr i32");
    CHECK(rm_gguf_writer_set_arr(w, "arr.u64", RM_GGUF_UINT64, u64, 2) == RM_OK, "arr u64");
    CHECK(rm_gguf_writer_set_arr(w, "arr.i64", RM_GGUF_INT64, i64, 2) == RM_OK, "arr i64");
    CHECK(rm_gguf_writer_set_arr(w, "arr.f64", RM_GGUF_FLOAT64, f64, 2) == RM_OK, "arr f64");
    CHECK(rm_gguf_writer_set_arr(w, "arr.f32", RM_GGUF_FLOAT32, f32a, 3) == RM_OK, "arr f32");
    CHECK(rm_gguf_writer_set_arr(w, "arr.empty", RM_GGUF_FLOAT32, NULL, 0) == RM_OK, "arr empty");
    CHECK(rm_gguf_writer_set_arr_str(w, "arr.str", strs, 4) == RM_OK, "arr str");
    CHECK(rm_gguf_writer_set_str(w, "a.replaced", "new value") == RM_OK, "replace");
    CHECK(rm_gguf_writer_remove_key(w, "a.removed") == RM_OK, "remove");
    CHECK(rm_gguf_writer_remove_key(w, "a.removed") == RM_ERR_NOT_FOUND, "remove twice");
    CHECK(rm_gguf_writer_n_kv(w) == 18, "n_kv %lld", (long long)rm_gguf_writer_n_kv(w));
    CHECK(rm_gguf_writer_add_tensor(w, "emb", RM_TYPE_F32, 2, ne_emb, emb, sizeof(emb)) == RM_OK, "%s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_writer_add_tensor(w, "half", RM_TYPE_F16, 2, ne_half, half, sizeof(half)) == RM_OK, "%s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_writer_add_tensor(w, "q8", RM_TYPE_Q8_0, 3, ne_q8, q8, sizeof(q8)) == RM_OK, "%s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_writer_add_tensor(w, "empty", RM_TYPE_F32, 1, ne_bias, NULL, 0) == RM_OK, "%s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_writer_write_mem(w, &out, &size) == RM_OK, "write_mem: %s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_open_memory(out, size, &g) == RM_OK, "reopen: %s", rm_gguf_error(g));

    CHECK(rm_gguf_version(g) == 3 && rm_gguf_alignment(g) == 32 && rm_gguf_data_offset(g) % 32 == 0, "header");
    CHECK(rm_gguf_n_kv(g) == 18, "n_kv");
    CHECK(rm__str_eq(rm_gguf_kv_key(g, 0), "general.architecture"), "first key keeps its place");
    CHECK(rm_gguf_get_str(g, "general.architecture", &s) == RM_OK && s.len == 5 && !memcmp(s.ptr, "llama", 5), "arch");
    CHECK(rm_gguf_get_uint(g, "a.u32", &n) == RM_OK && n == 4000000000u && rm_gguf_kv_type(g, rm_gguf_find_key(g, "a.u32")) == RM_GGUF_UINT32, "u32");
    CHECK(rm_gguf_get_int(g, "a.i32", &v) == RM_OK && v == -123456 && rm_gguf_kv_type(g, rm_gguf_find_key(g, "a.i32")) == RM_GGUF_INT32, "i32");
    CHECK(rm_gguf_get_uint(g, "a.u64", &n) == RM_OK && n == (1ull << 60), "u64");
    CHECK(rm_gguf_get_float(g, "a.f32", &f) == RM_OK && (float)f == 1e-6f, "f32 %g", f);
    CHECK(rm_gguf_get_bool(g, "a.bool", &b) == RM_OK && b == 1, "bool");
    CHECK(rm_gguf_find_key(g, "a.replaced") == 6, "replaced key keeps its position (%lld)", (long long)rm_gguf_find_key(g, "a.replaced"));
    CHECK(rm_gguf_get_str(g, "a.replaced", &s) == RM_OK && s.len == 9 && !memcmp(s.ptr, "new value", 9), "replaced value");
    CHECK(rm_gguf_find_key(g, "a.removed") < 0, "removed key");
    CHECK(rm_gguf_get_arr(g, "arr.u8", &et, &n, &data) == RM_OK && et == RM_GGUF_UINT8 && n == 3 && !memcmp(data, u8, 3), "u8 arr");
    CHECK(rm_gguf_get_arr(g, "arr.i8", &et, &n, &data) == RM_OK && et == RM_GGUF_INT8 && n == 2 && !memcmp(data, i8, 2), "i8 arr");
    CHECK(rm_gguf_get_arr(g, "arr.u16", &et, &n, &data) == RM_OK && et == RM_GGUF_UINT16 && n == 2 && !memcmp(data, u16, 4), "u16 arr");
    CHECK(rm_gguf_get_arr(g, "arr.i16", &et, &n, &data) == RM_OK && et == RM_GGUF_INT16 && n == 2 && !memcmp(data, i16, 4), "i16 arr");
    CHECK(rm_gguf_get_arr(g, "arr.i32", &et, &n, &data) == RM_OK && et == RM_GGUF_INT32 && n == 3 && !memcmp(data, i32, 12), "i32 arr");
    CHECK(rm_gguf_get_arr(g, "arr.u64", &et, &n, &data) == RM_OK && et == RM_GGUF_UINT64 && n == 2 && !memcmp(data, u64, 16), "u64 arr");
    CHECK(rm_gguf_get_arr(g, "arr.i64", &et, &n, &data) == RM_OK && et == RM_GGUF_INT64 && n == 2 && !memcmp(data, i64, 16), "i64 arr");
    CHECK(rm_gguf_get_arr(g, "arr.f64", &et, &n, &data) == RM_OK && et == RM_GGUF_FLOAT64 && n == 2 && !memcmp(data, f64, 16), "f64 arr");
    CHECK(rm_gguf_get_arr(g, "arr.f32", &et, &n, &data) == RM_OK && et == RM_GGUF_FLOAT32 && n == 3 && !memcmp(data, f32a, 12), "f32 arr");
    CHECK(rm_gguf_get_arr(g, "arr.empty", &et, &n, &data) == RM_OK && et == RM_GGUF_FLOAT32 && n == 0, "empty arr");
    CHECK(rm_gguf_get_arr(g, "arr.str", &et, &n, NULL) == RM_OK && et == RM_GGUF_STRING && n == 4, "str arr");
    for (i = 0; i < 4; i++)
        CHECK(rm_gguf_get_arr_str(g, "arr.str", (uint64_t)i, &s) == RM_OK && s.len == strs[i].len &&
              (s.len == 0 || !memcmp(s.ptr, strs[i].ptr, s.len)), "str %lld", (long long)i);

    CHECK(rm_gguf_n_tensors(g) == 4, "n_tensors");
    t = rm_gguf_find_tensor(g, "emb");
    CHECK(t && t->type == RM_TYPE_F32 && t->n_dims == 2 && t->ne[0] == 64 && t->ne[1] == 3 && t->offset == 0 &&
          t->nbytes == sizeof(emb) && !memcmp(t->data, emb, sizeof(emb)), "emb");
    t = rm_gguf_find_tensor(g, "half");
    CHECK(t && t->type == RM_TYPE_F16 && t->offset == 768 && !memcmp(t->data, half, sizeof(half)), "half");
    t = rm_gguf_find_tensor(g, "q8");
    CHECK(t && t->type == RM_TYPE_Q8_0 && t->n_dims == 3 && t->ne[2] == 1 && t->offset == 896 && !memcmp(t->data, q8, sizeof(q8)), "q8");
    t = rm_gguf_find_tensor(g, "empty");
    CHECK(t && t->nbytes == 0 && t->ne[0] == 0 && t->offset == 992, "empty tensor at %llu", t ? (unsigned long long)t->offset : 0ull);
    CHECK(size == rm_gguf_data_offset(g) + 992, "file size %zu", size);
    rm_gguf_close(g);
    rm_gguf_writer_free_mem(out);
    rm_gguf_writer_free(w);
}

static void test_validation(void) {
    rm_gguf_writer *w;
    float x[64] = {0};
    uint8_t q[34] = {0};
    int64_t ne1[1] = {64}, ne2[2] = {32, 1}, ne_bad[1] = {48}, ne_neg[2] = {32, -1}, ne5[5] = {1, 1, 1, 1, 1};
    void *out = NULL;
    size_t size = 0;
    char longname[80];
    uint32_t u = 1;
    memset(longname, 'a', sizeof(longname));
    longname[64] = 0; /* 64 bytes: one more than ggml takes */

    CHECK(rm_gguf_writer_new(NULL) == RM_ERR_INVALID_ARG, "new NULL");
    CHECK(rm_gguf_writer_new(&w) == RM_OK, "new");
    CHECK(rm_gguf_writer_set_u32(w, "", 1) == RM_ERR_INVALID_ARG, "empty key");
    CHECK(rm_gguf_writer_set_u32(w, NULL, 1) == RM_ERR_INVALID_ARG, "NULL key");
    CHECK(rm_gguf_writer_set_str(w, "k", NULL) == RM_ERR_INVALID_ARG, "NULL string");
    CHECK(rm_gguf_writer_set_u32(w, "general.alignment", 48) == RM_ERR_GGUF_ALIGNMENT, "alignment 48");
    CHECK(rm_gguf_writer_set_u64(w, "general.alignment", 64) == RM_ERR_GGUF_ALIGNMENT, "alignment as u64");
    CHECK(rm_gguf_writer_set_arr(w, "k", RM_GGUF_STRING, x, 1) == RM_ERR_GGUF_VALUE_TYPE, "string via set_arr");
    CHECK(rm_gguf_writer_set_arr(w, "k", RM_GGUF_ARRAY, x, 1) == RM_ERR_GGUF_VALUE_TYPE, "array via set_arr");
    CHECK(rm_gguf_writer_set_arr(w, "k", RM_GGUF_UINT32, NULL, 2) == RM_ERR_INVALID_ARG, "NULL array data");
    CHECK(rm_gguf_writer_set_arr(w, "k", RM_GGUF_UINT32, &u, UINT64_MAX / 2) == RM_ERR_LIMIT, "huge array");
    CHECK(rm_gguf_writer_n_kv(w) == 0, "failed sets add nothing");
    CHECK(rm_gguf_writer_add_tensor(w, "", RM_TYPE_F32, 1, ne1, x, sizeof(x)) == RM_ERR_INVALID_ARG, "empty name");
    CHECK(rm_gguf_writer_add_tensor(w, longname, RM_TYPE_F32, 1, ne1, x, sizeof(x)) == RM_ERR_INVALID_ARG, "64-byte name");
    longname[63] = 0;
    CHECK(rm_gguf_writer_add_tensor(w, longname, RM_TYPE_F32, 1, ne1, x, sizeof(x)) == RM_OK, "63-byte name");
    CHECK(rm_gguf_writer_add_tensor(w, longname, RM_TYPE_F32, 1, ne1, x, sizeof(x)) == RM_ERR_GGUF_DUP_TENSOR, "duplicate");
    CHECK(strstr(rm_gguf_writer_error(w), "duplicate") != NULL, "message: %s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_writer_add_tensor(w, "t", 4, 1, ne1, x, sizeof(x)) == RM_ERR_GGUF_TENSOR_TYPE, "type 4");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_Q8_K, 1, ne1, x, sizeof(x)) == RM_ERR_GGUF_TENSOR_TYPE, "Q8_K");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_F32, 0, ne1, x, sizeof(x)) == RM_ERR_GGUF_DIMS, "0 dims");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_F32, 5, ne5, x, 4) == RM_ERR_GGUF_DIMS, "5 dims");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_F32, 2, ne_neg, x, 0) == RM_ERR_GGUF_DIMS, "negative dim");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_Q8_0, 1, ne_bad, q, 34) == RM_ERR_GGUF_BLOCK, "48 not a multiple of 32");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_Q8_0, 2, ne2, q, 32) == RM_ERR_INVALID_ARG, "wrong nbytes");
    CHECK(rm_gguf_writer_add_tensor(w, "t", RM_TYPE_Q8_0, 2, ne2, q, 34) == RM_OK, "q8_0 ok");
    CHECK(rm_gguf_writer_add_tensor(w, "deferred", RM_TYPE_F32, 1, ne1, NULL, sizeof(x)) == RM_OK, "deferred");
    CHECK(rm_gguf_writer_write_mem(w, &out, &size) == RM_ERR_INVALID_ARG && out == NULL, "deferred without fill");
    CHECK(rm_gguf_writer_n_tensors(w) == 3, "n_tensors");
    CHECK(rm_gguf_writer_write_file(w, "build/no/such/dir/x.gguf") == RM_ERR_IO, "bad directory");
    rm_gguf_writer_free(w);
    rm_gguf_writer_free(NULL);
    CHECK(rm_gguf_writer_set_u32(NULL, "k", 1) == RM_ERR_INVALID_ARG, "NULL writer");
}

static void test_alignment_honoured(void) {
    rm_gguf_writer *w;
    rm_gguf *g = NULL;
    void *out = NULL;
    size_t size = 0;
    float a[3] = {1, 2, 3}, b[5] = {4, 5, 6, 7, 8};
    int64_t na[1] = {3}, nb[1] = {5};
    int64_t i;
    CHECK(rm_gguf_writer_new(&w) == RM_OK, "new");
    CHECK(rm_gguf_writer_set_u32(w, "general.alignment", 256) == RM_OK, "alignment");
    CHECK(rm_gguf_writer_add_tensor(w, "a", RM_TYPE_F32, 1, na, a, sizeof(a)) == RM_OK, "a");
    CHECK(rm_gguf_writer_add_tensor(w, "b", RM_TYPE_F32, 1, nb, b, sizeof(b)) == RM_OK, "b");
    CHECK(rm_gguf_writer_write_mem(w, &out, &size) == RM_OK, "write");
    CHECK(size % 256 == 0, "size %zu", size);
    CHECK(rm_gguf_open_memory(out, size, &g) == RM_OK, "open: %s", rm_gguf_error(g));
    CHECK(rm_gguf_alignment(g) == 256 && rm_gguf_data_offset(g) == 256, "alignment %zu data %llu", rm_gguf_alignment(g),
          (unsigned long long)rm_gguf_data_offset(g));
    CHECK(rm_gguf_find_tensor(g, "b") && rm_gguf_find_tensor(g, "b")->offset == 256, "b at 256");
    CHECK(rm_gguf_find_tensor(g, "b") && !memcmp(rm_gguf_find_tensor(g, "b")->data, b, sizeof(b)), "b data");
    for (i = 12; i < 256; i++) CHECK(((unsigned char *)out)[256 + i] == 0, "padding %lld", (long long)i);
    rm_gguf_close(g);
    rm_gguf_writer_free_mem(out);
    rm_gguf_writer_free(w);
}

typedef struct fill_state { int calls; int fail_at; } fill_state;

static rm_result fill_pattern(void *user, int64_t index, const char *name, void *dst, size_t nbytes) {
    fill_state *st = (fill_state *)user;
    size_t k;
    (void)name;
    if (st->calls++ == st->fail_at) return RM_ERR_NONFINITE;
    for (k = 0; k < nbytes; k++) ((unsigned char *)dst)[k] = (unsigned char)(index * 31 + (int64_t)k);
    return RM_OK;
}

/* Streaming through the callback, to a file, atomically: a failed write leaves the old file. */
static void test_fill_and_file(void) {
    const char *path = "build/test_write_tmp.gguf";
    rm_gguf_writer *w;
    rm_gguf *g = NULL;
    fill_state st = {0, -1};
    int64_t ne[2] = {100, 7}, i;
    float small[4] = {1, 2, 3, 4};
    int64_t ns[1] = {4};
    size_t k;
    FILE *f;
    remove(path);
    CHECK(rm_gguf_writer_new(&w) == RM_OK, "new");
    CHECK(rm_gguf_writer_set_str(w, "general.architecture", "test") == RM_OK, "kv");
    CHECK(rm_gguf_writer_add_tensor(w, "x", RM_TYPE_F16, 2, ne, NULL, 1400) == RM_OK, "x");
    CHECK(rm_gguf_writer_add_tensor(w, "s", RM_TYPE_F32, 1, ns, small, sizeof(small)) == RM_OK, "s");
    CHECK(rm_gguf_writer_add_tensor(w, "y", RM_TYPE_F32, 2, ne, NULL, 2800) == RM_OK, "y");
    rm_gguf_writer_set_fill(w, fill_pattern, &st);
    CHECK(rm_gguf_writer_write_file(w, path) == RM_OK, "write: %s", rm_gguf_writer_error(w));
    CHECK(st.calls == 2, "fill called %d times", st.calls);
    CHECK(rm_gguf_open(path, &g) == RM_OK, "open: %s", rm_gguf_error(g));
    for (i = 0; i < 3; i++) {
        const rm_tensor *t = rm_gguf_tensor(g, i);
        if (!t) continue;
        if (i == 1) CHECK(!memcmp(t->data, small, sizeof(small)), "s");
        else
            for (k = 0; k < t->nbytes; k++)
                if (((const unsigned char *)t->data)[k] != (unsigned char)(i * 31 + (int64_t)k)) {
                    CHECK(0, "tensor %lld byte %zu", (long long)i, k);
                    break;
                }
    }
    rm_gguf_close(g);
    /* a failing callback aborts the write, leaves the earlier file and no temporary behind */
    st.calls = 0;
    st.fail_at = 1;
    CHECK(rm_gguf_writer_write_file(w, path) == RM_ERR_NONFINITE, "failing fill");
    CHECK(strstr(rm_gguf_writer_error(w), "'y'") != NULL, "message names the tensor: %s", rm_gguf_writer_error(w));
    CHECK(rm_gguf_open(path, &g) == RM_OK && rm_gguf_n_tensors(g) == 3, "old file intact");
    rm_gguf_close(g);
    f = fopen("build/test_write_tmp.gguf.rm-tmp", "rb");
    CHECK(f == NULL, "temporary removed");
    if (f) fclose(f);
    remove(path);
    rm_gguf_writer_free(w);
}


/* ---- rmtool synth against files made by llama.cpp's converter (gguf-py) and llama-quantize ----
   The fixtures' tiny models were written the way convert_hf_to_gguf.py writes each
   architecture and quantized with llama-quantize; synth with the same small shapes must give
   the same keys (names, types, values), the same tensors (order, names, types, shapes) and,
   for llama3, the converter's rope_freqs.weight. General metadata (name, license, ...) is
   free text and not compared. */

static int skip_key(rm_str k) {
    if (k.len > 8 && memcmp(k.ptr, "general.", 8) == 0)
        return !rm__str_eq(k, "general.architecture") && !rm__str_eq(k, "general.file_type") &&
               !rm__str_eq(k, "general.quantization_version");
    return 0;
}

static void tensor_stats(const rm_tensor *t, double *mean, double *sd) {
    int64_t n = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3], i;
    float *f = (float *)malloc(sizeof(float) * (size_t)(n ? n : 1));
    double s = 0, s2 = 0;
    rm_dequantize_row(t->type, t->data, f, n);
    for (i = 0; i < n; i++) { s += f[i]; s2 += (double)f[i] * f[i]; }
    *mean = n ? s / (double)n : 0;
    *sd = n ? sqrt(RM__MAX(s2 / (double)n - *mean * *mean, 0.0)) : 0;
    free(f);
}

static void compare_with_fixture(const char *fixture, const rmts_preset *p, const char *type, int stats) {
    char path[256], err[512], what[300];
    const char *out = "build/test_write_synth.gguf";
    const rmts_ftype *ft = NULL;
    rm_gguf *a = NULL, *b = NULL;
    int64_t i, j;
    size_t k;
    for (k = 0; k < sizeof(rmts_ftypes) / sizeof(rmts_ftypes[0]); k++)
        if (!strcmp(rmts_ftypes[k].name, type)) ft = &rmts_ftypes[k];
    snprintf(path, sizeof(path), "tests/data/models/%s.gguf", fixture);
    snprintf(what, sizeof(what), "%s vs synth %s", fixture, type);
    CHECK(ft && rmts_synthesize(p, ft, 7, out, err, sizeof(err), NULL) == RM_OK, "%s: %s", what, err);
    CHECK(rm_gguf_open(path, &a) == RM_OK, "%s: %s", path, rm_gguf_error(a));
    CHECK(rm_gguf_open(out, &b) == RM_OK, "%s: %s", what, rm_gguf_error(b));
    /* keys, in order */
    for (i = 0, j = 0;; i++, j++) {
        rm_str ka, kb;
        double fa, fb;
        uint64_t ua, ub;
        while (i < rm_gguf_n_kv(a) && skip_key(rm_gguf_kv_key(a, i))) i++;
        while (j < rm_gguf_n_kv(b) && skip_key(rm_gguf_kv_key(b, j))) j++;
        if (i >= rm_gguf_n_kv(a) || j >= rm_gguf_n_kv(b)) {
            CHECK(i >= rm_gguf_n_kv(a) && j >= rm_gguf_n_kv(b), "%s: key counts differ", what);
            break;
        }
        ka = rm_gguf_kv_key(a, i);
        kb = rm_gguf_kv_key(b, j);
        CHECK(ka.len == kb.len && !memcmp(ka.ptr, kb.ptr, ka.len), "%s: key '%.*s' vs '%.*s'", what, (int)ka.len, ka.ptr,
              (int)kb.len, kb.ptr);
        CHECK(rm_gguf_kv_type(a, i) == rm_gguf_kv_type(b, j), "%s: type of '%.*s'", what, (int)ka.len, ka.ptr);
        if (ka.len > 10 && !memcmp(ka.ptr, "tokenizer.", 10) && !rm__str_eq(ka, "tokenizer.ggml.model")) continue;
        if (rm_gguf_kv_float(a, i, &fa) == RM_OK)
            CHECK(rm_gguf_kv_float(b, j, &fb) == RM_OK && fa == fb, "%s: '%.*s' %g vs %g", what, (int)ka.len, ka.ptr, fa, fb);
        else if (rm_gguf_kv_uint(a, i, &ua) == RM_OK)
            CHECK(rm_gguf_kv_uint(b, j, &ub) == RM_OK && ua == ub, "%s: '%.*s' %llu vs %llu", what, (int)ka.len, ka.ptr,
                  (unsigned long long)ua, (unsigned long long)ub);
    }
    { /* vocabulary of the real size, with byte pieces where llama.cpp looks for them */
        rm_str s;
        uint64_t n = 0;
        CHECK(rm_gguf_get_arr(b, "tokenizer.ggml.tokens", NULL, &n, NULL) == RM_OK && n == (uint64_t)p->n_vocab, "%s: vocab", what);
        CHECK(rm_gguf_get_arr_str(b, "tokenizer.ggml.tokens", 3 + 0x0A, &s) == RM_OK && s.len == 6 && !memcmp(s.ptr, "<0x0A>", 6),
              "%s: <0x0A>", what);
    }
    /* tensors, in order */
    CHECK(rm_gguf_n_tensors(a) == rm_gguf_n_tensors(b), "%s: %lld vs %lld tensors", what, (long long)rm_gguf_n_tensors(a),
          (long long)rm_gguf_n_tensors(b));
    for (i = 0; i < rm_gguf_n_tensors(a) && i < rm_gguf_n_tensors(b); i++) {
        const rm_tensor *ta = rm_gguf_tensor(a, i), *tb = rm_gguf_tensor(b, i);
        CHECK(ta->name.len == tb->name.len && !memcmp(ta->name.ptr, tb->name.ptr, ta->name.len), "%s: tensor %lld '%.*s' vs '%.*s'",
              what, (long long)i, (int)ta->name.len, ta->name.ptr, (int)tb->name.len, tb->name.ptr);
        CHECK(ta->type == tb->type, "%s: '%.*s' %s vs %s", what, (int)ta->name.len, ta->name.ptr, rm_type_name(ta->type),
              rm_type_name(tb->type));
        CHECK(ta->n_dims == tb->n_dims && !memcmp(ta->ne, tb->ne, sizeof(ta->ne)), "%s: '%.*s' shape", what, (int)ta->name.len,
              ta->name.ptr);
        if (rm__str_eq(ta->name, "rope_freqs.weight") && ta->type == RM_TYPE_F32 && tb->type == RM_TYPE_F32 && ta->nbytes == tb->nbytes) {
            for (k = 0; k < ta->nbytes / 4; k++) {
                float fa = ((const float *)ta->data)[k], fb = ((const float *)tb->data)[k];
                CHECK(fabsf(fa - fb) <= 1e-6f * fabsf(fa), "%s: rope_freqs[%zu] %g vs %g", what, k, fa, fb);
            }
        }
        if (stats && ta->type == tb->type && ta->nbytes == tb->nbytes) {
            /* same sigma scheme as the fixtures' generator */
            /* four standard errors of the difference of two samples */
            double ma, sa, mb, sb, n = (double)(ta->ne[0] * ta->ne[1]);
            tensor_stats(ta, &ma, &sa);
            tensor_stats(tb, &mb, &sb);
            CHECK(fabs(sb / sa - 1) < 4 / sqrt(n) + 0.02 && fabs(mb - ma) < 4 * sa * sqrt(2 / n) + 1e-3, "%s: '%.*s' mean/sd %g/%g vs %g/%g", what,
                  (int)ta->name.len, ta->name.ptr, ma, sa, mb, sb);
        }
    }
    rm_gguf_close(a);
    rm_gguf_close(b);
    remove(out);
}

static rmts_preset tiny_preset(rmts_arch arch, double theta, double eps, int tied, int whd, int add_bos) {
    rmts_preset p;
    memset(&p, 0, sizeof(p));
    p.preset = "tiny"; p.name = "tiny"; p.basename = "tiny"; p.size_label = "1.3M"; p.license = "mit";
    p.arch = arch;
    p.n_layer = 2; p.n_embd = 256; p.n_head = 4; p.n_head_kv = 2; p.head_dim = 64; p.n_ff = 512; p.n_vocab = 512; p.n_ctx = 1024;
    p.rope_theta = theta; p.eps = eps; p.tied = tied; p.write_head_dim = whd; p.add_bos = add_bos;
    return p;
}

static void test_synth_matches_converter_and_quantize(void) {
    rmts_preset p;
    p = tiny_preset(RMTS_LLAMA, 10000, 1e-5, 0, 0, 1);
    compare_with_fixture("tiny-llama", &p, "f32", 1);
    compare_with_fixture("tiny-llama-q8_0", &p, "q8_0", 0);
    compare_with_fixture("tiny-llama-q4_0", &p, "q4_0", 0);
    compare_with_fixture("tiny-llama-q4_k_m", &p, "q4_k_m", 0);
    p = tiny_preset(RMTS_LLAMA, 500000, 1e-5, 1, 1, 1);
    p.rope_factor = 8; p.rope_low = 1; p.rope_high = 4; p.rope_orig_ctx = 256;
    compare_with_fixture("tiny-llama3", &p, "f16", 0);
    p = tiny_preset(RMTS_QWEN2, 1e6, 1e-6, 1, 0, 0);
    compare_with_fixture("tiny-qwen2", &p, "f32", 1);
    compare_with_fixture("tiny-qwen2-q8_0", &p, "q8_0", 0);
    compare_with_fixture("tiny-qwen2-q4_k_m", &p, "q4_k_m", 0);
    p = tiny_preset(RMTS_QWEN3, 1e6, 1e-6, 1, 1, 0);
    compare_with_fixture("tiny-qwen3", &p, "f32", 1);
    p = tiny_preset(RMTS_GEMMA2, 10000, 1e-6, 1, 1, 1);
    p.attn_softcap = 50; p.final_softcap = 30; p.sliding_window = 4096;
    compare_with_fixture("tiny-gemma2", &p, "f32", 0);
    p = tiny_preset(RMTS_GPTNEOX, 10000, 1e-5, 0, 0, 1);
    p.n_head_kv = 4; p.rotary_pct = 0.25;
    compare_with_fixture("tiny-gptneox", &p, "f16", 0);
}

/* The command line: options, errors, and a small file of a real preset. */
static void test_synth_command_line(void) {
    char *ok_args[] = {"synth", "--preset", "pythia-1b", "--type", "f16", "-o", "build/test_write_cli.gguf",
                       "--layers", "1", "--vocab", "300", "--seed", "3"};
    char *bad_preset[] = {"synth", "--preset", "gpt-5", "--type", "f16", "-o", "build/x.gguf"};
    char *bad_type[] = {"synth", "--preset", "pythia-1b", "--type", "q3_k", "-o", "build/x.gguf"};
    char *missing[] = {"synth", "--preset"};
    rm_gguf *g = NULL;
    const rm_tensor *t;
    uint64_t n = 0;
    CHECK(rmtool_synth(13, ok_args) == 0, "synth pythia-1b");
    CHECK(rm_gguf_open("build/test_write_cli.gguf", &g) == RM_OK, "open: %s", rm_gguf_error(g));
    CHECK(rm_gguf_get_uint(g, "gptneox.rope.dimension_count", &n) == RM_OK && n == 64, "rope dims %llu", (unsigned long long)n);
    t = rm_gguf_find_tensor(g, "blk.0.attn_qkv.weight");
    CHECK(t && t->ne[0] == 2048 && t->ne[1] == 6144 && t->type == RM_TYPE_F16, "attn_qkv");
    t = rm_gguf_find_tensor(g, "output.weight");
    CHECK(t && t->ne[0] == 2048 && t->ne[1] == 300, "output");
    rm_gguf_close(g);
    remove("build/test_write_cli.gguf");
    {
        /* the negative cases print their "error:" lines into a file; shown prefixed "expected: "
           so that a passing run does not read as a broken one */
        int saved = dup(2), fd = open("build/test_write_err.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        char *e, *line;
        fflush(stderr);
        if (fd >= 0) dup2(fd, 2);
        CHECK(rmtool_synth(7, bad_preset) == 1, "unknown preset");
        CHECK(rmtool_synth(7, bad_type) == 1, "unknown type");
        CHECK(rmtool_synth(2, missing) == 1, "missing value");
        fflush(stderr);
        if (fd >= 0) dup2(saved, 2), close(fd);
        close(saved);
        e = rmt_read_file("build/test_write_err.txt", NULL);
        CHECK(e && strstr(e, "gpt-5") && strstr(e, "q3_k") && strstr(e, "--preset needs a value"), "the three errors: %s", e ? e : "");
        for (line = e; line && *line;) {
            char *end = strchr(line, '\n');
            printf("  expected: %.*s\n", end ? (int)(end - line) : (int)strlen(line), line);
            line = end ? end + 1 : line + strlen(line);
        }
        free(e);
    }
}

int main(void) {
    RUN(test_round_trip_every_type);
    RUN(test_fixtures_rewrite_byte_exact);
    RUN(test_vocab_files_rewrite);
    RUN(test_validation);
    RUN(test_alignment_honoured);
    RUN(test_fill_and_file);
    RUN(test_synth_matches_converter_and_quantize);
    RUN(test_synth_command_line);
    return rmt_summary("test_write");
}
