/* rm_fit_dpo: the loss against an independent computation over the full logits matrix, its
   gradient against central finite differences (double precision, full and low rank, with and
   without soft-capping and L2), a planted token-level preference recovered on fresh pairs, the
   training loss falling every epoch at a small step size, the same bytes for 1 and 2 threads,
   bad input refused before training, and rm_dpo_save writing a policy the scorer reads. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

static uint64_t rng = 88172645463325252ull;
static double urand(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}
static double nrand(void) { return sqrt(-2.0 * log(urand() + 1e-300)) * cos(6.283185307179586 * urand()); }

/* A synthetic data set: n pairs of responses of 3..7 tokens, hidden states with a constant
   feature h[0] = 1 (real final hidden states share a mean direction) and N(0,1) elsewhere. With
   planted >= 0 every chosen response holds token `planted` once and every rejected one token
   planted+1, all other tokens drawn from the rest of the vocabulary. */
typedef struct synth {
    int64_t n, E, V;
    float *H, *W0;
    int32_t *y;
    int64_t *off;
} synth;

static void synth_make(synth *s, int64_t n, int64_t E, int64_t V, int planted, int make_w0) {
    int64_t i, t = 0, cap = n * 2 * 7;
    s->n = n, s->E = E, s->V = V;
    s->H = (float *)calloc((size_t)(cap * E), sizeof(float));
    s->y = (int32_t *)calloc((size_t)cap, sizeof(int32_t));
    s->off = (int64_t *)calloc((size_t)(2 * n + 1), sizeof(int64_t));
    if (make_w0) {
        s->W0 = (float *)calloc((size_t)(V * E), sizeof(float));
        for (i = 0; i < V * E; i++) s->W0[i] = (float)(0.3 * nrand());
    }
    for (i = 0; i < 2 * n; i++) {
        int64_t len = 3 + (int64_t)(urand() * 5), j, at = (int64_t)(urand() * (double)len);
        for (j = 0; j < len; j++, t++) {
            int64_t e;
            int32_t tok;
            do tok = (int32_t)(urand() * (double)V); while (planted >= 0 && (tok == planted || tok == planted + 1));
            if (planted >= 0 && j == at) tok = planted + (int32_t)(i % 2);
            s->y[t] = tok;
            s->H[t * E] = 1.0f;
            for (e = 1; e < E; e++) s->H[t * E + e] = (float)nrand();
        }
        s->off[i + 1] = t;
    }
}
static void synth_free(synth *s) {
    free(s->H); free(s->y); free(s->off); free(s->W0);
    memset(s, 0, sizeof(*s));
}

static rm_dpo_desc desc_of(const synth *s, const float *W0) {
    rm_dpo_desc d;
    memset(&d, 0, sizeof(d));
    d.hidden = s->H, d.targets = s->y, d.offsets = s->off, d.n_pairs = s->n, d.n_embd = s->E, d.n_vocab = s->V;
    d.output = W0;
    return d;
}

/* log softmax(z)[y] with the whole row in hand: the independent form of the loss */
static double ref_logprob(const float *W, const double *Wd, int64_t V, int64_t E, const float *h, int32_t y, double cap) {
    double *z = (double *)calloc((size_t)V, sizeof(double)), mx = -INFINITY, s = 0, r;
    int64_t v, e;
    for (v = 0; v < V; v++) {
        for (e = 0; e < E; e++) z[v] += (Wd ? Wd[v * E + e] : (double)W[v * E + e]) * h[e];
        if (cap > 0) z[v] = cap * tanh(z[v] / cap);
        if (z[v] > mx) mx = z[v];
    }
    for (v = 0; v < V; v++) s += exp(z[v] - mx);
    r = z[y] - mx - log(s);
    free(z);
    return r;
}

static void check_gradient(int rank, double cap, double l2) {
    synth s;
    rm_dpo_desc d;
    rm_dpo_result res;
    rm__dpo st;
    int64_t pairs[4] = {0, 1, 2, 3}, j, i, t;
    double loss, worst = 0, *Wd, ref_loss = 0;
    rng = 12345 + (uint64_t)rank * 7 + (uint64_t)(cap > 0);
    synth_make(&s, 4, 5, 7, -1, 1);
    d = desc_of(&s, s.W0);
    d.beta = 0.7, d.rank = rank, d.final_softcap = cap, d.l2 = l2, d.n_threads = 1;
    memset(&res, 0, sizeof(res));
    CHECK(rm__dpo_init(&st, &d, 64, &res) == RM_OK, "init: %s", res.error);
    for (j = 0; j < st.np; j++) st.P[j] = 0.4 * nrand(); /* a generic point, not the zero start */
    loss = rm__dpo_loss(&st, pairs, 4, 1, NULL);
    /* the loss, independently: the policy's full matrix, whole rows of logits */
    Wd = (double *)calloc((size_t)(s.V * s.E), sizeof(double));
    for (i = 0; i < s.V; i++)
        for (j = 0; j < s.E; j++) {
            double delta = 0;
            int64_t k;
            if (!rank) delta = st.P[i * s.E + j];
            else for (k = 0; k < rank; k++) delta += st.P[i * rank + k] * st.P[s.V * rank + k * s.E + j];
            Wd[i * s.E + j] = (double)s.W0[i * s.E + j] + delta;
        }
    for (i = 0; i < 4; i++) {
        double sc = 0, sr = 0;
        for (t = s.off[2 * i]; t < s.off[2 * i + 2]; t++) {
            double lr = ref_logprob(NULL, Wd, s.V, s.E, s.H + t * s.E, s.y[t], cap) - ref_logprob(s.W0, NULL, s.V, s.E, s.H + t * s.E, s.y[t], cap);
            if (t < s.off[2 * i + 1]) sc += lr;
            else sr += lr;
        }
        ref_loss += log1p(exp(-d.beta * (sc - sr))) / 4.0;
    }
    {
        double reg = 0;
        for (j = 0; j < st.np; j++) reg += st.P[j] * st.P[j];
        ref_loss += 0.5 * l2 * reg;
    }
    CHECK(fabs(loss - ref_loss) < 1e-12 * (1 + fabs(ref_loss)), "rank %d cap %g: loss %.15g, full-row reference %.15g", rank, cap, loss, ref_loss);
    free(Wd);
    for (j = 0; j < st.np; j++) {
        const double h = 1e-6, p = st.P[j], g = st.G[j];
        double lp, lm, fd;
        st.P[j] = p + h;
        lp = rm__dpo_loss(&st, pairs, 4, 0, NULL);
        st.P[j] = p - h;
        lm = rm__dpo_loss(&st, pairs, 4, 0, NULL);
        st.P[j] = p;
        if (l2 > 0) {
            lp += 0.5 * l2 * ((p + h) * (p + h) - p * p);
            lm += 0.5 * l2 * ((p - h) * (p - h) - p * p);
        }
        fd = (lp - lm) / (2 * h);
        if (fabs(fd - g) / (1e-6 + fabs(fd)) > worst) worst = fabs(fd - g) / (1e-6 + fabs(fd));
        CHECK(fabs(fd - g) <= 1e-6 * (1e-3 + fabs(fd)), "rank %d cap %g l2 %g: param %lld analytic %.10g, finite difference %.10g", rank, cap, l2,
              (long long)j, g, fd);
    }
    printf("  gradient rank %d softcap %g l2 %g: %lld parameters, worst relative error %.2e (tolerance 1e-6)\n", rank, cap, l2,
           (long long)st.np, worst);
    rm__dpo_free(&st);
    synth_free(&s);
}

static void test_gradient_matches_finite_differences(void) {
    check_gradient(0, 0, 0);
    check_gradient(0, 3.0, 0.05);
    check_gradient(2, 0, 0);
    check_gradient(3, 2.5, 0.1);
}

static void test_initial_loss_is_log2(void) {
    synth s;
    rm_dpo_desc d;
    rm_dpo_result res;
    float *out;
    rng = 99;
    synth_make(&s, 20, 8, 16, -1, 1);
    out = (float *)calloc((size_t)(s.V * s.E), sizeof(float));
    d = desc_of(&s, s.W0);
    d.epochs = 1;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_OK, "fit: %s", res.error);
    CHECK(res.initial_loss == log(2.0), "every reward starts at exactly 0: initial loss %.17g vs log 2 %.17g", res.initial_loss, log(2.0));
    free(out);
    synth_free(&s);
}

/* implicit reward of a pair under W versus W0, computed here from scratch */
static double pair_margin(const synth *s, int64_t i, const float *W) {
    double m = 0;
    int64_t t;
    for (t = s->off[2 * i]; t < s->off[2 * i + 2]; t++) {
        double lr = ref_logprob(W, NULL, s->V, s->E, s->H + t * s->E, s->y[t], 0) - ref_logprob(s->W0, NULL, s->V, s->E, s->H + t * s->E, s->y[t], 0);
        m += t < s->off[2 * i + 1] ? lr : -lr;
    }
    return m;
}

static void planted(int rank) {
    synth tr, te;
    rm_dpo_desc d;
    rm_dpo_result res;
    float *out;
    double acc = 0;
    int64_t i;
    rng = 2024 + (uint64_t)rank;
    synth_make(&tr, 600, 12, 40, 5, 1);
    te.W0 = NULL;
    synth_make(&te, 200, 12, 40, 5, 0);
    te.W0 = tr.W0;
    out = (float *)calloc((size_t)(tr.V * tr.E), sizeof(float));
    d = desc_of(&tr, tr.W0);
    d.holdout = 0.25, d.epochs = 4, d.lr = 0.02, d.l2 = 0.02, d.rank = rank, d.seed = 3;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_OK, "fit: %s", res.error);
    for (i = 0; i < te.n; i++) {
        double m = pair_margin(&te, i, out);
        acc += m > 0 ? 1.0 : (m == 0 ? 0.5 : 0.0);
    }
    acc /= (double)te.n;
    printf("  planted token (rank %d): train acc %.3f, held-out %.3f (%lld pairs), fresh pairs %.3f; loss %.4f -> %.4f\n", rank,
           res.train_accuracy, res.holdout_accuracy, (long long)res.n_holdout, acc, res.initial_loss, res.train_loss);
    CHECK(res.holdout_accuracy >= 0.95, "rank %d: held-out accuracy %.3f < 0.95", rank, res.holdout_accuracy);
    CHECK(acc >= 0.95, "rank %d: accuracy on fresh pairs, scored here from the returned matrix, %.3f < 0.95", rank, acc);
    te.W0 = NULL;
    synth_free(&te);
    synth_free(&tr);
    free(out);
}

static void test_planted_token_preference_recovered(void) {
    planted(0);
    planted(2);
}

typedef struct losses {
    double v[64];
    int n;
    int64_t steps;
} losses;
static void on_progress(void *user, const rm_dpo_progress *p) {
    losses *l = (losses *)user;
    if (p->epoch_done && l->n < 64) l->v[l->n++] = p->loss;
    else l->steps++;
}

static void test_loss_falls_every_epoch(void) {
    synth s;
    rm_dpo_desc d;
    rm_dpo_result res;
    losses L;
    float *out;
    int i;
    rng = 777;
    synth_make(&s, 120, 10, 30, 4, 1);
    out = (float *)calloc((size_t)(s.V * s.E), sizeof(float));
    memset(&L, 0, sizeof(L));
    d = desc_of(&s, s.W0);
    d.lr = 1e-3, d.epochs = 8, d.batch = 8, d.progress = on_progress, d.user = &L;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_OK, "fit: %s", res.error);
    CHECK(L.n == 8 && L.steps == 8 * 15, "%d epoch reports, %lld step reports", L.n, (long long)L.steps);
    printf("  loss by epoch at lr 1e-3: %.6f", res.initial_loss);
    for (i = 0; i < L.n; i++) printf(" %.6f", L.v[i]);
    printf("\n");
    for (i = 0; i < L.n; i++) CHECK(L.v[i] < (i ? L.v[i - 1] : res.initial_loss), "epoch %d: loss %.8f did not fall", i + 1, L.v[i]);
    free(out);
    synth_free(&s);
}

static void test_same_for_any_thread_count(void) {
    synth s;
    rm_dpo_desc d;
    rm_dpo_result r1, r2;
    float *o1, *o2;
    int rank;
    rng = 31337;
    synth_make(&s, 60, 16, 300, 7, 1);
    o1 = (float *)calloc((size_t)(s.V * s.E), sizeof(float));
    o2 = (float *)calloc((size_t)(s.V * s.E), sizeof(float));
    for (rank = 0; rank <= 3; rank += 3) {
        d = desc_of(&s, s.W0);
        d.epochs = 2, d.rank = rank, d.seed = 9, d.holdout = 0.2;
        d.n_threads = 1;
        CHECK(rm_fit_dpo(&d, o1, &r1) == RM_OK, "1 thread: %s", r1.error);
        d.n_threads = 2;
        CHECK(rm_fit_dpo(&d, o2, &r2) == RM_OK, "2 threads: %s", r2.error);
        CHECK(memcmp(o1, o2, (size_t)(s.V * s.E) * sizeof(float)) == 0 && r1.train_loss == r2.train_loss,
              "rank %d: 1 and 2 threads differ (loss %.17g vs %.17g)", rank, r1.train_loss, r2.train_loss);
        d.seed = 10;
        CHECK(rm_fit_dpo(&d, o2, &r2) == RM_OK && memcmp(o1, o2, (size_t)(s.V * s.E) * sizeof(float)) != 0, "another seed, another result");
    }
    free(o1);
    free(o2);
    synth_free(&s);
}

static void test_bad_input_refused(void) {
    synth s;
    rm_dpo_desc d;
    rm_dpo_result res;
    float *out;
    rng = 5;
    synth_make(&s, 10, 8, 16, -1, 1);
    out = (float *)calloc((size_t)(s.V * s.E), sizeof(float));
    d = desc_of(&s, s.W0);
    d.n_pairs = 1;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_ERR_EMPTY && strstr(res.error, "pairs"), "one pair: %s", res.error);
    d = desc_of(&s, s.W0);
    d.max_bytes = 5000;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_ERR_LIMIT && strstr(res.error, "memory budget"), "budget: %s", res.error);
    CHECK(res.state_bytes == rm_fit_dpo_bytes(16, 8, 0) && res.state_bytes == 16 * 8 * (32 + 16), "state bytes %zu", res.state_bytes);
    d.rank = 1;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_OK, "rank 1 fits the same budget (%zu bytes): %s", res.state_bytes, res.error);
    d = desc_of(&s, s.W0);
    s.y[3] = 16;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_ERR_INVALID_ARG && strstr(res.error, "outside the vocabulary"), "target: %s", res.error);
    s.y[3] = 1;
    s.off[4] = s.off[3];
    CHECK(rm_fit_dpo(&d, out, &res) == RM_ERR_EMPTY && strstr(res.error, "pair 1"), "empty response: %s", res.error);
    synth_free(&s);
    rng = 5;
    synth_make(&s, 10, 8, 16, -1, 1);
    d = desc_of(&s, s.W0);
    s.H[8] = NAN;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_ERR_NONFINITE, "NaN state: %s", res.error);
    d.beta = -1;
    CHECK(rm_fit_dpo(&d, out, &res) == RM_ERR_INVALID_ARG, "negative beta");
    CHECK(rm_fit_dpo(NULL, out, &res) == RM_ERR_INVALID_ARG && res.error[0], "NULL desc");
    free(out);
    synth_free(&s);
}

/* A policy written with the reference's own matrix scores exactly 0; one with a changed row
   of token y scores what the changed log-probs say. Tied models get output.weight added. */
static void test_save_policy(void) {
    static const char *models[] = {"tests/data/models/stories260K.gguf", "tests/data/models/tiny-qwen2.gguf"};
    int k;
    for (k = 0; k < 2; k++) {
        rm_model *ref = NULL, *pol = NULL;
        rm_scorer *sc = NULL;
        rm_scorer_desc sd;
        rm_score out;
        char err[256] = "";
        const rm_hparams *hp;
        float *W;
        int64_t V, E, i;
        const rm_tensor *t;
        CHECK(rm_model_open(models[k], &ref) == RM_OK, "%s", rm_model_error(ref));
        hp = rm_model_hparams(ref);
        V = hp->n_vocab, E = hp->n_embd;
        t = rm_gguf_find_tensor(rm_model_gguf(ref), "output.weight");
        if (!t) t = rm_gguf_find_tensor(rm_model_gguf(ref), "token_embd.weight");
        W = (float *)calloc((size_t)(V * E), sizeof(float));
        for (i = 0; i < V; i++) rm_dequantize_row(t->type, (const uint8_t *)t->data + (size_t)i * (t->nbytes / (size_t)V), W + i * E, E);
        CHECK(rm_dpo_save("build/test_dpo_policy.gguf", ref, W, err, sizeof(err)) == RM_OK, "save: %s", err);
        CHECK(rm_model_open("build/test_dpo_policy.gguf", &pol) == RM_OK, "reopen: %s", rm_model_error(pol));
        CHECK(rm_gguf_find_tensor(rm_model_gguf(pol), "output.weight") != NULL, "%s: output.weight written", models[k]);
        CHECK(rm_gguf_n_tensors(rm_model_gguf(pol)) == rm_gguf_n_tensors(rm_model_gguf(ref)) + (k == 1),
              "%s: every tensor kept (%lld vs %lld)", models[k], (long long)rm_gguf_n_tensors(rm_model_gguf(pol)),
              (long long)rm_gguf_n_tensors(rm_model_gguf(ref)));
        memset(&sd, 0, sizeof(sd));
        sd.model = pol, sd.ref = ref, sd.mode = RM_MODE_IMPLICIT, sd.beta = 1, sd.chat_template = RM_CHAT_NONE, sd.n_threads = 1;
        CHECK(rm_scorer_new(&sd, &sc) == RM_OK, "%s", rm_scorer_error(sc));
        CHECK(rm_score_pair(sc, "Once upon a time", " there was a cat.", &out) == RM_OK && out.reward == 0.0,
              "%s: the unchanged policy scores exactly 0 (%g)", models[k], out.reward);
        rm_scorer_free(sc);
        rm_model_close(pol);
        rm_model_close(ref);
        free(W);
    }
}

int main(void) {
    RUN(test_gradient_matches_finite_differences);
    RUN(test_initial_loss_is_log2);
    RUN(test_planted_token_preference_recovered);
    RUN(test_loss_falls_every_epoch);
    RUN(test_same_for_any_thread_count);
    RUN(test_bad_input_refused);
    RUN(test_save_policy);
    return rmt_summary("test_dpo");
}
