/* test_util.c - JIDs and XEP-0082 time stamps as the transport reads them
 * (net/xmpp/util.c), the size of a received stanza, and the address
 * checks of xmpp.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/xmpp/omemo.h"
#include "net/xmpp/xmpp.h"

static void test_bare_of(void **state)
{
    char out[NET_ADDR_MAX + 1];
    char *big;

    (void)state;
    assert_true(net_xmpp_bare_of("bob@localhost/res", out, false));
    assert_string_equal(out, "bob@localhost");
    assert_true(net_xmpp_bare_of("bob@localhost", out, false));
    assert_string_equal(out, "bob@localhost");
    assert_true(net_xmpp_bare_of("bob@localhost/a/b", out, false));
    assert_string_equal(out, "bob@localhost");
    /* a server JID only where it is allowed */
    assert_false(net_xmpp_bare_of("localhost", out, false));
    assert_true(net_xmpp_bare_of("localhost", out, true));
    assert_false(net_xmpp_bare_of(NULL, out, true));
    assert_false(net_xmpp_bare_of("", out, true));
    assert_false(net_xmpp_bare_of("/res", out, true));
    /* controls are not addresses */
    assert_false(net_xmpp_bare_of("bo\x01" "b@x", out, false));
    assert_false(net_xmpp_bare_of("bob@x\xff", out, false));
    /* a bare part over NET_ADDR_MAX, a JID over NET_XMPP_JID_MAX */
    big = malloc(NET_XMPP_JID_MAX + 2);
    assert_non_null(big);
    memset(big, 'a', NET_XMPP_JID_MAX + 1);
    big[NET_XMPP_JID_MAX + 1] = '\0';
    big[10] = '@';
    assert_false(net_xmpp_bare_of(big, out, false));
    big[300] = '/';
    big[NET_XMPP_JID_MAX] = '\0';          /* 3071 bytes: length is fine */
    assert_false(net_xmpp_bare_of(big, out, false)); /* bare part 300 */
    big[200] = '/';
    assert_true(net_xmpp_bare_of(big, out, false));  /* bare part 200 */
    assert_int_equal(strlen(out), 200);
    free(big);
}

static void test_account_jid(void **state)
{
    (void)state;
    assert_true(net_xmpp_bare_jid_ok("alice@example.org"));
    assert_false(net_xmpp_bare_jid_ok("Alice@example.org"));
    assert_false(net_xmpp_bare_jid_ok("alice@example.org/phone"));
    assert_false(net_xmpp_bare_jid_ok("example.org"));
    assert_false(net_xmpp_bare_jid_ok("@example.org"));
    assert_false(net_xmpp_bare_jid_ok("alice@"));
    assert_false(net_xmpp_bare_jid_ok("a@b@c"));
    assert_false(net_xmpp_bare_jid_ok("al ice@example.org"));
    assert_false(net_xmpp_bare_jid_ok("al'ice@example.org"));
    assert_true(net_xmpp_host_is_loopback("127.0.0.1"));
    assert_true(net_xmpp_host_is_loopback("127.1.2.3"));
    assert_true(net_xmpp_host_is_loopback("::1"));
    assert_true(net_xmpp_host_is_loopback("localhost"));
    assert_false(net_xmpp_host_is_loopback("128.0.0.1"));
    assert_false(net_xmpp_host_is_loopback("192.0.2.1"));
    assert_false(net_xmpp_host_is_loopback("localhost.example.org"));
    assert_false(net_xmpp_host_is_loopback("::2"));
    assert_false(net_xmpp_host_is_loopback(NULL));
}

static void test_stamps(void **state)
{
    int64_t ms = 0;

    (void)state;
    assert_true(net_xmpp_stamp_parse("1970-01-01T00:00:00Z", &ms));
    assert_true(ms == 0);
    /* 2002-09-10T23:08:25Z is 1031699305 (XEP-0082's example) */
    assert_true(net_xmpp_stamp_parse("2002-09-10T23:08:25Z", &ms));
    assert_true(ms == 1031699305000LL);
    assert_true(net_xmpp_stamp_parse("2002-09-10T23:08:25.123Z", &ms));
    assert_true(ms == 1031699305123LL);
    assert_true(net_xmpp_stamp_parse("2002-09-10T23:08:25.1Z", &ms));
    assert_true(ms == 1031699305100LL);
    assert_true(net_xmpp_stamp_parse("2002-09-10T23:08:25.123456789Z", &ms));
    assert_true(ms == 1031699305123LL);
    assert_true(net_xmpp_stamp_parse("2002-09-10T18:08:25-05:00", &ms));
    assert_true(ms == 1031699305000LL);
    assert_true(net_xmpp_stamp_parse("2002-09-11T01:38:25+02:30", &ms));
    assert_true(ms == 1031699305000LL);
    assert_true(net_xmpp_stamp_parse("2024-02-29T12:00:00Z", &ms));
    assert_true(ms == 1709208000000LL);
    assert_false(net_xmpp_stamp_parse("2002-09-10T23:08:25", &ms));
    assert_false(net_xmpp_stamp_parse("2002-09-10 23:08:25Z", &ms));
    assert_false(net_xmpp_stamp_parse("2002-13-10T23:08:25Z", &ms));
    assert_false(net_xmpp_stamp_parse("2002-09-10T24:08:25Z", &ms));
    assert_false(net_xmpp_stamp_parse("1969-12-31T23:59:59Z", &ms));
    assert_false(net_xmpp_stamp_parse("2002-09-10T23:08:25.Z", &ms));
    assert_false(net_xmpp_stamp_parse("2002-09-10T23:08:25+0500", &ms));
    assert_false(net_xmpp_stamp_parse("2002-09-10T23:08:25Zjunk", &ms));
    assert_false(net_xmpp_stamp_parse("+002-09-10T23:08:25Z", &ms));
    assert_false(net_xmpp_stamp_parse("2002-09-10T23:08:25.1234567890123456789"
                                      "01234Z", &ms));
    assert_false(net_xmpp_stamp_parse("", &ms));
    assert_false(net_xmpp_stamp_parse(NULL, &ms));
}

/* Growable text for building test stanzas. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putrep(sbuf *b, char c, size_t n)
{
    while (n-- > 0)
        put(b, &c, 1);
}

static bool fits(const sbuf *b, size_t max)
{
    net_xml *x = NULL;
    bool ok;

    assert_int_equal(net_xml_parse(b->p, b->n, &x), AIRLOCK_OK);
    ok = net_xmpp_stanza_fits(net_xml_root(x), max);
    net_xml_free(x);
    return ok;
}

/* <message to='a@b'><body>k bytes</body></message> counts
 * (8 + 7) + (2 + 3) + (8 + 4) + k = 32 + k. */
static void body_of(sbuf *b, size_t k)
{
    b->n = 0;
    puts_(b, "<message to='a@b'><body>");
    putrep(b, 'x', k);
    puts_(b, "</body></message>");
}

static void test_stanza_size(void **state)
{
    sbuf b = { 0 };
    size_t i;

    (void)state;
    assert_false(net_xmpp_stanza_fits(NULL, NET_XMPP_STANZA_MAX));
    body_of(&b, 68);
    assert_true(fits(&b, 100));
    body_of(&b, 69);
    assert_false(fits(&b, 100));
    body_of(&b, NET_XMPP_STANZA_MAX - 32);
    assert_true(fits(&b, NET_XMPP_STANZA_MAX));
    body_of(&b, NET_XMPP_STANZA_MAX - 31);
    assert_false(fits(&b, NET_XMPP_STANZA_MAX));

    /* many small siblings: 8 + 1 each, plus the parent (8 + 1) */
    b.n = 0;
    puts_(&b, "<m>");
    for (i = 0; i < 1000; i++)
        puts_(&b, "<x/>");
    puts_(&b, "</m>");
    assert_true(fits(&b, 9 + 1000 * 9));
    assert_false(fits(&b, 9 + 1000 * 9 - 1));

    /* nesting: 32 elements with text in the innermost fit, 33 do not */
    b.n = 0;
    for (i = 0; i < 32; i++)
        puts_(&b, "<a>");
    puts_(&b, "t");
    for (i = 0; i < 32; i++)
        puts_(&b, "</a>");
    assert_true(fits(&b, NET_XMPP_STANZA_MAX));
    b.n = 0;
    for (i = 0; i < 33; i++)
        puts_(&b, "<a>");
    puts_(&b, "t");
    for (i = 0; i < 33; i++)
        puts_(&b, "</a>");
    assert_false(fits(&b, NET_XMPP_STANZA_MAX));

    /* attributes: NET_XMPP_ATTRS_MAX on one element, then one more */
    for (i = NET_XMPP_ATTRS_MAX; i <= NET_XMPP_ATTRS_MAX + 1; i++) {
        size_t j;
        char a[32];

        b.n = 0;
        puts_(&b, "<m");
        for (j = 0; j < i; j++) {
            snprintf(a, sizeof a, " a%zu='v'", j);
            puts_(&b, a);
        }
        puts_(&b, "/>");
        assert_true(fits(&b, NET_XMPP_STANZA_MAX) ==
                    (i <= NET_XMPP_ATTRS_MAX));
    }
    free(b.p);
}

/* The largest OMEMO message the parser accepts fits under the limit. */
static void test_largest_message_fits(void **state)
{
    static uint8_t raw[NET_OMEMO_PAYLOAD_MAX];
    sbuf b = { 0 };
    char *key = NULL, *payload = NULL, attr[64];
    net_xml *x = NULL;
    net_omemo_msg m;
    size_t i;

    (void)state;
    memset(raw, 0x5a, sizeof raw);
    assert_int_equal(net_b64_encode(raw, NET_OMEMO_KEY_MAX, &key),
                     AIRLOCK_OK);
    assert_int_equal(net_b64_encode(raw, NET_OMEMO_PAYLOAD_MAX, &payload),
                     AIRLOCK_OK);
    puts_(&b, "<message from='bob@example.org/phone' to='alice@example.org'"
              " id='0123456789abcdef0123456789abcdef' type='chat'>"
              "<encrypted xmlns='" NET_OMEMO_NS "'><header sid='2147483647'>");
    for (i = 0; i < NET_OMEMO_KEYS_MAX; i++) {
        snprintf(attr, sizeof attr, "<key prekey='true' rid='%zu'>",
                 2147483647 - i);
        puts_(&b, attr);
        puts_(&b, key);
        puts_(&b, "</key>");
    }
    puts_(&b, "<iv>AAAAAAAAAAAAAAAAAAAAAA==</iv></header><payload>");
    puts_(&b, payload);
    puts_(&b, "</payload></encrypted><body>I sent you an OMEMO encrypted "
              "message but your client doesn't seem to support that.</body>"
              "<store xmlns='urn:xmpp:hints'/></message>");
    assert_int_equal(net_xml_parse(b.p, b.n, &x), AIRLOCK_OK);
    memset(&m, 0, sizeof m);
    assert_int_equal(
        net_omemo_msg_parse(net_omemo_find_encrypted(net_xml_root(x)), &m),
        AIRLOCK_OK);
    assert_int_equal(m.key_count, NET_OMEMO_KEYS_MAX);
    assert_int_equal(m.payload_n, NET_OMEMO_PAYLOAD_MAX);
    net_omemo_msg_clear(&m);
    assert_true(net_xmpp_stanza_fits(net_xml_root(x), NET_XMPP_STANZA_MAX));
    assert_true(b.n < NET_XMPP_STANZA_MAX);
    net_xml_free(x);
    free(key);
    free(payload);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_of),
        cmocka_unit_test(test_account_jid),
        cmocka_unit_test(test_stamps),
        cmocka_unit_test(test_stanza_size),
        cmocka_unit_test(test_largest_message_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
