/*
 * cli_envelope.c - envelope test vectors for `airlock vectors`:
 *
 *   airlock vectors check FILE      also checks cases of type "envelope"
 *   airlock vectors envelope --sender A --sender-seed HEX
 *                  --recipient B --recipient-seed HEX --time MS [--name N]
 *                                   reads a content frame on stdin and
 *                                   prints one envelope case (JSON)
 *
 * A case is checked both ways: sealing the frame from the seeds must give
 * the envelope byte for byte, and opening the envelope must give the frame;
 * then the frame must render to the expected model for each trust level.
 * Built only on <airlock/airlock.h> and jansson.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <airlock/airlock.h>
#include <jansson.h>

#include "cli.h"
#include "cli_envelope.h"

#define FRAME_MAX AIRLOCK_RENDER_MAX

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode lowercase/uppercase hex without separators; NULL on error. */
static uint8_t *unhex(const char *s, size_t *n)
{
    size_t len = s != NULL ? strlen(s) : 0, i;
    uint8_t *b;

    if (s == NULL || len % 2 != 0 || (b = malloc(len / 2 + 1)) == NULL)
        return NULL;
    for (i = 0; i < len / 2; i++) {
        int hi = hexv(s[2 * i]), lo = hexv(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *n = len / 2;
    return b;
}

static char *tohex(const uint8_t *b, size_t n)
{
    static const char d[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    size_t i;

    if (s == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        s[2 * i] = d[b[i] >> 4];
        s[2 * i + 1] = d[b[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

static int seed32(const char *hex, uint8_t out[32])
{
    size_t n = 0;
    uint8_t *b = unhex(hex, &n);

    if (b == NULL || n != 32) {
        free(b);
        return -1;
    }
    memcpy(out, b, 32);
    free(b);
    return 0;
}

static int why_is(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int why_is(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return 1;
}

static const char *const trust_names[] = { "unknown", "accepted",
                                           "verified", "blocked" };

/* The model of `frame` for trust t, as a jansson value. */
static json_t *render_json(const uint8_t *frame, size_t n, airlock_trust t)
{
    airlock_model *m = NULL;
    char *s = NULL;
    size_t sn = 0;
    json_t *j = NULL;

    if (airlock_render(frame, n, t, AIRLOCK_INPUT_FRAME, NULL, &m) ==
            AIRLOCK_OK &&
        airlock_model_to_json(m, &s, &sn) == AIRLOCK_OK)
        j = json_loadb(s, sn, 0, NULL);
    airlock_free(s);
    airlock_model_free(m);
    return j;
}

static int check_envelope(const struct json_t *vcase, char *why,
                          size_t why_len)
{
    json_t *c = (json_t *)vcase, *expected, *want;
    const char *sender = json_string_value(json_object_get(c, "sender"));
    const char *recipient = json_string_value(json_object_get(c,
                                                              "recipient"));
    json_int_t t = json_integer_value(json_object_get(c, "time_ms"));
    uint8_t sseed[32], rseed[32];
    uint8_t *frame = NULL, *env = NULL, *sealed = NULL, *opened = NULL;
    size_t fn = 0, en = 0, sn = 0, on = 0;
    const char *key;
    int rc = 1;
    airlock_err err;

    if (sender == NULL || recipient == NULL ||
        !json_is_integer(json_object_get(c, "time_ms")) || t < 0 ||
        seed32(json_string_value(json_object_get(c, "sender_seed")),
               sseed) != 0 ||
        seed32(json_string_value(json_object_get(c, "recipient_seed")),
               rseed) != 0 ||
        (frame = unhex(json_string_value(json_object_get(c, "frame")),
                       &fn)) == NULL ||
        (env = unhex(json_string_value(json_object_get(c, "envelope")),
                     &en)) == NULL ||
        !json_is_object(expected = json_object_get(c, "expected"))) {
        why_is(why, why_len, "case is missing a field or has bad hex");
        goto out;
    }
    /* writing: the same seeds and frame give the same bytes */
    if ((err = airlock_vector_seal(sseed, sender, rseed, recipient,
                                   (uint64_t)t, frame, fn, &sealed, &sn)) !=
        AIRLOCK_OK) {
        why_is(why, why_len, "seal: %s", airlock_strerror(err));
        goto out;
    }
    if (sn != en || memcmp(sealed, env, en) != 0) {
        why_is(why, why_len, "sealed envelope differs (%zu vs %zu bytes)",
               sn, en);
        goto out;
    }
    /* reading: the published envelope opens to the frame */
    if ((err = airlock_vector_open(rseed, env, en, &opened, &on)) !=
        AIRLOCK_OK) {
        why_is(why, why_len, "open: %s", airlock_strerror(err));
        goto out;
    }
    if (on != fn || memcmp(opened, frame, fn) != 0) {
        why_is(why, why_len, "opened frame differs");
        goto out;
    }
    json_object_foreach(expected, key, want) {
        airlock_trust tr;
        json_t *got;

        for (tr = AIRLOCK_TRUST_UNKNOWN; tr <= AIRLOCK_TRUST_BLOCKED; tr++)
            if (strcmp(key, trust_names[tr]) == 0)
                break;
        if (tr > AIRLOCK_TRUST_BLOCKED) {
            why_is(why, why_len, "unknown trust %s", key);
            goto out;
        }
        got = render_json(opened, on, tr);
        if (got == NULL || !json_equal(got, want)) {
            json_decref(got);
            why_is(why, why_len, "model for trust %s differs", key);
            goto out;
        }
        json_decref(got);
    }
    rc = 0;
out:
    free(frame);
    free(env);
    airlock_free(sealed);
    airlock_free(opened);
    return rc;
}

static int read_stdin(uint8_t **out, size_t *n)
{
    uint8_t *buf = malloc(FRAME_MAX + 1);
    size_t got = 0, r;

    if (buf == NULL)
        return -1;
    while ((r = fread(buf + got, 1, FRAME_MAX + 1 - got, stdin)) > 0)
        got += r;
    if (got > FRAME_MAX) {
        free(buf);
        return -1;
    }
    *out = buf;
    *n = got;
    return 0;
}

static int make_case(int argc, char **argv)
{
    const char *sender = NULL, *recipient = NULL, *ss = NULL, *rs = NULL;
    const char *name = "envelope";
    long long t = -1;
    uint8_t sseed[32], rseed[32], *frame = NULL, *env = NULL;
    size_t fn = 0, en = 0;
    json_t *c = NULL, *exp = NULL;
    char *fh = NULL, *eh = NULL, *dump = NULL;
    int i, rc = 2;
    airlock_err err;

    for (i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sender") == 0)
            sender = argv[i + 1];
        else if (strcmp(argv[i], "--recipient") == 0)
            recipient = argv[i + 1];
        else if (strcmp(argv[i], "--sender-seed") == 0)
            ss = argv[i + 1];
        else if (strcmp(argv[i], "--recipient-seed") == 0)
            rs = argv[i + 1];
        else if (strcmp(argv[i], "--time") == 0)
            t = strtoll(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else
            break;
    }
    if (i != argc || sender == NULL || recipient == NULL || t < 0 ||
        seed32(ss, sseed) != 0 || seed32(rs, rseed) != 0) {
        fprintf(stderr, "usage: airlock vectors envelope --sender A "
                "--sender-seed HEX64 --recipient B --recipient-seed HEX64 "
                "--time MS [--name N] < frame\n");
        return 2;
    }
    if (read_stdin(&frame, &fn) != 0) {
        fprintf(stderr, "airlock: vectors: frame over %u bytes\n", FRAME_MAX);
        return 2;
    }
    if ((err = airlock_vector_seal(sseed, sender, rseed, recipient,
                                   (uint64_t)t, frame, fn, &env, &en)) !=
        AIRLOCK_OK) {
        fprintf(stderr, "airlock: vectors: %s\n", airlock_strerror(err));
        rc = 1;
        goto out;
    }
    fh = tohex(frame, fn);
    eh = tohex(env, en);
    exp = json_object();
    json_object_set_new(exp, "unknown",
                        render_json(frame, fn, AIRLOCK_TRUST_UNKNOWN));
    json_object_set_new(exp, "accepted",
                        render_json(frame, fn, AIRLOCK_TRUST_ACCEPTED));
    c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:O}",
                  "type", "envelope", "name", name, "sender", sender,
                  "sender_seed", ss, "recipient", recipient,
                  "recipient_seed", rs, "time_ms", (json_int_t)t,
                  "frame", fh, "envelope", eh, "expected", exp);
    if (c == NULL || (dump = json_dumps(c, JSON_COMPACT | JSON_ENSURE_ASCII |
                                        JSON_PRESERVE_ORDER)) == NULL) {
        rc = 1;
        goto out;
    }
    printf("%s\n", dump);
    rc = 0;
out:
    free(dump);
    json_decref(c);
    json_decref(exp);
    free(fh);
    free(eh);
    free(frame);
    airlock_free(env);
    return rc;
}

int cli_vectors_all(int argc, char **argv)
{
    static const cli_vector_type extra[] = {
        { "envelope", check_envelope },
    };

    if (argc >= 1 && strcmp(argv[0], "envelope") == 0)
        return make_case(argc - 1, argv + 1);
    return cli_vectors_with(argc, argv, extra,
                            sizeof extra / sizeof extra[0]);
}
