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
                 "eval --input tests/data/prefs/%s.jsonl --model tests/data/models/tiny-qwen2-rm.gguf --ref tests/data/models/tiny-qwen2-q8_0.gguf "
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
    CHECK(rc == 1, "exit status %d after SIGINT", rc);
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
    free(o);
    free(e);
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
    return rmt_summary("test_cli");
}
