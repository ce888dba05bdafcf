/* Eight threads share one loaded model pair, each scoring through its own scorer: every
   result must equal the single-threaded one exactly (run under `make tsan` as well). */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"
#include <pthread.h>
#include <time.h>

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

/* rm.h's worker pool: every index of a loop visited exactly once, by a thread id below the
   thread count, over thousands of back-to-back tasks (the fork/join handshake; TSan checks
   the memory ordering under `make tsan`), for pools of 1 to 5 threads and requests for fewer
   threads than the pool has. */
typedef struct pool_job { int *hits; int bad_tid; int nth; } pool_job;
static void pool_body(void *arg, int64_t i0, int64_t i1, int tid) {
    pool_job *j = (pool_job *)arg;
    int64_t i;
    if (tid < 0 || tid >= j->nth) j->bad_tid = 1; /* a race itself if it happens: TSan says so */
    for (i = i0; i < i1; i++) j->hits[i]++;
}
static void test_pool_covers_each_index_once(void) {
    static int hits[1000];
    int n, nth, round;
    for (n = 1; n <= 5; n++) {
        rm__pool *p = rm__pool_new(n);
        CHECK(p != NULL, "pool of %d", n);
        if (!p) continue;
        CHECK(rm__pool_threads(p) == n, "pool of %d has %d threads", n, rm__pool_threads(p));
        for (nth = 1; nth <= n; nth++) {
            for (round = 0; round < 400; round++) {
                const int64_t len = 1 + (round * 37) % 1000;
                pool_job j;
                int64_t i, wrong = 0;
                memset(hits, 0, sizeof(hits));
                j.hits = hits;
                j.bad_tid = 0;
                j.nth = nth;
                rm__parallel_for(p, nth, len, round % 3 == 0 ? 1 : 0, pool_body, &j);
                for (i = 0; i < 1000; i++) wrong += hits[i] != (i < len);
                CHECK(wrong == 0 && !j.bad_tid, "pool %d, %d threads, loop of %lld: %lld indices wrong", n, nth, (long long)len, (long long)wrong);
                if (wrong) break;
            }
        }
        rm__pool_free(p);
    }
    CHECK(rm__cpu_count() >= 1, "CPU count %d", rm__cpu_count());
    rm__pool_free(NULL);
}

/* Process CPU time in seconds (clock() is wall time on Windows). */
static double cpu_seconds(void) {
#if defined(_WIN32)
    FILETIME c, e, k, u;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u)) return 0;
    return ((double)k.dwLowDateTime + 4294967296.0 * k.dwHighDateTime + (double)u.dwLowDateTime +
            4294967296.0 * u.dwHighDateTime) * 1e-7;
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

/* Between calls the workers must sleep, not spin: a context kept open while its program does
   something else (a server waiting for a request) must use no CPU. 4 workers idle for 300 ms
   use well under 30 ms of CPU time (spinning workers would use 1200). */
static void test_idle_pool_sleeps(void) {
    rm__pool *p = rm__pool_new(5);
    static int hits[1000];
    pool_job j;
    double c0, c1;
    struct timespec ts;
    CHECK(p != NULL, "pool");
    if (!p) return;
    j.hits = hits;
    j.bad_tid = 0;
    j.nth = 5;
    rm__parallel_for(p, 5, 1000, 1, pool_body, &j);
    ts.tv_sec = 0;
    ts.tv_nsec = 20 * 1000 * 1000;
    nanosleep(&ts, NULL); /* past the spin */
    c0 = cpu_seconds();
    ts.tv_nsec = 300 * 1000 * 1000;
    nanosleep(&ts, NULL);
    c1 = cpu_seconds();
    CHECK(c1 - c0 < 0.03, "idle pool of 5 used %.3f s of CPU in 0.3 s", c1 - c0);
    rm__pool_free(p);
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
    RUN(test_pool_covers_each_index_once);
    RUN(test_idle_pool_sleeps);
    RUN(test_eight_threads_share_a_model);
    rm_model_close(g_pol);
    rm_model_close(g_ref);
    rm_model_close(g_rm);
    return rmt_summary("test_threads");
}
