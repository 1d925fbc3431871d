/* test_envelope.c - envelope v1: round trip, every limit, hostile bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/net.h"

static const uint8_t KEYMSG[40] = { 0x33, 1, 2, 3 };
static const uint8_t IV[12] = { 9, 9, 9 };
static const uint8_t PAYLOAD[] = { 0xa1, 0x01, 0x02, 'h', 'i' };

static void sample(net_env *e)
{
    memset(e, 0, sizeof *e);
    e->sender = "alice";
    e->sender_n = 5;
    e->sender_device = 1234;
    e->recipient = "bob";
    e->recipient_n = 3;
    e->timestamp_ms = 1700000000000ull;
    memset(e->id, 0x5a, sizeof e->id);
    e->header_count = 2;
    e->headers[0].device = 42;
    e->headers[0].prekey = true;
    e->headers[0].keymsg = KEYMSG;
    e->headers[0].keymsg_n = sizeof KEYMSG;
    e->headers[1].device = 77;
    e->headers[1].keymsg = KEYMSG;
    e->headers[1].keymsg_n = 10;
    e->iv = IV;
    e->payload = PAYLOAD;
    e->payload_n = sizeof PAYLOAD;
}

static void encode(const net_env *e, uint8_t **b, size_t *n)
{
    assert_int_equal(net_env_encode(e, b, n), AIRLOCK_OK);
}

static void test_roundtrip(void **state)
{
    net_env e, d;
    uint8_t *b;
    size_t n;

    (void)state;
    sample(&e);
    encode(&e, &b, &n);
    assert_int_equal(b[0], NET_ENV_MAGIC);
    assert_int_equal(net_env_decode(b, n, &d), AIRLOCK_OK);
    assert_int_equal(d.sender_n, 5);
    assert_memory_equal(d.sender, "alice", 5);
    assert_memory_equal(d.recipient, "bob", 3);
    assert_int_equal(d.sender_device, 1234);
    assert_true(d.timestamp_ms == 1700000000000ull);
    assert_int_equal(d.header_count, 2);
    assert_true(d.headers[0].prekey);
    assert_false(d.headers[1].prekey);
    assert_int_equal(d.headers[1].keymsg_n, 10);
    assert_memory_equal(d.iv, IV, 12);
    assert_int_equal(d.payload_n, sizeof PAYLOAD);
    assert_non_null(net_env_find(&d, 77));
    assert_null(net_env_find(&d, 78));
    free(b);
}

/* Every strict prefix is truncated or malformed, never accepted. */
static void test_every_prefix(void **state)
{
    net_env e, d;
    uint8_t *b;
    size_t n, i;

    (void)state;
    sample(&e);
    encode(&e, &b, &n);
    for (i = 0; i < n; i++) {
        airlock_err err = net_env_decode(b, i, &d);

        assert_true(err == AIRLOCK_ERR_TRUNCATED ||
                    err == AIRLOCK_ERR_MALFORMED);
    }
    free(b);
}

static void test_trailing_and_magic(void **state)
{
    net_env e, d;
    uint8_t *b, *c;
    size_t n;

    (void)state;
    sample(&e);
    encode(&e, &b, &n);
    c = malloc(n + 1);
    memcpy(c, b, n);
    c[n] = 0;
    assert_int_equal(net_env_decode(c, n + 1, &d), AIRLOCK_ERR_MALFORMED);
    c[0] = 0xAF;
    assert_int_equal(net_env_decode(c, n, &d), AIRLOCK_ERR_MALFORMED);
    c[0] = NET_ENV_MAGIC;
    c[1] = 2;   /* a future version is not guessed at */
    assert_int_equal(net_env_decode(c, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
    free(c);
}

static void test_limits(void **state)
{
    net_env e, d;
    uint8_t *b, big[NET_ENV_KEYMSG_MAX + 1];
    size_t n;
    char addr[NET_ADDR_MAX + 2];

    (void)state;
    sample(&e);
    memset(addr, 'a', sizeof addr);
    e.sender = addr;
    e.sender_n = NET_ADDR_MAX;
    encode(&e, &b, &n);
    assert_int_equal(net_env_decode(b, n, &d), AIRLOCK_OK);
    free(b);
    e.sender_n = NET_ADDR_MAX + 1;
    assert_int_equal(net_env_encode(&e, &b, &n), AIRLOCK_ERR_ARG);
    sample(&e);
    memset(big, 1, sizeof big);
    e.headers[0].keymsg = big;
    e.headers[0].keymsg_n = sizeof big;
    assert_int_equal(net_env_encode(&e, &b, &n), AIRLOCK_ERR_ARG);
    /* size cap before any parsing */
    assert_int_equal(net_env_decode(big, NET_ENV_MAX + 1, &d),
                     AIRLOCK_ERR_TOO_LARGE);
}

static void test_hostile_fields(void **state)
{
    net_env e, d;
    uint8_t *b;
    size_t n;

    (void)state;
    /* terminal escapes in an address */
    sample(&e);
    e.sender = "\x1b]0;x\x07";
    e.sender_n = 6;
    encode(&e, &b, &n);
    assert_int_equal(net_env_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
    /* the same device twice */
    sample(&e);
    e.headers[1].device = 42;
    encode(&e, &b, &n);
    assert_int_equal(net_env_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
    /* device id 0 */
    sample(&e);
    e.sender_device = 0;
    encode(&e, &b, &n);
    assert_int_equal(net_env_decode(b, n, &d), AIRLOCK_ERR_MALFORMED);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_trailing_and_magic),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_hostile_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
