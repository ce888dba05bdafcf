/* Eight threads share one loaded model pair, each scoring through its own scorer: every
   result must equal the single-threaded one exactly (run under `make tsan` as well). */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"
#include <pthread.h>

#define N_THREADS 8
#define N_PAIRS 6

static rm_model *g_pol, *g_ref, *g_rm;
static int32_t g_prompt[N_PAIRS][24], g_resp[N_PAIRS][20];
static double g_want_im[N_PAIRS], g_want_ex[N_PAIRS];

static int score_all(double *im, double *ex) {
    rm_scorer_desc d;
    rm_scorer *si = NULL, *se = NULL;
    int i, bad = 0;
    memset(&d, 0, sizeof(d));
    d.model = g_pol;
    d.ref = g_ref;
    d.mode = RM_MODE_IMPLICIT;
    d.n_threads = 1;
    if (rm_scorer_new(&d, &si) != RM_OK) bad = 1;
    d.model = g_rm;
    d.ref = NULL;
    d.mode = RM_MODE_EXPLICIT;
    if (rm_scorer_new(&d, &se) != RM_OK) bad = 1;
    for (i = 0; i < N_PAIRS && !bad; i++) {
        const int32_t *r = g_resp[i];
        int64_t nr = 20;
        rm_score s;
        if (rm_score_ids(si, g_prompt[i], 24, &r, &nr, 1, &s) != RM_OK) bad = 1;
        im[i] = s.reward;
        if (rm_score_ids(se, g_prompt[i], 24, &r, &nr, 1, &s) != RM_OK) bad = 1;
        ex[i] = s.reward;
    }
    rm_scorer_free(si);
    rm_scorer_free(se);
    return bad;
}

typedef struct job { double im[N_PAIRS], ex[N_PAIRS]; int bad; } job;
static void *worker(void *arg) {
    job *j = (job *)arg;
    int rep;
    for (rep = 0; rep < 3 && !j->bad; rep++) j->bad = score_all(j->im, j->ex);
    return NULL;
}

static void test_eight_threads_share_a_model(void) {
    pthread_t th[N_THREADS];
    job jobs[N_THREADS];
    int i, k;
    memset(jobs, 0, sizeof(jobs));
    for (i = 0; i < N_THREADS; i++) CHECK(pthread_create(&th[i], NULL, worker, &jobs[i]) == 0, "thread %d", i);
    for (i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
    for (i = 0; i < N_THREADS; i++) {
        CHECK(!jobs[i].bad, "thread %d failed to score", i);
        for (k = 0; k < N_PAIRS; k++) {
            CHECK(jobs[i].im[k] == g_want_im[k], "thread %d pair %d: IM %.17g vs %.17g", i, k, jobs[i].im[k], g_want_im[k]);
            CHECK(jobs[i].ex[k] == g_want_ex[k], "thread %d pair %d: EX %.17g vs %.17g", i, k, jobs[i].ex[k], g_want_ex[k]);
        }
    }
}

int main(void) {
    int i, j;
    if (rm_model_open("tests/data/models/stories260K-policy.gguf", &g_pol) || rm_model_open("tests/data/models/stories260K.gguf", &g_ref) ||
        rm_model_open("tests/data/models/tiny-llama-rm.gguf", &g_rm)) {
        printf("cannot open the fixtures\n");
        return 1;
    }
    for (i = 0; i < N_PAIRS; i++) {
        for (j = 0; j < 24; j++) g_prompt[i][j] = (int32_t)(j == 0 ? 1 : (i * 41 + j * 17) % 500 + 3);
        for (j = 0; j < 20; j++) g_resp[i][j] = (int32_t)((i * 23 + j * 29) % 500 + 3);
    }
    if (score_all(g_want_im, g_want_ex)) {
        printf("single-threaded scoring failed\n");
        return 1;
    }
    RUN(test_eight_threads_share_a_model);
    rm_model_close(g_pol);
    rm_model_close(g_ref);
    rm_model_close(g_rm);
    return rmt_summary("test_threads");
}
