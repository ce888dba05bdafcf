/* Tensor decoding and encoding against llama.cpp:
   - every tensor listed in tests/data/ref/dequant.json (ggml's to_float output: sums,
     sha256 of the float32 result, first and last rows) decoded from its fixture file;
   - rm_quantize_row on the F32 fixture weights against the bytes llama-quantize wrote;
   - Q8_K (activations; no file holds it) by its defining properties and error bound. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

/* ------------------------------------------------------------------------------------- */
/* SHA-256 (FIPS 180-4), enough to hash a tensor in pieces.                              */
/* ------------------------------------------------------------------------------------- */

typedef struct sha256_ctx {
    uint32_t h[8];
    uint8_t buf[64];
    size_t nbuf;
    uint64_t total;
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

static uint32_t sha256_ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(sha256_ctx *c, const uint8_t *p) {
    uint32_t w[64], a, b, cc, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = sha256_ror(w[i - 15], 7) ^ sha256_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = sha256_ror(w[i - 2], 17) ^ sha256_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3]; e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (sha256_ror(e, 6) ^ sha256_ror(e, 11) ^ sha256_ror(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        t2 = (sha256_ror(a, 2) ^ sha256_ror(a, 13) ^ sha256_ror(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
        h = g; g = f; f = e; e = d + t1; d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d; c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void sha256_init(sha256_ctx *c) {
    static const uint32_t h0[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                   0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    memcpy(c->h, h0, sizeof(h0));
    c->nbuf = 0;
    c->total = 0;
}

static void sha256_update(sha256_ctx *c, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    c->total += n;
    while (n > 0) {
        size_t take = 64 - c->nbuf < n ? 64 - c->nbuf : n;
        memcpy(c->buf + c->nbuf, p, take);
        c->nbuf += take;
        p += take;
        n -= take;
        if (c->nbuf == 64) {
            sha256_block(c, c->buf);
            c->nbuf = 0;
        }
    }
}

static void sha256_hex(sha256_ctx *c, char out[65]) {
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80, len[8];
    int i;
    sha256_update(c, &pad, 1);
    pad = 0;
    while (c->nbuf != 56) sha256_update(c, &pad, 1);
    for (i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, len, 8);
    for (i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", (unsigned)((c->h[i / 4] >> (24 - 8 * (i % 4))) & 0xff));
}

static void test_sha256_known_answers(void) {
    sha256_ctx c;
    char hex[65];
    sha256_init(&c);
    sha256_update(&c, "abc", 3);
    sha256_hex(&c, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "sha256(abc) = %s", hex);
    sha256_init(&c);
    sha256_update(&c, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
    sha256_hex(&c, hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0, "sha256(448 bits) = %s", hex);
}

/* ------------------------------------------------------------------------------------- */
/* A minimal JSON reader (objects, arrays, strings, numbers, literals), enough for the   */
/* fixture files.                                                                        */
/* ------------------------------------------------------------------------------------- */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jv {
    int kind;
    double num;
    const char *text; /* numbers: their source text, for a correctly rounded float read */
    char *str;        /* strings (unescaped, NUL-terminated) */
    size_t n;         /* array / object element count */
    struct jv *items;
    char **keys;
} jv;

typedef struct jparser {
    const char *p, *end;
    int err;
} jparser;

static void j_ws(jparser *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static char *j_string(jparser *j) {
    char *out;
    size_t n = 0;
    const char *q;
    if (j->p >= j->end || *j->p != '"') { j->err = 1; return NULL; }
    q = ++j->p;
    while (q < j->end && *q != '"') q += (*q == '\\') ? 2 : 1;
    if (q >= j->end) { j->err = 1; return NULL; }
    out = (char *)malloc((size_t)(q - j->p) + 1);
    if (!out) { j->err = 1; return NULL; }
    while (j->p < q) {
        char ch = *j->p++;
        if (ch == '\\') {
            ch = *j->p++;
            switch (ch) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'u': /* non-ASCII escapes do not occur in the fixtures' names; keep a marker */
                j->p += 4;
                ch = '?';
                break;
            default: break; /* \" \\ \/ */
            }
        }
        out[n++] = ch;
    }
    out[n] = 0;
    j->p = q + 1;
    return out;
}

static void j_free(jv *v) {
    size_t i;
    if (!v) return;
    free(v->str);
    for (i = 0; i < v->n; i++) {
        j_free(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof(*v));
}

static void j_value(jparser *j, jv *v, int depth);

static void j_push(jparser *j, jv *v, size_t *cap, char *key) {
    if (v->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        jv *ni = (jv *)realloc(v->items, nc * sizeof(jv));
        char **nk;
        if (!ni) { j->err = 1; free(key); return; }
        v->items = ni;
        if (v->kind == J_OBJ) {
            nk = (char **)realloc(v->keys, nc * sizeof(char *));
            if (!nk) { j->err = 1; free(key); return; }
            v->keys = nk;
        }
        *cap = nc;
    }
    memset(&v->items[v->n], 0, sizeof(jv));
    if (v->kind == J_OBJ) v->keys[v->n] = key;
    v->n++;
}

static void j_value(jparser *j, jv *v, int depth) {
    size_t cap = 0;
    memset(v, 0, sizeof(*v));
    j_ws(j);
    if (j->err || j->p >= j->end || depth > 64) { j->err = 1; return; }
    if (*j->p == '{' || *j->p == '[') {
        const char close = *j->p == '{' ? '}' : ']';
        v->kind = *j->p == '{' ? J_OBJ : J_ARR;
        j->p++;
        j_ws(j);
        if (j->p < j->end && *j->p == close) { j->p++; return; }
        for (;;) {
            char *key = NULL;
            if (v->kind == J_OBJ) {
                j_ws(j);
                key = j_string(j);
                j_ws(j);
                if (j->err || j->p >= j->end || *j->p != ':') { free(key); j->err = 1; return; }
                j->p++;
            }
            j_push(j, v, &cap, key);
            if (j->err) return;
            j_value(j, &v->items[v->n - 1], depth + 1);
            if (j->err) return;
            j_ws(j);
            if (j->p < j->end && *j->p == ',') { j->p++; continue; }
            if (j->p < j->end && *j->p == close) { j->p++; return; }
            j->err = 1;
            return;
        }
    } else if (*j->p == '"') {
        v->kind = J_STR;
        v->str = j_string(j);
    } else if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        v->kind = J_NULL;
        j->p += 4;
    } else if (j->end - j->p >= 4 && memcmp(j->p, "true", 4) == 0) {
        v->kind = J_BOOL;
        v->num = 1;
        j->p += 4;
    } else if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0) {
        v->kind = J_BOOL;
        j->p += 5;
    } else {
        char *e;
        v->kind = J_NUM;
        v->text = j->p;
        v->num = strtod(j->p, &e);
        if (e == j->p) { j->err = 1; return; }
        j->p = e;
    }
}

static const jv *j_get(const jv *o, const char *key) {
    size_t i;
    if (!o || o->kind != J_OBJ) return NULL;
    for (i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0) return &o->items[i];
    return NULL;
}

static int j_parse_file(const char *path, jv *out, char **buf) {
    size_t len = 0;
    jparser j;
    *buf = rmt_read_file(path, &len);
    if (!*buf) return 0;
    j.p = *buf;
    j.end = *buf + len;
    j.err = 0;
    j_value(&j, out, 0);
    if (j.err) j_free(out);
    return !j.err;
}

/* ------------------------------------------------------------------------------------- */
/* Helpers                                                                               */
/* ------------------------------------------------------------------------------------- */

static int64_t tensor_nelements(const rm_tensor *t) { return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3]; }

static size_t row_bytes(int type, int64_t n) {
    if (type == RM_TYPE_Q8_K) return (size_t)(n / 256) * 292;
    return (size_t)(n / rm_type_block_size(type)) * rm_type_block_bytes(type);
}

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* Per-type tallies, printed so that a reader sees what was covered. */
typedef struct tally { int checked, passed; } tally;
static void print_tally(const char *what, const tally *t) {
    int i;
    printf("  %s:", what);
    for (i = 0; i < RM_TYPE_COUNT; i++)
        if (t[i].checked) printf(" %s %d/%d", rm_type_name(i), t[i].passed, t[i].checked);
    printf("\n");
}

/* ------------------------------------------------------------------------------------- */
/* Decoding against ggml                                                                 */
/* ------------------------------------------------------------------------------------- */

static int check_row(const jv *ref, const float *row, int64_t n, const char *file, const char *name, const char *which) {
    int64_t i;
    int bad = 0;
    if (!ref) return 1;
    CHECK(ref->kind == J_ARR && (int64_t)ref->n == n, "%s %s: %s has %d values, expected %lld", file, name, which,
          (int)ref->n, (long long)n);
    if (ref->kind != J_ARR || (int64_t)ref->n != n) return 0;
    for (i = 0; i < n; i++) {
        const float want = strtof(ref->items[i].text, NULL);
        if (f32_bits(want) != f32_bits(row[i])) {
            if (bad++ < 3)
                CHECK(0, "%s %s: %s[%lld] = %.9g, ggml has %.9g", file, name, which, (long long)i, (double)row[i], (double)want);
        }
    }
    return bad == 0;
}

static void test_dequantize_matches_ggml(void) {
    jv root;
    char *buf = NULL;
    const jv *files;
    size_t fi, ti;
    tally t[RM_TYPE_COUNT];
    int n_tensors = 0;
    memset(t, 0, sizeof(t));
    CHECK(j_parse_file("tests/data/ref/dequant.json", &root, &buf), "cannot read tests/data/ref/dequant.json");
    if (!buf) return;
    files = j_get(&root, "files");
    CHECK(files && files->kind == J_OBJ && files->n >= 20, "dequant.json: no files");
    for (fi = 0; files && fi < files->n; fi++) {
        const char *file = files->keys[fi];
        const jv *tensors = j_get(&files->items[fi], "tensors");
        char path[512];
        rm_gguf *g = NULL;
        snprintf(path, sizeof(path), "tests/data/%s", file);
        if (rm_gguf_open(path, &g) != RM_OK) {
            CHECK(0, "%s: %s", path, rm_gguf_error(g));
            rm_gguf_close(g);
            continue;
        }
        for (ti = 0; tensors && ti < tensors->n; ti++) {
            const jv *r = &tensors->items[ti];
            const jv *jname = j_get(r, "name"), *jtype = j_get(r, "type"), *jsha = j_get(r, "sha256_f32le");
            const jv *jsum = j_get(r, "sum"), *jsumsq = j_get(r, "sumsq");
            const rm_tensor *ten = jname ? rm_gguf_find_tensor(g, jname->str) : NULL;
            int64_t n, nrows, row;
            size_t rb;
            float *rowbuf;
            double sum = 0, sumsq = 0;
            sha256_ctx sc;
            char hex[65];
            int ok = 1;
            CHECK(ten != NULL, "%s: tensor %s missing", file, jname ? jname->str : "?");
            if (!ten || !jtype || !jsha || !jsum || !jsumsq) continue;
            n_tensors++;
            CHECK(strcmp(rm_type_name(ten->type), jtype->str) == 0, "%s %s: type %s, ggml says %s", file, jname->str,
                  rm_type_name(ten->type), jtype->str);
            n = ten->ne[0];
            nrows = tensor_nelements(ten) / (n ? n : 1);
            rb = row_bytes(ten->type, n);
            rowbuf = (float *)malloc((size_t)n * sizeof(float));
            if (!rowbuf) continue;
            sha256_init(&sc);
            for (row = 0; row < nrows; row++) {
                int64_t i;
                rm_dequantize_row(ten->type, (const uint8_t *)ten->data + (size_t)row * rb, rowbuf, n);
                for (i = 0; i < n; i++) {
                    sum += (double)rowbuf[i];
                    sumsq += (double)rowbuf[i] * (double)rowbuf[i];
                }
                /* the float32 result, little-endian: the host order on every platform rm.h reads GGUF on */
                sha256_update(&sc, rowbuf, (size_t)n * sizeof(float));
                if (row == 0) ok &= check_row(j_get(r, "row0"), rowbuf, n, file, jname->str, "row0");
                if (row == nrows - 1) ok &= check_row(j_get(r, "row_last"), rowbuf, n, file, jname->str, "row_last");
            }
            sha256_hex(&sc, hex);
            if (fabs(sum - jsum->num) > 1e-6 * RM__MAX(fabs(jsum->num), 1.0)) {
                ok = 0;
                CHECK(0, "%s %s: sum %.17g, ggml %.17g", file, jname->str, sum, jsum->num);
            }
            if (fabs(sumsq - jsumsq->num) > 1e-6 * RM__MAX(fabs(jsumsq->num), 1.0)) {
                ok = 0;
                CHECK(0, "%s %s: sumsq %.17g, ggml %.17g", file, jname->str, sumsq, jsumsq->num);
            }
            if (strcmp(hex, jsha->str) != 0) {
                ok = 0;
                CHECK(0, "%s %s (%s): sha256 %s, ggml %s", file, jname->str, jtype->str, hex, jsha->str);
            }
            t[ten->type].checked++;
            t[ten->type].passed += ok;
            free(rowbuf);
        }
        rm_gguf_close(g);
    }
    CHECK(n_tensors >= 300, "only %d tensors checked", n_tensors);
    printf("  %d tensors in %d files\n", n_tensors, files ? (int)files->n : 0);
    print_tally("bit-identical to ggml", t);
    j_free(&root);
    free(buf);
}

/* ------------------------------------------------------------------------------------- */
/* Encoding against llama-quantize                                                       */
/* ------------------------------------------------------------------------------------- */

/* The types rm_quantize_row writes; a quantized file's tensor of any other type is skipped. */
static int can_quantize(int type) {
    switch (type) {
    case RM_TYPE_F32: case RM_TYPE_F16: case RM_TYPE_BF16: case RM_TYPE_Q8_0: case RM_TYPE_Q4_0:
    case RM_TYPE_Q4_1: case RM_TYPE_Q5_0: case RM_TYPE_Q5_1: case RM_TYPE_Q2_K: case RM_TYPE_Q3_K:
    case RM_TYPE_Q4_K: case RM_TYPE_Q5_K: case RM_TYPE_Q6_K: return 1;
    default: return 0;
    }
}

static tally quant_tally[RM_TYPE_COUNT];
static int quant_skipped[RM_TYPE_COUNT];

/* Quantizes every F32 tensor of src to the type qfile stores it as and compares the bytes. */
static void compare_quantized(const char *src_name, const char *q_name) {
    char p1[256], p2[256];
    rm_gguf *gs = NULL, *gq = NULL;
    int64_t i;
    snprintf(p1, sizeof(p1), "tests/data/models/%s.gguf", src_name);
    snprintf(p2, sizeof(p2), "tests/data/models/%s.gguf", q_name);
    CHECK(rm_gguf_open(p1, &gs) == RM_OK, "%s: %s", p1, rm_gguf_error(gs));
    CHECK(rm_gguf_open(p2, &gq) == RM_OK, "%s: %s", p2, rm_gguf_error(gq));
    for (i = 0; i < rm_gguf_n_tensors(gq); i++) {
        const rm_tensor *tq = rm_gguf_tensor(gq, i);
        char name[256];
        const rm_tensor *ts;
        int64_t n, nrows, row, first_bad = -1;
        size_t rb;
        uint8_t *out;
        snprintf(name, sizeof(name), "%.*s", (int)tq->name.len, tq->name.ptr);
        ts = rm_gguf_find_tensor(gs, name);
        CHECK(ts && ts->type == RM_TYPE_F32 && tensor_nelements(ts) == tensor_nelements(tq) && ts->ne[0] == tq->ne[0],
              "%s: %s has no F32 counterpart of the same shape in %s", q_name, name, src_name);
        if (!ts || ts->type != RM_TYPE_F32 || tensor_nelements(ts) != tensor_nelements(tq) || ts->ne[0] != tq->ne[0])
            continue;
        if (!can_quantize(tq->type)) {
            quant_skipped[tq->type]++;
            continue;
        }
        n = tq->ne[0];
        nrows = tensor_nelements(tq) / n;
        rb = row_bytes(tq->type, n);
        out = (uint8_t *)malloc(rb);
        if (!out) continue;
        for (row = 0; row < nrows; row++) {
            const float *x = (const float *)((const uint8_t *)ts->data + (size_t)row * (size_t)n * 4);
            size_t w = rm_quantize_row(tq->type, x, out, n);
            CHECK(w == rb, "%s %s: wrote %zu bytes, expected %zu", q_name, name, w, rb);
            if (memcmp(out, (const uint8_t *)tq->data + (size_t)row * rb, rb) != 0 && first_bad < 0) first_bad = row;
        }
        CHECK(first_bad < 0, "%s %s (%s): row %lld differs from llama-quantize", q_name, name, rm_type_name(tq->type),
              (long long)first_bad);
        quant_tally[tq->type].checked++;
        quant_tally[tq->type].passed += first_bad < 0;
        free(out);
    }
    rm_gguf_close(gs);
    rm_gguf_close(gq);
}

static void test_quantize_matches_llama_quantize(void) {
    static const char *pairs[][2] = {
        {"tiny-llama", "tiny-llama-q8_0"},   {"tiny-llama", "tiny-llama-q4_0"},   {"tiny-llama", "tiny-llama-q4_1"},
        {"tiny-llama", "tiny-llama-q5_0"},   {"tiny-llama", "tiny-llama-q5_1"},   {"tiny-llama", "tiny-llama-q4_k_m"},
        {"tiny-llama", "tiny-llama-q5_k_m"}, {"tiny-llama", "tiny-llama-q6_k"},   {"tiny-llama", "tiny-llama-q3_k_m"},
        {"tiny-llama", "tiny-llama-q2_k"},   {"tiny-llama", "tiny-llama-iq4_nl"}, {"tiny-llama", "tiny-llama-iq4_xs"},
        {"tiny-llama", "tiny-llama-f16"},    {"tiny-llama", "tiny-llama-bf16"},   {"stories260K", "stories260K-q8_0"},
        {"tiny-qwen2", "tiny-qwen2-q8_0"},   {"tiny-qwen2", "tiny-qwen2-q4_k_m"}};
    size_t k;
    int ty;
    memset(quant_tally, 0, sizeof(quant_tally));
    memset(quant_skipped, 0, sizeof(quant_skipped));
    for (k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) compare_quantized(pairs[k][0], pairs[k][1]);
    print_tally("byte-identical to llama-quantize", quant_tally);
    printf("  not written by rm.h (skipped):");
    for (ty = 0; ty < RM_TYPE_COUNT; ty++)
        if (quant_skipped[ty]) printf(" %s %d", rm_type_name(ty), quant_skipped[ty]);
    printf("\n");
    /* the types the brief requires, and that each appears at all */
    CHECK(quant_tally[RM_TYPE_Q8_0].checked >= 40, "Q8_0 tensors checked: %d", quant_tally[RM_TYPE_Q8_0].checked);
    CHECK(quant_tally[RM_TYPE_Q4_0].checked >= 15, "Q4_0 tensors checked: %d", quant_tally[RM_TYPE_Q4_0].checked);
    CHECK(quant_tally[RM_TYPE_Q4_K].checked >= 20, "Q4_K tensors checked: %d", quant_tally[RM_TYPE_Q4_K].checked);
    CHECK(quant_tally[RM_TYPE_Q6_K].checked >= 20, "Q6_K tensors checked: %d", quant_tally[RM_TYPE_Q6_K].checked);
    CHECK(quant_tally[RM_TYPE_Q5_K].checked >= 2, "Q5_K tensors checked: %d", quant_tally[RM_TYPE_Q5_K].checked);
}

/* ------------------------------------------------------------------------------------- */
/* Q8_K and round trips                                                                  */
/* ------------------------------------------------------------------------------------- */

static uint32_t lcg_state = 12345u;
static float lcg_uniform(void) { /* in [-1, 1) */
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (float)((double)(lcg_state >> 8) / 8388608.0 - 1.0);
}

static void test_q8_K_round_trip(void) {
    enum { NB = 6, N = NB * 256 };
    static float x[N], y[N];
    static uint8_t q[NB * 292];
    int b, j;
    for (j = 0; j < N; j++) x[j] = lcg_uniform() * (float)(1 + j / 256) * 3.0f;
    for (j = 0; j < 256; j++) x[256 + j] = 0.0f;               /* block 1: all zero */
    x[512 + 17] = 50.0f;                                        /* block 2: a positive outlier */
    for (j = 0; j < 256; j++) x[768 + j] = (float)(j - 128) * 1e-30f; /* block 3: tiny values */
    CHECK(rm_quantize_row(RM_TYPE_Q8_K, x, q, N) == sizeof(q), "Q8_K size");
    rm_dequantize_row(RM_TYPE_Q8_K, q, y, N);
    for (b = 0; b < NB; b++) {
        float d, amax = 0;
        const int8_t *qs = (const int8_t *)(q + 292 * b + 4);
        int16_t bs[16];
        int g, worst = 0, n_at_127 = 0;
        memcpy(&d, q + 292 * b, 4);
        memcpy(bs, q + 292 * b + 4 + 256, sizeof(bs));
        for (j = 0; j < 256; j++) amax = RM__MAX(amax, fabsf(x[256 * b + j]));
        if (amax == 0) {
            CHECK(d == 0, "block %d: zero block has d %g", b, (double)d);
            for (j = 0; j < 256; j++) worst |= qs[j] != 0 || y[256 * b + j] != 0;
            for (g = 0; g < 16; g++) worst |= bs[g] != 0;
            CHECK(!worst, "block %d: zero block does not decode to zeros", b);
            continue;
        }
        CHECK(fabsf(fabsf(d) * 127.0f - amax) <= 1e-6f * amax, "block %d: |d|*127 = %g, amax %g", b,
              (double)(fabsf(d) * 127.0f), (double)amax);
        for (j = 0; j < 256; j++) {
            const float err = fabsf(y[256 * b + j] - x[256 * b + j]);
            if (err > 0.5f * fabsf(d) * (1 + 1e-5f) + 1e-37f) worst++;
            if (qs[j] == 127 || qs[j] == -127) n_at_127++;
            if (qs[j] == -128) worst++;
        }
        CHECK(worst == 0, "block %d: %d values off by more than d/2 or at -128", b, worst);
        CHECK(n_at_127 >= 1, "block %d: no value at the extreme level", b);
        for (g = 0; g < 16; g++) {
            int s = 0;
            for (j = 0; j < 16; j++) s += qs[16 * g + j];
            CHECK(bs[g] == s, "block %d: bsums[%d] = %d, sum %d", b, g, bs[g], s);
        }
    }
    /* the outlier block: ggml maps the largest-magnitude element to -127 whatever its sign
       (the scale takes the sign), so the positive 50 lands on -127 with d = -50/127 */
    {
        const int8_t *qs = (const int8_t *)(q + 292 * 2 + 4);
        float d;
        memcpy(&d, q + 292 * 2, 4);
        CHECK(qs[17] == -127 && d < 0, "outlier quantized to %d with d %g", qs[17], (double)d);
    }
}

/* Generic properties of every encoder, on data none of the fixtures has: zeros decode to
   zeros, a constant block reproduces, and the error stays within the format's step. */
static void test_round_trip_bounds(void) {
    static const int types[] = {RM_TYPE_F16, RM_TYPE_BF16, RM_TYPE_Q8_0, RM_TYPE_Q4_0, RM_TYPE_Q4_1, RM_TYPE_Q5_0,
                                RM_TYPE_Q5_1, RM_TYPE_Q4_K, RM_TYPE_Q5_K, RM_TYPE_Q6_K, RM_TYPE_Q8_K, RM_TYPE_Q2_K,
                                RM_TYPE_Q3_K};
    /* worst |error| / max|x| for uniform values in [-1, 1): half a step, except for Q4_0/Q5_0
       whose top level (+7d, +15d) falls one step short of the largest magnitude of the other
       sign (Q3_K likewise: -4d..3d); a little margin for fp16 scales, more for the K-quants
       whose scales and mins are themselves quantized to 4, 6 or 8 bits */
    static const float bound[] = {5e-4f, 4e-3f, 5e-3f, 0.126f, 0.068f, 0.0635f, 0.033f, 0.1f, 0.06f, 0.02f, 4.1e-3f, 0.4f, 0.26f};
    enum { N = 512 };
    static float x[N], y[N], z[N];
    static uint8_t q[N * 4];
    size_t k;
    int j;
    for (j = 0; j < N; j++) x[j] = lcg_uniform();
    for (j = 0; j < N; j++) z[j] = 0.0f;
    for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        const int ty = types[k];
        float worst = 0, amax = 0;
        size_t w = rm_quantize_row(ty, x, q, N);
        CHECK(w == row_bytes(ty, N), "%s: wrote %zu bytes", rm_type_name(ty), w);
        rm_dequantize_row(ty, q, y, N);
        for (j = 0; j < N; j++) {
            worst = RM__MAX(worst, fabsf(y[j] - x[j]));
            amax = RM__MAX(amax, fabsf(x[j]));
        }
        CHECK(worst <= bound[k] * amax, "%s: max error %g of max %g", rm_type_name(ty), (double)worst, (double)amax);
        rm_quantize_row(ty, z, q, N);
        for (j = 0; j < N; j++) y[j] = 1.0f;
        rm_dequantize_row(ty, q, y, N);
        for (j = 0; j < N; j++)
            if (y[j] != 0.0f) break;
        CHECK(j == N, "%s: zeros decode to %g at %d", rm_type_name(ty), j < N ? (double)y[j] : 0.0, j);
    }
    /* argument checks */
    CHECK(rm_quantize_row(RM_TYPE_Q8_0, x, q, 31) == 0, "partial block accepted");
    CHECK(rm_quantize_row(RM_TYPE_IQ4_NL, x, q, 256) == 0, "IQ4_NL has no encoder yet");
    CHECK(rm_quantize_row(RM_TYPE_Q8_1, x, q, 32) == 0, "Q8_1 is not written");
    CHECK(rm_quantize_row(999, x, q, 32) == 0, "unknown type accepted");
    CHECK(rm_quantize_row(RM_TYPE_Q8_0, NULL, q, 32) == 0, "NULL source accepted");
    for (j = 0; j < 8; j++) y[j] = 1.0f;
    rm_dequantize_row(999, q, y, 8);
    CHECK(y[0] == 0.0f && y[7] == 0.0f, "unknown type does not decode to zeros");
}

int main(void) {
    RUN(test_sha256_known_answers);
    RUN(test_dequantize_matches_ggml);
    RUN(test_quantize_matches_llama_quantize);
    RUN(test_q8_K_round_trip);
    RUN(test_round_trip_bounds);
    return rmt_summary("test_quant");
}
