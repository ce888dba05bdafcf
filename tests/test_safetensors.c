/* examples/rmsafetensors.h: a valid file, then one corrupt file per validation rule with the
   exact error code and the words the message must contain. */
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#define RMST_IMPLEMENTATION
#include "examples/rmsafetensors.h"
#include "test.h"

/* An image: u64 header length, the header text, then data_bytes bytes 0, 1, 2, ... */
static unsigned char *image(const char *hdr, size_t data_bytes, size_t *size) {
    size_t n = strlen(hdr), i;
    unsigned char *p = (unsigned char *)malloc(8 + n + data_bytes + 1);
    for (i = 0; i < 8; i++) p[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(p + 8, hdr, n);
    for (i = 0; i < data_bytes; i++) p[8 + n + i] = (unsigned char)i;
    *size = 8 + n + data_bytes;
    return p;
}

static void expect(const char *what, const char *hdr, size_t data_bytes, rmst_result code, const char *words) {
    size_t size;
    unsigned char *p = image(hdr, data_bytes, &size);
    rmst_file *f = NULL;
    rmst_result r = rmst_open_memory(p, size, &f);
    CHECK(r == code, "%s: got %d, expected %d (%s)", what, (int)r, (int)code, rmst_error(f));
    CHECK(!words || strstr(rmst_error(f), words), "%s: message '%s' lacks '%s'", what, rmst_error(f), words);
    rmst_close(f);
    free(p);
}

static void test_valid(void) {
    const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]},"
                      "\"a\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                      "\"e\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[20,20]}}";
    size_t size;
    unsigned char *p = image(hdr, 20, &size);
    rmst_file *f = NULL;
    const rmst_tensor *t;
    unsigned char buf[8];
    CHECK(rmst_open_memory(p, size, &f) == RMST_OK, "open: %s", rmst_error(f));
    CHECK(rmst_n_tensors(f) == 3, "%lld tensors", (long long)rmst_n_tensors(f));
    t = rmst_find(f, "a");
    CHECK(t && t->dtype == RMST_BF16 && t->n_dims == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->nbytes == 12, "tensor a");
    t = rmst_find(f, "b");
    CHECK(t && rmst_read(f, t, 4, 4, buf) == RMST_OK && buf[0] == 16 && buf[3] == 19, "read b");
    CHECK(t && rmst_read(f, t, 4, 5, buf) != RMST_OK, "read past a tensor");
    CHECK(rmst_metadata(f, "format") && strcmp(rmst_metadata(f, "format"), "pt") == 0, "metadata");
    CHECK(rmst_metadata(f, "other") == NULL, "absent metadata");
    rmst_close(f);
    free(p);
    rmst_close(NULL);
}

static void test_header_rules(void) {
    rmst_file *f = NULL;
    unsigned char small[5] = {1, 0, 0, 0, 0}, big[16] = {0};
    CHECK(rmst_open_memory(small, 5, &f) == RMST_ERR_HEADER && strstr(rmst_error(f), "no header length"), "%s", rmst_error(f));
    rmst_close(f);
    big[0] = 0xff; big[1] = 0xff; big[2] = 0xff; big[3] = 0xff; /* 4 GiB header */
    CHECK(rmst_open_memory(big, 16, &f) == RMST_ERR_HEADER && strstr(rmst_error(f), "limit"), "%s", rmst_error(f));
    rmst_close(f);
    memset(big, 0, sizeof(big));
    big[0] = 100; /* a header longer than the file */
    CHECK(rmst_open_memory(big, 16, &f) == RMST_ERR_HEADER && strstr(rmst_error(f), "truncated"), "%s", rmst_error(f));
    rmst_close(f);
    CHECK(rmst_open("/nonexistent/model.safetensors", &f) == RMST_ERR_IO, "missing file");
    rmst_close(f);
}

static void test_corrupt(void) {
    expect("not json", "{\"a\":", 0, RMST_ERR_JSON, "not valid JSON");
    expect("not an object", "[1,2]", 0, RMST_ERR_JSON, "not a JSON object");
    expect("entry not an object", "{\"a\":5}", 0, RMST_ERR_ENTRY, "'a'");
    expect("missing data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, RMST_ERR_ENTRY, "data_offsets");
    expect("extra member", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4, RMST_ERR_ENTRY, "exactly");
    expect("empty name", "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, RMST_ERR_ENTRY, "empty name");
    expect("duplicate", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
           8, RMST_ERR_ENTRY, "twice");
    expect("metadata not strings", "{\"__metadata__\":{\"k\":1}}", 0, RMST_ERR_ENTRY, "__metadata__");
    expect("metadata not object", "{\"__metadata__\":[]}", 0, RMST_ERR_ENTRY, "__metadata__");
    /* more metadata entries than top-level members (found by fuzz_safetensors) */
    expect("long metadata", "{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":4}}", 0, RMST_ERR_ENTRY, "'d'");
    expect("unknown dtype", "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, RMST_ERR_DTYPE, "'Q4'");
    expect("negative dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, RMST_ERR_SHAPE, "dimension 0");
    expect("fractional dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, RMST_ERR_SHAPE, "dimension 0");
    expect("too many dims", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, RMST_ERR_SHAPE, "9 dimensions");
    expect("count overflow", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,2],\"data_offsets\":[0,4]}}", 4, RMST_ERR_SHAPE, "overflow");
    expect("shape vs offsets", "{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", 4, RMST_ERR_SHAPE, "3 elements of F16");
    expect("offsets reversed", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4, RMST_ERR_BOUNDS, "begin <= end");
    expect("offsets three", "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0,0]}}", 4, RMST_ERR_BOUNDS, "data_offsets");
    expect("past the end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 7, RMST_ERR_BOUNDS, "truncated");
    expect("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
           8, RMST_ERR_OVERLAP, "overlap");
}

static void test_file(void) {
    /* the same through a real file, and a file truncated after opening (larger than stdio's
       buffer, which may otherwise still hold the old bytes) */
    const char *hdr = "{\"w\":{\"dtype\":\"F32\",\"shape\":[65536],\"data_offsets\":[0,262144]}}";
    const char *path = "build/test_safetensors.tmp";
    size_t size;
    unsigned char *p = image(hdr, 262144, &size), buf[16];
    FILE *fp = fopen(path, "wb");
    rmst_file *f = NULL;
    CHECK(fp && fwrite(p, 1, size, fp) == size, "write");
    if (fp) fclose(fp);
    CHECK(rmst_open(path, &f) == RMST_OK, "%s", rmst_error(f));
    CHECK(rmst_read(f, rmst_find(f, "w"), 0, 16, buf) == RMST_OK && buf[15] == 15, "read");
    fp = fopen(path, "wb");
    if (fp) {
        fwrite(p, 1, size - 4, fp);
        fclose(fp);
    }
    CHECK(rmst_read(f, rmst_find(f, "w"), 262144 - 16, 16, buf) == RMST_ERR_IO, "read of a file truncated after opening");
    rmst_close(f);
    CHECK(rmst_open(path, &f) == RMST_ERR_BOUNDS, "truncated file: %s", rmst_error(f));
    rmst_close(f);
    remove(path);
    free(p);
}

int main(void) {
    RUN(test_valid);
    RUN(test_header_rules);
    RUN(test_corrupt);
    RUN(test_file);
    return rmt_summary("test_safetensors");
}
