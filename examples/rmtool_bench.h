/* rmtool bench: prefill speed of a model, as llama-bench -p N -n 0 measures llama.cpp's.

       rmtool bench --model FILE [--tokens N] [--threads T] [--runs R] [--seed S] [--json]

   Each run evaluates N random token ids as one sequence in a fresh context and asks only for
   the last position's hidden state (no LM head), so the time is that of the transformer
   layers. One untimed warm-up run comes first (it faults the mapped weights in, as
   llama-bench's warm-up does). The median of R runs is printed; with --json the last line of
   the output is one JSON object: prefill_tokens_per_s (the median), n_tokens, threads, runs,
   model, type (the type of most weight bytes), and runs_tokens_per_s (each run).

   Included by examples/rmtool.c after rm.h (with RM_IMPLEMENTATION); the dispatcher calls
   rmtool_bench(argc, argv) with argv[0] the subcommand name and the options after it. */
#ifndef RMTOOL_BENCH_H
#define RMTOOL_BENCH_H
#include "rm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds on a monotonic clock (CPU time as a fallback, which is wrong with threads: only
   for platforms without clock_gettime). */
static double rmtb_now(void) {
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

static int rmtb_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The tensor type holding most of the weight bytes ("Q8_0"); a rough name for the file. */
static const char *rmtb_main_type(const rm_gguf *g) {
    uint64_t bytes[RM_TYPE_COUNT];
    int64_t i, n = rm_gguf_n_tensors(g);
    int t, best = 0;
    memset(bytes, 0, sizeof(bytes));
    for (i = 0; i < n; i++) {
        const rm_tensor *tt = rm_gguf_tensor(g, i);
        if (tt && tt->type >= 0 && tt->type < RM_TYPE_COUNT && tt->n_dims >= 2) bytes[tt->type] += tt->nbytes;
    }
    for (t = 1; t < RM_TYPE_COUNT; t++)
        if (bytes[t] > bytes[best]) best = t;
    return rm_type_name(best) ? rm_type_name(best) : "?";
}

static void rmtb_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void rmtb_usage(FILE *f) {
    fprintf(f, "usage: rmtool bench --model FILE [--tokens N] [--threads T] [--runs R] [--seed S] [--json]\n"
               "  prefill of N random tokens (default 512) with T threads (default: OpenMP's), median of R runs\n"
               "  (default 3) after one warm-up run\n");
}

static int rmtool_bench(int argc, char **argv) {
    const char *path = NULL;
    long n_tok = 512, nth = 0, runs = 3, i;
    unsigned long long seed = 1;
    int json = 0, rc = 1;
    rm_model *m = NULL;
    rm_ctx *c = NULL;
    int32_t *ids = NULL;
    double *tps = NULL, *sorted = NULL, med;
    float *hidden = NULL;
    const rm_hparams *hp;
    rm_result e;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { rmtb_usage(stdout); return 0; }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!v) { fprintf(stderr, "bench: %s needs a value\n", a); rmtb_usage(stderr); return 2; }
        if (!strcmp(a, "--model") || !strcmp(a, "-m")) path = v;
        else if (!strcmp(a, "--tokens") || !strcmp(a, "-p")) n_tok = strtol(v, NULL, 10);
        else if (!strcmp(a, "--threads") || !strcmp(a, "-t")) nth = strtol(v, NULL, 10);
        else if (!strcmp(a, "--runs") || !strcmp(a, "-r")) runs = strtol(v, NULL, 10);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else { fprintf(stderr, "bench: unknown option %s\n", a); rmtb_usage(stderr); return 2; }
        i++;
    }
    if (!path) { rmtb_usage(stderr); return 2; }
    if (n_tok < 1 || n_tok > 1000000 || nth < 0 || nth > 4096 || runs < 1 || runs > 1000) {
        fprintf(stderr, "bench: --tokens must be 1..1000000, --threads 0..4096, --runs 1..1000\n");
        return 2;
    }
    e = rm_model_open(path, &m);
    if (e != RM_OK) {
        fprintf(stderr, "bench: %s: %s (%s)\n", path, rm_model_error(m), rm_result_name(e));
        rm_model_close(m);
        return 1;
    }
    hp = rm_model_hparams(m);
    ids = (int32_t *)malloc((size_t)n_tok * sizeof(int32_t));
    tps = (double *)malloc((size_t)runs * sizeof(double));
    sorted = (double *)malloc((size_t)runs * sizeof(double));
    hidden = (float *)malloc((size_t)hp->n_embd * sizeof(float));
    if (!ids || !tps || !sorted || !hidden) { fprintf(stderr, "bench: out of memory\n"); goto done; }
    {
        /* random ids from a 64-bit LCG (Knuth's constants), the same for every run */
        uint64_t s = seed * 2862933555777941757ull + 3037000493ull;
        for (i = 0; i < n_tok; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            ids[i] = (int32_t)((s >> 33) % (uint64_t)hp->n_vocab);
        }
    }
    for (i = -1; i < runs; i++) {
        rm_ctx_params cp;
        rm_eval ev;
        int64_t last = n_tok - 1;
        double t0, t1;
        memset(&cp, 0, sizeof(cp));
        cp.n_ctx = n_tok;
        cp.n_threads = (int)nth;
        e = rm_ctx_new(m, &cp, &c);
        if (e != RM_OK) { fprintf(stderr, "bench: context: %s (%s)\n", rm_ctx_error(c), rm_result_name(e)); goto done; }
        memset(&ev, 0, sizeof(ev));
        ev.tokens = ids;
        ev.n_tokens = n_tok;
        ev.hidden_idx = &last;
        ev.n_hidden = 1;
        ev.hidden = hidden;
        t0 = rmtb_now();
        e = rm_ctx_eval(c, &ev);
        t1 = rmtb_now();
        if (e != RM_OK) { fprintf(stderr, "bench: eval: %s (%s)\n", rm_ctx_error(c), rm_result_name(e)); goto done; }
        rm_ctx_free(c);
        c = NULL;
        if (i >= 0) {
            tps[i] = (double)n_tok / (t1 - t0 > 1e-9 ? t1 - t0 : 1e-9);
            if (!json) printf("run %ld: %.2f tokens/s (%.3f s)\n", i + 1, tps[i], t1 - t0);
        }
    }
    memcpy(sorted, tps, (size_t)runs * sizeof(double));
    qsort(sorted, (size_t)runs, sizeof(double), rmtb_cmp_double);
    med = runs % 2 ? sorted[runs / 2] : 0.5 * (sorted[runs / 2 - 1] + sorted[runs / 2]);
    if (json) {
        printf("{\"model\": ");
        rmtb_json_str(stdout, path);
        printf(", \"type\": \"%s\", \"arch\": \"%s\", \"n_tokens\": %ld, \"threads\": %ld, \"runs\": %ld, "
               "\"prefill_tokens_per_s\": %.3f, \"runs_tokens_per_s\": [",
               rmtb_main_type(rm_model_gguf(m)), rm_arch_name(hp->arch) ? rm_arch_name(hp->arch) : "?", n_tok, nth, runs,
               med);
        for (i = 0; i < runs; i++) printf("%s%.3f", i ? ", " : "", tps[i]);
        printf("]}\n");
    } else {
        printf("%s: prefill %ld tokens, %ld threads: %.2f tokens/s (median of %ld)\n", path, n_tok, nth, med, runs);
    }
    rc = 0;
done:
    rm_ctx_free(c);
    rm_model_close(m);
    free(ids);
    free(tps);
    free(sorted);
    free(hidden);
    return rc;
}
#endif /* RMTOOL_BENCH_H */
