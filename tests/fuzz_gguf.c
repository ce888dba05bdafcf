/* libFuzzer target: open arbitrary bytes as a GGUF image, then walk everything it exposes. */
#define RM_IMPLEMENTATION
#include "rm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rm_gguf *g = NULL;
    int64_t i;
    volatile float sink = 0;
    if (rm_gguf_open_memory(data, size, &g) == RM_OK) {
        for (i = 0; i < rm_gguf_n_kv(g); i++) {
            rm_gguf_type et;
            uint64_t n = 0, j;
            rm_str s;
            int64_t v;
            double f;
            rm_gguf_kv_int(g, i, &v);
            rm_gguf_kv_float(g, i, &f);
            rm_gguf_kv_str(g, i, &s);
            if (rm_gguf_kv_arr(g, i, &et, &n, NULL) == RM_OK && et == RM_GGUF_STRING)
                for (j = 0; j < n && j < 64; j++) rm_gguf_kv_arr_str(g, i, j, &s);
        }
        for (i = 0; i < rm_gguf_n_tensors(g); i++) {
            const rm_tensor *t = rm_gguf_tensor(g, i);
            float row[512];
            /* a tensor with a zero dimension has no rows at all (nbytes 0): found by this target */
            if (t->data && t->ne[0] > 0 && t->ne[0] <= 512 &&
                t->nbytes >= rm_type_block_bytes(t->type) * (size_t)(t->ne[0] / rm_type_block_size(t->type))) {
                rm_dequantize_row(t->type, t->data, row, t->ne[0]);
                sink += row[0];
            }
        }
        if (rm_gguf_n_tensors(g) > 0) {
            /* the model loader on top: only validates, never reads past the tensors */
            rm_model *m = NULL;
            rm_gguf *g2 = NULL;
            rm_gguf_open_memory(data, size, &g2);
            rm_model_open_gguf(g2, &m);
            rm_model_close(m);
        }
    }
    rm_gguf_close(g);
    (void)sink;
    return 0;
}
