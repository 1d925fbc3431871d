/* test_render.c - the gate by trust: inert path, full decoder, attachment
 * whitelist, notices, withheld counts, JSON and text forms, the model
 * builder, and allocation failure at every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/gate.h"

/* Render and compare the JSON form exactly. */
static void json_is(const void *in, size_t n, airlock_trust trust,
                    airlock_input kind, const char *want, int malformed)
{
    airlock_model *m = NULL;
    char *json = NULL;
    size_t jn = 0;

    assert_int_equal(airlock_render(in, n, trust, kind, NULL, &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_to_json(m, &json, &jn), AIRLOCK_OK);
    assert_int_equal(strlen(json), jn);
    if (strcmp(json, want) != 0)
        print_error(" want: %s\n  got: %s\n", want, json);
    assert_string_equal(json, want);
    assert_int_equal(airlock_model_malformed(m), malformed);
    assert_int_equal(airlock_model_trust(m), trust);
    airlock_free(json);
    airlock_model_free(m);
}

static void text_is(const void *in, size_t n, airlock_trust trust,
                    airlock_input kind, const char *want)
{
    airlock_model *m = NULL;
    char *text = NULL;
    size_t tn = 0;

    assert_int_equal(airlock_render(in, n, trust, kind, NULL, &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_to_text(m, &text, &tn), AIRLOCK_OK);
    assert_int_equal(strlen(text), tn);
    assert_string_equal(text, want);
    airlock_free(text);
    airlock_model_free(m);
}

#define UNKNOWN AIRLOCK_TRUST_UNKNOWN
#define ACCEPTED AIRLOCK_TRUST_ACCEPTED
#define FRAME AIRLOCK_INPUT_FRAME
#define BODY AIRLOCK_INPUT_BODY
#define W0 "\"withheld\":{\"attachments\":0,\"fields\":0}"

/* A frame with body `b` then raw `tail` bytes. */
static size_t frame_body(uint8_t *out, const char *b, const void *tail,
                         size_t tail_n)
{
    size_t n = strlen(b), k = 0;

    out[k++] = 0xA1;
    out[k++] = 0x01;
    out[k++] = (uint8_t)n;       /* tests keep bodies under 128 bytes */
    memcpy(out + k, b, n);
    k += n;
    if (tail_n > 0)
        memcpy(out + k, tail, tail_n);
    return k + tail_n;
}

/* A whole frame with a body, two attachments (png "a.png" 12 bytes and
 * application/x-msdownload "x.exe"), a reaction, a receipt and one
 * unknown field. */
static size_t rich_frame(uint8_t *out)
{
    static const uint8_t tail[] = {
        0x03, 0x15, 0x01, 0x09, 'i', 'm', 'a', 'g', 'e', '/', 'p', 'n', 'g',
        0x02, 0x05, 'a', '.', 'p', 'n', 'g', 0x03, 0x01, 0x0C,
        0x03, 0x24, 0x01, 0x18, 'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i',
        'o', 'n', '/', 'x', '-', 'm', 's', 'd', 'o', 'w', 'n', 'l', 'o', 'a',
        'd', 0x02, 0x05, 'x', '.', 'e', 'x', 'e', 0x03, 0x01, 0x01,
        0x04, 0x11, '+', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x05, 0x11, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x09, 0x01, 0x00,
    };

    return frame_body(out, "*hi* https://x.org", tail, sizeof tail);
}

static void test_issue_example(void **state)
{
    static const char in[] = "\x1b]0;pwned\x07*hi*";

    (void)state;
    json_is(in, sizeof in - 1, UNKNOWN, BODY,
            "{\"trust\":\"unknown\",\"spans\":[{\"text\":\"\xe2\x90\x9b]0;pwned"
            "\xe2\x90\x87*hi*\",\"style\":[]}],\"attachments\":[]," W0
            ",\"notices\":[]}", 0);
    /* the same bytes from a contact: still no escape, and no bold (the
     * opening '*' follows a visible symbol, not whitespace) */
    json_is(in, sizeof in - 1, ACCEPTED, BODY,
            "{\"trust\":\"accepted\",\"spans\":[{\"text\":\"\xe2\x90\x9b]0;pwned"
            "\xe2\x90\x87*hi*\",\"style\":[]}],\"attachments\":[]," W0
            ",\"notices\":[]}", 0);
}

static void test_inert_is_plain(void **state)
{
    uint8_t f[256];
    size_t n;

    (void)state;
    /* no styling, no links for an unknown sender */
    json_is("*hi* https://x.org", 18, UNKNOWN, BODY,
            "{\"trust\":\"unknown\",\"spans\":[{\"text\":\"*hi* https://x.org\","
            "\"style\":[]}],\"attachments\":[]," W0 ",\"notices\":[]}", 0);
    /* the rich frame: body only, everything after it withheld unread */
    n = rich_frame(f);
    json_is(f, n, UNKNOWN, FRAME,
            "{\"trust\":\"unknown\",\"spans\":[{\"text\":\"*hi* https://x.org\","
            "\"style\":[]}],\"attachments\":[],\"withheld\":{\"attachments\":0,"
            "\"fields\":1},\"notices\":[\"other content was withheld\"]}", 0);
    /* the same frame from a contact */
    json_is(f, n, ACCEPTED, FRAME,
            "{\"trust\":\"accepted\",\"spans\":[{\"text\":\"*hi*\",\"style\":"
            "[\"bold\"]},{\"text\":\" \",\"style\":[]},{\"text\":"
            "\"https://x.org\",\"style\":[\"link\"],\"href\":\"https://x.org\"}"
            "],\"attachments\":[{\"mime\":\"image/png\",\"name\":\"a.png\","
            "\"size\":12}],\"withheld\":{\"attachments\":1,\"fields\":3},"
            "\"notices\":[\"file withheld (type not allowed)\"]}", 0);
    json_is(f, n, AIRLOCK_TRUST_VERIFIED, FRAME,
            "{\"trust\":\"verified\",\"spans\":[{\"text\":\"*hi*\",\"style\":"
            "[\"bold\"]},{\"text\":\" \",\"style\":[]},{\"text\":"
            "\"https://x.org\",\"style\":[\"link\"],\"href\":\"https://x.org\"}"
            "],\"attachments\":[{\"mime\":\"image/png\",\"name\":\"a.png\","
            "\"size\":12}],\"withheld\":{\"attachments\":1,\"fields\":3},"
            "\"notices\":[\"file withheld (type not allowed)\"]}", 0);
}

static void test_inert_reads_nothing_after_body(void **state)
{
    /* Garbage after the body: the full decoder rejects the frame, the
     * inert path does not even look at it. */
    static const uint8_t junk[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    uint8_t f[64];
    size_t n = frame_body(f, "hello", junk, sizeof junk);

    (void)state;
    json_is(f, n, UNKNOWN, FRAME,
            "{\"trust\":\"unknown\",\"spans\":[{\"text\":\"hello\",\"style\":[]"
            "}],\"attachments\":[],\"withheld\":{\"attachments\":0,\"fields\":1"
            "},\"notices\":[\"other content was withheld\"]}", 0);
    json_is(f, n, ACCEPTED, FRAME,
            "{\"trust\":\"accepted\",\"spans\":[],\"attachments\":[]," W0
            ",\"notices\":[\"message could not be read\"]}", 1);
}

static void test_inert_first_field_not_body(void **state)
{
    static const uint8_t reply_first[] = { 0xA1, 0x02, 0x10, 1, 2, 3, 4, 5, 6,
                                           7, 8, 9, 10, 11, 12, 13, 14, 15,
                                           16, 0x01, 0x01, 'x' };
    static const uint8_t att_first[] = { 0xA1, 0x03, 0xFF };
    static const uint8_t empty[] = { 0xA1 };

    (void)state;
    /* not a body first: nothing shown, not even its length is read */
    json_is(reply_first, sizeof reply_first, UNKNOWN, FRAME,
            "{\"trust\":\"unknown\",\"spans\":[],\"attachments\":[],"
            "\"withheld\":{\"attachments\":0,\"fields\":1},\"notices\":"
            "[\"other content was withheld\"]}", 0);
    json_is(att_first, sizeof att_first, UNKNOWN, FRAME,
            "{\"trust\":\"unknown\",\"spans\":[],\"attachments\":[],"
            "\"withheld\":{\"attachments\":0,\"fields\":1},\"notices\":"
            "[\"other content was withheld\"]}", 0);
    json_is(empty, 1, UNKNOWN, FRAME,
            "{\"trust\":\"unknown\",\"spans\":[],\"attachments\":[]," W0
            ",\"notices\":[]}", 0);
    json_is(empty, 1, ACCEPTED, FRAME,
            "{\"trust\":\"accepted\",\"spans\":[],\"attachments\":[]," W0
            ",\"notices\":[]}", 0);
}

static void test_inert_malformed(void **state)
{
    static const uint8_t bad_magic[] = { 0x41, 0x01, 0x01, 'x' };
    static const uint8_t beyond[] = { 0xA1, 0x01, 0x09, 'x' };
    static const uint8_t nonmin[] = { 0xA1, 0x01, 0x81, 0x00, 'x' };
    static const char unreadable[] =
        "{\"trust\":\"unknown\",\"spans\":[],\"attachments\":[]," W0
        ",\"notices\":[\"message could not be read\"]}";

    (void)state;
    json_is(bad_magic, sizeof bad_magic, UNKNOWN, FRAME, unreadable, 1);
    json_is(beyond, sizeof beyond, UNKNOWN, FRAME, unreadable, 1);
    json_is(nonmin, sizeof nonmin, UNKNOWN, FRAME, unreadable, 1);
    json_is("", 0, UNKNOWN, FRAME, unreadable, 1);
    /* an empty body is fine */
    json_is("", 0, UNKNOWN, BODY,
            "{\"trust\":\"unknown\",\"spans\":[],\"attachments\":[]," W0
            ",\"notices\":[]}", 0);
}

static void test_body_notices(void **state)
{
    static const char in[] = "a\xe2\x80\xae" "b\xe2\x80\x8b" "c\xe2\x81\xa6";

    (void)state;
    json_is(in, sizeof in - 1, UNKNOWN, BODY,
            "{\"trust\":\"unknown\",\"spans\":[{\"text\":\"abc\",\"style\":[]}]"
            ",\"attachments\":[]," W0 ",\"notices\":[\"bidirectional control "
            "characters were removed\",\"invisible characters were removed\"]}",
            0);
}

static void test_cut(void **state)
{
    size_t n = GATE_BODY_MAX + 10;
    uint8_t *in = malloc(n);
    airlock_model *m = NULL;
    const airlock_span *sp;

    (void)state;
    assert_non_null(in);
    memset(in, 'a', n);
    /* an é straddling the limit moves the cut back before it */
    in[GATE_BODY_MAX - 1] = 0xC3;
    in[GATE_BODY_MAX] = 0xA9;
    assert_int_equal(airlock_render(in, n, UNKNOWN, BODY, NULL, &m),
                     AIRLOCK_OK);
    assert_int_equal(airlock_model_span_count(m), 1);
    sp = airlock_model_span(m, 0);
    assert_int_equal(sp->len, GATE_BODY_MAX - 1);
    assert_int_equal(airlock_model_notice_count(m), 1);
    assert_string_equal(airlock_model_notice(m, 0), GATE_NOTICE_CUT);
    airlock_model_free(m);
    /* exactly the limit: not cut */
    memset(in, 'a', n);
    assert_int_equal(airlock_render(in, GATE_BODY_MAX, ACCEPTED, BODY, NULL,
                                    &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span(m, 0)->len, GATE_BODY_MAX);
    assert_int_equal(airlock_model_notice_count(m), 0);
    airlock_model_free(m);
    free(in);
}

static void test_limits_and_args(void **state)
{
    uint8_t *in = calloc(1, AIRLOCK_RENDER_MAX + 1);
    airlock_model *m = (airlock_model *)1;

    (void)state;
    assert_non_null(in);
    assert_int_equal(airlock_render(in, AIRLOCK_RENDER_MAX + 1, UNKNOWN, BODY,
                                    NULL, &m), AIRLOCK_ERR_TOO_LARGE);
    assert_null(m);
    assert_int_equal(airlock_render(in, AIRLOCK_RENDER_MAX, UNKNOWN, BODY,
                                    NULL, &m), AIRLOCK_OK);
    airlock_model_free(m);
    assert_int_equal(airlock_render(in, AIRLOCK_RENDER_MAX, ACCEPTED, FRAME,
                                    NULL, &m), AIRLOCK_OK);
    assert_true(airlock_model_malformed(m));
    airlock_model_free(m);
    assert_int_equal(airlock_render(NULL, 1, UNKNOWN, BODY, NULL, &m),
                     AIRLOCK_ERR_ARG);
    assert_int_equal(airlock_render(in, 1, UNKNOWN, BODY, NULL, NULL),
                     AIRLOCK_ERR_ARG);
    assert_int_equal(airlock_render(in, 1, (airlock_trust)7, BODY, NULL, &m),
                     AIRLOCK_ERR_ARG);
    assert_int_equal(airlock_render(in, 1, UNKNOWN, (airlock_input)5, NULL,
                                    &m), AIRLOCK_ERR_ARG);
    assert_null(m);
    free(in);
    /* NULL models */
    airlock_model_free(NULL);
    assert_int_equal(airlock_model_span_count(NULL), 0);
    assert_null(airlock_model_span(NULL, 0));
    assert_null(airlock_model_notice(NULL, 0));
    assert_null(airlock_model_attachment(NULL, 0));
    assert_int_equal(airlock_model_malformed(NULL), 0);
}

static void test_blocked(void **state)
{
    uint8_t f[256];
    size_t n = rich_frame(f);

    (void)state;
    json_is(f, n, AIRLOCK_TRUST_BLOCKED, FRAME,
            "{\"trust\":\"blocked\",\"spans\":[],\"attachments\":[]," W0
            ",\"notices\":[\"message from a blocked sender not shown\"]}", 0);
}

static void test_attachment_names(void **state)
{
    /* name "../\xe2\x80\xaegnp.exe" (RLO) with type image/jpeg, and TEXT/PLAIN */
    static const uint8_t f[] = {
        0xA1,
        0x03, 0x20, 0x01, 0x0A, 'i', 'm', 'a', 'g', 'e', '/', 'j', 'p', 'e',
        'g', 0x02, 0x0E, '.', '.', '/', 0xE2, 0x80, 0xAE, 'g', 'n', 'p', '.',
        'e', 'x', 'e', '\n', 0x03, 0x02, 0xAC, 0x02,
        0x03, 0x0C, 0x01, 0x0A, 'T', 'E', 'X', 'T', '/', 'P', 'L', 'A', 'I',
        'N',
    };
    airlock_model *m = NULL;
    const airlock_attachment *a;

    (void)state;
    json_is(f, sizeof f, ACCEPTED, FRAME,
            "{\"trust\":\"accepted\",\"spans\":[],\"attachments\":[{\"mime\":"
            "\"image/jpeg\",\"name\":\"..gnp.exe\xe2\x90\x8a\",\"size\":300},"
            "{\"mime\":\"text/plain\",\"name\":\"\",\"size\":0}]," W0
            ",\"notices\":[\"bidirectional control characters were removed\"]"
            "}", 0);
    assert_int_equal(airlock_render(f, sizeof f, ACCEPTED, FRAME, NULL, &m),
                     AIRLOCK_OK);
    assert_int_equal(airlock_model_attachment_count(m), 2);
    a = airlock_model_attachment(m, 0);
    assert_string_equal(a->mime, "image/jpeg");
    assert_int_equal(a->size, 300);
    assert_null(airlock_model_attachment(m, 2));
    airlock_model_free(m);
    /* attachments never reach the inert path */
    json_is(f, sizeof f, UNKNOWN, FRAME,
            "{\"trust\":\"unknown\",\"spans\":[],\"attachments\":[],"
            "\"withheld\":{\"attachments\":0,\"fields\":1},\"notices\":"
            "[\"other content was withheld\"]}", 0);
}

static void test_policy(void **state)
{
    static const char *const allow[] = { "application/pdf", NULL };
    static const uint8_t f[] = { 0xA1, 0x03, 0x11, 0x01, 0x0F, 'a', 'p', 'p',
                                 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '/',
                                 'p', 'd', 'f' };
    gate_policy pol = { allow };
    airlock_model *m = NULL;
    uint32_t wa = 9, wf = 9;

    (void)state;
    assert_int_equal(gate_render(f, sizeof f, ACCEPTED, FRAME, &pol, NULL, &m),
                     AIRLOCK_OK);
    assert_int_equal(airlock_model_attachment_count(m), 1);
    airlock_model_withheld(m, &wa, &wf);
    assert_int_equal(wa, 0);
    assert_int_equal(wf, 0);
    airlock_model_free(m);
    assert_int_equal(gate_render(f, sizeof f, ACCEPTED, FRAME, NULL, NULL, &m),
                     AIRLOCK_OK);
    assert_int_equal(airlock_model_attachment_count(m), 0);
    airlock_model_withheld(m, &wa, NULL);
    assert_int_equal(wa, 1);
    airlock_model_free(m);
}

static void test_json_escaping_and_quote(void **state)
{
    static const char in[] = "> \"q\" \\ \t*b*\nx";

    (void)state;
    json_is(in, sizeof in - 1, ACCEPTED, BODY,
            "{\"trust\":\"accepted\",\"spans\":[{\"text\":\"> \\\"q\\\" \\\\ "
            "\\t\",\"style\":[\"quote\"],\"quote_depth\":1},{\"text\":\"*b*\","
            "\"style\":[\"bold\",\"quote\"],\"quote_depth\":1},{\"text\":\"\\n\""
            ",\"style\":[\"quote\"],\"quote_depth\":1},{\"text\":\"x\",\"style"
            "\":[]}],\"attachments\":[]," W0 ",\"notices\":[]}", 0);
}

static void test_text_form(void **state)
{
    uint8_t f[256];
    size_t n = rich_frame(f);

    (void)state;
    text_is(f, n, ACCEPTED, FRAME,
            "*hi* https://x.org\n[attachment] a.png (image/png, 12 bytes)\n"
            "[notice] file withheld (type not allowed)\n");
    text_is(f, n, UNKNOWN, FRAME,
            "*hi* https://x.org\n[notice] other content was withheld\n");
    text_is("a\nb\n", 4, UNKNOWN, BODY, "a\nb\n");
    text_is("\x1b[31m", 5, UNKNOWN, BODY, "\xe2\x90\x9b[31m");
    text_is("", 0, UNKNOWN, FRAME, "[notice] message could not be read\n");
}

/* ---- the model builder ------------------------------------------------------- */

static void test_builder_checks(void **state)
{
    airlock_model *m = NULL;
    char *json = NULL;

    (void)state;
    assert_int_equal(gate_model_new(NULL, ACCEPTED, &m), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "a\x1b", 2, 0, 0, false),
                     AIRLOCK_ERR_ARG);
    airlock_model_free(m);
    assert_int_equal(gate_model_new(NULL, ACCEPTED, &m), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "javascript:x", 12,
                                         AIRLOCK_STYLE_LINK, 0, true),
                     AIRLOCK_ERR_ARG);
    airlock_model_free(m);
    assert_int_equal(gate_model_new(NULL, ACCEPTED, &m), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "q", 1, AIRLOCK_STYLE_QUOTE, 9,
                                         false), AIRLOCK_ERR_ARG);
    airlock_model_free(m);
    assert_int_equal(gate_model_new(NULL, ACCEPTED, &m), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "x", 1, 1u << 8, 0, false),
                     AIRLOCK_ERR_ARG);
    airlock_model_free(m);
    /* a good model: merging, links never merge, sanitized notices */
    assert_int_equal(gate_model_new(NULL, ACCEPTED, &m), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "a", 1, 0, 0, false), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "b", 1, 0, 0, false), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "http://x", 8,
                                         AIRLOCK_STYLE_LINK, 0, true),
                     AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "http://x", 8,
                                         AIRLOCK_STYLE_LINK, 0, true),
                     AIRLOCK_OK);
    assert_int_equal(gate_model_add_notice(m, "n\x1b"), AIRLOCK_OK);
    assert_int_equal(gate_model_add_notice_once(m, "n\x1b"), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "c", 1, 0, 0, false), AIRLOCK_OK);
    assert_int_equal(gate_model_add_text(m, "d", 1, 0, 0, false), AIRLOCK_OK);
    assert_int_equal(gate_model_finish(m), AIRLOCK_OK);
    assert_int_equal(airlock_model_to_json(m, &json, NULL), AIRLOCK_OK);
    assert_string_equal(json,
        "{\"trust\":\"accepted\",\"spans\":[{\"text\":\"ab\",\"style\":[]},"
        "{\"text\":\"http://x\",\"style\":[\"link\"],\"href\":\"http://x\"},"
        "{\"text\":\"http://x\",\"style\":[\"link\"],\"href\":\"http://x\"},"
        "{\"text\":\"cd\",\"style\":[]}],\"attachments\":[]," W0
        ",\"notices\":[\"n\xe2\x90\x9b\"]}");
    airlock_free(json);
    assert_int_equal(gate_model_add_text(m, "e", 1, 0, 0, false),
                     AIRLOCK_ERR_STATE);
    airlock_model_free(m);
    /* a notice-only model */
    assert_int_equal(gate_model_notice(NULL, UNKNOWN, "could not decrypt",
                                       true, &m), AIRLOCK_OK);
    assert_true(airlock_model_malformed(m));
    assert_string_equal(airlock_model_notice(m, 0), "could not decrypt");
    airlock_model_free(m);
}

/* ---- allocation failure at every N ------------------------------------------ */

typedef struct failing {
    long countdown;       /* fail when it reaches 0; negative: never */
    long live;
    long calls;
} failing;

static void *f_alloc(size_t n, void *ud)
{
    failing *fa = ud;

    fa->calls++;
    if (fa->countdown == 0)
        return NULL;
    if (fa->countdown > 0)
        fa->countdown--;
    fa->live++;
    return malloc(n);
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    failing *fa = ud;
    void *q;

    fa->calls++;
    if (fa->countdown == 0)
        return NULL;
    if (fa->countdown > 0)
        fa->countdown--;
    q = realloc(p, n);
    if (q != NULL && p == NULL)
        fa->live++;
    return q;
}

static void f_free(void *p, void *ud)
{
    failing *fa = ud;

    if (p != NULL)
        fa->live--;
    free(p);
}

/* Render with the Nth allocation failing, for every N, with and without a
 * realloc hook: NOMEM and nothing leaked, until it succeeds. */
static void every_n(const void *in, size_t n, airlock_trust trust,
                    airlock_input kind)
{
    int with_realloc;

    for (with_realloc = 0; with_realloc < 2; with_realloc++) {
        failing fa;
        airlock_allocator al = { f_alloc, with_realloc ? f_realloc : NULL,
                                 f_free, &fa };
        long k;

        for (k = 0;; k++) {
            airlock_model *m = (airlock_model *)1;
            airlock_err err;

            memset(&fa, 0, sizeof fa);
            fa.countdown = k;
            err = airlock_render(in, n, trust, kind, &al, &m);
            if (err == AIRLOCK_OK) {
                char *json = NULL;

                assert_int_equal(airlock_model_to_json(m, &json, NULL),
                                 AIRLOCK_OK);
                airlock_free(json);
                airlock_model_free(m);
                assert_int_equal(fa.live, 0);
                break;
            }
            assert_int_equal(err, AIRLOCK_ERR_NOMEM);
            assert_null(m);
            assert_int_equal(fa.live, 0);
            assert_true(k < 10000);
        }
        assert_true(k > 0);
    }
}

static void test_nomem_every_n(void **state)
{
    uint8_t f[256];
    size_t n = rich_frame(f);
    char *big;
    size_t i;

    (void)state;
    every_n(f, n, ACCEPTED, FRAME);
    every_n(f, n, UNKNOWN, FRAME);
    every_n(f, n, AIRLOCK_TRUST_BLOCKED, FRAME);
    every_n("*a* _b_ https://x.org\n> q\xe2\x80\xae", 27, ACCEPTED, BODY);
    every_n("\xff\x1b", 2, UNKNOWN, BODY);
    /* enough spans to grow the span array and the arena several times */
    big = malloc(4000);
    assert_non_null(big);
    for (i = 0; i < 4000; i++)
        big[i] = "*a* "[i % 4];
    every_n(big, 4000, ACCEPTED, BODY);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_inert_is_plain),
        cmocka_unit_test(test_inert_reads_nothing_after_body),
        cmocka_unit_test(test_inert_first_field_not_body),
        cmocka_unit_test(test_inert_malformed),
        cmocka_unit_test(test_body_notices),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_limits_and_args),
        cmocka_unit_test(test_blocked),
        cmocka_unit_test(test_attachment_names),
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_json_escaping_and_quote),
        cmocka_unit_test(test_text_form),
        cmocka_unit_test(test_builder_checks),
        cmocka_unit_test(test_nomem_every_n),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
