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
/* ---------------------------------------------------------------------------------------- */
/* Chat templates                                                                           */
/* ---------------------------------------------------------------------------------------- */
/* A GGUF carries its chat format as a Jinja program (tokenizer.chat_template). rm.h has no
   Jinja interpreter: it recognises the program's family by distinctive text and renders the
   conversation with a C transcription of that family's template, matching what Hugging Face
   transformers' Jinja environment (trim_blocks, lstrip_blocks) renders for plain string
   messages. `trim` / `.strip()` remove Python's Unicode whitespace (str.isspace). Tools, tool
   calls and multimodal content are not modelled; roles other than the ones a template names
   are rendered as that template renders them (usually skipped).

   bos_text / eos_text are what the template's bos_token / eos_token render to. Pass
   bos_text = NULL (or "") when the model's template text does not contain `bos_token`:
   variants inside one family differ only in that (Gemma 1 vs 2, Phi-3 mini vs medium,
   Tulu vs OLMo 2), and so the same code renders both exactly.

   Families (name for --template: what it renders):
     none          the message contents concatenated, nothing added
     chatml        <|im_start|>ROLE\nCONTENT<|im_end|>\n ... (OpenHermes and many fine-tunes)
     qwen2         chatml, default system "You are a helpful assistant." (Qwen2-Instruct)
     qwen2.5       chatml, default system "You are Qwen, created by Alibaba Cloud. ..."; tool turns
     qwen3         chatml with Qwen3's <think> handling of assistant turns after the last query
     llama2        <s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\nUSER [/INST] ASSISTANT </s> (Llama-2-chat)
     llama3        <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|> (Llama-3-Instruct)
     llama3-legacy the first Llama-3-Instruct template: assistant header always appended
     llama3.1      llama3 with the "Cutting Knowledge Date" system block (3.1, 3.2, 3.3; the date
                   is the template's default "26 Jul 2024": transformers fills today's date for
                   3.2, whose template asks for strftime_now)
     gemma         <start_of_turn>user\n...<end_of_turn>\n, assistant -> model; no system role
                   (Gemma 1 and 2)
     gemma3        gemma with the system message folded into the first user turn
     mistral       [INST] USER [/INST]ASSISTANT</s> (Mistral-7B-Instruct v0.1/v0.2); no system
     mistral-v1    " [INST] " with the system message before the first user message
     mistral-v3    [INST] USER[/INST] ASSISTANT</s>, system before the last user message (v0.3)
     phi3          <|user|>\nUSER<|end|>\n<|assistant|>\n (Phi-3 mini/medium; system dropped)
     zephyr        <|user|>\nUSER</s>\n<|assistant|>\n (Zephyr, TinyLlama-Chat)
     tulu          <|user|>\nUSER\n<|assistant|>\nASSISTANT</s> (Tulu 2, OLMo 2 SFT)
     deepseek      User: USER\n\nAssistant: ASSISTANT<eos> (DeepSeek LLM chat, DeepSeek-V2)
     deepseek-coder ### Instruction:\nUSER\n### Response:\n... (DeepSeek Coder instruct)

   Conversations a template rejects with raise_exception (non-alternating roles, a system
   message where none is supported) make rm_chat_render return RM_ERR_INVALID_ARG. An empty
   message list is RM_ERR_EMPTY (most templates index messages[0]). */

typedef struct rm_chat_msg {
    const char *role;     /* "system", "user", "assistant", "tool", ... */
    size_t role_len;
    const char *content;  /* UTF-8 */
    size_t content_len;
} rm_chat_msg;

typedef enum rm_chat_template {
    RM_CHAT_NONE = 0,
    RM_CHAT_CHATML,
    RM_CHAT_QWEN2,
    RM_CHAT_QWEN25,
    RM_CHAT_QWEN3,
    RM_CHAT_LLAMA2,
    RM_CHAT_LLAMA3,
    RM_CHAT_LLAMA3_LEGACY,
    RM_CHAT_LLAMA31,
    RM_CHAT_GEMMA,
    RM_CHAT_GEMMA3,
    RM_CHAT_MISTRAL,
    RM_CHAT_MISTRAL_V1,
    RM_CHAT_MISTRAL_V3,
    RM_CHAT_PHI3,
    RM_CHAT_ZEPHYR,
    RM_CHAT_TULU,
    RM_CHAT_DEEPSEEK,
    RM_CHAT_DEEPSEEK_CODER,
    RM_CHAT_COUNT
} rm_chat_template;

/* "chatml", "llama3", ...; NULL for an id out of range. */
RMDEF const char *rm_chat_template_name(int tmpl);
/* The id of a name as rm_chat_template_name spells it, or -1. */
RMDEF int rm_chat_template_from_name(const char *name);
/* Family of a Jinja template source. RM_ERR_TEMPLATE if unrecognised: err (may be NULL)
   then lists the names that can be chosen instead. */
RMDEF rm_result rm_chat_template_detect(const char *src, size_t len, int *out, char *err, size_t errcap);
/* Render messages with the template's semantics. Writes at most cap bytes to buf (no NUL
   is added; buf may be NULL when cap is 0) and sets *n_out to the full length; RM_ERR_LIMIT
   if it did not fit (call again with a buffer of *n_out bytes). */
RMDEF rm_result rm_chat_render(int tmpl, const rm_chat_msg *msgs, size_t n_msgs, int add_generation_prompt,
                               const char *bos_text, const char *eos_text, char *buf, size_t cap, size_t *n_out);
#include "wip/write_api.h"

/* ---------------------------------------------------------------------------------------- */
/* Models and contexts                                                                      */
/* ---------------------------------------------------------------------------------------- */

typedef struct rm_model rm_model;
typedef struct rm_ctx rm_ctx;

/* Architectures rm.h runs (values of general.architecture). */
typedef enum rm_arch {
    RM_ARCH_LLAMA = 0, RM_ARCH_QWEN2, RM_ARCH_QWEN3, RM_ARCH_GEMMA2, RM_ARCH_GPTNEOX, RM_ARCH_COUNT
} rm_arch;

/* Hyperparameters as read from the file (read-only view). */
typedef struct rm_hparams {
    int arch;               /* rm_arch */
    int64_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
    int64_t n_rot;          /* rotary dimensions per head */
    double rope_base, rope_scale, norm_eps;
    double attn_softcap, final_softcap;  /* 0 when off */
    int64_t sliding_window;              /* 0 when off */
    int n_cls_out;                       /* rows of cls.output.weight, 0 without a head */
} rm_hparams;

/* Open a model from a GGUF file. The weights stay in the file mapping; opening reads only the
   metadata and checks every tensor's shape. *out is set even on failure (read rm_model_error,
   then close). */
RMDEF rm_result rm_model_open(const char *path, rm_model **out);
/* Same over an already-open GGUF; the model takes ownership of g (also on failure). */
RMDEF rm_result rm_model_open_gguf(rm_gguf *g, rm_model **out);
RMDEF void rm_model_close(rm_model *m);
RMDEF const char *rm_model_error(const rm_model *m);
RMDEF rm_result rm_model_status(const rm_model *m);
RMDEF const rm_hparams *rm_model_hparams(const rm_model *m);
RMDEF const rm_gguf *rm_model_gguf(const rm_model *m);
/* The model's tokenizer (tokenizer.ggml.*), loaded with the model. */
RMDEF const rm_vocab *rm_model_vocab(const rm_model *m);
/* Name of an architecture ("llama") or NULL. */
RMDEF const char *rm_arch_name(int arch);

typedef struct rm_ctx_params {
    int64_t n_ctx;      /* tokens the context may hold; 0 = the model's trained context */
    int kv_f16;         /* 1: store K/V as F16 (half the memory, ~1e-2 on log-probs) */
    int n_threads;      /* 0 = OpenMP's default */
} rm_ctx_params;

/* A context: the KV cache and scratch of one thread of work. The model must outlive it. */
RMDEF rm_result rm_ctx_new(const rm_model *m, const rm_ctx_params *p, rm_ctx **out);
RMDEF void rm_ctx_free(rm_ctx *c);
RMDEF const char *rm_ctx_error(const rm_ctx *c);
/* Tokens the cache holds, and dropping all but the first n (to score a new continuation). */
RMDEF int64_t rm_ctx_n_past(const rm_ctx *c);
RMDEF rm_result rm_ctx_truncate(rm_ctx *c, int64_t n);

/* One evaluation: tokens appended after what the context holds, with optional outputs, each
   indexed by the token's place i in tokens[]. */
typedef struct rm_eval {
    const int32_t *tokens;
    int64_t n_tokens;
    /* Optional sequence layout for scoring several continuations of one shared prefix at once:
       seq[i] >= 0 puts token i in sequence seq[i], which sees the cells appended before this call
       (the shared prefix) and earlier tokens of its own sequence only; pos[i] is its position.
       NULL seq: one sequence; NULL pos: positions continue from rm_ctx_n_past(). */
    const int32_t *seq;
    const int32_t *pos;
    /* log p(targets[i] | tokens up to i), full-vocabulary log-softmax; targets[i] < 0 skips. */
    const int32_t *targets;
    double *logprobs;
    /* final-normed hidden state of token hidden_idx[k] into hidden[k * n_embd ...] */
    const int64_t *hidden_idx;
    int64_t n_hidden;
    float *hidden;
    /* raw logits (after soft-capping) of token logits_idx[k] into logits[k * n_vocab ...] */
    const int64_t *logits_idx;
    int64_t n_logits;
    float *logits;
} rm_eval;

RMDEF rm_result rm_ctx_eval(rm_ctx *c, const rm_eval *e);


/* ---------------------------------------------------------------------------------------- */
/* Reward scoring                                                                           */
/* ---------------------------------------------------------------------------------------- */

/* EX-RM: r = w . h_last (+ b), h_last the final-normed hidden state of the last token of
   prompt+response, w and b from cls.output.weight / cls.output.bias.
   IM-RM: r = beta * (sum_t log pi(y_t|x,y<t) - sum_t log pi_ref(y_t|x,y<t)) over the response
   tokens, teacher-forced. Reference-free forms: SUM beta * sum_t log pi, MEAN the mean of
   log pi, NORM -||(log pi_t)_t||_2 (RewardBench's "norm"). */
typedef enum rm_mode {
    RM_MODE_EXPLICIT = 0,
    RM_MODE_IMPLICIT = 1,
    RM_MODE_HIDDEN = 2   /* no reward: only last_hidden (what fit-head trains on) */
} rm_mode;
/* rm_scorer_desc.chat_template: the model's own template (tokenizer.chat_template), or none
   when the file has no template. */
#define RM_CHAT_AUTO (-1)
typedef enum rm_ref_free { RM_REF_FREE_OFF = 0, RM_REF_FREE_SUM, RM_REF_FREE_MEAN, RM_REF_FREE_NORM } rm_ref_free;
/* How a conversation is cut into prompt and response tokens (see rm_scorer_desc.split). */
typedef enum rm_split { RM_SPLIT_PAPER = 0, RM_SPLIT_REWARDBENCH, RM_SPLIT_NONE } rm_split;

/* A reward head kept in its own GGUF (cls.output.weight {n_embd, n_out}, optional
   cls.output.bias {n_out}, optional rm.head.mean / rm.head.std floats that normalise the
   reward as (r - mean) / std). fit-head writes such files. */
typedef struct rm_head rm_head;
RMDEF rm_result rm_head_open(const char *path, rm_head **out);
RMDEF void rm_head_close(rm_head *h);
RMDEF const char *rm_head_error(const rm_head *h);
RMDEF int64_t rm_head_n_embd(const rm_head *h);

typedef struct rm_scorer rm_scorer;

typedef struct rm_scorer_desc {
    const rm_model *model;   /* the reward model (EX) or the policy (IM) */
    const rm_model *ref;     /* IM: the reference model; NULL with a reference-free form */
    const rm_head *head;     /* EX: a separate head; NULL uses the model's own cls.output */
    int mode;                /* rm_mode */
    double beta;             /* IM scale; 0 means 1 */
    int ref_free;            /* rm_ref_free */
    int split;               /* rm_split, used by the text entry points */
    int chat_template;       /* RM_CHAT_AUTO (0 is RM_CHAT_NONE), or an rm_chat_template id */
    int normalize;           /* EX: apply the head's mean/std when it has them */
    int64_t n_ctx;           /* 0: enough for what is scored, up to the trained context */
    int n_threads;           /* 0: OpenMP's default */
    int kv_f16;
} rm_scorer_desc;

/* The result of scoring one response. Arrays belong to the scorer and stay valid until
   its next scoring call. */
typedef struct rm_score {
    double reward;
    int nonfinite;               /* 1: NaN/Inf arose; reward is NaN, never a silent number */
    const int32_t *prompt_ids;   /* the tokens the prompt was scored as */
    int64_t n_prompt;
    const int32_t *response_ids;
    int64_t n_response;
    const double *logprobs;      /* [n_response] log pi(y_t|...) (IM only, else NULL) */
    const double *ref_logprobs;  /* [n_response] log pi_ref (IM with a reference) */
    const double *contributions; /* [n_response] each token's share of the reward (IM) */
    const float *last_hidden;    /* [n_embd] final-normed hidden state of the last token */
} rm_score;

RMDEF rm_result rm_scorer_new(const rm_scorer_desc *d, rm_scorer **out);
RMDEF void rm_scorer_free(rm_scorer *s);
RMDEF const char *rm_scorer_error(const rm_scorer *s);

/* Score k responses to a conversation (history ends with the user turn) as text: rendered with
   the chat template and cut into prompt and response tokens as desc.split says:
     RM_SPLIT_PAPER        prompt = history with the generation prompt; response = the whole
                           conversation minus that prefix (so it ends with the end-of-turn
                           text); both tokenized separately, special-token text parsed.
     RM_SPLIT_REWARDBENCH  prompt = history without the generation prompt, BOS first; the
                           response is the rest, EOS appended.
     RM_SPLIT_NONE         raw strings: the messages' contents joined as the prompt (BOS as the
                           vocabulary's add_bos says), the response as it is, special-token
                           text not parsed (llama.cpp's tokenize with parse_special false).
   With the template RM_CHAT_NONE the paper and rewardbench splits behave as RM_SPLIT_NONE. */
RMDEF rm_result rm_score_chat(rm_scorer *s, const rm_chat_msg *history, size_t n_history, const rm_str *responses,
                              int64_t k, rm_score *out);
/* The same for a single user prompt. */
RMDEF rm_result rm_score_text(rm_scorer *s, const char *prompt, size_t prompt_len, const rm_str *responses, int64_t k,
                              rm_score *out);
/* One NUL-terminated pair. */
RMDEF rm_result rm_score_pair(rm_scorer *s, const char *prompt, const char *response, rm_score *out);


/* Fitting an EX-RM head on frozen hidden states (what rmtool fit-head does): w minimises the
   Bradley-Terry loss mean_i log(1 + exp(-w.(hc_i - hr_i))) + l2/2 |w|^2, with every feature
   scaled to unit RMS over the training pairs first (l2 acts in those units). A seeded
   shuffle holds out a fraction of the pairs to report accuracy on. */
typedef struct rm_fit_params {
    double l2;       /* default 1e-3 when 0 */
    double holdout;  /* fraction held out, 0..0.9 */
    int iters;       /* full-batch Adam steps; default 300 */
    uint64_t seed;
} rm_fit_params;
typedef struct rm_fit_result {
    int64_t n_train, n_holdout;
    double train_accuracy, train_loss, holdout_accuracy, holdout_loss;
    double reward_mean, reward_std;  /* of w.h over the training responses */
} rm_fit_result;
RMDEF rm_result rm_fit_head(const float *h_chosen, const float *h_rejected, int64_t n, int64_t dim, const rm_fit_params *p,
                            float *w_out, rm_fit_result *res);
/* Writes a head GGUF that rm_head_open reads: cls.output.weight F32 {n_embd, 1}, a zero
   cls.output.bias, rm.head.mean / rm.head.std, and the source model's general.name. */
RMDEF rm_result rm_head_save(const char *path, const float *w, int64_t n_embd, double mean, double std, const rm_gguf *src);

/* The template the scorer renders with (after RM_CHAT_AUTO is resolved). */
RMDEF int rm_scorer_template(const rm_scorer *s);

/* Score k responses (token ids) to one prompt. The prompt's KV is computed once per model and
   shared; the responses run batched against it. out[k] receives each result. */
RMDEF rm_result rm_score_ids(rm_scorer *s, const int32_t *prompt, int64_t n_prompt, const int32_t *const *responses,
                             const int64_t *n_responses, int64_t k, rm_score *out);


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
#include <float.h>
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

/* ---------------------------------------------------------------------------------------- */
/* 6. Tensor decoding and encoding                                                          */
/* ---------------------------------------------------------------------------------------- */
/* Every block format of ggml that rm.h reads, decoded bit for bit as ggml's dequantize_row_*
   does, and the reference quantizers (quantize_row_*_ref, no importance matrix) that
   llama-quantize runs, reproduced with the same float operations in the same order so that
   the bytes come out identical. Decoders: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K
   Q4_K Q5_K Q6_K IQ4_NL IQ4_XS Q8_K. Encoders: the same less IQ4_NL and IQ4_XS. All scalar:
   these are the reference versions that faster kernels are tested against.

   Bytes identical to llama-quantize's need IEEE float arithmetic without fused multiply-add
   contraction in the encoders: ggml-base is built without FMA, and a fused `a*b + c` rounds
   once instead of twice, which moves the K-quants' scale search. Pragmas switch contraction
   off for the encoders (GCC contracts by default outside ISO C modes: -std=gnu17, C++).
   Clang's -ffp-contract=fast and any compiler's -ffast-math override them; the encoders then
   still work, but their K-quant bytes may differ from llama.cpp's. The decoders are exact
   either way: every product they form fits a float's 24-bit mantissa.

   Block layouts: every field is a byte array, so a block can sit at any address (tensor data
   in a mapping is only as aligned as the file says) and multi-byte fields are read as
   little-endian, the GGUF byte order. The one exception is Q8_K, which never appears in a
   file: it is rm.h's own in-memory format for quantized activations, with native fields. */


#define RM__QK 32   /* elements per block of the 32-wide formats */
#define RM__QK_K 256 /* elements per super-block of the K-quants and IQ4_XS */

/* d: scale (fp16); qs: 32 unsigned 4-bit quants q, value d*(q-8); element j in the low
   nibble of qs[j], element j+16 in the high nibble. */
typedef struct rm__block_q4_0 { uint8_t d[2]; uint8_t qs[RM__QK / 2]; } rm__block_q4_0;
/* as Q4_0 with a minimum m (fp16): value d*q + m */
typedef struct rm__block_q4_1 { uint8_t d[2]; uint8_t m[2]; uint8_t qs[RM__QK / 2]; } rm__block_q4_1;
/* 5-bit quants: low 4 bits as Q4_0, bit 4 of element j is bit j of qh (LE u32); d*(q-16) */
typedef struct rm__block_q5_0 { uint8_t d[2]; uint8_t qh[4]; uint8_t qs[RM__QK / 2]; } rm__block_q5_0;
/* as Q5_0 with a minimum: d*q + m */
typedef struct rm__block_q5_1 { uint8_t d[2]; uint8_t m[2]; uint8_t qh[4]; uint8_t qs[RM__QK / 2]; } rm__block_q5_1;
/* d*q with signed 8-bit q */
typedef struct rm__block_q8_0 { uint8_t d[2]; int8_t qs[RM__QK]; } rm__block_q8_0;
/* 16 groups of 16: scales[g] low nibble = scale, high nibble = min (times d / dmin); 2-bit
   quants, four groups of 32 interleaved per 32 bytes of qs (shift 0, 2, 4, 6). */
typedef struct rm__block_q2_K {
    uint8_t scales[RM__QK_K / 16];
    uint8_t qs[RM__QK_K / 4];
    uint8_t d[2];
    uint8_t dmin[2];
} rm__block_q2_K;
/* 16 groups of 16 with 6-bit signed scales packed in 12 bytes; 2 low bits in qs as Q2_K,
   the third bit in hmask (a clear bit means subtract 4). */
typedef struct rm__block_q3_K {
    uint8_t hmask[RM__QK_K / 8];
    uint8_t qs[RM__QK_K / 4];
    uint8_t scales[12];
    uint8_t d[2];
} rm__block_q3_K;
/* 8 groups of 32 with 6-bit scale and min packed in 12 bytes (see rm__scale_min_k4);
   4-bit quants, groups 2k and 2k+1 share 32 bytes of qs (low, high nibble). */
typedef struct rm__block_q4_K {
    uint8_t d[2];
    uint8_t dmin[2];
    uint8_t scales[12];
    uint8_t qs[RM__QK_K / 2];
} rm__block_q4_K;
/* as Q4_K, plus a fifth bit per element in qh (bit 2k for group 2k, 2k+1 for 2k+1) */
typedef struct rm__block_q5_K {
    uint8_t d[2];
    uint8_t dmin[2];
    uint8_t scales[12];
    uint8_t qh[RM__QK_K / 8];
    uint8_t qs[RM__QK_K / 2];
} rm__block_q5_K;
/* 16 groups of 16 with int8 scales; 6-bit quants: 4 low bits in ql, 2 high bits in qh;
   value d*scale*(q-32). */
typedef struct rm__block_q6_K {
    uint8_t ql[RM__QK_K / 2];
    uint8_t qh[RM__QK_K / 4];
    int8_t scales[RM__QK_K / 16];
    uint8_t d[2];
} rm__block_q6_K;
/* Q4_0 layout, but the nibble indexes the non-linear table rm__iq4nl_values */
typedef struct rm__block_iq4_nl { uint8_t d[2]; uint8_t qs[RM__QK / 2]; } rm__block_iq4_nl;
/* 8 groups of 32 with 6-bit scales (low 4 bits in scales_l, high 2 in scales_h, LE u16),
   value d*(scale-32)*table[q] */
typedef struct rm__block_iq4_xs {
    uint8_t d[2];
    uint8_t scales_h[2];
    uint8_t scales_l[RM__QK_K / 64];
    uint8_t qs[RM__QK_K / 2];
} rm__block_iq4_xs;
/* Activations quantized for dot products with K-quant weights: value d*qs[j]; bsums[g] is
   the sum of qs over group g of 16. Native byte order and alignment (never in a file). */
typedef struct rm__block_q8_K {
    float d;
    int8_t qs[RM__QK_K];
    int16_t bsums[RM__QK_K / 16];
} rm__block_q8_K;

RM__STATIC_ASSERT(q4_0_size, sizeof(rm__block_q4_0) == 18);
RM__STATIC_ASSERT(q4_1_size, sizeof(rm__block_q4_1) == 20);
RM__STATIC_ASSERT(q5_0_size, sizeof(rm__block_q5_0) == 22);
RM__STATIC_ASSERT(q5_1_size, sizeof(rm__block_q5_1) == 24);
RM__STATIC_ASSERT(q8_0_size, sizeof(rm__block_q8_0) == 34);
RM__STATIC_ASSERT(q2_K_size, sizeof(rm__block_q2_K) == 84);
RM__STATIC_ASSERT(q3_K_size, sizeof(rm__block_q3_K) == 110);
RM__STATIC_ASSERT(q4_K_size, sizeof(rm__block_q4_K) == 144);
RM__STATIC_ASSERT(q5_K_size, sizeof(rm__block_q5_K) == 176);
RM__STATIC_ASSERT(q6_K_size, sizeof(rm__block_q6_K) == 210);
RM__STATIC_ASSERT(iq4_nl_size, sizeof(rm__block_iq4_nl) == 18);
RM__STATIC_ASSERT(iq4_xs_size, sizeof(rm__block_iq4_xs) == 136);
RM__STATIC_ASSERT(q8_K_size, sizeof(rm__block_q8_K) == 292);

/* The 16 levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl). */
static const int8_t rm__iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

static float rm__half(const uint8_t *p) { return rm__fp16_to_fp32(rm__rd16(p)); }
static void rm__q_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v & 0xff); p[1] = (uint8_t)(v >> 8); }
static void rm__q_put_half(uint8_t *p, float f) { rm__q_put16(p, rm__fp32_to_fp16(f)); }

/* 6-bit scale and min of group j (0..7) of a Q4_K/Q5_K block: groups 0-3 sit in the low 6
   bits of bytes j and j+4; groups 4-7 keep their low 4 bits in byte j+4 and their top 2 bits
   in the spare top bits of bytes j-4 and j. */
static void rm__scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = (uint8_t)(q[j] & 63);
        *m = (uint8_t)(q[j + 4] & 63);
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* ---- decoding: nb blocks from src to y (nb * block size floats) ---- */

static void rm__dequant_q4_0(const void *src, float *y, int64_t nb) {
    const rm__block_q4_0 *b = (const rm__block_q4_0 *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, y += RM__QK) {
        const float d = rm__half(b[i].d);
        for (j = 0; j < RM__QK / 2; j++) {
            y[j] = (float)((b[i].qs[j] & 0x0F) - 8) * d;
            y[j + RM__QK / 2] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void rm__dequant_q4_1(const void *src, float *y, int64_t nb) {
    const rm__block_q4_1 *b = (const rm__block_q4_1 *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, y += RM__QK) {
        const float d = rm__half(b[i].d), m = rm__half(b[i].m);
        for (j = 0; j < RM__QK / 2; j++) {
            y[j] = (float)(b[i].qs[j] & 0x0F) * d + m;
            y[j + RM__QK / 2] = (float)(b[i].qs[j] >> 4) * d + m;
        }
    }
}

static void rm__dequant_q5_0(const void *src, float *y, int64_t nb) {
    const rm__block_q5_0 *b = (const rm__block_q5_0 *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, y += RM__QK) {
        const float d = rm__half(b[i].d);
        const uint32_t qh = rm__rd32(b[i].qh);
        for (j = 0; j < RM__QK / 2; j++) {
            const int h0 = (int)((qh >> j) & 1u) << 4, h1 = (int)((qh >> (j + 16)) & 1u) << 4;
            y[j] = (float)(((b[i].qs[j] & 0x0F) | h0) - 16) * d;
            y[j + RM__QK / 2] = (float)(((b[i].qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

static void rm__dequant_q5_1(const void *src, float *y, int64_t nb) {
    const rm__block_q5_1 *b = (const rm__block_q5_1 *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, y += RM__QK) {
        const float d = rm__half(b[i].d), m = rm__half(b[i].m);
        const uint32_t qh = rm__rd32(b[i].qh);
        for (j = 0; j < RM__QK / 2; j++) {
            const int h0 = (int)((qh >> j) & 1u) << 4, h1 = (int)((qh >> (j + 16)) & 1u) << 4;
            y[j] = (float)((b[i].qs[j] & 0x0F) | h0) * d + m;
            y[j + RM__QK / 2] = (float)((b[i].qs[j] >> 4) | h1) * d + m;
        }
    }
}

static void rm__dequant_q8_0(const void *src, float *y, int64_t nb) {
    const rm__block_q8_0 *b = (const rm__block_q8_0 *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, y += RM__QK) {
        const float d = rm__half(b[i].d);
        for (j = 0; j < RM__QK; j++) y[j] = (float)b[i].qs[j] * d;
    }
}

static void rm__dequant_q2_K(const void *src, float *y, int64_t nb) {
    const rm__block_q2_K *b = (const rm__block_q2_K *)src;
    int64_t i;
    int half, k, l;
    for (i = 0; i < nb; i++) {
        const float d = rm__half(b[i].d), dmin = rm__half(b[i].dmin);
        for (half = 0; half < 2; half++) {
            const uint8_t *q = b[i].qs + 32 * half;
            for (k = 0; k < 8; k++) { /* group g = 8*half + k: bytes 16*(k&1).., shift 2*(k>>1) */
                const int shift = 2 * (k >> 1), off = 16 * (k & 1);
                const uint8_t sc = b[i].scales[8 * half + k];
                const float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
                for (l = 0; l < 16; l++) y[l] = dl * (float)((q[off + l] >> shift) & 3) - ml;
                y += 16;
            }
        }
    }
}

/* The 16 signed 6-bit scales of a Q3_K block (stored +32): low 4 bits in bytes 0-7 (groups
   0-7 low nibble, 8-15 high nibble), top 2 bits in bytes 8-11 (group g: byte 8 + g%4,
   bits 2*(g/4)). */
static void rm__q3_K_scales(const uint8_t *s, int *out) {
    int g;
    for (g = 0; g < 16; g++) {
        const int lo = g < 8 ? (s[g] & 0xF) : (s[g - 8] >> 4);
        const int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
        out[g] = (lo | (hi << 4)) - 32;
    }
}

static void rm__dequant_q3_K(const void *src, float *y, int64_t nb) {
    const rm__block_q3_K *b = (const rm__block_q3_K *)src;
    int64_t i;
    int half, k, l, sc[16];
    for (i = 0; i < nb; i++) {
        const float d = rm__half(b[i].d);
        rm__q3_K_scales(b[i].scales, sc);
        for (half = 0; half < 2; half++) {
            const uint8_t *q = b[i].qs + 32 * half;
            for (k = 0; k < 8; k++) {
                const int shift = 2 * (k >> 1), off = 16 * (k & 1);
                const uint8_t m = (uint8_t)(1u << (4 * half + (k >> 1)));
                const float dl = d * (float)sc[8 * half + k];
                for (l = 0; l < 16; l++) {
                    const int v = ((q[off + l] >> shift) & 3) - ((b[i].hmask[off + l] & m) ? 0 : 4);
                    y[l] = dl * (float)v;
                }
                y += 16;
            }
        }
    }
}

static void rm__dequant_q4_K(const void *src, float *y, int64_t nb) {
    const rm__block_q4_K *b = (const rm__block_q4_K *)src;
    int64_t i;
    int k, l;
    uint8_t sc, m;
    for (i = 0; i < nb; i++) {
        const float d = rm__half(b[i].d), dmin = rm__half(b[i].dmin);
        for (k = 0; k < 4; k++) {
            const uint8_t *q = b[i].qs + 32 * k;
            float d1, m1, d2, m2;
            rm__scale_min_k4(2 * k, b[i].scales, &sc, &m);
            d1 = d * (float)sc;
            m1 = dmin * (float)m;
            rm__scale_min_k4(2 * k + 1, b[i].scales, &sc, &m);
            d2 = d * (float)sc;
            m2 = dmin * (float)m;
            for (l = 0; l < 32; l++) y[l] = d1 * (float)(q[l] & 0xF) - m1;
            for (l = 0; l < 32; l++) y[32 + l] = d2 * (float)(q[l] >> 4) - m2;
            y += 64;
        }
    }
}

static void rm__dequant_q5_K(const void *src, float *y, int64_t nb) {
    const rm__block_q5_K *b = (const rm__block_q5_K *)src;
    int64_t i;
    int k, l;
    uint8_t sc, m;
    for (i = 0; i < nb; i++) {
        const float d = rm__half(b[i].d), dmin = rm__half(b[i].dmin);
        for (k = 0; k < 4; k++) {
            const uint8_t *q = b[i].qs + 32 * k, *qh = b[i].qh;
            const uint8_t u1 = (uint8_t)(1u << (2 * k)), u2 = (uint8_t)(2u << (2 * k));
            float d1, m1, d2, m2;
            rm__scale_min_k4(2 * k, b[i].scales, &sc, &m);
            d1 = d * (float)sc;
            m1 = dmin * (float)m;
            rm__scale_min_k4(2 * k + 1, b[i].scales, &sc, &m);
            d2 = d * (float)sc;
            m2 = dmin * (float)m;
            for (l = 0; l < 32; l++) y[l] = d1 * (float)((q[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
            for (l = 0; l < 32; l++) y[32 + l] = d2 * (float)((q[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
            y += 64;
        }
    }
}

static void rm__dequant_q6_K(const void *src, float *y, int64_t nb) {
    const rm__block_q6_K *b = (const rm__block_q6_K *)src;
    int64_t i;
    int half, l;
    for (i = 0; i < nb; i++) {
        const float d = rm__half(b[i].d);
        for (half = 0; half < 2; half++) {
            const uint8_t *ql = b[i].ql + 64 * half, *qh = b[i].qh + 32 * half;
            const int8_t *sc = b[i].scales + 8 * half;
            for (l = 0; l < 32; l++) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                /* (d * scale) * q, in ggml's order */
                y[l] = d * (float)sc[is] * (float)q1;
                y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                y[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
            y += 128;
        }
    }
}

static void rm__dequant_iq4_nl(const void *src, float *y, int64_t nb) {
    const rm__block_iq4_nl *b = (const rm__block_iq4_nl *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, y += RM__QK) {
        const float d = rm__half(b[i].d);
        for (j = 0; j < RM__QK / 2; j++) {
            y[j] = d * (float)rm__iq4nl_values[b[i].qs[j] & 0xF];
            y[j + RM__QK / 2] = d * (float)rm__iq4nl_values[b[i].qs[j] >> 4];
        }
    }
}

static void rm__dequant_iq4_xs(const void *src, float *y, int64_t nb) {
    const rm__block_iq4_xs *b = (const rm__block_iq4_xs *)src;
    int64_t i;
    int g, j;
    for (i = 0; i < nb; i++) {
        const float d = rm__half(b[i].d);
        const unsigned sh = rm__rd16(b[i].scales_h);
        for (g = 0; g < RM__QK_K / 32; g++) {
            const uint8_t *qs = b[i].qs + 16 * g;
            const int ls = ((b[i].scales_l[g / 2] >> (4 * (g % 2))) & 0xF) | (int)(((sh >> (2 * g)) & 3u) << 4);
            const float dl = d * (float)(ls - 32);
            for (j = 0; j < 16; j++) {
                y[j] = dl * (float)rm__iq4nl_values[qs[j] & 0xF];
                y[j + 16] = dl * (float)rm__iq4nl_values[qs[j] >> 4];
            }
            y += 32;
        }
    }
}

static void rm__dequant_q8_K(const void *src, float *y, int64_t nb) {
    const uint8_t *p = (const uint8_t *)src;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, p += sizeof(rm__block_q8_K), y += RM__QK_K) {
        float d;
        memcpy(&d, p + offsetof(rm__block_q8_K, d), sizeof(d));
        for (j = 0; j < RM__QK_K; j++) y[j] = d * (float)(int8_t)p[offsetof(rm__block_q8_K, qs) + (size_t)j];
    }
}

/* Elements and bytes per block for the block formats handled here (Q8_K included, which the
   GGUF type table marks unreadable because it is never stored in files). */
static int rm__quant_block(int type, int64_t *blck, size_t *bytes) {
    if (type == RM_TYPE_Q8_K) {
        *blck = RM__QK_K;
        *bytes = sizeof(rm__block_q8_K);
        return 1;
    }
    if (type < 0 || type >= RM_TYPE_COUNT || !rm__types[type].supported) return 0;
    *blck = rm__types[type].blck;
    *bytes = rm__types[type].bytes;
    return 1;
}

RMDEF void rm_dequantize_row(int type, const void *src, float *dst, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    int64_t i, blck = 1, nb, done;
    size_t bytes = 0;
    if (!dst || n <= 0) return;
    if (!src || !rm__quant_block(type, &blck, &bytes)) {
        for (i = 0; i < n; i++) dst[i] = 0.0f;
        return;
    }
    nb = n / blck;
    switch (type) {
    case RM_TYPE_F32: memcpy(dst, src, (size_t)nb * 4); break;
    case RM_TYPE_F16: for (i = 0; i < nb; i++) dst[i] = rm__fp16_to_fp32(rm__rd16(p + 2 * i)); break;
    case RM_TYPE_BF16: for (i = 0; i < nb; i++) dst[i] = rm__bf16_to_fp32(rm__rd16(p + 2 * i)); break;
    case RM_TYPE_Q4_0: rm__dequant_q4_0(src, dst, nb); break;
    case RM_TYPE_Q4_1: rm__dequant_q4_1(src, dst, nb); break;
    case RM_TYPE_Q5_0: rm__dequant_q5_0(src, dst, nb); break;
    case RM_TYPE_Q5_1: rm__dequant_q5_1(src, dst, nb); break;
    case RM_TYPE_Q8_0: rm__dequant_q8_0(src, dst, nb); break;
    case RM_TYPE_Q2_K: rm__dequant_q2_K(src, dst, nb); break;
    case RM_TYPE_Q3_K: rm__dequant_q3_K(src, dst, nb); break;
    case RM_TYPE_Q4_K: rm__dequant_q4_K(src, dst, nb); break;
    case RM_TYPE_Q5_K: rm__dequant_q5_K(src, dst, nb); break;
    case RM_TYPE_Q6_K: rm__dequant_q6_K(src, dst, nb); break;
    case RM_TYPE_IQ4_NL: rm__dequant_iq4_nl(src, dst, nb); break;
    case RM_TYPE_IQ4_XS: rm__dequant_iq4_xs(src, dst, nb); break;
    case RM_TYPE_Q8_K: rm__dequant_q8_K(src, dst, nb); break;
    default: nb = 0; break; /* a type the table supports but no decoder exists for */
    }
    /* a partial trailing block (a caller error) reads as zeros rather than garbage */
    for (done = nb * blck; done < n; done++) dst[done] = 0.0f;
}

/* ---- encoding: the reference quantizers ---- */

/* No FMA contraction from here to the end of the section (see the top of the section). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

/* Round to nearest, ties to even, by ggml's trick of adding 1.5*2^23 and reading the
   mantissa. Meaningful for |f| < 2^22; beyond that (or for NaN) it returns the same
   arbitrary level ggml's does, which the callers then clamp as ggml does. */
static int rm__nearest_int(float f) {
    const float v = f + 12582912.f;
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/* Below this a group counts as all zero (ggml's GROUP_MAX_EPS). */
#define RM__GROUP_MAX_EPS 1e-15f

static void rm__quant_q8_0(const float *x, void *dst, int64_t nb) {
    rm__block_q8_0 *y = (rm__block_q8_0 *)dst;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, x += RM__QK) {
        float amax = 0.0f, d, id;
        for (j = 0; j < RM__QK; j++) amax = RM__MAX(amax, fabsf(x[j]));
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        rm__q_put_half(y[i].d, d);
        for (j = 0; j < RM__QK; j++) y[i].qs[j] = (int8_t)(int)roundf(x[j] * id);
    }
}

/* Q4_0 and Q5_0: the scale maps the element of largest magnitude, with its sign, to the most
   negative level, so that level is used exactly. */
static float rm__signed_absmax(const float *x, int n) {
    float amax = 0.0f, max = 0.0f;
    int j;
    for (j = 0; j < n; j++)
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    return max;
}

static void rm__quant_q4_0(const float *x, void *dst, int64_t nb) {
    rm__block_q4_0 *y = (rm__block_q4_0 *)dst;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, x += RM__QK) {
        const float d = rm__signed_absmax(x, RM__QK) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        rm__q_put_half(y[i].d, d);
        for (j = 0; j < RM__QK / 2; j++) {
            const int q0 = RM__MIN(15, (int)(x[j] * id + 8.5f));
            const int q1 = RM__MIN(15, (int)(x[j + RM__QK / 2] * id + 8.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void rm__quant_q5_0(const float *x, void *dst, int64_t nb) {
    rm__block_q5_0 *y = (rm__block_q5_0 *)dst;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, x += RM__QK) {
        const float d = rm__signed_absmax(x, RM__QK) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        uint32_t qh = 0;
        rm__q_put_half(y[i].d, d);
        for (j = 0; j < RM__QK / 2; j++) {
            const int q0 = RM__MIN(31, (int)(x[j] * id + 16.5f));
            const int q1 = RM__MIN(31, (int)(x[j + RM__QK / 2] * id + 16.5f));
            y[i].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= (uint32_t)((q0 >> 4) & 1) << j;
            qh |= (uint32_t)((q1 >> 4) & 1) << (j + RM__QK / 2);
        }
        rm__q_put16(y[i].qh, (uint16_t)(qh & 0xffffu));
        rm__q_put16(y[i].qh + 2, (uint16_t)(qh >> 16));
    }
}

/* Q4_1 and Q5_1: levels 0..nmax spread from the minimum to the maximum of the block. */
static void rm__min_max(const float *x, int n, float *mn, float *mx) {
    float lo = FLT_MAX, hi = -FLT_MAX;
    int j;
    for (j = 0; j < n; j++) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
    *mn = lo;
    *mx = hi;
}

static void rm__quant_q4_1(const float *x, void *dst, int64_t nb) {
    rm__block_q4_1 *y = (rm__block_q4_1 *)dst;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, x += RM__QK) {
        float mn, mx, d, id;
        rm__min_max(x, RM__QK, &mn, &mx);
        d = (mx - mn) / 15.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        rm__q_put_half(y[i].d, d);
        rm__q_put_half(y[i].m, mn);
        for (j = 0; j < RM__QK / 2; j++) {
            const int q0 = RM__MIN(15, (int)((x[j] - mn) * id + 0.5f));
            const int q1 = RM__MIN(15, (int)((x[j + RM__QK / 2] - mn) * id + 0.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void rm__quant_q5_1(const float *x, void *dst, int64_t nb) {
    rm__block_q5_1 *y = (rm__block_q5_1 *)dst;
    int64_t i;
    int j;
    for (i = 0; i < nb; i++, x += RM__QK) {
        float mn, mx, d, id;
        uint32_t qh = 0;
        rm__min_max(x, RM__QK, &mn, &mx);
        d = (mx - mn) / 31.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        rm__q_put_half(y[i].d, d);
        rm__q_put_half(y[i].m, mn);
        for (j = 0; j < RM__QK / 2; j++) {
            /* no clamp, as in ggml: the top level is reached only up to rounding */
            const int q0 = (uint8_t)(int)((x[j] - mn) * id + 0.5f);
            const int q1 = (uint8_t)(int)((x[j + RM__QK / 2] - mn) * id + 0.5f);
            y[i].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= (uint32_t)((q0 >> 4) & 1) << j;
            qh |= (uint32_t)((q1 >> 4) & 1) << (j + RM__QK / 2);
        }
        rm__q_put16(y[i].qh, (uint16_t)(qh & 0xffffu));
        rm__q_put16(y[i].qh + 2, (uint16_t)(qh >> 16));
    }
}

/* ggml's make_qkx2_quants: fit x[0..n) ~ scale*L - min with L in 0..nmax, min >= 0, by
   trying nstep+1 scales around nmax/(max-min) and solving weighted least squares for scale
   and min at each; keeps the fit of least weighted error (absolute if use_mad, else
   squared). */
static float rm__make_qkx2_quants(int n, int nmax, const float *x, const float *w, uint8_t *L, float *the_min,
                                  uint8_t *Laux, float rmin, float rdelta, int nstep, int use_mad) {
    float min = x[0], max = x[0], sum_w = w[0], sum_x = sum_w * x[0];
    float iscale, scale, best_error = 0.0f;
    int i, is;
    for (i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (i = 0; i < n; i++) L[i] = 0;
        *the_min = -min;
        return 0.0f;
    }
    iscale = (float)nmax / (max - min);
    scale = 1 / iscale;
    for (i = 0; i < n; i++) {
        const int l = rm__nearest_int(iscale * (x[i] - min));
        float diff;
        L[i] = (uint8_t)RM__MAX(0, RM__MIN(nmax, l));
        diff = scale * (float)L[i] + min - x[i];
        best_error += w[i] * (use_mad ? fabsf(diff) : diff * diff);
    }
    for (is = 0; is <= nstep; is++) {
        float sum_l = 0, sum_l2 = 0, sum_xl = 0, D;
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        for (i = 0; i < n; i++) {
            int l = rm__nearest_int(iscale * (x[i] - min));
            l = RM__MAX(0, RM__MIN(nmax, l));
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * (float)l;
            sum_l2 += w[i] * (float)l * (float)l;
            sum_xl += w[i] * (float)l * x[i];
        }
        D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            float cur_error = 0;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            for (i = 0; i < n; i++) {
                const float diff = this_scale * (float)Laux[i] + this_min - x[i];
                cur_error += w[i] * (use_mad ? fabsf(diff) : diff * diff);
            }
            if (cur_error < best_error) {
                for (i = 0; i < n; i++) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

/* ggml's make_qx_quants with x^2 weights (rmse_type 1): symmetric levels -nmax..nmax-1
   (stored +nmax) whose scale maps the largest-magnitude element to -nmax; 18 nearby scales
   are tried and the one of least weighted squared error kept. */
static float rm__make_qx_quants(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0, iscale, sumlx = 0, suml2 = 0, scale, best;
    int i, is;
    for (i = 0; i < n; i++) {
        const float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < RM__GROUP_MAX_EPS) {
        for (i = 0; i < n; i++) L[i] = 0;
        return 0.0f;
    }
    iscale = (float)-nmax / max;
    for (i = 0; i < n; i++) {
        int l = rm__nearest_int(iscale * x[i]);
        const float w = x[i] * x[i];
        l = RM__MAX(-nmax, RM__MIN(nmax - 1, l));
        L[i] = (int8_t)(l + nmax);
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    best = scale * sumlx;
    for (is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -((float)nmax + 0.1f * (float)is) / max;
        sumlx = suml2 = 0;
        for (i = 0; i < n; i++) {
            int l = rm__nearest_int(iscale * x[i]);
            const float w = x[i] * x[i];
            l = RM__MAX(-nmax, RM__MIN(nmax - 1, l));
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (i = 0; i < n; i++) {
                const int l = rm__nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + RM__MAX(-nmax, RM__MIN(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* ggml's make_q3_quants with x^2 weights: levels -nmax..nmax-1 (stored +nmax) from the
   scale of the largest magnitude, then up to 5 passes moving single elements to the level
   that most improves the weighted least-squares fit. */
static float rm__make_q3_quants(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0, iscale, sumlx = 0, suml2 = 0;
    int i, itry;
    for (i = 0; i < n; i++) {
        const float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < RM__GROUP_MAX_EPS) {
        for (i = 0; i < n; i++) L[i] = 0;
        return 0.0f;
    }
    iscale = (float)-nmax / max;
    for (i = 0; i < n; i++) {
        const float w = x[i] * x[i];
        int l = rm__nearest_int(iscale * x[i]);
        l = RM__MAX(-nmax, RM__MIN(nmax - 1, l));
        L[i] = (int8_t)l;
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    for (itry = 0; itry < 5; itry++) {
        int n_changed = 0;
        for (i = 0; i < n; i++) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * (float)L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * (float)L[i] * (float)L[i];
                int new_l = rm__nearest_int(x[i] * sl2 / slx);
                new_l = RM__MAX(-nmax, RM__MIN(nmax - 1, new_l));
                if (new_l != L[i]) {
                    slx += w * x[i] * (float)new_l;
                    sl2 += w * (float)new_l * (float)new_l;
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)new_l;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed++;
                    }
                }
            }
        }
        if (!n_changed) break;
    }
    for (i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* Q2_K and Q3_K keep four 2-bit quants per byte: groups of 32 at shifts 0, 2, 4, 6. */
static void rm__pack_2bit(const uint8_t *L, uint8_t *qs) {
    int j, l;
    for (j = 0; j < RM__QK_K; j += 128)
        for (l = 0; l < 32; l++)
            qs[j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

/* Q2_K: per group of 16 a scale and a min fitted on absolute error, each quantized to 4 bits
   against the block's largest (q4scale 15). */
static void rm__quant_q2_K(const float *x, void *dst, int64_t nb) {
    rm__block_q2_K *y = (rm__block_q2_K *)dst;
    uint8_t L[RM__QK_K], Laux[16];
    float weights[16], mins[16], scales[16];
    int64_t i;
    int j, l;
    for (i = 0; i < nb; i++, x += RM__QK_K) {
        float max_scale = 0, max_min = 0, dd, dm;
        for (j = 0; j < 16; j++) {
            for (l = 0; l < 16; l++) weights[l] = fabsf(x[16 * j + l]);
            scales[j] = rm__make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, 1);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0) {
            const float iscale = 15.f / max_scale;
            for (j = 0; j < 16; j++) y[i].scales[j] = (uint8_t)rm__nearest_int(iscale * scales[j]);
            rm__q_put_half(y[i].d, max_scale / 15.f);
        } else {
            for (j = 0; j < 16; j++) y[i].scales[j] = 0;
            rm__q_put_half(y[i].d, 0.f);
        }
        if (max_min > 0) {
            const float iscale = 15.f / max_min;
            for (j = 0; j < 16; j++) y[i].scales[j] |= (uint8_t)(rm__nearest_int(iscale * mins[j]) << 4);
            rm__q_put_half(y[i].dmin, max_min / 15.f);
        } else {
            rm__q_put_half(y[i].dmin, 0.f);
        }
        dd = rm__half(y[i].d);
        dm = rm__half(y[i].dmin);
        for (j = 0; j < 16; j++) {
            const float d = dd * (float)(y[i].scales[j] & 0xF);
            float m;
            if (d == 0.0f) continue;
            m = dm * (float)(y[i].scales[j] >> 4);
            for (l = 0; l < 16; l++) {
                const int q = rm__nearest_int((x[16 * j + l] + m) / d);
                L[16 * j + l] = (uint8_t)RM__MAX(0, RM__MIN(3, q));
            }
        }
        rm__pack_2bit(L, y[i].qs);
    }
}

/* Q3_K: per group of 16 a signed scale from make_q3_quants, quantized to 6 bits against the
   largest magnitude (which maps to -32); the third bit of each quant goes to hmask. */
static void rm__quant_q3_K(const float *x, void *dst, int64_t nb) {
    rm__block_q3_K *y = (rm__block_q3_K *)dst;
    int8_t L[RM__QK_K];
    uint8_t U[RM__QK_K];
    float scales[16];
    int sc[16];
    int64_t i;
    int j, l;
    for (i = 0; i < nb; i++, x += RM__QK_K) {
        float max_scale = 0, amax = 0, dd;
        int m, hm;
        for (j = 0; j < 16; j++) {
            scales[j] = rm__make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
            if (fabsf(scales[j]) > amax) {
                amax = fabsf(scales[j]);
                max_scale = scales[j];
            }
        }
        memset(y[i].scales, 0, sizeof(y[i].scales));
        if (max_scale != 0.0f) {
            const float iscale = -32.f / max_scale;
            for (j = 0; j < 16; j++) {
                const int q = RM__MAX(-32, RM__MIN(31, rm__nearest_int(iscale * scales[j]))) + 32;
                if (j < 8) y[i].scales[j] = (uint8_t)(q & 0xF);
                else y[i].scales[j - 8] |= (uint8_t)((q & 0xF) << 4);
                y[i].scales[j % 4 + 8] |= (uint8_t)((q >> 4) << (2 * (j / 4)));
            }
            rm__q_put_half(y[i].d, 1 / iscale);
        } else {
            rm__q_put_half(y[i].d, 0.f);
        }
        dd = rm__half(y[i].d);
        rm__q3_K_scales(y[i].scales, sc);
        for (j = 0; j < 16; j++) {
            const float d = dd * (float)sc[j];
            if (d == 0.0f) continue;
            for (l = 0; l < 16; l++) {
                const int q = rm__nearest_int(x[16 * j + l] / d);
                L[16 * j + l] = (int8_t)(RM__MAX(-4, RM__MIN(3, q)) + 4);
            }
        }
        /* bit 2 of element j goes to hmask[j % 32], bit j / 32 */
        memset(y[i].hmask, 0, sizeof(y[i].hmask));
        for (j = 0, m = 0, hm = 1; j < RM__QK_K; j++) {
            U[j] = (uint8_t)L[j];
            if (U[j] > 3) {
                y[i].hmask[m] |= (uint8_t)hm;
                U[j] = (uint8_t)(U[j] - 4);
            }
            if (++m == RM__QK_K / 8) {
                m = 0;
                hm <<= 1;
            }
        }
        rm__pack_2bit(U, y[i].qs);
    }
}

/* Q4_K (nmax 15) and Q5_K (nmax 31): per group of 32 a scale and a min from make_qkx2_quants,
   both quantized to 6 bits against the block's largest, then the elements re-quantized
   with the scales as stored. */
static void rm__quant_qk_k(const float *x, uint8_t *d_out, uint8_t *dmin_out, uint8_t *scales, uint8_t *L,
                           int nmax, float rmin, float rdelta, int nstep) {
    float weights[32], mins[8], sc[8], max_scale = 0, max_min = 0, inv_scale, inv_min, dd, dm;
    uint8_t Laux[32], ls, lm;
    int j, l;
    for (j = 0; j < 8; j++) {
        float sum_x2 = 0, av_x;
        for (l = 0; l < 32; l++) sum_x2 += x[32 * j + l] * x[32 * j + l];
        av_x = sqrtf(sum_x2 / 32);
        for (l = 0; l < 32; l++) weights[l] = av_x + fabsf(x[32 * j + l]);
        sc[j] = rm__make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, rdelta, nstep, 0);
        if (sc[j] > max_scale) max_scale = sc[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (j = 0; j < 8; j++) {
        ls = (uint8_t)rm__nearest_int(inv_scale * sc[j]);
        lm = (uint8_t)rm__nearest_int(inv_min * mins[j]);
        ls = RM__MIN(63, ls);
        lm = RM__MIN(63, lm);
        if (j < 4) {
            scales[j] = ls;
            scales[j + 4] = lm;
        } else {
            scales[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
            scales[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    rm__q_put_half(d_out, max_scale / 63.f);
    rm__q_put_half(dmin_out, max_min / 63.f);
    dd = rm__half(d_out);
    dm = rm__half(dmin_out);
    for (j = 0; j < 8; j++) {
        float d, m;
        rm__scale_min_k4(j, scales, &ls, &lm);
        d = dd * (float)ls;
        if (d == 0.0f) continue;
        m = dm * (float)lm;
        for (l = 0; l < 32; l++) {
            const int q = rm__nearest_int((x[32 * j + l] + m) / d);
            L[32 * j + l] = (uint8_t)RM__MAX(0, RM__MIN(nmax, q));
        }
    }
}

static void rm__quant_q4_K(const float *x, void *dst, int64_t nb) {
    rm__block_q4_K *y = (rm__block_q4_K *)dst;
    uint8_t L[RM__QK_K];
    int64_t i;
    int j, l;
    for (i = 0; i < nb; i++, x += RM__QK_K) {
        rm__quant_qk_k(x, y[i].d, y[i].dmin, y[i].scales, L, 15, -1.0f, 0.1f, 20);
        for (j = 0; j < 4; j++)
            for (l = 0; l < 32; l++) y[i].qs[32 * j + l] = (uint8_t)(L[64 * j + l] | (L[64 * j + l + 32] << 4));
    }
}

static void rm__quant_q5_K(const float *x, void *dst, int64_t nb) {
    rm__block_q5_K *y = (rm__block_q5_K *)dst;
    uint8_t L[RM__QK_K];
    int64_t i;
    int j, l;
    for (i = 0; i < nb; i++, x += RM__QK_K) {
        rm__quant_qk_k(x, y[i].d, y[i].dmin, y[i].scales, L, 31, -0.5f, 0.1f, 15);
        memset(y[i].qh, 0, sizeof(y[i].qh));
        for (j = 0; j < 4; j++)
            for (l = 0; l < 32; l++) {
                const int l1 = L[64 * j + l], l2 = L[64 * j + l + 32];
                y[i].qs[32 * j + l] = (uint8_t)((l1 & 0xF) | ((l2 & 0xF) << 4));
                y[i].qh[l] |= (uint8_t)(((l1 >> 4) << (2 * j)) | ((l2 >> 4) << (2 * j + 1)));
            }
    }
}

static void rm__quant_q6_K(const float *x, void *dst, int64_t nb) {
    rm__block_q6_K *y = (rm__block_q6_K *)dst;
    int8_t L[RM__QK_K];
    float scales[RM__QK_K / 16];
    int64_t i;
    int g, l, half;
    for (i = 0; i < nb; i++, x += RM__QK_K) {
        float max_scale = 0, max_abs_scale = 0, iscale, dd;
        for (g = 0; g < RM__QK_K / 16; g++) {
            scales[g] = rm__make_qx_quants(16, 32, x + 16 * g, L + 16 * g);
            if (fabsf(scales[g]) > max_abs_scale) {
                max_abs_scale = fabsf(scales[g]);
                max_scale = scales[g];
            }
        }
        if (max_abs_scale < RM__GROUP_MAX_EPS) {
            memset(&y[i], 0, sizeof(y[i]));
            continue;
        }
        iscale = -128.f / max_scale;
        rm__q_put_half(y[i].d, 1 / iscale);
        for (g = 0; g < RM__QK_K / 16; g++) y[i].scales[g] = (int8_t)RM__MIN(127, rm__nearest_int(iscale * scales[g]));
        dd = rm__half(y[i].d);
        for (g = 0; g < RM__QK_K / 16; g++) {
            const float d = dd * (float)y[i].scales[g];
            if (d == 0.0f) continue;
            for (l = 0; l < 16; l++) {
                const int q = rm__nearest_int(x[16 * g + l] / d);
                L[16 * g + l] = (int8_t)(RM__MAX(-32, RM__MIN(31, q)) + 32);
            }
        }
        for (half = 0; half < 2; half++) {
            const int8_t *Lh = L + 128 * half;
            uint8_t *ql = y[i].ql + 64 * half, *qh = y[i].qh + 32 * half;
            for (l = 0; l < 32; l++) {
                ql[l] = (uint8_t)((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
                ql[l + 32] = (uint8_t)((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
                qh[l] = (uint8_t)((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) |
                                  ((Lh[l + 96] >> 4) << 6));
            }
        }
    }
}

/* Q8_K: the element of largest magnitude maps to -127 (not -128, so that a negated block
   still fits), bsums pre-summed for the K-quant dot products. */
static void rm__quant_q8_K(const float *x, void *dst, int64_t nb) {
    uint8_t *p = (uint8_t *)dst;
    int64_t i;
    int j, g;
    for (i = 0; i < nb; i++, x += RM__QK_K, p += sizeof(rm__block_q8_K)) {
        rm__block_q8_K b;
        float max = 0, amax = 0, iscale;
        memset(&b, 0, sizeof(b));
        for (j = 0; j < RM__QK_K; j++)
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        if (amax != 0.0f) {
            iscale = -127.f / max;
            for (j = 0; j < RM__QK_K; j++) b.qs[j] = (int8_t)RM__MIN(127, rm__nearest_int(iscale * x[j]));
            for (g = 0; g < RM__QK_K / 16; g++) {
                int sum = 0;
                for (j = 0; j < 16; j++) sum += b.qs[16 * g + j];
                b.bsums[g] = (int16_t)sum;
            }
            b.d = 1 / iscale;
        }
        /* copied whole so that dst need not be aligned for float */
        memcpy(p, &b, sizeof(b));
    }
}

RMDEF size_t rm_quantize_row(int type, const float *src, void *dst, int64_t n) {
    uint8_t *p = (uint8_t *)dst;
    int64_t i, blck = 1, nb;
    size_t bytes = 0;
    if (!src || !dst || n <= 0 || !rm__quant_block(type, &blck, &bytes) || n % blck != 0) return 0;
    nb = n / blck;
    switch (type) {
    case RM_TYPE_F32: memcpy(dst, src, (size_t)n * 4); break;
    case RM_TYPE_F16: for (i = 0; i < n; i++) rm__q_put16(p + 2 * i, rm__fp32_to_fp16(src[i])); break;
    case RM_TYPE_BF16: for (i = 0; i < n; i++) rm__q_put16(p + 2 * i, rm__fp32_to_bf16(src[i])); break;
    case RM_TYPE_Q4_0: rm__quant_q4_0(src, dst, nb); break;
    case RM_TYPE_Q4_1: rm__quant_q4_1(src, dst, nb); break;
    case RM_TYPE_Q5_0: rm__quant_q5_0(src, dst, nb); break;
    case RM_TYPE_Q5_1: rm__quant_q5_1(src, dst, nb); break;
    case RM_TYPE_Q8_0: rm__quant_q8_0(src, dst, nb); break;
    case RM_TYPE_Q2_K: rm__quant_q2_K(src, dst, nb); break;
    case RM_TYPE_Q3_K: rm__quant_q3_K(src, dst, nb); break;
    case RM_TYPE_Q4_K: rm__quant_q4_K(src, dst, nb); break;
    case RM_TYPE_Q5_K: rm__quant_q5_K(src, dst, nb); break;
    case RM_TYPE_Q6_K: rm__quant_q6_K(src, dst, nb); break;
    case RM_TYPE_Q8_K: rm__quant_q8_K(src, dst, nb); break;
    default: return 0;
    }
    return (size_t)nb * bytes;
}

#if defined(__clang__)
#pragma STDC FP_CONTRACT DEFAULT
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

/* ---------------------------------------------------------------------------------------- */
/* 7. Tokenizer                                                                             */
/* ---------------------------------------------------------------------------------------- */
#include "wip/tok.h"

/* ---------------------------------------------------------------------------------------- */
/* 8. Chat templates                                                                        */
/* ---------------------------------------------------------------------------------------- */
/* Each family below is a transcription of its Jinja template for string contents, written
   from the template's semantics (Jinja2 as transformers configures it: trim_blocks and
   lstrip_blocks on, so block tags leave no newlines). The comment before each renderer
   names the template text it follows. Output goes through rm__chat_out, which keeps counting
   past the end of the caller's buffer so that one call reports the size needed. */

static const char *const rm__chat_names[RM_CHAT_COUNT] = {
    "none", "chatml", "qwen2", "qwen2.5", "qwen3", "llama2", "llama3", "llama3-legacy", "llama3.1",
    "gemma", "gemma3", "mistral", "mistral-v1", "mistral-v3", "phi3", "zephyr", "tulu", "deepseek",
    "deepseek-coder"};

RMDEF const char *rm_chat_template_name(int tmpl) {
    return tmpl >= 0 && tmpl < RM_CHAT_COUNT ? rm__chat_names[tmpl] : NULL;
}

RMDEF int rm_chat_template_from_name(const char *name) {
    int i;
    if (!name) return -1;
    for (i = 0; i < RM_CHAT_COUNT; i++)
        if (strcmp(name, rm__chat_names[i]) == 0) return i;
    return -1;
}

/* ---- detection ---- */

static int rm__chat_has(const char *src, size_t len, const char *needle) {
    size_t n = strlen(needle), i;
    if (n == 0 || n > len) return n == 0;
    for (i = 0; i + n <= len; i++)
        if (src[i] == needle[0] && memcmp(src + i, needle, n) == 0) return 1;
    return 0;
}

static size_t rm__chat_count(const char *src, size_t len, const char *needle) {
    size_t n = strlen(needle), i, c = 0;
    if (n == 0 || n > len) return 0;
    for (i = 0; i + n <= len; i++)
        if (memcmp(src + i, needle, n) == 0) { c++; i += n - 1; }
    return c;
}

/* The tests are ordered from the most specific text to the most generic, as several
   families share markers (<|im_start|>, [INST], <|assistant|>). */
static int rm__chat_detect(const char *s, size_t n) {
#define RM__HAS(x) rm__chat_has(s, n, x)
    if (RM__HAS("<|im_start|>")) {
        if (RM__HAS("<|im_sep|>")) return -1; /* Phi-4: another layout */
        if (RM__HAS("</think>") && RM__HAS("reasoning_content") && RM__HAS("last_query_index")) return RM_CHAT_QWEN3;
        if (RM__HAS("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")) return RM_CHAT_QWEN25;
        if (RM__HAS("You are a helpful assistant.") && RM__HAS("loop.first and messages[0]['role'] != 'system'"))
            return RM_CHAT_QWEN2;
        if (RM__HAS("<think>") || RM__HAS("tools") || RM__HAS("You are")) return -1; /* chatml with extras */
        return RM_CHAT_CHATML;
    }
    if (RM__HAS("<|start_header_id|>") && RM__HAS("<|end_header_id|>")) {
        if (RM__HAS("Cutting Knowledge Date")) return RM_CHAT_LLAMA31;
        if (RM__HAS("add_generation_prompt")) return RM_CHAT_LLAMA3;
        return RM_CHAT_LLAMA3_LEGACY;
    }
    if (RM__HAS("<start_of_turn>")) {
        if (RM__HAS("first_user_prefix")) return RM_CHAT_GEMMA3;
        if (RM__HAS("System role not supported")) return RM_CHAT_GEMMA;
        return -1;
    }
    if (RM__HAS("[INST]")) {
        if (RM__HAS("<<SYS>>")) return RM_CHAT_LLAMA2;
        if (RM__HAS("[SYSTEM_PROMPT]")) return -1; /* Mistral v7 */
        if (RM__HAS("[AVAILABLE_TOOLS]")) return RM__HAS("\"[INST] \"") ? RM_CHAT_MISTRAL_V3 : -1; /* tekken: -1 */
        if (RM__HAS("system_message")) return RM__HAS("' [INST] '") ? RM_CHAT_MISTRAL_V1 : -1;
        if (RM__HAS("'[INST] '")) return RM_CHAT_MISTRAL;
        return -1;
    }
    if (RM__HAS("<|assistant|>") && RM__HAS("<|end|>")) {
        /* Phi-3 mini/medium only: Phi-3-small and 3.5 print every role (and a system turn).
           Jinja strings may hold "\n" escaped or as a raw newline, so only markers count. */
        if (RM__HAS("<|user|>") && !RM__HAS("<|system|>") && !RM__HAS("'|>'")) return RM_CHAT_PHI3;
        return -1;
    }
    if (RM__HAS("<|user|>") && RM__HAS("<|assistant|>")) {
        if (rm__chat_count(s, n, "message['content'] + eos_token") >= 3) return RM_CHAT_ZEPHYR;
        if (RM__HAS("not loop.last") && RM__HAS("<|system|>")) return RM_CHAT_TULU;
        return -1;
    }
    if (RM__HAS("### Instruction:") && RM__HAS("### Response:") && RM__HAS("Deepseek Coder")) return RM_CHAT_DEEPSEEK_CODER;
    if (RM__HAS("'User: '") && RM__HAS("'Assistant: '")) return RM_CHAT_DEEPSEEK;
    return -1;
#undef RM__HAS
}

RMDEF rm_result rm_chat_template_detect(const char *src, size_t len, int *out, char *err, size_t errcap) {
    int t;
    if (out) *out = RM_CHAT_NONE;
    if (err && errcap) err[0] = 0;
    if (!out || (!src && len)) return rm__fail(err, errcap, RM_ERR_INVALID_ARG, "rm_chat_template_detect: NULL argument");
    t = src ? rm__chat_detect(src, len) : -1;
    if (t < 0) {
        char names[400];
        size_t used = 0;
        int i;
        names[0] = 0;
        for (i = 1; i < RM_CHAT_COUNT; i++) {
            int k = snprintf(names + used, sizeof(names) - used, "%s%s", i > 1 ? ", " : "", rm__chat_names[i]);
            if (k < 0 || (size_t)k >= sizeof(names) - used) break;
            used += (size_t)k;
        }
        return rm__fail(err, errcap, RM_ERR_TEMPLATE,
                        "unrecognised chat template (%lu bytes); choose one with --template NAME: %s, or none",
                        (unsigned long)len, names);
    }
    *out = t;
    return RM_OK;
}

/* ---- rendering helpers ---- */

typedef struct rm__chat_out {
    char *buf;
    size_t cap, n;
    int overflow; /* the total length itself does not fit size_t */
} rm__chat_out;

static void rm__chat_put(rm__chat_out *o, const char *s, size_t len) {
    if (!len) return;
    if (len > SIZE_MAX - o->n) { o->overflow = 1; return; }
    if (o->n < o->cap) memcpy(o->buf + o->n, s, len <= o->cap - o->n ? len : o->cap - o->n);
    o->n += len;
}
static void rm__chat_puts(rm__chat_out *o, const char *s) {
    if (s) rm__chat_put(o, s, strlen(s));
}

/* A view of bytes, as the templates slice and strip strings. */
typedef struct rm__chat_sv {
    const char *p;
    size_t n;
} rm__chat_sv;

static rm__chat_sv rm__chat_sv_of(const char *p, size_t n) {
    rm__chat_sv v;
    v.p = p ? p : "";
    v.n = p ? n : 0;
    return v;
}
static void rm__chat_put_sv(rm__chat_out *o, rm__chat_sv v) { rm__chat_put(o, v.p, v.n); }

/* Bytes of the Python whitespace character (str.isspace) at the start / end of s, or 0:
   \t \n \v \f \r \x1c-\x1f space U+0085 U+00A0 U+1680 U+2000-U+200A U+2028 U+2029 U+202F
   U+205F U+3000. */
static size_t rm__chat_ws_cp(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}
static size_t rm__chat_ws_head(const unsigned char *s, size_t n) {
    if (n >= 1 && s[0] < 0x80) return rm__chat_ws_cp(s[0]) ? 1 : 0;
    if (n >= 2 && s[0] == 0xC2) return rm__chat_ws_cp(s[1]) && (s[1] == 0x85 || s[1] == 0xA0) ? 2 : 0;
    if (n >= 3 && (s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        uint32_t c = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (uint32_t)(s[2] & 0x3F);
        return c >= 0x800 && rm__chat_ws_cp(c) ? 3 : 0;
    }
    return 0;
}
static size_t rm__chat_ws_tail(const unsigned char *s, size_t n) {
    if (n >= 1 && s[n - 1] < 0x80) return rm__chat_ws_cp(s[n - 1]) ? 1 : 0;
    if (n >= 2 && rm__chat_ws_head(s + n - 2, 2) == 2) return 2;
    if (n >= 3 && rm__chat_ws_head(s + n - 3, 3) == 3) return 3;
    return 0;
}

/* Python str.strip() / Jinja's trim filter. */
static rm__chat_sv rm__chat_trim(rm__chat_sv v) {
    size_t k;
    while ((k = rm__chat_ws_head((const unsigned char *)v.p, v.n)) != 0) { v.p += k; v.n -= k; }
    while ((k = rm__chat_ws_tail((const unsigned char *)v.p, v.n)) != 0) v.n -= k;
    return v;
}
/* .lstrip('\n') / .rstrip('\n') */
static rm__chat_sv rm__chat_lstrip_nl(rm__chat_sv v) {
    while (v.n && v.p[0] == '\n') { v.p++; v.n--; }
    return v;
}
static rm__chat_sv rm__chat_rstrip_nl(rm__chat_sv v) {
    while (v.n && v.p[v.n - 1] == '\n') v.n--;
    return v;
}

/* Offset of the first / last occurrence of needle in v, or -1 (as a size_t SIZE_MAX). */
static size_t rm__chat_find(rm__chat_sv v, const char *needle, int last) {
    size_t k = strlen(needle), i, found = SIZE_MAX;
    if (k > v.n) return SIZE_MAX;
    for (i = 0; i + k <= v.n; i++) {
        if (memcmp(v.p + i, needle, k) == 0) {
            found = i;
            if (!last) break;
        }
    }
    return found;
}

static int rm__chat_role_is(const rm_chat_msg *m, const char *role) {
    size_t n = strlen(role);
    return m->role_len == n && (n == 0 || (m->role && memcmp(m->role, role, n) == 0));
}
static rm__chat_sv rm__chat_role(const rm_chat_msg *m) { return rm__chat_sv_of(m->role, m->role_len); }
static rm__chat_sv rm__chat_content(const rm_chat_msg *m) { return rm__chat_sv_of(m->content, m->content_len); }

/* transformers' tojson for a string: json.dumps(ensure_ascii=False). */
static void rm__chat_put_json_string(rm__chat_out *o, rm__chat_sv v) {
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    rm__chat_put(o, "\"", 1);
    for (i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        const char *esc = NULL;
        char u[7];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (c == '"') esc = "\\\"";
        else if (c == '\\') esc = "\\\\";
        else if (c == '\n') esc = "\\n";
        else if (c == '\r') esc = "\\r";
        else if (c == '\t') esc = "\\t";
        else if (c == '\b') esc = "\\b";
        else if (c == '\f') esc = "\\f";
        else {
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0'; u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = 0;
            esc = u;
        }
        rm__chat_put(o, v.p + run, i - run);
        rm__chat_puts(o, esc);
        run = i + 1;
    }
    rm__chat_put(o, v.p + run, v.n - run);
    rm__chat_put(o, "\"", 1);
}

/* (message['role'] == 'user') != (index % 2 == 0) raises in the templates that want
   strictly alternating turns. */
static int rm__chat_alternates(const rm_chat_msg *m, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (rm__chat_role_is(&m[i], "user") != (i % 2 == 0)) return 0;
    return 1;
}

/* ---- renderers ---- */

/* ChatML (teknium/OpenHermes-2.5-Mistral-7B): every message as
   <|im_start|>ROLE\nCONTENT<|im_end|>\n. Qwen2-Instruct first adds the system turn "You are
   a helpful assistant." when messages[0] is not a system message. Qwen2.5-Instruct adds its
   own default system turn, prints user, system and assistant turns, skips other roles, and
   wraps each run of tool messages in one user turn of <tool_response> blocks. */
static void rm__chat_chatml_turn(rm__chat_out *o, rm__chat_sv role, rm__chat_sv content) {
    rm__chat_puts(o, "<|im_start|>");
    rm__chat_put_sv(o, role);
    rm__chat_puts(o, "\n");
    rm__chat_put_sv(o, content);
    rm__chat_puts(o, "<|im_end|>\n");
}

static void rm__chat_qwen_tool(rm__chat_out *o, const rm_chat_msg *m, size_t n, size_t i) {
    if (i == 0 || !rm__chat_role_is(&m[i - 1], "tool")) rm__chat_puts(o, "<|im_start|>user");
    rm__chat_puts(o, "\n<tool_response>\n");
    rm__chat_put_sv(o, rm__chat_content(&m[i]));
    rm__chat_puts(o, "\n</tool_response>");
    if (i + 1 == n || !rm__chat_role_is(&m[i + 1], "tool")) rm__chat_puts(o, "<|im_end|>\n");
}

static rm_result rm__chat_render_chatml(int t, rm__chat_out *o, const rm_chat_msg *m, size_t n, int gen) {
    size_t i;
    int first_system = rm__chat_role_is(&m[0], "system");
    if (t == RM_CHAT_QWEN2 && !first_system)
        rm__chat_puts(o, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");
    if (t == RM_CHAT_QWEN25) {
        if (first_system) rm__chat_chatml_turn(o, rm__chat_role(&m[0]), rm__chat_content(&m[0]));
        else rm__chat_puts(o, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n");
    }
    for (i = 0; i < n; i++) {
        if (t == RM_CHAT_QWEN25) {
            /* user, later system and (tool-call-free) assistant turns print alike */
            if (rm__chat_role_is(&m[i], "user") || (rm__chat_role_is(&m[i], "system") && i > 0) ||
                rm__chat_role_is(&m[i], "assistant"))
                rm__chat_chatml_turn(o, rm__chat_role(&m[i]), rm__chat_content(&m[i]));
            else if (rm__chat_role_is(&m[i], "tool"))
                rm__chat_qwen_tool(o, m, n, i);
        } else {
            rm__chat_chatml_turn(o, rm__chat_role(&m[i]), rm__chat_content(&m[i]));
        }
    }
    if (gen) rm__chat_puts(o, "<|im_start|>assistant\n");
    return RM_OK;
}

/* Qwen3: the last "query" is the last user message that is not a wrapped tool response;
   assistant turns after it show their reasoning in <think> (an empty block for the final
   turn), earlier ones lose it. Reasoning is what a </think> in the content ends. */
static rm_result rm__chat_render_qwen3(rm__chat_out *o, const rm_chat_msg *m, size_t n, int gen) {
    size_t i, last_query = n - 1;
    if (rm__chat_role_is(&m[0], "system")) rm__chat_chatml_turn(o, rm__chat_role(&m[0]), rm__chat_content(&m[0]));
    for (i = n; i-- > 0;) {
        rm__chat_sv c = rm__chat_content(&m[i]);
        int wrapped = c.n >= 15 && memcmp(c.p, "<tool_response>", 15) == 0 && c.n >= 16 &&
                      memcmp(c.p + c.n - 16, "</tool_response>", 16) == 0;
        if (rm__chat_role_is(&m[i], "user") && !wrapped) {
            last_query = i;
            break;
        }
    }
    for (i = 0; i < n; i++) {
        if (rm__chat_role_is(&m[i], "user") || (rm__chat_role_is(&m[i], "system") && i > 0)) {
            rm__chat_chatml_turn(o, rm__chat_role(&m[i]), rm__chat_content(&m[i]));
        } else if (rm__chat_role_is(&m[i], "assistant")) {
            rm__chat_sv content = rm__chat_content(&m[i]), reasoning = rm__chat_sv_of("", 0);
            size_t end_last = rm__chat_find(content, "</think>", 1);
            if (end_last != SIZE_MAX) {
                size_t end_first = rm__chat_find(content, "</think>", 0), open;
                rm__chat_sv before = rm__chat_sv_of(content.p, end_first);
                before = rm__chat_rstrip_nl(before);
                open = rm__chat_find(before, "<think>", 1);
                if (open != SIZE_MAX) before = rm__chat_sv_of(before.p + open + 7, before.n - open - 7);
                reasoning = rm__chat_lstrip_nl(before);
                content = rm__chat_lstrip_nl(rm__chat_sv_of(content.p + end_last + 8, content.n - end_last - 8));
            }
            rm__chat_puts(o, "<|im_start|>assistant\n");
            if (i > last_query && (i + 1 == n || reasoning.n)) {
                rm__chat_puts(o, "<think>\n");
                rm__chat_put_sv(o, rm__chat_lstrip_nl(rm__chat_rstrip_nl(reasoning)));
                rm__chat_puts(o, "\n</think>\n\n");
                content = rm__chat_lstrip_nl(content);
            }
            rm__chat_put_sv(o, content);
            rm__chat_puts(o, "<|im_end|>\n");
        } else if (rm__chat_role_is(&m[i], "tool")) {
            rm__chat_qwen_tool(o, m, n, i);
        }
    }
    if (gen) rm__chat_puts(o, "<|im_start|>assistant\n");
    return RM_OK;
}

/* Llama 3 (meta-llama/Meta-Llama-3-8B-Instruct): bos, then every message as a header block
   with trimmed content; the first published version appended the assistant header even
   without add_generation_prompt. Llama 3.1/3.2/3.3 always open with a system block holding
   the knowledge cutoff and date, the (trimmed) system message inside it; tool/ipython turns
   print their content as a JSON string (a string "is iterable" in Jinja). */
static void rm__chat_llama3_header(rm__chat_out *o, rm__chat_sv role) {
    rm__chat_puts(o, "<|start_header_id|>");
    rm__chat_put_sv(o, role);
    rm__chat_puts(o, "<|end_header_id|>\n\n");
}

static rm_result rm__chat_render_llama3(int t, rm__chat_out *o, const rm_chat_msg *m, size_t n, int gen,
                                        const char *bos) {
    size_t i = 0;
    if (t == RM_CHAT_LLAMA31) {
        rm__chat_puts(o, bos);
        rm__chat_puts(o, "<|start_header_id|>system<|end_header_id|>\n\n"
                         "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n");
        if (rm__chat_role_is(&m[0], "system")) {
            rm__chat_put_sv(o, rm__chat_trim(rm__chat_content(&m[0])));
            i = 1;
        }
        rm__chat_puts(o, "<|eot_id|>");
        for (; i < n; i++) {
            if (rm__chat_role_is(&m[i], "tool") || rm__chat_role_is(&m[i], "ipython")) {
                rm__chat_puts(o, "<|start_header_id|>ipython<|end_header_id|>\n\n");
                rm__chat_put_json_string(o, rm__chat_content(&m[i]));
            } else {
                rm__chat_llama3_header(o, rm__chat_role(&m[i]));
                rm__chat_put_sv(o, rm__chat_trim(rm__chat_content(&m[i])));
            }
            rm__chat_puts(o, "<|eot_id|>");
        }
    } else {
        for (i = 0; i < n; i++) {
            if (i == 0) rm__chat_puts(o, bos);
            rm__chat_llama3_header(o, rm__chat_role(&m[i]));
            rm__chat_put_sv(o, rm__chat_trim(rm__chat_content(&m[i])));
            rm__chat_puts(o, "<|eot_id|>");
        }
        if (t == RM_CHAT_LLAMA3_LEGACY) gen = 1;
    }
    if (gen) rm__chat_puts(o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    return RM_OK;
}

/* Llama 2 (meta-llama/Llama-2-7b-chat-hf): an optional first system message goes inside
   <<SYS>> of the first turn; user turns are bos + "[INST] " + stripped + " [/INST]",
   assistant turns " " + stripped + " " + eos. Roles must alternate after the system message;
   add_generation_prompt is not used. */
static rm_result rm__chat_render_llama2(rm__chat_out *o, const rm_chat_msg *m, size_t n, const char *bos,
                                        const char *eos) {
    size_t i, first = rm__chat_role_is(&m[0], "system") ? 1 : 0;
    if (!rm__chat_alternates(m + first, n - first)) return RM_ERR_INVALID_ARG;
    for (i = first; i < n; i++) {
        rm__chat_sv c = rm__chat_content(&m[i]);
        int sys = i == first && first == 1;
        if (rm__chat_role_is(&m[i], "user")) {
            rm__chat_puts(o, bos);
            rm__chat_puts(o, "[INST] ");
            if (sys) {
                /* strip() applies to "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content, whose
                   start is never whitespace; at the end it eats into the "\n\n" when the user
                   text is blank, and stops at "<</SYS>>". */
                size_t k;
                while ((k = rm__chat_ws_tail((const unsigned char *)c.p, c.n)) != 0) c.n -= k;
                rm__chat_puts(o, "<<SYS>>\n");
                rm__chat_put_sv(o, rm__chat_content(&m[0]));
                rm__chat_puts(o, c.n ? "\n<</SYS>>\n\n" : "\n<</SYS>>");
                rm__chat_put_sv(o, c);
            } else {
                rm__chat_put_sv(o, rm__chat_trim(c));
            }
            rm__chat_puts(o, " [/INST]");
        } else if (rm__chat_role_is(&m[i], "assistant")) {
            rm__chat_puts(o, " ");
            rm__chat_put_sv(o, rm__chat_trim(c));
            rm__chat_puts(o, " ");
            rm__chat_puts(o, eos);
        }
    }
    return RM_OK;
}

/* Gemma (google/gemma-2-2b-it; gemma-7b-it lacks the leading bos_token): a system message
   is refused, roles alternate, assistant is called "model", content trimmed. Gemma 3
   (google/gemma-3-*-it) instead prefixes the first turn with the system text + "\n\n". */
static rm_result rm__chat_render_gemma(int t, rm__chat_out *o, const rm_chat_msg *m, size_t n, int gen,
                                       const char *bos) {
    size_t i, first = 0;
    rm__chat_puts(o, bos);
    if (rm__chat_role_is(&m[0], "system")) {
        if (t == RM_CHAT_GEMMA) return RM_ERR_INVALID_ARG;
        first = 1;
    }
    if (!rm__chat_alternates(m + first, n - first)) return RM_ERR_INVALID_ARG;
    for (i = first; i < n; i++) {
        rm__chat_puts(o, "<start_of_turn>");
        if (rm__chat_role_is(&m[i], "assistant")) rm__chat_puts(o, "model");
        else rm__chat_put_sv(o, rm__chat_role(&m[i]));
        rm__chat_puts(o, "\n");
        if (first && i == first) {
            rm__chat_put_sv(o, rm__chat_content(&m[0]));
            rm__chat_puts(o, "\n\n");
        }
        rm__chat_put_sv(o, rm__chat_trim(rm__chat_content(&m[i])));
        rm__chat_puts(o, "<end_of_turn>\n");
    }
    if (gen) rm__chat_puts(o, "<start_of_turn>model\n");
    return RM_OK;
}

/* Mistral. mistral (Mistral-7B-Instruct-v0.1/v0.2): bos, "[INST] " + user + " [/INST]",
   assistant + eos, user/assistant only. mistral-v1 (mistralai "v1" with a system prompt):
   " [INST] " ... " [/INST]", assistant " " + content + eos, the system message before the
   first user message. mistral-v3 (Mistral-7B-Instruct-v0.3): "[INST] " + user + "[/INST]",
   assistant " " + trimmed + eos, the system message before the LAST message when that is a
   user message (otherwise it is not shown). Roles alternate; anything else is refused. */
static rm_result rm__chat_render_mistral(int t, rm__chat_out *o, const rm_chat_msg *m, size_t n, const char *bos,
                                         const char *eos) {
    size_t i, first = 0;
    if (t != RM_CHAT_MISTRAL && rm__chat_role_is(&m[0], "system")) first = 1;
    if (!rm__chat_alternates(m + first, n - first)) return RM_ERR_INVALID_ARG;
    for (i = first; i < n; i++)
        if (!rm__chat_role_is(&m[i], "user") && !rm__chat_role_is(&m[i], "assistant")) return RM_ERR_INVALID_ARG;
    rm__chat_puts(o, bos);
    for (i = first; i < n; i++) {
        rm__chat_sv c = rm__chat_content(&m[i]);
        if (rm__chat_role_is(&m[i], "user")) {
            int sys = first && (t == RM_CHAT_MISTRAL_V1 ? i == first : i + 1 == n);
            rm__chat_puts(o, t == RM_CHAT_MISTRAL_V1 ? " [INST] " : "[INST] ");
            if (sys) {
                rm__chat_put_sv(o, rm__chat_content(&m[0]));
                rm__chat_puts(o, "\n\n");
            }
            rm__chat_put_sv(o, c);
            rm__chat_puts(o, t == RM_CHAT_MISTRAL_V3 ? "[/INST]" : " [/INST]");
        } else {
            if (t != RM_CHAT_MISTRAL) rm__chat_puts(o, " ");
            rm__chat_put_sv(o, t == RM_CHAT_MISTRAL_V3 ? rm__chat_trim(c) : c);
            rm__chat_puts(o, eos);
        }
    }
    return RM_OK;
}

/* Phi-3 (microsoft/Phi-3-mini-4k-instruct; -medium lacks the bos_token): user turns end by
   opening the assistant turn, system and other roles are dropped, add_generation_prompt is
   not used. */
static rm_result rm__chat_render_phi3(rm__chat_out *o, const rm_chat_msg *m, size_t n, const char *bos) {
    size_t i;
    rm__chat_puts(o, bos);
    for (i = 0; i < n; i++) {
        if (rm__chat_role_is(&m[i], "user")) {
            rm__chat_puts(o, "<|user|>\n");
            rm__chat_put_sv(o, rm__chat_content(&m[i]));
            rm__chat_puts(o, "<|end|>\n<|assistant|>\n");
        } else if (rm__chat_role_is(&m[i], "assistant")) {
            rm__chat_put_sv(o, rm__chat_content(&m[i]));
            rm__chat_puts(o, "<|end|>\n");
        }
    }
    return RM_OK;
}

/* Zephyr (HuggingFaceH4/zephyr-7b-beta, TinyLlama-1.1B-Chat): "<|ROLE|>\n" + content +
   eos + "\n" for system/user/assistant (the newline is template text that trim_blocks
   keeps); "<|assistant|>\n" after the last message with add_generation_prompt.
   Tulu (allenai/tulu-2, OLMo-2 SFT with a leading bos_token): "<|ROLE|>\n" + content + "\n"
   for system and user, assistant + eos (+ "\n" unless last). */
static rm_result rm__chat_render_tags(int t, rm__chat_out *o, const rm_chat_msg *m, size_t n, int gen,
                                      const char *bos, const char *eos) {
    size_t i;
    if (t == RM_CHAT_TULU) rm__chat_puts(o, bos);
    for (i = 0; i < n; i++) {
        int user = rm__chat_role_is(&m[i], "user"), sys = rm__chat_role_is(&m[i], "system");
        int asst = rm__chat_role_is(&m[i], "assistant");
        if (user || sys || asst) {
            rm__chat_puts(o, user ? "<|user|>\n" : sys ? "<|system|>\n" : "<|assistant|>\n");
            rm__chat_put_sv(o, rm__chat_content(&m[i]));
            if (t == RM_CHAT_ZEPHYR) {
                rm__chat_puts(o, eos);
                rm__chat_puts(o, "\n");
            } else if (asst) {
                rm__chat_puts(o, eos);
                if (i + 1 < n) rm__chat_puts(o, "\n");
            } else {
                rm__chat_puts(o, "\n");
            }
        }
        if (i + 1 == n && gen) rm__chat_puts(o, "<|assistant|>\n");
    }
    return RM_OK;
}

/* DeepSeek LLM chat (deepseek-ai/deepseek-llm-7b-chat, DeepSeek-V2-Chat): bos, "User: " +
   user + "\n\n", "Assistant: " + assistant + eos, system + "\n\n"; "Assistant:" to generate.
   DeepSeek Coder (deepseek-coder-*-instruct): bos, a default system line unless some message
   is a system message, system content as is, "### Instruction:\n" + user + "\n",
   "### Response:\n" + assistant + "\n<|EOT|>\n"; "### Response:\n" to generate (that newline
   is template text kept by trim_blocks). */
static rm_result rm__chat_render_deepseek(int t, rm__chat_out *o, const rm_chat_msg *m, size_t n, int gen,
                                          const char *bos, const char *eos) {
    size_t i;
    rm__chat_puts(o, bos);
    if (t == RM_CHAT_DEEPSEEK) {
        for (i = 0; i < n; i++) {
            if (rm__chat_role_is(&m[i], "user")) {
                rm__chat_puts(o, "User: ");
                rm__chat_put_sv(o, rm__chat_content(&m[i]));
                rm__chat_puts(o, "\n\n");
            } else if (rm__chat_role_is(&m[i], "assistant")) {
                rm__chat_puts(o, "Assistant: ");
                rm__chat_put_sv(o, rm__chat_content(&m[i]));
                rm__chat_puts(o, eos);
            } else if (rm__chat_role_is(&m[i], "system")) {
                rm__chat_put_sv(o, rm__chat_content(&m[i]));
                rm__chat_puts(o, "\n\n");
            }
        }
        if (gen) rm__chat_puts(o, "Assistant:");
        return RM_OK;
    }
    {
        int has_system = 0;
        for (i = 0; i < n; i++) has_system |= rm__chat_role_is(&m[i], "system");
        if (!has_system)
            rm__chat_puts(o, "You are an AI programming assistant, utilizing the Deepseek Coder model, developed by "
                             "Deepseek Company, and you only answer questions related to computer science. For "
                             "politically sensitive questions, security and privacy issues, and other non-computer "
                             "science questions, you will refuse to answer\n");
    }
    for (i = 0; i < n; i++) {
        if (rm__chat_role_is(&m[i], "system")) {
            rm__chat_put_sv(o, rm__chat_content(&m[i]));
        } else if (rm__chat_role_is(&m[i], "user")) {
            rm__chat_puts(o, "### Instruction:\n");
            rm__chat_put_sv(o, rm__chat_content(&m[i]));
            rm__chat_puts(o, "\n");
        } else {
            rm__chat_puts(o, "### Response:\n");
            rm__chat_put_sv(o, rm__chat_content(&m[i]));
            rm__chat_puts(o, "\n<|EOT|>\n");
        }
    }
    if (gen) rm__chat_puts(o, "### Response:\n");
    return RM_OK;
}

RMDEF rm_result rm_chat_render(int tmpl, const rm_chat_msg *msgs, size_t n_msgs, int add_generation_prompt,
                               const char *bos_text, const char *eos_text, char *buf, size_t cap, size_t *n_out) {
    rm__chat_out o;
    rm_result r = RM_OK;
    size_t i;
    int gen = add_generation_prompt != 0;
    if (n_out) *n_out = 0;
    if (!n_out || (!buf && cap) || (!msgs && n_msgs) || tmpl < 0 || tmpl >= RM_CHAT_COUNT) return RM_ERR_INVALID_ARG;
    for (i = 0; i < n_msgs; i++)
        if ((!msgs[i].role && msgs[i].role_len) || (!msgs[i].content && msgs[i].content_len)) return RM_ERR_INVALID_ARG;
    if (n_msgs == 0) return RM_ERR_EMPTY;
    if (!bos_text) bos_text = "";
    if (!eos_text) eos_text = "";
    o.buf = buf;
    o.cap = cap;
    o.n = 0;
    o.overflow = 0;
    switch (tmpl) {
    case RM_CHAT_NONE:
        for (i = 0; i < n_msgs; i++) rm__chat_put_sv(&o, rm__chat_content(&msgs[i]));
        break;
    case RM_CHAT_CHATML:
    case RM_CHAT_QWEN2:
    case RM_CHAT_QWEN25: r = rm__chat_render_chatml(tmpl, &o, msgs, n_msgs, gen); break;
    case RM_CHAT_QWEN3: r = rm__chat_render_qwen3(&o, msgs, n_msgs, gen); break;
    case RM_CHAT_LLAMA2: r = rm__chat_render_llama2(&o, msgs, n_msgs, bos_text, eos_text); break;
    case RM_CHAT_LLAMA3:
    case RM_CHAT_LLAMA3_LEGACY:
    case RM_CHAT_LLAMA31: r = rm__chat_render_llama3(tmpl, &o, msgs, n_msgs, gen, bos_text); break;
    case RM_CHAT_GEMMA:
    case RM_CHAT_GEMMA3: r = rm__chat_render_gemma(tmpl, &o, msgs, n_msgs, gen, bos_text); break;
    case RM_CHAT_MISTRAL:
    case RM_CHAT_MISTRAL_V1:
    case RM_CHAT_MISTRAL_V3: r = rm__chat_render_mistral(tmpl, &o, msgs, n_msgs, bos_text, eos_text); break;
    case RM_CHAT_PHI3: r = rm__chat_render_phi3(&o, msgs, n_msgs, bos_text); break;
    case RM_CHAT_ZEPHYR:
    case RM_CHAT_TULU: r = rm__chat_render_tags(tmpl, &o, msgs, n_msgs, gen, bos_text, eos_text); break;
    default: r = rm__chat_render_deepseek(tmpl, &o, msgs, n_msgs, gen, bos_text, eos_text); break;
    }
    if (r != RM_OK) return r;
    if (o.overflow) return RM_ERR_LIMIT;
    *n_out = o.n;
    return o.n > cap ? RM_ERR_LIMIT : RM_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* 9. GGUF writing                                                                          */
/* ---------------------------------------------------------------------------------------- */
#include "wip/write.h"

/* ---------------------------------------------------------------------------------------- */
/* 10. Model loading                                                                        */
/* ---------------------------------------------------------------------------------------- */

/* A weight matrix in the mapping: rows of n_in elements (ggml's ne[0]), n_out rows. */
typedef struct rm__mat {
    const void *data;
    int type;
    int64_t n_in, n_out;
    size_t row_bytes;
} rm__mat;

/* Fast matrix kernels (SIMD, quantized activations); rm__matmul below is their scalar oracle. */
#include "wip/kernels.h"

/* A vector (norm weight or bias) decoded to float at load when it is not F32 already. */
typedef struct rm__vec {
    const float *data;  /* NULL when absent */
    int64_t n;
} rm__vec;

/* One transformer block. Shapes in ggml order {n_in, n_out}; E = n_embd, D = head_dim,
   H = n_head, G = n_head_kv, F = n_ff. */
typedef struct rm__layer {
    rm__vec attn_norm, attn_norm_b;    /* {E} */
    rm__mat wq, wk, wv;                /* {E, H*D}, {E, G*D}, {E, G*D} */
    rm__mat wqkv;                      /* {E, (H+2G)*D} fused (gptneox) */
    rm__vec bq, bk, bv, bqkv;          /* biases of the above */
    rm__vec q_norm, k_norm;            /* {D} per-head RMS norms (qwen3) */
    rm__mat wo;                        /* {H*D, E} */
    rm__vec bo;                        /* {E} */
    rm__vec attn_post_norm;            /* {E} (gemma2) */
    rm__vec ffn_norm, ffn_norm_b;      /* {E} */
    rm__mat w_gate, w_up, w_down;      /* {E, F}, {E, F}, {F, E} */
    rm__vec b_up, b_down;              /* {F}, {E} (gptneox) */
    rm__vec ffn_post_norm;             /* {E} (gemma2) */
    int sliding;                       /* 1: attention limited to the sliding window */
} rm__layer;

typedef enum rm__norm_kind { RM__NORM_RMS = 0, RM__NORM_LAYER = 1 } rm__norm_kind;
typedef enum rm__act_kind { RM__ACT_SILU_GATED = 0, RM__ACT_GELU_GATED = 1, RM__ACT_GELU = 2 } rm__act_kind;

/* What distinguishes the architectures: table entries, one forward pass. */
typedef struct rm__arch_info {
    const char *name;
    rm__norm_kind norm;
    rm__act_kind act;
    int rope_neox;        /* 1: rotate (x[i], x[i+n_rot/2]); 0: adjacent pairs (x[2i], x[2i+1]) */
    int fused_qkv;        /* attn_qkv instead of attn_q/k/v */
    int qkv_bias;         /* biases on q, k, v required */
    int qk_norm;          /* per-head RMS norm on q and k before RoPE */
    int post_norms;       /* gemma2's norms after attention and after the FFN */
    int parallel_residual;/* x + attn(ln1 x) + ffn(ln2 x) */
    int embd_scale;       /* multiply embeddings by sqrt(n_embd) */
    int out_bias;         /* biases on attn_output and ffn_down/up (gptneox) */
    int default_add_bos;  /* tokenizer default when the file has no add_bos_token key */
} rm__arch_info;

static const rm__arch_info rm__archs[RM_ARCH_COUNT] = {
    /* name      norm           act                 neox fused qkvb qkn post par emb outb bos */
    {"llama",   RM__NORM_RMS,   RM__ACT_SILU_GATED, 0,   0,    0,   0,  0,   0,  0,  0,   1},
    {"qwen2",   RM__NORM_RMS,   RM__ACT_SILU_GATED, 1,   0,    1,   0,  0,   0,  0,  0,   0},
    {"qwen3",   RM__NORM_RMS,   RM__ACT_SILU_GATED, 1,   0,    0,   1,  0,   0,  0,  0,   0},
    {"gemma2",  RM__NORM_RMS,   RM__ACT_GELU_GATED, 1,   0,    0,   0,  1,   0,  1,  0,   1},
    {"gptneox", RM__NORM_LAYER, RM__ACT_GELU,       1,   1,    1,   0,  0,   1,  0,  1,   0},
};

RMDEF const char *rm_arch_name(int arch) {
    return (arch >= 0 && arch < RM_ARCH_COUNT) ? rm__archs[arch].name : NULL;
}

struct rm_model {
    rm_gguf *gguf;
    rm_result status;
    char err[512];
    rm_hparams hp;
    const rm__arch_info *ai;
    int parallel_residual;
    double attn_scale;
    rm__mat tok_embd;            /* {E, V} */
    rm__mat output;              /* {E, V}; token_embd when tied */
    int has_output;              /* output.weight present (not tied) */
    rm__vec out_norm, out_norm_b;/* {E} */
    rm__vec rope_freqs;          /* {n_rot/2} llama3 frequency divisors, or absent */
    rm__mat cls;                 /* {E, n_cls_out} reward head, or absent */
    rm__vec cls_b;               /* {n_cls_out} */
    rm__layer *layers;
    rm_vocab *vocab;             /* the tokenizer stored in the file */
    float **owned;               /* vectors decoded at load */
    int64_t n_owned;
};

static rm_result rm__model_fail(rm_model *m, rm_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof(m->err), fmt, ap);
    va_end(ap);
    m->status = r;
    return r;
}

/* Looks up "<prefix>" (a full tensor name) and checks its shape {ne0, ne1}; ne1 = 0 accepts a
   1-D tensor of ne0 or {ne0, 1}. required = 0 makes a missing tensor not an error. */
static rm_result rm__get_tensor(rm_model *m, const char *name, int64_t ne0, int64_t ne1, int required,
                                const rm_tensor **out) {
    const rm_tensor *t = rm_gguf_find_tensor(m->gguf, name);
    *out = NULL;
    if (!t) {
        if (!required) return RM_OK;
        return rm__model_fail(m, RM_ERR_TENSOR_MISSING, "model: tensor '%s' is missing", name);
    }
    if (t->ne[0] != ne0 || t->ne[1] != (ne1 ? ne1 : 1) || t->ne[2] != 1 || t->ne[3] != 1)
        return rm__model_fail(m, RM_ERR_TENSOR_SHAPE,
                              "model: tensor '%s' has shape {%lld, %lld, %lld, %lld}, expected {%lld, %lld}", name,
                              (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
                              (long long)ne0, (long long)(ne1 ? ne1 : 1));
    *out = t;
    return RM_OK;
}

static rm_result rm__get_mat(rm_model *m, const char *name, int64_t n_in, int64_t n_out, int required, rm__mat *out) {
    const rm_tensor *t;
    rm_result e = rm__get_tensor(m, name, n_in, n_out, required, &t);
    memset(out, 0, sizeof(*out));
    if (e || !t) return e;
    out->data = t->data;
    out->type = t->type;
    out->n_in = n_in;
    out->n_out = n_out;
    out->row_bytes = rm__row_bytes(t->type, n_in);
    return RM_OK;
}

static rm_result rm__get_vec(rm_model *m, const char *name, int64_t n, int required, rm__vec *out) {
    const rm_tensor *t;
    rm_result e = rm__get_tensor(m, name, n, 0, required, &t);
    float *buf;
    memset(out, 0, sizeof(*out));
    if (e || !t) return e;
    out->n = n;
    if (t->type == RM_TYPE_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
        out->data = (const float *)t->data;
        return RM_OK;
    }
    buf = (float *)rm__calloc((size_t)n, sizeof(float));
    if (!buf) return rm__model_fail(m, RM_ERR_NOMEM, "model: out of memory decoding '%s'", name);
    m->owned[m->n_owned++] = buf;
    rm_dequantize_row(t->type, t->data, buf, n);
    out->data = buf;
    return RM_OK;
}

/* Reads "<arch>.<suffix>" as an integer; def < 0 means required. */
static rm_result rm__hp_int(rm_model *m, const char *arch, const char *suffix, int64_t def, int64_t *out) {
    char key[256];
    rm_result e;
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    e = rm_gguf_get_int(m->gguf, key, out);
    if (e == RM_ERR_NOT_FOUND && def >= 0) {
        *out = def;
        return RM_OK;
    }
    if (e == RM_ERR_NOT_FOUND) return rm__model_fail(m, RM_ERR_HPARAM, "model: required key '%s' is missing", key);
    if (e == RM_ERR_TYPE_MISMATCH)
        return rm__model_fail(m, RM_ERR_HPARAM, "model: key '%s' is not a single integer (per-layer arrays are not supported)", key);
    if (e) return rm__model_fail(m, RM_ERR_HPARAM, "model: key '%s': %s", key, rm_result_string(e));
    if (*out < 0 || *out > ((int64_t)1 << 40))
        return rm__model_fail(m, RM_ERR_HPARAM, "model: key '%s' = %lld is out of range", key, (long long)*out);
    return RM_OK;
}

static rm_result rm__hp_float(rm_model *m, const char *arch, const char *suffix, double def, double *out) {
    char key[256];
    rm_result e;
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    e = rm_gguf_get_float(m->gguf, key, out);
    if (e == RM_ERR_NOT_FOUND) {
        *out = def;
        return RM_OK;
    }
    if (e) return rm__model_fail(m, RM_ERR_HPARAM, "model: key '%s' is not a float", key);
    if (!(*out == *out) || *out < 0 || *out > 1e30)
        return rm__model_fail(m, RM_ERR_HPARAM, "model: key '%s' = %g is out of range", key, *out);
    return RM_OK;
}

static rm_result rm__model_load(rm_model *m) {
    rm_hparams *hp = &m->hp;
    rm_str arch_s;
    char arch[64], nm[128];
    int64_t E, D, H, G, F, V, il, n_vec;
    rm_result e;
    int a;
    const rm_tensor *t;

    if (rm_gguf_get_str(m->gguf, "general.architecture", &arch_s) != RM_OK)
        return rm__model_fail(m, RM_ERR_ARCH, "model: general.architecture is missing or not a string");
    for (a = 0; a < RM_ARCH_COUNT; a++)
        if (rm__str_eq(arch_s, rm__archs[a].name)) break;
    if (a == RM_ARCH_COUNT)
        return rm__model_fail(m, RM_ERR_ARCH, "model: architecture '%.*s' is not supported (supported: llama, qwen2, qwen3, gemma2, gptneox)",
                              (int)RM__MIN(arch_s.len, 60), arch_s.ptr);
    memcpy(arch, arch_s.ptr, arch_s.len);
    arch[arch_s.len] = 0;
    hp->arch = a;
    m->ai = &rm__archs[a];

    if ((e = rm__hp_int(m, arch, "embedding_length", -1, &hp->n_embd))) return e;
    if ((e = rm__hp_int(m, arch, "block_count", -1, &hp->n_layer))) return e;
    if ((e = rm__hp_int(m, arch, "feed_forward_length", -1, &hp->n_ff))) return e;
    if ((e = rm__hp_int(m, arch, "attention.head_count", -1, &hp->n_head))) return e;
    if ((e = rm__hp_int(m, arch, "context_length", 2048, &hp->n_ctx_train))) return e;
    if (hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_head <= 0 || hp->n_ff <= 0 || hp->n_layer > 4096)
        return rm__model_fail(m, RM_ERR_HPARAM, "model: embedding_length %lld, block_count %lld, head_count %lld and feed_forward_length %lld must be positive",
                              (long long)hp->n_embd, (long long)hp->n_layer, (long long)hp->n_head, (long long)hp->n_ff);
    if ((e = rm__hp_int(m, arch, "attention.head_count_kv", hp->n_head, &hp->n_head_kv))) return e;
    if ((e = rm__hp_int(m, arch, "attention.key_length", hp->n_embd / hp->n_head, &hp->head_dim))) return e;
    {
        int64_t vl;
        if ((e = rm__hp_int(m, arch, "attention.value_length", hp->head_dim, &vl))) return e;
        if (vl != hp->head_dim)
            return rm__model_fail(m, RM_ERR_HPARAM, "model: key_length %lld differs from value_length %lld", (long long)hp->head_dim, (long long)vl);
    }
    if (hp->n_head_kv <= 0 || hp->n_head % hp->n_head_kv != 0 || hp->head_dim <= 0 || hp->head_dim % 2)
        return rm__model_fail(m, RM_ERR_HPARAM, "model: head_count %lld is not a multiple of head_count_kv %lld, or head size %lld is odd",
                              (long long)hp->n_head, (long long)hp->n_head_kv, (long long)hp->head_dim);
    if ((e = rm__hp_int(m, arch, "rope.dimension_count", hp->head_dim, &hp->n_rot))) return e;
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return rm__model_fail(m, RM_ERR_HPARAM, "model: rope.dimension_count %lld must be even and at most the head size %lld",
                              (long long)hp->n_rot, (long long)hp->head_dim);
    if ((e = rm__hp_float(m, arch, "rope.freq_base", 10000.0, &hp->rope_base))) return e;
    hp->rope_scale = 1.0;
    {
        rm_str st;
        snprintf(nm, sizeof(nm), "%s.rope.scaling.type", arch);
        if (rm_gguf_get_str(m->gguf, nm, &st) == RM_OK && !rm__str_eq(st, "none")) {
            double f;
            if (!rm__str_eq(st, "linear"))
                return rm__model_fail(m, RM_ERR_HPARAM, "model: rope scaling type '%.*s' is not supported (none, linear, llama3 via rope_freqs)",
                                      (int)RM__MIN(st.len, 40), st.ptr);
            if ((e = rm__hp_float(m, arch, "rope.scaling.factor", 1.0, &f))) return e;
            if (f > 0) hp->rope_scale = 1.0 / f;
        }
    }
    if (m->ai->norm == RM__NORM_LAYER) {
        if ((e = rm__hp_float(m, arch, "attention.layer_norm_epsilon", 1e-5, &hp->norm_eps))) return e;
    } else if ((e = rm__hp_float(m, arch, "attention.layer_norm_rms_epsilon", 1e-5, &hp->norm_eps))) return e;
    if ((e = rm__hp_float(m, arch, "attn_logit_softcapping", 0.0, &hp->attn_softcap))) return e;
    if ((e = rm__hp_float(m, arch, "final_logit_softcapping", 0.0, &hp->final_softcap))) return e;
    if ((e = rm__hp_int(m, arch, "attention.sliding_window", 0, &hp->sliding_window))) return e;
    if (a != RM_ARCH_GEMMA2) hp->sliding_window = 0;
    m->parallel_residual = m->ai->parallel_residual;
    if (a == RM_ARCH_GPTNEOX) {
        int pr;
        snprintf(nm, sizeof(nm), "%s.use_parallel_residual", arch);
        if (rm_gguf_get_bool(m->gguf, nm, &pr) == RM_OK) m->parallel_residual = pr;
    }
    /* gemma2 27B scales queries by 1/sqrt(n_embd/n_head) (its query_pre_attn_scalar); the
       other sizes, like every other architecture, by 1/sqrt(head_dim). */
    m->attn_scale = 1.0 / sqrt((double)hp->head_dim);
    if (a == RM_ARCH_GEMMA2 && hp->n_layer == 46) m->attn_scale = 1.0 / sqrt((double)(hp->n_embd / hp->n_head));

    E = hp->n_embd;
    D = hp->head_dim;
    H = hp->n_head;
    G = hp->n_head_kv;
    F = hp->n_ff;
    t = rm_gguf_find_tensor(m->gguf, "token_embd.weight");
    if (!t) return rm__model_fail(m, RM_ERR_TENSOR_MISSING, "model: tensor 'token_embd.weight' is missing");
    V = t->ne[1];
    if (V <= 0 || V > ((int64_t)1 << 31))
        return rm__model_fail(m, RM_ERR_TENSOR_SHAPE, "model: token_embd.weight has %lld rows", (long long)V);
    hp->n_vocab = V;

    m->layers = (rm__layer *)rm__calloc((size_t)hp->n_layer, sizeof(rm__layer));
    n_vec = hp->n_layer * 16 + 8;
    m->owned = (float **)rm__calloc((size_t)n_vec, sizeof(float *));
    if (!m->layers || !m->owned) return rm__model_fail(m, RM_ERR_NOMEM, "model: out of memory");

    if ((e = rm__get_mat(m, "token_embd.weight", E, V, 1, &m->tok_embd))) return e;
    if ((e = rm__get_mat(m, "output.weight", E, V, 0, &m->output))) return e;
    m->has_output = m->output.data != NULL;
    if (!m->output.data) m->output = m->tok_embd; /* tied embeddings */
    if ((e = rm__get_vec(m, "output_norm.weight", E, 1, &m->out_norm))) return e;
    if ((e = rm__get_vec(m, "output_norm.bias", E, m->ai->norm == RM__NORM_LAYER, &m->out_norm_b))) return e;
    if ((e = rm__get_vec(m, "rope_freqs.weight", hp->n_rot / 2, 0, &m->rope_freqs))) return e;
    /* Reward head: {E, n_out}, or {E} as llama-quantize rewrites a one-output head. */
    t = rm_gguf_find_tensor(m->gguf, "cls.output.weight");
    if (t) {
        int64_t n_out = t->ne[1];
        if ((e = rm__get_mat(m, "cls.output.weight", E, n_out, 1, &m->cls))) return e;
        if ((e = rm__get_vec(m, "cls.output.bias", n_out, 0, &m->cls_b))) return e;
        hp->n_cls_out = (int)n_out;
    }

    for (il = 0; il < hp->n_layer; il++) {
        rm__layer *L = &m->layers[il];
        const int bias = m->ai->qkv_bias, ob = m->ai->out_bias;
#define RM__T(suffix) (snprintf(nm, sizeof(nm), "blk.%lld." suffix, (long long)il), nm)
        if ((e = rm__get_vec(m, RM__T("attn_norm.weight"), E, 1, &L->attn_norm))) return e;
        if ((e = rm__get_vec(m, RM__T("attn_norm.bias"), E, m->ai->norm == RM__NORM_LAYER, &L->attn_norm_b))) return e;
        if (m->ai->fused_qkv) {
            if ((e = rm__get_mat(m, RM__T("attn_qkv.weight"), E, (H + 2 * G) * D, 1, &L->wqkv))) return e;
            if ((e = rm__get_vec(m, RM__T("attn_qkv.bias"), (H + 2 * G) * D, bias, &L->bqkv))) return e;
        } else {
            if ((e = rm__get_mat(m, RM__T("attn_q.weight"), E, H * D, 1, &L->wq))) return e;
            if ((e = rm__get_mat(m, RM__T("attn_k.weight"), E, G * D, 1, &L->wk))) return e;
            if ((e = rm__get_mat(m, RM__T("attn_v.weight"), E, G * D, 1, &L->wv))) return e;
            if ((e = rm__get_vec(m, RM__T("attn_q.bias"), H * D, bias, &L->bq))) return e;
            if ((e = rm__get_vec(m, RM__T("attn_k.bias"), G * D, bias, &L->bk))) return e;
            if ((e = rm__get_vec(m, RM__T("attn_v.bias"), G * D, bias, &L->bv))) return e;
        }
        if ((e = rm__get_vec(m, RM__T("attn_q_norm.weight"), D, m->ai->qk_norm, &L->q_norm))) return e;
        if ((e = rm__get_vec(m, RM__T("attn_k_norm.weight"), D, m->ai->qk_norm, &L->k_norm))) return e;
        if ((e = rm__get_mat(m, RM__T("attn_output.weight"), H * D, E, 1, &L->wo))) return e;
        if ((e = rm__get_vec(m, RM__T("attn_output.bias"), E, ob, &L->bo))) return e;
        if ((e = rm__get_vec(m, RM__T("post_attention_norm.weight"), E, m->ai->post_norms, &L->attn_post_norm))) return e;
        if ((e = rm__get_vec(m, RM__T("ffn_norm.weight"), E, !m->parallel_residual || m->ai->norm == RM__NORM_LAYER, &L->ffn_norm))) return e;
        if ((e = rm__get_vec(m, RM__T("ffn_norm.bias"), E, m->ai->norm == RM__NORM_LAYER, &L->ffn_norm_b))) return e;
        if (m->ai->act != RM__ACT_GELU)
            if ((e = rm__get_mat(m, RM__T("ffn_gate.weight"), E, F, 1, &L->w_gate))) return e;
        if ((e = rm__get_mat(m, RM__T("ffn_up.weight"), E, F, 1, &L->w_up))) return e;
        if ((e = rm__get_mat(m, RM__T("ffn_down.weight"), F, E, 1, &L->w_down))) return e;
        if ((e = rm__get_vec(m, RM__T("ffn_up.bias"), F, ob, &L->b_up))) return e;
        if ((e = rm__get_vec(m, RM__T("ffn_down.bias"), E, ob, &L->b_down))) return e;
        if ((e = rm__get_vec(m, RM__T("post_ffw_norm.weight"), E, m->ai->post_norms, &L->ffn_post_norm))) return e;
#undef RM__T
        /* gemma2 alternates sliding-window (even layers) and global attention */
        L->sliding = hp->sliding_window > 0 && (il % 2 == 0);
    }
    return RM_OK;
}

RMDEF rm_result rm_model_open_gguf(rm_gguf *g, rm_model **out) {
    rm_model *m;
    if (!out) {
        rm_gguf_close(g);
        return RM_ERR_INVALID_ARG;
    }
    *out = NULL;
    m = (rm_model *)rm__calloc(1, sizeof(rm_model));
    if (!m) {
        rm_gguf_close(g);
        return RM_ERR_NOMEM;
    }
    m->gguf = g;
    *out = m;
    if (!g) return rm__model_fail(m, RM_ERR_INVALID_ARG, "model: no GGUF given");
    if (g->status) return rm__model_fail(m, g->status, "%s", g->err);
    m->status = rm__model_load(m);
    if (m->status) return m->status;
    if (rm_vocab_load(g, &m->vocab) != RM_OK)
        return rm__model_fail(m, rm_vocab_status(m->vocab), "model: tokenizer: %s", rm_vocab_error(m->vocab));
    if (rm_vocab_n_tokens(m->vocab) > m->hp.n_vocab)
        return rm__model_fail(m, RM_ERR_VOCAB, "model: the tokenizer has %d tokens but token_embd.weight only %lld rows",
                              rm_vocab_n_tokens(m->vocab), (long long)m->hp.n_vocab);
    return RM_OK;
}

RMDEF rm_result rm_model_open(const char *path, rm_model **out) {
    rm_gguf *g = NULL;
    rm_result e = rm_gguf_open(path, &g);
    if (e == RM_ERR_NOMEM && !g) {
        if (out) *out = NULL;
        return e;
    }
    return rm_model_open_gguf(g, out);
}

RMDEF void rm_model_close(rm_model *m) {
    int64_t i;
    if (!m) return;
    for (i = 0; i < m->n_owned; i++) RM_FREE(m->owned[i]);
    RM_FREE(m->owned);
    rm_vocab_free(m->vocab);
    RM_FREE(m->layers);
    rm_gguf_close(m->gguf);
    RM_FREE(m);
}

RMDEF const char *rm_model_error(const rm_model *m) { return m ? m->err : "out of memory"; }
RMDEF rm_result rm_model_status(const rm_model *m) { return m ? m->status : RM_ERR_NOMEM; }
RMDEF const rm_hparams *rm_model_hparams(const rm_model *m) { return m ? &m->hp : NULL; }
RMDEF const rm_gguf *rm_model_gguf(const rm_model *m) { return m ? m->gguf : NULL; }
RMDEF const rm_vocab *rm_model_vocab(const rm_model *m) { return (m && !m->status) ? m->vocab : NULL; }

/* ---------------------------------------------------------------------------------------- */
/* 11. Kernels of the forward pass                                                          */
/* ---------------------------------------------------------------------------------------- */

static float rm__dot_f32(const float *a, const float *b, int64_t n) {
    /* 8 independent partial sums: vectorisable and a little more accurate than one chain */
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    int k;
    for (; i + 8 <= n; i += 8)
        for (k = 0; k < 8; k++) s[k] += a[i + k] * b[i + k];
    for (; i < n; i++) s[0] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* Y[t][j] = sum_i W[j][i] * X[t][i] for t < T, j < n_out. Each weight row is decoded once
   and reused across all T tokens; rows are split among threads. wbuf: n_threads * n_in floats. */
static void rm__matmul_ref(const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y, int64_t ldy,
                           float *wbuf, int nth) {
    int64_t j;
    RM__UNUSED(nth);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(static)
#endif
    for (j = 0; j < W->n_out; j++) {
        int tid = 0;
        const float *w;
        int64_t t;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        if (W->type == RM_TYPE_F32) {
            w = (const float *)((const uint8_t *)W->data + (size_t)j * W->row_bytes);
        } else {
            float *row = wbuf + (size_t)tid * (size_t)W->n_in;
            rm_dequantize_row(W->type, (const uint8_t *)W->data + (size_t)j * W->row_bytes, row, W->n_in);
            w = row;
        }
        for (t = 0; t < T; t++) Y[t * ldy + j] = rm__dot_f32(w, X + t * ldx, W->n_in);
    }
}

/* Dispatch: the fast kernels when they handle this case (type, CPU), else the reference. */
static void rm__matmul(const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y, int64_t ldy,
                       float *wbuf, int nth) {
    if (rm__gemm_fast(W, X, T, ldx, Y, ldy, nth)) return;
    rm__matmul_ref(W, X, T, ldx, Y, ldy, wbuf, nth);
}

static void rm__add_bias(float *Y, int64_t T, int64_t ldy, const rm__vec *b) {
    int64_t t, j;
    if (!b->data) return;
    for (t = 0; t < T; t++)
        for (j = 0; j < b->n; j++) Y[t * ldy + j] += b->data[j];
}

/* out = norm(x) * w (+ b): RMSNorm or LayerNorm over n values, accumulated in double. */
static void rm__norm(float *out, const float *x, int64_t n, const rm__vec *w, const rm__vec *b, rm__norm_kind kind,
                     double eps) {
    int64_t i;
    double mean = 0, var = 0, scale;
    if (kind == RM__NORM_LAYER) {
        for (i = 0; i < n; i++) mean += x[i];
        mean /= (double)n;
    }
    for (i = 0; i < n; i++) {
        double d = x[i] - mean;
        var += d * d;
    }
    scale = 1.0 / sqrt(var / (double)n + eps);
    for (i = 0; i < n; i++) {
        float v = (float)((x[i] - mean) * scale);
        if (w && w->data) v *= w->data[i];
        if (b && b->data) v += b->data[i];
        out[i] = v;
    }
}

static float rm__gelu_tanh(float x) {
    const double c = 0.7978845608028654; /* sqrt(2/pi) */
    double xd = x;
    return (float)(0.5 * xd * (1.0 + tanh(c * (xd + 0.044715 * xd * xd * xd))));
}

static float rm__silu(float x) { return x / (1.0f + expf(-x)); }

/* Rotates one head of D values at position pos: pairs (x[2i], x[2i+1]) or, NEOX style,
   (x[i], x[i + n_rot/2]); only the first n_rot values turn. */
static void rm__rope(float *x, int64_t n_rot, int neox, const double *cs) {
    int64_t i, half = n_rot / 2;
    for (i = 0; i < half; i++) {
        double c = cs[2 * i], s = cs[2 * i + 1];
        int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
        double x0 = x[a], x1 = x[b];
        x[a] = (float)(x0 * c - x1 * s);
        x[b] = (float)(x0 * s + x1 * c);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* 12. Contexts and the forward pass                                                        */
/* ---------------------------------------------------------------------------------------- */

/* Tokens per pass through the layers: bounds the scratch memory of a long evaluation. */
#define RM__UBATCH 512

struct rm_ctx {
    const rm_model *m;
    rm_result status;
    char err[512];
    int nth;
    int kv_f16;
    int64_t n_ctx;         /* limit on cells */
    int64_t cap;           /* cells allocated */
    int64_t n_cells;       /* cells in use */
    int32_t *cell_pos;     /* [cap] */
    int32_t *cell_seq;     /* [cap] -1: shared prefix */
    void **k, **v;         /* per layer: [cap][G*D] float or fp16 */
    /* scratch for one ubatch */
    int64_t s_T;
    float *x, *h, *q, *kk, *vv, *att, *ff1, *ff2, *wbuf, *scores;
    double *rope_cs;       /* [T][n_rot] cos, sin pairs */
};

static rm_result rm__ctx_fail(rm_ctx *c, rm_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return r;
}

static void rm__ctx_free_scratch(rm_ctx *c) {
    RM_FREE(c->x); RM_FREE(c->h); RM_FREE(c->q); RM_FREE(c->kk); RM_FREE(c->vv); RM_FREE(c->att);
    RM_FREE(c->ff1); RM_FREE(c->ff2); RM_FREE(c->wbuf); RM_FREE(c->scores); RM_FREE(c->rope_cs);
    c->x = c->h = c->q = c->kk = c->vv = c->att = c->ff1 = c->ff2 = c->wbuf = c->scores = NULL;
    c->rope_cs = NULL;
    c->s_T = 0;
}

static int rm__max_threads(const rm_ctx *c) {
#ifdef _OPENMP
    return c->nth > 0 ? c->nth : omp_get_max_threads();
#else
    RM__UNUSED(c);
    return 1;
#endif
}

static rm_result rm__ctx_scratch(rm_ctx *c, int64_t T) {
    const rm_hparams *hp = &c->m->hp;
    int64_t E = hp->n_embd, D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, F = hp->n_ff;
    int64_t widest = RM__MAX(RM__MAX(E, F), H * D), nth = rm__max_threads(c);
    if (T <= c->s_T) return RM_OK;
    rm__ctx_free_scratch(c);
    c->x = (float *)rm__calloc((size_t)(T * E), sizeof(float));
    c->h = (float *)rm__calloc((size_t)(T * E), sizeof(float));
    c->q = (float *)rm__calloc((size_t)(T * (H + 2 * G) * D), sizeof(float));
    c->kk = (float *)rm__calloc((size_t)(T * G * D), sizeof(float));
    c->vv = (float *)rm__calloc((size_t)(T * G * D), sizeof(float));
    c->att = (float *)rm__calloc((size_t)(T * H * D), sizeof(float));
    c->ff1 = (float *)rm__calloc((size_t)(T * F), sizeof(float));
    c->ff2 = (float *)rm__calloc((size_t)(T * RM__MAX(E, F)), sizeof(float));
    c->wbuf = (float *)rm__calloc((size_t)(nth * widest), sizeof(float));
    c->scores = (float *)rm__calloc((size_t)(nth * c->n_ctx), sizeof(float));
    c->rope_cs = (double *)rm__calloc((size_t)(T * hp->n_rot), sizeof(double));
    if (!c->x || !c->h || !c->q || !c->kk || !c->vv || !c->att || !c->ff1 || !c->ff2 || !c->wbuf || !c->scores ||
        !c->rope_cs) {
        rm__ctx_free_scratch(c);
        return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for a batch of %lld tokens", (long long)T);
    }
    c->s_T = T;
    return RM_OK;
}

/* Grows the KV cache to hold at least n cells (doubling, up to n_ctx). */
static rm_result rm__ctx_reserve(rm_ctx *c, int64_t n) {
    const rm_hparams *hp = &c->m->hp;
    int64_t newcap, il, row = hp->n_head_kv * hp->head_dim;
    size_t esz = c->kv_f16 ? 2 : 4;
    if (n <= c->cap) return RM_OK;
    newcap = c->cap ? c->cap : 256;
    while (newcap < n) newcap *= 2;
    if (newcap > c->n_ctx) newcap = c->n_ctx;
    {
        int32_t *p = (int32_t *)RM_REALLOC(c->cell_pos, (size_t)newcap * sizeof(int32_t));
        if (!p) return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for %lld cells", (long long)newcap);
        c->cell_pos = p;
        p = (int32_t *)RM_REALLOC(c->cell_seq, (size_t)newcap * sizeof(int32_t));
        if (!p) return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for %lld cells", (long long)newcap);
        c->cell_seq = p;
    }
    for (il = 0; il < hp->n_layer; il++) {
        void *k = RM_REALLOC(c->k[il], (size_t)(newcap * row) * esz);
        if (!k) return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for the KV cache (%lld cells)", (long long)newcap);
        c->k[il] = k;
        k = RM_REALLOC(c->v[il], (size_t)(newcap * row) * esz);
        if (!k) return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for the KV cache (%lld cells)", (long long)newcap);
        c->v[il] = k;
    }
    c->cap = newcap;
    return RM_OK;
}

RMDEF rm_result rm_ctx_new(const rm_model *m, const rm_ctx_params *p, rm_ctx **out) {
    rm_ctx *c;
    if (!out) return RM_ERR_INVALID_ARG;
    *out = NULL;
    c = (rm_ctx *)rm__calloc(1, sizeof(rm_ctx));
    if (!c) return RM_ERR_NOMEM;
    *out = c;
    if (!m || m->status) {
        c->status = rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: the model is NULL or failed to open");
        return c->status;
    }
    c->m = m;
    c->n_ctx = m->hp.n_ctx_train;
    if (p) {
        if (p->n_ctx < 0 || p->n_threads < 0) {
            c->status = rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: n_ctx and n_threads must not be negative");
            return c->status;
        }
        if (p->n_ctx > 0) c->n_ctx = p->n_ctx;
        c->nth = p->n_threads;
        c->kv_f16 = p->kv_f16 != 0;
    }
    if (c->n_ctx > RM_MAX_CONTEXT) c->n_ctx = RM_MAX_CONTEXT;
    if (c->n_ctx < 1) c->n_ctx = 1;
    c->k = (void **)rm__calloc((size_t)m->hp.n_layer, sizeof(void *));
    c->v = (void **)rm__calloc((size_t)m->hp.n_layer, sizeof(void *));
    if (!c->k || !c->v) c->status = rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory");
    return c->status;
}

RMDEF void rm_ctx_free(rm_ctx *c) {
    int64_t il;
    if (!c) return;
    if (c->k)
        for (il = 0; il < c->m->hp.n_layer; il++) RM_FREE(c->k[il]);
    if (c->v)
        for (il = 0; il < c->m->hp.n_layer; il++) RM_FREE(c->v[il]);
    RM_FREE(c->k);
    RM_FREE(c->v);
    RM_FREE(c->cell_pos);
    RM_FREE(c->cell_seq);
    rm__ctx_free_scratch(c);
    RM_FREE(c);
}

RMDEF const char *rm_ctx_error(const rm_ctx *c) { return c ? c->err : "out of memory"; }
RMDEF int64_t rm_ctx_n_past(const rm_ctx *c) { return c ? c->n_cells : 0; }
RMDEF rm_result rm_ctx_truncate(rm_ctx *c, int64_t n) {
    if (!c || c->status || n < 0) return RM_ERR_INVALID_ARG;
    if (n < c->n_cells) c->n_cells = n;
    return RM_OK;
}

static void rm__kv_store(rm_ctx *c, int64_t il, int64_t cell, const float *k, const float *v, int64_t row) {
    if (c->kv_f16) {
        uint16_t *K = (uint16_t *)c->k[il] + cell * row, *V = (uint16_t *)c->v[il] + cell * row;
        int64_t i;
        for (i = 0; i < row; i++) {
            K[i] = rm__fp32_to_fp16(k[i]);
            V[i] = rm__fp32_to_fp16(v[i]);
        }
    } else {
        memcpy((float *)c->k[il] + cell * row, k, (size_t)row * sizeof(float));
        memcpy((float *)c->v[il] + cell * row, v, (size_t)row * sizeof(float));
    }
}

/* Attention of T new tokens (their K/V already stored in cells first..first+T-1) over every
   cell they may see: same sequence or the shared prefix, position not after theirs, and
   within the sliding window when the layer has one. */
static void rm__attention(rm_ctx *c, const rm__layer *L, int64_t il, int64_t first, int64_t T) {
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const int64_t D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, row = G * D, qstride = H * D;
    const int64_t n_cells = first + T, group = H / G;
    const float scale = (float)m->attn_scale, cap = (float)hp->attn_softcap;
    int64_t th;
    int nth = rm__max_threads(c);
    RM__UNUSED(nth);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1)
#endif
    for (th = 0; th < T * H; th++) {
        const int64_t t = th / H, h = th % H, g = h / group, cell_q = first + t;
        const int32_t pq = c->cell_pos[cell_q], sq = c->cell_seq[cell_q];
        const float *qv = c->q + t * qstride + h * D;
        float *out = c->att + t * qstride + h * D;
        float *sc;
        float mx = -INFINITY;
        double sum = 0;
        int64_t j, d;
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        sc = c->scores + (size_t)tid * (size_t)c->n_ctx;
        for (j = 0; j < n_cells; j++) {
            const int32_t pk = c->cell_pos[j], sk = c->cell_seq[j];
            float s;
            if (pk > pq || (sk >= 0 && sk != sq) || (L->sliding && pq - pk >= hp->sliding_window)) {
                sc[j] = -INFINITY;
                continue;
            }
            if (c->kv_f16) {
                const uint16_t *kr = (const uint16_t *)c->k[il] + j * row + g * D;
                float acc = 0;
                for (d = 0; d < D; d++) acc += qv[d] * rm__fp16_to_fp32(kr[d]);
                s = acc;
            } else {
                s = rm__dot_f32(qv, (const float *)c->k[il] + j * row + g * D, D);
            }
            s *= scale;
            if (cap > 0) s = cap * tanhf(s / cap);
            sc[j] = s;
            if (s > mx) mx = s;
        }
        for (d = 0; d < D; d++) out[d] = 0;
        for (j = 0; j < n_cells; j++) {
            float p;
            if (sc[j] == -INFINITY) continue;
            p = expf(sc[j] - mx);
            sum += p;
            if (c->kv_f16) {
                const uint16_t *vr = (const uint16_t *)c->v[il] + j * row + g * D;
                for (d = 0; d < D; d++) out[d] += p * rm__fp16_to_fp32(vr[d]);
            } else {
                const float *vr = (const float *)c->v[il] + j * row + g * D;
                for (d = 0; d < D; d++) out[d] += p * vr[d];
            }
        }
        for (d = 0; d < D; d++) out[d] = (float)(out[d] / sum);
    }
}

/* cos/sin of every rotary pair for each token's position. llama3 scaling divides each
   frequency by rope_freqs[i]; linear scaling multiplies positions by rope_scale. */
static void rm__rope_table(rm_ctx *c, int64_t first, int64_t T) {
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    int64_t t, i, half = hp->n_rot / 2;
    for (t = 0; t < T; t++) {
        double p = (double)c->cell_pos[first + t] * hp->rope_scale;
        double *cs = c->rope_cs + t * hp->n_rot;
        for (i = 0; i < half; i++) {
            double theta = p * pow(hp->rope_base, -2.0 * (double)i / (double)hp->n_rot);
            if (m->rope_freqs.data) theta /= m->rope_freqs.data[i];
            cs[2 * i] = cos(theta);
            cs[2 * i + 1] = sin(theta);
        }
    }
}

/* Runs T tokens (already placed in cells first..first+T-1) through every layer, leaving the
   final-normed hidden states in c->h. */
static rm_result rm__forward(rm_ctx *c, const int32_t *tokens, int64_t first, int64_t T) {
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const rm__arch_info *ai = m->ai;
    const int64_t E = hp->n_embd, D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, F = hp->n_ff;
    const int nth = rm__max_threads(c);
    int64_t t, il, i;

    /* embeddings: rows of token_embd, scaled by sqrt(E) for gemma2 */
    for (t = 0; t < T; t++) {
        float *x = c->x + t * E;
        rm_dequantize_row(m->tok_embd.type, (const uint8_t *)m->tok_embd.data + (size_t)tokens[t] * m->tok_embd.row_bytes,
                          x, E);
        if (ai->embd_scale) {
            float s = (float)sqrt((double)E);
            for (i = 0; i < E; i++) x[i] *= s;
        }
    }
    rm__rope_table(c, first, T);

    for (il = 0; il < hp->n_layer; il++) {
        const rm__layer *L = &m->layers[il];
        const int64_t qkv_w = (H + 2 * G) * D;
        /* attention input */
        for (t = 0; t < T; t++) rm__norm(c->h + t * E, c->x + t * E, E, &L->attn_norm, &L->attn_norm_b, ai->norm, hp->norm_eps);
        if (ai->fused_qkv) {
            /* {E, (H+2G)*D}: rows are Q then K then V */
            rm__matmul(&L->wqkv, c->h, T, E, c->q, qkv_w, c->wbuf, nth);
            rm__add_bias(c->q, T, qkv_w, &L->bqkv);
            for (t = 0; t < T; t++) {
                memcpy(c->kk + t * G * D, c->q + t * qkv_w + H * D, (size_t)(G * D) * sizeof(float));
                memcpy(c->vv + t * G * D, c->q + t * qkv_w + (H + G) * D, (size_t)(G * D) * sizeof(float));
                if (t) memmove(c->q + t * H * D, c->q + t * qkv_w, (size_t)(H * D) * sizeof(float));
            }
        } else {
            rm__matmul(&L->wq, c->h, T, E, c->q, H * D, c->wbuf, nth);
            rm__matmul(&L->wk, c->h, T, E, c->kk, G * D, c->wbuf, nth);
            rm__matmul(&L->wv, c->h, T, E, c->vv, G * D, c->wbuf, nth);
            rm__add_bias(c->q, T, H * D, &L->bq);
            rm__add_bias(c->kk, T, G * D, &L->bk);
            rm__add_bias(c->vv, T, G * D, &L->bv);
        }
        for (t = 0; t < T; t++) {
            const double *cs = c->rope_cs + t * hp->n_rot;
            for (i = 0; i < H; i++) {
                float *q = c->q + t * H * D + i * D;
                if (L->q_norm.data) rm__norm(q, q, D, &L->q_norm, NULL, RM__NORM_RMS, hp->norm_eps);
                rm__rope(q, hp->n_rot, ai->rope_neox, cs);
            }
            for (i = 0; i < G; i++) {
                float *k = c->kk + t * G * D + i * D;
                if (L->k_norm.data) rm__norm(k, k, D, &L->k_norm, NULL, RM__NORM_RMS, hp->norm_eps);
                rm__rope(k, hp->n_rot, ai->rope_neox, cs);
            }
            rm__kv_store(c, il, first + t, c->kk + t * G * D, c->vv + t * G * D, G * D);
        }
        rm__attention(c, L, il, first, T);
        /* attention output; c->h still holds the attention input norm */
        rm__matmul(&L->wo, c->att, T, H * D, c->ff2, E, c->wbuf, nth);
        rm__add_bias(c->ff2, T, E, &L->bo);
        if (L->attn_post_norm.data)
            for (t = 0; t < T; t++) rm__norm(c->ff2 + t * E, c->ff2 + t * E, E, &L->attn_post_norm, NULL, ai->norm, hp->norm_eps);
        if (m->parallel_residual) {
            /* x + attn(ln1 x) + ffn(ln2 x): the FFN reads the layer input, so add attn after */
            for (t = 0; t < T; t++) rm__norm(c->h + t * E, c->x + t * E, E, &L->ffn_norm, &L->ffn_norm_b, ai->norm, hp->norm_eps);
            for (i = 0; i < T * E; i++) c->x[i] += c->ff2[i];
        } else {
            for (i = 0; i < T * E; i++) c->x[i] += c->ff2[i];
            for (t = 0; t < T; t++) rm__norm(c->h + t * E, c->x + t * E, E, &L->ffn_norm, &L->ffn_norm_b, ai->norm, hp->norm_eps);
        }
        /* feed-forward */
        rm__matmul(&L->w_up, c->h, T, E, c->ff1, F, c->wbuf, nth);
        rm__add_bias(c->ff1, T, F, &L->b_up);
        if (ai->act == RM__ACT_GELU) {
            for (i = 0; i < T * F; i++) c->ff1[i] = rm__gelu_tanh(c->ff1[i]);
        } else {
            rm__matmul(&L->w_gate, c->h, T, E, c->ff2, F, c->wbuf, nth);
            if (ai->act == RM__ACT_SILU_GATED)
                for (i = 0; i < T * F; i++) c->ff1[i] *= rm__silu(c->ff2[i]);
            else
                for (i = 0; i < T * F; i++) c->ff1[i] *= rm__gelu_tanh(c->ff2[i]);
        }
        rm__matmul(&L->w_down, c->ff1, T, F, c->ff2, E, c->wbuf, nth);
        rm__add_bias(c->ff2, T, E, &L->b_down);
        if (L->ffn_post_norm.data)
            for (t = 0; t < T; t++) rm__norm(c->ff2 + t * E, c->ff2 + t * E, E, &L->ffn_post_norm, NULL, ai->norm, hp->norm_eps);
        for (i = 0; i < T * E; i++) c->x[i] += c->ff2[i];
    }
    for (t = 0; t < T; t++) rm__norm(c->h + t * E, c->x + t * E, E, &m->out_norm, &m->out_norm_b, ai->norm, hp->norm_eps);
    for (i = 0; i < T * E; i++)
        if (!(c->h[i] - c->h[i] == 0)) return rm__ctx_fail(c, RM_ERR_NONFINITE, "ctx: the hidden state holds NaN or Inf (layer weights or input overflow)");
    return RM_OK;
}

/* Log-softmax of the LM head at the rows of hs listed in idx (n of them) for the given
   targets, without keeping the logits: each thread scans a share of the vocabulary with a
   running max and sum per row, then the shares are merged. */
static void rm__lm_logprobs(rm_ctx *c, const float *hs, const int64_t *idx, const int32_t *targets, int64_t n,
                            double *out) {
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const int64_t E = hp->n_embd, V = hp->n_vocab;
    const float cap = (float)hp->final_softcap;
    const int nth = rm__max_threads(c);
    double *mx = (double *)rm__calloc((size_t)(nth * n), sizeof(double));
    double *sm = (double *)rm__calloc((size_t)(nth * n), sizeof(double));
    double *tl = (double *)rm__calloc((size_t)n, sizeof(double));
    int64_t k, tt;
    if (!mx || !sm || !tl) {
        for (k = 0; k < n; k++) out[k] = NAN;
        RM_FREE(mx); RM_FREE(sm); RM_FREE(tl);
        return;
    }
    for (k = 0; k < nth * n; k++) mx[k] = -INFINITY;
#ifdef _OPENMP
#pragma omp parallel num_threads(nth)
#endif
    {
        int tid = 0, nt = 1;
        int64_t j, j0, j1;
        double *pm, *ps;
        float *row;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        nt = omp_get_num_threads();
#endif
        j0 = V * tid / nt;
        j1 = V * (tid + 1) / nt;
        pm = mx + (size_t)tid * (size_t)n;
        ps = sm + (size_t)tid * (size_t)n;
        row = c->wbuf + (size_t)tid * (size_t)RM__MAX(RM__MAX(E, hp->n_ff), hp->n_head * hp->head_dim);
        for (j = j0; j < j1; j++) {
            const float *w;
            int64_t q;
            if (m->output.type == RM_TYPE_F32) {
                w = (const float *)((const uint8_t *)m->output.data + (size_t)j * m->output.row_bytes);
            } else {
                rm_dequantize_row(m->output.type, (const uint8_t *)m->output.data + (size_t)j * m->output.row_bytes, row, E);
                w = row;
            }
            for (q = 0; q < n; q++) {
                double l = rm__dot_f32(w, hs + idx[q] * E, E);
                if (cap > 0) l = cap * tanh(l / cap);
                if (j == targets[q]) tl[q] = l;
                if (l > pm[q]) {
                    ps[q] = ps[q] * exp(pm[q] - l) + 1.0;
                    pm[q] = l;
                } else {
                    ps[q] += exp(l - pm[q]);
                }
            }
        }
    }
    for (tt = 0; tt < n; tt++) {
        double M = -INFINITY, S = 0;
        int th;
        for (th = 0; th < nth; th++) M = RM__MAX(M, mx[th * n + tt]);
        for (th = 0; th < nth; th++)
            if (mx[th * n + tt] > -INFINITY) S += sm[th * n + tt] * exp(mx[th * n + tt] - M);
        out[tt] = tl[tt] - (M + log(S));
    }
    RM_FREE(mx);
    RM_FREE(sm);
    RM_FREE(tl);
}

RMDEF rm_result rm_ctx_eval(rm_ctx *c, const rm_eval *e) {
    const rm_model *m;
    int64_t E, V, n, start, first0, i;
    rm_result r;
    if (!c || !e) return RM_ERR_INVALID_ARG;
    if (c->status) return c->status;
    m = c->m;
    E = m->hp.n_embd;
    V = m->hp.n_vocab;
    n = e->n_tokens;
    if (n < 0 || (n > 0 && !e->tokens) || (e->targets && !e->logprobs) || (e->n_hidden && (!e->hidden || !e->hidden_idx)) ||
        (e->n_logits && (!e->logits || !e->logits_idx)) || e->n_hidden < 0 || e->n_logits < 0)
        return rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: inconsistent rm_eval (missing output buffer or tokens)");
    if (n == 0) return RM_OK;
    if (n > c->n_ctx - c->n_cells)
        return rm__ctx_fail(c, RM_ERR_CONTEXT, "ctx: %lld tokens after %lld cached do not fit in a context of %lld",
                            (long long)n, (long long)c->n_cells, (long long)c->n_ctx);
    for (i = 0; i < n; i++) {
        if (e->tokens[i] < 0 || e->tokens[i] >= V)
            return rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: token %lld has id %d outside the vocabulary of %lld",
                                (long long)i, (int)e->tokens[i], (long long)V);
        if (e->targets && e->targets[i] >= V)
            return rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: target %lld has id %d outside the vocabulary", (long long)i, (int)e->targets[i]);
        if (e->pos && (e->pos[i] < 0 || e->pos[i] >= c->n_ctx))
            return rm__ctx_fail(c, RM_ERR_CONTEXT, "ctx: position %d of token %lld is outside the context of %lld",
                                (int)e->pos[i], (long long)i, (long long)c->n_ctx);
    }
    for (i = 0; i < e->n_hidden; i++)
        if (e->hidden_idx[i] < 0 || e->hidden_idx[i] >= n) return rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: hidden_idx[%lld] out of range", (long long)i);
    for (i = 0; i < e->n_logits; i++)
        if (e->logits_idx[i] < 0 || e->logits_idx[i] >= n) return rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: logits_idx[%lld] out of range", (long long)i);
    if ((r = rm__ctx_reserve(c, c->n_cells + n))) return r;
    first0 = c->n_cells;
    for (i = 0; i < n; i++) {
        c->cell_pos[first0 + i] = e->pos ? e->pos[i] : (int32_t)(first0 + i);
        c->cell_seq[first0 + i] = e->seq ? e->seq[i] : -1;
    }
    if (e->targets)
        for (i = 0; i < n; i++) e->logprobs[i] = 0;
    for (start = 0; start < n; start += RM__UBATCH) {
        int64_t T = RM__MIN(RM__UBATCH, n - start), k, cnt;
        if ((r = rm__ctx_scratch(c, T))) return r;
        if ((r = rm__forward(c, e->tokens + start, first0 + start, T))) {
            c->n_cells = first0;
            return r;
        }
        c->n_cells = first0 + start + T;
        for (k = 0; k < e->n_hidden; k++) {
            int64_t ti = e->hidden_idx[k];
            if (ti >= start && ti < start + T) memcpy(e->hidden + k * E, c->h + (ti - start) * E, (size_t)E * sizeof(float));
        }
        for (k = 0; k < e->n_logits; k++) {
            int64_t ti = e->logits_idx[k];
            if (ti >= start && ti < start + T) {
                rm__mat out1 = m->output;
                float *lg = e->logits + k * V;
                int64_t j;
                rm__matmul(&out1, c->h + (ti - start) * E, 1, E, lg, V, c->wbuf, rm__max_threads(c));
                if (m->hp.final_softcap > 0)
                    for (j = 0; j < V; j++) lg[j] = (float)(m->hp.final_softcap * tanh(lg[j] / m->hp.final_softcap));
            }
        }
        if (e->targets) {
            int64_t *idx = (int64_t *)rm__calloc((size_t)T, sizeof(int64_t));
            int32_t *tg = (int32_t *)rm__calloc((size_t)T, sizeof(int32_t));
            double *lp = (double *)rm__calloc((size_t)T, sizeof(double));
            if (!idx || !tg || !lp) {
                RM_FREE(idx); RM_FREE(tg); RM_FREE(lp);
                return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory");
            }
            for (k = 0, cnt = 0; k < T; k++)
                if (e->targets[start + k] >= 0) {
                    idx[cnt] = k;
                    tg[cnt++] = e->targets[start + k];
                }
            if (cnt) rm__lm_logprobs(c, c->h, idx, tg, cnt, lp);
            for (k = 0; k < cnt; k++) e->logprobs[start + idx[k]] = lp[k];
            RM_FREE(idx); RM_FREE(tg); RM_FREE(lp);
        }
    }
    return RM_OK;
}


/* Policy and reference must agree on every token id: same vocabulary size and the same token
   texts (tokenizer.ggml.tokens), so that log-ratios compare the same events. */
static rm_result rm__models_same_vocab(const rm_model *a, const rm_model *b, char *err, size_t ec) {
    uint64_t na = 0, nb = 0, i;
    rm_gguf_type ta, tb;
    int ha, hb;
    if (a->hp.n_vocab != b->hp.n_vocab)
        return rm__fail(err, ec, RM_ERR_VOCAB_MISMATCH, "scorer: the policy has %lld tokens and the reference %lld",
                        (long long)a->hp.n_vocab, (long long)b->hp.n_vocab);
    ha = rm_gguf_get_arr(a->gguf, "tokenizer.ggml.tokens", &ta, &na, NULL) == RM_OK && ta == RM_GGUF_STRING;
    hb = rm_gguf_get_arr(b->gguf, "tokenizer.ggml.tokens", &tb, &nb, NULL) == RM_OK && tb == RM_GGUF_STRING;
    if (ha != hb || na != nb)
        return rm__fail(err, ec, RM_ERR_VOCAB_MISMATCH, "scorer: the policy's and the reference's token lists differ in size (%llu vs %llu)",
                        (unsigned long long)na, (unsigned long long)nb);
    for (i = 0; i < na; i++) {
        rm_str x, y;
        rm_gguf_get_arr_str(a->gguf, "tokenizer.ggml.tokens", i, &x);
        rm_gguf_get_arr_str(b->gguf, "tokenizer.ggml.tokens", i, &y);
        if (x.len != y.len || (x.len && memcmp(x.ptr, y.ptr, x.len) != 0))
            return rm__fail(err, ec, RM_ERR_VOCAB_MISMATCH, "scorer: token %llu differs between the policy ('%.*s') and the reference ('%.*s')",
                            (unsigned long long)i, (int)RM__MIN(x.len, 40), x.ptr, (int)RM__MIN(y.len, 40), y.ptr);
    }
    return RM_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* 13. Reward scoring                                                                       */
/* ---------------------------------------------------------------------------------------- */

struct rm_head {
    rm_gguf *gguf;
    rm_result status;
    char err[512];
    rm__mat w;          /* {n_embd, n_out} */
    rm__vec b;          /* {n_out} or absent */
    double mean, std;   /* normalisation; std 0 = none */
};

/* Reads cls.output.weight ({E, n_out} or 1-D {E}) and cls.output.bias from g. */
static rm_result rm__head_read(const rm_gguf *g, rm__mat *w, rm__vec *b, char *err, size_t ec) {
    const rm_tensor *t = rm_gguf_find_tensor(g, "cls.output.weight");
    const rm_tensor *tb = rm_gguf_find_tensor(g, "cls.output.bias");
    memset(w, 0, sizeof(*w));
    memset(b, 0, sizeof(*b));
    if (!t) return rm__fail(err, ec, RM_ERR_NO_HEAD, "head: no tensor 'cls.output.weight'");
    if (t->n_dims > 2 || t->ne[1] < 1 || t->ne[1] > 65536)
        return rm__fail(err, ec, RM_ERR_TENSOR_SHAPE, "head: cls.output.weight has %d dims and %lld outputs", t->n_dims, (long long)t->ne[1]);
    if (t->type != RM_TYPE_F32)
        return rm__fail(err, ec, RM_ERR_TENSOR_SHAPE, "head: cls.output.weight is %s; only F32 heads are supported", rm_type_name(t->type));
    w->data = t->data;
    w->type = t->type;
    w->n_in = t->ne[0];
    w->n_out = t->ne[1];
    w->row_bytes = rm__row_bytes(t->type, t->ne[0]);
    if (tb) {
        if (tb->type != RM_TYPE_F32 || tb->ne[0] != w->n_out || tb->n_dims != 1)
            return rm__fail(err, ec, RM_ERR_TENSOR_SHAPE, "head: cls.output.bias must be F32 {%lld}", (long long)w->n_out);
        b->data = (const float *)tb->data;
        b->n = tb->ne[0];
    }
    return RM_OK;
}

RMDEF rm_result rm_head_open(const char *path, rm_head **out) {
    rm_head *h;
    rm_result e;
    if (!out) return RM_ERR_INVALID_ARG;
    h = (rm_head *)rm__calloc(1, sizeof(rm_head));
    *out = h;
    if (!h) return RM_ERR_NOMEM;
    e = rm_gguf_open(path, &h->gguf);
    if (e) {
        snprintf(h->err, sizeof(h->err), "%s", rm_gguf_error(h->gguf));
        return h->status = e;
    }
    e = rm__head_read(h->gguf, &h->w, &h->b, h->err, sizeof(h->err));
    if (e) return h->status = e;
    if (rm_gguf_get_float(h->gguf, "rm.head.std", &h->std) != RM_OK) h->std = 0;
    if (rm_gguf_get_float(h->gguf, "rm.head.mean", &h->mean) != RM_OK) h->mean = 0;
    if (!(h->std > 0) || !(h->mean == h->mean)) h->std = 0, h->mean = 0;
    return RM_OK;
}
RMDEF void rm_head_close(rm_head *h) {
    if (!h) return;
    rm_gguf_close(h->gguf);
    RM_FREE(h);
}
RMDEF const char *rm_head_error(const rm_head *h) { return h ? h->err : "out of memory"; }
RMDEF int64_t rm_head_n_embd(const rm_head *h) { return (h && !h->status) ? h->w.n_in : 0; }

struct rm_scorer {
    rm_scorer_desc d;
    rm_result status;
    char err[512];
    rm_ctx *ctx, *ref_ctx;
    rm__mat head_w;
    rm__vec head_b;
    double head_mean, head_std;
    /* per-call buffers, grown as needed */
    int32_t *tok, *seq, *pos, *tgt;
    double *lp, *ref_lp, *contrib;
    int64_t *hidx;
    float *hid;
    int32_t *ids;       /* copies of prompt and response ids handed back in rm_score */
    int64_t cap_tok, cap_hid, cap_ids;
    /* text entry points */
    int tmpl;           /* resolved rm_chat_template */
    int tmpl_uses_bos;  /* the template text renders bos_token itself */
    char *text;
    size_t text_cap;
    int32_t *tokbuf;
    size_t tokbuf_cap;
};

static rm_result rm__scorer_fail(rm_scorer *s, rm_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return r;
}

RMDEF rm_result rm_scorer_new(const rm_scorer_desc *d, rm_scorer **out) {
    rm_scorer *s;
    rm_ctx_params cp;
    rm_result e;
    if (!out) return RM_ERR_INVALID_ARG;
    s = (rm_scorer *)rm__calloc(1, sizeof(rm_scorer));
    *out = s;
    if (!s) return RM_ERR_NOMEM;
    if (!d || !d->model || d->model->status)
        return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: no model, or the model failed to open");
    s->d = *d;
    if (s->d.beta == 0) s->d.beta = 1.0;
    if (!(s->d.beta == s->d.beta) || s->d.mode < RM_MODE_EXPLICIT || s->d.mode > RM_MODE_HIDDEN ||
        s->d.ref_free < RM_REF_FREE_OFF || s->d.ref_free > RM_REF_FREE_NORM || s->d.split < RM_SPLIT_PAPER ||
        s->d.split > RM_SPLIT_NONE)
        return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: mode, beta, ref_free or split out of range");
    if (d->mode == RM_MODE_EXPLICIT) {
        if (d->head) {
            if (d->head->status) return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: the head failed to open: %s", d->head->err);
            s->head_w = d->head->w;
            s->head_b = d->head->b;
            s->head_mean = d->head->mean;
            s->head_std = d->normalize ? d->head->std : 0;
        } else {
            e = rm__head_read(d->model->gguf, &s->head_w, &s->head_b, s->err, sizeof(s->err));
            if (e) return s->status = rm__scorer_fail(s, e, "scorer: explicit mode needs a reward head: the model has no cls.output.weight; attach one with --head (fit-head makes one)");
        }
        if (s->head_w.n_in != d->model->hp.n_embd)
            return s->status = rm__scorer_fail(s, RM_ERR_TENSOR_SHAPE, "scorer: the head is %lld wide but the model's hidden size is %lld",
                                               (long long)s->head_w.n_in, (long long)d->model->hp.n_embd);
    } else if (d->mode == RM_MODE_IMPLICIT) {
        if (!d->model->has_output && d->model->hp.n_cls_out > 0)
            return s->status = rm__scorer_fail(s, RM_ERR_NO_LM_HEAD, "scorer: the model is a classifier checkpoint without output.weight: it has no language-model head for implicit scoring");
        if (d->ref_free == RM_REF_FREE_OFF) {
            if (!d->ref || d->ref->status)
                return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: implicit mode needs a reference model (or a reference-free form)");
            if ((e = rm__models_same_vocab(d->model, d->ref, s->err, sizeof(s->err)))) return s->status = e;
        }
    }
    /* the chat template: named, none, or the model's own */
    s->tmpl = d->chat_template;
    if (d->chat_template == RM_CHAT_AUTO || d->chat_template != RM_CHAT_NONE) {
        rm_str src = {NULL, 0};
        int have = rm_gguf_get_str(d->model->gguf, "tokenizer.chat_template", &src) == RM_OK;
        if (d->chat_template == RM_CHAT_AUTO) {
            s->tmpl = RM_CHAT_NONE;
            if (have && d->split != RM_SPLIT_NONE) {
                char why[400];
                if ((e = rm_chat_template_detect(src.ptr, src.len, &s->tmpl, why, sizeof(why))))
                    return s->status = rm__scorer_fail(s, e, "scorer: the model's chat template is not recognised (%s); choose one by name or none", why);
            }
        } else if (!rm_chat_template_name(d->chat_template)) {
            return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: chat template id %d does not exist", d->chat_template);
        }
        /* a template whose text never says bos_token renders without it (see rm_chat_render) */
        s->tmpl_uses_bos = !have;
        if (have) {
            size_t i;
            for (i = 0; i + 9 <= src.len && !s->tmpl_uses_bos; i++) s->tmpl_uses_bos = memcmp(src.ptr + i, "bos_token", 9) == 0;
        }
    }
    memset(&cp, 0, sizeof(cp));
    cp.n_ctx = d->n_ctx;
    cp.n_threads = d->n_threads;
    cp.kv_f16 = d->kv_f16;
    if ((e = rm_ctx_new(d->model, &cp, &s->ctx))) return s->status = rm__scorer_fail(s, e, "%s", rm_ctx_error(s->ctx));
    if (d->mode == RM_MODE_IMPLICIT && d->ref_free == RM_REF_FREE_OFF)
        if ((e = rm_ctx_new(d->ref, &cp, &s->ref_ctx))) return s->status = rm__scorer_fail(s, e, "%s", rm_ctx_error(s->ref_ctx));
    return RM_OK;
}

RMDEF void rm_scorer_free(rm_scorer *s) {
    if (!s) return;
    rm_ctx_free(s->ctx);
    rm_ctx_free(s->ref_ctx);
    RM_FREE(s->tok); RM_FREE(s->seq); RM_FREE(s->pos); RM_FREE(s->tgt);
    RM_FREE(s->lp); RM_FREE(s->ref_lp); RM_FREE(s->contrib);
    RM_FREE(s->hidx); RM_FREE(s->hid); RM_FREE(s->ids);
    RM_FREE(s->text); RM_FREE(s->tokbuf);
    RM_FREE(s);
}
RMDEF const char *rm_scorer_error(const rm_scorer *s) { return s ? s->err : "out of memory"; }
RMDEF int rm_scorer_template(const rm_scorer *s) { return s ? s->tmpl : RM_CHAT_NONE; }

static rm_result rm__scorer_grow(rm_scorer *s, int64_t n_tok, int64_t n_hid, int64_t n_ids) {
    if (n_tok > s->cap_tok) {
        RM_FREE(s->tok); RM_FREE(s->seq); RM_FREE(s->pos); RM_FREE(s->tgt);
        RM_FREE(s->lp); RM_FREE(s->ref_lp); RM_FREE(s->contrib);
        s->tok = (int32_t *)rm__calloc((size_t)n_tok, 4);
        s->seq = (int32_t *)rm__calloc((size_t)n_tok, 4);
        s->pos = (int32_t *)rm__calloc((size_t)n_tok, 4);
        s->tgt = (int32_t *)rm__calloc((size_t)n_tok, 4);
        s->lp = (double *)rm__calloc((size_t)n_tok, sizeof(double));
        s->ref_lp = (double *)rm__calloc((size_t)n_tok, sizeof(double));
        s->contrib = (double *)rm__calloc((size_t)n_tok, sizeof(double));
        s->cap_tok = n_tok;
        if (!s->tok || !s->seq || !s->pos || !s->tgt || !s->lp || !s->ref_lp || !s->contrib) {
            s->cap_tok = 0;
            return rm__scorer_fail(s, RM_ERR_NOMEM, "scorer: out of memory for %lld tokens", (long long)n_tok);
        }
    }
    if (n_hid > s->cap_hid) {
        RM_FREE(s->hidx); RM_FREE(s->hid);
        s->hidx = (int64_t *)rm__calloc((size_t)n_hid, sizeof(int64_t));
        s->hid = (float *)rm__calloc((size_t)(n_hid * s->d.model->hp.n_embd), sizeof(float));
        s->cap_hid = n_hid;
        if (!s->hidx || !s->hid) {
            s->cap_hid = 0;
            return rm__scorer_fail(s, RM_ERR_NOMEM, "scorer: out of memory");
        }
    }
    if (n_ids > s->cap_ids) {
        RM_FREE(s->ids);
        s->ids = (int32_t *)rm__calloc((size_t)n_ids, 4);
        s->cap_ids = s->ids ? n_ids : 0;
        if (!s->ids) return rm__scorer_fail(s, RM_ERR_NOMEM, "scorer: out of memory");
    }
    return RM_OK;
}

/* Runs the shared prompt (all but its last token) once, then every response as its own
   sequence [last prompt token, y_0 .. y_{m-1}] against it, all in one batch. When the batch
   does not fit in the context the responses run one after another instead. Log-probs of the
   response tokens go to lp_out (concatenated), last hidden states to hid_out. */
static rm_result rm__score_model(rm_scorer *s, rm_ctx *c, const int32_t *prompt, int64_t np,
                                 const int32_t *const *resp, const int64_t *nr, int64_t k, double *lp_out,
                                 float *hid_out) {
    const int64_t E = c->m->hp.n_embd;
    rm_eval e;
    rm_result r;
    int64_t i, j, n = 0, total = 0, off = 0;
    int batched;
    for (i = 0; i < k; i++) total += nr[i] + 1;
    batched = (np - 1 + total) <= c->n_ctx;
    rm_ctx_truncate(c, 0);
    if (np > 1) {
        memset(&e, 0, sizeof(e));
        e.tokens = prompt;
        e.n_tokens = np - 1;
        if ((r = rm_ctx_eval(c, &e))) return rm__scorer_fail(s, r, "%s", rm_ctx_error(c));
    }
    for (i = 0; i < k; i++) {
        if (!batched) n = 0;
        s->tok[n] = prompt[np - 1];
        s->seq[n] = batched ? (int32_t)i : -1;
        s->pos[n] = (int32_t)(np - 1);
        s->tgt[n] = resp[i][0];
        n++;
        for (j = 0; j < nr[i]; j++, n++) {
            s->tok[n] = resp[i][j];
            s->seq[n] = batched ? (int32_t)i : -1;
            s->pos[n] = (int32_t)(np + j);
            s->tgt[n] = j + 1 < nr[i] ? resp[i][j + 1] : -1;
        }
        s->hidx[i] = n - 1;
        if (batched && i + 1 < k) continue;
        memset(&e, 0, sizeof(e));
        e.tokens = s->tok;
        e.n_tokens = n;
        e.seq = s->seq;
        e.pos = s->pos;
        e.targets = lp_out ? s->tgt : NULL;
        e.logprobs = s->lp;
        e.hidden_idx = batched ? s->hidx : s->hidx + i;
        e.n_hidden = hid_out ? (batched ? k : 1) : 0;
        e.hidden = hid_out ? hid_out + (batched ? 0 : i * E) : NULL;
        if ((r = rm_ctx_eval(c, &e))) return rm__scorer_fail(s, r, "%s", rm_ctx_error(c));
        if (lp_out) {
            /* each sequence's last slot predicts nothing: skip it */
            int64_t src = 0, i0 = batched ? 0 : i;
            for (; i0 <= i; i0++) {
                for (j = 0; j < nr[i0]; j++) lp_out[off++] = s->lp[src + j];
                src += nr[i0] + 1;
            }
        }
        rm_ctx_truncate(c, RM__MAX(np - 1, 0));
    }
    return RM_OK;
}

RMDEF rm_result rm_score_ids(rm_scorer *s, const int32_t *prompt, int64_t n_prompt, const int32_t *const *responses,
                             const int64_t *n_responses, int64_t k, rm_score *out) {
    rm_result r;
    int64_t i, j, total = 0, E;
    double *pol, *ref;
    int im;
    if (!s) return RM_ERR_INVALID_ARG;
    if (s->status) return s->status;
    if (!prompt || !responses || !n_responses || !out || k < 1)
        return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: missing prompt, responses or output");
    if (n_prompt < 1) return rm__scorer_fail(s, RM_ERR_EMPTY, "score: the prompt has no tokens");
    for (i = 0; i < k; i++) {
        if (n_responses[i] < 1) return rm__scorer_fail(s, RM_ERR_EMPTY, "score: response %lld has no tokens", (long long)i);
        if (!responses[i]) return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: response %lld is NULL", (long long)i);
        if (n_prompt + n_responses[i] > s->ctx->n_ctx)
            return rm__scorer_fail(s, RM_ERR_CONTEXT, "score: response %lld: %lld prompt + %lld response tokens exceed the context of %lld",
                                   (long long)i, (long long)n_prompt, (long long)n_responses[i], (long long)s->ctx->n_ctx);
        total += n_responses[i];
    }
    im = s->d.mode == RM_MODE_IMPLICIT;
    E = s->d.model->hp.n_embd;
    if ((r = rm__scorer_grow(s, total + k + 1, k, n_prompt + total))) return r;
    /* the per-token arrays handed back live in contrib/lp/ref_lp after the batch buffers */
    pol = (double *)rm__calloc((size_t)total, sizeof(double));
    ref = (double *)rm__calloc((size_t)total, sizeof(double));
    if (!pol || !ref) {
        RM_FREE(pol); RM_FREE(ref);
        return rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
    }
    r = rm__score_model(s, s->ctx, prompt, n_prompt, responses, n_responses, k, im ? pol : NULL, s->hid);
    if (!r && s->ref_ctx) r = rm__score_model(s, s->ref_ctx, prompt, n_prompt, responses, n_responses, k, ref, NULL);
    if (r) {
        RM_FREE(pol); RM_FREE(ref);
        return r;
    }
    memcpy(s->ids, prompt, (size_t)n_prompt * 4);
    memcpy(s->lp, pol, (size_t)total * sizeof(double));
    memcpy(s->ref_lp, ref, (size_t)total * sizeof(double));
    RM_FREE(pol);
    RM_FREE(ref);
    {
        int64_t off = 0;
        for (i = 0; i < k; i++) {
            rm_score *o = &out[i];
            const int64_t m = n_responses[i];
            double reward = 0;
            memset(o, 0, sizeof(*o));
            memcpy(s->ids + n_prompt + off, responses[i], (size_t)m * 4);
            o->prompt_ids = s->ids;
            o->n_prompt = n_prompt;
            o->response_ids = s->ids + n_prompt + off;
            o->n_response = m;
            o->last_hidden = s->hid + i * E;
            if (im) {
                const double *lp = s->lp + off, *rl = s->ref_lp + off;
                double *ct = s->contrib + off;
                o->logprobs = lp;
                o->contributions = ct;
                if (s->ref_ctx) o->ref_logprobs = rl;
                switch (s->d.ref_free) {
                case RM_REF_FREE_OFF:
                    for (j = 0; j < m; j++) reward += (ct[j] = s->d.beta * (lp[j] - rl[j]));
                    break;
                case RM_REF_FREE_SUM:
                    for (j = 0; j < m; j++) reward += (ct[j] = s->d.beta * lp[j]);
                    break;
                case RM_REF_FREE_MEAN:
                    for (j = 0; j < m; j++) reward += (ct[j] = lp[j] / (double)m);
                    break;
                default: { /* NORM: contributions are the squared shares of the norm */
                    double ss = 0;
                    for (j = 0; j < m; j++) ss += lp[j] * lp[j];
                    reward = -sqrt(ss);
                    for (j = 0; j < m; j++) ct[j] = ss > 0 ? reward * lp[j] * lp[j] / ss : 0;
                } break;
                }
            } else if (s->d.mode == RM_MODE_HIDDEN) {
                reward = 0;
            } else {
                const float *h = s->hid + i * E;
                double acc = 0;
                for (j = 0; j < E; j++) acc += (double)((const float *)s->head_w.data)[j] * h[j];
                if (s->head_b.data) acc += s->head_b.data[0];
                if (s->head_std > 0) acc = (acc - s->head_mean) / s->head_std;
                reward = acc;
            }
            if (!(reward - reward == 0)) {
                o->nonfinite = 1;
                reward = NAN;
            }
            o->reward = reward;
            off += m;
        }
    }
    return RM_OK;
}


/* ---------------------------------------------------------------------------------------- */
/* 14. Scoring text: templates, segmentation, tokenization                                  */
/* ---------------------------------------------------------------------------------------- */

/* Grows a byte buffer to at least n bytes. */
static rm_result rm__buf_reserve(char **buf, size_t *cap, size_t n) {
    char *p;
    if (n <= *cap) return RM_OK;
    p = (char *)RM_REALLOC(*buf, n);
    if (!p) return RM_ERR_NOMEM;
    *buf = p;
    *cap = n;
    return RM_OK;
}

/* Renders msgs with the scorer's template into s->text (NUL-terminated), returning its length. */
static rm_result rm__render(rm_scorer *s, const rm_chat_msg *msgs, size_t n, int add_gen, size_t *len) {
    const rm_vocab *v = s->d.model->vocab;
    rm_str bos = rm_vocab_token_text(v, rm_vocab_bos(v)), eos = rm_vocab_token_text(v, rm_vocab_eos(v));
    char bos_s[128], eos_s[128];
    size_t need = 0;
    rm_result r;
    snprintf(bos_s, sizeof(bos_s), "%.*s", s->tmpl_uses_bos ? (int)RM__MIN(bos.len, 120) : 0, bos.ptr ? bos.ptr : "");
    snprintf(eos_s, sizeof(eos_s), "%.*s", (int)RM__MIN(eos.len, 120), eos.ptr ? eos.ptr : "");
    r = rm_chat_render(s->tmpl, msgs, n, add_gen, bos_s, eos_s, s->text, s->text_cap, &need);
    if (r == RM_ERR_LIMIT || (r == RM_OK && need + 1 > s->text_cap)) {
        if (rm__buf_reserve(&s->text, &s->text_cap, need + 1)) return rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
        r = rm_chat_render(s->tmpl, msgs, n, add_gen, bos_s, eos_s, s->text, s->text_cap, &need);
    }
    if (r) return rm__scorer_fail(s, r, "score: the chat template could not render the conversation");
    s->text[need] = 0;
    *len = need;
    return RM_OK;
}

/* Tokenizes text into s->tokbuf at offset at; *n receives the count. */
static rm_result rm__tok_into(rm_scorer *s, const char *text, size_t len, int add_special, int parse_special, int64_t at,
                              int64_t *n, const char *what) {
    size_t need = 0;
    rm_result r;
    if ((size_t)at > s->tokbuf_cap) return RM_ERR_INVALID_ARG;
    r = rm_tokenize(s->d.model->vocab, text, len, add_special, parse_special, s->tokbuf + at, s->tokbuf_cap - (size_t)at, &need);
    if (r == RM_ERR_LIMIT) {
        size_t cap = (size_t)at + need + 16;
        int32_t *p = (int32_t *)RM_REALLOC(s->tokbuf, cap * sizeof(int32_t));
        if (!p) return rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
        s->tokbuf = p;
        s->tokbuf_cap = cap;
        r = rm_tokenize(s->d.model->vocab, text, len, add_special, parse_special, s->tokbuf + at, s->tokbuf_cap - (size_t)at, &need);
    }
    if (r) return rm__scorer_fail(s, r, "score: the %s cannot be tokenized: %s", what, rm_result_string(r));
    *n = (int64_t)need;
    return RM_OK;
}

static int rm__starts_with_token(const char *text, size_t len, rm_str tok) {
    return tok.len > 0 && len >= tok.len && memcmp(text, tok.ptr, tok.len) == 0;
}

RMDEF rm_result rm_score_chat(rm_scorer *s, const rm_chat_msg *history, size_t n_history, const rm_str *responses,
                              int64_t k, rm_score *out) {
    const rm_vocab *v;
    rm_result r;
    int64_t i, np = 0, off, *nr = NULL;
    const int32_t **rp = NULL;
    rm_chat_msg *msgs = NULL;
    size_t plen = 0, j;
    char *prompt = NULL;
    int raw;
    if (!s) return RM_ERR_INVALID_ARG;
    if (s->status) return s->status;
    if (!history || n_history < 1 || !responses || k < 1 || !out)
        return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: a conversation and at least one response are required");
    v = s->d.model->vocab;
    raw = s->d.split == RM_SPLIT_NONE || s->tmpl == RM_CHAT_NONE;
    for (j = 0; j < n_history; j++)
        if (!history[j].content && history[j].content_len)
            return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: message %zu has no content", j);
    for (i = 0; i < k; i++) {
        if (!responses[i].ptr && responses[i].len) return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: response %lld is NULL", (long long)i);
        if (responses[i].len == 0) return rm__scorer_fail(s, RM_ERR_EMPTY, "score: response %lld is empty", (long long)i);
    }
    nr = (int64_t *)rm__calloc((size_t)k, sizeof(int64_t));
    rp = (const int32_t **)rm__calloc((size_t)k, sizeof(int32_t *));
    msgs = (rm_chat_msg *)rm__calloc(n_history + 1, sizeof(rm_chat_msg));
    if (!nr || !rp || !msgs) {
        r = rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
        goto done;
    }
    memcpy(msgs, history, n_history * sizeof(rm_chat_msg));
    if (raw) {
        /* raw strings: the conversation's contents joined, BOS as the vocabulary says,
           special-token text not parsed (llama.cpp's tokenize(add_special, !parse_special)) */
        size_t total = 0;
        for (j = 0; j < n_history; j++) total += history[j].content_len;
        if ((r = rm__buf_reserve(&s->text, &s->text_cap, total + 1))) goto oom;
        for (j = 0, total = 0; j < n_history; j++) {
            if (history[j].content_len) memcpy(s->text + total, history[j].content, history[j].content_len);
            total += history[j].content_len;
        }
        s->text[total] = 0;
        if (total == 0) {
            r = rm__scorer_fail(s, RM_ERR_EMPTY, "score: the prompt is empty");
            goto done;
        }
        if ((r = rm__tok_into(s, s->text, total, 1, 0, 0, &np, "prompt"))) goto done;
        off = np;
        for (i = 0; i < k; i++) {
            if ((r = rm__tok_into(s, responses[i].ptr, responses[i].len, 0, 0, off, &nr[i], "response"))) goto done;
            off += nr[i];
        }
    } else {
        /* paper: prompt = the conversation with the generation prompt; response = the full
           conversation minus that prefix (it ends with the end-of-turn text).
           rewardbench: prompt without the generation prompt; BOS first, EOS last. */
        const int rb = s->d.split == RM_SPLIT_REWARDBENCH;
        rm_str bos_text = rm_vocab_token_text(v, rm_vocab_bos(v));
        int add_bos;
        if ((r = rm__render(s, msgs, n_history, !rb, &plen))) goto done;
        prompt = (char *)RM_MALLOC(plen + 1);
        if (!prompt) goto oom;
        memcpy(prompt, s->text, plen + 1);
        add_bos = rm_vocab_bos(v) >= 0 && (rb || rm_vocab_add_bos(v)) && !rm__starts_with_token(prompt, plen, bos_text);
        if ((r = rm__tok_into(s, prompt, plen, 0, 1, add_bos ? 1 : 0, &np, "prompt"))) goto done;
        if (add_bos) {
            s->tokbuf[0] = rm_vocab_bos(v);
            np++;
        }
        off = np;
        for (i = 0; i < k; i++) {
            size_t flen;
            msgs[n_history].role = "assistant";
            msgs[n_history].role_len = 9;
            msgs[n_history].content = responses[i].ptr;
            msgs[n_history].content_len = responses[i].len;
            if ((r = rm__render(s, msgs, n_history + 1, 0, &flen))) goto done;
            if (flen < plen || memcmp(s->text, prompt, plen) != 0) {
                r = rm__scorer_fail(s, RM_ERR_TEMPLATE, "score: response %lld: the rendered conversation does not start with the rendered prompt; use --split none or another template",
                                    (long long)i);
                goto done;
            }
            if (flen == plen) {
                r = rm__scorer_fail(s, RM_ERR_EMPTY, "score: response %lld renders to nothing", (long long)i);
                goto done;
            }
            if ((r = rm__tok_into(s, s->text + plen, flen - plen, 0, 1, off, &nr[i], "response"))) goto done;
            if (rb && rm_vocab_eos(v) >= 0) {
                int64_t need = off + nr[i] + 1;
                if ((size_t)need > s->tokbuf_cap) {
                    int32_t *p = (int32_t *)RM_REALLOC(s->tokbuf, (size_t)need * sizeof(int32_t));
                    if (!p) goto oom;
                    s->tokbuf = p;
                    s->tokbuf_cap = (size_t)need;
                }
                s->tokbuf[off + nr[i]] = rm_vocab_eos(v);
                nr[i]++;
            }
            off += nr[i];
        }
    }
    for (i = 0, off = np; i < k; i++) {
        rp[i] = s->tokbuf + off;
        off += nr[i];
    }
    r = rm_score_ids(s, s->tokbuf, np, rp, nr, k, out);
    goto done;
oom:
    r = rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
done:
    RM_FREE(prompt);
    RM_FREE(nr);
    RM_FREE((void *)rp);
    RM_FREE(msgs);
    return r;
}

RMDEF rm_result rm_score_text(rm_scorer *s, const char *prompt, size_t prompt_len, const rm_str *responses, int64_t k,
                              rm_score *out) {
    rm_chat_msg user;
    memset(&user, 0, sizeof(user));
    user.role = "user";
    user.role_len = 4;
    user.content = prompt;
    user.content_len = prompt_len;
    if (!prompt && prompt_len) return RM_ERR_INVALID_ARG;
    return rm_score_chat(s, &user, 1, responses, k, out);
}

RMDEF rm_result rm_score_pair(rm_scorer *s, const char *prompt, const char *response, rm_score *out) {
    rm_str r;
    if (!prompt || !response) return s ? rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: prompt or response is NULL") : RM_ERR_INVALID_ARG;
    r.ptr = response;
    r.len = strlen(response);
    return rm_score_text(s, prompt, strlen(prompt), &r, 1, out);
}


/* ---------------------------------------------------------------------------------------- */
/* 15. Fitting reward heads                                                                 */
/* ---------------------------------------------------------------------------------------- */

static double rm__softplus(double x) { return x > 30 ? x : (x < -30 ? exp(x) : log1p(exp(x))); }

RMDEF rm_result rm_fit_head(const float *hc, const float *hr, int64_t n, int64_t dim, const rm_fit_params *p, float *w_out,
                            rm_fit_result *res) {
    double l2 = (p && p->l2 > 0) ? p->l2 : 1e-3, hold = p ? p->holdout : 0.2;
    int iters = (p && p->iters > 0) ? p->iters : 300, it;
    uint64_t st = (p && p->seed) ? p->seed : 0x9E3779B97F4A7C15ull;
    int64_t *idx, ntr, i, j;
    double *scale, *w, *g, *m1, *m2, *d;
    const double lr = 0.05, b1 = 0.9, b2 = 0.999;
    if (!hc || !hr || !w_out || !res || n < 2 || dim < 1 || !(hold >= 0 && hold <= 0.9)) return RM_ERR_INVALID_ARG;
    memset(res, 0, sizeof(*res));
    idx = (int64_t *)rm__calloc((size_t)n, sizeof(int64_t));
    scale = (double *)rm__calloc((size_t)dim, sizeof(double));
    w = (double *)rm__calloc((size_t)dim, sizeof(double));
    g = (double *)rm__calloc((size_t)dim, sizeof(double));
    m1 = (double *)rm__calloc((size_t)dim, sizeof(double));
    m2 = (double *)rm__calloc((size_t)dim, sizeof(double));
    d = (double *)rm__calloc((size_t)n, sizeof(double));
    if (!idx || !scale || !w || !g || !m1 || !m2 || !d) {
        RM_FREE(idx); RM_FREE(scale); RM_FREE(w); RM_FREE(g); RM_FREE(m1); RM_FREE(m2); RM_FREE(d);
        return RM_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) idx[i] = i;
    for (i = n - 1; i > 0; i--) { /* Fisher-Yates with xorshift64 */
        int64_t k, t;
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        k = (int64_t)(st % (uint64_t)(i + 1));
        t = idx[i]; idx[i] = idx[k]; idx[k] = t;
    }
    ntr = n - (int64_t)((double)n * hold);
    if (ntr < 1) ntr = 1;
    for (i = 0; i < ntr; i++)
        for (j = 0; j < dim; j++) {
            double x = (double)hc[idx[i] * dim + j] - hr[idx[i] * dim + j];
            scale[j] += x * x;
        }
    for (j = 0; j < dim; j++) scale[j] = scale[j] > 0 ? 1.0 / sqrt(scale[j] / (double)ntr) : 0.0;
    for (it = 1; it <= iters; it++) {
        double c1 = 1.0 - pow(b1, it), c2 = 1.0 - pow(b2, it);
        for (j = 0; j < dim; j++) g[j] = l2 * w[j];
        for (i = 0; i < ntr; i++) {
            const float *a = hc + idx[i] * dim, *b = hr + idx[i] * dim;
            double z = 0, sg;
            for (j = 0; j < dim; j++) z += w[j] * scale[j] * ((double)a[j] - b[j]);
            sg = -1.0 / (1.0 + exp(z)) / (double)ntr; /* d softplus(-z) / dz */
            for (j = 0; j < dim; j++) g[j] += sg * scale[j] * ((double)a[j] - b[j]);
        }
        for (j = 0; j < dim; j++) {
            m1[j] = b1 * m1[j] + (1 - b1) * g[j];
            m2[j] = b2 * m2[j] + (1 - b2) * g[j] * g[j];
            w[j] -= lr * (m1[j] / c1) / (sqrt(m2[j] / c2) + 1e-8);
        }
    }
    for (j = 0; j < dim; j++) w_out[j] = (float)(w[j] * scale[j]);
    {
        double s = 0, ss = 0;
        for (i = 0; i < n; i++) {
            const float *a = hc + idx[i] * dim, *b = hr + idx[i] * dim;
            double ra = 0, rb = 0, z;
            int train = i < ntr;
            for (j = 0; j < dim; j++) {
                ra += (double)w_out[j] * a[j];
                rb += (double)w_out[j] * b[j];
            }
            z = ra - rb;
            if (train) {
                res->train_accuracy += z > 0 ? 1.0 : (z == 0 ? 0.5 : 0.0);
                res->train_loss += rm__softplus(-z);
                s += ra + rb;
                ss += ra * ra + rb * rb;
            } else {
                res->holdout_accuracy += z > 0 ? 1.0 : (z == 0 ? 0.5 : 0.0);
                res->holdout_loss += rm__softplus(-z);
            }
        }
        res->n_train = ntr;
        res->n_holdout = n - ntr;
        res->train_accuracy /= (double)ntr;
        res->train_loss /= (double)ntr;
        if (n > ntr) {
            res->holdout_accuracy /= (double)(n - ntr);
            res->holdout_loss /= (double)(n - ntr);
        }
        res->reward_mean = s / (2.0 * (double)ntr);
        res->reward_std = sqrt(RM__MAX(ss / (2.0 * (double)ntr) - res->reward_mean * res->reward_mean, 0.0));
    }
    RM_FREE(idx); RM_FREE(scale); RM_FREE(w); RM_FREE(g); RM_FREE(m1); RM_FREE(m2); RM_FREE(d);
    return RM_OK;
}

RMDEF rm_result rm_head_save(const char *path, const float *w, int64_t n_embd, double mean, double std, const rm_gguf *src) {
    rm_gguf_writer *wr = NULL;
    rm_result r;
    int64_t ne[2];
    float bias = 0;
    rm_str name;
    if (!path || !w || n_embd < 1) return RM_ERR_INVALID_ARG;
    if ((r = rm_gguf_writer_new(&wr))) return r;
    ne[0] = n_embd;
    ne[1] = 1;
    r = rm_gguf_writer_set_str(wr, "general.type", "rm-head");
    if (!r && src && rm_gguf_get_str(src, "general.name", &name) == RM_OK && name.len < 256) {
        char buf[256];
        memcpy(buf, name.ptr, name.len);
        buf[name.len] = 0;
        r = rm_gguf_writer_set_str(wr, "general.name", buf);
    }
    if (!r) r = rm_gguf_writer_set_u32(wr, "rm.head.n_embd", (uint32_t)n_embd);
    if (!r) r = rm_gguf_writer_set_f32(wr, "rm.head.mean", (float)mean);
    if (!r) r = rm_gguf_writer_set_f32(wr, "rm.head.std", (float)std);
    if (!r) r = rm_gguf_writer_add_tensor(wr, "cls.output.weight", RM_TYPE_F32, 2, ne, w, (size_t)n_embd * sizeof(float));
    if (!r) r = rm_gguf_writer_add_tensor(wr, "cls.output.bias", RM_TYPE_F32, 1, ne + 1, &bias, sizeof(float));
    if (!r) r = rm_gguf_writer_write_file(wr, path);
    rm_gguf_writer_free(wr);
    return r;
}

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
