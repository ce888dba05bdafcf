/* rmtool: the command-line front end of rm.h.

   rmtool info FILE [--json]                 what a GGUF holds
   rmtool tokenize --model FILE [--no-bos] [--special] --text STR
   rmtool score ...                          rewards of prompt/response pairs (JSON or JSONL)
   rmtool eval ...                           accuracy and margins over preference pairs
   rmtool fit-head ...                       fit an EX-RM head on frozen hidden states
   rmtool synth ...                          write a random-weight model of a real shape
   rmtool bench ...                          prefill and scoring speed
   rmtool convert HF_DIR -o OUT.gguf ...     a Hugging Face checkpoint (safetensors) to GGUF

   Every failure prints one line "error: ..." on stderr and exits with status 1. */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "rmjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return 1;
}

/* Finds "--name" in argv and returns its value (the next argument), or NULL. */
static const char *opt(int argc, char **argv, const char *name) {
    int i;
    for (i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}
static int flag(int argc, char **argv, const char *name) {
    int i;
    for (i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

/* Rejects options this command does not know (a typo must not be silently ignored).
   with_value and no_value are NULL-terminated lists. */
static int check_opts(int argc, char **argv, const char *const *with_value, const char *const *no_value, int positional) {
    int i, npos = 0;
    for (i = 0; i < argc; i++) {
        const char *const *p;
        int known = 0;
        if (argv[i][0] != '-' || argv[i][1] == 0) {
            if (++npos > positional) return die("unexpected argument '%s'", argv[i]);
            continue;
        }
        for (p = with_value; p && *p; p++)
            if (strcmp(argv[i], *p) == 0) {
                if (i + 1 >= argc) return die("option %s needs a value", argv[i]);
                i++;
                known = 1;
                break;
            }
        for (p = no_value; !known && p && *p; p++)
            if (strcmp(argv[i], *p) == 0) known = 1;
        if (!known) return die("unknown option '%s'", argv[i]);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* info                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void json_str(FILE *f, rm_str s) { rmj_write_string(f, s.ptr ? s.ptr : "", s.len); }

static int cmd_info(int argc, char **argv) {
    static const char *const nv[] = {"--json", NULL};
    const char *path = NULL;
    int json = flag(argc, argv, "--json"), i;
    rm_gguf *g = NULL;
    rm_model *m = NULL;
    rm_vocab *v = NULL;
    rm_str arch = {"", 0}, tkm = {"", 0}, tkp = {"", 0};
    uint64_t n_by_type[RM_TYPE_COUNT] = {0}, bytes_by_type[RM_TYPE_COUNT] = {0}, total = 0;
    int64_t t;
    rm_result r;
    if (check_opts(argc, argv, NULL, nv, 1)) return 1;
    for (i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2) != 0) path = argv[i];
    if (!path) return die("usage: rmtool info FILE [--json]");
    r = rm_gguf_open(path, &g);
    if (r) {
        die("%s: %s", path, rm_gguf_error(g));
        rm_gguf_close(g);
        return 1;
    }
    rm_gguf_get_str(g, "general.architecture", &arch);
    for (t = 0; t < rm_gguf_n_tensors(g); t++) {
        const rm_tensor *tt = rm_gguf_tensor(g, t);
        n_by_type[tt->type]++;
        bytes_by_type[tt->type] += tt->nbytes;
        total += tt->nbytes;
    }
    if (rm_gguf_find_key(g, "tokenizer.ggml.model") >= 0) {
        if (rm_vocab_load(g, &v) != RM_OK) {
            die("%s: %s", path, rm_vocab_error(v));
            rm_vocab_free(v);
            rm_gguf_close(g);
            return 1;
        }
        tkm = rm_vocab_model(v);
        tkp = rm_vocab_pre(v);
    }
    if (rm_gguf_n_tensors(g) > 0) {
        rm_gguf *g2 = NULL;
        rm_gguf_open(path, &g2);
        if (rm_model_open_gguf(g2, &m) != RM_OK) {
            die("%s: %s", path, rm_model_error(m));
            rm_model_close(m);
            rm_vocab_free(v);
            rm_gguf_close(g);
            return 1;
        }
    }
    if (json) {
        const rm_hparams *hp = m ? rm_model_hparams(m) : NULL;
        int first = 1;
        printf("{\"file\":");
        rmj_write_string(stdout, path, strlen(path));
        printf(",\"gguf_version\":%u,\"architecture\":", rm_gguf_version(g));
        json_str(stdout, arch);
        if (hp)
            printf(",\"n_vocab\":%lld,\"n_ctx_train\":%lld,\"n_embd\":%lld,\"n_layer\":%lld,\"n_head\":%lld,\"n_head_kv\":%lld,"
                   "\"head_dim\":%lld,\"n_ff\":%lld,\"n_rot\":%lld,\"rope_base\":%g,\"norm_eps\":%g,\"attn_softcap\":%g,"
                   "\"final_softcap\":%g,\"sliding_window\":%lld,\"reward_head_outputs\":%d",
                   (long long)hp->n_vocab, (long long)hp->n_ctx_train, (long long)hp->n_embd, (long long)hp->n_layer,
                   (long long)hp->n_head, (long long)hp->n_head_kv, (long long)hp->head_dim, (long long)hp->n_ff,
                   (long long)hp->n_rot, hp->rope_base, hp->norm_eps, hp->attn_softcap, hp->final_softcap,
                   (long long)hp->sliding_window, hp->n_cls_out);
        printf(",\"tokenizer\":");
        if (v) {
            printf("{\"model\":");
            json_str(stdout, tkm);
            printf(",\"pre\":");
            json_str(stdout, tkp);
            printf(",\"n_tokens\":%d,\"bos\":%d,\"eos\":%d,\"eot\":%d,\"add_bos\":%s}", rm_vocab_n_tokens(v), rm_vocab_bos(v),
                   rm_vocab_eos(v), rm_vocab_eot(v), rm_vocab_add_bos(v) ? "true" : "false");
        } else printf("null");
        printf(",\"n_kv\":%lld,\"n_tensors\":%lld,\"tensor_bytes\":%llu,\"types\":{", (long long)rm_gguf_n_kv(g),
               (long long)rm_gguf_n_tensors(g), (unsigned long long)total);
        for (i = 0; i < RM_TYPE_COUNT; i++)
            if (n_by_type[i]) {
                printf("%s\"%s\":{\"tensors\":%llu,\"bytes\":%llu}", first ? "" : ",", rm_type_name(i),
                       (unsigned long long)n_by_type[i], (unsigned long long)bytes_by_type[i]);
                first = 0;
            }
        printf("}}\n");
    } else {
        const rm_hparams *hp = m ? rm_model_hparams(m) : NULL;
        printf("file:          %s (GGUF v%u, %lld keys, %lld tensors, %.1f MiB of weights)\n", path, rm_gguf_version(g),
               (long long)rm_gguf_n_kv(g), (long long)rm_gguf_n_tensors(g), (double)total / 1048576.0);
        printf("architecture:  %.*s\n", (int)arch.len, arch.ptr);
        if (hp) {
            printf("layers:        %lld, embedding %lld, heads %lld/%lld kv of %lld, ffn %lld, rope %lld dims base %g\n",
                   (long long)hp->n_layer, (long long)hp->n_embd, (long long)hp->n_head, (long long)hp->n_head_kv,
                   (long long)hp->head_dim, (long long)hp->n_ff, (long long)hp->n_rot, hp->rope_base);
            printf("vocabulary:    %lld, trained context %lld\n", (long long)hp->n_vocab, (long long)hp->n_ctx_train);
            printf("reward head:   %s\n", hp->n_cls_out ? "cls.output (EX-RM)" : "none");
        }
        if (v)
            printf("tokenizer:     %.*s (pre %.*s), %d tokens, bos %d eos %d eot %d%s\n", (int)tkm.len, tkm.ptr, (int)tkp.len,
                   tkp.ptr, rm_vocab_n_tokens(v), rm_vocab_bos(v), rm_vocab_eos(v), rm_vocab_eot(v),
                   rm_vocab_add_bos(v) ? ", adds BOS" : "");
        for (i = 0; i < RM_TYPE_COUNT; i++)
            if (n_by_type[i])
                printf("type %-8s  %4llu tensors, %10llu bytes\n", rm_type_name(i), (unsigned long long)n_by_type[i],
                       (unsigned long long)bytes_by_type[i]);
    }
    rm_model_close(m);
    rm_vocab_free(v);
    rm_gguf_close(g);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* tokenize                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Reads a whole file into memory (NUL-terminated); NULL on failure. */
static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    if (!f) return NULL;
    do {
        if (n + 65536 + 1 > cap) {
            char *p;
            cap = (n + 65536 + 1) * 2;
            p = (char *)realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, 65536, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static int cmd_tokenize(int argc, char **argv) {
    static const char *const wv[] = {"--model", "--text", "--file", NULL};
    static const char *const nv[] = {"--no-bos", "--special", "--speed", NULL};
    const char *path = opt(argc, argv, "--model"), *text = opt(argc, argv, "--text"), *file = opt(argc, argv, "--file");
    char *owned = NULL;
    size_t tlen = 0;
    rm_gguf *g = NULL;
    rm_vocab *v = NULL;
    int32_t *ids = NULL;
    size_t n = 0, i;
    rm_result r;
    if (check_opts(argc, argv, wv, nv, 0)) return 1;
    if (!path || !text == !file)
        return die("usage: rmtool tokenize --model FILE [--no-bos] [--special] (--text STR | --file F) [--speed]");
    if (file) {
        owned = read_all(file, &tlen);
        if (!owned) return die("cannot read '%s'", file);
        text = owned;
    } else {
        tlen = strlen(text);
    }
    if (rm_gguf_open(path, &g) != RM_OK) {
        die("%s: %s", path, rm_gguf_error(g));
        rm_gguf_close(g);
        free(owned);
        return 1;
    }
    if (rm_vocab_load(g, &v) != RM_OK) {
        die("%s: %s", path, rm_vocab_error(v));
        rm_vocab_free(v);
        rm_gguf_close(g);
        free(owned);
        return 1;
    }
    if (flag(argc, argv, "--speed")) {
        /* best of 5 runs: tokens and MB/s of this text with this vocabulary */
        double sec = 0;
        size_t nt = 0;
        r = rm_tokenize_speed(v, text, tlen, 5, &sec, &nt);
        if (r) die("cannot tokenize: %s", rm_result_string(r));
        else
            printf("{\"bytes\":%zu,\"tokens\":%zu,\"seconds\":%.6f,\"mb_per_s\":%.3f}\n", tlen, nt, sec,
                   sec > 0 ? (double)tlen / 1e6 / sec : 0.0);
    } else {
        r = rm_tokenize(v, text, tlen, !flag(argc, argv, "--no-bos"), flag(argc, argv, "--special"), NULL, 0, &n);
        if (r == RM_ERR_LIMIT || r == RM_OK) {
            ids = (int32_t *)malloc((n + 1) * sizeof(int32_t));
            r = ids ? rm_tokenize(v, text, tlen, !flag(argc, argv, "--no-bos"), flag(argc, argv, "--special"), ids, n, &n)
                    : RM_ERR_NOMEM;
        }
        if (r) {
            die("cannot tokenize: %s", rm_result_string(r));
        } else {
            for (i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
            printf("\n");
        }
    }
    free(ids);
    free(owned);
    rm_vocab_free(v);
    rm_gguf_close(g);
    return r ? 1 : 0;
}

#include <time.h>

/* Seconds on a monotonic clock (CPU time where clock_gettime is missing), for rates and ETAs. */
static double rmt_now(void) {
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

#include "rmtool_score.h"
#include "rmtool_synth.h"
#include "rmtool_bench.h"
#define RMST_IMPLEMENTATION
#include "rmsafetensors.h"
#include "rmtool_convert.h"

static void usage(void) {
    fprintf(stderr,
            "usage: rmtool COMMAND [options]\n"
            "  info FILE [--json]\n"
            "  tokenize --model FILE [--no-bos] [--special] (--text STR | --file F) [--speed]\n"
            "  score --model M [--ref R] [--head H] --mode implicit|explicit [--beta B] [--ref-free sum|mean|norm]\n"
            "        [--template auto|none|NAME] [--split paper|rewardbench|none] (--prompt P --response R | --input F.jsonl)\n"
            "        [--per-token] [--hidden] [--json] [--threads N] [--ctx N] [--kv-f16] [--normalize]\n"
            "        [--precision bf16|f32]\n"
            "  eval --input prefs.jsonl --model M [--ref R] [--head H] --mode explicit|implicit|both [--json] [--scores F]\n"
            "  fit-head --model M --input prefs.jsonl -o head.gguf [--l2 X] [--holdout F] [--iters N] [--seed N]\n"
            "  synth --preset NAME --type f32|f16|bf16|q8_0|q4_0|q4_k_m -o FILE [--seed N]\n"
            "  bench --model FILE --tokens N --threads T [--precision bf16|f32] [--runs R] [--json]\n"
            "  convert HF_DIR -o OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k_m|q5_k_m|q6_k]\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage();
        return 1;
    }
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc - 2, argv + 2);
    if (strcmp(argv[1], "tokenize") == 0) return cmd_tokenize(argc - 2, argv + 2);
    if (strcmp(argv[1], "score") == 0) return cmd_score(argc - 2, argv + 2);
    if (strcmp(argv[1], "eval") == 0) return cmd_eval(argc - 2, argv + 2);
    if (strcmp(argv[1], "fit-head") == 0) return cmd_fit_head(argc - 2, argv + 2);
    if (strcmp(argv[1], "synth") == 0) return rmtool_synth(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0) return rmtool_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "convert") == 0) return rmtool_convert(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage();
        return 0;
    }
    return die("unknown command '%s' (rmtool --help lists the commands)", argv[1]);
}
