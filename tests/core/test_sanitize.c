/* test_sanitize.c - the sanitizer: every rule, legitimate text unchanged,
 * idempotence, the checker and display width. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <utf8proc.h>

#include "core/gate.h"

#define FFFD "\xef\xbf\xbd"

/* Sanitize through the public API and compare with `want`. */
static void check_n(const char *in, size_t n, const char *want)
{
    char *out = NULL;
    size_t out_n = 0;

    assert_int_equal(airlock_sanitize((const uint8_t *)in, n, &out, &out_n),
                     AIRLOCK_OK);
    assert_non_null(out);
    assert_int_equal(out_n, strlen(out));
    assert_string_equal(out, want);
    assert_true(gate_text_clean(out, out_n));
    airlock_free(out);
}

static void check(const char *in, const char *want)
{
    check_n(in, strlen(in), want);
}

/* The internal sanitizer: output and change bits. */
static unsigned changes_n(const char *in, size_t n, unsigned opts,
                          const char *want)
{
    wr w;
    unsigned ch = 0;

    wr_init(&w, NULL, 3 * n + 1);
    assert_int_equal(gate_sanitize(&w, (const uint8_t *)in, n, opts, &ch),
                     AIRLOCK_OK);
    assert_int_equal(w.len, strlen(want));
    assert_memory_equal(w.buf != NULL ? (const char *)w.buf : "", want,
                        w.len);
    wr_clear(&w, false);
    return ch;
}

static unsigned changes(const char *in, unsigned opts, const char *want)
{
    return changes_n(in, strlen(in), opts, want);
}

static void test_ascii_unchanged(void **state)
{
    static const char all[] =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~";
    char *big;
    size_t i;

    (void)state;
    check(all, all);
    check("", "");
    check("a\tb\nc\n", "a\tb\nc\n");
    assert_int_equal(changes(all, 0, all), 0);
    big = malloc(100001);
    assert_non_null(big);
    for (i = 0; i < 100000; i++)
        big[i] = (char)(' ' + i % 95);
    big[100000] = '\0';
    check(big, big);
    free(big);
}

static void test_newlines(void **state)
{
    (void)state;
    check("a\rb", "a\nb");
    check("a\r\nb", "a\nb");
    check("\r\r\n\n", "\n\n\n");
    check("end\r", "end\n");
    check("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "a\nb\nc");
    assert_int_equal(changes("a\r\nb", 0, "a\nb"), GATE_SAN_NEWLINE);
}

static void test_controls(void **state)
{
    char in[2] = { 0, 0 }, want[4];
    unsigned c;

    (void)state;
    /* Every C0 control but LF and TAB becomes its Control Picture. */
    for (c = 0; c < 0x20; c++) {
        if (c == '\n' || c == '\t' || c == '\r')
            continue;
        in[0] = (char)c;
        want[0] = (char)0xE2;
        want[1] = (char)0x90;
        want[2] = (char)(0x80 + c);
        want[3] = 0;
        check_n(in, 1, want);
    }
    check("\x7f", "\xe2\x90\xa1");                       /* DEL: U+2421 */
    check("\x1b]0;pwned\x07", "\xe2\x90\x9b]0;pwned\xe2\x90\x87");
    check("\x1b[2J\x1b[31mred", "\xe2\x90\x9b[2J\xe2\x90\x9b[31mred");
    check("\x1bP+q\x1b\\", "\xe2\x90\x9bP+q\xe2\x90\x9b\\");   /* DCS */
    /* C1 controls (8-bit CSI, OSC, NEL, ...) become U+FFFD. */
    check("\xc2\x9b" "31m", FFFD "31m");
    check("\xc2\x9d" "0;x\xc2\x9c", FFFD "0;x" FFFD);
    check("\xc2\x80\xc2\x85\xc2\x9f", FFFD FFFD FFFD);
    check("\xc2\xa0", "\xc2\xa0");                      /* NBSP is text */
    assert_int_equal(changes("\x1b", 0, "\xe2\x90\x9b"), GATE_SAN_CONTROL);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    check("\x80", FFFD);                                 /* stray */
    check("a\xbf" "b", "a" FFFD "b");
    check("\xc0\xaf", FFFD FFFD);                        /* overlong '/' */
    check("\xc1\xbf", FFFD FFFD);
    check("\xe0\x80\xaf", FFFD FFFD FFFD);               /* overlong 3 */
    check("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);      /* overlong 4 */
    check("\xed\xa0\x80", FFFD FFFD FFFD);               /* surrogate */
    check("\xed\xbf\xbf", FFFD FFFD FFFD);
    check("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);      /* > U+10FFFF */
    check("\xf5\x80", FFFD FFFD);
    check("\xff\xfe", FFFD FFFD);
    check("\xe2\x82", FFFD);                             /* truncated */
    check("\xe2\x82x", FFFD "x");
    check("\xf0\x9f\x98", FFFD);
    check("\xf0\x9f\x98" "\xf0\x9f\x98\x80", FFFD "\xf0\x9f\x98\x80");
    check("\xc3", FFFD);
    check("\xc3\xa9", "\xc3\xa9");
    assert_int_equal(changes("\xc3", 0, FFFD), GATE_SAN_INVALID);
}

static void test_bidi(void **state)
{
    static const char *const bidi[] = {
        "\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad",
        "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8",
        "\xe2\x81\xa9", "\xd8\x9c",
    };
    char in[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
        memset(in, 0, sizeof in);
        memcpy(in, "ab", 2);
        memcpy(in + 2, bidi[i], strlen(bidi[i]));
        memcpy(in + 2 + strlen(bidi[i]), "cd", 2);
        assert_int_equal(changes(in, 0, "abcd"), GATE_SAN_BIDI);
        check(in, "abcd");
    }
    /* The classic file name trick: "photo<RLO>gnp.exe" */
    check("photo\xe2\x80\xaegnp.exe", "photognp.exe");
}

static void test_invisible(void **state)
{
    static const char *const cf[] = {
        "\xe2\x80\x8b",      /* U+200B zero width space */
        "\xe2\x81\xa0",      /* U+2060 word joiner */
        "\xef\xbb\xbf",      /* U+FEFF BOM */
        "\xe1\xa0\x8e",      /* U+180E Mongolian vowel separator */
        "\xe2\x81\xa1", "\xe2\x81\xa2", "\xe2\x81\xa3", "\xe2\x81\xa4",
        "\xf3\xa0\x80\x81",  /* U+E0001 language tag */
        "\xf3\xa0\x81\xa1",  /* U+E0061 tag 'a' alone */
        "\xf3\xa0\x81\xbf",  /* U+E007F cancel tag alone */
        "\xc2\xad",          /* U+00AD soft hyphen */
        "\xe2\x80\x8e", "\xe2\x80\x8f", /* LRM, RLM */
    };
    char in[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cf / sizeof cf[0]; i++) {
        memset(in, 0, sizeof in);
        memcpy(in, "ab", 2);
        memcpy(in + 2, cf[i], strlen(cf[i]));
        memcpy(in + 2 + strlen(cf[i]), "cd", 2);
        assert_int_equal(changes(in, 0, "abcd"), GATE_SAN_INVISIBLE);
    }
    /* both kinds at once */
    assert_int_equal(changes("a\xe2\x80\xae\xe2\x80\x8b" "b", 0, "ab"),
                     GATE_SAN_BIDI | GATE_SAN_INVISIBLE);
}

#define ENGLAND "\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81" \
                "\xa5\xf3\xa0\x81\xae\xf3\xa0\x81\xa7\xf3\xa0\x81\xbf"
#define BLACK_FLAG "\xf0\x9f\x8f\xb4"
#define TAG_G "\xf3\xa0\x81\xa7"
#define TAG_B "\xf3\xa0\x81\xa2"
#define TAG_CANCEL "\xf3\xa0\x81\xbf"

static void test_tag_sequences(void **state)
{
    (void)state;
    check(ENGLAND, ENGLAND);
    check("go " ENGLAND "!", "go " ENGLAND "!");
    check(ENGLAND ENGLAND, ENGLAND ENGLAND);
    /* tags without the black flag, or with a broken sequence: removed */
    check("x" TAG_G TAG_B TAG_CANCEL, "x");
    check(BLACK_FLAG TAG_G TAG_CANCEL, BLACK_FLAG);           /* 1 tag */
    check(BLACK_FLAG TAG_G TAG_B, BLACK_FLAG);                /* no cancel */
    check(BLACK_FLAG TAG_G "\xe2\x80\x8b" TAG_B TAG_CANCEL, BLACK_FLAG);
    check(BLACK_FLAG TAG_G TAG_B TAG_G TAG_B TAG_G TAG_B TAG_G TAG_CANCEL,
          BLACK_FLAG TAG_G TAG_B TAG_G TAG_B TAG_G TAG_B TAG_G TAG_CANCEL);
    check(BLACK_FLAG TAG_G TAG_B TAG_G TAG_B TAG_G TAG_B TAG_G TAG_B
          TAG_CANCEL, BLACK_FLAG);                            /* 8 tags */
    /* U+E0041 (tag 'A') is not a subdivision tag */
    check(BLACK_FLAG "\xf3\xa0\x81\x81\xf3\xa0\x81\x82" TAG_CANCEL,
          BLACK_FLAG);
    assert_int_equal(changes("x" TAG_G, 0, "x"), GATE_SAN_INVISIBLE);
}

static void test_combining_marks(void **state)
{
    char in[256], want[256];
    size_t i, n;

    (void)state;
    /* e + k * U+0301: up to 8 kept */
    for (n = 0; n <= 20; n++) {
        size_t keep = n > 8 ? 8 : n;

        in[0] = want[0] = 'e';
        for (i = 0; i < n; i++)
            memcpy(in + 1 + 2 * i, "\xcc\x81", 2);
        in[1 + 2 * n] = 0;
        for (i = 0; i < keep; i++)
            memcpy(want + 1 + 2 * i, "\xcc\x81", 2);
        want[1 + 2 * keep] = 0;
        assert_int_equal(changes(in, 0, want),
                         n > 8 ? GATE_SAN_MARKS : 0u);
    }
    /* each base gets its own 8 */
    check("a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"
          "b\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81",
          "a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"
          "b\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81");
    /* removed characters and ZWJ do not start a new run */
    check("a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xe2\x80\x8b\xcc\x81"
          "\xcc\x81\xcc\x81\xcc\x81\xcc\x81",
          "a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81");
    check("a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xe2\x80\x8d\xcc\x81"
          "\xcc\x81\xcc\x81\xcc\x81\xcc\x81",
          "a\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xe2\x80\x8d\xcc\x81"
          "\xcc\x81\xcc\x81");
    /* marks with no base at all */
    check("\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"
          "\xcc\x81",
          "\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81");
    /* spacing (Mc) and enclosing (Me) marks count too */
    check("\xe0\xa4\x95\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0"
          "\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe",
          "\xe0\xa4\x95\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0"
          "\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe\xe0\xa4\xbe");
}

static void test_legitimate_text(void **state)
{
    static const char *const ok[] = {
        "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d",
        "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84"
        "\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85",
        "\xe6\xbc\xa2\xe5\xad\x97\xe3\x81\x8b\xe3\x81\xaa\xe3\x82\xab\xe3\x83"
        "\x8a \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
        "caf\x65\xcc\x81 na\xc3\xafve",
        "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91"
        "\xa7",                                   /* family ZWJ sequence */
        "\xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88", /* rainbow */
        "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7",       /* flag FR */
        "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",       /* thumbs up, skin tone */
        "1\xef\xb8\x8f\xe2\x83\xa3",              /* keycap */
        "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85",
                                                  /* Persian with ZWNJ */
        "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5"
        "\x87",                                   /* Devanagari */
        "\xe2\x88\x80x \xe2\x88\x88 \xe2\x84\x9d",
        "\xee\x80\x80",                           /* private use */
        ENGLAND,
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        check(ok[i], ok[i]);
        assert_int_equal(changes(ok[i], 0, ok[i]), 0);
    }
}

static void test_name_option(void **state)
{
    (void)state;
    changes("../../etc/passwd", GATE_SAN_OPT_NAME, "....etcpasswd");
    changes("C:\\Windows\\x.exe", GATE_SAN_OPT_NAME, "C:Windowsx.exe");
    changes("a\nb\tc", GATE_SAN_OPT_NAME, "a\xe2\x90\x8a" "b\xe2\x90\x89" "c");
    changes("a\rb", GATE_SAN_OPT_NAME, "a\xe2\x90\x8d" "b");
    changes("a\xe2\x80\xa8" "b", GATE_SAN_OPT_NAME, "a\xe2\x90\x8a" "b");
    changes("ph\xe2\x80\xaegnp.exe", GATE_SAN_OPT_NAME, "phgnp.exe");
    changes("photo.png", GATE_SAN_OPT_NAME, "photo.png");
}

/* Every byte value at every offset of a 24-byte window of 'a's, against
 * the rules written out plainly: this checks the word-at-a-time scans at
 * each alignment. */
static void test_single_byte_everywhere(void **state)
{
    char in[24], want[64];
    unsigned b;
    size_t p, k;

    (void)state;
    for (b = 0; b < 256; b++) {
        for (p = 0; p < sizeof in; p++) {
            memset(in, 'a', sizeof in);
            in[p] = (char)b;
            k = 0;
            memset(want, 'a', p);
            k = p;
            if ((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t') {
                want[k++] = (char)b;
            } else if (b == '\r') {
                want[k++] = '\n';
            } else if (b < 0x20) {
                want[k++] = (char)0xE2;
                want[k++] = (char)0x90;
                want[k++] = (char)(0x80 + b);
            } else if (b == 0x7F) {
                memcpy(want + k, "\xe2\x90\xa1", 3);
                k += 3;
            } else {
                memcpy(want + k, FFFD, 3);   /* a lone byte >= 0x80 */
                k += 3;
            }
            memset(want + k, 'a', sizeof in - p - 1);
            k += sizeof in - p - 1;
            want[k] = 0;
            check_n(in, sizeof in, want);
        }
    }
}

/* Every code point from U+00A0 on between two letters, against its
 * general category straight from utf8proc: the sanitizer classifies some
 * blocks without asking utf8proc, and must agree with it everywhere. */
static void test_every_code_point(void **state)
{
    wr w;
    int32_t cp;

    (void)state;
    wr_init(&w, NULL, 64);
    for (cp = 0xA0; cp <= 0x10FFFF; cp++) {
        uint8_t in[8], want[8];
        size_t n, wn = 0;
        unsigned ch = 0, want_ch = 0;

        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        in[0] = 'a';
        n = 1 + (size_t)utf8proc_encode_char(cp, in + 1);
        in[n++] = 'b';
        want[wn++] = 'a';
        switch (utf8proc_get_property(cp)->category) {
        case UTF8PROC_CATEGORY_CF:
            if (cp == 0x200C || cp == 0x200D) {
                memcpy(want + wn, in + 1, n - 2);
                wn += n - 2;
            } else {
                want_ch = (cp >= 0x202A && cp <= 0x202E) ||
                                  (cp >= 0x2066 && cp <= 0x2069) ||
                                  cp == 0x061C
                              ? GATE_SAN_BIDI : GATE_SAN_INVISIBLE;
            }
            break;
        case UTF8PROC_CATEGORY_ZL:
        case UTF8PROC_CATEGORY_ZP:
            want[wn++] = '\n';
            want_ch = GATE_SAN_NEWLINE;
            break;
        default:                    /* kept, combining marks included */
            memcpy(want + wn, in + 1, n - 2);
            wn += n - 2;
            break;
        }
        want[wn++] = 'b';
        w.len = 0;
        assert_int_equal(gate_sanitize(&w, in, n, 0, &ch), AIRLOCK_OK);
        if (w.len != wn || memcmp(w.buf, want, wn) != 0 || ch != want_ch)
            fail_msg("U+%04X: %zu bytes, changes %u (want %zu, %u)",
                     (unsigned)cp, w.len, ch, wn, want_ch);
    }
    wr_clear(&w, false);
}

static void test_idempotent(void **state)
{
    static const char in[] =
        "a\x1b[1m\r\n\xc0\xaf\xe2\x80\xae\xe2\x80\x8b" "e\xcc\x81\xcc\x81\xcc"
        "\x81\xcc\x81\xcc\x81\xe2\x80\x8b\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc"
        "\x81" BLACK_FLAG "\xe2\x80\x8b" TAG_G TAG_B TAG_CANCEL ENGLAND
        "\xc2\x9b\x7f\r";
    char *once = NULL, *twice = NULL;
    size_t n1 = 0, n2 = 0;

    (void)state;
    assert_int_equal(airlock_sanitize((const uint8_t *)in, sizeof in - 1,
                                      &once, &n1), AIRLOCK_OK);
    assert_int_equal(airlock_sanitize((const uint8_t *)once, n1, &twice, &n2),
                     AIRLOCK_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(once, twice, n1);
    assert_true(gate_text_clean(once, n1));
    airlock_free(once);
    airlock_free(twice);
}

static void test_cut(void **state)
{
    static const uint8_t e_acute[] = { 'a', 'b', 0xC3, 0xA9, 'c' };
    static const uint8_t emoji[] = { 'a', 0xF0, 0x9F, 0x98, 0x80, 'b' };
    static const uint8_t stray[] = { 'a', 0x80, 0x80, 0x80, 0x80, 0x80 };

    (void)state;
    assert_int_equal(gate_cut(e_acute, 5, 10), 5);
    assert_int_equal(gate_cut(e_acute, 5, 5), 5);
    assert_int_equal(gate_cut(e_acute, 5, 4), 4);
    assert_int_equal(gate_cut(e_acute, 5, 3), 2);   /* not inside é */
    assert_int_equal(gate_cut(emoji, 6, 5), 5);
    assert_int_equal(gate_cut(emoji, 6, 4), 1);
    assert_int_equal(gate_cut(emoji, 6, 2), 1);
    /* at most 3 bytes back, whatever the bytes are */
    assert_int_equal(gate_cut(stray, 6, 5), 2);
}

static void test_clean(void **state)
{
    (void)state;
    assert_true(gate_text_clean("", 0));
    assert_true(gate_text_clean("a\tb\nc", 5));
    assert_true(gate_text_clean(ENGLAND, strlen(ENGLAND)));
    assert_true(gate_text_clean("a\xe2\x80\x8d" "b", 5));
    assert_false(gate_text_clean("a\rb", 3));
    assert_false(gate_text_clean("a\x1b" "b", 3));
    assert_false(gate_text_clean("a\x7f", 2));
    assert_false(gate_text_clean("\xc2\x9b", 2));
    assert_false(gate_text_clean("\xc0\xaf", 2));
    assert_false(gate_text_clean("a\xe2\x80\xae", 4));
    assert_false(gate_text_clean("a\xe2\x80\x8b", 4));
    assert_false(gate_text_clean("a\xe2\x80\xa8", 4));
    assert_false(gate_text_clean("x" TAG_G, 5));
    assert_false(gate_text_clean("a\0b", 3));
    assert_false(gate_text_clean("e\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"
                                 "\xcc\x81\xcc\x81\xcc\x81\xcc\x81", 19));
}

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(airlock_text_width("", 0), 0);
    assert_int_equal(airlock_text_width("abc", 3), 3);
    assert_int_equal(airlock_text_width("\xe6\xbc\xa2\xe5\xad\x97", 6), 4);
    assert_int_equal(airlock_text_width("e\xcc\x81", 3), 1);
    assert_int_equal(airlock_text_width(
        "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f"
        "\x91\xa7", 18), 2);
    assert_int_equal(airlock_text_width("\xf0\x9f\x87\xab\xf0\x9f\x87\xb7",
                                        8), 2);
    assert_int_equal(airlock_text_width("\xe2\x9d\xa4\xef\xb8\x8f", 6), 2);
    assert_int_equal(airlock_text_width("a\xff" "b", 3), 3);
    assert_int_equal(airlock_text_width(NULL, 5), 0);
}

static void test_args(void **state)
{
    char *out = (char *)1;
    size_t n = 9;

    (void)state;
    assert_int_equal(airlock_sanitize(NULL, 1, &out, &n), AIRLOCK_ERR_ARG);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(airlock_sanitize((const uint8_t *)"x", 1, NULL, &n),
                     AIRLOCK_ERR_ARG);
    assert_int_equal(airlock_sanitize(NULL, 0, &out, NULL), AIRLOCK_OK);
    assert_string_equal(out, "");
    airlock_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_unchanged),
        cmocka_unit_test(test_newlines),
        cmocka_unit_test(test_controls),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_bidi),
        cmocka_unit_test(test_invisible),
        cmocka_unit_test(test_tag_sequences),
        cmocka_unit_test(test_combining_marks),
        cmocka_unit_test(test_legitimate_text),
        cmocka_unit_test(test_name_option),
        cmocka_unit_test(test_single_byte_everywhere),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
