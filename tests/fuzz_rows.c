/* libFuzzer target: rmtool's JSONL row reader (score rows and the three preference formats,
   HH-RLHF transcript splitting included) on arbitrary lines. */
#define main rmtool_main
#include "examples/rmtool.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rmj_error e;
    rmj_doc *d = rmj_parse((const char *)data, size, &e);
    if (d) {
        rmt_row row;
        int pairs, raw;
        for (pairs = 0; pairs < 2; pairs++)
            for (raw = 0; raw < 2; raw++) {
                const char *err = rmt_read_row(rmj_root(d), pairs, raw, &row);
                if (!err) {
                    size_t i;
                    int64_t k;
                    volatile size_t sink = 0;
                    if (row.n_msgs > 64 || row.n_resp < 1 || row.n_resp > 16) abort();
                    for (i = 0; i < row.n_msgs; i++) sink += row.msgs[i].content_len + row.msgs[i].role_len;
                    for (k = 0; k < row.n_resp; k++) sink += row.resp[k].len;
                    (void)sink;
                }
            }
        rmj_free(d);
    }
    return 0;
}
