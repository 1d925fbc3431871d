/*
 * sanitize.c - the sanitizer every displayed text goes through, its
 * checker, and display width.
 *
 * One pass over the input. Bytes that need no change are not copied one by
 * one: a pending run of input is flushed with one copy when a change is
 * needed, so printable ASCII (and ordinary non-ASCII text) costs a compare
 * per byte. Unicode properties come from utf8proc; there is no hand-written
 * Unicode table here.
 */
#include "core/gate.h"

#include <string.h>
#include <utf8proc.h>

#define CP_REPLACEMENT 0xFFFDu
#define CP_ZWNJ 0x200Cu
#define CP_ZWJ 0x200Du
#define CP_BLACK_FLAG 0x1F3F4u
#define CP_CANCEL_TAG 0xE007Fu
#define CP_CONTROL_PICTURES 0x2400u    /* U+2400 + c for C0 controls */
#define CP_DEL_PICTURE 0x2421u
#define CP_VS16 0xFE0Fu
/* An emoji tag sequence for a subdivision flag: U+1F3F4, 2..7 tags for
 * lowercase letters or digits, U+E007F (UTS #51; CLDR subdivision codes
 * are at most 7 characters). */
#define TAG_SPEC_MIN 2u
#define TAG_SPEC_MAX 7u

static size_t put_cp(uint8_t out[4], uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the maximal subpart of an ill-formed sequence at p (Unicode
 * 3.9, "U+FFFD Substitution of Maximal Subparts"): one U+FFFD replaces the
 * longest prefix that could start a well-formed sequence, at least 1 byte. */
static size_t bad_len(const uint8_t *p, size_t n)
{
    uint8_t b0 = p[0], lo = 0x80, hi = 0xBF;
    size_t need, k = 1;

    if (b0 < 0xC2 || b0 > 0xF4)
        return 1;
    need = b0 < 0xE0 ? 1 : b0 < 0xF0 ? 2 : 3;
    if (b0 == 0xE0)
        lo = 0xA0;
    else if (b0 == 0xED)
        hi = 0x9F;
    else if (b0 == 0xF0)
        lo = 0x90;
    else if (b0 == 0xF4)
        hi = 0x8F;
    if (k < n && p[k] >= lo && p[k] <= hi) {
        k++;
        while (k <= need && k < n && (p[k] & 0xC0) == 0x80)
            k++;
    }
    /* A complete sequence never gets here; stay within it anyway. */
    return k > need ? need : k;
}

/* Decode one well-formed sequence (Unicode Table 3-7, the same ranges as
 * bad_len) inline; 0 when ill-formed. The sanitizer's hot path uses this
 * rather than a library call per code point; gate_text_clean checks with
 * utf8proc_iterate, so the fuzzers compare two decoders. */
static size_t utf8_seq(const uint8_t *p, size_t n, int32_t *cp)
{
    uint8_t b0 = p[0], lo = 0x80, hi = 0xBF;

    if (b0 < 0xC2 || b0 > 0xF4)
        return 0;
    if (b0 < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        *cp = (int32_t)((b0 & 0x1Fu) << 6 | (p[1] & 0x3Fu));
        return 2;
    }
    if (b0 == 0xE0)
        lo = 0xA0;
    else if (b0 == 0xED)
        hi = 0x9F;
    else if (b0 == 0xF0)
        lo = 0x90;
    else if (b0 == 0xF4)
        hi = 0x8F;
    if (b0 < 0xF0) {
        if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
            return 0;
        *cp = (int32_t)((b0 & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 |
                        (p[2] & 0x3Fu));
        return 3;
    }
    if (n < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
        (p[3] & 0xC0) != 0x80)
        return 0;
    *cp = (int32_t)((b0 & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 |
                    (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu));
    return 4;
}

/* Decode one code point with utf8proc; <0 when ill-formed. */
static long decode(const uint8_t *p, size_t n, int32_t *cp)
{
    return (long)utf8proc_iterate(p, (utf8proc_ssize_t)(n > 4 ? 4 : n), cp);
}

static bool is_bidi_control(int32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x061C;
}

static bool is_flag_tag(int32_t cp)
{
    return (cp >= 0xE0030 && cp <= 0xE0039) || (cp >= 0xE0061 && cp <= 0xE007A);
}

/* Bytes of a valid tag spec plus cancel tag at p (what follows a black
 * flag), or 0. Reads at most (TAG_SPEC_MAX + 1) * 4 bytes. */
static size_t tag_seq_len(const uint8_t *p, size_t n)
{
    size_t off = 0, tags = 0;
    int32_t cp;
    long k;

    for (;;) {
        if ((k = decode(p + off, n - off, &cp)) < 0)
            return 0;
        if (cp == (int32_t)CP_CANCEL_TAG)
            return tags >= TAG_SPEC_MIN ? off + (size_t)k : 0;
        if (!is_flag_tag(cp) || tags == TAG_SPEC_MAX)
            return 0;
        tags++;
        off += (size_t)k;
    }
}

/* What the sanitizer does with a code point from U+00A0 on, by its
 * general category: keep it, count it as a combining mark (M*), drop it
 * as a format character (Cf) or make it a LF (Zl, Zp). */
enum san_class { SAN_KEEP, SAN_MARK, SAN_FORMAT, SAN_LINE };

static enum san_class san_class_lookup(int32_t cp)
{
    switch (utf8proc_get_property(cp)->category) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return SAN_MARK;
    case UTF8PROC_CATEGORY_CF:
        return SAN_FORMAT;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return SAN_LINE;
    default:
        return SAN_KEEP;
    }
}

/* san_class_lookup() without the table walk for the blocks most text, and
 * most floods, are made of: Latin-1 to Spacing Modifier Letters (only
 * U+00AD SOFT HYPHEN is Cf), Combining Diacritical Marks (all Mn), General
 * Punctuation (spaces, joiners, bidi controls, U+2028/9) and the CJK
 * Unified Ideographs and Hangul Syllables blocks (letters; unassigned ones
 * are kept too). test_sanitize compares it with utf8proc for every code
 * point. */
static inline enum san_class san_class(int32_t cp)
{
    if (cp < 0x300)
        return cp == 0xAD ? SAN_FORMAT : SAN_KEEP;
    if (cp < 0x370)
        return SAN_MARK;
    if (cp >= 0x2000 && cp < 0x2070) {
        if ((cp >= 0x200B && cp <= 0x200F) ||
            (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2060 && cp <= 0x2064) || cp >= 0x2066)
            return SAN_FORMAT;
        return cp == 0x2028 || cp == 0x2029 ? SAN_LINE : SAN_KEEP;
    }
    if ((cp >= 0x4E00 && cp < 0xA000) || (cp >= 0xAC00 && cp < 0xD7A4))
        return SAN_KEEP;
    return san_class_lookup(cp);
}

static bool is_mark(int category)
{
    return category == UTF8PROC_CATEGORY_MN ||
           category == UTF8PROC_CATEGORY_MC ||
           category == UTF8PROC_CATEGORY_ME;
}

size_t gate_cut(const uint8_t *in, size_t len, size_t max)
{
    size_t c = max, back = 0;

    if (len <= max)
        return len;
    while (c > 0 && back < 3 && (in[c] & 0xC0) == 0x80) {
        c--;
        back++;
    }
    return c;
}

static inline bool ascii_keep(uint8_t b)
{
    return (b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t';
}

/* Eight bytes with p[k] in bits 8k..8k+7 on every platform (compilers
 * turn this into one load). */
static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* Bytes from p that are kept as they are: printable ASCII, LF and TAB.
 * Eight at a time where possible: a byte below 0x20 borrows in
 * (x - 0x20..), a byte at or above 0x7F sets the top bit of (x + 0x01..)
 * or of x. A word that fails that quick test (a LF or TAB, or a false
 * alarm) gets an exact test per byte, without carries between bytes:
 * with y = b & 0x7F, y + 0x60 reaches 0x80 when y >= 0x20, y + 0x01 when
 * y is 0x7F, and (y ^ v) + 0x7F when y is not v. The lowest byte that
 * fails it is the end of the run. */
static size_t ascii_run(const uint8_t *p, size_t n)
{
    const uint64_t lo = 0x2020202020202020ull, one = 0x0101010101010101ull;
    const uint64_t hi = 0x8080808080808080ull, low7 = 0x7F7F7F7F7F7F7F7Full;
    size_t i = 0;

    while (n - i >= 8) {
        uint64_t x = load_le64(p + i), y, keep, bad;

        if ((((x - lo) | (x + one) | x) & hi) == 0) {
            i += 8;
            continue;
        }
        y = x & low7;
        keep = ((y + one * 0x60) & ~(y + one)) |
               ~((y ^ (one * '\n')) + low7) | ~((y ^ (one * '\t')) + low7);
        bad = ~(keep & ~x) & hi;
        if (bad != 0) {
            /* 2^(8k) - 1 for the lowest bad byte k: k bytes of 0xFF */
            uint64_t below = ((bad & (~bad + 1)) >> 7) - 1;

            return i + (size_t)(((below & one) * one) >> 56);
        }
        i += 8;
    }
    for (; i < n; i++)
        if (!ascii_keep(p[i]))
            return i;
    return n;
}

airlock_err gate_sanitize(wr *w, const uint8_t *in, size_t len, unsigned opts,
                          unsigned *changes)
{
    const bool name = (opts & GATE_SAN_OPT_NAME) != 0;
    size_t i = 0, run = 0;
    unsigned ch = 0, marks = 0;
    uint8_t *o;
    airlock_err err;

    if (changes != NULL)
        *changes = 0;
    if (len == 0)
        return w->err;
    if (in == NULL)
        return AIRLOCK_ERR_ARG;
    if (len > (SIZE_MAX - 1) / 3)
        return AIRLOCK_ERR_TOO_LARGE;
    /* Room for the worst case (every byte a 3-byte symbol) up front, so the
     * loop writes without checks or calls. */
    if ((err = wr_reserve(w, 3 * len)) != AIRLOCK_OK)
        return err;
    o = w->buf + w->len;

/* Copy the pending unchanged run of input, then start a new one at `to`.
 * SPARE16: a short run is copied as 16 bytes when 16 are left to read;
 * the bytes past it are within the room reserved above (the output of
 * [0, run) is at most 3 * run bytes, and 3 * len - 3 * run >= 48) and are
 * overwritten or beyond w->len. */
#define FLUSH_TO(to) do { \
        if (i - run > 16) { \
            memcpy(o, in + run, i - run); \
            o += i - run; \
        } else if (len - run >= 16) { \
            memcpy(o, in + run, 16);  /* see SPARE16 */ \
            o += i - run; \
        } else { \
            while (run < i) \
                *o++ = in[run++]; \
        } \
        run = (to); \
    } while (0)

    while (i < len) {
        uint8_t b = in[i];
        int32_t cp = 0;
        size_t n;

        if (!name && ascii_keep(b)) {
            marks = 0;
            /* one letter before a non-ASCII byte (a base and its marks):
             * no run to look for */
            if (len - i > 1 && in[i + 1] >= 0x80)
                i++;
            else
                i += ascii_run(in + i, len - i);
            continue;
        }
        if (b >= 0x20 && b < 0x7F) {
            if (b == '/' || b == '\\')
                FLUSH_TO(i + 1);     /* dropped: does not end a mark run */
            else
                marks = 0;
            i++;
            continue;
        }
        if (b < 0x80) {
            marks = 0;
            if ((b == '\n' || b == '\t') && !name) {
                i++;
                continue;
            }
            if (b == '\r' && !name) {
                ch |= GATE_SAN_NEWLINE;
                if (i + 1 < len && in[i + 1] == '\n') {
                    FLUSH_TO(i + 1); /* CRLF: drop the CR, keep the LF */
                    i += 2;
                    continue;
                }
                FLUSH_TO(i + 1);
                *o++ = '\n';
                i++;
                continue;
            }
            /* A run of controls: each becomes a 3-byte Control Picture
             * (U+2400 + c is E2 90 80+c; DEL's U+2421 is E2 90 A1). */
            FLUSH_TO(i);
            do {
                o[0] = 0xE2;
                o[1] = 0x90;
                o[2] = (uint8_t)(b == 0x7F ? 0xA1 : 0x80 + b);
                o += 3;
                i++;
            } while (i < len && ((b = in[i]) == 0x7F ||
                                 (b < 0x20 && b != '\n' && b != '\t' &&
                                  b != '\r')));
            run = i;
            ch |= GATE_SAN_CONTROL;
            continue;
        }
        if (b < 0xC2 || b > 0xF4 || (n = utf8_seq(in + i, len - i, &cp)) == 0) {
            /* Ill-formed input: one U+FFFD for the maximal subpart here,
             * then one for each following byte that never starts a
             * sequence (a lead byte goes back to the loop). */
            FLUSH_TO(i);
            i += b < 0xC2 || b > 0xF4 ? 1 : bad_len(in + i, len - i);
            for (;;) {
                o[0] = 0xEF;
                o[1] = 0xBF;
                o[2] = 0xBD;
                o += 3;
                if (i == len || (b = in[i]) < 0x80 || (b >= 0xC2 && b <= 0xF4))
                    break;
                i++;
            }
            run = i;
            ch |= GATE_SAN_INVALID;
            marks = 0;
            continue;
        }
        if (cp < 0xA0) {             /* C1 controls U+0080..U+009F */
            FLUSH_TO(i + n);
            o += put_cp(o, CP_REPLACEMENT);
            ch |= GATE_SAN_CONTROL;
            marks = 0;
            i += n;
            continue;
        }
        switch (san_class(cp)) {
        case SAN_MARK:
            if (++marks > GATE_MARKS_MAX) {
                FLUSH_TO(i + n);
                ch |= GATE_SAN_MARKS;
            }
            i += n;
            continue;
        case SAN_FORMAT:
            if (cp == (int32_t)CP_ZWJ || cp == (int32_t)CP_ZWNJ) {
                i += n;      /* kept; part of the current cluster */
                continue;
            }
            FLUSH_TO(i + n);
            ch |= is_bidi_control(cp) ? GATE_SAN_BIDI : GATE_SAN_INVISIBLE;
            i += n;
            continue;
        case SAN_LINE:               /* U+2028, U+2029 */
            FLUSH_TO(i + n);
            if (name)
                o += put_cp(o, CP_CONTROL_PICTURES + '\n');
            else
                *o++ = '\n';
            ch |= GATE_SAN_NEWLINE;
            marks = 0;
            i += n;
            continue;
        case SAN_KEEP:
            break;
        }
        marks = 0;
        i += n;
        if (cp == (int32_t)CP_BLACK_FLAG)
            i += tag_seq_len(in + i, len - i);  /* kept as a whole */
    }
    FLUSH_TO(len);
#undef FLUSH_TO
    w->len = (size_t)(o - w->buf);
    if (changes != NULL)
        *changes = ch;
    return AIRLOCK_OK;
}

bool gate_text_clean(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    unsigned marks = 0;

    if (n > 0 && s == NULL)
        return false;
    while (i < n) {
        int32_t cp;
        long k;
        int cat;

        if (p[i] < 0x80) {
            uint8_t b = p[i];

            if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7F)
                return false;
            marks = 0;
            i++;
            continue;
        }
        if ((k = decode(p + i, n - i, &cp)) < 0 || cp < 0xA0)
            return false;
        i += (size_t)k;
        cat = utf8proc_get_property(cp)->category;
        if (is_mark(cat)) {
            if (++marks > GATE_MARKS_MAX)
                return false;
            continue;
        }
        if (cat == UTF8PROC_CATEGORY_CF) {
            if (cp != (int32_t)CP_ZWJ && cp != (int32_t)CP_ZWNJ)
                return false;
            continue;
        }
        if (cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP)
            return false;
        marks = 0;
        if (cp == (int32_t)CP_BLACK_FLAG)
            i += tag_seq_len(p + i, n - i);
    }
    return true;
}

AIRLOCK_API airlock_err airlock_sanitize(const uint8_t *in, size_t len,
                                         char **out, size_t *out_len)
{
    wr w;
    uint8_t *buf = NULL;
    size_t n = 0;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || (in == NULL && len > 0))
        return AIRLOCK_ERR_ARG;
    if (len > (SIZE_MAX - 16) / 3)
        return AIRLOCK_ERR_TOO_LARGE;
    wr_init(&w, NULL, 3 * len);      /* public memory: malloc */
    err = gate_sanitize(&w, in, len, 0, NULL);
    if (err == AIRLOCK_OK)
        err = wr_take(&w, &buf, &n);
    if (err != AIRLOCK_OK)
        goto out;
    *out = (char *)buf;
    buf = NULL;
    if (out_len != NULL)
        *out_len = n;
out:
    wr_clear(&w, false);
    return err;
}

/* Width of one grapheme cluster: the widest code point in it (combining
 * marks and joiners count 0), and 2 for an emoji presentation sequence
 * (with U+FE0F) or a regional-indicator pair (a flag). */
AIRLOCK_API size_t airlock_text_width(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, total = 0;
    int32_t prev = -1, state = 0;
    int cluster = 0, ri = 0;

    if (s == NULL)
        return 0;
    while (i < len) {
        int32_t cp;
        long k = decode(p + i, len - i, &cp);
        int wdt;

        if (k < 0) {
            k = (long)bad_len(p + i, len - i);
            cp = (int32_t)CP_REPLACEMENT;
        }
        i += (size_t)k;
        if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state)) {
            total += (size_t)cluster;
            cluster = 0;
            ri = 0;
        }
        prev = cp;
        wdt = utf8proc_charwidth(cp);
        if (wdt > cluster)
            cluster = wdt;
        if (cp == (int32_t)CP_VS16 && cluster == 1)
            cluster = 2;
        if (utf8proc_get_property(cp)->boundclass ==
            UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR && ++ri == 2)
            cluster = 2;
    }
    return total + (size_t)cluster;
}
