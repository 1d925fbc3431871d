/* test_seal.c - XChaCha20-Poly1305 known answer (draft-irtf-cfrg-xchacha
 * A.3.1), tamper and AD binding, Argon2id determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/base.h"

static uint8_t *hex(const char *s, size_t *n)
{
    uint8_t *b = NULL;

    assert_int_equal(base_unhex(NULL, s, strlen(s), &b, n), AIRLOCK_OK);
    return b;
}

static void test_xchacha_kat(void **state)
{
    size_t kn, nn, an, pn, cn;
    uint8_t *key = hex("808182838485868788898a8b8c8d8e8f"
                       "909192939495969798999a9b9c9d9e9f", &kn);
    uint8_t *nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657", &nn);
    uint8_t *ad = hex("50515253c0c1c2c3c4c5c6c7", &an);
    const char *pt = "Ladies and Gentlemen of the class of '99: If I could "
                     "offer you only one tip for the future, sunscreen would "
                     "be it.";
    uint8_t *expect = hex(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
        "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
        "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
        "21f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49", &cn);
    uint8_t out[200], back[200];

    (void)state;
    pn = strlen(pt);
    assert_int_equal(cn, pn + BASE_SEAL_TAG);
    assert_int_equal(base_seal_detnonce(key, nonce, ad, an,
                     (const uint8_t *)pt, pn, out), AIRLOCK_OK);
    assert_memory_equal(out, nonce, BASE_SEAL_NONCE);
    assert_memory_equal(out + BASE_SEAL_NONCE, expect, cn);
    assert_int_equal(base_seal_open(key, ad, an, out,
                     pn + BASE_SEAL_OVERHEAD, back), AIRLOCK_OK);
    assert_memory_equal(back, pt, pn);
    free(key); free(nonce); free(ad); free(expect);
}

static void test_tamper_and_ad(void **state)
{
    uint8_t key[32], ct[64 + BASE_SEAL_OVERHEAD], pt[64], back[64];
    size_t i;

    (void)state;
    assert_int_equal(base_init(), AIRLOCK_OK);
    base_random(key, sizeof key);
    base_random(pt, sizeof pt);
    assert_int_equal(base_seal(key, (const uint8_t *)"messages.body.7", 15,
                               pt, sizeof pt, ct), AIRLOCK_OK);
    /* the same blob under another row's AD does not open */
    memset(back, 0xaa, sizeof back);
    assert_int_equal(base_seal_open(key, (const uint8_t *)"messages.body.8",
                     15, ct, sizeof ct, back), AIRLOCK_ERR_AUTH);
    /* no plaintext released: libsodium leaves the buffer or zeroes it */
    for (i = 0; i < sizeof back; i++)
        assert_true(back[i] == 0xaa || back[i] == 0);
    for (i = 0; i < sizeof ct; i += 7) {
        ct[i] ^= 1;
        assert_int_equal(base_seal_open(key, (const uint8_t *)"messages.body.7",
                         15, ct, sizeof ct, back), AIRLOCK_ERR_AUTH);
        ct[i] ^= 1;
    }
    assert_int_equal(base_seal_open(key, (const uint8_t *)"messages.body.7", 15,
                     ct, sizeof ct, back), AIRLOCK_OK);
    assert_memory_equal(back, pt, sizeof pt);
    assert_int_equal(base_seal_open(key, NULL, 0, ct, 10, back),
                     AIRLOCK_ERR_AUTH);
}

static void test_pwhash(void **state)
{
    uint8_t salt[BASE_PWHASH_SALT] = { 1, 2, 3 }, a[32], b[32], c[32];

    (void)state;
    assert_int_equal(base_init(), AIRLOCK_OK);
    assert_int_equal(base_pwhash("hunter2", 7, salt, BASE_PWHASH_TEST, a),
                     AIRLOCK_OK);
    assert_int_equal(base_pwhash("hunter2", 7, salt, BASE_PWHASH_TEST, b),
                     AIRLOCK_OK);
    assert_int_equal(base_pwhash("hunter3", 7, salt, BASE_PWHASH_TEST, c),
                     AIRLOCK_OK);
    assert_true(base_ct_eq(a, b, 32));
    assert_false(base_ct_eq(a, c, 32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xchacha_kat),
        cmocka_unit_test(test_tamper_and_ad),
        cmocka_unit_test(test_pwhash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
