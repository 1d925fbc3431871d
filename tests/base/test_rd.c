/* test_rd.c - the bounded reader: limits, minimal varints, no overreads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"

static void test_u8_truncated(void **state)
{
    uint8_t v = 0;
    rd r = rd_make((const uint8_t *)"", 0);

    (void)state;
    assert_int_equal(rd_u8(&r, &v), AIRLOCK_ERR_TRUNCATED);
    assert_int_equal(rd_done(&r), AIRLOCK_OK);
}

static void test_be(void **state)
{
    static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
    rd r = rd_make(b, sizeof b);
    uint16_t a;
    uint32_t c;
    uint64_t d;

    (void)state;
    assert_int_equal(rd_u16be(&r, &a), AIRLOCK_OK);
    assert_int_equal(a, 0x0102);
    assert_int_equal(rd_u32be(&r, &c), AIRLOCK_OK);
    assert_int_equal(c, 0x03040506);
    assert_int_equal(rd_u64be(&r, &d), AIRLOCK_ERR_TRUNCATED);
    assert_int_equal(rd_left(&r), 7);   /* failed read consumed nothing */
    assert_int_equal(rd_u32be(&r, &c), AIRLOCK_OK);
    assert_int_equal(c, 0x0708090a);
}

static void test_uvarint_minimal(void **state)
{
    static const uint8_t ok1[] = { 0x00 };
    static const uint8_t ok2[] = { 0xac, 0x02 };          /* 300 */
    static const uint8_t redundant[] = { 0x80, 0x00 };     /* 0, not minimal */
    static const uint8_t redundant2[] = { 0xac, 0x82, 0x00 };
    static const uint8_t trunc[] = { 0x80 };
    static const uint8_t max64[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0x01 };
    static const uint8_t over64[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0x02 };
    uint64_t v = 0;
    rd r;

    (void)state;
    r = rd_make(ok1, sizeof ok1);
    assert_int_equal(rd_uvarint(&r, 10, &v), AIRLOCK_OK);
    assert_int_equal(v, 0);
    r = rd_make(ok2, sizeof ok2);
    assert_int_equal(rd_uvarint(&r, 1000, &v), AIRLOCK_OK);
    assert_int_equal(v, 300);
    assert_int_equal(rd_left(&r), 0);
    r = rd_make(ok2, sizeof ok2);
    assert_int_equal(rd_uvarint(&r, 299, &v), AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(rd_left(&r), 2);
    r = rd_make(redundant, sizeof redundant);
    assert_int_equal(rd_uvarint(&r, 1000, &v), AIRLOCK_ERR_MALFORMED);
    r = rd_make(redundant2, sizeof redundant2);
    assert_int_equal(rd_uvarint(&r, UINT64_MAX, &v), AIRLOCK_ERR_MALFORMED);
    r = rd_make(trunc, sizeof trunc);
    assert_int_equal(rd_uvarint(&r, 1000, &v), AIRLOCK_ERR_TRUNCATED);
    r = rd_make(max64, sizeof max64);
    assert_int_equal(rd_uvarint(&r, UINT64_MAX, &v), AIRLOCK_OK);
    assert_true(v == UINT64_MAX);
    r = rd_make(over64, sizeof over64);
    assert_int_equal(rd_uvarint(&r, UINT64_MAX, &v), AIRLOCK_ERR_MALFORMED);
    /* at most 2 bytes allowed: 300 fits, 3-byte values do not */
    r = rd_make(ok2, sizeof ok2);
    assert_int_equal(rd_uvarint_n(&r, 1, 1000, &v), AIRLOCK_ERR_MALFORMED);
}

static void test_lbytes(void **state)
{
    static const uint8_t b[] = { 3, 'a', 'b', 'c', 5, 'x' };
    const uint8_t *p = NULL;
    size_t n = 0;
    rd r = rd_make(b, sizeof b);

    (void)state;
    assert_int_equal(rd_lbytes(&r, 3, &p, &n), AIRLOCK_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "abc", 3);
    assert_int_equal(rd_lbytes(&r, 10, &p, &n), AIRLOCK_ERR_TRUNCATED);
    assert_int_equal(rd_left(&r), 2);   /* restored */
    r = rd_make(b, sizeof b);
    assert_int_equal(rd_lbytes(&r, 2, &p, &n), AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(rd_done(&r), AIRLOCK_ERR_MALFORMED);
}

static void test_sub(void **state)
{
    static const uint8_t b[] = { 1, 2, 3 };
    rd r = rd_make(b, sizeof b), s;
    uint8_t v;

    (void)state;
    assert_int_equal(rd_sub(&r, 2, &s), AIRLOCK_OK);
    assert_int_equal(rd_left(&s), 2);
    assert_int_equal(rd_left(&r), 1);
    assert_int_equal(rd_u8(&s, &v), AIRLOCK_OK);
    assert_int_equal(v, 1);
    assert_int_equal(rd_sub(&r, 2, &s), AIRLOCK_ERR_TRUNCATED);
    assert_int_equal(rd_skip(&r, 1), AIRLOCK_OK);
    assert_int_equal(rd_done(&r), AIRLOCK_OK);
}

static void test_utf8_ident(void **state)
{
    (void)state;
    assert_true(base_utf8_ident((const uint8_t *)"alice@example.org", 17));
    assert_true(base_utf8_ident((const uint8_t *)"j\xc3\xb6rg", 5));
    assert_false(base_utf8_ident((const uint8_t *)"a\x1b[31m", 6));
    assert_false(base_utf8_ident((const uint8_t *)"\xc0\x80", 2));
    assert_false(base_utf8_ident((const uint8_t *)"\xed\xa0\x80", 3));
    assert_false(base_utf8_ident((const uint8_t *)"\xc2\x9b", 2));
    assert_false(base_utf8_ident((const uint8_t *)"\xe2\x82", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u8_truncated),
        cmocka_unit_test(test_be),
        cmocka_unit_test(test_uvarint_minimal),
        cmocka_unit_test(test_lbytes),
        cmocka_unit_test(test_sub),
        cmocka_unit_test(test_utf8_ident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
