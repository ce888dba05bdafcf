/* libFuzzer target for examples/rmjson.h: the input as one JSON text, then as JSONL lines.
   Whatever parses is walked and written back out, and the output must parse again.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iexamples tests/fuzz_json.c -o /tmp/fuzz_json */
#define _POSIX_C_SOURCE 200809L /* open_memstream: a tmpfile per input made the target 100x slower */
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include <stdlib.h>
#include <string.h>

static void walk(const rmj_value *v, FILE *out) {
    size_t i, n;
    const char *s;
    switch (rmj_typeof(v)) {
    case RMJ_STRING:
        s = rmj_str(v, &n);
        rmj_write_string(out, s, n);
        break;
    case RMJ_NUMBER: rmj_write_double(out, rmj_num(v)); break;
    case RMJ_BOOL: fputs(rmj_bool(v) ? "true" : "false", out); break;
    case RMJ_ARRAY:
    case RMJ_OBJECT:
        /* Depth is bounded by RMJ_MAX_DEPTH, so recursing here is safe. */
        fputc(rmj_is_array(v) ? '[' : '{', out);
        for (i = 0; i < rmj_len(v); i++) {
            const rmj_value *c = rmj_at(v, i);
            if (i) fputc(',', out);
            if (rmj_is_object(v)) {
                rmj_write_string(out, c->key, c->key_len);
                fputc(':', out);
                if (rmj_getn(v, c->key, c->key_len) == NULL) abort();
            }
            walk(c, out);
        }
        fputc(rmj_is_array(v) ? ']' : '}', out);
        break;
    default: fputs("null", out); break;
    }
}

static void check(const char *p, size_t n) {
    rmj_error e;
    rmj_doc *d = rmj_parse(p, n, &e);
    if (d) {
        /* Written back, the document must parse again. */
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f) {
            walk(rmj_root(d), f);
            fclose(f);
            if (len) {
                rmj_doc *d2 = rmj_parse(buf, len, &e);
                if (!d2) abort();
                rmj_free(d2);
            }
        }
        free(buf);
    } else if (e.offset > n || e.line == 0 || e.column == 0) {
        abort();
    }
    rmj_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *p = (const char *)data, *end = p + size;
    check(p, size);
    while (p < end) {
        const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        check(p, n);
        p += n + (nl ? 1 : 0);
    }
    return 0;
}
