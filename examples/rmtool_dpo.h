/* rmtool fit-dpo, paper and explain: included by examples/rmtool.c after rmtool_score.h.

   fit-dpo   DPO with the body frozen: caches the final hidden states of every response token,
             trains the output projection (rm_fit_dpo) and writes a complete policy GGUF.
   paper     Razin et al.'s comparison: an EX-RM head (rm_fit_head) and an IM-RM (rm_fit_dpo)
             fitted on the same pairs from the same model, evaluated on in-distribution,
             rewritten (paraphrase, French, Spanish) and other-domain (math, code) pairs;
             accuracy with seeded 95% bootstrap intervals as markdown, JSON and SVG (PNG too
             when rsvg-convert or ImageMagick is installed).
   explain   one scored row as HTML: every response token coloured by its share of the
             implicit reward, beside the explicit reward; chosen and rejected side by side. */
#ifndef RMTOOL_DPO_H
#define RMTOOL_DPO_H

static char *rmt_read_file_all(const char *path) {
    size_t n;
    return read_all(path, &n);
}

static int rmt_parse_double(const char *s, const char *name, double lo, double hi, double *out) {
    char *end;
    double v;
    if (!s) return 0;
    v = strtod(s, &end);
    if (*s == 0 || *end != 0 || !(v >= lo && v <= hi)) return die("%s must be a number from %g to %g, not '%s'", name, lo, hi, s);
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Cached hidden states of preference pairs                                                   */
/* ------------------------------------------------------------------------------------------ */

/* For DPO: state t is the final hidden state at the position that predicts response token
   y[t]; pair i's chosen tokens are off[2i]..off[2i+1]-1, its rejected ones up to off[2i+2].
   For the EX head: the last-token states hc/hr [n_pairs][E]. */
typedef struct rmt_cache {
    int64_t E;
    float *H;
    int32_t *y;
    int64_t n_tok, cap_tok;
    int64_t *off;
    float *hc, *hr;
    int64_t n_pairs, cap_pairs;
    long rows, too_long, failed, truncated;
} rmt_cache;

static void rmt_cache_free(rmt_cache *c) {
    free(c->H); free(c->y); free(c->off); free(c->hc); free(c->hr);
    memset(c, 0, sizeof(*c));
}

static size_t rmt_cache_bytes(const rmt_cache *c) {
    return (size_t)c->n_tok * ((size_t)c->E * sizeof(float) + sizeof(int32_t)) +
           (size_t)c->n_pairs * (2 * (size_t)c->E * sizeof(float) + 2 * sizeof(int64_t));
}

static int rmt_cache_grow(rmt_cache *c, int64_t add_tok) {
    if (c->n_pairs + 1 > c->cap_pairs) {
        int64_t nc = c->cap_pairs ? c->cap_pairs * 2 : 64;
        int64_t *o = (int64_t *)realloc(c->off, (size_t)(2 * nc + 1) * sizeof(int64_t));
        float *a, *b;
        if (!o) return 1;
        c->off = o;
        if (!(a = (float *)realloc(c->hc, (size_t)(nc * c->E) * sizeof(float)))) return 1;
        c->hc = a;
        if (!(b = (float *)realloc(c->hr, (size_t)(nc * c->E) * sizeof(float)))) return 1;
        c->hr = b;
        if (c->cap_pairs == 0) c->off[0] = 0;
        c->cap_pairs = nc;
    }
    if (c->n_tok + add_tok > c->cap_tok) {
        int64_t nc = RM__MAX(c->cap_tok * 2, c->n_tok + add_tok + 4096);
        float *h = (float *)realloc(c->H, (size_t)(nc * c->E) * sizeof(float));
        int32_t *y;
        if (!h) return 1;
        c->H = h;
        if (!(y = (int32_t *)realloc(c->y, (size_t)nc * sizeof(int32_t)))) return 1;
        c->y = y;
        c->cap_tok = nc;
    }
    return 0;
}

/* The ids of a pair as sc scores them, copied (the scorer's buffer lives until its next call).
   With max_len > 0 a pair longer than max_len tokens is cut as TRL's DPO trainer cuts it
   (truncation_mode keep_end, max_prompt_length max_len/2): the prompt keeps its last max_len/2
   tokens, then each response its first max_len - prompt tokens. */
typedef struct rmt_pair_ids {
    int32_t *buf;
    const int32_t *p, *r[2];
    int64_t np, nr[2];
    int truncated;
} rmt_pair_ids;

static rm_result rmt_pair_tokens(rm_scorer *sc, const rmt_row *row, long max_len, rmt_pair_ids *t) {
    const int32_t *ids;
    int64_t np, nr[2], total;
    rm_result r = rm_scorer_tokenize(sc, row->msgs, row->n_msgs, row->resp, 2, &ids, &np, nr);
    if (r) return r;
    total = np + nr[0] + nr[1];
    free(t->buf);
    if (!(t->buf = (int32_t *)malloc((size_t)total * sizeof(int32_t)))) return RM_ERR_NOMEM;
    memcpy(t->buf, ids, (size_t)total * sizeof(int32_t));
    t->p = t->buf, t->np = np;
    t->r[0] = t->buf + np, t->nr[0] = nr[0];
    t->r[1] = t->buf + np + nr[0], t->nr[1] = nr[1];
    t->truncated = 0;
    if (max_len > 1 && np + RM__MAX(nr[0], nr[1]) > max_len) {
        int k;
        t->truncated = 1;
        if (t->np > max_len / 2) {
            t->p += t->np - max_len / 2;
            t->np = max_len / 2;
        }
        for (k = 0; k < 2; k++)
            if (t->np + t->nr[k] > max_len) t->nr[k] = max_len - t->np;
    }
    return RM_OK;
}

/* One forward pass per response: the prompt once, then each response as [last prompt token,
   y_0 .. y_{m-1}]; the m states that predict y_0 .. y_{m-1} go to the DPO cache, the state of
   the last response token (what the EX head reads: rm_score's last_hidden) to hc/hr. */
static rm_result rmt_cache_states(rmt_cache *c, rm_ctx *ctx, const rmt_pair_ids *t) {
    const int64_t np = t->np, E = c->E;
    int64_t k, j, m = RM__MAX(t->nr[0], t->nr[1]) + 1;
    rm_eval e;
    rm_result r = RM_OK;
    int32_t *tok = (int32_t *)malloc((size_t)m * sizeof(int32_t));
    int64_t *idx = (int64_t *)malloc((size_t)m * sizeof(int64_t));
    float *last = (float *)malloc((size_t)E * sizeof(float) * 2);
    if (!tok || !idx || !last) {
        free(tok); free(idx); free(last);
        return RM_ERR_NOMEM;
    }
    rm_ctx_truncate(ctx, 0);
    if (np > 1) {
        memset(&e, 0, sizeof(e));
        e.tokens = t->p;
        e.n_tokens = np - 1;
        r = rm_ctx_eval(ctx, &e);
    }
    for (k = 0; k < 2 && !r; k++) {
        m = t->nr[k];
        tok[0] = t->p[np - 1];
        for (j = 0; j < m; j++) tok[j + 1] = t->r[k][j];
        for (j = 0; j <= m; j++) idx[j] = j;
        rm_ctx_truncate(ctx, np - 1);
        memset(&e, 0, sizeof(e));
        e.tokens = tok;
        e.n_tokens = m + 1;
        e.hidden_idx = idx;
        e.n_hidden = m + 1;
        e.hidden = c->H + c->n_tok * E; /* room for one state more than the cache keeps */
        if ((r = rm_ctx_eval(ctx, &e))) break;
        memcpy(last + k * E, c->H + (c->n_tok + m) * E, (size_t)E * sizeof(float));
        memcpy(c->y + c->n_tok, t->r[k], (size_t)m * sizeof(int32_t));
        c->n_tok += m;
        c->off[2 * c->n_pairs + k + 1] = c->n_tok;
    }
    if (!r) {
        memcpy(c->hc + c->n_pairs * E, last, (size_t)E * sizeof(float));
        memcpy(c->hr + c->n_pairs * E, last + E, (size_t)E * sizeof(float));
    }
    free(tok);
    free(idx);
    free(last);
    return r;
}

/* Reads preference rows of path (at most limit, 0 = all) into c: sc tokenizes (template and
   split as it scores), ctx computes the states. Rows longer than the context are counted in too_long, others
   that fail in failed (each reported on stderr). */
static int rmt_cache_file(rmt_cache *c, rm_scorer *sc, rm_ctx *ctx, int64_t n_ctx, const char *path, int raw, long limit, long max_len) {
    rmt_lines L;
    size_t len;
    rmt_pair_ids t;
    memset(&t, 0, sizeof(t));
    memset(&L, 0, sizeof(L));
    if (!(L.f = fopen(path, "rb"))) return die("cannot open '%s'", path);
    while (!rmt_interrupted && (!limit || c->rows < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        const char *e;
        rm_result r = RM_OK;
        if (len == 0) continue;
        c->rows++;
        if (!(doc = rmj_parse(L.buf, len, &je))) {
            fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", path, L.lineno, je.msg);
            c->failed++;
            continue;
        }
        e = rmt_read_row(rmj_root(doc), 1, raw, &row);
        if (!e && (r = rmt_pair_tokens(sc, &row, max_len, &t)) != RM_OK) e = rm_scorer_error(sc);
        if (!e && (t.np < 1 || t.nr[0] < 1 || t.nr[1] < 1)) r = RM_ERR_EMPTY, e = "an empty prompt or response";
        if (!e && t.np + RM__MAX(t.nr[0], t.nr[1]) > n_ctx) r = RM_ERR_CONTEXT, e = "too long";
        if (!e && rmt_cache_grow(c, t.nr[0] + t.nr[1] + 1)) e = "out of memory for the cached states";
        if (!e && (r = rmt_cache_states(c, ctx, &t)) != RM_OK) e = rm_ctx_error(ctx);
        if (r == RM_ERR_CONTEXT) {
            c->too_long++;
        } else if (e) {
            fprintf(stderr, "error: %s:%ld: %s\n", path, L.lineno, e);
            c->failed++;
        } else {
            c->n_pairs++;
            c->truncated += t.truncated;
        }
        rmj_free(doc);
    }
    fclose(L.f);
    free(L.buf);
    free(t.buf);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* fit-dpo                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct rmt_dpo_opts {
    double beta, lr, l2, holdout, max_mb;
    long epochs, rank, seed, batch, limit, max_len;
} rmt_dpo_opts;

static int rmt_dpo_opts_parse(const rmo_args *a, rmt_dpo_opts *o, double holdout_default) {
    o->beta = 0.1, o->lr = 1e-2, o->l2 = 0, o->holdout = holdout_default, o->max_mb = 4096;
    o->epochs = 4, o->rank = 0, o->seed = 1, o->batch = 16, o->limit = 0, o->max_len = 0;
    if (rmt_parse_double(rmo_get(a, "--beta"), "--beta", 1e-6, 1e5, &o->beta)) return 1;
    if (rmt_parse_double(rmo_get(a, "--lr"), "--lr", 1e-9, 100, &o->lr)) return 1;
    if (rmt_parse_double(rmo_get(a, "--l2"), "--l2", 0, 1e6, &o->l2)) return 1;
    if (rmt_parse_double(rmo_get(a, "--holdout"), "--holdout", 0, 0.9, &o->holdout)) return 1;
    if (rmt_parse_double(rmo_get(a, "--max-memory"), "--max-memory", 0.001, 1e9, &o->max_mb)) return 1;
    if (rmt_parse_int(rmo_get(a, "--epochs"), "--epochs", 1, 100000, &o->epochs)) return 1;
    if (rmt_parse_int(rmo_get(a, "--rank"), "--rank", 0, 4096, &o->rank)) return 1;
    if (rmt_parse_int(rmo_get(a, "--seed"), "--seed", 0, 1L << 30, &o->seed)) return 1;
    if (rmt_parse_int(rmo_get(a, "--batch"), "--batch", 1, 1L << 20, &o->batch)) return 1;
    if (rmt_parse_int(rmo_get(a, "--limit"), "--limit", 0, 1L << 30, &o->limit)) return 1;
    if (rmt_parse_int(rmo_get(a, "--max-length"), "--max-length", 0, 1L << 24, &o->max_len)) return 1;
    return 0;
}

/* The training state plus the two float copies of the unembedding must fit the budget; checked
   before anything is cached. */
static int rmt_dpo_budget(const rm_model *m, const rmt_dpo_opts *o) {
    const rm_hparams *hp = rm_model_hparams(m);
    double need = (double)rm_fit_dpo_bytes(hp->n_vocab, hp->n_embd, (int)o->rank) + 2.0 * (double)hp->n_vocab * (double)hp->n_embd * 4.0;
    if (need > o->max_mb * 1048576.0)
        return die("training the output projection (vocabulary %lld x embedding %lld, %s) needs %.1f MB, over the memory budget of %.1f MB "
                   "(--max-memory MB; --rank R trains a low-rank update)",
                   (long long)hp->n_vocab, (long long)hp->n_embd, o->rank ? "low rank" : "full rank", need / 1048576.0, o->max_mb);
    return 0;
}

typedef struct rmt_dpo_log {
    double t0;
    int tty;
} rmt_dpo_log;

static void rmt_dpo_progress(void *user, const rm_dpo_progress *p) {
    const rmt_dpo_log *l = (const rmt_dpo_log *)user;
    if (p->epoch_done)
        fprintf(stderr, "%sepoch %d/%d  loss %.6f  (%lld steps, %.1f s)\n", l->tty ? "\r" : "", p->epoch, p->epochs, p->loss,
                (long long)p->steps, rmt_now() - l->t0);
    else if (l->tty)
        fprintf(stderr, "\repoch %d/%d  step %lld/%lld  loss %.6f   ", p->epoch, p->epochs, (long long)p->step, (long long)p->steps, p->loss);
}

/* Trains on the cached pairs of c; writes the policy's unembedding to *W (caller frees). */
static int rmt_dpo_train(const rm_model *m, const rmt_cache *c, const rmt_dpo_opts *o, int n_threads, float **W, rm_dpo_result *res) {
    const rm_hparams *hp = rm_model_hparams(m);
    const int64_t V = hp->n_vocab, E = hp->n_embd;
    float *W0 = (float *)malloc((size_t)(V * E) * sizeof(float)), *out = (float *)malloc((size_t)(V * E) * sizeof(float));
    rm_dpo_desc d;
    rmt_dpo_log lg;
    char err[256];
    rm_result r;
    *W = NULL;
    if (!W0 || !out) {
        free(W0); free(out);
        return die("out of memory for the %lld x %lld output matrix", (long long)V, (long long)E);
    }
    if ((r = rm_model_unembedding(m, W0, err, sizeof(err)))) {
        free(W0); free(out);
        return die("%s", err);
    }
    memset(&d, 0, sizeof(d));
    d.hidden = c->H, d.targets = c->y, d.offsets = c->off, d.n_pairs = c->n_pairs, d.n_embd = E, d.n_vocab = V;
    d.output = W0, d.final_softcap = hp->final_softcap;
    d.beta = o->beta, d.lr = o->lr, d.l2 = o->l2, d.epochs = (int)o->epochs, d.batch = (int)o->batch, d.rank = (int)o->rank;
    d.holdout = o->holdout, d.seed = (uint64_t)o->seed, d.n_threads = n_threads;
    d.max_bytes = (size_t)(o->max_mb * 1048576.0);
    lg.t0 = rmt_now();
    lg.tty = 0;
#if !defined(_WIN32)
    lg.tty = isatty(2);
#endif
    d.progress = rmt_dpo_progress, d.user = &lg;
    fprintf(stderr, "training %s output projection on %lld pairs (%lld response tokens): %.1f MB of training state\n",
            o->rank ? "a low-rank update of the" : "the full", (long long)c->n_pairs, (long long)c->n_tok,
            (double)rm_fit_dpo_bytes(V, E, (int)o->rank) / 1048576.0);
    r = rm_fit_dpo(&d, out, res);
    free(W0);
    if (r) {
        free(out);
        return die("%s", res->error);
    }
    *W = out;
    return 0;
}

/* Counts of a cached file, for messages: "N rows: P pairs, L longer than the context of C, F failed". */
static void rmt_cache_counts(const rmt_cache *c, int64_t n_ctx, char *buf, size_t cap) {
    snprintf(buf, cap, "%ld rows: %lld usable pairs (%ld truncated), %ld skipped as longer than the context of %lld tokens, %ld failed",
             c->rows, (long long)c->n_pairs, c->truncated, c->too_long, (long long)n_ctx, c->failed);
}

static int64_t rmt_n_ctx(const rmo_args *a, const rm_model *m) {
    long ctx = 0;
    if (rmo_get(a, "--ctx")) ctx = atol(rmo_get(a, "--ctx"));
    return ctx > 0 ? ctx : rm_model_hparams(m)->n_ctx_train;
}

static int rmt_open_ctx(const rmo_args *a, const rm_model *m, rm_ctx **ctx) {
    rm_ctx_params cp;
    const char *prec = rmo_get(a, "--precision");
    memset(&cp, 0, sizeof(cp));
    cp.n_ctx = rmt_n_ctx(a, m);
    cp.n_threads = rmo_get(a, "--threads") ? atoi(rmo_get(a, "--threads")) : 0;
    cp.kv_f16 = rmo_has(a, "--kv-f16");
    cp.precision = prec && strcmp(prec, "f32") == 0 ? RM_PRECISION_F32 : RM_PRECISION_BF16;
    if (rm_ctx_new(m, &cp, ctx) != RM_OK) return die("%s", rm_ctx_error(*ctx));
    return 0;
}

#define RMT_DPO_OPTS                                                                                             \
    {"--epochs", "E", "passes over the training pairs (default 4)", 0},                                             \
    {"--lr", "X", "Adam step size (default 0.01)", 0},                                                              \
    {"--l2", "X", "weight decay on the update (default 0)", 0},                                                     \
    {"--rank", "R", "0: train the whole output matrix (default); R: a rank-R update", 0},                            \
    {"--seed", "S", "seed of the shuffles and the low-rank start (default 1)", 0},                                  \
    {"--holdout", "F", "fraction of pairs held out", 0},                                                            \
    {"--batch", "N", "pairs per Adam step (default 16)", 0},                                                        \
    {"--limit", "N", "read at most N rows of each file", 0},                                                        \
    {"--max-memory", "MB", "memory budget of the training state (default 4096)", 0},                                \
    {"--mode", "M", "(not taken: fit-dpo and paper fit from --model alone)", 0}

static const rmo_opt rmt_fit_dpo_opts[] = {RMT_MODEL_OPTS, RMT_DPO_OPTS,
                                           {"--input", "F", "preference pairs (JSONL)", RMO_REQUIRED},
                                           {"--output|-o", "FILE", "the policy GGUF to write", RMO_REQUIRED},
                                           {NULL, NULL, NULL, 0}};
static const rmo_opt rmt_paper_opts[] = {RMT_MODEL_OPTS, RMT_DPO_OPTS,
                                         {"--train", "F", "training pairs (default DATA/ultrafeedback-train.jsonl)", 0},
                                         {"--eval", "NAME=F", "an evaluation set (repeatable; default the six paper sets)", RMO_REPEAT},
                                         {"--out", "DIR", "where the results go (default build/paper)", 0},
                                         {"--data", "DIR", "the unpacked paper data (default build/paper-data)", 0},
                                         {"--bootstrap", "B", "bootstrap resamples (default 1000)", 0},
                                         {NULL, NULL, NULL, 0}};
static const rmo_opt rmt_explain_opts[] = {RMT_MODEL_OPTS,
                                           {"--mode", "M", "(set by explain: implicit, and explicit with --head)", 0},
                                           {"--html", "OUT", "the HTML page to write", RMO_REQUIRED},
                                           {"--prompt", "P", "the prompt", 0},
                                           {"--chosen", "C", "the (chosen) response", 0},
                                           {"--rejected", "R", "the rejected response", 0},
                                           {"--input", "F", "a preference file to take the row from", 0},
                                           {"--line", "N", "the row of --input (1-based, default 1)", 0},
                                           {NULL, NULL, NULL, 0}};
static const char rmt_fit_dpo_usage[] =
    "usage: rmtool fit-dpo --model M --input prefs.jsonl -o policy.gguf [--beta B] [--epochs E] [--lr X] [--l2 X]\n"
    "                      [--rank R] [--seed S] [--holdout F] [--batch N] [--limit N] [--max-length N] [--max-memory MB]\n"
    "                      [--template auto|none|NAME] [--split paper|rewardbench|none] [--ctx N] [--threads N]\n"
    "DPO with the body of M frozen: caches the final hidden states of every response token, trains the output\n"
    "projection (--rank 0, the default: the whole matrix; R > 0: a rank-R update) against M as the reference,\n"
    "and writes M with the new output.weight, which `rmtool score --mode implicit --ref M` scores.\n"
    "Defaults: --beta 0.1 --epochs 4 --lr 0.01 (Adam) --l2 0 --batch 16 (pairs per step) --holdout 0.2 --seed 1\n"
    "--max-memory 4096. With --max-length N a pair longer than N tokens is cut as TRL's DPO trainer cuts it (the\n"
    "prompt keeps its last N/2 tokens, each response its first N - prompt); rows still longer than the context\n"
    "(--ctx, default the model's) are skipped, and both are counted.\n";

static const char rmt_paper_usage[] =
    "usage: rmtool paper --model M [--train F] [--eval name=F ...] [--out DIR] [--data DIR] [--limit N]\n"
    "                    [--max-length N] [--beta B] [--epochs E] [--lr X] [--l2 X] [--rank R] [--seed S] [--bootstrap B]\n"
    "                    [--template auto|none|NAME] [--split paper|rewardbench|none] [--ctx N] [--threads N]\n"
    "Razin et al.'s experiment: fits an EX-RM head (as fit-head) and an IM-RM (as fit-dpo) on the same pairs from\n"
    "the same model, evaluates both on every --eval set, and writes DIR/paper.md, paper.json, paper.svg (and\n"
    "paper.png when rsvg-convert or ImageMagick is installed), with the head and the policy it trained.\n"
    "Defaults: --train DATA/ultrafeedback-train.jsonl and the sets ultrafeedback, paraphrase, french, spanish,\n"
    "math, code from DATA (--data, default build/paper-data: `make paper-data` unpacks tests/data/paper);\n"
    "--out build/paper; --limit 0 (all rows of each file); --epochs 4 --beta 0.1 --lr 0.01 --bootstrap 1000\n"
    "--seed 1. --max-length N cuts longer pairs as fit-dpo does (both reward models see the same tokens); rows\n"
    "longer than the context (--ctx, default the model's) are skipped; both are counted per set.\n";

static const char rmt_explain_usage[] =
    "usage: rmtool explain --model POLICY --ref M [--head H] [--beta B] --html OUT.html\n"
    "                      (--prompt P --chosen C [--rejected R] | --input prefs.jsonl [--line N])\n"
    "                      [--template auto|none|NAME] [--split paper|rewardbench|none] [--ctx N] [--threads N]\n"
    "Writes one scored row as HTML: every response token coloured by its contribution to the implicit reward\n"
    "beta * (log pi - log pi_ref) (green raises it, red lowers it), beside the explicit reward of the head H on the\n"
    "same hidden states (the policy's body is the reference's); with two responses, chosen and rejected side by side.\n"
    "--line N picks the Nth row (1-based, default 1) of a preference file.\n";

static const rmo_cmd rmt_fit_dpo_cmd = {"fit-dpo", "fit an IM-RM: DPO with the body frozen, on the output projection", NULL, 0,
                                        rmt_fit_dpo_opts, rmt_fit_dpo_usage};
static const rmo_cmd rmt_paper_cmd = {"paper", "EX-RM vs IM-RM trained alike, evaluated under token-level and domain shift", NULL, 0,
                                      rmt_paper_opts, rmt_paper_usage};
static const rmo_cmd rmt_explain_cmd = {"explain", "one scored row as HTML, tokens coloured by their implicit-reward share", NULL, 0,
                                        rmt_explain_opts, rmt_explain_usage};

static int rmt_fit_dpo_main(int argc, char **argv) {
    rmo_args args;
    const rmo_args *a = &args;
    int pr;
    int i, raw;
    const char *input, *outp;
    rmt_dpo_opts o;
    rmt_setup st;
    rmt_cache c;
    rm_ctx *ctx = NULL;
    rm_dpo_result res;
    float *W = NULL;
    char counts[256], err[256];
    double t0 = rmt_now();
    pr = rmo_parse(&rmt_fit_dpo_cmd, argc, argv, &args);
    if (pr >= 0) return pr;
    input = rmo_get(a, "--input");
    outp = rmo_get(a, "-o") ? rmo_get(a, "-o") : rmo_get(a, "--output");
    if (!input || !outp || !rmo_get(a, "--model")) {
        fputs(rmt_fit_dpo_usage, stderr);
        return 1;
    }
    if (rmo_get(a, "--ref") || rmo_get(a, "--head") || rmo_get(a, "--mode"))
        return die("fit-dpo takes no --ref, --head or --mode: the reference is --model itself");
    if (rmt_dpo_opts_parse(a, &o, 0.2)) return 1;
    if (rmt_setup_open(a, 1, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    /* refusals that need no data: a missing output projection, a budget too small */
    if (rm_model_unembedding(st.model, NULL, err, sizeof(err)) == RM_ERR_NO_LM_HEAD) {
        rmt_setup_free(&st);
        return die("%s: %s", rmo_get(a, "--model"), err);
    }
    if (rmt_dpo_budget(st.model, &o)) {
        rmt_setup_free(&st);
        return 1;
    }
    memset(&c, 0, sizeof(c));
    c.E = rm_model_hparams(st.model)->n_embd;
    raw = rm_scorer_template(st.ex) == RM_CHAT_NONE || (rmo_get(a, "--split") && strcmp(rmo_get(a, "--split"), "none") == 0);
    if (rmt_open_ctx(a, st.model, &ctx) || rmt_cache_file(&c, st.ex, ctx, rmt_n_ctx(a, st.model), input, raw, o.limit, o.max_len)) {
        rm_ctx_free(ctx);
        rmt_cache_free(&c);
        rmt_setup_free(&st);
        return 1;
    }
    rm_ctx_free(ctx);
    rmt_cache_counts(&c, rmt_n_ctx(a, st.model), counts, sizeof(counts));
    fprintf(stderr, "%s: %s; cached %lld hidden states (%.1f MB) in %.1f s\n", input, counts, (long long)c.n_tok,
            (double)rmt_cache_bytes(&c) / 1048576.0, rmt_now() - t0);
    if (c.n_pairs < 2) {
        rmt_cache_free(&c);
        rmt_setup_free(&st);
        return die("no usable pairs to train on in '%s' (%s)", input, counts);
    }
    if (rmt_dpo_train(st.model, &c, &o, rmo_get(a, "--threads") ? atoi(rmo_get(a, "--threads")) : 0, &W, &res)) {
        rmt_cache_free(&c);
        rmt_setup_free(&st);
        return 1;
    }
    if (rm_dpo_save(outp, st.model, W, err, sizeof(err))) {
        free(W);
        rmt_cache_free(&c);
        rmt_setup_free(&st);
        return die("%s", err);
    }
    printf("pairs: %lld (train %lld, held out %lld); %s\n", (long long)c.n_pairs, (long long)res.n_train, (long long)res.n_holdout, counts);
    printf("loss: %.6f -> %.6f\ntrain accuracy: %.4f\nheld-out accuracy: %.4f  loss %.6f\n", res.initial_loss, res.train_loss,
           res.train_accuracy, res.holdout_accuracy, res.holdout_loss);
    printf("wrote %s (output.weight %lld x %lld; reference %s, beta %g); %.1f s\n", outp, (long long)rm_model_hparams(st.model)->n_vocab,
           (long long)c.E, rmo_get(a, "--model"), o.beta, rmt_now() - t0);
    free(W);
    i = c.failed > 0;
    if (i) fprintf(stderr, "error: %ld line(s) failed\n", c.failed);
    rmt_cache_free(&c);
    rmt_setup_free(&st);
    return i;
}

/* ------------------------------------------------------------------------------------------ */
/* paper                                                                                      */
/* ------------------------------------------------------------------------------------------ */

#define RMT_MAX_SETS 16

typedef struct rmt_set {
    char name[64];
    const char *path;
    long rows, pairs, too_long, failed, truncated;
    double *ex, *im;     /* per pair: 1 right, 0.5 tie, 0 wrong */
    double acc[2], lo[2], hi[2];
} rmt_set;

static uint64_t rmt_xs(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static int rmt_cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile bootstrap of the mean: B resamples of the pairs (the same resamples for EX and IM),
   2.5th and 97.5th percentiles. */
static void rmt_bootstrap(rmt_set *s, long B, uint64_t seed) {
    double *m[2];
    long b, i;
    int k;
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + 1;
    for (k = 0; k < 2; k++) {
        const double *v = k ? s->im : s->ex;
        s->acc[k] = 0;
        for (i = 0; i < s->pairs; i++) s->acc[k] += v[i];
        s->acc[k] = s->pairs ? s->acc[k] / (double)s->pairs : 0;
        s->lo[k] = s->hi[k] = s->acc[k];
    }
    if (s->pairs < 2 || B < 10) return;
    m[0] = (double *)calloc((size_t)B, sizeof(double));
    m[1] = (double *)calloc((size_t)B, sizeof(double));
    if (!m[0] || !m[1]) {
        free(m[0]); free(m[1]);
        return;
    }
    for (b = 0; b < B; b++) {
        for (i = 0; i < s->pairs; i++) {
            long j = (long)(rmt_xs(&st) % (uint64_t)s->pairs);
            m[0][b] += s->ex[j];
            m[1][b] += s->im[j];
        }
        m[0][b] /= (double)s->pairs;
        m[1][b] /= (double)s->pairs;
    }
    for (k = 0; k < 2; k++) {
        qsort(m[k], (size_t)B, sizeof(double), rmt_cmp_dbl);
        s->lo[k] = m[k][(long)(0.025 * (double)(B - 1) + 0.5)];
        s->hi[k] = m[k][(long)(0.975 * (double)(B - 1) + 0.5)];
    }
    free(m[0]);
    free(m[1]);
}

static double rmt_right(double c, double r) { return c > r ? 1.0 : (c == r ? 0.5 : 0.0); }

/* Scores every row of s->path with both reward models. */
static int rmt_paper_eval(rmt_set *s, rm_scorer *ex, rm_scorer *im, int raw, long limit, long max_len) {
    rmt_lines L;
    size_t len;
    long cap = 0;
    rmt_pair_ids t;
    memset(&t, 0, sizeof(t));
    memset(&L, 0, sizeof(L));
    if (!(L.f = fopen(s->path, "rb"))) return die("cannot open '%s'", s->path);
    while (!rmt_interrupted && (!limit || s->rows < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        rm_score a[2], b[2];
        const char *e;
        rm_result r = RM_OK;
        if (len == 0) continue;
        s->rows++;
        if (!(doc = rmj_parse(L.buf, len, &je))) {
            fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", s->path, L.lineno, je.msg);
            s->failed++;
            continue;
        }
        e = rmt_read_row(rmj_root(doc), 1, raw, &row);
        if (!e && (r = rmt_pair_tokens(ex, &row, max_len, &t)) != RM_OK) e = rm_scorer_error(ex);
        if (!e && (r = rm_score_ids(ex, t.p, t.np, t.r, t.nr, 2, a)) != RM_OK) e = rm_scorer_error(ex);
        if (!e && (r = rm_score_ids(im, t.p, t.np, t.r, t.nr, 2, b)) != RM_OK) e = rm_scorer_error(im);
        if (r == RM_ERR_CONTEXT) {
            s->too_long++;
        } else if (e) {
            fprintf(stderr, "error: %s:%ld: %s\n", s->path, L.lineno, e);
            s->failed++;
        } else {
            if (s->pairs == cap) {
                long nc = cap ? cap * 2 : 256;
                double *x = (double *)realloc(s->ex, (size_t)nc * sizeof(double)), *y;
                if (!x) break;
                s->ex = x;
                if (!(y = (double *)realloc(s->im, (size_t)nc * sizeof(double)))) break;
                s->im = y;
                cap = nc;
            }
            s->ex[s->pairs] = rmt_right(a[0].reward, a[1].reward);
            s->im[s->pairs] = rmt_right(b[0].reward, b[1].reward);
            s->pairs++;
            s->truncated += t.truncated;
        }
        rmj_free(doc);
    }
    fclose(L.f);
    free(L.buf);
    free(t.buf);
    return 0;
}

static void rmt_xml_text(FILE *f, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '<') fputs("&lt;", f);
        else if (ch == '>') fputs("&gt;", f);
        else if (ch == '&') fputs("&amp;", f);
        else if (ch == '"') fputs("&quot;", f);
        else if (ch < 0x20 && ch != '\n' && ch != '\t') fprintf(f, "&#x%x;", 0x2400 + ch); /* control pictures */
        else fputc(ch, f);
    }
}

/* Grouped bars with the 95% intervals as whiskers; no dependencies. */
static int rmt_paper_svg(const char *path, const rmt_set *s, int ns, const char *title) {
    const double W = 760, H = 400, x0 = 60, y0 = 40, pw = 680, ph = 270;
    const char *col[2] = {"#1f77b4", "#ff7f0e"}, *lab[2] = {"EX-RM (linear head)", "IM-RM (DPO on the output projection)"};
    FILE *f = fopen(path, "wb");
    int i, k;
    if (!f) return die("cannot write '%s'", path);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n", W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">", W / 2);
    rmt_xml_text(f, title, strlen(title));
    fprintf(f, "</text>\n");
    for (i = 0; i <= 4; i++) {
        double y = y0 + ph - ph * i / 4.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, y, x0 + pw, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>\n", x0 - 6, y + 4, i / 4.0);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"5,4\"/>\n", x0, y0 + ph / 2, x0 + pw,
            y0 + ph / 2);
    fprintf(f, "<text x=\"16\" y=\"%.1f\" font-size=\"12\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\">accuracy</text>\n",
            y0 + ph / 2, y0 + ph / 2);
    for (i = 0; i < ns; i++) {
        const double gw = pw / ns, bw = gw * 0.32, cx = x0 + gw * (i + 0.5);
        for (k = 0; k < 2; k++) {
            const double bx = cx + (k ? 0.02 * gw : -0.02 * gw - bw), by = y0 + ph * (1 - s[i].acc[k]);
            const double ylo = y0 + ph * (1 - s[i].lo[k]), yhi = y0 + ph * (1 - s[i].hi[k]), mx = bx + bw / 2;
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", bx, by, bw, y0 + ph - by, col[k]);
            fprintf(f, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f\" stroke=\"#222\" stroke-width=\"1.5\"/>\n", mx, ylo, yhi, mx - 5,
                    ylo, mx + 5, mx - 5, yhi, mx + 5);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">", cx, y0 + ph + 18);
        rmt_xml_text(f, s[i].name, strlen(s[i].name));
        fprintf(f, "</text>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#666\" text-anchor=\"middle\">n=%ld</text>\n", cx, y0 + ph + 32,
                s[i].pairs);
    }
    for (k = 0; k < 2; k++) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x0 + 10 + k * 230.0, H - 40, col[k]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">%s</text>\n", x0 + 28 + k * 230.0, H - 30, lab[k]);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#666\">whiskers: 95%% bootstrap interval of the accuracy; dashed line: chance</text>\n",
            x0 + 10, H - 10);
    fprintf(f, "</svg>\n");
    return fclose(f) ? die("cannot write '%s'", path) : 0;
}

static int rmt_is_png(const char *path) {
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(b, 1, 8, f) : 0;
    if (f) fclose(f);
    return n == 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* A PNG beside the SVG when a converter is installed: rsvg-convert, else ImageMagick. */
static const char *rmt_svg_to_png(const char *svg, const char *png) {
    char cmd[4096];
    remove(png);
    snprintf(cmd, sizeof(cmd), "rsvg-convert -o '%s' '%s' >/dev/null 2>&1", png, svg);
    if (system(cmd) == 0 && rmt_is_png(png)) return "rsvg-convert";
    snprintf(cmd, sizeof(cmd), "convert '%s' '%s' >/dev/null 2>&1", svg, png);
    if (system(cmd) == 0 && rmt_is_png(png)) return "convert";
    remove(png);
    return NULL;
}


static int rmt_paper_main(int argc, char **argv) {
    rmo_args args;
    const rmo_args *a = &args;
    int pr;
    static const char *const def_names[] = {"ultrafeedback", "paraphrase", "french", "spanish", "math", "code"};
    static const char *const def_files[] = {"ultrafeedback-test.jsonl", "uf-paraphrase-test.jsonl", "uf-french-test.jsonl",
                                            "uf-spanish-test.jsonl", "rewardbench-math-test.jsonl", "rewardbench-code-test.jsonl"};
    int i, ns = 0, raw, rc = 1;
    const char *model, *out, *data, *train;
    char pathbuf[RMT_MAX_SETS + 1][1024], head_path[1024], pol_path[1024], p[1024], counts[256], err[256], title[512];
    rmt_set sets[RMT_MAX_SETS];
    rmt_dpo_opts o;
    long B = 1000;
    rmt_setup st;
    rmt_cache c;
    rm_ctx *ctx = NULL;
    rm_fit_result fr;
    rm_dpo_result dr;
    rm_head *head = NULL;
    rm_model *pol = NULL;
    rm_scorer *ex = NULL, *im = NULL;
    float *w = NULL, *W = NULL;
    double t0 = rmt_now(), t_fit = 0;
    FILE *f;
    const char *conv;
    memset(&c, 0, sizeof(c));
    memset(&st, 0, sizeof(st));
    memset(sets, 0, sizeof(sets));
    pr = rmo_parse(&rmt_paper_cmd, argc, argv, &args);
    if (pr >= 0) return pr;
    model = rmo_get(a, "--model");
    if (!model) {
        fputs(rmt_paper_usage, stderr);
        return 1;
    }
    if (rmo_get(a, "--ref") || rmo_get(a, "--head") || rmo_get(a, "--mode"))
        return die("paper takes no --ref, --head or --mode: both reward models are fitted from --model");
    out = rmo_get(a, "--out") ? rmo_get(a, "--out") : "build/paper";
    data = rmo_get(a, "--data") ? rmo_get(a, "--data") : "build/paper-data";
    if (rmt_dpo_opts_parse(a, &o, 0.0)) return 1;
    if (rmt_parse_int(rmo_get(a, "--bootstrap"), "--bootstrap", 0, 1000000, &B)) return 1;
    snprintf(pathbuf[RMT_MAX_SETS], sizeof(pathbuf[0]), "%s/ultrafeedback-train.jsonl", data);
    train = rmo_get(a, "--train") ? rmo_get(a, "--train") : pathbuf[RMT_MAX_SETS];
    memset(sets, 0, sizeof(sets));
    for (i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "--eval") == 0 && i + 1 < argc) || strncmp(argv[i], "--eval=", 7) == 0) {
            const char *v = argv[i][6] == '=' ? argv[i] + 7 : argv[++i], *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1]) return die("--eval takes name=FILE, not '%s'", v);
            if (ns == RMT_MAX_SETS) return die("at most %d --eval sets", RMT_MAX_SETS);
            snprintf(sets[ns].name, sizeof(sets[ns].name), "%.*s", (int)(eq - v < 63 ? eq - v : 63), v);
            sets[ns++].path = eq + 1;
        }
    }
    if (ns == 0)
        for (ns = 0; ns < 6; ns++) {
            snprintf(sets[ns].name, sizeof(sets[ns].name), "%s", def_names[ns]);
            snprintf(pathbuf[ns], sizeof(pathbuf[0]), "%s/%s", data, def_files[ns]);
            sets[ns].path = pathbuf[ns];
        }
    {
        FILE *t = fopen(train, "rb");
        if (!t) return die("cannot open the training pairs '%s'%s", train, rmo_get(a, "--train") ? "" : " (run `make paper-data`, or give --train and --eval)");
        fclose(t);
        for (i = 0; i < ns; i++) {
            if (!(t = fopen(sets[i].path, "rb"))) return die("cannot open the %s set '%s'", sets[i].name, sets[i].path);
            fclose(t);
        }
    }
    {
        char cmd[1200];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", out);
        if (system(cmd) != 0) return die("cannot create '%s'", out);
    }
    if (rmt_setup_open(a, 1, 0, &st)) goto done;
    if (rm_model_unembedding(st.model, NULL, err, sizeof(err)) == RM_ERR_NO_LM_HEAD) {
        die("%s: %s", model, err);
        goto done;
    }
    if (rmt_dpo_budget(st.model, &o)) goto done;
    /* 1. the training pairs, cached once for both fits */
    memset(&c, 0, sizeof(c));
    c.E = rm_model_hparams(st.model)->n_embd;
    raw = rm_scorer_template(st.ex) == RM_CHAT_NONE || (rmo_get(a, "--split") && strcmp(rmo_get(a, "--split"), "none") == 0);
    if (rmt_open_ctx(a, st.model, &ctx) || rmt_cache_file(&c, st.ex, ctx, rmt_n_ctx(a, st.model), train, raw, o.limit, o.max_len)) goto done;
    rmt_cache_counts(&c, rmt_n_ctx(a, st.model), counts, sizeof(counts));
    fprintf(stderr, "train %s: %s; cached %lld hidden states (%.1f MB)\n", train, counts, (long long)c.n_tok,
            (double)rmt_cache_bytes(&c) / 1048576.0);
    if (c.n_pairs < 4) {
        die("only %lld usable training pairs in '%s' (%s); the comparison needs at least 4", (long long)c.n_pairs, train, counts);
        goto done;
    }
    /* 2. EX: the Bradley-Terry head on the last-token states */
    {
        rm_fit_params fp;
        memset(&fp, 0, sizeof(fp));
        fp.l2 = 1e-3, fp.iters = 300, fp.seed = (uint64_t)o.seed, fp.holdout = o.holdout;
        if (!(w = (float *)calloc((size_t)c.E, sizeof(float))) || rm_fit_head(c.hc, c.hr, c.n_pairs, c.E, &fp, w, &fr)) {
            die("fitting the EX head failed");
            goto done;
        }
        snprintf(head_path, sizeof(head_path), "%s/ex-head.gguf", out);
        if (rm_head_save(head_path, w, c.E, fr.reward_mean, fr.reward_std, rm_model_gguf(st.model))) {
            die("cannot write '%s'", head_path);
            goto done;
        }
        fprintf(stderr, "EX head: train accuracy %.4f, loss %.4f -> %s\n", fr.train_accuracy, fr.train_loss, head_path);
    }
    /* 3. IM: DPO on the output projection, the model itself as the reference */
    t_fit = rmt_now();
    if (rmt_dpo_train(st.model, &c, &o, rmo_get(a, "--threads") ? atoi(rmo_get(a, "--threads")) : 0, &W, &dr)) goto done;
    t_fit = rmt_now() - t_fit;
    snprintf(pol_path, sizeof(pol_path), "%s/im-policy.gguf", out);
    if (rm_dpo_save(pol_path, st.model, W, err, sizeof(err))) {
        die("%s", err);
        goto done;
    }
    fprintf(stderr, "IM policy: train accuracy %.4f, loss %.4f -> %.4f (%.1f s) -> %s\n", dr.train_accuracy, dr.initial_loss, dr.train_loss,
            t_fit, pol_path);
    free(W);
    W = NULL;
    rmt_cache_free(&c);
    /* 4. both reward models on every set, through the scorers (the files just written) */
    {
        rm_scorer_desc d;
        const char *prec = rmo_get(a, "--precision");
        memset(&d, 0, sizeof(d));
        if (rm_head_open(head_path, &head)) {
            die("%s: %s", head_path, rm_head_error(head));
            goto done;
        }
        if (rm_model_open(pol_path, &pol)) {
            die("%s: %s", pol_path, rm_model_error(pol));
            goto done;
        }
        d.chat_template = rm_scorer_template(st.ex);
        d.split = RM_SPLIT_PAPER;
        if (rmo_get(a, "--split") && strcmp(rmo_get(a, "--split"), "rewardbench") == 0) d.split = RM_SPLIT_REWARDBENCH;
        if (rmo_get(a, "--split") && strcmp(rmo_get(a, "--split"), "none") == 0) d.split = RM_SPLIT_NONE;
        d.n_ctx = rmt_n_ctx(a, st.model);
        d.n_threads = rmo_get(a, "--threads") ? atoi(rmo_get(a, "--threads")) : 0;
        d.precision = prec && strcmp(prec, "f32") == 0 ? RM_PRECISION_F32 : RM_PRECISION_BF16;
        d.model = st.model, d.head = head, d.mode = RM_MODE_EXPLICIT;
        if (rm_scorer_new(&d, &ex)) {
            die("%s", rm_scorer_error(ex));
            goto done;
        }
        d.model = pol, d.ref = st.model, d.head = NULL, d.mode = RM_MODE_IMPLICIT, d.beta = o.beta;
        if (rm_scorer_new(&d, &im)) {
            die("%s", rm_scorer_error(im));
            goto done;
        }
    }
    for (i = 0; i < ns; i++) {
        double ts = rmt_now();
        if (rmt_paper_eval(&sets[i], ex, im, raw, o.limit, o.max_len)) goto done;
        rmt_bootstrap(&sets[i], B, (uint64_t)o.seed + (uint64_t)i);
        fprintf(stderr, "%-14s %ld rows: %ld pairs (%ld truncated), %ld too long, %ld failed; EX %.3f IM %.3f (%.1f s)\n", sets[i].name,
                sets[i].rows, sets[i].pairs, sets[i].truncated, sets[i].too_long, sets[i].failed, sets[i].acc[0], sets[i].acc[1], rmt_now() - ts);
    }
    /* 5. the comparison: markdown, JSON, SVG (PNG) */
    snprintf(title, sizeof(title), "EX-RM vs IM-RM trained on the same %lld pairs: %s", (long long)dr.n_train + (long long)dr.n_holdout, model);
    snprintf(p, sizeof(p), "%s/paper.md", out);
    if (!(f = fopen(p, "wb"))) {
        die("cannot write '%s'", p);
        goto done;
    }
    fprintf(f, "Model `%s`; trained on `%s` (%s). EX: linear head on the last hidden state; IM: DPO (beta %g, %ld epochs, lr %g, %s) "
               "on the output projection, the model as reference. Accuracy (ties count half) with a 95%% bootstrap interval (%ld resamples, seed %ld).\n\n",
            model, train, counts, o.beta, o.epochs, o.lr, o.rank ? "low rank" : "full rank", B, o.seed);
    fprintf(f, "| set | pairs | truncated | skipped | EX-RM accuracy [95%% CI] | IM-RM accuracy [95%% CI] |\n|---|---|---|---|---|---|\n");
    for (i = 0; i < ns; i++)
        fprintf(f, "| %s | %ld | %ld | %ld | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] |\n", sets[i].name, sets[i].pairs, sets[i].truncated,
                sets[i].too_long + sets[i].failed, sets[i].acc[0], sets[i].lo[0], sets[i].hi[0], sets[i].acc[1], sets[i].lo[1], sets[i].hi[1]);
    fclose(f);
    {
        char *md = rmt_read_file_all(p);
        if (md) fputs(md, stdout);
        free(md);
    }
    snprintf(p, sizeof(p), "%s/paper.json", out);
    if (!(f = fopen(p, "wb"))) {
        die("cannot write '%s'", p);
        goto done;
    }
    fprintf(f, "{\"model\":");
    rmj_write_string(f, model, strlen(model));
    fprintf(f, ",\"train\":{\"file\":");
    rmj_write_string(f, train, strlen(train));
    fprintf(f, ",\"pairs\":%lld,\"ex_train_accuracy\":%.6f,\"im_train_accuracy\":%.6f,\"im_initial_loss\":%.6f,\"im_loss\":%.6f,\"im_seconds\":%.3f}",
            (long long)dr.n_train, fr.train_accuracy, dr.train_accuracy, dr.initial_loss, dr.train_loss, t_fit);
    fprintf(f, ",\"dpo\":{\"beta\":%g,\"epochs\":%ld,\"lr\":%g,\"l2\":%g,\"rank\":%ld,\"batch\":%ld},\"max_length\":%ld,\"bootstrap\":%ld,\"seed\":%ld,\"sets\":[",
            o.beta, o.epochs, o.lr, o.l2, o.rank, o.batch, o.max_len, B, o.seed);
    for (i = 0; i < ns; i++) {
        int k;
        fprintf(f, "%s{\"name\":", i ? "," : "");
        rmj_write_string(f, sets[i].name, strlen(sets[i].name));
        fprintf(f, ",\"file\":");
        rmj_write_string(f, sets[i].path, strlen(sets[i].path));
        fprintf(f, ",\"rows\":%ld,\"pairs\":%ld,\"truncated\":%ld,\"too_long\":%ld,\"failed\":%ld", sets[i].rows, sets[i].pairs, sets[i].truncated,
                sets[i].too_long, sets[i].failed);
        for (k = 0; k < 2; k++)
            fprintf(f, ",\"%s\":{\"accuracy\":%.6f,\"ci95\":[%.6f,%.6f]}", k ? "im" : "ex", sets[i].acc[k], sets[i].lo[k], sets[i].hi[k]);
        fprintf(f, "}");
    }
    fprintf(f, "]}\n");
    fclose(f);
    snprintf(p, sizeof(p), "%s/paper.svg", out);
    if (rmt_paper_svg(p, sets, ns, title)) goto done;
    {
        char png[1024];
        snprintf(png, sizeof(png), "%s/paper.png", out);
        conv = rmt_svg_to_png(p, png);
        fprintf(stderr, "wrote %s/paper.md, paper.json, paper.svg%s%s%s in %.1f s\n", out, conv ? ", paper.png (" : " (no PNG: install librsvg2-bin)",
                conv ? conv : "", conv ? ")" : "", rmt_now() - t0);
    }
    rc = 0;
    for (i = 0; i < ns; i++) rc |= sets[i].failed > 0;
done:
    for (i = 0; i < ns; i++) {
        free(sets[i].ex);
        free(sets[i].im);
    }
    rm_scorer_free(ex);
    rm_scorer_free(im);
    rm_model_close(pol);
    rm_head_close(head);
    rm_ctx_free(ctx);
    free(w);
    free(W);
    rmt_cache_free(&c);
    rmt_setup_free(&st);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* explain                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* Background of a token: white to green (raises the implicit reward) or red (lowers it), by
   |contribution| / the largest |contribution| on the page. */
static void rmt_token_colour(double c, double scale, int *r, int *g, int *b) {
    double t = scale > 0 ? fabs(c) / scale : 0;
    if (t > 1) t = 1;
    t = sqrt(t); /* small shares stay visible */
    if (c >= 0) *r = (int)(255 - 255 * t), *g = (int)(255 - 75 * t), *b = (int)(255 - 255 * t);
    else *r = (int)(255 - 35 * t), *g = (int)(255 - 255 * t), *b = (int)(255 - 255 * t);
}

/* One response: its tokens as spans, the text of each the bytes it adds to the detokenized
   prefix (bytes of an unfinished UTF-8 character wait for the token that completes it). */
static void rmt_html_tokens(FILE *f, const rm_vocab *v, const rm_score *s, double scale) {
    int64_t i;
    size_t prev = 0, cap = 256, nb = 0;
    char *buf = (char *)malloc(cap);
    if (!buf) return;
    for (i = 0; i < s->n_response; i++) {
        int r, g, b;
        size_t start, k;
        while (rm_detokenize(v, s->response_ids, (size_t)i + 1, buf, cap, &nb) == RM_ERR_LIMIT) {
            char *p = (char *)realloc(buf, cap = nb + 64);
            if (!p) {
                free(buf);
                return;
            }
            buf = p;
        }
        start = prev < nb ? prev : nb;
        /* hold back a trailing incomplete UTF-8 sequence */
        k = nb;
        {
            size_t j = nb, back = 0;
            while (j > start && back < 4 && ((unsigned char)buf[j - 1] & 0xC0) == 0x80) j--, back++;
            if (j > start) {
                unsigned char lead = (unsigned char)buf[j - 1];
                size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
                if (want > 1 && back + 1 < want) k = j - 1;
            }
        }
        rmt_token_colour(s->contributions[i], scale, &r, &g, &b);
        fprintf(f, "<span class=\"t\" style=\"background:rgb(%d,%d,%d)\" title=\"token %d: %+.4f\">", r, g, b, s->response_ids[i],
                s->contributions[i]);
        rmt_xml_text(f, buf + start, k - start);
        fprintf(f, "</span>");
        prev = k;
    }
    free(buf);
}


static int rmt_explain_main(int argc, char **argv) {
    rmo_args args;
    rmo_args *a = &args;
    int pr;
    int i, k, nresp, rc = 1;
    const char *html;
    rmt_setup st;
    rmt_row row;
    rmj_doc *doc = NULL;
    char *line = NULL;
    rm_score ex[2], im[2];
    double exr[2] = {0, 0}, imr[2] = {0, 0}, scale = 0, beta = 1;
    int64_t nr[2];
    int32_t *ids[2] = {NULL, NULL};
    double *contrib[2] = {NULL, NULL};
    FILE *f = NULL;
    long want = 1;
    pr = rmo_parse(&rmt_explain_cmd, argc, argv, &args);
    if (pr >= 0) return pr;
    memset(&st, 0, sizeof(st));
    html = rmo_get(a, "--html");
    if (!html || !rmo_get(a, "--model") || !rmo_get(a, "--ref") ||
        !rmo_get(a, "--input") == !(rmo_get(a, "--prompt") && rmo_get(a, "--chosen"))) {
        fputs(rmt_explain_usage, stderr);
        return 1;
    }
    if (rmo_get(a, "--mode")) return die("explain takes no --mode: it shows the implicit reward, and the explicit one with --head");
    if (rmt_parse_int(rmo_get(a, "--line"), "--line", 1, 1L << 30, &want)) return 1;
    if (rmo_get(a, "--beta")) beta = atof(rmo_get(a, "--beta"));
    /* both scorers when a head is given: the head reads the policy's hidden states, which are the
       reference's (fit-dpo changes only the output projection) */
    args.val[rmo_find(&rmt_explain_cmd, "--mode", 6)] = rmo_get(a, "--head") ? "both" : "implicit";
    if (rmt_setup_open(a, 0, 1, &st)) goto done;
    memset(&row, 0, sizeof(row));
    if (rmo_get(a, "--input")) {
        rmt_lines L;
        size_t len;
        rmj_error je;
        const char *e;
        long got = 0;
        int raw = rm_scorer_template(st.im) == RM_CHAT_NONE || (rmo_get(a, "--split") && strcmp(rmo_get(a, "--split"), "none") == 0);
        memset(&L, 0, sizeof(L));
        if (!(L.f = fopen(rmo_get(a, "--input"), "rb"))) {
            die("cannot open '%s'", rmo_get(a, "--input"));
            goto done;
        }
        while (rmt_next_line(&L, &len))
            if (len && ++got == want) break;
        fclose(L.f);
        if (got != want) {
            free(L.buf);
            die("'%s' has only %ld rows", rmo_get(a, "--input"), got);
            goto done;
        }
        line = L.buf;
        if (!(doc = rmj_parse(line, len, &je))) {
            die("%s: row %ld: invalid JSON: %s", rmo_get(a, "--input"), want, je.msg);
            goto done;
        }
        if ((e = rmt_read_row(rmj_root(doc), 1, raw, &row))) {
            die("%s: row %ld: %s", rmo_get(a, "--input"), want, e);
            goto done;
        }
    } else {
        const char *pp = rmo_get(a, "--prompt");
        rmt_user(&row, pp, strlen(pp));
        row.resp[0].ptr = rmo_get(a, "--chosen");
        row.resp[0].len = strlen(row.resp[0].ptr);
        row.n_resp = 1;
        if (rmo_get(a, "--rejected")) {
            row.resp[1].ptr = rmo_get(a, "--rejected");
            row.resp[1].len = strlen(row.resp[1].ptr);
            row.n_resp = 2;
        }
    }
    nresp = (int)row.n_resp;
    if (rm_score_chat(st.im, row.msgs, row.n_msgs, row.resp, nresp, im)) {
        die("%s", rm_scorer_error(st.im));
        goto done;
    }
    /* copy: the scorer's arrays live until its next call */
    for (k = 0; k < nresp; k++) {
        int64_t j;
        nr[k] = im[k].n_response;
        imr[k] = im[k].reward;
        ids[k] = (int32_t *)malloc((size_t)nr[k] * sizeof(int32_t));
        contrib[k] = (double *)malloc((size_t)nr[k] * sizeof(double));
        if (!ids[k] || !contrib[k]) {
            die("out of memory");
            goto done;
        }
        memcpy(ids[k], im[k].response_ids, (size_t)nr[k] * sizeof(int32_t));
        memcpy(contrib[k], im[k].contributions, (size_t)nr[k] * sizeof(double));
        for (j = 0; j < nr[k]; j++) scale = fabs(contrib[k][j]) > scale ? fabs(contrib[k][j]) : scale;
    }
    if (st.ex) {
        if (rm_score_chat(st.ex, row.msgs, row.n_msgs, row.resp, nresp, ex)) {
            die("%s", rm_scorer_error(st.ex));
            goto done;
        }
        for (k = 0; k < nresp; k++) exr[k] = ex[k].reward;
    }
    if (!(f = fopen(html, "wb"))) {
        die("cannot write '%s'", html);
        goto done;
    }
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rm.h explain</title>\n<style>\n"
               "body{font-family:sans-serif;margin:18px;color:#111;background:#fff}\n"
               ".cols{display:flex;gap:18px;align-items:flex-start}.col{flex:1;border:1px solid #bbb;border-radius:6px;padding:10px}\n"
               ".prompt{white-space:pre-wrap;background:#f4f4f4;padding:8px;border-radius:4px}\n"
               ".toks{white-space:pre-wrap;font-family:monospace;font-size:15px;line-height:1.8}\n"
               ".t{border-radius:2px}.r{font-size:14px;margin:4px 0 10px 0}\n</style></head><body>\n");
    fprintf(f, "<h2>Token contributions to the implicit reward</h2>\n<p>Policy <code>");
    rmt_xml_text(f, rmo_get(a, "--model"), strlen(rmo_get(a, "--model")));
    fprintf(f, "</code>, reference <code>");
    rmt_xml_text(f, rmo_get(a, "--ref"), strlen(rmo_get(a, "--ref")));
    fprintf(f, "</code>, beta %g. Each response token's background shows its term beta&middot;(log &pi; &minus; log &pi;<sub>ref</sub>): "
               "greener raises the implicit reward, redder lowers it (largest |term| on the page: %.4g; hover a token for its value).</p>\n",
            beta, scale);
    fprintf(f, "<div class=\"prompt\"><b>prompt</b>\n");
    for (i = 0; i < (int)row.n_msgs; i++) rmt_xml_text(f, row.msgs[i].content, row.msgs[i].content_len);
    fprintf(f, "</div>\n<div class=\"cols\">\n");
    for (k = 0; k < nresp; k++) {
        rm_score s;
        memset(&s, 0, sizeof(s));
        s.response_ids = ids[k], s.n_response = nr[k], s.contributions = contrib[k];
        fprintf(f, "<div class=\"col\"><h3>%s</h3>\n<div class=\"r\">IM-RM reward <b>%+.4f</b> over %lld tokens", nresp == 2 ? (k ? "rejected" : "chosen") : "response",
                imr[k], (long long)nr[k]);
        if (st.ex) fprintf(f, " &middot; EX-RM reward <b>%+.4f</b>", exr[k]);
        fprintf(f, "</div>\n<div class=\"toks\">");
        rmt_html_tokens(f, rm_model_vocab(st.model), &s, scale);
        fprintf(f, "</div></div>\n");
    }
    fprintf(f, "</div>\n");
    if (nresp == 2)
        fprintf(f, "<p>IM-RM prefers the <b>%s</b> response (margin %+.4f)%s", imr[0] > imr[1] ? "chosen" : imr[0] < imr[1] ? "rejected" : "neither",
                imr[0] - imr[1], st.ex ? "; EX-RM prefers the <b>" : ".</p>\n");
    if (nresp == 2 && st.ex)
        fprintf(f, "%s</b> response (margin %+.4f).</p>\n", exr[0] > exr[1] ? "chosen" : exr[0] < exr[1] ? "rejected" : "neither", exr[0] - exr[1]);
    fprintf(f, "</body></html>\n");
    if (fclose(f)) {
        f = NULL;
        die("cannot write '%s'", html);
        goto done;
    }
    f = NULL;
    for (k = 0; k < nresp; k++) {
        printf("%s: IM %+.6f over %lld tokens", nresp == 2 ? (k ? "rejected" : "chosen") : "response", imr[k], (long long)nr[k]);
        if (st.ex) printf(", EX %+.6f", exr[k]);
        printf("\n");
    }
    printf("wrote %s\n", html);
    rc = 0;
done:
    if (f) fclose(f);
    for (k = 0; k < 2; k++) {
        free(ids[k]);
        free(contrib[k]);
    }
    rmj_free(doc);
    free(line);
    rmt_setup_free(&st);
    return rc;
}

static int cmd_fit_dpo(int argc, char **argv) { return rmt_fit_dpo_main(argc, argv); }
static int cmd_paper(int argc, char **argv) { return rmt_paper_main(argc, argv); }
static int cmd_explain(int argc, char **argv) { return rmt_explain_main(argc, argv); }

#endif
