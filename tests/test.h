/* Minimal test harness shared by the test programs: each program runs named tests and ends
   with "<program>: N passed, M failed"; tests/run.sh adds the programs' counts up. */
#ifndef RM_TEST_H
#define RM_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#if defined(__GNUC__)
#define RMT_UNUSED __attribute__((unused))
#else
#define RMT_UNUSED
#endif

static int rmt__passed, rmt__failed, rmt__cur_failed;
static const char *rmt__cur_name = "";

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            if (rmt__cur_failed++ < 8) {                                        \
                printf("  NOT OK %s (%s:%d): ", rmt__cur_name, __FILE__, __LINE__); \
                printf(__VA_ARGS__);                                            \
                printf("\n");                                                   \
            }                                                                   \
        }                                                                       \
    } while (0)

#define RUN(fn) rmt_run(#fn, fn)
RMT_UNUSED static void rmt_run(const char *name, void (*fn)(void)) {
    rmt__cur_name = name;
    rmt__cur_failed = 0;
    fn();
    if (rmt__cur_failed) {
        rmt__failed++;
        printf("FAIL %s (%d checks failed)\n", name, rmt__cur_failed);
    } else {
        rmt__passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}
RMT_UNUSED static int rmt_summary(const char *prog) {
    printf("%s: %d passed, %d failed\n", prog, rmt__passed, rmt__failed);
    return rmt__failed ? 1 : 0;
}

/* Command prefix for the programs the tests start through the shell (rmtool, the examples):
   $TEST_EXEC, e.g. "qemu-aarch64" when the build under test is for another CPU (make
   test-arm64); empty to run them directly. */
RMT_UNUSED static const char *rmt_exec(void) {
    const char *e = getenv("TEST_EXEC");
    return e ? e : "";
}

/* The fixture models of tests/data/models, each with its reference tests/data/ref/<name>.json. */
RMT_UNUSED static const char *const rmt_fixture_models[] = {
    "stories260K", "stories260K-q8_0", "stories260K-policy", "tiny-llama", "tiny-llama3",
    "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gptneox", "tiny-llama-f16", "tiny-llama-bf16",
    "tiny-llama-q8_0", "tiny-llama-q4_0", "tiny-llama-q4_1", "tiny-llama-q5_0", "tiny-llama-q5_1",
    "tiny-llama-q2_k", "tiny-llama-q3_k_m", "tiny-llama-q4_k_m", "tiny-llama-q5_k_m",
    "tiny-llama-q6_k", "tiny-llama-iq4_nl", "tiny-llama-iq4_xs", "tiny-qwen2-q8_0",
    "tiny-qwen2-q4_k_m", "tiny-qwen2-rm", "tiny-llama-rm"};
#define RMT_N_FIXTURES (sizeof(rmt_fixture_models) / sizeof(rmt_fixture_models[0]))

/* Reads a whole file; caller frees. Returns NULL when missing. */
RMT_UNUSED static char *rmt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[n] = 0; if (len) *len = (size_t)n; }
    return buf;
}

#ifdef RMJSON_H_INCLUDED
/* Reference files (tests/data/ref) through examples/rmjson.h. */
RMT_UNUSED static rmj_doc *rmt_load_json(const char *path) {
    size_t n;
    char *txt = rmt_read_file(path, &n);
    rmj_error err;
    rmj_doc *d;
    if (!txt) return NULL;
    d = rmj_parse(txt, n, &err);
    free(txt);
    return d;
}

/* A JSON array of integers as int32 (caller frees); *n receives the count. */
RMT_UNUSED static int32_t *rmt_int_array(const rmj_value *a, int64_t *n) {
    size_t i;
    int32_t *out = (int32_t *)malloc((rmj_len(a) + 1) * sizeof(int32_t));
    *n = (int64_t)rmj_len(a);
    for (i = 0; i < rmj_len(a); i++) out[i] = (int32_t)rmj_num(rmj_at(a, i));
    return out;
}
#endif
#endif
