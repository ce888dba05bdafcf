/* libFuzzer target: every shipped tokenizer on arbitrary bytes. The first byte picks the
   vocabulary and the flags; tokenizing must never crash, and what it returns must be ids in
   range that detokenize without error. Run from the repository root after `make vocab`. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include <stdio.h>
#include <stdlib.h>

static const char *paths[] = {"tests/data/models/stories260K.gguf", "tests/data/models/tiny-gemma2.gguf",
                              "build/vocab/ggml-vocab-gpt-2.gguf", "build/vocab/ggml-vocab-qwen3.gguf",
                              "build/vocab/ggml-vocab-llama3.1.gguf", "build/vocab/ggml-vocab-deepseek-coder.gguf",
                              "build/vocab/ggml-vocab-llama-spm.gguf", "build/vocab/ggml-vocab-gemma3.gguf"};
#define NV (sizeof(paths) / sizeof(paths[0]))
static rm_gguf *files[NV];
static rm_vocab *vocabs[NV];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    size_t i;
    (void)argc;
    (void)argv;
    for (i = 0; i < NV; i++) {
        if (rm_gguf_open(paths[i], &files[i]) != RM_OK || rm_vocab_load(files[i], &vocabs[i]) != RM_OK) {
            fprintf(stderr, "fuzz_tok: cannot load %s (run make vocab first)\n", paths[i]);
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int32_t ids[1 << 16];
    static char back[1 << 20];
    const rm_vocab *v;
    size_t n = 0, m = 0, i;
    rm_result r;
    if (size < 1) return 0;
    v = vocabs[data[0] % NV];
    r = rm_tokenize(v, (const char *)data + 1, size - 1, (data[0] >> 4) & 1, (data[0] >> 5) & 1, ids, sizeof(ids) / sizeof(ids[0]), &n);
    if (r == RM_OK) {
        for (i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= rm_vocab_n_tokens(v)) abort();
        if (rm_detokenize(v, ids, n, back, sizeof(back), &m) != RM_OK) abort();
    } else if (r != RM_ERR_UTF8 && r != RM_ERR_LIMIT) {
        abort();
    }
    return 0;
}
