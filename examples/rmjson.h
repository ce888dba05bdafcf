/* rmjson.h - v0.1.0 - small JSON reader and writer helpers for rmtool and the rm.h tests - MIT

   Not part of rm.h: the command-line tool reads and writes JSONL with it, and the tests read
   llama.cpp reference files with it.

USAGE
   #define RMJSON_IMPLEMENTATION
   #include "rmjson.h"          (in exactly one C or C++ file; include it plainly elsewhere)

       rmj_error err;
       rmj_doc *doc = rmj_parse(text, len, &err);
       if (!doc) fprintf(stderr, "%s\n", err.msg);     (message names line, column and byte)
       const rmj_value *c = rmj_at(rmj_get(rmj_root(doc), "cases"), 0);
       size_t n; const char *id = rmj_str(rmj_get(c, "id"), &n);
       double x = rmj_num(rmj_get(c, "n_prompt_tokens"));
       rmj_free(doc);

   Accessors accept NULL and values of the wrong type and then return NULL / 0 / "" , so lookups
   chain without checks in between; test the end result (or its type) once.

WHAT IS ACCEPTED
   RFC 8259 JSON, strictly: one value with optional surrounding whitespace, no comments, no
   trailing commas, no leading zeros, no NaN/Infinity. A leading UTF-8 byte order mark is
   skipped. Input must be valid UTF-8 (overlong forms, encoded surrogates and bytes above
   U+10FFFF are errors). Control characters below U+0020 must be escaped inside strings.
   Nesting is limited (RMJ_MAX_DEPTH, default 512) and the parser does not recurse, so hostile
   input cannot exhaust the C stack. Any byte sequence may be given to rmj_parse: it fails
   cleanly or succeeds, it never reads outside [src, src+len).

   Strings are unescaped to UTF-8 and NUL-terminated (they may also contain U+0000: use the
   length). A \uD800-\uDBFF escape followed by a \uDC00-\uDFFF escape becomes one code point; a
   lone surrogate escape is an error, as an encoded surrogate in raw UTF-8 is (it is no
   character: Python would keep it in a str that cannot then be encoded as UTF-8).

   Numbers are parsed with strtod to double (correctly rounded on glibc, musl, MSVC, macOS)
   regardless of the C locale; the original text is kept, so rmj_int() gives integers of any
   size that fits int64_t exactly. Numbers too large for a double become +-HUGE_VAL.

   Objects keep their members in document order. Duplicate keys are kept; rmj_get returns the
   last one, as Python's json and JavaScript's JSON.parse do.

MEMORY
   A document owns one arena with every value, string and number text; the source buffer is
   not referenced after rmj_parse returns. rmj_free releases all of it.

THREADS
   No global state. A parsed document is read-only and may be shared between threads.
*/
#ifndef RMJSON_H_INCLUDED
#define RMJSON_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef RMJDEF
#ifdef RMJSON_STATIC
#define RMJDEF static
#else
#define RMJDEF extern
#endif
#endif

#ifndef RMJ_MAX_DEPTH
#define RMJ_MAX_DEPTH 512
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rmj_type {
    RMJ_NONE = 0, /* a NULL value pointer: missing key, index out of range */
    RMJ_NULL,
    RMJ_BOOL,
    RMJ_NUMBER,
    RMJ_STRING,
    RMJ_ARRAY,
    RMJ_OBJECT
} rmj_type;

typedef struct rmj_value rmj_value;
struct rmj_value {
    rmj_type type;
    int boolean;          /* RMJ_BOOL */
    double num;           /* RMJ_NUMBER */
    const char *str;      /* RMJ_STRING: unescaped UTF-8; RMJ_NUMBER: the number's source text */
    size_t len;           /* bytes of str, or elements of an array / members of an object */
    const rmj_value *items; /* RMJ_ARRAY / RMJ_OBJECT: len values in document order */
    const char *key;      /* member of an object: its key (unescaped, NUL-terminated); else NULL */
    size_t key_len;
};

typedef struct rmj_doc rmj_doc;

typedef struct rmj_error {
    size_t offset;        /* byte offset of the error in the input */
    size_t line, column;  /* 1-based; column counts bytes */
    char msg[160];        /* "line 3, column 14 (byte 52): expected ',' or ']'" */
} rmj_error;

/* Parse one complete JSON text. Returns NULL on failure with *err filled (err may be NULL);
   out of memory is reported the same way. */
RMJDEF rmj_doc *rmj_parse(const char *src, size_t len, rmj_error *err);
/* The same with an explicit nesting limit (arrays and objects, >= 1). */
RMJDEF rmj_doc *rmj_parse_ex(const char *src, size_t len, int max_depth, rmj_error *err);
RMJDEF void rmj_free(rmj_doc *doc);
RMJDEF const rmj_value *rmj_root(const rmj_doc *doc);

RMJDEF rmj_type rmj_typeof(const rmj_value *v);
RMJDEF int rmj_is_null(const rmj_value *v);
RMJDEF int rmj_is_bool(const rmj_value *v);
RMJDEF int rmj_is_number(const rmj_value *v);
RMJDEF int rmj_is_string(const rmj_value *v);
RMJDEF int rmj_is_array(const rmj_value *v);
RMJDEF int rmj_is_object(const rmj_value *v);
/* Member of an object by key (last one if repeated), or NULL. */
RMJDEF const rmj_value *rmj_get(const rmj_value *obj, const char *key);
RMJDEF const rmj_value *rmj_getn(const rmj_value *obj, const char *key, size_t key_len);
/* Element i of an array, or member i of an object (its key in ->key), or NULL. */
RMJDEF const rmj_value *rmj_at(const rmj_value *v, size_t i);
/* Elements of an array, members of an object, bytes of a string; else 0. */
RMJDEF size_t rmj_len(const rmj_value *v);
/* The number, or 0 for anything else. */
RMJDEF double rmj_num(const rmj_value *v);
/* 1 and *out set if v is a number written as an integer (no fraction or exponent) that
   fits int64_t; else 0. */
RMJDEF int rmj_int(const rmj_value *v, int64_t *out);
/* The string (NUL-terminated) and its byte length, or "" and 0 for anything else.
   len may be NULL. */
RMJDEF const char *rmj_str(const rmj_value *v, size_t *len);
/* 1 for true, 0 for false and anything else. */
RMJDEF int rmj_bool(const rmj_value *v);
/* 1 if v is a string equal to the NUL-terminated s. */
RMJDEF int rmj_str_eq(const rmj_value *v, const char *s);

/* Writers. Output is always valid JSON: control characters are written as \u00XX (or \n,
   \t, ...), bytes that are not valid UTF-8 are replaced by U+FFFD, and non-finite numbers
   are written as null. Each returns 0, or -1 if the stream reported an error. */
RMJDEF int rmj_write_string(FILE *f, const char *s, size_t len);
/* The fewest %g digits (at most 17) that read back as the same double. */
RMJDEF int rmj_write_double(FILE *f, double x);
/* The fewest %g digits (at most 9) that read back as the same float. */
RMJDEF int rmj_write_float(FILE *f, float x);
/* The same into a buffer of at least 32 bytes; return the length written (0 if cap < 32). */
RMJDEF size_t rmj_format_double(char *buf, size_t cap, double x);
RMJDEF size_t rmj_format_float(char *buf, size_t cap, float x);

#ifdef __cplusplus
}
#endif
#endif /* RMJSON_H_INCLUDED */

/* ======================================================================================== */
#ifdef RMJSON_IMPLEMENTATION
#ifndef RMJSON_IMPLEMENTATION_DONE
#define RMJSON_IMPLEMENTATION_DONE

#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <math.h>

/* ---- arena: values of a container are copied into it contiguously when it closes ---- */

typedef struct rmj__block {
    struct rmj__block *next;
    size_t used, cap;
    /* data follows, aligned as the header size is a multiple of 16 below */
} rmj__block;

#define RMJ__ALIGN 16
#define RMJ__HDR ((sizeof(rmj__block) + RMJ__ALIGN - 1) / RMJ__ALIGN * RMJ__ALIGN)

struct rmj_doc {
    rmj__block *blocks;
    rmj_value root;
};

static void *rmj__alloc(rmj_doc *d, size_t n) {
    rmj__block *b = d->blocks;
    size_t need = (n + RMJ__ALIGN - 1) / RMJ__ALIGN * RMJ__ALIGN;
    if (need < n) return NULL;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > (size_t)65536 ? need : (size_t)65536;
        if (cap > (size_t)-1 - RMJ__HDR) return NULL;
        b = (rmj__block *)malloc(RMJ__HDR + cap);
        if (!b) return NULL;
        b->next = d->blocks;
        b->used = 0;
        b->cap = cap;
        d->blocks = b;
    }
    b->used += need;
    return (char *)b + RMJ__HDR + (b->used - need);
}

RMJDEF void rmj_free(rmj_doc *doc) {
    rmj__block *b, *next;
    if (!doc) return;
    for (b = doc->blocks; b; b = next) {
        next = b->next;
        free(b);
    }
    free(doc);
}

/* ---- parser ---- */

typedef struct rmj__frame {
    size_t first;         /* index in vals of the container's first child */
    const char *key;      /* the container's own key when it is an object member */
    size_t key_len;
    int is_object;
} rmj__frame;

typedef struct rmj__parser {
    const unsigned char *src, *cur, *end;
    rmj_doc *doc;
    rmj_value *vals;      /* children of the open containers, innermost last */
    size_t n_vals, cap_vals;
    rmj__frame *frames;
    int depth, max_depth;
    rmj_error *err;
    const char *key;      /* key read for the next value, NULL outside objects */
    size_t key_len;
    char decimal_point;   /* of the current C locale, for strtod */
} rmj__parser;

static int rmj__fail(rmj__parser *p, const unsigned char *at, const char *what) {
    if (p->err) {
        const unsigned char *q;
        size_t line = 1, col = 1;
        for (q = p->src; q < at; q++) {
            if (*q == '\n') { line++; col = 1; }
            else col++;
        }
        p->err->offset = (size_t)(at - p->src);
        p->err->line = line;
        p->err->column = col;
        snprintf(p->err->msg, sizeof(p->err->msg), "line %lu, column %lu (byte %lu): %s", (unsigned long)line,
                 (unsigned long)col, (unsigned long)p->err->offset, what);
    }
    return 0;
}

static void rmj__skip_ws(rmj__parser *p) {
    while (p->cur < p->end && (*p->cur == ' ' || *p->cur == '\t' || *p->cur == '\n' || *p->cur == '\r')) p->cur++;
}

static int rmj__push(rmj__parser *p, const rmj_value *v) {
    if (p->n_vals == p->cap_vals) {
        size_t cap = p->cap_vals ? p->cap_vals * 2 : 64;
        rmj_value *nv;
        if (cap > (size_t)-1 / sizeof(rmj_value)) return rmj__fail(p, p->cur, "out of memory");
        nv = (rmj_value *)realloc(p->vals, cap * sizeof(rmj_value));
        if (!nv) return rmj__fail(p, p->cur, "out of memory");
        p->vals = nv;
        p->cap_vals = cap;
    }
    p->vals[p->n_vals] = *v;
    p->vals[p->n_vals].key = p->key;
    p->vals[p->n_vals].key_len = p->key_len;
    p->n_vals++;
    p->key = NULL;
    p->key_len = 0;
    return 1;
}

static int rmj__hex4(const unsigned char *s, unsigned *out) {
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

static size_t rmj__put_utf8(unsigned char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { o[0] = (unsigned char)(0xC0 | (cp >> 6)); o[1] = (unsigned char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not valid:
   rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t rmj__utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] >= 0xA0) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

/* p->cur is at the opening quote. The decoded string is never longer than its source (an
   escape of 6 bytes gives at most 3, a pair of 12 gives 4), so one allocation of the raw
   length suffices. */
static int rmj__string(rmj__parser *p, const char **out, size_t *out_len) {
    const unsigned char *s = p->cur + 1, *q = s;
    unsigned char *o, *o0;
    while (q < p->end && *q != '"') q += (*q == '\\' && p->end - q > 1) ? 2 : 1;
    if (q >= p->end) return rmj__fail(p, p->cur, "unterminated string");
    o0 = o = (unsigned char *)rmj__alloc(p->doc, (size_t)(q - s) + 1);
    if (!o) return rmj__fail(p, p->cur, "out of memory");
    while (s < q) {
        unsigned c = *s;
        if (c == '\\') {
            unsigned cp;
            switch (s[1]) {
            case '"': *o++ = '"'; s += 2; break;
            case '\\': *o++ = '\\'; s += 2; break;
            case '/': *o++ = '/'; s += 2; break;
            case 'b': *o++ = '\b'; s += 2; break;
            case 'f': *o++ = '\f'; s += 2; break;
            case 'n': *o++ = '\n'; s += 2; break;
            case 'r': *o++ = '\r'; s += 2; break;
            case 't': *o++ = '\t'; s += 2; break;
            case 'u':
                if (q - s < 6 || !rmj__hex4(s + 2, &cp)) return rmj__fail(p, s, "invalid \\u escape");
                s += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (q - s >= 6 && s[0] == '\\' && s[1] == 'u' && rmj__hex4(s + 2, &lo) && lo >= 0xDC00 &&
                        lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        s += 6;
                    } else {
                        return rmj__fail(p, s - 6, "lone surrogate escape (\\uD800-\\uDBFF not followed by \\uDC00-\\uDFFF)");
                    }
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return rmj__fail(p, s - 6, "lone surrogate escape (\\uDC00-\\uDFFF without a high surrogate before it)");
                }
                o += rmj__put_utf8(o, cp);
                break;
            default: return rmj__fail(p, s, "invalid escape in string");
            }
        } else if (c < 0x20) {
            return rmj__fail(p, s, "unescaped control character in string");
        } else {
            size_t n = rmj__utf8_len(s, (size_t)(q - s));
            if (!n) return rmj__fail(p, s, "invalid UTF-8 in string");
            memcpy(o, s, n);
            o += n;
            s += n;
        }
    }
    *o = 0;
    *out = (const char *)o0;
    *out_len = (size_t)(o - o0);
    p->cur = q + 1;
    return 1;
}

static int rmj__number(rmj__parser *p, rmj_value *v) {
    const unsigned char *s = p->cur, *q = s;
    char *text, *endp;
    size_t n, i;
    if (q < p->end && *q == '-') q++;
    if (q >= p->end || *q < '0' || *q > '9') return rmj__fail(p, q, "expected a digit");
    if (*q == '0') {
        q++;
        if (q < p->end && *q >= '0' && *q <= '9') return rmj__fail(p, s, "leading zero in number");
    } else {
        while (q < p->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < p->end && *q == '.') {
        q++;
        if (q >= p->end || *q < '0' || *q > '9') return rmj__fail(p, q, "expected a digit after '.'");
        while (q < p->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < p->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < p->end && (*q == '+' || *q == '-')) q++;
        if (q >= p->end || *q < '0' || *q > '9') return rmj__fail(p, q, "expected a digit in exponent");
        while (q < p->end && *q >= '0' && *q <= '9') q++;
    }
    n = (size_t)(q - s);
    text = (char *)rmj__alloc(p->doc, n + 1);
    if (!text) return rmj__fail(p, s, "out of memory");
    memcpy(text, s, n);
    text[n] = 0;
    v->type = RMJ_NUMBER;
    v->str = text;
    v->len = n;
    if (p->decimal_point != '.') {
        /* strtod follows LC_NUMERIC; parse a copy spelled the locale's way. */
        char small[64], *tmp = n < sizeof(small) ? small : (char *)malloc(n + 1);
        if (!tmp) return rmj__fail(p, s, "out of memory");
        for (i = 0; i <= n; i++) tmp[i] = text[i] == '.' ? p->decimal_point : text[i];
        v->num = strtod(tmp, &endp);
        if (tmp != small) free(tmp);
    } else {
        v->num = strtod(text, &endp);
    }
    p->cur = q;
    return 1;
}

static int rmj__literal(rmj__parser *p, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(p->end - p->cur) < n || memcmp(p->cur, word, n) != 0) return rmj__fail(p, p->cur, "invalid literal");
    p->cur += n;
    return 1;
}

static int rmj__key(rmj__parser *p) {
    rmj__skip_ws(p);
    if (p->cur >= p->end) return rmj__fail(p, p->cur, "unexpected end of input, expected a key");
    if (*p->cur != '"') return rmj__fail(p, p->cur, "expected a string key");
    if (!rmj__string(p, &p->key, &p->key_len)) return 0;
    rmj__skip_ws(p);
    if (p->cur >= p->end) return rmj__fail(p, p->cur, "unexpected end of input, expected ':'");
    if (*p->cur != ':') return rmj__fail(p, p->cur, "expected ':'");
    p->cur++;
    return 1;
}

/* Closes the innermost container: its children move from the value stack into the arena. */
static int rmj__close(rmj__parser *p) {
    rmj__frame *f = &p->frames[p->depth - 1];
    size_t n = p->n_vals - f->first;
    rmj_value v;
    memset(&v, 0, sizeof(v));
    v.type = f->is_object ? RMJ_OBJECT : RMJ_ARRAY;
    v.len = n;
    if (n) {
        rmj_value *items;
        if (n > (size_t)-1 / sizeof(rmj_value)) return rmj__fail(p, p->cur, "out of memory");
        items = (rmj_value *)rmj__alloc(p->doc, n * sizeof(rmj_value));
        if (!items) return rmj__fail(p, p->cur, "out of memory");
        memcpy(items, p->vals + f->first, n * sizeof(rmj_value));
        v.items = items;
    }
    p->n_vals = f->first;
    p->key = f->key;
    p->key_len = f->key_len;
    p->depth--;
    p->cur++;
    return rmj__push(p, &v);
}

static int rmj__run(rmj__parser *p) {
    for (;;) {
        rmj_value v;
        int c;
        /* A value is expected here. */
        rmj__skip_ws(p);
        if (p->cur >= p->end) return rmj__fail(p, p->cur, "unexpected end of input, expected a value");
        c = *p->cur;
        memset(&v, 0, sizeof(v));
        if (c == '[' || c == '{') {
            rmj__frame *f;
            if (p->depth >= p->max_depth) return rmj__fail(p, p->cur, "nesting too deep");
            f = &p->frames[p->depth++];
            f->first = p->n_vals;
            f->key = p->key;
            f->key_len = p->key_len;
            f->is_object = c == '{';
            p->key = NULL;
            p->key_len = 0;
            p->cur++;
            rmj__skip_ws(p);
            if (p->cur < p->end && *p->cur == (c == '[' ? ']' : '}')) {
                if (!rmj__close(p)) return 0;
            } else {
                if (c == '{' && !rmj__key(p)) return 0;
                continue;
            }
        } else {
            if (c == '"') {
                v.type = RMJ_STRING;
                if (!rmj__string(p, &v.str, &v.len)) return 0;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if (!rmj__number(p, &v)) return 0;
            } else if (c == 't') {
                v.type = RMJ_BOOL;
                v.boolean = 1;
                if (!rmj__literal(p, "true")) return 0;
            } else if (c == 'f') {
                v.type = RMJ_BOOL;
                if (!rmj__literal(p, "false")) return 0;
            } else if (c == 'n') {
                v.type = RMJ_NULL;
                if (!rmj__literal(p, "null")) return 0;
            } else {
                return rmj__fail(p, p->cur, "expected a value");
            }
            if (!rmj__push(p, &v)) return 0;
        }
        /* A value was completed: a separator, a closing bracket or the end follows. */
        for (;;) {
            rmj__frame *f;
            rmj__skip_ws(p);
            if (p->depth == 0) {
                if (p->cur != p->end) return rmj__fail(p, p->cur, "unexpected data after the JSON value");
                return 1;
            }
            f = &p->frames[p->depth - 1];
            if (p->cur >= p->end)
                return rmj__fail(p, p->cur, f->is_object ? "unexpected end of input, expected ',' or '}'"
                                                         : "unexpected end of input, expected ',' or ']'");
            if (*p->cur == ',') {
                p->cur++;
                if (f->is_object && !rmj__key(p)) return 0;
                break;
            }
            if (*p->cur == (f->is_object ? '}' : ']')) {
                if (!rmj__close(p)) return 0;
                continue;
            }
            return rmj__fail(p, p->cur, f->is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

RMJDEF rmj_doc *rmj_parse_ex(const char *src, size_t len, int max_depth, rmj_error *err) {
    rmj__parser p;
    rmj_doc *doc;
    int ok;
    const struct lconv *lc = localeconv();
    memset(&p, 0, sizeof(p));
    if (err) memset(err, 0, sizeof(*err));
    p.err = err;
    if (!src && len) {
        if (err) snprintf(err->msg, sizeof(err->msg), "NULL input");
        return NULL;
    }
    if (max_depth < 1) max_depth = 1;
    p.src = p.cur = (const unsigned char *)(src ? src : "");
    p.end = p.src + len;
    if (len >= 3 && p.src[0] == 0xEF && p.src[1] == 0xBB && p.src[2] == 0xBF) p.cur += 3;
    p.max_depth = max_depth;
    p.decimal_point = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
    doc = (rmj_doc *)calloc(1, sizeof(rmj_doc));
    p.frames = (rmj__frame *)malloc((size_t)max_depth * sizeof(rmj__frame));
    if (!doc || !p.frames) {
        free(doc);
        free(p.frames);
        if (err) snprintf(err->msg, sizeof(err->msg), "out of memory");
        return NULL;
    }
    p.doc = doc;
    ok = rmj__run(&p);
    if (ok) {
        doc->root = p.vals[0];
        doc->root.key = NULL;
    }
    free(p.vals);
    free(p.frames);
    if (!ok) {
        rmj_free(doc);
        return NULL;
    }
    return doc;
}

RMJDEF rmj_doc *rmj_parse(const char *src, size_t len, rmj_error *err) {
    return rmj_parse_ex(src, len, RMJ_MAX_DEPTH, err);
}

RMJDEF const rmj_value *rmj_root(const rmj_doc *doc) { return doc ? &doc->root : NULL; }

/* ---- accessors ---- */

RMJDEF rmj_type rmj_typeof(const rmj_value *v) { return v ? v->type : RMJ_NONE; }
RMJDEF int rmj_is_null(const rmj_value *v) { return v && v->type == RMJ_NULL; }
RMJDEF int rmj_is_bool(const rmj_value *v) { return v && v->type == RMJ_BOOL; }
RMJDEF int rmj_is_number(const rmj_value *v) { return v && v->type == RMJ_NUMBER; }
RMJDEF int rmj_is_string(const rmj_value *v) { return v && v->type == RMJ_STRING; }
RMJDEF int rmj_is_array(const rmj_value *v) { return v && v->type == RMJ_ARRAY; }
RMJDEF int rmj_is_object(const rmj_value *v) { return v && v->type == RMJ_OBJECT; }

RMJDEF const rmj_value *rmj_getn(const rmj_value *obj, const char *key, size_t key_len) {
    size_t i;
    if (!obj || obj->type != RMJ_OBJECT || !key) return NULL;
    for (i = obj->len; i-- > 0;) {
        const rmj_value *m = &obj->items[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) return m;
    }
    return NULL;
}

RMJDEF const rmj_value *rmj_get(const rmj_value *obj, const char *key) {
    return key ? rmj_getn(obj, key, strlen(key)) : NULL;
}

RMJDEF const rmj_value *rmj_at(const rmj_value *v, size_t i) {
    if (!v || (v->type != RMJ_ARRAY && v->type != RMJ_OBJECT) || i >= v->len) return NULL;
    return &v->items[i];
}

RMJDEF size_t rmj_len(const rmj_value *v) {
    if (!v || (v->type != RMJ_ARRAY && v->type != RMJ_OBJECT && v->type != RMJ_STRING)) return 0;
    return v->len;
}

RMJDEF double rmj_num(const rmj_value *v) { return v && v->type == RMJ_NUMBER ? v->num : 0.0; }

RMJDEF int rmj_int(const rmj_value *v, int64_t *out) {
    const char *s;
    uint64_t mag = 0, limit;
    int neg = 0;
    if (!v || v->type != RMJ_NUMBER) return 0;
    s = v->str;
    if (*s == '-') { neg = 1; s++; }
    limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        unsigned d;
        if (*s < '0' || *s > '9') return 0;
        d = (unsigned)(*s - '0');
        if (mag > (limit - d) / 10) return 0;
        mag = mag * 10 + d;
    }
    if (out) {
        if (neg) *out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
        else *out = (int64_t)mag;
    }
    return 1;
}

RMJDEF const char *rmj_str(const rmj_value *v, size_t *len) {
    if (!v || v->type != RMJ_STRING) {
        if (len) *len = 0;
        return "";
    }
    if (len) *len = v->len;
    return v->str;
}

RMJDEF int rmj_bool(const rmj_value *v) { return v && v->type == RMJ_BOOL && v->boolean; }

RMJDEF int rmj_str_eq(const rmj_value *v, const char *s) {
    size_t n;
    if (!v || v->type != RMJ_STRING || !s) return 0;
    n = strlen(s);
    return v->len == n && memcmp(v->str, s, n) == 0;
}

/* ---- writers ---- */

RMJDEF int rmj_write_string(FILE *f, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s, *end = u + len, *run;
    if (!s) u = end = (const unsigned char *)"";
    if (fputc('"', f) == EOF) return -1;
    run = u;
    while (u < end) {
        unsigned c = *u;
        const char *esc = NULL;
        char ubuf[7];
        size_t n;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { u++; continue; }
        if (c >= 0x80) {
            n = rmj__utf8_len(u, (size_t)(end - u));
            if (n) { u += n; continue; }
            esc = "\xEF\xBF\xBD"; /* U+FFFD for one byte that starts no valid sequence */
        } else if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else {
            ubuf[0] = '\\'; ubuf[1] = 'u'; ubuf[2] = '0'; ubuf[3] = '0';
            ubuf[4] = hex[c >> 4]; ubuf[5] = hex[c & 15]; ubuf[6] = 0;
            esc = ubuf;
        }
        if (u > run && fwrite(run, 1, (size_t)(u - run), f) != (size_t)(u - run)) return -1;
        if (fputs(esc, f) == EOF) return -1;
        u++;
        run = u;
    }
    if (u > run && fwrite(run, 1, (size_t)(u - run), f) != (size_t)(u - run)) return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

/* Fewest digits (from 6 for floats, 15 for doubles) that read back as the same value, so
   0.1 prints as 0.1 and not 0.10000000000000001. */
static size_t rmj__format(char *buf, size_t cap, double x, int is_float) {
    int n = 0, d;
    char *c;
    if (!buf || cap < 32) return 0;
    if (x != x || x - x != 0) { /* NaN, +-Inf: JSON has no token for them */
        memcpy(buf, "null", 5);
        return 4;
    }
    for (d = is_float ? 6 : 15; d <= (is_float ? 9 : 17); d++) {
        double back;
        n = snprintf(buf, cap, "%.*g", d, x);
        if (n < 0 || (size_t)n >= cap) { buf[0] = 0; return 0; }
        back = strtod(buf, NULL); /* same locale as snprintf, so this reads it right */
        if (is_float ? (float)back == (float)x : back == x) break;
    }
    /* printf follows LC_NUMERIC; %g never groups digits, so any ',' is the decimal point. */
    for (c = buf; *c; c++)
        if (*c == ',') *c = '.';
    return (size_t)n;
}

RMJDEF size_t rmj_format_double(char *buf, size_t cap, double x) { return rmj__format(buf, cap, x, 0); }
RMJDEF size_t rmj_format_float(char *buf, size_t cap, float x) { return rmj__format(buf, cap, (double)x, 1); }

RMJDEF int rmj_write_double(FILE *f, double x) {
    char buf[40];
    size_t n = rmj_format_double(buf, sizeof(buf), x);
    return fwrite(buf, 1, n, f) == n ? 0 : -1;
}

RMJDEF int rmj_write_float(FILE *f, float x) {
    char buf[40];
    size_t n = rmj_format_float(buf, sizeof(buf), x);
    return fwrite(buf, 1, n, f) == n ? 0 : -1;
}

#endif /* RMJSON_IMPLEMENTATION_DONE */
#endif /* RMJSON_IMPLEMENTATION */
