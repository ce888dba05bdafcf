/* rmtool serve: scoring over HTTP, included by examples/rmtool.c after rmtool_score.h.

   rmtool serve --model M [--ref R] [--head H] --mode explicit|implicit [score options]
                [--host 127.0.0.1] [--port 8080] [--port-file F] [--threads N] [--max-batch K]
                [--max-tokens T] [--max-body BYTES] [--max-queue Q] [--max-connections C]
                [--timeout S] [--idle-timeout S] [--api-key KEY]

   Two halves. The first (always compiled, and what tests/fuzz_serve.c fuzzes) turns a request
   body into groups of responses that share a prompt, and writes a route's response from the
   scores; it knows nothing of sockets. The second (only with libmicrohttpd: the Makefile
   defines RMT_HAVE_MHD when pkg-config finds it) is the server: libmicrohttpd's polling
   threads receive requests, suspend each connection while worker threads score it, and resume
   it with the response.

   Routes (request and response shapes of the tools whose clients should work unchanged):
     POST /score       rows of `rmtool score --input` -> the very objects it writes
     POST /get_reward  OpenRLHF's remote reward model (openrlhf/cli/serve_rm.py, client in
                       openrlhf/utils/remote_rm_utils.py, now openrlhf/utils/agent.py)
     POST /classify    vLLM's classification API (vllm/entrypoints/openai/protocol.py:
                       ClassificationRequest, ClassificationData, ClassificationResponse)
     POST /pooling     vLLM's pooling API (same file: PoolingRequest, PoolingResponseData)
     POST /predict     text-embeddings-inference (router/src/http/types.rs: PredictRequest,
                       Prediction; router/src/http/server.rs: predict)
     GET  /health, GET /metrics (Prometheus text) */
#ifndef RMTOOL_SERVE_H
#define RMTOOL_SERVE_H

#include <math.h>
#include <stdarg.h>
#include <time.h>

/* without libmicrohttpd only the fuzz target calls the request half */
#if defined(__GNUC__) || defined(__clang__)
#define RMS_FN static __attribute__((unused))
#else
#define RMS_FN static
#endif

enum { RMS_SCORE, RMS_GET_REWARD, RMS_CLASSIFY, RMS_POOLING, RMS_PREDICT, RMS_HEALTH, RMS_METRICS, RMS_OTHER, RMS_N_ROUTES };
static const char *const rms_route_path[RMS_N_ROUTES] = {"/score",  "/get_reward", "/classify", "/pooling",
                                                         "/predict", "/health",     "/metrics",  "other"};

RMS_FN int rms_route(const char *url) {
    int i;
    for (i = 0; i < RMS_OTHER; i++)
        if (strcmp(url, rms_route_path[i]) == 0) return i;
    return RMS_OTHER;
}

/* ------------------------------------------------------------------------------------------ */
/* Requests as groups of responses                                                            */
/* ------------------------------------------------------------------------------------------ */

#define RMS_MAX_ITEMS 1024 /* responses in one request */

/* One response's result. */
typedef struct rms_item {
    double reward;
    int nonfinite;
    int64_t n_prompt, n_response;
    char *json; /* /score: the object `rmtool score --input` writes, newline included */
    size_t json_len;
    int failed; /* /score: json is an error object */
} rms_item;

struct rms_req;

/* Responses to one prompt: one scoring call (responses of other requests to the same prompt
   may join it). raw: the prompt and responses are text to tokenize as they are (OpenRLHF's
   queries already carry the chat template); else a conversation rendered with the template,
   exactly as `rmtool score` does. */
typedef struct rms_group {
    struct rms_req *req;
    int raw;
    const rm_chat_msg *msgs; /* !raw: the conversation before the responses */
    size_t n_msgs;
    rm_str prompt;           /* raw: the prompt text, possibly empty */
    const rm_str *resp;      /* [n] */
    size_t *item;            /* [n]: where each result goes in req->items */
    size_t n;
    long line;               /* /score: the row's line (1-based) and its first response's index */
    int index0;
    const rmj_value *id;     /* /score: the row's "id" */
    int pair;                /* /score: a preference row (its results say "which": chosen, rejected) */
    int row_n;               /* /score: the row's responses (a group may hold a piece of them) */
    struct rms_group *next;  /* the server's queue */
} rms_group;

typedef struct rms_req {
    int route;
    int jsonl;       /* /score: JSONL in and out (byte for byte what rmtool score writes) */
    int per_token;   /* /score: logprobs, ref_logprobs, contributions */
    int hidden;      /* /score: last_hidden */
    int activation;  /* /classify: sigmoid of the reward in probs; /predict: !raw_scores */
    int batch;       /* /predict: a batch of inputs, answered with a list of lists */
    int raw_rows;    /* /score: HH-RLHF transcripts kept as raw text (the scorer has no template) */
    int per_row;     /* /score with several rows (an array, {"rows"}, JSONL): a row that fails gets
                        rmtool score's error object in its place and the others are scored */
    rmj_doc **docs;  /* the JSON body, or one document per JSONL line */
    size_t n_docs;
    char **kept;     /* strings the request owns (JSONL lines' parse errors) */
    size_t n_kept;
    rmt_row *rows;   /* /score */
    size_t n_rows;
    rm_chat_msg *msgs; /* /classify, /pooling with "messages" */
    rm_str *resp;    /* raw requests: each item's response text, grouped */
    size_t *item;
    rms_group *groups;
    size_t n_groups;
    rms_item *items;
    size_t n_items;
    char model[256]; /* the request's "model", echoed (vLLM) */
    int status;      /* 0 while fine; an HTTP status once failed */
    char err[400];
    const char *err_type;
    char *body;      /* the response */
    size_t body_len;
    const char *ctype;
    /* scheduling (the server's) */
    size_t pending;  /* groups not yet scored */
    int done;        /* answered: body written (under the server's lock) */
    double t0, deadline;
    void *conn;
} rms_req;

RMS_FN int rms_fail(rms_req *q, int status, const char *type, const char *fmt, ...) {
    va_list ap;
    if (q->status) return q->status; /* the first error is the one reported */
    q->status = status;
    q->err_type = type;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof(q->err), fmt, ap);
    va_end(ap);
    return status;
}

RMS_FN void rms_req_free(rms_req *q) {
    size_t i;
    if (!q) return;
    for (i = 0; i < q->n_docs; i++) rmj_free(q->docs[i]);
    for (i = 0; i < q->n_items; i++) free(q->items[i].json);
    for (i = 0; i < q->n_kept; i++) free(q->kept[i]);
    free(q->kept);
    free(q->docs);
    free(q->rows);
    free(q->msgs);
    free(q->resp);
    free(q->item);
    free(q->groups);
    free(q->items);
    free(q->body);
    free(q);
}

/* Hands s (malloc'ed) to the request, which frees it. */
RMS_FN int rms_keep(rms_req *q, char *s) {
    char **p = (char **)realloc(q->kept, (q->n_kept + 1) * sizeof(*p));
    if (!p) {
        free(s);
        return rms_fail(q, 503, "overloaded", "out of memory");
    }
    q->kept = p;
    q->kept[q->n_kept++] = s;
    return 0;
}

RMS_FN int rms_alloc_items(rms_req *q, size_t n) {
    if (n == 0) return rms_fail(q, 400, "validation", "nothing to score");
    if (n > RMS_MAX_ITEMS) return rms_fail(q, 413, "validation", "%zu responses in one request; at most %d", n, RMS_MAX_ITEMS);
    q->items = (rms_item *)calloc(n, sizeof(rms_item));
    q->groups = (rms_group *)calloc(n, sizeof(rms_group));
    q->resp = (rm_str *)calloc(n, sizeof(rm_str));
    q->item = (size_t *)calloc(n, sizeof(size_t));
    if (!q->items || !q->groups || !q->resp || !q->item) return rms_fail(q, 503, "overloaded", "out of memory");
    q->n_items = n;
    return 0;
}

/* Raw items (prompt[i], response[i]) grouped by equal prompts, at most max_batch a group, in
   the order the prompts first appear. */
RMS_FN int rms_group_raw(rms_req *q, const rm_str *prompt, const rm_str *response, size_t n, size_t max_batch) {
    size_t i, j, *gid, *fill;
    if (rms_alloc_items(q, n)) return q->status;
    gid = (size_t *)calloc(n, sizeof(size_t));
    fill = (size_t *)calloc(n, sizeof(size_t));
    if (!gid || !fill) {
        free(gid);
        free(fill);
        return rms_fail(q, 503, "overloaded", "out of memory");
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < q->n_groups; j++) {
            const rms_group *g = &q->groups[j];
            if (g->n < max_batch && g->prompt.len == prompt[i].len && memcmp(g->prompt.ptr, prompt[i].ptr, prompt[i].len) == 0) break;
        }
        if (j == q->n_groups) {
            q->groups[j].req = q;
            q->groups[j].raw = 1;
            q->groups[j].prompt = prompt[i];
            q->n_groups++;
        }
        q->groups[j].n++;
        gid[i] = j;
    }
    for (i = 0, j = 0; j < q->n_groups; j++) { /* lay the groups out one after another */
        q->groups[j].resp = q->resp + i;
        q->groups[j].item = q->item + i;
        i += q->groups[j].n;
    }
    for (i = 0; i < n; i++) {
        rms_group *g = &q->groups[gid[i]];
        size_t k = fill[gid[i]]++;
        q->resp[g->resp - q->resp + k] = response[i];
        g->item[k] = i;
    }
    free(gid);
    free(fill);
    return 0;
}

/* One error object of rmtool score's for /score (newline included) into it->json:
   {"line", "index"?, "id"?, "which"?, "error"}; index < 0 leaves index and which out. */
RMS_FN int rms_error_item(rms_item *it, long line, int index, const rmj_value *id, const char *which, const char *msg) {
    FILE *f = open_memstream(&it->json, &it->json_len);
    if (!f) return 1;
    fprintf(f, "{\"line\":%ld,", line);
    if (index >= 0) fprintf(f, "\"index\":%d,", index);
    rmt_json_id(f, id);
    if (index >= 0 && which) fprintf(f, "\"which\":\"%s\",", which);
    fprintf(f, "\"error\":");
    rmj_write_string(f, msg, strlen(msg));
    fprintf(f, "}\n");
    fclose(f);
    it->failed = 1;
    return 0;
}

/* /score: each row is a group (split into max_batch pieces), exactly as rmtool score reads it.
   vals[i] NULL: line i is not JSON (errs[i] says why). With q->per_row, a row that cannot be
   read gets its error object (as rmtool score writes it) and the others are scored; else the
   request fails. */
RMS_FN int rms_parse_rows(rms_req *q, const rmj_value *const *vals, const long *lines, const char *const *errs, size_t n,
                          size_t max_batch) {
    size_t i, total = 0, g = 0, it = 0;
    int64_t k;
    const char **bad;
    if (n == 0) return rms_fail(q, 400, "validation", "no rows");
    if (n > RMS_MAX_ITEMS) return rms_fail(q, 413, "validation", "%zu rows in one request; at most %d", n, RMS_MAX_ITEMS);
    q->rows = (rmt_row *)calloc(n, sizeof(rmt_row));
    bad = (const char **)calloc(n, sizeof(*bad));
    if (!q->rows || !bad) {
        free(bad);
        return rms_fail(q, 503, "overloaded", "out of memory");
    }
    q->n_rows = n;
    for (i = 0; i < n; i++) {
        const char *e = vals[i] ? rmt_read_row(vals[i], 0, q->raw_rows, &q->rows[i]) : errs[i];
        if (e && !q->per_row) {
            free(bad);
            return rms_fail(q, 400, "validation", "line %ld: %s", lines[i], e);
        }
        bad[i] = e;
        total += e ? 1 : (size_t)q->rows[i].n_resp;
    }
    if (rms_alloc_items(q, total)) {
        free(bad);
        return q->status;
    }
    for (i = 0; i < n; i++) {
        const rmt_row *r = &q->rows[i];
        if (bad[i]) {
            if (rms_error_item(&q->items[it++], lines[i], -1, vals[i] ? rmj_get(vals[i], "id") : NULL, NULL, bad[i])) {
                free(bad);
                return rms_fail(q, 503, "overloaded", "out of memory");
            }
            continue;
        }
        for (k = 0; k < r->n_resp; k += (int64_t)max_batch, g++) {
            rms_group *gr = &q->groups[g];
            size_t j;
            gr->req = q;
            gr->msgs = r->msgs;
            gr->n_msgs = r->n_msgs;
            gr->resp = r->resp + k;
            gr->n = (size_t)(r->n_resp - k) < max_batch ? (size_t)(r->n_resp - k) : max_batch;
            gr->item = q->item + it;
            for (j = 0; j < gr->n; j++) gr->item[j] = it + j;
            it += gr->n;
            gr->line = lines[i];
            gr->index0 = (int)k;
            gr->id = rmj_get(vals[i], "id");
            gr->pair = r->is_pair;
            gr->row_n = (int)r->n_resp;
        }
    }
    free(bad);
    q->n_groups = g;
    return 0;
}

RMS_FN int rms_add_doc(rms_req *q, rmj_doc *d) {
    rmj_doc **p = (rmj_doc **)realloc(q->docs, (q->n_docs + 1) * sizeof(*p));
    if (!p) {
        rmj_free(d);
        return rms_fail(q, 503, "overloaded", "out of memory");
    }
    q->docs = p;
    q->docs[q->n_docs++] = d;
    return 0;
}

/* A JSON string array (or one string, when one is allowed) into texts[]; NULL or a message. */
RMS_FN const char *rms_strings(const rmj_value *v, int one_ok, rm_str *out, size_t cap, size_t *n) {
    size_t i;
    if (one_ok && rmj_is_string(v)) {
        out[0].ptr = rmj_str(v, &out[0].len);
        *n = 1;
        return NULL;
    }
    if (!rmj_is_array(v)) return "must be a string or an array of strings";
    if (rmj_len(v) > cap) return "has too many elements";
    for (i = 0; i < rmj_len(v); i++) {
        if (!rmj_is_string(rmj_at(v, i))) return "must hold only strings (token ids are not accepted)";
        out[i].ptr = rmj_str(rmj_at(v, i), &out[i].len);
    }
    *n = rmj_len(v);
    return NULL;
}

/* vLLM's chat form: the conversation ends with the assistant reply that is scored. */
RMS_FN int rms_parse_messages(rms_req *q, const rmj_value *m) {
    size_t i, n = rmj_len(m);
    if (!rmj_is_array(m) || n < 2) return rms_fail(q, 400, "validation", "\"messages\" must be an array of at least a user and an assistant message");
    if (n > 64) return rms_fail(q, 400, "validation", "more than 64 messages");
    q->msgs = (rm_chat_msg *)calloc(n, sizeof(rm_chat_msg));
    if (!q->msgs) return rms_fail(q, 503, "overloaded", "out of memory");
    for (i = 0; i < n; i++) {
        const rmj_value *role = rmj_get(rmj_at(m, i), "role"), *content = rmj_get(rmj_at(m, i), "content");
        if (!rmj_is_string(role) || !rmj_is_string(content))
            return rms_fail(q, 400, "validation", "each message needs string \"role\" and \"content\"");
        q->msgs[i].role = rmj_str(role, &q->msgs[i].role_len);
        q->msgs[i].content = rmj_str(content, &q->msgs[i].content_len);
        if (!rmt_role_ok(q->msgs[i].role, q->msgs[i].role_len)) return rms_fail(q, 400, "validation", "a message role is empty or too long");
    }
    if (!rmj_str_eq(rmj_get(rmj_at(m, n - 1), "role"), "assistant"))
        return rms_fail(q, 400, "validation", "the last message must be the assistant reply to score");
    if (rms_alloc_items(q, 1)) return q->status;
    q->groups[0].req = q;
    q->groups[0].msgs = q->msgs;
    q->groups[0].n_msgs = n - 1;
    q->resp[0].ptr = q->msgs[n - 1].content;
    q->resp[0].len = q->msgs[n - 1].content_len;
    q->groups[0].resp = q->resp;
    q->groups[0].item = q->item;
    q->groups[0].n = 1;
    q->n_groups = 1;
    return 0;
}

/* Parses a request body for one of the scoring routes into groups (q->route set by the
   caller, with jsonl / per_token / hidden from the request's headers and query). Returns 0,
   or the HTTP status with q->err set. Never reads outside [body, body + len). */
RMS_FN int rms_parse(rms_req *q, const char *body, size_t len, size_t max_batch) {
    rmj_error je;
    rmj_doc *d;
    const rmj_value *root, *v;
    if (max_batch < 1) max_batch = 1;
    q->activation = 1;
    if (q->route == RMS_SCORE && q->jsonl) {
        /* JSONL: one row a line, line numbers as rmtool score counts them */
        const rmj_value *vals[RMS_MAX_ITEMS];
        const char *errs[RMS_MAX_ITEMS];
        long lines[RMS_MAX_ITEMS], lineno = 0;
        size_t n = 0, p = 0;
        q->per_row = 1;
        while (p < len) {
            size_t e = p, l;
            while (e < len && body[e] != '\n') e++;
            lineno++;
            l = e - p;
            if (l && body[p + l - 1] == '\r') l--;
            if (l) {
                if (n == RMS_MAX_ITEMS) return rms_fail(q, 413, "validation", "more than %d rows in one request", RMS_MAX_ITEMS);
                errs[n] = NULL;
                if (!(d = rmj_parse(body + p, l, &je))) {
                    /* rmtool score's message, owned by the request */
                    char *m = (char *)malloc(320);
                    if (!m) return rms_fail(q, 503, "overloaded", "out of memory");
                    snprintf(m, 320, "invalid JSON: %s", je.msg);
                    if (rms_keep(q, m)) return q->status;
                    vals[n] = NULL;
                    errs[n] = m;
                } else {
                    if (rms_add_doc(q, d)) return q->status;
                    vals[n] = rmj_root(d);
                }
                lines[n++] = lineno;
            }
            p = e + 1;
        }
        return rms_parse_rows(q, vals, lines, errs, n, max_batch);
    }
    if (!(d = rmj_parse(body, len, &je))) return rms_fail(q, 400, "validation", "invalid JSON: %s", je.msg);
    if (rms_add_doc(q, d)) return q->status;
    root = rmj_root(d);
    if (rmj_is_string(rmj_get(root, "model"))) snprintf(q->model, sizeof(q->model), "%s", rmj_str(rmj_get(root, "model"), NULL));
    switch (q->route) {
    case RMS_SCORE: {
        /* one row, an array of rows, or {"rows": [...], "per_token": bool, "hidden": bool} */
        const rmj_value *vals[RMS_MAX_ITEMS];
        long lines[RMS_MAX_ITEMS];
        size_t i, n;
        if (rmj_is_object(root) && (v = rmj_get(root, "rows"))) {
            if (rmj_is_bool(rmj_get(root, "per_token"))) q->per_token = rmj_bool(rmj_get(root, "per_token"));
            if (rmj_is_bool(rmj_get(root, "hidden"))) q->hidden = rmj_bool(rmj_get(root, "hidden"));
            if (!rmj_is_array(v)) return rms_fail(q, 400, "validation", "\"rows\" must be an array of rows");
            root = v;
        }
        if (rmj_is_object(root)) {
            vals[0] = root;
            lines[0] = 1;
            return rms_parse_rows(q, vals, lines, NULL, 1, max_batch);
        }
        if (!rmj_is_array(root)) return rms_fail(q, 400, "validation", "the body must be a row, an array of rows, or {\"rows\": [...]}");
        n = rmj_len(root);
        if (n > RMS_MAX_ITEMS) return rms_fail(q, 413, "validation", "%zu rows in one request; at most %d", n, RMS_MAX_ITEMS);
        for (i = 0; i < n; i++) {
            vals[i] = rmj_at(root, i);
            lines[i] = (long)i + 1;
        }
        q->per_row = 1;
        return rms_parse_rows(q, vals, lines, NULL, n, max_batch);
    }
    case RMS_GET_REWARD: {
        /* OpenRLHF: {"query": [prompt+response...], "prompts": [...]?, "labels": [...]?}.
           With prompts, each query is cut after its prompt; without, the whole query is the
           response to an empty prompt (the model's BOS token). labels are not used. */
        rm_str *qv = NULL, *pv = NULL;
        size_t nq = 0, np = 0, i;
        const char *e;
        int r;
        if (!rmj_is_object(root)) return rms_fail(q, 400, "validation", "the body must be an object {\"query\": [...]}");
        qv = (rm_str *)calloc(RMS_MAX_ITEMS, sizeof(rm_str));
        pv = (rm_str *)calloc(RMS_MAX_ITEMS, sizeof(rm_str));
        if (!qv || !pv) {
            free(qv);
            free(pv);
            return rms_fail(q, 503, "overloaded", "out of memory");
        }
        if ((e = rms_strings(rmj_get(root, "query"), 0, qv, RMS_MAX_ITEMS, &nq))) {
            rms_fail(q, rmj_len(rmj_get(root, "query")) > RMS_MAX_ITEMS ? 413 : 400, "validation", "\"query\" %s", e);
        } else if ((v = rmj_get(root, "prompts")) && !rmj_is_null(v)) {
            if ((e = rms_strings(v, 0, pv, RMS_MAX_ITEMS, &np))) rms_fail(q, 400, "validation", "\"prompts\" %s", e);
            else if (np != nq) rms_fail(q, 400, "validation", "%zu prompts for %zu queries", np, nq);
            for (i = 0; i < nq && !q->status; i++) {
                if (pv[i].len > qv[i].len || memcmp(pv[i].ptr, qv[i].ptr, pv[i].len) != 0)
                    rms_fail(q, 400, "validation", "query %zu does not start with its prompt", i);
                qv[i].ptr += pv[i].len;
                qv[i].len -= pv[i].len;
            }
        } else {
            for (i = 0; i < nq; i++) pv[i].ptr = "", pv[i].len = 0;
        }
        r = q->status ? q->status : rms_group_raw(q, pv, qv, nq, max_batch);
        free(qv);
        free(pv);
        return r;
    }
    case RMS_CLASSIFY:
    case RMS_POOLING:
    case RMS_PREDICT: {
        /* vLLM: {"model"?, "input": str | [str]} or {"model"?, "messages": [...]}, each input
           the response to an empty prompt; classify's probs are sigmoid(reward) unless
           "use_activation" (formerly "activation") is false. TEI: {"inputs": str | [str, str] |
           [[str] | [str, str], ...], "raw_scores"?: bool}: a pair is (prompt, response);
           scores are sigmoid(reward) unless raw_scores, as TEI does for one label. */
        rm_str *pv, *rv;
        size_t n = 0, i;
        int r = 0;
        if (!rmj_is_object(root)) return rms_fail(q, 400, "validation", "the body must be a JSON object");
        if (q->route == RMS_CLASSIFY) {
            if (rmj_is_bool(rmj_get(root, "activation"))) q->activation = rmj_bool(rmj_get(root, "activation"));
            if (rmj_is_bool(rmj_get(root, "use_activation"))) q->activation = rmj_bool(rmj_get(root, "use_activation"));
        }
        if (q->route == RMS_PREDICT && rmj_is_bool(rmj_get(root, "raw_scores"))) q->activation = !rmj_bool(rmj_get(root, "raw_scores"));
        if (q->route != RMS_PREDICT && (v = rmj_get(root, "messages"))) return rms_parse_messages(q, v);
        v = rmj_get(root, q->route == RMS_PREDICT ? "inputs" : "input");
        if (!v) return rms_fail(q, 400, "validation", q->route == RMS_PREDICT ? "no \"inputs\"" : "no \"input\" or \"messages\"");
        pv = (rm_str *)calloc(RMS_MAX_ITEMS, sizeof(rm_str));
        rv = (rm_str *)calloc(RMS_MAX_ITEMS, sizeof(rm_str));
        if (!pv || !rv) {
            free(pv);
            free(rv);
            return rms_fail(q, 503, "overloaded", "out of memory");
        }
        for (i = 0; i < RMS_MAX_ITEMS; i++) pv[i].ptr = "";
        if (q->route != RMS_PREDICT) {
            const char *e = rms_strings(v, 1, rv, RMS_MAX_ITEMS, &n);
            q->batch = rmj_is_array(v);
            if (e) r = rms_fail(q, rmj_len(v) > RMS_MAX_ITEMS ? 413 : 400, "validation", "\"input\" %s", e);
        } else if (rmj_is_string(v)) {
            rv[0].ptr = rmj_str(v, &rv[0].len);
            n = 1;
        } else if (rmj_is_array(v) && rmj_len(v) >= 1 && rmj_is_string(rmj_at(v, 0))) {
            /* one pair [prompt, response] (or [text]) */
            if (rmj_len(v) > 2 || (rmj_len(v) == 2 && !rmj_is_string(rmj_at(v, 1))))
                r = rms_fail(q, 400, "validation", "\"inputs\" must be a string, a pair of strings or a batch of those");
            else if (rmj_len(v) == 2) {
                pv[0].ptr = rmj_str(rmj_at(v, 0), &pv[0].len);
                rv[0].ptr = rmj_str(rmj_at(v, 1), &rv[0].len);
            } else
                rv[0].ptr = rmj_str(rmj_at(v, 0), &rv[0].len);
            n = 1;
        } else if (rmj_is_array(v) && rmj_len(v) >= 1) {
            q->batch = 1;
            n = rmj_len(v);
            if (n > RMS_MAX_ITEMS) r = rms_fail(q, 413, "validation", "a batch of %zu inputs; at most %d", n, RMS_MAX_ITEMS);
            for (i = 0; i < n && !r; i++) {
                const rmj_value *s = rmj_at(v, i);
                size_t m = rmj_len(s);
                if (!rmj_is_array(s) || m < 1 || m > 2 || !rmj_is_string(rmj_at(s, 0)) || !rmj_is_string(rmj_at(s, m - 1)))
                    r = rms_fail(q, 400, "validation", "inputs[%zu] must be [text] or [prompt, response]", i);
                else if (m == 2) {
                    pv[i].ptr = rmj_str(rmj_at(s, 0), &pv[i].len);
                    rv[i].ptr = rmj_str(rmj_at(s, 1), &rv[i].len);
                } else
                    rv[i].ptr = rmj_str(rmj_at(s, 0), &rv[i].len);
            }
        } else
            r = rms_fail(q, 400, "validation", "\"inputs\" must be a string, a pair of strings or a batch of those");
        if (!r) r = rms_group_raw(q, pv, rv, n, max_batch);
        free(pv);
        free(rv);
        return r;
    }
    default:
        return rms_fail(q, 404, "not_found", "no such route");
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Responses                                                                                  */
/* ------------------------------------------------------------------------------------------ */

RMS_FN void rms_num(FILE *f, double x) { rmj_write_double(f, x); }
RMS_FN double rms_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Writes q->body: the error object, or the route's response from q->items. created and seq
   make vLLM's response ids; model_name stands in when the request named no model. */
RMS_FN void rms_respond(rms_req *q, const char *model_name, long long created, unsigned long long seq) {
    char *buf = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&buf, &len);
    const char *model = q->model[0] ? q->model : model_name;
    int64_t tokens = 0;
    if (!f) return;
    for (i = 0; i < q->n_items; i++) tokens += q->items[i].n_prompt + q->items[i].n_response;
    q->ctype = "application/json";
    if (q->status) {
        fprintf(f, "{\"error\":");
        rmj_write_string(f, q->err, strlen(q->err));
        fprintf(f, ",\"error_type\":\"%s\",\"code\":%d}\n", q->err_type ? q->err_type : "error", q->status);
    } else if (q->route == RMS_SCORE) {
        if (q->jsonl) q->ctype = "application/x-ndjson";
        else fputc('[', f);
        int first = 1;
        for (i = 0; i < q->n_items; i++) {
            const rms_item *it = &q->items[i];
            if (!it->json) continue; /* a response of a row that failed as a whole */
            if (!q->jsonl && !first) fputc(',', f);
            fwrite(it->json, 1, q->jsonl ? it->json_len : it->json_len - 1, f);
            first = 0;
        }
        if (!q->jsonl) fputs("]\n", f);
    } else if (q->route == RMS_GET_REWARD) {
        /* OpenRLHF reads "rewards" (and "scores", "extra_logs" when present) */
        int pass;
        fputc('{', f);
        for (pass = 0; pass < 2; pass++) {
            fprintf(f, pass ? ",\"scores\":[" : "\"rewards\":[");
            for (i = 0; i < q->n_items; i++) {
                if (i) fputc(',', f);
                rms_num(f, q->items[i].reward);
            }
            fputc(']', f);
        }
        fputs(",\"extra_logs\":{}}\n", f);
    } else if (q->route == RMS_CLASSIFY || q->route == RMS_POOLING) {
        int cls = q->route == RMS_CLASSIFY;
        fprintf(f, "{\"id\":\"%s-%llx\",\"object\":\"list\",\"created\":%lld,\"model\":", cls ? "classify" : "pool", seq, created);
        rmj_write_string(f, model, strlen(model));
        fputs(",\"data\":[", f);
        for (i = 0; i < q->n_items; i++) {
            double r = q->items[i].reward;
            if (i) fputc(',', f);
            if (cls) {
                fprintf(f, "{\"index\":%zu,\"label\":\"LABEL_0\",\"probs\":[", i);
                rms_num(f, q->activation ? rms_sigmoid(r) : r);
                fputs("],\"num_classes\":1}", f);
            } else {
                fprintf(f, "{\"index\":%zu,\"object\":\"pooling\",\"data\":[", i);
                rms_num(f, r);
                fputs("]}", f);
            }
        }
        fprintf(f, "],\"usage\":{\"prompt_tokens\":%lld,\"total_tokens\":%lld,\"completion_tokens\":0,\"prompt_tokens_details\":null}}\n",
                (long long)tokens, (long long)tokens);
    } else if (q->route == RMS_PREDICT) {
        if (q->batch) fputc('[', f);
        for (i = 0; i < q->n_items; i++) {
            double r = q->items[i].reward;
            fprintf(f, "%s[{\"score\":", i ? "," : "");
            rms_num(f, q->activation ? rms_sigmoid(r) : r);
            fputs(",\"label\":\"LABEL_0\"}]", f);
        }
        fputs(q->batch ? "]\n" : "\n", f);
    }
    fclose(f);
    free(q->body);
    q->body = buf;
    q->body_len = len;
}

/* ------------------------------------------------------------------------------------------ */
/* Scoring a batch of groups that share their prompt                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct rms_scorer {
    rm_scorer *sc;
    const rm_model *m;
    int32_t *tok;     /* raw groups: prompt then response tokens */
    size_t cap;
    rm_str resp[RMS_MAX_ITEMS];
    rm_score out[RMS_MAX_ITEMS];
    const int32_t *rp[RMS_MAX_ITEMS];
    int64_t nr[RMS_MAX_ITEMS];
    int64_t tokens;   /* scored, for the metrics */
} rms_scorer;

RMS_FN int rms_same_prompt(const rms_group *a, const rms_group *b) {
    size_t i;
    if (a->raw != b->raw) return 0;
    if (a->raw) return a->prompt.len == b->prompt.len && memcmp(a->prompt.ptr, b->prompt.ptr, a->prompt.len) == 0;
    if (a->n_msgs != b->n_msgs) return 0;
    for (i = 0; i < a->n_msgs; i++) {
        const rm_chat_msg *x = &a->msgs[i], *y = &b->msgs[i];
        if (x->role_len != y->role_len || x->content_len != y->content_len || memcmp(x->role, y->role, x->role_len) != 0 ||
            (x->content_len && memcmp(x->content, y->content, x->content_len) != 0))
            return 0;
    }
    return 1;
}

RMS_FN int rms_status_of(rm_result r) {
    switch (r) {
    case RM_ERR_CONTEXT: return 413;
    case RM_ERR_NOMEM: return 503;
    case RM_ERR_EMPTY: case RM_ERR_UTF8: case RM_ERR_TEMPLATE: case RM_ERR_INVALID_ARG: case RM_ERR_LIMIT: return 400;
    default: return 500;
    }
}

/* Tokenizes text after what w->tok holds (at), growing it; special-token text is parsed, as
   Hugging Face tokenizers do with the templated queries OpenRLHF sends. */
RMS_FN rm_result rms_tok(rms_scorer *w, const char *text, size_t len, size_t at, int64_t *n) {
    size_t need = 0;
    rm_result r = rm_tokenize(rm_model_vocab(w->m), text, len, 0, 1, w->tok + at, w->cap - at, &need);
    if (r == RM_ERR_LIMIT) {
        size_t cap = (at + need + 16) * 2;
        int32_t *p = (int32_t *)realloc(w->tok, cap * sizeof(int32_t));
        if (!p) return RM_ERR_NOMEM;
        w->tok = p;
        w->cap = cap;
        r = rm_tokenize(rm_model_vocab(w->m), text, len, 0, 1, w->tok + at, w->cap - at, &need);
    }
    *n = (int64_t)need;
    return r;
}

/* A raw prompt's tokens: BOS first when the vocabulary adds one and the text does not start
   with it (rm_score_chat's rule); an empty prompt is BOS alone. */
RMS_FN rm_result rms_score_raw(rms_scorer *w, rm_str prompt, int64_t k, const char **why) {
    const rm_vocab *v = rm_model_vocab(w->m);
    int32_t bos = rm_vocab_bos(v);
    rm_str bt = rm_vocab_token_text(v, bos);
    int64_t np = 0, i, n;
    size_t off;
    rm_result r;
    if (w->cap < 64) {
        int32_t *p = (int32_t *)realloc(w->tok, 4096 * sizeof(int32_t));
        if (!p) return RM_ERR_NOMEM;
        w->tok = p;
        w->cap = 4096;
    }
    if (prompt.len == 0) {
        if (bos < 0) {
            *why = "the model has no BOS token to stand for an empty prompt: give the prompt";
            return RM_ERR_EMPTY;
        }
        w->tok[0] = bos;
        np = 1;
    } else {
        int add = bos >= 0 && rm_vocab_add_bos(v) && !(bt.len && prompt.len >= bt.len && memcmp(prompt.ptr, bt.ptr, bt.len) == 0);
        if (add) w->tok[0] = bos;
        if ((r = rms_tok(w, prompt.ptr, prompt.len, (size_t)add, &n))) {
            *why = "the prompt cannot be tokenized";
            return r;
        }
        np = n + add;
    }
    off = (size_t)np;
    for (i = 0; i < k; i++) {
        if ((r = rms_tok(w, w->resp[i].ptr, w->resp[i].len, off, &w->nr[i]))) {
            *why = "a response cannot be tokenized";
            return r;
        }
        off += (size_t)w->nr[i];
    }
    for (i = 0, off = (size_t)np; i < k; i++) {
        w->rp[i] = w->tok + off;
        off += (size_t)w->nr[i];
    }
    r = rm_score_ids(w->sc, w->tok, np, w->rp, w->nr, k, w->out);
    if (r) *why = rm_scorer_error(w->sc);
    return r;
}

/* Scores groups g[0..ng) (same prompt; the caller has checked) in one call and stores every
   result in its request's items (which no other thread touches). Returns 0, or the HTTP status
   of the failure with its message in err (the caller fails the requests: their error state is
   shared). */
RMS_FN int rms_score_batch(rms_scorer *w, rms_group *const *g, size_t ng, char *err, size_t err_cap) {
    size_t i, j, k = 0;
    rm_result r;
    const char *why = NULL;
    for (i = 0; i < ng; i++)
        for (j = 0; j < g[i]->n; j++) w->resp[k++] = g[i]->resp[j];
    if (g[0]->raw) r = rms_score_raw(w, g[0]->prompt, (int64_t)k, &why);
    else {
        r = rm_score_chat(w->sc, g[0]->msgs, g[0]->n_msgs, w->resp, (int64_t)k, w->out);
        if (r) why = rm_scorer_error(w->sc);
    }
    if (r) {
        const char *m = why ? why : rm_result_string(r);
        size_t ml = strlen(m) < err_cap ? strlen(m) : err_cap - 1;
        memcpy(err, m, ml);
        err[ml] = 0;
        return rms_status_of(r);
    }
    for (i = 0, k = 0; i < ng; i++) {
        rms_req *q = g[i]->req;
        for (j = 0; j < g[i]->n; j++, k++) {
            rms_item *it = &q->items[g[i]->item[j]];
            const rm_score *s = &w->out[k];
            it->reward = s->reward;
            it->nonfinite = s->nonfinite;
            it->n_prompt = s->n_prompt;
            it->n_response = s->n_response;
            w->tokens += s->n_response + (k ? 0 : s->n_prompt);
            if (q->route == RMS_SCORE) {
                int index = g[i]->index0 + (int)j;
                FILE *f = open_memstream(&it->json, &it->json_len);
                if (!f) {
                    snprintf(err, err_cap, "out of memory");
                    return 503;
                }
                rmt_print_score(f, s, w->sc, w->m, q->per_token, q->hidden, g[i]->line, index, g[i]->id,
                                g[i]->pair ? (index ? "rejected" : "chosen") : NULL);
                fclose(f);
            }
        }
    }
    return 0;
}

/* A /score group of a several-row request whose batch failed, scored again alone as rmtool
   score would: a context overflow in a row of several responses fails only the responses
   that do not fit ({"line", "index", "which"?, "error"} each); any other failure puts the row's
   error object in place of its results. Returns 0 (the request goes on), or the HTTP status
   when even that fails (out of memory). */
RMS_FN int rms_score_alone(rms_scorer *w, rms_group *g, char *err, size_t err_cap) {
    rms_req *q = g->req;
    int st = rms_score_batch(w, &g, 1, err, err_cap);
    size_t j;
    if (!st) return 0;
    if (st == 503) return st;
    if (st == 413 && g->row_n > 1) {
        for (j = 0; j < g->n; j++) {
            rms_group one = *g;
            rms_group *p = &one;
            one.resp = g->resp + j;
            one.item = g->item + j;
            one.n = 1;
            one.index0 = g->index0 + (int)j;
            if ((st = rms_score_batch(w, &p, 1, err, err_cap)) == 0) continue;
            if (st == 503) return st;
            if (rms_error_item(&q->items[g->item[j]], g->line, one.index0, g->id, g->pair ? (one.index0 ? "rejected" : "chosen") : NULL,
                               err)) {
                snprintf(err, err_cap, "out of memory");
                return 503;
            }
        }
        return 0;
    }
    for (j = 0; j < g->n; j++) { /* partial results of the piece are dropped */
        free(q->items[g->item[j]].json);
        q->items[g->item[j]].json = NULL;
    }
    /* a row split in pieces (more than --max-batch responses) reports its error once */
    if (g->index0 == 0 && rms_error_item(&q->items[g->item[0]], g->line, -1, g->id, NULL, err)) {
        snprintf(err, err_cap, "out of memory");
        return 503;
    }
    return 0;
}

/* Fails a group's request with a scoring error, naming the row or input. */
RMS_FN void rms_fail_group(const rms_group *g, int status, const char *err) {
    if (g->req->route == RMS_SCORE) rms_fail(g->req, status, status == 413 ? "too_many_tokens" : "validation", "line %ld: %s", g->line, err);
    else rms_fail(g->req, status, status == 413 ? "too_many_tokens" : "validation", "input %zu: %s", g->item[0], err);
}

static const rmo_opt rms_opts[] = {
    {"--model", "M", "the reward model (explicit) or the policy (implicit)", RMO_REQUIRED},
    {"--ref", "R", "the reference model (implicit)", 0},
    {"--head", "H", "a head GGUF (explicit) instead of the model's cls.output", 0},
    {"--mode", "explicit|implicit", "which reward (default as for rmtool score)", 0},
    {"--beta", "B", "implicit reward scale (default 1)", 0},
    {"--ref-free", "sum|mean|norm", "implicit without a reference", 0},
    {"--template", "auto|none|NAME", "chat template (default auto)", 0},
    {"--split", "paper|rewardbench|none", "how a conversation becomes prompt and response tokens (default paper)", 0},
    {"--ctx", "N", "context size (default the model's trained context)", 0},
    {"--precision", "auto|bf16|f32", "how F16/BF16 weights are multiplied (default auto: no weight rounded)", 0},
    {"--kv-f16", NULL, "store the KV cache in F16", 0},
    {"--normalize", NULL, "explicit: (r - mean) / std with the head's rm.head.mean/std", 0},
    {"--host", "ADDR", "IPv4 or IPv6 address to listen on (default 127.0.0.1: this machine only; ::1 for IPv6 loopback)", 0},
    {"--port", "N", "TCP port (default 8080; 0 picks a free one)", 0},
    {"--port-file", "F", "write the port listened on to F once listening", 0},
    {"--threads", "N", "scoring workers, each with its own scorer on one core (default 2)", 0},
    {"--max-batch", "K", "responses to one prompt scored as one batch, across waiting requests (default 16)", 0},
    {"--max-tokens", "T", "prompt + response tokens at most, else 413 (default the context); never truncated", 0},
    {"--max-body", "BYTES", "request body at most, else 413 (default 1048576)", 0},
    {"--max-queue", "Q", "requests queued or being scored at most, else 503 (default 64)", 0},
    {"--max-connections", "C", "open connections at most (default 256)", 0},
    {"--timeout", "S", "seconds a request may take, else 504 (default 60)", 0},
    {"--idle-timeout", "S", "seconds of silence before a connection is closed (default 10)", 0},
    {"--api-key", "KEY", "require \"Authorization: Bearer KEY\" on every route but /health, else 401", 0},
    {NULL, NULL, NULL, 0}};
static const rmo_cmd rms_cmd = {
    "serve", "score over HTTP for other processes (OpenRLHF, vLLM and TEI clients unchanged; needs libmicrohttpd)", NULL, 0, rms_opts,
    "Routes:\n"
    "  POST /score       rows of `rmtool score --input` (one row, an array, {\"rows\": [...]}, or JSONL with\n"
    "                    Content-Type application/x-ndjson); ?per_token=1 ?hidden=1; returns its objects\n"
    "  POST /get_reward  OpenRLHF: {\"query\": [...], \"prompts\": [...]?} -> {\"rewards\", \"scores\", \"extra_logs\"}\n"
    "  POST /classify    vLLM: {\"input\": str|[str]} or {\"messages\": [...]} -> {\"data\": [{\"index\", \"probs\"}], \"usage\"}\n"
    "  POST /pooling     vLLM: the same -> {\"data\": [{\"index\", \"data\": [reward]}], \"usage\"}\n"
    "  POST /predict     TEI: {\"inputs\": str|[prompt, response]|[[...], ...], \"raw_scores\"?} -> [{\"score\", \"label\"}]\n"
    "  GET  /health, GET /metrics (Prometheus text)\n"
    "Every error is answered with its status and {\"error\", \"error_type\", \"code\"}; the server keeps serving.\n"
    "SIGTERM or SIGINT: no new connections, the requests in flight are answered, then exit 0.\n"
#ifndef RMT_HAVE_MHD
    "(This build has no HTTP library: apt-get install libmicrohttpd-dev and rebuild.)\n"
#endif
};

#ifndef RMT_HAVE_MHD

static int cmd_serve(int argc, char **argv) {
    rmo_args a;
    int prc = rmo_parse(&rms_cmd, argc, argv, &a);
    if (prc >= 0) return prc;
    return die("rmtool serve needs libmicrohttpd, which this build was made without: install it "
               "(Debian/Ubuntu: apt-get install libmicrohttpd-dev) and rebuild (make)");
}

#else /* the server */

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Metrics: requests by route and status, a latency histogram, tokens; all under rms_server.mu. */
static const int rms_codes[] = {200, 400, 401, 404, 405, 408, 413, 500, 503, 504};
#define RMS_N_CODES ((int)(sizeof(rms_codes) / sizeof(rms_codes[0])))
static const double rms_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define RMS_N_BUCKETS ((int)(sizeof(rms_buckets) / sizeof(rms_buckets[0])))

typedef struct rms_server {
    pthread_mutex_t mu;       /* everything below that changes after start-up */
    pthread_cond_t cv;        /* workers wait here for groups */
    rms_group *head, *tail;   /* groups waiting, oldest first */
    size_t queued_groups;
    size_t admitted;          /* requests queued or being scored (the --max-queue bound) */
    size_t inflight;          /* requests begun and not yet answered */
    int stop, draining;
    unsigned long long seq;
    unsigned long long req_count[RMS_N_ROUTES][RMS_N_CODES + 1]; /* last column: other codes */
    unsigned long long hist[RMS_N_BUCKETS + 1], lat_count, tokens, responses;
    double lat_sum;
    /* fixed at start-up */
    size_t max_batch, max_queue, max_body;
    double timeout;
    const char *api_key;
    const char *model_name;
    int n_workers;
    int raw_rows;             /* HH-RLHF rows as raw text, as rmtool score reads them */
} rms_server;

/* One request on a connection (libmicrohttpd's per-request pointer). */
typedef struct rms_conn {
    int route, status;
    char *buf;
    size_t len, cap;
    int too_big;
    double t0;
    rms_req *q;    /* once admitted */
} rms_conn;

typedef struct rms_worker_arg {
    rms_server *S;
    rms_scorer *w;
} rms_worker_arg;

static void rms_record(rms_server *S, int route, int status, double seconds) {
    int c, b;
    for (c = 0; c < RMS_N_CODES && rms_codes[c] != status; c++) {}
    pthread_mutex_lock(&S->mu);
    S->req_count[route][c]++;
    for (b = 0; b < RMS_N_BUCKETS && seconds > rms_buckets[b]; b++) {}
    S->hist[b]++;
    S->lat_count++;
    S->lat_sum += seconds;
    pthread_mutex_unlock(&S->mu);
}

/* The key check reads every byte of the key whatever the header holds, so its time says
   nothing about how much of a guess was right. */
static int rms_key_ok(const char *header, const char *key) {
    size_t i, n = strlen(key), h = header ? strlen(header) : 0;
    unsigned char d = 0;
    if (h < 7 || memcmp(header, "Bearer ", 7) != 0) d = 1, header = "", h = 0;
    else header += 7, h -= 7;
    d |= (unsigned char)(h != n);
    for (i = 0; i < n; i++) d |= (unsigned char)(key[i] ^ (i < h ? header[i] : 0));
    return d == 0;
}

static enum MHD_Result rms_send(struct MHD_Connection *c, rms_conn *k, int status, const char *body, size_t len,
                                const char *ctype, int close_after) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    if (close_after) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(c, (unsigned int)status, r);
    MHD_destroy_response(r);
    k->status = status;
    return ret;
}

static enum MHD_Result rms_send_error(struct MHD_Connection *c, rms_conn *k, int status, const char *type, const char *msg) {
    rms_req q;
    enum MHD_Result ret;
    memset(&q, 0, sizeof(q));
    rms_fail(&q, status, type, "%s", msg);
    rms_respond(&q, "", 0, 0);
    ret = rms_send(c, k, status, q.body ? q.body : "{}", q.body ? q.body_len : 2, "application/json", status == 413 || status == 408);
    free(q.body);
    return ret;
}

static enum MHD_Result rms_send_metrics(rms_server *S, struct MHD_Connection *c, rms_conn *k) {
    char *buf = NULL;
    size_t len = 0;
    int r, i;
    unsigned long long cum = 0;
    enum MHD_Result ret;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return MHD_NO;
    pthread_mutex_lock(&S->mu);
    fprintf(f, "# HELP rmtool_requests_total HTTP requests answered, by route and status.\n# TYPE rmtool_requests_total counter\n");
    for (r = 0; r < RMS_N_ROUTES; r++)
        for (i = 0; i <= RMS_N_CODES; i++)
            if (S->req_count[r][i]) {
                if (i < RMS_N_CODES) fprintf(f, "rmtool_requests_total{route=\"%s\",code=\"%d\"} %llu\n", rms_route_path[r], rms_codes[i], S->req_count[r][i]);
                else fprintf(f, "rmtool_requests_total{route=\"%s\",code=\"other\"} %llu\n", rms_route_path[r], S->req_count[r][i]);
            }
    fprintf(f, "# HELP rmtool_request_duration_seconds Time from a request's headers to its answer.\n# TYPE rmtool_request_duration_seconds histogram\n");
    for (i = 0; i < RMS_N_BUCKETS; i++) {
        cum += S->hist[i];
        fprintf(f, "rmtool_request_duration_seconds_bucket{le=\"%g\"} %llu\n", rms_buckets[i], cum);
    }
    fprintf(f, "rmtool_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", S->lat_count);
    fprintf(f, "rmtool_request_duration_seconds_sum %.6f\nrmtool_request_duration_seconds_count %llu\n", S->lat_sum, S->lat_count);
    fprintf(f, "# HELP rmtool_tokens_total Tokens evaluated (a shared prompt once per batch).\n# TYPE rmtool_tokens_total counter\nrmtool_tokens_total %llu\n", S->tokens);
    fprintf(f, "# HELP rmtool_responses_scored_total Responses scored.\n# TYPE rmtool_responses_scored_total counter\nrmtool_responses_scored_total %llu\n", S->responses);
    fprintf(f, "# HELP rmtool_queue_depth Groups of responses waiting for a worker.\n# TYPE rmtool_queue_depth gauge\nrmtool_queue_depth %zu\n", S->queued_groups);
    fprintf(f, "# HELP rmtool_requests_in_flight Requests begun and not yet answered.\n# TYPE rmtool_requests_in_flight gauge\nrmtool_requests_in_flight %zu\n", S->inflight);
    fprintf(f, "# HELP rmtool_workers Scoring threads.\n# TYPE rmtool_workers gauge\nrmtool_workers %d\n", S->n_workers);
    pthread_mutex_unlock(&S->mu);
    fclose(f);
    ret = rms_send(c, k, 200, buf, len, "text/plain; version=0.0.4", 0);
    free(buf);
    return ret;
}

static int rms_truthy(const char *v) { return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0); }

static enum MHD_Result rms_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                   const char *upload, size_t *upload_size, void **con_cls) {
    rms_server *S = (rms_server *)cls;
    rms_conn *k = (rms_conn *)*con_cls;
    (void)version;
    if (!k) {
        /* headers in: everything that needs no body is decided here */
        const char *cl;
        int draining;
        k = (rms_conn *)calloc(1, sizeof(*k));
        if (!k) return MHD_NO;
        *con_cls = k;
        k->t0 = rmt_now();
        k->route = rms_route(url);
        pthread_mutex_lock(&S->mu);
        S->inflight++;
        draining = S->draining;
        pthread_mutex_unlock(&S->mu);
        if (draining) return rms_send_error(c, k, 503, "unavailable", "the server is shutting down");
        if (k->route == RMS_OTHER) return rms_send_error(c, k, 404, "not_found", "no such route");
        if (S->api_key && k->route != RMS_HEALTH &&
            !rms_key_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), S->api_key))
            return rms_send_error(c, k, 401, "unauthorized", "a valid \"Authorization: Bearer KEY\" header is required");
        if (k->route == RMS_HEALTH || k->route == RMS_METRICS) {
            if (strcmp(method, "GET") != 0) return rms_send_error(c, k, 405, "method", "use GET");
            if (k->route == RMS_HEALTH) return rms_send(c, k, 200, "{\"status\":\"ok\"}\n", 16, "application/json", 0);
            return rms_send_metrics(S, c, k);
        }
        if (strcmp(method, "POST") != 0) return rms_send_error(c, k, 405, "method", "use POST");
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > S->max_body) {
            char m[128];
            snprintf(m, sizeof(m), "the body is larger than %zu bytes (--max-body)", S->max_body);
            return rms_send_error(c, k, 413, "validation", m);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* a body that trickles in for longer than the request timeout is dropped: no slot is
           held forever by a slow client (the idle timeout covers silent ones) */
        if (rmt_now() - k->t0 > S->timeout) return MHD_NO;
        if (!k->too_big) {
            if (k->len + *upload_size > S->max_body) {
                k->too_big = 1;
                free(k->buf);
                k->buf = NULL;
            } else {
                if (k->len + *upload_size > k->cap) {
                    size_t nc = k->cap ? k->cap : 65536;
                    char *p;
                    while (nc < k->len + *upload_size) nc *= 2;
                    if (nc > S->max_body) nc = S->max_body;
                    if (!(p = (char *)realloc(k->buf, nc))) return MHD_NO;
                    k->buf = p;
                    k->cap = nc;
                }
                memcpy(k->buf + k->len, upload, *upload_size);
                k->len += *upload_size;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (k->q) {
        /* resumed: a worker has answered (the lock orders its writes before these reads) */
        rms_req *q = k->q;
        int done;
        pthread_mutex_lock(&S->mu);
        done = q->done;
        pthread_mutex_unlock(&S->mu);
        if (!done) return MHD_YES;
        if (!q->body) return rms_send_error(c, k, 503, "overloaded", "out of memory");
        return rms_send(c, k, q->status ? q->status : 200, q->body, q->body_len, q->ctype, 0);
    }
    if (k->too_big) {
        char m[128];
        snprintf(m, sizeof(m), "the body is larger than %zu bytes (--max-body)", S->max_body);
        return rms_send_error(c, k, 413, "validation", m);
    }
    {
        rms_req *q = (rms_req *)calloc(1, sizeof(rms_req));
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        size_t i;
        int full;
        if (!q) return rms_send_error(c, k, 503, "overloaded", "out of memory");
        k->q = q;
        q->route = k->route;
        q->raw_rows = S->raw_rows;
        q->jsonl = ct && (strncmp(ct, "application/x-ndjson", 20) == 0 || strncmp(ct, "application/jsonl", 17) == 0);
        q->per_token = rms_truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "per_token"));
        q->hidden = rms_truthy(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "hidden"));
        if (rms_parse(q, k->buf ? k->buf : "", k->len, S->max_batch)) {
            rms_respond(q, S->model_name, 0, 0);
            k->q = NULL;
            {
                enum MHD_Result ret = rms_send(c, k, q->status, q->body ? q->body : "{}", q->body ? q->body_len : 2, "application/json", 0);
                rms_req_free(q);
                return ret;
            }
        }
        q->conn = c;
        q->t0 = k->t0;
        q->deadline = k->t0 + S->timeout;
        q->pending = q->n_groups;
        if (q->n_groups == 0) { /* every row failed to parse: their error objects are the answer */
            rms_respond(q, S->model_name, 0, 0);
            k->q = NULL;
            {
                enum MHD_Result ret = rms_send(c, k, 200, q->body ? q->body : "[]", q->body ? q->body_len : 2, q->ctype, 0);
                rms_req_free(q);
                return ret;
            }
        }
        pthread_mutex_lock(&S->mu);
        full = S->admitted >= S->max_queue;
        if (!full) S->admitted++;
        pthread_mutex_unlock(&S->mu);
        if (full) {
            k->q = NULL;
            rms_req_free(q);
            return rms_send_error(c, k, 503, "overloaded", "the queue is full: retry later");
        }
        /* suspended before a worker can see it, so its resume always follows */
        MHD_suspend_connection(c);
        pthread_mutex_lock(&S->mu);
        for (i = 0; i < q->n_groups; i++) {
            rms_group *g = &q->groups[i];
            g->next = NULL;
            if (S->tail) S->tail->next = g;
            else S->head = g;
            S->tail = g;
            S->queued_groups++;
        }
        pthread_cond_broadcast(&S->cv);
        pthread_mutex_unlock(&S->mu);
        return MHD_YES;
    }
}

static void rms_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why) {
    rms_server *S = (rms_server *)cls;
    rms_conn *k = (rms_conn *)*con_cls;
    (void)c;
    (void)why;
    if (!k) return;
    if (k->status) rms_record(S, k->route, k->status, rmt_now() - k->t0);
    pthread_mutex_lock(&S->mu);
    S->inflight--;
    pthread_mutex_unlock(&S->mu);
    rms_req_free(k->q);
    free(k->buf);
    free(k);
    *con_cls = NULL;
}

/* A worker takes the oldest group and every other waiting group with the same prompt (up to
   --max-batch responses), scores them in one call, and answers each request whose last group
   this was. */
static void *rms_worker(void *arg) {
    rms_worker_arg *a = (rms_worker_arg *)arg;
    rms_server *S = a->S;
    rms_scorer *w = a->w;
    rms_group **batch = (rms_group **)calloc(RMS_MAX_ITEMS, sizeof(rms_group *));
    rms_group **live = (rms_group **)calloc(RMS_MAX_ITEMS, sizeof(rms_group *));
    rms_req **done = (rms_req **)calloc(RMS_MAX_ITEMS, sizeof(rms_req *));
    int *gst = (int *)calloc(RMS_MAX_ITEMS, sizeof(int));
    char (*gerr)[400] = (char (*)[400])calloc(RMS_MAX_ITEMS, sizeof(*gerr));
    char err[400];
    if (!batch || !live || !done || !gst || !gerr) {
        free(batch);
        free(live);
        free(done);
        free(gst);
        free(gerr);
        return NULL;
    }
    for (;;) {
        size_t nb = 0, nl = 0, nd = 0, total, i;
        rms_group *g, *prev;
        double now;
        int st = 0;
        pthread_mutex_lock(&S->mu);
        while (!S->head && !S->stop) pthread_cond_wait(&S->cv, &S->mu);
        if (!S->head) {
            pthread_mutex_unlock(&S->mu);
            break;
        }
        g = S->head;
        S->head = g->next;
        if (!S->head) S->tail = NULL;
        batch[nb++] = g;
        total = g->n;
        for (prev = NULL, g = S->head; g && total < S->max_batch;) {
            rms_group *next = g->next;
            if (total + g->n <= S->max_batch && rms_same_prompt(batch[0], g)) {
                if (prev) prev->next = next;
                else S->head = next;
                if (S->tail == g) S->tail = prev;
                batch[nb++] = g;
                total += g->n;
            } else
                prev = g;
            g = next;
        }
        S->queued_groups -= nb;
        now = rmt_now();
        for (i = 0; i < nb; i++) {
            rms_req *q = batch[i]->req;
            if (!q->status && now > q->deadline)
                rms_fail(q, 504, "timeout", "not scored within %g s (--timeout)", S->timeout);
            if (!q->status) live[nl++] = batch[i];
        }
        pthread_mutex_unlock(&S->mu);
        w->tokens = 0;
        if (nl) st = rms_score_batch(w, live, nl, err, sizeof(err));
        for (i = 0; i < nl; i++) {
            /* rows of several-row /score requests fail alone; other groups are scored again
               alone when the batch mixed requests, so one bad request fails no other */
            gst[i] = st;
            snprintf(gerr[i], sizeof(gerr[i]), "%s", err);
            if (!st || (nl == 1 && !(live[i]->req->route == RMS_SCORE && live[i]->req->per_row))) continue;
            if (live[i]->req->route == RMS_SCORE && live[i]->req->per_row) gst[i] = rms_score_alone(w, live[i], gerr[i], sizeof(gerr[i]));
            else gst[i] = rms_score_batch(w, &live[i], 1, gerr[i], sizeof(gerr[i]));
        }
        now = rmt_now();
        pthread_mutex_lock(&S->mu);
        S->tokens += (unsigned long long)w->tokens;
        for (i = 0; i < nl; i++) {
            if (gst[i]) rms_fail_group(live[i], gst[i], gerr[i]);
            else if (now > live[i]->req->deadline) rms_fail(live[i]->req, 504, "timeout", "not scored within %g s (--timeout)", S->timeout);
            else S->responses += live[i]->n;
        }
        for (i = 0; i < nb; i++)
            if (--batch[i]->req->pending == 0) done[nd++] = batch[i]->req;
        S->seq += nd;
        pthread_mutex_unlock(&S->mu);
        for (i = 0; i < nd; i++) {
            rms_req *q = done[i];
            unsigned long long seq;
            pthread_mutex_lock(&S->mu);
            seq = S->seq - i;
            pthread_mutex_unlock(&S->mu);
            rms_respond(q, S->model_name, (long long)time(NULL), seq);
            pthread_mutex_lock(&S->mu);
            S->admitted--;
            q->done = 1;
            pthread_mutex_unlock(&S->mu);
            MHD_resume_connection((struct MHD_Connection *)q->conn);
        }
    }
    free(batch);
    free(live);
    free(done);
    free(gst);
    free(gerr);
    return NULL;
}

static int rms_parse_seconds(const char *s, const char *name, double lo, double hi, double *out) {
    char *end;
    double v;
    if (!s) return 0;
    v = strtod(s, &end);
    if (*s == 0 || *end != 0 || !(v >= lo && v <= hi)) return die("%s must be a number of seconds from %g to %g, not '%s'", name, lo, hi, s);
    *out = v;
    return 0;
}

static int cmd_serve(int argc, char **argv) {
    rmo_args a;
    int prc = rmo_parse(&rms_cmd, argc, argv, &a);
    const char *host = rmo_get(&a, "--host"), *port_file = rmo_get(&a, "--port-file");
    long port = 8080, threads = 2, max_batch = 16, max_tokens = 0, max_body = 1L << 20, max_queue = 64, max_conn = 256, idle = 10;
    double timeout = 60;
    rms_server S;
    rmt_setup st;
    rm_scorer_desc d;
    rms_scorer **ws = NULL;
    rms_worker_arg *wa = NULL;
    pthread_t *th = NULL;
    struct MHD_Daemon *daemon = NULL;
    struct sockaddr_in addr;
    struct sockaddr_in6 addr6;
    int v6 = 0;
    sigset_t sigs;
    const union MHD_DaemonInfo *info;
    int i, rc = 1, started = 0, sig = 0;
    if (prc >= 0) return prc;
    if (rmt_parse_int(rmo_get(&a, "--port"), "--port", 0, 65535, &port) || rmt_parse_int(rmo_get(&a, "--threads"), "--threads", 1, 256, &threads) ||
        rmt_parse_int(rmo_get(&a, "--max-batch"), "--max-batch", 1, RMS_MAX_ITEMS, &max_batch) ||
        rmt_parse_int(rmo_get(&a, "--max-tokens"), "--max-tokens", 2, 1L << 24, &max_tokens) ||
        rmt_parse_int(rmo_get(&a, "--max-body"), "--max-body", 1024, 1L << 30, &max_body) ||
        rmt_parse_int(rmo_get(&a, "--max-queue"), "--max-queue", 1, 1000000, &max_queue) ||
        rmt_parse_int(rmo_get(&a, "--max-connections"), "--max-connections", 1, 100000, &max_conn) ||
        rmt_parse_int(rmo_get(&a, "--idle-timeout"), "--idle-timeout", 1, 86400, &idle) ||
        rms_parse_seconds(rmo_get(&a, "--timeout"), "--timeout", 0.001, 86400, &timeout))
        return 1;
    if (rmo_get(&a, "--mode") && strcmp(rmo_get(&a, "--mode"), "both") == 0) return die("serve takes --mode explicit or implicit");
    memset(&addr, 0, sizeof(addr));
    memset(&addr6, 0, sizeof(addr6));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr6.sin6_family = AF_INET6;
    addr6.sin6_port = htons((unsigned short)port);
    if (host && strchr(host, ':')) { /* IPv6: ::1 (loopback), :: (every address) */
        v6 = 1;
        if (inet_pton(AF_INET6, host, &addr6.sin6_addr) != 1) return die("--host takes an IPv4 or IPv6 address, not '%s'", host);
    } else if (inet_pton(AF_INET, host ? host : "127.0.0.1", &addr.sin_addr) != 1)
        return die("--host takes an IPv4 or IPv6 address, not '%s'", host);
    if (rmt_setup_open(&a, 0, 0, &st)) {
        rmt_setup_free(&st);
        return 1;
    }
    /* every worker gets a scorer of its own on one core; the token cap is its context */
    d = st.desc;
    d.n_threads = 1;
    if (max_tokens && (d.n_ctx == 0 || d.n_ctx > max_tokens)) d.n_ctx = max_tokens;
    rm_scorer_free(st.ex);
    rm_scorer_free(st.im);
    st.ex = st.im = NULL;
    memset(&S, 0, sizeof(S));
    pthread_mutex_init(&S.mu, NULL);
    pthread_cond_init(&S.cv, NULL);
    S.max_batch = (size_t)max_batch;
    S.max_queue = (size_t)max_queue;
    S.max_body = (size_t)max_body;
    S.timeout = timeout;
    S.api_key = rmo_get(&a, "--api-key");
    S.model_name = rmo_get(&a, "--model");
    S.n_workers = (int)threads;
    ws = (rms_scorer **)calloc((size_t)threads, sizeof(*ws));
    wa = (rms_worker_arg *)calloc((size_t)threads, sizeof(*wa));
    th = (pthread_t *)calloc((size_t)threads, sizeof(*th));
    if (!ws || !wa || !th) {
        die("out of memory");
        goto done;
    }
    for (i = 0; i < threads; i++) {
        if (!(ws[i] = (rms_scorer *)calloc(1, sizeof(rms_scorer)))) {
            die("out of memory");
            goto done;
        }
        ws[i]->m = st.model;
        if (rm_scorer_new(&d, &ws[i]->sc) != RM_OK) {
            die("%s", rm_scorer_error(ws[i]->sc));
            goto done;
        }
    }
    S.raw_rows = rm_scorer_template(ws[0]->sc) == RM_CHAT_NONE || (rmo_get(&a, "--split") && strcmp(rmo_get(&a, "--split"), "none") == 0);
    /* SIGTERM and SIGINT are taken by sigwait below: blocked in every thread started from here */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    for (i = 0; i < threads; i++) {
        wa[i].S = &S;
        wa[i].w = ws[i];
        if (pthread_create(&th[i], NULL, rms_worker, &wa[i]) != 0) {
            die("cannot start worker threads");
            goto done;
        }
        started++;
    }
    daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0),
                              (uint16_t)port, NULL, NULL, rms_handler, &S, MHD_OPTION_SOCK_ADDR,
                              v6 ? (struct sockaddr *)&addr6 : (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned int)max_conn, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)idle,
                              MHD_OPTION_NOTIFY_COMPLETED, rms_completed, &S, MHD_OPTION_END);
    if (!daemon) {
        die(v6 ? "cannot listen on [%s]:%ld (in use, or not an address of this machine)" : "cannot listen on %s:%ld (in use, or not an address of this machine)",
            host ? host : "127.0.0.1", port);
        goto done;
    }
    info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : port;
    fprintf(stderr, v6 ? "rmtool serve: listening on http://[%s]:%ld with %ld workers (Ctrl-C or SIGTERM stops)\n"
                       : "rmtool serve: listening on http://%s:%ld with %ld workers (Ctrl-C or SIGTERM stops)\n",
            host ? host : "127.0.0.1", port, threads);
    if (port_file) {
        /* written whole under another name, then renamed: a reader never sees half a number */
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        if (!(f = fopen(tmp, "w")) || fprintf(f, "%ld\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
            die("cannot write '%s'", port_file);
            goto done;
        }
    }
    sigwait(&sigs, &sig);
    fprintf(stderr, "rmtool serve: %s: finishing the requests in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    {
        /* stop accepting; requests begun are answered; then the connections close */
        MHD_socket fd;
        double t_end = rmt_now() + timeout + 30;
        size_t left = 0;
        pthread_mutex_lock(&S.mu);
        S.draining = 1;
        pthread_mutex_unlock(&S.mu);
        fd = MHD_quiesce_daemon(daemon);
        if (fd != MHD_INVALID_SOCKET) close(fd);
        for (;;) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            pthread_mutex_lock(&S.mu);
            left = S.inflight;
            pthread_mutex_unlock(&S.mu);
            if (!left || rmt_now() > t_end) break;
            nanosleep(&ts, NULL);
        }
        if (left) fprintf(stderr, "error: %zu request(s) still unanswered at shutdown\n", left);
        rc = left ? 1 : 0;
    }
done:
    if (daemon) MHD_stop_daemon(daemon);
    pthread_mutex_lock(&S.mu);
    S.stop = 1;
    pthread_cond_broadcast(&S.cv);
    pthread_mutex_unlock(&S.mu);
    for (i = 0; i < started; i++) pthread_join(th[i], NULL);
    for (i = 0; ws && i < threads; i++)
        if (ws[i]) {
            rm_scorer_free(ws[i]->sc);
            free(ws[i]->tok);
            free(ws[i]);
        }
    free(ws);
    free(wa);
    free(th);
    rmt_setup_free(&st);
    pthread_mutex_destroy(&S.mu);
    pthread_cond_destroy(&S.cv);
    if (!rc) fprintf(stderr, "rmtool serve: stopped\n");
    return rc;
}

#endif /* RMT_HAVE_MHD */
#endif /* RMTOOL_SERVE_H */
