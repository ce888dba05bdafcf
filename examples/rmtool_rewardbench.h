/* rmtool eval --format rewardbench --out DIR [--model-name NAME]: RewardBench's own output,
   included by examples/rmtool.c after rmtool_score.h.

   RewardBench (allenai/reward-bench, scripts/run_rm.py, run_dpo.py and run_v2.py) writes
     DIR/results/eval-set/<model>.json          {"chat_template", "model", "model_type",
                                                 ["ref_model",] <subset>: accuracy, ...}
     DIR/results/eval-set-scores/<model>.json   the per-example columns: v1 {"chat_template",
                                                 "id", "model", "model_type", ["prompt",]
                                                 "results", "scores_chosen", "scores_rejected",
                                                 "subset", "text_chosen", "text_rejected"};
                                                 v2 {"chat_template", "id", "model",
                                                 "model_type", "num_correct", "results",
                                                 "scores", "subset", "text"}
   both as Python's json.dumps(indent=4, sort_keys=True) prints them, and prints one line
   `subset: correct/total (accuracy)` per subset in sorted order, then the section scores
   (Chat, Chat Hard, Safety, Reasoning: EXAMPLE_COUNTS-weighted means of the subsets present)
   as a Python dict when any RewardBench subset is present.

   Scoring rules, as RewardBench has them:
     v1 pairs ({prompt|messages, chosen, rejected}, HH-RLHF, OpenAI DPO rows; optional subset
       and id): results = 1 if chosen > rejected else 0, so a tie counts as wrong.
     v2 best-of-N rows ({prompt, chosen: [..], rejected: [..]}, RewardBench 2): the scores of
       chosen then rejected; results = 1/(number of scores equal to the maximum) when the first
       chosen response has the maximum, else 0: a strict win is 1, a tie for first is shared.
       (RewardBench 2 scores its "Ties" subset with a different overall formula over ref/tied
       prompt groups; rows of that subset get this per-row rule here.) */
#ifndef RMTOOL_REWARDBENCH_H
#define RMTOOL_REWARDBENCH_H

#include <errno.h>
#if defined(_WIN32)
#include <direct.h>
#define rmrb_mkdir(p) _mkdir(p)
#else
#include <sys/stat.h>
#include <sys/types.h>
#define rmrb_mkdir(p) mkdir(p, 0777)
#endif

/* ---- Python's float repr and json.dumps strings (ensure_ascii) ---- */

/* repr(x): the shortest digits that read back, always with a '.' or an exponent
   ("1.0", "0.5", "1e-05", "1e+16"); NaN / Infinity as json.dumps writes them. */
static void rmrb_pyfloat(FILE *f, double x) {
    char buf[64];
    int d, e;
    if (x != x) { fputs("NaN", f); return; }
    if (x - x != 0) { fputs(x > 0 ? "Infinity" : "-Infinity", f); return; }
    for (d = 1; d <= 17; d++) {
        snprintf(buf, sizeof(buf), "%.*e", d - 1, x);
        if (strtod(buf, NULL) == x) break;
    }
    /* buf: d significant digits in exponent form; Python uses fixed notation for -4 <= e < 16 */
    e = atoi(strchr(buf, 'e') + 1);
    if (e >= -4 && e < 16) {
        snprintf(buf, sizeof(buf), "%.*f", d - 1 - e > 0 ? d - 1 - e : 0, x);
        fputs(buf, f);
        if (!strchr(buf, '.')) fputs(".0", f);
    } else {
        /* "1.5e+16", "1e-05": mantissa without trailing zeros, exponent at least 2 digits */
        char *p = strchr(buf, 'e'), mant[40];
        size_t n = (size_t)(p - buf);
        memcpy(mant, buf, n);
        mant[n] = 0;
        fprintf(f, "%se%c%02d", mant, e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
}

static void rmrb_pystr(FILE *f, const char *s, size_t n) {
    size_t i = 0;
    fputc('"', f);
    while (i < n) {
        unsigned c = (unsigned char)s[i];
        uint32_t cp;
        size_t len = 1;
        if (c < 0x80) {
            if (c == '"') fputs("\\\"", f);
            else if (c == '\\') fputs("\\\\", f);
            else if (c == '\n') fputs("\\n", f);
            else if (c == '\r') fputs("\\r", f);
            else if (c == '\t') fputs("\\t", f);
            else if (c == '\b') fputs("\\b", f);
            else if (c == '\f') fputs("\\f", f);
            else if (c < 0x20) fprintf(f, "\\u%04x", c);
            else fputc((int)c, f);
            i++;
            continue;
        }
        /* the text was validated as UTF-8 when it was parsed and scored */
        if (c >= 0xF0) cp = c & 0x07, len = 4;
        else if (c >= 0xE0) cp = c & 0x0F, len = 3;
        else cp = c & 0x1F, len = 2;
        if (i + len > n) len = n - i;
        {
            size_t k;
            for (k = 1; k < len; k++) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
        }
        if (cp >= 0x10000) fprintf(f, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF));
        else fprintf(f, "\\u%04x", cp);
        i += len;
    }
    fputc('"', f);
}

/* ---- rows kept for the files ---- */

typedef struct rmrb_row {
    char *subset;
    char *id;          /* the row's id: a string (id_is_str), a number's digits, or NULL: the row's index */
    size_t id_len;
    int id_is_str;
    int n_chosen, n;   /* responses: the chosen ones first */
    double scores[16];
    double result;
    char *texts[16];   /* the conversation ending with each response, as the scorer renders it */
    char *prompt;
} rmrb_row;

static char *rmrb_dup(const char *s, size_t n) {
    char *p = (char *)malloc(n + 1);
    if (p) {
        if (n) memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* The conversation with the response appended, rendered with the scorer's template (RewardBench
   keeps the chat-formatted text); the raw prompt + response without a template. */
static char *rmrb_text(const rm_scorer *sc, const rm_model *m, const rmt_row *row, int k) {
    rm_chat_msg msgs[65];
    size_t i, n = 0;
    int tmpl = rm_scorer_template(sc);
    char *buf;
    if (tmpl == RM_CHAT_NONE || row->n_msgs > 63) {
        size_t len = row->resp[k].len;
        for (i = 0; i < row->n_msgs; i++) len += row->msgs[i].content_len;
        buf = (char *)malloc(len + 1);
        if (!buf) return NULL;
        for (i = 0; i < row->n_msgs; i++) memcpy(buf + n, row->msgs[i].content, row->msgs[i].content_len), n += row->msgs[i].content_len;
        memcpy(buf + n, row->resp[k].ptr, row->resp[k].len);
        buf[len] = 0;
        return buf;
    }
    for (i = 0; i < row->n_msgs; i++) msgs[i] = row->msgs[i];
    msgs[row->n_msgs].role = "assistant";
    msgs[row->n_msgs].role_len = 9;
    msgs[row->n_msgs].content = row->resp[k].ptr;
    msgs[row->n_msgs].content_len = row->resp[k].len;
    {
        const rm_vocab *v = rm_model_vocab(m);
        rm_str eos = rm_vocab_token_text(v, rm_vocab_eos(v));
        char eos_s[128];
        size_t need = 0;
        snprintf(eos_s, sizeof(eos_s), "%.*s", (int)(eos.len < 120 ? eos.len : 120), eos.ptr ? eos.ptr : "");
        rm_chat_render(tmpl, msgs, row->n_msgs + 1, 0, "", eos_s, NULL, 0, &need);
        buf = (char *)malloc(need + 1);
        if (!buf) return NULL;
        if (rm_chat_render(tmpl, msgs, row->n_msgs + 1, 0, "", eos_s, buf, need, &need) != RM_OK) need = 0;
        buf[need] = 0;
    }
    return buf;
}

/* RewardBench 2 rows: chosen and rejected are arrays of strings. */
static int rmrb_is_bon(const rmj_value *o) {
    const rmj_value *c = rmj_get(o, "chosen");
    return rmj_is_array(c) && rmj_len(c) > 0 && rmj_is_string(rmj_at(c, 0));
}

static const char *rmrb_read_bon(const rmj_value *o, rmt_row *row, int *n_chosen) {
    const rmj_value *c = rmj_get(o, "chosen"), *r = rmj_get(o, "rejected"), *p = rmj_get(o, "prompt");
    size_t i, n;
    const char *e;
    memset(row, 0, sizeof(*row));
    if (rmj_is_string(rmj_get(o, "subset"))) row->subset = rmj_str(rmj_get(o, "subset"), &row->subset_len);
    if (rmj_is_string(p)) {
        const char *s = rmj_str(p, &n);
        rmt_user(row, s, n);
    } else if (rmj_get(o, "messages")) {
        if ((e = rmt_take_messages(row, rmj_get(o, "messages")))) return e;
    } else
        return "a best-of-N row needs \"prompt\" or \"messages\"";
    if (!rmj_is_array(r) || rmj_len(r) == 0) return "\"rejected\" must be a non-empty array of strings";
    if (rmj_len(c) + rmj_len(r) > 16) return "at most 16 chosen and rejected responses per row";
    for (i = 0; i < rmj_len(c) + rmj_len(r); i++) {
        const rmj_value *v = i < rmj_len(c) ? rmj_at(c, i) : rmj_at(r, i - rmj_len(c));
        if (!rmj_is_string(v)) return "\"chosen\" and \"rejected\" must be arrays of strings";
        row->resp[i].ptr = rmj_str(v, &row->resp[i].len);
    }
    row->n_resp = (int64_t)i;
    *n_chosen = (int)rmj_len(c);
    return NULL;
}

/* ---- the files ---- */

static const char *const rmrb_sections[4] = {"Chat", "Chat Hard", "Safety", "Reasoning"};
static const struct { const char *name; int count, section; } rmrb_counts[] = {
    {"alpacaeval-easy", 100, 0}, {"alpacaeval-length", 95, 0}, {"alpacaeval-hard", 95, 0}, {"mt-bench-easy", 28, 0},
    {"mt-bench-med", 40, 0}, {"mt-bench-hard", 37, 1}, {"llmbar-natural", 100, 1}, {"llmbar-adver-neighbor", 134, 1},
    {"llmbar-adver-GPTInst", 92, 1}, {"llmbar-adver-GPTOut", 47, 1}, {"llmbar-adver-manual", 46, 1},
    {"refusals-dangerous", 100, 2}, {"refusals-offensive", 100, 2}, {"xstest-should-refuse", 154, 2},
    {"xstest-should-respond", 250, 2}, {"donotanswer", 136, 2}, {"math-prm", 984, 3}, {"hep-cpp", 164, 3},
    {"hep-go", 164, 3}, {"hep-java", 164, 3}, {"hep-js", 164, 3}, {"hep-python", 164, 3}, {"hep-rust", 164, 3}};

typedef struct rmrb_subset {
    const char *name;
    double correct;
    long total;
} rmrb_subset;

static int rmrb_cmp_subset(const void *a, const void *b) {
    return strcmp(((const rmrb_subset *)a)->name, ((const rmrb_subset *)b)->name);
}

/* mkdir -p of the directory part of path */
static int rmrb_mkdirs(const char *path) {
    char buf[4096];
    size_t i, n = strlen(path);
    if (n >= sizeof(buf)) return -1;
    memcpy(buf, path, n + 1);
    for (i = 1; i < n; i++)
        if (buf[i] == '/') {
            buf[i] = 0;
            if (rmrb_mkdir(buf) != 0 && errno != EEXIST) return -1;
            buf[i] = '/';
        }
    return 0;
}

static FILE *rmrb_open(const char *dir, const char *sub, const char *model, const char *suffix, char *path, size_t cap) {
    snprintf(path, cap, "%s/results/%s/%s%s.json", dir, sub, model, suffix);
    if (rmrb_mkdirs(path)) return NULL;
    return fopen(path, "wb");
}

static void rmrb_key(FILE *f, const char *k, int *first) {
    fputs(*first ? "{\n    " : ",\n    ", f);
    *first = 0;
    rmrb_pystr(f, k, strlen(k));
    fputs(": ", f);
}

static void rmrb_str_or_null(FILE *f, const char *s) {
    if (s) rmrb_pystr(f, s, strlen(s));
    else fputs("null", f);
}

/* One column of the scores file: a list with one element per row (indent 4 inside the dict). */
typedef enum { RMRB_ID, RMRB_RESULT, RMRB_CHOSEN, RMRB_REJECTED, RMRB_SUBSET, RMRB_TEXT_C, RMRB_TEXT_R, RMRB_PROMPT,
               RMRB_SCORES, RMRB_TEXTS, RMRB_NCORRECT } rmrb_col;

static void rmrb_column(FILE *f, const rmrb_row *rows, long n, rmrb_col col, int bon) {
    long i;
    int j;
    if (n == 0) { fputs("[]", f); return; }
    fputs("[", f);
    for (i = 0; i < n; i++) {
        const rmrb_row *r = &rows[i];
        fputs(i ? ",\n        " : "\n        ", f);
        switch (col) {
        case RMRB_ID:
            if (r->id_is_str) rmrb_pystr(f, r->id, r->id_len);
            else if (r->id) fputs(r->id, f);
            else fprintf(f, "%ld", i);
            break;
        case RMRB_RESULT:
            if (bon) rmrb_pyfloat(f, r->result);
            else fprintf(f, "%d", r->result > 0 ? 1 : 0);
            break;
        case RMRB_CHOSEN: rmrb_pyfloat(f, r->scores[0]); break;
        case RMRB_REJECTED: rmrb_pyfloat(f, r->scores[1]); break;
        case RMRB_SUBSET: rmrb_str_or_null(f, r->subset); break;
        case RMRB_TEXT_C: rmrb_str_or_null(f, r->texts[0]); break;
        case RMRB_TEXT_R: rmrb_str_or_null(f, r->texts[1]); break;
        case RMRB_PROMPT: rmrb_str_or_null(f, r->prompt); break;
        case RMRB_NCORRECT: fprintf(f, "%d", r->n_chosen); break;
        case RMRB_SCORES:
        case RMRB_TEXTS:
            fputs("[", f);
            for (j = 0; j < r->n; j++) {
                fputs(j ? ",\n            " : "\n            ", f);
                if (col == RMRB_SCORES) rmrb_pyfloat(f, r->scores[j]);
                else rmrb_str_or_null(f, r->texts[j]);
            }
            fputs("\n        ]", f);
            break;
        }
    }
    fputs("\n    ]", f);
}

static int rmt_eval_rewardbench(const rmo_args *a) {
    const char *input = rmo_get(a, "--input"), *dir = rmo_get(a, "--out"), *fmt = rmo_get(a, "--format");
    const char *name_opt = rmo_get(a, "--model-name"), *tmpl_opt = rmo_get(a, "--template");
    rmt_setup st;
    rm_scorer *sc;
    rmt_lines L;
    size_t len;
    rmrb_row *rows = NULL;
    rmrb_subset subs[RMT_MAX_SUBSETS];
    long n_rows = 0, cap = 0, i, limit = 0;
    int n_subs = 0, failed = 0, bon = 0, raw, k;
    char model[512], path[4600];
    const char *model_type, *chat_template;
    FILE *f;
    if (strcmp(fmt, "rewardbench") != 0) return die("--format takes rewardbench, not '%s'", fmt);
    if (!input || !dir) return die("usage: rmtool eval --format rewardbench --out DIR --input prefs.jsonl --model M ...");
    if (rmo_has(a, "--scores") || rmo_has(a, "--json")) return die("--format rewardbench writes its own files: leave out --scores and --json");
    if (rmo_get(a, "--mode") && strcmp(rmo_get(a, "--mode"), "both") == 0)
        return die("--format rewardbench scores one model per run: --mode explicit or implicit");
    if (rmt_parse_int(rmo_get(a, "--limit"), "--limit", 0, 1L << 30, &limit)) return 1;
    if (rmt_setup_open(a, 0, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    sc = st.ex ? st.ex : st.im;
    raw = rm_scorer_template(sc) == RM_CHAT_NONE || (rmo_get(a, "--split") && strcmp(rmo_get(a, "--split"), "none") == 0);
    if (name_opt) snprintf(model, sizeof(model), "%s", name_opt);
    else {
        /* the model file's name without its directory and .gguf */
        const char *mp = rmo_get(a, "--model"), *b = strrchr(mp, '/');
        size_t bl;
        b = b ? b + 1 : mp;
        bl = strlen(b);
        if (bl > 5 && strcmp(b + bl - 5, ".gguf") == 0) bl -= 5;
        snprintf(model, sizeof(model), "%.*s", (int)bl, b);
    }
    if (rmt_lines_open(&L, input)) {
        rmt_setup_free(&st);
        return 1;
    }
    signal(SIGINT, rmt_on_sigint);
    while (!rmt_interrupted && (!limit || n_rows < limit) && rmt_next_line(&L, &len)) {
        rmj_error je;
        rmj_doc *doc;
        rmt_row row;
        const char *e = NULL;
        rm_score out[16];
        int n_chosen = 1, is_bon;
        if (!(doc = rmj_parse(L.buf, len, &je))) {
            fprintf(stderr, "error: %s:%ld: invalid JSON: %s\n", input, L.lineno, je.msg);
            failed++;
            continue;
        }
        is_bon = rmrb_is_bon(rmj_root(doc));
        e = is_bon ? rmrb_read_bon(rmj_root(doc), &row, &n_chosen) : rmt_read_row(rmj_root(doc), 1, raw, &row);
        if (!e && rm_score_chat(sc, row.msgs, row.n_msgs, row.resp, row.n_resp, out) != RM_OK) e = rm_scorer_error(sc);
        for (k = 0; !e && k < row.n_resp; k++)
            if (out[k].nonfinite) e = "a reward is NaN or Inf";
        if (!e && n_rows == cap) {
            long nc = cap ? cap * 2 : 256;
            rmrb_row *p = (rmrb_row *)realloc(rows, (size_t)nc * sizeof(*rows));
            if (!p) e = "out of memory";
            else rows = p, cap = nc;
        }
        if (e) {
            fprintf(stderr, "error: %s:%ld: %s\n", input, L.lineno, e);
            failed++;
        } else {
            rmrb_row *r = &rows[n_rows++];
            const rmj_value *id = rmj_get(rmj_root(doc), "id");
            double best;
            int n_best = 0;
            memset(r, 0, sizeof(*r));
            bon |= is_bon;
            r->n = (int)row.n_resp;
            r->n_chosen = n_chosen;
            r->subset = row.subset ? rmrb_dup(row.subset, row.subset_len) : rmrb_dup("default", 7);
            if (rmj_is_string(id)) {
                size_t il;
                const char *q = rmj_str(id, &il);
                r->id = rmrb_dup(q, il);
                r->id_len = il;
                r->id_is_str = 1;
            } else if (id && rmj_is_number(id)) {
                char nb[64];
                double v = rmj_num(id);
                if (v == floor(v) && fabs(v) < 9e15) snprintf(nb, sizeof(nb), "%.0f", v);
                else snprintf(nb, sizeof(nb), "%.17g", v);
                r->id = rmrb_dup(nb, strlen(nb));
            }
            for (k = 0; k < r->n; k++) {
                r->scores[k] = out[k].reward;
                r->texts[k] = rmrb_text(sc, st.model, &row, k);
            }
            if (row.n_msgs) r->prompt = rmrb_dup(row.msgs[row.n_msgs - 1].content, row.msgs[row.n_msgs - 1].content_len);
            best = r->scores[0];
            for (k = 1; k < r->n; k++)
                if (r->scores[k] > best) best = r->scores[k];
            for (k = 0; k < r->n; k++) n_best += r->scores[k] == best;
            if (is_bon) r->result = r->scores[0] == best ? 1.0 / n_best : 0.0;  /* RewardBench 2: ties share */
            else r->result = r->scores[0] > r->scores[1] ? 1 : 0;               /* RewardBench: a tie is wrong */
            for (i = 0; i < n_subs; i++)
                if (strcmp(subs[i].name, r->subset) == 0) break;
            if (i == n_subs && n_subs < RMT_MAX_SUBSETS) {
                subs[n_subs].name = r->subset;
                subs[n_subs].correct = 0;
                subs[n_subs].total = 0;
                n_subs++;
            }
            if (i < n_subs) {
                subs[i].correct += r->result;
                subs[i].total++;
            }
        }
        rmj_free(doc);
    }
    rmt_lines_close(&L);
    qsort(subs, (size_t)n_subs, sizeof(subs[0]), rmrb_cmp_subset);

    /* what RewardBench prints */
    for (i = 0; i < n_subs; i++) {
        printf("%s: ", subs[i].name);
        if (bon) rmrb_pyfloat(stdout, subs[i].correct);
        else printf("%ld", (long)subs[i].correct);
        printf("/%ld (", subs[i].total);
        rmrb_pyfloat(stdout, subs[i].correct / (double)subs[i].total);
        printf(")\n");
    }
    {
        int any = 0, s2;
        size_t c;
        for (i = 0; i < n_subs; i++)
            for (c = 0; c < sizeof(rmrb_counts) / sizeof(rmrb_counts[0]); c++) any |= strcmp(subs[i].name, rmrb_counts[c].name) == 0;
        if (any && !bon) {
            printf("{");
            for (s2 = 0; s2 < 4; s2++) {
                double w = 0;
                long tot = 0;
                for (c = 0; c < sizeof(rmrb_counts) / sizeof(rmrb_counts[0]); c++) {
                    if (rmrb_counts[c].section != s2) continue;
                    for (i = 0; i < n_subs; i++)
                        if (strcmp(subs[i].name, rmrb_counts[c].name) == 0) {
                            w += subs[i].correct / (double)subs[i].total * rmrb_counts[c].count;
                            tot += rmrb_counts[c].count;
                        }
                }
                printf("%s'%s': ", s2 ? ", " : "", rmrb_sections[s2]);
                if (tot) rmrb_pyfloat(stdout, w / (double)tot);
                else printf("0");
            }
            printf("}\n");
        }
    }

    model_type = st.ex ? "Seq. Classifier" : (st.ref ? "DPO" : "DPO Ref. Free");
    if (tmpl_opt && strcmp(tmpl_opt, "auto") != 0) chat_template = strcmp(tmpl_opt, "none") == 0 ? NULL : tmpl_opt;
    else chat_template = rm_scorer_template(sc) != RM_CHAT_NONE ? "tokenizer" : NULL;

    /* results/eval-set/<model>.json: keys sorted, as json.dumps(sort_keys=True) */
    if (!(f = rmrb_open(dir, "eval-set", model, "", path, sizeof(path)))) {
        failed++;
        fprintf(stderr, "error: cannot write '%s'\n", path);
    } else {
        int first = 1, done_meta = 0;
        const char *meta[4];
        int nm = 0, m2;
        /* the fixed keys and the subsets interleave in sorted order */
        meta[nm++] = "chat_template";
        meta[nm++] = "model";
        meta[nm++] = "model_type";
        if (!st.ex) meta[nm++] = "ref_model";
        i = 0;
        m2 = 0;
        while (m2 < nm || i < n_subs) {
            int take_meta = m2 < nm && (i >= n_subs || strcmp(meta[m2], subs[i].name) < 0);
            if (take_meta) {
                rmrb_key(f, meta[m2], &first);
                if (m2 == 0) rmrb_str_or_null(f, chat_template);
                else if (m2 == 1) rmrb_pystr(f, model, strlen(model));
                else if (m2 == 2) rmrb_pystr(f, model_type, strlen(model_type));
                else rmrb_str_or_null(f, st.ref ? rmo_get(a, "--ref") : NULL);
                m2++;
            } else {
                rmrb_key(f, subs[i].name, &first);
                rmrb_pyfloat(f, subs[i].correct / (double)subs[i].total);
                i++;
            }
        }
        (void)done_meta;
        fputs(first ? "{}" : "\n}", f);
        if (fclose(f) != 0) failed++;
        fprintf(stderr, "wrote %s\n", path);
    }

    /* results/eval-set-scores/<model>.json: the per-example columns */
    if (!(f = rmrb_open(dir, "eval-set-scores", model, st.im && !st.ref ? "_ref_free" : "", path, sizeof(path)))) {
        failed++;
        fprintf(stderr, "error: cannot write '%s'\n", path);
    } else {
        int first = 1;
        const char *dpo_type = st.ex ? "Seq. Classifier" : "DPO"; /* run_dpo.py writes "DPO" here, ref-free too */
        rmrb_key(f, "chat_template", &first);
        rmrb_str_or_null(f, chat_template);
        rmrb_key(f, "id", &first);
        rmrb_column(f, rows, n_rows, RMRB_ID, bon);
        rmrb_key(f, "model", &first);
        rmrb_pystr(f, model, strlen(model));
        rmrb_key(f, "model_type", &first);
        rmrb_pystr(f, dpo_type, strlen(dpo_type));
        if (bon) {
            rmrb_key(f, "num_correct", &first);
            rmrb_column(f, rows, n_rows, RMRB_NCORRECT, bon);
        }
        if (!bon && st.im) {
            rmrb_key(f, "prompt", &first);
            rmrb_column(f, rows, n_rows, RMRB_PROMPT, bon);
        }
        rmrb_key(f, "results", &first);
        rmrb_column(f, rows, n_rows, RMRB_RESULT, bon);
        if (bon) {
            rmrb_key(f, "scores", &first);
            rmrb_column(f, rows, n_rows, RMRB_SCORES, bon);
        } else {
            rmrb_key(f, "scores_chosen", &first);
            rmrb_column(f, rows, n_rows, RMRB_CHOSEN, bon);
            rmrb_key(f, "scores_rejected", &first);
            rmrb_column(f, rows, n_rows, RMRB_REJECTED, bon);
        }
        rmrb_key(f, "subset", &first);
        rmrb_column(f, rows, n_rows, RMRB_SUBSET, bon);
        if (bon) {
            rmrb_key(f, "text", &first);
            rmrb_column(f, rows, n_rows, RMRB_TEXTS, bon);
        } else {
            rmrb_key(f, "text_chosen", &first);
            rmrb_column(f, rows, n_rows, RMRB_TEXT_C, bon);
            rmrb_key(f, "text_rejected", &first);
            rmrb_column(f, rows, n_rows, RMRB_TEXT_R, bon);
        }
        fputs("\n}", f);
        if (fclose(f) != 0) failed++;
        fprintf(stderr, "wrote %s\n", path);
    }
    for (i = 0; i < n_rows; i++) {
        free(rows[i].subset);
        free(rows[i].id);
        free(rows[i].prompt);
        for (k = 0; k < rows[i].n; k++) free(rows[i].texts[k]);
    }
    free(rows);
    rmt_setup_free(&st);
    if (rmt_interrupted) fprintf(stderr, "error: interrupted after %ld rows\n", n_rows);
    if (failed) fprintf(stderr, "error: %d line(s) failed\n", failed);
    return (failed || rmt_interrupted) ? 1 : 0;
}

#endif
