/* test_record.c - spool records (net/xmpp/record.c): every kind round
 * trips, every limit holds, hostile bytes are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/xmpp/xmpp.h"

static const uint8_t KEYMSG[40] = { 0x33, 1, 2, 3 };
static const uint8_t IV16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                  13, 14, 15, 16 };

static void base(net_xrec *r, net_xrec_kind kind)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->env.sender = "bob@localhost";
    r->env.sender_n = 13;
    r->env.recipient = "alice@localhost";
    r->env.recipient_n = 15;
    r->env.timestamp_ms = 1700000000000ull;
    memset(r->env.id, 0x5a, sizeof r->env.id);
}

static void roundtrip(const net_xrec *r, net_xrec *d, uint8_t **b, size_t *n)
{
    assert_int_equal(net_xrec_encode(r, b, n), AIRLOCK_OK);
    assert_int_equal((*b)[0], NET_XREC_MAGIC);
    assert_int_equal(net_xrec_decode(*b, *n, d), AIRLOCK_OK);
    assert_int_equal(d->kind, r->kind);
    assert_int_equal(d->env.sender_n, r->env.sender_n);
    assert_memory_equal(d->env.sender, r->env.sender, r->env.sender_n);
    assert_memory_equal(d->env.recipient, r->env.recipient,
                        r->env.recipient_n);
    assert_true(d->env.timestamp_ms == r->env.timestamp_ms);
    assert_memory_equal(d->env.id, r->env.id, 16);
}

static void test_kinds(void **state)
{
    net_xrec r, d;
    uint8_t *b = NULL, pay[5] = "hello";
    size_t n = 0;

    (void)state;
    base(&r, NET_XREC_PLAIN);
    r.body = (const uint8_t *)"hi *there*";
    r.body_n = 10;
    roundtrip(&r, &d, &b, &n);
    assert_int_equal(d.body_n, 10);
    assert_memory_equal(d.body, "hi *there*", 10);
    free(b);

    base(&r, NET_XREC_OMEMO);
    r.env.sender_device = 77;
    r.env.header_count = 1;
    r.env.headers[0].device = 5;
    r.env.headers[0].prekey = true;
    r.env.headers[0].keymsg = KEYMSG;
    r.env.headers[0].keymsg_n = sizeof KEYMSG;
    r.env.iv = IV16;
    r.iv_n = 16;
    r.env.payload = pay;
    r.env.payload_n = sizeof pay;
    roundtrip(&r, &d, &b, &n);
    assert_int_equal(d.env.sender_device, 77);
    assert_int_equal(d.env.header_count, 1);
    assert_int_equal(d.env.headers[0].device, 5);
    assert_true(d.env.headers[0].prekey);
    assert_memory_equal(d.env.headers[0].keymsg, KEYMSG, sizeof KEYMSG);
    assert_int_equal(d.iv_n, 16);
    assert_memory_equal(d.env.iv, IV16, 16);
    assert_memory_equal(d.env.payload, pay, sizeof pay);
    /* every truncation is refused */
    for (size_t k = 0; k < n; k++)
        assert_int_not_equal(net_xrec_decode(b, k, &d), AIRLOCK_OK);
    /* trailing bytes too */
    {
        uint8_t *longer = malloc(n + 1);

        assert_non_null(longer);
        memcpy(longer, b, n);
        longer[n] = 0;
        assert_int_equal(net_xrec_decode(longer, n + 1, &d),
                         AIRLOCK_ERR_MALFORMED);
        free(longer);
    }
    free(b);

    base(&r, NET_XREC_EVENT);
    r.sec = AIRLOCK_SEC_SPOOFED_STANZA;
    r.detail = "message carbon from another account";
    r.detail_n = strlen(r.detail);
    roundtrip(&r, &d, &b, &n);
    assert_int_equal(d.sec, AIRLOCK_SEC_SPOOFED_STANZA);
    assert_int_equal(d.detail_n, r.detail_n);
    free(b);

    base(&r, NET_XREC_SUBSCRIBE);
    roundtrip(&r, &d, &b, &n);
    free(b);
}

static void test_hostile(void **state)
{
    net_xrec r, d;
    uint8_t *b = NULL, *big;
    size_t n = 0;

    (void)state;
    base(&r, NET_XREC_OMEMO);
    r.env.sender_device = 77;
    r.env.header_count = 1;
    r.env.headers[0].device = 5;
    r.env.headers[0].keymsg = KEYMSG;
    r.env.headers[0].keymsg_n = sizeof KEYMSG;
    r.env.iv = IV16;
    r.iv_n = 12;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_OK);
    /* the IV length byte sits right before the IV: 13 is refused */
    {
        size_t at = n - 1 - 12 - 1;          /* payload len 0, iv, len */

        assert_int_equal(b[at], 12);
        b[at] = 13;
        assert_int_not_equal(net_xrec_decode(b, n, &d), AIRLOCK_OK);
        b[at] = 12;
    }
    b[1] = 2;                                /* version */
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    b[1] = 1;
    b[2] = 9;                                /* kind */
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    b[2] = NET_XREC_OMEMO;
    b[0] = NET_ENV_MAGIC;                    /* an envelope's magic */
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
    /* bad IV lengths and sizes never encode */
    r.iv_n = 13;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_ERR_ARG);
    r.iv_n = 12;
    r.env.headers[0].keymsg_n = NET_ENV_KEYMSG_MAX + 1;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_ERR_ARG);
    /* a body over its maximum */
    base(&r, NET_XREC_PLAIN);
    big = calloc(1, NET_XREC_BODY_MAX + 1);
    assert_non_null(big);
    r.body = big;
    r.body_n = NET_XREC_BODY_MAX + 1;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_ERR_TOO_LARGE);
    r.body_n = NET_XREC_BODY_MAX;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_OK);
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_OK);
    free(b);
    free(big);
    /* an address with a control character */
    base(&r, NET_XREC_SUBSCRIBE);
    r.env.sender = "bo\nb@x";
    r.env.sender_n = 6;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_OK);
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
    /* an event kind out of range */
    base(&r, NET_XREC_EVENT);
    r.sec = AIRLOCK_SEC_SPOOFED_STANZA;
    assert_int_equal(net_xrec_encode(&r, &b, &n), AIRLOCK_OK);
    b[n - 2] = 0;
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    b[n - 2] = 200;
    assert_int_equal(net_xrec_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
    assert_int_equal(net_xrec_decode(NULL, 0, &d), AIRLOCK_ERR_TRUNCATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
