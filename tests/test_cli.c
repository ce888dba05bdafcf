/* build/rmtool end to end: exit codes, one-line errors, JSON fields against the fixtures'
   references, JSONL batches with bad lines, the three preference formats, and fit-head
   recovering a linear preference. */
#define RM_IMPLEMENTATION
#include "rm.h"
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"

#define OUT "build/cli_out.txt"
#define ERR "build/cli_err.txt"

/* Runs rmtool (of the build being tested: $BUILD, as tests/run.sh sets it) with args,
   stdout/stderr to files; returns the exit status. */
static int rmtool(const char *args) {
    char cmd[8192];
    int rc;
    const char *b = getenv("BUILD");
    snprintf(cmd, sizeof(cmd), "%s ./%s/rmtool %s > " OUT " 2> " ERR, rmt_exec(), b ? b : "build", args);
    rc = system(cmd);
    return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

static char *slurp(const char *p) {
    char *s = rmt_read_file(p, NULL);
    return s ? s : (char *)calloc(1, 1);
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static void test_info_and_errors(void) {
    char *o, *e;
    CHECK(rmtool("info tests/data/models/tiny-gemma2.gguf") == 0, "info exit");
    o = slurp(OUT);
    CHECK(strstr(o, "gemma2") != NULL, "names the architecture: %s", o);
    free(o);
    CHECK(rmtool("info --json tests/data/models/tiny-qwen2-rm.gguf") == 0, "info --json");
    o = slurp(OUT);
    {
        rmj_error je;
        rmj_doc *d = rmj_parse(o, strlen(o), &je);
        const rmj_value *r = rmj_root(d);
        CHECK(d != NULL, "info --json is JSON: %s", o);
        CHECK(rmj_str_eq(rmj_get(r, "architecture"), "qwen2") && rmj_num(rmj_get(r, "n_embd")) == 256 &&
              rmj_num(rmj_get(r, "reward_head_outputs")) == 1 && rmj_num(rmj_get(r, "n_tensors")) == 28,
              "fields: %s", o);
        CHECK(rmj_num(rmj_get(rmj_get(rmj_get(r, "types"), "F32"), "tensors")) == 28, "bytes per type");
        rmj_free(d);
    }
    free(o);
    /* bad inputs: status 1 and exactly one line "error: ..." */
    {
        static const char *bad[] = {"info tests/data/README-fixtures.md", "info tests/data/no-such.gguf", "info",
                                    "score --model tests/data/models/stories260K.gguf --mode explicit --prompt a --response b",
                                    "score --model tests/data/models/stories260K.gguf --mode implicit --prompt a --response b",
                                    "score --model tests/data/models/stories260K.gguf --ref tests/data/models/tiny-qwen2.gguf --mode implicit --prompt a --response b --bogus",
                                    "score --model tests/data/models/stories260K.gguf --ref-free sum --mode implicit --template nosuch --prompt a --response b",
                                    "score --model tests/data/models/tiny-llama-rm.gguf --mode explicit --prompt a --response b --precision f64",
                                    "frobnicate"};
        size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            int rc = rmtool(bad[i]);
            e = slurp(ERR);
            CHECK(rc == 1, "'%s' exits %d", bad[i], rc);
            CHECK(strncmp(e, "error: ", 7) == 0, "'%s' stderr: %s", bad[i], e);
            free(e);
        }
    }
}

/* The stories260K IM pair of the fixtures through the command line (template none = raw text,
   as the references were computed). */
static void test_score_json_matches_reference(void) {
    size_t n;
    char *ref = rmt_read_file("tests/data/ref/im_rm__stories260K-policy__vs__stories260K.json", &n), *o, args[4096];
    rmj_error je;
    rmj_doc *rd = rmj_parse(ref, n, &je), *od;
    const rmj_value *c = rmj_at(rmj_get(rmj_root(rd), "cases"), 0), *r;
    size_t i;
    snprintf(args, sizeof(args),
             "score --model models/stories260K-policy.gguf --ref models/stories260K.gguf --mode implicit --beta 0.1 --template none "
             "--prompt '%s' --response '%s' --per-token --hidden --json",
             rmj_str(rmj_get(c, "prompt"), NULL), rmj_str(rmj_get(c, "response"), NULL));
    CHECK(rmtool(args) == 0, "score exit");
    o = slurp(OUT);
    od = rmj_parse(o, strlen(o), &je);
    r = rmj_root(od);
    CHECK(od != NULL, "JSON out: %s", o);
    CHECK(fabs(rmj_num(rmj_get(r, "reward")) - rmj_num(rmj_get(rmj_get(c, "exact_im_reward"), "beta=0.1"))) < 2e-4, "reward");
    CHECK(rmj_len(rmj_get(r, "prompt_ids")) == rmj_len(rmj_get(c, "prompt_tokens")), "prompt_ids");
    for (i = 0; i < rmj_len(rmj_get(c, "prompt_tokens")); i++)
        CHECK(rmj_num(rmj_at(rmj_get(r, "prompt_ids"), i)) == rmj_num(rmj_at(rmj_get(c, "prompt_tokens"), i)), "prompt id %zu", i);
    for (i = 0; i < rmj_len(rmj_get(c, "response_tokens")); i++) {
        CHECK(rmj_num(rmj_at(rmj_get(r, "response_ids"), i)) == rmj_num(rmj_at(rmj_get(c, "response_tokens"), i)), "response id %zu", i);
        CHECK(fabs(rmj_num(rmj_at(rmj_get(r, "logprobs"), i)) - rmj_num(rmj_at(rmj_get(c, "exact_policy_logprobs"), i))) < 5e-4, "logprob %zu", i);
        CHECK(fabs(rmj_num(rmj_at(rmj_get(r, "ref_logprobs"), i)) - rmj_num(rmj_at(rmj_get(c, "exact_reference_logprobs"), i))) < 5e-4, "ref %zu", i);
    }
    CHECK(rmj_len(rmj_get(r, "contributions")) == rmj_len(rmj_get(c, "response_tokens")), "contributions");
    CHECK(rmj_len(rmj_get(r, "last_hidden")) == 64, "last_hidden has n_embd values");
    rmj_free(od);
    free(o);
    rmj_free(rd);
    free(ref);
}

/* --precision reaches the scorer: on an F16 reward model, f32 reproduces the exact reward of
   the fixture within 1e-4 and bf16 within the bound of tests/test_score.c, and they differ. */
static void test_score_precision_flag(void) {
    size_t n;
    char *ref = rmt_read_file("tests/data/ref/tiny-llama-rm.json", &n), *o, args[4096];
    rmj_error je;
    rmj_doc *rd = rmj_parse(ref, n, &je), *od;
    const rmj_value *root = rmj_root(rd), *c = rmj_at(rmj_get(root, "cases"), 0);
    const double exact = rmj_num(rmj_get(c, "exact_ex_reward"));
    const double bound16 = 1.25 * 16 * rmj_num(rmj_get(rmj_get(root, "llamacpp_vs_exact"), "max_abs_dex"));
    double r[2] = {0, 0};
    int k;
    CHECK(rd != NULL, "reference");
    for (k = 0; k < 2 && rd; k++) {
        snprintf(args, sizeof(args),
                 "score --model tests/data/models/tiny-llama-rm.gguf --mode explicit --template none --split none "
                 "--prompt '%s' --response '%s' --json --precision %s",
                 rmj_str(rmj_get(c, "prompt"), NULL), rmj_str(rmj_get(c, "response"), NULL), k ? "bf16" : "f32");
        CHECK(rmtool(args) == 0, "score --precision %s", k ? "bf16" : "f32");
        o = slurp(OUT);
        od = rmj_parse(o, strlen(o), &je);
        CHECK(od != NULL, "JSON out: %s", o);
        r[k] = rmj_num(rmj_get(rmj_root(od), "reward"));
        rmj_free(od);
        free(o);
    }
    CHECK(fabs(r[0] - exact) <= 1e-4, "f32: %.9g vs exact %.9g", r[0], exact);
    CHECK(fabs(r[1] - exact) <= bound16, "bf16: %.9g vs exact %.9g (bound %.3g)", r[1], exact, bound16);
    CHECK(r[0] != r[1], "the two precisions gave the same reward %.9g", r[0]);
    rmj_free(rd);
    free(ref);
}

/* A JSONL batch: good lines are scored, each bad one is reported with its number, exit 1. */
static void test_score_jsonl_keeps_going(void) {
    FILE *f = fopen("build/cli_in.jsonl", "wb");
    char *o, *e;
    fprintf(f, "{\"prompt\": \"Once upon a time\", \"response\": \" there was a cat.\", \"id\": \"a\"}\n");
    fprintf(f, "{\"prompt\": \"Once upon a time\", \"response\": \n");
    fprintf(f, "{\"prompt\": \"Lily saw a dog\", \"responses\": [\" It was big.\", \" It ran away.\", \" She smiled.\"]}\n");
    fprintf(f, "{\"prompt\": \"Tom had a ball\", \"response\": \"\"}\n");
    fprintf(f, "[1, 2]\n");
    fprintf(f, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"response\": \" Hello there.\"}\n");
    fclose(f);
    CHECK(rmtool("score --model models/stories260K-policy.gguf --ref models/stories260K.gguf --mode implicit --input build/cli_in.jsonl") == 1,
          "exit status says some failed");
    o = slurp(OUT);
    e = slurp(ERR);
    CHECK(count_lines(o) == 8, "1 + 3 + 1 results and 3 error records: %s", o);
    CHECK(strstr(e, ":2:") && strstr(e, ":4:") && strstr(e, ":5:"), "line numbers of the bad lines: %s", e);
    CHECK(!strstr(e, ":1:") && !strstr(e, ":3:") && !strstr(e, ":6:"), "good lines not reported: %s", e);
    CHECK(strstr(o, "\"id\":\"a\"") != NULL, "id carried through");
    CHECK(strstr(o, "\"line\":3,\"index\":2") != NULL, "third response of line 3");
    free(o);
    free(e);
}

/* The three input formats are recognised per row. */
static void test_eval_formats(void) {
    static const char *files[] = {"ultrafeedback-test-12", "hh-rlhf-helpful-base-12", "orca_dpo_pairs-12"};
    size_t i;
    for (i = 0; i < 3; i++) {
        char args[1024], *o;
        rmj_error je;
        rmj_doc *d;
        snprintf(args, sizeof(args),
                 "eval --input tests/data/prefs/%s.jsonl --model tests/data/models/tiny-qwen2.gguf --head tests/data/models/tiny-qwen2-rm.gguf --ref tests/data/models/tiny-qwen2-q8_0.gguf "
                 "--mode both --ctx 8192 --json", files[i]);
        CHECK(rmtool(args) == 0, "%s: exit (stderr in " ERR ")", files[i]);
        o = slurp(OUT);
        d = rmj_parse(o, strlen(o), &je);
        CHECK(d && rmj_num(rmj_get(rmj_root(d), "pairs")) == 12, "%s: 12 pairs: %s", files[i], o);
        CHECK(d && rmj_len(rmj_get(rmj_root(d), "results")) == 2, "%s: explicit and implicit rows", files[i]);
        rmj_free(d);
        free(o);
    }
}

/* fit-head on pairs whose preference is a linear function of the hidden state recovers it. */
static void test_fit_head_recovers_linear_preference(void) {
    static const char *words[] = {"the", "cat", "dog", "ran", "big", "red", "ball", "Lily", "Tom", "happy", "sad", "park",
                                  "sun", "tree", "jumped", "saw", "friend", "mom", "toy", "little"};
    rm_model *m;
    rm_scorer *s;
    rm_scorer_desc d;
    float wstar[64];
    FILE *f;
    int i, j, k;
    uint64_t st = 12345;
    char *o;
    double acc = 0;
    CHECK(rm_model_open("models/stories260K.gguf", &m) == RM_OK, "open");
    memset(&d, 0, sizeof(d));
    d.model = m;
    d.mode = RM_MODE_HIDDEN;
    CHECK(rm_scorer_new(&d, &s) == RM_OK, "hidden scorer: %s", rm_scorer_error(s));
    for (i = 0; i < 64; i++) {
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        wstar[i] = (float)((double)(st % 2001) / 1000.0 - 1.0);
    }
    f = fopen("build/cli_fit.jsonl", "wb");
    for (i = 0; i < 400; i++) {
        char a[256], b[256];
        rm_str r[2];
        rm_score sc[2];
        double ra = 0, rb = 0;
        a[0] = b[0] = 0;
        for (k = 0; k < 2; k++) {
            char *t = k ? b : a;
            int nw = 3 + (int)(st % 5);
            for (j = 0; j < nw; j++) {
                st ^= st << 13; st ^= st >> 7; st ^= st << 17;
                strcat(t, " ");
                strcat(t, words[st % 20]);
            }
            strcat(t, ".");
        }
        r[0].ptr = a; r[0].len = strlen(a);
        r[1].ptr = b; r[1].len = strlen(b);
        CHECK(rm_score_text(s, "Once upon a time", 16, r, 2, sc) == RM_OK, "hidden: %s", rm_scorer_error(s));
        for (j = 0; j < 64; j++) {
            ra += wstar[j] * sc[0].last_hidden[j];
            rb += wstar[j] * sc[1].last_hidden[j];
        }
        if (fabs(ra - rb) < 1e-3) continue;
        fprintf(f, "{\"prompt\": \"Once upon a time\", \"chosen\": \"%s\", \"rejected\": \"%s\"}\n", ra > rb ? a : b, ra > rb ? b : a);
    }
    fclose(f);
    rm_scorer_free(s);
    rm_model_close(m);
    CHECK(rmtool("fit-head --model models/stories260K.gguf --template none --input build/cli_fit.jsonl -o build/cli_head.gguf --holdout 0.25 --iters 400") == 0,
          "fit-head exit");
    o = slurp(OUT);
    {
        const char *p = strstr(o, "held-out accuracy: ");
        if (p) acc = atof(p + 19);
        CHECK(acc >= 0.95, "held-out accuracy %.3f: %s", acc, o);
        printf("  fit-head: held-out accuracy %.3f\n", acc);
    }
    free(o);
    /* the head file scores through --head in eval */
    CHECK(rmtool("eval --input build/cli_fit.jsonl --model models/stories260K.gguf --head build/cli_head.gguf --mode explicit --template none --json") == 0,
          "eval with the head");
    o = slurp(OUT);
    {
        rmj_error je;
        rmj_doc *dd = rmj_parse(o, strlen(o), &je);
        double a2 = rmj_num(rmj_get(rmj_at(rmj_get(rmj_root(dd), "results"), 0), "accuracy"));
        CHECK(a2 >= 0.95, "accuracy over all pairs with the saved head %.3f", a2);
        rmj_free(dd);
    }
    free(o);
}


/* rmtool tokenize prints llama.cpp's ids (the first llama-spm case, with BOS) */
static void test_tokenize_command(void) {
    char *o;
    CHECK(rmtool("tokenize --model build/vocab/ggml-vocab-llama-spm.gguf --text 'Hello world'") == 0, "exit");
    o = slurp(OUT);
    CHECK(strcmp(o, "1 15043 3186\n") == 0, "ids: %s", o);
    free(o);
    CHECK(rmtool("tokenize --model build/vocab/ggml-vocab-llama-spm.gguf --no-bos --text 'Hello world'") == 0, "exit");
    o = slurp(OUT);
    CHECK(strcmp(o, "15043 3186\n") == 0, "ids without BOS: %s", o);
    free(o);
    CHECK(rmtool("tokenize --model build/vocab/ggml-vocab-qwen3.gguf --special --text '<|im_start|>user'") == 0, "exit");
    o = slurp(OUT);
    CHECK(strcmp(o, "151644 872\n") == 0, "special token parsed: %s", o);
    free(o);
}

/* Ctrl-C in the middle of a batch: every line written so far is complete JSON, the tool says
   it was interrupted and exits 1. */
static void test_score_interrupted_flushes(void) {
    FILE *f = fopen("build/cli_long.jsonl", "wb");
    char cmd[1024], *o, *e, *line;
    const char *b = getenv("BUILD");
    int i, n = 0, rc;
    for (i = 0; i < 3000; i++)
        fprintf(f, "{\"prompt\": \"Once upon a time there was a little dog named Max who liked to run.\", \"responses\": [\" He ran to the park.\", \" He saw a cat.\"]}\n");
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "sh -c '%s ./%s/rmtool score --model models/stories260K-policy.gguf --ref models/stories260K.gguf --mode implicit "
             "--input build/cli_long.jsonl > " OUT " 2> " ERR " & p=$!; sleep 1; kill -INT $p; wait $p'",
             rmt_exec(), b ? b : "build");
    rc = system(cmd);
    rc = rc == -1 ? -1 : (rc >> 8) & 0xff;
    o = slurp(OUT);
    e = slurp(ERR);
    CHECK(rc == 130, "exit status %d after SIGINT (130 as shells expect)", rc);
    CHECK(strstr(e, "interrupted") != NULL, "says interrupted: %s", e);
    for (line = o; *line; n++) {
        char *end = strchr(line, '\n');
        rmj_error je;
        rmj_doc *d;
        CHECK(end != NULL, "last line incomplete");
        if (!end) break;
        d = rmj_parse(line, (size_t)(end - line), &je);
        CHECK(d != NULL, "line %d is not JSON", n + 1);
        rmj_free(d);
        line = end + 1;
    }
    CHECK(n > 0 && n < 6000, "%d lines written before the interrupt", n);
    {
        /* the count it gives is the count written */
        const char *p = strstr(e, "their ");
        CHECK(p && atoi(p + 6) == n, "says %d result lines, %d written: %s", p ? atoi(p + 6) : -1, n, e);
    }
    free(o);
    free(e);
}


#define STORIES "--model models/stories260K-policy.gguf --ref models/stories260K.gguf --template none"

/* --help/-h for every command (stdout, 0), top-level help made of the same synopses,
   --version, --opt=value, and options the chosen mode would ignore. */
static void test_help_and_conventions(void) {
    static const char *cmds[] = {"info", "tokenize", "score", "eval", "fit-head", "synth", "bench"};
    char args[512], *top, *o, *e;
    size_t i;
    CHECK(rmtool("--help") == 0, "rmtool --help");
    top = slurp(OUT);
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *nl, want[2048];
        int k;
        for (k = 0; k < 2; k++) {
            snprintf(args, sizeof(args), "%s %s", cmds[i], k ? "-h" : "--help");
            CHECK(rmtool(args) == 0, "'%s' exits 0", args);
            o = slurp(OUT);
            snprintf(want, sizeof(want), "usage: rmtool %s ", cmds[i]);
            CHECK(strncmp(o, want, strlen(want)) == 0, "'%s' prints its usage on stdout: %.80s", args, o);
            /* the synopsis in the top-level help is the command's own first line */
            nl = strchr(o, '\n');
            if (nl) {
                snprintf(want, sizeof(want), "    %.*s\n", (int)(nl - o - 14), o + 14);
                CHECK(strstr(top, want) != NULL, "top-level help carries %s's synopsis %s", cmds[i], want);
            }
            free(o);
        }
    }
    CHECK(strstr(top, "[--mode prefill|explicit|implicit|shared]") && strstr(top, "[--mode explicit|implicit|both]") &&
              strstr(top, "[--threads T]") && strstr(top, "[--tokens N]"),
          "optional flags shown in brackets: %s", top);
    free(top);
    CHECK(rmtool("--version") == 0, "--version");
    o = slurp(OUT);
    CHECK(strncmp(o, "rmtool ", 7) == 0 && strstr(o, "rm.h"), "version: %s", o);
    free(o);
    /* --opt=value is --opt value */
    CHECK(rmtool("tokenize --model=build/vocab/ggml-vocab-llama-spm.gguf --text='Hello world'") == 0, "--opt=value");
    o = slurp(OUT);
    CHECK(strcmp(o, "1 15043 3186\n") == 0, "ids with --opt=value: %s", o);
    free(o);
    /* errors: one line, status 1 */
    {
        static const char *bad[][2] = {
            {"eval " STORIES " --input examples/data/story-prefs.jsonl --input examples/data/story-prefs.jsonl", "given twice"},
            {"score " STORIES " --mode implicit --prompt a --response b --hidden", "--hidden needs --json"},
            {"score " STORIES " --ref-free sum --prompt a --response b", "exclude each other"},
            {"score " STORIES " --json=yes --prompt a --response b", "takes no value"},
            {"score --model tests/data/no/such.gguf --prompt a --response b", "No such file or directory"},
            {"bench --model models/stories260K.gguf --mode fast", "--mode must be"},
            {"info build", "is a directory"}};
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            int rc = rmtool(bad[i][0]);
            e = slurp(ERR);
            CHECK(rc == 1 && strncmp(e, "error: ", 7) == 0 && count_lines(e) == 1 && strstr(e, bad[i][1]), "'%s': %d %s", bad[i][0], rc, e);
            free(e);
        }
    }
    /* unused in the chosen mode: a warning, and the run goes on */
    CHECK(rmtool("score " STORIES " --mode implicit --head models/stories260K-head.gguf --prompt a --response ' b'") == 0, "--head in implicit");
    e = slurp(ERR);
    CHECK(strstr(e, "warning: --head is not used in implicit mode") != NULL, "warns: %s", e);
    free(e);
    CHECK(rmtool("score " STORIES " --mode explicit --head models/stories260K-head.gguf --prompt a --response ' b'") == 0, "--ref in explicit");
    e = slurp(ERR);
    CHECK(strstr(e, "warning: --ref is not used in explicit mode") != NULL, "warns: %s", e);
    free(e);
    /* a context past the trained one: said, naming the key */
    CHECK(rmtool("score " STORIES " --mode implicit --ctx 4096 --prompt a --response ' b'") == 0, "--ctx 4096");
    e = slurp(ERR);
    CHECK(strstr(e, "warning:") && strstr(e, "llama.context_length") && strstr(e, "2048"), "warns about the trained context: %s", e);
    free(e);
}

/* max_length in the library: the result equals scoring the pair truncated by hand (BOS, then
   the prompt's newest tokens; the response's first tokens), with the counts reported. */
static void test_max_length_library(void) {
    rm_model *pol = NULL, *ref = NULL;
    rm_scorer *s0, *s1;
    rm_scorer_desc d;
    int32_t prompt[30], r0[12], r1[40], tp[30];
    const int32_t *rs[2];
    int64_t nr[2], i;
    rm_score a[2], b[2];
    CHECK(rm_model_open("models/stories260K-policy.gguf", &pol) == RM_OK && rm_model_open("models/stories260K.gguf", &ref) == RM_OK, "open");
    memset(&d, 0, sizeof(d));
    d.model = pol, d.ref = ref, d.mode = RM_MODE_IMPLICIT;
    CHECK(rm_scorer_new(&d, &s0) == RM_OK, "plain scorer");
    d.max_length = 32;
    CHECK(rm_scorer_new(&d, &s1) == RM_OK, "scorer with max_length: %s", rm_scorer_error(s1));
    prompt[0] = 1; /* BOS */
    for (i = 1; i < 30; i++) prompt[i] = (int32_t)(260 + i * 7 % 200);
    for (i = 0; i < 12; i++) r0[i] = (int32_t)(300 + i * 13 % 150);
    for (i = 0; i < 40; i++) r1[i] = (int32_t)(270 + i * 11 % 180);
    /* one response of 12: 30 + 12 > 32, the prompt keeps BOS + its last 19 tokens */
    rs[0] = r0, nr[0] = 12;
    CHECK(rm_score_ids(s1, prompt, 30, rs, nr, 1, a) == RM_OK, "truncated: %s", rm_scorer_error(s1));
    tp[0] = 1;
    memcpy(tp + 1, prompt + 11, 19 * sizeof(int32_t));
    CHECK(rm_score_ids(s0, tp, 20, rs, nr, 1, b) == RM_OK, "by hand");
    CHECK(a[0].truncated == 1 && a[0].n_prompt_cut == 10 && a[0].n_response_cut == 0 && a[0].n_prompt == 20, "counts %d %lld %lld %lld",
          a[0].truncated, (long long)a[0].n_prompt_cut, (long long)a[0].n_response_cut, (long long)a[0].n_prompt);
    CHECK(a[0].reward == b[0].reward && a[0].prompt_ids[0] == 1 && a[0].prompt_ids[1] == prompt[11], "reward %.9g vs %.9g", a[0].reward, b[0].reward);
    /* two responses, one of 40 (longer than max_length): the prompt goes down to BOS + its last
       token for both, and the long one keeps its first 30 tokens */
    rs[1] = r1, nr[1] = 40;
    CHECK(rm_score_ids(s1, prompt, 30, rs, nr, 2, a) == RM_OK, "two: %s", rm_scorer_error(s1));
    tp[1] = prompt[29];
    nr[1] = 30;
    CHECK(rm_score_ids(s0, tp, 2, rs, nr, 2, b) == RM_OK, "by hand");
    CHECK(a[0].n_prompt == 2 && a[0].n_prompt_cut == 28 && a[0].n_response_cut == 0 && a[1].n_response_cut == 10 && a[1].n_response == 30,
          "counts %lld %lld %lld %lld", (long long)a[0].n_prompt, (long long)a[0].n_prompt_cut, (long long)a[1].n_response_cut,
          (long long)a[1].n_response);
    CHECK(fabs(a[0].reward - b[0].reward) < 1e-12 && fabs(a[1].reward - b[1].reward) < 1e-12, "rewards %.9g %.9g vs %.9g %.9g", a[0].reward,
          a[1].reward, b[0].reward, b[1].reward);
    /* within the limit nothing changes */
    nr[0] = 12;
    CHECK(rm_score_ids(s1, prompt, 20, rs, nr, 1, a) == RM_OK && !a[0].truncated && a[0].n_prompt == 20, "fits: untouched");
    /* without a limit a pair past the context is an error that names the remedy */
    {
        rm_scorer *s2;
        int32_t big[64];
        const int32_t *rb = big;
        int64_t nb = 40;
        for (i = 0; i < 64; i++) big[i] = 300;
        d.max_length = 0;
        d.n_ctx = 48;
        CHECK(rm_scorer_new(&d, &s2) == RM_OK, "small context");
        CHECK(rm_score_ids(s2, prompt, 30, &rb, &nb, 1, a) == RM_ERR_CONTEXT && strstr(rm_scorer_error(s2), "max_length"), "%s",
              rm_scorer_error(s2));
        rm_scorer_free(s2);
        d.max_length = 64;
        CHECK(rm_scorer_new(&d, &s2) == RM_ERR_INVALID_ARG, "max_length past n_ctx refused");
        rm_scorer_free(s2);
        d.n_ctx = 0;
        d.max_length = 3;
        CHECK(rm_scorer_new(&d, &s2) == RM_ERR_INVALID_ARG, "max_length 3 refused");
        rm_scorer_free(s2);
    }
    rm_scorer_free(s0);
    rm_scorer_free(s1);
    rm_model_close(pol);
    rm_model_close(ref);
}

/* The zero rule: a zeroed desc asks for the model's own template (AUTO is 0), NONE is named. */
static void test_zero_desc_template(void) {
    rm_model *m;
    rm_scorer *s;
    rm_scorer_desc d;
    size_t n;
    CHECK(RM_CHAT_AUTO == 0 && strcmp(rm_chat_template_name(0), "auto") == 0 && rm_chat_template_from_name("auto") == RM_CHAT_AUTO,
          "AUTO is 0 and named auto");
    CHECK(rm_chat_render(RM_CHAT_AUTO, NULL, 0, 0, NULL, NULL, NULL, 0, &n) == RM_ERR_INVALID_ARG, "AUTO renders nothing");
    CHECK(rm_model_open("models/stories260K.gguf", &m) == RM_OK, "open");
    memset(&d, 0, sizeof(d));
    d.model = m, d.mode = RM_MODE_HIDDEN;
    d.chat_template = RM_CHAT_CHATML;
    CHECK(rm_scorer_new(&d, &s) == RM_OK && rm_scorer_template(s) == RM_CHAT_CHATML, "named template");
    rm_scorer_free(s);
    d.chat_template = 0; /* the file has no template: auto resolves to none */
    CHECK(rm_scorer_new(&d, &s) == RM_OK && rm_scorer_template(s) == RM_CHAT_NONE, "zero: auto, none for a file without one");
    rm_scorer_free(s);
    d.chat_template = -1; /* 0.2's RM_CHAT_AUTO */
    CHECK(rm_scorer_new(&d, &s) == RM_OK && rm_scorer_template(s) == RM_CHAT_NONE, "-1 still auto");
    rm_scorer_free(s);
    rm_model_close(m);
}

/* Long rows through the CLI: counts in the table and the JSON, truncated fields per row, and one
   overlong response of a responses list failing alone. */
static void test_long_inputs_cli(void) {
    FILE *f = fopen("build/cli_longrows.jsonl", "wb");
    char *o, *e, longtext[4000];
    int i;
    rmj_error je;
    rmj_doc *d;
    longtext[0] = 0;
    for (i = 0; i < 60; i++) strcat(longtext, " the little dog ran to the big park");
    fprintf(f, "{\"id\":\"short\",\"prompt\":\"Once upon a time\",\"chosen\":\" there was a cat.\",\"rejected\":\" cat a was.\"}\n");
    fprintf(f, "{\"id\":\"long\",\"prompt\":\"Once upon a time%s\",\"chosen\":\" there was a cat.\",\"rejected\":\" cat a was.\"}\n", longtext);
    fclose(f);
    /* without a limit, in a 128-token context, the long row fails, the short one is scored */
    CHECK(rmtool("eval " STORIES " --mode implicit --ctx 128 --input build/cli_longrows.jsonl --json --scores build/cli_scores.jsonl") == 1,
          "a failed row: exit 1");
    o = slurp(OUT);
    d = rmj_parse(o, strlen(o), &je);
    CHECK(d && rmj_num(rmj_get(rmj_root(d), "pairs")) == 1 && rmj_num(rmj_get(rmj_root(d), "failed")) == 1 &&
              rmj_num(rmj_get(rmj_root(d), "truncated")) == 0 && rmj_num(rmj_get(rmj_at(rmj_get(rmj_root(d), "results"), 0), "n")) == 1,
          "pairs 1 = n 1, failed 1: %s", o);
    rmj_free(d);
    free(o);
    o = slurp("build/cli_scores.jsonl");
    CHECK(strstr(o, "\"line\":2,\"id\":\"long\",\"error\":") != NULL && strstr(o, "\"id\":\"short\",\"truncated\":false") &&
              strstr(o, "\"im_correct\":"),
          "--scores rows: %s", o);
    free(o);
    /* --max-length 100: both scored, the long one truncated */
    CHECK(rmtool("eval " STORIES " --mode implicit --max-length 100 --input build/cli_longrows.jsonl --json") == 0, "truncated: exit 0");
    o = slurp(OUT);
    d = rmj_parse(o, strlen(o), &je);
    CHECK(d && rmj_num(rmj_get(rmj_root(d), "pairs")) == 2 && rmj_num(rmj_get(rmj_root(d), "failed")) == 0 &&
              rmj_num(rmj_get(rmj_root(d), "truncated")) == 1,
          "pairs 2, truncated 1: %s", o);
    rmj_free(d);
    free(o);
    CHECK(rmtool("eval " STORIES " --mode implicit --max-length 100 --input build/cli_longrows.jsonl") == 0, "table");
    o = slurp(OUT);
    CHECK(strstr(o, "pairs scored 2, failed 0, truncated 1") != NULL, "table counts: %s", o);
    free(o);
    /* score reads preference rows: both responses, each saying which it is, the truncated one
       saying so */
    CHECK(rmtool("score " STORIES " --mode implicit --max-length 100 --input build/cli_longrows.jsonl") == 0, "score pairs");
    o = slurp(OUT);
    e = slurp(ERR);
    CHECK(count_lines(o) == 4 && strstr(o, "\"line\":1,\"index\":0,\"id\":\"short\",\"which\":\"chosen\"") &&
              strstr(o, "\"line\":1,\"index\":1,\"id\":\"short\",\"which\":\"rejected\"") &&
              strstr(o, "\"id\":\"long\",\"which\":\"chosen\",\"reward\":") && strstr(o, "\"truncated\":true,\"prompt_cut\":"),
          "score output: %s", o);
    CHECK(strstr(e, "4 response(s) scored, 0 failed, 2 truncated") != NULL, "score counts: %s", e);
    free(o);
    free(e);
    /* one overlong response in a list fails alone */
    f = fopen("build/cli_longrows.jsonl", "wb");
    fprintf(f, "{\"id\":7,\"prompt\":\"Once upon a time\",\"responses\":[\" there was a cat.\",\"%s\",\" a dog.\"]}\n", longtext);
    fclose(f);
    CHECK(rmtool("score " STORIES " --mode implicit --ctx 128 --input build/cli_longrows.jsonl") == 1, "exit 1");
    o = slurp(OUT);
    CHECK(count_lines(o) == 3 && strstr(o, "\"line\":1,\"index\":0,\"id\":7,\"reward\":") &&
              strstr(o, "\"line\":1,\"index\":1,\"id\":7,\"error\":") && strstr(o, "\"line\":1,\"index\":2,\"id\":7,\"reward\":"),
          "two scored, one error row: %s", o);
    free(o);
}

/* The bugs of a first try: empty inputs, directories, fit-head's output checked first, lone
   surrogates, progress in a log, info on a head file, gzip input. */
static void test_inputs_and_bugs(void) {
    FILE *f;
    char *o, *e;
    int rc;
    f = fopen("build/cli_empty.jsonl", "wb");
    fclose(f);
    {
        static const char *cmds[] = {"eval " STORIES " --mode implicit --input build/cli_empty.jsonl",
                                     "score " STORIES " --mode implicit --input build/cli_empty.jsonl",
                                     "fit-head --model models/stories260K.gguf --input build/cli_empty.jsonl -o build/cli_x.gguf",
                                     "eval " STORIES " --mode implicit --input build"};
        size_t i;
        for (i = 0; i < 4; i++) {
            rc = rmtool(cmds[i]);
            e = slurp(ERR);
            CHECK(rc == 1 && (strstr(e, "error: 'build/cli_empty.jsonl' has no rows: the input is empty") || strstr(e, "is a directory")),
                  "'%s': %d %s", cmds[i], rc, e);
            free(e);
        }
    }
    /* fit-head checks the output path before it reads anything */
    rc = rmtool("fit-head --model models/stories260K.gguf --template none --input examples/data/story-prefs.jsonl -o /nonexistent/x.gguf");
    o = slurp(OUT);
    e = slurp(ERR);
    CHECK(rc == 1 && strstr(e, "cannot write '/nonexistent/x.gguf'") && strstr(e, "No such file or directory") && o[0] == 0,
          "fails before fitting: %d %s / %s", rc, e, o);
    free(o);
    free(e);
    /* a lone surrogate escape is refused like invalid UTF-8, naming the line */
    f = fopen("build/cli_sur.jsonl", "wb");
    fprintf(f, "{\"prompt\":\"Once\",\"response\":\" a cat.\"}\n{\"prompt\":\"Once \\ud800\",\"response\":\" a cat.\"}\n");
    fclose(f);
    rc = rmtool("score " STORIES " --mode implicit --input build/cli_sur.jsonl");
    e = slurp(ERR);
    CHECK(rc == 1 && strstr(e, "build/cli_sur.jsonl:2: invalid JSON:") && strstr(e, "lone surrogate"), "%s", e);
    free(e);
    /* and eval's --scores file stays JSONL: the bad line's error row is one JSON object */
    rc = rmtool("eval " STORIES " --mode implicit --input build/cli_sur.jsonl --scores build/cli_sur_scores.jsonl");
    o = slurp("build/cli_sur_scores.jsonl");
    {
        char *nl = strchr(o, '\n'), *second = nl ? nl + 1 : o;
        rmj_error je;
        rmj_doc *d1 = nl ? rmj_parse(o, (size_t)(nl - o), &je) : NULL, *d2 = rmj_parse(second, strcspn(second, "\n"), &je);
        CHECK(rc == 1 && d1 && d2 && rmj_num(rmj_get(rmj_root(d2), "line")) == 2 &&
                  strstr(rmj_str(rmj_get(rmj_root(d2), "error"), NULL), "lone surrogate"),
              "--scores rows are JSON: %s", o);
        rmj_free(d1);
        rmj_free(d2);
    }
    free(o);
    /* progress lines when stderr is a file, with a real token rate */
    rc = rmtool("eval " STORIES " --mode implicit --input examples/data/story-prefs.jsonl --limit 40 --progress 0.001");
    e = slurp(ERR);
    {
        const char *p = strstr(e, "progress: ");
        CHECK(rc == 0 && p != NULL, "progress lines: %s", e);
        if (p) {
            const char *t = strstr(p, " pairs/s  ");
            CHECK(t && atof(t + 10) > 0, "tokens/s > 0: %.120s", p);
        }
    }
    free(e);
    /* info on a head file, and no empty "(pre )" */
    CHECK(rmtool("info models/stories260K-head.gguf") == 0, "info on a head");
    o = slurp(OUT);
    CHECK(strstr(o, "reward head") && strstr(o, "cls.output.weight F32 {64, 1}") && strstr(o, "reward mean 2.80"), "%s", o);
    free(o);
    CHECK(rmtool("info --json models/stories260K-head.gguf") == 0, "info --json on a head");
    o = slurp(OUT);
    CHECK(strstr(o, "\"kind\":\"reward_head\"") && strstr(o, "\"n_embd\":64"), "%s", o);
    free(o);
    CHECK(rmtool("info models/stories260K.gguf") == 0, "info");
    o = slurp(OUT);
    CHECK(strstr(o, "tokenizer:     llama, 512 tokens") && !strstr(o, "(pre )"), "%s", o);
    free(o);
    /* gzip input: read when built with zlib, one line "decompress first" without */
    CHECK(system("head -n 20 examples/data/story-prefs.jsonl > build/cli_gz.jsonl && gzip -cf build/cli_gz.jsonl > build/cli_gz.jsonl.gz") == 0,
          "gzip");
    CHECK(rmtool("--version") == 0, "version");
    o = slurp(OUT);
    if (strstr(o, "zlib 1")) {
        char *plain;
        CHECK(rmtool("eval " STORIES " --mode implicit --input build/cli_gz.jsonl --json") == 0, "plain");
        plain = slurp(OUT);
        CHECK(rmtool("eval " STORIES " --mode implicit --input build/cli_gz.jsonl.gz --json") == 0, ".gz");
        e = slurp(OUT);
        CHECK(strcmp(plain, e) == 0 && strstr(plain, "\"pairs\":20"), ".gz gives the same: %s / %s", plain, e);
        free(plain);
        free(e);
    } else
        printf("  (this rmtool has no zlib: .gz reading not tested)\n");
    free(o);
    {
        const char *b = getenv("BUILD");
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s ./%s/rmtool-scalar eval " STORIES " --mode implicit --input build/cli_gz.jsonl.gz > " OUT " 2> " ERR,
                 rmt_exec(), b ? b : "build");
        rc = system(cmd);
        e = slurp(ERR);
        CHECK(rc != -1 && (rc >> 8) == 1 && count_lines(e) == 1 && strstr(e, "decompress it first"), "no zlib: %s", e);
        free(e);
    }
}

/* make head: the shipped head is what the scalar build fits, to the byte, and the thread count
   does not move the normal build's fit. */
static void test_head_reproducible(void) {
    const char *b = getenv("BUILD");
    char cmd[1024];
    char *x, *y;
    size_t nx = 0, ny = 0;
    int t;
    snprintf(cmd, sizeof(cmd),
             "%s ./%s/rmtool-scalar fit-head --model models/stories260K-policy.gguf --template none --input examples/data/story-prefs.jsonl "
             "-o build/cli_head_repro.gguf --seed 1 > /dev/null",
             rmt_exec(), b ? b : "build");
    CHECK(system(cmd) == 0, "scalar fit-head");
    x = rmt_read_file("build/cli_head_repro.gguf", &nx);
    y = rmt_read_file("models/stories260K-head.gguf", &ny);
    CHECK(x && y && nx == ny && memcmp(x, y, nx) == 0, "models/stories260K-head.gguf is what make head writes (%zu vs %zu bytes)", nx, ny);
    free(x);
    free(y);
    for (t = 1; t <= 2; t++) {
        snprintf(cmd, sizeof(cmd),
                 "%s ./%s/rmtool fit-head --model models/stories260K-policy.gguf --template none --input examples/data/story-prefs.jsonl "
                 "-o build/cli_head_t%d.gguf --seed 1 --threads %d > /dev/null",
                 rmt_exec(), b ? b : "build", t, t);
        CHECK(system(cmd) == 0, "fit-head --threads %d", t);
    }
    x = rmt_read_file("build/cli_head_t1.gguf", &nx);
    y = rmt_read_file("build/cli_head_t2.gguf", &ny);
    CHECK(x && y && nx == ny && memcmp(x, y, nx) == 0, "1 and 2 threads fit the same head");
    free(x);
    free(y);
}

int main(void) {
    RUN(test_info_and_errors);
    RUN(test_tokenize_command);
    RUN(test_score_json_matches_reference);
    RUN(test_score_precision_flag);
    RUN(test_score_jsonl_keeps_going);
    RUN(test_score_interrupted_flushes);
    RUN(test_eval_formats);
    RUN(test_fit_head_recovers_linear_preference);
    RUN(test_help_and_conventions);
    RUN(test_max_length_library);
    RUN(test_zero_desc_template);
    RUN(test_long_inputs_cli);
    RUN(test_inputs_and_bugs);
    RUN(test_head_reproducible);
    return rmt_summary("test_cli");
}
