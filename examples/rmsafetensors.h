/* rmsafetensors.h - v0.1.0 - validating reader of Hugging Face .safetensors files - MIT

   Not part of rm.h: `rmtool convert` reads checkpoints with it. It lives beside rm.h rather
   than inside it because the safetensors header is JSON and rm.h has no JSON parser (it only
   ever reads GGUF); a program that scores GGUF files should not carry a JSON parser and a
   checkpoint reader it never calls. It needs examples/rmjson.h (include that first, with
   RMJSON_IMPLEMENTATION in the same file that defines RMST_IMPLEMENTATION).

USAGE
   #define RMST_IMPLEMENTATION
   #include "rmsafetensors.h"

       rmst_file *f;
       if (rmst_open("model.safetensors", &f) != RMST_OK) fprintf(stderr, "%s\n", rmst_error(f));
       const rmst_tensor *t = rmst_find(f, "model.norm.weight");
       rmst_read(f, t, 0, t->nbytes, buf);       (bytes from the file, little-endian as stored)
       rmst_close(f);

FORMAT
   u64 little-endian N, then N bytes of JSON: an object whose members are tensors
       "name": {"dtype": "BF16", "shape": [rows, cols], "data_offsets": [begin, end]}
   and an optional "__metadata__" object of string values; then the data buffer, offsets
   relative to its start.

WHAT IS VALIDATED (each failure is an rmst_result with a message naming the tensor and values)
   - the file holds the 8-byte length; N is at most RMST_MAX_HEADER (100 MB, the limit of the
     reference implementation) and fits in the file          RMST_ERR_HEADER
   - the header is valid JSON (rmjson.h: strict RFC 8259, UTF-8) and an object  RMST_ERR_JSON
   - every tensor entry is an object with exactly dtype, shape and data_offsets; names are
     unique and non-empty; __metadata__ is an object of strings               RMST_ERR_ENTRY
   - dtype is one of the safetensors names (F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8
     BOOL F8_E4M3 F8_E5M2 F8_E8M0 F6_E2M3 F6_E3M2 F4); others are refused by name  RMST_ERR_DTYPE
   - shape: at most RMST_MAX_DIMS non-negative integers, element count without overflow, and
     count * element size == end - begin                                      RMST_ERR_SHAPE
   - data_offsets: two integers, begin <= end, end inside the data buffer     RMST_ERR_BOUNDS
   - no two tensors' byte ranges overlap                                      RMST_ERR_OVERLAP
   Only the header is read at open; tensor bytes are read on demand with rmst_read (a file
   that shrinks after opening makes rmst_read fail with RMST_ERR_IO, never read garbage).
   Which dtypes a caller converts is its own decision (rmtool convert: F32, F16, BF16).
*/
#ifndef RMSAFETENSORS_H_INCLUDED
#define RMSAFETENSORS_H_INCLUDED
#include <stddef.h>
#include <stdint.h>

#ifndef RMSTDEF
#if defined(__GNUC__) || defined(__clang__)
#define RMSTDEF static __attribute__((unused))
#else
#define RMSTDEF static
#endif
#endif
#ifndef RMST_MAX_HEADER
#define RMST_MAX_HEADER 100000000u
#endif
#define RMST_MAX_DIMS 8

typedef enum rmst_result {
    RMST_OK = 0,
    RMST_ERR_IO = -1,
    RMST_ERR_NOMEM = -2,
    RMST_ERR_HEADER = -3,
    RMST_ERR_JSON = -4,
    RMST_ERR_ENTRY = -5,
    RMST_ERR_DTYPE = -6,
    RMST_ERR_SHAPE = -7,
    RMST_ERR_BOUNDS = -8,
    RMST_ERR_OVERLAP = -9,
    RMST_ERR_NOT_FOUND = -10
} rmst_result;

typedef enum rmst_dtype {
    RMST_F64, RMST_F32, RMST_F16, RMST_BF16, RMST_I64, RMST_I32, RMST_I16, RMST_I8,
    RMST_U64, RMST_U32, RMST_U16, RMST_U8, RMST_BOOL, RMST_F8_E4M3, RMST_F8_E5M2, RMST_F8_E8M0,
    RMST_F6_E2M3, RMST_F6_E3M2, RMST_F4, RMST_DTYPE_COUNT
} rmst_dtype;

typedef struct rmst_tensor {
    const char *name;      /* NUL-terminated, owned by the file object */
    size_t name_len;
    int dtype;             /* rmst_dtype */
    int n_dims;            /* 0 (a scalar) .. RMST_MAX_DIMS */
    int64_t shape[RMST_MAX_DIMS]; /* row-major, shape[n_dims-1] varies fastest */
    uint64_t n_elements;
    uint64_t begin, end;   /* relative to the data buffer */
    uint64_t nbytes;       /* end - begin */
} rmst_tensor;

typedef struct rmst_file rmst_file;

/* Opens and validates a file (only the header is read). *out is set even on failure (except
   when memory for the object ran out): read rmst_error(), then rmst_close(). */
RMSTDEF rmst_result rmst_open(const char *path, rmst_file **out);
/* The same over bytes in memory (borrowed until rmst_close). */
RMSTDEF rmst_result rmst_open_memory(const void *data, size_t size, rmst_file **out);
RMSTDEF void rmst_close(rmst_file *f);
RMSTDEF const char *rmst_error(const rmst_file *f);
/* Tensors in header order. */
RMSTDEF int64_t rmst_n_tensors(const rmst_file *f);
RMSTDEF const rmst_tensor *rmst_tensor_at(const rmst_file *f, int64_t i);
RMSTDEF const rmst_tensor *rmst_find(const rmst_file *f, const char *name);
/* __metadata__ value of key, or NULL. */
RMSTDEF const char *rmst_metadata(const rmst_file *f, const char *key);
/* Copies bytes [off, off + n) of tensor t into dst. */
RMSTDEF rmst_result rmst_read(rmst_file *f, const rmst_tensor *t, uint64_t off, size_t n, void *dst);
/* "BF16"; element size in bits (F6/F4 are sub-byte). */
RMSTDEF const char *rmst_dtype_name(int dtype);
RMSTDEF int rmst_dtype_bits(int dtype);

#endif /* RMSAFETENSORS_H_INCLUDED */

#ifdef RMST_IMPLEMENTATION
#ifndef RMST_IMPLEMENTATION_DONE
#define RMST_IMPLEMENTATION_DONE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>

struct rmst_file {
    FILE *fp;                 /* NULL for a memory image */
    const uint8_t *mem;
    uint64_t file_size, data_start, data_size;
    rmst_tensor *t;
    int64_t n;
    char **meta;              /* key, value pairs */
    int64_t n_meta;
    char *names;              /* all tensor names, NUL-separated */
    char err[512];
};

static const struct { const char *name; int bits; } rmst__dtypes[RMST_DTYPE_COUNT] = {
    {"F64", 64}, {"F32", 32}, {"F16", 16}, {"BF16", 16}, {"I64", 64}, {"I32", 32}, {"I16", 16}, {"I8", 8},
    {"U64", 64}, {"U32", 32}, {"U16", 16}, {"U8", 8}, {"BOOL", 8}, {"F8_E4M3", 8}, {"F8_E5M2", 8}, {"F8_E8M0", 8},
    {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"F4", 4}};

RMSTDEF const char *rmst_dtype_name(int d) { return d >= 0 && d < RMST_DTYPE_COUNT ? rmst__dtypes[d].name : "?"; }
RMSTDEF int rmst_dtype_bits(int d) { return d >= 0 && d < RMST_DTYPE_COUNT ? rmst__dtypes[d].bits : 0; }

static rmst_result rmst__fail(rmst_file *f, rmst_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->err, sizeof(f->err), fmt, ap);
    va_end(ap);
    return r;
}

static int rmst__cmp_begin(const void *a, const void *b) {
    const rmst_tensor *x = *(const rmst_tensor *const *)a, *y = *(const rmst_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int rmst__cmp_name(const void *a, const void *b) {
    const rmst_tensor *x = *(const rmst_tensor *const *)a, *y = *(const rmst_tensor *const *)b;
    return strcmp(x->name, y->name);
}

/* Parses and checks the JSON header (hdr, n bytes); the data buffer holds data_size bytes. */
static rmst_result rmst__parse(rmst_file *f, const char *hdr, size_t n) {
    rmj_error je;
    rmj_doc *doc = rmj_parse(hdr, n, &je);
    const rmj_value *root;
    rmst_tensor **order = NULL;
    size_t i, names_bytes = 0, nt = 0, n_meta = 0;
    char *np;
    rmst_result r = RMST_OK;
    if (!doc) return rmst__fail(f, RMST_ERR_JSON, "safetensors: header is not valid JSON: %s", je.msg);
    root = rmj_root(doc);
    if (!rmj_is_object(root)) {
        rmj_free(doc);
        return rmst__fail(f, RMST_ERR_JSON, "safetensors: header is not a JSON object");
    }
    for (i = 0; i < rmj_len(root); i++) {
        const rmj_value *m = rmj_at(root, i);
        if (strcmp(m->key, "__metadata__") == 0) {
            if (rmj_is_object(m)) n_meta += rmj_len(m); /* a repeated key adds its entries too */
            continue;
        }
        names_bytes += m->key_len + 1;
        nt++;
    }
    f->t = (rmst_tensor *)calloc(nt ? nt : 1, sizeof(rmst_tensor));
    f->names = (char *)malloc(names_bytes ? names_bytes : 1);
    order = (rmst_tensor **)malloc((nt ? nt : 1) * sizeof(*order));
    f->meta = (char **)calloc(2 * n_meta + 1, sizeof(char *));
    if (!f->t || !f->names || !order || !f->meta) {
        r = rmst__fail(f, RMST_ERR_NOMEM, "safetensors: out of memory for %zu tensors", nt);
        goto done;
    }
    np = f->names;
    for (i = 0; i < rmj_len(root) && r == RMST_OK; i++) {
        const rmj_value *m = rmj_at(root, i), *dt, *sh, *off;
        rmst_tensor *t;
        int64_t b, e;
        size_t k, d;
        uint64_t nel = 1, bits;
        if (strcmp(m->key, "__metadata__") == 0) {
            if (!rmj_is_object(m)) {
                r = rmst__fail(f, RMST_ERR_ENTRY, "safetensors: __metadata__ is not an object");
                break;
            }
            for (k = 0; k < rmj_len(m); k++) {
                const rmj_value *v = rmj_at(m, k);
                char *kc, *vc;
                if (!rmj_is_string(v)) {
                    r = rmst__fail(f, RMST_ERR_ENTRY, "safetensors: __metadata__ value of '%.100s' is not a string", v->key);
                    break;
                }
                kc = (char *)malloc(v->key_len + 1);
                vc = (char *)malloc(v->len + 1);
                f->meta[2 * f->n_meta] = kc;
                f->meta[2 * f->n_meta + 1] = vc;
                f->n_meta++;
                if (!kc || !vc) {
                    r = rmst__fail(f, RMST_ERR_NOMEM, "safetensors: out of memory");
                    break;
                }
                memcpy(kc, v->key, v->key_len + 1);
                memcpy(vc, v->str, v->len + 1);
            }
            continue;
        }
        t = &f->t[f->n];
        if (m->key_len == 0 || memchr(m->key, 0, m->key_len)) {
            r = rmst__fail(f, RMST_ERR_ENTRY, "safetensors: tensor %lld has an empty name or one with a NUL byte", (long long)f->n);
            break;
        }
        memcpy(np, m->key, m->key_len + 1);
        t->name = np;
        t->name_len = m->key_len;
        np += m->key_len + 1;
        order[f->n] = t;
        f->n++;
        dt = rmj_get(m, "dtype");
        sh = rmj_get(m, "shape");
        off = rmj_get(m, "data_offsets");
        if (!rmj_is_object(m) || rmj_len(m) != 3 || !rmj_is_string(dt) || !rmj_is_array(sh) || !rmj_is_array(off)) {
            r = rmst__fail(f, RMST_ERR_ENTRY, "safetensors: tensor '%.200s' must be an object of exactly dtype (string), shape and data_offsets (arrays)", t->name);
            break;
        }
        for (d = 0; d < RMST_DTYPE_COUNT; d++)
            if (rmj_str_eq(dt, rmst__dtypes[d].name)) break;
        if (d == RMST_DTYPE_COUNT) {
            r = rmst__fail(f, RMST_ERR_DTYPE, "safetensors: tensor '%.200s' has unknown dtype '%.40s'", t->name, rmj_str(dt, NULL));
            break;
        }
        t->dtype = (int)d;
        if (rmj_len(sh) > RMST_MAX_DIMS) {
            r = rmst__fail(f, RMST_ERR_SHAPE, "safetensors: tensor '%.200s' has %zu dimensions (at most %d)", t->name, rmj_len(sh), RMST_MAX_DIMS);
            break;
        }
        t->n_dims = (int)rmj_len(sh);
        for (k = 0; k < rmj_len(sh); k++) {
            int64_t v;
            if (!rmj_int(rmj_at(sh, k), &v) || v < 0) {
                r = rmst__fail(f, RMST_ERR_SHAPE, "safetensors: tensor '%.200s': dimension %zu is not a non-negative integer", t->name, k);
                break;
            }
            t->shape[k] = v;
            if (v && nel > UINT64_MAX / (uint64_t)v) {
                r = rmst__fail(f, RMST_ERR_SHAPE, "safetensors: tensor '%.200s': element count overflows", t->name);
                break;
            }
            nel *= (uint64_t)v;
        }
        if (r) break;
        t->n_elements = nel;
        if (rmj_len(off) != 2 || !rmj_int(rmj_at(off, 0), &b) || !rmj_int(rmj_at(off, 1), &e) || b < 0 || e < b) {
            r = rmst__fail(f, RMST_ERR_BOUNDS, "safetensors: tensor '%.200s': data_offsets must be [begin, end] with 0 <= begin <= end", t->name);
            break;
        }
        t->begin = (uint64_t)b;
        t->end = (uint64_t)e;
        t->nbytes = t->end - t->begin;
        bits = (uint64_t)rmst__dtypes[d].bits;
        if (nel > UINT64_MAX / 8 || (nel * bits) % 8 != 0 || nel * bits / 8 != t->nbytes) {
            r = rmst__fail(f, RMST_ERR_SHAPE, "safetensors: tensor '%.200s': %llu elements of %s do not take the %llu bytes of data_offsets [%llu, %llu]",
                           t->name, (unsigned long long)nel, rmst__dtypes[d].name, (unsigned long long)t->nbytes,
                           (unsigned long long)t->begin, (unsigned long long)t->end);
            break;
        }
        if (t->end > f->data_size) {
            r = rmst__fail(f, RMST_ERR_BOUNDS, "safetensors: tensor '%.200s' ends at byte %llu of a %llu-byte data buffer (truncated file?)",
                           t->name, (unsigned long long)t->end, (unsigned long long)f->data_size);
            break;
        }
    }
    if (r == RMST_OK && f->n > 1) {
        int64_t j;
        qsort(order, (size_t)f->n, sizeof(*order), rmst__cmp_name);
        for (j = 1; j < f->n && r == RMST_OK; j++)
            if (strcmp(order[j - 1]->name, order[j]->name) == 0)
                r = rmst__fail(f, RMST_ERR_ENTRY, "safetensors: tensor '%.200s' appears twice", order[j]->name);
        qsort(order, (size_t)f->n, sizeof(*order), rmst__cmp_begin);
        for (j = 1; j < f->n && r == RMST_OK; j++)
            if (order[j]->nbytes && order[j - 1]->end > order[j]->begin)
                r = rmst__fail(f, RMST_ERR_OVERLAP, "safetensors: tensors '%.150s' [%llu, %llu) and '%.150s' [%llu, %llu) overlap",
                               order[j - 1]->name, (unsigned long long)order[j - 1]->begin, (unsigned long long)order[j - 1]->end,
                               order[j]->name, (unsigned long long)order[j]->begin, (unsigned long long)order[j]->end);
    }
done:
    free(order);
    rmj_free(doc);
    return r;
}

static rmst_result rmst__open_common(rmst_file *f, const uint8_t *head8, const char *hdr_or_null) {
    uint64_t n = 0;
    int i;
    char *hdr = NULL;
    rmst_result r;
    if (f->file_size < 8) return rmst__fail(f, RMST_ERR_HEADER, "safetensors: file of %llu bytes has no header length", (unsigned long long)f->file_size);
    for (i = 7; i >= 0; i--) n = n << 8 | head8[i];
    if (n > RMST_MAX_HEADER)
        return rmst__fail(f, RMST_ERR_HEADER, "safetensors: header length %llu exceeds the %u-byte limit", (unsigned long long)n, RMST_MAX_HEADER);
    if (n > f->file_size - 8)
        return rmst__fail(f, RMST_ERR_HEADER, "safetensors: header length %llu exceeds the %llu bytes after it (truncated file?)",
                          (unsigned long long)n, (unsigned long long)(f->file_size - 8));
    f->data_start = 8 + n;
    f->data_size = f->file_size - f->data_start;
    if (hdr_or_null) return rmst__parse(f, hdr_or_null, (size_t)n);
    hdr = (char *)malloc((size_t)n + 1);
    if (!hdr) return rmst__fail(f, RMST_ERR_NOMEM, "safetensors: out of memory for a %llu-byte header", (unsigned long long)n);
    if (fread(hdr, 1, (size_t)n, f->fp) != (size_t)n) {
        free(hdr);
        return rmst__fail(f, RMST_ERR_IO, "safetensors: cannot read the header");
    }
    r = rmst__parse(f, hdr, (size_t)n);
    free(hdr);
    return r;
}

RMSTDEF rmst_result rmst_open(const char *path, rmst_file **out) {
    rmst_file *f;
    uint8_t head8[8];
    long long sz;
    if (!out) return RMST_ERR_NOT_FOUND;
    f = (rmst_file *)calloc(1, sizeof(rmst_file));
    *out = f;
    if (!f) return RMST_ERR_NOMEM;
    f->fp = fopen(path ? path : "", "rb");
    if (!f->fp) return rmst__fail(f, RMST_ERR_IO, "safetensors: cannot open '%.300s'", path ? path : "(null)");
    /* fseeko/ftello would need POSIX feature macros here; long is 64-bit on the platforms
       rmtool targets except Windows, where _fseeki64 is the equivalent */
#ifdef _WIN32
    if (_fseeki64(f->fp, 0, SEEK_END) != 0 || (sz = _ftelli64(f->fp)) < 0 || _fseeki64(f->fp, 0, SEEK_SET) != 0)
#else
    if (fseek(f->fp, 0, SEEK_END) != 0 || (sz = ftell(f->fp)) < 0 || fseek(f->fp, 0, SEEK_SET) != 0)
#endif
        return rmst__fail(f, RMST_ERR_IO, "safetensors: cannot size '%.300s'", path);
    f->file_size = (uint64_t)sz;
    if (f->file_size >= 8 && fread(head8, 1, 8, f->fp) != 8) return rmst__fail(f, RMST_ERR_IO, "safetensors: cannot read '%.300s'", path);
    return rmst__open_common(f, head8, NULL);
}

RMSTDEF rmst_result rmst_open_memory(const void *data, size_t size, rmst_file **out) {
    rmst_file *f;
    if (!out) return RMST_ERR_NOT_FOUND;
    f = (rmst_file *)calloc(1, sizeof(rmst_file));
    *out = f;
    if (!f) return RMST_ERR_NOMEM;
    f->mem = (const uint8_t *)data;
    f->file_size = data ? size : 0;
    if (f->file_size < 8) return rmst__open_common(f, NULL, NULL);
    {
        uint64_t n = 0;
        int i;
        for (i = 7; i >= 0; i--) n = n << 8 | f->mem[i];
        /* rmjson takes a length, so the header is parsed in place */
        return rmst__open_common(f, f->mem, n <= f->file_size - 8 ? (const char *)f->mem + 8 : "");
    }
}

RMSTDEF void rmst_close(rmst_file *f) {
    int64_t i;
    if (!f) return;
    if (f->fp) fclose(f->fp);
    for (i = 0; f->meta && i < 2 * f->n_meta; i++) free(f->meta[i]);
    free(f->meta);
    free(f->t);
    free(f->names);
    free(f);
}

RMSTDEF const char *rmst_error(const rmst_file *f) { return f ? f->err : "out of memory"; }
RMSTDEF int64_t rmst_n_tensors(const rmst_file *f) { return f ? f->n : 0; }
RMSTDEF const rmst_tensor *rmst_tensor_at(const rmst_file *f, int64_t i) {
    return f && i >= 0 && i < f->n ? &f->t[i] : NULL;
}
RMSTDEF const rmst_tensor *rmst_find(const rmst_file *f, const char *name) {
    int64_t i;
    for (i = 0; f && name && i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    return NULL;
}
RMSTDEF const char *rmst_metadata(const rmst_file *f, const char *key) {
    int64_t i;
    for (i = 0; f && key && i < f->n_meta; i++)
        if (strcmp(f->meta[2 * i], key) == 0) return f->meta[2 * i + 1];
    return NULL;
}

RMSTDEF rmst_result rmst_read(rmst_file *f, const rmst_tensor *t, uint64_t off, size_t n, void *dst) {
    uint64_t pos;
    if (!f || !t || off > t->nbytes || n > t->nbytes - off) return RMST_ERR_NOT_FOUND;
    pos = f->data_start + t->begin + off;
    if (f->mem) {
        memcpy(dst, f->mem + pos, n);
        return RMST_OK;
    }
#ifdef _WIN32
    if (_fseeki64(f->fp, (long long)pos, SEEK_SET) != 0 || fread(dst, 1, n, f->fp) != n)
#else
    if (fseek(f->fp, (long)pos, SEEK_SET) != 0 || fread(dst, 1, n, f->fp) != n)
#endif
        return rmst__fail(f, RMST_ERR_IO, "safetensors: cannot read %zu bytes of '%.200s' (file truncated since it was opened?)", n, t->name);
    return RMST_OK;
}

#endif /* RMST_IMPLEMENTATION_DONE */
#endif /* RMST_IMPLEMENTATION */
