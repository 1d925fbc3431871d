/*
 * bench.c - the benchmark's baseline: libsignal-protocol-c alone, with
 * Airlock's crypto provider and in-memory stores (mem_store.c), no store,
 * no envelope, no gate. Used by bench/airlock-bench only.
 */
#include <key_helper.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>

#include "crypto/crypto_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/bench.h"
#include "crypto/mem_store.h"

#define BENCH_PENDING_MAX 100000u

typedef struct bparty {
    crypto_prov prov;
    signal_context *sg;
    signal_protocol_store_context *sgs;
    mem_store *ms;
    ec_public_key *id_pub, *spk_pub;
    uint8_t spk_sig[64];
} bparty;

typedef struct bmsg {
    uint8_t *b;
    size_t n;
    int type;
} bmsg;

struct crypto_bench {
    bparty a, b;
    signal_protocol_address to_b, to_a;
    bmsg *pending;
    size_t npending;
    uint32_t next_setup;
};

static void party_clear(bparty *p)
{
    SIGNAL_UNREF(p->id_pub);
    SIGNAL_UNREF(p->spk_pub);
    if (p->sgs != NULL)
        signal_protocol_store_context_destroy(p->sgs);
    if (p->sg != NULL)
        signal_context_destroy(p->sg);
    crypto_prov_clear(&p->prov);
    if (p->ms != NULL) {
        mem_store_clear(p->ms);
        free(p->ms);
    }
    memset(p, 0, sizeof *p);
}

static airlock_err party_init(bparty *p)
{
    ratchet_identity_key_pair *idp = NULL;
    session_signed_pre_key *spk = NULL;
    signal_buffer *b = NULL;
    airlock_err err = AIRLOCK_ERR_CRYPTO;

    memset(p, 0, sizeof *p);
    if ((err = crypto_prov_init(&p->prov, NULL)) != AIRLOCK_OK ||
        (err = crypto_prov_context(&p->prov, &p->sg)) != AIRLOCK_OK)
        return err;
    err = AIRLOCK_ERR_CRYPTO;
    if (signal_protocol_store_context_create(&p->sgs, p->sg) != 0 ||
        (p->ms = calloc(1, sizeof *p->ms)) == NULL ||
        mem_store_install(p->ms, p->sgs) != 0)
        goto out;
    if (signal_protocol_key_helper_generate_identity_key_pair(&idp,
                                                              p->sg) != 0 ||
        ec_public_key_serialize(&b, ratchet_identity_key_pair_get_public(
                                        idp)) != 0)
        goto out;
    memcpy(p->ms->pub, signal_buffer_data(b), 33);
    signal_buffer_free(b);
    b = NULL;
    if (ec_private_key_serialize(&b, ratchet_identity_key_pair_get_private(
                                         idp)) != 0)
        goto out;
    memcpy(p->ms->priv, signal_buffer_data(b), 32);
    signal_buffer_bzero_free(b);
    b = NULL;
    p->id_pub = ratchet_identity_key_pair_get_public(idp);
    SIGNAL_REF(p->id_pub);
    if (signal_protocol_key_helper_generate_registration_id(
            &p->ms->registration_id, 0, p->sg) != 0 ||
        signal_protocol_key_helper_generate_signed_pre_key(&spk, idp, 1, 0,
                                                           p->sg) != 0 ||
        signal_protocol_signed_pre_key_store_key(p->sgs, spk) != 0)
        goto out;
    memcpy(p->spk_sig, session_signed_pre_key_get_signature(spk), 64);
    p->spk_pub = ec_key_pair_get_public(session_signed_pre_key_get_key_pair(
                                            spk));
    SIGNAL_REF(p->spk_pub);
    err = AIRLOCK_OK;
out:
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(idp);
    return err;
}

/* `to` builds a session with `from` from from's bundle (no one-time key:
 * the in-memory store keeps few, and a session needs none). */
static airlock_err build(bparty *to, const signal_protocol_address *addr,
                         bparty *from)
{
    session_pre_key_bundle *bundle = NULL;
    session_builder *builder = NULL;
    int r = -1;

    if (session_pre_key_bundle_create(&bundle, from->ms->registration_id, 1,
                                      0, NULL, 1, from->spk_pub,
                                      from->spk_sig, 64, from->id_pub) == 0 &&
        session_builder_create(&builder, to->sgs, addr, to->sg) == 0)
        r = session_builder_process_pre_key_bundle(builder, bundle);
    session_builder_free(builder);
    SIGNAL_UNREF(bundle);
    return r == 0 ? AIRLOCK_OK : AIRLOCK_ERR_CRYPTO;
}

static airlock_err encrypt_one(bparty *p, const signal_protocol_address *to,
                               const uint8_t *pt, size_t n, bmsg *m)
{
    session_cipher *c = NULL;
    ciphertext_message *cm = NULL;
    signal_buffer *s;
    airlock_err err = AIRLOCK_ERR_CRYPTO;

    if (session_cipher_create(&c, p->sgs, to, p->sg) != 0 ||
        session_cipher_encrypt(c, pt, n, &cm) != 0)
        goto out;
    s = ciphertext_message_get_serialized(cm);
    m->n = signal_buffer_len(s);
    if ((m->b = malloc(m->n)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    memcpy(m->b, signal_buffer_data(s), m->n);
    m->type = ciphertext_message_get_type(cm);
    err = AIRLOCK_OK;
out:
    SIGNAL_UNREF(cm);
    session_cipher_free(c);
    return err;
}

static airlock_err decrypt_one(bparty *p, const signal_protocol_address *from,
                               const bmsg *m)
{
    pre_key_signal_message *pm = NULL;
    signal_message *sm = NULL;
    session_cipher *c = NULL;
    signal_buffer *plain = NULL;
    int r;

    r = m->type == CIPHERTEXT_PREKEY_TYPE ?
        pre_key_signal_message_deserialize(&pm, m->b, m->n, p->sg) :
        signal_message_deserialize(&sm, m->b, m->n, p->sg);
    if (r == 0 && (r = session_cipher_create(&c, p->sgs, from, p->sg)) == 0)
        r = m->type == CIPHERTEXT_PREKEY_TYPE ?
            session_cipher_decrypt_pre_key_signal_message(c, pm, NULL,
                                                          &plain) :
            session_cipher_decrypt_signal_message(c, sm, NULL, &plain);
    signal_buffer_bzero_free(plain);
    session_cipher_free(c);
    SIGNAL_UNREF(pm);
    SIGNAL_UNREF(sm);
    return r == 0 ? AIRLOCK_OK : AIRLOCK_ERR_CRYPTO;
}

static void drop_pending(crypto_bench *bn)
{
    size_t i;

    for (i = 0; i < bn->npending; i++)
        free(bn->pending[i].b);
    bn->npending = 0;
}

void crypto_bench_free(crypto_bench *bn)
{
    if (bn == NULL)
        return;
    drop_pending(bn);
    free(bn->pending);
    party_clear(&bn->a);
    party_clear(&bn->b);
    free(bn);
}

airlock_err crypto_bench_new(crypto_bench **out)
{
    static const char na[] = "alice", nb[] = "bob";
    static const uint8_t hello[100] = { 'h', 'i' };
    crypto_bench *bn;
    bmsg m;
    airlock_err err;

    *out = NULL;
    if ((bn = calloc(1, sizeof *bn)) == NULL ||
        (bn->pending = calloc(BENCH_PENDING_MAX, sizeof *bn->pending)) ==
            NULL) {
        free(bn);
        return AIRLOCK_ERR_NOMEM;
    }
    bn->to_b.name = nb;
    bn->to_b.name_len = sizeof nb - 1;
    bn->to_b.device_id = 1;
    bn->to_a.name = na;
    bn->to_a.name_len = sizeof na - 1;
    bn->to_a.device_id = 1;
    if ((err = party_init(&bn->a)) != AIRLOCK_OK ||
        (err = party_init(&bn->b)) != AIRLOCK_OK ||
        (err = build(&bn->a, &bn->to_b, &bn->b)) != AIRLOCK_OK)
        goto fail;
    /* One round trip, so both sides are past the prekey message: the
     * steady state. */
    memset(&m, 0, sizeof m);
    if ((err = encrypt_one(&bn->a, &bn->to_b, hello, sizeof hello, &m)) !=
        AIRLOCK_OK)
        goto fail;
    err = decrypt_one(&bn->b, &bn->to_a, &m);
    free(m.b);
    memset(&m, 0, sizeof m);
    if (err != AIRLOCK_OK ||
        (err = encrypt_one(&bn->b, &bn->to_a, hello, sizeof hello, &m)) !=
            AIRLOCK_OK)
        goto fail;
    err = decrypt_one(&bn->a, &bn->to_b, &m);
    free(m.b);
    if (err != AIRLOCK_OK)
        goto fail;
    *out = bn;
    return AIRLOCK_OK;
fail:
    crypto_bench_free(bn);
    return err;
}

airlock_err crypto_bench_encrypt(crypto_bench *bn, size_t count, size_t len)
{
    uint8_t pt[1024];
    size_t i;
    airlock_err err;

    if (len > sizeof pt || count > BENCH_PENDING_MAX - bn->npending)
        return AIRLOCK_ERR_ARG;
    memset(pt, 'x', len);
    for (i = 0; i < count; i++)
        if ((err = encrypt_one(&bn->a, &bn->to_b, pt, len,
                               &bn->pending[bn->npending++])) != AIRLOCK_OK)
            return err;
    return AIRLOCK_OK;
}

airlock_err crypto_bench_decrypt(crypto_bench *bn, size_t *count)
{
    size_t i;
    airlock_err err = AIRLOCK_OK;

    for (i = 0; i < bn->npending && err == AIRLOCK_OK; i++)
        err = decrypt_one(&bn->b, &bn->to_a, &bn->pending[i]);
    *count = i;
    drop_pending(bn);
    return err;
}

airlock_err crypto_bench_setup(crypto_bench *bn, size_t count)
{
    char name[32];
    size_t i;
    airlock_err err;

    for (i = 0; i < count; i++) {
        signal_protocol_address addr;
        int n = snprintf(name, sizeof name, "peer%u",
                         bn->next_setup++ % 32u);

        addr.name = name;
        addr.name_len = (size_t)n;
        addr.device_id = 1;
        if ((err = build(&bn->a, &addr, &bn->b)) != AIRLOCK_OK)
            return err;
        /* keep the in-memory store small: forget that session again */
        (void)signal_protocol_session_delete_session(bn->a.sgs, &addr);
    }
    return AIRLOCK_OK;
}
