/* test_style.c - XEP-0393 message styling (every example of the XEP) and
 * link detection, through airlock_render for an accepted sender.
 *
 * Expected spans are written as <styles>«text» in order, where styles are
 * the letters B I S M P Q X L (bold, italic, strike, mono, pre, quote,
 * spoiler, link) followed by the quote depth for quoted spans; a plain
 * span is just «text». */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/gate.h"

static char *describe(const airlock_model *m)
{
    static const char letters[] = "BISMPQXL";
    size_t i, b, cap = 64, len = 0;
    char *out = malloc(cap);

    assert_non_null(out);
    for (i = 0; i < airlock_model_span_count(m); i++) {
        const airlock_span *sp = airlock_model_span(m, i);
        size_t need = sp->len + 32;

        if (len + need >= cap) {
            while (len + need >= cap)
                cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        for (b = 0; b < 8; b++)
            if (sp->style & (1u << b))
                out[len++] = letters[b];
        if (sp->style & AIRLOCK_STYLE_QUOTE)
            len += (size_t)snprintf(out + len, cap - len, "%u",
                                    (unsigned)sp->quote_depth);
        memcpy(out + len, "\xc2\xab", 2);
        len += 2;
        memcpy(out + len, sp->text, sp->len);
        len += sp->len;
        memcpy(out + len, "\xc2\xbb", 2);
        len += 2;
        /* invariants of every span */
        assert_int_equal(strlen(sp->text), sp->len);
        if (sp->style & AIRLOCK_STYLE_LINK) {
            assert_non_null(sp->href);
            assert_string_equal(sp->href, sp->text);
            assert_true(gate_link_scheme_ok(sp->text, sp->len));
        } else {
            assert_null(sp->href);
        }
        if (i > 0 && !(sp->style & AIRLOCK_STYLE_LINK)) {
            const airlock_span *pv = airlock_model_span(m, i - 1);

            /* canonical: adjacent non-link spans differ */
            assert_false(!(pv->style & AIRLOCK_STYLE_LINK) &&
                         pv->style == sp->style &&
                         pv->quote_depth == sp->quote_depth);
        }
    }
    out[len] = 0;
    return out;
}

static void styled_n(const char *in, size_t n, const char *want)
{
    airlock_model *m = NULL;
    char *got;

    assert_int_equal(airlock_render((const uint8_t *)in, n,
                                    AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY,
                                    NULL, &m), AIRLOCK_OK);
    got = describe(m);
    if (strcmp(got, want) != 0)
        print_error("input: %s\n want: %s\n  got: %s\n", in, want, got);
    assert_string_equal(got, want);
    assert_int_equal(airlock_model_notice_count(m), 0);
    free(got);
    airlock_model_free(m);
}

static void styled(const char *in, const char *want)
{
    styled_n(in, strlen(in), want);
}

/* Not styled at all: one plain span with the whole text. */
static void plain(const char *in)
{
    char want[512];

    assert_true(strlen(in) + 5 < sizeof want);
    snprintf(want, sizeof want, "\xc2\xab%s\xc2\xbb", in);
    styled(in, want);
}

/* ---- XEP-0393 examples, in the order of the specification ---------------- */

static void test_xep_plain_blocks(void **state)
{
    (void)state;
    plain("There are three blocks in this body, one per line,\n"
          "but there is no *formatting\n"
          "as spans* may not escape blocks.");
}

static void test_xep_preformatted(void **state)
{
    (void)state;
    styled("```ignored\n(println \"Hello, world!\")\n```\n\n"
           "This should show up as monospace, preformatted text "
           "\xe2\xa4\xb4",
           "P«```ignored\n(println \"Hello, world!\")\n```\n»"
           "«\nThis should show up as monospace, preformatted text "
           "\xe2\xa4\xb4»");
}

static void test_xep_preformatted_unclosed(void **state)
{
    (void)state;
    styled("> ```\n> (println \"Hello, world!\")\n\n"
           "The entire blockquote is a preformatted text block, but this line\n"
           "is plaintext!",
           "Q1«> »PQ1«```\n»Q1«> »PQ1«(println \"Hello, world!\")\n»"
           "«\nThe entire blockquote is a preformatted text block, but this "
           "line\nis plaintext!»");
}

static void test_xep_quotation(void **state)
{
    (void)state;
    styled("> That that is, is.\n\nSaid the old hermit of Prague.",
           "Q1«> That that is, is.\n»«\nSaid the old hermit of Prague.»");
}

static void test_xep_nested_quotation(void **state)
{
    (void)state;
    styled(">> That that is, is.\n> Said the old hermit of Prague.\n\nWho?",
           "Q2«>> That that is, is.\n»Q1«> Said the old hermit of Prague.\n»"
           "«\nWho?»");
}

static void test_xep_span_examples(void **state)
{
    (void)state;
    plain("plain span");
    styled("*strong span*", "B«*strong span*»");
    styled("plain _emphasis_ plain", "«plain »I«_emphasis_»« plain»");
    styled("`pre` plain *strong*", "M«`pre`»« plain »B«*strong*»");
    styled("*strong*plain*", "B«*strong*»«plain*»");
    styled("* plain *strong*", "«* plain »B«*strong*»");
}

static void test_xep_nothing_styled(void **state)
{
    (void)state;
    plain("not strong*");
    plain("*not strong");
    plain("*not \n strong*");
    plain("*not *strong");
    plain("**");
    plain("***");
    plain("****");
}

static void test_xep_plain_span(void **state)
{
    (void)state;
    styled("Two spans, both *alike in dignity*",
           "«Two spans, both »B«*alike in dignity*»");
}

static void test_xep_emphasis(void **state)
{
    (void)state;
    styled("The full title is _Twelfth Night, or What You Will_ but\n"
           "_most_ people shorten it.",
           "«The full title is »I«_Twelfth Night, or What You Will_»« but\n»"
           "I«_most_»« people shorten it.»");
}

static void test_xep_strong(void **state)
{
    (void)state;
    styled("The full title is \"Twelfth Night, or What You Will\" but\n"
           "*most* people shorten it.",
           "«The full title is \"Twelfth Night, or What You Will\" but\n»"
           "B«*most*»« people shorten it.»");
}

static void test_xep_strike(void **state)
{
    (void)state;
    styled("Everyone ~dis~likes cake.", "«Everyone »S«~dis~»«likes cake.»");
}

static void test_xep_mono(void **state)
{
    (void)state;
    styled("This is `monospace`", "«This is »M«`monospace`»");
    styled("This is `*monospace*`", "«This is »M«`*monospace*`»");
    styled("This is *`monospace and bold`*",
           "«This is »B«*»BM«`monospace and bold`»B«*»");
    styled("Wow, I can write in `monospace`!",
           "«Wow, I can write in »M«`monospace`»«!»");
}

static void test_xep_disable_example(void **state)
{
    (void)state;
    /* XEP-0393 §6: "> _ <" is a quotation (this client does not support
     * <unstyled/>: the body is all it sees). */
    styled("> _ <", "Q1«> _ <»");
}

static void test_xep_glossary_nesting(void **state)
{
    (void)state;
    /* the Span glossary example of earlier revisions */
    styled("_emphasized span containing *strong span*_",
           "I«_emphasized span containing »BI«*strong span*»I«_»");
    styled("span one *span two*", "«span one »B«*span two*»");
}

/* ---- span rules ------------------------------------------------------------ */

static void test_same_style_no_nesting(void **state)
{
    (void)state;
    styled("*a *b* c*", "B«*a *b*»« c*»");
    styled("_a _b_ c_", "I«_a _b_»« c_»");
}

static void test_children_stay_inside(void **state)
{
    (void)state;
    styled("*a _b* c_", "B«*a _b*»« c_»");
    styled("_a *b_ c*", "I«_a *b_»« c*»");
    styled("~*_`x`_*~",
           "S«~»BS«*»BIS«_»BISM«`x`»BIS«_»BS«*»S«~»");
    /* a preformatted span has no children */
    styled("`*a* _b_`", "M«`*a* _b_`»");
}

static void test_directive_runs(void **state)
{
    (void)state;
    plain("**bold**");
    plain("__init__");
    plain("~~strike~~");
    plain("``code``");
    plain("*a**");
    styled("*a* **b**", "B«*a*»« **b**»");
}

static void test_opening_position(void **state)
{
    (void)state;
    plain("a*b*c");
    plain("(*x*)");
    plain("snake_case_name");
    styled("*x*.", "B«*x*»«.»");
    styled("x\ty *z*", "«x\ty »B«*z*»");
    /* Unicode whitespace (category Z) before the opening directive */
    styled("x\xe3\x80\x80*y*", "«x\xe3\x80\x80»B«*y*»");
    styled("x\xc2\xa0_y_", "«x\xc2\xa0»I«_y_»");
    /* ... and after it: not an opening directive */
    plain("*\xe3\x80\x80x*");
    plain("* x*");
    /* closing directive after whitespace: not a closer */
    plain("*a *");
    plain("*a\xc2\xa0*");
}

static void test_spans_per_line(void **state)
{
    (void)state;
    styled("*a*\n*b\nc*", "B«*a*»«\n*b\nc*»");
    styled("a\n*b*", "«a\n»B«*b*»");
}

/* ---- blocks ------------------------------------------------------------------ */

static void test_quotes(void **state)
{
    (void)state;
    styled("> *x*", "Q1«> »BQ1«*x*»");
    styled(">*x*", "Q1«>»BQ1«*x*»");
    styled("> > x\n> y", "Q2«> > x\n»Q1«> y»");
    styled(">  x", "Q1«>  x»");
    styled("a\n> b\nc", "«a\n»Q1«> b\n»«c»");
    /* the one trimmed whitespace may be any whitespace character */
    styled(">\xe3\x80\x80*x*", "Q1«>\xe3\x80\x80»BQ1«*x*»");
    /* deeper than 8: the rest is text at depth 8 */
    styled(">>>>>>>>>x", "Q8«>>>>>>>>>x»");
    styled(">>>>>>>>>*b*", "Q8«>>>>>>>>>*b*»");
    styled(">>>>>>>> *b*", "Q8«>>>>>>>> »BQ8«*b*»");
}

static void test_preformatted_blocks(void **state)
{
    (void)state;
    /* closed only by a line of exactly three grave accents */
    styled("```\na\n``` \nb\n```\nc", "P«```\na\n``` \nb\n```\n»«c»");
    styled("```\n> x\n```", "P«```\n> x\n```»");
    styled("```\n*a*", "P«```\n*a*»");
    styled("````\nx\n```\ny", "P«````\nx\n```\n»«y»");
    styled("x ```\ny", "«x ```\ny»");
    /* a block inside a quote: quoted lines continue it */
    styled("> ```\n>> x\n> ```\ny",
           "Q1«> »PQ1«```\n»Q1«>»PQ1«> x\n»Q1«> »PQ1«```\n»«y»");
    /* a deeper quote ends with its lines, and so does its block */
    styled(">> ```\n>> a\n> b",
           "Q2«>> »PQ2«```\n»Q2«>> »PQ2«a\n»Q1«> b»");
    /* an empty pre line and CJK inside */
    styled("```\n\n\xe6\xbc\xa2\n```", "P«```\n\n\xe6\xbc\xa2\n```»");
}

/* ---- links -------------------------------------------------------------------- */

static void test_links(void **state)
{
    (void)state;
    styled("https://example.org", "L«https://example.org»");
    styled("go to https://example.org.",
           "«go to »L«https://example.org»«.»");
    styled("http://a.b/c?d=e&f=g#h", "L«http://a.b/c?d=e&f=g#h»");
    styled("HTTPS://EXAMPLE.ORG", "L«HTTPS://EXAMPLE.ORG»");
    styled("xmpp:alice@example.org?message",
           "L«xmpp:alice@example.org?message»");
    styled("mail mailto:bob@example.org!",
           "«mail »L«mailto:bob@example.org»«!»");
    styled("(see https://en.wikipedia.org/wiki/Foo_(bar))",
           "«(see »L«https://en.wikipedia.org/wiki/Foo_(bar)»«)»");
    styled("https://x.org/))", "L«https://x.org/»«))»");
    styled("[https://x.org/]", "«[»L«https://x.org/»«]»");
    styled("https://x.org/[a]", "L«https://x.org/[a]»");
    styled("<https://x.org/a>", "«<»L«https://x.org/a»«>»");
    styled("\"https://x.org\"", "«\"»L«https://x.org»«\"»");
    styled("it's 'https://x.org/a'", "«it's '»L«https://x.org/a»«'»");
    styled("a https://x.org/?q=1;", "«a »L«https://x.org/?q=1»«;»");
    styled("https://x.org,https://y.org", "L«https://x.org,https://y.org»");
    styled("https://x.org https://y.org",
           "L«https://x.org»« »L«https://y.org»");
    styled("https://\xe4\xbe\x8b\xe3\x81\x88.jp/\xe3\x83\x91",
           "L«https://\xe4\xbe\x8b\xe3\x81\x88.jp/\xe3\x83\x91»");
    styled("https://x.org\xe3\x80\x80y",
           "L«https://x.org»«\xe3\x80\x80y»");
    styled("javascript:https://x.org", "«javascript:»L«https://x.org»");
}

static void test_not_links(void **state)
{
    (void)state;
    plain("javascript:alert(1)");
    plain("JavaScript:alert(document.cookie)");
    plain("data:text/html;base64,PHNjcmlwdD4=");
    plain("file:///etc/passwd");
    plain("ftp://example.org");
    plain("vbscript:msgbox");
    plain("http://");
    plain("https://.");
    plain("mailto:");
    plain("xmpp:.");
    plain("http:/x.org");
    plain("xhttps://x.org");
    plain("www.example.org");
}

static void test_links_and_styles(void **state)
{
    (void)state;
    styled("*https://x.org*", "B«*»BL«https://x.org»B«*»");
    styled("*see https://x.org*", "B«*see »BL«https://x.org»B«*»");
    styled("> https://x.org", "Q1«> »QL1«https://x.org»");
    /* no links in preformatted text */
    styled("`https://x.org`", "M«`https://x.org`»");
    styled("```\nhttps://x.org\n```", "P«```\nhttps://x.org\n```»");
    /* a closing directive inside a URL ends the span (XEP rules first) */
    styled("_see https://x.org/a_b_",
           "I«_see »IL«https://x.org/a»I«_»«b_»");
    /* directive characters inside a URL that open nothing stay in it */
    styled("https://x.org/~user/a_b*c", "L«https://x.org/~user/a_b*c»");
}

/* ---- hostile shapes (correctness; speed is the benchmark's) -------------- */

static void test_bombs(void **state)
{
    size_t n = 60000, i;
    char *in = malloc(n + 1), *want;
    airlock_model *m = NULL;

    (void)state;
    assert_non_null(in);
    /* openers without closers */
    for (i = 0; i < n; i++)
        in[i] = "*a "[i % 3];
    in[n] = 0;
    want = malloc(n + 8);
    assert_non_null(want);
    snprintf(want, n + 8, "\xc2\xab%s\xc2\xbb", in);
    styled_n(in, n, want);
    /* deep quotes */
    memset(in, '>', n);
    assert_int_equal(airlock_render((const uint8_t *)in, n,
                                    AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY,
                                    NULL, &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span_count(m), 1);
    assert_int_equal(airlock_model_span(m, 0)->quote_depth, 8);
    airlock_model_free(m);
    /* many tiny spans: styled up to the piece limit, the rest plain */
    for (i = 0; i < n; i++)
        in[i] = "*a* "[i % 4];
    assert_int_equal(airlock_render((const uint8_t *)in, n,
                                    AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY,
                                    NULL, &m), AIRLOCK_OK);
    /* 2048 pieces, then the rest as one plain piece, which merges with
     * the plain 2048th */
    assert_int_equal(airlock_model_span_count(m), GATE_STYLE_PIECES_MAX);
    assert_int_equal(airlock_model_span(m, 0)->style, AIRLOCK_STYLE_BOLD);
    assert_int_equal(airlock_model_span(m, GATE_STYLE_PIECES_MAX - 2)->style,
                     AIRLOCK_STYLE_BOLD);
    assert_int_equal(airlock_model_span(m, GATE_STYLE_PIECES_MAX - 1)->style,
                     0);
    assert_int_equal(airlock_model_span(m, GATE_STYLE_PIECES_MAX - 1)->len,
                     n - 4 * (GATE_STYLE_PIECES_MAX / 2) + 1);
    assert_int_equal(airlock_model_notice_count(m), 1);
    assert_string_equal(airlock_model_notice(m, 0), GATE_NOTICE_STYLE_LIMIT);
    airlock_model_free(m);
    /* just under the limit: all styled, no notice */
    assert_int_equal(airlock_render((const uint8_t *)in, 4 * 1000,
                                    AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY,
                                    NULL, &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span_count(m), 2000);
    assert_int_equal(airlock_model_notice_count(m), 0);
    airlock_model_free(m);
    /* fences */
    for (i = 0; i < n; i++)
        in[i] = "```\n"[i % 4];
    assert_int_equal(airlock_render((const uint8_t *)in, n,
                                    AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY,
                                    NULL, &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span_count(m), 1);
    assert_int_equal(airlock_model_span(m, 0)->style, AIRLOCK_STYLE_PRE);
    airlock_model_free(m);
    free(in);
    free(want);
}

/* A span and a link at every offset of a long plain run, so the
 * word-at-a-time scans meet them at each alignment. */
static void test_every_alignment(void **state)
{
    char in[128], want[512];
    size_t p;

    (void)state;
    for (p = 0; p < 40; p++) {
        memset(in, 'a', p);
        snprintf(in + p, sizeof in - p, " *b* x");
        memset(want, 0, sizeof want);
        memcpy(want, "\xc2\xab", 2);
        memset(want + 2, 'a', p);
        snprintf(want + 2 + p, sizeof want - 2 - p,
                 " \xc2\xbb" "B\xc2\xab*b*\xc2\xbb\xc2\xab x\xc2\xbb");
        styled(in, want);
        memset(in, 'a', p);
        snprintf(in + p, sizeof in - p, " http://x.y z");
        memcpy(want, "\xc2\xab", 2);
        memset(want + 2, 'a', p);
        snprintf(want + 2 + p, sizeof want - 2 - p,
                 " \xc2\xbb" "L\xc2\xabhttp://x.y\xc2\xbb\xc2\xab z\xc2\xbb");
        styled(in, want);
        /* a quote line after p plain bytes and a newline */
        memset(in, 'a', p);
        snprintf(in + p, sizeof in - p, "\n> q");
        memcpy(want, "\xc2\xab", 2);
        memset(want + 2, 'a', p);
        snprintf(want + 2 + p, sizeof want - 2 - p,
                 "\n\xc2\xbb" "Q1\xc2\xab> q\xc2\xbb");
        styled(in, want);
    }
}

/* ---- gate_style directly ------------------------------------------------------ */

typedef struct collect {
    char buf[256];
    size_t len;
    int calls;
    int fail_at;
} collect;

static airlock_err collect_piece(void *ctx, const char *s, size_t n,
                                 uint32_t style, uint32_t depth, bool link)
{
    collect *c = ctx;

    (void)style;
    (void)depth;
    (void)link;
    if (c->calls++ == c->fail_at)
        return AIRLOCK_ERR_NOMEM;
    assert_true(n > 0);
    assert_true(c->len + n < sizeof c->buf);
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    return AIRLOCK_OK;
}

static void test_gate_style_direct(void **state)
{
    static const char in[] = "a *b* _c_ https://x.org\n> q `m`\n```\np\n```\n";
    collect c;
    int k;

    (void)state;
    memset(&c, 0, sizeof c);
    c.fail_at = -1;
    assert_int_equal(gate_style(in, sizeof in - 1, collect_piece, &c, NULL),
                     AIRLOCK_OK);
    assert_int_equal(c.len, sizeof in - 1);
    assert_memory_equal(c.buf, in, c.len);
    /* an error from the callback stops the parse and comes back */
    for (k = 0; k < c.calls; k++) {
        collect d;

        memset(&d, 0, sizeof d);
        d.fail_at = k;
        assert_int_equal(gate_style(in, sizeof in - 1, collect_piece, &d, NULL),
                         AIRLOCK_ERR_NOMEM);
        assert_int_equal(d.calls, k + 1);
    }
    assert_int_equal(gate_style(NULL, 1, collect_piece, &c, NULL), AIRLOCK_ERR_ARG);
    assert_int_equal(gate_style(in, 1, NULL, &c, NULL), AIRLOCK_ERR_ARG);
}

static void test_scheme_ok(void **state)
{
    (void)state;
    assert_true(gate_link_scheme_ok("https://x", 9));
    assert_true(gate_link_scheme_ok("HTTP://x", 8));
    assert_true(gate_link_scheme_ok("xmpp:a", 6));
    assert_true(gate_link_scheme_ok("mailto:a", 8));
    assert_false(gate_link_scheme_ok("https://", 8));
    assert_false(gate_link_scheme_ok("javascript:x", 12));
    assert_false(gate_link_scheme_ok("http:x", 6));
    assert_false(gate_link_scheme_ok(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xep_plain_blocks),
        cmocka_unit_test(test_xep_preformatted),
        cmocka_unit_test(test_xep_preformatted_unclosed),
        cmocka_unit_test(test_xep_quotation),
        cmocka_unit_test(test_xep_nested_quotation),
        cmocka_unit_test(test_xep_span_examples),
        cmocka_unit_test(test_xep_nothing_styled),
        cmocka_unit_test(test_xep_plain_span),
        cmocka_unit_test(test_xep_emphasis),
        cmocka_unit_test(test_xep_strong),
        cmocka_unit_test(test_xep_strike),
        cmocka_unit_test(test_xep_mono),
        cmocka_unit_test(test_xep_disable_example),
        cmocka_unit_test(test_xep_glossary_nesting),
        cmocka_unit_test(test_same_style_no_nesting),
        cmocka_unit_test(test_children_stay_inside),
        cmocka_unit_test(test_directive_runs),
        cmocka_unit_test(test_opening_position),
        cmocka_unit_test(test_spans_per_line),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_preformatted_blocks),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_not_links),
        cmocka_unit_test(test_links_and_styles),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_every_alignment),
        cmocka_unit_test(test_gate_style_direct),
        cmocka_unit_test(test_scheme_ok),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
