/*
 * test_tui_text.c - the terminal client's pure helpers (ui-tui/tui_text.c):
 * fitting by display width, the composer's editing, completion, and the
 * layout of real display models (made by airlock_render) into rows.
 *
 * The layout checks are properties, not pictures: no row is wider than
 * the width; the rows put back together give exactly the text (nothing
 * lost, nothing doubled); text wraps after a space when a word fits on a
 * row; rows of CJK text are full; quoted continuation rows keep their
 * gutter; headers appear once per group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ui-tui/tui_int.h"

/* ---- fitting ---- */

static void test_fit(void **state)
{
    int used = -1;

    (void)state;
    assert_int_equal(tui_fit("hello", 5, 3, &used), 3);
    assert_int_equal(used, 3);
    /* two wide characters (3 bytes, 2 columns each) in 3 columns: one */
    assert_int_equal(tui_fit("\xe6\xbc\xa2\xe5\xad\x97", 6, 3, &used), 3);
    assert_int_equal(used, 2);
    /* a combining acute stays with its e: 3 bytes in 1 column */
    assert_int_equal(tui_fit("e\xcc\x81x", 4, 1, &used), 3);
    assert_int_equal(used, 1);
    /* an emoji is 2 columns: not in 1 */
    assert_int_equal(tui_fit("\xf0\x9f\x91\x8d", 4, 1, &used), 0);
    assert_int_equal(used, 0);
    assert_int_equal(tui_cp_prev("a\xc3\xa9", 3), 1);
    assert_int_equal(tui_cp_len("\xf0\x9f\x91\x8d", 4), 4);
    assert_int_equal(tui_cp_len("\xf0\x9f", 2), 1);   /* cut short */
}

/* ---- the composer ---- */

static void type(tui_line *l, const char *s)
{
    /* one code point at a time, as get_wch delivers them */
    while (*s != '\0') {
        unsigned char c = (unsigned char)*s;
        uint32_t cp;
        size_t k = tui_cp_len(s, strlen(s)), i;

        cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
        for (i = 1; i < k; i++)
            cp = cp << 6 | ((unsigned char)s[i] & 0x3f);
        assert_int_equal(tui_line_key(l, 0, cp), 1);
        s += k;
    }
}

static void test_line_editing(void **state)
{
    tui_line l;
    char *s;

    (void)state;
    tui_line_init(&l);
    type(&l, "h\xc3\xa9llo w\xc3\xb6rld");             /* héllo wörld */
    assert_string_equal(tui_line_text(&l), "h\xc3\xa9llo w\xc3\xb6rld");
    assert_int_equal(l.cur, l.len);
    /* Left steps over whole code points: ö is two bytes */
    tui_line_key(&l, 1, KEY_LEFT);
    tui_line_key(&l, 1, KEY_LEFT);
    tui_line_key(&l, 1, KEY_LEFT);
    assert_int_equal(l.cur, strlen("h\xc3\xa9llo w\xc3\xb6"));
    tui_line_key(&l, 1, KEY_LEFT);
    assert_int_equal(l.cur, strlen("h\xc3\xa9llo w"));
    tui_line_key(&l, 1, KEY_RIGHT);
    tui_line_key(&l, 1, KEY_BACKSPACE);               /* the ö */
    assert_string_equal(tui_line_text(&l), "h\xc3\xa9llo wrld");
    tui_line_key(&l, 1, KEY_DC);                      /* the r */
    assert_string_equal(tui_line_text(&l), "h\xc3\xa9llo wld");
    tui_line_key(&l, 1, KEY_HOME);
    tui_line_key(&l, 1, KEY_RIGHT);
    tui_line_key(&l, 1, KEY_RIGHT);                   /* after é */
    assert_int_equal(l.cur, 3);
    tui_line_key(&l, 0, 0x0b);                        /* Ctrl-K */
    assert_string_equal(tui_line_text(&l), "h\xc3\xa9");
    tui_line_key(&l, 1, KEY_END);
    type(&l, " two words");
    tui_line_key(&l, 0, 0x17);                        /* Ctrl-W */
    assert_string_equal(tui_line_text(&l), "h\xc3\xa9 two ");
    tui_line_key(&l, 0, 0x17);
    assert_string_equal(tui_line_text(&l), "h\xc3\xa9 ");
    tui_line_key(&l, 0, 0x01);                        /* Ctrl-A */
    assert_int_equal(l.cur, 0);
    tui_line_key(&l, 0, 0x05);                        /* Ctrl-E */
    tui_line_key(&l, 0, 0x15);                        /* Ctrl-U */
    assert_string_equal(tui_line_text(&l), "");
    /* controls, bidi overrides and invisible characters are refused */
    assert_int_equal(tui_line_key(&l, 0, 0x1b), 0);
    assert_int_equal(tui_line_key(&l, 0, 0x202e), 0);
    assert_int_equal(tui_line_key(&l, 0, 0x200b), 0);
    assert_int_equal(tui_line_key(&l, 0, 0x9b), 0);
    assert_int_equal(l.len, 0);
    /* a newline only by insertion (Alt-Enter) */
    type(&l, "a");
    tui_line_insert(&l, "\n", 1);
    type(&l, "b");
    s = tui_line_take(&l);
    assert_non_null(s);
    assert_string_equal(s, "a\nb");
    assert_int_equal(l.len, 0);
    assert_string_equal(tui_line_text(&l), "");
    free(s);
    tui_line_clear(&l);
}

static void test_line_grows_and_scrolls(void **state)
{
    tui_line l;
    size_t i, start;
    int before = 0;

    (void)state;
    tui_line_init(&l);
    for (i = 0; i < 1000; i++)
        type(&l, i % 2 ? "\xe6\xbc\xa2" : "x");      /* 漢 and x */
    assert_int_equal(l.len, 500 * 3 + 500);
    start = tui_line_scroll(&l, 40);
    assert_true(start > 0);
    for (i = start; i < l.cur; i += tui_cp_len(l.buf + i, l.len - i))
        before += (int)airlock_text_width(l.buf + i,
                                          tui_cp_len(l.buf + i, l.len - i));
    assert_true(before <= 39);
    assert_true(before >= 37);        /* scrolled no further than needed */
    tui_line_key(&l, 1, KEY_HOME);
    assert_int_equal(tui_line_scroll(&l, 40), 0);
    /* the cap */
    tui_line_set(&l, "");
    for (i = 0; i < TUI_LINE_MAX + 10; i++)
        tui_line_key(&l, 0, 'y');
    assert_int_equal(l.len, TUI_LINE_MAX);
    tui_line_clear(&l);
}

static void test_complete(void **state)
{
    static const char *const c[] = { "/accept ", "/block ", "/msg ",
                                     "bob", "bobby@example.org", "carol" };
    size_t st = 0;

    (void)state;
    assert_int_equal(tui_complete(c, 6, "/a", 2, &st), 0);
    assert_int_equal(tui_complete(c, 6, "/a", 2, &st), 0);   /* only one */
    st = 0;
    assert_int_equal(tui_complete(c, 6, "bo", 2, &st), 3);
    assert_int_equal(tui_complete(c, 6, "bo", 2, &st), 4);
    assert_int_equal(tui_complete(c, 6, "bo", 2, &st), 3);   /* cycles */
    st = 0;
    assert_int_equal(tui_complete(c, 6, "zed", 3, &st), -1);
    st = 0;
    assert_int_equal(tui_complete(c, 6, "", 0, &st), 0);
}

/* ---- layout ---- */

static airlock_model *render(const char *text, airlock_trust trust)
{
    airlock_model *m = NULL;

    assert_int_equal(airlock_render((const uint8_t *)text, strlen(text),
                                    trust, AIRLOCK_INPUT_BODY, NULL, &m),
                     AIRLOCK_OK);
    return m;
}

static airlock_message message(const airlock_model *m, const char *from,
                               int64_t ms)
{
    airlock_message x;

    memset(&x, 0, sizeof x);
    x.conversation = from;
    x.from = from;
    x.time_ms = ms;
    x.received_ms = ms;
    x.model = m;
    return x;
}

/* Columns a row shows: spaces at its end may hang past the edge (they
 * are clipped when drawn), so they do not count. */
static int row_width(const tui_layout *lay, size_t r)
{
    const tui_row *row = &lay->rows[r];
    size_t s, trailing = 0;
    int w = 0;

    for (s = 0; s < row->nseg; s++) {
        const tui_seg *sg = &lay->segs[row->first + s];
        size_t i;

        w += (int)airlock_text_width(sg->text, sg->len);
        for (i = 0; i < sg->len; i++)
            trailing = sg->text[i] == ' ' ? trailing + 1 : 0;
    }
    return w - (int)trailing;
}

static int all_spaces(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ')
            return 0;
    return n > 0;
}

/* No row starts with a space after its indent (a wrap never leaves one
 * at the start). */
static void no_leading_space(const tui_layout *lay, size_t first)
{
    size_t r;

    for (r = first + 1; r < lay->n; r++) {
        const tui_row *row = &lay->rows[r];
        size_t s;

        for (s = 0; s < row->nseg; s++) {
            const tui_seg *sg = &lay->segs[row->first + s];

            if (all_spaces(sg->text, sg->len) || (sg->extra & A_DIM))
                continue;
            assert_true(sg->len > 0);
            assert_int_not_equal(sg->text[0], ' ');
            break;
        }
    }
}

/* The text of rows [from, lay->n), without what the layout put before
 * it: indents, quote gutters, the time. Rows are joined as they are (a
 * wrap after a space keeps the space on the upper row). */
static char *body_text(const tui_layout *lay, size_t from)
{
    size_t r, s, n = 0, cap = 1;
    char *out;

    for (r = from; r < lay->n; r++)
        for (s = 0; s < lay->rows[r].nseg; s++)
            cap += lay->segs[lay->rows[r].first + s].len;
    out = malloc(cap);
    assert_non_null(out);
    for (r = from; r < lay->n; r++) {
        int prefix = 1;

        for (s = 0; s < lay->rows[r].nseg; s++) {
            const tui_seg *sg = &lay->segs[lay->rows[r].first + s];

            if (prefix && (all_spaces(sg->text, sg->len) ||
                           (sg->extra & A_DIM)))
                continue;
            prefix = 0;
            memcpy(out + n, sg->text, sg->len);
            n += sg->len;
        }
    }
    out[n] = '\0';
    return out;
}

/* Lay out one message of `text` at `width`; returns the row where its
 * body starts (after the day line and the sender). */
static size_t lay_one(tui_layout *lay, const char *text, int width,
                      airlock_model **m)
{
    airlock_message x;

    *m = render(text, AIRLOCK_TRUST_ACCEPTED);
    x = message(*m, "bob", 1700000000000);
    tui_layout_init(lay, width, 0, 1700000000000);
    tui_layout_message(lay, &x);
    assert_false(lay->failed);
    assert_true(lay->n >= 3);
    return 2;
}

static void check_wrap(const char *text, const char *expect, int width)
{
    tui_layout lay;
    airlock_model *m = NULL;
    size_t first = lay_one(&lay, text, width, &m), r;
    char *back;

    for (r = 0; r < lay.n; r++)
        assert_true(row_width(&lay, r) <= width);
    no_leading_space(&lay, first);
    back = body_text(&lay, first);
    assert_string_equal(back, expect != NULL ? expect : text);
    free(back);
    tui_layout_clear(&lay);
    airlock_model_free(m);
}

static void test_layout_keeps_text_within_width(void **state)
{
    static const char *const texts[] = {
        "The quick brown fox jumps over the lazy dog and keeps running "
        "across the field until the sun goes down behind the hills.",
        /* CJK: two columns each, no spaces */
        "\xe6\xbc\xa2\xe5\xad\x97\xe3\x81\xa8\xe3\x81\x8b\xe3\x81\xaa\xe3"
        "\x81\xae\xe6\xb7\xb7\xe3\x81\x98\xe3\x81\xa3\xe3\x81\x9f\xe9\x95"
        "\xb7\xe3\x81\x84\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
        "\xe6\x96\x87\xe7\xab\xa0\xe3\x81\x8c\xe3\x81\x93\xe3\x81\x93\xe3"
        "\x81\xa7\xe6\x8a\x98\xe3\x82\x8a\xe8\xbf\x94\xe3\x81\x95\xe3\x82"
        "\x8c\xe3\x82\x8b",
        /* Arabic (right to left), with spaces */
        "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84"
        "\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85 \xd9\x87\xd8\xb0\xd8\xa7 \xd9\x86"
        "\xd8\xb5 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a \xd8\xb7\xd9\x88\xd9\x8a"
        "\xd9\x84 \xd9\x84\xd8\xa7\xd8\xae\xd8\xaa\xd8\xa8\xd8\xa7\xd8\xb1 "
        "\xd8\xa7\xd9\x84\xd8\xa7\xd9\x84\xd8\xaa\xd9\x81\xd8\xa7\xd9\x81",
        /* emoji and combining marks */
        "\xf0\x9f\x91\x8d\xf0\x9f\x8e\x89 caf\x65\xcc\x81 \xf0\x9f\x91\x8d"
        "\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d"
        "\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8e\x89 n\xcc\x83 "
        "e\xcc\x81t\xc3\xa9",
        /* a word that fills a row exactly, then a space and more */
        "The design brief: https://example.org/airlock/design (links are "
        "shown in full and never fetched)",
        /* one word longer than any row */
        "supercalifragilisticexpialidocioussupercalifragilisticexpiali"
        "docioussupercalifragilistic",
        /* styles and a link: pieces of one line */
        "some *bold* and _italic_ and ~strike~ and `mono` text with a "
        "link https://example.org/a/rather/long/path/that/goes/on and "
        "more words after it",
    };
    static const int widths[] = { 12, 20, 33, 40, 41, 60, 100 };
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
        for (j = 0; j < sizeof widths / sizeof widths[0]; j++)
            check_wrap(texts[i], NULL, widths[j]);
}

static void test_layout_wraps_at_words(void **state)
{
    const char *text = "alpha beta gamma delta epsilon zeta eta theta iota "
                       "kappa lambda mu nu xi omicron pi rho sigma tau";
    tui_layout lay;
    airlock_model *m = NULL;
    size_t first = lay_one(&lay, text, 24, &m), r;

    (void)state;
    assert_true(lay.n - first >= 4);
    for (r = first; r + 1 < lay.n; r++) {
        const tui_row *row = &lay.rows[r];
        const tui_seg *last = &lay.segs[row->first + row->nseg - 1];

        /* every row but the last ends after a space: no word was cut */
        assert_true(last->len > 0);
        assert_int_equal(last->text[last->len - 1], ' ');
        /* and the next word would not have fitted */
        assert_true(row_width(&lay, r) > 24 - 8);
    }
    tui_layout_clear(&lay);
    airlock_model_free(m);
}

static void test_layout_fills_cjk_rows(void **state)
{
    /* 40 wide characters, no spaces: rows of 20 - 6 (time) columns hold
     * 7 each on the first row and 7 on the rest */
    char text[40 * 3 + 1];
    tui_layout lay;
    airlock_model *m = NULL;
    size_t first, r, i;

    (void)state;
    for (i = 0; i < 40; i++)
        memcpy(text + 3 * i, "\xe6\xbc\xa2", 3);
    text[120] = '\0';
    first = lay_one(&lay, text, 20, &m);
    for (r = first; r + 1 < lay.n; r++)
        assert_true(row_width(&lay, r) >= 19);
    check_wrap(text, NULL, 20);
    tui_layout_clear(&lay);
    airlock_model_free(m);
}

static void test_layout_quotes_keep_gutters(void **state)
{
    const char *text = "> one two three four five six seven eight nine ten "
                       "eleven twelve\nafter";
    tui_layout lay;
    airlock_model *m = NULL;
    size_t first = lay_one(&lay, text, 24, &m), r, quoted = 0;

    (void)state;
    for (r = first; r < lay.n; r++) {
        const tui_row *row = &lay.rows[r];
        size_t s;
        int gutter = 0;
        char *t;

        for (s = 0; s < row->nseg; s++) {
            const tui_seg *sg = &lay.segs[row->first + s];

            if (sg->len == 4 && memcmp(sg->text, "\xe2\x94\x82 ", 4) == 0)
                gutter = 1;
        }
        t = body_text(&lay, r);
        if (strncmp(t, "after", 5) == 0)
            assert_false(gutter);      /* the line after the quote */
        else {
            assert_true(gutter);
            quoted++;
        }
        free(t);
        if (r + 1 == lay.n)
            break;
    }
    assert_true(quoted >= 3);
    tui_layout_clear(&lay);
    airlock_model_free(m);
}

static void test_layout_groups_headers(void **state)
{
    airlock_model *m = render("hi", AIRLOCK_TRUST_ACCEPTED);
    int64_t t0 = 1700000000000;
    airlock_message a = message(m, "bob", t0);
    airlock_message b = message(m, "bob", t0 + 60000);
    airlock_message c = message(m, "carol", t0 + 120000);
    airlock_message d = message(m, "carol", t0 + 60 * 60000);
    tui_layout lay;
    size_t r, headers = 0;

    (void)state;
    tui_layout_init(&lay, 40, 0, t0);
    tui_layout_message(&lay, &a);
    tui_layout_message(&lay, &b);
    tui_layout_message(&lay, &c);
    tui_layout_message(&lay, &d);
    for (r = 0; r < lay.n; r++) {
        const tui_row *row = &lay.rows[r];

        if (row->nseg == 1 && (lay.segs[row->first].extra & A_BOLD))
            headers++;
    }
    /* bob once (two messages a minute apart), carol twice (an hour
     * between her two) */
    assert_int_equal(headers, 3);
    /* the first row is the day */
    assert_non_null(strstr(lay.segs[lay.rows[0].first].text, "Today"));
    tui_layout_clear(&lay);
    airlock_model_free(m);
}

/* Is there a row whose text, after its indent, starts with needle? */
static int has_row(const tui_layout *lay, const char *needle)
{
    size_t r, s;

    for (r = 0; r < lay->n; r++) {
        char t[512];
        size_t n = 0;
        const char *p = t;

        for (s = 0; s < lay->rows[r].nseg; s++) {
            const tui_seg *sg = &lay->segs[lay->rows[r].first + s];

            if (n + sg->len < sizeof t) {
                memcpy(t + n, sg->text, sg->len);
                n += sg->len;
            }
        }
        t[n] = '\0';
        while (*p == ' ')
            p++;
        if (strncmp(p, needle, strlen(needle)) == 0)
            return 1;
    }
    return 0;
}

static void test_layout_attachments_withheld_notices(void **state)
{
    airlock_frame_attachment att;
    uint8_t *frame = NULL;
    size_t n = 0;
    airlock_model *acc = NULL, *unk = NULL, *bidi;
    airlock_message x;
    tui_layout lay;

    (void)state;
    memset(&att, 0, sizeof att);
    att.mime = "image/png";
    att.name = "cat.png";
    att.size = 2048;
    assert_int_equal(airlock_frame_encode("look", 4, NULL, &att, 1, &frame,
                                          &n), AIRLOCK_OK);
    assert_int_equal(airlock_render(frame, n, AIRLOCK_TRUST_ACCEPTED,
                                    AIRLOCK_INPUT_FRAME, NULL, &acc),
                     AIRLOCK_OK);
    assert_int_equal(airlock_render(frame, n, AIRLOCK_TRUST_UNKNOWN,
                                    AIRLOCK_INPUT_FRAME, NULL, &unk),
                     AIRLOCK_OK);
    tui_layout_init(&lay, 60, 0, 0);
    x = message(acc, "bob", 1000);
    tui_layout_message(&lay, &x);
    assert_true(has_row(&lay, "[file] cat.png  (image/png, 2.0 KiB"));
    tui_layout_clear(&lay);

    tui_layout_init(&lay, 60, 0, 0);
    x = message(unk, "mallory", 1000);
    tui_layout_message(&lay, &x);
    /* the inert path reads nothing after the body: the attachment is
     * one withheld field, and never a [file] line */
    assert_false(has_row(&lay, "[file]"));
    assert_true(has_row(&lay, "[withheld: 1 other field]"));
    assert_true(has_row(&lay, "[notice] "));
    tui_layout_clear(&lay);

    bidi = render("abc\xe2\x80\xae" "def", AIRLOCK_TRUST_UNKNOWN);
    tui_layout_init(&lay, 60, 0, 0);
    x = message(bidi, "mallory", 1000);
    tui_layout_message(&lay, &x);
    assert_true(has_row(&lay, "[notice] "));
    assert_false(has_row(&lay, "abc\xe2\x80\xae"));
    tui_layout_clear(&lay);

    airlock_model_free(bidi);
    airlock_model_free(acc);
    airlock_model_free(unk);
    airlock_free(frame);
}

static void test_layout_styles(void **state)
{
    tui_layout lay;
    airlock_model *m = NULL;
    size_t s;
    uint32_t seen = 0;

    (void)state;
    lay_one(&lay, "*b* _i_ ~s~ `m` https://example.org/x", 60, &m);
    for (s = 0; s < lay.nsegs; s++)
        seen |= lay.segs[s].style;
    assert_true(seen & AIRLOCK_STYLE_BOLD);
    assert_true(seen & AIRLOCK_STYLE_ITALIC);
    assert_true(seen & AIRLOCK_STYLE_STRIKE);
    assert_true(seen & AIRLOCK_STYLE_MONO);
    assert_true(seen & AIRLOCK_STYLE_LINK);
    assert_true(tui_style_attr(AIRLOCK_STYLE_BOLD) & A_BOLD);
    assert_true(tui_style_attr(AIRLOCK_STYLE_LINK) & A_UNDERLINE);
    assert_true(tui_style_attr(AIRLOCK_STYLE_MONO) & A_REVERSE);
    assert_true(tui_style_attr(AIRLOCK_STYLE_STRIKE) & A_DIM);
    assert_int_equal(tui_style_attr(0), A_NORMAL);
    tui_layout_clear(&lay);
    airlock_model_free(m);

    /* the same text from a stranger: no styles at all */
    m = render("*b* _i_ https://example.org/x", AIRLOCK_TRUST_UNKNOWN);
    {
        airlock_message x = message(m, "mallory", 1000);

        tui_layout_init(&lay, 60, 0, 0);
        tui_layout_message(&lay, &x);
        for (s = 0; s < lay.nsegs; s++)
            assert_int_equal(lay.segs[s].style, 0);
        tui_layout_clear(&lay);
    }
    airlock_model_free(m);
}

static void test_layout_text_and_pairs(void **state)
{
    tui_layout lay;
    size_t r;
    char *t;

    (void)state;
    tui_layout_init(&lay, 30, 0, 0);
    tui_layout_pair(&lay, "/accept [ADDR]", "make a request's sender a "
                    "contact: their messages are shown in full", 16);
    tui_layout_pair(&lay, "/msg", "open", 0);
    for (r = 0; r < lay.n; r++)
        assert_true(row_width(&lay, r) <= 30);
    t = body_text(&lay, 0);
    assert_string_equal(t, "/accept [ADDR]  make a request's sender a "
                           "contact: their messages are shown in full"
                           "/msgopen");
    free(t);
    tui_layout_clear(&lay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_line_editing),
        cmocka_unit_test(test_line_grows_and_scrolls),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_layout_keeps_text_within_width),
        cmocka_unit_test(test_layout_wraps_at_words),
        cmocka_unit_test(test_layout_fills_cjk_rows),
        cmocka_unit_test(test_layout_quotes_keep_gutters),
        cmocka_unit_test(test_layout_groups_headers),
        cmocka_unit_test(test_layout_attachments_withheld_notices),
        cmocka_unit_test(test_layout_styles),
        cmocka_unit_test(test_layout_text_and_pairs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
