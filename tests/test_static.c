/* Two translation units both compile the implementation with static linkage (the second is
   tests/static_b.inc, built and linked by the Makefile); this one also reads files without
   mmap (RM_NO_MMAP), the read-into-memory path. */
#define RM_STATIC
#define RM_NO_MMAP
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

int static_b_block_count(const char *path);

static void test_two_static_units(void) {
    CHECK(static_b_block_count("tests/data/models/tiny-llama.gguf") == 2, "the other unit opens a model");
}

static void test_read_into_memory(void) {
    rm_model *m;
    rm_ctx *c;
    int32_t toks[4] = {1, 403, 407, 261}, tg[4] = {403, 407, 261, -1};
    double lp[4];
    rm_eval e;
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &m) == RM_OK, "open without mmap: %s", rm_model_error(m));
    CHECK(rm_ctx_new(m, NULL, &c) == RM_OK, "ctx");
    memset(&e, 0, sizeof(e));
    e.tokens = toks;
    e.n_tokens = 4;
    e.targets = tg;
    e.logprobs = lp;
    CHECK(rm_ctx_eval(c, &e) == RM_OK, "eval");
    CHECK(lp[0] < 0 && lp[0] > -20 && lp[2] < 0, "log-probs %g %g", lp[0], lp[2]);
    rm_ctx_free(c);
    rm_model_close(m);
}

int main(void) {
    RUN(test_two_static_units);
    RUN(test_read_into_memory);
    return rmt_summary("test_static");
}
