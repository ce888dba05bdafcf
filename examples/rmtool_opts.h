/* rmtool_opts.h: the one option parser of every rmtool subcommand (table-driven).

   A subcommand describes itself in an rmo_cmd: its name, a one-line summary, what it takes
   as positional arguments, and a table of options ending with {NULL}. Each option has its
   names ("-o|--output": aliases separated by '|'), the name of its value (NULL for a flag
   without one), a help line, and flags (RMO_REQUIRED, RMO_REPEAT). Then:

       static const rmo_opt foo_opts[] = {
           {"--model|-m", "FILE", "the model", RMO_REQUIRED},
           {"--json", NULL, "print one JSON object", 0},
           {NULL, NULL, NULL, 0}};
       static const rmo_cmd foo_cmd = {"foo", "what foo does", NULL, 0, foo_opts, NULL};

       static int cmd_foo(int argc, char **argv) {     // argv: the arguments after "foo"
           rmo_args a;
           int rc = rmo_parse(&foo_cmd, argc, argv, &a);
           if (rc >= 0) return rc;                      // --help printed (0) or an error (1)
           ... rmo_get(&a, "--model"), rmo_has(&a, "--json"), a.pos[0] ...
       }

   What every subcommand then does the same way:
   - `-h` / `--help` anywhere: the usage (synopsis from the table, then one line per option
     and the command's notes) on stdout, status 0;
   - `--opt value` and `--opt=value`; a value may start with '-' ("--input -" is stdin);
   - an unknown option, a missing value, a value given to a flag, an option given twice
     (unless RMO_REPEAT) or a missing RMO_REQUIRED option: one line "error: ..." on stderr
     naming the option and "rmtool NAME --help", status 1;
   - rmo_synopsis() prints the one-line synopsis the top-level `rmtool --help` shows, made
     from the same table, so the two never disagree (required options plain, the others in
     brackets).
   Warnings (an option that the chosen mode does not use) go through rmo_warn: one line
   "warning: ..." on stderr. */
#ifndef RMTOOL_OPTS_H
#define RMTOOL_OPTS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* a command uses only some of these: unused ones must not warn */
#if defined(__GNUC__) || defined(__clang__)
#define RMO_FN static __attribute__((unused))
#else
#define RMO_FN static
#endif

#define RMO_REQUIRED 1 /* the command fails without it */
#define RMO_REPEAT 2   /* may be given more than once (rmo_get returns the last) */
#define RMO_MAX_OPTS 64
#define RMO_MAX_POS 8

typedef struct rmo_opt {
    const char *names; /* "--output|-o": the first is the one shown and looked up by */
    const char *arg;   /* value placeholder ("FILE"), or NULL for a flag */
    const char *help;
    int flags;         /* RMO_* */
} rmo_opt;

typedef struct rmo_cmd {
    const char *name;       /* "score" */
    const char *summary;    /* one line */
    const char *positional; /* "FILE" (shown in the synopsis), or NULL */
    int max_positional;
    const rmo_opt *opts;    /* ends with {NULL, ...} */
    const char *notes;      /* printed after the options by --help, or NULL */
} rmo_cmd;

typedef struct rmo_args {
    const rmo_cmd *cmd;
    const char *val[RMO_MAX_OPTS]; /* per option of the table: its value ("" for a flag) or NULL */
    int count[RMO_MAX_OPTS];       /* times given */
    const char *pos[RMO_MAX_POS];
    int npos;
} rmo_args;

RMO_FN int rmo_error(const rmo_cmd *c, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (rmtool %s --help lists the options)\n", c->name);
    return 1;
}

RMO_FN void rmo_warn(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

/* Whether `arg` (up to len bytes) is one of the '|'-separated names. */
RMO_FN int rmo_names_match(const char *names, const char *arg, size_t len) {
    const char *p = names;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, arg, len) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

/* The first name of an option ("--output" of "--output|-o") into buf. */
static const char *rmo_main_name(const rmo_opt *o, char *buf, size_t cap) {
    const char *bar = strchr(o->names, '|');
    size_t n = bar ? (size_t)(bar - o->names) : strlen(o->names);
    if (n >= cap) n = cap - 1;
    memcpy(buf, o->names, n);
    buf[n] = 0;
    return buf;
}

RMO_FN int rmo_find(const rmo_cmd *c, const char *arg, size_t len) {
    int i;
    for (i = 0; c->opts && c->opts[i].names; i++)
        if (rmo_names_match(c->opts[i].names, arg, len)) return i;
    return -1;
}

/* One line: "score --model M [--ref R] ..." from the table. */
RMO_FN void rmo_synopsis(FILE *f, const rmo_cmd *c) {
    int i;
    char nb[64];
    fprintf(f, "%s", c->name);
    if (c->positional) fprintf(f, " %s", c->positional);
    for (i = 0; c->opts && c->opts[i].names; i++) {
        const rmo_opt *o = &c->opts[i];
        int req = (o->flags & RMO_REQUIRED) != 0;
        fprintf(f, " %s%s%s%s%s", req ? "" : "[", rmo_main_name(o, nb, sizeof(nb)), o->arg ? " " : "", o->arg ? o->arg : "",
                req ? "" : "]");
    }
    fprintf(f, "\n");
}

RMO_FN void rmo_usage(FILE *f, const rmo_cmd *c) {
    int i;
    fprintf(f, "usage: rmtool ");
    rmo_synopsis(f, c);
    fprintf(f, "%s\n\n", c->summary);
    for (i = 0; c->opts && c->opts[i].names; i++) {
        const rmo_opt *o = &c->opts[i];
        char left[96];
        const char *p;
        size_t k = 0;
        /* "-o, --output FILE" */
        for (p = o->names; *p && k + 3 < sizeof(left); p++) {
            if (*p == '|') {
                left[k++] = ',';
                left[k++] = ' ';
            } else
                left[k++] = *p;
        }
        left[k] = 0;
        if (o->arg) snprintf(left + k, sizeof(left) - k, " %s", o->arg);
        fprintf(f, "  %-28s %s%s\n", left, o->help ? o->help : "", (o->flags & RMO_REQUIRED) ? " (required)" : "");
    }
    fprintf(f, "  %-28s %s\n", "-h, --help", "this help");
    if (c->notes) fprintf(f, "\n%s", c->notes);
}

/* Parses argv[0..argc) (the arguments after the subcommand's name). Returns -1 when the
   command should run, 0 when --help was printed, 1 after printing an error. */
RMO_FN int rmo_parse(const rmo_cmd *c, int argc, char **argv, rmo_args *a) {
    int i, n_opts = 0;
    memset(a, 0, sizeof(*a));
    a->cmd = c;
    while (c->opts && c->opts[n_opts].names) n_opts++;
    if (n_opts > RMO_MAX_OPTS) return rmo_error(c, "internal: more than %d options", RMO_MAX_OPTS);
    for (i = 0; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            rmo_usage(stdout, c);
            return 0;
        }
    for (i = 0; i < argc; i++) {
        const char *s = argv[i], *eq, *val = NULL;
        size_t len;
        int k;
        if (s[0] != '-' || s[1] == 0) { /* positional ("-" alone is one too: stdin) */
            if (a->npos >= c->max_positional || a->npos >= RMO_MAX_POS) return rmo_error(c, "unexpected argument '%s'", s);
            a->pos[a->npos++] = s;
            continue;
        }
        eq = s[1] == '-' ? strchr(s, '=') : NULL;
        len = eq ? (size_t)(eq - s) : strlen(s);
        k = rmo_find(c, s, len);
        if (k < 0) return rmo_error(c, "unknown option '%.*s'", (int)len, s);
        if (c->opts[k].arg) {
            if (eq) val = eq + 1;
            else if (i + 1 < argc) val = argv[++i];
            else return rmo_error(c, "option %s needs a value (%s)", s, c->opts[k].arg);
        } else {
            if (eq) return rmo_error(c, "option %.*s takes no value", (int)len, s);
            val = "";
        }
        if (a->count[k] && !(c->opts[k].flags & RMO_REPEAT)) {
            char nb[64];
            return rmo_error(c, "option %s is given twice", rmo_main_name(&c->opts[k], nb, sizeof(nb)));
        }
        a->count[k]++;
        a->val[k] = val;
    }
    for (i = 0; i < n_opts; i++)
        if ((c->opts[i].flags & RMO_REQUIRED) && !a->count[i]) {
            char nb[64];
            return rmo_error(c, "%s is required", rmo_main_name(&c->opts[i], nb, sizeof(nb)));
        }
    return -1;
}

/* The value of an option (looked up by any of its names), or NULL when not given. */
static const char *rmo_get(const rmo_args *a, const char *name) {
    int k = rmo_find(a->cmd, name, strlen(name));
    return k >= 0 ? a->val[k] : NULL;
}
RMO_FN int rmo_has(const rmo_args *a, const char *name) { return rmo_get(a, name) != NULL; }

#endif
