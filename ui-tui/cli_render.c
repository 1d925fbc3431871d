/*
 * cli_render.c - `airlock render` and `airlock vectors check`, built only
 * on the public API (exactly what a GUI or a script would use).
 *
 * Everything printed comes from the library's sanitized output or is
 * escaped here: JSON dumps are ASCII-only, case names go through
 * airlock_sanitize, so a hostile vectors file or stdin cannot reach the
 * terminal either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <airlock/airlock.h>
#include <jansson.h>

#include "cli.h"

/* ---- airlock render --------------------------------------------------------- */

static int render_usage(FILE *f)
{
    fprintf(f, "usage: airlock render [--trust unknown|accepted|verified|"
               "blocked] [--input frame|body] [--json] < INPUT\n");
    return 2;
}

static int parse_trust(const char *s, airlock_trust *t)
{
    static const char *const names[] = { "unknown", "accepted", "verified",
                                         "blocked" };
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *t = (airlock_trust)i;
            return 0;
        }
    }
    return -1;
}

static int parse_kind(const char *s, airlock_input *k)
{
    if (strcmp(s, "frame") == 0)
        *k = AIRLOCK_INPUT_FRAME;
    else if (strcmp(s, "body") == 0)
        *k = AIRLOCK_INPUT_BODY;
    else
        return -1;
    return 0;
}

/* Read all of f, at most max bytes: 0, or 1 when there is more, -1 on a
 * read error. */
static int read_all(FILE *f, uint8_t *buf, size_t max, size_t *n)
{
    size_t got = 0, k;

    for (;;) {
        k = fread(buf + got, 1, max + 1 - got, f);
        got += k;
        if (got > max) {
            *n = got;
            return 1;
        }
        if (k == 0)
            break;
    }
    *n = got;
    return ferror(f) ? -1 : 0;
}

int cli_render(int argc, char **argv)
{
    airlock_trust trust = AIRLOCK_TRUST_UNKNOWN;
    airlock_input kind = AIRLOCK_INPUT_FRAME;
    int json = 0, i, rc = 1, r;
    uint8_t *buf = NULL;
    char *out = NULL;
    size_t n = 0, out_n = 0;
    airlock_model *m = NULL;
    airlock_err err;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--trust") == 0 && i + 1 < argc) {
            if (parse_trust(argv[++i], &trust) != 0)
                return render_usage(stderr);
        } else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
            if (parse_kind(argv[++i], &kind) != 0)
                return render_usage(stderr);
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            render_usage(stdout);
            return 0;
        } else {
            return render_usage(stderr);
        }
    }
    if ((buf = malloc(AIRLOCK_RENDER_MAX + 1)) == NULL) {
        fprintf(stderr, "airlock render: out of memory\n");
        return 1;
    }
    r = read_all(stdin, buf, AIRLOCK_RENDER_MAX, &n);
    if (r != 0) {
        if (r > 0)
            fprintf(stderr, "airlock render: input over %u bytes\n",
                    AIRLOCK_RENDER_MAX);
        else
            fprintf(stderr, "airlock render: cannot read input: %s\n",
                    strerror(errno));
        rc = 2;
        goto out;
    }
    err = airlock_render(buf, n, trust, kind, NULL, &m);
    if (err == AIRLOCK_OK)
        err = json ? airlock_model_to_json(m, &out, &out_n)
                   : airlock_model_to_text(m, &out, &out_n);
    if (err != AIRLOCK_OK) {
        fprintf(stderr, "airlock render: %s\n", airlock_strerror(err));
        rc = err == AIRLOCK_ERR_TOO_LARGE ? 2 : 1;
        goto out;
    }
    fwrite(out, 1, out_n, stdout);
    if (out_n == 0 || out[out_n - 1] != '\n')
        fputc('\n', stdout);
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    airlock_free(out);
    airlock_model_free(m);
    free(buf);
    return rc;
}

/* ---- airlock vectors check --------------------------------------------------- */

#define VECTORS_FORMAT "airlock-vectors"
#define VECTORS_VERSION 1

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode a hex string into a new buffer (at least 1 byte allocated). */
static int unhex(const char *s, uint8_t **out, size_t *n)
{
    size_t len = strlen(s), i;
    uint8_t *b;

    if (len % 2 != 0 || (b = malloc(len / 2 + 1)) == NULL)
        return -1;
    for (i = 0; i < len / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]);
        int lo = hexval((unsigned char)s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *n = len / 2;
    return 0;
}

static int why_is(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int why_is(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return 1;
}

/* The built-in checker for "type": "render". */
static int check_render(const struct json_t *vcase, char *why, size_t why_len)
{
    const json_t *c = (const json_t *)vcase;
    const char *trust_s = json_string_value(json_object_get(c, "trust"));
    const char *kind_s = json_string_value(json_object_get(c, "input_kind"));
    const char *hex = json_string_value(json_object_get(c, "input"));
    const json_t *expected = json_object_get(c, "expected");
    const json_t *malformed = json_object_get(c, "malformed");
    const json_t *text = json_object_get(c, "text");
    airlock_trust trust;
    airlock_input kind;
    airlock_model *m = NULL;
    uint8_t *in = NULL;
    char *out = NULL, *got_s = NULL, *want_s = NULL;
    size_t n = 0;
    json_t *got = NULL;
    json_error_t jerr;
    airlock_err err;
    int rc = 1;

    if (trust_s == NULL || parse_trust(trust_s, &trust) != 0 ||
        kind_s == NULL || parse_kind(kind_s, &kind) != 0 || hex == NULL ||
        !json_is_object(expected) ||
        (malformed != NULL && !json_is_boolean(malformed)) ||
        (text != NULL && !json_is_string(text)))
        return why_is(why, why_len, "invalid case (needs trust, input_kind, "
                      "input, expected)");
    if (unhex(hex, &in, &n) != 0)
        return why_is(why, why_len, "invalid hex input");
    if ((err = airlock_render(in, n, trust, kind, NULL, &m)) != AIRLOCK_OK) {
        rc = why_is(why, why_len, "render failed: %s",
                    airlock_strerror(err));
        goto out;
    }
    if ((err = airlock_model_to_json(m, &out, NULL)) != AIRLOCK_OK) {
        rc = why_is(why, why_len, "to_json failed: %s",
                    airlock_strerror(err));
        goto out;
    }
    if ((got = json_loads(out, 0, &jerr)) == NULL) {
        rc = why_is(why, why_len, "output is not JSON: %s", jerr.text);
        goto out;
    }
    if (!json_equal(got, (json_t *)expected)) {
        got_s = json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII |
                           JSON_PRESERVE_ORDER);
        want_s = json_dumps(expected, JSON_COMPACT | JSON_ENSURE_ASCII |
                            JSON_PRESERVE_ORDER);
        rc = why_is(why, why_len, "expected %s got %s",
                    want_s != NULL ? want_s : "?", got_s != NULL ? got_s : "?");
        goto out;
    }
    if ((malformed != NULL && json_is_true(malformed)) !=
        (airlock_model_malformed(m) != 0)) {
        rc = why_is(why, why_len, "malformed is %s",
                    airlock_model_malformed(m) ? "true" : "false");
        goto out;
    }
    if (text != NULL) {
        airlock_free(out);
        out = NULL;
        if ((err = airlock_model_to_text(m, &out, NULL)) != AIRLOCK_OK ||
            strcmp(out, json_string_value(text)) != 0) {
            json_t *t = json_string(out != NULL ? out : "");

            got_s = t != NULL ? json_dumps(t, JSON_ENCODE_ANY |
                                           JSON_ENSURE_ASCII) : NULL;
            json_decref(t);
            rc = why_is(why, why_len, "text form differs: got %s",
                        got_s != NULL ? got_s : "?");
            goto out;
        }
    }
    rc = 0;
out:
    free(got_s);
    free(want_s);
    json_decref(got);
    airlock_free(out);
    airlock_model_free(m);
    free(in);
    return rc;
}

static void print_safe(FILE *f, const char *s)
{
    char *clean = NULL;

    if (airlock_sanitize((const uint8_t *)s, strlen(s), &clean, NULL) ==
        AIRLOCK_OK) {
        fputs(clean, f);
        airlock_free(clean);
    }
}

static int vectors_usage(void)
{
    fprintf(stderr, "usage: airlock vectors check FILE\n");
    return 2;
}

int cli_vectors_with(int argc, char **argv, const cli_vector_type *extra,
                     size_t n_extra)
{
    json_t *root = NULL;
    const json_t *cases;
    json_error_t jerr;
    size_t i, k, passed = 0, failed = 0, skipped = 0;
    const char *format;
    int rc = 2;

    if (argc != 2 || strcmp(argv[0], "check") != 0)
        return vectors_usage();
    if ((root = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr)) ==
        NULL) {
        fprintf(stderr, "airlock vectors: ");
        print_safe(stderr, argv[1]);
        fprintf(stderr, ":%d: ", jerr.line);
        print_safe(stderr, jerr.text);
        fputc('\n', stderr);
        return 2;
    }
    format = json_string_value(json_object_get(root, "format"));
    cases = json_object_get(root, "cases");
    if (format == NULL || strcmp(format, VECTORS_FORMAT) != 0 ||
        json_integer_value(json_object_get(root, "version")) !=
            VECTORS_VERSION ||
        !json_is_array(cases)) {
        fprintf(stderr, "airlock vectors: not an %s version %d file\n",
                VECTORS_FORMAT, VECTORS_VERSION);
        goto out;
    }
    for (i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i);
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *name = json_string_value(json_object_get(c, "name"));
        cli_vector_check check = NULL;
        char why[4096];
        char idx[32];

        snprintf(idx, sizeof idx, "#%zu", i);
        if (name == NULL)
            name = idx;
        for (k = 0; type != NULL && k < n_extra && check == NULL; k++)
            if (extra[k].type != NULL && strcmp(extra[k].type, type) == 0)
                check = extra[k].check;
        if (check == NULL && type != NULL && strcmp(type, "render") == 0)
            check = check_render;
        if (check == NULL) {
            printf("skip %s: ", idx);
            print_safe(stdout, name);
            printf(" (type ");
            print_safe(stdout, type != NULL ? type : "missing");
            printf(")\n");
            skipped++;
            continue;
        }
        why[0] = '\0';
        if (check((const struct json_t *)c, why, sizeof why) == 0) {
            passed++;
            continue;
        }
        failed++;
        printf("FAIL %s ", idx);
        print_safe(stdout, name);
        printf(": ");
        print_safe(stdout, why);
        printf("\n");
    }
    printf("vectors: %zu passed, %zu failed, %zu skipped\n", passed, failed,
           skipped);
    rc = failed > 0 ? 1 : 0;
out:
    json_decref(root);
    return rc;
}

int cli_vectors(int argc, char **argv)
{
    return cli_vectors_with(argc, argv, NULL, 0);
}
