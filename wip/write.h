/* rm.h section 9 (work in progress, inlined into rm.h when done): GGUF writing. */
/* The writer keeps each metadata value as the exact bytes that follow its type tag in a file,
   so that copying a key from an open file is a memcpy, nested arrays included, and writing
   is a walk over byte strings. Layout (GGUF v3, little-endian):
       "GGUF" u32 version, u64 n_tensors, u64 n_kv
       n_kv x      { u64 len, key bytes, u32 type, value }
       n_tensors x { u64 len, name bytes, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset }
       zero padding to the alignment; then each tensor's data, each followed by zero padding
       to the alignment (the last one too, as ggml and gguf-py do). */

#define RM__W_MAX_KEY 65535
#define RM__W_MAX_NAME 63 /* ggml's GGML_MAX_NAME is 64 including the terminator */

typedef struct rm__wkv {
    char *key;
    size_t key_len;
    uint32_t type;
    uint8_t *val; /* the value bytes as stored in a file (after the type tag) */
    size_t val_size;
} rm__wkv;

typedef struct rm__wtensor {
    char name[RM__W_MAX_NAME + 1];
    size_t name_len;
    int type;
    int n_dims;
    int64_t ne[4];
    const void *data; /* borrowed; NULL: filled at write time */
    size_t nbytes;
    uint64_t offset;  /* relative to the data section; set by rm__w_layout */
} rm__wtensor;

struct rm_gguf_writer {
    rm__wkv *kv;
    int64_t n_kv, cap_kv;
    rm__wtensor *t;
    int64_t n_t, cap_t;
    rm_gguf_fill_fn fill;
    void *fill_user;
    char err[512];
};

RMDEF rm_result rm_gguf_writer_new(rm_gguf_writer **out) {
    if (!out) return RM_ERR_INVALID_ARG;
    *out = (rm_gguf_writer *)rm__calloc(1, sizeof(rm_gguf_writer));
    return *out ? RM_OK : RM_ERR_NOMEM;
}

RMDEF void rm_gguf_writer_free(rm_gguf_writer *w) {
    int64_t i;
    if (!w) return;
    for (i = 0; i < w->n_kv; i++) {
        RM_FREE(w->kv[i].key);
        RM_FREE(w->kv[i].val);
    }
    RM_FREE(w->kv);
    RM_FREE(w->t);
    RM_FREE(w);
}

RMDEF const char *rm_gguf_writer_error(const rm_gguf_writer *w) { return w ? w->err : "writer is NULL"; }
RMDEF int64_t rm_gguf_writer_n_kv(const rm_gguf_writer *w) { return w ? w->n_kv : 0; }
RMDEF int64_t rm_gguf_writer_n_tensors(const rm_gguf_writer *w) { return w ? w->n_t : 0; }
RMDEF void rm_gguf_writer_set_fill(rm_gguf_writer *w, rm_gguf_fill_fn fill, void *user) {
    if (!w) return;
    w->fill = fill;
    w->fill_user = user;
}
RMDEF void rm_gguf_writer_free_mem(void *data) { RM_FREE(data); }

static void rm__w_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void rm__w_le64(uint8_t *p, uint64_t v) {
    rm__w_le32(p, (uint32_t)v);
    rm__w_le32(p + 4, (uint32_t)(v >> 32));
}

static int64_t rm__w_find(const rm_gguf_writer *w, const char *key, size_t n) {
    int64_t i;
    for (i = 0; i < w->n_kv; i++)
        if (w->kv[i].key_len == n && memcmp(w->kv[i].key, key, n) == 0) return i;
    return -1;
}

/* Stores (key, type, value bytes). val is copied unless own is set, in which case the writer
   takes val (allocated with RM_MALLOC) whatever the outcome. */
static rm_result rm__w_set(rm_gguf_writer *w, const char *key, size_t key_len, uint32_t type,
                           const uint8_t *val, size_t val_size, int own) {
    uint8_t *copy = NULL;
    int64_t i;
    if (!w) {
        if (own) RM_FREE((void *)(uintptr_t)val);
        return RM_ERR_INVALID_ARG;
    }
    if (!key || key_len == 0 || key_len > RM__W_MAX_KEY) {
        if (own) RM_FREE((void *)(uintptr_t)val);
        return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: key is NULL, empty or longer than %d bytes",
                        RM__W_MAX_KEY);
    }
    if (key_len == 17 && memcmp(key, "general.alignment", 17) == 0) {
        uint32_t a = (type == RM_GGUF_UINT32 && val_size == 4) ? rm__rd32(val) : 0;
        if (a == 0 || (a & (a - 1)) != 0) {
            if (own) RM_FREE((void *)(uintptr_t)val);
            return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_ALIGNMENT,
                            "gguf writer: general.alignment must be a UINT32 power of two (type %u, value %u)", type, a);
        }
    }
    if (own) copy = (uint8_t *)(uintptr_t)val;
    else {
        copy = (uint8_t *)RM_MALLOC(val_size ? val_size : 1);
        if (!copy) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for key '%.*s'",
                                   (int)RM__MIN(key_len, 200), key);
        if (val_size) memcpy(copy, val, val_size);
    }
    i = rm__w_find(w, key, key_len);
    if (i >= 0) {
        RM_FREE(w->kv[i].val);
    } else {
        char *k;
        if (w->n_kv == w->cap_kv) {
            int64_t cap = w->cap_kv ? w->cap_kv * 2 : 32;
            rm__wkv *nk = (rm__wkv *)RM_REALLOC(w->kv, (size_t)cap * sizeof(rm__wkv));
            if (!nk) {
                RM_FREE(copy);
                return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for %lld keys", (long long)cap);
            }
            w->kv = nk;
            w->cap_kv = cap;
        }
        k = (char *)RM_MALLOC(key_len + 1);
        if (!k) {
            RM_FREE(copy);
            return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory");
        }
        memcpy(k, key, key_len);
        k[key_len] = 0;
        i = w->n_kv++;
        w->kv[i].key = k;
        w->kv[i].key_len = key_len;
    }
    w->kv[i].type = type;
    w->kv[i].val = copy;
    w->kv[i].val_size = val_size;
    return RM_OK;
}

static rm_result rm__w_set_scalar(rm_gguf_writer *w, const char *key, rm_gguf_type type, uint64_t bits) {
    uint8_t b[8];
    size_t sz = rm__gguf_scalar_size(type);
    if (sz == 8) rm__w_le64(b, bits);
    else if (sz == 4) rm__w_le32(b, (uint32_t)bits);
    else b[0] = (uint8_t)bits;
    return rm__w_set(w, key, key ? strlen(key) : 0, (uint32_t)type, b, sz, 0);
}

RMDEF rm_result rm_gguf_writer_set_u32(rm_gguf_writer *w, const char *key, uint32_t v) {
    return rm__w_set_scalar(w, key, RM_GGUF_UINT32, v);
}
RMDEF rm_result rm_gguf_writer_set_i32(rm_gguf_writer *w, const char *key, int32_t v) {
    return rm__w_set_scalar(w, key, RM_GGUF_INT32, (uint32_t)v);
}
RMDEF rm_result rm_gguf_writer_set_u64(rm_gguf_writer *w, const char *key, uint64_t v) {
    return rm__w_set_scalar(w, key, RM_GGUF_UINT64, v);
}
RMDEF rm_result rm_gguf_writer_set_f32(rm_gguf_writer *w, const char *key, float v) {
    return rm__w_set_scalar(w, key, RM_GGUF_FLOAT32, rm__bits_from_f32(v));
}
RMDEF rm_result rm_gguf_writer_set_bool(rm_gguf_writer *w, const char *key, int v) {
    return rm__w_set_scalar(w, key, RM_GGUF_BOOL, v ? 1u : 0u);
}

RMDEF rm_result rm_gguf_writer_set_str(rm_gguf_writer *w, const char *key, const char *v) {
    size_t n;
    uint8_t *b;
    if (!w) return RM_ERR_INVALID_ARG;
    if (!v) return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: string value of '%s' is NULL", key ? key : "(null)");
    n = strlen(v);
    if (n > SIZE_MAX - 8) return rm__fail(w->err, sizeof(w->err), RM_ERR_LIMIT, "gguf writer: string too long");
    b = (uint8_t *)RM_MALLOC(n + 8);
    if (!b) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory");
    rm__w_le64(b, n);
    memcpy(b + 8, v, n);
    return rm__w_set(w, key, key ? strlen(key) : 0, RM_GGUF_STRING, b, n + 8, 1);
}

RMDEF rm_result rm_gguf_writer_set_arr(rm_gguf_writer *w, const char *key, rm_gguf_type elem_type,
                                       const void *data, uint64_t n) {
    size_t sz = rm__gguf_scalar_size(elem_type);
    uint64_t bytes;
    uint8_t *b;
    const uint8_t *src = (const uint8_t *)data;
    uint64_t i;
    if (!w) return RM_ERR_INVALID_ARG;
    if (!sz)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_VALUE_TYPE,
                        "gguf writer: key '%s': element type %d is not a fixed-size type (use set_arr_str for strings)",
                        key ? key : "(null)", (int)elem_type);
    if (!data && n) return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: array data is NULL");
    if (!rm__mul_ok(n, sz, &bytes) || bytes > (uint64_t)SIZE_MAX - 12)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_LIMIT, "gguf writer: array of %llu elements is too large",
                        (unsigned long long)n);
    b = (uint8_t *)RM_MALLOC((size_t)bytes + 12);
    if (!b) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for an array of %llu bytes",
                            (unsigned long long)bytes);
    rm__w_le32(b, (uint32_t)elem_type);
    rm__w_le64(b + 4, n);
    /* elements come in host order; files are little-endian */
    for (i = 0; i < n; i++) {
        uint8_t *d = b + 12 + i * sz;
        if (sz == 1) d[0] = src[i];
        else if (sz == 2) { uint16_t v; memcpy(&v, src + 2 * i, 2); d[0] = (uint8_t)v; d[1] = (uint8_t)(v >> 8); }
        else if (sz == 4) { uint32_t v; memcpy(&v, src + 4 * i, 4); rm__w_le32(d, v); }
        else { uint64_t v; memcpy(&v, src + 8 * i, 8); rm__w_le64(d, v); }
    }
    return rm__w_set(w, key, key ? strlen(key) : 0, RM_GGUF_ARRAY, b, (size_t)bytes + 12, 1);
}

RMDEF rm_result rm_gguf_writer_set_arr_str(rm_gguf_writer *w, const char *key, const rm_str *strs, uint64_t n) {
    uint64_t bytes = 12, i;
    uint8_t *b, *p;
    if (!w) return RM_ERR_INVALID_ARG;
    if (!strs && n) return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: string array is NULL");
    for (i = 0; i < n; i++) {
        if (!strs[i].ptr && strs[i].len)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: key '%s': string %llu is NULL",
                            key ? key : "(null)", (unsigned long long)i);
        if (!rm__add_ok(bytes, 8, &bytes) || !rm__add_ok(bytes, strs[i].len, &bytes) || bytes > (uint64_t)SIZE_MAX)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_LIMIT, "gguf writer: string array too large");
    }
    b = (uint8_t *)RM_MALLOC((size_t)bytes);
    if (!b) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for a string array of %llu bytes",
                            (unsigned long long)bytes);
    rm__w_le32(b, RM_GGUF_STRING);
    rm__w_le64(b + 4, n);
    p = b + 12;
    for (i = 0; i < n; i++) {
        rm__w_le64(p, strs[i].len);
        if (strs[i].len) memcpy(p + 8, strs[i].ptr, strs[i].len);
        p += 8 + strs[i].len;
    }
    return rm__w_set(w, key, key ? strlen(key) : 0, RM_GGUF_ARRAY, b, (size_t)bytes, 1);
}

RMDEF rm_result rm_gguf_writer_copy_kv(rm_gguf_writer *w, const rm_gguf *src, int64_t i) {
    const rm__kv *kv;
    if (!w) return RM_ERR_INVALID_ARG;
    kv = rm__kv_at(src, i);
    if (!kv)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_NOT_FOUND, "gguf writer: source has no key %lld (or failed to open)",
                        (long long)i);
    if (kv->val_size > (uint64_t)SIZE_MAX) return rm__fail(w->err, sizeof(w->err), RM_ERR_LIMIT, "gguf writer: value too large");
    return rm__w_set(w, kv->key.ptr, kv->key.len, (uint32_t)kv->type, kv->val, (size_t)kv->val_size, 0);
}

RMDEF rm_result rm_gguf_writer_remove_key(rm_gguf_writer *w, const char *key) {
    int64_t i;
    if (!w || !key) return RM_ERR_INVALID_ARG;
    i = rm__w_find(w, key, strlen(key));
    if (i < 0) return RM_ERR_NOT_FOUND;
    RM_FREE(w->kv[i].key);
    RM_FREE(w->kv[i].val);
    memmove(&w->kv[i], &w->kv[i + 1], (size_t)(w->n_kv - i - 1) * sizeof(rm__wkv));
    w->n_kv--;
    return RM_OK;
}

RMDEF rm_result rm_gguf_writer_add_tensor(rm_gguf_writer *w, const char *name, int type, int n_dims,
                                          const int64_t *ne, const void *data, size_t nbytes) {
    rm__wtensor *t;
    size_t len;
    int64_t blck, i;
    int d;
    uint64_t nel = 1, rows, expect;
    if (!w) return RM_ERR_INVALID_ARG;
    if (!name || !ne) return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: tensor name or shape is NULL");
    len = strlen(name);
    if (len == 0 || len > RM__W_MAX_NAME)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: tensor name '%.200s' must be 1 to %d bytes",
                        name, RM__W_MAX_NAME);
    blck = rm_type_block_size(type);
    if (blck <= 0)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_TENSOR_TYPE, "gguf writer: tensor '%s': type %d is not one rm.h supports",
                        name, type);
    if (n_dims < 1 || n_dims > 4)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_DIMS, "gguf writer: tensor '%s' has %d dimensions (1 to 4 allowed)",
                        name, n_dims);
    for (d = 0; d < n_dims; d++) {
        if (ne[d] < 0)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_DIMS, "gguf writer: tensor '%s': dimension %d is %lld",
                            name, d, (long long)ne[d]);
        if (!rm__mul_ok(nel, (uint64_t)ne[d], &nel) || nel > (uint64_t)INT64_MAX)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_DIMS, "gguf writer: tensor '%s': element count overflows", name);
    }
    if (ne[0] % blck != 0)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_BLOCK,
                        "gguf writer: tensor '%s': row length %lld is not a multiple of %s's block size %lld",
                        name, (long long)ne[0], rm_type_name(type), (long long)blck);
    rows = ne[0] ? nel / (uint64_t)ne[0] : 0;
    if (!rm__mul_ok(rows, rm__row_bytes(type, ne[0]), &expect) || expect > (uint64_t)SIZE_MAX)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_DIMS, "gguf writer: tensor '%s': byte size overflows", name);
    if (nbytes != (size_t)expect)
        return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG,
                        "gguf writer: tensor '%s': %zu bytes given, but %lld elements of %s take %llu",
                        name, nbytes, (long long)nel, rm_type_name(type), (unsigned long long)expect);
    for (i = 0; i < w->n_t; i++)
        if (w->t[i].name_len == len && memcmp(w->t[i].name, name, len) == 0)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_GGUF_DUP_TENSOR, "gguf writer: duplicate tensor '%s'", name);
    if (w->n_t == w->cap_t) {
        int64_t cap = w->cap_t ? w->cap_t * 2 : 64;
        rm__wtensor *nt = (rm__wtensor *)RM_REALLOC(w->t, (size_t)cap * sizeof(rm__wtensor));
        if (!nt) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for %lld tensors", (long long)cap);
        w->t = nt;
        w->cap_t = cap;
    }
    t = &w->t[w->n_t++];
    memset(t, 0, sizeof(*t));
    memcpy(t->name, name, len);
    t->name_len = len;
    t->type = type;
    t->n_dims = n_dims;
    for (d = 0; d < 4; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->data = data;
    t->nbytes = nbytes;
    return RM_OK;
}

static uint64_t rm__w_align(uint64_t x, uint64_t a) { return x + (a - x % a) % a; }

/* Computes tensor offsets; returns the data section's start and the file's size. */
static rm_result rm__w_layout(rm_gguf_writer *w, uint64_t *align_out, uint64_t *data_off, uint64_t *total) {
    uint64_t align = 32, pos = 24, off = 0;
    int64_t i;
    i = rm__w_find(w, "general.alignment", 17);
    if (i >= 0) align = rm__rd32(w->kv[i].val); /* validated when set */
    for (i = 0; i < w->n_kv; i++) pos += 8 + w->kv[i].key_len + 4 + w->kv[i].val_size;
    for (i = 0; i < w->n_t; i++) {
        rm__wtensor *t = &w->t[i];
        pos += 8 + t->name_len + 4 + 8 * (uint64_t)t->n_dims + 4 + 8;
        t->offset = off;
        off = rm__w_align(off + t->nbytes, align);
    }
    *align_out = align;
    *data_off = rm__w_align(pos, align);
    *total = *data_off + off;
    return RM_OK;
}

/* Output goes either to a FILE or into a buffer of the exact final size. */
typedef struct rm__wsink {
    FILE *f;
    uint8_t *mem;
    uint64_t pos;
} rm__wsink;

static int rm__w_put(rm__wsink *s, const void *p, size_t n) {
    if (n == 0) return 1;
    if (s->f) {
        if (fwrite(p, 1, n, s->f) != n) return 0;
    } else memcpy(s->mem + s->pos, p, n);
    s->pos += n;
    return 1;
}
static int rm__w_put32(rm__wsink *s, uint32_t v) { uint8_t b[4]; rm__w_le32(b, v); return rm__w_put(s, b, 4); }
static int rm__w_put64(rm__wsink *s, uint64_t v) { uint8_t b[8]; rm__w_le64(b, v); return rm__w_put(s, b, 8); }
static int rm__w_pad(rm__wsink *s, uint64_t align) {
    static const uint8_t zeros[256] = {0};
    uint64_t n = (align - s->pos % align) % align;
    while (n) {
        size_t k = (size_t)RM__MIN(n, (uint64_t)sizeof(zeros));
        if (!rm__w_put(s, zeros, k)) return 0;
        n -= k;
    }
    return 1;
}

static rm_result rm__w_emit(rm_gguf_writer *w, rm__wsink *s, const char *what) {
    uint64_t align, data_off, total, max_fill = 0;
    int64_t i;
    int ok = 1;
    uint8_t *scratch = NULL;
    rm_result e;
    for (i = 0; i < w->n_t; i++) {
        if (w->t[i].data || w->t[i].nbytes == 0) continue;
        if (!w->fill)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG,
                            "gguf writer: tensor '%s' has no data and no fill callback is set", w->t[i].name);
        max_fill = RM__MAX(max_fill, (uint64_t)w->t[i].nbytes);
    }
    rm__w_layout(w, &align, &data_off, &total);
    ok = ok && rm__w_put(s, "GGUF", 4) && rm__w_put32(s, 3) && rm__w_put64(s, (uint64_t)w->n_t) && rm__w_put64(s, (uint64_t)w->n_kv);
    for (i = 0; ok && i < w->n_kv; i++) {
        const rm__wkv *kv = &w->kv[i];
        ok = rm__w_put64(s, kv->key_len) && rm__w_put(s, kv->key, kv->key_len) && rm__w_put32(s, kv->type) &&
             rm__w_put(s, kv->val, kv->val_size);
    }
    for (i = 0; ok && i < w->n_t; i++) {
        const rm__wtensor *t = &w->t[i];
        int d;
        ok = rm__w_put64(s, t->name_len) && rm__w_put(s, t->name, t->name_len) && rm__w_put32(s, (uint32_t)t->n_dims);
        for (d = 0; ok && d < t->n_dims; d++) ok = rm__w_put64(s, (uint64_t)t->ne[d]);
        ok = ok && rm__w_put32(s, (uint32_t)t->type) && rm__w_put64(s, t->offset);
    }
    ok = ok && rm__w_pad(s, align);
    if (!ok) return rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot write %s", what);
    if (s->f && max_fill) {
        scratch = (uint8_t *)RM_MALLOC((size_t)max_fill);
        if (!scratch)
            return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for a %llu-byte tensor buffer",
                            (unsigned long long)max_fill);
    }
    for (i = 0; i < w->n_t; i++) {
        const rm__wtensor *t = &w->t[i];
        const void *src = t->data;
        if (!src && t->nbytes) {
            uint8_t *dst = s->f ? scratch : s->mem + s->pos;
            e = w->fill(w->fill_user, i, t->name, dst, t->nbytes);
            if (e != RM_OK) {
                RM_FREE(scratch);
                /* keep the callback's message if it wrote one through the writer */
                return rm__fail(w->err, sizeof(w->err), e, "gguf writer: filling tensor '%s' failed: %s", t->name,
                                rm_result_string(e));
            }
            src = dst;
        }
        if (s->f || src != s->mem + s->pos) ok = rm__w_put(s, src, t->nbytes);
        else s->pos += t->nbytes;
        ok = ok && rm__w_pad(s, align);
        if (!ok) {
            RM_FREE(scratch);
            return rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot write tensor '%s' to %s", t->name, what);
        }
    }
    RM_FREE(scratch);
    if (s->pos != total) /* the layout and the writes disagree: a bug, not bad input */
        return rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: wrote %llu bytes, expected %llu",
                        (unsigned long long)s->pos, (unsigned long long)total);
    return RM_OK;
}

RMDEF rm_result rm_gguf_writer_write_mem(rm_gguf_writer *w, void **data, size_t *size) {
    uint64_t align, data_off, total;
    rm__wsink s;
    rm_result e;
    if (!w) return RM_ERR_INVALID_ARG;
    if (!data || !size) return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: data or size is NULL");
    *data = NULL;
    *size = 0;
    rm__w_layout(w, &align, &data_off, &total);
    if (total > (uint64_t)SIZE_MAX) return rm__fail(w->err, sizeof(w->err), RM_ERR_LIMIT, "gguf writer: file too large for memory");
    memset(&s, 0, sizeof(s));
    s.mem = (uint8_t *)RM_MALLOC((size_t)total);
    if (!s.mem) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory for %llu bytes", (unsigned long long)total);
    e = rm__w_emit(w, &s, "memory");
    if (e != RM_OK) {
        RM_FREE(s.mem);
        return e;
    }
    *data = s.mem;
    *size = (size_t)total;
    w->err[0] = 0;
    return RM_OK;
}

RMDEF rm_result rm_gguf_writer_write_file(rm_gguf_writer *w, const char *path) {
    rm__wsink s;
    rm_result e;
    char *tmp;
    size_t n;
    if (!w) return RM_ERR_INVALID_ARG;
    if (!path || !*path) return rm__fail(w->err, sizeof(w->err), RM_ERR_INVALID_ARG, "gguf writer: path is NULL or empty");
    n = strlen(path);
    tmp = (char *)RM_MALLOC(n + 16);
    if (!tmp) return rm__fail(w->err, sizeof(w->err), RM_ERR_NOMEM, "gguf writer: out of memory");
    /* same directory, so that the rename cannot cross file systems */
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".rm-tmp", 8);
    memset(&s, 0, sizeof(s));
    s.f = fopen(tmp, "wb");
    if (!s.f) {
        e = rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot create '%s'", tmp);
        RM_FREE(tmp);
        return e;
    }
    setvbuf(s.f, NULL, _IOFBF, 1 << 20);
    e = rm__w_emit(w, &s, path);
    if (fclose(s.f) != 0 && e == RM_OK)
        e = rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot finish writing '%s' (disk full?)", tmp);
    if (e == RM_OK) {
#ifdef _WIN32
        remove(path); /* rename does not replace an existing file there */
#endif
        if (rename(tmp, path) != 0) e = rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot rename '%s' to '%s'", tmp, path);
    }
    if (e != RM_OK) remove(tmp);
    else w->err[0] = 0;
    RM_FREE(tmp);
    return e;
}
