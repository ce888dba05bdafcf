/* rmtool score, eval and fit-head: included by examples/rmtool.c after rm.h, rmjson.h and
   rmtool_opts.h. The options shared by the three are RMT_MODEL_OPTS below; their defaults are
   rm_scorer_desc's zeros (template auto, split paper, beta 1, precision auto, no length limit),
   and the mode, when --mode is not given, follows what the command line names: --head ->
   explicit, --ref or --ref-free -> implicit, else explicit when the model has a reward head
   (cls.output) and implicit otherwise (eval with both a head and a reference: both).

   Input: JSONL from a file, "-" for stdin, or a .gz file when rmtool is built with zlib.
   Progress goes to stderr: on a terminal a line redrawn every few rows, elsewhere one line
   every --progress seconds (default 10; 0 = none). Ctrl-C stops after the current row with
   every result so far written, and exits 130. */
#ifndef RMTOOL_SCORE_H
#define RMTOOL_SCORE_H

#include <signal.h>
#include <time.h>
#include <sys/stat.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif
#ifdef RMT_HAVE_ZLIB
#include <zlib.h>
#define RMT_GZ_NOTE "zlib " ZLIB_VERSION ": reads .gz input"
#else
#define RMT_GZ_NOTE "no zlib: .gz input must be decompressed first"
#endif

static volatile sig_atomic_t rmt_interrupted = 0;
static void rmt_on_sigint(int sig) {
    (void)sig;
    rmt_interrupted = 1;
}
#define RMT_EXIT_INTERRUPTED 130 /* 128 + SIGINT, as shells report a job stopped by Ctrl-C */

/* ------------------------------------------------------------------------------------------ */
/* Models and scorers from the command line                                                   */
/* ------------------------------------------------------------------------------------------ */

#define RMT_MODEL_OPTS                                                                                            \
    {"--model", "M", "the reward model (explicit) or the policy (implicit)", RMO_REQUIRED},                       \
    {"--ref", "R", "the reference model (implicit)", 0},                                                         \
    {"--head", "H", "a head GGUF (explicit; rmtool fit-head makes one) instead of the model's cls.output", 0},   \
    {"--beta", "B", "implicit reward scale (default 1)", 0},                                                     \
    {"--ref-free", "sum|mean|norm", "implicit without a reference: beta*sum, mean or -L2 norm of log pi", 0},    \
    {"--template", "auto|none|NAME", "chat template (default auto: the model's own, none if it has none)", 0},   \
    {"--split", "paper|rewardbench|none", "how the conversation becomes prompt and response tokens (default paper)", 0}, \
    {"--max-length", "N", "at most N tokens of prompt+response: the prompt's oldest go first (default no limit)", 0}, \
    {"--threads", "N", "threads (default: one per CPU this process may use)", 0},                                                         \
    {"--ctx", "N", "context size (default the model's trained context, or --max-length if larger)", 0},          \
    {"--precision", "auto|bf16|f32", "how F16/BF16 weights are multiplied (default auto: no weight rounded)", 0},                        \
    {"--kv-f16", NULL, "store the KV cache in F16 (half the memory)", 0},                                        \
    {"--normalize", NULL, "explicit: (r - mean) / std with the head's rm.head.mean/std", 0},                      \
    {"--label", "NAME", "explicit, multi-output head: the output \"reward\" reports (default the first; JSON \"rewards\" has all)", 0}, \
    {"--progress", "S", "seconds between progress lines when stderr is not a terminal (default 10, 0 = none)", 0}

typedef struct rmt_setup {
    rm_model *model, *ref;
    rm_head *head;
    rm_scorer *ex, *im;  /* the scorers the mode asks for */
    int mode;            /* RM_MODE_*, or 3 for both */
    rm_scorer_desc desc; /* what the last scorer was made from (serve makes one per worker) */
} rmt_setup;

static void rmt_setup_free(rmt_setup *s) {
    rm_scorer_free(s->ex);
    rm_scorer_free(s->im);
    rm_head_close(s->head);
    rm_model_close(s->model);
    rm_model_close(s->ref);
    memset(s, 0, sizeof(*s));
}

static int rmt_parse_int(const char *s, const char *name, long lo, long hi, long *out) {
    char *end;
    long v;
    if (!s) return 0;
    v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || v < lo || v > hi) return die("%s must be an integer from %ld to %ld, not '%s'", name, lo, hi, s);
    *out = v;
    return 0;
}

/* mode_hidden: fit-head's scorer (hidden states only). allow_both: eval. */
static int rmt_setup_open(const rmo_args *a, int mode_hidden, int allow_both, rmt_setup *st) {
    const char *mp = rmo_get(a, "--model"), *rp = rmo_get(a, "--ref"), *hp = rmo_get(a, "--head");
    const char *mode = rmo_get(a, "--mode"), *tmpl = rmo_get(a, "--template"), *split = rmo_get(a, "--split");
    const char *rf = rmo_get(a, "--ref-free"), *beta = rmo_get(a, "--beta"), *prec = rmo_get(a, "--precision");
    rm_scorer_desc d;
    long threads = 0, ctx = 0, maxlen = 0;
    int64_t eff_ctx;
    const rm_hparams *mh;
    memset(st, 0, sizeof(*st));
    memset(&d, 0, sizeof(d));
    if (!mp) return die("--model is required");
    if (rp && rf) return die("--ref and --ref-free exclude each other: a reference-free reward uses no reference model");
    if (rmt_parse_int(rmo_get(a, "--threads"), "--threads", 0, 1024, &threads)) return 1;
    if (rmt_parse_int(rmo_get(a, "--ctx"), "--ctx", 0, 1 << 24, &ctx)) return 1;
    if (rmt_parse_int(rmo_get(a, "--max-length"), "--max-length", 4, 1 << 24, &maxlen)) return 1;
    if (ctx && maxlen > ctx) return die("--max-length %ld does not fit in --ctx %ld", maxlen, ctx);
    d.n_threads = (int)threads;
    d.n_ctx = ctx;
    d.max_length = maxlen;
    d.label = rmo_get(a, "--label");
    d.kv_f16 = rmo_has(a, "--kv-f16");
    if (prec) {
        if (strcmp(prec, "auto") == 0) d.precision = RM_PRECISION_AUTO;
        else if (strcmp(prec, "bf16") == 0) d.precision = RM_PRECISION_BF16;
        else if (strcmp(prec, "f32") == 0) d.precision = RM_PRECISION_F32;
        else return die("--precision takes auto, bf16 or f32, not '%s'", prec);
    }
    d.normalize = rmo_has(a, "--normalize");
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
    if (tmpl) {
        d.chat_template = rm_chat_template_from_name(tmpl);
        if (d.chat_template < 0) {
            int i;
            fprintf(stderr, "error: unknown template '%s'; choose", tmpl);
            for (i = 0; i < RM_CHAT_COUNT; i++) fprintf(stderr, "%s %s", i ? "," : "", rm_chat_template_name(i));
            fprintf(stderr, "\n");
            return 1;
        }
    }
    if (mode_hidden) st->mode = RM_MODE_HIDDEN;
    else if (mode) {
        if (strcmp(mode, "explicit") == 0) st->mode = RM_MODE_EXPLICIT;
        else if (strcmp(mode, "implicit") == 0) st->mode = RM_MODE_IMPLICIT;
        else if (strcmp(mode, "both") == 0 && allow_both) st->mode = 3;
        else return die("--mode takes explicit%s, not '%s'", allow_both ? ", implicit or both" : " or implicit", mode);
    }
    if (rm_model_open(mp, &st->model) != RM_OK) return die("%s: %s", mp, rm_model_error(st->model));
    mh = rm_model_hparams(st->model);
    if (!mode_hidden && !mode) {
        /* what the command line names decides; the model's own head only when it names nothing */
        if (hp && (rp || rf)) {
            if (!allow_both) return die("--head and --%s name both modes: give --mode explicit or implicit", rp ? "ref" : "ref-free");
            st->mode = 3;
        } else if (hp) st->mode = RM_MODE_EXPLICIT;
        else if (rp || rf) st->mode = (allow_both && mh->n_cls_out > 0) ? 3 : RM_MODE_IMPLICIT;
        else st->mode = mh->n_cls_out > 0 ? RM_MODE_EXPLICIT : RM_MODE_IMPLICIT;
    }
    /* options the chosen mode does not use: said, never silently dropped */
    if (st->mode == RM_MODE_EXPLICIT || st->mode == RM_MODE_HIDDEN) {
        if (rp) rmo_warn("--ref is not used in explicit mode (--mode implicit or both scores with it)");
        if (rf) rmo_warn("--ref-free is not used in explicit mode");
        if (beta) rmo_warn("--beta is not used in explicit mode");
    }
    if (st->mode == RM_MODE_IMPLICIT) {
        if (hp) rmo_warn("--head is not used in implicit mode (--mode explicit or both scores with it)");
        if (d.normalize) rmo_warn("--normalize is not used in implicit mode");
    }
    if (beta && (d.ref_free == RM_REF_FREE_MEAN || d.ref_free == RM_REF_FREE_NORM))
        rmo_warn("--beta does not scale --ref-free %s", rf);
    if (d.normalize && !hp && st->mode != RM_MODE_IMPLICIT) rmo_warn("--normalize needs a head file with rm.head.mean/std (--head)");
    eff_ctx = ctx ? ctx : (maxlen > mh->n_ctx_train ? maxlen : mh->n_ctx_train);
    if (eff_ctx > mh->n_ctx_train) {
        rm_str arch = {"", 0};
        rm_gguf_get_str(rm_model_gguf(st->model), "general.architecture", &arch);
        rmo_warn("a context of %lld tokens exceeds %s's trained context of %lld (%.*s.context_length): positions past it are "
                 "extrapolated", (long long)eff_ctx, mp, (long long)mh->n_ctx_train, (int)arch.len, arch.ptr);
    }
    if (hp && st->mode != RM_MODE_IMPLICIT && rm_head_open(hp, &st->head) != RM_OK) return die("%s: %s", hp, rm_head_error(st->head));
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
    st->desc = d;
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
    int is_pair;    /* resp[0] is the chosen response, resp[1] the rejected one */
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

/* Reads one row: a preference pair ({prompt|messages, chosen, rejected}, HH-RLHF {chosen,
   rejected}, or OpenAI DPO {input.messages, preferred_output, non_preferred_output}: is_pair
   set), or for score (pairs = 0) also {prompt|messages, response|responses}. eval and
   fit-head (pairs = 1) take pairs only. */
static const char *rmt_read_row(const rmj_value *o, int pairs, int raw, rmt_row *row) {
    const rmj_value *v;
    const char *e, *s;
    size_t n;
    memset(row, 0, sizeof(*row));
    if (!rmj_is_object(o)) return "the line is not a JSON object";
    if (rmj_is_string(rmj_get(o, "subset"))) row->subset = rmj_str(rmj_get(o, "subset"), &row->subset_len);
    if ((v = rmj_get(o, "input")) && rmj_get(v, "messages")) { /* OpenAI DPO */
        if ((e = rmt_take_messages(row, rmj_get(v, "messages")))) return e;
        row->is_pair = 1;
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
    } else if (rmj_is_string(rmj_get(o, "chosen")) && rmj_is_string(rmj_get(o, "rejected"))) {
        size_t cn, rn;
        const char *c = rmj_str(rmj_get(o, "chosen"), &cn), *r = rmj_str(rmj_get(o, "rejected"), &rn);
        row->is_pair = 1;
        return rmt_take_hh(row, c, cn, r, rn, raw);
    } else
        return "no \"prompt\", \"messages\", HH-RLHF transcripts or OpenAI \"input\"";
    if (pairs || (!rmj_get(o, "response") && !rmj_get(o, "responses") && rmj_get(o, "chosen") && rmj_get(o, "rejected"))) {
        row->is_pair = 1;
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

/* ------------------------------------------------------------------------------------------ */
/* Input lines: a file, stdin ("-"), or gzip through zlib                                     */
/* ------------------------------------------------------------------------------------------ */

typedef struct rmt_lines {
    FILE *f;
#ifdef RMT_HAVE_ZLIB
    gzFile gz;
#endif
    char *buf;
    size_t cap;
    long lineno;   /* lines read so far, blank ones included */
    long n_rows;   /* non-blank lines handed out */
} rmt_lines;

static int rmt_getc(rmt_lines *L) {
#ifdef RMT_HAVE_ZLIB
    if (L->gz) return gzgetc(L->gz);
#endif
    return L->f ? fgetc(L->f) : EOF;
}

/* Opens path ("-": stdin) for reading lines; prints the error and returns 1 on failure. */
static int rmt_lines_open(rmt_lines *L, const char *path) {
    int is_stdin = strcmp(path, "-") == 0;
    memset(L, 0, sizeof(*L));
    if (!is_stdin) {
        struct stat sb;
        if (stat(path, &sb) != 0) return die("cannot open '%s': %s", path, strerror(errno));
        if (S_ISDIR(sb.st_mode)) return die("'%s' is a directory; --input takes a JSONL file (or - for stdin)", path);
    }
#ifdef RMT_HAVE_ZLIB
    if (!is_stdin) {
        L->gz = gzopen(path, "rb"); /* plain files are read as they are */
        if (!L->gz) return die("cannot open '%s': %s", path, errno ? strerror(errno) : "out of memory");
        return 0;
    }
    /* stdin stays on stdio: zlib's reads wait for a full buffer, and a pipe must stream line by line */
#endif
    L->f = is_stdin ? stdin : fopen(path, "rb");
    if (!L->f) return die("cannot open '%s': %s", path, strerror(errno));
    {
        int c0 = fgetc(L->f);
        if (c0 == 0x1f) { /* gzip's first byte; no JSON text starts with it */
            int c1 = fgetc(L->f);
            if (!is_stdin) fclose(L->f);
            L->f = NULL;
            if (c1 == 0x8b && is_stdin) return die("stdin is gzip-compressed: decompress it first (gzip -dc FILE | rmtool ...)");
            if (c1 == 0x8b) return die("'%s' is gzip-compressed and this rmtool was built without zlib: decompress it first (gzip -dk)", path);
            return die("'%s' is not JSONL text (it starts with byte 0x1f)", path);
        }
        if (c0 != EOF) ungetc(c0, L->f);
    }
    return 0;
}

static void rmt_lines_close(rmt_lines *L) {
#ifdef RMT_HAVE_ZLIB
    if (L->gz) gzclose(L->gz);
#endif
    if (L->f && L->f != stdin) fclose(L->f);
    free(L->buf);
    memset(L, 0, sizeof(*L));
}

/* The next line (without its newline) in L->buf; 0 at the end. Blank lines are skipped. */
static int rmt_next_line(rmt_lines *L, size_t *len) {
    for (;;) {
        size_t n = 0;
        int c = EOF;
        while ((c = rmt_getc(L)) != EOF) {
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
        if (!L->buf) { /* an empty line at the very start */
            L->buf = (char *)malloc(65536);
            if (!L->buf) return 0;
            L->cap = 65536;
        }
        if (n && L->buf[n - 1] == '\r') n--;
        L->buf[n] = 0;
        L->lineno++;
        if (n == 0) continue;
        L->n_rows++;
        *len = n;
        return 1;
    }
}

/* Non-blank lines of a file, for the ETA; -1 for stdin or when it cannot be read. */
static long rmt_count_lines(const char *path) {
    rmt_lines L;
    size_t len;
    long n = 0;
    if (strcmp(path, "-") == 0) return -1;
    if (rmt_lines_open(&L, path)) return -1;
    while (rmt_next_line(&L, &len)) n++;
    rmt_lines_close(&L);
    return n;
}

/* Progress on stderr: redrawn in place on a terminal, one line every `every` seconds
   elsewhere (a log file, a CI job). */
typedef struct rmt_progress {
    double t0, last;
    int tty;
    double every; /* seconds; 0: no progress */
} rmt_progress;

static int rmt_progress_init(rmt_progress *p, const rmo_args *a) {
    double every = 10;
    const char *v = rmo_get(a, "--progress");
    if (v) {
        char *end;
        every = strtod(v, &end);
        if (!*v || *end || !(every >= 0) || every > 1e6) return die("--progress takes seconds (0 = none), not '%s'", v);
    }
    p->t0 = p->last = rmt_now();
    p->tty = 0;
#if !defined(_WIN32)
    p->tty = isatty(2);
#endif
    p->every = every;
    return 0;
}

static void rmt_progress_tick(rmt_progress *p, long done, long total, long tokens, const char *what, int final) {
    double now = rmt_now(), dt = now - p->t0;
    if (p->every <= 0 || dt <= 0) return;
    if (p->tty ? !(final || done % 4 == 0) : (now - p->last < p->every && !final)) return;
    if (!p->tty && final && now - p->t0 < p->every) return; /* a short run needs no log line */
    p->last = now;
    fprintf(stderr, "%s%ld/%ld %s  %.2f %s/s  %.0f tok/s  ETA %.0fs%s", p->tty ? "\r" : "progress: ", done, total < 0 ? 0 : total,
            what, done / dt, what, tokens / dt, total > done ? (total - done) * dt / (double)(done ? done : 1) : 0.0,
            p->tty ? "   " : "\n");
    if (p->tty && final) fprintf(stderr, "\n");
}

/* An output path fit-head can write: its directory exists and is writable, and it is not a
   directory itself. Checked before the work, so a typo does not cost a whole fit. */
static int rmt_check_writable(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return die("cannot write '%s': it is a directory", path);
    if (!slash) snprintf(dir, sizeof(dir), ".");
    else if (slash == path) snprintf(dir, sizeof(dir), "/");
    else snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (stat(dir, &sb) != 0) return die("cannot write '%s': %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return die("cannot write '%s': %s is not a directory", path, dir);
#if !defined(_WIN32)
    if (access(dir, W_OK) != 0) return die("cannot write '%s': %s: %s", path, dir, strerror(errno));
#endif
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* score                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void rmt_json_ids(FILE *f, const char *key, const int32_t *ids, int64_t n) {
    int64_t i;
    fprintf(f, ",\"%s\":[", key);
    for (i = 0; i < n; i++) fprintf(f, i ? ",%d" : "%d", ids[i]);
    fprintf(f, "]");
}
static void rmt_json_dbl(FILE *f, const char *key, const double *v, int64_t n) {
    int64_t i;
    fprintf(f, ",\"%s\":[", key);
    for (i = 0; i < n; i++) {
        if (i) fprintf(f, ",");
        rmj_write_double(f, v[i]);
    }
    fprintf(f, "]");
}

/* "id": the row's id as it was (string or number), with a comma after it; nothing without one. */
static void rmt_json_id(FILE *f, const rmj_value *id) {
    size_t n;
    const char *s;
    if (!id || !(rmj_is_string(id) || rmj_is_number(id))) return;
    s = rmj_is_string(id) ? rmj_str(id, &n) : NULL;
    fprintf(f, "\"id\":");
    if (s) rmj_write_string(f, s, n);
    else rmj_write_double(f, rmj_num(id));
    fprintf(f, ",");
}

/* One score object as `score` writes it (and `serve`'s /score returns it), newline included.
   which: "chosen" / "rejected" for the two responses of a preference row, else NULL. */
static void rmt_print_score(FILE *f, const rm_score *sc, const rm_scorer *scr, const rm_model *m, int per_token, int hidden, long line, int index,
                            const rmj_value *id, const char *which) {
    fprintf(f, "{");
    if (line > 0) fprintf(f, "\"line\":%ld,\"index\":%d,", line, index);
    rmt_json_id(f, id);
    if (which) fprintf(f, "\"which\":\"%s\",", which);
    fprintf(f, "\"reward\":");
    rmj_write_double(f, sc->reward);
    if (sc->nonfinite) fprintf(f, ",\"nonfinite\":true");
    if (sc->rewards) {
        /* every output of the head by name: multi-attribute reward models */
        int64_t i;
        fprintf(f, ",\"rewards\":{");
        for (i = 0; i < sc->n_rewards; i++) {
            rm_str nm = rm_scorer_label(scr, i);
            if (i) fprintf(f, ",");
            rmj_write_string(f, nm.ptr, nm.len);
            fprintf(f, ":");
            rmj_write_double(f, sc->rewards[i]);
        }
        fprintf(f, "}");
    }
    if (sc->truncated)
        fprintf(f, ",\"truncated\":true,\"prompt_cut\":%lld,\"response_cut\":%lld", (long long)sc->n_prompt_cut, (long long)sc->n_response_cut);
    rmt_json_ids(f, "prompt_ids", sc->prompt_ids, sc->n_prompt);
    rmt_json_ids(f, "response_ids", sc->response_ids, sc->n_response);
    if (per_token && sc->logprobs) {
        rmt_json_dbl(f, "logprobs", sc->logprobs, sc->n_response);
        if (sc->ref_logprobs) rmt_json_dbl(f, "ref_logprobs", sc->ref_logprobs, sc->n_response);
        rmt_json_dbl(f, "contributions", sc->contributions, sc->n_response);
    }
    if (hidden && sc->last_hidden) {
        int64_t i, E = rm_model_hparams(m)->n_embd;
        fprintf(f, ",\"last_hidden\":[");
        for (i = 0; i < E; i++) {
            if (i) fprintf(f, ",");
            rmj_write_float(f, sc->last_hidden[i]);
        }
        fprintf(f, "]");
    }
    fprintf(f, "}\n");
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

/* --shard I/N (1 <= I <= N): this run scores the I-th of N contiguous blocks of rows, so that
   the outputs of the N runs, concatenated in order, are the output of one run; needs a file,
   not stdin, to count the rows. */
static int rmt_parse_shard(const char *s, const char *input, long *i, long *n) {
    char *end;
    *i = *n = 1;
    if (!s) return 0;
    *i = strtol(s, &end, 10);
    if (end == s || *end != '/') return die("--shard takes I/N (1 <= I <= N), not '%s'", s);
    *n = strtol(end + 1, &end, 10);
    if (*end || *n < 1 || *n > 1000000 || *i < 1 || *i > *n) return die("--shard takes I/N (1 <= I <= N), not '%s'", s);
    if (!input || strcmp(input, "-") == 0) return die("--shard needs --input FILE (its rows are counted to cut the blocks)");
    return 0;
}

static const rmo_opt rmt_score_opts[] = {
    RMT_MODEL_OPTS,
    {"--mode", "explicit|implicit", "which reward (default: see rmtool --help score's notes)", 0},
    {"--prompt", "P", "one prompt (with --response)", 0},
    {"--response", "R", "its response", 0},
    {"--input", "F", "JSONL rows (- for stdin; .gz with zlib): score rows or preference rows", 0},
    {"--shard", "I/N", "score only the I-th of N contiguous blocks of rows (Slurm arrays, GNU parallel)", 0},
    {"--per-token", NULL, "implicit: per-token log-probs and contributions", 0},
    {"--hidden", NULL, "the last hidden state (JSON output only)", 0},
    {"--json", NULL, "JSON output for --prompt/--response (--input always writes JSONL)", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rmt_score_cmd = {
    "score", "rewards of prompt/response pairs (one pair, or JSONL in and JSONL out)", NULL, 0, rmt_score_opts,
    "Mode when --mode is not given: explicit with --head, implicit with --ref or --ref-free, otherwise explicit\n"
    "if the model has a reward head (cls.output) and implicit if it has none.\n"
    "Rows: {prompt|messages, response} or {prompt|messages, responses: [...]}, and preference rows\n"
    "({prompt, chosen, rejected}, HH-RLHF {chosen, rejected}, OpenAI DPO {input, preferred_output,\n"
    "non_preferred_output}): both responses scored, each output row saying \"which\": chosen or rejected.\n"
    "Each result row carries line, index, id (when the row has one) and reward; a failed row or response is\n"
    "written as {\"line\", \"id\", \"error\"} and the rest are still scored. The counts (scored, failed,\n"
    "truncated) end the run on stderr; the exit status is 1 if anything failed, 130 after Ctrl-C.\n"};

static int cmd_score(int argc, char **argv) {
    rmo_args a;
    int prc = rmo_parse(&rmt_score_cmd, argc, argv, &a);
    const char *input, *prompt, *response;
    int per_token, hidden, json;
    rmt_setup st;
    rm_scorer *sc;
    rm_model *m;
    long failed = 0, scored = 0, truncated = 0, written = 0, shard_i = 1, shard_n = 1, first = 1, last = 0;
    int raw;
    rmt_progress pg;
    if (prc >= 0) return prc;
    input = rmo_get(&a, "--input"), prompt = rmo_get(&a, "--prompt"), response = rmo_get(&a, "--response");
    per_token = rmo_has(&a, "--per-token"), hidden = rmo_has(&a, "--hidden"), json = rmo_has(&a, "--json");
    if (!input == !(prompt && response) || (input && (prompt || response)))
        return rmo_error(&rmt_score_cmd, "give --prompt and --response, or --input FILE.jsonl");
    if (hidden && !input && !json) return die("--hidden needs --json: the text output has no place for the hidden state");
    if (rmt_parse_shard(rmo_get(&a, "--shard"), input, &shard_i, &shard_n)) return 1;
    if (rmt_progress_init(&pg, &a)) return 1;
    if (rmt_setup_open(&a, 0, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    sc = st.ex ? st.ex : st.im;
    m = st.model;
    if (per_token && !st.im) rmo_warn("--per-token has no per-token values in explicit mode (the reward reads one hidden state)");
    raw = rm_scorer_template(sc) == RM_CHAT_NONE || (rmo_get(&a, "--split") && strcmp(rmo_get(&a, "--split"), "none") == 0);
    if (!input) {
        rm_score s;
        if (rm_score_pair(sc, prompt, response, &s) != RM_OK) {
            die("%s", rm_scorer_error(sc));
            rmt_setup_free(&st);
            return 1;
        }
        if (json) rmt_print_score(stdout, &s, sc, m, per_token, hidden, 0, 0, NULL, NULL);
        else {
            printf("reward: %.6f%s\n", s.reward, s.nonfinite ? " (non-finite: NaN or Inf arose)" : "");
            if (s.n_rewards > 1) {
                int64_t i;
                for (i = 0; i < s.n_rewards; i++) {
                    rm_str nm = rm_scorer_label(sc, i);
                    printf("  %.*s: %.6f\n", (int)nm.len, nm.ptr, s.rewards[i]);
                }
            }
            if (s.truncated)
                printf("truncated to --max-length: %lld prompt and %lld response tokens dropped\n", (long long)s.n_prompt_cut,
                       (long long)s.n_response_cut);
            if (per_token && s.logprobs) rmt_print_tokens(&s, m);
        }
        rmt_setup_free(&st);
        return s.nonfinite ? 1 : 0;
    }
    {
        rmt_lines L;
        size_t len;
        long total = rmt_count_lines(input), done = 0, tokens = 0;
        if (rmt_lines_open(&L, input)) {
            rmt_setup_free(&st);
            return 1;
        }
        if (shard_n > 1) {
            /* rows first..last (1-based, blank lines not counted): blocks balanced to one row */
            first = (long)((long long)total * (shard_i - 1) / shard_n) + 1;
            last = (long)((long long)total * shard_i / shard_n);
            total = last - first + 1;
        }
        signal(SIGINT, rmt_on_sigint);
        while (!rmt_interrupted && rmt_next_line(&L, &len)) {
            rmj_error je;
            rmj_doc *doc;
            rmt_row row;
            const char *e;
            rm_score out[16];
            const rmj_value *id;
            int64_t k;
            rm_result r = RM_OK;
            if (shard_n > 1 && L.n_rows < first) continue;
            if (shard_n > 1 && L.n_rows > last) break;
            doc = rmj_parse(L.buf, len, &je);
            if (!doc) {
                fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", input, L.lineno, je.msg);
                {
                    /* one JSON string: "invalid JSON: <the parser's message>" */
                    char msg[320];
                    snprintf(msg, sizeof(msg), "invalid JSON: %s", je.msg);
                    printf("{\"line\":%ld,\"error\":", L.lineno);
                    rmj_write_string(stdout, msg, strlen(msg));
                    printf("}\n");
                }
                failed++;
                written++;
                fflush(stdout);
                done++;
                continue;
            }
            id = rmj_get(rmj_root(doc), "id");
            e = rmt_read_row(rmj_root(doc), 0, raw, &row);
            if (!e && (r = rm_score_chat(sc, row.msgs, row.n_msgs, row.resp, row.n_resp, out)) != RM_OK) e = rm_scorer_error(sc);
            if (e && r == RM_ERR_CONTEXT && row.n_resp > 1) {
                /* one response too long for the context fails alone: the others are scored */
                for (k = 0; k < row.n_resp; k++) {
                    const char *which = row.is_pair ? (k ? "rejected" : "chosen") : NULL;
                    if (rm_score_chat(sc, row.msgs, row.n_msgs, &row.resp[k], 1, &out[k]) != RM_OK) {
                        const char *ek = rm_scorer_error(sc);
                        fprintf(stderr, "error: %s:%ld: response %lld: %s\n", input, L.lineno, (long long)k, ek);
                        printf("{\"line\":%ld,\"index\":%lld,", L.lineno, (long long)k);
                        rmt_json_id(stdout, id);
                        if (which) printf("\"which\":\"%s\",", which);
                        printf("\"error\":");
                        rmj_write_string(stdout, ek, strlen(ek));
                        printf("}\n");
                        failed++;
                    } else {
                        rmt_print_score(stdout, &out[k], sc, m, per_token, hidden, L.lineno, (int)k, id, which);
                        tokens += out[k].n_prompt + out[k].n_response;
                        if (out[k].nonfinite) failed++;
                        else scored++;
                        truncated += out[k].truncated;
                    }
                    written++;
                }
            } else if (e) {
                fprintf(stderr, "error: %s:%ld: %s\n", input, L.lineno, e);
                printf("{\"line\":%ld,", L.lineno);
                rmt_json_id(stdout, id);
                printf("\"error\":");
                rmj_write_string(stdout, e, strlen(e));
                printf("}\n");
                failed++;
                written++;
            } else {
                for (k = 0; k < row.n_resp; k++) {
                    rmt_print_score(stdout, &out[k], sc, m, per_token, hidden, L.lineno, (int)k, id,
                                    row.is_pair ? (k ? "rejected" : "chosen") : NULL);
                    tokens += out[k].n_response + (k ? 0 : out[k].n_prompt);
                    if (out[k].nonfinite) failed++;
                    else scored++;
                    truncated += out[k].truncated;
                    written++;
                }
            }
            fflush(stdout);
            rmj_free(doc);
            done++;
            rmt_progress_tick(&pg, done, total, tokens, "rows", 0);
        }
        rmt_progress_tick(&pg, done, total, tokens, "rows", 1);
        rmt_lines_close(&L);
        if (done == 0 && !rmt_interrupted && shard_n == 1) { /* a shard past the last row is empty */
            rmt_setup_free(&st);
            return die("'%s' has no rows: the input is empty", input);
        }
        fprintf(stderr, "score: %ld response(s) scored, %ld failed, %ld truncated, from %ld row(s)\n", scored, failed, truncated, done);
        if (rmt_interrupted)
            fprintf(stderr, "error: interrupted after %ld row(s); their %ld result line(s) are written\n", done, written);
    }
    rmt_setup_free(&st);
    if (failed) fprintf(stderr, "error: %ld response(s) or row(s) failed\n", failed);
    return rmt_interrupted ? RMT_EXIT_INTERRUPTED : failed ? 1 : 0;
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

static const rmo_opt rmt_eval_opts[] = {
    RMT_MODEL_OPTS,
    {"--mode", "explicit|implicit|both", "which rewards (default: as score, both with a head and a reference)", 0},
    {"--input", "F", "preference JSONL (- for stdin; .gz with zlib)", RMO_REQUIRED},
    {"--limit", "N", "stop after N rows", 0},
    {"--scores", "F", "write each pair's rewards to F (JSONL: line, id, subset, rewards, correct)", 0},
    {"--json", NULL, "one JSON object instead of the table", 0},
    {"--format", "rewardbench", "write RewardBench's result files into --out and print its lines instead", 0},
    {"--out", "DIR", "--format rewardbench: the directory that gets results/eval-set[-scores]/NAME.json", 0},
    {"--model-name", "NAME", "--format rewardbench: the model's name in the files (default the file's name)", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rmt_eval_cmd = {
    "eval", "accuracy and margins of a reward model over preference pairs, per subset", NULL, 0, rmt_eval_opts,
    "Rows: {prompt|messages, chosen, rejected}, HH-RLHF {chosen, rejected}, OpenAI DPO {input, preferred_output,\n"
    "non_preferred_output}; an optional \"subset\" adds per-subset rows.\n"
    "accuracy counts a tie as half right, acc(ties=0) as wrong; mean margin is the mean of r_chosen - r_rejected;\n"
    "norm margin is the mean |r_chosen - r_rejected| divided by the standard deviation of all rewards of the\n"
    "subset (both responses of every pair): margins comparable across reward scales.\n"
    "The last line counts the pairs scored, the rows that failed (each reported on stderr with its line) and\n"
    "the pairs that --max-length truncated; --json has them as pairs (= scored), failed, truncated.\n"};

/* --format rewardbench: RewardBench's files and lines (examples/rmtool_rewardbench.h) */
static int rmt_eval_rewardbench(const rmo_args *a);

static int cmd_eval(int argc, char **argv) {
    rmo_args a;
    int prc = rmo_parse(&rmt_eval_cmd, argc, argv, &a);
    const char *input, *scores;
    int json;
    rmt_setup st;
    rmt_stats ex[RMT_MAX_SUBSETS], im[RMT_MAX_SUBSETS];
    int nex = 1, nim = 1, raw_ex = 0, raw_im = 0;
    long limit = 0, done = 0, total, failed = 0, scored = 0, truncated = 0, tokens = 0;
    rmt_lines L;
    size_t len;
    FILE *fs = NULL;
    rmt_progress pg;
    if (prc >= 0) return prc;
    if (rmo_get(&a, "--format")) return rmt_eval_rewardbench(&a);
    input = rmo_get(&a, "--input"), scores = rmo_get(&a, "--scores");
    json = rmo_has(&a, "--json");
    if (rmt_parse_int(rmo_get(&a, "--limit"), "--limit", 0, 1L << 30, &limit)) return 1;
    if (rmt_progress_init(&pg, &a)) return 1;
    if (rmt_setup_open(&a, 0, 1, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    memset(ex, 0, sizeof(ex));
    memset(im, 0, sizeof(im));
    strcpy(ex[0].name, "all");
    strcpy(im[0].name, "all");
    if (st.ex) raw_ex = rm_scorer_template(st.ex) == RM_CHAT_NONE;
    if (st.im) raw_im = rm_scorer_template(st.im) == RM_CHAT_NONE;
    if (rmo_get(&a, "--split") && strcmp(rmo_get(&a, "--split"), "none") == 0) raw_ex = raw_im = 1;
    if (rmt_lines_open(&L, input)) {
        rmt_setup_free(&st);
        return 1;
    }
    if (scores && !(fs = fopen(scores, "wb"))) {
        rmt_lines_close(&L);
        rmt_setup_free(&st);
        return die("cannot write '%s': %s", scores, strerror(errno));
    }
    total = rmt_count_lines(input);
    if (limit && (total < 0 || total > limit)) total = limit;
    signal(SIGINT, rmt_on_sigint);
    while (!rmt_interrupted && (!limit || done < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        const char *e = NULL;
        double r[2][2] = {{0, 0}, {0, 0}};
        int pass, trunc = 0;
        const rmj_value *id = NULL;
        done++;
        doc = rmj_parse(L.buf, len, &je);
        if (!doc) {
            fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", input, L.lineno, je.msg);
            if (fs) {
                char msg[320]; /* one JSON string: "invalid JSON: <the parser's message>" */
                snprintf(msg, sizeof(msg), "invalid JSON: %s", je.msg);
                fprintf(fs, "{\"line\":%ld,\"error\":", L.lineno);
                rmj_write_string(fs, msg, strlen(msg));
                fprintf(fs, "}\n");
            }
            failed++;
            continue;
        }
        id = rmj_get(rmj_root(doc), "id");
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
                trunc |= out[0].truncated | out[1].truncated;
                tokens += out[0].n_prompt + out[0].n_response + out[1].n_response;
            }
        }
        if (e) {
            fprintf(stderr, "error: %s:%ld: %s\n", input, L.lineno, e);
            if (fs) {
                fprintf(fs, "{\"line\":%ld,", L.lineno);
                rmt_json_id(fs, id);
                fprintf(fs, "\"error\":");
                rmj_write_string(fs, e, strlen(e));
                fprintf(fs, "}\n");
            }
            failed++;
        } else {
            scored++;
            truncated += trunc;
            if (st.ex) {
                rmt_stats_add(&ex[0], r[0][0], r[0][1]);
                if (row.subset) rmt_stats_add(&ex[rmt_subset(ex, &nex, row.subset, row.subset_len)], r[0][0], r[0][1]);
            }
            if (st.im) {
                rmt_stats_add(&im[0], r[1][0], r[1][1]);
                if (row.subset) rmt_stats_add(&im[rmt_subset(im, &nim, row.subset, row.subset_len)], r[1][0], r[1][1]);
            }
            if (fs) {
                fprintf(fs, "{\"line\":%ld,", L.lineno);
                rmt_json_id(fs, id);
                if (row.subset) {
                    fprintf(fs, "\"subset\":");
                    rmj_write_string(fs, row.subset, row.subset_len);
                    fprintf(fs, ",");
                }
                fprintf(fs, "\"truncated\":%s", trunc ? "true" : "false");
                if (st.ex)
                    fprintf(fs, ",\"ex_chosen\":%.9g,\"ex_rejected\":%.9g,\"ex_correct\":%s", r[0][0], r[0][1],
                            r[0][0] > r[0][1] ? "true" : "false");
                if (st.im)
                    fprintf(fs, ",\"im_chosen\":%.9g,\"im_rejected\":%.9g,\"im_correct\":%s", r[1][0], r[1][1],
                            r[1][0] > r[1][1] ? "true" : "false");
                fprintf(fs, "}\n");
            }
        }
        if (fs) fflush(fs);
        rmj_free(doc);
        rmt_progress_tick(&pg, done, total, tokens, "pairs", 0);
    }
    rmt_progress_tick(&pg, done, total, tokens, "pairs", 1);
    rmt_lines_close(&L);
    if (fs) fclose(fs);
    if (done == 0 && !rmt_interrupted) {
        rmt_setup_free(&st);
        return die("'%s' has no rows: the input is empty", input);
    }
    if (json) {
        int first = 1;
        printf("{\"pairs\":%ld,\"scored\":%ld,\"failed\":%ld,\"truncated\":%ld,\"results\":[", scored, scored, failed, truncated);
        if (st.ex) rmt_print_stats(ex, nex, "explicit", 1, &first);
        if (st.im) rmt_print_stats(im, nim, "implicit", 1, &first);
        printf("]}\n");
    } else {
        printf("%-10s %-24s %6s %9s %11s %12s %12s\n", "mode", "subset", "pairs", "accuracy", "acc(ties=0)", "mean margin",
               "norm margin");
        if (st.ex) rmt_print_stats(ex, nex, "explicit", 0, NULL);
        if (st.im) rmt_print_stats(im, nim, "implicit", 0, NULL);
        printf("pairs scored %ld, failed %ld, truncated %ld\n", scored, failed, truncated);
    }
    if (rmt_interrupted) fprintf(stderr, "error: interrupted after %ld row(s); the table covers the %ld pair(s) scored\n", done, scored);
    if (failed) fprintf(stderr, "error: %ld row(s) failed\n", failed);
    rmt_setup_free(&st);
    return rmt_interrupted ? RMT_EXIT_INTERRUPTED : failed ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* fit-head                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const rmo_opt rmt_fit_head_opts[] = {
    {"--model", "M", "the model whose frozen last hidden states the head reads", RMO_REQUIRED},
    {"--input", "F", "preference JSONL (- for stdin; .gz with zlib)", RMO_REQUIRED},
    {"--output|-o", "FILE", "the head GGUF to write", RMO_REQUIRED},
    {"--l2", "X", "L2 penalty in RMS-scaled feature units (default 1e-3)", 0},
    {"--holdout", "F", "fraction of pairs held out for the accuracy report (default 0.2)", 0},
    {"--iters", "N", "full-batch Adam steps (default 300)", 0},
    {"--seed", "N", "seed of the hold-out shuffle (default 1)", 0},
    {"--limit", "N", "use the first N pairs", 0},
    {"--template", "auto|none|NAME", "chat template (default auto); score with the same one later", 0},
    {"--split", "paper|rewardbench|none", "segmentation (default paper); score with the same one later", 0},
    {"--max-length", "N", "at most N tokens of prompt+response (the prompt's oldest go first)", 0},
    {"--threads", "N", "threads (default: one per CPU this process may use)", 0},
    {"--ctx", "N", "context size (default the model's trained context)", 0},
    {"--precision", "auto|bf16|f32", "how F16/BF16 weights are multiplied (default auto: no weight rounded)", 0},
    {"--kv-f16", NULL, "store the KV cache in F16", 0},
    {"--progress", "S", "seconds between progress lines when stderr is not a terminal (default 10, 0 = none)", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rmt_fit_head_cmd = {
    "fit-head", "fit an EX-RM head (Bradley-Terry) on a model's frozen last-token hidden states", NULL, 0, rmt_fit_head_opts,
    "The result is bit-reproducible for one build on one kind of CPU whatever the thread count; other kernels\n"
    "(AVX-512 or scalar) move the hidden states in their last bits. make head uses the scalar build.\n"};

static int cmd_fit_head(int argc, char **argv) {
    rmo_args a;
    int prc = rmo_parse(&rmt_fit_head_cmd, argc, argv, &a);
    const char *input, *outp;
    rmt_setup st;
    rmt_lines L;
    size_t len;
    float *hc = NULL, *hr = NULL, *w = NULL;
    long cap = 0, np = 0, limit = 0, iters = 300, seed = 1, failed = 0, rows = 0, total, tokens = 0;
    int raw;
    double l2 = 1e-3, holdout = 0.2;
    int64_t E;
    rmt_progress pg;
    if (prc >= 0) return prc;
    input = rmo_get(&a, "--input"), outp = rmo_get(&a, "--output");
    if (rmo_get(&a, "--l2")) {
        char *end;
        l2 = strtod(rmo_get(&a, "--l2"), &end);
        if (*end) l2 = -1;
    }
    if (rmo_get(&a, "--holdout")) {
        char *end;
        holdout = strtod(rmo_get(&a, "--holdout"), &end);
        if (*end) holdout = -1;
    }
    if (!(l2 >= 0) || !(holdout >= 0 && holdout < 1)) return die("--l2 must be a number >= 0 and --holdout one in [0, 1)");
    if (rmt_parse_int(rmo_get(&a, "--iters"), "--iters", 1, 100000, &iters)) return 1;
    if (rmt_parse_int(rmo_get(&a, "--seed"), "--seed", 0, 1L << 30, &seed)) return 1;
    if (rmt_parse_int(rmo_get(&a, "--limit"), "--limit", 0, 1L << 30, &limit)) return 1;
    if (rmt_progress_init(&pg, &a)) return 1;
    if (rmt_check_writable(outp)) return 1;
    if (rmt_setup_open(&a, 1, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    E = rm_model_hparams(st.model)->n_embd;
    raw = rm_scorer_template(st.ex) == RM_CHAT_NONE || (rmo_get(&a, "--split") && strcmp(rmo_get(&a, "--split"), "none") == 0);
    if (rmt_lines_open(&L, input)) {
        rmt_setup_free(&st);
        return 1;
    }
    total = rmt_count_lines(input);
    if (limit && (total < 0 || total > limit)) total = limit;
    signal(SIGINT, rmt_on_sigint);
    while (!rmt_interrupted && (!limit || np < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        rm_score out[2];
        const char *e;
        rows++;
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
                float *pa = (float *)realloc(hc, (size_t)(nc * E) * sizeof(float)), *pb;
                if (!pa) break;
                hc = pa;
                pb = (float *)realloc(hr, (size_t)(nc * E) * sizeof(float));
                if (!pb) break;
                hr = pb;
                cap = nc;
            }
            memcpy(hc + np * E, out[0].last_hidden, (size_t)E * sizeof(float));
            memcpy(hr + np * E, out[1].last_hidden, (size_t)E * sizeof(float));
            tokens += out[0].n_prompt + out[0].n_response + out[1].n_response;
            np++;
        }
        rmj_free(doc);
        rmt_progress_tick(&pg, rows, total, tokens, "pairs", 0);
    }
    rmt_progress_tick(&pg, rows, total, tokens, "pairs", 1);
    rmt_lines_close(&L);
    if (rmt_interrupted) {
        free(hc);
        free(hr);
        rmt_setup_free(&st);
        fprintf(stderr, "error: interrupted after %ld row(s); nothing written\n", rows);
        return RMT_EXIT_INTERRUPTED;
    }
    if (rows == 0) {
        rmt_setup_free(&st);
        return die("'%s' has no rows: the input is empty", input);
    }
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
        r = w ? rm_fit_head(hc, hr, np, E, &fp, w, &fr) : RM_ERR_NOMEM;
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
    if (failed) fprintf(stderr, "error: %ld row(s) failed\n", failed);
    return failed ? 1 : 0;
}

#endif
