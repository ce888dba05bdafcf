/* libFuzzer target for examples/rmsafetensors.h: the input as a safetensors image. Whatever
   opens must describe tensors inside the buffer, and every tensor must read back. */
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#define RMST_IMPLEMENTATION
#include "examples/rmsafetensors.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rmst_file *f = NULL;
    if (rmst_open_memory(data, size, &f) == RMST_OK) {
        int64_t i;
        unsigned char buf[64];
        for (i = 0; i < rmst_n_tensors(f); i++) {
            const rmst_tensor *t = rmst_tensor_at(f, i);
            size_t n = t->nbytes < sizeof(buf) ? (size_t)t->nbytes : sizeof(buf);
            if (t->end > size || rmst_find(f, t->name) != t) abort();
            if (rmst_read(f, t, t->nbytes - n, n, buf) != RMST_OK) abort();
        }
    }
    rmst_close(f);
    return 0;
}
