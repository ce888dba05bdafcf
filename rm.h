/* rm.h - v0.3.0 - reward-model scoring (explicit and implicit/DPO) on GGUF models, CPU - MIT license

   Do this:
      #define RM_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the implementation.
   Add `#define RM_STATIC` as well to make every function static (private to that file).

   rm.h loads the GGUF files llama.cpp's converter and quantizer write (memory-mapped), runs the
   transformer on the CPU, tokenizes with the tokenizer stored in the file, renders the model's
   chat template, and computes the two rewards of Razin et al., "Why is Your Language Model a
   Poor Implicit Reward Model?":
     EX-RM  r = w . h_last (+ b): a linear head (cls.output.weight / cls.output.bias) over the
            final-normed hidden state of the last token of prompt+response;
     IM-RM  r = beta * (sum_t log pi(y_t|x,y<t) - sum_t log pi_ref(y_t|x,y<t)) over the response
            tokens (DPO's implicit reward), with per-token contributions, and the
            reference-free forms sum, mean and -L2 norm of the per-token log-probs.

QUICK START
      #define RM_IMPLEMENTATION
      #include "rm.h"

      rm_model *policy, *ref;
      rm_scorer *im;
      rm_scorer_desc d = {0};
      rm_score s;
      if (rm_model_open("policy.gguf", &policy) || rm_model_open("reference.gguf", &ref))
          return 1;                               // rm_model_error(policy) says why
      d.model = policy;
      d.ref = ref;
      d.mode = RM_MODE_IMPLICIT;                  // or RM_MODE_EXPLICIT with a reward model
      d.beta = 0.1;
      // zero defaults: the model's own chat template (RM_CHAT_AUTO), paper split, beta 1
      if (rm_scorer_new(&d, &im)) return 1;       // rm_scorer_error(im)
      if (rm_score_pair(im, "What is 2+2?", "4", &s) == RM_OK)
          printf("reward %f over %lld tokens\n", s.reward, (long long)s.n_response);
      rm_scorer_free(im);
      rm_model_close(policy);
      rm_model_close(ref);

   K responses to one prompt: rm_score_text(im, prompt, len, responses, K, out) computes the
   prompt once per model and runs the responses as one batch. Token-level access: rm_ctx_new /
   rm_ctx_eval (log-probs of given next tokens, hidden states and logits at chosen positions).

COMPILE-TIME OPTIONS
   RM_IMPLEMENTATION   compile the implementation into this translation unit
   RM_STATIC           give every public function static linkage
   RM_SHARED           building or using rm.h as a shared library: public functions get
                       default visibility (build with -fvisibility=hidden so only rm_* is
                       exported; `make lib`), dllexport/dllimport on Windows
   RM_NO_SIMD          compile only the portable scalar kernels (the SIMD ones are chosen at
                       run time from cpuid or the AArch64 HWCAPs, and need gcc or clang on
                       x86-64 or AArch64; at run time the
                       environment variable RM_ISA=scalar|avx2|avx512|neon, or
                       rm_ctx_params.isa, forces one: see rm_isa)
   RM_UNALIGNED_VECTOR_MOVE   Windows with gcc (mingw-w64): turn the x86 SIMD kernels on; the
                       build must then pass -Wa,-muse-unaligned-vector-move (binutils >= 2.38),
                       as gcc misaligns spilled vectors there (without it they fault). clang
                       needs neither; without both, gcc builds for Windows run the scalar code
   RM_NO_MMAP          never map files; read them into memory instead
   RM_MALLOC/RM_REALLOC/RM_FREE   replace the allocator (all three together)
   RM_MAX_CONTEXT      upper bound on tokens per context (default 1<<20)
   RM_NO_THREADS       no worker threads: every loop runs on the calling thread
   Threads are rm.h's own (POSIX threads; Win32 threads on Windows): link with -pthread where
   the system needs it. OpenMP is not used; building with -fopenmp changes nothing in rm.h.
   The K-quant encoders match llama-quantize byte for byte only when the compiler does not
   contract a*b+c into fused multiply-adds (rm.h asks it not to with a pragma; -ffast-math and
   clang's -ffp-contract=fast override that; the output is then still valid, not identical).

ERRORS
   Every call that can fail returns an rm_result: RM_OK (0) or a negative code from
   RM_RESULT_LIST below (bands: general -1.., GGUF -100.., model -200.., tokenizer and
   templates -300.., scoring -400..). rm_result_string() describes a code, rm_result_name()
   names it. Objects that fail to open are still returned (unless memory for the object itself
   ran out) and keep a message naming the key, tensor, token or value at fault: read it with
   rm_gguf_error(), rm_model_error(), rm_vocab_error(), rm_head_error(), rm_scorer_error(),
   rm_ctx_error(), then close the object. Closing NULL is a no-op. The library never prints,
   exits or aborts, and has no global mutable state.

OWNERSHIP AND THREADS
   Loaded files, models, vocabularies and heads are immutable: any number of threads may use
   one at a time. Each thread scores through its own rm_scorer (or rm_ctx), which holds the KV
   cache and scratch memory. rm_fit_head and rm_fit_dpo touch only what they are given.
   Strings and tensor views handed out borrow from the file mapping
   and live until their file is closed; arrays in an rm_score live until the scorer's next call.
   Text in is UTF-8 with an explicit length (NUL bytes are ordinary characters). Inside one
   call the heavy loops run on the context's own worker threads: rm_ctx_params.n_threads /
   rm_scorer_desc.n_threads threads in all, the calling one included (0: one per CPU this
   process may run on, from its affinity mask; a scorer's policy and reference contexts share
   one set). Waiting workers spin for a few tens of microseconds, then sleep, so an idle
   context or one on cores shared with busy processes costs no CPU; work is handed out in
   small chunks, so a thread the system deschedules does not hold the others up. The results
   do not depend on the thread count. A program that scores from several threads at once
   should give each scorer a share of the cores (n_threads 1 when there are as many scorers
   as cores): each context's threads are its own.

SECURITY
   Meant for files and text from strangers. Validated:
   - GGUF: magic; version 2 or 3 (a big-endian file is named as such and refused); tensor and
     key counts no larger than the remaining bytes could hold, before anything is allocated;
     every string and array length within the bytes left; value types in range; arrays nested
     at most 4 deep; duplicate keys and tensor names; general.alignment a nonzero power of two;
     tensor names under 64 KiB; 1 to 4 dimensions, none negative, element and byte counts free
     of overflow; type ids known and decodable; row lengths a multiple of the block size;
     offsets aligned, in order, without overlap; every tensor's data inside the file.
     Metadata memory is bounded by the file size.
   - Models: hyperparameters present, in range and consistent (heads divide, rope dimensions
     fit the head); every tensor's shape and presence; token ids in range at every evaluation;
     a context never holds more tokens than it was sized for (RM_ERR_CONTEXT).
   - Tokenizers: token, score, type and merge arrays of the right types and lengths; special
     token ids in range; unknown models or pre-tokenizers refused; input text must be valid
     UTF-8 (RM_ERR_UTF8).
   - Chat templates are recognised, never executed: there is no template interpreter.
   - Non-finite values: a NaN or Inf in the final hidden state fails the evaluation with
     RM_ERR_NONFINITE; a non-finite reward is flagged (rm_score.nonfinite) and set to NaN.
   Not validated: tensor values themselves are not scanned at load (NaN weights surface as
   above). A mapped file that another process truncates or rewrites while it is open is not
   protected against: reading a page past the new end raises SIGBUS, and rewritten bytes are
   read as they now are. Replace model files by writing a new file and renaming it (as
   rm_gguf_writer_write_file does), or build with RM_NO_MMAP to read files into memory at open.

SUPPORTED
   GGUF versions 2 and 3, little-endian. Architectures: llama (Llama 2/3/3.1/3.2 with llama3
   rope scaling through rope_freqs.weight, Mistral, TinyLlama, SmolLM), qwen2, qwen3, gemma2,
   gptneox (Pythia).
   Tensor types (decoding bit-identical to ggml's): F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K
   Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS. Encoders (byte-identical to llama-quantize without an
   imatrix): F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K, and Q8_K for activations.
   Tokenizers: llama (SentencePiece with byte fallback) and gpt2 (byte-level BPE) with the
   pre-tokenizers default, gpt-2, mpt, phi-2, olmo, llama-bpe, llama3, llama-v3, dbrx,
   smaug-bpe, qwen2, deepseek-r1-qwen, stablelm2, deepseek-llm, deepseek-coder, falcon,
   starcoder, refact, command-r; Unicode 14 tables.
   Chat templates: see rm_chat_template below.
   Arithmetic: no weight is ever rounded by default: F32 and F16 weights in float, BF16 weights
   against bf16-rounded activations (vdpbf16ps or BFDOT where the CPU has it), quantized weights
   against int16 activations; RM_PRECISION_BF16 rounds F16 weights too, RM_PRECISION_F32
   multiplies BF16 weights in float. Kernels, chosen at run time (RM_ISA forces one): AVX-512
   (F, BW, VL, DQ; VNNI for quantized, BF16 for the bf16 products), AVX2 + FMA (x86-64-v3;
   AVX-VNNI where present), ARM64 NEON (ARMv8.0 ASIMD; BFDOT for the bf16 products where the
   CPU reports it); elsewhere the scalar reference.

RECENT CHANGES
   0.3.0  rm_scorer_desc.max_length: prompt+response truncated to N tokens after the template
          (the prompt's oldest tokens first, BOS kept; then the response's end, as TRL's
          keep_end), reported in rm_score.truncated / n_prompt_cut / n_response_cut.
          A zeroed rm_scorer_desc now means the model's own chat template: RM_CHAT_AUTO is 0
          and RM_CHAT_NONE 1 (the rm_chat_template ids move up by one; -1 is still read as
          AUTO). Code that relied on {0} meaning raw strings must set RM_CHAT_NONE.
          GGUF open: a missing file says why (errno text), an empty or 1-3 byte file says
          "empty" / "truncated" (RM_ERR_GGUF_TRUNCATED) instead of bad magic.
          rm_isa (rm_ctx_params.isa, rm_scorer_desc.isa, environment variable RM_ISA): the
          kernels' instruction set, from one dispatch table per context; RM_ERR_ISA for one the
          CPU lacks. rm_precision's default is now RM_PRECISION_AUTO, which never rounds a
          weight: F16 weights in float, BF16 weights at the bf16 precision (RM_PRECISION_BF16
          and RM_PRECISION_F32 keep their meaning, their values move to 1 and 2). AVX2 + FMA
          kernels (x86-64-v3) for every product and the element-wise work.
          ARM64 NEON kernels (RM_ISA=neon, the default on AArch64) as rows of the same table:
          FMLA, BFDOT and SMLAL products, NEON element-wise kernels; make test-arm64 runs a
          bounded suite under qemu
          Windows (mingw-w64 gcc or clang; make test-windows runs the library suite under
          wine): the x86 kernels with clang, or with gcc and RM_UNALIGNED_VECTOR_MOVE plus
          -Wa,-muse-unaligned-vector-move; worker threads take their creator's x87 precision
          (mingw's libm, so results do not depend on the thread count); a file that fails to
          open says why ("No such file or directory", "is a directory") as elsewhere
          RM_SHARED and `make lib` / `make install`: librm.so (only rm_* exported) and rm.pc;
          the Python binding python/rmh over it (ctypes);
          rmtool serve (examples/rmtool_serve.h, with libmicrohttpd): scoring over HTTP with
          OpenRLHF's /get_reward, vLLM's /classify and /pooling, TEI's /predict and /score
          (the rows and objects of rmtool score)
          rm_fit_dpo: an IM-RM by DPO with the body frozen, training the output projection (whole
          or a rank-R update) on cached hidden states; rm_dpo_save writes the policy GGUF;
          rm_model_unembedding; rm_scorer_tokenize (the tokens a scorer would score)
          Multi-output reward heads: rm_score.rewards / n_rewards hold every output of
          cls.output.weight, named by rm_scorer_label ({arch}.classifier.output_labels, else
          LABEL_<i>); rm_scorer_desc.label picks the one rm_score.reward reports. Implicit
          scoring is refused (RM_ERR_NO_LM_HEAD) on a sequence-classification file (a head,
          {arch}.pooling_type, no output.weight) instead of using its embeddings as an LM head.
          rmtool convert (examples/rmtool_convert.h, examples/rmsafetensors.h) writes such files
          from Hugging Face checkpoints (llama, qwen2, qwen3, gemma2, gptneox)
          rm.h's own worker pool replaces OpenMP in every parallel loop (POSIX or Win32 threads,
          spin briefly then sleep): default threads are no longer slower than one on cores shared
          with busy processes; n_threads 0 is the CPUs in the affinity mask; RM_NO_THREADS
   0.2.0  rm_precision (rm_ctx_params.precision, rm_scorer_desc.precision; rmtool --precision):
          F16/BF16 weights multiply bf16-rounded activations by default (vdpbf16ps, ~2x faster;
          log-probs ~1e-2 from exact); RM_PRECISION_F32 keeps the former float path
   0.1.0  first release: GGUF reading and writing, 15 tensor types, five architectures,
          SentencePiece and byte-level BPE tokenizers, chat templates, EX-RM and IM-RM scoring
          with shared-prompt batching, head fitting, AVX-512 kernels
*/
#ifndef RM_H_INCLUDED
#define RM_H_INCLUDED

#if defined(RM_IMPLEMENTATION) && !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
/* mmap, fstat and clock_gettime need POSIX declarations under -std=c99; this must come
   before the first system header. On Linux, _GNU_SOURCE (a superset) adds sched_getaffinity,
   so that the default thread count is the CPUs this process may run on. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#elif !defined(__linux__)
#define _POSIX_C_SOURCE 200809L
#endif
#endif

#include <stddef.h>
#include <stdint.h>

#define RM_VERSION_MAJOR 0
#define RM_VERSION_MINOR 3
#define RM_VERSION_PATCH 0

#ifndef RMDEF
#ifdef RM_STATIC
#if defined(__GNUC__) || defined(__clang__)
/* a program rarely calls every function: unused static ones must not warn */
#define RMDEF static __attribute__((unused))
#else
#define RMDEF static
#endif
#elif defined(RM_SHARED)
/* A shared library built with -fvisibility=hidden exports the public API and nothing else;
   a program using the DLL on Windows imports it. */
#if defined(_WIN32) && defined(RM_IMPLEMENTATION)
#define RMDEF extern __declspec(dllexport)
#elif defined(_WIN32)
#define RMDEF extern __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define RMDEF extern __attribute__((visibility("default")))
#else
#define RMDEF extern
#endif
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
    X(RM_ERR_ISA,                -7, "instruction set unknown, or not supported by this build or CPU") \
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
    size_t nbytes;     /* 0 when a dimension is 0: then there is no row to read */
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
/* ---------------------------------------------------------------------------------------- */
/* Tokenizer                                                                                */
/* ---------------------------------------------------------------------------------------- */

/* A vocabulary read from a GGUF file's tokenizer.ggml.* metadata. Supported models:
   "llama" (SentencePiece BPE by piece score with <0xNN> byte fallback) and "gpt2" (byte-level
   BPE by merge rank) with the pre-tokenizers default, gpt-2, mpt, llama-bpe (llama3, llama-v3,
   dbrx, smaug-bpe), qwen2 (with NFC), deepseek-r1-qwen, stablelm2, deepseek-llm, deepseek-coder,
   falcon, starcoder, refact and command-r. Where llama.cpp and Hugging Face tokenizers disagree,
   rm.h follows Hugging Face.
   The vocabulary borrows token strings from the rm_gguf: keep the file open while it lives.
   It is immutable after loading: any number of threads may tokenize with it at once. */
typedef struct rm_vocab rm_vocab;

/* Token types as GGUF stores them in tokenizer.ggml.token_type. */
enum {
    RM_TOKEN_NORMAL = 1, RM_TOKEN_UNKNOWN = 2, RM_TOKEN_CONTROL = 3, RM_TOKEN_USER_DEFINED = 4,
    RM_TOKEN_UNUSED = 5, RM_TOKEN_BYTE = 6
};

/* Load the vocabulary of an open GGUF file. *out is set even on failure (except
   RM_ERR_NOMEM): read rm_vocab_error(), then free it. An unknown tokenizer model or
   pre-tokenizer is refused with RM_ERR_VOCAB and a message naming it. */
RMDEF rm_result rm_vocab_load(const rm_gguf *g, rm_vocab **out);
RMDEF void rm_vocab_free(rm_vocab *v);
/* Message of the failure that left this vocabulary unusable, or "" if it loaded. */
RMDEF const char *rm_vocab_error(const rm_vocab *v);
RMDEF rm_result rm_vocab_status(const rm_vocab *v);

/* tokenizer.ggml.model ("llama", "gpt2") and tokenizer.ggml.pre ("" when absent). */
RMDEF rm_str rm_vocab_model(const rm_vocab *v);
RMDEF rm_str rm_vocab_pre(const rm_vocab *v);
RMDEF int32_t rm_vocab_n_tokens(const rm_vocab *v);
/* Special token ids, -1 if the vocabulary has none. EOT is tokenizer.ggml.eot_token_id, or
   else the first of <|eot_id|>, <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>, ... that
   the vocabulary holds. */
RMDEF int32_t rm_vocab_bos(const rm_vocab *v);
RMDEF int32_t rm_vocab_eos(const rm_vocab *v);
RMDEF int32_t rm_vocab_eot(const rm_vocab *v);
RMDEF int32_t rm_vocab_unk(const rm_vocab *v);
/* Whether rm_tokenize(add_special=1) puts BOS first / EOS last. */
RMDEF int rm_vocab_add_bos(const rm_vocab *v);
RMDEF int rm_vocab_add_eos(const rm_vocab *v);
/* The token's text as stored (SentencePiece spaces as U+2581, byte-level BPE bytes as the
   GPT-2 byte-to-unicode characters); empty for an id out of range. */
RMDEF rm_str rm_vocab_token_text(const rm_vocab *v, int32_t id);
/* RM_TOKEN_* of the token, 0 for an id out of range. */
RMDEF int rm_vocab_token_type(const rm_vocab *v, int32_t id);
RMDEF int rm_vocab_is_control(const rm_vocab *v, int32_t id);
/* Id of the token whose text is exactly these bytes, or -1. */
RMDEF int32_t rm_vocab_find(const rm_vocab *v, const char *text, size_t len);

/* Tokenize len bytes of UTF-8 (text may be NULL when len is 0). Invalid UTF-8 (bad or
   truncated sequences, overlong forms, surrogates, code points above U+10FFFF) is refused
   with RM_ERR_UTF8, as Hugging Face tokenizers only ever see valid Unicode strings.
   add_special: BOS first and EOS last as the vocabulary's add_bos/add_eos flags say.
   parse_special: control token texts in the text ("<|im_end|>") become those tokens;
   user-defined tokens are always matched, as Hugging Face matches non-special added tokens.
   Writes up to cap ids to out and sets *n_out to the number the text needs: when that is
   more than cap the result is RM_ERR_LIMIT (call again with a buffer of *n_out ids). */
RMDEF rm_result rm_tokenize(const rm_vocab *v, const char *text, size_t len, int add_special,
                            int parse_special, int32_t *out, size_t cap, size_t *n_out);
/* Turn ids back into UTF-8 bytes, for diagnostics: control tokens appear as their text, byte
   tokens as their byte. Same buffer convention as rm_tokenize (RM_ERR_LIMIT when *n_out > cap);
   a NUL is written after the text when it fits. RM_ERR_INVALID_ARG for an id out of range. */
RMDEF rm_result rm_detokenize(const rm_vocab *v, const int32_t *ids, size_t n, char *buf, size_t cap,
                              size_t *n_out);
/* Benchmark helper: tokenizes the text `repeat` times (no special handling) and reports the
   fastest run in *seconds and its token count in *n_tokens (either may be NULL). */
RMDEF rm_result rm_tokenize_speed(const rm_vocab *v, const char *text, size_t len, int repeat,
                                  double *seconds, size_t *n_tokens);
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

/* RM_CHAT_AUTO (0, what a zeroed rm_scorer_desc asks for) is not a template: the scorer
   resolves it to the model's own template, or RM_CHAT_NONE when the file has none.
   RM_CHAT_NONE renders the contents joined, without markup (the raw strings). */
typedef enum rm_chat_template {
    RM_CHAT_AUTO = 0,
    RM_CHAT_NONE,
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

/* "chatml", "llama3", ... ("auto" for RM_CHAT_AUTO); NULL for an id out of range. */
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

/* How F16 and BF16 weight matrices are multiplied (F32 weights always in float, quantized
   weights always against int16 activations):
   RM_PRECISION_AUTO, the default: never round a weight. F16 weights in float (~1e-5 from exact
     math); BF16 weights against activations rounded to the nearest bfloat16, products exact,
     sums in float (vdpbf16ps where the CPU has it: twice the float rate; what llama.cpp does
     with BF16 files; log-probs move by ~1e-2).
   RM_PRECISION_BF16: the same bf16 products for F16 weights too, which are then rounded to
     bfloat16: about twice as fast on F16 files, ~10x further from exact than llama.cpp.
   RM_PRECISION_F32: float activations for BF16 weights too: ~1e-5 from exact math, slower. */
typedef enum rm_precision { RM_PRECISION_AUTO = 0, RM_PRECISION_BF16 = 1, RM_PRECISION_F32 = 2 } rm_precision;

/* Instruction sets of the kernels (rm_ctx_params.isa, rm_scorer_desc.isa). RM_ISA_AUTO takes
   the environment variable RM_ISA (scalar, avx2, avx512, neon) when it is set, else the fastest
   that this build has and the CPU runs. Naming one the build or CPU lacks fails rm_ctx_new with
   RM_ERR_ISA; the scalar reference is always there. All give the same results within float
   rounding (the kernels' tests check every one against the reference). */
typedef enum rm_isa {
    RM_ISA_AUTO = 0, RM_ISA_SCALAR = 1, RM_ISA_AVX2 = 2, RM_ISA_AVX512 = 3, RM_ISA_NEON = 4, RM_ISA_COUNT
} rm_isa;
/* "auto", "scalar", "avx2", "avx512", "neon"; NULL for a value out of range. */
RMDEF const char *rm_isa_name(int isa);
/* 1 when this build has the kernels of isa and the CPU (and OS) runs them; 1 for scalar. */
RMDEF int rm_isa_available(int isa);

typedef struct rm_ctx_params {
    int64_t n_ctx;      /* tokens the context may hold; 0 = the model's trained context */
    int kv_f16;         /* 1: store K/V as F16 (half the memory, ~1e-2 on log-probs) */
    int n_threads;      /* threads, the caller's included; 0 = one per CPU this process may use */
    int precision;      /* rm_precision */
    int isa;            /* rm_isa; RM_ISA_AUTO (0): $RM_ISA, else the fastest available */
} rm_ctx_params;

/* A context: the KV cache and scratch of one thread of work. The model must outlive it. */
RMDEF rm_result rm_ctx_new(const rm_model *m, const rm_ctx_params *p, rm_ctx **out);
RMDEF void rm_ctx_free(rm_ctx *c);
RMDEF const char *rm_ctx_error(const rm_ctx *c);
/* The instruction set the context's kernels use (an rm_isa, never RM_ISA_AUTO). */
RMDEF int rm_ctx_isa(const rm_ctx *c);
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

/* Every field's zero is its default, and the defaults are rmtool's: rm_scorer_desc d = {0}
   with a model is explicit scoring with the model's own head and chat template (AUTO), the
   paper split, beta 1, bf16 precision, no truncation. */
typedef struct rm_scorer_desc {
    const rm_model *model;   /* the reward model (EX) or the policy (IM) */
    const rm_model *ref;     /* IM: the reference model; NULL with a reference-free form */
    const rm_head *head;     /* EX: a separate head; NULL uses the model's own cls.output */
    int mode;                /* rm_mode (0: explicit) */
    double beta;             /* IM scale; 0 means 1 */
    int ref_free;            /* rm_ref_free */
    int split;               /* rm_split, used by the text entry points (0: paper) */
    int chat_template;       /* rm_chat_template id; 0 = RM_CHAT_AUTO: the model's own, or none */
    int normalize;           /* EX: apply the head's mean/std when it has them */
    int64_t n_ctx;           /* 0: the trained context (or max_length when that is larger) */
    int n_threads;           /* 0: one per CPU this process may use (see OWNERSHIP AND THREADS) */
    int kv_f16;
    int precision;           /* rm_precision of its contexts */
    /* Longest prompt + response in tokens (after the template); 0: no limit, a longer pair
       fails with RM_ERR_CONTEXT when it does not fit the context. Over the limit, as TRL's
       DPO tokenizer with truncation_mode keep_end does: the prompt loses its oldest tokens
       first (a leading BOS stays), as many as the longest of the k responses needs, down to
       BOS and one token; a response still too long then loses its last tokens. The
       rm_score fields truncated / n_prompt_cut / n_response_cut say what was dropped. */
    int64_t max_length;
    int isa;                 /* rm_isa of its contexts (RM_ISA_AUTO: $RM_ISA or the fastest) */
    const char *label;       /* EX with a multi-output head: the name of the output that
                                rm_score.reward reports (NULL: the first); an unknown name
                                fails rm_scorer_new with RM_ERR_NOT_FOUND, listing the names */
} rm_scorer_desc;

/* The result of scoring one response. Arrays belong to the scorer and stay valid until
   its next scoring call. */
typedef struct rm_score {
    double reward;               /* EX: rewards[desc.label] */
    int nonfinite;               /* 1: NaN/Inf arose; reward is NaN, never a silent number */
    const int32_t *prompt_ids;   /* the tokens the prompt was scored as */
    int64_t n_prompt;
    const int32_t *response_ids;
    int64_t n_response;
    const double *logprobs;      /* [n_response] log pi(y_t|...) (IM only, else NULL) */
    const double *ref_logprobs;  /* [n_response] log pi_ref (IM with a reference) */
    const double *contributions; /* [n_response] each token's share of the reward (IM) */
    const float *last_hidden;    /* [n_embd] final-normed hidden state of the last token */
    int truncated;               /* 1: max_length dropped tokens of this pair */
    int64_t n_prompt_cut;        /* prompt tokens dropped (the oldest, after BOS) */
    int64_t n_response_cut;      /* response tokens dropped (the last ones) */
    const double *rewards;       /* EX: [n_rewards] every output of the head, named by
                                    rm_scorer_label (multi-attribute reward models); else NULL */
    int64_t n_rewards;
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
/* The tokens rm_score_chat would score, without running the model: *ids (borrowed until the
   scorer's next call) holds the *n_prompt prompt ids, then n_responses[i] ids of each response
   in order. For callers that truncate before rm_score_ids. */
RMDEF rm_result rm_scorer_tokenize(rm_scorer *s, const rm_chat_msg *history, size_t n_history, const rm_str *responses,
                                   int64_t k, const int32_t **ids, int64_t *n_prompt, int64_t *n_responses);
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

/* Fitting an IM-RM by DPO with the body frozen (what rmtool fit-dpo does). The policy differs
   from the reference only in its output projection: logits z = (W0 + D) h, D trained, with the
   final hidden states h of the response tokens computed once and cached. D is the whole matrix
   (rank 0) or a rank-R update A B (A [V][R] starting at zero, B [R][E] seeded random), so the
   policy starts as the reference and every implicit reward starts at exactly 0. The loss of a
   pair is -log sigmoid(beta * (s_chosen - s_rejected)), s = sum over the response's tokens of
   log pi(y_t) - log pi_ref(y_t), averaged over a minibatch, plus l2/2 |params|^2; Adam steps.
   The log-softmax goes over the vocabulary one row at a time, never holding [tokens x vocab].
   Deterministic for a seed and the same for any thread count. */
typedef struct rm_dpo_progress {
    int epoch, epochs;       /* 1-based epoch; epoch_done: loss is the training loss after it */
    int64_t step, steps;     /* Adam steps of this epoch done / in it */
    double loss;             /* mean minibatch loss of the epoch so far, or the epoch's loss */
    int epoch_done;
} rm_dpo_progress;

typedef struct rm_dpo_desc {
    /* Data: n_tokens cached states; state t (hidden [t * n_embd ...], the final-normed hidden
       state at the position that predicts it) predicts token targets[t]. Pair i's chosen
       response is states offsets[2i] .. offsets[2i+1]-1, its rejected one offsets[2i+1] ..
       offsets[2i+2]-1 (so offsets has 2 n_pairs + 1 entries, offsets[0] = 0, each response at
       least one token). */
    const float *hidden;
    const int32_t *targets;
    const int64_t *offsets;
    int64_t n_pairs, n_embd, n_vocab;
    const float *output;     /* [n_vocab][n_embd] the reference's unembedding (row v: token v) */
    double final_softcap;    /* z = c tanh(z / c) as the model does; 0 = none */
    double beta;             /* default 0.1 */
    double lr;               /* Adam step size; default 1e-2 */
    double l2;               /* weight decay on the update's parameters; default 0 */
    int epochs;              /* default 4 */
    int batch;               /* pairs per Adam step; default 16 */
    int rank;                /* 0: the full matrix; else the rank of the update */
    double holdout;          /* fraction of pairs held out (seeded shuffle), 0..0.9 */
    uint64_t seed;
    int n_threads;           /* 0: one per CPU this process may use */
    size_t max_bytes;        /* memory budget of the training state; 0 = 2 GiB */
    void (*progress)(void *user, const rm_dpo_progress *p); /* optional, after every step */
    void *user;
} rm_dpo_desc;

typedef struct rm_dpo_result {
    int64_t n_train, n_holdout;
    double initial_loss;     /* log 2 up to rounding: every reward starts at 0 */
    double train_loss, train_accuracy, holdout_loss, holdout_accuracy;
    size_t state_bytes;      /* memory the training state took */
    char error[256];         /* why a call failed, or "" */
} rm_dpo_result;

/* Bytes of training state rm_fit_dpo needs for this shape (parameters, gradient and Adam
   moments in double), to check a budget before caching anything. */
RMDEF size_t rm_fit_dpo_bytes(int64_t n_vocab, int64_t n_embd, int rank);
/* Trains as described above and writes the policy's unembedding W0 + D, [n_vocab][n_embd], to
   output_out. Fails (with res->error) before training on malformed data, a budget too small
   (RM_ERR_LIMIT) or non-finite states (RM_ERR_NONFINITE). */
RMDEF rm_result rm_fit_dpo(const rm_dpo_desc *d, float *output_out, rm_dpo_result *res);
/* The language-model head of m as floats, [n_vocab][n_embd] (row v: token v): output.weight, or
   token_embd.weight when the embeddings are tied. RM_ERR_NO_LM_HEAD for a classifier checkpoint
   that has no output projection (as rm_scorer_new refuses for implicit scoring); that check
   runs first, so out may be NULL to ask only whether there is a head. */
RMDEF rm_result rm_model_unembedding(const rm_model *m, float *out, char *err, size_t err_cap);
/* Writes a complete policy GGUF: every key and tensor of ref's file, with output.weight
   replaced by output ([n_vocab][n_embd]); a model with tied embeddings gets output.weight
   added (its token_embd.weight stays). Stored as the original head's type when that is F32,
   F16 or BF16, else as F32 (requantizing would add noise of the update's size). */
RMDEF rm_result rm_dpo_save(const char *path, const rm_model *ref, const float *output, char *err, size_t err_cap);

/* The template the scorer renders with (after RM_CHAT_AUTO is resolved). */
RMDEF int rm_scorer_template(const rm_scorer *s);
/* EX: outputs of the reward head (rows of cls.output.weight), 0 otherwise. */
RMDEF int64_t rm_scorer_n_labels(const rm_scorer *s);
/* Name of output i: {arch}.classifier.output_labels[i] of the file holding the head, or
   "LABEL_<i>" (transformers' default name) when it has none; empty for i out of range. */
RMDEF rm_str rm_scorer_label(const rm_scorer *s, int64_t i);


/* Score k responses (token ids) to one prompt. The prompt's KV is computed once per model and
   shared; the responses run batched against it. out[k] receives each result. With
   desc.max_length set, the pair is first cut as rm_scorer_desc says (prompt_ids / n_prompt
   then hold what was scored); without it, a pair longer than the context is RM_ERR_CONTEXT. */
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
#include <errno.h>
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
#if defined(_WIN32)
/* Windows: files are mapped with CreateFileMapping / MapViewOfFile, paths are UTF-8 turned
   into UTF-16 for the wide calls, and threads are Win32 threads (see the pool below). */
#include <windows.h>
#endif

/* Threads: POSIX threads, or Win32 threads and SRW locks (Vista and later). RM_NO_THREADS,
   or a compiler with neither the __atomic builtins nor the Interlocked functions, runs every
   loop on the calling thread. */
#if !defined(RM_NO_THREADS) && (defined(_WIN32) || defined(__GNUC__) || defined(__clang__))
#define RM__THREADS 1
#else
#define RM__THREADS 0
#endif
#if defined(_WIN32)
#elif RM__THREADS
#include <pthread.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif
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

static float rm__round_bf16(float x) { return rm__bf16_to_fp32(rm__fp32_to_bf16(x)); }

/* ---- Threads: rm.h's own worker pool ----
   A context owns a pool of n threads: the calling thread (tid 0) and n-1 workers. rm__parallel
   runs fn(arg, tid, nth) on threads 0..nth-1 and returns when all have finished. Between tasks
   a worker spins a little on the task counter (a pause instruction per round, about 50-100 us
   in all), then sleeps on a condition variable; the caller waits for the workers the same way.
   So a process that shares its cores with busy ones never burns a core waiting, which
   OpenMP's default spin-waiting did (6-10x slower than one thread there), and no environment
   variable is needed. Work is dealt out in chunks from an atomic counter (rm__parallel_for):
   the threads that run take the chunks of one the system has descheduled. */

#ifndef RM__SPIN
#define RM__SPIN 2048     /* pause rounds before a waiting thread sleeps */
#endif
#define RM__MAX_THREADS 256

/* Atomics on int64_t: the __atomic builtins (gcc, clang, and mingw-w64), the Interlocked
   functions elsewhere on Windows (MSVC). Every load acquires and every store releases. */
#if RM__THREADS && (defined(__GNUC__) || defined(__clang__))
typedef int64_t rm__atom;
#define rm__atomic_load(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define rm__atomic_store(p, v) __atomic_store_n((p), (int64_t)(v), __ATOMIC_RELEASE)
#define rm__atomic_add(p, v) __atomic_fetch_add((p), (int64_t)(v), __ATOMIC_ACQ_REL)
#elif RM__THREADS
typedef volatile LONG64 rm__atom;
#define rm__atomic_load(p) ((int64_t)InterlockedCompareExchange64((p), 0, 0))
#define rm__atomic_store(p, v) ((void)InterlockedExchange64((p), (LONG64)(v)))
#define rm__atomic_add(p, v) ((int64_t)InterlockedExchangeAdd64((p), (LONG64)(v)))
#else
typedef int64_t rm__atom;
#define rm__atomic_load(p) (*(p))
#define rm__atomic_store(p, v) ((void)(*(p) = (int64_t)(v)))
static int64_t rm__atomic_add_1(int64_t *p, int64_t v) { int64_t o = *p; *p += v; return o; }
#define rm__atomic_add(p, v) rm__atomic_add_1((p), (int64_t)(v))
#endif

#if defined(_MSC_VER) && !defined(__clang__)
#define rm__pause() YieldProcessor()
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define rm__pause() __builtin_ia32_pause()
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__aarch64__) || defined(__arm__))
#define rm__pause() __asm__ __volatile__("yield")
#else
#define rm__pause() ((void)0)
#endif

/* mingw-w64's exp, log, pow and friends run on the x87 unit, whose precision is a per-thread
   setting: its start-up code gives the main thread 64-bit mantissas, Windows gives every new
   thread 53-bit ones, and the same call then differs in the last bit from one thread to the
   next (a result would depend on the thread count). Workers load their creator's control
   word. MSVC's and the Unix libraries use SSE2 on x86-64 and need nothing. */
#if RM__THREADS && defined(_WIN32) && (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define RM__X87_CW 1
#else
#define RM__X87_CW 0
#endif

#if RM__THREADS && defined(_WIN32)
typedef SRWLOCK rm__mutex;
typedef CONDITION_VARIABLE rm__cond;
typedef HANDLE rm__thread;
#define rm__mutex_init(m) (InitializeSRWLock(m), 1)
#define rm__mutex_free(m) ((void)(m))
#define rm__lock(m) AcquireSRWLockExclusive(m)
#define rm__unlock(m) ReleaseSRWLockExclusive(m)
#define rm__cond_init(c) (InitializeConditionVariable(c), 1)
#define rm__cond_free(c) ((void)(c))
#define rm__cond_wait(c, m) ((void)SleepConditionVariableSRW((c), (m), INFINITE, 0))
#define rm__cond_wake_all(c) WakeAllConditionVariable(c)
#define rm__cond_wake(c) WakeConditionVariable(c)
#elif RM__THREADS
typedef pthread_mutex_t rm__mutex;
typedef pthread_cond_t rm__cond;
typedef pthread_t rm__thread;
#define rm__mutex_init(m) (pthread_mutex_init((m), NULL) == 0)
#define rm__mutex_free(m) pthread_mutex_destroy(m)
#define rm__lock(m) pthread_mutex_lock(m)
#define rm__unlock(m) pthread_mutex_unlock(m)
#define rm__cond_init(c) (pthread_cond_init((c), NULL) == 0)
#define rm__cond_free(c) pthread_cond_destroy(c)
#define rm__cond_wait(c, m) pthread_cond_wait((c), (m))
#define rm__cond_wake_all(c) pthread_cond_broadcast(c)
#define rm__cond_wake(c) pthread_cond_signal(c)
#endif

typedef void (*rm__task_fn)(void *arg, int tid, int nth);

typedef struct rm__pool rm__pool;
typedef struct rm__worker {
    rm__pool *pool;
    int tid;
#if RM__THREADS
    rm__thread th;
#endif
} rm__worker;

struct rm__pool {
    int n;                 /* threads, the caller included */
    /* the current task: written by the caller before gen moves, read by workers after */
    rm__task_fn fn;
    void *arg;
    int nth;
    rm__atom gen;          /* tasks dispatched so far; a worker runs a task when it changes */
    rm__atom pending;      /* workers that have not yet finished the current task */
    rm__atom stop;
    rm__worker *w;         /* [n-1] */
#if RM__THREADS
    rm__mutex mu;          /* guards the two counts below and the sleeps */
    rm__cond wake, done;
    int sleepers;          /* workers asleep on wake */
    int caller_waits;      /* the caller is asleep on done */
#endif
#if RM__X87_CW
    unsigned short x87cw;  /* the creating thread's x87 control word, which workers load */
#endif
};

/* CPUs this process may run on (its affinity mask where the system has one), at least 1. */
static int rm__cpu_count(void) {
    long n = 1;
#if defined(_WIN32)
    DWORD_PTR proc = 0, sys = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys) && proc) {
        n = 0;
        for (; proc; proc &= proc - 1) n++;
    } else {
        SYSTEM_INFO si;
        GetSystemInfo(&si);
        n = (long)si.dwNumberOfProcessors;
    }
#elif defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    else n = sysconf(_SC_NPROCESSORS_ONLN);
#elif defined(_SC_NPROCESSORS_ONLN)
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n < 1 ? 1 : n > RM__MAX_THREADS ? RM__MAX_THREADS : (int)n;
}

static int rm__pool_threads(const rm__pool *p) { return p ? p->n : 1; }

#if RM__THREADS
static void rm__pool_worker_run(rm__worker *w) {
    rm__pool *p = w->pool;
    int64_t last = 0;
    for (;;) {
        int64_t g = rm__atomic_load(&p->gen);
        int i;
        for (i = 0; g == last && i < RM__SPIN; i++) {
            rm__pause();
            g = rm__atomic_load(&p->gen);
        }
        if (g == last) {
            rm__lock(&p->mu);
            while ((g = rm__atomic_load(&p->gen)) == last) {
                p->sleepers++;
                rm__cond_wait(&p->wake, &p->mu);
                p->sleepers--;
            }
            rm__unlock(&p->mu);
        }
        last = g;
        if (rm__atomic_load(&p->stop)) return;
        if (w->tid < p->nth) p->fn(p->arg, w->tid, p->nth);
        if (rm__atomic_add(&p->pending, -1) == 1) {
            rm__lock(&p->mu);
            if (p->caller_waits) rm__cond_wake(&p->done);
            rm__unlock(&p->mu);
        }
    }
}
#if defined(_WIN32)
static DWORD WINAPI rm__pool_main(LPVOID arg) {
#if RM__X87_CW
    __asm__ __volatile__("fldcw %0" : : "m"(((rm__worker *)arg)->pool->x87cw));
#endif
    rm__pool_worker_run((rm__worker *)arg);
    return 0;
}
#else
static void *rm__pool_main(void *arg) { rm__pool_worker_run((rm__worker *)arg); return NULL; }
#endif

/* Bumps the generation (the new task, or stop) and wakes the sleeping workers. */
static void rm__pool_signal(rm__pool *p) {
    rm__lock(&p->mu);
    rm__atomic_add(&p->gen, 1);
    if (p->sleepers) rm__cond_wake_all(&p->wake);
    rm__unlock(&p->mu);
}
#endif

/* Stops and joins the workers; NULL is a no-op. */
static void rm__pool_free(rm__pool *p) {
    if (!p) return;
#if RM__THREADS
    if (p->n > 1) {
        int i;
        rm__atomic_store(&p->stop, 1);
        rm__pool_signal(p);
        for (i = 0; i < p->n - 1; i++) {
#if defined(_WIN32)
            WaitForSingleObject(p->w[i].th, INFINITE);
            CloseHandle(p->w[i].th);
#else
            pthread_join(p->w[i].th, NULL);
#endif
        }
        rm__cond_free(&p->wake);
        rm__cond_free(&p->done);
        rm__mutex_free(&p->mu);
    }
#endif
    RM_FREE(p->w);
    RM_FREE(p);
}

/* A pool of n threads (0: one per CPU this process may use; at most RM__MAX_THREADS). NULL
   when out of memory; a system that refuses threads gives a pool of fewer threads (down to
   the caller alone), never an error: threads only make the same results come sooner. */
static rm__pool *rm__pool_new(int n) {
    rm__pool *p = (rm__pool *)rm__calloc(1, sizeof(rm__pool));
    if (!p) return NULL;
    if (n <= 0) n = rm__cpu_count();
    if (n > RM__MAX_THREADS) n = RM__MAX_THREADS;
    p->n = 1;
#if RM__THREADS
    if (n > 1) {
        int i;
        p->w = (rm__worker *)rm__calloc((size_t)(n - 1), sizeof(rm__worker));
        if (!p->w) {
            RM_FREE(p);
            return NULL;
        }
        if (!rm__mutex_init(&p->mu)) return p;
        if (!rm__cond_init(&p->wake)) {
            rm__mutex_free(&p->mu);
            return p;
        }
        if (!rm__cond_init(&p->done)) {
            rm__cond_free(&p->wake);
            rm__mutex_free(&p->mu);
            return p;
        }
#if RM__X87_CW
        __asm__ __volatile__("fnstcw %0" : "=m"(p->x87cw));
#endif
        for (i = 0; i < n - 1; i++) {
            rm__worker *w = &p->w[i];
            w->pool = p;
            w->tid = i + 1;
#if defined(_WIN32)
            w->th = CreateThread(NULL, 0, rm__pool_main, w, 0, NULL);
            if (!w->th) break;
#else
            if (pthread_create(&w->th, NULL, rm__pool_main, w) != 0) break;
#endif
            p->n++;
        }
        if (p->n == 1) {
            rm__cond_free(&p->wake);
            rm__cond_free(&p->done);
            rm__mutex_free(&p->mu);
        }
    }
#else
    RM__UNUSED(n);
#endif
    return p;
}

/* Runs fn(arg, tid, nth) for tid 0..nth-1 (nth clamped to the pool's threads; tid 0 on the
   calling thread) and returns when every call has returned. nth <= 1 or a NULL pool: one
   plain call. Calls from inside fn must pass nth 1 (a pool runs one task at a time). */
static void rm__parallel(rm__pool *p, int nth, rm__task_fn fn, void *arg) {
    if (nth > rm__pool_threads(p)) nth = rm__pool_threads(p);
    if (nth <= 1) {
        fn(arg, 0, 1);
        return;
    }
#if RM__THREADS
    {
        int i;
        p->fn = fn;
        p->arg = arg;
        p->nth = nth;
        /* every worker takes part in the count, those with tid >= nth without running fn, so
           that none can still be reading fn, arg or nth when the next task writes them */
        rm__atomic_store(&p->pending, p->n - 1);
        rm__pool_signal(p);
        fn(arg, 0, nth);
        for (i = 0; rm__atomic_load(&p->pending) != 0 && i < RM__SPIN; i++) rm__pause();
        if (rm__atomic_load(&p->pending) != 0) {
            rm__lock(&p->mu);
            while (rm__atomic_load(&p->pending) != 0) {
                p->caller_waits = 1;
                rm__cond_wait(&p->done, &p->mu);
            }
            p->caller_waits = 0;
            rm__unlock(&p->mu);
        }
    }
#endif
}

/* A loop over [0, n) in chunks of `chunk` indices (0: about 8 chunks per thread), dealt out
   dynamically: fn(arg, i0, i1, tid) for each chunk [i0, i1). The same partition-free results
   for any thread count, as long as fn writes only what its own indices own. */
typedef void (*rm__range_fn)(void *arg, int64_t i0, int64_t i1, int tid);
typedef struct rm__for_task {
    rm__range_fn fn;
    void *arg;
    int64_t n, chunk;
    rm__atom next;
} rm__for_task;

static void rm__for_run(void *arg, int tid, int nth) {
    rm__for_task *t = (rm__for_task *)arg;
    int64_t i0;
    RM__UNUSED(nth);
    while ((i0 = rm__atomic_add(&t->next, t->chunk)) < t->n) t->fn(t->arg, i0, RM__MIN(i0 + t->chunk, t->n), tid);
}

static void rm__parallel_for(rm__pool *p, int nth, int64_t n, int64_t chunk, rm__range_fn fn, void *arg) {
    rm__for_task t;
    if (n <= 0) return;
    if (nth > rm__pool_threads(p)) nth = rm__pool_threads(p);
    if (nth <= 1) {
        fn(arg, 0, n, 0);
        return;
    }
    t.fn = fn;
    t.arg = arg;
    t.n = n;
    t.chunk = chunk > 0 ? chunk : RM__MAX(1, (n + 8 * nth - 1) / (8 * nth));
    t.next = 0;
    rm__parallel(p, nth, rm__for_run, &t);
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

#if defined(_WIN32)
/* A UTF-8 path as UTF-16 for the wide Win32 calls (caller frees); NULL when it is not valid
   UTF-8 or memory ran out. */
static wchar_t *rm__wpath(const char *path) {
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
    wchar_t *w;
    if (n <= 0) return NULL;
    w = (wchar_t *)RM_MALLOC((size_t)n * sizeof(wchar_t));
    if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n) != n) {
        RM_FREE(w);
        w = NULL;
    }
    return w;
}

#if !defined(RM_NO_MMAP)
/* The common reasons a file fails to open, in the words strerror uses on the other systems
   (the message stays the same everywhere, whatever the system's language); NULL for others. */
static const char *rm__win_error(DWORD e) {
    switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME: return "No such file or directory";
    case ERROR_ACCESS_DENIED: return "Permission denied";
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION: return "the file is in use by another process";
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return "Cannot allocate memory";
    case ERROR_FILENAME_EXCED_RANGE: return "File name too long";
    case ERROR_NO_UNICODE_TRANSLATION: return "the path is not valid UTF-8";
    default: return NULL;
    }
}
#endif

/* fopen with a UTF-8 path (fopen itself takes the ANSI code page there). */
static FILE *rm__fopen(const char *path, const char *mode) {
    wchar_t *w = rm__wpath(path), wm[8];
    FILE *f = NULL;
    size_t i;
    for (i = 0; mode[i] && i < 7; i++) wm[i] = (wchar_t)(unsigned char)mode[i];
    wm[i] = 0;
    if (w) f = _wfopen(w, wm);
    RM_FREE(w);
    return f;
}

/* Replaces dst by src (the rename of a finished file over its destination). */
static int rm__rename_over(const char *src, const char *dst) {
    wchar_t *ws = rm__wpath(src), *wd = rm__wpath(dst);
    int ok = ws && wd && MoveFileExW(ws, wd, MOVEFILE_REPLACE_EXISTING) != 0;
    RM_FREE(ws);
    RM_FREE(wd);
    return ok ? 0 : -1;
}

static int rm__remove(const char *path) {
    wchar_t *w = rm__wpath(path);
    int ok = w && DeleteFileW(w) != 0;
    RM_FREE(w);
    return ok ? 0 : -1;
}
#else
#define rm__fopen fopen
#define rm__rename_over rename
#define rm__remove remove
#endif

static rm_result rm__file_open(rm__file *f, const char *path, char *err, size_t errcap) {
    FILE *fp;
    long end;
    uint8_t *buf;
    memset(f, 0, sizeof(*f));
#if defined(_WIN32) && !defined(RM_NO_MMAP)
    {
        wchar_t *w = rm__wpath(path);
        HANDLE h = w ? CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                                   FILE_ATTRIBUTE_NORMAL, NULL)
                     : INVALID_HANDLE_VALUE;
        LARGE_INTEGER sz;
        if (h == INVALID_HANDLE_VALUE) {
            /* CreateFile refuses a directory with "access denied": say what it is */
            DWORD e = GetLastError(), attr = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
            RM_FREE(w);
            if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY))
                return rm__fail(err, errcap, RM_ERR_IO, "'%s' is a directory", path);
            if (rm__win_error(e)) return rm__fail(err, errcap, RM_ERR_IO, "cannot open '%s': %s", path, rm__win_error(e));
            return rm__fail(err, errcap, RM_ERR_IO, "cannot open '%s': Windows error %lu", path, (unsigned long)e);
        }
        RM_FREE(w);
        if (GetFileType(h) != FILE_TYPE_DISK || !GetFileSizeEx(h, &sz)) {
            CloseHandle(h);
            return rm__fail(err, errcap, RM_ERR_IO, "'%s' is not a regular file", path);
        }
        if (sz.QuadPart == 0) {
            CloseHandle(h);
            return RM_OK;
        }
        if ((uint64_t)sz.QuadPart <= (uint64_t)SIZE_MAX) {
            HANDLE mh = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
            void *p = mh ? MapViewOfFile(mh, FILE_MAP_READ, 0, 0, 0) : NULL;
            /* the view keeps the mapping and the file open */
            if (mh) CloseHandle(mh);
            CloseHandle(h);
            if (p) {
                f->data = (const uint8_t *)p;
                f->size = (uint64_t)sz.QuadPart;
                f->mapped = 1;
                return RM_OK;
            }
        } else {
            CloseHandle(h);
        }
    }
#endif
#if RM__HAVE_MMAP
    {
        struct stat st;
        int fd = open(path, O_RDONLY);
        if (fd < 0) return rm__fail(err, errcap, RM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            int dir = S_ISDIR(st.st_mode);
            close(fd);
            return rm__fail(err, errcap, RM_ERR_IO, "'%s' is %s", path, dir ? "a directory" : "not a regular file");
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
    fp = rm__fopen(path, "rb");
    if (!fp) return rm__fail(err, errcap, RM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
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
#elif defined(_WIN32)
    if (f->mapped && f->data) UnmapViewOfFile((const void *)f->data);
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

    /* an empty file, or the first bytes of a GGUF cut short, is truncated rather than foreign */
    if (g->file.size == 0) return rm__fail(err, ec, RM_ERR_GGUF_TRUNCATED, "gguf: the file is empty (0 bytes)");
    if (g->file.size < 4)
        return rm__fail(err, ec, RM_ERR_GGUF_TRUNCATED, "gguf: the file is truncated (%u bytes; a GGUF header has at least 24)",
                        (unsigned)g->file.size);
    if (memcmp(g->file.data, "GGUF", 4) != 0)
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
/* Two models, as llama.cpp names them in tokenizer.ggml.model:
   - "llama": SentencePiece BPE. Spaces become U+2581, one is prepended to each piece of text
     (tokenizer.ggml.add_space_prefix, default true), then adjacent symbols merge, best piece
     score first (leftmost on ties), while the merged text is a vocabulary piece. Characters left
     without a piece become <0xNN> byte tokens (or UNK when the vocabulary has none).
   - "gpt2": byte-level BPE. A pre-tokenizer (tokenizer.ggml.pre) splits the text into words
     with regular expressions; each word's bytes map to the GPT-2 byte-to-unicode characters,
     whose tokens then merge by rank of tokenizer.ggml.merges (lowest first, leftmost on ties).
   The pre-tokenizer regexes are hand-written matchers, one per alternative, over Unicode
   classes from the generated tables below. A multi-stage pre-tokenizer applies each stage to
   every piece the previous stage left, keeping both matches and the text between them, as
   Hugging Face's Split(behavior=Isolated) does.

   Where llama.cpp and Hugging Face disagree, rm.h follows Hugging Face (the references in
   tests/data/tokenizers are HF output): user-defined tokens are matched in the text even
   without parse_special; special tokens are found leftmost-longest; SentencePiece merges never
   produce control, unknown or byte tokens from plain text; qwen2 text is NFC-normalised; unassigned code points
   count as "other" in [^\s\p{L}\p{N}]. Not done: llama.cpp's per-model lstrip/rstrip token
   attributes (phi-3) and HF's normalized/unnormalized added-token distinction.
   Invalid UTF-8 is refused (RM_ERR_UTF8) rather than patched with U+FFFD or byte tokens. */

#include <time.h>

/* BEGIN GENERATED by tools/gen_unicode.py from Unicode 14.0.0 (Python 3.11 unicodedata). */
#define RM__UNICODE_VERSION "14.0.0"
static const uint32_t rm__ucat[2205] = {
    0x0,0x10C,0x125,0x12C,0x15D,0x164,0x183,0x1D4,0x1E5,0x1FC,0x209,0x2DC,
    0x2F5,0x2FC,0x305,0x309,0x3DC,0x3E5,0x3EC,0x3F5,0x3F8,0x50C,0x515,0x53C,
    0x545,0x551,0x55C,0x565,0x568,0x575,0x593,0x5A5,0x5A9,0x5B4,0x5C5,0x5CB,
    0x5D1,0x5DC,0x5E3,0x5FC,0x601,0x6BD,0x6C1,0x7BD,0x7C1,0x1615,0x1631,0x1695,
    0x1701,0x172D,0x1761,0x176D,0x1771,0x177D,0x1802,0x1B81,0x1BAD,0x1BB1,0x1BC0,0x1BD1,
    0x1BF4,0x1BF9,0x1C00,0x1C25,0x1C31,0x1C3C,0x1C41,0x1C58,0x1C61,0x1C68,0x1C71,0x1D10,
    0x1D19,0x1FB5,0x1FB9,0x2415,0x241A,0x2451,0x2980,0x2989,0x2AB8,0x2AC9,0x2AD4,0x2B01,
    0x2C4C,0x2C58,0x2C6D,0x2C80,0x2C8A,0x2DF4,0x2DFA,0x2E04,0x2E0A,0x2E1C,0x2E22,0x2E34,
    0x2E3A,0x2E40,0x2E81,0x2F58,0x2F79,0x2F9C,0x2FA8,0x3035,0x304C,0x305D,0x3064,0x3075,
    0x3082,0x30DC,0x30E0,0x30EC,0x3101,0x325A,0x3303,0x3354,0x3371,0x3382,0x3389,0x36A4,
    0x36A9,0x36B2,0x36E8,0x36F5,0x36FA,0x3729,0x373A,0x374D,0x3752,0x3771,0x3783,0x37D1,
    0x37ED,0x37F9,0x3804,0x3870,0x3881,0x388A,0x3891,0x3982,0x3A58,0x3A69,0x3D32,0x3D89,
    0x3D90,0x3E03,0x3E51,0x3F5A,0x3FA1,0x3FB5,0x3FBC,0x3FD1,0x3FD8,0x3FEA,0x3FF5,0x4001,
    0x40B2,0x40D1,0x40DA,0x4121,0x412A,0x4141,0x414A,0x4170,0x4184,0x41F8,0x4201,0x42CA,
    0x42E0,0x42F4,0x42F8,0x4301,0x4358,0x4381,0x4445,0x4449,0x4478,0x44C2,0x4501,0x4652,
    0x4710,0x471A,0x4821,0x49D2,0x49E9,0x49F2,0x4A81,0x4A8A,0x4AC1,0x4B12,0x4B24,0x4B33,
    0x4B84,0x4B89,0x4C0A,0x4C20,0x4C29,0x4C68,0x4C79,0x4C88,0x4C99,0x4D48,0x4D51,0x4D88,
    0x4D91,0x4D98,0x4DB1,0x4DD0,0x4DE2,0x4DE9,0x4DF2,0x4E28,0x4E3A,0x4E48,0x4E5A,0x4E71,
    0x4E78,0x4EBA,0x4EC0,0x4EE1,0x4EF0,0x4EF9,0x4F12,0x4F20,0x4F33,0x4F81,0x4F95,0x4FA3,
    0x4FD5,0x4FE1,0x4FEC,0x4FF2,0x4FF8,0x500A,0x5020,0x5029,0x5058,0x5079,0x5088,0x5099,
    0x5148,0x5151,0x5188,0x5191,0x51A0,0x51A9,0x51B8,0x51C1,0x51D0,0x51E2,0x51E8,0x51F2,
    0x5218,0x523A,0x5248,0x525A,0x5270,0x528A,0x5290,0x52C9,0x52E8,0x52F1,0x52F8,0x5333,
    0x5382,0x5391,0x53AA,0x53B4,0x53B8,0x540A,0x5420,0x5429,0x5470,0x5479,0x5490,0x5499,
    0x5548,0x5551,0x5588,0x5591,0x55A0,0x55A9,0x55D0,0x55E2,0x55E9,0x55F2,0x5630,0x563A,
    0x5650,0x565A,0x5670,0x5681,0x5688,0x5701,0x5712,0x5720,0x5733,0x5784,0x578D,0x5790,
    0x57C9,0x57D2,0x5800,0x580A,0x5820,0x5829,0x5868,0x5879,0x5888,0x5899,0x5948,0x5951,
    0x5988,0x5991,0x59A0,0x59A9,0x59D0,0x59E2,0x59E9,0x59F2,0x5A28,0x5A3A,0x5A48,0x5A5A,
    0x5A70,0x5AAA,0x5AC0,0x5AE1,0x5AF0,0x5AF9,0x5B12,0x5B20,0x5B33,0x5B85,0x5B89,0x5B93,
    0x5BC0,0x5C12,0x5C19,0x5C20,0x5C29,0x5C58,0x5C71,0x5C88,0x5C91,0x5CB0,0x5CC9,0x5CD8,
    0x5CE1,0x5CE8,0x5CF1,0x5D00,0x5D19,0x5D28,0x5D41,0x5D58,0x5D71,0x5DD0,0x5DF2,0x5E18,
    0x5E32,0x5E48,0x5E52,0x5E70,0x5E81,0x5E88,0x5EBA,0x5EC0,0x5F33,0x5F9D,0x5FD8,0x6002,
    0x6029,0x6068,0x6071,0x6088,0x6091,0x6148,0x6151,0x61D0,0x61E2,0x61E9,0x61F2,0x6228,
    0x6232,0x6248,0x6252,0x6270,0x62AA,0x62B8,0x62C1,0x62D8,0x62E9,0x62F0,0x6301,0x6312,
    0x6320,0x6333,0x6380,0x63BC,0x63C3,0x63FD,0x6401,0x640A,0x6424,0x6429,0x6468,0x6471,
    0x6488,0x6491,0x6548,0x6551,0x65A0,0x65A9,0x65D0,0x65E2,0x65E9,0x65F2,0x6628,0x6632,
    0x6648,0x6652,0x6670,0x66AA,0x66B8,0x66E9,0x66F8,0x6701,0x6712,0x6720,0x6733,0x6780,
    0x6789,0x6798,0x6802,0x6821,0x6868,0x6871,0x6888,0x6891,0x69DA,0x69E9,0x69F2,0x6A28,
    0x6A32,0x6A48,0x6A52,0x6A71,0x6A7D,0x6A80,0x6AA1,0x6ABA,0x6AC3,0x6AF9,0x6B12,0x6B20,
    0x6B33,0x6BCD,0x6BD1,0x6C00,0x6C0A,0x6C20,0x6C29,0x6CB8,0x6CD1,0x6D90,0x6D99,0x6DE0,
    0x6DE9,0x6DF0,0x6E01,0x6E38,0x6E52,0x6E58,0x6E7A,0x6EA8,0x6EB2,0x6EB8,0x6EC2,0x6F00,
    0x6F33,0x6F80,0x6F92,0x6FA4,0x6FA8,0x7009,0x718A,0x7191,0x71A2,0x71D8,0x71FD,0x7201,
    0x723A,0x727C,0x7283,0x72D4,0x72E0,0x7409,0x7418,0x7421,0x7428,0x7431,0x7458,0x7461,
    0x7520,0x7529,0x7530,0x7539,0x758A,0x7591,0x75A2,0x75E9,0x75F0,0x7601,0x7628,0x7631,
    0x7638,0x7642,0x7670,0x7683,0x76D0,0x76E1,0x7700,0x7801,0x780D,0x7824,0x789D,0x78A4,
    0x78AD,0x78C2,0x78D5,0x7903,0x79A5,0x79AA,0x79B5,0x79BA,0x79C5,0x79CA,0x79D4,0x79F2,
    0x7A01,0x7A40,0x7A49,0x7B68,0x7B8A,0x7C2C,0x7C32,0x7C41,0x7C6A,0x7CC0,0x7CCA,0x7DE8,
    0x7DF5,0x7E32,0x7E3D,0x7E68,0x7E75,0x7E84,0x7EAD,0x7ECC,0x7ED8,0x8001,0x815A,0x81F9,
    0x8203,0x8254,0x8281,0x82B2,0x82D1,0x82F2,0x8309,0x8312,0x8329,0x833A,0x8371,0x838A,
    0x83A9,0x8412,0x8471,0x847A,0x8483,0x84D2,0x84F5,0x8501,0x8630,0x8639,0x8640,0x8669,
    0x8670,0x8681,0x87DC,0x87E1,0x9248,0x9251,0x9270,0x9281,0x92B8,0x92C1,0x92C8,0x92D1,
    0x92F0,0x9301,0x9448,0x9451,0x9470,0x9481,0x9588,0x9591,0x95B0,0x95C1,0x95F8,0x9601,
    0x9608,0x9611,0x9630,0x9641,0x96B8,0x96C1,0x9888,0x9891,0x98B0,0x98C1,0x9AD8,0x9AEA,
    0x9B04,0x9B4B,0x9BE8,0x9C01,0x9C85,0x9CD0,0x9D01,0x9FB0,0x9FC1,0x9FF0,0xA004,0xA009,
    0xB36D,0xB374,0xB379,0xB400,0xB409,0xB4DC,0xB4E8,0xB501,0xB75C,0xB773,0xB789,0xB7C8,
    0xB801,0xB892,0xB8B0,0xB8F9,0xB992,0xB9AC,0xB9B8,0xBA01,0xBA92,0xBAA0,0xBB01,0xBB68,
    0xBB71,0xBB88,0xBB92,0xBBA0,0xBC01,0xBDA2,0xBEA4,0xBEB9,0xBEC4,0xBEDD,0xBEE1,0xBEEA,
    0xBEF0,0xBF03,0xBF50,0xBF83,0xBFD0,0xC004,0xC05A,0xC070,0xC07A,0xC083,0xC0D0,0xC101,
    0xC3C8,0xC401,0xC42A,0xC439,0xC54A,0xC551,0xC558,0xC581,0xC7B0,0xC801,0xC8F8,0xC902,
    0xC960,0xC982,0xC9E0,0xCA05,0xCA08,0xCA24,0xCA33,0xCA81,0xCB70,0xCB81,0xCBA8,0xCC01,
    0xCD60,0xCD81,0xCE50,0xCE83,0xCED8,0xCEF5,0xD001,0xD0BA,0xD0E0,0xD0F4,0xD101,0xD2AA,
    0xD2F8,0xD302,0xD3E8,0xD3FA,0xD403,0xD450,0xD483,0xD4D0,0xD504,0xD539,0xD544,0xD570,
    0xD582,0xD678,0xD802,0xD829,0xD9A2,0xDA29,0xDA68,0xDA83,0xDAD4,0xDB0D,0xDB5A,0xDBA5,
    0xDBEC,0xDBF8,0xDC02,0xDC19,0xDD0A,0xDD71,0xDD83,0xDDD1,0xDF32,0xDFA0,0xDFE4,0xE001,
    0xE122,0xE1C0,0xE1DC,0xE203,0xE250,0xE269,0xE283,0xE2D1,0xE3F4,0xE401,0xE448,0xE481,
    0xE5D8,0xE5E9,0xE604,0xE640,0xE682,0xE69C,0xE6A2,0xE749,0xE76A,0xE771,0xE7A2,0xE7A9,
    0xE7BA,0xE7D1,0xE7D8,0xE801,0xEE02,0xF001,0xF8B0,0xF8C1,0xF8F0,0xF901,0xFA30,0xFA41,
    0xFA70,0xFA81,0xFAC0,0xFAC9,0xFAD0,0xFAD9,0xFAE0,0xFAE9,0xFAF0,0xFAF9,0xFBF0,0xFC01,
    0xFDA8,0xFDB1,0xFDED,0xFDF1,0xFDFD,0xFE11,0xFE28,0xFE31,0xFE6D,0xFE81,0xFEA0,0xFEB1,
    0xFEE0,0xFEED,0xFF01,0xFF6D,0xFF80,0xFF91,0xFFA8,0xFFB1,0xFFED,0xFFF8,0x10084,0x10140,
    0x10184,0x10225,0x1022C,0x10295,0x1029C,0x102F8,0x10383,0x10389,0x10390,0x103A3,0x103D5,0x103EC,
    0x103F9,0x10403,0x10455,0x1046C,0x10478,0x10481,0x104E8,0x10505,0x10608,0x10682,0x10788,0x10805,
    0x10811,0x1081D,0x10839,0x10845,0x10851,0x108A5,0x108A9,0x108B5,0x108C9,0x108F5,0x10921,0x1092D,
    0x10931,0x1093D,0x10941,0x1094D,0x10951,0x10975,0x10979,0x109D5,0x109E1,0x10A05,0x10A29,0x10A55,
    0x10A71,0x10A7D,0x10A83,0x10C19,0x10C2B,0x10C55,0x10C60,0x10C85,0x11844,0x11865,0x1194C,0x1195D,
    0x12138,0x12205,0x12258,0x12303,0x124E5,0x12753,0x12805,0x13B44,0x13BB3,0x13CA5,0x13E2C,0x13E3D,
    0x13F34,0x13F85,0x14C1C,0x14CCD,0x14EC4,0x14EE5,0x14FE4,0x14FF5,0x15BA0,0x15BB5,0x15CB0,0x15CBD,
    0x16001,0x1672D,0x16759,0x1677A,0x16791,0x167A0,0x167CC,0x167EB,0x167F4,0x16801,0x16930,0x16939,
    0x16940,0x16969,0x16970,0x16981,0x16B40,0x16B79,0x16B84,0x16B88,0x16BFA,0x16C01,0x16CB8,0x16D01,
    0x16D38,0x16D41,0x16D78,0x16D81,0x16DB8,0x16DC1,0x16DF8,0x16E01,0x16E38,0x16E41,0x16E78,0x16E81,
    0x16EB8,0x16EC1,0x16EF8,0x16F02,0x17004,0x17179,0x17184,0x17285,0x17294,0x172F0,0x17405,0x174D0,
    0x174DD,0x177A0,0x17805,0x17EB0,0x17F85,0x17FE0,0x1800C,0x18025,0x18029,0x1803B,0x18044,0x18095,
    0x180A4,0x18105,0x1810B,0x18152,0x18184,0x18189,0x181B5,0x181C3,0x181D9,0x181EC,0x181F5,0x18200,
    0x18209,0x184B8,0x184CA,0x184DD,0x184E9,0x18504,0x18509,0x187DC,0x187E1,0x18800,0x18829,0x18980,
    0x18989,0x18C78,0x18C85,0x18C93,0x18CB5,0x18D01,0x18E05,0x18F20,0x18F81,0x19005,0x190F8,0x19103,
    0x19155,0x19243,0x19285,0x1928B,0x19305,0x19403,0x19455,0x1958B,0x19605,0x1A001,0x26E05,0x27001,
    0x52468,0x52485,0x52638,0x52681,0x527F4,0x52801,0x5306C,0x53081,0x53103,0x53151,0x53160,0x53201,
    0x5337A,0x5339C,0x533A2,0x533F4,0x533F9,0x534F2,0x53501,0x53733,0x53782,0x53794,0x537C0,0x53805,
    0x538B9,0x53905,0x53911,0x53C4D,0x53C59,0x53E58,0x53E81,0x53E90,0x53E99,0x53EA0,0x53EA9,0x53ED0,
    0x53F91,0x54012,0x54019,0x54032,0x54039,0x5405A,0x54061,0x5411A,0x54145,0x54162,0x54168,0x54183,
    0x541B5,0x541D0,0x54201,0x543A4,0x543C0,0x54402,0x54411,0x545A2,0x54630,0x54674,0x54683,0x546D0,
    0x54702,0x54791,0x547C4,0x547D9,0x547E4,0x547E9,0x547FA,0x54803,0x54851,0x54932,0x54974,0x54981,
    0x54A3A,0x54AA0,0x54AFC,0x54B01,0x54BE8,0x54C02,0x54C21,0x54D9A,0x54E0C,0x54E70,0x54E79,0x54E83,
    0x54ED0,0x54EF4,0x54F01,0x54F2A,0x54F31,0x54F83,0x54FD1,0x54FF8,0x55001,0x5514A,0x551B8,0x55201,
    0x5521A,0x55221,0x55262,0x55270,0x55283,0x552D0,0x552E4,0x55301,0x553BD,0x553D1,0x553DA,0x553F1,
    0x55582,0x55589,0x55592,0x555A9,0x555BA,0x555C9,0x555F2,0x55601,0x5560A,0x55611,0x55618,0x556D9,
    0x556F4,0x55701,0x5575A,0x55784,0x55791,0x557AA,0x557B8,0x55809,0x55838,0x55849,0x55878,0x55889,
    0x558B8,0x55901,0x55938,0x55941,0x55978,0x55981,0x55ADD,0x55AE1,0x55B55,0x55B60,0x55B81,0x55F1A,
    0x55F5C,0x55F62,0x55F70,0x55F83,0x55FD0,0x56001,0x6BD20,0x6BD81,0x6BE38,0x6BE59,0x6BFE0,0x7C801,
    0x7D370,0x7D381,0x7D6D0,0x7D801,0x7D838,0x7D899,0x7D8C0,0x7D8E9,0x7D8F2,0x7D8F9,0x7D94D,0x7D951,
    0x7D9B8,0x7D9C1,0x7D9E8,0x7D9F1,0x7D9F8,0x7DA01,0x7DA10,0x7DA19,0x7DA28,0x7DA31,0x7DD95,0x7DE18,
    0x7DE99,0x7E9F4,0x7EA05,0x7EA81,0x7EC80,0x7EC91,0x7EE40,0x7EE7D,0x7EE80,0x7EF81,0x7EFE5,0x7F002,
    0x7F084,0x7F0D0,0x7F102,0x7F184,0x7F298,0x7F2A4,0x7F315,0x7F31C,0x7F325,0x7F338,0x7F344,0x7F34D,
    0x7F354,0x7F360,0x7F381,0x7F3A8,0x7F3B1,0x7F7E8,0x7F80C,0x7F825,0x7F82C,0x7F85D,0x7F864,0x7F883,
    0x7F8D4,0x7F8E5,0x7F8FC,0x7F909,0x7F9DC,0x7F9F5,0x7F9FC,0x7FA05,0x7FA09,0x7FADC,0x7FAE5,0x7FAEC,
    0x7FAF5,0x7FAFC,0x7FB31,0x7FDF8,0x7FE11,0x7FE40,0x7FE51,0x7FE80,0x7FE91,0x7FEC0,0x7FED1,0x7FEE8,
    0x7FF05,0x7FF38,0x7FF45,0x7FF78,0x7FFE5,0x7FFF0,0x80001,0x80060,0x80069,0x80138,0x80141,0x801D8,
    0x801E1,0x801F0,0x801F9,0x80270,0x80281,0x802F0,0x80401,0x807D8,0x80804,0x80818,0x8083B,0x809A0,
    0x809BD,0x80A03,0x80BCD,0x80C53,0x80C65,0x80C78,0x80C85,0x80CE8,0x80D05,0x80D08,0x80E85,0x80FEA,
    0x80FF0,0x81401,0x814E8,0x81501,0x81688,0x81702,0x8170B,0x817E0,0x81801,0x81903,0x81920,0x81969,
    0x81A0B,0x81A11,0x81A53,0x81A58,0x81A81,0x81BB2,0x81BD8,0x81C01,0x81CF0,0x81CFC,0x81D01,0x81E20,
    0x81E41,0x81E84,0x81E8B,0x81EB0,0x82001,0x824F0,0x82503,0x82550,0x82581,0x826A0,0x826C1,0x827E0,
    0x82801,0x82940,0x82981,0x82B20,0x82B7C,0x82B81,0x82BD8,0x82BE1,0x82C58,0x82C61,0x82C98,0x82CA1,
    0x82CB0,0x82CB9,0x82D10,0x82D19,0x82D90,0x82D99,0x82DD0,0x82DD9,0x82DE8,0x83001,0x839B8,0x83A01,
    0x83AB0,0x83B01,0x83B40,0x83C01,0x83C30,0x83C39,0x83D88,0x83D91,0x83DD8,0x84001,0x84030,0x84041,
    0x84048,0x84051,0x841B0,0x841B9,0x841C8,0x841E1,0x841E8,0x841F9,0x842B0,0x842BC,0x842C3,0x84301,
    0x843BD,0x843CB,0x84401,0x844F8,0x8453B,0x84580,0x84701,0x84798,0x847A1,0x847B0,0x847DB,0x84801,
    0x848B3,0x848E0,0x848FC,0x84901,0x849D0,0x849FC,0x84A00,0x84C01,0x84DC0,0x84DE3,0x84DF1,0x84E03,
    0x84E80,0x84E93,0x85001,0x8500A,0x85020,0x8502A,0x85038,0x85062,0x85081,0x850A0,0x850A9,0x850C0,
    0x850C9,0x851B0,0x851C2,0x851D8,0x851FA,0x85203,0x85248,0x85284,0x852C8,0x85301,0x853EB,0x853FC,
    0x85401,0x854EB,0x85500,0x85601,0x85645,0x85649,0x8572A,0x85738,0x8575B,0x85784,0x857B8,0x85801,
    0x859B0,0x859CC,0x85A01,0x85AB0,0x85AC3,0x85B01,0x85B98,0x85BC3,0x85C01,0x85C90,0x85CCC,0x85CE8,
    0x85D4B,0x85D80,0x86001,0x86248,0x86401,0x86598,0x86601,0x86798,0x867D3,0x86801,0x86922,0x86940,
    0x86983,0x869D0,0x87303,0x873F8,0x87401,0x87550,0x8755A,0x8756C,0x87570,0x87581,0x87590,0x87801,
    0x878EB,0x87939,0x87940,0x87981,0x87A32,0x87A8B,0x87AAC,0x87AD0,0x87B81,0x87C12,0x87C34,0x87C50,
    0x87D81,0x87E2B,0x87E60,0x87F01,0x87FB8,0x88002,0x88019,0x881C2,0x8823C,0x88270,0x88293,0x88382,
    0x88389,0x8839A,0x883A9,0x883B0,0x883FA,0x88419,0x88582,0x885DC,0x885E8,0x885F4,0x88612,0x88618,
    0x88681,0x88748,0x88783,0x887D0,0x88802,0x88819,0x8893A,0x889A8,0x889B3,0x88A04,0x88A21,0x88A2A,
    0x88A39,0x88A40,0x88A81,0x88B9A,0x88BA4,0x88BB1,0x88BB8,0x88C02,0x88C19,0x88D9A,0x88E09,0x88E2C,
    0x88E4A,0x88E6C,0x88E72,0x88E83,0x88ED1,0x88EDC,0x88EE1,0x88EEC,0x88F00,0x88F0B,0x88FA8,0x89001,
    0x89090,0x89099,0x89162,0x891C4,0x891F2,0x891F8,0x89401,0x89438,0x89441,0x89448,0x89451,0x89470,
    0x89479,0x894F0,0x894F9,0x8954C,0x89550,0x89581,0x896FA,0x89758,0x89783,0x897D0,0x89802,0x89820,
    0x89829,0x89868,0x89879,0x89888,0x89899,0x89948,0x89951,0x89988,0x89991,0x899A0,0x899A9,0x899D0,
    0x899DA,0x899E9,0x899F2,0x89A28,0x89A3A,0x89A48,0x89A5A,0x89A70,0x89A81,0x89A88,0x89ABA,0x89AC0,
    0x89AE9,0x89B12,0x89B20,0x89B32,0x89B68,0x89B82,0x89BA8,0x8A001,0x8A1AA,0x8A239,0x8A25C,0x8A283,
    0x8A2D4,0x8A2E0,0x8A2EC,0x8A2F2,0x8A2F9,0x8A310,0x8A401,0x8A582,0x8A621,0x8A634,0x8A639,0x8A640,
    0x8A683,0x8A6D0,0x8AC01,0x8AD7A,0x8ADB0,0x8ADC2,0x8AE0C,0x8AEC1,0x8AEE2,0x8AEF0,0x8B001,0x8B182,
    0x8B20C,0x8B221,0x8B228,0x8B283,0x8B2D0,0x8B304,0x8B368,0x8B401,0x8B55A,0x8B5C1,0x8B5CC,0x8B5D0,
    0x8B603,0x8B650,0x8B801,0x8B8D8,0x8B8EA,0x8B960,0x8B983,0x8B9E4,0x8B9FD,0x8BA01,0x8BA38,0x8C001,
    0x8C162,0x8C1DC,0x8C1E0,0x8C501,0x8C703,0x8C798,0x8C7F9,0x8C838,0x8C849,0x8C850,0x8C861,0x8C8A0,
    0x8C8A9,0x8C8B8,0x8C8C1,0x8C982,0x8C9B0,0x8C9BA,0x8C9C8,0x8C9DA,0x8C9F9,0x8CA02,0x8CA09,0x8CA12,
    0x8CA24,0x8CA38,0x8CA83,0x8CAD0,0x8CD01,0x8CD40,0x8CD51,0x8CE8A,0x8CEC0,0x8CED2,0x8CF09,0x8CF14,
    0x8CF19,0x8CF22,0x8CF28,0x8D001,0x8D00A,0x8D059,0x8D19A,0x8D1D1,0x8D1DA,0x8D1FC,0x8D23A,0x8D240,
    0x8D281,0x8D28A,0x8D2E1,0x8D452,0x8D4D4,0x8D4E9,0x8D4F4,0x8D518,0x8D581,0x8D7C8,0x8E001,0x8E048,
    0x8E051,0x8E17A,0x8E1B8,0x8E1C2,0x8E201,0x8E20C,0x8E230,0x8E283,0x8E368,0x8E384,0x8E391,0x8E480,
    0x8E492,0x8E540,0x8E54A,0x8E5B8,0x8E801,0x8E838,0x8E841,0x8E850,0x8E859,0x8E98A,0x8E9B8,0x8E9D2,
    0x8E9D8,0x8E9E2,0x8E9F0,0x8E9FA,0x8EA31,0x8EA3A,0x8EA40,0x8EA83,0x8EAD0,0x8EB01,0x8EB30,0x8EB39,
    0x8EB48,0x8EB51,0x8EC52,0x8EC78,0x8EC82,0x8EC90,0x8EC9A,0x8ECC1,0x8ECC8,0x8ED03,0x8ED50,0x8F701,
    0x8F79A,0x8F7BC,0x8F7C8,0x8FD81,0x8FD88,0x8FE03,0x8FEAD,0x8FF90,0x8FFFC,0x90001,0x91CD0,0x92003,
    0x92378,0x92384,0x923A8,0x92401,0x92A20,0x97C81,0x97F8C,0x97F98,0x98001,0x9A178,0xA2001,0xA3238,
    0xB4001,0xB51C8,0xB5201,0xB52F8,0xB5303,0xB5350,0xB5374,0xB5381,0xB55F8,0xB5603,0xB5650,0xB5681,
    0xB5770,0xB5782,0xB57AC,0xB57B0,0xB5801,0xB5982,0xB59BC,0xB59E5,0xB5A01,0xB5A24,0xB5A2D,0xB5A30,
    0xB5A83,0xB5AD0,0xB5ADB,0xB5B10,0xB5B19,0xB5BC0,0xB5BE9,0xB5C80,0xB7201,0xB7403,0xB74BC,0xB74D8,
    0xB7801,0xB7A58,0xB7A7A,0xB7A81,0xB7A8A,0xB7C40,0xB7C7A,0xB7C99,0xB7D00,0xB7F01,0xB7F14,0xB7F19,
    0xB7F22,0xB7F28,0xB7F82,0xB7F90,0xB8001,0xC3FC0,0xC4001,0xC66B0,0xC6801,0xC6848,0xD7F81,0xD7FA0,
    0xD7FA9,0xD7FE0,0xD7FE9,0xD7FF8,0xD8001,0xD8918,0xD8A81,0xD8A98,0xD8B21,0xD8B40,0xD8B81,0xD97E0,
    0xDE001,0xDE358,0xDE381,0xDE3E8,0xDE401,0xDE448,0xDE481,0xDE4D0,0xDE4E5,0xDE4EA,0xDE4FC,0xDE500,
    0xE7802,0xE7970,0xE7982,0xE7A38,0xE7A85,0xE7E20,0xE8005,0xE87B0,0xE8805,0xE8938,0xE894D,0xE8B2A,
    0xE8B55,0xE8B6A,0xE8B98,0xE8BDA,0xE8C1D,0xE8C2A,0xE8C65,0xE8D52,0xE8D75,0xE8F58,0xE9005,0xE9212,
    0xE922D,0xE9230,0xE9703,0xE97A0,0xE9805,0xE9AB8,0xE9B03,0xE9BC8,0xEA001,0xEA2A8,0xEA2B1,0xEA4E8,
    0xEA4F1,0xEA500,0xEA511,0xEA518,0xEA529,0xEA538,0xEA549,0xEA568,0xEA571,0xEA5D0,0xEA5D9,0xEA5E0,
    0xEA5E9,0xEA620,0xEA629,0xEA830,0xEA839,0xEA858,0xEA869,0xEA8A8,0xEA8B1,0xEA8E8,0xEA8F1,0xEA9D0,
    0xEA9D9,0xEA9F8,0xEAA01,0xEAA28,0xEAA31,0xEAA38,0xEAA51,0xEAA88,0xEAA91,0xEB530,0xEB541,0xEB60D,
    0xEB611,0xEB6DD,0xEB6E1,0xEB7DD,0xEB7E1,0xEB8AD,0xEB8B1,0xEB9AD,0xEB9B1,0xEBA7D,0xEBA81,0xEBB7D,
    0xEBB81,0xEBC4D,0xEBC51,0xEBD4D,0xEBD51,0xEBE1D,0xEBE21,0xEBE60,0xEBE73,0xEC005,0xED002,0xED1BD,
    0xED1DA,0xED36D,0xED3AA,0xED3B5,0xED422,0xED42D,0xED43C,0xED460,0xED4DA,0xED500,0xED50A,0xED580,
    0xEF801,0xEF8F8,0xF0002,0xF0038,0xF0042,0xF00C8,0xF00DA,0xF0110,0xF011A,0xF0128,0xF0132,0xF0158,
    0xF0801,0xF0968,0xF0982,0xF09B9,0xF09F0,0xF0A03,0xF0A50,0xF0A71,0xF0A7D,0xF0A80,0xF1481,0xF1572,
    0xF1578,0xF1601,0xF1762,0xF1783,0xF17D0,0xF17FD,0xF1800,0xF3F01,0xF3F38,0xF3F41,0xF3F60,0xF3F69,
    0xF3F78,0xF3F81,0xF3FF8,0xF4001,0xF4628,0xF463B,0xF4682,0xF46B8,0xF4801,0xF4A22,0xF4A59,0xF4A60,
    0xF4A83,0xF4AD0,0xF4AF4,0xF4B00,0xF638B,0xF6565,0xF656B,0xF6585,0xF658B,0xF65A8,0xF680B,0xF6975,
    0xF697B,0xF69F0,0xF7001,0xF7020,0xF7029,0xF7100,0xF7109,0xF7118,0xF7121,0xF7128,0xF7139,0xF7140,
    0xF7149,0xF7198,0xF71A1,0xF71C0,0xF71C9,0xF71D0,0xF71D9,0xF71E0,0xF7211,0xF7218,0xF7239,0xF7240,
    0xF7249,0xF7250,0xF7259,0xF7260,0xF7269,0xF7280,0xF7289,0xF7298,0xF72A1,0xF72A8,0xF72B9,0xF72C0,
    0xF72C9,0xF72D0,0xF72D9,0xF72E0,0xF72E9,0xF72F0,0xF72F9,0xF7300,0xF7309,0xF7318,0xF7321,0xF7328,
    0xF7339,0xF7358,0xF7361,0xF7398,0xF73A1,0xF73C0,0xF73C9,0xF73E8,0xF73F1,0xF73F8,0xF7401,0xF7450,
    0xF7459,0xF74E0,0xF7509,0xF7520,0xF7529,0xF7550,0xF7559,0xF75E0,0xF7785,0xF7790,0xF8005,0xF8160,
    0xF8185,0xF84A0,0xF8505,0xF8578,0xF858D,0xF8600,0xF860D,0xF8680,0xF868D,0xF87B0,0xF8803,0xF886D,
    0xF8D70,0xF8F35,0xF9018,0xF9085,0xF91E0,0xF9205,0xF9248,0xF9285,0xF9290,0xF9305,0xF9330,0xF9805,
    0xFB6C0,0xFB6ED,0xFB768,0xFB785,0xFB7E8,0xFB805,0xFBBA0,0xFBC05,0xFBEC8,0xFBF05,0xFBF60,0xFBF85,
    0xFBF88,0xFC005,0xFC060,0xFC085,0xFC240,0xFC285,0xFC2D0,0xFC305,0xFC440,0xFC485,0xFC570,0xFC585,
    0xFC590,0xFC805,0xFD2A0,0xFD305,0xFD370,0xFD385,0xFD3A8,0xFD3C5,0xFD3E8,0xFD405,0xFD438,0xFD485,
    0xFD568,0xFD585,0xFD5D8,0xFD605,0xFD630,0xFD685,0xFD6D0,0xFD705,0xFD740,0xFD785,0xFD7B8,0xFD805,
    0xFDC98,0xFDCA5,0xFDE58,0xFDF83,0xFDFD0,0x100001,0x153700,0x153801,0x15B9C8,0x15BA01,0x15C0F0,0x15C101,
    0x167510,0x167581,0x175F08,0x17C001,0x17D0F0,0x180001,0x189A58,0x700802,0x700F80,
};
static const uint32_t rm__dsllm_letters[168] = {
    0x41,0x5A,0x61,0x7A,0xB5,0xB5,0xC0,0xD6,0xD8,0xF6,0xF8,0x1BA,
    0x1BC,0x1BF,0x1C4,0x293,0x295,0x2AF,0x370,0x373,0x376,0x377,0x37B,0x37D,
    0x37F,0x37F,0x386,0x386,0x388,0x38A,0x38C,0x38C,0x38E,0x3A1,0x3A3,0x3F5,
    0x3F7,0x481,0x48A,0x52F,0x531,0x556,0x10A0,0x10C5,0x13A0,0x13F5,0x13F8,0x13FD,
    0x1C90,0x1CBA,0x1CBD,0x1CBF,0x1D00,0x1D2B,0x1D6B,0x1D77,0x1D79,0x1D9A,0x1E00,0x1F15,
    0x1F18,0x1F1D,0x1F20,0x1F45,0x1F48,0x1F4D,0x1F50,0x1F57,0x1F59,0x1F59,0x1F5B,0x1F5B,
    0x1F5D,0x1F5D,0x1F5F,0x1F7D,0x1F80,0x1FB4,0x1FB6,0x1FBC,0x1FBE,0x1FBE,0x1FC2,0x1FC4,
    0x1FC6,0x1FCC,0x1FD0,0x1FD3,0x1FD6,0x1FDB,0x1FE0,0x1FEC,0x1FF2,0x1FF4,0x1FF6,0x1FFC,
    0x2102,0x2102,0x2107,0x2107,0x210A,0x2113,0x2115,0x2115,0x2119,0x211D,0x2124,0x2124,
    0x2126,0x2126,0x2128,0x2128,0x212A,0x212D,0x212F,0x2134,0x2139,0x2139,0x213C,0x213F,
    0x2145,0x2149,0x214E,0x214E,0x2183,0x2184,0x2C00,0x2C7B,0x2C7E,0x2CE4,0x2CEB,0x2CEE,
    0x2CF2,0x2CF3,0xA640,0xA66D,0xA680,0xA69B,0xA722,0xA76F,0xA771,0xA787,0xA78B,0xA78E,
    0xAB70,0xABBF,0xFB00,0xFB06,0xFB13,0xFB17,0xFF21,0xFF3A,0xFF41,0xFF5A,0x10400,0x1044F,
    0x104B0,0x104D3,0x104D8,0x104FB,0x10C80,0x10CB2,0x10CC0,0x10CF2,0x118A0,0x118DF,0x1E900,0x1E943,
};
static const uint32_t rm__nfc_decomp[6183] = {
    0xC0,0x41,0x1000300,0xC1,0x41,0x1000301,0xC2,0x41,0x1000302,0xC3,0x41,0x1000303,
    0xC4,0x41,0x1000308,0xC5,0x41,0x100030A,0xC7,0x43,0x1000327,0xC8,0x45,0x1000300,
    0xC9,0x45,0x1000301,0xCA,0x45,0x1000302,0xCB,0x45,0x1000308,0xCC,0x49,0x1000300,
    0xCD,0x49,0x1000301,0xCE,0x49,0x1000302,0xCF,0x49,0x1000308,0xD1,0x4E,0x1000303,
    0xD2,0x4F,0x1000300,0xD3,0x4F,0x1000301,0xD4,0x4F,0x1000302,0xD5,0x4F,0x1000303,
    0xD6,0x4F,0x1000308,0xD9,0x55,0x1000300,0xDA,0x55,0x1000301,0xDB,0x55,0x1000302,
    0xDC,0x55,0x1000308,0xDD,0x59,0x1000301,0xE0,0x61,0x1000300,0xE1,0x61,0x1000301,
    0xE2,0x61,0x1000302,0xE3,0x61,0x1000303,0xE4,0x61,0x1000308,0xE5,0x61,0x100030A,
    0xE7,0x63,0x1000327,0xE8,0x65,0x1000300,0xE9,0x65,0x1000301,0xEA,0x65,0x1000302,
    0xEB,0x65,0x1000308,0xEC,0x69,0x1000300,0xED,0x69,0x1000301,0xEE,0x69,0x1000302,
    0xEF,0x69,0x1000308,0xF1,0x6E,0x1000303,0xF2,0x6F,0x1000300,0xF3,0x6F,0x1000301,
    0xF4,0x6F,0x1000302,0xF5,0x6F,0x1000303,0xF6,0x6F,0x1000308,0xF9,0x75,0x1000300,
    0xFA,0x75,0x1000301,0xFB,0x75,0x1000302,0xFC,0x75,0x1000308,0xFD,0x79,0x1000301,
    0xFF,0x79,0x1000308,0x100,0x41,0x1000304,0x101,0x61,0x1000304,0x102,0x41,0x1000306,
    0x103,0x61,0x1000306,0x104,0x41,0x1000328,0x105,0x61,0x1000328,0x106,0x43,0x1000301,
    0x107,0x63,0x1000301,0x108,0x43,0x1000302,0x109,0x63,0x1000302,0x10A,0x43,0x1000307,
    0x10B,0x63,0x1000307,0x10C,0x43,0x100030C,0x10D,0x63,0x100030C,0x10E,0x44,0x100030C,
    0x10F,0x64,0x100030C,0x112,0x45,0x1000304,0x113,0x65,0x1000304,0x114,0x45,0x1000306,
    0x115,0x65,0x1000306,0x116,0x45,0x1000307,0x117,0x65,0x1000307,0x118,0x45,0x1000328,
    0x119,0x65,0x1000328,0x11A,0x45,0x100030C,0x11B,0x65,0x100030C,0x11C,0x47,0x1000302,
    0x11D,0x67,0x1000302,0x11E,0x47,0x1000306,0x11F,0x67,0x1000306,0x120,0x47,0x1000307,
    0x121,0x67,0x1000307,0x122,0x47,0x1000327,0x123,0x67,0x1000327,0x124,0x48,0x1000302,
    0x125,0x68,0x1000302,0x128,0x49,0x1000303,0x129,0x69,0x1000303,0x12A,0x49,0x1000304,
    0x12B,0x69,0x1000304,0x12C,0x49,0x1000306,0x12D,0x69,0x1000306,0x12E,0x49,0x1000328,
    0x12F,0x69,0x1000328,0x130,0x49,0x1000307,0x134,0x4A,0x1000302,0x135,0x6A,0x1000302,
    0x136,0x4B,0x1000327,0x137,0x6B,0x1000327,0x139,0x4C,0x1000301,0x13A,0x6C,0x1000301,
    0x13B,0x4C,0x1000327,0x13C,0x6C,0x1000327,0x13D,0x4C,0x100030C,0x13E,0x6C,0x100030C,
    0x143,0x4E,0x1000301,0x144,0x6E,0x1000301,0x145,0x4E,0x1000327,0x146,0x6E,0x1000327,
    0x147,0x4E,0x100030C,0x148,0x6E,0x100030C,0x14C,0x4F,0x1000304,0x14D,0x6F,0x1000304,
    0x14E,0x4F,0x1000306,0x14F,0x6F,0x1000306,0x150,0x4F,0x100030B,0x151,0x6F,0x100030B,
    0x154,0x52,0x1000301,0x155,0x72,0x1000301,0x156,0x52,0x1000327,0x157,0x72,0x1000327,
    0x158,0x52,0x100030C,0x159,0x72,0x100030C,0x15A,0x53,0x1000301,0x15B,0x73,0x1000301,
    0x15C,0x53,0x1000302,0x15D,0x73,0x1000302,0x15E,0x53,0x1000327,0x15F,0x73,0x1000327,
    0x160,0x53,0x100030C,0x161,0x73,0x100030C,0x162,0x54,0x1000327,0x163,0x74,0x1000327,
    0x164,0x54,0x100030C,0x165,0x74,0x100030C,0x168,0x55,0x1000303,0x169,0x75,0x1000303,
    0x16A,0x55,0x1000304,0x16B,0x75,0x1000304,0x16C,0x55,0x1000306,0x16D,0x75,0x1000306,
    0x16E,0x55,0x100030A,0x16F,0x75,0x100030A,0x170,0x55,0x100030B,0x171,0x75,0x100030B,
    0x172,0x55,0x1000328,0x173,0x75,0x1000328,0x174,0x57,0x1000302,0x175,0x77,0x1000302,
    0x176,0x59,0x1000302,0x177,0x79,0x1000302,0x178,0x59,0x1000308,0x179,0x5A,0x1000301,
    0x17A,0x7A,0x1000301,0x17B,0x5A,0x1000307,0x17C,0x7A,0x1000307,0x17D,0x5A,0x100030C,
    0x17E,0x7A,0x100030C,0x1A0,0x4F,0x100031B,0x1A1,0x6F,0x100031B,0x1AF,0x55,0x100031B,
    0x1B0,0x75,0x100031B,0x1CD,0x41,0x100030C,0x1CE,0x61,0x100030C,0x1CF,0x49,0x100030C,
    0x1D0,0x69,0x100030C,0x1D1,0x4F,0x100030C,0x1D2,0x6F,0x100030C,0x1D3,0x55,0x100030C,
    0x1D4,0x75,0x100030C,0x1D5,0xDC,0x1000304,0x1D6,0xFC,0x1000304,0x1D7,0xDC,0x1000301,
    0x1D8,0xFC,0x1000301,0x1D9,0xDC,0x100030C,0x1DA,0xFC,0x100030C,0x1DB,0xDC,0x1000300,
    0x1DC,0xFC,0x1000300,0x1DE,0xC4,0x1000304,0x1DF,0xE4,0x1000304,0x1E0,0x226,0x1000304,
    0x1E1,0x227,0x1000304,0x1E2,0xC6,0x1000304,0x1E3,0xE6,0x1000304,0x1E6,0x47,0x100030C,
    0x1E7,0x67,0x100030C,0x1E8,0x4B,0x100030C,0x1E9,0x6B,0x100030C,0x1EA,0x4F,0x1000328,
    0x1EB,0x6F,0x1000328,0x1EC,0x1EA,0x1000304,0x1ED,0x1EB,0x1000304,0x1EE,0x1B7,0x100030C,
    0x1EF,0x292,0x100030C,0x1F0,0x6A,0x100030C,0x1F4,0x47,0x1000301,0x1F5,0x67,0x1000301,
    0x1F8,0x4E,0x1000300,0x1F9,0x6E,0x1000300,0x1FA,0xC5,0x1000301,0x1FB,0xE5,0x1000301,
    0x1FC,0xC6,0x1000301,0x1FD,0xE6,0x1000301,0x1FE,0xD8,0x1000301,0x1FF,0xF8,0x1000301,
    0x200,0x41,0x100030F,0x201,0x61,0x100030F,0x202,0x41,0x1000311,0x203,0x61,0x1000311,
    0x204,0x45,0x100030F,0x205,0x65,0x100030F,0x206,0x45,0x1000311,0x207,0x65,0x1000311,
    0x208,0x49,0x100030F,0x209,0x69,0x100030F,0x20A,0x49,0x1000311,0x20B,0x69,0x1000311,
    0x20C,0x4F,0x100030F,0x20D,0x6F,0x100030F,0x20E,0x4F,0x1000311,0x20F,0x6F,0x1000311,
    0x210,0x52,0x100030F,0x211,0x72,0x100030F,0x212,0x52,0x1000311,0x213,0x72,0x1000311,
    0x214,0x55,0x100030F,0x215,0x75,0x100030F,0x216,0x55,0x1000311,0x217,0x75,0x1000311,
    0x218,0x53,0x1000326,0x219,0x73,0x1000326,0x21A,0x54,0x1000326,0x21B,0x74,0x1000326,
    0x21E,0x48,0x100030C,0x21F,0x68,0x100030C,0x226,0x41,0x1000307,0x227,0x61,0x1000307,
    0x228,0x45,0x1000327,0x229,0x65,0x1000327,0x22A,0xD6,0x1000304,0x22B,0xF6,0x1000304,
    0x22C,0xD5,0x1000304,0x22D,0xF5,0x1000304,0x22E,0x4F,0x1000307,0x22F,0x6F,0x1000307,
    0x230,0x22E,0x1000304,0x231,0x22F,0x1000304,0x232,0x59,0x1000304,0x233,0x79,0x1000304,
    0x340,0x300,0x0,0x341,0x301,0x0,0x343,0x313,0x0,0x344,0x308,0x301,
    0x374,0x2B9,0x0,0x37E,0x3B,0x0,0x385,0xA8,0x1000301,0x386,0x391,0x1000301,
    0x387,0xB7,0x0,0x388,0x395,0x1000301,0x389,0x397,0x1000301,0x38A,0x399,0x1000301,
    0x38C,0x39F,0x1000301,0x38E,0x3A5,0x1000301,0x38F,0x3A9,0x1000301,0x390,0x3CA,0x1000301,
    0x3AA,0x399,0x1000308,0x3AB,0x3A5,0x1000308,0x3AC,0x3B1,0x1000301,0x3AD,0x3B5,0x1000301,
    0x3AE,0x3B7,0x1000301,0x3AF,0x3B9,0x1000301,0x3B0,0x3CB,0x1000301,0x3CA,0x3B9,0x1000308,
    0x3CB,0x3C5,0x1000308,0x3CC,0x3BF,0x1000301,0x3CD,0x3C5,0x1000301,0x3CE,0x3C9,0x1000301,
    0x3D3,0x3D2,0x1000301,0x3D4,0x3D2,0x1000308,0x400,0x415,0x1000300,0x401,0x415,0x1000308,
    0x403,0x413,0x1000301,0x407,0x406,0x1000308,0x40C,0x41A,0x1000301,0x40D,0x418,0x1000300,
    0x40E,0x423,0x1000306,0x419,0x418,0x1000306,0x439,0x438,0x1000306,0x450,0x435,0x1000300,
    0x451,0x435,0x1000308,0x453,0x433,0x1000301,0x457,0x456,0x1000308,0x45C,0x43A,0x1000301,
    0x45D,0x438,0x1000300,0x45E,0x443,0x1000306,0x476,0x474,0x100030F,0x477,0x475,0x100030F,
    0x4C1,0x416,0x1000306,0x4C2,0x436,0x1000306,0x4D0,0x410,0x1000306,0x4D1,0x430,0x1000306,
    0x4D2,0x410,0x1000308,0x4D3,0x430,0x1000308,0x4D6,0x415,0x1000306,0x4D7,0x435,0x1000306,
    0x4DA,0x4D8,0x1000308,0x4DB,0x4D9,0x1000308,0x4DC,0x416,0x1000308,0x4DD,0x436,0x1000308,
    0x4DE,0x417,0x1000308,0x4DF,0x437,0x1000308,0x4E2,0x418,0x1000304,0x4E3,0x438,0x1000304,
    0x4E4,0x418,0x1000308,0x4E5,0x438,0x1000308,0x4E6,0x41E,0x1000308,0x4E7,0x43E,0x1000308,
    0x4EA,0x4E8,0x1000308,0x4EB,0x4E9,0x1000308,0x4EC,0x42D,0x1000308,0x4ED,0x44D,0x1000308,
    0x4EE,0x423,0x1000304,0x4EF,0x443,0x1000304,0x4F0,0x423,0x1000308,0x4F1,0x443,0x1000308,
    0x4F2,0x423,0x100030B,0x4F3,0x443,0x100030B,0x4F4,0x427,0x1000308,0x4F5,0x447,0x1000308,
    0x4F8,0x42B,0x1000308,0x4F9,0x44B,0x1000308,0x622,0x627,0x1000653,0x623,0x627,0x1000654,
    0x624,0x648,0x1000654,0x625,0x627,0x1000655,0x626,0x64A,0x1000654,0x6C0,0x6D5,0x1000654,
    0x6C2,0x6C1,0x1000654,0x6D3,0x6D2,0x1000654,0x929,0x928,0x100093C,0x931,0x930,0x100093C,
    0x934,0x933,0x100093C,0x958,0x915,0x93C,0x959,0x916,0x93C,0x95A,0x917,0x93C,
    0x95B,0x91C,0x93C,0x95C,0x921,0x93C,0x95D,0x922,0x93C,0x95E,0x92B,0x93C,
    0x95F,0x92F,0x93C,0x9CB,0x9C7,0x10009BE,0x9CC,0x9C7,0x10009D7,0x9DC,0x9A1,0x9BC,
    0x9DD,0x9A2,0x9BC,0x9DF,0x9AF,0x9BC,0xA33,0xA32,0xA3C,0xA36,0xA38,0xA3C,
    0xA59,0xA16,0xA3C,0xA5A,0xA17,0xA3C,0xA5B,0xA1C,0xA3C,0xA5E,0xA2B,0xA3C,
    0xB48,0xB47,0x1000B56,0xB4B,0xB47,0x1000B3E,0xB4C,0xB47,0x1000B57,0xB5C,0xB21,0xB3C,
    0xB5D,0xB22,0xB3C,0xB94,0xB92,0x1000BD7,0xBCA,0xBC6,0x1000BBE,0xBCB,0xBC7,0x1000BBE,
    0xBCC,0xBC6,0x1000BD7,0xC48,0xC46,0x1000C56,0xCC0,0xCBF,0x1000CD5,0xCC7,0xCC6,0x1000CD5,
    0xCC8,0xCC6,0x1000CD6,0xCCA,0xCC6,0x1000CC2,0xCCB,0xCCA,0x1000CD5,0xD4A,0xD46,0x1000D3E,
    0xD4B,0xD47,0x1000D3E,0xD4C,0xD46,0x1000D57,0xDDA,0xDD9,0x1000DCA,0xDDC,0xDD9,0x1000DCF,
    0xDDD,0xDDC,0x1000DCA,0xDDE,0xDD9,0x1000DDF,0xF43,0xF42,0xFB7,0xF4D,0xF4C,0xFB7,
    0xF52,0xF51,0xFB7,0xF57,0xF56,0xFB7,0xF5C,0xF5B,0xFB7,0xF69,0xF40,0xFB5,
    0xF73,0xF71,0xF72,0xF75,0xF71,0xF74,0xF76,0xFB2,0xF80,0xF78,0xFB3,0xF80,
    0xF81,0xF71,0xF80,0xF93,0xF92,0xFB7,0xF9D,0xF9C,0xFB7,0xFA2,0xFA1,0xFB7,
    0xFA7,0xFA6,0xFB7,0xFAC,0xFAB,0xFB7,0xFB9,0xF90,0xFB5,0x1026,0x1025,0x100102E,
    0x1B06,0x1B05,0x1001B35,0x1B08,0x1B07,0x1001B35,0x1B0A,0x1B09,0x1001B35,0x1B0C,0x1B0B,0x1001B35,
    0x1B0E,0x1B0D,0x1001B35,0x1B12,0x1B11,0x1001B35,0x1B3B,0x1B3A,0x1001B35,0x1B3D,0x1B3C,0x1001B35,
    0x1B40,0x1B3E,0x1001B35,0x1B41,0x1B3F,0x1001B35,0x1B43,0x1B42,0x1001B35,0x1E00,0x41,0x1000325,
    0x1E01,0x61,0x1000325,0x1E02,0x42,0x1000307,0x1E03,0x62,0x1000307,0x1E04,0x42,0x1000323,
    0x1E05,0x62,0x1000323,0x1E06,0x42,0x1000331,0x1E07,0x62,0x1000331,0x1E08,0xC7,0x1000301,
    0x1E09,0xE7,0x1000301,0x1E0A,0x44,0x1000307,0x1E0B,0x64,0x1000307,0x1E0C,0x44,0x1000323,
    0x1E0D,0x64,0x1000323,0x1E0E,0x44,0x1000331,0x1E0F,0x64,0x1000331,0x1E10,0x44,0x1000327,
    0x1E11,0x64,0x1000327,0x1E12,0x44,0x100032D,0x1E13,0x64,0x100032D,0x1E14,0x112,0x1000300,
    0x1E15,0x113,0x1000300,0x1E16,0x112,0x1000301,0x1E17,0x113,0x1000301,0x1E18,0x45,0x100032D,
    0x1E19,0x65,0x100032D,0x1E1A,0x45,0x1000330,0x1E1B,0x65,0x1000330,0x1E1C,0x228,0x1000306,
    0x1E1D,0x229,0x1000306,0x1E1E,0x46,0x1000307,0x1E1F,0x66,0x1000307,0x1E20,0x47,0x1000304,
    0x1E21,0x67,0x1000304,0x1E22,0x48,0x1000307,0x1E23,0x68,0x1000307,0x1E24,0x48,0x1000323,
    0x1E25,0x68,0x1000323,0x1E26,0x48,0x1000308,0x1E27,0x68,0x1000308,0x1E28,0x48,0x1000327,
    0x1E29,0x68,0x1000327,0x1E2A,0x48,0x100032E,0x1E2B,0x68,0x100032E,0x1E2C,0x49,0x1000330,
    0x1E2D,0x69,0x1000330,0x1E2E,0xCF,0x1000301,0x1E2F,0xEF,0x1000301,0x1E30,0x4B,0x1000301,
    0x1E31,0x6B,0x1000301,0x1E32,0x4B,0x1000323,0x1E33,0x6B,0x1000323,0x1E34,0x4B,0x1000331,
    0x1E35,0x6B,0x1000331,0x1E36,0x4C,0x1000323,0x1E37,0x6C,0x1000323,0x1E38,0x1E36,0x1000304,
    0x1E39,0x1E37,0x1000304,0x1E3A,0x4C,0x1000331,0x1E3B,0x6C,0x1000331,0x1E3C,0x4C,0x100032D,
    0x1E3D,0x6C,0x100032D,0x1E3E,0x4D,0x1000301,0x1E3F,0x6D,0x1000301,0x1E40,0x4D,0x1000307,
    0x1E41,0x6D,0x1000307,0x1E42,0x4D,0x1000323,0x1E43,0x6D,0x1000323,0x1E44,0x4E,0x1000307,
    0x1E45,0x6E,0x1000307,0x1E46,0x4E,0x1000323,0x1E47,0x6E,0x1000323,0x1E48,0x4E,0x1000331,
    0x1E49,0x6E,0x1000331,0x1E4A,0x4E,0x100032D,0x1E4B,0x6E,0x100032D,0x1E4C,0xD5,0x1000301,
    0x1E4D,0xF5,0x1000301,0x1E4E,0xD5,0x1000308,0x1E4F,0xF5,0x1000308,0x1E50,0x14C,0x1000300,
    0x1E51,0x14D,0x1000300,0x1E52,0x14C,0x1000301,0x1E53,0x14D,0x1000301,0x1E54,0x50,0x1000301,
    0x1E55,0x70,0x1000301,0x1E56,0x50,0x1000307,0x1E57,0x70,0x1000307,0x1E58,0x52,0x1000307,
    0x1E59,0x72,0x1000307,0x1E5A,0x52,0x1000323,0x1E5B,0x72,0x1000323,0x1E5C,0x1E5A,0x1000304,
    0x1E5D,0x1E5B,0x1000304,0x1E5E,0x52,0x1000331,0x1E5F,0x72,0x1000331,0x1E60,0x53,0x1000307,
    0x1E61,0x73,0x1000307,0x1E62,0x53,0x1000323,0x1E63,0x73,0x1000323,0x1E64,0x15A,0x1000307,
    0x1E65,0x15B,0x1000307,0x1E66,0x160,0x1000307,0x1E67,0x161,0x1000307,0x1E68,0x1E62,0x1000307,
    0x1E69,0x1E63,0x1000307,0x1E6A,0x54,0x1000307,0x1E6B,0x74,0x1000307,0x1E6C,0x54,0x1000323,
    0x1E6D,0x74,0x1000323,0x1E6E,0x54,0x1000331,0x1E6F,0x74,0x1000331,0x1E70,0x54,0x100032D,
    0x1E71,0x74,0x100032D,0x1E72,0x55,0x1000324,0x1E73,0x75,0x1000324,0x1E74,0x55,0x1000330,
    0x1E75,0x75,0x1000330,0x1E76,0x55,0x100032D,0x1E77,0x75,0x100032D,0x1E78,0x168,0x1000301,
    0x1E79,0x169,0x1000301,0x1E7A,0x16A,0x1000308,0x1E7B,0x16B,0x1000308,0x1E7C,0x56,0x1000303,
    0x1E7D,0x76,0x1000303,0x1E7E,0x56,0x1000323,0x1E7F,0x76,0x1000323,0x1E80,0x57,0x1000300,
    0x1E81,0x77,0x1000300,0x1E82,0x57,0x1000301,0x1E83,0x77,0x1000301,0x1E84,0x57,0x1000308,
    0x1E85,0x77,0x1000308,0x1E86,0x57,0x1000307,0x1E87,0x77,0x1000307,0x1E88,0x57,0x1000323,
    0x1E89,0x77,0x1000323,0x1E8A,0x58,0x1000307,0x1E8B,0x78,0x1000307,0x1E8C,0x58,0x1000308,
    0x1E8D,0x78,0x1000308,0x1E8E,0x59,0x1000307,0x1E8F,0x79,0x1000307,0x1E90,0x5A,0x1000302,
    0x1E91,0x7A,0x1000302,0x1E92,0x5A,0x1000323,0x1E93,0x7A,0x1000323,0x1E94,0x5A,0x1000331,
    0x1E95,0x7A,0x1000331,0x1E96,0x68,0x1000331,0x1E97,0x74,0x1000308,0x1E98,0x77,0x100030A,
    0x1E99,0x79,0x100030A,0x1E9B,0x17F,0x1000307,0x1EA0,0x41,0x1000323,0x1EA1,0x61,0x1000323,
    0x1EA2,0x41,0x1000309,0x1EA3,0x61,0x1000309,0x1EA4,0xC2,0x1000301,0x1EA5,0xE2,0x1000301,
    0x1EA6,0xC2,0x1000300,0x1EA7,0xE2,0x1000300,0x1EA8,0xC2,0x1000309,0x1EA9,0xE2,0x1000309,
    0x1EAA,0xC2,0x1000303,0x1EAB,0xE2,0x1000303,0x1EAC,0x1EA0,0x1000302,0x1EAD,0x1EA1,0x1000302,
    0x1EAE,0x102,0x1000301,0x1EAF,0x103,0x1000301,0x1EB0,0x102,0x1000300,0x1EB1,0x103,0x1000300,
    0x1EB2,0x102,0x1000309,0x1EB3,0x103,0x1000309,0x1EB4,0x102,0x1000303,0x1EB5,0x103,0x1000303,
    0x1EB6,0x1EA0,0x1000306,0x1EB7,0x1EA1,0x1000306,0x1EB8,0x45,0x1000323,0x1EB9,0x65,0x1000323,
    0x1EBA,0x45,0x1000309,0x1EBB,0x65,0x1000309,0x1EBC,0x45,0x1000303,0x1EBD,0x65,0x1000303,
    0x1EBE,0xCA,0x1000301,0x1EBF,0xEA,0x1000301,0x1EC0,0xCA,0x1000300,0x1EC1,0xEA,0x1000300,
    0x1EC2,0xCA,0x1000309,0x1EC3,0xEA,0x1000309,0x1EC4,0xCA,0x1000303,0x1EC5,0xEA,0x1000303,
    0x1EC6,0x1EB8,0x1000302,0x1EC7,0x1EB9,0x1000302,0x1EC8,0x49,0x1000309,0x1EC9,0x69,0x1000309,
    0x1ECA,0x49,0x1000323,0x1ECB,0x69,0x1000323,0x1ECC,0x4F,0x1000323,0x1ECD,0x6F,0x1000323,
    0x1ECE,0x4F,0x1000309,0x1ECF,0x6F,0x1000309,0x1ED0,0xD4,0x1000301,0x1ED1,0xF4,0x1000301,
    0x1ED2,0xD4,0x1000300,0x1ED3,0xF4,0x1000300,0x1ED4,0xD4,0x1000309,0x1ED5,0xF4,0x1000309,
    0x1ED6,0xD4,0x1000303,0x1ED7,0xF4,0x1000303,0x1ED8,0x1ECC,0x1000302,0x1ED9,0x1ECD,0x1000302,
    0x1EDA,0x1A0,0x1000301,0x1EDB,0x1A1,0x1000301,0x1EDC,0x1A0,0x1000300,0x1EDD,0x1A1,0x1000300,
    0x1EDE,0x1A0,0x1000309,0x1EDF,0x1A1,0x1000309,0x1EE0,0x1A0,0x1000303,0x1EE1,0x1A1,0x1000303,
    0x1EE2,0x1A0,0x1000323,0x1EE3,0x1A1,0x1000323,0x1EE4,0x55,0x1000323,0x1EE5,0x75,0x1000323,
    0x1EE6,0x55,0x1000309,0x1EE7,0x75,0x1000309,0x1EE8,0x1AF,0x1000301,0x1EE9,0x1B0,0x1000301,
    0x1EEA,0x1AF,0x1000300,0x1EEB,0x1B0,0x1000300,0x1EEC,0x1AF,0x1000309,0x1EED,0x1B0,0x1000309,
    0x1EEE,0x1AF,0x1000303,0x1EEF,0x1B0,0x1000303,0x1EF0,0x1AF,0x1000323,0x1EF1,0x1B0,0x1000323,
    0x1EF2,0x59,0x1000300,0x1EF3,0x79,0x1000300,0x1EF4,0x59,0x1000323,0x1EF5,0x79,0x1000323,
    0x1EF6,0x59,0x1000309,0x1EF7,0x79,0x1000309,0x1EF8,0x59,0x1000303,0x1EF9,0x79,0x1000303,
    0x1F00,0x3B1,0x1000313,0x1F01,0x3B1,0x1000314,0x1F02,0x1F00,0x1000300,0x1F03,0x1F01,0x1000300,
    0x1F04,0x1F00,0x1000301,0x1F05,0x1F01,0x1000301,0x1F06,0x1F00,0x1000342,0x1F07,0x1F01,0x1000342,
    0x1F08,0x391,0x1000313,0x1F09,0x391,0x1000314,0x1F0A,0x1F08,0x1000300,0x1F0B,0x1F09,0x1000300,
    0x1F0C,0x1F08,0x1000301,0x1F0D,0x1F09,0x1000301,0x1F0E,0x1F08,0x1000342,0x1F0F,0x1F09,0x1000342,
    0x1F10,0x3B5,0x1000313,0x1F11,0x3B5,0x1000314,0x1F12,0x1F10,0x1000300,0x1F13,0x1F11,0x1000300,
    0x1F14,0x1F10,0x1000301,0x1F15,0x1F11,0x1000301,0x1F18,0x395,0x1000313,0x1F19,0x395,0x1000314,
    0x1F1A,0x1F18,0x1000300,0x1F1B,0x1F19,0x1000300,0x1F1C,0x1F18,0x1000301,0x1F1D,0x1F19,0x1000301,
    0x1F20,0x3B7,0x1000313,0x1F21,0x3B7,0x1000314,0x1F22,0x1F20,0x1000300,0x1F23,0x1F21,0x1000300,
    0x1F24,0x1F20,0x1000301,0x1F25,0x1F21,0x1000301,0x1F26,0x1F20,0x1000342,0x1F27,0x1F21,0x1000342,
    0x1F28,0x397,0x1000313,0x1F29,0x397,0x1000314,0x1F2A,0x1F28,0x1000300,0x1F2B,0x1F29,0x1000300,
    0x1F2C,0x1F28,0x1000301,0x1F2D,0x1F29,0x1000301,0x1F2E,0x1F28,0x1000342,0x1F2F,0x1F29,0x1000342,
    0x1F30,0x3B9,0x1000313,0x1F31,0x3B9,0x1000314,0x1F32,0x1F30,0x1000300,0x1F33,0x1F31,0x1000300,
    0x1F34,0x1F30,0x1000301,0x1F35,0x1F31,0x1000301,0x1F36,0x1F30,0x1000342,0x1F37,0x1F31,0x1000342,
    0x1F38,0x399,0x1000313,0x1F39,0x399,0x1000314,0x1F3A,0x1F38,0x1000300,0x1F3B,0x1F39,0x1000300,
    0x1F3C,0x1F38,0x1000301,0x1F3D,0x1F39,0x1000301,0x1F3E,0x1F38,0x1000342,0x1F3F,0x1F39,0x1000342,
    0x1F40,0x3BF,0x1000313,0x1F41,0x3BF,0x1000314,0x1F42,0x1F40,0x1000300,0x1F43,0x1F41,0x1000300,
    0x1F44,0x1F40,0x1000301,0x1F45,0x1F41,0x1000301,0x1F48,0x39F,0x1000313,0x1F49,0x39F,0x1000314,
    0x1F4A,0x1F48,0x1000300,0x1F4B,0x1F49,0x1000300,0x1F4C,0x1F48,0x1000301,0x1F4D,0x1F49,0x1000301,
    0x1F50,0x3C5,0x1000313,0x1F51,0x3C5,0x1000314,0x1F52,0x1F50,0x1000300,0x1F53,0x1F51,0x1000300,
    0x1F54,0x1F50,0x1000301,0x1F55,0x1F51,0x1000301,0x1F56,0x1F50,0x1000342,0x1F57,0x1F51,0x1000342,
    0x1F59,0x3A5,0x1000314,0x1F5B,0x1F59,0x1000300,0x1F5D,0x1F59,0x1000301,0x1F5F,0x1F59,0x1000342,
    0x1F60,0x3C9,0x1000313,0x1F61,0x3C9,0x1000314,0x1F62,0x1F60,0x1000300,0x1F63,0x1F61,0x1000300,
    0x1F64,0x1F60,0x1000301,0x1F65,0x1F61,0x1000301,0x1F66,0x1F60,0x1000342,0x1F67,0x1F61,0x1000342,
    0x1F68,0x3A9,0x1000313,0x1F69,0x3A9,0x1000314,0x1F6A,0x1F68,0x1000300,0x1F6B,0x1F69,0x1000300,
    0x1F6C,0x1F68,0x1000301,0x1F6D,0x1F69,0x1000301,0x1F6E,0x1F68,0x1000342,0x1F6F,0x1F69,0x1000342,
    0x1F70,0x3B1,0x1000300,0x1F71,0x3AC,0x0,0x1F72,0x3B5,0x1000300,0x1F73,0x3AD,0x0,
    0x1F74,0x3B7,0x1000300,0x1F75,0x3AE,0x0,0x1F76,0x3B9,0x1000300,0x1F77,0x3AF,0x0,
    0x1F78,0x3BF,0x1000300,0x1F79,0x3CC,0x0,0x1F7A,0x3C5,0x1000300,0x1F7B,0x3CD,0x0,
    0x1F7C,0x3C9,0x1000300,0x1F7D,0x3CE,0x0,0x1F80,0x1F00,0x1000345,0x1F81,0x1F01,0x1000345,
    0x1F82,0x1F02,0x1000345,0x1F83,0x1F03,0x1000345,0x1F84,0x1F04,0x1000345,0x1F85,0x1F05,0x1000345,
    0x1F86,0x1F06,0x1000345,0x1F87,0x1F07,0x1000345,0x1F88,0x1F08,0x1000345,0x1F89,0x1F09,0x1000345,
    0x1F8A,0x1F0A,0x1000345,0x1F8B,0x1F0B,0x1000345,0x1F8C,0x1F0C,0x1000345,0x1F8D,0x1F0D,0x1000345,
    0x1F8E,0x1F0E,0x1000345,0x1F8F,0x1F0F,0x1000345,0x1F90,0x1F20,0x1000345,0x1F91,0x1F21,0x1000345,
    0x1F92,0x1F22,0x1000345,0x1F93,0x1F23,0x1000345,0x1F94,0x1F24,0x1000345,0x1F95,0x1F25,0x1000345,
    0x1F96,0x1F26,0x1000345,0x1F97,0x1F27,0x1000345,0x1F98,0x1F28,0x1000345,0x1F99,0x1F29,0x1000345,
    0x1F9A,0x1F2A,0x1000345,0x1F9B,0x1F2B,0x1000345,0x1F9C,0x1F2C,0x1000345,0x1F9D,0x1F2D,0x1000345,
    0x1F9E,0x1F2E,0x1000345,0x1F9F,0x1F2F,0x1000345,0x1FA0,0x1F60,0x1000345,0x1FA1,0x1F61,0x1000345,
    0x1FA2,0x1F62,0x1000345,0x1FA3,0x1F63,0x1000345,0x1FA4,0x1F64,0x1000345,0x1FA5,0x1F65,0x1000345,
    0x1FA6,0x1F66,0x1000345,0x1FA7,0x1F67,0x1000345,0x1FA8,0x1F68,0x1000345,0x1FA9,0x1F69,0x1000345,
    0x1FAA,0x1F6A,0x1000345,0x1FAB,0x1F6B,0x1000345,0x1FAC,0x1F6C,0x1000345,0x1FAD,0x1F6D,0x1000345,
    0x1FAE,0x1F6E,0x1000345,0x1FAF,0x1F6F,0x1000345,0x1FB0,0x3B1,0x1000306,0x1FB1,0x3B1,0x1000304,
    0x1FB2,0x1F70,0x1000345,0x1FB3,0x3B1,0x1000345,0x1FB4,0x3AC,0x1000345,0x1FB6,0x3B1,0x1000342,
    0x1FB7,0x1FB6,0x1000345,0x1FB8,0x391,0x1000306,0x1FB9,0x391,0x1000304,0x1FBA,0x391,0x1000300,
    0x1FBB,0x386,0x0,0x1FBC,0x391,0x1000345,0x1FBE,0x3B9,0x0,0x1FC1,0xA8,0x1000342,
    0x1FC2,0x1F74,0x1000345,0x1FC3,0x3B7,0x1000345,0x1FC4,0x3AE,0x1000345,0x1FC6,0x3B7,0x1000342,
    0x1FC7,0x1FC6,0x1000345,0x1FC8,0x395,0x1000300,0x1FC9,0x388,0x0,0x1FCA,0x397,0x1000300,
    0x1FCB,0x389,0x0,0x1FCC,0x397,0x1000345,0x1FCD,0x1FBF,0x1000300,0x1FCE,0x1FBF,0x1000301,
    0x1FCF,0x1FBF,0x1000342,0x1FD0,0x3B9,0x1000306,0x1FD1,0x3B9,0x1000304,0x1FD2,0x3CA,0x1000300,
    0x1FD3,0x390,0x0,0x1FD6,0x3B9,0x1000342,0x1FD7,0x3CA,0x1000342,0x1FD8,0x399,0x1000306,
    0x1FD9,0x399,0x1000304,0x1FDA,0x399,0x1000300,0x1FDB,0x38A,0x0,0x1FDD,0x1FFE,0x1000300,
    0x1FDE,0x1FFE,0x1000301,0x1FDF,0x1FFE,0x1000342,0x1FE0,0x3C5,0x1000306,0x1FE1,0x3C5,0x1000304,
    0x1FE2,0x3CB,0x1000300,0x1FE3,0x3B0,0x0,0x1FE4,0x3C1,0x1000313,0x1FE5,0x3C1,0x1000314,
    0x1FE6,0x3C5,0x1000342,0x1FE7,0x3CB,0x1000342,0x1FE8,0x3A5,0x1000306,0x1FE9,0x3A5,0x1000304,
    0x1FEA,0x3A5,0x1000300,0x1FEB,0x38E,0x0,0x1FEC,0x3A1,0x1000314,0x1FED,0xA8,0x1000300,
    0x1FEE,0x385,0x0,0x1FEF,0x60,0x0,0x1FF2,0x1F7C,0x1000345,0x1FF3,0x3C9,0x1000345,
    0x1FF4,0x3CE,0x1000345,0x1FF6,0x3C9,0x1000342,0x1FF7,0x1FF6,0x1000345,0x1FF8,0x39F,0x1000300,
    0x1FF9,0x38C,0x0,0x1FFA,0x3A9,0x1000300,0x1FFB,0x38F,0x0,0x1FFC,0x3A9,0x1000345,
    0x1FFD,0xB4,0x0,0x2000,0x2002,0x0,0x2001,0x2003,0x0,0x2126,0x3A9,0x0,
    0x212A,0x4B,0x0,0x212B,0xC5,0x0,0x219A,0x2190,0x1000338,0x219B,0x2192,0x1000338,
    0x21AE,0x2194,0x1000338,0x21CD,0x21D0,0x1000338,0x21CE,0x21D4,0x1000338,0x21CF,0x21D2,0x1000338,
    0x2204,0x2203,0x1000338,0x2209,0x2208,0x1000338,0x220C,0x220B,0x1000338,0x2224,0x2223,0x1000338,
    0x2226,0x2225,0x1000338,0x2241,0x223C,0x1000338,0x2244,0x2243,0x1000338,0x2247,0x2245,0x1000338,
    0x2249,0x2248,0x1000338,0x2260,0x3D,0x1000338,0x2262,0x2261,0x1000338,0x226D,0x224D,0x1000338,
    0x226E,0x3C,0x1000338,0x226F,0x3E,0x1000338,0x2270,0x2264,0x1000338,0x2271,0x2265,0x1000338,
    0x2274,0x2272,0x1000338,0x2275,0x2273,0x1000338,0x2278,0x2276,0x1000338,0x2279,0x2277,0x1000338,
    0x2280,0x227A,0x1000338,0x2281,0x227B,0x1000338,0x2284,0x2282,0x1000338,0x2285,0x2283,0x1000338,
    0x2288,0x2286,0x1000338,0x2289,0x2287,0x1000338,0x22AC,0x22A2,0x1000338,0x22AD,0x22A8,0x1000338,
    0x22AE,0x22A9,0x1000338,0x22AF,0x22AB,0x1000338,0x22E0,0x227C,0x1000338,0x22E1,0x227D,0x1000338,
    0x22E2,0x2291,0x1000338,0x22E3,0x2292,0x1000338,0x22EA,0x22B2,0x1000338,0x22EB,0x22B3,0x1000338,
    0x22EC,0x22B4,0x1000338,0x22ED,0x22B5,0x1000338,0x2329,0x3008,0x0,0x232A,0x3009,0x0,
    0x2ADC,0x2ADD,0x338,0x304C,0x304B,0x1003099,0x304E,0x304D,0x1003099,0x3050,0x304F,0x1003099,
    0x3052,0x3051,0x1003099,0x3054,0x3053,0x1003099,0x3056,0x3055,0x1003099,0x3058,0x3057,0x1003099,
    0x305A,0x3059,0x1003099,0x305C,0x305B,0x1003099,0x305E,0x305D,0x1003099,0x3060,0x305F,0x1003099,
    0x3062,0x3061,0x1003099,0x3065,0x3064,0x1003099,0x3067,0x3066,0x1003099,0x3069,0x3068,0x1003099,
    0x3070,0x306F,0x1003099,0x3071,0x306F,0x100309A,0x3073,0x3072,0x1003099,0x3074,0x3072,0x100309A,
    0x3076,0x3075,0x1003099,0x3077,0x3075,0x100309A,0x3079,0x3078,0x1003099,0x307A,0x3078,0x100309A,
    0x307C,0x307B,0x1003099,0x307D,0x307B,0x100309A,0x3094,0x3046,0x1003099,0x309E,0x309D,0x1003099,
    0x30AC,0x30AB,0x1003099,0x30AE,0x30AD,0x1003099,0x30B0,0x30AF,0x1003099,0x30B2,0x30B1,0x1003099,
    0x30B4,0x30B3,0x1003099,0x30B6,0x30B5,0x1003099,0x30B8,0x30B7,0x1003099,0x30BA,0x30B9,0x1003099,
    0x30BC,0x30BB,0x1003099,0x30BE,0x30BD,0x1003099,0x30C0,0x30BF,0x1003099,0x30C2,0x30C1,0x1003099,
    0x30C5,0x30C4,0x1003099,0x30C7,0x30C6,0x1003099,0x30C9,0x30C8,0x1003099,0x30D0,0x30CF,0x1003099,
    0x30D1,0x30CF,0x100309A,0x30D3,0x30D2,0x1003099,0x30D4,0x30D2,0x100309A,0x30D6,0x30D5,0x1003099,
    0x30D7,0x30D5,0x100309A,0x30D9,0x30D8,0x1003099,0x30DA,0x30D8,0x100309A,0x30DC,0x30DB,0x1003099,
    0x30DD,0x30DB,0x100309A,0x30F4,0x30A6,0x1003099,0x30F7,0x30EF,0x1003099,0x30F8,0x30F0,0x1003099,
    0x30F9,0x30F1,0x1003099,0x30FA,0x30F2,0x1003099,0x30FE,0x30FD,0x1003099,0xF900,0x8C48,0x0,
    0xF901,0x66F4,0x0,0xF902,0x8ECA,0x0,0xF903,0x8CC8,0x0,0xF904,0x6ED1,0x0,
    0xF905,0x4E32,0x0,0xF906,0x53E5,0x0,0xF907,0x9F9C,0x0,0xF908,0x9F9C,0x0,
    0xF909,0x5951,0x0,0xF90A,0x91D1,0x0,0xF90B,0x5587,0x0,0xF90C,0x5948,0x0,
    0xF90D,0x61F6,0x0,0xF90E,0x7669,0x0,0xF90F,0x7F85,0x0,0xF910,0x863F,0x0,
    0xF911,0x87BA,0x0,0xF912,0x88F8,0x0,0xF913,0x908F,0x0,0xF914,0x6A02,0x0,
    0xF915,0x6D1B,0x0,0xF916,0x70D9,0x0,0xF917,0x73DE,0x0,0xF918,0x843D,0x0,
    0xF919,0x916A,0x0,0xF91A,0x99F1,0x0,0xF91B,0x4E82,0x0,0xF91C,0x5375,0x0,
    0xF91D,0x6B04,0x0,0xF91E,0x721B,0x0,0xF91F,0x862D,0x0,0xF920,0x9E1E,0x0,
    0xF921,0x5D50,0x0,0xF922,0x6FEB,0x0,0xF923,0x85CD,0x0,0xF924,0x8964,0x0,
    0xF925,0x62C9,0x0,0xF926,0x81D8,0x0,0xF927,0x881F,0x0,0xF928,0x5ECA,0x0,
    0xF929,0x6717,0x0,0xF92A,0x6D6A,0x0,0xF92B,0x72FC,0x0,0xF92C,0x90CE,0x0,
    0xF92D,0x4F86,0x0,0xF92E,0x51B7,0x0,0xF92F,0x52DE,0x0,0xF930,0x64C4,0x0,
    0xF931,0x6AD3,0x0,0xF932,0x7210,0x0,0xF933,0x76E7,0x0,0xF934,0x8001,0x0,
    0xF935,0x8606,0x0,0xF936,0x865C,0x0,0xF937,0x8DEF,0x0,0xF938,0x9732,0x0,
    0xF939,0x9B6F,0x0,0xF93A,0x9DFA,0x0,0xF93B,0x788C,0x0,0xF93C,0x797F,0x0,
    0xF93D,0x7DA0,0x0,0xF93E,0x83C9,0x0,0xF93F,0x9304,0x0,0xF940,0x9E7F,0x0,
    0xF941,0x8AD6,0x0,0xF942,0x58DF,0x0,0xF943,0x5F04,0x0,0xF944,0x7C60,0x0,
    0xF945,0x807E,0x0,0xF946,0x7262,0x0,0xF947,0x78CA,0x0,0xF948,0x8CC2,0x0,
    0xF949,0x96F7,0x0,0xF94A,0x58D8,0x0,0xF94B,0x5C62,0x0,0xF94C,0x6A13,0x0,
    0xF94D,0x6DDA,0x0,0xF94E,0x6F0F,0x0,0xF94F,0x7D2F,0x0,0xF950,0x7E37,0x0,
    0xF951,0x964B,0x0,0xF952,0x52D2,0x0,0xF953,0x808B,0x0,0xF954,0x51DC,0x0,
    0xF955,0x51CC,0x0,0xF956,0x7A1C,0x0,0xF957,0x7DBE,0x0,0xF958,0x83F1,0x0,
    0xF959,0x9675,0x0,0xF95A,0x8B80,0x0,0xF95B,0x62CF,0x0,0xF95C,0x6A02,0x0,
    0xF95D,0x8AFE,0x0,0xF95E,0x4E39,0x0,0xF95F,0x5BE7,0x0,0xF960,0x6012,0x0,
    0xF961,0x7387,0x0,0xF962,0x7570,0x0,0xF963,0x5317,0x0,0xF964,0x78FB,0x0,
    0xF965,0x4FBF,0x0,0xF966,0x5FA9,0x0,0xF967,0x4E0D,0x0,0xF968,0x6CCC,0x0,
    0xF969,0x6578,0x0,0xF96A,0x7D22,0x0,0xF96B,0x53C3,0x0,0xF96C,0x585E,0x0,
    0xF96D,0x7701,0x0,0xF96E,0x8449,0x0,0xF96F,0x8AAA,0x0,0xF970,0x6BBA,0x0,
    0xF971,0x8FB0,0x0,0xF972,0x6C88,0x0,0xF973,0x62FE,0x0,0xF974,0x82E5,0x0,
    0xF975,0x63A0,0x0,0xF976,0x7565,0x0,0xF977,0x4EAE,0x0,0xF978,0x5169,0x0,
    0xF979,0x51C9,0x0,0xF97A,0x6881,0x0,0xF97B,0x7CE7,0x0,0xF97C,0x826F,0x0,
    0xF97D,0x8AD2,0x0,0xF97E,0x91CF,0x0,0xF97F,0x52F5,0x0,0xF980,0x5442,0x0,
    0xF981,0x5973,0x0,0xF982,0x5EEC,0x0,0xF983,0x65C5,0x0,0xF984,0x6FFE,0x0,
    0xF985,0x792A,0x0,0xF986,0x95AD,0x0,0xF987,0x9A6A,0x0,0xF988,0x9E97,0x0,
    0xF989,0x9ECE,0x0,0xF98A,0x529B,0x0,0xF98B,0x66C6,0x0,0xF98C,0x6B77,0x0,
    0xF98D,0x8F62,0x0,0xF98E,0x5E74,0x0,0xF98F,0x6190,0x0,0xF990,0x6200,0x0,
    0xF991,0x649A,0x0,0xF992,0x6F23,0x0,0xF993,0x7149,0x0,0xF994,0x7489,0x0,
    0xF995,0x79CA,0x0,0xF996,0x7DF4,0x0,0xF997,0x806F,0x0,0xF998,0x8F26,0x0,
    0xF999,0x84EE,0x0,0xF99A,0x9023,0x0,0xF99B,0x934A,0x0,0xF99C,0x5217,0x0,
    0xF99D,0x52A3,0x0,0xF99E,0x54BD,0x0,0xF99F,0x70C8,0x0,0xF9A0,0x88C2,0x0,
    0xF9A1,0x8AAA,0x0,0xF9A2,0x5EC9,0x0,0xF9A3,0x5FF5,0x0,0xF9A4,0x637B,0x0,
    0xF9A5,0x6BAE,0x0,0xF9A6,0x7C3E,0x0,0xF9A7,0x7375,0x0,0xF9A8,0x4EE4,0x0,
    0xF9A9,0x56F9,0x0,0xF9AA,0x5BE7,0x0,0xF9AB,0x5DBA,0x0,0xF9AC,0x601C,0x0,
    0xF9AD,0x73B2,0x0,0xF9AE,0x7469,0x0,0xF9AF,0x7F9A,0x0,0xF9B0,0x8046,0x0,
    0xF9B1,0x9234,0x0,0xF9B2,0x96F6,0x0,0xF9B3,0x9748,0x0,0xF9B4,0x9818,0x0,
    0xF9B5,0x4F8B,0x0,0xF9B6,0x79AE,0x0,0xF9B7,0x91B4,0x0,0xF9B8,0x96B8,0x0,
    0xF9B9,0x60E1,0x0,0xF9BA,0x4E86,0x0,0xF9BB,0x50DA,0x0,0xF9BC,0x5BEE,0x0,
    0xF9BD,0x5C3F,0x0,0xF9BE,0x6599,0x0,0xF9BF,0x6A02,0x0,0xF9C0,0x71CE,0x0,
    0xF9C1,0x7642,0x0,0xF9C2,0x84FC,0x0,0xF9C3,0x907C,0x0,0xF9C4,0x9F8D,0x0,
    0xF9C5,0x6688,0x0,0xF9C6,0x962E,0x0,0xF9C7,0x5289,0x0,0xF9C8,0x677B,0x0,
    0xF9C9,0x67F3,0x0,0xF9CA,0x6D41,0x0,0xF9CB,0x6E9C,0x0,0xF9CC,0x7409,0x0,
    0xF9CD,0x7559,0x0,0xF9CE,0x786B,0x0,0xF9CF,0x7D10,0x0,0xF9D0,0x985E,0x0,
    0xF9D1,0x516D,0x0,0xF9D2,0x622E,0x0,0xF9D3,0x9678,0x0,0xF9D4,0x502B,0x0,
    0xF9D5,0x5D19,0x0,0xF9D6,0x6DEA,0x0,0xF9D7,0x8F2A,0x0,0xF9D8,0x5F8B,0x0,
    0xF9D9,0x6144,0x0,0xF9DA,0x6817,0x0,0xF9DB,0x7387,0x0,0xF9DC,0x9686,0x0,
    0xF9DD,0x5229,0x0,0xF9DE,0x540F,0x0,0xF9DF,0x5C65,0x0,0xF9E0,0x6613,0x0,
    0xF9E1,0x674E,0x0,0xF9E2,0x68A8,0x0,0xF9E3,0x6CE5,0x0,0xF9E4,0x7406,0x0,
    0xF9E5,0x75E2,0x0,0xF9E6,0x7F79,0x0,0xF9E7,0x88CF,0x0,0xF9E8,0x88E1,0x0,
    0xF9E9,0x91CC,0x0,0xF9EA,0x96E2,0x0,0xF9EB,0x533F,0x0,0xF9EC,0x6EBA,0x0,
    0xF9ED,0x541D,0x0,0xF9EE,0x71D0,0x0,0xF9EF,0x7498,0x0,0xF9F0,0x85FA,0x0,
    0xF9F1,0x96A3,0x0,0xF9F2,0x9C57,0x0,0xF9F3,0x9E9F,0x0,0xF9F4,0x6797,0x0,
    0xF9F5,0x6DCB,0x0,0xF9F6,0x81E8,0x0,0xF9F7,0x7ACB,0x0,0xF9F8,0x7B20,0x0,
    0xF9F9,0x7C92,0x0,0xF9FA,0x72C0,0x0,0xF9FB,0x7099,0x0,0xF9FC,0x8B58,0x0,
    0xF9FD,0x4EC0,0x0,0xF9FE,0x8336,0x0,0xF9FF,0x523A,0x0,0xFA00,0x5207,0x0,
    0xFA01,0x5EA6,0x0,0xFA02,0x62D3,0x0,0xFA03,0x7CD6,0x0,0xFA04,0x5B85,0x0,
    0xFA05,0x6D1E,0x0,0xFA06,0x66B4,0x0,0xFA07,0x8F3B,0x0,0xFA08,0x884C,0x0,
    0xFA09,0x964D,0x0,0xFA0A,0x898B,0x0,0xFA0B,0x5ED3,0x0,0xFA0C,0x5140,0x0,
    0xFA0D,0x55C0,0x0,0xFA10,0x585A,0x0,0xFA12,0x6674,0x0,0xFA15,0x51DE,0x0,
    0xFA16,0x732A,0x0,0xFA17,0x76CA,0x0,0xFA18,0x793C,0x0,0xFA19,0x795E,0x0,
    0xFA1A,0x7965,0x0,0xFA1B,0x798F,0x0,0xFA1C,0x9756,0x0,0xFA1D,0x7CBE,0x0,
    0xFA1E,0x7FBD,0x0,0xFA20,0x8612,0x0,0xFA22,0x8AF8,0x0,0xFA25,0x9038,0x0,
    0xFA26,0x90FD,0x0,0xFA2A,0x98EF,0x0,0xFA2B,0x98FC,0x0,0xFA2C,0x9928,0x0,
    0xFA2D,0x9DB4,0x0,0xFA2E,0x90DE,0x0,0xFA2F,0x96B7,0x0,0xFA30,0x4FAE,0x0,
    0xFA31,0x50E7,0x0,0xFA32,0x514D,0x0,0xFA33,0x52C9,0x0,0xFA34,0x52E4,0x0,
    0xFA35,0x5351,0x0,0xFA36,0x559D,0x0,0xFA37,0x5606,0x0,0xFA38,0x5668,0x0,
    0xFA39,0x5840,0x0,0xFA3A,0x58A8,0x0,0xFA3B,0x5C64,0x0,0xFA3C,0x5C6E,0x0,
    0xFA3D,0x6094,0x0,0xFA3E,0x6168,0x0,0xFA3F,0x618E,0x0,0xFA40,0x61F2,0x0,
    0xFA41,0x654F,0x0,0xFA42,0x65E2,0x0,0xFA43,0x6691,0x0,0xFA44,0x6885,0x0,
    0xFA45,0x6D77,0x0,0xFA46,0x6E1A,0x0,0xFA47,0x6F22,0x0,0xFA48,0x716E,0x0,
    0xFA49,0x722B,0x0,0xFA4A,0x7422,0x0,0xFA4B,0x7891,0x0,0xFA4C,0x793E,0x0,
    0xFA4D,0x7949,0x0,0xFA4E,0x7948,0x0,0xFA4F,0x7950,0x0,0xFA50,0x7956,0x0,
    0xFA51,0x795D,0x0,0xFA52,0x798D,0x0,0xFA53,0x798E,0x0,0xFA54,0x7A40,0x0,
    0xFA55,0x7A81,0x0,0xFA56,0x7BC0,0x0,0xFA57,0x7DF4,0x0,0xFA58,0x7E09,0x0,
    0xFA59,0x7E41,0x0,0xFA5A,0x7F72,0x0,0xFA5B,0x8005,0x0,0xFA5C,0x81ED,0x0,
    0xFA5D,0x8279,0x0,0xFA5E,0x8279,0x0,0xFA5F,0x8457,0x0,0xFA60,0x8910,0x0,
    0xFA61,0x8996,0x0,0xFA62,0x8B01,0x0,0xFA63,0x8B39,0x0,0xFA64,0x8CD3,0x0,
    0xFA65,0x8D08,0x0,0xFA66,0x8FB6,0x0,0xFA67,0x9038,0x0,0xFA68,0x96E3,0x0,
    0xFA69,0x97FF,0x0,0xFA6A,0x983B,0x0,0xFA6B,0x6075,0x0,0xFA6C,0x242EE,0x0,
    0xFA6D,0x8218,0x0,0xFA70,0x4E26,0x0,0xFA71,0x51B5,0x0,0xFA72,0x5168,0x0,
    0xFA73,0x4F80,0x0,0xFA74,0x5145,0x0,0xFA75,0x5180,0x0,0xFA76,0x52C7,0x0,
    0xFA77,0x52FA,0x0,0xFA78,0x559D,0x0,0xFA79,0x5555,0x0,0xFA7A,0x5599,0x0,
    0xFA7B,0x55E2,0x0,0xFA7C,0x585A,0x0,0xFA7D,0x58B3,0x0,0xFA7E,0x5944,0x0,
    0xFA7F,0x5954,0x0,0xFA80,0x5A62,0x0,0xFA81,0x5B28,0x0,0xFA82,0x5ED2,0x0,
    0xFA83,0x5ED9,0x0,0xFA84,0x5F69,0x0,0xFA85,0x5FAD,0x0,0xFA86,0x60D8,0x0,
    0xFA87,0x614E,0x0,0xFA88,0x6108,0x0,0xFA89,0x618E,0x0,0xFA8A,0x6160,0x0,
    0xFA8B,0x61F2,0x0,0xFA8C,0x6234,0x0,0xFA8D,0x63C4,0x0,0xFA8E,0x641C,0x0,
    0xFA8F,0x6452,0x0,0xFA90,0x6556,0x0,0xFA91,0x6674,0x0,0xFA92,0x6717,0x0,
    0xFA93,0x671B,0x0,0xFA94,0x6756,0x0,0xFA95,0x6B79,0x0,0xFA96,0x6BBA,0x0,
    0xFA97,0x6D41,0x0,0xFA98,0x6EDB,0x0,0xFA99,0x6ECB,0x0,0xFA9A,0x6F22,0x0,
    0xFA9B,0x701E,0x0,0xFA9C,0x716E,0x0,0xFA9D,0x77A7,0x0,0xFA9E,0x7235,0x0,
    0xFA9F,0x72AF,0x0,0xFAA0,0x732A,0x0,0xFAA1,0x7471,0x0,0xFAA2,0x7506,0x0,
    0xFAA3,0x753B,0x0,0xFAA4,0x761D,0x0,0xFAA5,0x761F,0x0,0xFAA6,0x76CA,0x0,
    0xFAA7,0x76DB,0x0,0xFAA8,0x76F4,0x0,0xFAA9,0x774A,0x0,0xFAAA,0x7740,0x0,
    0xFAAB,0x78CC,0x0,0xFAAC,0x7AB1,0x0,0xFAAD,0x7BC0,0x0,0xFAAE,0x7C7B,0x0,
    0xFAAF,0x7D5B,0x0,0xFAB0,0x7DF4,0x0,0xFAB1,0x7F3E,0x0,0xFAB2,0x8005,0x0,
    0xFAB3,0x8352,0x0,0xFAB4,0x83EF,0x0,0xFAB5,0x8779,0x0,0xFAB6,0x8941,0x0,
    0xFAB7,0x8986,0x0,0xFAB8,0x8996,0x0,0xFAB9,0x8ABF,0x0,0xFABA,0x8AF8,0x0,
    0xFABB,0x8ACB,0x0,0xFABC,0x8B01,0x0,0xFABD,0x8AFE,0x0,0xFABE,0x8AED,0x0,
    0xFABF,0x8B39,0x0,0xFAC0,0x8B8A,0x0,0xFAC1,0x8D08,0x0,0xFAC2,0x8F38,0x0,
    0xFAC3,0x9072,0x0,0xFAC4,0x9199,0x0,0xFAC5,0x9276,0x0,0xFAC6,0x967C,0x0,
    0xFAC7,0x96E3,0x0,0xFAC8,0x9756,0x0,0xFAC9,0x97DB,0x0,0xFACA,0x97FF,0x0,
    0xFACB,0x980B,0x0,0xFACC,0x983B,0x0,0xFACD,0x9B12,0x0,0xFACE,0x9F9C,0x0,
    0xFACF,0x2284A,0x0,0xFAD0,0x22844,0x0,0xFAD1,0x233D5,0x0,0xFAD2,0x3B9D,0x0,
    0xFAD3,0x4018,0x0,0xFAD4,0x4039,0x0,0xFAD5,0x25249,0x0,0xFAD6,0x25CD0,0x0,
    0xFAD7,0x27ED3,0x0,0xFAD8,0x9F43,0x0,0xFAD9,0x9F8E,0x0,0xFB1D,0x5D9,0x5B4,
    0xFB1F,0x5F2,0x5B7,0xFB2A,0x5E9,0x5C1,0xFB2B,0x5E9,0x5C2,0xFB2C,0xFB49,0x5C1,
    0xFB2D,0xFB49,0x5C2,0xFB2E,0x5D0,0x5B7,0xFB2F,0x5D0,0x5B8,0xFB30,0x5D0,0x5BC,
    0xFB31,0x5D1,0x5BC,0xFB32,0x5D2,0x5BC,0xFB33,0x5D3,0x5BC,0xFB34,0x5D4,0x5BC,
    0xFB35,0x5D5,0x5BC,0xFB36,0x5D6,0x5BC,0xFB38,0x5D8,0x5BC,0xFB39,0x5D9,0x5BC,
    0xFB3A,0x5DA,0x5BC,0xFB3B,0x5DB,0x5BC,0xFB3C,0x5DC,0x5BC,0xFB3E,0x5DE,0x5BC,
    0xFB40,0x5E0,0x5BC,0xFB41,0x5E1,0x5BC,0xFB43,0x5E3,0x5BC,0xFB44,0x5E4,0x5BC,
    0xFB46,0x5E6,0x5BC,0xFB47,0x5E7,0x5BC,0xFB48,0x5E8,0x5BC,0xFB49,0x5E9,0x5BC,
    0xFB4A,0x5EA,0x5BC,0xFB4B,0x5D5,0x5B9,0xFB4C,0x5D1,0x5BF,0xFB4D,0x5DB,0x5BF,
    0xFB4E,0x5E4,0x5BF,0x1109A,0x11099,0x10110BA,0x1109C,0x1109B,0x10110BA,0x110AB,0x110A5,0x10110BA,
    0x1112E,0x11131,0x1011127,0x1112F,0x11132,0x1011127,0x1134B,0x11347,0x101133E,0x1134C,0x11347,0x1011357,
    0x114BB,0x114B9,0x10114BA,0x114BC,0x114B9,0x10114B0,0x114BE,0x114B9,0x10114BD,0x115BA,0x115B8,0x10115AF,
    0x115BB,0x115B9,0x10115AF,0x11938,0x11935,0x1011930,0x1D15E,0x1D157,0x1D165,0x1D15F,0x1D158,0x1D165,
    0x1D160,0x1D15F,0x1D16E,0x1D161,0x1D15F,0x1D16F,0x1D162,0x1D15F,0x1D170,0x1D163,0x1D15F,0x1D171,
    0x1D164,0x1D15F,0x1D172,0x1D1BB,0x1D1B9,0x1D165,0x1D1BC,0x1D1BA,0x1D165,0x1D1BD,0x1D1BB,0x1D16E,
    0x1D1BE,0x1D1BC,0x1D16E,0x1D1BF,0x1D1BB,0x1D16F,0x1D1C0,0x1D1BC,0x1D16F,0x2F800,0x4E3D,0x0,
    0x2F801,0x4E38,0x0,0x2F802,0x4E41,0x0,0x2F803,0x20122,0x0,0x2F804,0x4F60,0x0,
    0x2F805,0x4FAE,0x0,0x2F806,0x4FBB,0x0,0x2F807,0x5002,0x0,0x2F808,0x507A,0x0,
    0x2F809,0x5099,0x0,0x2F80A,0x50E7,0x0,0x2F80B,0x50CF,0x0,0x2F80C,0x349E,0x0,
    0x2F80D,0x2063A,0x0,0x2F80E,0x514D,0x0,0x2F80F,0x5154,0x0,0x2F810,0x5164,0x0,
    0x2F811,0x5177,0x0,0x2F812,0x2051C,0x0,0x2F813,0x34B9,0x0,0x2F814,0x5167,0x0,
    0x2F815,0x518D,0x0,0x2F816,0x2054B,0x0,0x2F817,0x5197,0x0,0x2F818,0x51A4,0x0,
    0x2F819,0x4ECC,0x0,0x2F81A,0x51AC,0x0,0x2F81B,0x51B5,0x0,0x2F81C,0x291DF,0x0,
    0x2F81D,0x51F5,0x0,0x2F81E,0x5203,0x0,0x2F81F,0x34DF,0x0,0x2F820,0x523B,0x0,
    0x2F821,0x5246,0x0,0x2F822,0x5272,0x0,0x2F823,0x5277,0x0,0x2F824,0x3515,0x0,
    0x2F825,0x52C7,0x0,0x2F826,0x52C9,0x0,0x2F827,0x52E4,0x0,0x2F828,0x52FA,0x0,
    0x2F829,0x5305,0x0,0x2F82A,0x5306,0x0,0x2F82B,0x5317,0x0,0x2F82C,0x5349,0x0,
    0x2F82D,0x5351,0x0,0x2F82E,0x535A,0x0,0x2F82F,0x5373,0x0,0x2F830,0x537D,0x0,
    0x2F831,0x537F,0x0,0x2F832,0x537F,0x0,0x2F833,0x537F,0x0,0x2F834,0x20A2C,0x0,
    0x2F835,0x7070,0x0,0x2F836,0x53CA,0x0,0x2F837,0x53DF,0x0,0x2F838,0x20B63,0x0,
    0x2F839,0x53EB,0x0,0x2F83A,0x53F1,0x0,0x2F83B,0x5406,0x0,0x2F83C,0x549E,0x0,
    0x2F83D,0x5438,0x0,0x2F83E,0x5448,0x0,0x2F83F,0x5468,0x0,0x2F840,0x54A2,0x0,
    0x2F841,0x54F6,0x0,0x2F842,0x5510,0x0,0x2F843,0x5553,0x0,0x2F844,0x5563,0x0,
    0x2F845,0x5584,0x0,0x2F846,0x5584,0x0,0x2F847,0x5599,0x0,0x2F848,0x55AB,0x0,
    0x2F849,0x55B3,0x0,0x2F84A,0x55C2,0x0,0x2F84B,0x5716,0x0,0x2F84C,0x5606,0x0,
    0x2F84D,0x5717,0x0,0x2F84E,0x5651,0x0,0x2F84F,0x5674,0x0,0x2F850,0x5207,0x0,
    0x2F851,0x58EE,0x0,0x2F852,0x57CE,0x0,0x2F853,0x57F4,0x0,0x2F854,0x580D,0x0,
    0x2F855,0x578B,0x0,0x2F856,0x5832,0x0,0x2F857,0x5831,0x0,0x2F858,0x58AC,0x0,
    0x2F859,0x214E4,0x0,0x2F85A,0x58F2,0x0,0x2F85B,0x58F7,0x0,0x2F85C,0x5906,0x0,
    0x2F85D,0x591A,0x0,0x2F85E,0x5922,0x0,0x2F85F,0x5962,0x0,0x2F860,0x216A8,0x0,
    0x2F861,0x216EA,0x0,0x2F862,0x59EC,0x0,0x2F863,0x5A1B,0x0,0x2F864,0x5A27,0x0,
    0x2F865,0x59D8,0x0,0x2F866,0x5A66,0x0,0x2F867,0x36EE,0x0,0x2F868,0x36FC,0x0,
    0x2F869,0x5B08,0x0,0x2F86A,0x5B3E,0x0,0x2F86B,0x5B3E,0x0,0x2F86C,0x219C8,0x0,
    0x2F86D,0x5BC3,0x0,0x2F86E,0x5BD8,0x0,0x2F86F,0x5BE7,0x0,0x2F870,0x5BF3,0x0,
    0x2F871,0x21B18,0x0,0x2F872,0x5BFF,0x0,0x2F873,0x5C06,0x0,0x2F874,0x5F53,0x0,
    0x2F875,0x5C22,0x0,0x2F876,0x3781,0x0,0x2F877,0x5C60,0x0,0x2F878,0x5C6E,0x0,
    0x2F879,0x5CC0,0x0,0x2F87A,0x5C8D,0x0,0x2F87B,0x21DE4,0x0,0x2F87C,0x5D43,0x0,
    0x2F87D,0x21DE6,0x0,0x2F87E,0x5D6E,0x0,0x2F87F,0x5D6B,0x0,0x2F880,0x5D7C,0x0,
    0x2F881,0x5DE1,0x0,0x2F882,0x5DE2,0x0,0x2F883,0x382F,0x0,0x2F884,0x5DFD,0x0,
    0x2F885,0x5E28,0x0,0x2F886,0x5E3D,0x0,0x2F887,0x5E69,0x0,0x2F888,0x3862,0x0,
    0x2F889,0x22183,0x0,0x2F88A,0x387C,0x0,0x2F88B,0x5EB0,0x0,0x2F88C,0x5EB3,0x0,
    0x2F88D,0x5EB6,0x0,0x2F88E,0x5ECA,0x0,0x2F88F,0x2A392,0x0,0x2F890,0x5EFE,0x0,
    0x2F891,0x22331,0x0,0x2F892,0x22331,0x0,0x2F893,0x8201,0x0,0x2F894,0x5F22,0x0,
    0x2F895,0x5F22,0x0,0x2F896,0x38C7,0x0,0x2F897,0x232B8,0x0,0x2F898,0x261DA,0x0,
    0x2F899,0x5F62,0x0,0x2F89A,0x5F6B,0x0,0x2F89B,0x38E3,0x0,0x2F89C,0x5F9A,0x0,
    0x2F89D,0x5FCD,0x0,0x2F89E,0x5FD7,0x0,0x2F89F,0x5FF9,0x0,0x2F8A0,0x6081,0x0,
    0x2F8A1,0x393A,0x0,0x2F8A2,0x391C,0x0,0x2F8A3,0x6094,0x0,0x2F8A4,0x226D4,0x0,
    0x2F8A5,0x60C7,0x0,0x2F8A6,0x6148,0x0,0x2F8A7,0x614C,0x0,0x2F8A8,0x614E,0x0,
    0x2F8A9,0x614C,0x0,0x2F8AA,0x617A,0x0,0x2F8AB,0x618E,0x0,0x2F8AC,0x61B2,0x0,
    0x2F8AD,0x61A4,0x0,0x2F8AE,0x61AF,0x0,0x2F8AF,0x61DE,0x0,0x2F8B0,0x61F2,0x0,
    0x2F8B1,0x61F6,0x0,0x2F8B2,0x6210,0x0,0x2F8B3,0x621B,0x0,0x2F8B4,0x625D,0x0,
    0x2F8B5,0x62B1,0x0,0x2F8B6,0x62D4,0x0,0x2F8B7,0x6350,0x0,0x2F8B8,0x22B0C,0x0,
    0x2F8B9,0x633D,0x0,0x2F8BA,0x62FC,0x0,0x2F8BB,0x6368,0x0,0x2F8BC,0x6383,0x0,
    0x2F8BD,0x63E4,0x0,0x2F8BE,0x22BF1,0x0,0x2F8BF,0x6422,0x0,0x2F8C0,0x63C5,0x0,
    0x2F8C1,0x63A9,0x0,0x2F8C2,0x3A2E,0x0,0x2F8C3,0x6469,0x0,0x2F8C4,0x647E,0x0,
    0x2F8C5,0x649D,0x0,0x2F8C6,0x6477,0x0,0x2F8C7,0x3A6C,0x0,0x2F8C8,0x654F,0x0,
    0x2F8C9,0x656C,0x0,0x2F8CA,0x2300A,0x0,0x2F8CB,0x65E3,0x0,0x2F8CC,0x66F8,0x0,
    0x2F8CD,0x6649,0x0,0x2F8CE,0x3B19,0x0,0x2F8CF,0x6691,0x0,0x2F8D0,0x3B08,0x0,
    0x2F8D1,0x3AE4,0x0,0x2F8D2,0x5192,0x0,0x2F8D3,0x5195,0x0,0x2F8D4,0x6700,0x0,
    0x2F8D5,0x669C,0x0,0x2F8D6,0x80AD,0x0,0x2F8D7,0x43D9,0x0,0x2F8D8,0x6717,0x0,
    0x2F8D9,0x671B,0x0,0x2F8DA,0x6721,0x0,0x2F8DB,0x675E,0x0,0x2F8DC,0x6753,0x0,
    0x2F8DD,0x233C3,0x0,0x2F8DE,0x3B49,0x0,0x2F8DF,0x67FA,0x0,0x2F8E0,0x6785,0x0,
    0x2F8E1,0x6852,0x0,0x2F8E2,0x6885,0x0,0x2F8E3,0x2346D,0x0,0x2F8E4,0x688E,0x0,
    0x2F8E5,0x681F,0x0,0x2F8E6,0x6914,0x0,0x2F8E7,0x3B9D,0x0,0x2F8E8,0x6942,0x0,
    0x2F8E9,0x69A3,0x0,0x2F8EA,0x69EA,0x0,0x2F8EB,0x6AA8,0x0,0x2F8EC,0x236A3,0x0,
    0x2F8ED,0x6ADB,0x0,0x2F8EE,0x3C18,0x0,0x2F8EF,0x6B21,0x0,0x2F8F0,0x238A7,0x0,
    0x2F8F1,0x6B54,0x0,0x2F8F2,0x3C4E,0x0,0x2F8F3,0x6B72,0x0,0x2F8F4,0x6B9F,0x0,
    0x2F8F5,0x6BBA,0x0,0x2F8F6,0x6BBB,0x0,0x2F8F7,0x23A8D,0x0,0x2F8F8,0x21D0B,0x0,
    0x2F8F9,0x23AFA,0x0,0x2F8FA,0x6C4E,0x0,0x2F8FB,0x23CBC,0x0,0x2F8FC,0x6CBF,0x0,
    0x2F8FD,0x6CCD,0x0,0x2F8FE,0x6C67,0x0,0x2F8FF,0x6D16,0x0,0x2F900,0x6D3E,0x0,
    0x2F901,0x6D77,0x0,0x2F902,0x6D41,0x0,0x2F903,0x6D69,0x0,0x2F904,0x6D78,0x0,
    0x2F905,0x6D85,0x0,0x2F906,0x23D1E,0x0,0x2F907,0x6D34,0x0,0x2F908,0x6E2F,0x0,
    0x2F909,0x6E6E,0x0,0x2F90A,0x3D33,0x0,0x2F90B,0x6ECB,0x0,0x2F90C,0x6EC7,0x0,
    0x2F90D,0x23ED1,0x0,0x2F90E,0x6DF9,0x0,0x2F90F,0x6F6E,0x0,0x2F910,0x23F5E,0x0,
    0x2F911,0x23F8E,0x0,0x2F912,0x6FC6,0x0,0x2F913,0x7039,0x0,0x2F914,0x701E,0x0,
    0x2F915,0x701B,0x0,0x2F916,0x3D96,0x0,0x2F917,0x704A,0x0,0x2F918,0x707D,0x0,
    0x2F919,0x7077,0x0,0x2F91A,0x70AD,0x0,0x2F91B,0x20525,0x0,0x2F91C,0x7145,0x0,
    0x2F91D,0x24263,0x0,0x2F91E,0x719C,0x0,0x2F91F,0x243AB,0x0,0x2F920,0x7228,0x0,
    0x2F921,0x7235,0x0,0x2F922,0x7250,0x0,0x2F923,0x24608,0x0,0x2F924,0x7280,0x0,
    0x2F925,0x7295,0x0,0x2F926,0x24735,0x0,0x2F927,0x24814,0x0,0x2F928,0x737A,0x0,
    0x2F929,0x738B,0x0,0x2F92A,0x3EAC,0x0,0x2F92B,0x73A5,0x0,0x2F92C,0x3EB8,0x0,
    0x2F92D,0x3EB8,0x0,0x2F92E,0x7447,0x0,0x2F92F,0x745C,0x0,0x2F930,0x7471,0x0,
    0x2F931,0x7485,0x0,0x2F932,0x74CA,0x0,0x2F933,0x3F1B,0x0,0x2F934,0x7524,0x0,
    0x2F935,0x24C36,0x0,0x2F936,0x753E,0x0,0x2F937,0x24C92,0x0,0x2F938,0x7570,0x0,
    0x2F939,0x2219F,0x0,0x2F93A,0x7610,0x0,0x2F93B,0x24FA1,0x0,0x2F93C,0x24FB8,0x0,
    0x2F93D,0x25044,0x0,0x2F93E,0x3FFC,0x0,0x2F93F,0x4008,0x0,0x2F940,0x76F4,0x0,
    0x2F941,0x250F3,0x0,0x2F942,0x250F2,0x0,0x2F943,0x25119,0x0,0x2F944,0x25133,0x0,
    0x2F945,0x771E,0x0,0x2F946,0x771F,0x0,0x2F947,0x771F,0x0,0x2F948,0x774A,0x0,
    0x2F949,0x4039,0x0,0x2F94A,0x778B,0x0,0x2F94B,0x4046,0x0,0x2F94C,0x4096,0x0,
    0x2F94D,0x2541D,0x0,0x2F94E,0x784E,0x0,0x2F94F,0x788C,0x0,0x2F950,0x78CC,0x0,
    0x2F951,0x40E3,0x0,0x2F952,0x25626,0x0,0x2F953,0x7956,0x0,0x2F954,0x2569A,0x0,
    0x2F955,0x256C5,0x0,0x2F956,0x798F,0x0,0x2F957,0x79EB,0x0,0x2F958,0x412F,0x0,
    0x2F959,0x7A40,0x0,0x2F95A,0x7A4A,0x0,0x2F95B,0x7A4F,0x0,0x2F95C,0x2597C,0x0,
    0x2F95D,0x25AA7,0x0,0x2F95E,0x25AA7,0x0,0x2F95F,0x7AEE,0x0,0x2F960,0x4202,0x0,
    0x2F961,0x25BAB,0x0,0x2F962,0x7BC6,0x0,0x2F963,0x7BC9,0x0,0x2F964,0x4227,0x0,
    0x2F965,0x25C80,0x0,0x2F966,0x7CD2,0x0,0x2F967,0x42A0,0x0,0x2F968,0x7CE8,0x0,
    0x2F969,0x7CE3,0x0,0x2F96A,0x7D00,0x0,0x2F96B,0x25F86,0x0,0x2F96C,0x7D63,0x0,
    0x2F96D,0x4301,0x0,0x2F96E,0x7DC7,0x0,0x2F96F,0x7E02,0x0,0x2F970,0x7E45,0x0,
    0x2F971,0x4334,0x0,0x2F972,0x26228,0x0,0x2F973,0x26247,0x0,0x2F974,0x4359,0x0,
    0x2F975,0x262D9,0x0,0x2F976,0x7F7A,0x0,0x2F977,0x2633E,0x0,0x2F978,0x7F95,0x0,
    0x2F979,0x7FFA,0x0,0x2F97A,0x8005,0x0,0x2F97B,0x264DA,0x0,0x2F97C,0x26523,0x0,
    0x2F97D,0x8060,0x0,0x2F97E,0x265A8,0x0,0x2F97F,0x8070,0x0,0x2F980,0x2335F,0x0,
    0x2F981,0x43D5,0x0,0x2F982,0x80B2,0x0,0x2F983,0x8103,0x0,0x2F984,0x440B,0x0,
    0x2F985,0x813E,0x0,0x2F986,0x5AB5,0x0,0x2F987,0x267A7,0x0,0x2F988,0x267B5,0x0,
    0x2F989,0x23393,0x0,0x2F98A,0x2339C,0x0,0x2F98B,0x8201,0x0,0x2F98C,0x8204,0x0,
    0x2F98D,0x8F9E,0x0,0x2F98E,0x446B,0x0,0x2F98F,0x8291,0x0,0x2F990,0x828B,0x0,
    0x2F991,0x829D,0x0,0x2F992,0x52B3,0x0,0x2F993,0x82B1,0x0,0x2F994,0x82B3,0x0,
    0x2F995,0x82BD,0x0,0x2F996,0x82E6,0x0,0x2F997,0x26B3C,0x0,0x2F998,0x82E5,0x0,
    0x2F999,0x831D,0x0,0x2F99A,0x8363,0x0,0x2F99B,0x83AD,0x0,0x2F99C,0x8323,0x0,
    0x2F99D,0x83BD,0x0,0x2F99E,0x83E7,0x0,0x2F99F,0x8457,0x0,0x2F9A0,0x8353,0x0,
    0x2F9A1,0x83CA,0x0,0x2F9A2,0x83CC,0x0,0x2F9A3,0x83DC,0x0,0x2F9A4,0x26C36,0x0,
    0x2F9A5,0x26D6B,0x0,0x2F9A6,0x26CD5,0x0,0x2F9A7,0x452B,0x0,0x2F9A8,0x84F1,0x0,
    0x2F9A9,0x84F3,0x0,0x2F9AA,0x8516,0x0,0x2F9AB,0x273CA,0x0,0x2F9AC,0x8564,0x0,
    0x2F9AD,0x26F2C,0x0,0x2F9AE,0x455D,0x0,0x2F9AF,0x4561,0x0,0x2F9B0,0x26FB1,0x0,
    0x2F9B1,0x270D2,0x0,0x2F9B2,0x456B,0x0,0x2F9B3,0x8650,0x0,0x2F9B4,0x865C,0x0,
    0x2F9B5,0x8667,0x0,0x2F9B6,0x8669,0x0,0x2F9B7,0x86A9,0x0,0x2F9B8,0x8688,0x0,
    0x2F9B9,0x870E,0x0,0x2F9BA,0x86E2,0x0,0x2F9BB,0x8779,0x0,0x2F9BC,0x8728,0x0,
    0x2F9BD,0x876B,0x0,0x2F9BE,0x8786,0x0,0x2F9BF,0x45D7,0x0,0x2F9C0,0x87E1,0x0,
    0x2F9C1,0x8801,0x0,0x2F9C2,0x45F9,0x0,0x2F9C3,0x8860,0x0,0x2F9C4,0x8863,0x0,
    0x2F9C5,0x27667,0x0,0x2F9C6,0x88D7,0x0,0x2F9C7,0x88DE,0x0,0x2F9C8,0x4635,0x0,
    0x2F9C9,0x88FA,0x0,0x2F9CA,0x34BB,0x0,0x2F9CB,0x278AE,0x0,0x2F9CC,0x27966,0x0,
    0x2F9CD,0x46BE,0x0,0x2F9CE,0x46C7,0x0,0x2F9CF,0x8AA0,0x0,0x2F9D0,0x8AED,0x0,
    0x2F9D1,0x8B8A,0x0,0x2F9D2,0x8C55,0x0,0x2F9D3,0x27CA8,0x0,0x2F9D4,0x8CAB,0x0,
    0x2F9D5,0x8CC1,0x0,0x2F9D6,0x8D1B,0x0,0x2F9D7,0x8D77,0x0,0x2F9D8,0x27F2F,0x0,
    0x2F9D9,0x20804,0x0,0x2F9DA,0x8DCB,0x0,0x2F9DB,0x8DBC,0x0,0x2F9DC,0x8DF0,0x0,
    0x2F9DD,0x208DE,0x0,0x2F9DE,0x8ED4,0x0,0x2F9DF,0x8F38,0x0,0x2F9E0,0x285D2,0x0,
    0x2F9E1,0x285ED,0x0,0x2F9E2,0x9094,0x0,0x2F9E3,0x90F1,0x0,0x2F9E4,0x9111,0x0,
    0x2F9E5,0x2872E,0x0,0x2F9E6,0x911B,0x0,0x2F9E7,0x9238,0x0,0x2F9E8,0x92D7,0x0,
    0x2F9E9,0x92D8,0x0,0x2F9EA,0x927C,0x0,0x2F9EB,0x93F9,0x0,0x2F9EC,0x9415,0x0,
    0x2F9ED,0x28BFA,0x0,0x2F9EE,0x958B,0x0,0x2F9EF,0x4995,0x0,0x2F9F0,0x95B7,0x0,
    0x2F9F1,0x28D77,0x0,0x2F9F2,0x49E6,0x0,0x2F9F3,0x96C3,0x0,0x2F9F4,0x5DB2,0x0,
    0x2F9F5,0x9723,0x0,0x2F9F6,0x29145,0x0,0x2F9F7,0x2921A,0x0,0x2F9F8,0x4A6E,0x0,
    0x2F9F9,0x4A76,0x0,0x2F9FA,0x97E0,0x0,0x2F9FB,0x2940A,0x0,0x2F9FC,0x4AB2,0x0,
    0x2F9FD,0x29496,0x0,0x2F9FE,0x980B,0x0,0x2F9FF,0x980B,0x0,0x2FA00,0x9829,0x0,
    0x2FA01,0x295B6,0x0,0x2FA02,0x98E2,0x0,0x2FA03,0x4B33,0x0,0x2FA04,0x9929,0x0,
    0x2FA05,0x99A7,0x0,0x2FA06,0x99C2,0x0,0x2FA07,0x99FE,0x0,0x2FA08,0x4BCE,0x0,
    0x2FA09,0x29B30,0x0,0x2FA0A,0x9B12,0x0,0x2FA0B,0x9C40,0x0,0x2FA0C,0x9CFD,0x0,
    0x2FA0D,0x4CCE,0x0,0x2FA0E,0x4CED,0x0,0x2FA0F,0x9D67,0x0,0x2FA10,0x2A0CE,0x0,
    0x2FA11,0x4CF8,0x0,0x2FA12,0x2A105,0x0,0x2FA13,0x2A20E,0x0,0x2FA14,0x2A291,0x0,
    0x2FA15,0x9EBB,0x0,0x2FA16,0x4D56,0x0,0x2FA17,0x9EF9,0x0,0x2FA18,0x9EFE,0x0,
    0x2FA19,0x9F05,0x0,0x2FA1A,0x9F0F,0x0,0x2FA1B,0x9F16,0x0,0x2FA1C,0x9F3B,0x0,
    0x2FA1D,0x2A600,0x0,
};
static const uint16_t rm__nfc_comp[941] = {
    0x390,0x38D,0x391,0x0,0x1,0x2,0x3,0x35,0x37,0xEE,0x4,0x23C,
    0x5,0xA5,0xD0,0xD2,0x23A,0x19F,0x39,0x1A1,0x1A3,0x1A5,0x3B,0x3D,
    0x3F,0x41,0x6,0x1A9,0x43,0x1AB,0x1AF,0x1B1,0x1AD,0x7,0x8,0x9,
    0x256,0x45,0x47,0x49,0xA,0x254,0x4D,0xD4,0xD6,0x252,0xF0,0x4B,
    0x1B7,0x1B9,0x1BD,0xC6,0x4F,0x1BF,0x51,0x53,0xBB,0x55,0x57,0x1C1,
    0x1C5,0xEC,0x1C3,0x1C7,0x1C9,0xB,0xC,0xD,0x59,0x5B,0x5D,0x61,
    0xE,0x262,0xA7,0xD8,0xDA,0x264,0x5F,0x1CB,0x62,0x1CF,0xBD,0x1D1,
    0x64,0x1D3,0x66,0x6A,0x1D5,0x68,0x1DB,0x1D9,0x1DD,0x1DF,0x1E1,0xC8,
    0x6C,0xF,0x1E3,0x70,0x1E5,0x6E,0x1E9,0x1E7,0x10,0x11,0x12,0x13,
    0x72,0x74,0xF6,0x14,0x268,0x76,0xA9,0xDC,0xDE,0xA1,0x266,0xBF,
    0x1F3,0x1F5,0x78,0x1F7,0x7C,0xE0,0xE2,0x1F9,0x7A,0x1FD,0x7E,0x80,
    0x1FF,0x84,0x201,0xE8,0x82,0x209,0x88,0x20B,0xEA,0x86,0x20F,0x20D,
    0x15,0x16,0x17,0x8A,0x8C,0x8E,0x18,0x280,0x90,0x92,0xAB,0xE4,
    0xE6,0xA3,0x27E,0x211,0x94,0x215,0x213,0x21B,0x21D,0x21F,0x221,0x96,
    0x225,0x223,0x227,0x229,0x22B,0x28C,0x19,0x98,0x292,0xFA,0x22D,0x9A,
    0x290,0x28E,0x9B,0x22F,0x9D,0x9F,0x231,0x233,0x1A,0x1B,0x1C,0x1D,
    0x36,0x38,0xEF,0x1E,0x23D,0x1F,0xA6,0xD1,0xD3,0x23B,0x1A0,0x3A,
    0x1A2,0x1A4,0x1A6,0x3C,0x3E,0x40,0x42,0x20,0x1AA,0x44,0x1AC,0x1B0,
    0x1B2,0x1AE,0x21,0x22,0x23,0x257,0x46,0x48,0x4A,0x24,0x255,0x4E,
    0xD5,0xD7,0x253,0xF1,0x4C,0x1B8,0x1BA,0x1BE,0xC7,0x50,0x1C0,0x52,
    0x54,0xBC,0x56,0x58,0x1C2,0x1C6,0xED,0x1C4,0x1C8,0x1CA,0x235,0x25,
    0x26,0x27,0x5A,0x5C,0x5E,0x28,0x263,0xA8,0xD9,0xDB,0x265,0x60,
    0x1CC,0x63,0xC5,0x1D0,0xBE,0x1D2,0x65,0x1D4,0x67,0x6B,0x1D6,0x69,
    0x1DC,0x1DA,0x1DE,0x1E0,0x1E2,0xC9,0x6D,0x29,0x1E4,0x71,0x1E6,0x6F,
    0x1EA,0x1E8,0x2A,0x2B,0x2C,0x2D,0x73,0x75,0xF7,0x2E,0x269,0x77,
    0xAA,0xDD,0xDF,0xA2,0x267,0xC0,0x1F4,0x1F6,0x79,0x1F8,0x7D,0xE1,
    0xE3,0x1FA,0x7B,0x1FE,0x7F,0x81,0x200,0x85,0x202,0xE9,0x83,0x20A,
    0x236,0x89,0x20C,0xEB,0x87,0x210,0x20E,0x2F,0x30,0x31,0x8B,0x8D,
    0x8F,0x32,0x281,0x91,0x93,0xAC,0xE5,0xE7,0xA4,0x27F,0x212,0x95,
    0x216,0x214,0x21C,0x21E,0x220,0x222,0x97,0x226,0x224,0x237,0x228,0x22A,
    0x22C,0x28D,0x33,0x99,0x293,0xFB,0x22E,0x34,0x291,0x238,0x28F,0x9C,
    0x230,0x9E,0xA0,0x232,0x234,0x36B,0x102,0x343,0x240,0x23E,0x244,0x242,
    0xB5,0xCA,0xCC,0xB9,0x1A7,0x25A,0x258,0x25E,0x25C,0x1CD,0x26C,0x26A,
    0x270,0x26E,0x1EB,0xF4,0x1ED,0xF2,0xCE,0xB3,0xAF,0xAD,0xB1,0x241,
    0x23F,0x245,0x243,0xB6,0xCB,0xCD,0xBA,0x1A8,0x25B,0x259,0x25F,0x25D,
    0x1CE,0x26D,0x26B,0x271,0x26F,0x1EC,0xF5,0x1EE,0xF3,0xCF,0xB4,0xB0,
    0xAE,0xB2,0x24A,0x248,0x24E,0x24C,0x24B,0x249,0x24F,0x24D,0x1B3,0x1B5,
    0x1B4,0x1B6,0x1EF,0x1F1,0x1F0,0x1F2,0x203,0x204,0x205,0x206,0x217,0x218,
    0x219,0x21A,0x239,0x276,0x274,0x27A,0x278,0x27C,0x277,0x275,0x27B,0x279,
    0x27D,0x284,0x282,0x288,0x286,0x28A,0x285,0x283,0x289,0x287,0x28B,0xC3,
    0xC1,0xC2,0xB7,0xB8,0x1BB,0x1BC,0xF8,0xF9,0xC4,0x33F,0x103,0x33E,
    0x33D,0x29C,0x29D,0x341,0x349,0x105,0x2AA,0x2AB,0x34B,0x106,0x2B8,0x2B9,
    0x34D,0x359,0x107,0x358,0x357,0x10C,0x2C8,0x2C9,0x373,0x108,0x2D6,0x2D7,
    0x36A,0x368,0x109,0x367,0x366,0x10D,0x2E4,0x375,0x10A,0x2F0,0x2F1,0x377,
    0x33A,0x346,0x2F8,0x10E,0x337,0x336,0x294,0x295,0x33B,0x339,0x2FA,0x10F,
    0x2A4,0x2A5,0x2FC,0x110,0x2B0,0x2B1,0x347,0x345,0x2FE,0x111,0x352,0x351,
    0x113,0x2C0,0x2C1,0x355,0x300,0x115,0x2D0,0x2D1,0x362,0x363,0x302,0x116,
    0x35F,0x35E,0x114,0x2DC,0x2DD,0x364,0x304,0x117,0x2E8,0x2E9,0x371,0x36F,
    0x353,0x10B,0x356,0x360,0x112,0x365,0x370,0x118,0x119,0x11D,0x12E,0x130,
    0x11C,0x11A,0x132,0x11B,0x12C,0x136,0x138,0x11F,0x13A,0x121,0x13C,0x11E,
    0x13E,0x144,0x120,0x146,0x148,0x14A,0x14C,0x142,0x12F,0x131,0x125,0x123,
    0x133,0x124,0x12D,0x137,0x139,0x128,0x13B,0x122,0x13D,0x127,0x13F,0x145,
    0x129,0x147,0x149,0x14B,0x14D,0x143,0x126,0x12A,0x12B,0x134,0x135,0x140,
    0x141,0x14E,0x14F,0x151,0x150,0x152,0x154,0x155,0x153,0x156,0x157,0x158,
    0x161,0x162,0x16D,0x16C,0x16E,0x171,0x172,0x174,0x173,0x175,0x176,0x179,
    0x177,0x178,0x17A,0x17B,0x17D,0x17C,0x17E,0x17F,0x181,0x180,0x193,0x194,
    0x195,0x196,0x197,0x198,0x199,0x19A,0x19B,0x19C,0x19D,0x19E,0x1D7,0x1D8,
    0x1FB,0x1FC,0x207,0x208,0x246,0x250,0x247,0x251,0x260,0x261,0x272,0x273,
    0x296,0x298,0x29A,0x306,0x297,0x299,0x29B,0x307,0x308,0x309,0x30A,0x30B,
    0x30C,0x30D,0x29E,0x2A0,0x2A2,0x30E,0x29F,0x2A1,0x2A3,0x30F,0x310,0x311,
    0x312,0x313,0x314,0x315,0x2A6,0x2A8,0x2A7,0x2A9,0x2AC,0x2AE,0x2AD,0x2AF,
    0x2B2,0x2B4,0x2B6,0x316,0x2B3,0x2B5,0x2B7,0x317,0x318,0x319,0x31A,0x31B,
    0x31C,0x31D,0x2BA,0x2BC,0x2BE,0x31E,0x2BB,0x2BD,0x2BF,0x31F,0x320,0x321,
    0x322,0x323,0x324,0x325,0x2C2,0x2C4,0x2C6,0x2C3,0x2C5,0x2C7,0x2CA,0x2CC,
    0x2CE,0x2CB,0x2CD,0x2CF,0x2D2,0x2D4,0x2D3,0x2D5,0x2D8,0x2DA,0x2D9,0x2DB,
    0x2DE,0x2E0,0x2E2,0x2DF,0x2E1,0x2E3,0x2E5,0x2E6,0x2E7,0x2EA,0x2EC,0x2EE,
    0x326,0x2EB,0x2ED,0x2EF,0x327,0x328,0x329,0x32A,0x32B,0x32C,0x32D,0x2F2,
    0x2F4,0x2F6,0x32E,0x2F3,0x2F5,0x2F7,0x32F,0x330,0x331,0x332,0x333,0x334,
    0x335,0x338,0x344,0x36E,0x33C,0x34E,0x34F,0x350,0x348,0x372,0x35B,0x35C,
    0x35D,0x37E,0x37F,0x380,0x381,0x383,0x382,0x384,0x385,0x386,0x387,0x388,
    0x389,0x38A,0x38B,0x38C,0x38F,0x38E,0x392,0x393,0x394,0x395,0x396,0x397,
    0x398,0x399,0x3A2,0x3A3,0x39A,0x39B,0x39C,0x39D,0x3A4,0x3A5,0x39E,0x39F,
    0x3A0,0x3A1,0x3A6,0x3A7,0x3A8,0x3A9,0x3C6,0x3AD,0x3AE,0x3AF,0x3B0,0x3B1,
    0x3B2,0x3B3,0x3B4,0x3B5,0x3B6,0x3B7,0x3B8,0x3B9,0x3BA,0x3BB,0x3BC,0x3BD,
    0x3BE,0x3BF,0x3C0,0x3C1,0x3C2,0x3C3,0x3C4,0x3C5,0x3C7,0x3E1,0x3C8,0x3C9,
    0x3CA,0x3CB,0x3CC,0x3CD,0x3CE,0x3CF,0x3D0,0x3D1,0x3D2,0x3D3,0x3D4,0x3D5,
    0x3D6,0x3D7,0x3D8,0x3D9,0x3DA,0x3DB,0x3DC,0x3DD,0x3DE,0x3DF,0x3E0,0x3E2,
    0x3E3,0x3E4,0x3E5,0x3E6,0x5D5,0x5D6,0x5D7,0x5D8,0x5D9,0x5DA,0x5DB,0x5DD,
    0x5DC,0x5DE,0x5DF,0x5E0,0x5E1,
};
static const uint32_t rm__nfc_ccc[764] = {
    0x300E6,0x314,0x315E8,0x315,0x316DC,0x319,0x31AE8,0x31A,0x31BD8,0x31B,0x31CDC,0x320,
    0x321CA,0x322,0x323DC,0x326,0x327CA,0x328,0x329DC,0x333,0x33401,0x338,0x339DC,0x33C,
    0x33DE6,0x344,0x345F0,0x345,0x346E6,0x346,0x347DC,0x349,0x34AE6,0x34C,0x34DDC,0x34E,
    0x350E6,0x352,0x353DC,0x356,0x357E6,0x357,0x358E8,0x358,0x359DC,0x35A,0x35BE6,0x35B,
    0x35CE9,0x35C,0x35DEA,0x35E,0x35FE9,0x35F,0x360EA,0x361,0x362E9,0x362,0x363E6,0x36F,
    0x483E6,0x487,0x591DC,0x591,0x592E6,0x595,0x596DC,0x596,0x597E6,0x599,0x59ADE,0x59A,
    0x59BDC,0x59B,0x59CE6,0x5A1,0x5A2DC,0x5A7,0x5A8E6,0x5A9,0x5AADC,0x5AA,0x5ABE6,0x5AC,
    0x5ADDE,0x5AD,0x5AEE4,0x5AE,0x5AFE6,0x5AF,0x5B00A,0x5B0,0x5B10B,0x5B1,0x5B20C,0x5B2,
    0x5B30D,0x5B3,0x5B40E,0x5B4,0x5B50F,0x5B5,0x5B610,0x5B6,0x5B711,0x5B7,0x5B812,0x5B8,
    0x5B913,0x5BA,0x5BB14,0x5BB,0x5BC15,0x5BC,0x5BD16,0x5BD,0x5BF17,0x5BF,0x5C118,0x5C1,
    0x5C219,0x5C2,0x5C4E6,0x5C4,0x5C5DC,0x5C5,0x5C712,0x5C7,0x610E6,0x617,0x6181E,0x618,
    0x6191F,0x619,0x61A20,0x61A,0x64B1B,0x64B,0x64C1C,0x64C,0x64D1D,0x64D,0x64E1E,0x64E,
    0x64F1F,0x64F,0x65020,0x650,0x65121,0x651,0x65222,0x652,0x653E6,0x654,0x655DC,0x656,
    0x657E6,0x65B,0x65CDC,0x65C,0x65DE6,0x65E,0x65FDC,0x65F,0x67023,0x670,0x6D6E6,0x6DC,
    0x6DFE6,0x6E2,0x6E3DC,0x6E3,0x6E4E6,0x6E4,0x6E7E6,0x6E8,0x6EADC,0x6EA,0x6EBE6,0x6EC,
    0x6EDDC,0x6ED,0x71124,0x711,0x730E6,0x730,0x731DC,0x731,0x732E6,0x733,0x734DC,0x734,
    0x735E6,0x736,0x737DC,0x739,0x73AE6,0x73A,0x73BDC,0x73C,0x73DE6,0x73D,0x73EDC,0x73E,
    0x73FE6,0x741,0x742DC,0x742,0x743E6,0x743,0x744DC,0x744,0x745E6,0x745,0x746DC,0x746,
    0x747E6,0x747,0x748DC,0x748,0x749E6,0x74A,0x7EBE6,0x7F1,0x7F2DC,0x7F2,0x7F3E6,0x7F3,
    0x7FDDC,0x7FD,0x816E6,0x819,0x81BE6,0x823,0x825E6,0x827,0x829E6,0x82D,0x859DC,0x85B,
    0x898E6,0x898,0x899DC,0x89B,0x89CE6,0x89F,0x8CAE6,0x8CE,0x8CFDC,0x8D3,0x8D4E6,0x8E1,
    0x8E3DC,0x8E3,0x8E4E6,0x8E5,0x8E6DC,0x8E6,0x8E7E6,0x8E8,0x8E9DC,0x8E9,0x8EAE6,0x8EC,
    0x8EDDC,0x8EF,0x8F01B,0x8F0,0x8F11C,0x8F1,0x8F21D,0x8F2,0x8F3E6,0x8F5,0x8F6DC,0x8F6,
    0x8F7E6,0x8F8,0x8F9DC,0x8FA,0x8FBE6,0x8FF,0x93C07,0x93C,0x94D09,0x94D,0x951E6,0x951,
    0x952DC,0x952,0x953E6,0x954,0x9BC07,0x9BC,0x9CD09,0x9CD,0x9FEE6,0x9FE,0xA3C07,0xA3C,
    0xA4D09,0xA4D,0xABC07,0xABC,0xACD09,0xACD,0xB3C07,0xB3C,0xB4D09,0xB4D,0xBCD09,0xBCD,
    0xC3C07,0xC3C,0xC4D09,0xC4D,0xC5554,0xC55,0xC565B,0xC56,0xCBC07,0xCBC,0xCCD09,0xCCD,
    0xD3B09,0xD3C,0xD4D09,0xD4D,0xDCA09,0xDCA,0xE3867,0xE39,0xE3A09,0xE3A,0xE486B,0xE4B,
    0xEB876,0xEB9,0xEBA09,0xEBA,0xEC87A,0xECB,0xF18DC,0xF19,0xF35DC,0xF35,0xF37DC,0xF37,
    0xF39D8,0xF39,0xF7181,0xF71,0xF7282,0xF72,0xF7484,0xF74,0xF7A82,0xF7D,0xF8082,0xF80,
    0xF82E6,0xF83,0xF8409,0xF84,0xF86E6,0xF87,0xFC6DC,0xFC6,0x103707,0x1037,0x103909,0x103A,
    0x108DDC,0x108D,0x135DE6,0x135F,0x171409,0x1715,0x173409,0x1734,0x17D209,0x17D2,0x17DDE6,0x17DD,
    0x18A9E4,0x18A9,0x1939DE,0x1939,0x193AE6,0x193A,0x193BDC,0x193B,0x1A17E6,0x1A17,0x1A18DC,0x1A18,
    0x1A6009,0x1A60,0x1A75E6,0x1A7C,0x1A7FDC,0x1A7F,0x1AB0E6,0x1AB4,0x1AB5DC,0x1ABA,0x1ABBE6,0x1ABC,
    0x1ABDDC,0x1ABD,0x1ABFDC,0x1AC0,0x1AC1E6,0x1AC2,0x1AC3DC,0x1AC4,0x1AC5E6,0x1AC9,0x1ACADC,0x1ACA,
    0x1ACBE6,0x1ACE,0x1B3407,0x1B34,0x1B4409,0x1B44,0x1B6BE6,0x1B6B,0x1B6CDC,0x1B6C,0x1B6DE6,0x1B73,
    0x1BAA09,0x1BAB,0x1BE607,0x1BE6,0x1BF209,0x1BF3,0x1C3707,0x1C37,0x1CD0E6,0x1CD2,0x1CD401,0x1CD4,
    0x1CD5DC,0x1CD9,0x1CDAE6,0x1CDB,0x1CDCDC,0x1CDF,0x1CE0E6,0x1CE0,0x1CE201,0x1CE8,0x1CEDDC,0x1CED,
    0x1CF4E6,0x1CF4,0x1CF8E6,0x1CF9,0x1DC0E6,0x1DC1,0x1DC2DC,0x1DC2,0x1DC3E6,0x1DC9,0x1DCADC,0x1DCA,
    0x1DCBE6,0x1DCC,0x1DCDEA,0x1DCD,0x1DCED6,0x1DCE,0x1DCFDC,0x1DCF,0x1DD0CA,0x1DD0,0x1DD1E6,0x1DF5,
    0x1DF6E8,0x1DF6,0x1DF7E4,0x1DF8,0x1DF9DC,0x1DF9,0x1DFADA,0x1DFA,0x1DFBE6,0x1DFB,0x1DFCE9,0x1DFC,
    0x1DFDDC,0x1DFD,0x1DFEE6,0x1DFE,0x1DFFDC,0x1DFF,0x20D0E6,0x20D1,0x20D201,0x20D3,0x20D4E6,0x20D7,
    0x20D801,0x20DA,0x20DBE6,0x20DC,0x20E1E6,0x20E1,0x20E501,0x20E6,0x20E7E6,0x20E7,0x20E8DC,0x20E8,
    0x20E9E6,0x20E9,0x20EA01,0x20EB,0x20ECDC,0x20EF,0x20F0E6,0x20F0,0x2CEFE6,0x2CF1,0x2D7F09,0x2D7F,
    0x2DE0E6,0x2DFF,0x302ADA,0x302A,0x302BE4,0x302B,0x302CE8,0x302C,0x302DDE,0x302D,0x302EE0,0x302F,
    0x309908,0x309A,0xA66FE6,0xA66F,0xA674E6,0xA67D,0xA69EE6,0xA69F,0xA6F0E6,0xA6F1,0xA80609,0xA806,
    0xA82C09,0xA82C,0xA8C409,0xA8C4,0xA8E0E6,0xA8F1,0xA92BDC,0xA92D,0xA95309,0xA953,0xA9B307,0xA9B3,
    0xA9C009,0xA9C0,0xAAB0E6,0xAAB0,0xAAB2E6,0xAAB3,0xAAB4DC,0xAAB4,0xAAB7E6,0xAAB8,0xAABEE6,0xAABF,
    0xAAC1E6,0xAAC1,0xAAF609,0xAAF6,0xABED09,0xABED,0xFB1E1A,0xFB1E,0xFE20E6,0xFE26,0xFE27DC,0xFE2D,
    0xFE2EE6,0xFE2F,0x101FDDC,0x101FD,0x102E0DC,0x102E0,0x10376E6,0x1037A,0x10A0DDC,0x10A0D,0x10A0FE6,0x10A0F,
    0x10A38E6,0x10A38,0x10A3901,0x10A39,0x10A3ADC,0x10A3A,0x10A3F09,0x10A3F,0x10AE5E6,0x10AE5,0x10AE6DC,0x10AE6,
    0x10D24E6,0x10D27,0x10EABE6,0x10EAC,0x10F46DC,0x10F47,0x10F48E6,0x10F4A,0x10F4BDC,0x10F4B,0x10F4CE6,0x10F4C,
    0x10F4DDC,0x10F50,0x10F82E6,0x10F82,0x10F83DC,0x10F83,0x10F84E6,0x10F84,0x10F85DC,0x10F85,0x1104609,0x11046,
    0x1107009,0x11070,0x1107F09,0x1107F,0x110B909,0x110B9,0x110BA07,0x110BA,0x11100E6,0x11102,0x1113309,0x11134,
    0x1117307,0x11173,0x111C009,0x111C0,0x111CA07,0x111CA,0x1123509,0x11235,0x1123607,0x11236,0x112E907,0x112E9,
    0x112EA09,0x112EA,0x1133B07,0x1133C,0x1134D09,0x1134D,0x11366E6,0x1136C,0x11370E6,0x11374,0x1144209,0x11442,
    0x1144607,0x11446,0x1145EE6,0x1145E,0x114C209,0x114C2,0x114C307,0x114C3,0x115BF09,0x115BF,0x115C007,0x115C0,
    0x1163F09,0x1163F,0x116B609,0x116B6,0x116B707,0x116B7,0x1172B09,0x1172B,0x1183909,0x11839,0x1183A07,0x1183A,
    0x1193D09,0x1193E,0x1194307,0x11943,0x119E009,0x119E0,0x11A3409,0x11A34,0x11A4709,0x11A47,0x11A9909,0x11A99,
    0x11C3F09,0x11C3F,0x11D4207,0x11D42,0x11D4409,0x11D45,0x11D9709,0x11D97,0x16AF001,0x16AF4,0x16B30E6,0x16B36,
    0x16FF006,0x16FF1,0x1BC9E01,0x1BC9E,0x1D165D8,0x1D166,0x1D16701,0x1D169,0x1D16DE2,0x1D16D,0x1D16ED8,0x1D172,
    0x1D17BDC,0x1D182,0x1D185E6,0x1D189,0x1D18ADC,0x1D18B,0x1D1AAE6,0x1D1AD,0x1D242E6,0x1D244,0x1E000E6,0x1E006,
    0x1E008E6,0x1E018,0x1E01BE6,0x1E021,0x1E023E6,0x1E024,0x1E026E6,0x1E02A,0x1E130E6,0x1E136,0x1E2AEE6,0x1E2AE,
    0x1E2ECE6,0x1E2EF,0x1E8D0DC,0x1E8D6,0x1E944E6,0x1E949,0x1E94A07,0x1E94A,
};
/* END GENERATED */

/* ---- Unicode classes ---------------------------------------------------------------------- */

#define RM__UF_L 1u  /* \p{L} */
#define RM__UF_M 2u  /* \p{M} */
#define RM__UF_N 4u  /* \p{N} */
#define RM__UF_P 8u  /* \p{P} */
#define RM__UF_S 16u /* \p{S} */
#define RM__UF_W 32u /* \s: the White_Space property, as Oniguruma's Unicode \s */

static unsigned rm__ucp_flags(uint32_t cp) {
    static const unsigned cls_flag[8] = {0, RM__UF_L, RM__UF_M, RM__UF_N, RM__UF_P, RM__UF_S, 0, 0};
    size_t lo = 0, hi = sizeof(rm__ucat) / sizeof(rm__ucat[0]);
    unsigned f;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((rm__ucat[mid] >> 3) <= cp) lo = mid; else hi = mid;
    }
    f = cls_flag[rm__ucat[lo] & 7u];
    if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000)
        f |= RM__UF_W;
    return f;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0: rejects stray continuation
   bytes, truncation, overlong forms, surrogates and values above U+10FFFF. */
static size_t rm__utf8_valid_len(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] >= 0xA0) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

/* Decodes one code point of already validated UTF-8; *len gets its byte count. */
static uint32_t rm__utf8_dec(const uint8_t *p, size_t *len) {
    if (p[0] < 0x80) { *len = 1; return p[0]; }
    if (p[0] < 0xE0) { *len = 2; return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3Fu); }
    if (p[0] < 0xF0) {
        *len = 3;
        return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3Fu);
    }
    *len = 4;
    return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) |
           (p[3] & 0x3Fu);
}

static size_t rm__utf8_enc(uint32_t cp, uint8_t *o) {
    if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { o[0] = (uint8_t)(0xC0 | (cp >> 6)); o[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12)); o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18)); o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- NFC (Qwen2's normalizer) --------------------------------------------------------------- */

static unsigned rm__nfc_class(uint32_t cp) {
    size_t lo = 0, hi = sizeof(rm__nfc_ccc) / sizeof(rm__nfc_ccc[0]) / 2;
    if (cp < 0x300) return 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t first = rm__nfc_ccc[2 * mid] >> 8, last = rm__nfc_ccc[2 * mid + 1];
        if (cp < first) hi = mid;
        else if (cp > last) lo = mid + 1;
        else return rm__nfc_ccc[2 * mid] & 0xFFu;
    }
    return 0;
}

/* Appends the full canonical decomposition of cp to o (at most 4 code points per level,
   recursion depth bounded by the data: decompositions are at most 4 deep). */
static size_t rm__nfc_decompose(uint32_t cp, uint32_t *o) {
    size_t lo = 0, hi = sizeof(rm__nfc_decomp) / sizeof(rm__nfc_decomp[0]) / 3, n;
    if (cp >= 0xAC00 && cp <= 0xD7A3) { /* Hangul syllables: L V (T) */
        uint32_t s = cp - 0xAC00;
        o[0] = 0x1100 + s / 588;
        o[1] = 0x1161 + (s % 588) / 28;
        if (s % 28) { o[2] = 0x11A7 + s % 28; return 3; }
        return 2;
    }
    if (cp >= 0xC0) {
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            uint32_t c = rm__nfc_decomp[3 * mid];
            if (cp < c) hi = mid;
            else if (cp > c) lo = mid + 1;
            else {
                uint32_t b = rm__nfc_decomp[3 * mid + 2] & 0xFFFFFFu;
                n = rm__nfc_decompose(rm__nfc_decomp[3 * mid + 1], o);
                if (b) n += rm__nfc_decompose(b, o + n);
                return n;
            }
        }
    }
    o[0] = cp;
    return 1;
}

/* The primary composite of a + b, or 0. */
static uint32_t rm__nfc_compose(uint32_t a, uint32_t b) {
    size_t lo = 0, hi = sizeof(rm__nfc_comp) / sizeof(rm__nfc_comp[0]);
    if (a >= 0x1100 && a <= 0x1112 && b >= 0x1161 && b <= 0x1175)
        return 0xAC00 + ((a - 0x1100) * 21 + (b - 0x1161)) * 28;
    if (a >= 0xAC00 && a <= 0xD7A3 && (a - 0xAC00) % 28 == 0 && b >= 0x11A8 && b <= 0x11C2)
        return a + (b - 0x11A7);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const uint32_t *e = &rm__nfc_decomp[3 * (size_t)rm__nfc_comp[mid]];
        uint32_t ea = e[1], eb = e[2] & 0xFFFFFFu;
        if (a < ea || (a == ea && b < eb)) hi = mid;
        else if (a > ea || b > eb) lo = mid + 1;
        else return e[0];
    }
    return 0;
}

/* NFC of n code points in place-safe buffers: in[] -> tmp[] (decomposed, reordered) -> out[].
   tmp and out need room for 4 * n code points (the longest canonical decomposition). */
static size_t rm__nfc(const uint32_t *in, size_t n, uint32_t *tmp, uint32_t *out) {
    size_t i, m = 0, k = 0, starter = (size_t)-1;
    for (i = 0; i < n; i++) m += rm__nfc_decompose(in[i], tmp + m);
    for (i = 1; i < m; i++) { /* canonical ordering: stable insertion sort of mark runs */
        size_t j = i;
        unsigned c = rm__nfc_class(tmp[i]);
        if (!c) continue;
        while (j > 0) {
            unsigned pc = rm__nfc_class(tmp[j - 1]);
            uint32_t t;
            if (pc <= c) break;
            t = tmp[j]; tmp[j] = tmp[j - 1]; tmp[j - 1] = t;
            j--;
        }
    }
    for (i = 0; i < m; i++) {
        uint32_t c = tmp[i];
        unsigned cc = rm__nfc_class(c);
        if (starter != (size_t)-1) {
            unsigned last = rm__nfc_class(out[k - 1]);
            int blocked = (k - 1 != starter) && (last == 0 || last >= cc);
            uint32_t comp = blocked ? 0 : rm__nfc_compose(out[starter], c);
            if (comp) { out[starter] = comp; continue; }
        }
        if (cc == 0) starter = k;
        out[k++] = c;
    }
    return k;
}

/* ---- The vocabulary ------------------------------------------------------------------------ */

enum { RM__VOCAB_SPM = 1, RM__VOCAB_BPE = 2 };
enum {
    RM__PRE_DEFAULT, RM__PRE_GPT2, RM__PRE_LLAMA3, RM__PRE_QWEN2, RM__PRE_DSLLM, RM__PRE_DSCODER,
    RM__PRE_FALCON, RM__PRE_STARCODER
};

typedef struct rm__trie_node {
    int32_t child, next; /* first child, next sibling: -1 when none */
    int32_t id;          /* token ending here, or -1 */
    uint8_t byte;
} rm__trie_node;

typedef struct rm__merge_slot {
    uint64_t key; /* (left id + 1) << 32 | (right id + 1); 0 = empty */
    int32_t rank, id;
} rm__merge_slot;

struct rm_vocab {
    rm_result status;
    char err[256];
    int model, pre;
    rm_str model_name, pre_name;
    int32_t n;
    rm_str *text;   /* [n] borrowed from the GGUF mapping */
    float *score;   /* [n] */
    uint8_t *type;  /* [n] RM_TOKEN_* */
    int32_t *hash;  /* [hash_mask + 1] token id + 1, 0 = empty */
    uint32_t *hash_h;
    uint64_t hash_mask;
    rm__merge_slot *merges;
    uint64_t merge_mask;
    int32_t byte_tok[256]; /* SPM: <0xNN>; BPE: the token of the byte's GPT-2 character */
    int32_t bos, eos, eot, unk;
    int add_bos, add_eos, add_space_prefix, ignore_merges, nfc;
    rm__trie_node *trie;
    size_t n_trie, cap_trie;
    int32_t trie_root[256];
};

/* GPT-2's byte-to-unicode map: printable Latin-1 bytes stand for themselves, the other 68
   bytes for U+0100.. in byte order. */
static uint32_t rm__byte_cp(unsigned b) {
    unsigned i, n = 0;
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return b;
    for (i = 0; i < b; i++)
        if (!((i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF))) n++;
    return 0x100 + n;
}

static int32_t rm__vocab_lookup(const rm_vocab *v, const char *s, size_t n) {
    uint64_t h = rm__hash(s, n), i;
    uint32_t h32 = (uint32_t)(h >> 32);
    for (i = h & v->hash_mask;; i = (i + 1) & v->hash_mask) {
        int32_t slot = v->hash[i];
        if (!slot) return -1;
        if (v->hash_h[i] == h32) {
            const rm_str *t = &v->text[slot - 1];
            if (t->len == n && memcmp(t->ptr, s, n) == 0) return slot - 1;
        }
    }
}

static uint64_t rm__mix64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
    return x;
}

static const rm__merge_slot *rm__merge_find(const rm_vocab *v, int32_t a, int32_t b) {
    uint64_t key = ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1), i;
    if (!v->merges || a < 0 || b < 0) return NULL;
    for (i = rm__mix64(key) & v->merge_mask;; i = (i + 1) & v->merge_mask) {
        if (v->merges[i].key == key) return &v->merges[i];
        if (!v->merges[i].key) return NULL;
    }
}

/* Tokens that BPE merges may produce and that plain text may map to: never control, unknown,
   unused or byte tokens (SentencePiece keeps those out of its piece table). */
static int rm__tok_mergeable(const rm_vocab *v, int32_t id) {
    return id >= 0 && (v->type[id] == RM_TOKEN_NORMAL || v->type[id] == RM_TOKEN_USER_DEFINED);
}

static int rm__trie_add(rm_vocab *v, const char *s, size_t n, int32_t id) {
    int32_t parent = -1, cur = -1;
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        cur = parent < 0 ? v->trie_root[c] : v->trie[parent].child;
        while (parent >= 0 && cur >= 0 && v->trie[cur].byte != c) cur = v->trie[cur].next;
        if (cur < 0) {
            if (v->n_trie == v->cap_trie) {
                size_t nc = v->cap_trie ? v->cap_trie * 2 : 1024;
                rm__trie_node *t = (rm__trie_node *)RM_REALLOC(v->trie, nc * sizeof(rm__trie_node));
                if (!t) return 0;
                v->trie = t;
                v->cap_trie = nc;
            }
            cur = (int32_t)v->n_trie++;
            v->trie[cur].child = -1;
            v->trie[cur].id = -1;
            v->trie[cur].byte = c;
            if (parent < 0) { /* the root is a table by first byte */
                v->trie[cur].next = -1;
                v->trie_root[c] = cur;
            } else {
                v->trie[cur].next = v->trie[parent].child;
                v->trie[parent].child = cur;
            }
        }
        parent = cur;
    }
    v->trie[cur].id = id;
    return 1;
}

/* Longest special token at p (n bytes left) that this call may match; its length or 0. */
static size_t rm__trie_match(const rm_vocab *v, const uint8_t *p, size_t n, int parse_special, int32_t *id) {
    int32_t cur = v->trie_root[p[0]];
    size_t k = 1, best = 0;
    while (cur >= 0) {
        int32_t t = v->trie[cur].id;
        if (t >= 0 && (parse_special || v->type[t] == RM_TOKEN_USER_DEFINED)) { best = k; *id = t; }
        if (k == n) break;
        cur = v->trie[cur].child;
        while (cur >= 0 && v->trie[cur].byte != p[k]) cur = v->trie[cur].next;
        k++;
    }
    return best;
}

static const struct { const char *name; int pre, ignore_merges, add_bos, nfc; } rm__pre_names[] = {
    {"default", RM__PRE_DEFAULT, 0, 0, 0},     {"gpt-2", RM__PRE_GPT2, 0, 0, 0},
    {"mpt", RM__PRE_GPT2, 0, 0, 0},            {"phi-2", RM__PRE_GPT2, 0, 0, 0},
    {"olmo", RM__PRE_GPT2, 0, 0, 0},           {"llama-bpe", RM__PRE_LLAMA3, 1, 1, 0},
    {"llama3", RM__PRE_LLAMA3, 1, 1, 0},       {"llama-v3", RM__PRE_LLAMA3, 1, 1, 0},
    {"dbrx", RM__PRE_LLAMA3, 0, 0, 0},         {"smaug-bpe", RM__PRE_LLAMA3, 0, 0, 0},
    {"qwen2", RM__PRE_QWEN2, 0, 0, 1},         {"deepseek-r1-qwen", RM__PRE_QWEN2, 0, 0, 1},
    {"stablelm2", RM__PRE_QWEN2, 0, 0, 0},     {"deepseek-llm", RM__PRE_DSLLM, 0, 0, 0},
    {"deepseek-coder", RM__PRE_DSCODER, 0, 0, 0}, {"falcon", RM__PRE_FALCON, 0, 0, 0},
    {"starcoder", RM__PRE_STARCODER, 0, 0, 0}, {"refact", RM__PRE_STARCODER, 0, 0, 0},
    {"command-r", RM__PRE_STARCODER, 0, 0, 0}};

/* Reads an optional token-id key into *id: absent keeps the default, out of range fails. */
static rm_result rm__vocab_id_key(rm_vocab *v, const rm_gguf *g, const char *key, int32_t *id) {
    int64_t x;
    rm_result r = rm_gguf_get_int(g, key, &x);
    if (r == RM_ERR_NOT_FOUND) return RM_OK;
    if (r != RM_OK)
        return rm__fail(v->err, sizeof(v->err), RM_ERR_VOCAB, "vocab: %s is not an integer (%s)", key, rm_result_name(r));
    if (x < 0 || x >= v->n)
        return rm__fail(v->err, sizeof(v->err), RM_ERR_VOCAB, "vocab: %s = %lld is outside the %ld tokens", key,
                        (long long)x, (long)v->n);
    *id = (int32_t)x;
    return RM_OK;
}

static rm_result rm__vocab_bool_key(rm_vocab *v, const rm_gguf *g, const char *key, int *flag) {
    int b;
    rm_result r = rm_gguf_get_bool(g, key, &b);
    if (r == RM_ERR_NOT_FOUND) return RM_OK;
    if (r != RM_OK) return rm__fail(v->err, sizeof(v->err), RM_ERR_VOCAB, "vocab: %s is not a bool", key);
    *flag = b;
    return RM_OK;
}

static rm_result rm__vocab_parse(rm_vocab *v, const rm_gguf *g) {
    char *err = v->err;
    size_t ec = sizeof(v->err), i;
    int64_t ktok, kscore, ktype;
    rm_gguf_type et;
    uint64_t n, ns;
    const void *data;
    rm_result r;

    if (!g || rm_gguf_status(g) != RM_OK) return rm__fail(err, ec, RM_ERR_INVALID_ARG, "vocab: the GGUF file did not open");
    r = rm_gguf_get_str(g, "tokenizer.ggml.model", &v->model_name);
    if (r != RM_OK) return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.model is missing or not a string");
    if (rm__str_eq(v->model_name, "llama")) v->model = RM__VOCAB_SPM;
    else if (rm__str_eq(v->model_name, "gpt2")) v->model = RM__VOCAB_BPE;
    else
        return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: unsupported tokenizer model '%.*s' (rm.h reads 'llama' and 'gpt2')",
                        (int)RM__MIN(v->model_name.len, 64), v->model_name.ptr);
    if (rm_gguf_get_str(g, "tokenizer.ggml.pre", &v->pre_name) != RM_OK) {
        v->pre_name.ptr = "";
        v->pre_name.len = 0;
    }
    v->bos = v->eos = v->eot = v->unk = -1;
    if (v->model == RM__VOCAB_SPM) {
        /* llama.cpp's SentencePiece defaults; the pre-tokenizer name is not used */
        v->add_bos = 1;
        v->add_space_prefix = 1;
    } else {
        size_t k, found = 0;
        if (v->pre_name.len == 0) { v->pre_name.ptr = "default"; v->pre_name.len = 7; }
        for (k = 0; k < sizeof(rm__pre_names) / sizeof(rm__pre_names[0]); k++) {
            if (rm__str_eq(v->pre_name, rm__pre_names[k].name)) {
                v->pre = rm__pre_names[k].pre;
                v->ignore_merges = rm__pre_names[k].ignore_merges;
                v->add_bos = rm__pre_names[k].add_bos;
                v->nfc = rm__pre_names[k].nfc;
                found = 1;
                break;
            }
        }
        if (!found)
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: unsupported pre-tokenizer '%.*s' (tokenizer.ggml.pre)",
                            (int)RM__MIN(v->pre_name.len, 64), v->pre_name.ptr);
    }

    ktok = rm_gguf_find_key(g, "tokenizer.ggml.tokens");
    if (ktok < 0 || rm_gguf_kv_arr(g, ktok, &et, &n, NULL) != RM_OK || et != RM_GGUF_STRING)
        return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.tokens is missing or not an array of strings");
    if (n == 0 || n >= (uint64_t)INT32_MAX / 2)
        return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.tokens has %llu entries", (unsigned long long)n);
    v->n = (int32_t)n;
    v->text = (rm_str *)rm__calloc((size_t)n, sizeof(rm_str));
    v->score = (float *)rm__calloc((size_t)n, sizeof(float));
    v->type = (uint8_t *)rm__calloc((size_t)n, 1);
    v->hash_mask = rm__pow2_at_least(n) - 1;
    v->hash = (int32_t *)rm__calloc((size_t)v->hash_mask + 1, sizeof(int32_t));
    v->hash_h = (uint32_t *)rm__calloc((size_t)v->hash_mask + 1, sizeof(uint32_t));
    if (!v->text || !v->score || !v->type || !v->hash || !v->hash_h)
        return rm__fail(err, ec, RM_ERR_NOMEM, "vocab: out of memory for %llu tokens", (unsigned long long)n);

    kscore = rm_gguf_find_key(g, "tokenizer.ggml.scores");
    if (kscore >= 0) {
        if (rm_gguf_kv_arr(g, kscore, &et, &ns, &data) != RM_OK || (et != RM_GGUF_FLOAT32 && et != RM_GGUF_INT32))
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.scores is not an array of float32");
        if (ns != n)
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.scores has %llu entries for %llu tokens",
                            (unsigned long long)ns, (unsigned long long)n);
        for (i = 0; i < n; i++) {
            uint32_t u = rm__rd32((const uint8_t *)data + 4 * i);
            v->score[i] = et == RM_GGUF_FLOAT32 ? rm__f32_from_bits(u) : (float)(int32_t)u;
        }
    }
    ktype = rm_gguf_find_key(g, "tokenizer.ggml.token_type");
    if (ktype >= 0) {
        if (rm_gguf_kv_arr(g, ktype, &et, &ns, &data) != RM_OK || et != RM_GGUF_INT32)
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.token_type is not an array of int32");
        if (ns != n)
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.token_type has %llu entries for %llu tokens",
                            (unsigned long long)ns, (unsigned long long)n);
    }
    for (i = 0; i < n; i++) {
        uint64_t h, j;
        int32_t t = RM_TOKEN_NORMAL;
        if (ktype >= 0) {
            t = (int32_t)rm__rd32((const uint8_t *)data + 4 * i);
            if (t < RM_TOKEN_NORMAL || t > RM_TOKEN_BYTE) t = 0; /* undefined: used only by id */
        }
        v->type[i] = (uint8_t)t;
        rm_gguf_kv_arr_str(g, ktok, i, &v->text[i]);
        if (v->text[i].len == 0) continue; /* unreachable by text */
        h = rm__hash(v->text[i].ptr, v->text[i].len);
        for (j = h & v->hash_mask;; j = (j + 1) & v->hash_mask) {
            int32_t s = v->hash[j];
            if (!s) {
                v->hash[j] = (int32_t)i + 1;
                v->hash_h[j] = (uint32_t)(h >> 32);
                break;
            }
            if (v->text[s - 1].len == v->text[i].len && memcmp(v->text[s - 1].ptr, v->text[i].ptr, v->text[i].len) == 0)
                return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: token %ld has the same text as token %ld ('%.*s')", (long)i,
                                (long)(s - 1), (int)RM__MIN(v->text[i].len, 64), v->text[i].ptr);
        }
        if (t == RM_TOKEN_CONTROL || t == RM_TOKEN_USER_DEFINED || t == RM_TOKEN_UNKNOWN)
            if (!rm__trie_add(v, v->text[i].ptr, v->text[i].len, (int32_t)i))
                return rm__fail(err, ec, RM_ERR_NOMEM, "vocab: out of memory for the special-token table");
    }

    /* special tokens and flags */
    if (v->model == RM__VOCAB_SPM) {
        /* llama.cpp's defaults for SentencePiece files that name none */
        if (v->n > 1) v->bos = 1;
        if (v->n > 2) v->eos = 2;
        v->unk = 0;
    }
    if ((r = rm__vocab_id_key(v, g, "tokenizer.ggml.bos_token_id", &v->bos))) return r;
    if ((r = rm__vocab_id_key(v, g, "tokenizer.ggml.eos_token_id", &v->eos))) return r;
    if ((r = rm__vocab_id_key(v, g, "tokenizer.ggml.unknown_token_id", &v->unk))) return r;
    if ((r = rm__vocab_id_key(v, g, "tokenizer.ggml.eot_token_id", &v->eot))) return r;
    if (v->eot < 0) {
        static const char *const eot_names[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                                "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                                                "<\xEF\xBD\x9C\x65nd\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                                                "<end_of_utterance>"};
        size_t k;
        for (k = 0; k < sizeof(eot_names) / sizeof(eot_names[0]) && v->eot < 0; k++)
            v->eot = rm__vocab_lookup(v, eot_names[k], strlen(eot_names[k]));
    }
    if ((r = rm__vocab_bool_key(v, g, "tokenizer.ggml.add_bos_token", &v->add_bos))) return r;
    if ((r = rm__vocab_bool_key(v, g, "tokenizer.ggml.add_eos_token", &v->add_eos))) return r;
    if (v->model == RM__VOCAB_SPM)
        if ((r = rm__vocab_bool_key(v, g, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix))) return r;
    if (v->add_bos && v->bos < 0) v->add_bos = 0;
    if (v->add_eos && v->eos < 0) v->add_eos = 0;

    /* byte tokens */
    for (i = 0; i < 256; i++) {
        char s[8];
        size_t len;
        if (v->model == RM__VOCAB_SPM) {
            len = (size_t)snprintf(s, sizeof(s), "<0x%02X>", (unsigned)i);
            v->byte_tok[i] = rm__vocab_lookup(v, s, len);
            if (v->byte_tok[i] < 0) v->byte_tok[i] = v->unk;
        } else {
            len = rm__utf8_enc(rm__byte_cp((unsigned)i), (uint8_t *)s);
            v->byte_tok[i] = rm__vocab_lookup(v, s, len);
        }
    }

    /* merges: "left right" -> rank, keyed by the two token ids. Merges naming text that is not
       a token can never apply (Hugging Face refuses such files); they are skipped. */
    if (v->model == RM__VOCAB_BPE) {
        int64_t km = rm_gguf_find_key(g, "tokenizer.ggml.merges");
        uint64_t nm;
        if (km < 0 || rm_gguf_kv_arr(g, km, &et, &nm, NULL) != RM_OK || et != RM_GGUF_STRING)
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.merges is missing or not an array of strings");
        if (nm >= (uint64_t)INT32_MAX / 4)
            return rm__fail(err, ec, RM_ERR_VOCAB, "vocab: tokenizer.ggml.merges has %llu entries", (unsigned long long)nm);
        v->merge_mask = rm__pow2_at_least(nm) - 1;
        v->merges = (rm__merge_slot *)rm__calloc((size_t)v->merge_mask + 1, sizeof(rm__merge_slot));
        if (!v->merges) return rm__fail(err, ec, RM_ERR_NOMEM, "vocab: out of memory for %llu merges", (unsigned long long)nm);
        for (i = 0; i < nm; i++) {
            rm_str m;
            size_t sp;
            int32_t a, b, c;
            char buf[512];
            uint64_t key, j;
            rm_gguf_kv_arr_str(g, km, i, &m);
            for (sp = 1; sp < m.len && m.ptr[sp] != ' '; sp++) {}
            if (sp >= m.len || m.len > sizeof(buf)) continue;
            a = rm__vocab_lookup(v, m.ptr, sp);
            b = rm__vocab_lookup(v, m.ptr + sp + 1, m.len - sp - 1);
            memcpy(buf, m.ptr, sp);
            memcpy(buf + sp, m.ptr + sp + 1, m.len - sp - 1);
            c = rm__vocab_lookup(v, buf, m.len - 1);
            if (a < 0 || b < 0 || c < 0) continue;
            key = ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1);
            for (j = rm__mix64(key) & v->merge_mask;; j = (j + 1) & v->merge_mask) {
                if (v->merges[j].key == key) break; /* a repeated merge keeps its first rank */
                if (!v->merges[j].key) {
                    v->merges[j].key = key;
                    v->merges[j].rank = (int32_t)i;
                    v->merges[j].id = c;
                    break;
                }
            }
        }
    }
    return RM_OK;
}

RMDEF rm_result rm_vocab_load(const rm_gguf *g, rm_vocab **out) {
    rm_vocab *v;
    if (!out) return RM_ERR_INVALID_ARG;
    *out = NULL;
    v = (rm_vocab *)rm__calloc(1, sizeof(rm_vocab));
    if (!v) return RM_ERR_NOMEM;
    memset(v->trie_root, 0xFF, sizeof(v->trie_root));
    v->status = rm__vocab_parse(v, g);
    *out = v;
    return v->status;
}

RMDEF void rm_vocab_free(rm_vocab *v) {
    if (!v) return;
    RM_FREE(v->text);
    RM_FREE(v->score);
    RM_FREE(v->type);
    RM_FREE(v->hash);
    RM_FREE(v->hash_h);
    RM_FREE(v->merges);
    RM_FREE(v->trie);
    RM_FREE(v);
}

#define RM__VOK(v) ((v) && (v)->status == RM_OK)
RMDEF const char *rm_vocab_error(const rm_vocab *v) { return v ? v->err : "out of memory"; }
RMDEF rm_result rm_vocab_status(const rm_vocab *v) { return v ? v->status : RM_ERR_NOMEM; }
RMDEF rm_str rm_vocab_model(const rm_vocab *v) {
    rm_str s = {"", 0};
    return v ? v->model_name : s;
}
RMDEF rm_str rm_vocab_pre(const rm_vocab *v) {
    rm_str s = {"", 0};
    return RM__VOK(v) ? v->pre_name : s;
}
RMDEF int32_t rm_vocab_n_tokens(const rm_vocab *v) { return RM__VOK(v) ? v->n : 0; }
RMDEF int32_t rm_vocab_bos(const rm_vocab *v) { return RM__VOK(v) ? v->bos : -1; }
RMDEF int32_t rm_vocab_eos(const rm_vocab *v) { return RM__VOK(v) ? v->eos : -1; }
RMDEF int32_t rm_vocab_eot(const rm_vocab *v) { return RM__VOK(v) ? v->eot : -1; }
RMDEF int32_t rm_vocab_unk(const rm_vocab *v) { return RM__VOK(v) ? v->unk : -1; }
RMDEF int rm_vocab_add_bos(const rm_vocab *v) { return RM__VOK(v) ? v->add_bos : 0; }
RMDEF int rm_vocab_add_eos(const rm_vocab *v) { return RM__VOK(v) ? v->add_eos : 0; }
RMDEF rm_str rm_vocab_token_text(const rm_vocab *v, int32_t id) {
    rm_str s = {"", 0};
    return (RM__VOK(v) && id >= 0 && id < v->n) ? v->text[id] : s;
}
RMDEF int rm_vocab_token_type(const rm_vocab *v, int32_t id) {
    return (RM__VOK(v) && id >= 0 && id < v->n) ? v->type[id] : 0;
}
RMDEF int rm_vocab_is_control(const rm_vocab *v, int32_t id) { return rm_vocab_token_type(v, id) == RM_TOKEN_CONTROL; }
RMDEF int32_t rm_vocab_find(const rm_vocab *v, const char *text, size_t len) {
    if (!RM__VOK(v) || (!text && len)) return -1;
    return len ? rm__vocab_lookup(v, text, len) : -1;
}

/* ---- Per-call scratch ---------------------------------------------------------------------- */

typedef struct rm__sym {
    int32_t id;         /* BPE: current token id (-1 none, -2 merged away) */
    int32_t prev, next; /* neighbours in the list, -1 at the ends */
    uint32_t start, n;  /* SPM: bytes of the symbol in the escaped text (n = 0: merged away) */
} rm__sym;

typedef struct rm__bigram {
    float prio;       /* SPM: piece score; BPE: -rank. Higher first, then leftmost. */
    int32_t left, right;
    int32_t a, b;     /* SPM: the two lengths; BPE: the two ids, to detect stale entries */
} rm__bigram;

typedef struct rm__tok_ctx {
    const rm_vocab *v;
    int32_t *out;
    size_t cap, n;
    uint8_t *bytes; size_t bytes_cap;
    uint32_t *cp; size_t cp_cap;
    uint32_t *cp2; size_t cp2_cap;
    uint32_t *cp3; size_t cp3_cap;
    size_t *off; size_t off_cap;
    uint8_t *fl; size_t fl_cap;
    size_t *pa; size_t pa_cap;  /* pieces: pairs of code point indexes [start, end) */
    size_t *pb; size_t pb_cap;
    rm__sym *sym; size_t sym_cap;
    rm__bigram *heap; size_t heap_cap, heap_n;
} rm__tok_ctx;

/* Grows a scratch array to at least `need` elements; NULL (old block kept) when memory runs out. */
static void *rm__grow(void *p, size_t *cap, size_t need, size_t elem) {
    size_t nc = *cap ? *cap : 64;
    void *q;
    if (need <= *cap) return p;
    while (nc < need) {
        if (nc > SIZE_MAX / 4 / elem) return NULL;
        nc *= 2;
    }
    q = RM_REALLOC(p, nc * elem);
    if (q) *cap = nc;
    return q;
}
#define RM__GROW(ctx, field, need)                                                                   \
    do {                                                                                             \
        void *q_ = rm__grow((ctx)->field, &(ctx)->field##_cap, (need), sizeof(*(ctx)->field));      \
        if (!q_) return RM_ERR_NOMEM;                                                                \
        memcpy(&(ctx)->field, &q_, sizeof(q_));                                                      \
    } while (0)

static void rm__ctx_free(rm__tok_ctx *c) {
    RM_FREE(c->bytes); RM_FREE(c->cp); RM_FREE(c->cp2); RM_FREE(c->cp3); RM_FREE(c->off); RM_FREE(c->fl);
    RM_FREE(c->pa); RM_FREE(c->pb); RM_FREE(c->sym); RM_FREE(c->heap);
}

static void rm__emit(rm__tok_ctx *c, int32_t id) {
    if (c->n < c->cap) c->out[c->n] = id;
    c->n++;
}

static int rm__bigram_before(const rm__bigram *x, const rm__bigram *y) {
    return x->prio > y->prio || (x->prio == y->prio && x->left < y->left);
}

static rm_result rm__heap_push(rm__tok_ctx *c, const rm__bigram *b) {
    size_t i;
    RM__GROW(c, heap, c->heap_n + 1);
    i = c->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!rm__bigram_before(b, &c->heap[p])) break;
        c->heap[i] = c->heap[p];
        i = p;
    }
    c->heap[i] = *b;
    return RM_OK;
}

static rm__bigram rm__heap_pop(rm__tok_ctx *c) {
    rm__bigram top = c->heap[0], last = c->heap[--c->heap_n];
    size_t i = 0, n = c->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, best = l;
        if (l >= n) break;
        if (l + 1 < n && rm__bigram_before(&c->heap[l + 1], &c->heap[l])) best = l + 1;
        if (!rm__bigram_before(&c->heap[best], &last)) break;
        c->heap[i] = c->heap[best];
        i = best;
    }
    if (n) c->heap[i] = last;
    return top;
}

/* ---- SentencePiece BPE --------------------------------------------------------------------- */

static rm_result rm__spm_try(rm__tok_ctx *c, int32_t l, int32_t r) {
    const rm__sym *s = c->sym;
    rm__bigram b;
    int32_t id;
    if (l < 0 || r < 0) return RM_OK;
    id = rm__vocab_lookup(c->v, (const char *)c->bytes + s[l].start, s[l].n + s[r].n);
    if (!rm__tok_mergeable(c->v, id)) return RM_OK;
    b.prio = c->v->score[id];
    b.left = l;
    b.right = r;
    b.a = (int32_t)s[l].n;
    b.b = (int32_t)s[r].n;
    return rm__heap_push(c, &b);
}

/* One piece of raw text (no special tokens in it). */
static rm_result rm__spm_piece(rm__tok_ctx *c, const uint8_t *p, size_t len, int prefix) {
    const rm_vocab *v = c->v;
    size_t i, m = 0, ns = 0;
    int32_t k;
    rm_result r;
    if (len > (SIZE_MAX - 3) / 3 || len > UINT32_MAX / 4) return RM_ERR_LIMIT;
    RM__GROW(c, bytes, 3 * len + 3);
    if (prefix) { memcpy(c->bytes, "\xE2\x96\x81", 3); m = 3; }
    for (i = 0; i < len; i++) {
        if (p[i] == ' ') { memcpy(c->bytes + m, "\xE2\x96\x81", 3); m += 3; }
        else c->bytes[m++] = p[i];
    }
    RM__GROW(c, sym, m + 1);
    for (i = 0; i < m;) {
        size_t l;
        rm__utf8_dec(c->bytes + i, &l);
        c->sym[ns].start = (uint32_t)i;
        c->sym[ns].n = (uint32_t)l;
        c->sym[ns].prev = (int32_t)ns - 1;
        c->sym[ns].next = (int32_t)ns + 1;
        ns++;
        i += l;
    }
    if (!ns) return RM_OK;
    c->sym[ns - 1].next = -1;
    c->heap_n = 0;
    for (i = 1; i < ns; i++)
        if ((r = rm__spm_try(c, (int32_t)i - 1, (int32_t)i))) return r;
    while (c->heap_n) {
        rm__bigram b = rm__heap_pop(c);
        rm__sym *L = &c->sym[b.left], *R = &c->sym[b.right];
        if (L->n == 0 || R->n == 0 || (int32_t)L->n != b.a || (int32_t)R->n != b.b) continue;
        L->n += R->n;
        R->n = 0;
        L->next = R->next;
        if (R->next >= 0) c->sym[R->next].prev = b.left;
        if ((r = rm__spm_try(c, L->prev, b.left))) return r;
        if ((r = rm__spm_try(c, b.left, L->next))) return r;
    }
    for (k = 0; k >= 0; k = c->sym[k].next) {
        const rm__sym *s = &c->sym[k];
        int32_t id = rm__vocab_lookup(v, (const char *)c->bytes + s->start, s->n);
        if (rm__tok_mergeable(v, id)) rm__emit(c, id);
        else
            for (i = 0; i < s->n; i++) {
                int32_t bt = v->byte_tok[c->bytes[s->start + i]];
                if (bt >= 0) rm__emit(c, bt);
            }
    }
    return RM_OK;
}

/* ---- Pre-tokenizer matchers ----------------------------------------------------------------
   Each returns the length (in code points) of the match anchored at pos inside [pos, end), or
   0. *skip may be raised to let the scan jump over positions that cannot start a match. */

typedef struct rm__pt {
    const uint32_t *cp;
    const uint8_t *fl;
} rm__pt;

typedef size_t (*rm__matcher)(const rm__pt *t, size_t pos, size_t end, size_t *skip);

#define RM__OTHER(f) (!((f) & (RM__UF_W | RM__UF_L | RM__UF_N)))

static size_t rm__run(const rm__pt *t, size_t pos, size_t end, unsigned mask) {
    size_t i = pos;
    while (i < end && (t->fl[i] & mask)) i++;
    return i - pos;
}
static size_t rm__run_other(const rm__pt *t, size_t pos, size_t end) {
    size_t i = pos;
    while (i < end && RM__OTHER(t->fl[i])) i++;
    return i - pos;
}

/* 's|'t|'re|'ve|'m|'ll|'d, ASCII case-insensitive when ci */
static size_t rm__m_contraction(const rm__pt *t, size_t pos, size_t end, int ci) {
    uint32_t a, b;
    if (t->cp[pos] != '\'' || pos + 1 >= end) return 0;
    a = t->cp[pos + 1];
    if (ci && a >= 'A' && a <= 'Z') a += 32;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (pos + 2 >= end) return 0;
    b = t->cp[pos + 2];
    if (ci && b >= 'A' && b <= 'Z') b += 32;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* \s+(?!\S)|\s+ : a whitespace run, less its last character when a non-space follows */
static size_t rm__m_spaces(const rm__pt *t, size_t pos, size_t end) {
    size_t k = rm__run(t, pos, end, RM__UF_W);
    if (k > 1 && pos + k < end) return k - 1;
    return k;
}

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t rm__m_gpt2(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    size_t k, sp;
    unsigned f;
    RM__UNUSED(skip);
    if ((k = rm__m_contraction(t, pos, end, 0))) return k;
    sp = (t->cp[pos] == ' ' && pos + 1 < end) ? 1 : 0;
    f = t->fl[pos + sp];
    if (f & RM__UF_L) return sp + rm__run(t, pos + sp, end, RM__UF_L);
    if (f & RM__UF_N) return sp + rm__run(t, pos + sp, end, RM__UF_N);
    if (RM__OTHER(f)) return sp + rm__run_other(t, pos + sp, end);
    return rm__m_spaces(t, pos, end);
}

/* Llama 3 (maxn 3) and Qwen2 (maxn 1):
   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxn}| ?[^\s\p{L}\p{N}]+[\r\n]*|
   \s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t rm__m_llama3_n(const rm__pt *t, size_t pos, size_t end, size_t maxn) {
    size_t k, sp, i, last_nl = 0;
    uint32_t c = t->cp[pos];
    unsigned f = t->fl[pos];
    if ((k = rm__m_contraction(t, pos, end, 1))) return k;
    if (f & RM__UF_L) return rm__run(t, pos, end, RM__UF_L);
    if (c != '\r' && c != '\n' && !(f & RM__UF_N) && pos + 1 < end && (t->fl[pos + 1] & RM__UF_L))
        return 1 + rm__run(t, pos + 1, end, RM__UF_L);
    if (f & RM__UF_N) return rm__run(t, pos, pos + maxn < end ? pos + maxn : end, RM__UF_N);
    sp = (c == ' ' && pos + 1 < end) ? 1 : 0;
    if (RM__OTHER(t->fl[pos + sp])) {
        i = pos + sp + rm__run_other(t, pos + sp, end);
        while (i < end && (t->cp[i] == '\r' || t->cp[i] == '\n')) i++;
        return i - pos;
    }
    for (i = pos; i < end && (t->fl[i] & RM__UF_W); i++)
        if (t->cp[i] == '\r' || t->cp[i] == '\n') last_nl = i + 1;
    if (last_nl) return last_nl - pos;
    return rm__m_spaces(t, pos, end);
}
static size_t rm__m_llama3(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_llama3_n(t, pos, end, 3);
}
static size_t rm__m_qwen2(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_llama3_n(t, pos, end, 1);
}

/* [\r\n] */
static size_t rm__m_crlf(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(end); RM__UNUSED(skip);
    return t->cp[pos] == '\r' || t->cp[pos] == '\n';
}
/* \s?\p{L}+ and \s?\p{P}+ */
static size_t rm__m_ws_class(const rm__pt *t, size_t pos, size_t end, unsigned mask) {
    size_t sp = ((t->fl[pos] & RM__UF_W) && !(t->fl[pos] & mask) && pos + 1 < end) ? 1 : 0;
    size_t k = rm__run(t, pos + sp, end, mask);
    return k ? sp + k : 0;
}
static size_t rm__m_ws_letters(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_ws_class(t, pos, end, RM__UF_L);
}
static size_t rm__m_ws_punct(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_ws_class(t, pos, end, RM__UF_P);
}
/* [一-龥ࠀ-一가-퟿]+ : U+4E00-9FA5, U+0800-4E00, U+AC00-D7FF */
static int rm__is_dscjk(uint32_t c) { return (c >= 0x800 && c <= 0x9FA5) || (c >= 0xAC00 && c <= 0xD7FF); }
static size_t rm__m_cjk(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    size_t i = pos;
    RM__UNUSED(skip);
    while (i < end && rm__is_dscjk(t->cp[i])) i++;
    return i - pos;
}
/* \p{N} and \p{N}+ */
static size_t rm__m_digit(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(end); RM__UNUSED(skip);
    return (t->fl[pos] & RM__UF_N) ? 1 : 0;
}
static size_t rm__m_digits(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__run(t, pos, end, RM__UF_N);
}
/* [0-9][0-9][0-9] */
static size_t rm__m_3digits(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    size_t i;
    RM__UNUSED(skip);
    if (end - pos < 3) return 0;
    for (i = 0; i < 3; i++)
        if (t->cp[pos + i] < '0' || t->cp[pos + i] > '9') return 0;
    return 3;
}
/* [\p{P}\$\+<=>\^~\|]+ (default) and the same with ` (falcon) */
static size_t rm__m_punct_sym(const rm__pt *t, size_t pos, size_t end, int backtick) {
    size_t i = pos;
    while (i < end) {
        uint32_t c = t->cp[i];
        if (!((t->fl[i] & RM__UF_P) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
              c == '~' || c == '|' || (backtick && c == '`')))
            break;
        i++;
    }
    return i - pos;
}
static size_t rm__m_punct_default(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_punct_sym(t, pos, end, 0);
}
static size_t rm__m_punct_falcon(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_punct_sym(t, pos, end, 1);
}
/* DeepSeek-LLM: \s?[A-Za-zµÀ-Ö...]+ (an explicit letter list) */
static int rm__is_dsletter(uint32_t c) {
    size_t lo = 0, hi = sizeof(rm__dsllm_letters) / sizeof(rm__dsllm_letters[0]) / 2;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < rm__dsllm_letters[2 * mid]) hi = mid;
        else if (c > rm__dsllm_letters[2 * mid + 1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}
/* DeepSeek-LLM: \s?[!-/:-~！-／：-～‘-‟　-。]+ */
static int rm__is_dspunct(uint32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x7E) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF5E) || (c >= 0x2018 && c <= 0x201F) || (c >= 0x3000 && c <= 0x3002);
}
static size_t rm__m_ws_pred(const rm__pt *t, size_t pos, size_t end, int (*pred)(uint32_t)) {
    size_t sp = ((t->fl[pos] & RM__UF_W) && !pred(t->cp[pos]) && pos + 1 < end) ? 1 : 0, i = pos + sp;
    while (i < end && pred(t->cp[i])) i++;
    return i > pos + sp ? i - pos : 0;
}
static size_t rm__m_ds_letters(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_ws_pred(t, pos, end, rm__is_dsletter);
}
static size_t rm__m_ds_punct(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    RM__UNUSED(skip);
    return rm__m_ws_pred(t, pos, end, rm__is_dspunct);
}
/* \s+$ : trailing whitespace of the piece */
static size_t rm__m_ws_end(const rm__pt *t, size_t pos, size_t end, size_t *skip) {
    size_t k = rm__run(t, pos, end, RM__UF_W);
    if (k && pos + k == end) return k;
    if (k > 1) *skip = k; /* no later start inside this run reaches the end either */
    return 0;
}

/* Splits every piece [pa[2i], pa[2i+1]) with one matcher, keeping the text between matches. */
static size_t rm__pt_stage(const rm__pt *t, const size_t *pa, size_t np, size_t *pb, rm__matcher m) {
    size_t i, nb = 0;
    for (i = 0; i < np; i++) {
        size_t s = pa[2 * i], e = pa[2 * i + 1], pos = s, gap = s;
        while (pos < e) {
            size_t skip = 1, k = m(t, pos, e, &skip);
            if (!k) { pos += skip; continue; }
            if (gap < pos) { pb[2 * nb] = gap; pb[2 * nb + 1] = pos; nb++; }
            pb[2 * nb] = pos;
            pb[2 * nb + 1] = pos + k;
            nb++;
            pos += k;
            gap = pos;
        }
        if (gap < e) { pb[2 * nb] = gap; pb[2 * nb + 1] = e; nb++; }
    }
    return nb;
}

static size_t rm__pre_stages(int pre, rm__matcher *st) {
    switch (pre) {
    case RM__PRE_GPT2: st[0] = rm__m_gpt2; return 1;
    case RM__PRE_LLAMA3: st[0] = rm__m_llama3; return 1;
    case RM__PRE_QWEN2: st[0] = rm__m_qwen2; return 1;
    case RM__PRE_DSLLM:
        st[0] = rm__m_crlf; st[1] = rm__m_ds_letters; st[2] = rm__m_ds_punct; st[3] = rm__m_ws_end;
        st[4] = rm__m_cjk; st[5] = rm__m_digits;
        return 6;
    case RM__PRE_DSCODER:
        st[0] = rm__m_crlf; st[1] = rm__m_ws_letters; st[2] = rm__m_ws_punct; st[3] = rm__m_cjk; st[4] = rm__m_digit;
        return 5;
    case RM__PRE_FALCON: st[0] = rm__m_punct_falcon; st[1] = rm__m_gpt2; st[2] = rm__m_3digits; return 3;
    case RM__PRE_STARCODER: st[0] = rm__m_digit; st[1] = rm__m_gpt2; return 2;
    default: st[0] = rm__m_punct_default; st[1] = rm__m_gpt2; st[2] = rm__m_digits; st[3] = rm__m_3digits; return 4;
    }
}

/* ---- Byte-level BPE ------------------------------------------------------------------------ */

static rm_result rm__bpe_try(rm__tok_ctx *c, int32_t l, int32_t r) {
    const rm__merge_slot *m;
    rm__bigram b;
    if (l < 0 || r < 0) return RM_OK;
    m = rm__merge_find(c->v, c->sym[l].id, c->sym[r].id);
    if (!m) return RM_OK;
    b.prio = -(float)m->rank;
    b.left = l;
    b.right = r;
    b.a = c->sym[l].id;
    b.b = c->sym[r].id;
    return rm__heap_push(c, &b);
}

static rm_result rm__bpe_word(rm__tok_ctx *c, const uint8_t *w, size_t n) {
    const rm_vocab *v = c->v;
    size_t i;
    int32_t k;
    rm_result r;
    if (v->ignore_merges) {
        size_t m = 0;
        int32_t id;
        RM__GROW(c, bytes, 2 * n);
        for (i = 0; i < n; i++) m += rm__utf8_enc(rm__byte_cp(w[i]), c->bytes + m);
        id = rm__vocab_lookup(v, (const char *)c->bytes, m);
        if (id >= 0) { rm__emit(c, id); return RM_OK; }
    }
    RM__GROW(c, sym, n);
    for (i = 0; i < n; i++) {
        c->sym[i].id = v->byte_tok[w[i]];
        c->sym[i].prev = (int32_t)i - 1;
        c->sym[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    c->heap_n = 0;
    for (i = 1; i < n; i++)
        if ((r = rm__bpe_try(c, (int32_t)i - 1, (int32_t)i))) return r;
    while (c->heap_n) {
        rm__bigram b = rm__heap_pop(c);
        rm__sym *L = &c->sym[b.left], *R = &c->sym[b.right];
        if (L->id != b.a || R->id != b.b || L->next != b.right) continue;
        L->id = rm__merge_find(v, b.a, b.b)->id;
        R->id = -2;
        L->next = R->next;
        if (R->next >= 0) c->sym[R->next].prev = b.left;
        if ((r = rm__bpe_try(c, L->prev, b.left))) return r;
        if ((r = rm__bpe_try(c, b.left, L->next))) return r;
    }
    for (k = 0; k >= 0; k = c->sym[k].next) {
        if (c->sym[k].id >= 0) rm__emit(c, c->sym[k].id);
        else if (v->unk >= 0) rm__emit(c, v->unk);
    }
    return RM_OK;
}

/* One piece of raw text: normalise, pre-tokenize, BPE each word. */
static rm_result rm__bpe_piece(rm__tok_ctx *c, const uint8_t *p, size_t len) {
    const rm_vocab *v = c->v;
    rm__matcher st[8];
    rm__pt t;
    size_t i, n = 0, ns, s, np;
    if (v->nfc) {
        int need = 0;
        for (i = 0; i < len; i++)
            if (p[i] >= 0xCC) { need = 1; break; } /* every code point below U+0300 is NFC-stable alone */
        if (need) {
            size_t m, k = 0;
            RM__GROW(c, cp, len);
            RM__GROW(c, cp2, 4 * len);
            RM__GROW(c, cp3, 4 * len);
            for (i = 0; i < len;) {
                size_t l;
                c->cp[n++] = rm__utf8_dec(p + i, &l);
                i += l;
            }
            m = rm__nfc(c->cp, n, c->cp2, c->cp3);
            RM__GROW(c, bytes, 4 * m);
            for (i = 0; i < m; i++) k += rm__utf8_enc(c->cp3[i], c->bytes + k);
            /* the word loop below reuses c->bytes only when ignore_merges is set (not for qwen2),
               so keep the normalised text in cp2's storage instead */
            RM__GROW(c, cp2, k / 4 + 1);
            memcpy(c->cp2, c->bytes, k);
            p = (const uint8_t *)c->cp2;
            len = k;
            n = 0;
        }
    }
    RM__GROW(c, cp, len + 1);
    RM__GROW(c, off, len + 1);
    RM__GROW(c, fl, len + 1);
    for (i = 0; i < len;) {
        size_t l;
        c->cp[n] = rm__utf8_dec(p + i, &l);
        c->fl[n] = (uint8_t)rm__ucp_flags(c->cp[n]);
        c->off[n++] = i;
        i += l;
    }
    c->off[n] = len;
    if (!n) return RM_OK;
    RM__GROW(c, pa, 2 * n + 2);
    RM__GROW(c, pb, 2 * n + 2);
    t.cp = c->cp;
    t.fl = c->fl;
    c->pa[0] = 0;
    c->pa[1] = n;
    np = 1;
    ns = rm__pre_stages(v->pre, st);
    for (s = 0; s < ns; s++) {
        size_t *tmp;
        np = rm__pt_stage(&t, c->pa, np, c->pb, st[s]);
        tmp = c->pa; c->pa = c->pb; c->pb = tmp;
        i = c->pa_cap; c->pa_cap = c->pb_cap; c->pb_cap = i;
    }
    for (i = 0; i < np; i++) {
        size_t a = c->off[c->pa[2 * i]], b = c->off[c->pa[2 * i + 1]];
        rm_result r = rm__bpe_word(c, p + a, b - a);
        if (r) return r;
    }
    return RM_OK;
}

/* ---- Entry points -------------------------------------------------------------------------- */

static rm_result rm__tokenize(rm__tok_ctx *c, const uint8_t *p, size_t len, int add_special, int parse_special) {
    const rm_vocab *v = c->v;
    size_t i, frag = 0;
    int prev_special = 1;
    rm_result r;
    for (i = 0; i < len;) {
        size_t l = rm__utf8_valid_len(p + i, len - i);
        if (!l) return RM_ERR_UTF8;
        i += l;
    }
    if (add_special && v->add_bos) rm__emit(c, v->bos);
    for (i = 0; i <= len;) {
        int32_t id = -1;
        size_t k = (i < len && v->trie_root[p[i]] >= 0) ? rm__trie_match(v, p + i, len - i, parse_special, &id) : 0;
        if (!k && i < len) { i++; continue; }
        if (frag < i) {
            if (v->model == RM__VOCAB_SPM) r = rm__spm_piece(c, p + frag, i - frag, v->add_space_prefix && prev_special);
            else r = rm__bpe_piece(c, p + frag, i - frag);
            if (r) return r;
            prev_special = 0;
        }
        if (!k) break;
        rm__emit(c, id);
        prev_special = 1;
        i += k;
        frag = i;
    }
    if (add_special && v->add_eos) rm__emit(c, v->eos);
    return RM_OK;
}

RMDEF rm_result rm_tokenize(const rm_vocab *v, const char *text, size_t len, int add_special, int parse_special,
                            int32_t *out, size_t cap, size_t *n_out) {
    rm__tok_ctx c;
    rm_result r;
    if (n_out) *n_out = 0;
    if (!RM__VOK(v) || !n_out || (!text && len) || (!out && cap)) return RM_ERR_INVALID_ARG;
    memset(&c, 0, sizeof(c));
    c.v = v;
    c.out = out;
    c.cap = cap;
    r = rm__tokenize(&c, (const uint8_t *)text, len, add_special, parse_special);
    rm__ctx_free(&c);
    if (r) return r;
    *n_out = c.n;
    return c.n > cap ? RM_ERR_LIMIT : RM_OK;
}

static void rm__put_bytes(char *buf, size_t cap, size_t *n, const void *s, size_t len) {
    if (*n < cap) memcpy(buf + *n, s, RM__MIN(len, cap - *n));
    *n += len;
}

RMDEF rm_result rm_detokenize(const rm_vocab *v, const int32_t *ids, size_t n, char *buf, size_t cap, size_t *n_out) {
    size_t i, o = 0;
    if (n_out) *n_out = 0;
    if (!RM__VOK(v) || !n_out || (!ids && n) || (!buf && cap)) return RM_ERR_INVALID_ARG;
    for (i = 0; i < n; i++) {
        int32_t id = ids[i];
        rm_str t;
        int type;
        if (id < 0 || id >= v->n) return RM_ERR_INVALID_ARG;
        t = v->text[id];
        type = v->type[id];
        if (type == RM_TOKEN_BYTE && v->model == RM__VOCAB_SPM && t.len == 6 && memcmp(t.ptr, "<0x", 3) == 0) {
            uint8_t b = (uint8_t)strtol(t.ptr + 3, NULL, 16);
            rm__put_bytes(buf, cap, &o, &b, 1);
        } else if (type == RM_TOKEN_CONTROL || type == RM_TOKEN_UNKNOWN ||
                   (type == RM_TOKEN_USER_DEFINED && v->model == RM__VOCAB_BPE)) {
            rm__put_bytes(buf, cap, &o, t.ptr, t.len);
        } else if (v->model == RM__VOCAB_SPM) {
            size_t j = 0;
            /* the dummy prefix the tokenizer added to the first piece */
            if (o == 0 && v->add_space_prefix && t.len >= 3 && memcmp(t.ptr, "\xE2\x96\x81", 3) == 0) j = 3;
            for (; j < t.len; j++) {
                if (j + 3 <= t.len && memcmp(t.ptr + j, "\xE2\x96\x81", 3) == 0) {
                    rm__put_bytes(buf, cap, &o, " ", 1);
                    j += 2;
                } else rm__put_bytes(buf, cap, &o, t.ptr + j, 1);
            }
        } else {
            const uint8_t *s = (const uint8_t *)t.ptr;
            size_t j, l;
            for (j = 0; j < t.len; j += l) {
                uint32_t cp;
                uint8_t b = 0;
                unsigned k;
                int found = 0;
                l = rm__utf8_valid_len(s + j, t.len - j);
                if (!l) { l = 1; rm__put_bytes(buf, cap, &o, s + j, 1); continue; }
                cp = rm__utf8_dec(s + j, &l);
                if (cp < 0x100 && rm__byte_cp(cp) == cp) { b = (uint8_t)cp; found = 1; }
                else if (cp >= 0x100 && cp < 0x144)
                    for (k = 0; k < 256 && !found; k++)
                        if (rm__byte_cp(k) == cp) { b = (uint8_t)k; found = 1; }
                if (found) rm__put_bytes(buf, cap, &o, &b, 1);
                else rm__put_bytes(buf, cap, &o, s + j, l);
            }
        }
    }
    if (o < cap) buf[o] = 0;
    *n_out = o;
    return o > cap ? RM_ERR_LIMIT : RM_OK;
}

static double rm__tok_now(void) {
#if defined(_WIN32)
    LARGE_INTEGER f, t;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)f.QuadPart;
#elif defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

RMDEF rm_result rm_tokenize_speed(const rm_vocab *v, const char *text, size_t len, int repeat, double *seconds,
                                  size_t *n_tokens) {
    int32_t *ids = NULL;
    size_t cap = 0, n = 0;
    double best = -1.0;
    int it;
    rm_result r = rm_tokenize(v, text, len, 0, 0, NULL, 0, &n);
    if (r != RM_OK && r != RM_ERR_LIMIT) return r;
    cap = n ? n : 1;
    ids = (int32_t *)rm__calloc(cap, sizeof(int32_t));
    if (!ids) return RM_ERR_NOMEM;
    for (it = 0; it < (repeat > 0 ? repeat : 1); it++) {
        double t0 = rm__tok_now(), dt;
        r = rm_tokenize(v, text, len, 0, 0, ids, cap, &n);
        dt = rm__tok_now() - t0;
        if (r) break;
        if (best < 0 || dt < best) best = dt;
    }
    RM_FREE(ids);
    if (seconds) *seconds = best;
    if (n_tokens) *n_tokens = n;
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* 8. Chat templates                                                                        */
/* ---------------------------------------------------------------------------------------- */
/* Each family below is a transcription of its Jinja template for string contents, written
   from the template's semantics (Jinja2 as transformers configures it: trim_blocks and
   lstrip_blocks on, so block tags leave no newlines). The comment before each renderer
   names the template text it follows. Output goes through rm__chat_out, which keeps counting
   past the end of the caller's buffer so that one call reports the size needed. */

static const char *const rm__chat_names[RM_CHAT_COUNT] = {
    "auto", "none", "chatml", "qwen2", "qwen2.5", "qwen3", "llama2", "llama3", "llama3-legacy", "llama3.1",
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
        for (i = RM_CHAT_NONE + 1; i < RM_CHAT_COUNT; i++) {
            int k = snprintf(names + used, sizeof(names) - used, "%s%s", i > RM_CHAT_NONE + 1 ? ", " : "", rm__chat_names[i]);
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
    /* RM_CHAT_AUTO names no template: only a scorer can resolve it */
    if (!n_out || (!buf && cap) || (!msgs && n_msgs) || tmpl <= RM_CHAT_AUTO || tmpl >= RM_CHAT_COUNT) return RM_ERR_INVALID_ARG;
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
    s.f = rm__fopen(tmp, "wb");
    if (!s.f) {
        e = rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot create '%s'", tmp);
        RM_FREE(tmp);
        return e;
    }
    setvbuf(s.f, NULL, _IOFBF, 1 << 20);
    e = rm__w_emit(w, &s, path);
    if (fclose(s.f) != 0 && e == RM_OK)
        e = rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot finish writing '%s' (disk full?)", tmp);
    if (e == RM_OK && rm__rename_over(tmp, path) != 0)
        e = rm__fail(w->err, sizeof(w->err), RM_ERR_IO, "gguf writer: cannot rename '%s' to '%s'", tmp, path);
    if (e != RM_OK) rm__remove(tmp);
    else w->err[0] = 0;
    RM_FREE(tmp);
    return e;
}

/* ---------------------------------------------------------------------------------------- */
/* 10. Kernels: matrix products and element-wise                                           */
/* ---------------------------------------------------------------------------------------- */

/* A weight matrix in the mapping: rows of n_in elements (ggml's ne[0]), n_out rows. */
typedef struct rm__mat {
    const void *data;
    int type;
    int64_t n_in, n_out;
    size_t row_bytes;
} rm__mat;

/* Y[t][j] = sum_i W[j][i] * X[t][i], the product behind every projection of the forward pass.
   The scalar rm__matmul_ref below is the definition and the test oracle; the SIMD kernels
   compute the same product faster: AVX-512 and AVX2 + FMA on x86-64 (compiled with target
   attributes, so that a build without -march flags still has them), each instruction set a
   row of one dispatch table (rm__kernel_tables) that a context picks at rm_ctx_new from cpuid
   (__builtin_cpu_supports, which also checks that the OS saves the ymm/zmm state) or RM_ISA.
   One driver per product (rm__gemm_f_drv, rm__gemm_q_drv) packs the operands and deals the
   work to the threads for every instruction set; the table gives it the packing functions and
   micro-kernels. RM_NO_SIMD, another CPU or another compiler: the reference runs.

   Both paths are register-blocked outer products. Weights are decoded once per call, a panel
   of 32 output rows at a time, into a buffer laid out k-major ([k][32 rows]), so that one
   64-byte load gives 16 rows of one input column; activations are repacked once per call into
   blocks of MR tokens ([k][MR]), so that the MR broadcasts of a step sit at fixed offsets of
   one pointer. The micro-kernel keeps MR x 32 sums in registers over the whole row length.

   - F32 weights, F16 weights at RM_PRECISION_AUTO, and F16/BF16 weights at RM_PRECISION_F32:
     float32 activations and FMA
     (MR = 12: 24 accumulators). F16/BF16 decode exactly to float, so the only difference from
     the reference is the order of the float additions.
   - BF16 weights at RM_PRECISION_AUTO, F16/BF16 weights at RM_PRECISION_BF16: activations, and F16 weights, rounded
     to bfloat16 and multiplied with vdpbf16ps (AVX512-BF16: pairs of bf16 products, exact in
     float, summed into each float lane), twice the multiplies per instruction of float FMA;
     the same 12 x 32 blocking over k pairs. The reference with bf16 = 1 rounds the same
     operands, so again only the order of float additions differs. Without AVX512-BF16 the
     float kernel runs on the rounded operands: the same numbers on every CPU.
   - Quantized weights (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS): the
     activations are quantized to int16 in blocks of 32 (scale amax/32767, round to nearest)
     and multiplied with vpdpwssd (AVX512-VNNI: 2 products of int16 pairs summed into each
     int32 lane), twice the multiplies per instruction of float FMA. int8 activations, as
     llama.cpp uses, would be twice as fast again but move the last hidden state by ~1.5e-2
     relative on the conformance models (the suite allows 1e-3); int16 rounding is 256 times
     finer and stays within float noise. Every weight type is first decoded to one form: per
     sub-block of BS = 32 (16 for Q2_K, Q3_K, Q6_K) elements of a row, integer levels q (here
     -128..255), a float scale s and, for the types with a minimum, a float m, such that
     w = s * q + m. With x_i = dx * p_i over a sub-block,
         sum_i w_i x_i = s * dx * sum_i q_i p_i + m * dx * sum_i p_i,
     so the inner loop is integer and each sub-block ends with a few float operations. */

/* Windows: gcc there does not align the stack beyond 16 bytes (its bug 54412), yet moves the
   __m256/__m512 values it spills with the aligned vmovaps, which then faults (seen in the
   AVX-512 softmax under wine). binutils >= 2.38 can assemble every such move as its unaligned
   twin (-Wa,-muse-unaligned-vector-move, no slower on aligned data); the header cannot see
   assembler options, so with gcc the kernels are on only when RM_UNALIGNED_VECTOR_MOVE says
   the build passes that flag, and the scalar code runs otherwise. clang aligns the stack and
   needs nothing. MSVC itself (no GNU target attributes) runs the scalar code. */
#if !defined(RM_NO_SIMD) && (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__)) && \
    (!defined(_WIN32) || defined(__clang__) || defined(RM_UNALIGNED_VECTOR_MOVE))
#define RM__KERNELS_X86 1
/* g++ 12 reports the intrinsics' deliberately undefined pass-through operands as
   (maybe-)uninitialized (GCC bug 105593); the push must come before the header. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#include <cpuid.h>
#else
#define RM__KERNELS_X86 0
#endif

/* Loops with less work than this many elements (products: 16 times as many multiply-adds)
   run on one thread: a fork/join costs microseconds, and far more when the cores are shared
   with other busy processes. */
#define RM__PAR_MIN 32768

/* Threads for a product of K x N weights over T tokens: one below RM__PAR_MIN * 16
   multiply-adds, else all of the pool's. */
static int rm__gemm_threads(const rm__pool *tp, int64_t K, int64_t N, int64_t T) {
    return (double)K * (double)N * (double)T >= (double)RM__PAR_MIN * 16 ? rm__pool_threads(tp) : 1;
}

/* ARM64 NEON kernels (their section below). */
#if !defined(RM_NO_SIMD) && defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define RM__KERNELS_NEON 1
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#else
#define RM__KERNELS_NEON 0
#endif
/* Some SIMD kernels are compiled in: the portable parts they share are needed. */
#define RM__KERNELS_ANY (RM__KERNELS_X86 || RM__KERNELS_NEON)

#if RM__KERNELS_ANY

/* Tokens per register block of the float and the integer micro-kernels, and rows per panel. */
#define RM__FMR 12
#define RM__QMR 6
#define RM__NR 32

/* 64-byte aligned view of a malloc'ed block (the block itself is freed). */
static void *rm__align64(void *p) { return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

#endif /* RM__KERNELS_ANY */

#if RM__KERNELS_X86

#define RM__TGT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c,avx2")))
#define RM__TGT_AVX2 __attribute__((target("avx2,fma,f16c")))
#define RM__TGT_AVXVNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

static int rm__cpu_avx512f(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
static int rm__cpu_avx512vnni(void) { return rm__cpu_avx512f() && __builtin_cpu_supports("avx512vnni"); }

/* ---- float path ---- */

/* 16 consecutive elements of a float-type row, as floats. */
RM__TGT_AVX512 static __m512 rm__load16_f(int type, const uint8_t *p) {
    if (type == RM_TYPE_F32) return _mm512_loadu_ps((const float *)(const void *)p);
    if (type == RM_TYPE_F16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)p)), 16));
}

/* In-register transpose of 16 rows of 16 floats. */
RM__TGT_AVX512 static void rm__transpose16(__m512 *r) {
    __m512 t[16];
    int i;
    for (i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (i = 0; i < 4; i++) {
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[4 * i]), _mm512_castps_pd(t[4 * i + 2])));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[4 * i]), _mm512_castps_pd(t[4 * i + 2])));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[4 * i + 1]), _mm512_castps_pd(t[4 * i + 3])));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[4 * i + 1]), _mm512_castps_pd(t[4 * i + 3])));
    }
    /* r[4i + c] now holds, for rows 4i..4i+3, column c of each 128-bit lane */
    for (i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);      /* lanes 0, 2 of rows 0-3 and 4-7 */
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xDD);  /* lanes 1, 3 */
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xDD);
    }
    for (i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);          /* lane 0 */
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xDD);      /* lane 2 */
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88); /* lane 1 */
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xDD);/* lane 3 */
    }
}

/* x rounded to the nearest bfloat16 (ties to even; NaN stays NaN), as a float: what the bf16
   precision does to activations and F16 weights (rm__fp32_to_bf16 element by element). */
RM__TGT_AVX512 static __m512 rm__round_bf16_v(__m512 x) {
    const __m512i u = _mm512_castps_si512(x);
    const __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff),
                                                         _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1))));
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    const __m512i m = _mm512_set1_epi32((int)0xffff0000u);
    return _mm512_castsi512_ps(_mm512_mask_or_epi32(_mm512_and_si512(r, m), nan, _mm512_and_si512(u, m), _mm512_set1_epi32(0x00400000)));
}

/* Decodes rows j0..j0+31 of W (zeros past n_out) into wp[k][32]: 16 x 16 tiles transposed in
   registers, the ragged edges element by element. rnd: F16 weights rounded to bfloat16. */
RM__TGT_AVX512 static void rm__pack_f_panel(const rm__mat *W, int64_t j0, float *wp, int rnd) {
    const int64_t K = W->n_in, K16 = K & ~(int64_t)15;
    const size_t esz = W->type == RM_TYPE_F32 ? 4 : 2;
    const uint8_t *base = (const uint8_t *)W->data;
    int64_t h, j, k;
    for (h = 0; h < RM__NR; h += 16) {
        const int64_t nr = RM__MAX(0, RM__MIN(16, W->n_out - (j0 + h)));
        if (nr == 16) {
            for (k = 0; k < K16; k += 16) {
                __m512 r[16];
                int i;
                for (i = 0; i < 16; i++) {
                    const uint8_t *q = base + (size_t)(j0 + h + i) * W->row_bytes + (size_t)k * esz;
                    if (k + 256 < K16) _mm_prefetch((const char *)q + 256 * esz, _MM_HINT_T0);
                    r[i] = rm__load16_f(W->type, q);
                }
                rm__transpose16(r);
                for (i = 0; i < 16; i++) _mm512_store_ps(wp + (k + i) * RM__NR + h, rnd ? rm__round_bf16_v(r[i]) : r[i]);
            }
        } else {
            for (k = 0; k < K16; k++)
                for (j = 0; j < 16; j++) wp[k * RM__NR + h + j] = 0.0f;
            for (j = 0; j < nr; j++) {
                const uint8_t *p = base + (size_t)(j0 + h + j) * W->row_bytes;
                for (k = 0; k < K16; k += 16) {
                    float tmp[16];
                    int i;
                    _mm512_storeu_ps(tmp, rm__load16_f(W->type, p + (size_t)k * esz));
                    for (i = 0; i < 16; i++) wp[(k + i) * RM__NR + h + j] = rnd ? rm__round_bf16(tmp[i]) : tmp[i];
                }
            }
        }
        for (j = 0; j < 16; j++) {
            const uint8_t *p = base + (size_t)(j0 + h + j) * W->row_bytes;
            for (k = K16; k < K; k++) {
                float v = 0.0f;
                if (j < nr) {
                    if (W->type == RM_TYPE_F32) memcpy(&v, p + 4 * k, 4);
                    else if (W->type == RM_TYPE_F16) v = rm__fp16_to_fp32(rm__rd16(p + 2 * k));
                    else v = rm__bf16_to_fp32(rm__rd16(p + 2 * k));
                }
                wp[k * RM__NR + h + j] = rnd ? rm__round_bf16(v) : v;
            }
        }
    }
}

#define RM__FROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define RM__F_DECL(r) __m512 a##r = _mm512_setzero_ps(), b##r = _mm512_setzero_ps();
#define RM__F_STEP(r)                                                                                                \
    x = _mm512_set1_ps(xk[r]);                                                                                       \
    a##r = _mm512_fmadd_ps(w0, x, a##r);                                                                             \
    b##r = _mm512_fmadd_ps(w1, x, b##r);
#define RM__F_STORE(r)                                                                                               \
    if (r < rows) {                                                                                                  \
        _mm512_mask_storeu_ps(Y + r * ldy, m0, a##r);                                                                \
        _mm512_mask_storeu_ps(Y + r * ldy + 16, m1, b##r);                                                           \
    }

/* 12 tokens (xp: [K][12]) x 32 rows (wp: [K][32]) into Y; rows/cols: how many are real. */
RM__TGT_AVX512 static void rm__f_kernel(int64_t K, const float *xp, const float *wp, float *Y, int64_t ldy, int rows,
                                        int cols) {
    const __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    const __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    int64_t k;
    RM__FROWS(RM__F_DECL)
    for (k = 0; k < K; k++) {
        const float *xk = xp + k * RM__FMR;
        const __m512 w0 = _mm512_load_ps(wp + k * RM__NR), w1 = _mm512_load_ps(wp + k * RM__NR + 16);
        __m512 x;
        RM__FROWS(RM__F_STEP)
    }
    RM__FROWS(RM__F_STORE)
}

/* ---- bfloat16 path (F16/BF16 weights at RM_PRECISION_BF16) ---- */

/* vdpbf16ps multiplies pairs: lane i holds elements 2i and 2i+1 (the lower in the low half), the
   products exact in float, the sums rounded to float. Panels are wp[k/2][32] pairs of 32 rows,
   activations xp[k/2][12] pairs of 12 tokens: the float kernel's shape with two k per step. */
#define RM__TGT_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,fma,f16c,avx2")))

static int rm__cpu_avx512bf16(void) { return rm__cpu_avx512f() && __builtin_cpu_supports("avx512bf16"); }

/* 32 consecutive elements of an F16 or BF16 row as 16 bf16 pairs. */
RM__TGT_BF16 static __m512 rm__load32_bf(int type, const uint8_t *p) {
    if (type == RM_TYPE_BF16) return _mm512_loadu_ps((const float *)(const void *)p);
    return _mm512_castsi512_ps((__m512i)_mm512_cvtne2ps_pbh(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32))),
                                                          _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)p))));
}

static uint32_t rm__bf16_pair(float lo, float hi) {
    return (uint32_t)rm__fp32_to_bf16(lo) | (uint32_t)rm__fp32_to_bf16(hi) << 16;
}

/* Rows j0..j0+31 of W (zeros past n_out, and past n_in in the last pair) into wp[k/2][32]. */
RM__TGT_BF16 static void rm__pack_bf_panel(const rm__mat *W, int64_t j0, uint32_t *wp) {
    const int64_t K = W->n_in, K32 = K & ~(int64_t)31;
    const uint8_t *base = (const uint8_t *)W->data;
    int64_t h, j, k;
    for (h = 0; h < RM__NR; h += 16) {
        const int64_t nr = RM__MAX(0, RM__MIN(16, W->n_out - (j0 + h)));
        for (k = 0; k < K32; k += 32) {
            __m512 r[16];
            int i;
            /* the rows stream from memory, 16 at a time: without prefetching 256 elements
               ahead, this loop waits on the loads (measured: 5% of a whole forward pass) */
            for (i = 0; i < 16; i++) {
                const uint8_t *q = i < nr ? base + (size_t)(j0 + h + i) * W->row_bytes + (size_t)k * 2 : NULL;
                if (q && k + 256 < K32) _mm_prefetch((const char *)q + 512, _MM_HINT_T0);
                r[i] = q ? rm__load32_bf(W->type, q) : _mm512_setzero_ps();
            }
            rm__transpose16(r);
            for (i = 0; i < 16; i++) _mm512_store_ps((float *)(void *)(wp + (k / 2 + i) * RM__NR + h), r[i]);
        }
        for (j = 0; j < 16; j++) {
            const uint8_t *p = j < nr ? base + (size_t)(j0 + h + j) * W->row_bytes : NULL;
            for (k = K32; k < K; k += 2) {
                float v[2] = {0.0f, 0.0f};
                int e;
                for (e = 0; e < 2 && p && k + e < K; e++)
                    v[e] = W->type == RM_TYPE_F16 ? rm__fp16_to_fp32(rm__rd16(p + 2 * (k + e))) : rm__bf16_to_fp32(rm__rd16(p + 2 * (k + e)));
                wp[(k / 2) * RM__NR + h + j] = rm__bf16_pair(v[0], v[1]);
            }
        }
    }
}

/* One token's activations as bf16 pairs into dst[(k/2) * 12] (a column of the xp block). A
   function of its own: it needs the avx512bf16 target, which its caller lacks. */
RM__TGT_BF16 static void rm__pack_bf_x(const float *src, int64_t K, uint32_t *dst) {
    const int64_t K32 = K & ~(int64_t)31;
    int64_t k;
    for (k = 0; k < K32; k += 32) {
        uint32_t tmp[16];
        int i;
        _mm512_storeu_si512((void *)tmp, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k)));
        for (i = 0; i < 16; i++) dst[(k / 2 + i) * RM__FMR] = tmp[i];
    }
    for (; k < K; k += 2) dst[(k / 2) * RM__FMR] = rm__bf16_pair(src[k], k + 1 < K ? src[k + 1] : 0.0f);
}

#define RM__B_STEP(r)                                                                                                \
    x = (__m512bh)_mm512_set1_epi32((int)xk[r]);                                                                     \
    a##r = _mm512_dpbf16_ps(a##r, w0, x);                                                                            \
    b##r = _mm512_dpbf16_ps(b##r, w1, x);

/* 12 tokens (xp: [K/2][12] pairs) x 32 rows (wp: [K/2][32] pairs) into Y. */
RM__TGT_BF16 static void rm__bf_kernel(int64_t KP, const uint32_t *xp, const uint32_t *wp, float *Y, int64_t ldy, int rows,
                                       int cols) {
    const __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    const __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    int64_t k;
    RM__FROWS(RM__F_DECL)
    for (k = 0; k < KP; k++) {
        const uint32_t *xk = xp + k * RM__FMR;
        const __m512bh w0 = (__m512bh)_mm512_load_si512((const void *)(wp + k * RM__NR));
        const __m512bh w1 = (__m512bh)_mm512_load_si512((const void *)(wp + k * RM__NR + 16));
        __m512bh x;
        RM__FROWS(RM__B_STEP)
    }
    RM__FROWS(RM__F_STORE)
}

/* The float driver's entry points (rm__gemm_f_drv): how 0 float, 1 float on bf16-rounded
   operands (F16 weights rounded as they are packed), 2 vdpbf16ps on pairs. */
RM__TGT_AVX512 static void rm__f_pack_avx512(const rm__mat *W, int64_t j0, float *wp, int how) {
    if (how == 2) rm__pack_bf_panel(W, j0, (uint32_t *)(void *)wp);
    else rm__pack_f_panel(W, j0, wp, how == 1 && W->type == RM_TYPE_F16);
}
RM__TGT_AVX512 static void rm__f_kernel_avx512(int64_t KL, const float *xb, const float *wp, float *Y, int64_t ldy, int rows,
                                               int cols, int how) {
    if (how == 2)
        rm__bf_kernel(KL, (const uint32_t *)(const void *)xb, (const uint32_t *)(const void *)wp, Y, ldy, rows, cols);
    else
        rm__f_kernel(KL, xb, wp, Y, ldy, rows, cols);
}
#endif /* RM__KERNELS_X86 */

/* ---- integer path (quantized weights, int16 activations) ---- */

#if RM__KERNELS_ANY

/* How a weight type decodes: levels u (0..255) of which the value is s * (u - off) + m. */
typedef struct rm__qinfo {
    int bs;      /* elements per sub-block: 32 or 16 */
    int off;     /* subtracted from u when the panel is packed */
    int has_min; /* 1: m is used */
} rm__qinfo;

static int rm__qinfo_of(int type, rm__qinfo *qi) {
    qi->bs = 32;
    qi->has_min = 0;
    switch (type) {
    case RM_TYPE_Q8_0: case RM_TYPE_IQ4_NL: case RM_TYPE_IQ4_XS: qi->off = 128; return 1;
    case RM_TYPE_Q4_0: qi->off = 8; return 1;
    case RM_TYPE_Q5_0: qi->off = 16; return 1;
    case RM_TYPE_Q4_1: case RM_TYPE_Q5_1: case RM_TYPE_Q4_K: case RM_TYPE_Q5_K: qi->off = 0; qi->has_min = 1; return 1;
    case RM_TYPE_Q6_K: qi->bs = 16; qi->off = 32; return 1;
    case RM_TYPE_Q3_K: qi->bs = 16; qi->off = 4; return 1;
    case RM_TYPE_Q2_K: qi->bs = 16; qi->off = 0; qi->has_min = 1; return 1;
    default: return 0;
    }
}

/* Decodes one row of K elements to levels u[K], scales s[K/bs] and mins m[K/bs]. The layouts
   are those of the rm__dequant_* functions of section 6. */
static void rm__qrow_decode(int type, const uint8_t *p, int64_t K, uint8_t *u, float *s, float *m) {
    int64_t ib, nb;
    int j, k, l;
    switch (type) {
    case RM_TYPE_Q8_0:
        for (ib = 0, nb = K / 32; ib < nb; ib++, p += 34, u += 32) {
            s[ib] = rm__half(p);
            for (j = 0; j < 32; j++) u[j] = (uint8_t)(p[2 + j] ^ 0x80);
        }
        break;
    case RM_TYPE_Q4_0:
    case RM_TYPE_IQ4_NL:
        for (ib = 0, nb = K / 32; ib < nb; ib++, p += 18, u += 32) {
            s[ib] = rm__half(p);
            for (j = 0; j < 16; j++) {
                u[j] = (uint8_t)(p[2 + j] & 0xF);
                u[j + 16] = (uint8_t)(p[2 + j] >> 4);
            }
            if (type == RM_TYPE_IQ4_NL)
                for (j = 0; j < 32; j++) u[j] = (uint8_t)(rm__iq4nl_values[u[j]] + 128);
        }
        break;
    case RM_TYPE_Q4_1:
        for (ib = 0, nb = K / 32; ib < nb; ib++, p += 20, u += 32) {
            s[ib] = rm__half(p);
            m[ib] = rm__half(p + 2);
            for (j = 0; j < 16; j++) {
                u[j] = (uint8_t)(p[4 + j] & 0xF);
                u[j + 16] = (uint8_t)(p[4 + j] >> 4);
            }
        }
        break;
    case RM_TYPE_Q5_0:
    case RM_TYPE_Q5_1: {
        const int hdr = type == RM_TYPE_Q5_0 ? 2 : 4;
        const size_t bb = type == RM_TYPE_Q5_0 ? 22 : 24;
        for (ib = 0, nb = K / 32; ib < nb; ib++, p += bb, u += 32) {
            const uint32_t qh = rm__rd32(p + hdr);
            s[ib] = rm__half(p);
            if (type == RM_TYPE_Q5_1) m[ib] = rm__half(p + 2);
            for (j = 0; j < 16; j++) {
                u[j] = (uint8_t)((p[hdr + 4 + j] & 0xF) | (((qh >> j) & 1u) << 4));
                u[j + 16] = (uint8_t)((p[hdr + 4 + j] >> 4) | (((qh >> (j + 16)) & 1u) << 4));
            }
        }
        break;
    }
    case RM_TYPE_Q4_K:
    case RM_TYPE_Q5_K: {
        const size_t bb = type == RM_TYPE_Q4_K ? 144 : 176;
        for (ib = 0, nb = K / 256; ib < nb; ib++, p += bb, u += 256) {
            const float d = rm__half(p), dmin = rm__half(p + 2);
            const uint8_t *sc = p + 4, *qh = p + 16, *qs = p + (type == RM_TYPE_Q4_K ? 16 : 48);
            for (k = 0; k < 8; k++) {
                uint8_t a, b;
                rm__scale_min_k4(k, sc, &a, &b);
                s[8 * ib + k] = d * (float)a;
                m[8 * ib + k] = -dmin * (float)b;
            }
            for (k = 0; k < 4; k++)
                for (l = 0; l < 32; l++) {
                    u[64 * k + l] = (uint8_t)(qs[32 * k + l] & 0xF);
                    u[64 * k + 32 + l] = (uint8_t)(qs[32 * k + l] >> 4);
                }
            if (type == RM_TYPE_Q5_K)
                for (k = 0; k < 4; k++)
                    for (l = 0; l < 32; l++) {
                        u[64 * k + l] = (uint8_t)(u[64 * k + l] | (((qh[l] >> (2 * k)) & 1) << 4));
                        u[64 * k + 32 + l] = (uint8_t)(u[64 * k + 32 + l] | (((qh[l] >> (2 * k + 1)) & 1) << 4));
                    }
        }
        break;
    }
    case RM_TYPE_Q6_K:
        for (ib = 0, nb = K / 256; ib < nb; ib++, p += 210, u += 256) {
            const uint8_t *ql = p, *qh = p + 128;
            const float d = rm__half(p + 208);
            for (k = 0; k < 16; k++) s[16 * ib + k] = d * (float)(int8_t)p[192 + k];
            for (j = 0; j < 2; j++)
                for (l = 0; l < 32; l++) {
                    const uint8_t *a = ql + 64 * j, *h = qh + 32 * j;
                    uint8_t *o = u + 128 * j;
                    o[l] = (uint8_t)((a[l] & 0xF) | ((h[l] & 3) << 4));
                    o[l + 32] = (uint8_t)((a[l + 32] & 0xF) | (((h[l] >> 2) & 3) << 4));
                    o[l + 64] = (uint8_t)((a[l] >> 4) | (((h[l] >> 4) & 3) << 4));
                    o[l + 96] = (uint8_t)((a[l + 32] >> 4) | (((h[l] >> 6) & 3) << 4));
                }
        }
        break;
    case RM_TYPE_Q2_K:
    case RM_TYPE_Q3_K:
        for (ib = 0, nb = K / 256; ib < nb; ib++, u += 256) {
            if (type == RM_TYPE_Q2_K) {
                const float d = rm__half(p + 80), dmin = rm__half(p + 82);
                for (k = 0; k < 16; k++) {
                    s[16 * ib + k] = d * (float)(p[k] & 0xF);
                    m[16 * ib + k] = -dmin * (float)(p[k] >> 4);
                }
            } else {
                int sc[16];
                const float d = rm__half(p + 108);
                rm__q3_K_scales(p + 96, sc);
                for (k = 0; k < 16; k++) s[16 * ib + k] = d * (float)sc[k];
            }
            {
                const uint8_t *qs = p + (type == RM_TYPE_Q2_K ? 16 : 32), *hm = p;
                for (j = 0; j < 2; j++)
                    for (k = 0; k < 8; k++) {
                        const int shift = 2 * (k >> 1), o = 16 * (k & 1);
                        const uint8_t hb = (uint8_t)(1u << (4 * j + (k >> 1)));
                        uint8_t *dst = u + 128 * j + 16 * k;
                        for (l = 0; l < 16; l++) {
                            int v = (qs[32 * j + o + l] >> shift) & 3;
                            if (type == RM_TYPE_Q3_K && (hm[o + l] & hb)) v += 4;
                            dst[l] = (uint8_t)v;
                        }
                    }
            }
            p += type == RM_TYPE_Q2_K ? 84 : 110;
        }
        break;
    case RM_TYPE_IQ4_XS:
        for (ib = 0, nb = K / 256; ib < nb; ib++, p += 136, u += 256) {
            const float d = rm__half(p);
            const unsigned sh = rm__rd16(p + 2);
            for (k = 0; k < 8; k++) {
                const int ls = ((p[4 + k / 2] >> (4 * (k % 2))) & 0xF) | (int)(((sh >> (2 * k)) & 3u) << 4);
                const uint8_t *qs = p + 8 + 16 * k;
                s[8 * ib + k] = d * (float)(ls - 32);
                for (j = 0; j < 16; j++) {
                    u[32 * k + j] = (uint8_t)(rm__iq4nl_values[qs[j] & 0xF] + 128);
                    u[32 * k + 16 + j] = (uint8_t)(rm__iq4nl_values[qs[j] >> 4] + 128);
                }
            }
        }
        break;
    default: break;
    }
}

/* Decodes rows j0..j0+31 into the panel: wq [K/2][32 rows][2] int16 levels u - off, ws and
   wm [nsub][32]. u, s, m: one row of scratch. Rows past n_out are zero. */
static void rm__pack_q_panel(const rm__mat *W, const rm__qinfo *qi, int64_t j0, int16_t *wq, float *ws, float *wm,
                             uint8_t *u, float *s, float *m) {
    const int64_t K = W->n_in, nsub = K / qi->bs, np = K / 2;
    int64_t j, i;
    for (j = 0; j < RM__NR; j++) {
        if (j0 + j < W->n_out) {
            rm__qrow_decode(W->type, (const uint8_t *)W->data + (size_t)(j0 + j) * W->row_bytes, K, u, s, m);
            for (i = 0; i < np; i++) {
                wq[(i * RM__NR + j) * 2] = (int16_t)(u[2 * i] - qi->off);
                wq[(i * RM__NR + j) * 2 + 1] = (int16_t)(u[2 * i + 1] - qi->off);
            }
        } else {
            for (i = 0; i < nsub; i++) s[i] = m[i] = 0.0f;
            for (i = 0; i < np; i++) wq[(i * RM__NR + j) * 2] = wq[(i * RM__NR + j) * 2 + 1] = 0;
        }
        for (i = 0; i < nsub; i++) ws[i * RM__NR + j] = s[i];
        if (qi->has_min)
            for (i = 0; i < nsub; i++) wm[i * RM__NR + j] = m[i];
    }
}

#endif /* RM__KERNELS_ANY */

#if RM__KERNELS_X86
/* One chunk of ch elements of a row (256: the block of Q4_K and Q6_K, or 8 blocks of the 32-
   element types; 128: 4 of those) to levels u[ch], scales s and mins m, as rm__qrow_decode;
   Q4_K and Q6_K with AVX2. */
RM__TGT_AVX2 static void rm__qchunk_decode(int type, const uint8_t *p, int ch, uint8_t *u, float *s, float *m) {
    const __m256i lo4 = _mm256_set1_epi8(0x0F), b45 = _mm256_set1_epi8(0x30);
    int k;
    if (type == RM_TYPE_Q4_K) {
        const float d = rm__half(p), dmin = rm__half(p + 2);
        for (k = 0; k < 8; k++) {
            uint8_t a, b;
            rm__scale_min_k4(k, p + 4, &a, &b);
            s[k] = d * (float)a;
            m[k] = -dmin * (float)b;
        }
        for (k = 0; k < 4; k++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(p + 16 + 32 * k));
            _mm256_storeu_si256((__m256i *)(void *)(u + 64 * k), _mm256_and_si256(q, lo4));
            _mm256_storeu_si256((__m256i *)(void *)(u + 64 * k + 32), _mm256_and_si256(_mm256_srli_epi16(q, 4), lo4));
        }
    } else if (type == RM_TYPE_Q6_K) {
        const float d = rm__half(p + 208);
        for (k = 0; k < 16; k++) s[k] = d * (float)(int8_t)p[192 + k];
        for (k = 0; k < 2; k++) {
            const __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 64 * k));
            const __m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 64 * k + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)(p + 128 + 32 * k));
            uint8_t *o = u + 128 * k;
            _mm256_storeu_si256((__m256i *)(void *)o,
                                _mm256_or_si256(_mm256_and_si256(a0, lo4), _mm256_and_si256(_mm256_slli_epi16(h, 4), b45)));
            _mm256_storeu_si256((__m256i *)(void *)(o + 32),
                                _mm256_or_si256(_mm256_and_si256(a1, lo4), _mm256_and_si256(_mm256_slli_epi16(h, 2), b45)));
            _mm256_storeu_si256((__m256i *)(void *)(o + 64),
                                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a0, 4), lo4), _mm256_and_si256(h, b45)));
            _mm256_storeu_si256((__m256i *)(void *)(o + 96),
                                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(a1, 4), lo4),
                                                _mm256_and_si256(_mm256_srli_epi16(h, 2), b45)));
        }
    } else {
        rm__qrow_decode(type, p, ch, u, s, m);
    }
}

/* rm__pack_q_panel for K a multiple of ch (256, or 128 for the types of 32-element blocks):
   the 32 rows are decoded ch elements at a time into u (32 x 256 levels; s, m: 32 x 16), then
   moved to the panel by 16 x 16 transposes of dwords (pairs of int16). */
RM__TGT_AVX512 static void rm__pack_q_panel_ch(const rm__mat *W, const rm__qinfo *qi, int64_t j0, int ch, int16_t *wq,
                                               float *ws, float *wm, uint8_t *u, float *s, float *m) {
    const int64_t K = W->n_in, nch = K / ch;
    const int nsc = ch / qi->bs;
    const size_t cb = W->row_bytes / (size_t)nch;
    const __m512i off = _mm512_set1_epi16((short)qi->off);
    int64_t c;
    int j, i, jb, pb;
    for (c = 0; c < nch; c++) {
        for (j = 0; j < RM__NR; j++) {
            if (j0 + j < W->n_out) {
                const uint8_t *src = (const uint8_t *)W->data + (size_t)(j0 + j) * W->row_bytes + (size_t)c * cb;
                if (c + 1 < nch) /* the rows are far apart: fetch the next chunk while this one decodes */
                    for (i = 0; i < (int)cb; i += 64) _mm_prefetch((const char *)(src + cb + i), _MM_HINT_T0);
                rm__qchunk_decode(W->type, src, ch, u + 256 * j, s + 16 * j, m + 16 * j);
            } else {
                memset(u + 256 * j, qi->off, 256);
                for (i = 0; i < nsc; i++) s[16 * j + i] = m[16 * j + i] = 0.0f;
            }
            for (i = 0; i < nsc; i++) ws[(c * nsc + i) * RM__NR + j] = s[16 * j + i];
            if (qi->has_min)
                for (i = 0; i < nsc; i++) wm[(c * nsc + i) * RM__NR + j] = m[16 * j + i];
        }
        for (jb = 0; jb < RM__NR; jb += 16)
            for (pb = 0; pb < ch / 2; pb += 16) {
                __m512 r[16];
                for (i = 0; i < 16; i++) {
                    const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(u + 256 * (jb + i) + 2 * pb));
                    r[i] = _mm512_castsi512_ps(_mm512_sub_epi16(_mm512_cvtepu8_epi16(b), off));
                }
                rm__transpose16(r);
                for (i = 0; i < 16; i++)
                    _mm512_store_ps((float *)(void *)(wq + ((c * (ch / 2) + pb + i) * RM__NR + jb) * 2), r[i]);
            }
    }
}

/* Quantizes 6 token rows (zeros past T) for the integer kernel: xq [K/2][6] dwords of two
   int16, and per sub-block [nsub][6]: dx and dx * sum p (xs, for the minimums). */
RM__TGT_AVX512 static void rm__quant_x_block(const float *X, int64_t ldx, int64_t t0, int64_t T, int64_t K,
                                             const rm__qinfo *qi, int32_t *xq, float *xd, float *xs) {
    const int64_t nsub = K / qi->bs;
    int64_t r, b, i;
    for (r = 0; r < RM__QMR; r++) {
        const float *x = X + (t0 + r) * ldx;
        if (t0 + r >= T) {
            for (i = 0; i < K / 2; i++) xq[i * RM__QMR + r] = 0;
            for (i = 0; i < nsub; i++) xd[i * RM__QMR + r] = xs[i * RM__QMR + r] = 0.0f;
            continue;
        }
        for (b = 0; b < K / 32; b++) {
            const __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
            const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
            const float d = amax / 32767.0f, id = amax > 0 ? 32767.0f / amax : 0.0f;
            const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, _mm512_set1_ps(id)));
            const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, _mm512_set1_ps(id)));
            const int s0 = _mm512_reduce_add_epi32(q0), s1 = _mm512_reduce_add_epi32(q1);
            int32_t d32[16];
            _mm256_storeu_si256((__m256i *)(void *)d32, _mm512_cvtepi32_epi16(q0));
            _mm256_storeu_si256((__m256i *)(void *)(d32 + 8), _mm512_cvtepi32_epi16(q1));
            for (i = 0; i < 16; i++) xq[(16 * b + i) * RM__QMR + r] = d32[i];
            if (qi->bs == 32) {
                xd[b * RM__QMR + r] = d;
                xs[b * RM__QMR + r] = d * (float)(s0 + s1);
            } else {
                xd[2 * b * RM__QMR + r] = xd[(2 * b + 1) * RM__QMR + r] = d;
                xs[2 * b * RM__QMR + r] = d * (float)s0;
                xs[(2 * b + 1) * RM__QMR + r] = d * (float)s1;
            }
        }
    }
}

#define RM__QROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define RM__Q_DECL(r) __m512 a##r = _mm512_setzero_ps(), b##r = _mm512_setzero_ps();
#define RM__Q_INIT(r) __m512i i##r = _mm512_setzero_si512(), j##r = _mm512_setzero_si512();
#define RM__Q_STEP(r)                                                                                                \
    x = _mm512_set1_epi32(xk[r]);                                                                                    \
    i##r = _mm512_dpwssd_epi32(i##r, w0, x);                                                                         \
    j##r = _mm512_dpwssd_epi32(j##r, w1, x);
#define RM__Q_SCALE(r)                                                                                               \
    d = _mm512_set1_ps(xd[r]);                                                                                       \
    a##r = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(i##r), s0), d, a##r);                                    \
    b##r = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(j##r), s1), d, b##r);
#define RM__Q_MIN(r)                                                                                                 \
    d = _mm512_set1_ps(xs[r]);                                                                                       \
    a##r = _mm512_fmadd_ps(n0, d, a##r);                                                                             \
    b##r = _mm512_fmadd_ps(n1, d, b##r);
#define RM__Q_STORE(r)                                                                                               \
    if (r < rows) {                                                                                                  \
        _mm512_mask_storeu_ps(Y + r * ldy, m0, a##r);                                                                \
        _mm512_mask_storeu_ps(Y + r * ldy + 16, m1, b##r);                                                           \
    }

/* One k pair of the micro-kernel: the weights at wq + 64 o, the activations at xq + 6 o. */
#define RM__Q_KSTEP(o)                                                                                               \
    {                                                                                                                \
        const int32_t *xk = xq + (o) * RM__QMR;                                                                      \
        const __m512i w0 = _mm512_load_si512((const void *)(wq + (o) * 2 * RM__NR));                                 \
        const __m512i w1 = _mm512_load_si512((const void *)(wq + (o) * 2 * RM__NR + 32));                            \
        __m512i x;                                                                                                   \
        RM__QROWS(RM__Q_STEP)                                                                                        \
    }

/* 6 tokens x 32 rows over nsub sub-blocks of 2*bs2 elements. bs2 (8 or 16) and has_min are
   constants where this is inlined, so that the k loop unrolls fully and the 24 sums stay in
   registers. */
RM__TGT_AVX512 static inline __attribute__((always_inline)) void
rm__q_kernel_t(int64_t nsub, const int bs2, const int has_min, const int32_t *xq, const float *xd, const float *xs,
               const int16_t *wq, const float *ws, const float *wm, float *Y, int64_t ldy, int rows, int cols) {
    const __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    const __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (1u << (cols - 16)) - 1);
    int64_t sb;
    RM__QROWS(RM__Q_DECL)
    for (sb = 0; sb < nsub; sb++) {
        __m512 s0, s1, d;
        RM__QROWS(RM__Q_INIT)
        RM__Q_KSTEP(0) RM__Q_KSTEP(1) RM__Q_KSTEP(2) RM__Q_KSTEP(3)
        RM__Q_KSTEP(4) RM__Q_KSTEP(5) RM__Q_KSTEP(6) RM__Q_KSTEP(7)
        if (bs2 == 16) {
            RM__Q_KSTEP(8) RM__Q_KSTEP(9) RM__Q_KSTEP(10) RM__Q_KSTEP(11)
            RM__Q_KSTEP(12) RM__Q_KSTEP(13) RM__Q_KSTEP(14) RM__Q_KSTEP(15)
        }
        wq += bs2 * 2 * RM__NR;
        xq += bs2 * RM__QMR;
        s0 = _mm512_load_ps(ws);
        s1 = _mm512_load_ps(ws + 16);
        ws += RM__NR;
        RM__QROWS(RM__Q_SCALE)
        if (has_min) {
            const __m512 n0 = _mm512_load_ps(wm), n1 = _mm512_load_ps(wm + 16);
            wm += RM__NR;
            RM__QROWS(RM__Q_MIN)
        }
        xd += RM__QMR;
        xs += RM__QMR;
    }
    RM__QROWS(RM__Q_STORE)
}

RM__TGT_AVX512 static void rm__q_kernel(int64_t nsub, int bs2, int has_min, const int32_t *xq, const float *xd,
                                        const float *xs, const int16_t *wq, const float *ws,
                                        const float *wm, float *Y, int64_t ldy, int rows, int cols) {
    if (bs2 == 16) {
        if (has_min) rm__q_kernel_t(nsub, 16, 1, xq, xd, xs, wq, ws, wm, Y, ldy, rows, cols);
        else rm__q_kernel_t(nsub, 16, 0, xq, xd, xs, wq, ws, wm, Y, ldy, rows, cols);
    } else {
        if (has_min) rm__q_kernel_t(nsub, 8, 1, xq, xd, xs, wq, ws, wm, Y, ldy, rows, cols);
        else rm__q_kernel_t(nsub, 8, 0, xq, xd, xs, wq, ws, wm, Y, ldy, rows, cols);
    }
}

/* ---- element-wise ---- */

/* e^x for 16 floats: x = n ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r (the
   Cephes coefficients, within 2 ulp of expf) and scalef for 2^n, which also underflows to 0
   for x below -104 (so -INFINITY gives 0) and saturates to +Inf above 88.7. */
RM__TGT_AVX512 static __m512 rm__exp16(__m512 x) {
    const __m512 hi = _mm512_set1_ps(88.72283935546875f), lo = _mm512_set1_ps(-104.0f);
    __m512 n, r, p, big = _mm512_set1_ps(INFINITY);
    const __mmask16 over = _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ);
    x = _mm512_max_ps(_mm512_min_ps(x, hi), lo);
    n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_mask_blend_ps(over, _mm512_scalef_ps(p, n), big);
}

/* a[i] *= silu(g[i]) = g / (1 + e^-g), the gated FFN's activation. */
RM__TGT_AVX512 static void rm__silu_mul_avx512(float *a, const float *g, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    int64_t i = 0;
    for (; i < n; i += 16) {
        const __mmask16 k = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        const __m512 gv = _mm512_maskz_loadu_ps(k, g + i), av = _mm512_maskz_loadu_ps(k, a + i);
        const __m512 s = _mm512_div_ps(gv, _mm512_add_ps(one, rm__exp16(_mm512_sub_ps(_mm512_setzero_ps(), gv))));
        _mm512_mask_storeu_ps(a + i, k, _mm512_mul_ps(av, s));
    }
}

/* s[j] = softmax_j(s[j] * scale + bias[j]); bias is 0 or -INFINITY (the mask). The sum is
   kept in double so that where the visible cells sit in the row (which lanes) does not
   change the result: a response scored next to others must score as it does alone. */
RM__TGT_AVX512 static void rm__softmax_row_avx512(float *s, const float *bias, int64_t n, float scale) {
    const __m512 sc = _mm512_set1_ps(scale);
    __m512 mv = _mm512_set1_ps(-INFINITY), mx, inv;
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    double sum;
    int64_t i;
    for (i = 0; i < n; i += 16) {
        const __mmask16 k = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        const __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, s + i), sc, _mm512_maskz_loadu_ps(k, bias + i));
        _mm512_mask_storeu_ps(s + i, k, v);
        mv = _mm512_mask_max_ps(mv, k, mv, v);
    }
    mx = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
    if (_mm512_reduce_max_ps(mv) == -INFINITY) mx = _mm512_setzero_ps();
    for (i = 0; i < n; i += 16) {
        const __mmask16 k = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        const __m512 p = _mm512_maskz_mov_ps(k, rm__exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + i), mx)));
        _mm512_mask_storeu_ps(s + i, k, p);
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(p)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(p), 1))));
    }
    sum = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    inv = _mm512_set1_ps(sum > 0 ? (float)(1.0 / sum) : 0.0f);
    for (i = 0; i < n; i += 16) {
        const __mmask16 k = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(s + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + i), inv));
    }
}

/* sum_j e^(l[j] - mx), in float lanes per call (the callers keep rows short) and double across. */
RM__TGT_AVX512 static double rm__sumexp_avx512(const float *l, int64_t n, float mx) {
    const __m512 m = _mm512_set1_ps(mx);
    __m512 acc = _mm512_setzero_ps();
    int64_t i;
    for (i = 0; i < n; i += 16) {
        const __mmask16 k = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        acc = _mm512_mask_add_ps(acc, k, acc, rm__exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, l + i), m)));
    }
    return (double)_mm512_reduce_add_ps(acc);
}

/* ---- AVX2 + FMA (x86-64-v3: Haswell, Zen 1-4) ---- */

/* The same panels and activation blocks as the AVX-512 kernels (32 rows, 12 or 6 tokens), so
   that one driver serves both; with 16 ymm registers the micro-kernels cover a quarter of a
   block at a time: 6 tokens x 16 rows of float sums (12 accumulators), or 3 tokens x 16 rows
   of integer and float sums (12). There is no bf16 dot product: the bf16 precision multiplies
   the rounded operands in float, as the reference defines it. Integer products: vpmaddwd
   (pairs of int16 products summed into int32 lanes), or AVX-VNNI's vpdpwssd, which also adds. */

/* AVX2, FMA and F16C with the OS saving ymm state (__builtin_cpu_supports checks xgetbv; F16C
   through cpuid: not every compiler names it for the builtin). */
static int rm__cpu_avx2(void) {
    unsigned a, b, c, d;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __get_cpuid(1, &a, &b, &c, &d) &&
           ((c >> 29) & 1u);
}
static int rm__cpu_avxvnni(void) {
    unsigned a, b, c, d;
    return rm__cpu_avx2() && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 4) & 1u);
}

/* 8 consecutive elements of a float-type row, as floats. */
RM__TGT_AVX2 static __m256 rm__load8_f(int type, const uint8_t *p) {
    if (type == RM_TYPE_F32) return _mm256_loadu_ps((const float *)(const void *)p);
    if (type == RM_TYPE_F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p)), 16));
}

/* In-register transpose of 8 rows of 8 floats. */
RM__TGT_AVX2 static void rm__transpose8(__m256 *r) {
    __m256 t[8], u[8];
    int i;
    for (i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (i = 0; i < 2; i++) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
        r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
    }
}

/* rm__round_bf16 on 8 lanes (ties to even; NaN stays NaN). */
RM__TGT_AVX2 static __m256 rm__round_bf16_v8(__m256 x) {
    const __m256i u = _mm256_castps_si256(x), m = _mm256_set1_epi32((int)0xffff0000u);
    const __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1))));
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    const __m256i q = _mm256_or_si256(_mm256_and_si256(u, m), _mm256_set1_epi32(0x00400000));
    return _mm256_castsi256_ps(_mm256_blendv_epi8(_mm256_and_si256(r, m), q, nan));
}

static float rm__elem_f(int type, const uint8_t *row, int64_t k) {
    float v;
    if (type == RM_TYPE_F32) memcpy(&v, row + 4 * k, 4);
    else if (type == RM_TYPE_F16) v = rm__fp16_to_fp32(rm__rd16(row + 2 * k));
    else v = rm__bf16_to_fp32(rm__rd16(row + 2 * k));
    return v;
}

/* Rows j0..j0+31 of W (zeros past n_out) into wp[k][32]: 8 x 8 tiles transposed in registers,
   the ragged edges element by element. how 1: F16 weights rounded to bfloat16. */
RM__TGT_AVX2 static void rm__f_pack_avx2(const rm__mat *W, int64_t j0, float *wp, int how) {
    const int64_t K = W->n_in, K8 = K & ~(int64_t)7;
    const size_t esz = W->type == RM_TYPE_F32 ? 4 : 2;
    const int rnd = how == 1 && W->type == RM_TYPE_F16;
    const uint8_t *base = (const uint8_t *)W->data;
    int64_t h, j, k;
    for (h = 0; h < RM__NR; h += 8) {
        const int64_t nr = RM__MAX(0, RM__MIN(8, W->n_out - (j0 + h)));
        if (nr == 8) {
            for (k = 0; k < K8; k += 8) {
                __m256 r[8];
                int i;
                for (i = 0; i < 8; i++) {
                    const uint8_t *q = base + (size_t)(j0 + h + i) * W->row_bytes + (size_t)k * esz;
                    if (k + 128 < K8) _mm_prefetch((const char *)q + 128 * esz, _MM_HINT_T0);
                    r[i] = rm__load8_f(W->type, q);
                }
                rm__transpose8(r);
                for (i = 0; i < 8; i++) _mm256_store_ps(wp + (k + i) * RM__NR + h, rnd ? rm__round_bf16_v8(r[i]) : r[i]);
            }
        } else {
            for (k = 0; k < K8; k++)
                for (j = 0; j < 8; j++) {
                    const float v = j < nr ? rm__elem_f(W->type, base + (size_t)(j0 + h + j) * W->row_bytes, k) : 0.0f;
                    wp[k * RM__NR + h + j] = rnd ? rm__round_bf16(v) : v;
                }
        }
        for (k = K8; k < K; k++)
            for (j = 0; j < 8; j++) {
                const float v = j < nr ? rm__elem_f(W->type, base + (size_t)(j0 + h + j) * W->row_bytes, k) : 0.0f;
                wp[k * RM__NR + h + j] = rnd ? rm__round_bf16(v) : v;
            }
    }
}

/* Sums of rows r0..r0+5 of a 12-token block (xp: [K][12]) and 16 rows of the panel (wp:
   [K][32]) into Y; rows, cols: how many are real. */
#define RM__A2ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define RM__A2_DECL(r) __m256 a##r = _mm256_setzero_ps(), b##r = _mm256_setzero_ps();
#define RM__A2_STEP(r)                                                                                               \
    x = _mm256_broadcast_ss(xk + r);                                                                                 \
    a##r = _mm256_fmadd_ps(w0, x, a##r);                                                                             \
    b##r = _mm256_fmadd_ps(w1, x, b##r);
#define RM__A2_STORE(r)                                                                                              \
    if (r < rows) {                                                                                                  \
        if (cols >= 16) {                                                                                            \
            _mm256_storeu_ps(Y + r * ldy, a##r);                                                                     \
            _mm256_storeu_ps(Y + r * ldy + 8, b##r);                                                                 \
        } else {                                                                                                     \
            float tmp[16];                                                                                           \
            _mm256_storeu_ps(tmp, a##r);                                                                             \
            _mm256_storeu_ps(tmp + 8, b##r);                                                                         \
            memcpy(Y + r * ldy, tmp, (size_t)cols * sizeof(float));                                                  \
        }                                                                                                            \
    }
RM__TGT_AVX2 static void rm__f_kernel6x16_avx2(int64_t K, const float *xp, const float *wp, float *Y, int64_t ldy, int rows,
                                               int cols) {
    int64_t k;
    RM__A2ROWS(RM__A2_DECL)
    for (k = 0; k < K; k++) {
        const float *xk = xp + k * RM__FMR;
        const __m256 w0 = _mm256_load_ps(wp + k * RM__NR), w1 = _mm256_load_ps(wp + k * RM__NR + 8);
        __m256 x;
        RM__A2ROWS(RM__A2_STEP)
    }
    RM__A2ROWS(RM__A2_STORE)
}

/* 12 tokens x 32 rows as four 6 x 16 quarters (the float precisions only: how is 0 or 1). */
RM__TGT_AVX2 static void rm__f_kernel_avx2(int64_t KL, const float *xb, const float *wp, float *Y, int64_t ldy, int rows,
                                           int cols, int how) {
    int r0, c0;
    RM__UNUSED(how);
    for (r0 = 0; r0 < rows; r0 += 6)
        for (c0 = 0; c0 < cols; c0 += 16)
            rm__f_kernel6x16_avx2(KL, xb + r0, wp + c0, Y + r0 * ldy + c0, ldy, RM__MIN(6, rows - r0), RM__MIN(16, cols - c0));
}

/* Quantizes 6 token rows (zeros past T) as rm__quant_x_block: xq [K/2][6] pairs of int16,
   xd and xs [nsub][6]. cvtps rounds to nearest even, as the AVX-512 form does. */
RM__TGT_AVX2 static void rm__q_quant_x_avx2(const float *X, int64_t ldx, int64_t t0, int64_t T, int64_t K, const rm__qinfo *qi,
                                            int32_t *xq, float *xd, float *xs) {
    const int64_t nsub = K / qi->bs;
    const __m256 absm = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    int64_t r, b, i;
    for (r = 0; r < RM__QMR; r++) {
        const float *x = X + (t0 + r) * ldx;
        if (t0 + r >= T) {
            for (i = 0; i < K / 2; i++) xq[i * RM__QMR + r] = 0;
            for (i = 0; i < nsub; i++) xd[i * RM__QMR + r] = xs[i * RM__QMR + r] = 0.0f;
            continue;
        }
        for (b = 0; b < K / 32; b++) {
            __m256 v[4], mx;
            __m256i q[4], p0, p1;
            float amax, d, id, mm[8];
            int32_t d32[16], qs[8];
            int s0 = 0, s1 = 0;
            for (i = 0; i < 4; i++) v[i] = _mm256_loadu_ps(x + 32 * b + 8 * i);
            mx = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v[0], absm), _mm256_and_ps(v[1], absm)),
                               _mm256_max_ps(_mm256_and_ps(v[2], absm), _mm256_and_ps(v[3], absm)));
            _mm256_storeu_ps(mm, mx);
            for (i = 0, amax = 0; i < 8; i++) amax = mm[i] > amax ? mm[i] : amax;
            d = amax / 32767.0f;
            id = amax > 0 ? 32767.0f / amax : 0.0f;
            for (i = 0; i < 4; i++) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], _mm256_set1_ps(id)));
            _mm256_storeu_si256((__m256i *)(void *)qs, _mm256_add_epi32(q[0], q[1]));
            for (i = 0; i < 8; i++) s0 += qs[i];
            _mm256_storeu_si256((__m256i *)(void *)qs, _mm256_add_epi32(q[2], q[3]));
            for (i = 0; i < 8; i++) s1 += qs[i];
            /* packs works within 128-bit lanes: the permute puts the 16 int16 back in order */
            p0 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xD8);
            p1 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[2], q[3]), 0xD8);
            _mm256_storeu_si256((__m256i *)(void *)d32, p0);
            _mm256_storeu_si256((__m256i *)(void *)(d32 + 8), p1);
            for (i = 0; i < 16; i++) xq[(16 * b + i) * RM__QMR + r] = d32[i];
            if (qi->bs == 32) {
                xd[b * RM__QMR + r] = d;
                xs[b * RM__QMR + r] = d * (float)(s0 + s1);
            } else {
                xd[2 * b * RM__QMR + r] = xd[(2 * b + 1) * RM__QMR + r] = d;
                xs[2 * b * RM__QMR + r] = d * (float)s0;
                xs[(2 * b + 1) * RM__QMR + r] = d * (float)s1;
            }
        }
    }
}

/* rm__pack_q_panel for K a multiple of ch, as rm__pack_q_panel_ch does with AVX-512: chunks of
   the 32 rows decoded, then moved to the panel by 8 x 8 transposes of dwords (int16 pairs). */
RM__TGT_AVX2 static void rm__q_pack_avx2(const rm__mat *W, const rm__qinfo *qi, int64_t j0, int ch, int16_t *wq, float *ws,
                                         float *wm, uint8_t *u, float *s, float *m) {
    const int64_t K = W->n_in, nch = K / ch;
    const int nsc = ch / qi->bs;
    const size_t cb = W->row_bytes / (size_t)nch;
    const __m256i off = _mm256_set1_epi16((short)qi->off);
    int64_t c;
    int j, i, jb, pb;
    for (c = 0; c < nch; c++) {
        for (j = 0; j < RM__NR; j++) {
            if (j0 + j < W->n_out) {
                const uint8_t *src = (const uint8_t *)W->data + (size_t)(j0 + j) * W->row_bytes + (size_t)c * cb;
                if (c + 1 < nch)
                    for (i = 0; i < (int)cb; i += 64) _mm_prefetch((const char *)(src + cb + i), _MM_HINT_T0);
                rm__qchunk_decode(W->type, src, ch, u + 256 * j, s + 16 * j, m + 16 * j);
            } else {
                memset(u + 256 * j, qi->off, 256);
                for (i = 0; i < nsc; i++) s[16 * j + i] = m[16 * j + i] = 0.0f;
            }
            for (i = 0; i < nsc; i++) ws[(c * nsc + i) * RM__NR + j] = s[16 * j + i];
            if (qi->has_min)
                for (i = 0; i < nsc; i++) wm[(c * nsc + i) * RM__NR + j] = m[16 * j + i];
        }
        for (jb = 0; jb < RM__NR; jb += 8)
            for (pb = 0; pb < ch / 2; pb += 8) {
                __m256 r[8];
                for (i = 0; i < 8; i++) {
                    const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(u + 256 * (jb + i) + 2 * pb));
                    r[i] = _mm256_castsi256_ps(_mm256_sub_epi16(_mm256_cvtepu8_epi16(b), off));
                }
                rm__transpose8(r);
                for (i = 0; i < 8; i++)
                    _mm256_store_ps((float *)(void *)(wq + ((c * (ch / 2) + pb + i) * RM__NR + jb) * 2), r[i]);
            }
    }
}

/* 3 tokens (of the 6 of a block: xq [K/2][6], xd, xs [nsub][6]) x 16 rows of the panel (wq
   [K/2][32][2], ws, wm [nsub][32]) into Y. DOT(acc, w, x) adds the pair products of w and x to
   acc: vpmaddwd + vpaddd, or vpdpwssd. */
#define RM__Q2ROWS(X) X(0) X(1) X(2)
#define RM__Q2_DECL(r) __m256 a##r = _mm256_setzero_ps(), b##r = _mm256_setzero_ps();
#define RM__Q2_INIT(r) __m256i i##r = _mm256_setzero_si256(), j##r = _mm256_setzero_si256();
#define RM__Q2_STEP(r)                                                                                               \
    x = _mm256_set1_epi32(xk[r]);                                                                                    \
    i##r = RM__Q2_DOT(i##r, w0, x);                                                                                  \
    j##r = RM__Q2_DOT(j##r, w1, x);
#define RM__Q2_SCALE(r)                                                                                              \
    d = _mm256_set1_ps(xd[r]);                                                                                       \
    a##r = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(i##r), s0), d, a##r);                                    \
    b##r = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(j##r), s1), d, b##r);
#define RM__Q2_MIN(r)                                                                                                \
    d = _mm256_set1_ps(xs[r]);                                                                                       \
    a##r = _mm256_fmadd_ps(n0, d, a##r);                                                                             \
    b##r = _mm256_fmadd_ps(n1, d, b##r);
#define RM__Q2_STORE(r)                                                                                              \
    if (r < rows) {                                                                                                  \
        float tmp[16];                                                                                               \
        _mm256_storeu_ps(tmp, a##r);                                                                                 \
        _mm256_storeu_ps(tmp + 8, b##r);                                                                             \
        memcpy(Y + r * ldy, tmp, (size_t)cols * sizeof(float));                                                      \
    }
#define RM__Q2_BODY                                                                                                  \
    int64_t sb;                                                                                                      \
    int o;                                                                                                           \
    RM__Q2ROWS(RM__Q2_DECL)                                                                                          \
    for (sb = 0; sb < nsub; sb++) {                                                                                  \
        __m256 s0, s1, d;                                                                                            \
        RM__Q2ROWS(RM__Q2_INIT)                                                                                      \
        for (o = 0; o < bs2; o++) {                                                                                  \
            const int32_t *xk = xq + o * RM__QMR;                                                                    \
            const __m256i w0 = _mm256_load_si256((const __m256i *)(const void *)(wq + o * 2 * RM__NR));               \
            const __m256i w1 = _mm256_load_si256((const __m256i *)(const void *)(wq + o * 2 * RM__NR + 16));          \
            __m256i x;                                                                                               \
            RM__Q2ROWS(RM__Q2_STEP)                                                                                  \
        }                                                                                                            \
        wq += bs2 * 2 * RM__NR;                                                                                      \
        xq += bs2 * RM__QMR;                                                                                         \
        s0 = _mm256_loadu_ps(ws);                                                                                    \
        s1 = _mm256_loadu_ps(ws + 8);                                                                                \
        ws += RM__NR;                                                                                                \
        RM__Q2ROWS(RM__Q2_SCALE)                                                                                     \
        if (has_min) {                                                                                               \
            const __m256 n0 = _mm256_loadu_ps(wm), n1 = _mm256_loadu_ps(wm + 8);                                     \
            wm += RM__NR;                                                                                            \
            RM__Q2ROWS(RM__Q2_MIN)                                                                                   \
        }                                                                                                            \
        xd += RM__QMR;                                                                                               \
        xs += RM__QMR;                                                                                               \
    }                                                                                                                \
    RM__Q2ROWS(RM__Q2_STORE)

#define RM__Q2_DOT(acc, w, x) _mm256_add_epi32(acc, _mm256_madd_epi16(w, x))
RM__TGT_AVX2 static inline __attribute__((always_inline)) void
rm__q_kernel3x16_avx2(int64_t nsub, const int bs2, const int has_min, const int32_t *xq, const float *xd, const float *xs,
                      const int16_t *wq, const float *ws, const float *wm, float *Y, int64_t ldy, int rows, int cols) {
    RM__Q2_BODY
}
#undef RM__Q2_DOT
#define RM__Q2_DOT(acc, w, x) _mm256_dpwssd_avx_epi32(acc, w, x)
RM__TGT_AVXVNNI static inline __attribute__((always_inline)) void
rm__q_kernel3x16_avxvnni(int64_t nsub, const int bs2, const int has_min, const int32_t *xq, const float *xd, const float *xs,
                         const int16_t *wq, const float *ws, const float *wm, float *Y, int64_t ldy, int rows, int cols) {
    RM__Q2_BODY
}
#undef RM__Q2_DOT

/* 6 tokens x 32 rows as four 3 x 16 quarters; bs2 and has_min constant in each inlined copy. */
#define RM__Q2_QUARTERS(fn, B2, HM)                                                                                  \
    for (r0 = 0; r0 < rows; r0 += 3)                                                                                 \
        for (c0 = 0; c0 < cols; c0 += 16)                                                                            \
            fn(nsub, B2, HM, xq + r0, xd + r0, xs + r0, wq + 2 * c0, ws + c0, wm + c0, Y + r0 * ldy + c0, ldy,       \
               RM__MIN(3, rows - r0), RM__MIN(16, cols - c0));
#define RM__Q2_ENTRY(name, fn, TGT)                                                                                  \
    TGT static void name(int64_t nsub, int bs2, int has_min, const int32_t *xq, const float *xd, const float *xs,    \
                         const int16_t *wq, const float *ws, const float *wm, float *Y, int64_t ldy, int rows,       \
                         int cols) {                                                                                 \
        int r0, c0;                                                                                                  \
        if (bs2 == 16) {                                                                                             \
            if (has_min) { RM__Q2_QUARTERS(fn, 16, 1) } else { RM__Q2_QUARTERS(fn, 16, 0) }                          \
        } else {                                                                                                     \
            if (has_min) { RM__Q2_QUARTERS(fn, 8, 1) } else { RM__Q2_QUARTERS(fn, 8, 0) }                            \
        }                                                                                                            \
    }
RM__Q2_ENTRY(rm__q_kernel_avx2, rm__q_kernel3x16_avx2, RM__TGT_AVX2)
RM__Q2_ENTRY(rm__q_kernel_avxvnni, rm__q_kernel3x16_avxvnni, RM__TGT_AVXVNNI)

/* e^x for 8 floats, as rm__exp16: the same reduction and polynomial; 2^n applied as two
   factors 2^(n/2) 2^(n - n/2) built in the exponent bits, so that results down to the
   subnormals (x >= -104) are right; below, 0; above 88.7, +Inf. */
RM__TGT_AVX2 static __m256 rm__exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.72283935546875f), lo = _mm256_set1_ps(-104.0f);
    const __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ), under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 n, r, p;
    __m256i ni, n1, n2;
    x = _mm256_max_ps(_mm256_min_ps(x, hi), lo);
    n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    ni = _mm256_cvtps_epi32(n);
    n1 = _mm256_srai_epi32(ni, 1);
    n2 = _mm256_sub_epi32(ni, n1);
    p = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23)));
    p = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23)));
    p = _mm256_andnot_ps(under, p);
    return _mm256_blendv_ps(p, _mm256_set1_ps(INFINITY), over);
}

/* Lanes i < n (of 8) set, for the masked loads and stores of a row's tail. */
RM__TGT_AVX2 static __m256i rm__mask8(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)RM__MIN(n, 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

RM__TGT_AVX2 static void rm__silu_mul_avx2(float *a, const float *g, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    int64_t i;
    for (i = 0; i < n; i += 8) {
        const __m256i k = rm__mask8(n - i);
        const __m256 gv = _mm256_maskload_ps(g + i, k), av = _mm256_maskload_ps(a + i, k);
        const __m256 s = _mm256_div_ps(gv, _mm256_add_ps(one, rm__exp8(_mm256_sub_ps(_mm256_setzero_ps(), gv))));
        _mm256_maskstore_ps(a + i, k, _mm256_mul_ps(av, s));
    }
}

/* As rm__softmax_row_avx512: the sum in double, so that the lanes a cell falls in do not
   change the result. Masked lanes hold -INFINITY and so contribute 0. */
RM__TGT_AVX2 static void rm__softmax_row_avx2(float *s, const float *bias, int64_t n, float scale) {
    const __m256 sc = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(-INFINITY);
    __m256 mv = ninf, mx, inv;
    __m256d s0 = _mm256_setzero_pd();
    double sum, t[4];
    float mm[8], m = -INFINITY;
    int64_t i;
    for (i = 0; i < n; i += 8) {
        const __m256i k = rm__mask8(n - i);
        __m256 v = _mm256_fmadd_ps(_mm256_maskload_ps(s + i, k), sc, _mm256_maskload_ps(bias + i, k));
        _mm256_maskstore_ps(s + i, k, v);
        mv = _mm256_max_ps(mv, _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(k)));
    }
    _mm256_storeu_ps(mm, mv);
    for (i = 0; i < 8; i++) m = mm[i] > m ? mm[i] : m;
    mx = _mm256_set1_ps(m == -INFINITY ? 0.0f : m);
    for (i = 0; i < n; i += 8) {
        const __m256i k = rm__mask8(n - i);
        const __m256 p = _mm256_and_ps(rm__exp8(_mm256_sub_ps(_mm256_maskload_ps(s + i, k), mx)), _mm256_castsi256_ps(k));
        _mm256_maskstore_ps(s + i, k, p);
        s0 = _mm256_add_pd(s0, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(p)), _mm256_cvtps_pd(_mm256_extractf128_ps(p, 1))));
    }
    _mm256_storeu_pd(t, s0);
    sum = (t[0] + t[1]) + (t[2] + t[3]);
    inv = _mm256_set1_ps(sum > 0 ? (float)(1.0 / sum) : 0.0f);
    for (i = 0; i < n; i += 8) {
        const __m256i k = rm__mask8(n - i);
        _mm256_maskstore_ps(s + i, k, _mm256_mul_ps(_mm256_maskload_ps(s + i, k), inv));
    }
}

RM__TGT_AVX2 static double rm__sumexp_avx2(const float *l, int64_t n, float mx) {
    const __m256 m = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    float t[8];
    double sum = 0;
    int64_t i;
    for (i = 0; i < n; i += 8) {
        const __m256i k = rm__mask8(n - i);
        acc = _mm256_add_ps(acc, _mm256_and_ps(rm__exp8(_mm256_sub_ps(_mm256_maskload_ps(l + i, k), m)), _mm256_castsi256_ps(k)));
    }
    _mm256_storeu_ps(t, acc);
    for (i = 0; i < 8; i++) sum += t[i];
    return sum;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif /* RM__KERNELS_X86 */

#if RM__KERNELS_NEON
/* ---- ARM64 NEON ----
   The same products on Advanced SIMD (the ARMv8.0 ASIMD every AArch64 CPU has: the baseline
   kernels need no more than -march=armv8-a), plus dot-product instructions where the CPU
   reports them at run time (getauxval on Linux, sysctlbyname on Apple; elsewhere the baseline
   only): SDOT (FEAT_DotProd) and BFDOT (FEAT_BF16) sit in functions of their own with target
   attributes, so that a baseline build has them too. A vector holds 4 floats, so the 32-row
   panels are multiplied 8 rows (two vectors) at a time, and each activation is a lane of a
   vector (multiply-add by element) rather than a broadcast.
   - float: FMLA by element (4 multiply-adds per instruction) on the x86 float layout ([k][32]
     rows, [k][12] tokens): 12 tokens x 8 rows, 24 accumulators, 2 weight and 3 activation
     vectors of the 32 registers. F16 weights decode with fcvtl, BF16 with a shift: exact.
   - bfloat16 precision: BFDOT by element (a pair of bf16 products into each float lane, 8 multiply-
     adds per instruction) on the x86 bf16 layout ([k/2][32] pairs, [k/2][12] pairs), the same
     12 x 8 block. BFDOT rounds its inner sum to odd and flushes denormals: within the test's
     1e-5 of sum |w x|, as vdpbf16ps. Without FEAT_BF16, FMLA on the operands rounded as the
     reference rounds them (rm__round_bf16).
   - integer: the shared driver's int16 activations and weight levels ([k/2][6] and [k/2][32]
     pairs), summed exactly in int32 per sub-block, then scaled in float: SMLAL/SMLAL2 into
     lanes (row, k parity) folded by one pairwise add per sub-block, 3 tokens x 8 rows. (An SDOT
     kernel needs a byte layout the shared driver does not have yet.) */

#if defined(__clang__)
#define RM__TGT_DOT __attribute__((target("dotprod")))
#define RM__TGT_BF16N __attribute__((target("bf16")))
#else
#define RM__TGT_DOT __attribute__((target("arch=armv8.2-a+dotprod")))
#define RM__TGT_BF16N __attribute__((target("arch=armv8.2-a+bf16")))
#endif

/* GCC's arm_neon.h (10 and later) declares the SDOT and BFDOT intrinsics for any target (they
   need the attribute only where used); clang's (up to 14 at least) only when the whole file is
   compiled for such a target (-march=armv8.2-a+dotprod, +bf16). Without them: the baseline. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 10
#define RM__NEON_GCC10 1
#else
#define RM__NEON_GCC10 0
#endif
#if RM__NEON_GCC10 || defined(__ARM_FEATURE_DOTPROD)
#define RM__NEON_HAVE_SDOT 1
#else
#define RM__NEON_HAVE_SDOT 0
#endif
#if RM__NEON_GCC10 || defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#define RM__NEON_HAVE_BFDOT 1
#else
#define RM__NEON_HAVE_BFDOT 0
#endif

#define RM__NEON_DOT 1  /* FEAT_DotProd: SDOT */
#define RM__NEON_BF16 2 /* FEAT_BF16: BFDOT */
#define RM__NEON_I8MM 4 /* FEAT_I8MM (reported, not used: see the README's instruction counts) */

/* The optional features of this CPU, RM__NEON_* bits. */
static unsigned rm__neon_caps(void) {
    unsigned c = 0;
#if defined(__linux__)
    const unsigned long h = getauxval(AT_HWCAP), h2 = getauxval(26 /* AT_HWCAP2 */);
    if (h & (1ul << 20)) c |= RM__NEON_DOT; /* HWCAP_ASIMDDP */
    if (h2 & (1ul << 14)) c |= RM__NEON_BF16; /* HWCAP2_BF16 */
    if (h2 & (1ul << 13)) c |= RM__NEON_I8MM; /* HWCAP2_I8MM */
#elif defined(__APPLE__)
    static const char *const names[3] = {"hw.optional.arm.FEAT_DotProd", "hw.optional.arm.FEAT_BF16",
                                         "hw.optional.arm.FEAT_I8MM"};
    int i;
    for (i = 0; i < 3; i++) {
        int v = 0;
        size_t n = sizeof(v);
        if (sysctlbyname(names[i], &v, &n, NULL, 0) == 0 && v) c |= 1u << i;
    }
#endif
    return c;
}

/* ---- float and bfloat16 ---- */

static uint32_t rm__bf16_pair(float lo, float hi) {
    return (uint32_t)rm__fp32_to_bf16(lo) | (uint32_t)rm__fp32_to_bf16(hi) << 16;
}

/* 4 consecutive elements of a float-type row, as floats. */
static float32x4_t rm__load4_f_neon(int type, const uint8_t *p) {
    if (type == RM_TYPE_F32) return vld1q_f32((const float *)(const void *)p);
    if (type == RM_TYPE_F16) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)p)));
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)(const void *)p), 16));
}

/* rm__round_bf16 on 4 lanes: to nearest bfloat16, ties to even, NaN quiet. */
static float32x4_t rm__round_bf16_neon(float32x4_t x) {
    const uint32x4_t u = vreinterpretq_u32_f32(x), m = vdupq_n_u32(0xffff0000u);
    const uint32x4_t r = vaddq_u32(u, vaddq_u32(vdupq_n_u32(0x7fff), vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1))));
    const uint32x4_t nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7fffffff)), vdupq_n_u32(0x7f800000));
    return vreinterpretq_f32_u32(vbslq_u32(nan, vorrq_u32(vandq_u32(u, m), vdupq_n_u32(0x00400000)), vandq_u32(r, m)));
}

/* Rows j0..j0+31 of W (zeros past n_out) into wp[k][32], 4 x 4 tiles transposed in registers.
   rnd: rounded to bfloat16 (F16 weights at the bf16 precision). */
static void rm__pack_f_panel_neon(const rm__mat *W, int64_t j0, float *wp, int rnd) {
    const int64_t K = W->n_in, K4 = K & ~(int64_t)3;
    const size_t esz = W->type == RM_TYPE_F32 ? 4 : 2;
    const uint8_t *base = (const uint8_t *)W->data;
    int64_t h, k;
    for (h = 0; h < RM__NR; h += 4) {
        const int64_t nr = RM__MAX(0, RM__MIN(4, W->n_out - (j0 + h)));
        for (k = 0; k < K4; k += 4) {
            float32x4_t r[4];
            float32x4x2_t a, b;
            int i;
            for (i = 0; i < 4; i++) {
                r[i] = i < nr ? rm__load4_f_neon(W->type, base + (size_t)(j0 + h + i) * W->row_bytes + (size_t)k * esz)
                              : vdupq_n_f32(0.0f);
                if (rnd) r[i] = rm__round_bf16_neon(r[i]);
            }
            a = vtrnq_f32(r[0], r[1]);
            b = vtrnq_f32(r[2], r[3]);
            vst1q_f32(wp + (k + 0) * RM__NR + h, vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0])));
            vst1q_f32(wp + (k + 1) * RM__NR + h, vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1])));
            vst1q_f32(wp + (k + 2) * RM__NR + h, vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0])));
            vst1q_f32(wp + (k + 3) * RM__NR + h, vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1])));
        }
        for (k = K4; k < K; k++) {
            int i;
            for (i = 0; i < 4; i++) {
                const uint8_t *p = base + (size_t)(j0 + h + i) * W->row_bytes;
                float v = 0.0f;
                if (i < nr) {
                    if (W->type == RM_TYPE_F32) memcpy(&v, p + 4 * k, 4);
                    else if (W->type == RM_TYPE_F16) v = rm__fp16_to_fp32(rm__rd16(p + 2 * k));
                    else v = rm__bf16_to_fp32(rm__rd16(p + 2 * k));
                }
                wp[k * RM__NR + h + i] = rnd ? rm__round_bf16(v) : v;
            }
        }
    }
}

/* Rows j0..j0+31 of an F16/BF16 W (zeros past n_out, and past n_in in the last pair) into
   wp[k/2][32] pairs of bf16, the lower k in the low half. */
static void rm__pack_bf_panel_neon(const rm__mat *W, int64_t j0, uint32_t *wp) {
    const int64_t K = W->n_in;
    const uint8_t *base = (const uint8_t *)W->data;
    int64_t j, k;
    for (j = 0; j < RM__NR; j++) {
        const uint8_t *p = j0 + j < W->n_out ? base + (size_t)(j0 + j) * W->row_bytes : NULL;
        for (k = 0; k < K; k += 2) {
            uint32_t v = 0;
            if (p && W->type == RM_TYPE_BF16) {
                v = rm__rd16(p + 2 * k);
                if (k + 1 < K) v |= (uint32_t)rm__rd16(p + 2 * k + 2) << 16;
            } else if (p) {
                v = rm__bf16_pair(rm__fp16_to_fp32(rm__rd16(p + 2 * k)), k + 1 < K ? rm__fp16_to_fp32(rm__rd16(p + 2 * k + 2)) : 0.0f);
            }
            wp[(k / 2) * RM__NR + j] = v;
        }
    }
}

/* Y[t][c] for t < rows, c < cols (<= 8) from the accumulators of rows 0-3 (a) and 4-7 (b). */
static void rm__store8_neon(float *y, float32x4_t a, float32x4_t b, int cols) {
    if (cols >= 8) {
        vst1q_f32(y, a);
        vst1q_f32(y + 4, b);
    } else {
        float t[8];
        int c;
        vst1q_f32(t, a);
        vst1q_f32(t + 4, b);
        for (c = 0; c < cols; c++) y[c] = t[c];
    }
}

#define RM__NF_ROWS(X) X(0, 0, 0) X(1, 0, 1) X(2, 0, 2) X(3, 0, 3) X(4, 1, 0) X(5, 1, 1) \
    X(6, 1, 2) X(7, 1, 3) X(8, 2, 0) X(9, 2, 1) X(10, 2, 2) X(11, 2, 3)
#define RM__NF_DECL(r, v, l) float32x4_t a##r = vdupq_n_f32(0.0f), b##r = vdupq_n_f32(0.0f);
#define RM__NF_STEP(r, v, l)                                                                                       \
    a##r = vfmaq_laneq_f32(a##r, w0, x##v, l);                                                                     \
    b##r = vfmaq_laneq_f32(b##r, w1, x##v, l);
#define RM__NB_STEP(r, v, l)                                                                                       \
    a##r = vbfdotq_laneq_f32(a##r, w0, x##v, l);                                                                   \
    b##r = vbfdotq_laneq_f32(b##r, w1, x##v, l);
#define RM__NF_STORE(r, v, l) \
    if (r < rows) rm__store8_neon(Y + r * ldy, a##r, b##r, cols);

/* 12 tokens (xp: [K][12]) x 8 rows (wp: 8 floats at a stride of 32) into Y; rows, cols: how
   many are real. */
static void rm__f_kernel_neon(int64_t K, const float *xp, const float *wp, float *Y, int64_t ldy, int rows, int cols) {
    int64_t k;
    RM__NF_ROWS(RM__NF_DECL)
    for (k = 0; k < K; k++, xp += RM__FMR, wp += RM__NR) {
        const float32x4_t w0 = vld1q_f32(wp), w1 = vld1q_f32(wp + 4);
        const float32x4_t x0 = vld1q_f32(xp), x1 = vld1q_f32(xp + 4), x2 = vld1q_f32(xp + 8);
        RM__NF_ROWS(RM__NF_STEP)
    }
    RM__NF_ROWS(RM__NF_STORE)
}

#if RM__NEON_HAVE_BFDOT
/* The same over KP pairs of bf16 (xp: [KP][12] pairs, wp: 8 pairs at a stride of 32). */
RM__TGT_BF16N static void rm__bf_kernel_neon(int64_t KP, const uint32_t *xp, const uint32_t *wp, float *Y, int64_t ldy,
                                             int rows, int cols) {
    int64_t k;
    RM__NF_ROWS(RM__NF_DECL)
    for (k = 0; k < KP; k++, xp += RM__FMR, wp += RM__NR) {
        const bfloat16x8_t w0 = vreinterpretq_bf16_u32(vld1q_u32(wp)), w1 = vreinterpretq_bf16_u32(vld1q_u32(wp + 4));
        const bfloat16x8_t x0 = vreinterpretq_bf16_u32(vld1q_u32(xp)), x1 = vreinterpretq_bf16_u32(vld1q_u32(xp + 4));
        const bfloat16x8_t x2 = vreinterpretq_bf16_u32(vld1q_u32(xp + 8));
        RM__NF_ROWS(RM__NB_STEP)
    }
    RM__NF_ROWS(RM__NF_STORE)
}
#endif

/* The table's float entries (rm__gemm_f_drv). f_pack: how 2 bf16 pairs [k/2][32], else floats
   [k][32] (how 1 rounds F16 weights to bf16; BF16 weights already are). */
static void rm__f_pack_neon(const rm__mat *W, int64_t j0, float *wp, int how) {
    if (how == 2) rm__pack_bf_panel_neon(W, j0, (uint32_t *)(void *)wp);
    else rm__pack_f_panel_neon(W, j0, wp, how == 1 && W->type == RM_TYPE_F16);
}

/* One token as bf16 pairs at a stride of 12 (the driver's [k/2][12] block). */
static void rm__f_pack_x_bf_neon(const float *src, int64_t K, uint32_t *dst) {
    int64_t k;
    for (k = 0; k < K; k += 2) dst[(k / 2) * RM__FMR] = rm__bf16_pair(src[k], k + 1 < K ? src[k + 1] : 0.0f);
}

/* 12 tokens x 32 rows, 8 rows at a time: BFDOT for how 2 (the table sets bf16dot only where
   the CPU has FEAT_BF16), else FMLA over KL floats. */
static void rm__f_kernel_neon32(int64_t KL, const float *xb, const float *wp, float *Y, int64_t ldy, int rows, int cols,
                                int how) {
    int h;
    for (h = 0; h < cols; h += 8) {
#if RM__NEON_HAVE_BFDOT
        if (how == 2)
            rm__bf_kernel_neon(KL, (const uint32_t *)(const void *)xb, (const uint32_t *)(const void *)wp + h, Y + h, ldy,
                               rows, cols - h);
        else
#endif
            rm__f_kernel_neon(KL, xb, wp + h, Y + h, ldy, rows, cols - h);
    }
    (void)how;
}

/* ---- integer ---- */

/* Quantizes 6 token rows (zeros past T) as the x86 path does, per block of 32: dx = amax /
   32767, p = round-to-nearest-even(x / dx). xq [K/2][6] dwords of two int16 (the driver's
   layout); xd, xs [nsub][6]: dx and dx * sum p (for the minimums). */
static void rm__q_quant_x_neon(const float *X, int64_t ldx, int64_t t0, int64_t T, int64_t K, const rm__qinfo *qi,
                               int32_t *xq, float *xd, float *xs) {
    const int64_t nsub = K / qi->bs;
    int64_t r, b, i;
    for (r = 0; r < RM__QMR; r++) {
        const float *x = X + (t0 + r) * ldx;
        if (t0 + r >= T) {
            for (i = 0; i < K / 2; i++) xq[i * RM__QMR + r] = 0;
            for (i = 0; i < nsub; i++) xd[i * RM__QMR + r] = xs[i * RM__QMR + r] = 0.0f;
            continue;
        }
        for (b = 0; b < K / 32; b++) {
            float32x4_t v[8], mx = vdupq_n_f32(0.0f);
            int32_t q[32];
            int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
            float amax, d, id;
            for (i = 0; i < 8; i++) {
                v[i] = vld1q_f32(x + 32 * b + 4 * i);
                mx = vmaxq_f32(mx, vabsq_f32(v[i]));
            }
            amax = vmaxvq_f32(mx);
            d = amax / 32767.0f;
            id = amax > 0 ? 32767.0f / amax : 0.0f;
            for (i = 0; i < 8; i++) {
                const int32x4_t qi4 = vcvtnq_s32_f32(vmulq_n_f32(v[i], id));
                vst1q_s32(q + 4 * i, qi4);
                if (i < 4) s0 = vaddq_s32(s0, qi4);
                else s1 = vaddq_s32(s1, qi4);
            }
            for (i = 0; i < 16; i++)
                xq[(16 * b + i) * RM__QMR + r] = (int32_t)((uint32_t)(uint16_t)(int16_t)q[2 * i] |
                                                           (uint32_t)(uint16_t)(int16_t)q[2 * i + 1] << 16);
            if (qi->bs == 32) {
                xd[b * RM__QMR + r] = d;
                xs[b * RM__QMR + r] = d * (float)(vaddvq_s32(s0) + vaddvq_s32(s1));
            } else {
                xd[2 * b * RM__QMR + r] = xd[(2 * b + 1) * RM__QMR + r] = d;
                xs[2 * b * RM__QMR + r] = d * (float)vaddvq_s32(s0);
                xs[(2 * b + 1) * RM__QMR + r] = d * (float)vaddvq_s32(s1);
            }
        }
    }
}

/* The panel in the driver's layout (wq [K/2][32][2] int16, ws, wm [nsub][32]): the portable
   packer, whatever the chunk. */
static void rm__q_pack_neon(const rm__mat *W, const rm__qinfo *qi, int64_t j0, int ch, int16_t *wq, float *ws, float *wm,
                            uint8_t *u, float *s, float *m) {
    (void)ch;
    rm__pack_q_panel(W, qi, j0, wq, ws, wm, u, s, m);
}

/* 3 tokens (xq [K/2][6] pairs) x 8 rows (wq: 8 rows x 2 int16 per pair at a stride of 64) with
   SMLAL/SMLAL2: each pair step multiplies the rows' two levels by the token's two activations
   into lanes (row, k parity), which one pairwise add per sub-block folds; sums stay exact in
   int32 (|q p| < 2^23, 16 pairs per sub-block). */
#define RM__NQ_ROWS(X) X(0) X(1) X(2)
#define RM__NQ_DECL(r) float32x4_t a##r = vdupq_n_f32(0.0f), b##r = vdupq_n_f32(0.0f);
#define RM__NQ_INIT(r) int32x4_t p##r = vdupq_n_s32(0), q##r = vdupq_n_s32(0), u##r = vdupq_n_s32(0), v##r = vdupq_n_s32(0);
#define RM__NQ_STEP(r)                                                                                             \
    x = vreinterpretq_s16_s32(vdupq_n_s32(xk[r]));                                                                 \
    p##r = vmlal_s16(p##r, vget_low_s16(w0), vget_low_s16(x));                                                     \
    q##r = vmlal_high_s16(q##r, w0, x);                                                                            \
    u##r = vmlal_s16(u##r, vget_low_s16(w1), vget_low_s16(x));                                                     \
    v##r = vmlal_high_s16(v##r, w1, x);
#define RM__NQ_SCALE(r)                                                                                            \
    a##r = vfmaq_n_f32(a##r, vmulq_f32(vcvtq_f32_s32(vpaddq_s32(p##r, q##r)), s0), xd[r]);                         \
    b##r = vfmaq_n_f32(b##r, vmulq_f32(vcvtq_f32_s32(vpaddq_s32(u##r, v##r)), s1), xd[r]);
#define RM__NQ_MIN(r)                                                                                              \
    a##r = vfmaq_n_f32(a##r, n0, xs[r]);                                                                           \
    b##r = vfmaq_n_f32(b##r, n1, xs[r]);
#define RM__NQ_STORE(r) \
    if (r < rows) rm__store8_neon(Y + r * ldy, a##r, b##r, cols);

static inline __attribute__((always_inline)) void
rm__q_kernel3x8_neon(int64_t nsub, const int bs2, const int has_min, const int32_t *xq, const float *xd, const float *xs,
                     const int16_t *wq, const float *ws, const float *wm, float *Y, int64_t ldy, int rows, int cols) {
    int64_t sb;
    RM__NQ_ROWS(RM__NQ_DECL)
    for (sb = 0; sb < nsub; sb++, xd += RM__QMR, xs += RM__QMR, ws += RM__NR, wm += RM__NR) {
        float32x4_t s0, s1;
        int o;
        RM__NQ_ROWS(RM__NQ_INIT)
        for (o = 0; o < bs2; o++, wq += 2 * RM__NR, xq += RM__QMR) {
            const int32_t *xk = xq;
            const int16x8_t w0 = vld1q_s16(wq), w1 = vld1q_s16(wq + 8);
            int16x8_t x;
            RM__NQ_ROWS(RM__NQ_STEP)
        }
        s0 = vld1q_f32(ws);
        s1 = vld1q_f32(ws + 4);
        RM__NQ_ROWS(RM__NQ_SCALE)
        if (has_min) {
            const float32x4_t n0 = vld1q_f32(wm), n1 = vld1q_f32(wm + 4);
            RM__NQ_ROWS(RM__NQ_MIN)
        }
    }
    RM__NQ_ROWS(RM__NQ_STORE)
}

/* 6 tokens x 32 rows as 2 x 4 blocks of 3 x 8; bs2 and has_min constant in each inlined copy. */
#define RM__NQ_BLOCKS(B2, HM)                                                                                      \
    for (r0 = 0; r0 < rows; r0 += 3)                                                                               \
        for (c0 = 0; c0 < cols; c0 += 8)                                                                           \
            rm__q_kernel3x8_neon(nsub, B2, HM, xq + r0, xd + r0, xs + r0, wq + 2 * c0, ws + c0, wm + c0,          \
                                 Y + r0 * ldy + c0, ldy, RM__MIN(3, rows - r0), RM__MIN(8, cols - c0));
static void rm__q_kernel_neon(int64_t nsub, int bs2, int has_min, const int32_t *xq, const float *xd, const float *xs,
                              const int16_t *wq, const float *ws, const float *wm, float *Y, int64_t ldy, int rows,
                              int cols) {
    int r0, c0;
    if (bs2 == 16) {
        if (has_min) { RM__NQ_BLOCKS(16, 1) } else { RM__NQ_BLOCKS(16, 0) }
    } else {
        if (has_min) { RM__NQ_BLOCKS(8, 1) } else { RM__NQ_BLOCKS(8, 0) }
    }
}

/* ---- element-wise ---- */

/* e^x for 4 floats, as rm__exp16: x = n ln2 + r, the same polynomial, and 2^n as two powers
   of two (n from -150 to 128 does not fit one exponent field), which underflows to 0 for x
   below -104 and saturates to +Inf above 88.7. */
static float32x4_t rm__exp4_neon(float32x4_t x) {
    const float32x4_t hi = vdupq_n_f32(88.72283935546875f);
    const uint32x4_t over = vcgtq_f32(x, hi);
    float32x4_t n, r, p;
    int32x4_t ni, n1;
    x = vmaxq_f32(vminq_f32(x, hi), vdupq_n_f32(-104.0f));
    n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
    r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
    ni = vcvtq_s32_f32(n);
    n1 = vshrq_n_s32(ni, 1);
    p = vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23)));
    p = vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vsubq_s32(ni, n1), vdupq_n_s32(127)), 23)));
    return vbslq_f32(over, vdupq_n_f32(INFINITY), p);
}

static float32x4_t rm__silu4_neon(float32x4_t a, float32x4_t g) {
    return vmulq_f32(a, vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), rm__exp4_neon(vnegq_f32(g)))));
}

/* a[i] *= silu(g[i]); the last partial vector through a zero-padded copy. */
static void rm__silu_mul_neon(float *a, const float *g, int64_t n) {
    int64_t i;
    for (i = 0; i + 4 <= n; i += 4) vst1q_f32(a + i, rm__silu4_neon(vld1q_f32(a + i), vld1q_f32(g + i)));
    if (i < n) {
        float ta[4] = {0, 0, 0, 0}, tg[4] = {0, 0, 0, 0};
        memcpy(ta, a + i, (size_t)(n - i) * 4);
        memcpy(tg, g + i, (size_t)(n - i) * 4);
        vst1q_f32(ta, rm__silu4_neon(vld1q_f32(ta), vld1q_f32(tg)));
        memcpy(a + i, ta, (size_t)(n - i) * 4);
    }
}

/* rm__softmax_row_avx512 on NEON: the sum in double; the last partial vector through a copy
   padded with -INFINITY (e^ = 0). */
static void rm__softmax_row_neon(float *s, const float *bias, int64_t n, float scale) {
    float32x4_t mv = vdupq_n_f32(-INFINITY), inv;
    float64x2_t d0 = vdupq_n_f64(0.0), d1 = vdupq_n_f64(0.0);
    float mx;
    double sum;
    int64_t i;
    for (i = 0; i < n; i += 4) {
        float32x4_t v;
        if (i + 4 <= n) {
            v = vfmaq_n_f32(vld1q_f32(bias + i), vld1q_f32(s + i), scale);
            vst1q_f32(s + i, v);
        } else {
            float ts[4] = {0, 0, 0, 0}, tb[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
            memcpy(ts, s + i, (size_t)(n - i) * 4);
            memcpy(tb, bias + i, (size_t)(n - i) * 4);
            v = vfmaq_n_f32(vld1q_f32(tb), vld1q_f32(ts), scale);
            vst1q_f32(ts, v);
            memcpy(s + i, ts, (size_t)(n - i) * 4);
        }
        mv = vmaxq_f32(mv, v);
    }
    mx = vmaxvq_f32(mv);
    if (mx == -INFINITY) mx = 0.0f;
    for (i = 0; i < n; i += 4) {
        float32x4_t p;
        if (i + 4 <= n) {
            p = rm__exp4_neon(vsubq_f32(vld1q_f32(s + i), vdupq_n_f32(mx)));
            vst1q_f32(s + i, p);
        } else {
            float ts[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
            memcpy(ts, s + i, (size_t)(n - i) * 4);
            p = rm__exp4_neon(vsubq_f32(vld1q_f32(ts), vdupq_n_f32(mx)));
            vst1q_f32(ts, p);
            memcpy(s + i, ts, (size_t)(n - i) * 4);
        }
        d0 = vaddq_f64(d0, vcvt_f64_f32(vget_low_f32(p)));
        d1 = vaddq_f64(d1, vcvt_high_f64_f32(p));
    }
    sum = vaddvq_f64(vaddq_f64(d0, d1));
    inv = vdupq_n_f32(sum > 0 ? (float)(1.0 / sum) : 0.0f);
    for (i = 0; i + 4 <= n; i += 4) vst1q_f32(s + i, vmulq_f32(vld1q_f32(s + i), inv));
    for (; i < n; i++) s[i] *= vgetq_lane_f32(inv, 0);
}

/* sum_j e^(l[j] - mx): float lanes, then double. */
static double rm__sumexp_neon(const float *l, int64_t n, float mx) {
    const float32x4_t m = vdupq_n_f32(mx);
    float32x4_t acc = vdupq_n_f32(0.0f);
    int64_t i;
    for (i = 0; i + 4 <= n; i += 4) acc = vaddq_f32(acc, rm__exp4_neon(vsubq_f32(vld1q_f32(l + i), m)));
    if (i < n) {
        float t[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
        memcpy(t, l + i, (size_t)(n - i) * 4);
        acc = vaddq_f32(acc, rm__exp4_neon(vsubq_f32(vld1q_f32(t), m)));
    }
    return (double)vaddvq_f32(acc);
}

#endif /* RM__KERNELS_NEON */

/* A vector (norm weight or bias) decoded to float at load when it is not F32 already. */
typedef struct rm__vec {
    const float *data;  /* NULL when absent */
    int64_t n;
} rm__vec;

typedef enum rm__norm_kind { RM__NORM_RMS = 0, RM__NORM_LAYER = 1 } rm__norm_kind;
typedef enum rm__act_kind { RM__ACT_SILU_GATED = 0, RM__ACT_GELU_GATED = 1, RM__ACT_GELU = 2 } rm__act_kind;


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

typedef struct rm__matmul_job {
    const rm__mat *W;
    const float *X;
    float *Y, *wbuf;
    int64_t T, ldx, ldy;
    int bf16;
} rm__matmul_job;

static void rm__matmul_rows(void *arg, int64_t j0, int64_t j1, int tid) {
    const rm__matmul_job *a = (const rm__matmul_job *)arg;
    const rm__mat *W = a->W;
    const int64_t T = a->T, ldx = a->ldx, ldy = a->ldy;
    const float *X = a->X;
    float *Y = a->Y;
    int64_t j;
    for (j = j0; j < j1; j++) {
        const float *w;
        int64_t t;
        if (W->type == RM_TYPE_F32) {
            w = (const float *)((const uint8_t *)W->data + (size_t)j * W->row_bytes);
        } else {
            float *row = a->wbuf + (size_t)tid * (size_t)W->n_in;
            rm_dequantize_row(W->type, (const uint8_t *)W->data + (size_t)j * W->row_bytes, row, W->n_in);
            w = row;
        }
        if (a->bf16 && (W->type == RM_TYPE_F16 || W->type == RM_TYPE_BF16)) {
            float *row = a->wbuf + (size_t)tid * (size_t)W->n_in;
            int64_t i;
            for (i = 0; i < W->n_in; i++) row[i] = rm__round_bf16(row[i]);
            for (t = 0; t < T; t++) {
                const float *x = X + t * ldx;
                float s[4] = {0, 0, 0, 0};
                for (i = 0; i < W->n_in; i++) s[i & 3] += row[i] * rm__round_bf16(x[i]);
                Y[t * ldy + j] = (s[0] + s[1]) + (s[2] + s[3]);
            }
            continue;
        }
        for (t = 0; t < T; t++) Y[t * ldy + j] = rm__dot_f32(w, X + t * ldx, W->n_in);
    }
}

/* Y[t][j] = sum_i W[j][i] * X[t][i] for t < T, j < n_out. Each weight row is decoded once
   and reused across all T tokens; rows are split among the pool's threads. wbuf: one row of
   n_in floats per thread. bf16 = 1 (RM_PRECISION_BF16) on F16/BF16 weights: weights and
   activations rounded to the nearest bfloat16 first. */
static void rm__matmul_ref(const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y, int64_t ldy,
                           float *wbuf, rm__pool *tp, int bf16) {
    rm__matmul_job a;
    a.W = W; a.X = X; a.Y = Y; a.wbuf = wbuf; a.T = T; a.ldx = ldx; a.ldy = ldy; a.bf16 = bf16;
    rm__parallel_for(tp, rm__gemm_threads(tp, W->n_in, W->n_out, T), W->n_out, 0, rm__matmul_rows, &a);
}

typedef struct rm__bias_job { float *Y; int64_t ldy; const rm__vec *b; } rm__bias_job;
static void rm__add_bias_rows(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__bias_job *a = (const rm__bias_job *)arg;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        int64_t j;
        for (j = 0; j < a->b->n; j++) a->Y[t * a->ldy + j] += a->b->data[j];
    }
}

static void rm__add_bias(float *Y, int64_t T, int64_t ldy, const rm__vec *b, rm__pool *tp) {
    rm__bias_job a;
    if (!b->data) return;
    a.Y = Y; a.ldy = ldy; a.b = b;
    rm__parallel_for(tp, T * b->n >= RM__PAR_MIN ? rm__pool_threads(tp) : 1, T, 0, rm__add_bias_rows, &a);
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

static void rm__silu_mul_ref(float *a, const float *g, int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++) a[i] *= rm__silu(g[i]);
}

/* sum_j e^(l[j] - mx) for the running log-sum-exp of the LM head. */
static double rm__sumexp_ref(const float *l, int64_t n, float mx) {
    double sum = 0;
    int64_t j;
    for (j = 0; j < n; j++) sum += expf(l[j] - mx);
    return sum;
}

/* s[j] = softmax_j(s[j] * scale + bias[j]) with bias 0 (visible) or -INFINITY (masked); a row
   with nothing visible becomes zeros. */
static void rm__softmax_row_ref(float *s, const float *bias, int64_t n, float scale) {
    float mx = -INFINITY;
    double sum = 0;
    int64_t j;
    for (j = 0; j < n; j++) {
        s[j] = s[j] * scale + bias[j];
        if (s[j] > mx) mx = s[j];
    }
    for (j = 0; j < n; j++) {
        s[j] = s[j] == -INFINITY ? 0.0f : expf(s[j] - mx);
        sum += s[j];
    }
    for (j = 0; j < n; j++) s[j] = sum > 0 ? (float)(s[j] / sum) : 0.0f;
}

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

/* ---- dispatch ---- */

/* The kernels of one instruction set; a NULL entry runs the scalar reference above. Each
   context copies the table of its instruction set at rm_ctx_new (rm__kernels_pick): the choice
   is made once per context, from the CPU's cpuid bits or RM_ISA, and nothing global is written,
   so contexts in different threads (or with different instruction sets, as the tests use)
   never race. The kernels return 0 where they do not handle a case (a weight type, a row
   length, no memory for the packed operands): the reference computes it. */
#if RM__KERNELS_ANY
typedef struct rm__kernels {
    int isa;             /* rm_isa */
    int bf16dot;         /* the float entries take how = 2: bf16 dot products on pairs */
    /* F32/F16/BF16 weights (rm__gemm_f_drv): a panel of 32 rows into wp [k][32] (how 2: bf16
       pairs [k/2][32]), one token as bf16 pairs (how 2), 12 tokens x 32 rows of sums */
    void (*f_pack)(const rm__mat *W, int64_t j0, float *wp, int how);
    void (*f_pack_x_bf)(const float *src, int64_t K, uint32_t *dst);
    void (*f_kernel)(int64_t KL, const float *xp, const float *wp, float *Y, int64_t ldy, int rows, int cols, int how);
    /* quantized weights (rm__gemm_q_drv): 6 tokens to int16, a panel decoded from chunks of
       ch (256 or 128) elements of its rows, 6 tokens x 32 rows of sums */
    void (*q_quant_x)(const float *X, int64_t ldx, int64_t t0, int64_t T, int64_t K, const rm__qinfo *qi, int32_t *xq, float *xd,
                      float *xs);
    void (*q_pack)(const rm__mat *W, const rm__qinfo *qi, int64_t j0, int ch, int16_t *wq, float *ws, float *wm, uint8_t *u,
                   float *s, float *m);
    void (*q_kernel)(int64_t nsub, int bs2, int has_min, const int32_t *xq, const float *xd, const float *xs, const int16_t *wq,
                     const float *ws, const float *wm, float *Y, int64_t ldy, int rows, int cols);
    void (*silu_mul)(float *a, const float *g, int64_t n);
    void (*softmax_row)(float *s, const float *bias, int64_t n, float scale);
    double (*sumexp)(const float *l, int64_t n, float mx);
} rm__kernels;

/* The float and bf16 products, for every instruction set: activations packed once, then
   panels of 32 rows dealt out to the threads, each packed (k->f_pack) and multiplied with
   every block of 12 tokens (k->f_kernel). how: 0 float, 1 float on bf16-rounded operands (the
   bf16 precision on a CPU without bf16 dot products), 2 bf16 dot products. Packed elements are
   4 bytes: a float, or a pair of bf16 (half as many). */
/* The shared state of one float product, for the pool's threads. */
typedef struct rm__gemm_f_job {
    const rm__kernels *kn;
    const rm__mat *W;
    const float *X;
    float *Y;
    int64_t T, ldx, ldy, K, KL, N, nblk;
    float *xp;
    uint8_t *wpb; /* per-thread packed panels, pbytes each */
    size_t pbytes;
    int how;
} rm__gemm_f_job;

/* Activations: blocks ib0..ib1-1 of 12 tokens, [KL][12] each. */
static void rm__gemm_f_pack(void *arg, int64_t ib0, int64_t ib1, int tid) {
    const rm__gemm_f_job *j = (const rm__gemm_f_job *)arg;
    const int64_t K = j->K, KL = j->KL;
    int64_t ib;
    RM__UNUSED(tid);
    for (ib = ib0; ib < ib1; ib++) {
        float *dst = j->xp + (size_t)ib * RM__FMR * (size_t)KL;
        int64_t r, k;
        for (r = 0; r < RM__FMR; r++) {
            const int64_t t = ib * RM__FMR + r;
            const float *src = t < j->T ? j->X + t * j->ldx : NULL;
            if (!src) for (k = 0; k < KL; k++) dst[k * RM__FMR + r] = 0.0f;
            else if (j->how == 2) j->kn->f_pack_x_bf(src, K, (uint32_t *)(void *)dst + r);
            else if (j->how == 1) for (k = 0; k < K; k++) dst[k * RM__FMR + r] = rm__round_bf16(src[k]);
            else for (k = 0; k < K; k++) dst[k * RM__FMR + r] = src[k];
        }
    }
}

/* Panels ip0..ip1-1 of 32 weight rows, each packed into this thread's buffer and multiplied
   with every block of tokens. */
static void rm__gemm_f_panels(void *arg, int64_t ip0, int64_t ip1, int tid) {
    const rm__gemm_f_job *j = (const rm__gemm_f_job *)arg;
    const int64_t KL = j->KL, N = j->N, T = j->T;
    float *wp = (float *)(void *)(j->wpb + (size_t)tid * j->pbytes);
    int64_t ip;
    for (ip = ip0; ip < ip1; ip++) {
        const int64_t j0 = ip * RM__NR;
        const int cols = (int)RM__MIN(RM__NR, N - j0);
        int64_t jb;
        j->kn->f_pack(j->W, j0, wp, j->how);
        for (jb = 0; jb < j->nblk; jb++) {
            const int64_t t0 = jb * RM__FMR;
            const float *xb = j->xp + (size_t)jb * RM__FMR * (size_t)KL;
            j->kn->f_kernel(KL, xb, wp, j->Y + t0 * j->ldy + j0, j->ldy, (int)RM__MIN(RM__FMR, T - t0), cols, j->how);
        }
    }
}

static int rm__gemm_f_drv(const rm__kernels *kn, const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y,
                          int64_t ldy, rm__pool *tp, int how) {
    const int64_t K = W->n_in, KL = how == 2 ? (K + 1) / 2 : K, N = W->n_out;
    const int64_t nblk = (T + RM__FMR - 1) / RM__FMR, npan = (N + RM__NR - 1) / RM__NR;
    const int nt = rm__gemm_threads(tp, K, N, T);
    const size_t xbytes = ((size_t)nblk * RM__FMR * (size_t)KL * 4 + 63) & ~(size_t)63;
    const size_t pbytes = ((size_t)KL * RM__NR * 4 + 63) & ~(size_t)63;
    void *mem = RM_MALLOC(xbytes + (size_t)nt * pbytes + 64);
    rm__gemm_f_job j;
    if (!mem) return 0;
    j.kn = kn; j.W = W; j.X = X; j.Y = Y; j.T = T; j.ldx = ldx; j.ldy = ldy; j.K = K; j.KL = KL; j.N = N; j.nblk = nblk;
    j.xp = (float *)rm__align64(mem);
    j.wpb = (uint8_t *)j.xp + xbytes;
    j.pbytes = pbytes;
    j.how = how;
    rm__parallel_for(tp, nt, nblk, 4, rm__gemm_f_pack, &j);
    rm__parallel_for(tp, nt, npan, 1, rm__gemm_f_panels, &j);
    RM_FREE(mem);
    return 1;
}

/* The integer products, for every instruction set: activations quantized once in blocks of 6
   tokens (k->q_quant_x), then panels of 32 rows decoded (k->q_pack, or rm__pack_q_panel for
   row lengths it does not take) and multiplied with every block (k->q_kernel). */
/* The shared state of one integer product, for the pool's threads. */
typedef struct rm__gemm_q_job {
    const rm__kernels *kn;
    const rm__mat *W;
    const rm__qinfo *qi;
    const float *X;
    float *Y;
    int64_t T, ldx, ldy, K, N, nsub, nblk;
    uint8_t *base; /* nblk token blocks of xblk bytes, then per-thread panels of pbytes */
    size_t xq_b, xv_b, xblk, wq_b, wv_b, srow, pbytes;
} rm__gemm_q_job;

/* Activations: blocks ib0..ib1-1 of 6 tokens quantized to int16 (xq, xd, xs). */
static void rm__gemm_q_pack(void *arg, int64_t ib0, int64_t ib1, int tid) {
    const rm__gemm_q_job *j = (const rm__gemm_q_job *)arg;
    int64_t ib;
    RM__UNUSED(tid);
    for (ib = ib0; ib < ib1; ib++) {
        uint8_t *p = j->base + (size_t)ib * j->xblk;
        j->kn->q_quant_x(j->X, j->ldx, ib * RM__QMR, j->T, j->K, j->qi, (int32_t *)(void *)p, (float *)(void *)(p + j->xq_b),
                         (float *)(void *)(p + j->xq_b + j->xv_b));
    }
}

/* Panels ip0..ip1-1 of 32 weight rows, decoded into this thread's buffers and multiplied with
   every block of tokens. */
static void rm__gemm_q_panels(void *arg, int64_t ip0, int64_t ip1, int tid) {
    const rm__gemm_q_job *j = (const rm__gemm_q_job *)arg;
    const rm__kernels *kn = j->kn;
    const rm__qinfo *qi = j->qi;
    const int64_t K = j->K, N = j->N, T = j->T;
    uint8_t *pb = j->base + (size_t)j->nblk * j->xblk + (size_t)tid * j->pbytes, *u;
    int16_t *wq = (int16_t *)(void *)pb;
    float *ws = (float *)(void *)(pb + j->wq_b);
    float *wm = (float *)(void *)(pb + j->wq_b + j->wv_b);
    float *s = (float *)(void *)(pb + j->wq_b + 2 * j->wv_b);
    float *m = s + j->srow;
    int64_t ip;
    u = (uint8_t *)(m + j->srow);
    for (ip = ip0; ip < ip1; ip++) {
        const int64_t j0 = ip * RM__NR;
        const int cols = (int)RM__MIN(RM__NR, N - j0);
        int64_t jb;
        if (K % 256 == 0) kn->q_pack(j->W, qi, j0, 256, wq, ws, wm, u, s, m);
        else if (K % 128 == 0 && qi->bs == 32) kn->q_pack(j->W, qi, j0, 128, wq, ws, wm, u, s, m);
        else rm__pack_q_panel(j->W, qi, j0, wq, ws, wm, u, s, m);
        for (jb = 0; jb < j->nblk; jb++) {
            const int64_t t0 = jb * RM__QMR;
            const uint8_t *p = j->base + (size_t)jb * j->xblk;
            kn->q_kernel(j->nsub, qi->bs / 2, qi->has_min, (const int32_t *)(const void *)p,
                         (const float *)(const void *)(p + j->xq_b), (const float *)(const void *)(p + j->xq_b + j->xv_b), wq, ws,
                         wm, j->Y + t0 * j->ldy + j0, j->ldy, (int)RM__MIN(RM__QMR, T - t0), cols);
        }
    }
}

static int rm__gemm_q_drv(const rm__kernels *kn, const rm__mat *W, const rm__qinfo *qi, const float *X, int64_t T,
                          int64_t ldx, float *Y, int64_t ldy, rm__pool *tp) {
    const int64_t K = W->n_in, N = W->n_out, nsub = K / qi->bs;
    const int64_t nblk = (T + RM__QMR - 1) / RM__QMR, npan = (N + RM__NR - 1) / RM__NR;
    const int nt = rm__gemm_threads(tp, K, N, T);
    /* per token block: xq, xd, xs; per thread: wq, ws, wm, then one decoded row (u, s, m) */
    const size_t xq_b = (size_t)K * 2 * RM__QMR, xv_b = (size_t)nsub * RM__QMR * 4;
    const size_t xblk = (xq_b + 2 * xv_b + 63) & ~(size_t)63;
    const size_t wq_b = (size_t)K * 2 * RM__NR, wv_b = (size_t)nsub * RM__NR * 4;
    const size_t srow = (size_t)RM__MAX(nsub, 16 * RM__NR), urow = (size_t)RM__MAX(K, 256 * RM__NR);
    const size_t pbytes = (wq_b + 2 * wv_b + 2 * srow * 4 + urow + 63) & ~(size_t)63;
    void *mem = RM_MALLOC((size_t)nblk * xblk + (size_t)nt * pbytes + 64);
    rm__gemm_q_job j;
    if (!mem) return 0;
    j.kn = kn; j.W = W; j.qi = qi; j.X = X; j.Y = Y; j.T = T; j.ldx = ldx; j.ldy = ldy; j.K = K; j.N = N; j.nsub = nsub;
    j.nblk = nblk;
    j.base = (uint8_t *)rm__align64(mem);
    j.xq_b = xq_b; j.xv_b = xv_b; j.xblk = xblk; j.wq_b = wq_b; j.wv_b = wv_b; j.srow = srow; j.pbytes = pbytes;
    rm__parallel_for(tp, nt, nblk, 4, rm__gemm_q_pack, &j);
    rm__parallel_for(tp, nt, npan, 1, rm__gemm_q_panels, &j);
    RM_FREE(mem);
    return 1;
}

#else
typedef struct rm__kernels {
    int isa, bf16dot;
    void (*f_kernel)(void);
    void (*q_kernel)(void);
    void (*silu_mul)(float *a, const float *g, int64_t n);
    void (*softmax_row)(float *s, const float *bias, int64_t n, float scale);
    double (*sumexp)(const float *l, int64_t n, float mx);
} rm__kernels;
#endif

/* Indexed by rm_isa. An instruction set this build has no kernels for keeps NULL entries. */
#if RM__KERNELS_ANY
#define RM__KT_NONE(isa) {isa, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL}
#else
#define RM__KT_NONE(isa) {isa, 0, NULL, NULL, NULL, NULL, NULL}
#endif
static const rm__kernels rm__kernel_tables[RM_ISA_COUNT] = {
    RM__KT_NONE(RM_ISA_AUTO),
#if RM__KERNELS_ANY
    {RM_ISA_SCALAR, 0, NULL, NULL, NULL, NULL, NULL, NULL, rm__silu_mul_ref, rm__softmax_row_ref, rm__sumexp_ref},
#else
    {RM_ISA_SCALAR, 0, NULL, NULL, rm__silu_mul_ref, rm__softmax_row_ref, rm__sumexp_ref},
#endif
#if RM__KERNELS_X86
    /* AVX2 + FMA (x86-64-v3); AVX-VNNI's kernel replaces q_kernel where the CPU has it */
    {RM_ISA_AVX2, 0, rm__f_pack_avx2, NULL, rm__f_kernel_avx2, rm__q_quant_x_avx2, rm__q_pack_avx2, rm__q_kernel_avx2,
     rm__silu_mul_avx2, rm__softmax_row_avx2, rm__sumexp_avx2},
    /* AVX-512 F/BW/VL/DQ; VNNI for quantized weights (else AVX2's), BF16 sets bf16dot */
    {RM_ISA_AVX512, 0, rm__f_pack_avx512, rm__pack_bf_x, rm__f_kernel_avx512, rm__quant_x_block, rm__pack_q_panel_ch,
     rm__q_kernel, rm__silu_mul_avx512, rm__softmax_row_avx512, rm__sumexp_avx512},
#else
    RM__KT_NONE(RM_ISA_AVX2),
    RM__KT_NONE(RM_ISA_AVX512),
#endif
    /* ARM64 NEON (bf16dot set by rm__kernels_pick where the CPU has BFDOT) */
#if RM__KERNELS_NEON
    {RM_ISA_NEON, 0, rm__f_pack_neon, rm__f_pack_x_bf_neon, rm__f_kernel_neon32, rm__q_quant_x_neon, rm__q_pack_neon,
     rm__q_kernel_neon, rm__silu_mul_neon, rm__softmax_row_neon, rm__sumexp_neon},
#else
    RM__KT_NONE(RM_ISA_NEON),
#endif
};

static const char *const rm__isa_names[RM_ISA_COUNT] = {"auto", "scalar", "avx2", "avx512", "neon"};

RMDEF const char *rm_isa_name(int isa) { return isa >= 0 && isa < RM_ISA_COUNT ? rm__isa_names[isa] : NULL; }

/* 1 when this build has the kernels of isa and the CPU runs them (__builtin_cpu_supports also
   checks that the OS saves the ymm/zmm state). */
RMDEF int rm_isa_available(int isa) {
    switch (isa) {
    case RM_ISA_SCALAR: return 1;
#if RM__KERNELS_X86
    case RM_ISA_AVX2: return rm__cpu_avx2();
    case RM_ISA_AVX512: return rm__cpu_avx512f() && rm__cpu_avx2();
#endif
#if RM__KERNELS_NEON
    case RM_ISA_NEON: return 1; /* ASIMD is part of AArch64 */
#endif
    default: return 0;
    }
}

/* The kernels a context runs: isa, or with RM_ISA_AUTO the environment variable RM_ISA when it
   is set and not empty, else the fastest available. RM_ERR_ISA (message in err) for an unknown
   name or an instruction set this build or CPU lacks. */
static rm_result rm__kernels_pick(int isa, rm__kernels *out, char *err, size_t cap) {
    const char *env = NULL;
    int i;
    if (isa == RM_ISA_AUTO) {
        env = getenv("RM_ISA");
        if (env && *env) {
            for (i = RM_ISA_SCALAR; i < RM_ISA_COUNT && strcmp(env, rm__isa_names[i]) != 0; i++) {}
            if (i == RM_ISA_COUNT)
                return rm__fail(err, cap, RM_ERR_ISA, "RM_ISA='%.40s' is not an instruction set (scalar, avx2, avx512, neon)", env);
            isa = i;
        } else {
            env = NULL;
            for (isa = RM_ISA_COUNT - 1; isa > RM_ISA_SCALAR && !rm_isa_available(isa); isa--) {}
        }
    }
    if (isa <= RM_ISA_AUTO || isa >= RM_ISA_COUNT) return rm__fail(err, cap, RM_ERR_ISA, "instruction set %d does not exist", isa);
    if (!rm_isa_available(isa)) {
        char have[64] = "";
        for (i = RM_ISA_SCALAR; i < RM_ISA_COUNT; i++)
            if (rm_isa_available(i)) {
                strcat(have, " ");
                strcat(have, rm__isa_names[i]);
            }
        return rm__fail(err, cap, RM_ERR_ISA, "%s%s: this build or CPU lacks it (available:%s)", env ? "RM_ISA=" : "instruction set ",
                        rm__isa_names[isa], have);
    }
    *out = rm__kernel_tables[isa];
#if RM__KERNELS_X86
    if (isa == RM_ISA_AVX512) {
        out->bf16dot = rm__cpu_avx512bf16();
        if (!rm__cpu_avx512vnni()) { /* Skylake-X: AVX2's integer kernels */
            out->q_quant_x = rm__kernel_tables[RM_ISA_AVX2].q_quant_x;
            out->q_pack = rm__kernel_tables[RM_ISA_AVX2].q_pack;
            out->q_kernel = rm__kernel_tables[RM_ISA_AVX2].q_kernel;
        }
    }
    if ((isa == RM_ISA_AVX2 || out->q_kernel == rm__q_kernel_avx2) && rm__cpu_avxvnni()) out->q_kernel = rm__q_kernel_avxvnni;
#endif
#if RM__KERNELS_NEON
    if (isa == RM_ISA_NEON) {
        const unsigned caps = rm__neon_caps();
        out->bf16dot = RM__NEON_HAVE_BFDOT && (caps & RM__NEON_BF16);
    }
#endif
    return RM_OK;
}

/* Y[t*ldy + j] = sum_i W[j][i] * X[t*ldx + i] for j < W->n_out, t < T, with k's kernels; rnd
   (the bf16 precision, F16/BF16 weights only): both operands rounded to the nearest bfloat16,
   products exact, sums in float, as rm__matmul_ref with bf16 = 1 defines. Returns 1 when it
   computed the product, 0 to let the reference do it. */
static int rm__gemm_fast(const rm__kernels *k, const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y,
                         int64_t ldy, rm__pool *tp, int rnd) {
    if (!W || !W->data || !X || !Y || T <= 0 || W->n_in <= 0 || W->n_out <= 0) return 0;
    if (!k->f_kernel) return 0;
#if RM__KERNELS_ANY
    if (W->type == RM_TYPE_F32 || W->type == RM_TYPE_F16 || W->type == RM_TYPE_BF16) {
        rnd = rnd && W->type != RM_TYPE_F32;
        return rm__gemm_f_drv(k, W, X, T, ldx, Y, ldy, tp, !rnd ? 0 : k->bf16dot ? 2 : 1);
    }
    {
        rm__qinfo qi;
        if (k->q_kernel && rm__qinfo_of(W->type, &qi) && W->n_in % 32 == 0) return rm__gemm_q_drv(k, W, &qi, X, T, ldx, Y, ldy, tp);
    }
#else
    RM__UNUSED(X); RM__UNUSED(ldx); RM__UNUSED(Y); RM__UNUSED(ldy); RM__UNUSED(tp); RM__UNUSED(rnd);
#endif
    return 0;
}

/* The product of the forward pass at precision prec (rm_precision): the fast kernels when they
   handle this case, else the reference. */
static void rm__matmul(const rm__kernels *k, const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y,
                       int64_t ldy, float *wbuf, rm__pool *tp, int prec) {
    /* the bf16 products round BF16 weights losslessly; F16 weights only when asked */
    const int bf16 = W->type == RM_TYPE_BF16 ? prec != RM_PRECISION_F32 : W->type == RM_TYPE_F16 && prec == RM_PRECISION_BF16;
    if (rm__gemm_fast(k, W, X, T, ldx, Y, ldy, tp, bf16)) return;
    rm__matmul_ref(W, X, T, ldx, Y, ldy, wbuf, tp, bf16);
}

/* a[i] *= silu(g[i]) over one row. */
static void rm__silu_mul(const rm__kernels *k, float *a, const float *g, int64_t n) {
    (k->silu_mul ? k->silu_mul : rm__silu_mul_ref)(a, g, n);
}

/* sum_j e^(l[j] - mx) for the running log-sum-exp of the LM head. */
static double rm__sumexp(const rm__kernels *k, const float *l, int64_t n, float mx) {
    return (k->sumexp ? k->sumexp : rm__sumexp_ref)(l, n, mx);
}

/* s[j] = softmax_j(s[j] * scale + bias[j]), bias 0 or -INFINITY. */
static void rm__softmax_row(const rm__kernels *k, float *s, const float *bias, int64_t n, float scale) {
    (k->softmax_row ? k->softmax_row : rm__softmax_row_ref)(s, bias, n, scale);
}

/* ---------------------------------------------------------------------------------------- */
/* 11. Model loading                                                                        */
/* ---------------------------------------------------------------------------------------- */

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
    int tied;             /* the family's small models tie the LM head to the embeddings (Qwen2.5-7B
                             and larger do not: see the implicit-mode check in rm_scorer_new) */
} rm__arch_info;

static const rm__arch_info rm__archs[RM_ARCH_COUNT] = {
    /* name      norm           act                 neox fused qkvb qkn post par emb outb bos tied */
    {"llama",   RM__NORM_RMS,   RM__ACT_SILU_GATED, 0,   0,    0,   0,  0,   0,  0,  0,   1,  0},
    {"qwen2",   RM__NORM_RMS,   RM__ACT_SILU_GATED, 1,   0,    1,   0,  0,   0,  0,  0,   0,  1},
    {"qwen3",   RM__NORM_RMS,   RM__ACT_SILU_GATED, 1,   0,    0,   1,  0,   0,  0,  0,   0,  1},
    {"gemma2",  RM__NORM_RMS,   RM__ACT_GELU_GATED, 1,   0,    0,   0,  1,   0,  1,  0,   1,  1},
    {"gptneox", RM__NORM_LAYER, RM__ACT_GELU,       1,   1,    1,   0,  0,   1,  0,  1,   0,  0},
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
/* 12. Contexts and the forward pass                                                        */
/* ---------------------------------------------------------------------------------------- */

/* Tokens per pass through the layers: bounds the scratch memory of a long evaluation. */
#define RM__UBATCH 512

struct rm_ctx {
    const rm_model *m;
    rm_result status;
    char err[512];
    int nth;               /* as asked: 0 = one per CPU */
    rm__pool *pool;        /* the threads of every parallel loop; shared by a scorer's contexts */
    int own_pool;          /* 1: freed with the context */
    int kv_f16;
    int prec;              /* rm_precision */
    rm__kernels kern;      /* the kernels of its instruction set */
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

static int rm__max_threads(const rm_ctx *c) { return rm__pool_threads(c->pool); }

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

/* rm_ctx_new with the threads of another context (pool not NULL: borrowed, never run from
   two contexts at once) or a pool of its own. */
static rm_result rm__ctx_new(const rm_model *m, const rm_ctx_params *p, rm__pool *pool, rm_ctx **out) {
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
        if (p->precision != RM_PRECISION_AUTO && p->precision != RM_PRECISION_BF16 && p->precision != RM_PRECISION_F32) {
            c->status = rm__ctx_fail(c, RM_ERR_INVALID_ARG, "ctx: precision %d is not an rm_precision (AUTO 0, BF16 1, F32 2)", p->precision);
            return c->status;
        }
        if (p->n_ctx > 0) c->n_ctx = p->n_ctx;
        c->nth = p->n_threads;
        c->kv_f16 = p->kv_f16 != 0;
        c->prec = p->precision;
    }
    {
        char why[200];
        rm_result e = rm__kernels_pick(p ? p->isa : RM_ISA_AUTO, &c->kern, why, sizeof(why));
        if (e) {
            c->status = rm__ctx_fail(c, e, "ctx: %s", why);
            return c->status;
        }
    }
    if (c->n_ctx > RM_MAX_CONTEXT) c->n_ctx = RM_MAX_CONTEXT;
    if (c->n_ctx < 1) c->n_ctx = 1;
    c->k = (void **)rm__calloc((size_t)m->hp.n_layer, sizeof(void *));
    c->v = (void **)rm__calloc((size_t)m->hp.n_layer, sizeof(void *));
    if (!c->k || !c->v) return c->status = rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory");
    c->pool = pool;
    if (!pool) {
        c->pool = rm__pool_new(c->nth);
        c->own_pool = 1;
        if (!c->pool) c->status = rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for the thread pool");
    }
    return c->status;
}

RMDEF rm_result rm_ctx_new(const rm_model *m, const rm_ctx_params *p, rm_ctx **out) { return rm__ctx_new(m, p, NULL, out); }

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
    if (c->own_pool) rm__pool_free(c->pool);
    RM_FREE(c);
}

RMDEF const char *rm_ctx_error(const rm_ctx *c) { return c ? c->err : "out of memory"; }
RMDEF int rm_ctx_isa(const rm_ctx *c) { return c && !c->status ? c->kern.isa : RM_ISA_SCALAR; }
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

/* Queries per chunk of the attention products. */
#define RM__ATT_CHUNK 128

/* The shared state of the attention of one chunk of queries, for the pool's threads. */
typedef struct rm__att_job {
    rm_ctx *c;
    const rm__layer *L;
    const float *K, *V;
    float *S, *Vt, *B;
    int64_t n_cells, row, t0, tc, n_vis, first;
    rm__atom fail;
} rm__att_job;

/* V transposed: Vt[j][cell] for rows j0..j1-1 of the G*D values of a cell. */
static void rm__att_vt(void *arg, int64_t j0, int64_t j1, int tid) {
    const rm__att_job *a = (const rm__att_job *)arg;
    int64_t j;
    RM__UNUSED(tid);
    for (j = j0; j < j1; j++) {
        int64_t jj;
        for (jj = 0; jj < a->n_cells; jj++) a->Vt[j * a->n_cells + jj] = a->V[jj * a->row + j];
    }
}

/* The mask, as 0 / -INFINITY to add to the scores (the same for every head), queries t0..t1-1
   of the chunk. */
static void rm__att_mask(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__att_job *a = (const rm__att_job *)arg;
    const rm_ctx *c = a->c;
    const rm_hparams *hp = &c->m->hp;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        const int32_t pq = c->cell_pos[a->first + a->t0 + t], sq = c->cell_seq[a->first + a->t0 + t];
        float *br = a->B + t * a->n_vis;
        int64_t jj;
        for (jj = 0; jj < a->n_vis; jj++) {
            const int32_t pk = c->cell_pos[jj], sk = c->cell_seq[jj];
            br[jj] = (pk > pq || (sk >= 0 && sk != sq) || (a->L->sliding && pq - pk >= hp->sliding_window)) ? -INFINITY : 0.0f;
        }
    }
}

/* Heads h0..h1-1 of the chunk, each product on this thread alone. */
static void rm__att_heads(void *arg, int64_t h0, int64_t h1, int tid) {
    rm__att_job *a = (rm__att_job *)arg;
    const rm_ctx *c = a->c;
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const int64_t D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, qstride = H * D, group = H / G;
    const int64_t n_cells = a->n_cells, n_vis = a->n_vis, tc = a->tc, t0 = a->t0;
    const float scale = (float)m->attn_scale, cap = (float)hp->attn_softcap;
    float *Sh = a->S + (size_t)tid * RM__ATT_CHUNK * (size_t)n_cells;
    int64_t h;
    for (h = h0; h < h1; h++) {
        rm__mat Km, Vm;
        int64_t tt;
        const int64_t g = h / group;
        Km.data = a->K + g * D; Km.type = RM_TYPE_F32; Km.n_in = D; Km.n_out = n_vis; Km.row_bytes = (size_t)a->row * 4;
        Vm.data = a->Vt + g * D * n_cells; Vm.type = RM_TYPE_F32; Vm.n_in = n_vis; Vm.n_out = D;
        Vm.row_bytes = (size_t)n_cells * 4;
        if (!rm__gemm_fast(&c->kern, &Km, c->q + t0 * qstride + h * D, tc, qstride, Sh, n_vis, NULL, 0)) {
            rm__atomic_store(&a->fail, 1);
            continue;
        }
        for (tt = 0; tt < tc; tt++) {
            float *sr = Sh + tt * n_vis;
            if (cap > 0) {
                int64_t jj;
                for (jj = 0; jj < n_vis; jj++) sr[jj] = cap * tanhf(sr[jj] * scale / cap);
                rm__softmax_row(&c->kern, sr, a->B + tt * n_vis, n_vis, 1.0f);
            } else {
                rm__softmax_row(&c->kern, sr, a->B + tt * n_vis, n_vis, scale);
            }
        }
        if (!rm__gemm_fast(&c->kern, &Vm, Sh, tc, n_vis, c->att + t0 * qstride + h * D, qstride, NULL, 0)) rm__atomic_store(&a->fail, 1);
    }
}

/* Attention as two matrix products per head through rm__gemm_fast: S = Q K^T over the cells a
   chunk of queries may see, the mask and a softmax on S, then O = P V (V transposed once per
   layer so that its rows are the "weights"). F32 KV only; 0 when the fast path is unavailable. */
static int rm__attention_gemm(rm_ctx *c, const rm__layer *L, int64_t il, int64_t first, int64_t T) {
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const int64_t D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, row = G * D, qstride = H * D;
    const int64_t n_cells = first + T;
    const int nth = rm__max_threads(c);
    rm__att_job a;
    int64_t t0, j;
    rm__mat probe;
    if (c->kv_f16) return 0;
    memset(&a, 0, sizeof(a));
    a.c = c; a.L = L; a.first = first; a.n_cells = n_cells; a.row = row;
    a.K = (const float *)c->k[il];
    a.V = (const float *)c->v[il];
    probe.data = a.K; probe.type = RM_TYPE_F32; probe.n_in = D; probe.n_out = 1; probe.row_bytes = (size_t)row * 4;
    a.S = (float *)RM_MALLOC((size_t)nth * RM__ATT_CHUNK * (size_t)n_cells * sizeof(float));
    a.B = (float *)RM_MALLOC((size_t)RM__ATT_CHUNK * (size_t)n_cells * sizeof(float));
    a.Vt = (float *)RM_MALLOC((size_t)row * (size_t)n_cells * sizeof(float));
    if (!a.S || !a.B || !a.Vt || !rm__gemm_fast(&c->kern, &probe, c->q, 1, qstride, a.S, 1, NULL, 0)) {
        RM_FREE(a.S); RM_FREE(a.B); RM_FREE(a.Vt);
        return 0;
    }
    rm__parallel_for(c->pool, row * n_cells >= RM__PAR_MIN ? nth : 1, row, 0, rm__att_vt, &a);
    for (t0 = 0; t0 < T; t0 += RM__ATT_CHUNK) {
        const int64_t tc = RM__MIN(RM__ATT_CHUNK, T - t0);
        int64_t n_vis = 0, t;
        /* cells past the last one any query of the chunk sees are left out of the products */
        for (t = t0; t < t0 + tc; t++) {
            const int32_t pq = c->cell_pos[first + t], sq = c->cell_seq[first + t];
            for (j = n_cells - 1; j >= n_vis; j--) {
                const int32_t pk = c->cell_pos[j], sk = c->cell_seq[j];
                if (!(pk > pq || (sk >= 0 && sk != sq) || (L->sliding && pq - pk >= hp->sliding_window))) break;
            }
            if (j + 1 > n_vis) n_vis = j + 1;
        }
        if (n_vis == 0) n_vis = 1;
        a.t0 = t0; a.tc = tc; a.n_vis = n_vis;
        rm__parallel_for(c->pool, tc * n_vis >= RM__PAR_MIN ? nth : 1, tc, 0, rm__att_mask, &a);
        /* heads in parallel, each product on one thread: few fork/joins, which matters most
           when another process holds one of the cores */
        rm__parallel_for(c->pool, tc * n_vis * D * H >= RM__PAR_MIN * 16 ? nth : 1, H, 1, rm__att_heads, &a);
        if (rm__atomic_load(&a.fail)) break;
    }
    RM_FREE(a.S);
    RM_FREE(a.B);
    RM_FREE(a.Vt);
    return !rm__atomic_load(&a.fail);
}

/* Attention of T new tokens (their K/V already stored in cells first..first+T-1) over every
   cell they may see: same sequence or the shared prefix, position not after theirs, and
   within the sliding window when the layer has one. This loop is the reference; the GEMM
   form above takes over when the fast kernels are available. */
typedef struct rm__att_ref_job { rm_ctx *c; const rm__layer *L; int64_t il, first, T; } rm__att_ref_job;

/* (token, head) pairs th0..th1-1, th = t * H + h. */
static void rm__att_ref_rows(void *arg, int64_t th0, int64_t th1, int tid) {
    const rm__att_ref_job *a = (const rm__att_ref_job *)arg;
    rm_ctx *c = a->c;
    const rm__layer *L = a->L;
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const int64_t il = a->il, first = a->first, T = a->T;
    const int64_t D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, row = G * D, qstride = H * D;
    const int64_t n_cells = first + T, group = H / G;
    const float scale = (float)m->attn_scale, cap = (float)hp->attn_softcap;
    int64_t th;
    for (th = th0; th < th1; th++) {
        const int64_t t = th / H, h = th % H, g = h / group, cell_q = first + t;
        const int32_t pq = c->cell_pos[cell_q], sq = c->cell_seq[cell_q];
        const float *qv = c->q + t * qstride + h * D;
        float *out = c->att + t * qstride + h * D;
        float *sc;
        float mx = -INFINITY;
        double sum = 0;
        int64_t j, d;
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

static void rm__attention_ref(rm_ctx *c, const rm__layer *L, int64_t il, int64_t first, int64_t T) {
    const rm_hparams *hp = &c->m->hp;
    const int64_t H = hp->n_head, D = hp->head_dim, n_cells = first + T;
    rm__att_ref_job a;
    a.c = c; a.L = L; a.il = il; a.first = first; a.T = T;
    rm__parallel_for(c->pool, T * H * n_cells * D >= RM__PAR_MIN * 16 ? rm__max_threads(c) : 1, T * H, 1, rm__att_ref_rows, &a);
}

static void rm__attention(rm_ctx *c, const rm__layer *L, int64_t il, int64_t first, int64_t T) {
    if (!rm__attention_gemm(c, L, il, first, T)) rm__attention_ref(c, L, il, first, T);
}

/* cos/sin of every rotary pair for each token's position. llama3 scaling divides each
   frequency by rope_freqs[i]; linear scaling multiplies positions by rope_scale. */
typedef struct rm__rope_job { rm_ctx *c; int64_t first; } rm__rope_job;
static void rm__rope_rows(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__rope_job *a = (const rm__rope_job *)arg;
    const rm_ctx *c = a->c;
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const int64_t first = a->first, half = hp->n_rot / 2;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        double p = (double)c->cell_pos[first + t] * hp->rope_scale;
        double *cs = c->rope_cs + t * hp->n_rot;
        int64_t i;
        for (i = 0; i < half; i++) {
            double theta = p * pow(hp->rope_base, -2.0 * (double)i / (double)hp->n_rot);
            if (m->rope_freqs.data) theta /= m->rope_freqs.data[i];
            cs[2 * i] = cos(theta);
            cs[2 * i + 1] = sin(theta);
        }
    }
}

static void rm__rope_table(rm_ctx *c, int64_t first, int64_t T, int nth) {
    rm__rope_job a;
    a.c = c;
    a.first = first;
    rm__parallel_for(c->pool, T * (c->m->hp.n_rot / 2) >= RM__PAR_MIN / 16 ? nth : 1, T, 0, rm__rope_rows, &a);
}

/* Per token t < T: x += add (when add is not NULL), then out = norm(x) (when w is not NULL).
   The residual stream and the norm that reads it in one pass, parallel over tokens. */
typedef struct rm__add_norm_job {
    float *x, *out;
    const float *add;
    int64_t E;
    const rm__vec *w, *b;
    rm__norm_kind kind;
    double eps;
} rm__add_norm_job;

static void rm__add_norm_rows(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__add_norm_job *a = (const rm__add_norm_job *)arg;
    const int64_t E = a->E;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        float *xt = a->x + t * E;
        if (a->add) {
            const float *at = a->add + t * E;
            int64_t i;
            for (i = 0; i < E; i++) xt[i] += at[i];
        }
        if (a->w) rm__norm(a->out + t * E, xt, E, a->w, a->b, a->kind, a->eps);
    }
}

static void rm__add_norm(rm__pool *tp, float *x, const float *add, float *out, int64_t T, int64_t E, const rm__vec *w,
                         const rm__vec *b, rm__norm_kind kind, double eps) {
    rm__add_norm_job a;
    a.x = x; a.add = add; a.out = out; a.E = E; a.w = w; a.b = b; a.kind = kind; a.eps = eps;
    rm__parallel_for(tp, T * E >= RM__PAR_MIN ? rm__pool_threads(tp) : 1, T, 0, rm__add_norm_rows, &a);
}

/* The per-token steps of rm__forward, for the pool's threads: tokens t0..t1-1 of the ubatch. */
typedef struct rm__fwd_job {
    rm_ctx *c;
    const int32_t *tokens;
    const rm__layer *L;
    int64_t first, il;
    rm__atom bad;
} rm__fwd_job;

/* embeddings: rows of token_embd, scaled by sqrt(E) for gemma2 */
static void rm__fwd_embed(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__fwd_job *a = (const rm__fwd_job *)arg;
    const rm_model *m = a->c->m;
    const int64_t E = m->hp.n_embd;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        float *x = a->c->x + t * E;
        int64_t i;
        rm_dequantize_row(m->tok_embd.type, (const uint8_t *)m->tok_embd.data + (size_t)a->tokens[t] * m->tok_embd.row_bytes,
                          x, E);
        if (m->ai->embd_scale) {
            float s = (float)sqrt((double)E);
            for (i = 0; i < E; i++) x[i] *= s;
        }
    }
}

/* Q/K norms, rotary embedding and the KV store */
static void rm__fwd_qk(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__fwd_job *a = (const rm__fwd_job *)arg;
    rm_ctx *c = a->c;
    const rm_hparams *hp = &c->m->hp;
    const rm__arch_info *ai = c->m->ai;
    const rm__layer *L = a->L;
    const int64_t D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        const double *cs = c->rope_cs + t * hp->n_rot;
        int64_t i;
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
        rm__kv_store(c, a->il, a->first + t, c->kk + t * G * D, c->vv + t * G * D, G * D);
    }
}

/* the feed-forward activation, in place in ff1 (the gate in ff2) */
static void rm__fwd_act(void *arg, int64_t t0, int64_t t1, int tid) {
    const rm__fwd_job *a = (const rm__fwd_job *)arg;
    const rm_ctx *c = a->c;
    const rm__arch_info *ai = c->m->ai;
    const int64_t F = c->m->hp.n_ff;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        float *x = c->ff1 + t * F;
        const float *gt = c->ff2 + t * F;
        int64_t i;
        if (ai->act == RM__ACT_GELU)
            for (i = 0; i < F; i++) x[i] = rm__gelu_tanh(x[i]);
        else if (ai->act == RM__ACT_SILU_GATED)
            rm__silu_mul(&c->kern, x, gt, F);
        else
            for (i = 0; i < F; i++) x[i] *= rm__gelu_tanh(gt[i]);
    }
}

/* any NaN or Inf in the final hidden states */
static void rm__fwd_check(void *arg, int64_t t0, int64_t t1, int tid) {
    rm__fwd_job *a = (rm__fwd_job *)arg;
    const int64_t E = a->c->m->hp.n_embd;
    int64_t t;
    RM__UNUSED(tid);
    for (t = t0; t < t1; t++) {
        const float *ht = a->c->h + t * E;
        int64_t i;
        for (i = 0; i < E; i++)
            if (!(ht[i] - ht[i] == 0)) rm__atomic_store(&a->bad, 1);
    }
}

/* Runs T tokens (already placed in cells first..first+T-1) through every layer, leaving the
   final-normed hidden states in c->h. The element-wise steps run per token in parallel; the
   products are parallel inside rm__matmul. */
static rm_result rm__forward(rm_ctx *c, const int32_t *tokens, int64_t first, int64_t T) {
    const rm_model *m = c->m;
    const rm_hparams *hp = &m->hp;
    const rm__arch_info *ai = m->ai;
    const int64_t E = hp->n_embd, D = hp->head_dim, H = hp->n_head, G = hp->n_head_kv, F = hp->n_ff;
    const int nth = rm__max_threads(c);
    int64_t t, il;
    rm__fwd_job job;

    memset(&job, 0, sizeof(job));
    job.c = c;
    job.tokens = tokens;
    job.first = first;
    rm__parallel_for(c->pool, T * E >= RM__PAR_MIN ? nth : 1, T, 0, rm__fwd_embed, &job);
    rm__rope_table(c, first, T, nth);
    if (hp->n_layer > 0)
        rm__add_norm(c->pool, c->x, NULL, c->h, T, E, &m->layers[0].attn_norm, &m->layers[0].attn_norm_b, ai->norm, hp->norm_eps);

    for (il = 0; il < hp->n_layer; il++) {
        const rm__layer *L = &m->layers[il];
        const int64_t qkv_w = (H + 2 * G) * D;
        /* attention input: c->h holds norm(x) already (see the end of the loop) */
        if (ai->fused_qkv) {
            /* {E, (H+2G)*D}: rows are Q then K then V */
            rm__matmul(&c->kern, &L->wqkv, c->h, T, E, c->q, qkv_w, c->wbuf, c->pool, c->prec);
            rm__add_bias(c->q, T, qkv_w, &L->bqkv, c->pool);
            /* serial: Q rows move down in place, token t's source lies past token t-1's target */
            for (t = 0; t < T; t++) {
                memcpy(c->kk + t * G * D, c->q + t * qkv_w + H * D, (size_t)(G * D) * sizeof(float));
                memcpy(c->vv + t * G * D, c->q + t * qkv_w + (H + G) * D, (size_t)(G * D) * sizeof(float));
                if (t) memmove(c->q + t * H * D, c->q + t * qkv_w, (size_t)(H * D) * sizeof(float));
            }
        } else {
            rm__matmul(&c->kern, &L->wq, c->h, T, E, c->q, H * D, c->wbuf, c->pool, c->prec);
            rm__matmul(&c->kern, &L->wk, c->h, T, E, c->kk, G * D, c->wbuf, c->pool, c->prec);
            rm__matmul(&c->kern, &L->wv, c->h, T, E, c->vv, G * D, c->wbuf, c->pool, c->prec);
            rm__add_bias(c->q, T, H * D, &L->bq, c->pool);
            rm__add_bias(c->kk, T, G * D, &L->bk, c->pool);
            rm__add_bias(c->vv, T, G * D, &L->bv, c->pool);
        }
        /* Q/K norms, rotary embedding and the KV store, per token */
        job.L = L;
        job.il = il;
        rm__parallel_for(c->pool, T * (H + G) * D >= RM__PAR_MIN ? nth : 1, T, 0, rm__fwd_qk, &job);
        rm__attention(c, L, il, first, T);
        /* attention output; c->h still holds the attention input norm */
        rm__matmul(&c->kern, &L->wo, c->att, T, H * D, c->ff2, E, c->wbuf, c->pool, c->prec);
        rm__add_bias(c->ff2, T, E, &L->bo, c->pool);
        if (L->attn_post_norm.data)
            rm__add_norm(c->pool, c->ff2, NULL, c->ff2, T, E, &L->attn_post_norm, NULL, ai->norm, hp->norm_eps);
        if (m->parallel_residual) {
            /* x + attn(ln1 x) + ffn(ln2 x): the FFN reads the layer input, so add attn after */
            rm__add_norm(c->pool, c->x, NULL, c->h, T, E, &L->ffn_norm, &L->ffn_norm_b, ai->norm, hp->norm_eps);
            rm__add_norm(c->pool, c->x, c->ff2, NULL, T, E, NULL, NULL, ai->norm, hp->norm_eps);
        } else {
            rm__add_norm(c->pool, c->x, c->ff2, c->h, T, E, &L->ffn_norm, &L->ffn_norm_b, ai->norm, hp->norm_eps);
        }
        /* feed-forward */
        rm__matmul(&c->kern, &L->w_up, c->h, T, E, c->ff1, F, c->wbuf, c->pool, c->prec);
        rm__add_bias(c->ff1, T, F, &L->b_up, c->pool);
        if (ai->act != RM__ACT_GELU) rm__matmul(&c->kern, &L->w_gate, c->h, T, E, c->ff2, F, c->wbuf, c->pool, c->prec);
        rm__parallel_for(c->pool, T * F >= RM__PAR_MIN ? nth : 1, T, 0, rm__fwd_act, &job);
        rm__matmul(&c->kern, &L->w_down, c->ff1, T, F, c->ff2, E, c->wbuf, c->pool, c->prec);
        rm__add_bias(c->ff2, T, E, &L->b_down, c->pool);
        if (L->ffn_post_norm.data)
            rm__add_norm(c->pool, c->ff2, NULL, c->ff2, T, E, &L->ffn_post_norm, NULL, ai->norm, hp->norm_eps);
        /* the residual add, fused with the next layer's attention norm (the output norm after
           the last layer) */
        if (il + 1 < hp->n_layer)
            rm__add_norm(c->pool, c->x, c->ff2, c->h, T, E, &m->layers[il + 1].attn_norm, &m->layers[il + 1].attn_norm_b, ai->norm,
                         hp->norm_eps);
        else
            rm__add_norm(c->pool, c->x, c->ff2, c->h, T, E, &m->out_norm, &m->out_norm_b, ai->norm, hp->norm_eps);
    }
    if (hp->n_layer == 0) rm__add_norm(c->pool, c->x, NULL, c->h, T, E, &m->out_norm, &m->out_norm_b, ai->norm, hp->norm_eps);
    rm__parallel_for(c->pool, T * E >= RM__PAR_MIN ? nth : 1, T, 0, rm__fwd_check, &job);
    if (rm__atomic_load(&job.bad)) return rm__ctx_fail(c, RM_ERR_NONFINITE, "ctx: the hidden state holds NaN or Inf (layer weights or input overflow)");
    return RM_OK;
}

/* Vocabulary rows per product of the LM head: the logits of a ubatch are never held whole,
   only [n][RM__LM_CHUNK] of them (4 MB at 512 positions). */
#define RM__LM_CHUNK 2048

typedef struct rm__cap_job { float *out; double cap; } rm__cap_job;
static void rm__lm_cap(void *arg, int64_t i0, int64_t i1, int tid) {
    const rm__cap_job *a = (const rm__cap_job *)arg;
    int64_t i;
    RM__UNUSED(tid);
    for (i = i0; i < i1; i++) a->out[i] = (float)(a->cap * tanh(a->out[i] / a->cap));
}

/* Logits of vocabulary rows j0..j0+nv-1 for the n hidden states X [n][E]: out [n][nv], final
   soft-capping applied. */
static void rm__lm_chunk(rm_ctx *c, const float *X, int64_t n, int64_t j0, int64_t nv, float *out) {
    const rm_model *m = c->m;
    const double cap = m->hp.final_softcap;
    const int nth = rm__max_threads(c);
    rm__mat W = m->output;
    W.data = (const uint8_t *)m->output.data + (size_t)j0 * m->output.row_bytes;
    W.n_out = nv;
    rm__matmul(&c->kern, &W, X, n, m->hp.n_embd, out, nv, c->wbuf, c->pool, c->prec);
    if (cap > 0) {
        rm__cap_job a;
        a.out = out;
        a.cap = cap;
        rm__parallel_for(c->pool, n * nv >= RM__PAR_MIN ? nth : 1, n * nv, 0, rm__lm_cap, &a);
    }
}

/* One chunk of the vocabulary folded into the running max, sum and target logit of positions
   q0..q1-1. */
typedef struct rm__lsm_job {
    const float *buf;
    const int32_t *targets;
    int64_t j0, nv;
    double *mx, *sm, *tl;
    const rm__kernels *kn;
} rm__lsm_job;
static void rm__lm_fold(void *arg, int64_t q0, int64_t q1, int tid) {
    const rm__lsm_job *a = (const rm__lsm_job *)arg;
    const int64_t j0 = a->j0, nv = a->nv;
    int64_t q;
    RM__UNUSED(tid);
    for (q = q0; q < q1; q++) {
        const float *l = a->buf + q * nv;
        float cm = -INFINITY;
        int64_t j;
        for (j = 0; j < nv; j++) cm = l[j] > cm ? l[j] : cm;
        if (a->targets[q] >= j0 && a->targets[q] < j0 + nv) a->tl[q] = l[a->targets[q] - j0];
        if (cm > a->mx[q]) {
            a->sm[q] = a->sm[q] * exp(a->mx[q] - cm) + rm__sumexp(a->kn, l, nv, cm);
            a->mx[q] = cm;
        } else if (cm > -INFINITY) {
            a->sm[q] += rm__sumexp(a->kn, l, nv, (float)a->mx[q]);
        }
    }
}

/* Log-softmax of the LM head at the rows of hs listed in idx (n of them) for the given
   targets, without keeping the logits: the vocabulary goes by in chunks of RM__LM_CHUNK rows
   (one matrix product each), and every position keeps a running max and sum of exponentials. */
static rm_result rm__lm_logprobs(rm_ctx *c, const float *hs, const int64_t *idx, const int32_t *targets, int64_t n,
                                 double *out) {
    const rm_model *m = c->m;
    const int64_t E = m->hp.n_embd, V = m->hp.n_vocab;
    const int nth = rm__max_threads(c);
    float *X = (float *)rm__calloc((size_t)(n * E), sizeof(float));
    float *buf = (float *)rm__calloc((size_t)n * (size_t)RM__MIN(V, RM__LM_CHUNK), sizeof(float));
    double *mx = (double *)rm__calloc((size_t)n, sizeof(double));
    double *sm = (double *)rm__calloc((size_t)n, sizeof(double));
    double *tl = (double *)rm__calloc((size_t)n, sizeof(double));
    int64_t q, j0;
    rm__lsm_job a;
    if (!X || !buf || !mx || !sm || !tl) {
        RM_FREE(X); RM_FREE(buf); RM_FREE(mx); RM_FREE(sm); RM_FREE(tl);
        return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for the LM head of %lld positions", (long long)n);
    }
    for (q = 0; q < n; q++) {
        memcpy(X + q * E, hs + idx[q] * E, (size_t)E * sizeof(float));
        mx[q] = -INFINITY;
        tl[q] = NAN;
    }
    for (j0 = 0; j0 < V; j0 += RM__LM_CHUNK) {
        const int64_t nv = RM__MIN(RM__LM_CHUNK, V - j0);
        rm__lm_chunk(c, X, n, j0, nv, buf);
        a.buf = buf; a.targets = targets; a.j0 = j0; a.nv = nv; a.mx = mx; a.sm = sm; a.tl = tl; a.kn = &c->kern;
        rm__parallel_for(c->pool, n * nv >= RM__PAR_MIN ? nth : 1, n, 0, rm__lm_fold, &a);
    }
    for (q = 0; q < n; q++) out[q] = tl[q] - (mx[q] + log(sm[q]));
    RM_FREE(X); RM_FREE(buf); RM_FREE(mx); RM_FREE(sm); RM_FREE(tl);
    return RM_OK;
}

/* The full logits e->logits[k] for every requested position k that falls in the ubatch
   start..start+T-1 (hidden states in c->h), a chunk of vocabulary rows at a time. */
static rm_result rm__ctx_logits(rm_ctx *c, const rm_eval *e, int64_t start, int64_t T) {
    const int64_t E = c->m->hp.n_embd, V = c->m->hp.n_vocab;
    int64_t k, cnt = 0, j0;
    int64_t *which;
    float *X, *buf;
    for (k = 0; k < e->n_logits; k++) cnt += e->logits_idx[k] >= start && e->logits_idx[k] < start + T;
    if (!cnt) return RM_OK;
    which = (int64_t *)rm__calloc((size_t)cnt, sizeof(int64_t));
    X = (float *)rm__calloc((size_t)(cnt * E), sizeof(float));
    buf = (float *)rm__calloc((size_t)cnt * (size_t)RM__MIN(V, RM__LM_CHUNK), sizeof(float));
    if (!which || !X || !buf) {
        RM_FREE(which); RM_FREE(X); RM_FREE(buf);
        return rm__ctx_fail(c, RM_ERR_NOMEM, "ctx: out of memory for the logits of %lld positions", (long long)cnt);
    }
    for (k = 0, cnt = 0; k < e->n_logits; k++) {
        const int64_t ti = e->logits_idx[k];
        if (ti >= start && ti < start + T) {
            memcpy(X + cnt * E, c->h + (ti - start) * E, (size_t)E * sizeof(float));
            which[cnt++] = k;
        }
    }
    for (j0 = 0; j0 < V; j0 += RM__LM_CHUNK) {
        const int64_t nv = RM__MIN(RM__LM_CHUNK, V - j0);
        rm__lm_chunk(c, X, cnt, j0, nv, buf);
        for (k = 0; k < cnt; k++) memcpy(e->logits + which[k] * V + j0, buf + k * nv, (size_t)nv * sizeof(float));
    }
    RM_FREE(which); RM_FREE(X); RM_FREE(buf);
    return RM_OK;
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
        if (e->n_logits && (r = rm__ctx_logits(c, e, start, T))) return r;
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
            r = cnt ? rm__lm_logprobs(c, c->h, idx, tg, cnt, lp) : RM_OK;
            for (k = 0; k < cnt; k++) e->logprobs[start + idx[k]] = lp[k];
            RM_FREE(idx); RM_FREE(tg); RM_FREE(lp);
            if (r) return r;
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
    int64_t n_labels, label;  /* EX: outputs of the head, the one rm_score.reward reports */
    char **label_names;       /* [n_labels] NUL-terminated */
    double *rewards;          /* [k * n_labels] of the last call */
    int64_t cap_rewards;
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

/* Names of the head's outputs ({arch}.classifier.output_labels of g, else LABEL_<i>) and the
   one desc.label picks. */
static rm_result rm__scorer_labels(rm_scorer *s, const rm_gguf *g) {
    char key[96];
    rm_gguf_type et;
    uint64_t n = 0;
    const void *data;
    int have;
    int64_t i;
    s->n_labels = s->head_w.n_out;
    snprintf(key, sizeof(key), "%s.classifier.output_labels", rm_arch_name(s->d.model->hp.arch));
    have = rm_gguf_get_arr(g, key, &et, &n, &data) == RM_OK;
    if (have && (et != RM_GGUF_STRING || n != (uint64_t)s->n_labels))
        return rm__scorer_fail(s, RM_ERR_TENSOR_SHAPE, "scorer: %s holds %llu names but the head has %lld outputs", key,
                               (unsigned long long)n, (long long)s->n_labels);
    s->label_names = (char **)rm__calloc((size_t)s->n_labels, sizeof(char *));
    if (!s->label_names) return rm__scorer_fail(s, RM_ERR_NOMEM, "scorer: out of memory");
    for (i = 0; i < s->n_labels; i++) {
        rm_str nm = {NULL, 0};
        char dflt[32];
        if (have) rm_gguf_get_arr_str(g, key, (uint64_t)i, &nm);
        else {
            nm.len = (size_t)snprintf(dflt, sizeof(dflt), "LABEL_%lld", (long long)i);
            nm.ptr = dflt;
        }
        s->label_names[i] = (char *)RM_MALLOC(nm.len + 1);
        if (!s->label_names[i]) return rm__scorer_fail(s, RM_ERR_NOMEM, "scorer: out of memory");
        if (nm.len) memcpy(s->label_names[i], nm.ptr, nm.len);
        s->label_names[i][nm.len] = 0;
    }
    s->label = 0;
    if (s->d.label) {
        char list[256];
        size_t o = 0;
        for (i = 0; i < s->n_labels; i++)
            if (strcmp(s->label_names[i], s->d.label) == 0) break;
        if (i < s->n_labels) {
            s->label = i;
            return RM_OK;
        }
        list[0] = 0;
        for (i = 0; i < s->n_labels && o + 1 < sizeof(list); i++)
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", s->label_names[i]);
        return rm__scorer_fail(s, RM_ERR_NOT_FOUND, "scorer: the head has no output named '%.100s' (its outputs: %s)", s->d.label, list);
    }
    return RM_OK;
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
    if (s->d.chat_template == -1) s->d.chat_template = RM_CHAT_AUTO; /* the value 0.2 gave AUTO */
    if (!(s->d.beta == s->d.beta) || s->d.mode < RM_MODE_EXPLICIT || s->d.mode > RM_MODE_HIDDEN ||
        s->d.ref_free < RM_REF_FREE_OFF || s->d.ref_free > RM_REF_FREE_NORM || s->d.split < RM_SPLIT_PAPER ||
        s->d.split > RM_SPLIT_NONE)
        return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: mode, beta, ref_free or split out of range");
    if (s->d.max_length < 0 || (s->d.max_length > 0 && s->d.max_length < 4))
        return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: max_length %lld: give 0 (no limit) or at least 4 tokens",
                                           (long long)s->d.max_length);
    if (s->d.n_ctx > 0 && s->d.max_length > s->d.n_ctx)
        return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: max_length %lld exceeds n_ctx %lld", (long long)s->d.max_length,
                                           (long long)s->d.n_ctx);
    d = &s->d;
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
        if ((e = rm__scorer_labels(s, d->head ? d->head->gguf : d->model->gguf))) return s->status = e;
    } else if (d->mode == RM_MODE_IMPLICIT) {
        /* A sequence-classification checkpoint has no lm_head, so its file has no
           output.weight. rmtool convert marks such files with {arch}.pooling_type: their
           token embeddings were trained as an input table only, and using them as the LM
           head, even where the base model ties the two, would score with a head the reward
           model never had. Unmarked files of a tied family (a head added to a causal LM) keep
           their tied LM head; untied families without output.weight have none. */
        char pk[64];
        snprintf(pk, sizeof(pk), "%s.pooling_type", d->model->ai->name);
        if (!d->model->has_output && d->model->hp.n_cls_out > 0 && (!d->model->ai->tied || rm_gguf_find_key(d->model->gguf, pk) >= 0))
            return s->status = rm__scorer_fail(s, RM_ERR_NO_LM_HEAD, "scorer: the model is a %s sequence-classification (reward model) file: it has cls.output.weight but no output.weight, so no language-model head for implicit scoring; use --mode explicit, or the base causal-LM model",
                                               d->model->ai->name);
        if (d->ref_free == RM_REF_FREE_OFF) {
            if (!d->ref || d->ref->status)
                return s->status = rm__scorer_fail(s, RM_ERR_INVALID_ARG, "scorer: implicit mode needs a reference model (or a reference-free form)");
            if ((e = rm__models_same_vocab(d->model, d->ref, s->err, sizeof(s->err)))) return s->status = e;
        }
    }
    /* the chat template: named, none, or the model's own */
    s->tmpl = d->chat_template;
    if (d->chat_template != RM_CHAT_NONE) {
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
    if (cp.n_ctx == 0 && d->max_length > d->model->hp.n_ctx_train) cp.n_ctx = d->max_length;
    cp.n_threads = d->n_threads;
    cp.kv_f16 = d->kv_f16;
    cp.precision = d->precision;
    cp.isa = d->isa;
    if ((e = rm_ctx_new(d->model, &cp, &s->ctx))) return s->status = rm__scorer_fail(s, e, "%s", rm_ctx_error(s->ctx));
    if (d->mode == RM_MODE_IMPLICIT && d->ref_free == RM_REF_FREE_OFF)
        if ((e = rm__ctx_new(d->ref, &cp, s->ctx->pool, &s->ref_ctx))) return s->status = rm__scorer_fail(s, e, "%s", rm_ctx_error(s->ref_ctx));
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
    if (s->label_names) {
        int64_t i;
        for (i = 0; i < s->n_labels; i++) RM_FREE(s->label_names[i]);
        RM_FREE(s->label_names);
    }
    RM_FREE(s->rewards);
    RM_FREE(s);
}
RMDEF int64_t rm_scorer_n_labels(const rm_scorer *s) { return s && !s->status ? s->n_labels : 0; }
RMDEF rm_str rm_scorer_label(const rm_scorer *s, int64_t i) {
    rm_str r = {"", 0};
    if (s && !s->status && s->label_names && i >= 0 && i < s->n_labels) {
        r.ptr = s->label_names[i];
        r.len = strlen(r.ptr);
    }
    return r;
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

/* rm_score_ids after max_length: every pair fits, or RM_ERR_CONTEXT. */
static rm_result rm__score_ids_fitted(rm_scorer *s, const int32_t *prompt, int64_t n_prompt, const int32_t *const *responses,
                                      const int64_t *n_responses, int64_t k, rm_score *out) {
    rm_result r;
    int64_t i, j, total = 0, E, n_ctx = s->ctx->n_ctx;
    double *pol, *ref;
    int im;
    if (s->ref_ctx && s->ref_ctx->n_ctx < n_ctx) n_ctx = s->ref_ctx->n_ctx;
    for (i = 0; i < k; i++) {
        if (n_prompt + n_responses[i] > n_ctx)
            return rm__scorer_fail(s, RM_ERR_CONTEXT,
                                   "score: response %lld: %lld prompt + %lld response tokens exceed the context of %lld (max_length truncates)",
                                   (long long)i, (long long)n_prompt, (long long)n_responses[i], (long long)n_ctx);
        total += n_responses[i];
    }
    im = s->d.mode == RM_MODE_IMPLICIT;
    E = s->d.model->hp.n_embd;
    if ((r = rm__scorer_grow(s, total + k + 1, k, n_prompt + total))) return r;
    if (s->n_labels && k * s->n_labels > s->cap_rewards) {
        RM_FREE(s->rewards);
        s->rewards = (double *)rm__calloc((size_t)(k * s->n_labels), sizeof(double));
        s->cap_rewards = s->rewards ? k * s->n_labels : 0;
        if (!s->rewards) return rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
    }
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
                /* every output: row l of cls.output.weight {E, n_labels} (F32, checked at open) */
                const float *h = s->hid + i * E;
                double *rw = s->rewards + i * s->n_labels;
                int64_t l;
                for (l = 0; l < s->n_labels; l++) {
                    const float *wr = (const float *)(const void *)((const uint8_t *)s->head_w.data + (size_t)l * s->head_w.row_bytes);
                    double acc = 0;
                    for (j = 0; j < E; j++) acc += (double)wr[j] * h[j];
                    if (s->head_b.data) acc += s->head_b.data[l];
                    if (s->head_std > 0) acc = (acc - s->head_mean) / s->head_std;
                    if (!(acc - acc == 0)) acc = NAN;
                    rw[l] = acc;
                }
                o->rewards = rw;
                o->n_rewards = s->n_labels;
                reward = rw[s->label];
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

RMDEF rm_result rm_score_ids(rm_scorer *s, const int32_t *prompt, int64_t n_prompt, const int32_t *const *responses,
                             const int64_t *n_responses, int64_t k, rm_score *out) {
    rm_result r;
    int64_t i, longest = 0, L, np, keep_bos, *nr;
    int32_t *pr = NULL;
    if (!s) return RM_ERR_INVALID_ARG;
    if (s->status) return s->status;
    if (!prompt || !responses || !n_responses || !out || k < 1)
        return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: missing prompt, responses or output");
    if (n_prompt < 1) return rm__scorer_fail(s, RM_ERR_EMPTY, "score: the prompt has no tokens");
    for (i = 0; i < k; i++) {
        if (n_responses[i] < 1) return rm__scorer_fail(s, RM_ERR_EMPTY, "score: response %lld has no tokens", (long long)i);
        if (!responses[i]) return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "score: response %lld is NULL", (long long)i);
        longest = RM__MAX(longest, n_responses[i]);
    }
    L = s->d.max_length;
    if (L <= 0 || n_prompt + longest <= L) {
        r = rm__score_ids_fitted(s, prompt, n_prompt, responses, n_responses, k, out);
        for (i = 0; !r && i < k; i++) out[i].truncated = 0, out[i].n_prompt_cut = out[i].n_response_cut = 0;
        return r;
    }
    /* Over max_length: the prompt keeps its newest tokens (and a leading BOS), as many as the
       longest response leaves room for but at least BOS + one; then responses that still do
       not fit keep their first L - np tokens (L >= 4 leaves each at least two). */
    keep_bos = n_prompt > 1 && rm_vocab_bos(s->d.model->vocab) >= 0 && prompt[0] == rm_vocab_bos(s->d.model->vocab);
    np = RM__MAX(L - longest, 1 + keep_bos);
    np = RM__MIN(np, n_prompt);
    nr = (int64_t *)rm__calloc((size_t)k, sizeof(int64_t));
    pr = (int32_t *)rm__calloc((size_t)np, sizeof(int32_t));
    if (!nr || !pr) {
        RM_FREE(nr); RM_FREE(pr);
        return rm__scorer_fail(s, RM_ERR_NOMEM, "score: out of memory");
    }
    if (keep_bos) pr[0] = prompt[0];
    memcpy(pr + keep_bos, prompt + n_prompt - (np - keep_bos), (size_t)(np - keep_bos) * sizeof(int32_t));
    for (i = 0; i < k; i++) nr[i] = RM__MIN(n_responses[i], L - np);
    r = rm__score_ids_fitted(s, pr, np, responses, nr, k, out);
    for (i = 0; !r && i < k; i++) {
        out[i].n_prompt_cut = n_prompt - np;
        out[i].n_response_cut = n_responses[i] - nr[i];
        out[i].truncated = out[i].n_prompt_cut > 0 || out[i].n_response_cut > 0;
    }
    RM_FREE(nr);
    RM_FREE(pr);
    return r;
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

/* rm_score_chat, or with ids_out only the tokens it would score: prompt then responses in
   s->tokbuf, *np_out prompt tokens, nr_out[k] per response. */
static rm_result rm__score_chat(rm_scorer *s, const rm_chat_msg *history, size_t n_history, const rm_str *responses,
                                int64_t k, rm_score *out, const int32_t **ids_out, int64_t *np_out, int64_t *nr_out) {
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
    if (!history || n_history < 1 || !responses || k < 1 || (!out && !ids_out))
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
    if (ids_out) {
        *ids_out = s->tokbuf;
        *np_out = np;
        memcpy(nr_out, nr, (size_t)k * sizeof(int64_t));
        r = RM_OK;
        goto done;
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

RMDEF rm_result rm_score_chat(rm_scorer *s, const rm_chat_msg *history, size_t n_history, const rm_str *responses,
                              int64_t k, rm_score *out) {
    return rm__score_chat(s, history, n_history, responses, k, out, NULL, NULL, NULL);
}

RMDEF rm_result rm_scorer_tokenize(rm_scorer *s, const rm_chat_msg *history, size_t n_history, const rm_str *responses,
                                   int64_t k, const int32_t **ids, int64_t *n_prompt, int64_t *n_responses) {
    if (!s) return RM_ERR_INVALID_ARG;
    if (!ids || !n_prompt || !n_responses) return rm__scorer_fail(s, RM_ERR_INVALID_ARG, "tokenize: ids, n_prompt and n_responses are required");
    return rm__score_chat(s, history, n_history, responses, k, NULL, ids, n_prompt, n_responses);
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

/* ---------------------------------------------------------------------------------------- */
/* 16. Fitting an IM-RM by DPO on the output projection                                     */
/* ---------------------------------------------------------------------------------------- */

/* Training state. Parameters P (double): rank 0: D [V][E]; rank R: A [V][R] then B [R][E].
   The logits of state t are z_v = Wd_v . h_t (+ A_v . (B h_t) in rank mode), soft-capped, with
   Wd [V][E] in double: W0 + D at rank 0 (refreshed after every step), W0 at rank R. */
typedef struct rm__dpo {
    const rm_dpo_desc *d;
    int64_t V, E, R, np;      /* np: parameter count */
    int nth;
    rm__pool *pool;           /* nth threads, the caller's included */
    double *P, *G, *M1, *M2;  /* parameters, gradient, Adam moments: [np] each */
    double *W0d, *Wd;         /* [V][E]: the reference in double; the current matrix (rank 0) */
    double *lp0;              /* [n_tokens] reference log-probs */
    /* per-step token buffers, [cap] each (u: [cap][R]) */
    int64_t *tok;             /* state index of each token of the step */
    double *lse, *coef, *u, *q;
    int64_t cap;
    int64_t nt;               /* tokens of the current step (the loops' bound) */
    rm__atom bad;             /* rm__dpo_ref: a reference log-prob is not finite */
} rm__dpo;

/* a . b over n, four partial sums (a fixed order: the same result for any thread count) */
static double rm__dot_df(const double *a, const float *b, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t e = 0;
    for (; e + 4 <= n; e += 4) {
        s0 += a[e] * b[e];
        s1 += a[e + 1] * b[e + 1];
        s2 += a[e + 2] * b[e + 2];
        s3 += a[e + 3] * b[e + 3];
    }
    for (; e < n; e++) s0 += a[e] * b[e];
    return (s0 + s1) + (s2 + s3);
}

/* u_v before soft-capping for state h (u = B h in rank mode); P NULL: the reference. */
static double rm__dpo_logit(const rm__dpo *s, const double *P, int64_t v, const float *h, const double *u) {
    double z;
    int64_t e;
    if (!P) return rm__dot_df(s->W0d + v * s->E, h, s->E);
    if (s->R == 0) return rm__dot_df(s->Wd + v * s->E, h, s->E);
    z = rm__dot_df(s->W0d + v * s->E, h, s->E);
    for (e = 0; e < s->R; e++) z += P[v * s->R + e] * u[e];
    return z;
}

/* Wd = W0 + D for the current parameters (rank 0); every loss evaluation starts with it */
static void rm__dpo_refresh(rm__dpo *s) {
    int64_t i;
    if (s->R) return;
    for (i = 0; i < s->V * s->E; i++) s->Wd[i] = s->W0d[i] + s->P[i];
}

static void rm__dpo_bh(const rm__dpo *s, const double *P, const float *h, double *u) {
    const double *B = P + s->V * s->R;
    int64_t r, e;
    for (r = 0; r < s->R; r++) {
        double acc = 0;
        for (e = 0; e < s->E; e++) acc += B[r * s->E + e] * h[e];
        u[r] = acc;
    }
}

/* log p(target) of state t under P (NULL: the reference); *lse_out the log-partition. */
static double rm__dpo_token(const rm__dpo *s, const double *P, int64_t t, double *lse_out, double *u) {
    const float *h = s->d->hidden + t * s->E;
    const double cap = s->d->final_softcap;
    const int32_t y = s->d->targets[t];
    double mx = -INFINITY, sum = 0, zy = 0;
    int64_t v;
    if (P && s->R) rm__dpo_bh(s, P, h, u);
    for (v = 0; v < s->V; v++) {
        double z = rm__dpo_logit(s, P, v, h, u);
        if (cap > 0) z = cap * tanh(z / cap);
        if (v == y) zy = z;
        if (z > mx) { /* running log-sum-exp: one exp per logit */
            sum = sum * exp(mx - z) + 1.0;
            mx = z;
        } else {
            sum += exp(z - mx);
        }
    }
    *lse_out = mx + log(sum);
    return zy - *lse_out;
}

static double rm__sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

/* The parallel loops of rm__dpo_loss and rm__dpo_init, over tokens or vocabulary rows; each
   index writes only what it owns, so the sums are the same for any thread count. */
static void rm__dpo_fwd(void *arg, int64_t k0, int64_t k1, int tid) {
    rm__dpo *s = (rm__dpo *)arg;
    int64_t k;
    RM__UNUSED(tid);
    for (k = k0; k < k1; k++) {
        const int64_t t = s->tok[k];
        s->coef[k] = rm__dpo_token(s, s->P, t, &s->lse[k], s->u + k * (s->R ? s->R : 1)) - s->lp0[t];
    }
}

/* dL/du_v = coef (1[v = y] - p_v) (1 - (z_v/c)^2) into G's rows i0..i1-1, the logits
   recomputed row by row. */
static void rm__dpo_back_rows(void *arg, int64_t i0, int64_t i1, int tid) {
    rm__dpo *s = (rm__dpo *)arg;
    const rm_dpo_desc *d = s->d;
    const int64_t E = s->E, R = s->R;
    const double cap = d->final_softcap;
    int64_t i;
    RM__UNUSED(tid);
    for (i = i0; i < i1; i++) {
        double *gv = s->G + i * (R ? R : E);
        int64_t kk, e;
        for (e = 0; e < (R ? R : E); e++) gv[e] = 0;
        for (kk = 0; kk < s->nt; kk++) {
            const int64_t t = s->tok[kk];
            const float *h = d->hidden + t * E;
            const double *u = s->u + kk * (R ? R : 1);
            double z = rm__dpo_logit(s, s->P, i, h, u), gz, dz = 1;
            if (cap > 0) {
                z = cap * tanh(z / cap);
                dz = 1 - (z / cap) * (z / cap);
            }
            gz = s->coef[kk] * ((i == d->targets[t] ? 1.0 : 0.0) - exp(z - s->lse[kk])) * dz;
            if (R) for (e = 0; e < R; e++) gv[e] += gz * u[e];
            else for (e = 0; e < E; e++) gv[e] += gz * h[e];
        }
    }
}

/* q_t = A^T g_t for tokens k0..k1-1 (the first half of the low-rank update's B gradient). */
static void rm__dpo_back_q(void *arg, int64_t k0, int64_t k1, int tid) {
    rm__dpo *s = (rm__dpo *)arg;
    const rm_dpo_desc *d = s->d;
    const int64_t V = s->V, E = s->E, R = s->R;
    const double *A = s->P;
    const double cap = d->final_softcap;
    int64_t k;
    RM__UNUSED(tid);
    for (k = k0; k < k1; k++) {
        const int64_t t = s->tok[k];
        const float *h = d->hidden + t * E;
        const double *u = s->u + k * R;
        double *q = s->q + k * R;
        int64_t v, r;
        for (r = 0; r < R; r++) q[r] = 0;
        for (v = 0; v < V; v++) {
            double z = rm__dpo_logit(s, s->P, v, h, u), gz, dz = 1;
            if (cap > 0) {
                z = cap * tanh(z / cap);
                dz = 1 - (z / cap) * (z / cap);
            }
            gz = s->coef[k] * ((v == d->targets[t] ? 1.0 : 0.0) - exp(z - s->lse[k])) * dz;
            for (r = 0; r < R; r++) q[r] += gz * A[v * R + r];
        }
    }
}

/* Rows i0..i1-1 of dL/dB: sum_t q_t[i] h_t. */
static void rm__dpo_back_b(void *arg, int64_t i0, int64_t i1, int tid) {
    rm__dpo *s = (rm__dpo *)arg;
    const int64_t E = s->E, R = s->R;
    double *GB = s->G + s->V * R;
    int64_t i;
    RM__UNUSED(tid);
    for (i = i0; i < i1; i++) {
        int64_t kk, e;
        double *gb = GB + i * E;
        for (e = 0; e < E; e++) gb[e] = 0;
        for (kk = 0; kk < s->nt; kk++) {
            const float *h = s->d->hidden + s->tok[kk] * E;
            const double qr = s->q[kk * R + i];
            for (e = 0; e < E; e++) gb[e] += qr * h[e];
        }
    }
}

/* The reference log-probs of tokens i0..i1-1; s->bad set when one is not finite. */
static void rm__dpo_ref(void *arg, int64_t i0, int64_t i1, int tid) {
    rm__dpo *s = (rm__dpo *)arg;
    int64_t i;
    RM__UNUSED(tid);
    for (i = i0; i < i1; i++) {
        double lse;
        s->lp0[i] = rm__dpo_token(s, NULL, i, &lse, NULL);
        if (!(s->lp0[i] > -INFINITY && s->lp0[i] <= 0)) rm__atomic_store(&s->bad, 1);
    }
}

/* Loss (mean over the listed pairs of -log sigmoid(beta m), m = s_c - s_r) and, with grad,
   its gradient into s->G (plus the L2 term). Also per-pair margins m into margins (optional).
   Exposed to the tests for the finite-difference check. */
static double rm__dpo_loss(rm__dpo *s, const int64_t *pairs, int64_t n, int grad, double *margins) {
    const rm_dpo_desc *d = s->d;
    const int64_t V = s->V, R = s->R;
    const double beta = d->beta;
    const int nth = s->nth;
    int64_t i, k, nt = 0;
    double loss = 0;
    rm__dpo_refresh(s);
    for (i = 0; i < n; i++) nt += d->offsets[2 * pairs[i] + 2] - d->offsets[2 * pairs[i]];
    for (i = 0, k = 0; i < n; i++) {
        int64_t t;
        for (t = d->offsets[2 * pairs[i]]; t < d->offsets[2 * pairs[i] + 2]; t++) s->tok[k++] = t;
    }
    s->nt = nt;
    /* forward: every token on its own (parallel over tokens), then the pair sums in order */
    rm__parallel_for(s->pool, nth, nt, 16, rm__dpo_fwd, s);
    for (i = 0, k = 0; i < n; i++) {
        const int64_t a = d->offsets[2 * pairs[i]], b = d->offsets[2 * pairs[i] + 1], c = d->offsets[2 * pairs[i] + 2];
        double sc = 0, sr = 0, m, g;
        int64_t j;
        for (j = a; j < b; j++) sc += s->coef[k++];
        for (j = b; j < c; j++) sr += s->coef[k++];
        m = sc - sr;
        if (margins) margins[i] = m;
        loss += rm__softplus(-beta * m);
        /* dL/ds_c = -beta sigmoid(-beta m) / n; dL/ds_r the opposite */
        g = -beta * rm__sigmoid(-beta * m) / (double)n;
        for (j = k - (c - a); j < k - (c - b); j++) s->coef[j] = g;
        for (j = k - (c - b); j < k; j++) s->coef[j] = -g;
    }
    loss /= (double)n;
    if (!grad) return loss;
    /* backward: dL/du_v = coef (1[v = y] - p_v) (1 - (z_v/c)^2), the logits recomputed row by
       row; each thread owns vocabulary rows, so sums run in the same order for any thread count */
    rm__parallel_for(s->pool, nth, V, 0, rm__dpo_back_rows, s);
    if (R) {
        /* dL/dB = sum_t (A^T g_t) h_t^T: q_t = A^T g_t per token (parallel over tokens), then
           the rows of B (parallel over r) */
        rm__parallel_for(s->pool, nth, nt, 16, rm__dpo_back_q, s);
        rm__parallel_for(s->pool, nth, R, 0, rm__dpo_back_b, s);
    }
    if (d->l2 > 0) {
        int64_t j;
        double reg = 0;
        for (j = 0; j < s->np; j++) {
            s->G[j] += d->l2 * s->P[j];
            reg += s->P[j] * s->P[j];
        }
        loss += 0.5 * d->l2 * reg;
    }
    return loss;
}

RMDEF size_t rm_fit_dpo_bytes(int64_t n_vocab, int64_t n_embd, int rank) {
    double np;
    if (n_vocab < 1 || n_embd < 1 || rank < 0) return 0;
    np = rank ? (double)rank * (double)(n_vocab + n_embd) : (double)n_vocab * (double)n_embd;
    np *= 4.0 * sizeof(double); /* P, G and the two Adam moments */
    np += (rank ? 1.0 : 2.0) * (double)n_vocab * (double)n_embd * sizeof(double); /* W0 and W0 + D in double */
    return np >= (double)SIZE_MAX ? SIZE_MAX : (size_t)np;
}

static void rm__dpo_free(rm__dpo *s) {
    RM_FREE(s->P); RM_FREE(s->G); RM_FREE(s->M1); RM_FREE(s->M2); RM_FREE(s->lp0); RM_FREE(s->W0d); RM_FREE(s->Wd);
    RM_FREE(s->tok); RM_FREE(s->lse); RM_FREE(s->coef); RM_FREE(s->u); RM_FREE(s->q);
    rm__pool_free(s->pool);
}

/* Checks the data and sizes, allocates, computes the reference log-probs. On failure
   res->error says why. */
static rm_result rm__dpo_init(rm__dpo *s, const rm_dpo_desc *d, int64_t max_step_tokens, rm_dpo_result *res) {
    const int64_t nt = d->offsets ? d->offsets[2 * d->n_pairs] : 0;
    const size_t budget = d->max_bytes ? d->max_bytes : ((size_t)1 << 31);
    int64_t i, R;
    size_t need;
    memset(s, 0, sizeof(*s));
    s->d = d;
    s->V = d->n_vocab;
    s->E = d->n_embd;
    s->R = R = d->rank;
    s->pool = rm__pool_new(d->n_threads);
    if (!s->pool) return rm__fail(res->error, sizeof(res->error), RM_ERR_NOMEM, "fit_dpo: out of memory for the threads");
    s->nth = rm__pool_threads(s->pool);
    need = rm_fit_dpo_bytes(d->n_vocab, d->n_embd, d->rank);
    res->state_bytes = need;
    if (need > budget)
        return rm__fail(res->error, sizeof(res->error), RM_ERR_LIMIT,
                        "fit_dpo: the training state needs %.3g MB (vocabulary %lld x %lld, rank %d) but the memory budget is %.3g MB; train a low-rank update (rank > 0) or raise the budget",
                        (double)need / 1048576.0, (long long)s->V, (long long)s->E, d->rank, (double)budget / 1048576.0);
    s->np = R ? R * (s->V + s->E) : s->V * s->E;
    s->P = (double *)rm__calloc((size_t)s->np, sizeof(double));
    s->G = (double *)rm__calloc((size_t)s->np, sizeof(double));
    s->M1 = (double *)rm__calloc((size_t)s->np, sizeof(double));
    s->M2 = (double *)rm__calloc((size_t)s->np, sizeof(double));
    s->lp0 = (double *)rm__calloc((size_t)nt, sizeof(double));
    s->W0d = (double *)rm__calloc((size_t)(s->V * s->E), sizeof(double));
    s->Wd = R ? s->W0d : (double *)rm__calloc((size_t)(s->V * s->E), sizeof(double));
    s->cap = max_step_tokens;
    s->tok = (int64_t *)rm__calloc((size_t)s->cap, sizeof(int64_t));
    s->lse = (double *)rm__calloc((size_t)s->cap, sizeof(double));
    s->coef = (double *)rm__calloc((size_t)s->cap, sizeof(double));
    s->u = (double *)rm__calloc((size_t)s->cap * (size_t)(R ? R : 1), sizeof(double));
    s->q = (double *)rm__calloc((size_t)s->cap * (size_t)(R ? R : 1), sizeof(double));
    if (R) s->Wd = NULL; /* shares W0d; not freed twice */
    if (!s->P || !s->G || !s->M1 || !s->M2 || !s->lp0 || !s->W0d || (!R && !s->Wd) || !s->tok || !s->lse || !s->coef || !s->u || !s->q)
        return rm__fail(res->error, sizeof(res->error), RM_ERR_NOMEM, "fit_dpo: out of memory for %.1f MB of training state",
                        (double)need / 1048576.0);
    for (i = 0; i < s->V * s->E; i++) s->W0d[i] = (double)d->output[i];
    rm__dpo_refresh(s);
    if (R) {
        /* B ~ N(0, 1/E) from a seeded generator (Box-Muller on xorshift64); A stays 0 */
        uint64_t st = d->seed ? d->seed : 0x9E3779B97F4A7C15ull;
        double *B = s->P + s->V * R;
        for (i = 0; i < R * s->E; i++) {
            double u1, u2;
            st ^= st << 13; st ^= st >> 7; st ^= st << 17;
            u1 = ((double)(st >> 11) + 0.5) / 9007199254740992.0;
            st ^= st << 13; st ^= st >> 7; st ^= st << 17;
            u2 = (double)(st >> 11) / 9007199254740992.0;
            B[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2) / sqrt((double)s->E);
        }
    }
    {
        int bad;
        rm__parallel_for(s->pool, s->nth, nt, 16, rm__dpo_ref, s);
        bad = (int)rm__atomic_load(&s->bad);
        if (bad)
            return rm__fail(res->error, sizeof(res->error), RM_ERR_NONFINITE,
                            "fit_dpo: a reference log-probability is not finite (NaN or Inf in the hidden states or the output matrix)");
    }
    return RM_OK;
}

RMDEF rm_result rm_fit_dpo(const rm_dpo_desc *din, float *output_out, rm_dpo_result *res) {
    rm_dpo_desc d;
    rm__dpo s;
    rm_result r;
    int64_t *idx = NULL, i, j, ntr, nho, max_tok = 0, step = 0;
    uint64_t st;
    int ep;
    double *marg = NULL;
    const double b1 = 0.9, b2 = 0.999;
    if (!res) return RM_ERR_INVALID_ARG;
    memset(res, 0, sizeof(*res));
    if (!din || !output_out || !din->hidden || !din->targets || !din->offsets || !din->output)
        return rm__fail(res->error, sizeof(res->error), RM_ERR_INVALID_ARG, "fit_dpo: hidden, targets, offsets, output and the output buffer are required");
    d = *din;
    if (d.beta == 0) d.beta = 0.1;
    if (d.lr == 0) d.lr = 1e-2;
    if (d.epochs == 0) d.epochs = 4;
    if (d.batch == 0) d.batch = 16;
    if (d.n_pairs < 2 || d.n_embd < 1 || d.n_vocab < 2 || d.n_vocab > ((int64_t)1 << 31))
        return rm__fail(res->error, sizeof(res->error), d.n_pairs < 2 ? RM_ERR_EMPTY : RM_ERR_INVALID_ARG,
                        "fit_dpo: %lld pairs, embedding %lld, vocabulary %lld: at least 2 pairs, a vocabulary of 2 or more", (long long)d.n_pairs,
                        (long long)d.n_embd, (long long)d.n_vocab);
    if (!(d.beta > 0 && d.beta < 1e6) || !(d.lr > 0 && d.lr < 1e3) || !(d.l2 >= 0) || d.epochs < 1 || d.epochs > 100000 || d.batch < 1 ||
        d.rank < 0 || d.rank > 4096 || !(d.holdout >= 0 && d.holdout <= 0.9) || !(d.final_softcap >= 0) || d.n_threads < 0)
        return rm__fail(res->error, sizeof(res->error), RM_ERR_INVALID_ARG,
                        "fit_dpo: beta and lr must be positive, l2 >= 0, epochs 1..100000, batch >= 1, rank 0..4096, holdout 0..0.9");
    if (d.offsets[0] != 0) return rm__fail(res->error, sizeof(res->error), RM_ERR_INVALID_ARG, "fit_dpo: offsets[0] must be 0");
    for (i = 0; i < 2 * d.n_pairs; i++)
        if (d.offsets[i + 1] <= d.offsets[i])
            return rm__fail(res->error, sizeof(res->error), RM_ERR_EMPTY, "fit_dpo: pair %lld: the %s response has no tokens", (long long)(i / 2),
                            i % 2 ? "rejected" : "chosen");
    for (i = 0; i < d.offsets[2 * d.n_pairs]; i++)
        if (d.targets[i] < 0 || d.targets[i] >= d.n_vocab)
            return rm__fail(res->error, sizeof(res->error), RM_ERR_INVALID_ARG, "fit_dpo: target %lld is token %d, outside the vocabulary of %lld",
                            (long long)i, d.targets[i], (long long)d.n_vocab);
    /* the held-out split: a seeded Fisher-Yates shuffle, as rm_fit_head does */
    idx = (int64_t *)rm__calloc((size_t)d.n_pairs, sizeof(int64_t));
    marg = (double *)rm__calloc((size_t)d.n_pairs, sizeof(double));
    if (!idx || !marg) {
        RM_FREE(idx); RM_FREE(marg);
        return rm__fail(res->error, sizeof(res->error), RM_ERR_NOMEM, "fit_dpo: out of memory");
    }
    st = d.seed ? d.seed : 0x9E3779B97F4A7C15ull;
    for (i = 0; i < d.n_pairs; i++) idx[i] = i;
    for (i = d.n_pairs - 1; i > 0; i--) {
        int64_t k, t;
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        k = (int64_t)(st % (uint64_t)(i + 1));
        t = idx[i]; idx[i] = idx[k]; idx[k] = t;
    }
    ntr = d.n_pairs - (int64_t)((double)d.n_pairs * d.holdout);
    if (ntr < 1) ntr = 1;
    nho = d.n_pairs - ntr;
    /* token buffers sized for the largest of: one step, the training set, the held-out set */
    {
        int64_t tr = 0, ho = 0, most = 0;
        for (i = 0; i < d.n_pairs; i++) {
            int64_t n = d.offsets[2 * idx[i] + 2] - d.offsets[2 * idx[i]];
            if (i < ntr) tr += n;
            else ho += n;
            most = RM__MAX(most, n);
        }
        max_tok = RM__MAX(tr, ho);
        RM__UNUSED(most);
    }
    if ((r = rm__dpo_init(&s, &d, max_tok, res))) goto done;
    res->n_train = ntr;
    res->n_holdout = nho;
    res->initial_loss = rm__dpo_loss(&s, idx, ntr, 0, NULL);
    for (ep = 1; ep <= d.epochs; ep++) {
        const int64_t steps = (ntr + d.batch - 1) / d.batch;
        int64_t b;
        double run = 0;
        rm_dpo_progress pr;
        /* a fresh seeded order of the training pairs every epoch */
        for (i = ntr - 1; i > 0; i--) {
            int64_t k, t;
            st ^= st << 13; st ^= st >> 7; st ^= st << 17;
            k = (int64_t)(st % (uint64_t)(i + 1));
            t = idx[i]; idx[i] = idx[k]; idx[k] = t;
        }
        for (b = 0; b < steps; b++) {
            const int64_t p0 = b * d.batch, n = RM__MIN((int64_t)d.batch, ntr - p0);
            double c1, c2, l;
            step++;
            c1 = 1.0 - pow(b1, (double)step);
            c2 = 1.0 - pow(b2, (double)step);
            l = rm__dpo_loss(&s, idx + p0, n, 1, NULL);
            if (!(l == l)) {
                r = rm__fail(res->error, sizeof(res->error), RM_ERR_NONFINITE, "fit_dpo: the loss became NaN in epoch %d (lower the learning rate)", ep);
                goto done;
            }
            run += l;
            for (j = 0; j < s.np; j++) {
                const double g = s.G[j];
                s.M1[j] = b1 * s.M1[j] + (1 - b1) * g;
                s.M2[j] = b2 * s.M2[j] + (1 - b2) * g * g;
                s.P[j] -= d.lr * (s.M1[j] / c1) / (sqrt(s.M2[j] / c2) + 1e-8);
            }
            if (d.progress) {
                memset(&pr, 0, sizeof(pr));
                pr.epoch = ep, pr.epochs = d.epochs, pr.step = b + 1, pr.steps = steps, pr.loss = run / (double)(b + 1);
                d.progress(d.user, &pr);
            }
        }
        res->train_loss = rm__dpo_loss(&s, idx, ntr, 0, NULL);
        if (d.progress) {
            memset(&pr, 0, sizeof(pr));
            pr.epoch = ep, pr.epochs = d.epochs, pr.step = steps, pr.steps = steps, pr.loss = res->train_loss, pr.epoch_done = 1;
            d.progress(d.user, &pr);
        }
    }
    /* final figures: accuracy from the margins (ties count half) */
    res->train_loss = rm__dpo_loss(&s, idx, ntr, 0, marg);
    for (i = 0; i < ntr; i++) res->train_accuracy += marg[i] > 0 ? 1.0 : (marg[i] == 0 ? 0.5 : 0.0);
    res->train_accuracy /= (double)ntr;
    if (nho) {
        res->holdout_loss = rm__dpo_loss(&s, idx + ntr, nho, 0, marg);
        for (i = 0; i < nho; i++) res->holdout_accuracy += marg[i] > 0 ? 1.0 : (marg[i] == 0 ? 0.5 : 0.0);
        res->holdout_accuracy /= (double)nho;
    }
    /* the policy's unembedding W0 + D (or W0 + A B) */
    for (i = 0; i < d.n_vocab; i++) {
        const float *w0 = d.output + i * d.n_embd;
        float *o = output_out + i * d.n_embd;
        for (j = 0; j < d.n_embd; j++) {
            double delta = 0;
            if (!d.rank) delta = s.P[i * d.n_embd + j];
            else {
                int64_t k;
                for (k = 0; k < d.rank; k++) delta += s.P[i * d.rank + k] * s.P[d.n_vocab * d.rank + k * d.n_embd + j];
            }
            o[j] = (float)((double)w0[j] + delta);
        }
    }
    r = RM_OK;
done:
    rm__dpo_free(&s);
    RM_FREE(idx);
    RM_FREE(marg);
    return r;
}

RMDEF rm_result rm_model_unembedding(const rm_model *m, float *out, char *err, size_t err_cap) {
    int64_t v;
    if (!m || m->status) return rm__fail(err, err_cap, RM_ERR_INVALID_ARG, "unembedding: the model is missing or failed to open");
    if (!m->has_output && m->hp.n_cls_out > 0 && !m->ai->tied)
        return rm__fail(err, err_cap, RM_ERR_NO_LM_HEAD,
                        "the model is a %s classifier checkpoint without output.weight: it has no output projection to train", m->ai->name);
    if (!out) return rm__fail(err, err_cap, RM_ERR_INVALID_ARG, "unembedding: no output buffer");
    for (v = 0; v < m->hp.n_vocab; v++)
        rm_dequantize_row(m->output.type, (const uint8_t *)m->output.data + (size_t)v * m->output.row_bytes, out + v * m->hp.n_embd,
                          m->hp.n_embd);
    return RM_OK;
}

typedef struct rm__dpo_save_ctx {
    const float *output;
    int64_t V, E;
    int type;
} rm__dpo_save_ctx;

static rm_result rm__dpo_fill(void *user, int64_t index, const char *name, void *dst, size_t nbytes) {
    const rm__dpo_save_ctx *c = (const rm__dpo_save_ctx *)user;
    int64_t v;
    RM__UNUSED(index);
    RM__UNUSED(nbytes);
    if (strcmp(name, "output.weight") != 0) return RM_ERR_INVALID_ARG;
    if (c->type == RM_TYPE_F32) {
        memcpy(dst, c->output, (size_t)(c->V * c->E) * sizeof(float));
        return RM_OK;
    }
    for (v = 0; v < c->V; v++)
        rm_quantize_row(c->type, c->output + v * c->E, (uint8_t *)dst + (size_t)v * rm__row_bytes(c->type, c->E), c->E);
    return RM_OK;
}

RMDEF rm_result rm_dpo_save(const char *path, const rm_model *ref, const float *output, char *err, size_t err_cap) {
    rm_gguf_writer *w = NULL;
    rm__dpo_save_ctx c;
    const rm_gguf *g;
    rm_result r = RM_OK;
    int64_t i, ne[2];
    int have = 0;
    if (!path || !ref || ref->status || !output) return rm__fail(err, err_cap, RM_ERR_INVALID_ARG, "dpo_save: a path, an open model and the output matrix are required");
    g = ref->gguf;
    c.output = output;
    c.V = ref->hp.n_vocab;
    c.E = ref->hp.n_embd;
    c.type = ref->output.type;
    if (c.type != RM_TYPE_F32 && c.type != RM_TYPE_F16 && c.type != RM_TYPE_BF16) c.type = RM_TYPE_F32;
    ne[0] = c.E;
    ne[1] = c.V;
    if ((r = rm_gguf_writer_new(&w))) return rm__fail(err, err_cap, r, "dpo_save: out of memory");
    for (i = 0; i < rm_gguf_n_kv(g) && !r; i++) r = rm_gguf_writer_copy_kv(w, g, i);
    for (i = 0; i < rm_gguf_n_tensors(g) && !r; i++) {
        const rm_tensor *t = rm_gguf_tensor(g, i);
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)t->name.len, t->name.ptr);
        if (strcmp(name, "output.weight") == 0) {
            r = rm_gguf_writer_add_tensor(w, name, c.type, 2, ne, NULL, rm__row_bytes(c.type, c.E) * (size_t)c.V);
            have = 1;
        } else {
            r = rm_gguf_writer_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data, t->nbytes);
        }
    }
    if (!r && !have) r = rm_gguf_writer_add_tensor(w, "output.weight", c.type, 2, ne, NULL, rm__row_bytes(c.type, c.E) * (size_t)c.V);
    if (!r) {
        rm_gguf_writer_set_fill(w, rm__dpo_fill, &c);
        r = rm_gguf_writer_write_file(w, path);
    }
    if (r) rm__fail(err, err_cap, r, "dpo_save: %s: %s", path, rm_gguf_writer_error(w));
    rm_gguf_writer_free(w);
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
