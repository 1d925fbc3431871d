/* test_util.c - JIDs and XEP-0082 time stamps as the transport reads them
 * (net/xmpp/util.c), and the address checks of xmpp.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bare_of),
        cmocka_unit_test(test_account_jid),
        cmocka_unit_test(test_stamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
