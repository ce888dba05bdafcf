/* rmtool score, eval and fit-head: included by examples/rmtool.c after rm.h and rmjson.h.

   Shared options (score, eval, fit-head):
     --model M            the reward model (explicit) or the policy (implicit)
     --ref R              the reference model (implicit)
     --head H             a head GGUF (explicit), instead of the model's own cls.output
     --mode explicit|implicit|both   (both: eval only)
     --beta B             implicit scale (default 1)
     --ref-free sum|mean|norm        implicit without a reference
     --template auto|none|NAME       chat template (default auto: the model's own, if any)
     --split paper|rewardbench|none  prompt/response segmentation (default paper)
     --precision bf16|f32 how F16/BF16 weights are multiplied (default bf16; see rm_precision)
     --label NAME         explicit, multi-output head: the output "reward" reports (default the
                          first; the JSON "rewards" object always has every output by name)
     --threads N  --ctx N  --kv-f16  --normalize */
#ifndef RMTOOL_SCORE_H
#define RMTOOL_SCORE_H

#include <signal.h>
#include <time.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif

static volatile sig_atomic_t rmt_interrupted = 0;
static void rmt_on_sigint(int sig) {
    (void)sig;
    rmt_interrupted = 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Models and scorers from the command line                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct rmt_setup {
    rm_model *model, *ref;
    rm_head *head;
    rm_scorer *ex, *im;  /* the scorers the mode asks for */
    int mode;            /* RM_MODE_*, or 3 for both */
} rmt_setup;

static void rmt_setup_free(rmt_setup *s) {
    rm_scorer_free(s->ex);
    rm_scorer_free(s->im);
    rm_head_close(s->head);
    rm_model_close(s->model);
    rm_model_close(s->ref);
    memset(s, 0, sizeof(*s));
}

static const char *const rmt_model_opts[] = {"--model", "--ref", "--head", "--mode", "--beta", "--ref-free", "--template",
                                             "--split", "--threads", "--ctx", "--precision", "--label", NULL};

static int rmt_parse_int(const char *s, const char *name, long lo, long hi, long *out) {
    char *end;
    long v;
    if (!s) return 0;
    v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || v < lo || v > hi) return die("%s must be an integer from %ld to %ld, not '%s'", name, lo, hi, s);
    *out = v;
    return 0;
}

/* mode_hidden: fit-head's scorer (hidden states only). */
static int rmt_setup_open(int argc, char **argv, int mode_hidden, rmt_setup *st) {
    const char *mp = opt(argc, argv, "--model"), *rp = opt(argc, argv, "--ref"), *hp = opt(argc, argv, "--head");
    const char *mode = opt(argc, argv, "--mode"), *tmpl = opt(argc, argv, "--template"), *split = opt(argc, argv, "--split");
    const char *rf = opt(argc, argv, "--ref-free"), *beta = opt(argc, argv, "--beta"), *prec = opt(argc, argv, "--precision");
    rm_scorer_desc d;
    long threads = 0, ctx = 0;
    memset(st, 0, sizeof(*st));
    memset(&d, 0, sizeof(d));
    d.label = opt(argc, argv, "--label");
    if (!mp) return die("--model is required");
    if (rmt_parse_int(opt(argc, argv, "--threads"), "--threads", 0, 1024, &threads)) return 1;
    if (rmt_parse_int(opt(argc, argv, "--ctx"), "--ctx", 0, 1 << 24, &ctx)) return 1;
    d.n_threads = (int)threads;
    d.n_ctx = ctx;
    d.kv_f16 = flag(argc, argv, "--kv-f16");
    if (prec) {
        if (strcmp(prec, "bf16") == 0) d.precision = RM_PRECISION_BF16;
        else if (strcmp(prec, "f32") == 0) d.precision = RM_PRECISION_F32;
        else return die("--precision takes bf16 or f32, not '%s'", prec);
    }
    d.normalize = flag(argc, argv, "--normalize");
    if (beta) {
        char *end;
        d.beta = strtod(beta, &end);
        if (*end || !(d.beta > 0) || d.beta > 1e6) return die("--beta must be a positive number, not '%s'", beta);
    }
    d.ref_free = RM_REF_FREE_OFF;
    if (rf) {
        if (strcmp(rf, "sum") == 0) d.ref_free = RM_REF_FREE_SUM;
        else if (strcmp(rf, "mean") == 0) d.ref_free = RM_REF_FREE_MEAN;
        else if (strcmp(rf, "norm") == 0) d.ref_free = RM_REF_FREE_NORM;
        else return die("--ref-free takes sum, mean or norm, not '%s'", rf);
    }
    d.split = RM_SPLIT_PAPER;
    if (split) {
        if (strcmp(split, "paper") == 0) d.split = RM_SPLIT_PAPER;
        else if (strcmp(split, "rewardbench") == 0) d.split = RM_SPLIT_REWARDBENCH;
        else if (strcmp(split, "none") == 0) d.split = RM_SPLIT_NONE;
        else return die("--split takes paper, rewardbench or none, not '%s'", split);
    }
    d.chat_template = RM_CHAT_AUTO;
    if (tmpl && strcmp(tmpl, "auto") != 0) {
        d.chat_template = rm_chat_template_from_name(tmpl);
        if (d.chat_template < 0) {
            int i;
            fprintf(stderr, "error: unknown template '%s'; choose auto, none", tmpl);
            for (i = 1; i < RM_CHAT_COUNT; i++) fprintf(stderr, ", %s", rm_chat_template_name(i));
            fprintf(stderr, "\n");
            return 1;
        }
    }
    if (rm_model_open(mp, &st->model) != RM_OK) return die("%s: %s", mp, rm_model_error(st->model));
    if (hp && rm_head_open(hp, &st->head) != RM_OK) return die("%s: %s", hp, rm_head_error(st->head));
    if (mode_hidden) st->mode = RM_MODE_HIDDEN;
    else if (!mode) st->mode = (hp || rm_model_hparams(st->model)->n_cls_out > 0) ? RM_MODE_EXPLICIT : RM_MODE_IMPLICIT;
    else if (strcmp(mode, "explicit") == 0) st->mode = RM_MODE_EXPLICIT;
    else if (strcmp(mode, "implicit") == 0) st->mode = RM_MODE_IMPLICIT;
    else if (strcmp(mode, "both") == 0) st->mode = 3;
    else return die("--mode takes explicit, implicit or both, not '%s'", mode);
    if ((st->mode == RM_MODE_IMPLICIT || st->mode == 3) && d.ref_free == RM_REF_FREE_OFF) {
        if (!rp) return die("implicit mode needs --ref (the reference model) or --ref-free sum|mean|norm");
        if (rm_model_open(rp, &st->ref) != RM_OK) return die("%s: %s", rp, rm_model_error(st->ref));
    }
    d.model = st->model;
    d.ref = st->ref;
    d.head = st->head;
    if (st->mode == RM_MODE_EXPLICIT || st->mode == 3 || st->mode == RM_MODE_HIDDEN) {
        d.mode = st->mode == RM_MODE_HIDDEN ? RM_MODE_HIDDEN : RM_MODE_EXPLICIT;
        if (rm_scorer_new(&d, &st->ex) != RM_OK) return die("%s", rm_scorer_error(st->ex));
    }
    if (st->mode == RM_MODE_IMPLICIT || st->mode == 3) {
        d.mode = RM_MODE_IMPLICIT;
        if (rm_scorer_new(&d, &st->im) != RM_OK) return die("%s", rm_scorer_error(st->im));
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* JSONL rows                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* One preference or scoring row turned into a conversation and its candidate responses. */
typedef struct rmt_row {
    rm_chat_msg msgs[64];
    size_t n_msgs;
    rm_str resp[16];
    int64_t n_resp;
    const char *subset;
    size_t subset_len;
    char *scratch;  /* owned copy of text cut from transcripts */
} rmt_row;

static int rmt_role_ok(const char *r, size_t n) {
    return n > 0 && n < 32 && (memchr(r, 0, n) == NULL);
}

/* messages: [{role, content}, ...] */
static const char *rmt_take_messages(rmt_row *row, const rmj_value *arr) {
    size_t i;
    if (!rmj_is_array(arr)) return "messages must be an array";
    for (i = 0; i < rmj_len(arr); i++) {
        const rmj_value *m = rmj_at(arr, i);
        size_t rl, cl;
        const char *role = rmj_str(rmj_get(m, "role"), &rl), *content = rmj_str(rmj_get(m, "content"), &cl);
        if (!rmj_is_string(rmj_get(m, "role")) || !rmj_is_string(rmj_get(m, "content"))) return "each message needs string \"role\" and \"content\"";
        if (!rmt_role_ok(role, rl)) return "a message role is empty or too long";
        if (row->n_msgs >= 63) return "more than 63 messages";
        row->msgs[row->n_msgs].role = role;
        row->msgs[row->n_msgs].role_len = rl;
        row->msgs[row->n_msgs].content = content;
        row->msgs[row->n_msgs].content_len = cl;
        row->n_msgs++;
    }
    return NULL;
}

static void rmt_user(rmt_row *row, const char *text, size_t len) {
    row->msgs[row->n_msgs].role = "user";
    row->msgs[row->n_msgs].role_len = 4;
    row->msgs[row->n_msgs].content = text;
    row->msgs[row->n_msgs].content_len = len;
    row->n_msgs++;
}

/* The assistant reply of a response that is a string or a message list. */
static const char *rmt_response(const rmj_value *v, rm_str *out) {
    size_t n;
    const char *s = rmj_is_string(v) ? rmj_str(v, &n) : NULL;
    if (s) {
        out->ptr = s;
        out->len = n;
        return NULL;
    }
    if (rmj_is_array(v) && rmj_len(v) > 0) {
        const rmj_value *last = rmj_at(v, rmj_len(v) - 1);
        s = rmj_is_string(rmj_get(last, "content")) ? rmj_str(rmj_get(last, "content"), &n) : NULL;
        if (s && rmj_str_eq(rmj_get(last, "role"), "assistant")) {
            out->ptr = s;
            out->len = n;
            return NULL;
        }
    }
    return "a response must be a string or a message list ending with an assistant message";
}

/* HH-RLHF: two transcripts "\n\nHuman: ...\n\nAssistant: ..." that share everything up to the
   last "\n\nAssistant:". raw: keep the transcript text as one prompt; otherwise turn it into
   user/assistant messages. */
static const char *rmt_take_hh(rmt_row *row, const char *c, size_t cn, const char *r, size_t rn, int raw) {
    static const char tag[] = "\n\nAssistant:";
    size_t i, cut = 0, tl = sizeof(tag) - 1;
    for (i = 0; i + tl <= cn; i++)
        if (memcmp(c + i, tag, tl) == 0) cut = i + tl;
    if (!cut || cut > rn || memcmp(c, r, cut) != 0) return "chosen and rejected do not share a transcript up to the last \"\\n\\nAssistant:\"";
    row->resp[0].ptr = c + cut;
    row->resp[0].len = cn - cut;
    row->resp[1].ptr = r + cut;
    row->resp[1].len = rn - cut;
    row->n_resp = 2;
    if (raw) {
        rmt_user(row, c, cut);
        return NULL;
    }
    {
        /* split the shared prefix into turns */
        size_t p = 0;
        while (p < cut) {
            const char *h = "\n\nHuman:", *a = "\n\nAssistant:";
            int is_h = cut - p >= 8 && memcmp(c + p, h, 8) == 0, is_a = cut - p >= 12 && memcmp(c + p, a, 12) == 0;
            size_t start, q;
            if (!is_h && !is_a) {
                p++;
                continue;
            }
            start = p + (is_h ? 8 : 12);
            for (q = start; q < cut; q++)
                if ((cut - q >= 8 && memcmp(c + q, h, 8) == 0) || (cut - q >= 12 && memcmp(c + q, a, 12) == 0)) break;
            while (start < q && c[start] == ' ') start++;
            if (q > start || is_h) {
                if (row->n_msgs >= 63) return "more than 63 turns";
                row->msgs[row->n_msgs].role = is_h ? "user" : "assistant";
                row->msgs[row->n_msgs].role_len = is_h ? 4 : 9;
                row->msgs[row->n_msgs].content = c + start;
                row->msgs[row->n_msgs].content_len = q - start;
                row->n_msgs++;
            }
            p = q;
        }
        for (i = 0; i < 2; i++)
            while (row->resp[i].len && row->resp[i].ptr[0] == ' ') row->resp[i].ptr++, row->resp[i].len--;
        if (row->n_msgs == 0) return "the transcript has no Human turn";
    }
    return NULL;
}

/* Reads one row: {prompt|messages, response|responses} for score (pairs = 0) or a preference
   pair for eval/fit-head (pairs = 1): {prompt, chosen, rejected}, HH-RLHF {chosen, rejected},
   or OpenAI DPO {input.messages, preferred_output, non_preferred_output}. */
static const char *rmt_read_row(const rmj_value *o, int pairs, int raw, rmt_row *row) {
    const rmj_value *v;
    const char *e, *s;
    size_t n;
    memset(row, 0, sizeof(*row));
    if (!rmj_is_object(o)) return "the line is not a JSON object";
    if (rmj_is_string(rmj_get(o, "subset"))) row->subset = rmj_str(rmj_get(o, "subset"), &row->subset_len);
    if ((v = rmj_get(o, "input")) && rmj_get(v, "messages")) { /* OpenAI DPO */
        if ((e = rmt_take_messages(row, rmj_get(v, "messages")))) return e;
        if (!pairs) return "score rows take prompt/messages and response/responses";
        if ((e = rmt_response(rmj_get(o, "preferred_output"), &row->resp[0]))) return e;
        if ((e = rmt_response(rmj_get(o, "non_preferred_output"), &row->resp[1]))) return e;
        row->n_resp = 2;
        return NULL;
    }
    if (rmj_is_string(rmj_get(o, "prompt"))) {
        s = rmj_str(rmj_get(o, "prompt"), &n);
        rmt_user(row, s, n);
    }
    else if ((v = rmj_get(o, "messages"))) {
        if ((e = rmt_take_messages(row, v))) return e;
    } else if (pairs && rmj_is_string(rmj_get(o, "chosen")) && rmj_is_string(rmj_get(o, "rejected"))) {
        size_t cn, rn;
        const char *c = rmj_str(rmj_get(o, "chosen"), &cn), *r = rmj_str(rmj_get(o, "rejected"), &rn);
        return rmt_take_hh(row, c, cn, r, rn, raw);
    } else
        return pairs ? "no \"prompt\", \"messages\", HH-RLHF transcripts or OpenAI \"input\"" : "no \"prompt\" or \"messages\"";
    if (pairs) {
        if ((e = rmt_response(rmj_get(o, "chosen"), &row->resp[0]))) return e;
        if ((e = rmt_response(rmj_get(o, "rejected"), &row->resp[1]))) return e;
        row->n_resp = 2;
        return NULL;
    }
    if ((v = rmj_get(o, "responses"))) {
        size_t i;
        if (!rmj_is_array(v) || rmj_len(v) == 0 || rmj_len(v) > 16) return "\"responses\" must be an array of 1 to 16 strings";
        for (i = 0; i < rmj_len(v); i++)
            if ((e = rmt_response(rmj_at(v, i), &row->resp[i]))) return e;
        row->n_resp = (int64_t)rmj_len(v);
        return NULL;
    }
    if ((e = rmt_response(rmj_get(o, "response"), &row->resp[0]))) return e;
    row->n_resp = 1;
    return NULL;
}

/* Iterates over the lines of a file (or stdin for "-"); the caller owns the line buffer. */
typedef struct rmt_lines {
    FILE *f;
    char *buf;
    size_t cap;
    long lineno;
} rmt_lines;

static int rmt_next_line(rmt_lines *L, size_t *len) {
    size_t n = 0;
    int c;
    if (!L->f) return 0;
    while ((c = fgetc(L->f)) != EOF) {
        if (n + 2 > L->cap) {
            size_t nc = L->cap ? L->cap * 2 : 65536;
            char *p = (char *)realloc(L->buf, nc);
            if (!p) return 0;
            L->buf = p;
            L->cap = nc;
        }
        if (c == '\n') break;
        L->buf[n++] = (char)c;
    }
    if (c == EOF && n == 0) return 0;
    if (n && L->buf[n - 1] == '\r') n--;
    L->buf[n] = 0;
    L->lineno++;
    *len = n;
    return 1;
}

static long rmt_count_lines(const char *path) {
    FILE *f;
    long n = 0;
    int c, last = '\n';
    if (strcmp(path, "-") == 0 || !(f = fopen(path, "rb"))) return -1;
    while ((c = fgetc(f)) != EOF) {
        if (c == '\n') n++;
        last = c;
    }
    if (last != '\n') n++;
    fclose(f);
    return n;
}

static void rmt_progress(long done, long total, double t0, long tokens) {
    double dt = rmt_now() - t0;
    if (dt <= 0) return;
    fprintf(stderr, "\r%ld/%ld  %.1f pairs/s  %.0f tok/s  ETA %.0fs   ", done, total < 0 ? 0 : total, done / dt, tokens / dt,
            total > done ? (total - done) * dt / (double)(done ? done : 1) : 0.0);
}

/* ------------------------------------------------------------------------------------------ */
/* score                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void rmt_json_ids(const char *key, const int32_t *ids, int64_t n) {
    int64_t i;
    printf(",\"%s\":[", key);
    for (i = 0; i < n; i++) printf(i ? ",%d" : "%d", ids[i]);
    printf("]");
}
static void rmt_json_dbl(const char *key, const double *v, int64_t n) {
    int64_t i;
    printf(",\"%s\":[", key);
    for (i = 0; i < n; i++) {
        if (i) printf(",");
        rmj_write_double(stdout, v[i]);
    }
    printf("]");
}

static void rmt_print_score(const rm_score *sc, const rm_scorer *scr, const rm_model *m, int per_token, int hidden, long line,
                            int index, const rmj_value *id) {
    printf("{");
    if (line > 0) printf("\"line\":%ld,\"index\":%d,", line, index);
    if (id) {
        size_t n;
        const char *s = rmj_is_string(id) ? rmj_str(id, &n) : NULL;
        printf("\"id\":");
        if (s) rmj_write_string(stdout, s, n);
        else rmj_write_double(stdout, rmj_num(id));
        printf(",");
    }
    printf("\"reward\":");
    rmj_write_double(stdout, sc->reward);
    if (sc->nonfinite) printf(",\"nonfinite\":true");
    if (sc->rewards) {
        /* every output of the head by name: multi-attribute reward models */
        int64_t i;
        printf(",\"rewards\":{");
        for (i = 0; i < sc->n_rewards; i++) {
            rm_str nm = rm_scorer_label(scr, i);
            if (i) printf(",");
            rmj_write_string(stdout, nm.ptr, nm.len);
            printf(":");
            rmj_write_double(stdout, sc->rewards[i]);
        }
        printf("}");
    }
    rmt_json_ids("prompt_ids", sc->prompt_ids, sc->n_prompt);
    rmt_json_ids("response_ids", sc->response_ids, sc->n_response);
    if (per_token && sc->logprobs) {
        rmt_json_dbl("logprobs", sc->logprobs, sc->n_response);
        if (sc->ref_logprobs) rmt_json_dbl("ref_logprobs", sc->ref_logprobs, sc->n_response);
        rmt_json_dbl("contributions", sc->contributions, sc->n_response);
    }
    if (hidden && sc->last_hidden) {
        int64_t i, E = rm_model_hparams(m)->n_embd;
        printf(",\"last_hidden\":[");
        for (i = 0; i < E; i++) {
            if (i) printf(",");
            rmj_write_float(stdout, sc->last_hidden[i]);
        }
        printf("]");
    }
    printf("}\n");
}

/* Human-readable per-token view: where the implicit reward comes from. */
static void rmt_print_tokens(const rm_score *sc, const rm_model *m) {
    const rm_vocab *v = rm_model_vocab(m);
    int64_t i;
    printf("%-6s %-24s %10s %10s %12s\n", "pos", "token", "logp", "ref_logp", "contribution");
    for (i = 0; i < sc->n_response; i++) {
        rm_str t = rm_vocab_token_text(v, sc->response_ids[i]);
        char shown[64];
        size_t j, k = 0;
        for (j = 0; j < t.len && k + 5 < sizeof(shown); j++) {
            unsigned char ch = (unsigned char)t.ptr[j];
            if (ch < 32) k += (size_t)snprintf(shown + k, sizeof(shown) - k, "\\x%02x", ch);
            else shown[k++] = (char)ch;
        }
        shown[k] = 0;
        {
            /* pad by characters, not bytes: pieces carry multi-byte U+2581 and UTF-8 text */
            size_t cps = 0, q;
            for (q = 0; q < k; q++) cps += ((unsigned char)shown[q] & 0xC0) != 0x80;
            while (cps < 24 && k + 1 < sizeof(shown)) shown[k++] = ' ', cps++;
            shown[k] = 0;
        }
        printf("%-6lld %s %10.4f %10.4f %12.4f\n", (long long)i, shown, sc->logprobs[i],
               sc->ref_logprobs ? sc->ref_logprobs[i] : 0.0, sc->contributions[i]);
    }
}

static int cmd_score(int argc, char **argv) {
    static const char *const nv[] = {"--per-token", "--hidden", "--json", "--kv-f16", "--normalize", NULL};
    const char *wv[32];
    const char *input = opt(argc, argv, "--input"), *prompt = opt(argc, argv, "--prompt"), *response = opt(argc, argv, "--response");
    int per_token = flag(argc, argv, "--per-token"), hidden = flag(argc, argv, "--hidden"), json = flag(argc, argv, "--json");
    rmt_setup st;
    rm_scorer *sc;
    rm_model *m;
    int i, n = 0, failed = 0, raw;
    for (i = 0; rmt_model_opts[i]; i++) wv[n++] = rmt_model_opts[i];
    wv[n++] = "--input";
    wv[n++] = "--prompt";
    wv[n++] = "--response";
    wv[n] = NULL;
    if (check_opts(argc, argv, wv, nv, 0)) return 1;
    if (!input == !(prompt && response)) return die("give --prompt and --response, or --input FILE.jsonl");
    if (opt(argc, argv, "--mode") && strcmp(opt(argc, argv, "--mode"), "both") == 0) return die("score takes --mode explicit or implicit");
    if (rmt_setup_open(argc, argv, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    sc = st.ex ? st.ex : st.im;
    m = st.model;
    raw = rm_scorer_template(sc) == RM_CHAT_NONE || (opt(argc, argv, "--split") && strcmp(opt(argc, argv, "--split"), "none") == 0);
    (void)raw;
    if (!input) {
        rm_score s;
        if (rm_score_pair(sc, prompt, response, &s) != RM_OK) {
            die("%s", rm_scorer_error(sc));
            rmt_setup_free(&st);
            return 1;
        }
        if (json) rmt_print_score(&s, sc, m, per_token, hidden, 0, 0, NULL);
        else {
            printf("reward: %.6f%s\n", s.reward, s.nonfinite ? " (non-finite: NaN or Inf arose)" : "");
            if (s.n_rewards > 1) {
                int64_t i;
                for (i = 0; i < s.n_rewards; i++) {
                    rm_str nm = rm_scorer_label(sc, i);
                    printf("  %.*s: %.6f\n", (int)nm.len, nm.ptr, s.rewards[i]);
                }
            }
            if (per_token && s.logprobs) rmt_print_tokens(&s, m);
        }
        rmt_setup_free(&st);
        return s.nonfinite ? 1 : 0;
    }
    {
        rmt_lines L;
        size_t len;
        long total = rmt_count_lines(input), done = 0, tokens = 0;
        double t0 = rmt_now();
        int tty = 0;
#if !defined(_WIN32)
        tty = isatty(2);
#endif
        memset(&L, 0, sizeof(L));
        L.f = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb");
        if (!L.f) {
            rmt_setup_free(&st);
            return die("cannot open '%s'", input);
        }
        signal(SIGINT, rmt_on_sigint);
        while (!rmt_interrupted && rmt_next_line(&L, &len)) {
            rmj_error je;
            rmj_doc *doc;
            rmt_row row;
            const char *e;
            rm_score out[16];
            int64_t k;
            if (len == 0) continue;
            doc = rmj_parse(L.buf, len, &je);
            if (!doc) {
                fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", input, L.lineno, je.msg);
                printf("{\"line\":%ld,\"error\":\"invalid JSON\"}\n", L.lineno);
                failed++;
                continue;
            }
            e = rmt_read_row(rmj_root(doc), 0, 0, &row);
            if (!e && rm_score_chat(sc, row.msgs, row.n_msgs, row.resp, row.n_resp, out) != RM_OK) e = rm_scorer_error(sc);
            if (e) {
                fprintf(stderr, "error: %s:%ld: %s\n", input, L.lineno, e);
                printf("{\"line\":%ld,\"error\":", L.lineno);
                rmj_write_string(stdout, e, strlen(e));
                printf("}\n");
                failed++;
            } else {
                for (k = 0; k < row.n_resp; k++) {
                    rmt_print_score(&out[k], sc, m, per_token, hidden, L.lineno, (int)k, rmj_get(rmj_root(doc), "id"));
                    tokens += out[k].n_response + (k ? 0 : out[k].n_prompt);
                    if (out[k].nonfinite) failed++;
                }
            }
            fflush(stdout);
            rmj_free(doc);
            done++;
            if (tty && (done % 4 == 0 || done == total)) rmt_progress(done, total, t0, tokens);
        }
        if (tty) fprintf(stderr, "\n");
        if (rmt_interrupted) fprintf(stderr, "error: interrupted after %ld lines; the results so far are written\n", done);
        if (L.f != stdin) fclose(L.f);
        free(L.buf);
    }
    rmt_setup_free(&st);
    if (failed) fprintf(stderr, "error: %d line(s) failed\n", failed);
    return (failed || rmt_interrupted) ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* eval                                                                                       */
/* ------------------------------------------------------------------------------------------ */

typedef struct rmt_stats {
    char name[64];
    long n;
    double acc_half, acc_strict, margin, abs_margin;
    double sum, sumsq; /* over all rewards, for the normalised margin */
} rmt_stats;

static void rmt_stats_add(rmt_stats *s, double rc, double rr) {
    s->n++;
    s->acc_half += rc > rr ? 1.0 : (rc == rr ? 0.5 : 0.0);
    s->acc_strict += rc > rr ? 1.0 : 0.0;
    s->margin += rc - rr;
    s->abs_margin += fabs(rc - rr);
    s->sum += rc + rr;
    s->sumsq += rc * rc + rr * rr;
}

static double rmt_norm_margin(const rmt_stats *s) {
    double n = 2.0 * (double)s->n, mean = s->sum / n, var = s->sumsq / n - mean * mean;
    return var > 0 ? (s->abs_margin / (double)s->n) / sqrt(var) : 0.0;
}

static void rmt_print_stats(const rmt_stats *st, int nst, const char *label, int json, int *first_json) {
    int i;
    for (i = 0; i < nst; i++) {
        const rmt_stats *s = &st[i];
        if (!s->n) continue;
        if (json) {
            printf("%s{\"mode\":\"%s\",\"subset\":", *first_json ? "" : ",", label);
            rmj_write_string(stdout, s->name, strlen(s->name));
            printf(",\"n\":%ld,\"accuracy\":%.6f,\"accuracy_ties_wrong\":%.6f,\"mean_margin\":%.6g,\"normalized_margin\":%.6g}", s->n,
                   s->acc_half / (double)s->n, s->acc_strict / (double)s->n, s->margin / (double)s->n, rmt_norm_margin(s));
            *first_json = 0;
        } else {
            printf("%-10s %-24s %6ld %9.4f %11.4f %12.4f %12.4f\n", label, s->name, s->n, s->acc_half / (double)s->n,
                   s->acc_strict / (double)s->n, s->margin / (double)s->n, rmt_norm_margin(s));
        }
    }
}

#define RMT_MAX_SUBSETS 64

static int rmt_subset(rmt_stats *st, int *nst, const char *name, size_t len) {
    int i;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*s", (int)(len < 63 ? len : 63), name);
    for (i = 1; i < *nst; i++)
        if (strcmp(st[i].name, buf) == 0) return i;
    if (*nst >= RMT_MAX_SUBSETS) return 0;
    memset(&st[*nst], 0, sizeof(st[0]));
    strcpy(st[*nst].name, buf);
    return (*nst)++;
}

static int cmd_eval(int argc, char **argv) {
    static const char *const nv[] = {"--json", "--kv-f16", "--normalize", NULL};
    const char *wv[32];
    const char *input = opt(argc, argv, "--input"), *scores = opt(argc, argv, "--scores");
    int json = flag(argc, argv, "--json");
    rmt_setup st;
    rmt_stats ex[RMT_MAX_SUBSETS], im[RMT_MAX_SUBSETS];
    int nex = 1, nim = 1, i, n = 0, failed = 0, raw_ex = 0, raw_im = 0;
    long limit = 0, done = 0, total;
    rmt_lines L;
    size_t len;
    FILE *fs = NULL;
    double t0 = rmt_now();
    int tty = 0;
    for (i = 0; rmt_model_opts[i]; i++) wv[n++] = rmt_model_opts[i];
    wv[n++] = "--input";
    wv[n++] = "--limit";
    wv[n++] = "--scores";
    wv[n] = NULL;
    if (check_opts(argc, argv, wv, nv, 0)) return 1;
    if (!input) return die("usage: rmtool eval --input prefs.jsonl --model M [--ref R | --head H] [--mode explicit|implicit|both] ...");
    if (rmt_parse_int(opt(argc, argv, "--limit"), "--limit", 0, 1L << 30, &limit)) return 1;
    if (rmt_setup_open(argc, argv, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    memset(ex, 0, sizeof(ex));
    memset(im, 0, sizeof(im));
    strcpy(ex[0].name, "all");
    strcpy(im[0].name, "all");
    if (st.ex) raw_ex = rm_scorer_template(st.ex) == RM_CHAT_NONE;
    if (st.im) raw_im = rm_scorer_template(st.im) == RM_CHAT_NONE;
    if (opt(argc, argv, "--split") && strcmp(opt(argc, argv, "--split"), "none") == 0) raw_ex = raw_im = 1;
    memset(&L, 0, sizeof(L));
    L.f = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb");
    if (!L.f) {
        rmt_setup_free(&st);
        return die("cannot open '%s'", input);
    }
    if (scores && !(fs = fopen(scores, "wb"))) {
        rmt_setup_free(&st);
        return die("cannot write '%s'", scores);
    }
    total = rmt_count_lines(input);
    if (limit && (total < 0 || total > limit)) total = limit;
#if !defined(_WIN32)
    tty = isatty(2);
#endif
    signal(SIGINT, rmt_on_sigint);
    while (!rmt_interrupted && (!limit || done < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        const char *e = NULL;
        double r[2][2] = {{0, 0}, {0, 0}};
        int pass;
        if (len == 0) continue;
        doc = rmj_parse(L.buf, len, &je);
        if (!doc) {
            fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", input, L.lineno, je.msg);
            failed++;
            continue;
        }
        for (pass = 0; pass < 2 && !e; pass++) {
            rm_scorer *sc = pass == 0 ? st.ex : st.im;
            rm_score out[2];
            if (!sc) continue;
            e = rmt_read_row(rmj_root(doc), 1, pass == 0 ? raw_ex : raw_im, &row);
            if (!e && rm_score_chat(sc, row.msgs, row.n_msgs, row.resp, 2, out) != RM_OK) e = rm_scorer_error(sc);
            if (!e && (out[0].nonfinite || out[1].nonfinite)) e = "a reward is NaN or Inf";
            if (!e) {
                r[pass][0] = out[0].reward;
                r[pass][1] = out[1].reward;
            }
        }
        if (e) {
            fprintf(stderr, "error: %s:%ld: %s\n", input, L.lineno, e);
            failed++;
        } else {
            if (st.ex) {
                rmt_stats_add(&ex[0], r[0][0], r[0][1]);
                if (row.subset) rmt_stats_add(&ex[rmt_subset(ex, &nex, row.subset, row.subset_len)], r[0][0], r[0][1]);
            }
            if (st.im) {
                rmt_stats_add(&im[0], r[1][0], r[1][1]);
                if (row.subset) rmt_stats_add(&im[rmt_subset(im, &nim, row.subset, row.subset_len)], r[1][0], r[1][1]);
            }
            if (fs) {
                fprintf(fs, "{\"line\":%ld", L.lineno);
                if (st.ex) fprintf(fs, ",\"ex_chosen\":%.9g,\"ex_rejected\":%.9g", r[0][0], r[0][1]);
                if (st.im) fprintf(fs, ",\"im_chosen\":%.9g,\"im_rejected\":%.9g", r[1][0], r[1][1]);
                fprintf(fs, "}\n");
            }
        }
        rmj_free(doc);
        done++;
        if (tty && (done % 4 == 0 || done == total)) rmt_progress(done, total, t0, 0);
    }
    if (tty) fprintf(stderr, "\n");
    if (L.f != stdin) fclose(L.f);
    free(L.buf);
    if (fs) fclose(fs);
    if (json) {
        int first = 1;
        printf("{\"pairs\":%ld,\"failed\":%d,\"results\":[", done - failed, failed);
        if (st.ex) rmt_print_stats(ex, nex, "explicit", 1, &first);
        if (st.im) rmt_print_stats(im, nim, "implicit", 1, &first);
        printf("]}\n");
    } else {
        printf("%-10s %-24s %6s %9s %11s %12s %12s\n", "mode", "subset", "pairs", "accuracy", "acc(ties=0)", "mean margin",
               "norm margin");
        if (st.ex) rmt_print_stats(ex, nex, "explicit", 0, NULL);
        if (st.im) rmt_print_stats(im, nim, "implicit", 0, NULL);
    }
    if (rmt_interrupted) fprintf(stderr, "error: interrupted after %ld pairs\n", done);
    if (failed) fprintf(stderr, "error: %d line(s) failed\n", failed);
    rmt_setup_free(&st);
    return (failed || rmt_interrupted) ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* fit-head                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int cmd_fit_head(int argc, char **argv) {
    static const char *const nv[] = {"--kv-f16", NULL};
    const char *wv[32];
    const char *input = opt(argc, argv, "--input"), *outp = opt(argc, argv, "-o");
    rmt_setup st;
    rmt_lines L;
    size_t len;
    float *hc = NULL, *hr = NULL, *w = NULL;
    long cap = 0, np = 0, i, limit = 0, iters = 300, seed = 1;
    int n = 0, failed = 0, raw;
    double l2 = 1e-3, holdout = 0.2;
    int64_t E;
    if (!outp) outp = opt(argc, argv, "--output");
    for (i = 0; rmt_model_opts[i]; i++) wv[n++] = rmt_model_opts[i];
    wv[n++] = "--input";
    wv[n++] = "-o";
    wv[n++] = "--output";
    wv[n++] = "--l2";
    wv[n++] = "--holdout";
    wv[n++] = "--iters";
    wv[n++] = "--seed";
    wv[n++] = "--limit";
    wv[n] = NULL;
    if (check_opts(argc, argv, wv, nv, 0)) return 1;
    if (!input || !outp) return die("usage: rmtool fit-head --model M --input prefs.jsonl -o head.gguf [--l2 X] [--holdout F] [--iters N]");
    if (opt(argc, argv, "--l2")) l2 = atof(opt(argc, argv, "--l2"));
    if (opt(argc, argv, "--holdout")) holdout = atof(opt(argc, argv, "--holdout"));
    if (!(l2 >= 0) || !(holdout >= 0 && holdout < 1)) return die("--l2 must be >= 0 and --holdout in [0, 1)");
    if (rmt_parse_int(opt(argc, argv, "--iters"), "--iters", 1, 100000, &iters)) return 1;
    if (rmt_parse_int(opt(argc, argv, "--seed"), "--seed", 0, 1L << 30, &seed)) return 1;
    if (rmt_parse_int(opt(argc, argv, "--limit"), "--limit", 0, 1L << 30, &limit)) return 1;
    if (rmt_setup_open(argc, argv, 1, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    E = rm_model_hparams(st.model)->n_embd;
    raw = rm_scorer_template(st.ex) == RM_CHAT_NONE || (opt(argc, argv, "--split") && strcmp(opt(argc, argv, "--split"), "none") == 0);
    memset(&L, 0, sizeof(L));
    L.f = fopen(input, "rb");
    if (!L.f) {
        rmt_setup_free(&st);
        return die("cannot open '%s'", input);
    }
    signal(SIGINT, rmt_on_sigint);
    while (!rmt_interrupted && (!limit || np < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        rm_score out[2];
        const char *e;
        if (len == 0) continue;
        if (!(doc = rmj_parse(L.buf, len, &je))) {
            fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", input, L.lineno, je.msg);
            failed++;
            continue;
        }
        e = rmt_read_row(rmj_root(doc), 1, raw, &row);
        if (!e && rm_score_chat(st.ex, row.msgs, row.n_msgs, row.resp, 2, out) != RM_OK) e = rm_scorer_error(st.ex);
        if (e) {
            fprintf(stderr, "error: %s:%ld: %s\n", input, L.lineno, e);
            failed++;
        } else {
            if (np == cap) {
                long nc = cap ? cap * 2 : 256;
                float *a = (float *)realloc(hc, (size_t)(nc * E) * sizeof(float)), *b;
                if (!a) break;
                hc = a;
                b = (float *)realloc(hr, (size_t)(nc * E) * sizeof(float));
                if (!b) break;
                hr = b;
                cap = nc;
            }
            memcpy(hc + np * E, out[0].last_hidden, (size_t)E * sizeof(float));
            memcpy(hr + np * E, out[1].last_hidden, (size_t)E * sizeof(float));
            np++;
        }
        rmj_free(doc);
    }
    fclose(L.f);
    free(L.buf);
    if (np < 4) {
        free(hc);
        free(hr);
        rmt_setup_free(&st);
        return die("only %ld usable pairs in '%s'; fit-head needs at least 4", np, input);
    }
    w = (float *)calloc((size_t)E, sizeof(float));
    {
        rm_fit_params fp;
        rm_fit_result fr;
        rm_result r;
        memset(&fp, 0, sizeof(fp));
        fp.l2 = l2;
        fp.holdout = holdout;
        fp.iters = (int)iters;
        fp.seed = (uint64_t)seed;
        r = rm_fit_head(hc, hr, np, E, &fp, w, &fr);
        if (r) {
            free(hc); free(hr); free(w);
            rmt_setup_free(&st);
            return die("fitting failed: %s", rm_result_string(r));
        }
        printf("pairs: %ld (train %ld, held out %ld)\ntrain accuracy: %.4f  loss %.4f\nheld-out accuracy: %.4f  loss %.4f\n", np,
               (long)fr.n_train, (long)fr.n_holdout, fr.train_accuracy, fr.train_loss, fr.holdout_accuracy, fr.holdout_loss);
        r = rm_head_save(outp, w, E, fr.reward_mean, fr.reward_std, rm_model_gguf(st.model));
        if (r) {
            free(hc); free(hr); free(w);
            rmt_setup_free(&st);
            return die("cannot write '%s': %s", outp, rm_result_string(r));
        }
        printf("wrote %s (n_embd %lld, reward mean %.4g, std %.4g)\n", outp, (long long)E, fr.reward_mean, fr.reward_std);
    }
    free(hc);
    free(hr);
    free(w);
    rmt_setup_free(&st);
    if (failed) fprintf(stderr, "error: %d line(s) failed\n", failed);
    return failed ? 1 : 0;
}

#endif
