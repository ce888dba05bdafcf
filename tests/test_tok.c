/* Tokenizer: every vocabulary's reference cases (Hugging Face output, from llama.cpp's
   tests/test-tokenizer-0 data), the fixture models' token ids (llama.cpp), llama2.c's Llama 2
   vectors, and the error paths (bad UTF-8, broken vocabularies, buffer sizes). */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

/* ---- a minimal JSON reader (enough for the reference files) ---- */

typedef struct jv {
    char kind;               /* 'o' object, 'a' array, 's' string, 'n' number, 'l' literal */
    char *str;               /* string value (UTF-8, NUL-terminated) or object key of a member */
    size_t len;
    double num;
    struct jv *kids;         /* array elements or object members */
    size_t n;
    char *key;
} jv;

static const char *js_ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

static size_t js_put_utf8(unsigned long c, char *o) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static const char *js_str(const char *p, char **out, size_t *len) {
    char *o = (char *)malloc(strlen(p) + 1);
    size_t n = 0;
    p++; /* opening quote */
    while (*p && *p != '"') {
        if (*p == '\\') {
            p++;
            switch (*p) {
            case 'n': o[n++] = '\n'; break;
            case 't': o[n++] = '\t'; break;
            case 'r': o[n++] = '\r'; break;
            case 'b': o[n++] = '\b'; break;
            case 'f': o[n++] = '\f'; break;
            case 'u': {
                char hex[5] = {0};
                unsigned long c;
                memcpy(hex, p + 1, 4);
                c = strtoul(hex, NULL, 16);
                p += 4;
                if (c >= 0xD800 && c < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                    unsigned long lo;
                    memcpy(hex, p + 3, 4);
                    lo = strtoul(hex, NULL, 16);
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                n += js_put_utf8(c, o + n);
                break;
            }
            default: o[n++] = *p; break;
            }
            p++;
        } else o[n++] = *p++;
    }
    o[n] = 0;
    *out = o;
    *len = n;
    return *p ? p + 1 : p;
}

static const char *js_val(const char *p, jv *v) {
    memset(v, 0, sizeof(*v));
    p = js_ws(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        size_t cap = 8;
        v->kind = *p == '{' ? 'o' : 'a';
        v->kids = (jv *)malloc(cap * sizeof(jv));
        p = js_ws(p + 1);
        while (*p && *p != close) {
            char *key = NULL;
            size_t kl;
            if (v->kind == 'o') {
                p = js_str(p, &key, &kl);
                p = js_ws(p);
                if (*p == ':') p++;
            }
            if (v->n == cap) { cap *= 2; v->kids = (jv *)realloc(v->kids, cap * sizeof(jv)); }
            p = js_val(p, &v->kids[v->n]);
            v->kids[v->n++].key = key;
            p = js_ws(p);
            if (*p == ',') p = js_ws(p + 1);
        }
        return *p ? p + 1 : p;
    }
    if (*p == '"') { v->kind = 's'; return js_str(p, &v->str, &v->len); }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        char *end;
        v->kind = 'n';
        v->num = strtod(p, &end);
        return end;
    }
    v->kind = 'l';
    v->num = strncmp(p, "true", 4) == 0;
    while (*p && *p != ',' && *p != '}' && *p != ']') p++;
    return p;
}

static void js_free(jv *v) {
    size_t i;
    for (i = 0; i < v->n; i++) { js_free(&v->kids[i]); free(v->kids[i].key); }
    free(v->kids);
    free(v->str);
}

static const jv *js_get(const jv *v, const char *key) {
    size_t i;
    if (!v || v->kind != 'o') return NULL;
    for (i = 0; i < v->n; i++)
        if (v->kids[i].key && strcmp(v->kids[i].key, key) == 0) return &v->kids[i];
    return NULL;
}

/* ---- helpers ---- */

typedef struct {
    rm_gguf *g;
    rm_vocab *v;
} vocab_file;

static int open_vocab(const char *path, vocab_file *f) {
    f->g = NULL;
    f->v = NULL;
    if (rm_gguf_open(path, &f->g) != RM_OK) {
        CHECK(0, "%s: %s", path, rm_gguf_error(f->g));
        return 0;
    }
    if (rm_vocab_load(f->g, &f->v) != RM_OK) {
        CHECK(0, "%s: %s", path, rm_vocab_error(f->v));
        return 0;
    }
    return 1;
}

static void close_vocab(vocab_file *f) {
    rm_vocab_free(f->v);
    rm_gguf_close(f->g);
}

/* Tokenizes into a malloc'd array (through the size query, to exercise it). */
static int32_t *tok(const rm_vocab *v, const char *s, size_t len, int add_special, int parse_special, size_t *n,
                    rm_result *res) {
    size_t need = 0;
    int32_t *ids;
    rm_result r = rm_tokenize(v, s, len, add_special, parse_special, NULL, 0, &need);
    if (r != RM_OK && r != RM_ERR_LIMIT) { *res = r; *n = 0; return NULL; }
    ids = (int32_t *)malloc((need ? need : 1) * sizeof(int32_t));
    r = rm_tokenize(v, s, len, add_special, parse_special, ids, need, n);
    *res = r;
    return ids;
}

static void print_ids(const char *label, const int32_t *a, size_t n) {
    size_t i;
    printf("    %s:", label);
    for (i = 0; i < n && i < 40; i++) printf(" %d", (int)a[i]);
    printf("%s\n", n > 40 ? " ..." : "");
}

static int same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof(int32_t)) == 0);
}

/* ---- the HF reference cases of each vocabulary ---- */

static const char *vocab_names[] = {"ggml-vocab-llama-spm", "ggml-vocab-phi-3", "ggml-vocab-gpt-2",
                                    "ggml-vocab-deepseek-coder", "ggml-vocab-qwen3", "ggml-vocab-llama3.1",
                                    "ggml-vocab-gemma3"};

static void test_vocab_reference_cases(void) {
    size_t vi;
    for (vi = 0; vi < sizeof(vocab_names) / sizeof(vocab_names[0]); vi++) {
        char path[256];
        char *inp, *outp, *p, *q;
        size_t inp_len, out_len, n_cases = 0, n_match = 0;
        vocab_file f;
        snprintf(path, sizeof(path), "tests/data/tokenizers/%s.gguf.inp", vocab_names[vi]);
        inp = rmt_read_file(path, &inp_len);
        snprintf(path, sizeof(path), "tests/data/tokenizers/%s.gguf.out", vocab_names[vi]);
        outp = rmt_read_file(path, &out_len);
        snprintf(path, sizeof(path), "build/vocab/%s.gguf", vocab_names[vi]);
        CHECK(inp && outp, "%s: reference files missing", vocab_names[vi]);
        if (!inp || !outp || !open_vocab(path, &f)) { free(inp); free(outp); continue; }
        p = inp;
        q = outp;
        for (;;) {
            const char *sep = "\n__ggml_vocab_test__\n";
            char *end = strstr(p, sep), *eol;
            int32_t expect[4096], *got;
            size_t ne = 0, ng;
            rm_result r;
            if (!end) break;
            eol = strchr(q, '\n');
            if (!eol) eol = q + strlen(q);
            {
                char *s = q;
                while (s < eol) {
                    char *e2;
                    long x = strtol(s, &e2, 10);
                    if (e2 == s) break;
                    if (ne < 4096) expect[ne++] = (int32_t)x;
                    s = e2;
                }
            }
            got = tok(f.v, p, (size_t)(end - p), 0, 0, &ng, &r);
            n_cases++;
            if (r == RM_OK && same_ids(got, ng, expect, ne)) n_match++;
            else {
                CHECK(0, "%s case %zu: %s", vocab_names[vi], n_cases - 1, rm_result_name(r));
                if (rmt__cur_failed <= 8) {
                    printf("    text: '%.*s'\n", (int)RM__MIN((size_t)(end - p), 200), p);
                    print_ids("want", expect, ne);
                    print_ids("got ", got, ng);
                }
            }
            free(got);
            p = end + strlen(sep);
            q = *eol ? eol + 1 : eol;
        }
        printf("  %-28s %zu/%zu cases match\n", vocab_names[vi], n_match, n_cases);
        CHECK(n_cases == 46, "%s: %zu cases read", vocab_names[vi], n_cases); /* 46 texts, then the trailing separator */
        close_vocab(&f);
        free(inp);
        free(outp);
    }
}

/* ---- the fixture models' ids (llama.cpp) ---- */

static int ids_from_json(const jv *a, int32_t *ids, size_t cap, size_t *n) {
    size_t i;
    if (!a || a->kind != 'a' || a->n > cap) return 0;
    for (i = 0; i < a->n; i++) ids[i] = (int32_t)a->kids[i].num;
    *n = a->n;
    return 1;
}

static void test_fixture_ref_ids(void) {
    static const char *refs[] = {"stories260K", "stories260K-q8_0", "stories260K-policy", "tiny-llama", "tiny-llama3",
                                 "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gptneox", "tiny-llama-f16",
                                 "tiny-llama-bf16", "tiny-llama-q8_0", "tiny-llama-q4_0", "tiny-llama-q4_1",
                                 "tiny-llama-q5_0", "tiny-llama-q5_1", "tiny-llama-q2_k", "tiny-llama-q3_k_m",
                                 "tiny-llama-q4_k_m", "tiny-llama-q5_k_m", "tiny-llama-q6_k", "tiny-llama-iq4_nl",
                                 "tiny-llama-iq4_xs", "tiny-qwen2-q8_0", "tiny-qwen2-q4_k_m", "tiny-qwen2-rm",
                                 "tiny-llama-rm"};
    size_t ri, total = 0, match = 0;
    for (ri = 0; ri < sizeof(refs) / sizeof(refs[0]); ri++) {
        char path[256];
        char *txt;
        jv root;
        const jv *model, *file, *cases;
        vocab_file f;
        size_t ci;
        snprintf(path, sizeof(path), "tests/data/ref/%s.json", refs[ri]);
        txt = rmt_read_file(path, NULL);
        CHECK(txt != NULL, "%s missing", path);
        if (!txt) continue;
        js_val(txt, &root);
        model = js_get(&root, "model");
        file = js_get(model, "file");
        cases = js_get(&root, "cases");
        CHECK(file && cases && file->kind == 's', "%s: no model.file or cases", path);
        snprintf(path, sizeof(path), "tests/data/%s", file ? file->str : "?");
        if (file && cases && open_vocab(path, &f)) {
            const jv *ab = js_get(model, "add_bos");
            CHECK(ab && ab->kind == 'l' && rm_vocab_add_bos(f.v) == (int)ab->num, "%s: add_bos", refs[ri]);
            for (ci = 0; ci < cases->n; ci++) {
                const jv *c = &cases->kids[ci];
                const jv *pr = js_get(c, "prompt"), *re = js_get(c, "response");
                int32_t want[4096], *got;
                size_t nw = 0, ng;
                rm_result r;
                total += 2;
                if (!pr || !re || !ids_from_json(js_get(c, "prompt_tokens"), want, 4096, &nw)) {
                    CHECK(0, "%s case %zu: malformed", refs[ri], ci);
                    continue;
                }
                got = tok(f.v, pr->str, pr->len, 1, 0, &ng, &r);
                if (r == RM_OK && same_ids(got, ng, want, nw)) match++;
                else {
                    CHECK(0, "%s case %zu prompt (%s)", refs[ri], ci, rm_result_name(r));
                    print_ids("want", want, nw);
                    print_ids("got ", got, ng);
                }
                free(got);
                ids_from_json(js_get(c, "response_tokens"), want, 4096, &nw);
                got = tok(f.v, re->str, re->len, 0, 0, &ng, &r);
                if (r == RM_OK && same_ids(got, ng, want, nw)) match++;
                else {
                    CHECK(0, "%s case %zu response (%s)", refs[ri], ci, rm_result_name(r));
                    print_ids("want", want, nw);
                    print_ids("got ", got, ng);
                }
                free(got);
            }
            close_vocab(&f);
        }
        js_free(&root);
        free(txt);
    }
    printf("  fixture ref files: %zu/%zu prompt/response tokenizations match\n", match, total);
    CHECK(total == 27 * 16, "%zu tokenizations", total);
}

/* ---- llama2.c's Llama 2 tokenizer vectors ---- */

static void test_llama2c_vectors(void) {
    char *txt = rmt_read_file("tests/data/llama2c_test_c_llama2_tokenizer_vectors.json", NULL);
    jv root;
    const jv *vec;
    vocab_file f;
    size_t i, match = 0;
    CHECK(txt != NULL, "vectors missing");
    if (!txt) return;
    js_val(txt, &root);
    vec = js_get(&root, "vectors");
    if (vec && open_vocab("build/vocab/ggml-vocab-llama-spm.gguf", &f)) {
        for (i = 0; i < vec->n; i++) {
            const jv *pr = js_get(&vec->kids[i], "prompt");
            int32_t want[4096], *got;
            size_t nw = 0, ng;
            rm_result r;
            ids_from_json(js_get(&vec->kids[i], "expected_ids_with_bos"), want, 4096, &nw);
            got = tok(f.v, pr->str, pr->len, 1, 0, &ng, &r);
            if (r == RM_OK && same_ids(got, ng, want, nw)) match++;
            else {
                CHECK(0, "vector %zu", i);
                print_ids("want", want, nw);
                print_ids("got ", got, ng);
            }
            free(got);
        }
        close_vocab(&f);
    }
    printf("  llama2.c vectors: %zu/%zu match\n", match, vec ? vec->n : 0);
    CHECK(vec && vec->n == 5, "5 vectors expected");
    js_free(&root);
    free(txt);
}

/* ---- special tokens, flags, buffers, UTF-8, round trips ---- */

static void test_special_tokens_and_flags(void) {
    vocab_file f;
    int32_t ids[64];
    size_t n;
    rm_result r;
    if (open_vocab("build/vocab/ggml-vocab-qwen3.gguf", &f)) {
        const char *s = "<|im_start|>user\nhi<|im_end|>";
        int32_t im_start = rm_vocab_find(f.v, "<|im_start|>", 12), im_end = rm_vocab_find(f.v, "<|im_end|>", 10);
        CHECK(im_start == 151644 && im_end == 151645, "find: %d %d", (int)im_start, (int)im_end);
        CHECK(rm_vocab_eot(f.v) == im_end, "qwen3 eot %d", (int)rm_vocab_eot(f.v));
        CHECK(rm_vocab_eos(f.v) == 151645 && rm_vocab_add_bos(f.v) == 0 && rm_vocab_add_eos(f.v) == 0, "qwen3 flags");
        CHECK(rm_vocab_is_control(f.v, im_end) && !rm_vocab_is_control(f.v, 100), "is_control");
        r = rm_tokenize(f.v, s, strlen(s), 1, 1, ids, 64, &n);
        CHECK(r == RM_OK && n >= 4 && ids[0] == im_start && ids[n - 1] == im_end, "parse_special: %s n=%zu",
              rm_result_name(r), n);
        r = rm_tokenize(f.v, s, strlen(s), 1, 0, ids, 64, &n);
        CHECK(r == RM_OK && ids[0] != im_start && ids[n - 1] != im_end, "no parse_special");
        /* user-defined tokens (<think>) are matched even without parse_special, as HF does */
        r = rm_tokenize(f.v, "a<think>b", 9, 0, 0, ids, 64, &n);
        CHECK(r == RM_OK && n == 3 && ids[1] == rm_vocab_find(f.v, "<think>", 7), "user-defined token: n=%zu", n);
        /* NFC: a decomposed e + combining acute tokenizes like the precomposed letter */
        {
            int32_t a[16], b[16];
            size_t na, nb;
            CHECK(rm_tokenize(f.v, "caf\x65\xCC\x81", 6, 0, 0, a, 16, &na) == RM_OK &&
                      rm_tokenize(f.v, "caf\xC3\xA9", 5, 0, 0, b, 16, &nb) == RM_OK && same_ids(a, na, b, nb),
                  "qwen2 NFC");
        }
        close_vocab(&f);
    }
    if (open_vocab("build/vocab/ggml-vocab-llama3.1.gguf", &f)) {
        CHECK(rm_vocab_eot(f.v) == 128009 && rm_vocab_bos(f.v) == 128000 && rm_vocab_add_bos(f.v) == 1, "llama3 ids");
        r = rm_tokenize(f.v, "Hi", 2, 1, 0, ids, 64, &n);
        CHECK(r == RM_OK && n == 2 && ids[0] == 128000, "llama3 BOS");
        close_vocab(&f);
    }
    if (open_vocab("build/vocab/ggml-vocab-gemma3.gguf", &f)) {
        CHECK(rm_vocab_eot(f.v) == rm_vocab_find(f.v, "<end_of_turn>", 13) && rm_vocab_eot(f.v) >= 0, "gemma3 eot");
        close_vocab(&f);
    }
    if (open_vocab("build/vocab/ggml-vocab-phi-3.gguf", &f)) {
        CHECK(rm_vocab_eot(f.v) == 32007, "phi-3 eot %d", (int)rm_vocab_eot(f.v));
        close_vocab(&f);
    }
}

static void test_buffers_utf8_empty(void) {
    vocab_file f;
    int32_t ids[8];
    size_t n = 99;
    rm_result r;
    if (!open_vocab("build/vocab/ggml-vocab-llama-spm.gguf", &f)) return;
    r = rm_tokenize(f.v, NULL, 0, 0, 0, NULL, 0, &n);
    CHECK(r == RM_OK && n == 0, "empty text: %s %zu", rm_result_name(r), n);
    r = rm_tokenize(f.v, "", 0, 1, 0, ids, 8, &n);
    CHECK(r == RM_OK && n == 1 && ids[0] == 1, "empty text with BOS");
    r = rm_tokenize(f.v, "Hello world, this is a test", 27, 1, 0, ids, 2, &n);
    CHECK(r == RM_ERR_LIMIT && n > 2 && ids[0] == 1, "small buffer: %s n=%zu", rm_result_name(r), n);
    /* invalid UTF-8 is refused: stray continuation, truncated, overlong, surrogate, > U+10FFFF */
    CHECK(rm_tokenize(f.v, "a\x80", 2, 0, 0, ids, 8, &n) == RM_ERR_UTF8, "stray continuation");
    CHECK(rm_tokenize(f.v, "a\xC3", 2, 0, 0, ids, 8, &n) == RM_ERR_UTF8, "truncated");
    CHECK(rm_tokenize(f.v, "\xC0\xAF", 2, 0, 0, ids, 8, &n) == RM_ERR_UTF8, "overlong");
    CHECK(rm_tokenize(f.v, "\xED\xA0\x80", 3, 0, 0, ids, 8, &n) == RM_ERR_UTF8, "surrogate");
    CHECK(rm_tokenize(f.v, "\xF4\x90\x80\x80", 4, 0, 0, ids, 8, &n) == RM_ERR_UTF8, "above U+10FFFF");
    CHECK(rm_tokenize(f.v, "x\0y", 3, 0, 0, ids, 8, &n) == RM_OK, "NUL is valid UTF-8");
    CHECK(rm_tokenize(f.v, "x", 1, 0, 0, NULL, 8, &n) == RM_ERR_INVALID_ARG, "NULL out with cap");
    CHECK(rm_tokenize(NULL, "x", 1, 0, 0, ids, 8, &n) == RM_ERR_INVALID_ARG, "NULL vocab");
    close_vocab(&f);
}

static void test_detokenize_round_trip(void) {
    size_t vi;
    for (vi = 0; vi < sizeof(vocab_names) / sizeof(vocab_names[0]); vi++) {
        static const char *texts[] = {"Hello, world! \xC3\xA9t\xC3\xA9 \xF0\x9F\xA6\x99 3333 \n\n  x",
                                      "I've been 'told he's there"};
        char path[256], buf[512];
        vocab_file f;
        size_t i;
        snprintf(path, sizeof(path), "build/vocab/%s.gguf", vocab_names[vi]);
        if (!open_vocab(path, &f)) continue;
        for (i = 0; i < 2; i++) {
            int32_t *ids;
            size_t n, nb;
            rm_result r;
            ids = tok(f.v, texts[i], strlen(texts[i]), 0, 0, &n, &r);
            r = rm_detokenize(f.v, ids, n, buf, sizeof(buf), &nb);
            CHECK(r == RM_OK && nb == strlen(texts[i]) && memcmp(buf, texts[i], nb) == 0 && buf[nb] == 0,
                  "%s round trip: '%s'", vocab_names[vi], r == RM_OK ? buf : rm_result_name(r));
            r = rm_detokenize(f.v, ids, n, buf, 3, &nb);
            CHECK(r == RM_ERR_LIMIT && nb == strlen(texts[i]), "%s detok limit", vocab_names[vi]);
            free(ids);
        }
        {
            int32_t bad = rm_vocab_n_tokens(f.v);
            size_t nb;
            CHECK(rm_detokenize(f.v, &bad, 1, buf, sizeof(buf), &nb) == RM_ERR_INVALID_ARG, "id out of range");
        }
        close_vocab(&f);
    }
}

/* ---- broken vocabularies, built in memory ---- */

typedef struct {
    unsigned char *p;
    size_t n, cap;
    uint64_t nkv;
} gw;

static void gw_raw(gw *w, const void *d, size_t n) {
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 256;
        w->p = (unsigned char *)realloc(w->p, w->cap);
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}
static void gw_u32(gw *w, uint32_t x) { unsigned char b[4] = {(unsigned char)x, (unsigned char)(x >> 8), (unsigned char)(x >> 16), (unsigned char)(x >> 24)}; gw_raw(w, b, 4); }
static void gw_u64(gw *w, uint64_t x) { gw_u32(w, (uint32_t)x); gw_u32(w, (uint32_t)(x >> 32)); }
static void gw_str(gw *w, const char *s) { gw_u64(w, strlen(s)); gw_raw(w, s, strlen(s)); }
static void gw_key(gw *w, const char *k, uint32_t type) { gw_str(w, k); gw_u32(w, type); w->nkv++; }
static void gw_begin(gw *w) {
    memset(w, 0, sizeof(*w));
    gw_raw(w, "GGUF", 4);
    gw_u32(w, 3);
    gw_u64(w, 0);
    gw_u64(w, 0); /* n_kv, patched by gw_end */
}
static void gw_end(gw *w) {
    unsigned char *p = w->p + 16;
    uint64_t x = w->nkv;
    int i;
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(x >> (8 * i));
}
static void gw_tokens(gw *w, const char **toks, size_t n) {
    size_t i;
    gw_key(w, "tokenizer.ggml.tokens", RM_GGUF_ARRAY);
    gw_u32(w, RM_GGUF_STRING);
    gw_u64(w, n);
    for (i = 0; i < n; i++) gw_str(w, toks[i]);
}
static void gw_f32s(gw *w, const char *key, size_t n) {
    size_t i;
    gw_key(w, key, RM_GGUF_ARRAY);
    gw_u32(w, RM_GGUF_FLOAT32);
    gw_u64(w, n);
    for (i = 0; i < n; i++) gw_u32(w, 0);
}

static rm_result load_mem(gw *w, char *msg, size_t cap) {
    rm_gguf *g;
    rm_vocab *v = NULL;
    rm_result r;
    gw_end(w);
    r = rm_gguf_open_memory(w->p, w->n, &g);
    if (r == RM_OK) {
        r = rm_vocab_load(g, &v);
        snprintf(msg, cap, "%s", rm_vocab_error(v));
    } else snprintf(msg, cap, "gguf: %.200s", rm_gguf_error(g));
    rm_vocab_free(v);
    rm_gguf_close(g);
    free(w->p);
    return r;
}

static void test_broken_vocabs(void) {
    static const char *toks[] = {"<unk>", "<s>", "</s>", "a", "b", "ab"};
    char msg[256];
    gw w;
    rm_result r;

    gw_begin(&w); /* a good one first */
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "llama");
    gw_tokens(&w, toks, 6);
    gw_f32s(&w, "tokenizer.ggml.scores", 6);
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_OK, "good vocab: %s", msg);

    gw_begin(&w);
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "t5");
    gw_tokens(&w, toks, 6);
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "'t5'"), "unknown model: %s", msg);

    gw_begin(&w);
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "gpt2");
    gw_key(&w, "tokenizer.ggml.pre", RM_GGUF_STRING); gw_str(&w, "no-such-pre");
    gw_tokens(&w, toks, 6);
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "'no-such-pre'"), "unknown pre: %s", msg);

    gw_begin(&w);
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "llama");
    gw_tokens(&w, toks, 6);
    gw_f32s(&w, "tokenizer.ggml.scores", 5);
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "scores"), "short scores: %s", msg);

    gw_begin(&w);
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "llama");
    gw_tokens(&w, toks, 6);
    gw_f32s(&w, "tokenizer.ggml.token_type", 6); /* float32 where int32 is due */
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "token_type"), "token_type type: %s", msg);

    gw_begin(&w);
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "llama");
    gw_tokens(&w, toks, 6);
    gw_key(&w, "tokenizer.ggml.bos_token_id", RM_GGUF_UINT32); gw_u32(&w, 6);
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "bos_token_id"), "bos out of range: %s", msg);

    gw_begin(&w);
    gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "gpt2");
    gw_key(&w, "tokenizer.ggml.pre", RM_GGUF_STRING); gw_str(&w, "gpt-2");
    gw_tokens(&w, toks, 6);
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "merges"), "no merges: %s", msg);

    {
        static const char *dup[] = {"a", "b", "a"};
        gw_begin(&w);
        gw_key(&w, "tokenizer.ggml.model", RM_GGUF_STRING); gw_str(&w, "llama");
        gw_tokens(&w, dup, 3);
        r = load_mem(&w, msg, sizeof(msg));
        CHECK(r == RM_ERR_VOCAB && strstr(msg, "same text"), "duplicate token: %s", msg);
    }
    gw_begin(&w);
    gw_key(&w, "general.architecture", RM_GGUF_STRING); gw_str(&w, "llama");
    r = load_mem(&w, msg, sizeof(msg));
    CHECK(r == RM_ERR_VOCAB && strstr(msg, "tokenizer.ggml.model"), "no tokenizer: %s", msg);
    CHECK(rm_vocab_load(NULL, NULL) == RM_ERR_INVALID_ARG, "NULL out");
    rm_vocab_free(NULL);
}

/* Tokenizing speed on ~1 MB of mixed text: printed, not checked (machines differ). */
static void test_speed_report(void) {
    static const char *names[] = {"ggml-vocab-llama-spm", "ggml-vocab-llama3.1", "ggml-vocab-qwen3"};
    size_t len = 0, vi;
    char *inp = rmt_read_file("tests/data/tokenizers/ggml-vocab-llama3.1.gguf.inp", &len), *big;
    size_t total = 1 << 20, k;
    if (!inp) return;
    big = (char *)malloc(total);
    for (k = 0; k + len <= total; k += len) memcpy(big + k, inp, len);
    total = k;
    for (vi = 0; vi < 3; vi++) {
        char path[256];
        vocab_file f;
        double sec = 0;
        size_t nt = 0;
        snprintf(path, sizeof(path), "build/vocab/%s.gguf", names[vi]);
        if (!open_vocab(path, &f)) continue;
        CHECK(rm_tokenize_speed(f.v, big, total, 1, &sec, &nt) == RM_OK, "speed helper");
        printf("  speed %-22s %.2f MB -> %zu tokens in %.3f s\n", names[vi], total / 1e6, nt, sec);
        close_vocab(&f);
    }
    free(big);
    free(inp);
}

int main(void) {
    RUN(test_vocab_reference_cases);
    RUN(test_fixture_ref_ids);
    RUN(test_llama2c_vectors);
    RUN(test_special_tokens_and_flags);
    RUN(test_buffers_utf8_empty);
    RUN(test_detokenize_round_trip);
    RUN(test_broken_vocabs);
    RUN(test_speed_report);
    return rmt_summary("test_tok");
}
