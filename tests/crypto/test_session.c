/*
 * test_session.c - Signal sessions end to end.
 *
 * Part 1 runs libsignal over Airlock's crypto provider with TEST-ONLY
 * in-memory stores (mem_store.c): X3DH from a prekey bundle, 1000 messages
 * each way across many ratchet turns, out-of-order delivery inside the
 * skip window (within and across chains), a counter beyond the window,
 * every single-byte tamper rejected as AUTH or MALFORMED, replays rejected
 * as DUPLICATE, an untrusted identity and a missing session, all through
 * crypto_sg_err, the same translation crypto_decrypt_key uses.
 *
 * Part 2 does the same basics through the store-backed crypto_ctx API on a
 * real store in a temporary directory: account generation, bundle export
 * and parse, sessions from bundles (bad signatures refused), encrypt/decrypt
 * of the message key with replay, tamper, size and no-session errors,
 * persistence across reopening, identity changes recorded (never refused,
 * and never from a forged message), and safety numbers.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <key_helper.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>

#include "crypto/crypto_int.h"
#include "crypto/mem_store.h"

/* ====================================================================== */
/* Part 1: libsignal + provider + in-memory stores                         */
/* ====================================================================== */

typedef struct party {
    crypto_det_rng det;
    crypto_rng rng;
    crypto_prov prov;
    signal_context *sg;
    signal_protocol_store_context *sgs;
    mem_store *ms;
    ec_public_key *id_pub;
    ec_public_key *spk_pub;
    ec_public_key *pk_pub;
    uint8_t spk_sig[64];
} party;

static void party_init(party *p, uint8_t seed_byte)
{
    ratchet_identity_key_pair *idp = NULL;
    session_signed_pre_key *spk = NULL;
    signal_protocol_key_helper_pre_key_list_node *pks = NULL;
    session_pre_key *pk;
    signal_buffer *b = NULL;
    uint8_t seed[32];

    memset(p, 0, sizeof *p);
    memset(seed, seed_byte, sizeof seed);
    crypto_det_rng_init(&p->det, seed, &p->rng);
    assert_int_equal(crypto_prov_init(&p->prov, &p->rng), AIRLOCK_OK);
    assert_int_equal(crypto_prov_context(&p->prov, &p->sg), AIRLOCK_OK);
    assert_int_equal(signal_protocol_store_context_create(&p->sgs, p->sg),
                     0);
    assert_non_null(p->ms = calloc(1, sizeof *p->ms));
    assert_int_equal(mem_store_install(p->ms, p->sgs), 0);

    assert_int_equal(signal_protocol_key_helper_generate_identity_key_pair(
                         &idp, p->sg), 0);
    assert_int_equal(ec_public_key_serialize(
                         &b, ratchet_identity_key_pair_get_public(idp)), 0);
    assert_int_equal(signal_buffer_len(b), 33);
    memcpy(p->ms->pub, signal_buffer_data(b), 33);
    signal_buffer_free(b);
    assert_int_equal(ec_private_key_serialize(
                         &b, ratchet_identity_key_pair_get_private(idp)), 0);
    assert_int_equal(signal_buffer_len(b), 32);
    memcpy(p->ms->priv, signal_buffer_data(b), 32);
    signal_buffer_bzero_free(b);
    p->id_pub = ratchet_identity_key_pair_get_public(idp);
    SIGNAL_REF(p->id_pub);
    assert_int_equal(signal_protocol_key_helper_generate_registration_id(
                         &p->ms->registration_id, 0, p->sg), 0);

    assert_int_equal(signal_protocol_key_helper_generate_signed_pre_key(
                         &spk, idp, 1, 1000, p->sg), 0);
    assert_int_equal(signal_protocol_signed_pre_key_store_key(p->sgs, spk),
                     0);
    assert_int_equal(session_signed_pre_key_get_signature_len(spk), 64);
    memcpy(p->spk_sig, session_signed_pre_key_get_signature(spk), 64);
    p->spk_pub = ec_key_pair_get_public(
        session_signed_pre_key_get_key_pair(spk));
    SIGNAL_REF(p->spk_pub);

    assert_int_equal(signal_protocol_key_helper_generate_pre_keys(
                         &pks, 1, 1, p->sg), 0);
    pk = signal_protocol_key_helper_key_list_element(pks);
    assert_int_equal(session_pre_key_get_id(pk), 1);
    assert_int_equal(signal_protocol_pre_key_store_key(p->sgs, pk), 0);
    p->pk_pub = ec_key_pair_get_public(session_pre_key_get_key_pair(pk));
    SIGNAL_REF(p->pk_pub);
    signal_protocol_key_helper_key_list_free(pks);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(idp);
}

static void party_clear(party *p)
{
    SIGNAL_UNREF(p->id_pub);
    SIGNAL_UNREF(p->spk_pub);
    SIGNAL_UNREF(p->pk_pub);
    signal_protocol_store_context_destroy(p->sgs);
    signal_context_destroy(p->sg);
    crypto_prov_clear(&p->prov);
    mem_store_clear(p->ms);
    free(p->ms);
}

/* `to` builds a session with `from` (known as from_name, device 1) from
 * from's bundle; with_prekey chooses whether a one-time prekey is used. */
static airlock_err build(party *to, const signal_protocol_address *addr,
                         party *from, int with_prekey)
{
    session_pre_key_bundle *bundle = NULL;
    session_builder *builder = NULL;
    airlock_err err;
    int r;

    assert_int_equal(session_pre_key_bundle_create(
                         &bundle, from->ms->registration_id, 1,
                         with_prekey ? 1 : 0,
                         with_prekey ? from->pk_pub : NULL, 1, from->spk_pub,
                         from->spk_sig, 64, from->id_pub), 0);
    assert_int_equal(session_builder_create(&builder, to->sgs, addr, to->sg),
                     0);
    to->prov.parked = AIRLOCK_OK;
    r = session_builder_process_pre_key_bundle(builder, bundle);
    err = crypto_sg_err(r, CRYPTO_SG_GENERIC, to->prov.parked);
    session_builder_free(builder);
    SIGNAL_UNREF(bundle);
    return err;
}

typedef struct wire {
    uint8_t *b;
    size_t n;
    int type;
} wire;

static void enc(party *p, const signal_protocol_address *to,
                const uint8_t *pt, size_t n, wire *w)
{
    session_cipher *c = NULL;
    ciphertext_message *m = NULL;
    signal_buffer *s;

    assert_int_equal(session_cipher_create(&c, p->sgs, to, p->sg), 0);
    assert_int_equal(session_cipher_encrypt(c, pt, n, &m), 0);
    s = ciphertext_message_get_serialized(m);
    w->n = signal_buffer_len(s);
    assert_non_null(w->b = malloc(w->n));
    memcpy(w->b, signal_buffer_data(s), w->n);
    w->type = ciphertext_message_get_type(m);
    SIGNAL_UNREF(m);
    session_cipher_free(c);
}

static void wire_free(wire *w)
{
    free(w->b);
    memset(w, 0, sizeof *w);
}

/* As crypto_decrypt_key does: parse (PARSE site), then decrypt (DECRYPT
 * site); the plaintext lands in out (cap 256). */
static airlock_err dec(party *p, const signal_protocol_address *from,
                       const uint8_t *b, size_t n, int type, uint8_t *out,
                       size_t *out_n)
{
    pre_key_signal_message *pm = NULL;
    signal_message *sm = NULL;
    session_cipher *c = NULL;
    signal_buffer *plain = NULL;
    airlock_err err;
    int r;

    *out_n = 0;
    p->prov.parked = AIRLOCK_OK;
    r = type == CIPHERTEXT_PREKEY_TYPE
            ? pre_key_signal_message_deserialize(&pm, b, n, p->sg)
            : signal_message_deserialize(&sm, b, n, p->sg);
    if (r < 0)
        return crypto_sg_err(r, CRYPTO_SG_PARSE, AIRLOCK_OK);
    assert_int_equal(session_cipher_create(&c, p->sgs, from, p->sg), 0);
    r = type == CIPHERTEXT_PREKEY_TYPE
            ? session_cipher_decrypt_pre_key_signal_message(c, pm, NULL,
                                                            &plain)
            : session_cipher_decrypt_signal_message(c, sm, NULL, &plain);
    err = crypto_sg_err(r, CRYPTO_SG_DECRYPT, p->prov.parked);
    if (err == AIRLOCK_OK) {
        assert_true(signal_buffer_len(plain) <= 256);
        memcpy(out, signal_buffer_data(plain), signal_buffer_len(plain));
        *out_n = signal_buffer_len(plain);
    }
    signal_buffer_bzero_free(plain);
    session_cipher_free(c);
    SIGNAL_UNREF(pm);
    SIGNAL_UNREF(sm);
    return err;
}

/* A 32-byte "key||tag" payload that names its sender and sequence. */
static size_t payload(uint8_t out[32], char dir, unsigned i)
{
    memset(out, 0, 32);
    snprintf((char *)out, 32, "%c#%u", dir, i);
    return 32;
}

static const signal_protocol_address addr_alice = { "alice", 5, 1 };
static const signal_protocol_address addr_bob = { "bob", 3, 1 };
static const signal_protocol_address addr_carol = { "carol", 5, 1 };

typedef struct pair {
    party alice, bob;
} pair;

static int pair_setup(void **state)
{
    pair *pp = calloc(1, sizeof *pp);

    if (pp == NULL)
        return -1;
    party_init(&pp->alice, 0xa1);
    party_init(&pp->bob, 0xb0);
    *state = pp;
    return 0;
}

static int pair_teardown(void **state)
{
    pair *pp = *state;

    party_clear(&pp->alice);
    party_clear(&pp->bob);
    free(pp);
    return 0;
}

/* Alice builds from Bob's bundle and sends the first (pre-key) message;
 * Bob decrypts it, consuming his one-time prekey. */
static void handshake(pair *pp)
{
    uint8_t pt[32], out[256];
    size_t n;
    wire w;

    assert_int_equal(build(&pp->alice, &addr_bob, &pp->bob, 1), AIRLOCK_OK);
    enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', 0), &w);
    assert_int_equal(w.type, CIPHERTEXT_PREKEY_TYPE);
    assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type, out, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 32);
    assert_memory_equal(out, pt, 32);
    assert_int_equal(pp->bob.ms->prekeys_removed, 1);
    wire_free(&w);
}

static void test_x3dh_1000_each_way(void **state)
{
    pair *pp = *state;
    unsigned sent_a = 1, sent_b = 0, round = 0;
    bool bob_replied = false;

    handshake(pp);
    while (sent_a < 1001 || sent_b < 1000) {
        /* batches of 1..7 in turn: many DH ratchet steps, and runs
         * within one chain */
        unsigned k = round % 7 + 1, j;

        for (j = 0; j < k && sent_a < 1001; j++, sent_a++) {
            uint8_t pt[32], out[256];
            size_t n;
            wire w;

            enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', sent_a), &w);
            /* pre-key messages until Bob's first reply arrives */
            assert_int_equal(w.type, bob_replied ? CIPHERTEXT_SIGNAL_TYPE
                                                 : CIPHERTEXT_PREKEY_TYPE);
            assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type,
                                 out, &n), AIRLOCK_OK);
            assert_int_equal(n, 32);
            assert_memory_equal(out, pt, 32);
            wire_free(&w);
        }
        for (j = 0; j < k && sent_b < 1000; j++, sent_b++) {
            uint8_t pt[32], out[256];
            size_t n;
            wire w;

            enc(&pp->bob, &addr_alice, pt, payload(pt, 'b', sent_b), &w);
            assert_int_equal(w.type, CIPHERTEXT_SIGNAL_TYPE);
            assert_int_equal(dec(&pp->alice, &addr_bob, w.b, w.n, w.type,
                                 out, &n), AIRLOCK_OK);
            assert_memory_equal(out, pt, 32);
            wire_free(&w);
            bob_replied = true;
        }
        round++;
    }
    assert_int_equal(sent_a, 1001);
    assert_int_equal(sent_b, 1000);
    assert_true(round > 100);
    /* only the one one-time prekey was ever consumed */
    assert_int_equal(pp->bob.ms->prekeys_removed, 1);
}

#define OOO 60

static void test_out_of_order(void **state)
{
    pair *pp = *state;
    wire w[OOO], late[5];
    uint8_t pt[32], out[256];
    unsigned i;
    size_t n;

    handshake(pp);
    /* Bob replies so Alice leaves pre-key messages behind */
    enc(&pp->bob, &addr_alice, pt, payload(pt, 'b', 0), &w[0]);
    assert_int_equal(dec(&pp->alice, &addr_bob, w[0].b, w[0].n, w[0].type,
                         out, &n), AIRLOCK_OK);
    wire_free(&w[0]);

    /* within one chain: a fixed permutation (37 is prime to 60) */
    for (i = 0; i < OOO; i++)
        enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', i), &w[i]);
    for (i = 0; i < OOO; i++) {
        unsigned k = (i * 37u) % OOO;

        assert_int_equal(dec(&pp->bob, &addr_alice, w[k].b, w[k].n,
                             w[k].type, out, &n), AIRLOCK_OK);
        payload(pt, 'a', k);
        assert_memory_equal(out, pt, 32);
    }
    /* each was delivered once; a second delivery is a replay */
    for (i = 0; i < OOO; i += 13)
        assert_int_equal(dec(&pp->bob, &addr_alice, w[i].b, w[i].n,
                             w[i].type, out, &n), AIRLOCK_ERR_DUPLICATE);
    for (i = 0; i < OOO; i++)
        wire_free(&w[i]);

    /* across chains: five held back, a ratchet turn, then the new chain
     * arrives before the old one */
    for (i = 0; i < 5; i++)
        enc(&pp->alice, &addr_bob, pt, payload(pt, 'L', i), &late[i]);
    enc(&pp->alice, &addr_bob, pt, payload(pt, 'x', 0), &w[0]);
    assert_int_equal(dec(&pp->bob, &addr_alice, w[0].b, w[0].n, w[0].type,
                         out, &n), AIRLOCK_OK);
    wire_free(&w[0]);
    enc(&pp->bob, &addr_alice, pt, payload(pt, 'b', 1), &w[0]);
    assert_int_equal(dec(&pp->alice, &addr_bob, w[0].b, w[0].n, w[0].type,
                         out, &n), AIRLOCK_OK);
    wire_free(&w[0]);
    enc(&pp->alice, &addr_bob, pt, payload(pt, 'N', 0), &w[0]);
    assert_int_equal(dec(&pp->bob, &addr_alice, w[0].b, w[0].n, w[0].type,
                         out, &n), AIRLOCK_OK);
    assert_memory_equal(out, pt, 32);
    wire_free(&w[0]);
    for (i = 5; i-- > 0;) {
        assert_int_equal(dec(&pp->bob, &addr_alice, late[i].b, late[i].n,
                             late[i].type, out, &n), AIRLOCK_OK);
        payload(pt, 'L', i);
        assert_memory_equal(out, pt, 32);
        wire_free(&late[i]);
    }
}

/* libsignal keeps at most 2000 skipped keys per chain: a message 2000
 * ahead is accepted, one further is refused (AUTH: nothing verifies). */
static void test_skip_window(void **state)
{
    pair *pp = *state;
    uint8_t pt[32], out[256];
    wire w;
    size_t n;
    unsigned i;

    handshake(pp);
    enc(&pp->bob, &addr_alice, pt, payload(pt, 'b', 0), &w);
    assert_int_equal(dec(&pp->alice, &addr_bob, w.b, w.n, w.type, out, &n),
                     AIRLOCK_OK);
    wire_free(&w);
    /* Alice's new chain: counters 0..2001 */
    for (i = 0; i <= 2001; i++) {
        enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', i), &w);
        if (i == 2001)
            assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type,
                                 out, &n), AIRLOCK_ERR_AUTH);
        if (i == 2000) {
            wire keep = w;

            w.b = NULL;
            /* deliver #2000 after #2001 failed: still in the window */
            enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', 2001), &w);
            assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type,
                                 out, &n), AIRLOCK_ERR_AUTH);
            assert_int_equal(dec(&pp->bob, &addr_alice, keep.b, keep.n,
                                 keep.type, out, &n), AIRLOCK_OK);
            payload(pt, 'a', 2000);
            assert_memory_equal(out, pt, 32);
            /* now #2001 is one ahead: fine */
            assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type,
                                 out, &n), AIRLOCK_OK);
            wire_free(&keep);
            wire_free(&w);
            break;
        }
        wire_free(&w);
    }
}

static bool same_buf(signal_buffer *a, signal_buffer *b)
{
    return a != NULL && b != NULL &&
           signal_buffer_len(a) == signal_buffer_len(b) &&
           memcmp(signal_buffer_data(a), signal_buffer_data(b),
                  signal_buffer_len(a)) == 0;
}

/* Whether `tampered` parses as the pre-key message `orig` with nothing
 * but a different registration id. */
static bool only_regid_differs(party *p, const uint8_t *orig,
                               const uint8_t *tampered, size_t n)
{
    pre_key_signal_message *a = NULL, *b = NULL;
    bool only = false;

    assert_int_equal(pre_key_signal_message_deserialize(&a, orig, n, p->sg),
                     0);
    if (pre_key_signal_message_deserialize(&b, tampered, n, p->sg) < 0)
        goto out;
    only = pre_key_signal_message_get_registration_id(a) !=
               pre_key_signal_message_get_registration_id(b) &&
           pre_key_signal_message_get_message_version(a) ==
               pre_key_signal_message_get_message_version(b) &&
           pre_key_signal_message_has_pre_key_id(a) ==
               pre_key_signal_message_has_pre_key_id(b) &&
           pre_key_signal_message_get_pre_key_id(a) ==
               pre_key_signal_message_get_pre_key_id(b) &&
           pre_key_signal_message_get_signed_pre_key_id(a) ==
               pre_key_signal_message_get_signed_pre_key_id(b) &&
           ec_public_key_compare(pre_key_signal_message_get_base_key(a),
                                 pre_key_signal_message_get_base_key(b)) ==
               0 &&
           ec_public_key_compare(pre_key_signal_message_get_identity_key(a),
                                 pre_key_signal_message_get_identity_key(b)) ==
               0 &&
           same_buf(ciphertext_message_get_serialized((ciphertext_message *)
                        pre_key_signal_message_get_signal_message(a)),
                    ciphertext_message_get_serialized((ciphertext_message *)
                        pre_key_signal_message_get_signal_message(b)));
out:
    SIGNAL_UNREF(a);
    SIGNAL_UNREF(b);
    return only;
}

static void test_tamper_and_replay(void **state)
{
    pair *pp = *state;
    uint8_t pt[32], out[256];
    size_t n, i, regid_bytes = 0;
    uint8_t *orig = NULL;
    wire first, w;

    assert_int_equal(build(&pp->alice, &addr_bob, &pp->bob, 1), AIRLOCK_OK);
    enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', 0), &first);
    assert_int_equal(first.type, CIPHERTEXT_PREKEY_TYPE);
    assert_non_null(orig = malloc(first.n));
    memcpy(orig, first.b, first.n);
    /* every byte of the pre-key message, flipped: refused, never opened,
     * and the session is not damaged (the real one still decrypts). The
     * exception is the sender's registration id, an outer field that
     * nothing authenticates (libsignal only records it); those bytes are
     * identified by parsing and skipped. */
    for (i = 0; i < first.n; i++) {
        airlock_err err;

        first.b[i] ^= 0x5a;
        if (only_regid_differs(&pp->bob, orig, first.b, first.n)) {
            regid_bytes++;
            first.b[i] ^= 0x5a;
            continue;
        }
        err = dec(&pp->bob, &addr_alice, first.b, first.n, first.type, out,
                  &n);
        first.b[i] ^= 0x5a;
        if (err != AIRLOCK_ERR_AUTH && err != AIRLOCK_ERR_MALFORMED &&
            err != AIRLOCK_ERR_NO_SESSION)
            fail_msg("pre-key message byte %zu of %zu: %s", i, first.n,
                     airlock_strerror(err));
    }
    /* a varint of 1..5 bytes (the registration id is 1..16380: 1 or 2) */
    assert_true(regid_bytes >= 1 && regid_bytes <= 5);
    assert_int_equal(pp->bob.ms->prekeys_removed, 0);
    assert_int_equal(dec(&pp->bob, &addr_alice, first.b, first.n, first.type,
                         out, &n), AIRLOCK_OK);
    assert_memory_equal(out, pt, 32);
    /* the pre-key message again: a replay */
    assert_int_equal(dec(&pp->bob, &addr_alice, first.b, first.n, first.type,
                         out, &n), AIRLOCK_ERR_DUPLICATE);

    enc(&pp->bob, &addr_alice, pt, payload(pt, 'b', 0), &w);
    assert_int_equal(dec(&pp->alice, &addr_bob, w.b, w.n, w.type, out, &n),
                     AIRLOCK_OK);
    wire_free(&w);
    enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', 1), &w);
    assert_int_equal(w.type, CIPHERTEXT_SIGNAL_TYPE);
    for (i = 0; i < w.n; i++) {
        airlock_err err;
        unsigned bit;

        for (bit = 0; bit < 8; bit += 3) {
            w.b[i] ^= (uint8_t)(1u << bit);
            err = dec(&pp->bob, &addr_alice, w.b, w.n, w.type, out, &n);
            w.b[i] ^= (uint8_t)(1u << bit);
            assert_true(err == AIRLOCK_ERR_AUTH ||
                        err == AIRLOCK_ERR_MALFORMED);
        }
    }
    /* truncated and extended */
    assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n - 1, w.type, out,
                         &n) < 0, 1);
    assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type, out, &n),
                     AIRLOCK_OK);
    assert_memory_equal(out, pt, 32);
    assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type, out, &n),
                     AIRLOCK_ERR_DUPLICATE);
    /* a signal message offered as a pre-key message does not parse */
    assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n,
                         CIPHERTEXT_PREKEY_TYPE, out, &n),
                     AIRLOCK_ERR_MALFORMED);
    wire_free(&w);
    wire_free(&first);
    free(orig);
}

static void test_untrusted_and_no_session(void **state)
{
    pair *pp = *state;
    party mallory;
    uint8_t pt[32], out[256];
    static const uint8_t junk[] = { 0x33, 0x0a, 0x21, 0x05, 0x00 };
    size_t n;
    wire w;

    handshake(pp);
    /* Mallory publishes a bundle as "bob": a different identity key for a
     * known address is untrusted under classic TOFU (Airlock's own store
     * callbacks record it instead; see test with the real store). */
    party_init(&mallory, 0x66);
    pp->alice.ms->strict_tofu = 1;
    assert_int_equal(build(&pp->alice, &addr_bob, &mallory, 1),
                     AIRLOCK_ERR_UNTRUSTED_IDENTITY);
    party_clear(&mallory);

    /* Alice has no session with "carol": a signal message (Bob's, but
     * delivered as if from carol) finds none */
    enc(&pp->bob, &addr_alice, pt, payload(pt, 'b', 0), &w);
    assert_int_equal(w.type, CIPHERTEXT_SIGNAL_TYPE);
    assert_int_equal(dec(&pp->alice, &addr_carol, w.b, w.n, w.type, out, &n),
                     AIRLOCK_ERR_NO_SESSION);
    /* and the same from bob is fine */
    assert_int_equal(dec(&pp->alice, &addr_bob, w.b, w.n, w.type, out, &n),
                     AIRLOCK_OK);
    wire_free(&w);
    /* bytes that are no message at all */
    assert_int_equal(dec(&pp->bob, &addr_alice, junk, sizeof junk,
                         CIPHERTEXT_SIGNAL_TYPE, out, &n),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(dec(&pp->bob, &addr_alice, junk, sizeof junk,
                         CIPHERTEXT_PREKEY_TYPE, out, &n),
                     AIRLOCK_ERR_MALFORMED);
}

/* Sessions without a one-time prekey work too (bundle's prekeys ran out). */
static void test_no_one_time_prekey(void **state)
{
    pair *pp = *state;
    uint8_t pt[32], out[256];
    size_t n;
    wire w;

    assert_int_equal(build(&pp->alice, &addr_bob, &pp->bob, 0), AIRLOCK_OK);
    enc(&pp->alice, &addr_bob, pt, payload(pt, 'a', 0), &w);
    assert_int_equal(w.type, CIPHERTEXT_PREKEY_TYPE);
    assert_int_equal(dec(&pp->bob, &addr_alice, w.b, w.n, w.type, out, &n),
                     AIRLOCK_OK);
    assert_memory_equal(out, pt, 32);
    assert_int_equal(pp->bob.ms->prekeys_removed, 0);
    wire_free(&w);
}

/* ====================================================================== */
/* Part 2: the store-backed crypto_ctx API over a real store/              */
/* ====================================================================== */

typedef struct dev {
    char dir[512];
    store *st;
    crypto_ctx *c;
    const char *addr;
    uint32_t id;
} dev;

typedef struct world {
    char base[256];
    dev alice, bob, mallory;
} world;

static void dev_open(world *w, dev *d, const char *addr, uint32_t id,
                     bool create)
{
    store_open_args a;

    memset(&a, 0, sizeof a);
    if (create) {
        d->addr = addr;
        d->id = id;
        snprintf(d->dir, sizeof d->dir, "%s/%s", w->base, addr);
    }
    a.dir = d->dir;
    a.mode = STORE_NO_PASSPHRASE;
    a.create = create;
    a.fast_kdf = true;
    assert_int_equal(store_open(&a, &d->st), AIRLOCK_OK);
    assert_int_equal(crypto_ctx_new(d->st, NULL, &d->c), AIRLOCK_OK);
    if (create)
        assert_int_equal(crypto_account_generate(d->c, id, 5), AIRLOCK_OK);
}

static void dev_close(dev *d)
{
    crypto_ctx_free(d->c);
    store_close(d->st);
    d->c = NULL;
    d->st = NULL;
}

/* Remove a directory tree the test made (no symlinks are followed). */
static void rm_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    if ((d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            char sub[1024];

            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) <
                (int)sizeof sub)
                rm_tree(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

static int world_setup(void **state)
{
    world *w = calloc(1, sizeof *w);

    if (w == NULL)
        return -1;
    snprintf(w->base, sizeof w->base, "/tmp/airlock-crypto-XXXXXX");
    if (mkdtemp(w->base) == NULL)
        return -1;
    dev_open(w, &w->alice, "alice", 11, true);
    dev_open(w, &w->bob, "bob", 22, true);
    dev_open(w, &w->mallory, "mallory", 22, true);
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;

    dev_close(&w->alice);
    dev_close(&w->bob);
    dev_close(&w->mallory);
    rm_tree(w->base);
    free(w);
    return 0;
}

/* to builds a session with from's device (as `as`), using the first
 * published one-time prekey (or none). */
static airlock_err connect(dev *to, dev *from, const char *as, bool otk,
                           uint32_t *used)
{
    uint8_t *bundle = NULL, *pubs = NULL;
    uint32_t *ids = NULL;
    size_t bn = 0, count = 0;
    crypto_bundle b;
    airlock_err err;

    assert_int_equal(crypto_bundle_export(from->c, &bundle, &bn), AIRLOCK_OK);
    assert_int_equal(crypto_bundle_parse(bundle, bn, &b), AIRLOCK_OK);
    assert_int_equal(crypto_prekeys_public(from->c, &ids, &pubs, &count),
                     AIRLOCK_OK);
    assert_true(count > 0);
    if (used != NULL)
        *used = otk ? ids[0] : 0;
    err = crypto_session_from_bundle(to->c, as, &b, otk ? ids[0] : 0,
                                     otk ? pubs : NULL);
    free(bundle);
    free(ids);
    free(pubs);
    return err;
}

typedef struct msg {
    uint8_t *ct;
    size_t n;
    bool prekey;
} msg;

static void send_key(dev *from, dev *to, const uint8_t pt[32], msg *m)
{
    assert_int_equal(crypto_encrypt_key(from->c, to->addr, to->id, pt, 32,
                                        &m->ct, &m->n, &m->prekey),
                     AIRLOCK_OK);
    assert_true(m->n > 0 && m->n <= CRYPTO_SIGNAL_MSG_MAX);
}

static airlock_err recv_key(dev *to, const char *from, uint32_t dev_id,
                            const msg *m, uint8_t out[64], bool *changed)
{
    size_t n = 0;
    airlock_err err = crypto_decrypt_key(to->c, from, dev_id, m->ct, m->n,
                                         m->prekey, out, 64, &n, changed);

    if (err == AIRLOCK_OK)
        assert_int_equal(n, 32);
    return err;
}

static void msg_free(msg *m)
{
    free(m->ct);
    memset(m, 0, sizeof *m);
}

static void test_ctx_account(void **state)
{
    world *w = *state;
    uint8_t pub[CRYPTO_KEY_PUB], pub2[CRYPTO_KEY_PUB], *bundle = NULL;
    uint8_t *pubs = NULL, *npubs = NULL;
    uint32_t *ids = NULL, *nids = NULL, reg;
    size_t bn = 0, count = 0, i;
    crypto_bundle b;

    assert_int_equal(crypto_device_id(w->bob.c), 22);
    reg = crypto_registration_id(w->bob.c);
    assert_true(reg >= 1 && reg <= 16380);
    assert_int_equal(crypto_identity_pub(w->bob.c, pub), AIRLOCK_OK);
    assert_int_equal(pub[0], 0x05);
    assert_int_equal(crypto_account_generate(w->bob.c, 22, 5),
                     AIRLOCK_ERR_EXISTS);

    assert_int_equal(crypto_bundle_export(w->bob.c, &bundle, &bn),
                     AIRLOCK_OK);
    assert_int_equal(bn, CRYPTO_BUNDLE_V1_LEN);
    assert_int_equal(crypto_bundle_parse(bundle, bn, &b), AIRLOCK_OK);
    assert_int_equal(b.device_id, 22);
    assert_int_equal(b.registration_id, reg);
    assert_int_equal(b.signed_prekey_id, 1);
    assert_memory_equal(b.identity, pub, CRYPTO_KEY_PUB);
    free(bundle);

    assert_int_equal(crypto_prekeys_public(w->bob.c, &ids, &pubs, &count),
                     AIRLOCK_OK);
    assert_int_equal(count, 5);
    for (i = 0; i < count; i++) {
        assert_int_equal(ids[i], i + 1);
        assert_int_equal(pubs[i * CRYPTO_KEY_PUB], 0x05);
    }
    assert_int_equal(crypto_prekeys_generate(w->bob.c, 3, &nids, &npubs),
                     AIRLOCK_OK);
    for (i = 0; i < 3; i++)
        assert_int_equal(nids[i], 6 + i);
    free(ids);
    free(pubs);
    assert_int_equal(crypto_prekeys_public(w->bob.c, &ids, &pubs, &count),
                     AIRLOCK_OK);
    assert_int_equal(count, 8);
    assert_int_equal(ids[7], 8);
    assert_memory_equal(pubs + 5 * CRYPTO_KEY_PUB, npubs, 3 * CRYPTO_KEY_PUB);
    free(ids);
    free(pubs);
    free(nids);
    free(npubs);

    /* reopening finds the same account */
    dev_close(&w->bob);
    dev_open(w, &w->bob, NULL, 0, false);
    assert_int_equal(crypto_device_id(w->bob.c), 22);
    assert_int_equal(crypto_registration_id(w->bob.c), reg);
    assert_int_equal(crypto_identity_pub(w->bob.c, pub2), AIRLOCK_OK);
    assert_memory_equal(pub, pub2, CRYPTO_KEY_PUB);
}

static void test_ctx_session(void **state)
{
    world *w = *state;
    uint8_t pt[32], out[64], small[16];
    uint32_t used = 0;
    uint64_t calls0;
    bool changed = true;
    airlock_err err;
    size_t n, i;
    msg m, r;

    assert_false(crypto_has_session(w->alice.c, "bob", 22));
    assert_int_equal(connect(&w->alice, &w->bob, "bob", true, &used),
                     AIRLOCK_OK);
    assert_true(crypto_has_session(w->alice.c, "bob", 22));

    calls0 = crypto_decrypt_calls(w->bob.c);
    payload(pt, 'a', 0);
    send_key(&w->alice, &w->bob, pt, &m);
    assert_true(m.prekey);
    /* a buffer too small refuses the message without losing it */
    assert_int_equal(crypto_decrypt_key(w->bob.c, "alice", 11, m.ct, m.n,
                                        true, small, sizeof small, &n,
                                        &changed), AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(n, 0);
    assert_int_equal(crypto_last_used_prekey(w->bob.c), 0);
    /* the wrong kind does not parse */
    assert_int_equal(recv_key(&w->bob, "alice", 11,
                              &(msg){ m.ct, m.n, false }, out, &changed),
                     AIRLOCK_ERR_MALFORMED);
    assert_int_equal(recv_key(&w->bob, "alice", 11, &m, out, &changed),
                     AIRLOCK_OK);
    assert_memory_equal(out, pt, 32);
    assert_false(changed);
    assert_int_equal(crypto_last_used_prekey(w->bob.c), used);
    assert_int_equal(crypto_decrypt_calls(w->bob.c), calls0 + 3);
    /* replay */
    assert_int_equal(recv_key(&w->bob, "alice", 11, &m, out, &changed),
                     AIRLOCK_ERR_DUPLICATE);
    assert_int_equal(crypto_last_used_prekey(w->bob.c), 0);
    msg_free(&m);
    {
        uint32_t *ids = NULL;
        uint8_t *pubs = NULL;
        size_t count = 0;

        assert_int_equal(crypto_prekeys_public(w->bob.c, &ids, &pubs,
                                               &count), AIRLOCK_OK);
        assert_int_equal(count, 4);
        for (i = 0; i < count; i++)
            assert_int_not_equal(ids[i], used);
        free(ids);
        free(pubs);
    }

    /* back and forth, through the store */
    for (i = 0; i < 40; i++) {
        payload(pt, 'b', (unsigned)i);
        send_key(&w->bob, &w->alice, pt, &r);
        assert_false(r.prekey);
        assert_int_equal(recv_key(&w->alice, "bob", 22, &r, out, &changed),
                         AIRLOCK_OK);
        assert_memory_equal(out, pt, 32);
        msg_free(&r);
        payload(pt, 'a', (unsigned)i + 1);
        send_key(&w->alice, &w->bob, pt, &m);
        assert_false(m.prekey);
        /* tampered first: refused, session unharmed */
        m.ct[m.n / 2] ^= 0x10;
        err = recv_key(&w->bob, "alice", 11, &m, out, &changed);
        assert_true(err == AIRLOCK_ERR_AUTH || err == AIRLOCK_ERR_MALFORMED);
        m.ct[m.n / 2] ^= 0x10;
        assert_int_equal(recv_key(&w->bob, "alice", 11, &m, out, &changed),
                         AIRLOCK_OK);
        assert_memory_equal(out, pt, 32);
        msg_free(&m);
    }

    /* the session outlives the context */
    dev_close(&w->bob);
    dev_open(w, &w->bob, NULL, 0, false);
    payload(pt, 'a', 99);
    send_key(&w->alice, &w->bob, pt, &m);
    assert_int_equal(recv_key(&w->bob, "alice", 11, &m, out, &changed),
                     AIRLOCK_OK);
    assert_memory_equal(out, pt, 32);
    msg_free(&m);

    /* no session, and limits */
    assert_int_equal(crypto_encrypt_key(w->alice.c, "carol", 3, pt, 32, &m.ct,
                                        &m.n, &m.prekey),
                     AIRLOCK_ERR_NO_SESSION);
    payload(pt, 'b', 77);
    send_key(&w->bob, &w->alice, pt, &r);
    assert_int_equal(recv_key(&w->alice, "carol", 3, &r, out, &changed),
                     AIRLOCK_ERR_NO_SESSION);
    msg_free(&r);
    {
        uint8_t big[CRYPTO_SIGNAL_MSG_MAX + 1];

        memset(big, 0x33, sizeof big);
        assert_int_equal(crypto_decrypt_key(w->bob.c, "alice", 11, big,
                                            sizeof big, false, out, 64, &n,
                                            &changed),
                         AIRLOCK_ERR_TOO_LARGE);
        assert_int_equal(crypto_decrypt_key(w->bob.c, "alice", 11, big, 40,
                                            false, out, 64, &n, &changed),
                         AIRLOCK_ERR_MALFORMED);
    }
}

static void test_ctx_bundle_signature(void **state)
{
    world *w = *state;
    uint8_t *bundle = NULL;
    size_t bn = 0;
    crypto_bundle b;

    assert_int_equal(crypto_bundle_export(w->bob.c, &bundle, &bn),
                     AIRLOCK_OK);
    assert_int_equal(crypto_bundle_parse(bundle, bn, &b), AIRLOCK_OK);
    free(bundle);
    b.signature[10] ^= 0x04;
    assert_int_equal(crypto_session_from_bundle(w->alice.c, "bob", &b, 0,
                                                NULL), AIRLOCK_ERR_AUTH);
    b.signature[10] ^= 0x04;
    b.signed_prekey[3] ^= 0x01;
    assert_int_equal(crypto_session_from_bundle(w->alice.c, "bob", &b, 0,
                                                NULL), AIRLOCK_ERR_AUTH);
    assert_false(crypto_has_session(w->alice.c, "bob", 22));
    b.signed_prekey[3] ^= 0x01;
    /* no one-time prekey: fine */
    assert_int_equal(crypto_session_from_bundle(w->alice.c, "bob", &b, 0,
                                                NULL), AIRLOCK_OK);
    assert_true(crypto_has_session(w->alice.c, "bob", 22));
}

/* A new identity key for a known (address, device) is recorded, not
 * refused; a forged pre-key message with a new key and a bad MAC records
 * nothing. */
static void test_ctx_identity_change(void **state)
{
    world *w = *state;
    uint8_t pt[32], out[64], alice_pub[33], mal_pub[33];
    store_remote_id rid;
    pre_key_signal_message *pm = NULL;
    signal_buffer *inner;
    bool changed = false;
    msg m, forged;
    uint8_t *at;
    size_t i;

    assert_int_equal(crypto_identity_pub(w->alice.c, alice_pub), AIRLOCK_OK);
    assert_int_equal(crypto_identity_pub(w->mallory.c, mal_pub), AIRLOCK_OK);
    assert_int_equal(connect(&w->alice, &w->bob, "bob", true, NULL),
                     AIRLOCK_OK);
    payload(pt, 'a', 0);
    send_key(&w->alice, &w->bob, pt, &m);
    assert_int_equal(recv_key(&w->bob, "alice", 11, &m, out, &changed),
                     AIRLOCK_OK);
    assert_false(changed);
    msg_free(&m);
    memset(&rid, 0, sizeof rid);
    assert_int_equal(store_rid_get(w->bob.st, "alice", 11, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_FIRST_USE);
    assert_memory_equal(rid.key, alice_pub, 33);

    /* Mallory's pre-key message reaches Bob as if from alice's device 11
     * (the transport names the sender): a new identity key for it */
    assert_int_equal(connect(&w->mallory, &w->bob, "bob", true, NULL),
                     AIRLOCK_OK);
    send_key(&w->mallory, &w->bob, pt, &m);
    assert_true(m.prekey);
    /* forged: the ciphertext inside, flipped; MAC fails */
    forged.n = m.n;
    forged.prekey = true;
    assert_non_null(forged.ct = malloc(m.n));
    memcpy(forged.ct, m.ct, m.n);
    {
        crypto_prov p;
        signal_context *sg = NULL;

        assert_int_equal(crypto_prov_init(&p, NULL), AIRLOCK_OK);
        assert_int_equal(crypto_prov_context(&p, &sg), AIRLOCK_OK);
        assert_int_equal(pre_key_signal_message_deserialize(&pm, m.ct, m.n,
                                                            sg), 0);
        inner = ciphertext_message_get_serialized(
            (ciphertext_message *)pre_key_signal_message_get_signal_message(
                pm));
        at = NULL;
        for (i = 0; i + signal_buffer_len(inner) <= m.n; i++)
            if (memcmp(m.ct + i, signal_buffer_data(inner),
                       signal_buffer_len(inner)) == 0)
                at = forged.ct + i;
        assert_non_null(at);
        at[signal_buffer_len(inner) / 2] ^= 0x01;
        SIGNAL_UNREF(pm);
        signal_context_destroy(sg);
        crypto_prov_clear(&p);
    }
    assert_int_equal(recv_key(&w->bob, "alice", 11, &forged, out, &changed),
                     AIRLOCK_ERR_AUTH);
    assert_false(changed);
    memset(&rid, 0, sizeof rid);
    assert_int_equal(store_rid_get(w->bob.st, "alice", 11, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_FIRST_USE);
    assert_memory_equal(rid.key, alice_pub, 33);
    msg_free(&forged);

    /* the real one: decrypts, and the device is marked CHANGED, old key
     * kept, new key pending */
    assert_int_equal(recv_key(&w->bob, "alice", 11, &m, out, &changed),
                     AIRLOCK_OK);
    assert_true(changed);
    memset(&rid, 0, sizeof rid);
    assert_int_equal(store_rid_get(w->bob.st, "alice", 11, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_CHANGED);
    assert_memory_equal(rid.key, alice_pub, 33);
    assert_int_equal(rid.pending_n, 33);
    assert_memory_equal(rid.pending, mal_pub, 33);
    msg_free(&m);

    /* building towards a changed key is not refused either */
    assert_int_equal(connect(&w->alice, &w->mallory, "bob", true, NULL),
                     AIRLOCK_OK);
    memset(&rid, 0, sizeof rid);
    assert_int_equal(store_rid_get(w->alice.st, "bob", 22, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_CHANGED);
}

static void test_ctx_safety_number(void **state)
{
    world *w = *state;
    uint8_t ap[33], bp[33];
    char sa[AIRLOCK_SAFETY_NUMBER_LEN], sb[AIRLOCK_SAFETY_NUMBER_LEN];
    size_t i;

    assert_int_equal(crypto_identity_pub(w->alice.c, ap), AIRLOCK_OK);
    assert_int_equal(crypto_identity_pub(w->bob.c, bp), AIRLOCK_OK);
    assert_int_equal(crypto_safety_number(w->alice.c, "alice", "bob", bp, sa),
                     AIRLOCK_OK);
    assert_int_equal(crypto_safety_number(w->bob.c, "bob", "alice", ap, sb),
                     AIRLOCK_OK);
    assert_string_equal(sa, sb);
    assert_int_equal(strlen(sa), 71);
    for (i = 0; i < 71; i++) {
        if (i % 6 == 5)
            assert_int_equal(sa[i], ' ');
        else
            assert_true(sa[i] >= '0' && sa[i] <= '9');
    }
    /* another key, another number */
    bp[7] ^= 1;
    assert_int_equal(crypto_safety_number(w->alice.c, "alice", "bob", bp, sb),
                     AIRLOCK_OK);
    assert_string_not_equal(sa, sb);
    assert_int_equal(crypto_safety_number(w->alice.c, "alice", "", bp, sb),
                     AIRLOCK_ERR_ARG);
    assert_string_equal(sb, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_x3dh_1000_each_way, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_skip_window, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tamper_and_replay, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_and_no_session,
                                        pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_no_one_time_prekey, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_ctx_account, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(test_ctx_session, world_setup,
                                        world_teardown),
        cmocka_unit_test_setup_teardown(test_ctx_bundle_signature,
                                        world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_ctx_identity_change,
                                        world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_ctx_safety_number, world_setup,
                                        world_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
