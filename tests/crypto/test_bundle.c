/*
 * test_bundle.c - the local bundle format (crypto/bundle.c): the vector in
 * docs/CRYPTO.md parses to its fields, its signature verifies with
 * libsignal, it re-encodes to the same bytes; every malformation is
 * refused with the right code and leaves the output zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto_int.h"
#include "tests/crypto/test_util.h"

/* docs/CRYPTO.md, "Local bundle v1": a real bundle (deterministic keys). */
static const char vector_hex[] =
    "01" "00001df7" "00000001"
    "05c5c4aede10f07dc551ae692813183793bbcc96f56020f8e11dcb8e4824871338"
    "00000001"
    "05cf822313c7e1a98703f23e844da6ba2ff58f11164d4a33ec74a24f7940e31f05"
    "5502e1eee83367332bcbd1fdca5d4c1c2b38e43c9381af44f00071013b038c7e"
    "c27ce12634680da1b4193c911292a5c81d5af726169113d036880ede7a685800";

static size_t vector(uint8_t out[CRYPTO_BUNDLE_V1_LEN + 8])
{
    size_t n = tu_unhex(vector_hex, out, CRYPTO_BUNDLE_V1_LEN + 8);

    assert_int_equal(n, CRYPTO_BUNDLE_V1_LEN);
    return n;
}

static bool is_zero(const crypto_bundle *b)
{
    static const crypto_bundle zero;

    return memcmp(b, &zero, sizeof *b) == 0;
}

static void test_vector(void **state)
{
    uint8_t in[CRYPTO_BUNDLE_V1_LEN + 8], *again = NULL;
    size_t n = vector(in), an = 0;
    crypto_bundle b;
    crypto_prov p;
    signal_context *sg = NULL;
    ec_public_key *idk = NULL;

    (void)state;
    assert_int_equal(CRYPTO_BUNDLE_V1_LEN, 143);
    assert_true(CRYPTO_BUNDLE_V1_LEN <= CRYPTO_BUNDLE_MAX);
    assert_int_equal(crypto_bundle_parse(in, n, &b), AIRLOCK_OK);
    assert_int_equal(b.registration_id, 0x1df7);
    assert_int_equal(b.device_id, 1);
    assert_int_equal(b.signed_prekey_id, 1);
    assert_memory_equal(b.identity, in + 9, 33);
    assert_memory_equal(b.signed_prekey, in + 46, 33);
    assert_memory_equal(b.signature, in + 79, 64);
    assert_int_equal(crypto_bundle_encode(&b, &again, &an), AIRLOCK_OK);
    assert_int_equal(an, n);
    assert_memory_equal(again, in, n);
    free(again);

    /* the signature is the identity key's XEdDSA over the signed prekey */
    assert_int_equal(crypto_prov_init(&p, NULL), AIRLOCK_OK);
    assert_int_equal(crypto_prov_context(&p, &sg), AIRLOCK_OK);
    assert_int_equal(curve_decode_point(&idk, b.identity, 33, sg), 0);
    assert_int_equal(curve_verify_signature(idk, b.signed_prekey, 33,
                                            b.signature, 64), 1);
    b.signed_prekey[5] ^= 1;
    assert_int_equal(curve_verify_signature(idk, b.signed_prekey, 33,
                                            b.signature, 64), 0);
    SIGNAL_UNREF(idk);
    signal_context_destroy(sg);
    crypto_prov_clear(&p);
}

static void expect(const uint8_t *in, size_t n, airlock_err want)
{
    crypto_bundle b;

    memset(&b, 0x5a, sizeof b);
    assert_int_equal(crypto_bundle_parse(in, n, &b), want);
    assert_true(is_zero(&b));
}

static void test_malformed(void **state)
{
    uint8_t in[CRYPTO_BUNDLE_V1_LEN + 8], m[CRYPTO_BUNDLE_MAX + 2];
    size_t n = vector(in), i;

    (void)state;
    /* every truncation */
    for (i = 0; i < n; i++)
        expect(in, i, AIRLOCK_ERR_TRUNCATED);
    /* a trailing byte */
    memcpy(m, in, n);
    m[n] = 0;
    expect(m, n + 1, AIRLOCK_ERR_MALFORMED);
    /* versions */
    memcpy(m, in, n);
    m[0] = 0;
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    m[0] = 2;
    expect(m, n, AIRLOCK_ERR_UNSUPPORTED);
    /* zero ids, ids out of range */
    memcpy(m, in, n);
    memset(m + 1, 0, 4);
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    memcpy(m, in, n);
    memset(m + 5, 0, 4);
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    memcpy(m, in, n);
    m[5] = 0x80;   /* device id >= 2^31 */
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    memcpy(m, in, n);
    memset(m + 42, 0, 4);
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    memcpy(m, in, n);
    m[42] = 0;
    m[43] = 0xff;
    m[44] = 0xff;
    m[45] = 0xff;   /* 0xffffff: libsignal's last-resort marker */
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    m[45] = 0xfe;
    {
        crypto_bundle b;

        assert_int_equal(crypto_bundle_parse(m, n, &b), AIRLOCK_OK);
        assert_int_equal(b.signed_prekey_id, CRYPTO_PREKEY_ID_MAX);
    }
    /* key type bytes */
    memcpy(m, in, n);
    m[9] = 0x06;
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    memcpy(m, in, n);
    m[46] = 0x00;
    expect(m, n, AIRLOCK_ERR_MALFORMED);
    /* the size limit comes first */
    memset(m, 1, sizeof m);
    expect(m, CRYPTO_BUNDLE_MAX + 1, AIRLOCK_ERR_TOO_LARGE);
    /* empty, and bad arguments */
    expect(in, 0, AIRLOCK_ERR_TRUNCATED);
    expect(NULL, 0, AIRLOCK_ERR_TRUNCATED);
    expect(NULL, 3, AIRLOCK_ERR_ARG);
    assert_int_equal(crypto_bundle_parse(in, n, NULL), AIRLOCK_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
