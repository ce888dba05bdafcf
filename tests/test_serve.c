/* rmtool serve end to end on a loopback port: every route against `rmtool score` on the same
   rows (bit for bit: the JSONL is compared byte for byte, other routes' numbers with ==, as the
   writers print the shortest text that reads back as the same double) or against rm.h called
   directly; bad requests get their status and a JSON error while the server keeps serving;
   concurrent clients get identical answers; SIGTERM finishes what is in flight and exits 0.
   Skips (with a message) when rmtool was built without libmicrohttpd or curl is missing. */
#define _POSIX_C_SOURCE 200809L
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ROWS "tests/data/serve/rows.jsonl"
#define MODELS "--model models/stories260K-policy.gguf --ref models/stories260K.gguf --mode implicit --beta 0.1 --template none"
#define KEY "s3cret-key"

static const char *build_dir(void) {
    const char *b = getenv("BUILD");
    return b ? b : "build";
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static char *slurp(const char *p) {
    char *s = rmt_read_file(p, NULL);
    return s ? s : (char *)calloc(1, 1);
}

typedef struct server {
    int port;
    char tag[32];
} server;

/* Starts rmtool serve with extra args; its exit status lands in build/serve_TAG.rc. */
static int server_start(server *s, const char *tag, const char *args) {
    char cmd[4096], pf[256];
    int i;
    snprintf(s->tag, sizeof(s->tag), "%s", tag);
    snprintf(pf, sizeof(pf), "build/serve_%s.port", tag);
    remove(pf);
    snprintf(cmd, sizeof(cmd),
             "rm -f build/serve_%s.rc; (./%s/rmtool serve " MODELS " --port 0 --port-file %s %s > build/serve_%s.log 2>&1 & "
             "echo $! > build/serve_%s.pid; wait $!; echo $? > build/serve_%s.rc) > /dev/null 2>&1 &",
             tag, build_dir(), pf, args, tag, tag, tag);
    if (system(cmd) != 0) return -1;
    for (i = 0; i < 600; i++) { /* up to a minute: model loading under TSan is slow */
        FILE *f = fopen(pf, "r");
        if (f) {
            int ok = fscanf(f, "%d", &s->port) == 1;
            fclose(f);
            if (ok) return 0;
        }
        sleep_ms(100);
    }
    return -1;
}

/* SIGTERM, then the exit status (-1 if it did not stop within a minute). */
static int server_stop(server *s) {
    char p[256], *pid;
    int i, rc = -1;
    snprintf(p, sizeof(p), "build/serve_%s.pid", s->tag);
    pid = slurp(p);
    if (atoi(pid) > 0) kill((pid_t)atoi(pid), SIGTERM);
    free(pid);
    snprintf(p, sizeof(p), "build/serve_%s.rc", s->tag);
    for (i = 0; i < 600 && rc < 0; i++) {
        FILE *f = fopen(p, "r");
        if (f) {
            if (fscanf(f, "%d", &rc) != 1) rc = -1;
            fclose(f);
        }
        if (rc < 0) sleep_ms(100);
    }
    return rc;
}

/* curl: POST (body from a file, or none for GET) to path; the body goes to out, the status
   is returned. extra: more curl arguments (headers). */
static int http(const server *s, const char *method, const char *path, const char *body_file, const char *extra, const char *out) {
    char cmd[4096], *code;
    int st;
    snprintf(cmd, sizeof(cmd), "curl -s -S -X %s %s%s%s -H 'Authorization: Bearer " KEY "' %s -o %s -w '%%{http_code}' 'http://127.0.0.1:%d%s' > %s.code 2>/dev/null",
             method, body_file ? "--data-binary @" : "", body_file ? body_file : "", "", extra ? extra : "", out, s->port, path, out);
    if (system(cmd) != 0) return -1;
    snprintf(cmd, sizeof(cmd), "%s.code", out);
    code = slurp(cmd);
    st = atoi(code);
    free(code);
    return st;
}

static void write_file(const char *p, const char *s, size_t n) {
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(s, 1, n, f);
        fclose(f);
    }
}

static void write_str(const char *p, const char *s) { write_file(p, s, strlen(s)); }

static rmj_doc *parse_file(const char *p) {
    char *s = slurp(p);
    rmj_error e;
    rmj_doc *d = rmj_parse(s, strlen(s), &e);
    free(s);
    return d;
}

/* The reference: rmtool score --input on the rows, one thread (the workers score on one). */
static rmj_doc **ref_lines(size_t *n) {
    char cmd[1024], *s, *p;
    rmj_doc **d = NULL;
    snprintf(cmd, sizeof(cmd), "./%s/rmtool score " MODELS " --threads 1 --per-token --input " ROWS " > build/serve_ref.jsonl 2> /dev/null", build_dir());
    *n = 0;
    if (system(cmd) != 0) return NULL;
    s = slurp("build/serve_ref.jsonl");
    d = (rmj_doc **)calloc(256, sizeof(*d));
    for (p = s; *p && *n < 256;) {
        char *e = strchr(p, '\n');
        rmj_error je;
        if (!e) break;
        d[(*n)++] = rmj_parse(p, (size_t)(e - p), &je);
        p = e + 1;
    }
    free(s);
    return d;
}

static rm_model *g_pol, *g_ref;
static rm_scorer *g_sc;

/* The reward of text as the response to an empty prompt ([BOS]), with rm.h directly. */
static double direct_empty_prompt(const char *text) {
    const rm_vocab *v = rm_model_vocab(g_pol);
    int32_t bos = rm_vocab_bos(v), ids[4096];
    const int32_t *rp[1];
    int64_t nr[1];
    size_t n = 0;
    rm_score out;
    if (rm_tokenize(v, text, strlen(text), 0, 1, ids, 4096, &n)) return NAN;
    rp[0] = ids;
    nr[0] = (int64_t)n;
    if (rm_score_ids(g_sc, &bos, 1, rp, nr, 1, &out)) return NAN;
    return out.reward;
}

/* A JSON string literal of s (enough for these ASCII-and-UTF-8 rows). */
static void json_lit(FILE *f, const char *s, size_t n) { rmj_write_string(f, s, n); }

static server g_srv;
static rmj_doc **g_refs;
static size_t g_nref;

static void test_routes(void) {
    const server *s = &g_srv;
    rmj_doc **ref = g_refs;
    size_t nref = g_nref;
    char *rows = slurp(ROWS), *o, *p;
    const rmj_value *rv[64];
    rmj_doc *rdocs[64];
    size_t nrows = 0, i;
    /* /score JSONL: byte for byte what rmtool score --input writes */
    CHECK(http(s, "POST", "/score?per_token=1", ROWS, "-H 'Content-Type: application/x-ndjson'", "build/serve_o1") == 200, "/score JSONL status");
    o = slurp("build/serve_o1");
    p = slurp("build/serve_ref.jsonl");
    CHECK(strlen(p) > 100 && strcmp(o, p) == 0, "/score JSONL equals rmtool score --input byte for byte:\n%.300s\nvs\n%.300s", o, p);
    free(o);
    free(p);
    /* the rows, parsed once */
    for (p = rows; *p && nrows < 64;) {
        char *e = strchr(p, '\n');
        rmj_error je;
        if (!e) break;
        rdocs[nrows] = rmj_parse(p, (size_t)(e - p), &je);
        rv[nrows] = rmj_root(rdocs[nrows]);
        nrows++;
        p = e + 1;
    }
    /* /score JSON array: the same objects */
    {
        FILE *f = fopen("build/serve_arr.json", "wb");
        rmj_doc *d;
        fputc('[', f);
        for (p = rows, i = 0; *p; i++) {
            char *e = strchr(p, '\n');
            if (!e) break;
            if (i) fputc(',', f);
            fwrite(p, 1, (size_t)(e - p), f);
            p = e + 1;
        }
        fputc(']', f);
        fclose(f);
        CHECK(http(s, "POST", "/score", "build/serve_arr.json", NULL, "build/serve_o2") == 200, "/score array status");
        d = parse_file("build/serve_o2");
        CHECK(d && rmj_len(rmj_root(d)) == nref, "/score array: %zu objects", d ? rmj_len(rmj_root(d)) : 0);
        for (i = 0; d && i < nref && i < rmj_len(rmj_root(d)); i++) {
            const rmj_value *a = rmj_at(rmj_root(d), i), *b = rmj_root(ref[i]);
            CHECK(rmj_num(rmj_get(a, "reward")) == rmj_num(rmj_get(b, "reward")) && rmj_num(rmj_get(a, "line")) == rmj_num(rmj_get(b, "line")) &&
                      rmj_num(rmj_get(a, "index")) == rmj_num(rmj_get(b, "index")) && rmj_len(rmj_get(a, "response_ids")) == rmj_len(rmj_get(b, "response_ids")) &&
                      !rmj_get(a, "logprobs"),
                  "/score array object %zu: %.17g vs %.17g", i, rmj_num(rmj_get(a, "reward")), rmj_num(rmj_get(b, "reward")));
        }
        rmj_free(d);
    }
    /* the other routes, per row */
    for (i = 0; i < nref; i++) {
        const rmj_value *b = rmj_root(ref[i]);
        const rmj_value *row = rv[(size_t)rmj_num(rmj_get(b, "line")) - 1];
        int idx = (int)rmj_num(rmj_get(b, "index"));
        double want = rmj_num(rmj_get(b, "reward"));
        const rmj_value *resp = rmj_get(row, "responses") ? rmj_at(rmj_get(row, "responses"), (size_t)idx) : rmj_get(row, "response");
        size_t pl, rl;
        const char *pr = rmj_str(rmj_get(row, "prompt"), &pl), *re = rmj_str(resp, &rl);
        FILE *f;
        rmj_doc *d;
        if (rmj_get(row, "prompt")) {
            /* OpenRLHF: the query is prompt + response, cut at the prompt */
            f = fopen("build/serve_b.json", "wb");
            fprintf(f, "{\"query\":[");
            {
                char *qs = (char *)malloc(pl + rl + 1);
                memcpy(qs, pr, pl);
                memcpy(qs + pl, re, rl);
                json_lit(f, qs, pl + rl);
                free(qs);
            }
            fprintf(f, "],\"prompts\":[");
            json_lit(f, pr, pl);
            fprintf(f, "],\"labels\":[\"x\"]}");
            fclose(f);
            CHECK(http(s, "POST", "/get_reward", "build/serve_b.json", NULL, "build/serve_o3") == 200, "/get_reward status, line %d", (int)i);
            d = parse_file("build/serve_o3");
            CHECK(d && rmj_num(rmj_at(rmj_get(rmj_root(d), "rewards"), 0)) == want && rmj_num(rmj_at(rmj_get(rmj_root(d), "scores"), 0)) == want &&
                      rmj_is_object(rmj_get(rmj_root(d), "extra_logs")),
                  "/get_reward %zu: %.17g vs rmtool %.17g", i, rmj_num(rmj_at(rmj_get(rmj_root(d), "rewards"), 0)), want);
            rmj_free(d);
            /* TEI: a [prompt, response] pair, raw scores */
            f = fopen("build/serve_b.json", "wb");
            fprintf(f, "{\"inputs\":[");
            json_lit(f, pr, pl);
            fputc(',', f);
            json_lit(f, re, rl);
            fprintf(f, "],\"raw_scores\":true}");
            fclose(f);
            CHECK(http(s, "POST", "/predict", "build/serve_b.json", NULL, "build/serve_o4") == 200, "/predict status");
            d = parse_file("build/serve_o4");
            CHECK(d && rmj_num(rmj_get(rmj_at(rmj_root(d), 0), "score")) == want && rmj_str_eq(rmj_get(rmj_at(rmj_root(d), 0), "label"), "LABEL_0"),
                  "/predict %zu: %.17g vs %.17g", i, rmj_num(rmj_get(rmj_at(rmj_root(d), 0), "score")), want);
            rmj_free(d);
        } else {
            /* vLLM chat form: the conversation and the reply to score */
            const rmj_value *m = rmj_get(row, "messages");
            size_t j;
            f = fopen("build/serve_b.json", "wb");
            fprintf(f, "{\"model\":\"rm\",\"messages\":[");
            for (j = 0; j < rmj_len(m); j++) {
                size_t a, c;
                const char *ro = rmj_str(rmj_get(rmj_at(m, j), "role"), &a), *co = rmj_str(rmj_get(rmj_at(m, j), "content"), &c);
                fprintf(f, "{\"role\":");
                json_lit(f, ro, a);
                fprintf(f, ",\"content\":");
                json_lit(f, co, c);
                fprintf(f, "},");
            }
            fprintf(f, "{\"role\":\"assistant\",\"content\":");
            json_lit(f, re, rl);
            fprintf(f, "}],\"use_activation\":false}");
            fclose(f);
            CHECK(http(s, "POST", "/classify", "build/serve_b.json", NULL, "build/serve_o5") == 200, "/classify messages status");
            d = parse_file("build/serve_o5");
            CHECK(d && rmj_num(rmj_at(rmj_get(rmj_at(rmj_get(rmj_root(d), "data"), 0), "probs"), 0)) == want &&
                      rmj_str_eq(rmj_get(rmj_root(d), "model"), "rm") && rmj_str_eq(rmj_get(rmj_root(d), "object"), "list") &&
                      rmj_num(rmj_get(rmj_get(rmj_root(d), "usage"), "prompt_tokens")) ==
                          (double)(rmj_len(rmj_get(b, "prompt_ids")) + rmj_len(rmj_get(b, "response_ids"))),
                  "/classify messages %zu: %.17g vs %.17g", i, rmj_num(rmj_at(rmj_get(rmj_at(rmj_get(rmj_root(d), "data"), 0), "probs"), 0)), want);
            rmj_free(d);
        }
    }
    /* the empty-prompt forms against rm.h directly: OpenRLHF without prompts, vLLM input,
       classify's sigmoid, TEI's single string and batch */
    {
        static const char *texts[] = {"Once upon a time, there was a little girl named Lily.", "Tom had a big red ball. He threw it."};
        double d0 = direct_empty_prompt(texts[0]), d1 = direct_empty_prompt(texts[1]);
        rmj_doc *d;
        const rmj_value *r;
        write_str("build/serve_b.json", "{\"query\":[\"Once upon a time, there was a little girl named Lily.\",\"Tom had a big red ball. He threw it.\"]}");
        CHECK(http(s, "POST", "/get_reward", "build/serve_b.json", NULL, "build/serve_o6") == 200, "/get_reward no prompts");
        d = parse_file("build/serve_o6");
        r = d ? rmj_get(rmj_root(d), "rewards") : NULL;
        CHECK(d0 == d0 && rmj_num(rmj_at(r, 0)) == d0 && rmj_num(rmj_at(r, 1)) == d1, "/get_reward without prompts: %.17g %.17g vs %.17g %.17g",
              rmj_num(rmj_at(r, 0)), rmj_num(rmj_at(r, 1)), d0, d1);
        rmj_free(d);
        write_str("build/serve_b.json", "{\"input\":[\"Once upon a time, there was a little girl named Lily.\",\"Tom had a big red ball. He threw it.\"]}");
        CHECK(http(s, "POST", "/classify", "build/serve_b.json", NULL, "build/serve_o7") == 200, "/classify input");
        d = parse_file("build/serve_o7");
        r = d ? rmj_get(rmj_root(d), "data") : NULL;
        CHECK(rmj_num(rmj_at(rmj_get(rmj_at(r, 0), "probs"), 0)) == 1.0 / (1.0 + exp(-d0)) &&
                  rmj_num(rmj_at(rmj_get(rmj_at(r, 1), "probs"), 0)) == 1.0 / (1.0 + exp(-d1)) && rmj_num(rmj_get(rmj_at(r, 1), "index")) == 1 &&
                  rmj_num(rmj_get(rmj_at(r, 0), "num_classes")) == 1,
              "/classify: sigmoid of the rewards");
        rmj_free(d);
        CHECK(http(s, "POST", "/pooling", "build/serve_b.json", NULL, "build/serve_o8") == 200, "/pooling input");
        d = parse_file("build/serve_o8");
        r = d ? rmj_get(rmj_root(d), "data") : NULL;
        CHECK(rmj_num(rmj_at(rmj_get(rmj_at(r, 0), "data"), 0)) == d0 && rmj_num(rmj_at(rmj_get(rmj_at(r, 1), "data"), 0)) == d1 &&
                  rmj_str_eq(rmj_get(rmj_at(r, 0), "object"), "pooling"),
              "/pooling: the rewards");
        rmj_free(d);
        write_str("build/serve_b.json", "{\"inputs\":[[\"Once upon a time, there was a little girl named Lily.\"],[\"Tom had a big red ball. He threw it.\"]]}");
        CHECK(http(s, "POST", "/predict", "build/serve_b.json", NULL, "build/serve_o9") == 200, "/predict batch");
        d = parse_file("build/serve_o9");
        r = d ? rmj_root(d) : NULL;
        CHECK(rmj_len(r) == 2 && rmj_num(rmj_get(rmj_at(rmj_at(r, 0), 0), "score")) == 1.0 / (1.0 + exp(-d0)) &&
                  rmj_num(rmj_get(rmj_at(rmj_at(r, 1), 0), "score")) == 1.0 / (1.0 + exp(-d1)),
              "/predict batch: sigmoid scores");
        rmj_free(d);
    }
    CHECK(http(s, "GET", "/health", NULL, NULL, "build/serve_o10") == 200, "/health");
    CHECK(http(s, "GET", "/metrics", NULL, NULL, "build/serve_o11") == 200, "/metrics");
    o = slurp("build/serve_o11");
    CHECK(strstr(o, "rmtool_requests_total{route=\"/score\",code=\"200\"} 2") && strstr(o, "rmtool_queue_depth 0") &&
              strstr(o, "rmtool_request_duration_seconds_bucket{le=\"+Inf\"}") && strstr(o, "rmtool_tokens_total "),
          "/metrics: %.400s", o);
    free(o);
    for (i = 0; i < nrows; i++) rmj_free(rdocs[i]);
    free(rows);
}

static int error_json(const char *path, const char *needle) {
    rmj_doc *d = parse_file(path);
    int ok = d && rmj_is_string(rmj_get(rmj_root(d), "error")) && (!needle || strstr(rmj_str(rmj_get(rmj_root(d), "error"), NULL), needle));
    rmj_free(d);
    return ok;
}

/* A raw socket to the server, for clients curl will not imitate. */
static int dial(int port) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Waits up to ms for the server to close fd; 1 if it did. */
static int closed_within(int fd, long ms) {
    struct timeval tv;
    char b[512];
    long waited = 0;
    tv.tv_sec = 0;
    tv.tv_usec = 200000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (waited < ms) {
        ssize_t n = recv(fd, b, sizeof(b), 0);
        if (n == 0) return 1;
        if (n < 0) waited += 200;
    }
    return 0;
}

static void test_bad_requests(void) {
    const server *s = &g_srv;
    static const struct {
        const char *path, *body, *needle;
        int status;
    } bad[] = {
        {"/score", "{\"prompt\": \"a\", ", "invalid JSON", 400},
        {"/score", "{\"prompt\": 3, \"response\": \"b\"}", "prompt", 400},
        {"/score", "[]", "no rows", 400},
        {"/get_reward", "{\"query\": \"not a list\"}", "query", 400},
        {"/get_reward", "{\"query\": [\"abc\"], \"prompts\": [\"xyz\"]}", "does not start", 400},
        {"/get_reward", "{\"query\": [\"abc\"], \"prompts\": [\"abc\"]}", "no tokens", 400},
        {"/classify", "{\"input\": [1, 2, 3]}", "token ids", 400},
        {"/classify", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"user\", \"content\": \"x\"}]}", "assistant", 400},
        {"/predict", "{\"inputs\": [\"a\", \"b\", \"c\"]}", "pair", 400},
        {"/predict", "{\"input\": \"a\"}", "inputs", 400},
        {"/nowhere", "{}", "route", 404},
    };
    size_t i;
    char *o;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st;
        write_str("build/serve_bad.json", bad[i].body);
        st = http(s, "POST", bad[i].path, "build/serve_bad.json", NULL, "build/serve_e");
        CHECK(st == bad[i].status, "%s %s: status %d, expected %d", bad[i].path, bad[i].body, st, bad[i].status);
        CHECK(error_json("build/serve_e", bad[i].needle), "%s %s: JSON error naming '%s'", bad[i].path, bad[i].body, bad[i].needle);
    }
    /* invalid UTF-8 inside a JSON string */
    write_str("build/serve_bad.json", "{\"prompt\": \"a\xff\xfe\", \"response\": \"b\"}");
    CHECK(http(s, "POST", "/score", "build/serve_bad.json", NULL, "build/serve_e") == 400 && error_json("build/serve_e", "UTF-8"), "invalid UTF-8: 400");
    /* too many tokens: an error, not truncation (--max-tokens 1536) */
    {
        char big[8192];
        size_t n = 0;
        n += (size_t)snprintf(big, sizeof(big), "{\"prompt\": \"Tom had a ball.\", \"response\": \"");
        while (n < 7000) n += (size_t)snprintf(big + n, sizeof(big) - n, " He threw it to his friend.");
        n += (size_t)snprintf(big + n, sizeof(big) - n, "\"}");
        write_file("build/serve_bad.json", big, n);
        CHECK(http(s, "POST", "/score", "build/serve_bad.json", NULL, "build/serve_e") == 413 && error_json("build/serve_e", "exceed"),
              "too many tokens: 413");
    }
    /* bodies over --max-body (65536): declared, and chunked without a length */
    {
        char *big = (char *)malloc(200000);
        memset(big, ' ', 200000);
        big[0] = '[';
        big[199999] = ']';
        write_file("build/serve_big.json", big, 200000);
        free(big);
        CHECK(http(s, "POST", "/score", "build/serve_big.json", NULL, "build/serve_e") == 413 && error_json("build/serve_e", "max-body"), "huge body: 413");
        CHECK(http(s, "POST", "/score", "build/serve_big.json", "-H 'Transfer-Encoding: chunked'", "build/serve_e") == 413 &&
                  error_json("build/serve_e", "max-body"),
              "huge chunked body: 413");
    }
    /* the key: wrong or missing is 401 everywhere but /health */
    {
        char cmd[512], *code;
        snprintf(cmd, sizeof(cmd), "curl -s -o build/serve_e -w '%%{http_code}' -H 'Authorization: Bearer wrong' http://127.0.0.1:%d/metrics > build/serve_e.code", s->port);
        CHECK(system(cmd) == 0, "curl");
        code = slurp("build/serve_e.code");
        CHECK(atoi(code) == 401 && error_json("build/serve_e", "Bearer"), "wrong key: 401 (%s)", code);
        free(code);
        snprintf(cmd, sizeof(cmd), "curl -s -o build/serve_e -w '%%{http_code}' -d '{\"query\":[\"a\"]}' http://127.0.0.1:%d/get_reward > build/serve_e.code", s->port);
        CHECK(system(cmd) == 0, "curl");
        code = slurp("build/serve_e.code");
        CHECK(atoi(code) == 401, "no key: 401 (%s)", code);
        free(code);
        snprintf(cmd, sizeof(cmd), "curl -s -o build/serve_e -w '%%{http_code}' http://127.0.0.1:%d/health > build/serve_e.code", s->port);
        CHECK(system(cmd) == 0, "curl");
        code = slurp("build/serve_e.code");
        CHECK(atoi(code) == 200, "/health needs no key (%s)", code);
        free(code);
    }
    CHECK(http(s, "GET", "/score", NULL, NULL, "build/serve_e") == 405 && error_json("build/serve_e", "POST"), "GET /score: 405");
    /* slow-loris: half a request line, then silence; and a body that never arrives. Others
       are served meanwhile, and the server hangs up on both after --idle-timeout (2 s). */
    {
        int a = dial(s->port), b = dial(s->port);
        const char *ha = "POST /score HTTP/1.1\r\nHost: x\r\nContent-Ty";
        const char *hb = "POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " KEY "\r\nContent-Length: 100\r\n\r\n{\"prompt\":";
        CHECK(a >= 0 && b >= 0, "connect");
        if (a >= 0 && b >= 0) {
            CHECK(send(a, ha, strlen(ha), 0) > 0 && send(b, hb, strlen(hb), 0) > 0, "send");
            CHECK(http(s, "GET", "/health", NULL, NULL, "build/serve_e") == 200, "served while slow clients hang");
            write_str("build/serve_bad.json", "{\"prompt\": \"Tom had a ball.\", \"response\": \" He threw it.\"}");
            CHECK(http(s, "POST", "/score", "build/serve_bad.json", NULL, "build/serve_e") == 200, "scored while slow clients hang");
            CHECK(closed_within(a, 8000), "slow headers: the server hangs up");
            CHECK(closed_within(b, 8000), "a body that never comes: the server hangs up");
        }
        if (a >= 0) close(a);
        if (b >= 0) close(b);
    }
    o = slurp("build/serve_e");
    CHECK(strstr(o, "\"reward\"") != NULL, "the server still scores after the bad requests: %.200s", o);
    free(o);
}

/* Several rows with bad ones among them (not JSON, wrong types, a response or a prompt too
   long for the context): /score answers 200 with rmtool score's own error object for each bad
   row or response, in place, and scores the others: byte for byte the CLI's output. */
static void test_bad_rows(void) {
    const server *s = &g_srv;
    char cmd[1024], longtext[7200], *o, *p;
    size_t n = 0;
    FILE *f = fopen("build/serve_badrows.jsonl", "wb");
    while (n < 7000) n += (size_t)snprintf(longtext + n, sizeof(longtext) - n, " He threw it to his friend.");
    CHECK(f != NULL, "write rows");
    if (!f) return;
    fprintf(f, "{\"prompt\": \"Tom had a ball.\", \"response\": \" He threw it.\"}\n");
    fprintf(f, "{\"prompt\": \"a\", \n");
    fprintf(f, "{\"id\": \"r3\", \"prompt\": 3, \"response\": \"b\"}\n");
    fprintf(f, "{\"id\": 4, \"prompt\": \"Tom had a ball.\", \"chosen\": \" He ran.\", \"rejected\": \"%s\"}\n", longtext);
    fprintf(f, "{\"id\": \"r5\", \"prompt\": \"%s\", \"response\": \" x\"}\n", longtext);
    fprintf(f, "{\"id\": \"r6\", \"prompt\": \"Lily saw a cat.\", \"responses\": [\" She smiled.\", \" It ran away.\"]}\n");
    fclose(f);
    /* the server's context is --max-tokens (1536): the CLI at the same --ctx */
    snprintf(cmd, sizeof(cmd), "./%s/rmtool score " MODELS " --threads 1 --ctx 1536 --input build/serve_badrows.jsonl > build/serve_badrows_ref.jsonl 2> /dev/null",
             build_dir());
    CHECK(system(cmd) != -1, "rmtool score on the rows");
    p = slurp("build/serve_badrows_ref.jsonl");
    CHECK(strstr(p, "invalid JSON") && strstr(p, "\"index\":1,\"id\":4,\"which\":\"rejected\",\"error\"") && strstr(p, "\"id\":\"r5\",\"error\"") &&
              strstr(p, "\"id\":\"r6\""),
          "the reference has the error objects and the good rows:\n%.600s", p);
    CHECK(http(s, "POST", "/score", "build/serve_badrows.jsonl", "-H 'Content-Type: application/x-ndjson'", "build/serve_o5") == 200, "/score JSONL with bad rows: 200");
    o = slurp("build/serve_o5");
    CHECK(strcmp(o, p) == 0, "/score JSONL with bad rows equals rmtool score byte for byte:\n%.600s\nvs\n%.600s", o, p);
    free(o);
    free(p);
    /* only bad rows: each one's error object, still 200 */
    write_str("build/serve_bad.json", "[{\"prompt\": 1}, {\"response\": \"b\"}]");
    CHECK(http(s, "POST", "/score", "build/serve_bad.json", NULL, "build/serve_o6") == 200, "/score array of bad rows: 200");
    o = slurp("build/serve_o6");
    CHECK(strncmp(o, "[{\"line\":1,\"error\":", 19) == 0 && strstr(o, "},{\"line\":2,\"error\":"), "error objects in place: %.300s", o);
    free(o);
}

/* Six clients at once, each posting the rows as JSONL twice: every answer byte for byte the
   reference (workers batch across requests; results must not depend on it). */
static void test_concurrent(void) {
    const server *s = &g_srv;
    char cmd[8192];
    int i, j, same = 0;
    char *ref = slurp("build/serve_ref.jsonl");
    size_t n = 0;
    n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "(");
    for (i = 0; i < 6; i++)
        for (j = 0; j < 2; j++)
            n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
                                  "curl -s -H 'Authorization: Bearer " KEY "' -H 'Content-Type: application/x-ndjson' --data-binary @" ROWS
                                  " 'http://127.0.0.1:%d/score?per_token=1' -o build/serve_c%d_%d & ",
                                  s->port, i, j);
    snprintf(cmd + n, sizeof(cmd) - n, "wait)");
    CHECK(system(cmd) == 0, "concurrent curls");
    for (i = 0; i < 6; i++)
        for (j = 0; j < 2; j++) {
            char p[64], *o;
            snprintf(p, sizeof(p), "build/serve_c%d_%d", i, j);
            o = slurp(p);
            same += strcmp(o, ref) == 0;
            free(o);
        }
    CHECK(same == 12, "%d of 12 concurrent answers equal the reference", same);
    free(ref);
}

/* One worker, a queue of one and a 50 ms timeout: the rows take longer than that (504), and
   of several at once the ones that find the queue full get 503; all as JSON errors. */
static void test_limits(void) {
    server t;
    char cmd[4096];
    int i, n503 = 0, n504 = 0, other = 0;
    if (server_start(&t, "lim", "--threads 1 --max-queue 1 --timeout 0.05 --api-key " KEY) != 0) {
        CHECK(0, "limits server did not start");
        return;
    }
    CHECK(http(&t, "POST", "/score", ROWS, "-H 'Content-Type: application/x-ndjson'", "build/serve_l") == 504 && error_json("build/serve_l", "timeout"),
          "a slow request: 504");
    {
        size_t n = 0;
        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "(");
        for (i = 0; i < 5; i++)
            n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
                                  "curl -s -H 'Authorization: Bearer " KEY "' -H 'Content-Type: application/x-ndjson' --data-binary @" ROWS
                                  " -w '%%{http_code}' http://127.0.0.1:%d/score -o build/serve_q%d > build/serve_q%d.code & ",
                                  t.port, i, i);
        snprintf(cmd + n, sizeof(cmd) - n, "wait)");
    }
    CHECK(system(cmd) == 0, "curls");
    for (i = 0; i < 5; i++) {
        char p[64], *code;
        snprintf(p, sizeof(p), "build/serve_q%d.code", i);
        code = slurp(p);
        snprintf(p, sizeof(p), "build/serve_q%d", i);
        if (atoi(code) == 503 && error_json(p, "queue")) n503++;
        else if (atoi(code) == 504 && error_json(p, "timeout")) n504++;
        else other++;
        free(code);
    }
    CHECK(n503 >= 1 && other == 0, "five at once on a queue of one: %d full (503), %d timed out (504), %d other", n503, n504, other);
    CHECK(server_stop(&t) == 0, "limits server exits 0");
}

/* --host: an IPv6 address is listened on (where this machine has IPv6 loopback: a container
   without it must say so), anything else that is not an address is refused by name. */
static void test_host(void) {
    char cmd[1024], *o;
    int rc;
    snprintf(cmd, sizeof(cmd),
             "./%s/rmtool serve " MODELS " --host ::1 --port 0 --port-file build/serve_v6.port > build/serve_v6.log 2>&1 & pid=$!; "
             "for i in $(seq 100); do [ -s build/serve_v6.port ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done; "
             "if [ -s build/serve_v6.port ]; then curl -s -g \"http://[::1]:$(cat build/serve_v6.port)/health\" > build/serve_v6.out; kill $pid; wait $pid; "
             "else wait $pid; echo dead > build/serve_v6.out; fi",
             build_dir());
    remove("build/serve_v6.port");
    CHECK(system(cmd) != -1, "serve --host ::1");
    o = slurp("build/serve_v6.out");
    if (strncmp(o, "dead", 4) == 0) {
        char *log = slurp("build/serve_v6.log");
        CHECK(strstr(log, "cannot listen on [::1]") != NULL, "--host ::1 without IPv6 loopback: a clear error: %.300s", log);
        printf("  note: no IPv6 loopback here; --host ::1 refused with: %.120s\n", log);
        free(log);
    } else {
        CHECK(strstr(o, "\"ok\"") != NULL, "/health over [::1]: %.200s", o);
    }
    free(o);
    snprintf(cmd, sizeof(cmd), "./%s/rmtool serve " MODELS " --host 1:2:zz --port 0 > build/serve_v6.log 2>&1", build_dir());
    rc = system(cmd);
    o = slurp("build/serve_v6.log");
    CHECK(rc != 0 && strstr(o, "IPv4 or IPv6 address, not '1:2:zz'"), "a bad --host is refused by name: %.200s", o);
    free(o);
}

/* SIGTERM during a request: it is answered in full, then the server exits 0. */
static void test_shutdown(void) {
    server *s = &g_srv;
    char cmd[2048], *o, *ref = slurp("build/serve_ref.jsonl");
    int rc;
    snprintf(cmd, sizeof(cmd),
             "curl -s -H 'Authorization: Bearer " KEY "' -H 'Content-Type: application/x-ndjson' --data-binary @" ROWS
             " 'http://127.0.0.1:%d/score?per_token=1' -o build/serve_last > /dev/null 2>&1 & echo $! > build/serve_curl.pid",
             s->port);
    CHECK(system(cmd) == 0, "curl in the background");
    sleep_ms(100);
    rc = server_stop(s);
    CHECK(rc == 0, "exit status %d after SIGTERM", rc);
    CHECK(system("while kill -0 $(cat build/serve_curl.pid) 2>/dev/null; do sleep 0.1; done") == 0, "wait for curl");
    o = slurp("build/serve_last");
    CHECK(strcmp(o, ref) == 0, "the request in flight at SIGTERM got its whole answer (%zu of %zu bytes)", strlen(o), strlen(ref));
    free(o);
    free(ref);
    o = slurp("build/serve_main.log");
    CHECK(strstr(o, "ThreadSanitizer") == NULL && strstr(o, "AddressSanitizer") == NULL, "server log clean:\n%.2000s", o);
    free(o);
}

int main(void) {
    char cmd[512], *o;
    size_t i;
    rm_scorer_desc d;
    snprintf(cmd, sizeof(cmd), "./%s/rmtool serve --help > build/serve_help.txt 2>&1", build_dir());
    CHECK(system(cmd) == 0, "serve --help exits 0");
    o = slurp("build/serve_help.txt");
    if (strstr(o, "no HTTP library") || system("curl --version > /dev/null 2>&1") != 0) {
        printf("skipped: %s (apt-get install libmicrohttpd-dev curl, then rebuild)\n", strstr(o, "no HTTP library") ? "rmtool was built without libmicrohttpd" : "no curl");
        free(o);
        return rmt_summary("test_serve");
    }
    CHECK(strstr(o, "/get_reward") != NULL, "help lists the routes");
    free(o);
    memset(&d, 0, sizeof(d));
    CHECK(rm_model_open("models/stories260K-policy.gguf", &g_pol) == RM_OK && rm_model_open("models/stories260K.gguf", &g_ref) == RM_OK, "models");
    d.model = g_pol, d.ref = g_ref, d.mode = RM_MODE_IMPLICIT, d.beta = 0.1, d.chat_template = RM_CHAT_NONE, d.n_threads = 1;
    CHECK(rm_scorer_new(&d, &g_sc) == RM_OK, "scorer");
    g_refs = ref_lines(&g_nref);
    CHECK(g_nref >= 10, "reference lines: %zu", g_nref);
    if (server_start(&g_srv, "main", "--threads 2 --max-tokens 1536 --max-body 65536 --idle-timeout 2 --timeout 900 --api-key " KEY) != 0) {
        CHECK(0, "the server did not start");
    } else {
        RUN(test_routes);
        RUN(test_bad_requests);
        RUN(test_bad_rows);
        RUN(test_concurrent);
        RUN(test_shutdown);
    }
    RUN(test_limits);
    RUN(test_host);
    for (i = 0; i < g_nref; i++) rmj_free(g_refs[i]);
    free(g_refs);
    rm_scorer_free(g_sc);
    rm_model_close(g_pol);
    rm_model_close(g_ref);
    return rmt_summary("test_serve");
}
