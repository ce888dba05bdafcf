/* GGUF reader: every fixture opens with the expected metadata and tensor table. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

static const char *models[] = {
    "stories260K", "stories260K-q8_0", "stories260K-policy", "tiny-llama", "tiny-llama3",
    "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gptneox", "tiny-llama-f16", "tiny-llama-bf16",
    "tiny-llama-q8_0", "tiny-llama-q4_0", "tiny-llama-q4_1", "tiny-llama-q5_0", "tiny-llama-q5_1",
    "tiny-llama-q2_k", "tiny-llama-q3_k_m", "tiny-llama-q4_k_m", "tiny-llama-q5_k_m",
    "tiny-llama-q6_k", "tiny-llama-iq4_nl", "tiny-llama-iq4_xs", "tiny-qwen2-q8_0",
    "tiny-qwen2-q4_k_m", "tiny-qwen2-rm", "tiny-llama-rm"};

static void test_fixture_models_open(void) {
    size_t i;
    for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        char path[256];
        rm_gguf *g;
        rm_result r;
        rm_str arch;
        snprintf(path, sizeof(path), "tests/data/models/%s.gguf", models[i]);
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

int main(void) {
    RUN(test_fixture_models_open);
    RUN(test_vocab_only_files_open);
    RUN(test_typed_getters);
    return rmt_summary("test_gguf");
}
