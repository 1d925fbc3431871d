/* test_wr.c - writer caps, varint round trips, JSON escaping, hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/base.h"

static void test_cap(void **state)
{
    wr w;
    uint8_t *out;
    size_t n;

    (void)state;
    wr_init(&w, NULL, 4);
    assert_int_equal(wr_bytes(&w, "abcd", 4), AIRLOCK_OK);
    assert_int_equal(wr_u8(&w, 'e'), AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(wr_u8(&w, 'f'), AIRLOCK_ERR_TOO_LARGE);   /* sticky */
    assert_int_equal(wr_take(&w, &out, &n), AIRLOCK_ERR_TOO_LARGE);
    assert_null(out);
    wr_clear(&w, true);
}

static void test_varint_roundtrip(void **state)
{
    static const uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384,
                                     0xffffffffu, UINT64_MAX };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        wr w;
        uint8_t *buf;
        size_t n;
        uint64_t v;
        rd r;

        wr_init(&w, NULL, 64);
        assert_int_equal(wr_uvarint(&w, vals[i]), AIRLOCK_OK);
        assert_int_equal(wr_take(&w, &buf, &n), AIRLOCK_OK);
        r = rd_make(buf, n);
        assert_int_equal(rd_uvarint(&r, UINT64_MAX, &v), AIRLOCK_OK);
        assert_true(v == vals[i]);
        assert_int_equal(rd_done(&r), AIRLOCK_OK);
        free(buf);
    }
}

static void test_json_str(void **state)
{
    wr w;
    uint8_t *buf;
    size_t n;

    (void)state;
    wr_init(&w, NULL, 256);
    wr_json_str(&w, "a\"b\\c\n\x1b\x7f\xc3\xa9", 10);
    assert_int_equal(wr_take(&w, &buf, &n), AIRLOCK_OK);
    assert_string_equal((char *)buf, "\"a\\\"b\\\\c\\n\\u001b\\u007f\xc3\xa9\"");
    free(buf);
}

static void test_printf_long(void **state)
{
    wr w;
    uint8_t *buf;
    size_t n;
    char big[600];

    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    wr_init(&w, NULL, 1000);
    assert_int_equal(wr_printf(&w, "%s-%d", big, 42), AIRLOCK_OK);
    assert_int_equal(wr_take(&w, &buf, &n), AIRLOCK_OK);
    assert_int_equal(n, 602);
    assert_string_equal((char *)buf + 599, "-42");
    free(buf);
}

static void test_hex(void **state)
{
    uint8_t *b;
    size_t n;
    char s[7];

    (void)state;
    assert_int_equal(base_unhex(NULL, "a1 02\nff", 8, &b, &n), AIRLOCK_OK);
    assert_int_equal(n, 3);
    base_hex(b, n, s);
    assert_string_equal(s, "a102ff");
    free(b);
    assert_int_equal(base_unhex(NULL, "a", 1, &b, &n), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(base_unhex(NULL, "a 1", 3, &b, &n), AIRLOCK_ERR_MALFORMED);
    assert_int_equal(base_unhex(NULL, "zz", 2, &b, &n), AIRLOCK_ERR_MALFORMED);
    assert_null(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_json_str),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
