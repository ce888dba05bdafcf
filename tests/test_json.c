/* examples/rmjson.h: escapes, Unicode, numbers, nesting, errors with positions, truncation,
   the writers, and every llama.cpp reference file under tests/data/ref. Expected values come
   from RFC 8259 / Unicode (hand-encoded below) and from the reference files as Python's json
   module reads them. */
#define RMJSON_IMPLEMENTATION
#include "examples/rmjson.h"
#include "test.h"

#if !defined(_WIN32)
#include <dirent.h>
#endif

static rmj_doc *parse_str(const char *s, rmj_error *err) { return rmj_parse(s, strlen(s), err); }

static int str_is(const rmj_value *v, const char *bytes, size_t n) {
    size_t len;
    const char *s = rmj_str(v, &len);
    return rmj_is_string(v) && len == n && memcmp(s, bytes, n) == 0;
}

static void test_scalars(void) {
    rmj_error e;
    rmj_doc *d = parse_str(" {\"a\": true, \"b\": false, \"c\": null, \"d\": \"x\", \"e\": [], \"f\": {}} ", &e);
    const rmj_value *r = rmj_root(d);
    CHECK(d != NULL, "%s", e.msg);
    CHECK(rmj_is_object(r) && rmj_len(r) == 6, "root");
    CHECK(rmj_is_bool(rmj_get(r, "a")) && rmj_bool(rmj_get(r, "a")) == 1, "a");
    CHECK(rmj_is_bool(rmj_get(r, "b")) && rmj_bool(rmj_get(r, "b")) == 0, "b");
    CHECK(rmj_is_null(rmj_get(r, "c")), "c");
    CHECK(rmj_str_eq(rmj_get(r, "d"), "x"), "d");
    CHECK(rmj_is_array(rmj_get(r, "e")) && rmj_len(rmj_get(r, "e")) == 0, "e");
    CHECK(rmj_is_object(rmj_get(r, "f")) && rmj_len(rmj_get(r, "f")) == 0, "f");
    CHECK(rmj_get(r, "zz") == NULL && rmj_typeof(rmj_get(r, "zz")) == RMJ_NONE, "missing key");
    /* key order is document order */
    CHECK(rmj_at(r, 0) && strcmp(rmj_at(r, 0)->key, "a") == 0 && strcmp(rmj_at(r, 5)->key, "f") == 0, "order");
    CHECK(rmj_at(r, 6) == NULL, "past the end");
    /* accessors tolerate NULL and wrong types */
    CHECK(rmj_num(NULL) == 0 && rmj_len(NULL) == 0 && rmj_bool(NULL) == 0 && rmj_at(NULL, 0) == NULL, "NULL");
    CHECK(strcmp(rmj_str(rmj_get(r, "a"), NULL), "") == 0 && rmj_get(rmj_get(r, "e"), "x") == NULL, "wrong type");
    rmj_free(d);
    rmj_free(NULL);

    d = parse_str("\"top\"", &e);
    CHECK(d && rmj_str_eq(rmj_root(d), "top"), "scalar root");
    rmj_free(d);
    d = parse_str("\xEF\xBB\xBF[1]", &e);
    CHECK(d && rmj_len(rmj_root(d)) == 1, "BOM");
    rmj_free(d);
    d = parse_str("{\"k\":1,\"k\":2}", &e);
    CHECK(d && rmj_num(rmj_get(rmj_root(d), "k")) == 2 && rmj_len(rmj_root(d)) == 2, "duplicate key: last wins");
    rmj_free(d);
}

static void test_escapes_unicode(void) {
    rmj_error e;
    rmj_doc *d = parse_str("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u65E5\", \"\\ud83d\\ude42\", "
                           "\"a\\u0000b\", \"\xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82\"]",
                           &e);
    const rmj_value *r = rmj_root(d);
    static const char *lone[] = {"[\"\\ud83d\"]", "[\"\\ude42x\"]", "[\"\\ud83dA\"]", "[\"\\ud83d\\u0041\"]", "[\"ok\", \"\\udfff\"]"};
    size_t i;
    CHECK(d != NULL, "%s", e.msg);
    CHECK(str_is(rmj_at(r, 0), "\"\\/\b\f\n\r\t", 8), "short escapes");
    CHECK(str_is(rmj_at(r, 1), "\xC3\xA9\xE6\x97\xA5", 5), "BMP escapes");
    CHECK(str_is(rmj_at(r, 2), "\xF0\x9F\x99\x82", 4), "surrogate pair -> U+1F642");
    CHECK(str_is(rmj_at(r, 3), "a\0b", 3), "embedded NUL");
    CHECK(str_is(rmj_at(r, 4), "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x99\x82", 9), "raw UTF-8");
    rmj_free(d);
    /* a lone surrogate escape is refused as an encoded surrogate is, at its position */
    for (i = 0; i < sizeof(lone) / sizeof(lone[0]); i++) {
        d = parse_str(lone[i], &e);
        CHECK(d == NULL && strstr(e.msg, "lone surrogate") != NULL, "%s: %s", lone[i], d ? "parsed" : e.msg);
        CHECK(e.offset == (i == 4 ? 8u : 2u), "%s: offset %zu", lone[i], e.offset);
        rmj_free(d);
    }
    /* keys are unescaped too */
    d = parse_str("{\"caf\\u00e9\": 1}", &e);
    CHECK(d && rmj_num(rmj_get(rmj_root(d), "caf\xC3\xA9")) == 1, "escaped key");
    rmj_free(d);
}

static void test_numbers(void) {
    rmj_error e;
    int64_t i = 0;
    rmj_doc *d = parse_str("[0, -0, 1.5, -2.25e2, 1E-3, 9007199254740993, 9223372036854775807, "
                           "-9223372036854775808, 9223372036854775808, 1e400, 0.1, 3.0]",
                           &e);
    const rmj_value *r = rmj_root(d);
    CHECK(d != NULL, "%s", e.msg);
    CHECK(rmj_num(rmj_at(r, 0)) == 0 && rmj_int(rmj_at(r, 0), &i) && i == 0, "0");
    CHECK(rmj_num(rmj_at(r, 1)) == 0 && signbit(rmj_num(rmj_at(r, 1))), "-0");
    CHECK(rmj_num(rmj_at(r, 2)) == 1.5 && !rmj_int(rmj_at(r, 2), &i), "1.5");
    CHECK(rmj_num(rmj_at(r, 3)) == -225.0, "-2.25e2");
    CHECK(rmj_num(rmj_at(r, 4)) == 0.001, "1E-3");
    CHECK(rmj_int(rmj_at(r, 5), &i) && i == INT64_C(9007199254740993), "2^53+1 exact via text");
    CHECK(strcmp(rmj_at(r, 5)->str, "9007199254740993") == 0, "number text kept");
    CHECK(rmj_int(rmj_at(r, 6), &i) && i == INT64_MAX, "INT64_MAX");
    CHECK(rmj_int(rmj_at(r, 7), &i) && i == INT64_MIN, "INT64_MIN");
    CHECK(!rmj_int(rmj_at(r, 8), &i), "2^63 does not fit");
    CHECK(isinf(rmj_num(rmj_at(r, 9))), "1e400 overflows to inf");
    CHECK(rmj_num(rmj_at(r, 10)) == 0.1, "0.1 correctly rounded");
    CHECK(rmj_num(rmj_at(r, 11)) == 3.0 && !rmj_int(rmj_at(r, 11), &i), "3.0 is not written as an integer");
    rmj_free(d);
}

typedef struct bad_case {
    const char *text;
    size_t line, column, offset;
} bad_case;

static void test_errors_with_positions(void) {
    static const bad_case bad[] = {
        {"", 1, 1, 0},                    /* empty */
        {"   ", 1, 4, 3},                 /* only whitespace */
        {"[1,]", 1, 4, 3},                /* trailing comma */
        {"{\"a\":1,}", 1, 8, 7},          /* trailing comma in object */
        {"[1 2]", 1, 4, 3},               /* missing comma */
        {"{\"a\" 1}", 1, 6, 5},           /* missing colon */
        {"{1:2}", 1, 2, 1},               /* non-string key */
        {"[01]", 1, 2, 1},                /* leading zero */
        {"[1.]", 1, 4, 3},                /* no fraction digits */
        {"[1e]", 1, 4, 3},                /* no exponent digits */
        {"[-]", 1, 3, 2},                 /* bare minus */
        {"[+1]", 1, 2, 1},                /* plus sign */
        {"[tru]", 1, 2, 1},               /* bad literal */
        {"[NaN]", 1, 2, 1},               /* NaN token */
        {"[\"a\\x\"]", 1, 4, 3},          /* bad escape */
        {"[\"\\u12G4\"]", 1, 3, 2},       /* bad \\u */
        {"[\"a\tb\"]", 1, 4, 3},          /* raw control character */
        {"[\"\xC3\x28\"]", 1, 3, 2},      /* invalid UTF-8 */
        {"[\"\xC0\xAF\"]", 1, 3, 2},      /* overlong */
        {"[\"\xED\xA0\x80\"]", 1, 3, 2},  /* encoded surrogate */
        {"[\"\xF4\x90\x80\x80\"]", 1, 3, 2}, /* above U+10FFFF */
        {"[1] 2", 1, 5, 4},               /* trailing data */
        {"[1]]", 1, 4, 3},                /* extra bracket */
        {"[1}", 1, 3, 2},                 /* mismatched bracket */
        {"{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7, 18}, /* line and column */
        {"// c\n1", 1, 1, 0},             /* comments are not JSON */
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rmj_error e;
        rmj_doc *d = parse_str(bad[i].text, &e);
        CHECK(d == NULL, "case %lu parsed", (unsigned long)i);
        CHECK(e.line == bad[i].line && e.column == bad[i].column && e.offset == bad[i].offset,
              "case %lu: got line %lu col %lu byte %lu (%s)", (unsigned long)i, (unsigned long)e.line,
              (unsigned long)e.column, (unsigned long)e.offset, e.msg);
        CHECK(strstr(e.msg, "line ") == e.msg, "case %lu: message %s", (unsigned long)i, e.msg);
        rmj_free(d);
    }
    CHECK(rmj_parse(NULL, 0, NULL) == NULL, "NULL input, NULL err");
}

static void test_truncated_input(void) {
    /* Every proper prefix of a valid document is invalid and must fail cleanly; parsing from
       a heap copy of exactly that length lets ASan catch any read past the end. */
    const char *full = "{\"a\": [1, -2.5e-3, \"x\\u00e9\\ud83d\\ude42y\", true, false, null, {\"b\": []}], \"c\": \"\xE6\x97\xA5\"}";
    size_t n = strlen(full), k;
    rmj_error e;
    rmj_doc *d = rmj_parse(full, n, &e);
    CHECK(d != NULL, "full: %s", e.msg);
    rmj_free(d);
    for (k = 0; k < n; k++) {
        char *copy = (char *)malloc(k ? k : 1);
        memcpy(copy, full, k);
        d = rmj_parse(copy, k, &e);
        CHECK(d == NULL, "prefix of %lu bytes parsed", (unsigned long)k);
        CHECK(e.offset <= k, "prefix %lu: offset %lu", (unsigned long)k, (unsigned long)e.offset);
        rmj_free(d);
        free(copy);
    }
}

static void test_nesting_limit(void) {
    size_t depth = 100000, i;
    char *s = (char *)malloc(2 * depth + 1);
    rmj_error e;
    rmj_doc *d;
    for (i = 0; i < depth; i++) { s[i] = '['; s[2 * depth - 1 - i] = ']'; }
    s[2 * depth] = 0;
    d = rmj_parse(s, 2 * depth, &e);
    CHECK(d == NULL && strstr(e.msg, "nesting too deep") && e.offset == RMJ_MAX_DEPTH, "deep: %s", e.msg);
    rmj_free(d);
    /* exactly at the limit is fine */
    d = rmj_parse(s + depth - RMJ_MAX_DEPTH, 2 * RMJ_MAX_DEPTH, &e);
    CHECK(d != NULL, "at limit: %s", e.msg);
    if (d) {
        const rmj_value *v = rmj_root(d);
        for (i = 1; i < RMJ_MAX_DEPTH; i++) v = rmj_at(v, 0);
        CHECK(rmj_is_array(v) && rmj_len(v) == 0, "innermost");
    }
    rmj_free(d);
    d = rmj_parse_ex("[[[]]]", 6, 2, &e);
    CHECK(d == NULL && e.offset == 2, "custom limit: %s", e.msg);
    rmj_free(d);
    d = rmj_parse_ex("[[[]]]", 6, 3, &e);
    CHECK(d != NULL, "custom limit 3");
    rmj_free(d);
    /* objects count too */
    d = parse_str("{\"a\":{\"b\":{\"c\":[{}]}}}", &e);
    CHECK(d && rmj_is_object(rmj_at(rmj_get(rmj_get(rmj_get(rmj_root(d), "a"), "b"), "c"), 0)), "mixed nesting");
    rmj_free(d);
    free(s);
}

static void test_many_values(void) {
    /* A wide array grows the value stack many times. */
    size_t n = 200000, i, pos = 0;
    char *s = (char *)malloc(n * 8 + 2);
    rmj_doc *d;
    rmj_error e;
    int ok = 1;
    s[pos++] = '[';
    for (i = 0; i < n; i++) pos += (size_t)sprintf(s + pos, "%s%lu", i ? "," : "", (unsigned long)i);
    s[pos++] = ']';
    d = rmj_parse(s, pos, &e);
    CHECK(d && rmj_len(rmj_root(d)) == n, "wide array: %s", e.msg);
    for (i = 0; d && i < n; i++) ok &= rmj_num(rmj_at(rmj_root(d), i)) == (double)i;
    CHECK(ok, "values");
    rmj_free(d);
    free(s);
}

static char *write_to_string(void (*fn)(FILE *, const void *), const void *arg, size_t *len) {
    FILE *f = tmpfile();
    char *buf;
    long n;
    if (!f) return NULL;
    fn(f, arg);
    n = ftell(f);
    rewind(f);
    buf = (char *)malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

typedef struct str_arg { const char *s; size_t n; } str_arg;
static void write_str_fn(FILE *f, const void *a) {
    const str_arg *s = (const str_arg *)a;
    rmj_write_string(f, s->s, s->n);
}

static void test_write_string(void) {
    static const struct { const char *in; size_t n; const char *out; } cases[] = {
        {"plain", 5, "\"plain\""},
        {"q\"b\\s/", 6, "\"q\\\"b\\\\s/\""},
        {"\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\""},
        {"\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\""},
        {"a\0b", 3, "\"a\\u0000b\""},
        {"\xC3\xA9\xF0\x9F\x99\x82", 6, "\"\xC3\xA9\xF0\x9F\x99\x82\""},
        {"x\xFFy", 3, "\"x\xEF\xBF\xBDy\""},           /* invalid byte -> U+FFFD */
        {"\xC3", 1, "\"\xEF\xBF\xBD\""},               /* truncated sequence */
        {"\xED\xA0\x80", 3, "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""}, /* encoded surrogate: 3 bad bytes */
        {"", 0, "\"\""},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        str_arg a;
        size_t len;
        char *out;
        rmj_error e;
        rmj_doc *d;
        a.s = cases[i].in;
        a.n = cases[i].n;
        out = write_to_string(write_str_fn, &a, &len);
        CHECK(out && len == strlen(cases[i].out) && memcmp(out, cases[i].out, len) == 0, "case %lu: %s",
              (unsigned long)i, out ? out : "(null)");
        d = out ? rmj_parse(out, len, &e) : NULL;
        CHECK(d && rmj_is_string(rmj_root(d)), "case %lu: output does not parse", (unsigned long)i);
        if (i < 6) CHECK(d && str_is(rmj_root(d), cases[i].in, cases[i].n), "case %lu: no round trip", (unsigned long)i);
        rmj_free(d);
        free(out);
    }
}

static void test_write_numbers(void) {
    static const double xs[] = {0.1, 1.0 / 3.0, 1e-300, -2.5, 123456789012345678.0, 5e-324, 1.7976931348623157e308, 0.0};
    static const float fs[] = {0.1f, 1.0f / 3.0f, 3.4028235e38f, 1e-45f, -7.96877691854f, 16.0f};
    char buf[64];
    size_t i;
    for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        rmj_format_double(buf, sizeof(buf), xs[i]);
        CHECK(strtod(buf, NULL) == xs[i], "double %.17g -> %s", xs[i], buf);
    }
    for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
        rmj_format_float(buf, sizeof(buf), fs[i]);
        CHECK((float)strtod(buf, NULL) == fs[i], "float %.9g -> %s", (double)fs[i], buf);
    }
    rmj_format_double(buf, sizeof(buf), 0.1);
    CHECK(strcmp(buf, "0.1") == 0, "shortest 0.1: %s", buf);
    rmj_format_float(buf, sizeof(buf), 0.1f);
    CHECK(strcmp(buf, "0.1") == 0, "shortest 0.1f: %s", buf);
    rmj_format_double(buf, sizeof(buf), 16.0);
    CHECK(strcmp(buf, "16") == 0, "16: %s", buf);
    rmj_format_double(buf, sizeof(buf), NAN);
    CHECK(strcmp(buf, "null") == 0, "NaN: %s", buf);
    rmj_format_double(buf, sizeof(buf), -HUGE_VAL);
    CHECK(strcmp(buf, "null") == 0, "-Inf: %s", buf);
    rmj_format_float(buf, sizeof(buf), (float)HUGE_VAL);
    CHECK(strcmp(buf, "null") == 0, "float Inf: %s", buf);
    CHECK(rmj_format_double(buf, 8, 1.0) == 0, "small buffer refused");
}

static rmj_doc *load(const char *path, rmj_error *e) {
    size_t len = 0;
    char *text = rmt_read_file(path, &len);
    rmj_doc *d;
    if (!text) {
        snprintf(e->msg, sizeof(e->msg), "cannot read %s", path);
        return NULL;
    }
    d = rmj_parse(text, len, e);
    free(text); /* the document must not borrow from the source */
    return d;
}

static void test_reference_files_parse(void) {
#if !defined(_WIN32)
    static const char *dirs[] = {"tests/data/ref", "tests/data/ref/kv_f16_default", "tests/data/tokenizers"};
    size_t k, n_files = 0;
    for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
        DIR *dir = opendir(dirs[k]);
        struct dirent *ent;
        CHECK(dir != NULL, "cannot list %s", dirs[k]);
        if (!dir) continue;
        while ((ent = readdir(dir)) != NULL) {
            size_t n = strlen(ent->d_name);
            char path[512];
            rmj_error e;
            rmj_doc *d;
            if (n < 5 || strcmp(ent->d_name + n - 5, ".json") != 0) continue;
            snprintf(path, sizeof(path), "%s/%s", dirs[k], ent->d_name);
            d = load(path, &e);
            CHECK(d != NULL, "%s: %s", path, e.msg);
            CHECK(d == NULL || rmj_is_object(rmj_root(d)), "%s: root is not an object", path);
            rmj_free(d);
            n_files++;
        }
        closedir(dir);
    }
    CHECK(n_files >= 30, "only %lu reference files", (unsigned long)n_files);
#endif
}

static void test_reference_values(void) {
    rmj_error e;
    rmj_doc *d = load("tests/data/ref/tiny-llama.json", &e);
    const rmj_value *cases = rmj_get(rmj_root(d), "cases"), *c0 = rmj_at(cases, 0), *c7 = rmj_at(cases, 7);
    int64_t n = 0;
    CHECK(d != NULL, "%s", e.msg);
    CHECK(rmj_len(cases) == 8, "%lu cases", (unsigned long)rmj_len(cases));
    CHECK(rmj_str_eq(rmj_get(c0, "id"), "s01_simple"), "cases[0].id");
    CHECK(rmj_int(rmj_get(c0, "n_prompt_tokens"), &n) && n == 16, "n_prompt_tokens %lld", (long long)n);
    CHECK(rmj_num(rmj_get(c0, "n_response_tokens")) == 19, "n_response_tokens");
    CHECK(rmj_num(rmj_at(rmj_get(c0, "response_logprobs"), 0)) == -7.96877691854, "response_logprobs[0]");
    CHECK(rmj_len(rmj_get(c0, "last_hidden")) == 256, "last_hidden length");
    CHECK(rmj_num(rmj_at(rmj_get(c0, "prompt_tokens"), 1)) == 403, "prompt_tokens[1]");
    CHECK(str_is(rmj_at(rmj_get(c0, "prompt_pieces"), 1), "\xE2\x96\x81Once", 7), "prompt_pieces[1]");
    CHECK(rmj_str_eq(rmj_get(c7, "id"), "s08_emoji_caps"), "cases[7].id");
    CHECK(rmj_str_eq(rmj_get(c7, "response"),
                     "The lion said ROAR, and the girls laughed \xF0\x9F\x98\x8A. It was the best day ever."),
          "emoji response");
    CHECK(rmj_str_eq(rmj_get(rmj_get(rmj_root(d), "model"), "sha256"),
                     "4f02178c5220ad67342faff5c528bc3074c49163df9e42b4432a86af582f1350"),
          "model.sha256");
    CHECK(rmj_num(rmj_get(rmj_get(rmj_root(d), "generator"), "llama_cpp_build_number")) == 10470, "build number");
    CHECK(rmj_bool(rmj_get(rmj_get(rmj_root(d), "model"), "add_bos")) == 1, "model.add_bos");
    CHECK(rmj_is_null(rmj_get(rmj_get(rmj_root(d), "model"), "pooling_type")), "model.pooling_type");
    rmj_free(d);
}

int main(void) {
    RUN(test_scalars);
    RUN(test_escapes_unicode);
    RUN(test_numbers);
    RUN(test_errors_with_positions);
    RUN(test_truncated_input);
    RUN(test_nesting_limit);
    RUN(test_many_values);
    RUN(test_write_string);
    RUN(test_write_numbers);
    RUN(test_reference_files_parse);
    RUN(test_reference_values);
    return rmt_summary("test_json");
}
