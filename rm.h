/* rm.h - v0.1.0 - reward-model scoring (explicit and implicit/DPO) on GGUF models, CPU - MIT license

   Do this:
      #define RM_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the implementation.
   Add `#define RM_STATIC` as well to make every function static (private to that file).

QUICK START
   (filled in by the scoring section)

COMPILE-TIME OPTIONS
   RM_IMPLEMENTATION   compile the implementation into this translation unit
   RM_STATIC           give every public function static linkage
   RM_NO_SIMD          force the portable scalar kernels
   RM_NO_MMAP          never map files; read them into memory instead
   RM_MALLOC/RM_REALLOC/RM_FREE   replace the allocator (all three together)
   RM_MAX_CONTEXT      upper bound on tokens per context (default 1<<20)

ERRORS
   Every call that can fail returns an rm_result: RM_OK (0) or a negative code from
   RM_RESULT_LIST below. rm_result_string() names a code. Objects that can fail to open
   are still returned (unless memory for the object itself ran out) and keep a message
   naming the key, tensor or value at fault: read it with rm_gguf_error() and friends,
   then close the object. Closing NULL is a no-op. There is no global mutable state.

OWNERSHIP AND THREADS
   A loaded rm_gguf is immutable after open: any number of threads may read it. Strings and
   tensor views handed out borrow from the file mapping and live until the file is closed.
   Text in is UTF-8 with an explicit length.

SECURITY
   (see the GGUF section: every count, length, offset and shape read from a file is checked
   against the bytes the file actually has before it is used.)

SUPPORTED
   GGUF versions 2 and 3, little-endian.
   Tensor types: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS

RECENT CHANGES
   0.1.0  first release: GGUF reading
*/
#ifndef RM_H_INCLUDED
#define RM_H_INCLUDED

#if defined(RM_IMPLEMENTATION) && !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
/* mmap, fstat and clock_gettime need POSIX declarations under -std=c99; this must come
   before the first system header. */
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>

#define RM_VERSION_MAJOR 0
#define RM_VERSION_MINOR 1
#define RM_VERSION_PATCH 0

#ifndef RMDEF
#ifdef RM_STATIC
#define RMDEF static
#else
#define RMDEF extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Results                                                                                  */
/* ---------------------------------------------------------------------------------------- */

/* One table makes both the enum and the strings. Bands: -1..-99 general, -100 GGUF file,
   -200 model, -300 tokenizer and templates, -400 scoring. */
#define RM_RESULT_LIST(X) \
    X(RM_OK,                      0, "success") \
    X(RM_ERR_INVALID_ARG,        -1, "invalid argument") \
    X(RM_ERR_NOMEM,              -2, "out of memory") \
    X(RM_ERR_IO,                 -3, "file could not be opened or read") \
    X(RM_ERR_LIMIT,              -4, "a size limit was exceeded") \
    X(RM_ERR_NOT_FOUND,          -5, "not found") \
    X(RM_ERR_TYPE_MISMATCH,      -6, "value has a different type") \
    X(RM_ERR_GGUF_MAGIC,       -100, "not a GGUF file (bad magic)") \
    X(RM_ERR_GGUF_VERSION,     -101, "unsupported GGUF version") \
    X(RM_ERR_GGUF_TRUNCATED,   -102, "GGUF file is truncated") \
    X(RM_ERR_GGUF_COUNT,       -103, "GGUF count exceeds what the file can hold") \
    X(RM_ERR_GGUF_STRING,      -104, "GGUF string length exceeds the file") \
    X(RM_ERR_GGUF_VALUE_TYPE,  -105, "invalid GGUF metadata value type") \
    X(RM_ERR_GGUF_DUP_KEY,     -106, "duplicate GGUF metadata key") \
    X(RM_ERR_GGUF_ALIGNMENT,   -107, "general.alignment is not a power of two") \
    X(RM_ERR_GGUF_DUP_TENSOR,  -108, "duplicate tensor name") \
    X(RM_ERR_GGUF_DIMS,        -109, "invalid tensor dimensions") \
    X(RM_ERR_GGUF_TENSOR_TYPE, -110, "unsupported tensor type") \
    X(RM_ERR_GGUF_BLOCK,       -111, "tensor row length is not a multiple of the type's block size") \
    X(RM_ERR_GGUF_OFFSET,      -112, "tensor data offset is misaligned or overlaps another tensor") \
    X(RM_ERR_GGUF_BOUNDS,      -113, "tensor data lies outside the file") \
    X(RM_ERR_GGUF_NESTING,     -114, "GGUF arrays nested too deeply") \
    X(RM_ERR_ARCH,             -200, "unsupported model architecture") \
    X(RM_ERR_TENSOR_MISSING,   -201, "a required tensor is missing") \
    X(RM_ERR_TENSOR_SHAPE,     -202, "a tensor has the wrong shape or type") \
    X(RM_ERR_HPARAM,           -203, "missing or inconsistent hyperparameter") \
    X(RM_ERR_VOCAB,            -300, "unsupported or invalid vocabulary") \
    X(RM_ERR_UTF8,             -301, "invalid UTF-8 text") \
    X(RM_ERR_TEMPLATE,         -302, "unrecognised chat template") \
    X(RM_ERR_CONTEXT,          -400, "more tokens than the context holds") \
    X(RM_ERR_VOCAB_MISMATCH,   -401, "the models do not share a vocabulary") \
    X(RM_ERR_NO_HEAD,          -402, "no reward head (cls.output.weight)") \
    X(RM_ERR_NO_LM_HEAD,       -403, "no language-model head") \
    X(RM_ERR_EMPTY,            -404, "empty prompt or response") \
    X(RM_ERR_NONFINITE,        -405, "a non-finite value (NaN or Inf) was produced")

typedef enum rm_result {
#define RM__X(name, value, text) name = value,
    RM_RESULT_LIST(RM__X)
#undef RM__X
    RM_RESULT_END_ = -9999
} rm_result;

/* Short description of a result code; never NULL. */
RMDEF const char *rm_result_string(rm_result r);
/* The enum name of a result code ("RM_ERR_GGUF_MAGIC"); never NULL. */
RMDEF const char *rm_result_name(rm_result r);

/* A borrowed byte string (not NUL-terminated in general). */
typedef struct rm_str {
    const char *ptr;
    size_t len;
} rm_str;

/* ---------------------------------------------------------------------------------------- */
/* GGUF files                                                                               */
/* ---------------------------------------------------------------------------------------- */

typedef enum rm_gguf_type {
    RM_GGUF_UINT8 = 0, RM_GGUF_INT8 = 1, RM_GGUF_UINT16 = 2, RM_GGUF_INT16 = 3,
    RM_GGUF_UINT32 = 4, RM_GGUF_INT32 = 5, RM_GGUF_FLOAT32 = 6, RM_GGUF_BOOL = 7,
    RM_GGUF_STRING = 8, RM_GGUF_ARRAY = 9, RM_GGUF_UINT64 = 10, RM_GGUF_INT64 = 11,
    RM_GGUF_FLOAT64 = 12, RM_GGUF_TYPE_COUNT = 13
} rm_gguf_type;

/* Tensor element types, numbered as ggml numbers them (the ids stored in GGUF files). */
typedef enum rm_type {
    RM_TYPE_F32 = 0, RM_TYPE_F16 = 1, RM_TYPE_Q4_0 = 2, RM_TYPE_Q4_1 = 3,
    RM_TYPE_Q5_0 = 6, RM_TYPE_Q5_1 = 7, RM_TYPE_Q8_0 = 8, RM_TYPE_Q8_1 = 9,
    RM_TYPE_Q2_K = 10, RM_TYPE_Q3_K = 11, RM_TYPE_Q4_K = 12, RM_TYPE_Q5_K = 13,
    RM_TYPE_Q6_K = 14, RM_TYPE_Q8_K = 15, RM_TYPE_IQ4_NL = 20, RM_TYPE_IQ4_XS = 23,
    RM_TYPE_BF16 = 30, RM_TYPE_COUNT = 40
} rm_type;

/* Name of a tensor type ("Q4_K"), or NULL for an id ggml does not define. */
RMDEF const char *rm_type_name(int type);
/* Elements per block and bytes per block; 0 for a type rm.h cannot decode. */
RMDEF int64_t rm_type_block_size(int type);
RMDEF size_t rm_type_block_bytes(int type);
/* Decode n elements (a multiple of the block size) of the given type to float. */
RMDEF void rm_dequantize_row(int type, const void *src, float *dst, int64_t n);
/* Encode n floats (a multiple of the block size) as the given type, as llama.cpp's reference
   quantizer does. Returns the bytes written, or 0 if rm.h cannot write that type. */
RMDEF size_t rm_quantize_row(int type, const float *src, void *dst, int64_t n);

/* One tensor of a GGUF file. ne[0] is the row length (ggml order). data points into the
   mapping (NULL in a vocab-only file opened without data). */
typedef struct rm_tensor {
    rm_str name;
    int type;          /* rm_type */
    int n_dims;        /* 1..4 */
    int64_t ne[4];     /* unused dimensions are 1 */
    uint64_t offset;   /* relative to the start of the data section */
    size_t nbytes;
    const void *data;
} rm_tensor;

typedef struct rm_gguf rm_gguf;

/* Open a GGUF file: mapped read-only (or read into memory when mapping is unavailable).
   *out is set even on failure (except RM_ERR_NOMEM); read rm_gguf_error() and close it. */
RMDEF rm_result rm_gguf_open(const char *path, rm_gguf **out);
/* Open a GGUF image held in memory. The bytes are borrowed: keep them alive and unchanged
   until rm_gguf_close(). */
RMDEF rm_result rm_gguf_open_memory(const void *data, size_t size, rm_gguf **out);
RMDEF void rm_gguf_close(rm_gguf *g);
/* Message of the failure that left this object unusable, or "" if it opened. */
RMDEF const char *rm_gguf_error(const rm_gguf *g);
RMDEF rm_result rm_gguf_status(const rm_gguf *g);

RMDEF uint32_t rm_gguf_version(const rm_gguf *g);
RMDEF size_t rm_gguf_alignment(const rm_gguf *g);
RMDEF uint64_t rm_gguf_data_offset(const rm_gguf *g);
RMDEF uint64_t rm_gguf_file_size(const rm_gguf *g);

/* Metadata: index-based iteration and typed lookup by key. */
RMDEF int64_t rm_gguf_n_kv(const rm_gguf *g);
RMDEF rm_str rm_gguf_kv_key(const rm_gguf *g, int64_t i);
RMDEF rm_gguf_type rm_gguf_kv_type(const rm_gguf *g, int64_t i);
/* Index of a key or -1. */
RMDEF int64_t rm_gguf_find_key(const rm_gguf *g, const char *key);
/* Typed getters: RM_ERR_NOT_FOUND if the key is absent, RM_ERR_TYPE_MISMATCH if its value
   is of another kind. get_int accepts every integer type (and bool); get_float accepts
   FLOAT32 and FLOAT64 only; get_bool accepts BOOL only. */
RMDEF rm_result rm_gguf_get_int(const rm_gguf *g, const char *key, int64_t *out);
RMDEF rm_result rm_gguf_get_uint(const rm_gguf *g, const char *key, uint64_t *out);
RMDEF rm_result rm_gguf_get_float(const rm_gguf *g, const char *key, double *out);
RMDEF rm_result rm_gguf_get_bool(const rm_gguf *g, const char *key, int *out);
RMDEF rm_result rm_gguf_get_str(const rm_gguf *g, const char *key, rm_str *out);
/* Arrays: element type and count. For fixed-size element types *data points at the
   little-endian elements (unaligned: read with memcpy); for strings and nested arrays it
   is NULL: use rm_gguf_get_arr_str() / rm_gguf_get_arr_elem(). */
RMDEF rm_result rm_gguf_get_arr(const rm_gguf *g, const char *key, rm_gguf_type *elem_type,
                                uint64_t *n, const void **data);
RMDEF rm_result rm_gguf_get_arr_str(const rm_gguf *g, const char *key, uint64_t i, rm_str *out);
/* Value access by kv index, for tools that print everything. */
RMDEF rm_result rm_gguf_kv_int(const rm_gguf *g, int64_t i, int64_t *out);
RMDEF rm_result rm_gguf_kv_uint(const rm_gguf *g, int64_t i, uint64_t *out);
RMDEF rm_result rm_gguf_kv_float(const rm_gguf *g, int64_t i, double *out);
RMDEF rm_result rm_gguf_kv_str(const rm_gguf *g, int64_t i, rm_str *out);
RMDEF rm_result rm_gguf_kv_arr(const rm_gguf *g, int64_t i, rm_gguf_type *elem_type,
                               uint64_t *n, const void **data);
RMDEF rm_result rm_gguf_kv_arr_str(const rm_gguf *g, int64_t i, uint64_t j, rm_str *out);

/* Tensors. */
RMDEF int64_t rm_gguf_n_tensors(const rm_gguf *g);
RMDEF const rm_tensor *rm_gguf_tensor(const rm_gguf *g, int64_t i);
/* The tensor of that name, or NULL. */
RMDEF const rm_tensor *rm_gguf_find_tensor(const rm_gguf *g, const char *name);

/* Tokenizer, chat templates and GGUF writing (declarations). */
#include "wip/tok_api.h"
#include "wip/chat_api.h"
#include "wip/write_api.h"

#ifdef __cplusplus
}
#endif
#endif /* RM_H_INCLUDED */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
#ifdef RM_IMPLEMENTATION
#ifndef RM_IMPLEMENTATION_DONE
#define RM_IMPLEMENTATION_DONE

/* ---------------------------------------------------------------------------------------- */
/* 1. Platform                                                                              */
/* ---------------------------------------------------------------------------------------- */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <limits.h>
#include <stdarg.h>

#if !defined(_WIN32) && !defined(RM_NO_MMAP)
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#define RM__HAVE_MMAP 1
#else
#define RM__HAVE_MMAP 0
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(RM_MALLOC) && defined(RM_FREE) && defined(RM_REALLOC)
#elif !defined(RM_MALLOC) && !defined(RM_FREE) && !defined(RM_REALLOC)
#define RM_MALLOC(sz) malloc(sz)
#define RM_REALLOC(p, sz) realloc(p, sz)
#define RM_FREE(p) free(p)
#else
#error "Define all of RM_MALLOC, RM_REALLOC and RM_FREE, or none of them."
#endif

#ifndef RM_MAX_CONTEXT
#define RM_MAX_CONTEXT (1 << 20)
#endif

#define RM__UNUSED(x) ((void)(x))
#define RM__MIN(a, b) ((a) < (b) ? (a) : (b))
#define RM__MAX(a, b) ((a) > (b) ? (a) : (b))
/* Compile-time assertion that works in C99 and C++. */
#define RM__STATIC_ASSERT(name, cond) typedef char rm__static_assert_##name[(cond) ? 1 : -1]

/* ---------------------------------------------------------------------------------------- */
/* 2. Utilities                                                                             */
/* ---------------------------------------------------------------------------------------- */

RMDEF const char *rm_result_string(rm_result r) {
    switch (r) {
#define RM__X(name, value, text) case name: return text;
        RM_RESULT_LIST(RM__X)
#undef RM__X
    default: return "unknown result code";
    }
}

RMDEF const char *rm_result_name(rm_result r) {
    switch (r) {
#define RM__X(name, value, text) case name: return #name;
        RM_RESULT_LIST(RM__X)
#undef RM__X
    default: return "RM_UNKNOWN";
    }
}

/* Formats a message into a fixed buffer; returns r so that callers can `return rm__fail(...)`. */
static rm_result rm__fail(char *buf, size_t cap, rm_result r, const char *fmt, ...) {
    va_list ap;
    if (buf && cap) {
        va_start(ap, fmt);
        vsnprintf(buf, cap, fmt, ap);
        va_end(ap);
    }
    return r;
}

static void *rm__calloc(size_t n, size_t size) {
    void *p;
    if (size && n > SIZE_MAX / size) return NULL;
    p = RM_MALLOC((n * size) != 0 ? n * size : 1);
    if (p) memset(p, 0, n * size);
    return p;
}

/* Checked a*b and a+b on sizes: return 0 on overflow. */
static int rm__mul_ok(uint64_t a, uint64_t b, uint64_t *out) {
    if (a && b > UINT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}
static int rm__add_ok(uint64_t a, uint64_t b, uint64_t *out) {
    if (b > UINT64_MAX - a) return 0;
    *out = a + b;
    return 1;
}

static uint16_t rm__rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rm__rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rm__rd64(const uint8_t *p) {
    return (uint64_t)rm__rd32(p) | ((uint64_t)rm__rd32(p + 4) << 32);
}

static int rm__str_eq(rm_str a, const char *b) {
    size_t n = strlen(b);
    return a.len == n && (n == 0 || memcmp(a.ptr, b, n) == 0);
}

/* IEEE half and bfloat16 to and from float, bit-exact with ggml's conversions. */
static float rm__f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t rm__bits_from_f32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static float rm__fp16_to_fp32(uint16_t h) {
    /* Exact for every input, including subnormals, Inf and NaN. */
    const uint32_t w = (uint32_t)h << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t two_w = w + w;
    const uint32_t exp_offset = 0xE0u << 23;
    const float exp_scale = rm__f32_from_bits(0x7800000u); /* 2^-112 */
    const float normalized = rm__f32_from_bits((two_w >> 4) + exp_offset) * exp_scale;
    const uint32_t magic_mask = 126u << 23;
    const float magic_bias = 0.5f;
    const float denormalized = rm__f32_from_bits((two_w >> 17) | magic_mask) - magic_bias;
    const uint32_t denorm_cutoff = 1u << 27;
    const uint32_t result = sign | (two_w < denorm_cutoff ? rm__bits_from_f32(denormalized)
                                                          : rm__bits_from_f32(normalized));
    return rm__f32_from_bits(result);
}

static uint16_t rm__fp32_to_fp16(float f) {
    /* Round to nearest even, as the F16C instruction and ggml's portable path do. */
    const float scale_to_inf = rm__f32_from_bits(0x77800000u);  /* 2^112 */
    const float scale_to_zero = rm__f32_from_bits(0x08800000u); /* 2^-110 */
    float base = (fabsf(f) * scale_to_inf) * scale_to_zero;
    const uint32_t w = rm__bits_from_f32(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    uint32_t bits, exp_bits, mantissa_bits, nonsign;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = rm__f32_from_bits((bias >> 1) + 0x07800000u) + base;
    bits = rm__bits_from_f32(base);
    exp_bits = (bits >> 13) & 0x00007C00u;
    mantissa_bits = bits & 0x00000FFFu;
    nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

static float rm__bf16_to_fp32(uint16_t h) { return rm__f32_from_bits((uint32_t)h << 16); }

static uint16_t rm__fp32_to_bf16(float f) {
    uint32_t u = rm__bits_from_f32(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64); /* quiet NaN */
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

/* ---------------------------------------------------------------------------------------- */
/* 3. File mapping                                                                          */
/* ---------------------------------------------------------------------------------------- */

typedef struct rm__file {
    const uint8_t *data;
    uint64_t size;
    int mapped;   /* 1: munmap on close; 0 with owned: free on close */
    int owned;
} rm__file;

static rm_result rm__file_open(rm__file *f, const char *path, char *err, size_t errcap) {
    FILE *fp;
    long end;
    uint8_t *buf;
    memset(f, 0, sizeof(*f));
#if RM__HAVE_MMAP
    {
        struct stat st;
        int fd = open(path, O_RDONLY);
        if (fd < 0) return rm__fail(err, errcap, RM_ERR_IO, "cannot open '%s'", path);
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return rm__fail(err, errcap, RM_ERR_IO, "'%s' is not a regular file", path);
        }
        if (st.st_size == 0) {
            close(fd);
            f->data = NULL;
            f->size = 0;
            return RM_OK;
        }
        if ((uint64_t)st.st_size <= (uint64_t)SIZE_MAX) {
            void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                close(fd);
                f->data = (const uint8_t *)p;
                f->size = (uint64_t)st.st_size;
                f->mapped = 1;
                return RM_OK;
            }
        }
        close(fd);
    }
#endif
    /* Fallback: read the whole file. */
    fp = fopen(path, "rb");
    if (!fp) return rm__fail(err, errcap, RM_ERR_IO, "cannot open '%s'", path);
    if (fseek(fp, 0, SEEK_END) != 0 || (end = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return rm__fail(err, errcap, RM_ERR_IO, "cannot seek in '%s'", path);
    }
    buf = (uint8_t *)RM_MALLOC(end > 0 ? (size_t)end : 1);
    if (!buf) {
        fclose(fp);
        return rm__fail(err, errcap, RM_ERR_NOMEM, "cannot allocate %ld bytes for '%s'", end, path);
    }
    if (end > 0 && fread(buf, 1, (size_t)end, fp) != (size_t)end) {
        fclose(fp);
        RM_FREE(buf);
        return rm__fail(err, errcap, RM_ERR_IO, "cannot read '%s'", path);
    }
    fclose(fp);
    f->data = buf;
    f->size = (uint64_t)end;
    f->owned = 1;
    return RM_OK;
}

static void rm__file_close(rm__file *f) {
#if RM__HAVE_MMAP
    if (f->mapped && f->data) munmap((void *)(uintptr_t)f->data, (size_t)f->size);
#endif
    if (f->owned) RM_FREE((void *)(uintptr_t)f->data);
    memset(f, 0, sizeof(*f));
}

/* ---------------------------------------------------------------------------------------- */
/* 4. Tensor type table                                                                     */
/* ---------------------------------------------------------------------------------------- */

typedef struct rm__type_info {
    const char *name;
    int64_t blck;     /* elements per block */
    size_t bytes;     /* bytes per block */
    int supported;    /* 1 if rm.h decodes it */
} rm__type_info;

/* Indexed by ggml type id. Sizes follow ggml's block structs. */
static const rm__type_info rm__types[RM_TYPE_COUNT] = {
    /*  0 */ {"F32", 1, 4, 1},       /*  1 */ {"F16", 1, 2, 1},
    /*  2 */ {"Q4_0", 32, 18, 1},    /*  3 */ {"Q4_1", 32, 20, 1},
    /*  4 */ {NULL, 0, 0, 0},        /*  5 */ {NULL, 0, 0, 0},
    /*  6 */ {"Q5_0", 32, 22, 1},    /*  7 */ {"Q5_1", 32, 24, 1},
    /*  8 */ {"Q8_0", 32, 34, 1},    /*  9 */ {"Q8_1", 32, 36, 0},
    /* 10 */ {"Q2_K", 256, 84, 1},   /* 11 */ {"Q3_K", 256, 110, 1},
    /* 12 */ {"Q4_K", 256, 144, 1},  /* 13 */ {"Q5_K", 256, 176, 1},
    /* 14 */ {"Q6_K", 256, 210, 1},  /* 15 */ {"Q8_K", 256, 292, 0},
    /* 16 */ {"IQ2_XXS", 256, 66, 0},/* 17 */ {"IQ2_XS", 256, 74, 0},
    /* 18 */ {"IQ3_XXS", 256, 98, 0},/* 19 */ {"IQ1_S", 256, 50, 0},
    /* 20 */ {"IQ4_NL", 32, 18, 1},  /* 21 */ {"IQ3_S", 256, 110, 0},
    /* 22 */ {"IQ2_S", 256, 82, 0},  /* 23 */ {"IQ4_XS", 256, 136, 1},
    /* 24 */ {"I8", 1, 1, 0},        /* 25 */ {"I16", 1, 2, 0},
    /* 26 */ {"I32", 1, 4, 0},       /* 27 */ {"I64", 1, 8, 0},
    /* 28 */ {"F64", 1, 8, 0},       /* 29 */ {"IQ1_M", 256, 56, 0},
    /* 30 */ {"BF16", 1, 2, 1},      /* 31 */ {NULL, 0, 0, 0},
    /* 32 */ {NULL, 0, 0, 0},        /* 33 */ {NULL, 0, 0, 0},
    /* 34 */ {"TQ1_0", 256, 54, 0},  /* 35 */ {"TQ2_0", 256, 66, 0},
    /* 36 */ {NULL, 0, 0, 0},        /* 37 */ {NULL, 0, 0, 0},
    /* 38 */ {NULL, 0, 0, 0},        /* 39 */ {"MXFP4", 32, 17, 0},
};

RMDEF const char *rm_type_name(int type) {
    return (type >= 0 && type < RM_TYPE_COUNT) ? rm__types[type].name : NULL;
}
RMDEF int64_t rm_type_block_size(int type) {
    return (type >= 0 && type < RM_TYPE_COUNT && rm__types[type].supported) ? rm__types[type].blck : 0;
}
RMDEF size_t rm_type_block_bytes(int type) {
    return (type >= 0 && type < RM_TYPE_COUNT && rm__types[type].supported) ? rm__types[type].bytes : 0;
}

/* Bytes of a row of n elements; n must be a multiple of the block size. */
static size_t rm__row_bytes(int type, int64_t n) {
    return (size_t)(n / rm__types[type].blck) * rm__types[type].bytes;
}

/* ---------------------------------------------------------------------------------------- */
/* 5. GGUF reading                                                                          */
/* ---------------------------------------------------------------------------------------- */
/* Validation, in order: magic; version 2 or 3 (a byte-swapped version is named as such);
   tensor and kv counts no larger than the bytes left can hold; every string and array length
   within the bytes left; value types in range; arrays nested at most RM__GGUF_MAX_DEPTH;
   duplicate keys; general.alignment a nonzero power of two (UINT32); tensor names unique
   and at most 64 KiB; 1..4 dims, each >= 0, element count without int64 overflow; type id
   known and decodable; row length a multiple of the block size; offsets aligned, in order
   without overlap, summed without overflow; every tensor's data inside the file.
   A file with no tensors may end before the data section (vocabulary-only files). */

#define RM__GGUF_MAX_DEPTH 4
#define RM__GGUF_MAX_NAME 65536

typedef struct rm__kv {
    rm_str key;
    rm_gguf_type type;
    rm_gguf_type arr_type;     /* arrays: element type */
    uint64_t arr_n;            /* arrays: element count */
    const uint8_t *val;        /* the value bytes in the file (after the type tag) */
    uint64_t val_size;         /* bytes of the value */
    const uint8_t **str_elems; /* arrays of strings: pointer to each element's length field */
} rm__kv;

struct rm_gguf {
    rm__file file;
    rm_result status;
    char err[512];
    uint32_t version;
    size_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    rm__kv *kv;
    int64_t n_tensors;
    rm_tensor *tensors;
    /* hash of tensor names for O(1) lookup (open addressing, size a power of two) */
    int64_t *tensor_hash;
    uint64_t tensor_hash_cap;
    uint64_t *kv_hash;
    uint64_t kv_hash_cap;
};

typedef struct rm__reader {
    const uint8_t *p;
    uint64_t pos, size;
    char *err;
    size_t errcap;
} rm__reader;

static uint64_t rm__left(const rm__reader *r) { return r->size - r->pos; }

static rm_result rm__need(rm__reader *r, uint64_t n, const char *what) {
    if (rm__left(r) < n)
        return rm__fail(r->err, r->errcap, RM_ERR_GGUF_TRUNCATED,
                        "gguf: truncated while reading %s at offset %llu (need %llu bytes, %llu left)",
                        what, (unsigned long long)r->pos, (unsigned long long)n,
                        (unsigned long long)rm__left(r));
    return RM_OK;
}

static rm_result rm__read_u32(rm__reader *r, uint32_t *v, const char *what) {
    rm_result e = rm__need(r, 4, what);
    if (e) return e;
    *v = rm__rd32(r->p + r->pos);
    r->pos += 4;
    return RM_OK;
}
static rm_result rm__read_u64(rm__reader *r, uint64_t *v, const char *what) {
    rm_result e = rm__need(r, 8, what);
    if (e) return e;
    *v = rm__rd64(r->p + r->pos);
    r->pos += 8;
    return RM_OK;
}
static rm_result rm__read_str(rm__reader *r, rm_str *s, const char *what) {
    uint64_t n;
    rm_result e = rm__read_u64(r, &n, what);
    if (e) return e;
    if (n > rm__left(r))
        return rm__fail(r->err, r->errcap, RM_ERR_GGUF_STRING,
                        "gguf: %s at offset %llu has length %llu but only %llu bytes remain",
                        what, (unsigned long long)(r->pos - 8), (unsigned long long)n,
                        (unsigned long long)rm__left(r));
    s->ptr = (const char *)(r->p + r->pos);
    s->len = (size_t)n;
    r->pos += n;
    return RM_OK;
}

static size_t rm__gguf_scalar_size(rm_gguf_type t) {
    switch (t) {
    case RM_GGUF_UINT8: case RM_GGUF_INT8: case RM_GGUF_BOOL: return 1;
    case RM_GGUF_UINT16: case RM_GGUF_INT16: return 2;
    case RM_GGUF_UINT32: case RM_GGUF_INT32: case RM_GGUF_FLOAT32: return 4;
    case RM_GGUF_UINT64: case RM_GGUF_INT64: case RM_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

/* Skips one value of type t, checking every length; key names the entry in messages. */
static rm_result rm__skip_value(rm__reader *r, rm_gguf_type t, int depth, rm_str key) {
    rm_result e;
    size_t sz = rm__gguf_scalar_size(t);
    if (sz) {
        e = rm__need(r, sz, "a metadata value");
        if (e) return e;
        r->pos += sz;
        return RM_OK;
    }
    if (t == RM_GGUF_STRING) {
        rm_str s;
        return rm__read_str(r, &s, "a string value");
    }
    if (t == RM_GGUF_ARRAY) {
        uint32_t et;
        uint64_t n, i, bytes;
        if (depth >= RM__GGUF_MAX_DEPTH)
            return rm__fail(r->err, r->errcap, RM_ERR_GGUF_NESTING,
                            "gguf: key '%.*s': arrays nested deeper than %d", (int)RM__MIN(key.len, 200),
                            key.ptr, RM__GGUF_MAX_DEPTH);
        if ((e = rm__read_u32(r, &et, "an array element type"))) return e;
        if ((e = rm__read_u64(r, &n, "an array length"))) return e;
        if (et >= RM_GGUF_TYPE_COUNT)
            return rm__fail(r->err, r->errcap, RM_ERR_GGUF_VALUE_TYPE,
                            "gguf: key '%.*s': array element type %u is not a GGUF type",
                            (int)RM__MIN(key.len, 200), key.ptr, et);
        sz = rm__gguf_scalar_size((rm_gguf_type)et);
        /* every element takes at least 8 bytes (strings, arrays) or sz bytes */
        if (!rm__mul_ok(n, sz ? sz : 8, &bytes) || bytes > rm__left(r))
            return rm__fail(r->err, r->errcap, RM_ERR_GGUF_COUNT,
                            "gguf: key '%.*s': array of %llu elements does not fit in the %llu bytes left",
                            (int)RM__MIN(key.len, 200), key.ptr, (unsigned long long)n,
                            (unsigned long long)rm__left(r));
        if (sz) {
            r->pos += bytes;
            return RM_OK;
        }
        for (i = 0; i < n; i++)
            if ((e = rm__skip_value(r, (rm_gguf_type)et, depth + 1, key))) return e;
        return RM_OK;
    }
    return rm__fail(r->err, r->errcap, RM_ERR_GGUF_VALUE_TYPE,
                    "gguf: key '%.*s': value type %d is not a GGUF type", (int)RM__MIN(key.len, 200),
                    key.ptr, (int)t);
}

static uint64_t rm__hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t rm__pow2_at_least(uint64_t n) {
    uint64_t c = 16;
    while (c < n * 2) c *= 2;
    return c;
}

static int64_t rm__gguf_lookup_kv(const rm_gguf *g, const char *key, size_t n) {
    uint64_t h, i;
    if (!g || !g->kv_hash) return -1;
    h = rm__hash(key, n) & (g->kv_hash_cap - 1);
    for (i = 0; i < g->kv_hash_cap; i++) {
        uint64_t slot = g->kv_hash[(h + i) & (g->kv_hash_cap - 1)];
        if (slot == 0) return -1;
        if (g->kv[slot - 1].key.len == n && memcmp(g->kv[slot - 1].key.ptr, key, n) == 0)
            return (int64_t)(slot - 1);
    }
    return -1;
}

static int64_t rm__gguf_lookup_tensor(const rm_gguf *g, const char *name, size_t n) {
    uint64_t h, i;
    if (!g || !g->tensor_hash) return -1;
    h = rm__hash(name, n) & (g->tensor_hash_cap - 1);
    for (i = 0; i < g->tensor_hash_cap; i++) {
        int64_t slot = g->tensor_hash[(h + i) & (g->tensor_hash_cap - 1)];
        if (slot == 0) return -1;
        if (g->tensors[slot - 1].name.len == n && memcmp(g->tensors[slot - 1].name.ptr, name, n) == 0)
            return slot - 1;
    }
    return -1;
}

#define RM__KEYFMT(k) (int)RM__MIN((k).len, 200), (k).ptr

static rm_result rm__gguf_parse(rm_gguf *g) {
    rm__reader rd;
    rm__reader *r = &rd;
    rm_result e;
    uint32_t magic, version;
    uint64_t n_tensors, n_kv, i, need;
    char *err = g->err;
    size_t ec = sizeof(g->err);

    rd.p = g->file.data;
    rd.pos = 0;
    rd.size = g->file.size;
    rd.err = err;
    rd.errcap = ec;

    if (g->file.size < 4 || memcmp(g->file.data, "GGUF", 4) != 0)
        return rm__fail(err, ec, RM_ERR_GGUF_MAGIC, "gguf: bad magic (not a GGUF file)");
    magic = rm__rd32(g->file.data);
    RM__UNUSED(magic);
    r->pos = 4;
    if ((e = rm__read_u32(r, &version, "the version"))) return e;
    if (version == 0x02000000u || version == 0x03000000u)
        return rm__fail(err, ec, RM_ERR_GGUF_VERSION,
                        "gguf: version field is byte-swapped (big-endian file); only little-endian GGUF is supported");
    if (version != 2 && version != 3)
        return rm__fail(err, ec, RM_ERR_GGUF_VERSION, "gguf: version %u is not supported (2 and 3 are)", version);
    g->version = version;
    if ((e = rm__read_u64(r, &n_tensors, "the tensor count"))) return e;
    if ((e = rm__read_u64(r, &n_kv, "the metadata count"))) return e;
    /* a kv takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least
       8 + 4 + 8 + 4 + 8 bytes */
    if (!rm__mul_ok(n_kv, 13, &need) || need > rm__left(r))
        return rm__fail(err, ec, RM_ERR_GGUF_COUNT,
                        "gguf: metadata count %llu does not fit in the %llu bytes left",
                        (unsigned long long)n_kv, (unsigned long long)rm__left(r));
    if (!rm__mul_ok(n_tensors, 32, &need) || need > rm__left(r))
        return rm__fail(err, ec, RM_ERR_GGUF_COUNT,
                        "gguf: tensor count %llu does not fit in the %llu bytes left",
                        (unsigned long long)n_tensors, (unsigned long long)rm__left(r));

    g->kv = (rm__kv *)rm__calloc((size_t)n_kv ? (size_t)n_kv : 1, sizeof(rm__kv));
    g->kv_hash_cap = rm__pow2_at_least(n_kv);
    g->kv_hash = (uint64_t *)rm__calloc((size_t)g->kv_hash_cap, sizeof(uint64_t));
    if (!g->kv || !g->kv_hash) return rm__fail(err, ec, RM_ERR_NOMEM, "gguf: out of memory for %llu keys", (unsigned long long)n_kv);
    g->alignment = 32;

    for (i = 0; i < n_kv; i++) {
        rm__kv *kv = &g->kv[i];
        uint32_t t;
        uint64_t start, h, j;
        if ((e = rm__read_str(r, &kv->key, "a metadata key"))) return e;
        if ((e = rm__read_u32(r, &t, "a metadata value type"))) return e;
        if (t >= RM_GGUF_TYPE_COUNT)
            return rm__fail(err, ec, RM_ERR_GGUF_VALUE_TYPE, "gguf: key '%.*s': value type %u is not a GGUF type",
                            RM__KEYFMT(kv->key), t);
        kv->type = (rm_gguf_type)t;
        if (rm__gguf_lookup_kv(g, kv->key.ptr, kv->key.len) >= 0)
            return rm__fail(err, ec, RM_ERR_GGUF_DUP_KEY, "gguf: duplicate key '%.*s'", RM__KEYFMT(kv->key));
        start = r->pos;
        if (kv->type == RM_GGUF_ARRAY) {
            /* peek the header for element type and count; rm__skip_value validates it all */
            if ((e = rm__need(r, 12, "an array header"))) return e;
            kv->arr_type = (rm_gguf_type)rm__rd32(r->p + r->pos);
            kv->arr_n = rm__rd64(r->p + r->pos + 4);
        }
        if ((e = rm__skip_value(r, kv->type, 0, kv->key))) return e;
        kv->val = r->p + start;
        kv->val_size = r->pos - start;
        if (kv->type == RM_GGUF_ARRAY && kv->arr_type == RM_GGUF_STRING) {
            /* index the elements once so that lookups are O(1); n is bounded by the file */
            const uint8_t *q = kv->val + 12;
            kv->str_elems = (const uint8_t **)rm__calloc((size_t)(kv->arr_n ? kv->arr_n : 1), sizeof(uint8_t *));
            if (!kv->str_elems) return rm__fail(err, ec, RM_ERR_NOMEM, "gguf: out of memory indexing '%.*s'", RM__KEYFMT(kv->key));
            for (j = 0; j < kv->arr_n; j++) {
                kv->str_elems[j] = q;
                q += 8 + rm__rd64(q);
            }
        }
        h = rm__hash(kv->key.ptr, kv->key.len);
        for (j = 0;; j++) {
            uint64_t *slot = &g->kv_hash[(h + j) & (g->kv_hash_cap - 1)];
            if (*slot == 0) { *slot = i + 1; break; }
        }
        g->n_kv = (int64_t)(i + 1);
        if (rm__str_eq(kv->key, "general.alignment")) {
            uint32_t a;
            if (kv->type != RM_GGUF_UINT32)
                return rm__fail(err, ec, RM_ERR_GGUF_ALIGNMENT, "gguf: general.alignment has type %d, expected UINT32", (int)kv->type);
            a = rm__rd32(kv->val);
            if (a == 0 || (a & (a - 1)) != 0)
                return rm__fail(err, ec, RM_ERR_GGUF_ALIGNMENT, "gguf: general.alignment = %u is not a power of two", a);
            g->alignment = a;
        }
    }

    g->tensors = (rm_tensor *)rm__calloc((size_t)n_tensors ? (size_t)n_tensors : 1, sizeof(rm_tensor));
    g->tensor_hash_cap = rm__pow2_at_least(n_tensors);
    g->tensor_hash = (int64_t *)rm__calloc((size_t)g->tensor_hash_cap, sizeof(int64_t));
    if (!g->tensors || !g->tensor_hash)
        return rm__fail(err, ec, RM_ERR_NOMEM, "gguf: out of memory for %llu tensors", (unsigned long long)n_tensors);

    for (i = 0; i < n_tensors; i++) {
        rm_tensor *t = &g->tensors[i];
        uint32_t nd, type;
        uint64_t d, nel = 1, h, j;
        if ((e = rm__read_str(r, &t->name, "a tensor name"))) return e;
        if (t->name.len >= RM__GGUF_MAX_NAME)
            return rm__fail(err, ec, RM_ERR_GGUF_STRING, "gguf: tensor %llu: name of %llu bytes is too long",
                            (unsigned long long)i, (unsigned long long)t->name.len);
        if (rm__gguf_lookup_tensor(g, t->name.ptr, t->name.len) >= 0)
            return rm__fail(err, ec, RM_ERR_GGUF_DUP_TENSOR, "gguf: duplicate tensor '%.*s'", RM__KEYFMT(t->name));
        if ((e = rm__read_u32(r, &nd, "a tensor's dimension count"))) return e;
        if (nd < 1 || nd > 4)
            return rm__fail(err, ec, RM_ERR_GGUF_DIMS, "gguf: tensor '%.*s' has %u dimensions (1 to 4 allowed)",
                            RM__KEYFMT(t->name), nd);
        t->n_dims = (int)nd;
        for (d = 0; d < 4; d++) t->ne[d] = 1;
        for (d = 0; d < nd; d++) {
            uint64_t v;
            if ((e = rm__read_u64(r, &v, "a tensor dimension"))) return e;
            if (v > (uint64_t)INT64_MAX)
                return rm__fail(err, ec, RM_ERR_GGUF_DIMS, "gguf: tensor '%.*s': dimension %llu is %llu (negative)",
                                RM__KEYFMT(t->name), (unsigned long long)d, (unsigned long long)v);
            t->ne[d] = (int64_t)v;
            if (!rm__mul_ok(nel, v, &nel) || nel > (uint64_t)INT64_MAX)
                return rm__fail(err, ec, RM_ERR_GGUF_DIMS, "gguf: tensor '%.*s': element count overflows",
                                RM__KEYFMT(t->name));
        }
        if ((e = rm__read_u32(r, &type, "a tensor type"))) return e;
        if (type >= RM_TYPE_COUNT || !rm__types[type].name)
            return rm__fail(err, ec, RM_ERR_GGUF_TENSOR_TYPE, "gguf: tensor '%.*s' has type id %u, which is not a ggml type",
                            RM__KEYFMT(t->name), type);
        if (!rm__types[type].supported)
            return rm__fail(err, ec, RM_ERR_GGUF_TENSOR_TYPE, "gguf: tensor '%.*s' has type %s, which rm.h does not support",
                            RM__KEYFMT(t->name), rm__types[type].name);
        t->type = (int)type;
        if (t->ne[0] % rm__types[type].blck != 0)
            return rm__fail(err, ec, RM_ERR_GGUF_BLOCK, "gguf: tensor '%.*s': row length %lld is not a multiple of %s's block size %lld",
                            RM__KEYFMT(t->name), (long long)t->ne[0], rm__types[type].name, (long long)rm__types[type].blck);
        {
            uint64_t rows = nel / (uint64_t)(t->ne[0] ? t->ne[0] : 1), nb;
            if (t->ne[0] == 0) rows = 0;
            if (!rm__mul_ok(rows, rm__row_bytes(t->type, t->ne[0]), &nb) || nb > (uint64_t)SIZE_MAX)
                return rm__fail(err, ec, RM_ERR_GGUF_DIMS, "gguf: tensor '%.*s': byte size overflows", RM__KEYFMT(t->name));
            t->nbytes = (size_t)nb;
        }
        if ((e = rm__read_u64(r, &t->offset, "a tensor offset"))) return e;
        if (t->offset % g->alignment != 0)
            return rm__fail(err, ec, RM_ERR_GGUF_OFFSET, "gguf: tensor '%.*s': offset %llu is not a multiple of the alignment %llu",
                            RM__KEYFMT(t->name), (unsigned long long)t->offset, (unsigned long long)g->alignment);
        h = rm__hash(t->name.ptr, t->name.len);
        for (j = 0;; j++) {
            int64_t *slot = &g->tensor_hash[(h + j) & (g->tensor_hash_cap - 1)];
            if (*slot == 0) { *slot = (int64_t)i + 1; break; }
        }
        g->n_tensors = (int64_t)(i + 1);
    }

    /* data section starts at the next multiple of the alignment */
    {
        uint64_t off = r->pos, pad = (g->alignment - (off % g->alignment)) % g->alignment;
        g->data_offset = off + pad;
    }
    if (n_tensors == 0) return RM_OK; /* vocab-only files may end here */
    if (g->data_offset > g->file.size)
        return rm__fail(err, ec, RM_ERR_GGUF_TRUNCATED, "gguf: file of %llu bytes ends before its data section at %llu",
                        (unsigned long long)g->file.size, (unsigned long long)g->data_offset);
    {
        /* tensors must be laid out in order, without overlap, inside the file */
        uint64_t expect = 0, avail = g->file.size - g->data_offset;
        for (i = 0; i < n_tensors; i++) {
            rm_tensor *t = &g->tensors[i];
            uint64_t end, padded;
            if (t->offset < expect)
                return rm__fail(err, ec, RM_ERR_GGUF_OFFSET, "gguf: tensor '%.*s': offset %llu overlaps the previous tensor (which ends at %llu)",
                                RM__KEYFMT(t->name), (unsigned long long)t->offset, (unsigned long long)expect);
            if (!rm__add_ok(t->offset, t->nbytes, &end) || end > avail)
                return rm__fail(err, ec, RM_ERR_GGUF_BOUNDS, "gguf: tensor '%.*s': data [%llu, +%llu) lies past the end of the file (data section has %llu bytes)",
                                RM__KEYFMT(t->name), (unsigned long long)t->offset, (unsigned long long)t->nbytes,
                                (unsigned long long)avail);
            t->data = g->file.data + g->data_offset + t->offset;
            padded = end + (g->alignment - end % g->alignment) % g->alignment;
            expect = padded;
        }
    }
    return RM_OK;
}

static rm_result rm__gguf_finish_open(rm_gguf *g, rm_gguf **out) {
    g->status = rm__gguf_parse(g);
    *out = g;
    return g->status;
}

RMDEF rm_result rm_gguf_open(const char *path, rm_gguf **out) {
    rm_gguf *g;
    rm_result e;
    if (!out) return RM_ERR_INVALID_ARG;
    *out = NULL;
    g = (rm_gguf *)rm__calloc(1, sizeof(rm_gguf));
    if (!g) return RM_ERR_NOMEM;
    if (!path) {
        g->status = rm__fail(g->err, sizeof(g->err), RM_ERR_INVALID_ARG, "gguf: path is NULL");
        *out = g;
        return g->status;
    }
    e = rm__file_open(&g->file, path, g->err, sizeof(g->err));
    if (e) {
        g->status = e;
        *out = g;
        return e;
    }
    return rm__gguf_finish_open(g, out);
}

RMDEF rm_result rm_gguf_open_memory(const void *data, size_t size, rm_gguf **out) {
    rm_gguf *g;
    if (!out) return RM_ERR_INVALID_ARG;
    *out = NULL;
    g = (rm_gguf *)rm__calloc(1, sizeof(rm_gguf));
    if (!g) return RM_ERR_NOMEM;
    if (!data && size) {
        g->status = rm__fail(g->err, sizeof(g->err), RM_ERR_INVALID_ARG, "gguf: data is NULL");
        *out = g;
        return g->status;
    }
    g->file.data = (const uint8_t *)data;
    g->file.size = size;
    return rm__gguf_finish_open(g, out);
}

RMDEF void rm_gguf_close(rm_gguf *g) {
    int64_t i;
    if (!g) return;
    if (g->kv)
        for (i = 0; i < g->n_kv; i++) RM_FREE((void *)g->kv[i].str_elems);
    RM_FREE(g->kv);
    RM_FREE(g->kv_hash);
    RM_FREE(g->tensors);
    RM_FREE(g->tensor_hash);
    rm__file_close(&g->file);
    RM_FREE(g);
}

RMDEF const char *rm_gguf_error(const rm_gguf *g) { return g ? g->err : "out of memory"; }
RMDEF rm_result rm_gguf_status(const rm_gguf *g) { return g ? g->status : RM_ERR_NOMEM; }
RMDEF uint32_t rm_gguf_version(const rm_gguf *g) { return g ? g->version : 0; }
RMDEF size_t rm_gguf_alignment(const rm_gguf *g) { return g ? g->alignment : 0; }
RMDEF uint64_t rm_gguf_data_offset(const rm_gguf *g) { return g ? g->data_offset : 0; }
RMDEF uint64_t rm_gguf_file_size(const rm_gguf *g) { return g ? g->file.size : 0; }
RMDEF int64_t rm_gguf_n_kv(const rm_gguf *g) { return (g && !g->status) ? g->n_kv : 0; }
RMDEF int64_t rm_gguf_n_tensors(const rm_gguf *g) { return (g && !g->status) ? g->n_tensors : 0; }

RMDEF rm_str rm_gguf_kv_key(const rm_gguf *g, int64_t i) {
    rm_str s = {"", 0};
    if (g && !g->status && i >= 0 && i < g->n_kv) s = g->kv[i].key;
    return s;
}
RMDEF rm_gguf_type rm_gguf_kv_type(const rm_gguf *g, int64_t i) {
    if (g && !g->status && i >= 0 && i < g->n_kv) return g->kv[i].type;
    return RM_GGUF_TYPE_COUNT;
}
RMDEF int64_t rm_gguf_find_key(const rm_gguf *g, const char *key) {
    if (!g || g->status || !key) return -1;
    return rm__gguf_lookup_kv(g, key, strlen(key));
}

static const rm__kv *rm__kv_at(const rm_gguf *g, int64_t i) {
    if (!g || g->status || i < 0 || i >= g->n_kv) return NULL;
    return &g->kv[i];
}

/* Reads a scalar of an integer type as int64 (uint64 values above INT64_MAX do not fit). */
static int rm__kv_scalar_int(rm_gguf_type t, const uint8_t *p, int64_t *out, uint64_t *uout, int *is_neg) {
    int64_t v = 0;
    uint64_t u = 0;
    int neg = 0;
    switch (t) {
    case RM_GGUF_UINT8: u = p[0]; break;
    case RM_GGUF_BOOL: u = p[0] ? 1 : 0; break;
    case RM_GGUF_INT8: v = (int8_t)p[0]; neg = v < 0; u = (uint64_t)v; break;
    case RM_GGUF_UINT16: u = rm__rd16(p); break;
    case RM_GGUF_INT16: v = (int16_t)rm__rd16(p); neg = v < 0; u = (uint64_t)v; break;
    case RM_GGUF_UINT32: u = rm__rd32(p); break;
    case RM_GGUF_INT32: v = (int32_t)rm__rd32(p); neg = v < 0; u = (uint64_t)v; break;
    case RM_GGUF_UINT64: u = rm__rd64(p); break;
    case RM_GGUF_INT64: v = (int64_t)rm__rd64(p); neg = v < 0; u = (uint64_t)v; break;
    default: return 0;
    }
    if (!neg) v = (int64_t)u;
    *out = v;
    *uout = u;
    *is_neg = neg;
    return 1;
}

RMDEF rm_result rm_gguf_kv_int(const rm_gguf *g, int64_t i, int64_t *out) {
    const rm__kv *kv = rm__kv_at(g, i);
    int64_t v;
    uint64_t u;
    int neg;
    if (!kv || !out) return kv ? RM_ERR_INVALID_ARG : RM_ERR_NOT_FOUND;
    if (!rm__kv_scalar_int(kv->type, kv->val, &v, &u, &neg)) return RM_ERR_TYPE_MISMATCH;
    if (!neg && u > (uint64_t)INT64_MAX) return RM_ERR_LIMIT;
    *out = v;
    return RM_OK;
}
RMDEF rm_result rm_gguf_kv_uint(const rm_gguf *g, int64_t i, uint64_t *out) {
    const rm__kv *kv = rm__kv_at(g, i);
    int64_t v;
    uint64_t u;
    int neg;
    if (!kv || !out) return kv ? RM_ERR_INVALID_ARG : RM_ERR_NOT_FOUND;
    if (!rm__kv_scalar_int(kv->type, kv->val, &v, &u, &neg)) return RM_ERR_TYPE_MISMATCH;
    if (neg) return RM_ERR_LIMIT;
    *out = u;
    return RM_OK;
}
RMDEF rm_result rm_gguf_kv_float(const rm_gguf *g, int64_t i, double *out) {
    const rm__kv *kv = rm__kv_at(g, i);
    if (!kv || !out) return kv ? RM_ERR_INVALID_ARG : RM_ERR_NOT_FOUND;
    if (kv->type == RM_GGUF_FLOAT32) *out = rm__f32_from_bits(rm__rd32(kv->val));
    else if (kv->type == RM_GGUF_FLOAT64) {
        uint64_t u = rm__rd64(kv->val);
        double d;
        memcpy(&d, &u, 8);
        *out = d;
    } else return RM_ERR_TYPE_MISMATCH;
    return RM_OK;
}
RMDEF rm_result rm_gguf_kv_str(const rm_gguf *g, int64_t i, rm_str *out) {
    const rm__kv *kv = rm__kv_at(g, i);
    if (!kv || !out) return kv ? RM_ERR_INVALID_ARG : RM_ERR_NOT_FOUND;
    if (kv->type != RM_GGUF_STRING) return RM_ERR_TYPE_MISMATCH;
    out->len = (size_t)rm__rd64(kv->val);
    out->ptr = (const char *)kv->val + 8;
    return RM_OK;
}
RMDEF rm_result rm_gguf_kv_arr(const rm_gguf *g, int64_t i, rm_gguf_type *elem_type, uint64_t *n,
                               const void **data) {
    const rm__kv *kv = rm__kv_at(g, i);
    if (!kv) return RM_ERR_NOT_FOUND;
    if (kv->type != RM_GGUF_ARRAY) return RM_ERR_TYPE_MISMATCH;
    if (elem_type) *elem_type = kv->arr_type;
    if (n) *n = kv->arr_n;
    if (data) *data = rm__gguf_scalar_size(kv->arr_type) ? (const void *)(kv->val + 12) : NULL;
    return RM_OK;
}
RMDEF rm_result rm_gguf_kv_arr_str(const rm_gguf *g, int64_t i, uint64_t j, rm_str *out) {
    const rm__kv *kv = rm__kv_at(g, i);
    if (!kv || !out) return kv ? RM_ERR_INVALID_ARG : RM_ERR_NOT_FOUND;
    if (kv->type != RM_GGUF_ARRAY || kv->arr_type != RM_GGUF_STRING) return RM_ERR_TYPE_MISMATCH;
    if (j >= kv->arr_n) return RM_ERR_LIMIT;
    out->len = (size_t)rm__rd64(kv->str_elems[j]);
    out->ptr = (const char *)kv->str_elems[j] + 8;
    return RM_OK;
}

RMDEF rm_result rm_gguf_get_int(const rm_gguf *g, const char *key, int64_t *out) {
    return rm_gguf_kv_int(g, rm_gguf_find_key(g, key), out);
}
RMDEF rm_result rm_gguf_get_uint(const rm_gguf *g, const char *key, uint64_t *out) {
    return rm_gguf_kv_uint(g, rm_gguf_find_key(g, key), out);
}
RMDEF rm_result rm_gguf_get_float(const rm_gguf *g, const char *key, double *out) {
    return rm_gguf_kv_float(g, rm_gguf_find_key(g, key), out);
}
RMDEF rm_result rm_gguf_get_bool(const rm_gguf *g, const char *key, int *out) {
    const rm__kv *kv = rm__kv_at(g, rm_gguf_find_key(g, key));
    if (!kv || !out) return kv ? RM_ERR_INVALID_ARG : RM_ERR_NOT_FOUND;
    if (kv->type != RM_GGUF_BOOL) return RM_ERR_TYPE_MISMATCH;
    *out = kv->val[0] != 0;
    return RM_OK;
}
RMDEF rm_result rm_gguf_get_str(const rm_gguf *g, const char *key, rm_str *out) {
    return rm_gguf_kv_str(g, rm_gguf_find_key(g, key), out);
}
RMDEF rm_result rm_gguf_get_arr(const rm_gguf *g, const char *key, rm_gguf_type *elem_type, uint64_t *n,
                                const void **data) {
    return rm_gguf_kv_arr(g, rm_gguf_find_key(g, key), elem_type, n, data);
}
RMDEF rm_result rm_gguf_get_arr_str(const rm_gguf *g, const char *key, uint64_t i, rm_str *out) {
    return rm_gguf_kv_arr_str(g, rm_gguf_find_key(g, key), i, out);
}

RMDEF const rm_tensor *rm_gguf_tensor(const rm_gguf *g, int64_t i) {
    if (!g || g->status || i < 0 || i >= g->n_tensors) return NULL;
    return &g->tensors[i];
}
RMDEF const rm_tensor *rm_gguf_find_tensor(const rm_gguf *g, const char *name) {
    int64_t i;
    if (!g || g->status || !name) return NULL;
    i = rm__gguf_lookup_tensor(g, name, strlen(name));
    return i >= 0 ? &g->tensors[i] : NULL;
}

#include "wip/quant.h"

/* ---------------------------------------------------------------------------------------- */
/* 7. Tokenizer                                                                             */
/* ---------------------------------------------------------------------------------------- */
#include "wip/tok.h"

/* ---------------------------------------------------------------------------------------- */
/* 8. Chat templates                                                                        */
/* ---------------------------------------------------------------------------------------- */
#include "wip/chat.h"

/* ---------------------------------------------------------------------------------------- */
/* 9. GGUF writing                                                                          */
/* ---------------------------------------------------------------------------------------- */
#include "wip/write.h"

#endif /* RM_IMPLEMENTATION_DONE */
#endif /* RM_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the rm.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
*/
