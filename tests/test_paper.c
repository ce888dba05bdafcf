/* build/rmtool fit-dpo, paper and explain end to end: fit-dpo on the shipped model and data
   within a minute, its policy scored by `eval --mode implicit`, every bad input refused before
   training with one error line, `paper` on the shipped evaluation sets with a short budget and
   its accuracies equal to what `eval` computes from the files it wrote, and `explain --html`
   rendered by headless Chromium with the coloured tokens counted in the screenshot. */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"
#include <time.h>

#define OUT "build/paper_out.txt"
#define ERR "build/paper_err.txt"
#define MODEL "models/stories260K.gguf"
#define PREFS "examples/data/story-prefs.jsonl"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *build_dir(void) {
    const char *b = getenv("BUILD");
    return b ? b : "build";
}

static int rmtool(const char *args) {
    char cmd[8192];
    int rc;
    snprintf(cmd, sizeof(cmd), "./%s/rmtool %s > " OUT " 2> " ERR, build_dir(), args);
    rc = system(cmd);
    return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

static char *slurp(const char *p) {
    char *s = rmt_read_file(p, NULL);
    return s ? s : (char *)calloc(1, 1);
}

/* stderr of the last command, for messages (kept until the next call) */
static const char *err_text(void) {
    static char *last = NULL;
    free(last);
    last = slurp(ERR);
    return last;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static double num_after(const char *s, const char *key) {
    const char *p = strstr(s, key);
    return p ? atof(p + strlen(key)) : -1;
}

/* accuracy of `eval --json` for mode ("explicit"/"implicit"), subset all */
static double eval_accuracy(const char *json, const char *mode) {
    rmj_error je;
    rmj_doc *d = rmj_parse(json, strlen(json), &je);
    const rmj_value *res = rmj_get(rmj_root(d), "results");
    double a = -1;
    size_t i;
    for (i = 0; d && i < rmj_len(res); i++)
        if (rmj_str_eq(rmj_get(rmj_at(res, i), "mode"), mode) && rmj_str_eq(rmj_get(rmj_at(res, i), "subset"), "all"))
            a = rmj_num(rmj_get(rmj_at(res, i), "accuracy"));
    rmj_free(d);
    return a;
}

static void test_fit_dpo_shipped_model(void) {
    char *o, *e;
    double t0 = now(), dt, acc;
    int rc = rmtool("fit-dpo --model " MODEL " --input " PREFS " -o build/test_paper_policy.gguf --template none --seed 1");
    dt = now() - t0;
    o = slurp(OUT);
    e = slurp(ERR);
    CHECK(rc == 0, "fit-dpo exit %d: %s", rc, e);
    printf("  fit-dpo on %s, 240 pairs, default threads: %.1f s wall\n", PREFS, dt);
    CHECK(dt < 60, "fit-dpo took %.1f s (limit 60)", dt);
    CHECK(strstr(e, "epoch 1/4  loss ") && strstr(e, "epoch 4/4  loss ") && strstr(e, "MB)"), "progress and cache size on stderr: %s", e);
    CHECK(num_after(o, "held-out accuracy: ") >= 0.9, "held-out accuracy: %s", o);
    free(o);
    free(e);
    /* the written policy, scored by the ordinary implicit path against the reference */
    CHECK(rmtool("eval --input " PREFS " --model build/test_paper_policy.gguf --ref " MODEL " --mode implicit --beta 0.1 --template none --json") == 0,
          "eval of the policy");
    o = slurp(OUT);
    acc = eval_accuracy(o, "implicit");
    printf("  eval --mode implicit of the written policy: accuracy %.4f\n", acc);
    CHECK(acc >= 0.95, "implicit accuracy of the policy %.4f: %s", acc, o);
    free(o);
    /* the same seed, the same file; --opt=value spelling */
    CHECK(rmtool("fit-dpo --model=" MODEL " --input=" PREFS " -o build/test_paper_policy2.gguf --template=none --seed=1") == 0, "again");
    {
        size_t n1, n2;
        char *a = rmt_read_file("build/test_paper_policy.gguf", &n1), *b = rmt_read_file("build/test_paper_policy2.gguf", &n2);
        CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0, "deterministic for a seed");
        free(a);
        free(b);
    }
}

/* A classifier checkpoint of an untied family without output.weight: tiny-llama-rm minus it. */
static void write_headless_classifier(const char *path) {
    rm_gguf *g = NULL;
    rm_gguf_writer *w = NULL;
    int64_t i;
    CHECK(rm_gguf_open("tests/data/models/tiny-llama-rm.gguf", &g) == RM_OK, "open");
    CHECK(rm_gguf_writer_new(&w) == RM_OK, "writer");
    for (i = 0; i < rm_gguf_n_kv(g); i++) rm_gguf_writer_copy_kv(w, g, i);
    for (i = 0; i < rm_gguf_n_tensors(g); i++) {
        const rm_tensor *t = rm_gguf_tensor(g, i);
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)t->name.len, t->name.ptr);
        if (strcmp(name, "output.weight") == 0) continue;
        CHECK(rm_gguf_writer_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data, t->nbytes) == RM_OK, "%s", rm_gguf_writer_error(w));
    }
    CHECK(rm_gguf_writer_write_file(w, path) == RM_OK, "write: %s", rm_gguf_writer_error(w));
    rm_gguf_writer_free(w);
    rm_gguf_close(g);
}

static void test_bad_input_refused_before_training(void) {
    static const struct {
        const char *args, *want;
    } bad[] = {
        {"fit-dpo --model " MODEL " --input build/test_paper_empty.jsonl -o build/x.gguf --template none", "no usable pairs"},
        {"fit-dpo --model " MODEL " --input build/test_paper_junk.jsonl -o build/x.gguf --template none", "no usable pairs"},
        {"fit-dpo --model " MODEL " --input " PREFS " -o build/x.gguf --template none --ctx 12", "40 skipped as longer than the context of 12"},
        {"fit-dpo --model build/test_paper_headless.gguf --input " PREFS " -o build/x.gguf --template none", "no output projection"},
        {"fit-dpo --model " MODEL " --input " PREFS " -o build/x.gguf --template none --max-memory 0.2", "memory budget"},
        {"fit-dpo --model " MODEL " --input " PREFS " -o build/x.gguf --lr -1", "--lr must be"},
        {"fit-dpo --model " MODEL " --input " PREFS " -o build/x.gguf --ref " MODEL, "takes no --ref"},
        {"paper --model build/test_paper_headless.gguf --train " PREFS " --eval s=" PREFS " --out build/test_paper_x --template none", "no output projection"},
        {"paper --model " MODEL " --train build/test_paper_empty.jsonl --eval s=" PREFS " --out build/test_paper_x --template none", "usable training pairs"},
        {"paper --model " MODEL " --eval nofile --out build/test_paper_x", "name=FILE"},
        {"explain --model " MODEL " --ref " MODEL " --html build/x.html", "usage"},
    };
    size_t i;
    FILE *f = fopen("build/test_paper_empty.jsonl", "wb");
    fclose(f);
    f = fopen("build/test_paper_junk.jsonl", "wb");
    fprintf(f, "{\"prompt\": \"a\"}\nnot json\n{\"prompt\": \"a\", \"chosen\": \"\", \"rejected\": \" b\"}\n");
    fclose(f);
    write_headless_classifier("build/test_paper_headless.gguf");
    /* the first 40 story rows only, all longer than 12 tokens */
    {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "head -n 40 %s > build/test_paper_40.jsonl", PREFS);
        CHECK(system(cmd) == 0, "head");
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char args[1024], *e;
        int rc;
        snprintf(args, sizeof(args), "%s", bad[i].args);
        if (strstr(args, "--ctx 12")) {
            char *p = strstr(args, PREFS);
            memcpy(p, "build/test_paper_40.jsonl", 25);
            memmove(p + 25, p + strlen(PREFS), strlen(p + strlen(PREFS)) + 1);
        }
        rc = rmtool(args);
        e = slurp(ERR);
        CHECK(rc == 1, "%s: exit %d", args, rc);
        CHECK(strstr(e, bad[i].want) != NULL, "%s: wanted '%s' in: %s", args, bad[i].want, e);
        CHECK(strstr(e, "epoch") == NULL, "%s: training started: %s", args, e);
        if (!strstr(bad[i].want, "usage") && !strstr(args, "junk"))
            CHECK(count_lines(e) - (strstr(e, "cached") ? 1 : 0) == 1 && strncmp(strstr(e, "error:") ? strstr(e, "error:") : "", "error: ", 7) == 0,
                  "%s: one error line: %s", args, e);
        if (strstr(bad[i].want, "memory") || strstr(bad[i].want, "projection"))
            CHECK(strstr(e, "cached") == NULL, "%s: refused before caching: %s", args, e);
        free(e);
    }
}

static void test_help_on_stdout(void) {
    static const char *cmds[] = {"fit-dpo --help", "paper -h", "explain --help"};
    size_t i;
    for (i = 0; i < 3; i++) {
        char *o;
        CHECK(rmtool(cmds[i]) == 0, "%s exit", cmds[i]);
        o = slurp(OUT);
        CHECK(strncmp(o, "usage: rmtool ", 14) == 0 && count_lines(o) > 3, "%s: %s", cmds[i], o);
        free(o);
    }
}

static void test_paper_end_to_end(void) {
    char args[2048], *o, *e;
    double t0 = now(), dt;
    int rc;
    snprintf(args, sizeof(args),
             "paper --model " MODEL " --template none --data %s/paper-data --out %s/test_paper_out --limit 8 --max-length 96 --epochs 2 --threads 1",
             build_dir(), build_dir());
    rc = rmtool(args);
    dt = now() - t0;
    o = slurp(OUT);
    e = slurp(ERR);
    CHECK(rc == 0, "paper exit %d: %s", rc, e);
    printf("  paper on the shipped sets, 8 rows each, 96 tokens: %.1f s wall\n", dt);
    CHECK(strstr(o, "| set | pairs |") && strstr(o, "| ultrafeedback | 8 |") && strstr(o, "| code | 8 |"), "markdown table on stdout: %s", o);
    free(o);
    {
        char p[512];
        rmj_error je;
        rmj_doc *d;
        const rmj_value *sets;
        size_t i;
        snprintf(p, sizeof(p), "%s/test_paper_out/paper.json", build_dir());
        o = slurp(p);
        d = rmj_parse(o, strlen(o), &je);
        CHECK(d != NULL, "paper.json parses: %s", o);
        sets = rmj_get(rmj_root(d), "sets");
        CHECK(rmj_len(sets) == 6, "six sets");
        for (i = 0; i < rmj_len(sets); i++) {
            const rmj_value *s = rmj_at(sets, i);
            int k;
            CHECK(rmj_num(rmj_get(s, "pairs")) == 8 && rmj_num(rmj_get(s, "rows")) == 8, "set %zu: 8 pairs", i);
            for (k = 0; k < 2; k++) {
                const rmj_value *m = rmj_get(s, k ? "im" : "ex");
                double a = rmj_num(rmj_get(m, "accuracy")), lo = rmj_num(rmj_at(rmj_get(m, "ci95"), 0)),
                       hi = rmj_num(rmj_at(rmj_get(m, "ci95"), 1));
                CHECK(a >= 0 && a <= 1 && lo <= a && a <= hi && lo >= 0 && hi <= 1, "set %zu %s: %g [%g, %g]", i, k ? "im" : "ex", a, lo, hi);
                CHECK(fmod(a * 16, 1.0) == 0, "accuracy over 8 pairs with ties as halves is a multiple of 1/16: %g", a);
            }
        }
        rmj_free(d);
        free(o);
        snprintf(p, sizeof(p), "%s/test_paper_out/paper.svg", build_dir());
        o = slurp(p);
        CHECK(strncmp(o, "<svg xmlns=", 11) == 0 && strstr(o, "</svg>") && strstr(o, ">spanish</text>"), "svg: %.200s", o);
        {
            int bars = 0;
            const char *q = o;
            while ((q = strstr(q, "fill=\"#ff7f0e\"")) != NULL) bars++, q++;
            CHECK(bars == 7, "6 IM bars and a legend swatch: %d", bars);
        }
        free(o);
    }
    free(e);
}

/* paper's accuracies against `eval` over the files paper wrote (rows short enough to need no
   truncation, so both paths score the same tokens) */
static void test_paper_matches_eval(void) {
    char args[2048], *o, p[512];
    double a_ex, a_im;
    rmj_doc *d;
    rmj_error je;
    /* rows 61-180 with every third pair swapped: neither model can be right on all of them */
    {
        FILE *in = fopen(PREFS, "rb"), *out = fopen("build/test_paper_mixed.jsonl", "wb");
        char line[4096];
        int i = 0;
        while (in && out && fgets(line, sizeof(line), in)) {
            rmj_error je;
            rmj_doc *d;
            size_t n1, n2, n3;
            const char *p, *c, *r;
            if (++i <= 60 || i > 180) continue;
            d = rmj_parse(line, strlen(line), &je);
            p = rmj_str(rmj_get(rmj_root(d), "prompt"), &n1);
            c = rmj_str(rmj_get(rmj_root(d), "chosen"), &n2);
            r = rmj_str(rmj_get(rmj_root(d), "rejected"), &n3);
            fprintf(out, "{\"prompt\": ");
            rmj_write_string(out, p, n1);
            fprintf(out, ", \"chosen\": ");
            rmj_write_string(out, i % 3 ? c : r, i % 3 ? n2 : n3);
            fprintf(out, ", \"rejected\": ");
            rmj_write_string(out, i % 3 ? r : c, i % 3 ? n3 : n2);
            fprintf(out, "}\n");
            rmj_free(d);
        }
        if (in) fclose(in);
        if (out) fclose(out);
    }
    snprintf(args, sizeof(args),
             "paper --model " MODEL " --template none --train " PREFS " --eval mixed=build/test_paper_mixed.jsonl --out %s/test_paper2 --limit 60 --epochs 2 --threads 1 --bootstrap 200",
             build_dir());
    CHECK(rmtool(args) == 0, "paper exit: %s", err_text());
    snprintf(p, sizeof(p), "%s/test_paper2/paper.json", build_dir());
    o = slurp(p);
    d = rmj_parse(o, strlen(o), &je);
    a_ex = rmj_num(rmj_get(rmj_get(rmj_at(rmj_get(rmj_root(d), "sets"), 0), "ex"), "accuracy"));
    a_im = rmj_num(rmj_get(rmj_get(rmj_at(rmj_get(rmj_root(d), "sets"), 0), "im"), "accuracy"));
    rmj_free(d);
    free(o);
    snprintf(args, sizeof(args), "eval --input build/test_paper_mixed.jsonl --limit 60 --model %s/test_paper2/im-policy.gguf --ref " MODEL
             " --head %s/test_paper2/ex-head.gguf --mode both --beta 0.1 --template none --json --threads 1", build_dir(), build_dir());
    CHECK(rmtool(args) == 0, "eval exit: %s", err_text());
    o = slurp(OUT);
    printf("  paper vs eval on 60 story pairs, a third swapped: EX %.4f / %.4f, IM %.4f / %.4f\n", a_ex, eval_accuracy(o, "explicit"), a_im, eval_accuracy(o, "implicit"));
    CHECK(fabs(a_ex - eval_accuracy(o, "explicit")) < 1e-9 && fabs(a_im - eval_accuracy(o, "implicit")) < 1e-9, "paper EX %g IM %g, eval: %s", a_ex, a_im, o);
    CHECK(a_ex > 0.5 && a_ex < 0.9 && a_im > 0.5 && a_im < 0.9, "about two thirds right: EX %g IM %g", a_ex, a_im);
    free(o);
}

static int have_chromium(void) { return system("command -v chromium > /dev/null 2>&1") == 0; }

/* Renders html with headless Chromium; returns "green G red R" counts from the screenshot. */
static int screenshot_colours(const char *html, const char *png, long *green, long *red) {
    char cmd[4096], *o;
    int rc;
    snprintf(cmd, sizeof(cmd),
             "d=$(mktemp -d) && timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=$d "
             "--screenshot=%s --window-size=1200,700 file://$(pwd)/%s > /dev/null 2>&1; rc=$?; rm -rf $d; exit $rc", png, html);
    rc = system(cmd);
    if (rc != 0) return -1;
    snprintf(cmd, sizeof(cmd), "%s tests/png_colors.py %s > build/test_paper_png.txt", getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3", png);
    if (system(cmd) != 0) return -2;
    o = slurp("build/test_paper_png.txt");
    *green = (long)num_after(o, "green ");
    *red = (long)num_after(o, "red ");
    free(o);
    return 0;
}

static void test_explain_html(void) {
    char *o, *h;
    long g = 0, r = 0, g0 = 0, r0 = 0;
    int rc;
    /* the policy of test_paper_matches_eval and its head; row 2 of the story pairs */
    CHECK(rmtool("explain --model build/test_paper2/im-policy.gguf --ref " MODEL " --head build/test_paper2/ex-head.gguf --beta 0.1 "
                 "--template none --input " PREFS " --line 2 --html build/test_paper_explain.html") == 0, "explain: %s", err_text());
    o = slurp(OUT);
    CHECK(strstr(o, "chosen: IM ") && strstr(o, "rejected: IM ") && strstr(o, ", EX "), "summary: %s", o);
    free(o);
    h = slurp("build/test_paper_explain.html");
    CHECK(strstr(h, "<span class=\"t\" style=\"background:rgb(") && strstr(h, ">chosen</h3>") && strstr(h, ">rejected</h3>") &&
          strstr(h, "EX-RM reward"), "html: %.300s", h);
    {
        /* the spans' text, tags dropped, is the response */
        char *txt = (char *)calloc(strlen(h) + 1, 1), *q = txt;
        const char *p = strstr(h, "<div class=\"toks\">");
        int in_tag = 0;
        for (; p && *p && strncmp(p, "</div>", 6) != 0; p++) {
            if (*p == '<') in_tag = 1;
            if (!in_tag) *q++ = *p;
            if (*p == '>') in_tag = 0;
        }
        CHECK(strstr(txt, "They played in the park all day.") != NULL, "the chosen response as the page shows it: '%s'", txt);
        free(txt);
    }
    free(h);
    /* the control: the reference as its own policy, every contribution exactly 0, no colour */
    CHECK(rmtool("explain --model " MODEL " --ref " MODEL " --template none --prompt \"Mia wanted to play outside.\" "
                 "--chosen \" They played in the park all day.\" --rejected \" the all in played They park day.\" --html build/test_paper_explain0.html") == 0,
          "explain control");
    if (!have_chromium()) {
        printf("  SKIP: chromium not found; the screenshot check of explain --html needs it (apt-get install chromium)\n");
        return;
    }
    rc = screenshot_colours("build/test_paper_explain.html", "build/test_paper_explain.png", &g, &r);
    CHECK(rc == 0, "screenshot %d", rc);
    rc = screenshot_colours("build/test_paper_explain0.html", "build/test_paper_explain0.png", &g0, &r0);
    CHECK(rc == 0, "control screenshot %d", rc);
    printf("  explain screenshot: %ld green and %ld red pixels; the zero-contribution control: %ld and %ld\n", g, r, g0, r0);
    CHECK(g > 300 && r > 300, "coloured tokens visible: green %ld red %ld", g, r);
    CHECK(g0 == 0 && r0 == 0, "no colour without contributions: green %ld red %ld", g0, r0);
}

int main(void) {
    RUN(test_help_on_stdout);
    RUN(test_fit_dpo_shipped_model);
    RUN(test_bad_input_refused_before_training);
    RUN(test_paper_end_to_end);
    RUN(test_paper_matches_eval);
    RUN(test_explain_html);
    return rmt_summary("test_paper");
}
