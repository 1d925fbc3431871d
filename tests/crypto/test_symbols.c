/*
 * test_symbols.c - libsignal-protocol-c 2.3.3 exports its own
 * crypto_hash_sha512 (from its bundled ed25519 code), and so does
 * libsodium. Both libraries call it through the PLT, so the dynamic linker
 * binds every caller, libsodium's own crypto_sign included, to whichever
 * library comes first in the global lookup order, that is the order of the
 * link line. Airlock links libsodium first (crypto/CMakeLists.txt); this
 * test fails when that changes. docs/CRYPTO.md explains why it matters.
 *
 * It also checks that the SHA-512 and Ed25519 the process ends up with
 * give FIPS 180-4 and RFC 8032 answers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "crypto/crypto_int.h"
#include "tests/crypto/test_util.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = tu_unhex(s, out, cap);

    assert_true(n != (size_t)-1);
    return n;
}

/* The shared object that defines the symbol the process resolves. */
static void object_of(const char *sym, Dl_info *info)
{
    void *p = dlsym(RTLD_DEFAULT, sym);

    assert_non_null(p);
    memset(info, 0, sizeof *info);
    assert_int_not_equal(dladdr(p, info), 0);
    assert_non_null(info->dli_fbase);
}

static void test_sha512_symbol_is_libsodiums(void **state)
{
    crypto_prov p;
    signal_context *sg = NULL;
    Dl_info sha, sodium, sig;

    (void)state;
    /* Use libsignal, so it is certainly loaded (a clash needs both). */
    assert_int_equal(crypto_prov_init(&p, NULL), AIRLOCK_OK);
    assert_int_equal(crypto_prov_context(&p, &sg), AIRLOCK_OK);

    object_of("sodium_init", &sodium);            /* libsodium only */
    object_of("signal_context_create", &sig);     /* libsignal only */
    assert_ptr_not_equal(sodium.dli_fbase, sig.dli_fbase);
    object_of("crypto_hash_sha512", &sha);
    if (sha.dli_fbase != sodium.dli_fbase)
        fail_msg("crypto_hash_sha512 resolves to %s, not libsodium (%s): "
                 "libsodium must precede libsignal-protocol-c on the link "
                 "line",
                 sha.dli_fname ? sha.dli_fname : "?",
                 sodium.dli_fname ? sodium.dli_fname : "?");
    assert_non_null(strstr(sha.dli_fname, "libsodium"));
    /* the address this executable's own calls bind to is the same one */
    assert_ptr_equal((void *)(uintptr_t)crypto_hash_sha512,
                     dlsym(RTLD_DEFAULT, "crypto_hash_sha512"));

    signal_context_destroy(sg);
    crypto_prov_clear(&p);
}

/* libsignal's copy is there too (otherwise the test above proves nothing
 * about a clash): look the name up inside libsignal itself. */
static void test_libsignal_exports_it_too(void **state)
{
    Dl_info sig;
    void *h, *p;

    (void)state;
    object_of("signal_context_create", &sig);
    h = dlopen(sig.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(h);
    p = dlsym(h, "crypto_hash_sha512");
    /* dlsym on a handle searches that object and its dependencies first;
     * libsignal depends on nothing that defines the name, so this is its
     * own copy. */
    assert_non_null(p);
    assert_ptr_not_equal(p, dlsym(RTLD_DEFAULT, "crypto_hash_sha512"));
    dlclose(h);
}

static void test_sodium_sha512_fips(void **state)
{
    static const struct {
        const char *msg, *digest;
    } v[] = {
        { "abc",
          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
          "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
        { "",
          "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
          "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
          "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
          "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" },
    };
    size_t i;

    (void)state;
    assert_true(sodium_init() >= 0);
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t out[64], want[64];

        unhex(v[i].digest, want, sizeof want);
        assert_int_equal(crypto_hash_sha512(out,
                                            (const unsigned char *)v[i].msg,
                                            strlen(v[i].msg)), 0);
        assert_memory_equal(out, want, 64);
    }
}

/* crypto_sign hashes with SHA-512 inside libsodium: RFC 8032 7.1 tests 1-3
 * come out right only if that internal SHA-512 is a correct one. */
static void test_sodium_ed25519_rfc8032(void **state)
{
    static const struct {
        const char *seed, *pub, *msg, *sig;
    } v[] = {
        { "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
          "",
          "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
          "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
        { "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
          "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
          "72",
          "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
          "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
        { "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
          "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
          "af82",
          "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
          "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
    };
    size_t i;

    (void)state;
    assert_true(sodium_init() >= 0);
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t seed[32], pub[32], want_sig[64], msg[8];
        uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        uint8_t sig[crypto_sign_BYTES];
        unsigned long long siglen = 0;
        size_t mn;

        unhex(v[i].seed, seed, sizeof seed);
        unhex(v[i].pub, pub, sizeof pub);
        unhex(v[i].sig, want_sig, sizeof want_sig);
        mn = unhex(v[i].msg, msg, sizeof msg);
        assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
        assert_memory_equal(pk, pub, 32);
        assert_int_equal(crypto_sign_detached(sig, &siglen, msg, mn, sk), 0);
        assert_int_equal(siglen, 64);
        assert_memory_equal(sig, want_sig, 64);
        assert_int_equal(crypto_sign_verify_detached(sig, msg, mn, pk), 0);
        sig[7] ^= 1;
        assert_int_not_equal(crypto_sign_verify_detached(sig, msg, mn, pk),
                             0);
        sodium_memzero(sk, sizeof sk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha512_symbol_is_libsodiums),
        cmocka_unit_test(test_libsignal_exports_it_too),
        cmocka_unit_test(test_sodium_sha512_fips),
        cmocka_unit_test(test_sodium_ed25519_rfc8032),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
