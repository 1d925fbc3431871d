/*
 * util.c - small parsers of what the XMPP transport reads from stanzas:
 * the bare part of a JID and an XEP-0082 time stamp; and the size of a
 * received stanza. All bounded, all unit-tested (tests/xmpp/test_util.c).
 */
#include "net/xmpp/omemo.h"

#include <string.h>

#include <strophe.h>

#include "base/base.h"

/* The bare part of a JID from the wire into out[NET_ADDR_MAX + 1]: false
 * when absent, too long, or not a plausible address. A JID without '@'
 * (a server) is allowed when `domain_ok`. */
bool net_xmpp_bare_of(const char *jid, char out[NET_ADDR_MAX + 1],
                      bool domain_ok)
{
    size_t n, i;

    out[0] = '\0';
    if (jid == NULL)
        return false;
    n = strnlen(jid, NET_XMPP_JID_MAX + 1);
    if (n == 0 || n > NET_XMPP_JID_MAX)
        return false;
    for (i = 0; i < n && jid[i] != '/'; i++)
        ;
    if (i == 0 || i > NET_ADDR_MAX)
        return false;
    memcpy(out, jid, i);
    out[i] = '\0';
    if (!base_utf8_ident((const uint8_t *)out, i))
        return false;
    if (memchr(out, '@', i) == NULL && !domain_ok)
        return false;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, unsigned *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return true;
}

/* XEP-0082 date-time: YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm).
 * false on anything else. */
bool net_xmpp_stamp_parse(const char *s, int64_t *ms)
{
    unsigned y, mo, d, h, mi, se, oh = 0, om = 0, frac = 0, fd = 0;
    size_t n, i = 19;
    int64_t t;
    int sign = 0;

    if (s == NULL)
        return false;
    n = strnlen(s, NET_XMPP_STAMP_MAX + 1);
    if (n > NET_XMPP_STAMP_MAX || n < 20)
        return false;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
        s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, fd++)
            if (fd < 3)
                frac = frac * 10 + (unsigned)(s[i] - '0');
        if (fd == 0)
            return false;
        for (; fd < 3; fd++)
            frac *= 10;
    }
    if (i < n && s[i] == 'Z' && i + 1 == n) {
        sign = 0;
    } else if (i < n && (s[i] == '+' || s[i] == '-') && i + 6 == n &&
               digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
               digits(s + i + 4, 2, &om)) {
        sign = s[i] == '+' ? 1 : -1;
    } else {
        return false;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || se > 60 || oh > 23 || om > 59)
        return false;
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    t -= sign * (int64_t)(oh * 3600 + om * 60);
    *ms = t * 1000 + frac;
    return *ms >= 0;
}


/* What one node of a stanza counts (omemo.h); false: refused outright. */
static bool node_size(xmpp_stanza_t *n, size_t left, size_t *size)
{
    const char *attrs[2 * NET_XMPP_ATTRS_MAX];
    const char *s;
    int count, i;

    if (xmpp_stanza_is_text(n)) {
        s = xmpp_stanza_get_text_ptr(n);
        *size = s != NULL ? strnlen(s, left + 1) : 0;
        return true;
    }
    s = xmpp_stanza_get_name(n);
    *size = NET_XMPP_ELEM_COST + (s != NULL ? strnlen(s, left + 1) : 0);
    count = xmpp_stanza_get_attribute_count(n);
    if (count < 0 || (unsigned)count > NET_XMPP_ATTRS_MAX)
        return false;
    count = xmpp_stanza_get_attributes(n, attrs, 2 * count);
    for (i = 0; i < count && *size <= left; i++)
        if (attrs[i] != NULL)
            *size += strnlen(attrs[i], left + 1);
    return true;
}

bool net_xmpp_stanza_fits(xmpp_stanza_t *st, size_t max)
{
    xmpp_stanza_t *up[NET_XMPP_DEPTH_MAX], *cur = st, *next;
    size_t depth = 0, total = 0, n;

    if (st == NULL)
        return false;
    /* depth first without recursion: up[] holds the ancestors of cur */
    for (;;) {
        if (!node_size(cur, max - total, &n) || n > max - total)
            return false;
        total += n;
        if (xmpp_stanza_is_tag(cur) &&
            (next = xmpp_stanza_get_children(cur)) != NULL) {
            if (depth == NET_XMPP_DEPTH_MAX)
                return false;
            up[depth++] = cur;
            cur = next;
            continue;
        }
        for (;;) {
            if (depth == 0)
                return true;            /* back at the stanza itself */
            if ((next = xmpp_stanza_get_next(cur)) != NULL) {
                cur = next;
                break;
            }
            cur = up[--depth];
        }
    }
}
