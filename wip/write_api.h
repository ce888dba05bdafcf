/* rm.h declarations (work in progress, inlined into rm.h when done). */
/* ---------------------------------------------------------------------------------------- */
/* GGUF writing                                                                             */
/* ---------------------------------------------------------------------------------------- */
/* Builds a GGUF v3 file: metadata in the order it was first set, tensors in the order they
   were added, tensor data aligned to general.alignment (32 unless that key says otherwise)
   and padded with zeros, as ggml and gguf-py lay files out. Example:

       rm_gguf_writer *w;
       int64_t ne[2] = {256, 512};
       rm_gguf_writer_new(&w);
       rm_gguf_writer_set_str(w, "general.architecture", "llama");
       rm_gguf_writer_set_u32(w, "llama.block_count", 2);
       rm_gguf_writer_add_tensor(w, "token_embd.weight", RM_TYPE_F32, 2, ne, emb, sizeof(float) * 256 * 512);
       if (rm_gguf_writer_write_file(w, "out.gguf") != RM_OK) puts(rm_gguf_writer_error(w));
       rm_gguf_writer_free(w);

   Metadata values are copied. Tensor data is borrowed: keep it alive and unchanged until the
   last write_* call (or pass NULL and supply the bytes at write time through a fill
   callback, which lets a tool stream a model larger than it wants to hold in memory).
   Setting a key that exists replaces its value and keeps its position. A writer is used by
   one thread at a time; after a failed call it stays usable and rm_gguf_writer_error() says
   what went wrong. */
typedef struct rm_gguf_writer rm_gguf_writer;

/* Supplies the bytes of tensor `index` (added with data NULL) into dst[0..nbytes). Called once
   per such tensor, in order, by each write_* call; a non-RM_OK result aborts the write. */
typedef rm_result (*rm_gguf_fill_fn)(void *user, int64_t index, const char *name, void *dst, size_t nbytes);

RMDEF rm_result rm_gguf_writer_new(rm_gguf_writer **out);
RMDEF void rm_gguf_writer_free(rm_gguf_writer *w);
/* Message of the last failure, or "". */
RMDEF const char *rm_gguf_writer_error(const rm_gguf_writer *w);

/* Scalar metadata. Keys are 1..65535 bytes. */
RMDEF rm_result rm_gguf_writer_set_u32(rm_gguf_writer *w, const char *key, uint32_t v);
RMDEF rm_result rm_gguf_writer_set_i32(rm_gguf_writer *w, const char *key, int32_t v);
RMDEF rm_result rm_gguf_writer_set_u64(rm_gguf_writer *w, const char *key, uint64_t v);
RMDEF rm_result rm_gguf_writer_set_f32(rm_gguf_writer *w, const char *key, float v);
RMDEF rm_result rm_gguf_writer_set_bool(rm_gguf_writer *w, const char *key, int v);
RMDEF rm_result rm_gguf_writer_set_str(rm_gguf_writer *w, const char *key, const char *v);
/* Array of n numeric elements (any fixed-size type: integers, floats, bool) in host order. */
RMDEF rm_result rm_gguf_writer_set_arr(rm_gguf_writer *w, const char *key, rm_gguf_type elem_type,
                                       const void *data, uint64_t n);
RMDEF rm_result rm_gguf_writer_set_arr_str(rm_gguf_writer *w, const char *key, const rm_str *strs, uint64_t n);
/* Copies key i of an open file with its value verbatim (any type, nested arrays included). */
RMDEF rm_result rm_gguf_writer_copy_kv(rm_gguf_writer *w, const rm_gguf *src, int64_t i);
/* Removes a key; RM_ERR_NOT_FOUND if it is not set. */
RMDEF rm_result rm_gguf_writer_remove_key(rm_gguf_writer *w, const char *key);
RMDEF int64_t rm_gguf_writer_n_kv(const rm_gguf_writer *w);
RMDEF int64_t rm_gguf_writer_n_tensors(const rm_gguf_writer *w);

/* Adds a tensor whose data is already encoded as `type` (an rm_type). ne[0] is the row length
   (ggml order) and must be a multiple of the type's block size; n_dims 1..4; names are
   1..63 bytes (ggml's limit) and unique. nbytes must equal the encoded size. data is
   borrowed (see above) or NULL for a tensor filled at write time. */
RMDEF rm_result rm_gguf_writer_add_tensor(rm_gguf_writer *w, const char *name, int type, int n_dims,
                                          const int64_t *ne, const void *data, size_t nbytes);
/* Sets the callback that fills tensors added with data NULL. */
RMDEF void rm_gguf_writer_set_fill(rm_gguf_writer *w, rm_gguf_fill_fn fill, void *user);

/* Writes the file through a temporary file in the same directory that is renamed over path
   only once everything is written, so that path never holds a partial file. */
RMDEF rm_result rm_gguf_writer_write_file(rm_gguf_writer *w, const char *path);
/* Writes the file into memory; free *data with rm_gguf_writer_free_mem(). */
RMDEF rm_result rm_gguf_writer_write_mem(rm_gguf_writer *w, void **data, size_t *size);
RMDEF void rm_gguf_writer_free_mem(void *data);
