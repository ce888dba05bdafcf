/* rmtool bench: speed of prefill and of reward scoring, as llama-bench -p N -n 0 measures
   llama.cpp's prefill.

       rmtool bench --model FILE [--mode prefill|explicit|implicit|shared] [--tokens N]
                    [--prompt-tokens P] [--response-tokens R] [--responses K] [--pairs N]
                    [--ref FILE] [--head FILE] [--threads T] [--precision auto|bf16|f32] [--runs R]
                    [--seed S] [--json]

   prefill   N random token ids (default 512) as one sequence in a fresh context, asking only
             for the last position's hidden state (no LM head): the transformer layers alone.
   explicit  --pairs prompts (default 2) of P tokens (256), each with K responses (2) of R
             tokens (128), through rm_scorer / rm_score_ids in explicit mode: pairs/s and
             tokens/s (P + K*R per pair). A model without cls.output gets a random head
             (--head FILE to give one).
   implicit  the same in implicit mode: the policy's and the reference's log-probs of every
             response token. The reference is --ref, else the same loaded model (which is
             what matters for timing).
   shared    one prompt of P tokens (512) with K responses (8) of R tokens (64) scored
             together by rm_score_ids (explicit mode), against a prefill of P + K*R tokens
             (1024): shared_ratio = time(score) / time(prefill); the KV of the prompt is
             computed once and the responses attend to it, so the ratio should stay near 1.

   One untimed warm-up run comes first (it faults the mapped weights in, as llama-bench's
   warm-up does). Medians of R runs (default 3) are printed; with --json the last line of the
   output is one JSON object: model, type (of most weight bytes), arch, mode, threads, precision, isa
   (the kernels' instruction set, see RM_ISA), runs,
   the mode's figures (prefill: prefill_tokens_per_s, n_tokens, runs_tokens_per_s; explicit
   and implicit: pairs_per_s, tokens_per_s; shared: shared_s, prefill_s, shared_ratio), and
   memory: peak_rss_mb (getrusage, where available), file_mb, kv_mb (the KV cache as
   allocated; in shared mode the scorer's and the prefill's, both alive) and
   rss_budget_mb = file_mb + kv_mb + 64.

   Included by examples/rmtool.c after rm.h (with RM_IMPLEMENTATION); the dispatcher calls
   rmtool_bench(argc, argv) with argv[0] the subcommand name and the options after it. */
#ifndef RMTOOL_BENCH_H
#define RMTOOL_BENCH_H
#include "rm.h"
#include "rmtool_opts.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#define RMTB_HAVE_RUSAGE 1
#endif

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

/* Peak resident set in MB (0 when the platform does not say). */
static double rmtb_peak_rss_mb(void) {
#ifdef RMTB_HAVE_RUSAGE
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
#if defined(__APPLE__)
    return (double)ru.ru_maxrss / (1024.0 * 1024.0); /* bytes there */
#else
    return (double)ru.ru_maxrss / 1024.0; /* KB on Linux and the BSDs */
#endif
#else
    return 0;
#endif
}

static double rmtb_file_mb(const char *path) {
    FILE *f = fopen(path, "rb");
    double mb = 0;
    if (!f) return 0;
    if (fseek(f, 0, SEEK_END) == 0) mb = (double)ftell(f) / (1024.0 * 1024.0);
    fclose(f);
    return mb;
}

/* The KV cache a context holds for n cells, as rm.h allocates it (F32, cells doubling from
   256, at most the trained context). */
static double rmtb_kv_mb(const rm_hparams *hp, int64_t n) {
    int64_t cap = 256;
    while (cap < n) cap *= 2;
    if (hp->n_ctx_train > 0 && cap > hp->n_ctx_train) cap = hp->n_ctx_train;
    return (double)hp->n_layer * 2.0 * (double)hp->n_head_kv * (double)hp->head_dim * 4.0 * (double)cap / (1024.0 * 1024.0);
}

static double rmtb_median(double *v, long n) {
    qsort(v, (size_t)n, sizeof(double), rmtb_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct rmtb_rng {
    uint64_t s;
} rmtb_rng;

/* random ids from a 64-bit LCG (Knuth's constants) */
static void rmtb_ids(rmtb_rng *r, int32_t *ids, long n, int64_t n_vocab) {
    long i;
    for (i = 0; i < n; i++) {
        r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((r->s >> 33) % (uint64_t)n_vocab);
    }
}

/* Seconds for one prefill of n ids in a fresh context (last hidden state only); < 0 on error. */
static double rmtb_prefill(const rm_model *m, const int32_t *ids, long n, long nth, int prec, float *hidden) {
    rm_ctx_params cp;
    rm_ctx *c = NULL;
    rm_eval ev;
    int64_t last = n - 1;
    double t0, t1;
    rm_result e;
    memset(&cp, 0, sizeof(cp));
    cp.n_ctx = n;
    cp.n_threads = (int)nth;
    cp.precision = prec;
    e = rm_ctx_new(m, &cp, &c);
    if (e != RM_OK) {
        fprintf(stderr, "bench: context: %s (%s)\n", rm_ctx_error(c), rm_result_name(e));
        rm_ctx_free(c);
        return -1;
    }
    memset(&ev, 0, sizeof(ev));
    ev.tokens = ids;
    ev.n_tokens = n;
    ev.hidden_idx = &last;
    ev.n_hidden = 1;
    ev.hidden = hidden;
    t0 = rmt_now();
    e = rm_ctx_eval(c, &ev);
    t1 = rmt_now();
    if (e != RM_OK) fprintf(stderr, "bench: eval: %s (%s)\n", rm_ctx_error(c), rm_result_name(e));
    rm_ctx_free(c);
    return e == RM_OK ? RM__MAX(t1 - t0, 1e-9) : -1;
}

static const rmo_opt rmtb_opts[] = {
    {"--model|-m", "FILE", "the GGUF to time", RMO_REQUIRED},
    {"--mode", "prefill|explicit|implicit|shared", "what to time (default prefill)", 0},
    {"--tokens|-p", "N", "prefill: tokens (default 512)", 0},
    {"--prompt-tokens", "P", "scoring: prompt tokens (default 256; shared 512)", 0},
    {"--response-tokens", "R", "scoring: tokens per response (default 128; shared 64)", 0},
    {"--responses", "K", "scoring: responses per prompt (default 2; shared 8)", 0},
    {"--pairs", "N", "explicit/implicit: prompts per run (default 2)", 0},
    {"--ref", "FILE", "implicit: the reference model (default the same model)", 0},
    {"--head", "FILE", "explicit: a head file (default the model's, else a random one)", 0},
    {"--threads|-t", "T", "threads (default: one per CPU this process may use)", 0},
    {"--precision", "auto|bf16|f32", "F16/BF16 weights (default auto: no weight rounded)", 0},
    {"--runs|-r", "R", "timed runs, median printed (default 3)", 0},
    {"--seed", "S", "seed of the random token ids (default 1)", 0},
    {"--json", NULL, "end with one JSON object", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rmtb_cmd = {
    "bench", "prefill and scoring speed, peak RSS", NULL, 0, rmtb_opts,
    "prefill: N random tokens; explicit/implicit: N prompts of P tokens with K responses of R tokens through\n"
    "rm_score_ids; shared: P=512 and K=8 responses of R=64 scored together vs a prefill of P+K*R.\n"
    "One warm-up run first, then the median of R runs.\n"};

static int rmtool_bench(int argc, char **argv) {
    const char *path = NULL, *mode_s = "prefill", *ref_path = NULL, *head_path = NULL, *prec_s = "auto";
    int prec = RM_PRECISION_BF16;
    long n_tok = 512, nth = 0, runs = 3, i, P = -1, R = -1, K = -1, pairs = 2, r;
    unsigned long long seed = 1;
    int json = 0, rc = 1, mode, isa = RM_ISA_SCALAR;
    char tmp_head[512];
    rm_model *m = NULL, *ref = NULL;
    rm_head *head = NULL;
    rm_scorer *sc = NULL;
    int32_t *ids = NULL;
    const int32_t **resp = NULL;
    int64_t *nr = NULL;
    rm_score *out = NULL;
    double *a = NULL, *b = NULL, *w = NULL, kv_mb = 0, file_mb, rss;
    float *hidden = NULL;
    const rm_hparams *hp;
    rmtb_rng rng;
    rm_result e;
    tmp_head[0] = 0;
    {
        rmo_args oa;
        int prc = rmo_parse(&rmtb_cmd, argc - 1, argv + 1, &oa);
        if (prc >= 0) return prc;
        path = rmo_get(&oa, "--model");
        if (rmo_get(&oa, "--mode")) mode_s = rmo_get(&oa, "--mode");
        if (rmo_get(&oa, "--precision")) prec_s = rmo_get(&oa, "--precision");
        ref_path = rmo_get(&oa, "--ref");
        head_path = rmo_get(&oa, "--head");
        if (rmo_get(&oa, "--tokens")) n_tok = strtol(rmo_get(&oa, "--tokens"), NULL, 10);
        if (rmo_get(&oa, "--prompt-tokens")) P = strtol(rmo_get(&oa, "--prompt-tokens"), NULL, 10);
        if (rmo_get(&oa, "--response-tokens")) R = strtol(rmo_get(&oa, "--response-tokens"), NULL, 10);
        if (rmo_get(&oa, "--responses")) K = strtol(rmo_get(&oa, "--responses"), NULL, 10);
        if (rmo_get(&oa, "--pairs")) pairs = strtol(rmo_get(&oa, "--pairs"), NULL, 10);
        if (rmo_get(&oa, "--threads")) nth = strtol(rmo_get(&oa, "--threads"), NULL, 10);
        if (rmo_get(&oa, "--runs")) runs = strtol(rmo_get(&oa, "--runs"), NULL, 10);
        if (rmo_get(&oa, "--seed")) seed = strtoull(rmo_get(&oa, "--seed"), NULL, 10);
        json = rmo_has(&oa, "--json");
    }
    if (!strcmp(prec_s, "auto")) prec = RM_PRECISION_AUTO;
    else if (!strcmp(prec_s, "bf16")) prec = RM_PRECISION_BF16;
    else if (!strcmp(prec_s, "f32")) prec = RM_PRECISION_F32;
    else { fprintf(stderr, "error: bench: --precision must be auto, bf16 or f32\n"); return 1; }
    if (!strcmp(mode_s, "prefill")) mode = 0;
    else if (!strcmp(mode_s, "explicit")) mode = 1;
    else if (!strcmp(mode_s, "implicit")) mode = 2;
    else if (!strcmp(mode_s, "shared")) mode = 3;
    else { fprintf(stderr, "error: bench: --mode must be prefill, explicit, implicit or shared\n"); return 1; }
    if (P < 0) P = mode == 3 ? 512 : 256;
    if (R < 0) R = mode == 3 ? 64 : 128;
    if (K < 0) K = mode == 3 ? 8 : 2;
    if (n_tok < 1 || n_tok > 1000000 || nth < 0 || nth > 4096 || runs < 1 || runs > 1000 || P < 1 || P > 1000000 ||
        R < 1 || R > 1000000 || K < 1 || K > 1024 || pairs < 1 || pairs > 100000) {
        fprintf(stderr, "error: bench: --tokens, --prompt-tokens, --response-tokens must be 1..1000000, --responses 1..1024, "
                        "--pairs 1..100000, --threads 0..4096, --runs 1..1000\n");
        return 1;
    }
    e = rm_model_open(path, &m);
    if (e != RM_OK) {
        fprintf(stderr, "bench: %s: %s (%s)\n", path, rm_model_error(m), rm_result_name(e));
        rm_model_close(m);
        return 1;
    }
    hp = rm_model_hparams(m);
    file_mb = rmtb_file_mb(path);
    {
        /* the instruction set the contexts will run (RM_ISA or the fastest), and its errors */
        rm_ctx_params cp;
        rm_ctx *c = NULL;
        memset(&cp, 0, sizeof(cp));
        cp.n_ctx = 1;
        if ((e = rm_ctx_new(m, &cp, &c)) != RM_OK) {
            fprintf(stderr, "error: bench: context: %s (%s)\n", rm_ctx_error(c), rm_result_name(e));
            rm_ctx_free(c);
            rm_model_close(m);
            return 1;
        }
        isa = rm_ctx_isa(c);
        rm_ctx_free(c);
    }
    rng.s = seed * 2862933555777941757ull + 3037000493ull;
    ids = (int32_t *)malloc((size_t)(mode == 0 ? n_tok : P + K * R) * sizeof(int32_t));
    resp = (const int32_t **)malloc((size_t)K * sizeof(*resp));
    nr = (int64_t *)malloc((size_t)K * sizeof(int64_t));
    out = (rm_score *)malloc((size_t)K * sizeof(rm_score));
    a = (double *)malloc((size_t)runs * sizeof(double));
    b = (double *)malloc((size_t)runs * sizeof(double));
    w = (double *)malloc((size_t)runs * sizeof(double));
    hidden = (float *)malloc((size_t)hp->n_embd * sizeof(float));
    if (!ids || !resp || !nr || !out || !a || !b || !w || !hidden) { fprintf(stderr, "bench: out of memory\n"); goto done; }
    for (i = 0; i < K; i++) {
        resp[i] = ids + P + i * R;
        nr[i] = R;
    }
    if (mode != 0) {
        rm_scorer_desc d;
        memset(&d, 0, sizeof(d));
        d.model = m;
        d.mode = mode == 2 ? RM_MODE_IMPLICIT : RM_MODE_EXPLICIT;
        d.n_threads = (int)nth;
        d.precision = prec;
        if (mode == 2) {
            if (ref_path) {
                e = rm_model_open(ref_path, &ref);
                if (e != RM_OK) { fprintf(stderr, "bench: %s: %s\n", ref_path, rm_model_error(ref)); goto done; }
                d.ref = ref;
            } else {
                d.ref = m; /* a loaded model is immutable: one copy serves as both */
            }
        } else {
            if (!head_path && rm_scorer_new(&d, &sc) != RM_OK) {
                /* no cls.output: a random head, written to a temporary file and read back */
                float *hw = (float *)malloc((size_t)hp->n_embd * sizeof(float));
                const char *td = getenv("TMPDIR");
                if (!hw) { fprintf(stderr, "bench: out of memory\n"); goto done; }
                for (i = 0; i < hp->n_embd; i++) {
                    rng.s = rng.s * 6364136223846793005ull + 1442695040888963407ull;
                    hw[i] = (float)((double)(rng.s >> 11) / 9007199254740992.0 - 0.5) * 0.1f;
                }
                snprintf(tmp_head, sizeof(tmp_head), "%s/rmtool-bench-head-%llu.gguf", td && *td ? td : "/tmp", seed);
                e = rm_head_save(tmp_head, hw, hp->n_embd, 0.0, 0.0, rm_model_gguf(m));
                free(hw);
                if (e != RM_OK) { fprintf(stderr, "bench: cannot write a head to %s (%s)\n", tmp_head, rm_result_name(e)); tmp_head[0] = 0; goto done; }
                head_path = tmp_head;
            }
            rm_scorer_free(sc);
            sc = NULL;
            if (head_path) {
                e = rm_head_open(head_path, &head);
                if (e != RM_OK) { fprintf(stderr, "bench: %s: %s\n", head_path, rm_head_error(head)); goto done; }
                d.head = head;
            }
        }
        e = rm_scorer_new(&d, &sc);
        if (e != RM_OK) { fprintf(stderr, "bench: scorer: %s (%s)\n", rm_scorer_error(sc), rm_result_name(e)); goto done; }
    }
    for (r = -1; r < runs; r++) {
        double t0, t1, ta = 0, tb = 0;
        long p;
        if (mode == 0) {
            rmtb_ids(&rng, ids, n_tok, hp->n_vocab);
            ta = rmtb_prefill(m, ids, n_tok, nth, prec, hidden);
            if (ta < 0) goto done;
        } else if (mode == 1 || mode == 2) {
            t0 = rmt_now();
            for (p = 0; p < pairs; p++) {
                rmtb_ids(&rng, ids, P + K * R, hp->n_vocab);
                e = rm_score_ids(sc, ids, P, resp, nr, K, out);
                if (e != RM_OK) { fprintf(stderr, "bench: score: %s (%s)\n", rm_scorer_error(sc), rm_result_name(e)); goto done; }
            }
            t1 = rmt_now();
            ta = RM__MAX(t1 - t0, 1e-9);
        } else {
            rmtb_ids(&rng, ids, P + K * R, hp->n_vocab);
            t0 = rmt_now();
            e = rm_score_ids(sc, ids, P, resp, nr, K, out);
            t1 = rmt_now();
            if (e != RM_OK) { fprintf(stderr, "bench: score: %s (%s)\n", rm_scorer_error(sc), rm_result_name(e)); goto done; }
            ta = RM__MAX(t1 - t0, 1e-9);
            tb = rmtb_prefill(m, ids, P + K * R, nth, prec, hidden);
            if (tb < 0) goto done;
        }
        if (r < 0) continue;
        a[r] = ta;
        b[r] = tb;
        if (!json) {
            if (mode == 0) printf("run %ld: %.2f tokens/s (%.3f s)\n", r + 1, (double)n_tok / ta, ta);
            else if (mode == 3) printf("run %ld: shared %.3f s, prefill %.3f s, ratio %.3f\n", r + 1, ta, tb, ta / tb);
            else printf("run %ld: %.3f pairs/s, %.2f tokens/s (%.3f s)\n", r + 1, (double)pairs / ta, (double)pairs * (double)(P + K * R) / ta, ta);
        }
    }
    rss = rmtb_peak_rss_mb();
    kv_mb = mode == 0 ? rmtb_kv_mb(hp, n_tok) : rmtb_kv_mb(hp, P + K * (R + 1)) * (mode == 2 ? 2 : 1);
    /* shared: the scorer's context stays alive while the prefill's runs: both caches count */
    if (mode == 3) kv_mb += rmtb_kv_mb(hp, P + K * R);
    if (json) {
        printf("{\"model\": ");
        rmtb_json_str(stdout, path);
        printf(", \"type\": \"%s\", \"arch\": \"%s\", \"mode\": \"%s\", \"threads\": %ld, \"precision\": \"%s\", \"isa\": \"%s\", \"runs\": %ld, ",
               rmtb_main_type(rm_model_gguf(m)), rm_arch_name(hp->arch) ? rm_arch_name(hp->arch) : "?", mode_s, nth, prec_s,
               rm_isa_name(isa), runs);
    }
    if (mode == 0) {
        for (i = 0; i < runs; i++) w[i] = (double)n_tok / a[i];
        if (json) {
            printf("\"n_tokens\": %ld, \"runs_tokens_per_s\": [", n_tok);
            for (i = 0; i < runs; i++) printf("%s%.3f", i ? ", " : "", w[i]);
            printf("], \"prefill_tokens_per_s\": %.3f", rmtb_median(w, runs));
        } else {
            printf("%s: prefill %ld tokens, %ld threads: %.2f tokens/s (median of %ld)\n", path, n_tok, nth, rmtb_median(w, runs), runs);
        }
    } else if (mode == 1 || mode == 2) {
        double med = rmtb_median(a, runs);
        double pps = (double)pairs / med, tps = (double)pairs * (double)(P + K * R) / med;
        if (json)
            printf("\"prompt_tokens\": %ld, \"response_tokens\": %ld, \"responses\": %ld, \"pairs\": %ld, \"pairs_per_s\": %.4f, "
                   "\"tokens_per_s\": %.3f",
                   P, R, K, pairs, pps, tps);
        else
            printf("%s: %s scoring, %ld prompts of %ld tokens x %ld responses of %ld, %ld threads: %.3f pairs/s, %.2f tokens/s (median of %ld)\n",
                   path, mode_s, pairs, P, K, R, nth, pps, tps, runs);
    } else {
        double ms = rmtb_median(a, runs), mp = rmtb_median(b, runs);
        if (json)
            printf("\"prompt_tokens\": %ld, \"response_tokens\": %ld, \"responses\": %ld, \"shared_s\": %.4f, \"prefill_s\": %.4f, "
                   "\"shared_ratio\": %.4f, \"shared_tokens_per_s\": %.3f",
                   P, R, K, ms, mp, ms / mp, (double)(P + K * R) / ms);
        else
            printf("%s: %ld-token prompt with %ld responses of %ld: %.3f s; prefill of %ld tokens: %.3f s; ratio %.3f (medians of %ld)\n",
                   path, P, K, R, ms, P + K * R, mp, ms / mp, runs);
    }
    if (json)
        printf(", \"peak_rss_mb\": %.1f, \"file_mb\": %.1f, \"kv_mb\": %.1f, \"rss_budget_mb\": %.1f}\n", rss, file_mb, kv_mb,
               file_mb + kv_mb + 64.0);
    else
        printf("peak RSS %.1f MB (file %.1f MB + KV %.1f MB + 64 MB = %.1f MB budget)\n", rss, file_mb, kv_mb, file_mb + kv_mb + 64.0);
    rc = 0;
done:
    rm_scorer_free(sc);
    rm_head_close(head);
    if (tmp_head[0]) remove(tmp_head);
    rm_model_close(ref);
    rm_model_close(m);
    free(ids);
    free((void *)resp);
    free(nr);
    free(out);
    free(a);
    free(b);
    free(w);
    free(hidden);
    return rc;
}
#endif /* RMTOOL_BENCH_H */
