/* libFuzzer target: rmtool serve's request parser (every scoring route, JSON and JSONL bodies)
   and its response writers, on arbitrary bodies. Built without libmicrohttpd: the socket layer
   is the library's; what the server does with the bytes is all here. */
#define main rmtool_main
#include "examples/rmtool.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int route, jsonl;
    for (route = RMS_SCORE; route <= RMS_PREDICT; route++)
        for (jsonl = 0; jsonl < (route == RMS_SCORE ? 2 : 1); jsonl++) {
            rms_req *q = (rms_req *)calloc(1, sizeof(rms_req));
            size_t i, j, seen = 0;
            if (!q) return 0;
            q->route = route;
            q->jsonl = jsonl;
            if (rms_parse(q, (const char *)data, size, 1 + size % 5) == 0) {
                /* every item in exactly one group, groups no larger than the batch */
                for (i = 0; i < q->n_groups; i++) {
                    const rms_group *g = &q->groups[i];
                    if (g->n < 1 || g->n > 1 + size % 5) abort();
                    for (j = 0; j < g->n; j++) {
                        volatile size_t sink = g->resp[j].len;
                        (void)sink;
                        if (g->item[j] >= q->n_items) abort();
                        seen++;
                    }
                }
                /* and the rows that failed to parse (several-row /score) hold their error object */
                for (i = 0; i < q->n_items; i++)
                    if (q->items[i].failed) {
                        if (!q->per_row || !q->items[i].json) abort();
                        seen++;
                    }
                if (seen != q->n_items) abort();
                for (i = 0; i < q->n_items; i++) {
                    /* stand-ins for the scorer's results */
                    q->items[i].reward = (double)data[i % size] - 128.0;
                    if (route == RMS_SCORE && !q->items[i].failed && (q->items[i].json = (char *)malloc(14))) {
                        memcpy(q->items[i].json, "{\"reward\":1}\n", 14);
                        q->items[i].json_len = 13;
                    }
                }
            }
            rms_respond(q, "m", 0, 1);
            if (q->body) {
                rmj_error e;
                rmj_doc *d = q->jsonl && !q->status ? NULL : rmj_parse(q->body, q->body_len, &e);
                if (!d && !(q->jsonl && !q->status)) abort(); /* every response is valid JSON */
                rmj_free(d);
            }
            rms_req_free(q);
        }
    return 0;
}
