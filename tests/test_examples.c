/* The README's programs run: the quickstart prints one EX and one IM reward per pair, and the
   head shipped in models/ ranks the fluent responses above their scrambled or off-topic twins. */
#include "test.h"

static void test_quickstart_runs(void) {
    char *o;
    const char *b = getenv("BUILD");
    char cmd[512];
    int rc;
    snprintf(cmd, sizeof(cmd), "%s ./%s/quickstart > build/quickstart.out 2>&1", rmt_exec(), b ? b : "build");
    rc = system(cmd);
    double ex[4], im[4];
    int n = 0;
    char *p;
    CHECK(rc == 0, "quickstart exit %d", rc);
    o = rmt_read_file("build/quickstart.out", NULL);
    CHECK(o != NULL, "no output");
    if (!o) return;
    p = strchr(o, '\n');
    while (p && n < 4 && sscanf(p + 1, "%lf %lf", &ex[n], &im[n]) == 2) {
        n++;
        p = strchr(p + 1, '\n');
    }
    CHECK(n == 4, "4 scored pairs, got %d:\n%s", n, o);
    if (n == 4) {
        CHECK(ex[0] > ex[1] && ex[2] > ex[3], "EX head prefers the fluent responses:\n%s", o);
        CHECK(im[0] == im[0] && im[2] == im[2], "IM rewards are numbers");
    }
    free(o);
}

int main(void) {
    RUN(test_quickstart_runs);
    return rmt_summary("test_examples");
}
