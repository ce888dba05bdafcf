/* rmtool: the command-line front end of rm.h.

   rmtool COMMAND [options]; `rmtool --help` lists the commands with their synopses, and
   `rmtool COMMAND --help` (or -h) a command's options. Every command parses its options with
   examples/rmtool_opts.h from one table, which also makes both helps: a new command adds an
   rmo_cmd with its table and one line to rmt_commands below.

   Every failure prints one line "error: ..." on stderr and exits with status 1 (130 after
   Ctrl-C). */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "rmjson.h"
#include "rmtool_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

static int die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* info                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void json_str(FILE *f, rm_str s) { rmj_write_string(f, s.ptr ? s.ptr : "", s.len); }

static const rmo_opt rmt_info_opts[] = {{"--json", NULL, "one JSON object instead of text", 0}, {NULL, NULL, NULL, 0}};
static const rmo_cmd rmt_info_cmd = {"info", "what a GGUF file holds: a model (architecture, sizes, tokenizer) or a reward head", "FILE", 1,
                                     rmt_info_opts, NULL};

/* A head file (rmtool fit-head, or any GGUF with cls.output.weight and no architecture). */
static int rmt_info_head(const char *path, rm_gguf *g, int json) {
    const rm_tensor *w = rm_gguf_find_tensor(g, "cls.output.weight"), *b = rm_gguf_find_tensor(g, "cls.output.bias");
    rm_str name = {"", 0}, type = {"", 0};
    double mean = 0, sd = 0;
    int has_norm = rm_gguf_get_float(g, "rm.head.mean", &mean) == RM_OK && rm_gguf_get_float(g, "rm.head.std", &sd) == RM_OK;
    rm_gguf_get_str(g, "general.name", &name);
    rm_gguf_get_str(g, "general.type", &type);
    if (json) {
        printf("{\"file\":");
        rmj_write_string(stdout, path, strlen(path));
        printf(",\"gguf_version\":%u,\"kind\":\"reward_head\",\"general_type\":", rm_gguf_version(g));
        rmj_write_string(stdout, type.ptr, type.len);
        printf(",\"source_model\":");
        rmj_write_string(stdout, name.ptr, name.len);
        printf(",\"n_embd\":%lld,\"outputs\":%lld,\"weight_type\":\"%s\",\"bias\":%s", (long long)w->ne[0],
               (long long)(w->n_dims > 1 ? w->ne[1] : 1), rm_type_name(w->type) ? rm_type_name(w->type) : "?", b ? "true" : "false");
        if (has_norm) printf(",\"reward_mean\":%.9g,\"reward_std\":%.9g", mean, sd);
        printf(",\"n_kv\":%lld,\"n_tensors\":%lld}\n", (long long)rm_gguf_n_kv(g), (long long)rm_gguf_n_tensors(g));
    } else {
        printf("file:          %s (GGUF v%u, %lld keys, %lld tensors)\n", path, rm_gguf_version(g), (long long)rm_gguf_n_kv(g),
               (long long)rm_gguf_n_tensors(g));
        printf("kind:          reward head%s%.*s (no transformer: use it with --head on a model of width %lld)\n", type.len ? ", " : "",
               (int)type.len, type.ptr, (long long)w->ne[0]);
        if (name.len) printf("fitted on:     %.*s\n", (int)name.len, name.ptr);
        printf("weight:        cls.output.weight %s {%lld, %lld}%s\n", rm_type_name(w->type) ? rm_type_name(w->type) : "?",
               (long long)w->ne[0], (long long)(w->n_dims > 1 ? w->ne[1] : 1), b ? ", cls.output.bias" : "");
        if (has_norm) printf("normalisation: reward mean %.6g, std %.6g (applied with --normalize)\n", mean, sd);
    }
    return 0;
}

static int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json, i, prc;
    rmo_args a;
    rm_gguf *g = NULL;
    rm_model *m = NULL;
    rm_vocab *v = NULL;
    rm_str arch = {"", 0}, tkm = {"", 0}, tkp = {"", 0};
    uint64_t n_by_type[RM_TYPE_COUNT] = {0}, bytes_by_type[RM_TYPE_COUNT] = {0}, total = 0;
    int64_t t;
    rm_result r;
    if ((prc = rmo_parse(&rmt_info_cmd, argc, argv, &a)) >= 0) return prc;
    json = rmo_has(&a, "--json");
    path = a.npos ? a.pos[0] : NULL;
    if (!path) return rmo_error(&rmt_info_cmd, "give the FILE to describe");
    r = rm_gguf_open(path, &g);
    if (r) {
        die("%s: %s", path, rm_gguf_error(g));
        rm_gguf_close(g);
        return 1;
    }
    if (rm_gguf_find_key(g, "general.architecture") < 0 && rm_gguf_find_tensor(g, "cls.output.weight")) {
        int rc = rmt_info_head(path, g, json);
        rm_gguf_close(g);
        return rc;
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
            printf("tokenizer:     %.*s%s%.*s%s, %d tokens, bos %d eos %d eot %d%s\n", (int)tkm.len, tkm.ptr,
                   tkp.len ? " (pre " : "", (int)tkp.len, tkp.ptr, tkp.len ? ")" : "", rm_vocab_n_tokens(v), rm_vocab_bos(v),
                   rm_vocab_eos(v), rm_vocab_eot(v), rm_vocab_add_bos(v) ? ", adds BOS" : "");
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

static const rmo_opt rmt_tokenize_opts[] = {
    {"--model", "FILE", "the GGUF whose tokenizer to use", RMO_REQUIRED},
    {"--text", "STR", "the text (or --file)", 0},
    {"--file", "F", "read the text from a file", 0},
    {"--no-bos", NULL, "no BOS even where the vocabulary adds one", 0},
    {"--special", NULL, "parse special-token text (\"<|im_end|>\") into those tokens", 0},
    {"--speed", NULL, "print bytes, tokens and MB/s (best of 5) instead of the ids", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rmt_tokenize_cmd = {"tokenize", "token ids of a text, space-separated", NULL, 0, rmt_tokenize_opts, NULL};

static int cmd_tokenize(int argc, char **argv) {
    rmo_args a;
    int prc = rmo_parse(&rmt_tokenize_cmd, argc, argv, &a);
    const char *path = rmo_get(&a, "--model"), *text = rmo_get(&a, "--text"), *file = rmo_get(&a, "--file");
    char *owned = NULL;
    size_t tlen = 0;
    rm_gguf *g = NULL;
    rm_vocab *v = NULL;
    int32_t *ids = NULL;
    size_t n = 0, i;
    rm_result r;
    if (prc >= 0) return prc;
    if (!text == !file) return rmo_error(&rmt_tokenize_cmd, "give --text STR or --file F");
    if (file) {
        owned = read_all(file, &tlen);
        if (!owned) return die("cannot read '%s': %s", file, strerror(errno));
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
    if (rmo_has(&a, "--speed")) {
        /* best of 5 runs: tokens and MB/s of this text with this vocabulary */
        double sec = 0;
        size_t nt = 0;
        r = rm_tokenize_speed(v, text, tlen, 5, &sec, &nt);
        if (r) die("cannot tokenize: %s", rm_result_string(r));
        else
            printf("{\"bytes\":%zu,\"tokens\":%zu,\"seconds\":%.6f,\"mb_per_s\":%.3f}\n", tlen, nt, sec,
                   sec > 0 ? (double)tlen / 1e6 / sec : 0.0);
    } else {
        r = rm_tokenize(v, text, tlen, !rmo_has(&a, "--no-bos"), rmo_has(&a, "--special"), NULL, 0, &n);
        if (r == RM_ERR_LIMIT || r == RM_OK) {
            ids = (int32_t *)malloc((n + 1) * sizeof(int32_t));
            r = ids ? rm_tokenize(v, text, tlen, !rmo_has(&a, "--no-bos"), rmo_has(&a, "--special"), ids, n, &n)
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
#include "rmtool_rewardbench.h"
#include "rmtool_synth.h"
#include "rmtool_bench.h"
#include "rmtool_serve.h"
#include "rmtool_dpo.h"
#define RMST_IMPLEMENTATION
#include "rmsafetensors.h"
#include "rmtool_convert.h"

/* synth and bench take argv[0] = their name (test_write calls rmtool_synth directly) */
static int rmts_run(int argc, char **argv) { return rmtool_synth(argc + 1, argv - 1); }
static int rmtb_run(int argc, char **argv) { return rmtool_bench(argc + 1, argv - 1); }

static const struct rmt_command {
    const rmo_cmd *cmd;
    int (*run)(int argc, char **argv); /* argv: the arguments after the command's name */
} rmt_commands[] = {
    {&rmt_info_cmd, cmd_info},
    {&rmt_tokenize_cmd, cmd_tokenize},
    {&rmt_score_cmd, cmd_score},
    {&rmt_eval_cmd, cmd_eval},
    {&rmt_fit_head_cmd, cmd_fit_head},
    {&rmts_cmd, rmts_run},
    {&rmtb_cmd, rmtb_run},
    {&rms_cmd, cmd_serve},
    {&rmt_fit_dpo_cmd, cmd_fit_dpo},
    {&rmt_paper_cmd, cmd_paper},
    {&rmt_explain_cmd, cmd_explain},
    {&rmc_cmd, rmtool_convert},
};
#define RMT_N_COMMANDS (sizeof(rmt_commands) / sizeof(rmt_commands[0]))

static void rmt_version(void) {
    printf("rmtool %d.%d.%d (rm.h %d.%d.%d", RM_VERSION_MAJOR, RM_VERSION_MINOR, RM_VERSION_PATCH, RM_VERSION_MAJOR, RM_VERSION_MINOR,
           RM_VERSION_PATCH);
    printf(", %s)\n", RMT_GZ_NOTE);
}

static void usage(FILE *f) {
    size_t i;
    fprintf(f, "usage: rmtool COMMAND [options]    (rmtool COMMAND --help: the options of one command)\n\n");
    for (i = 0; i < RMT_N_COMMANDS; i++) {
        fprintf(f, "  %-9s %s\n    ", rmt_commands[i].cmd->name, rmt_commands[i].cmd->summary);
        rmo_synopsis(f, rmt_commands[i].cmd);
    }
    fprintf(f, "\n  --help, -h  this list    --version  the version and build options\n"
               "Failures print one line \"error: ...\" on stderr and exit 1 (130 after Ctrl-C).\n");
}

int main(int argc, char **argv) {
    size_t i;
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    for (i = 0; i < RMT_N_COMMANDS; i++)
        if (strcmp(argv[1], rmt_commands[i].cmd->name) == 0) return rmt_commands[i].run(argc - 2, argv + 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        rmt_version();
        return 0;
    }
    return die("unknown command '%s' (rmtool --help lists the commands)", argv[1]);
}
