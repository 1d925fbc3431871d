/*
 * account.c - account and prekey generation, and exporting the local
 * bundle (its byte format is in bundle.c and docs/CRYPTO.md).
 */
#include "crypto/crypto_int.h"

#include <key_helper.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* ---- helpers ---- */

/* A libsignal public key as its 33-byte serialization. */
static airlock_err pub_bytes(crypto_ctx *c, const ec_public_key *k,
                             uint8_t out[CRYPTO_KEY_PUB])
{
    signal_buffer *b = NULL;
    airlock_err err;
    int r;

    if ((r = ec_public_key_serialize(&b, k)) < 0)
        return crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
    if (signal_buffer_len(b) != CRYPTO_KEY_PUB) {
        err = AIRLOCK_ERR_CRYPTO;
        goto out;
    }
    memcpy(out, signal_buffer_data(b), CRYPTO_KEY_PUB);
    err = AIRLOCK_OK;
out:
    signal_buffer_free(b);
    return err;
}

static airlock_err next_prekey_get(crypto_ctx *c, uint32_t *next)
{
    uint8_t *v = NULL;
    size_t n = 0;
    airlock_err err;
    rd r;

    *next = 1;
    err = store_meta_get(c->st, CRYPTO_META_NEXT_PREKEY, &v, &n);
    if (err == AIRLOCK_ERR_NOT_FOUND)
        return AIRLOCK_OK;
    if (err != AIRLOCK_OK)
        return err;
    r = rd_make(v, n);
    if (rd_u32be(&r, next) != AIRLOCK_OK || rd_done(&r) != AIRLOCK_OK ||
        *next == 0 || *next > CRYPTO_PREKEY_ID_MAX + 1u) {
        *next = 1;
        err = AIRLOCK_ERR_CORRUPT;
    }
    free(v);
    return err;
}

static airlock_err next_prekey_set(crypto_ctx *c, uint32_t next)
{
    uint8_t v[4];

    v[0] = (uint8_t)(next >> 24);
    v[1] = (uint8_t)(next >> 16);
    v[2] = (uint8_t)(next >> 8);
    v[3] = (uint8_t)next;
    return store_meta_set(c->st, CRYPTO_META_NEXT_PREKEY, v, sizeof v);
}

/* Generate and store `count` one-time prekeys with ids from *next on
 * (wrapping past CRYPTO_PREKEY_ID_MAX, skipping ids still in use); *next
 * is advanced. ids/pubs may be NULL. Caller holds a transaction. */
static airlock_err prekeys_make(crypto_ctx *c, uint32_t count,
                                uint32_t *next, uint32_t *ids, uint8_t *pubs)
{
    ec_key_pair *kp = NULL;
    session_pre_key *pk = NULL;
    signal_buffer *rec = NULL;
    uint32_t id = *next, made = 0, inuse = 0, tries = 0;
    airlock_err err;
    bool has;
    int r;

    if ((err = store_sig_prekey_count(c->st, &inuse)) != AIRLOCK_OK)
        return err;
    while (made < count) {
        /* Each id in use can be skipped once: linear, and it ends. */
        if (tries++ > count + inuse) {
            err = AIRLOCK_ERR_STATE;
            goto out;
        }
        if (id == 0 || id > CRYPTO_PREKEY_ID_MAX)
            id = 1;
        if ((err = store_sig_prekey_has(c->st, id, &has)) != AIRLOCK_OK)
            goto out;
        if (has) {
            id++;
            continue;
        }
        if ((r = curve_generate_key_pair(c->sg, &kp)) < 0 ||
            (r = session_pre_key_create(&pk, id, kp)) < 0 ||
            (r = session_pre_key_serialize(&rec, pk)) < 0) {
            err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
            goto out;
        }
        if ((err = store_sig_prekey_put(c->st, id, signal_buffer_data(rec),
                                        signal_buffer_len(rec))) !=
            AIRLOCK_OK)
            goto out;
        if (pubs != NULL &&
            (err = pub_bytes(c, ec_key_pair_get_public(kp),
                             pubs + (size_t)made * CRYPTO_KEY_PUB)) !=
                AIRLOCK_OK)
            goto out;
        if (ids != NULL)
            ids[made] = id;
        signal_buffer_bzero_free(rec);
        rec = NULL;
        SIGNAL_UNREF(pk);
        SIGNAL_UNREF(kp);
        made++;
        id++;
    }
    *next = id > CRYPTO_PREKEY_ID_MAX ? 1 : id;
    err = AIRLOCK_OK;
out:
    signal_buffer_bzero_free(rec);
    SIGNAL_UNREF(pk);
    SIGNAL_UNREF(kp);
    return err;
}

/* ---- account ---- */

airlock_err crypto_account_generate(crypto_ctx *c, uint32_t device_id,
                                    uint32_t prekeys)
{
    ratchet_identity_key_pair *idp = NULL;
    session_signed_pre_key *spk = NULL;
    signal_buffer *priv = NULL, *spk_rec = NULL;
    store_self self, probe;
    uint8_t pub[CRYPTO_KEY_PUB];
    uint32_t reg = 0, next = 1;
    bool in_tx = false;
    airlock_err err;
    int r;

    memset(&probe, 0, sizeof probe);
    if (c == NULL || device_id == 0 || device_id > CRYPTO_DEVICE_ID_MAX ||
        prekeys > CRYPTO_PREKEY_GEN_MAX)
        return AIRLOCK_ERR_ARG;
    err = store_self_get(c->st, &probe);
    store_self_clear(&probe);
    if (err == AIRLOCK_OK)
        return AIRLOCK_ERR_EXISTS;
    if (err != AIRLOCK_ERR_NOT_FOUND)
        return err;

    c->parked = c->prov.parked = AIRLOCK_OK;
    if ((r = signal_protocol_key_helper_generate_identity_key_pair(
             &idp, c->sg)) < 0 ||
        (r = signal_protocol_key_helper_generate_registration_id(
             &reg, 0, c->sg)) < 0 ||
        (r = signal_protocol_key_helper_generate_signed_pre_key(
             &spk, idp, CRYPTO_SIGNED_PREKEY_ID, (uint64_t)base_now_ms(),
             c->sg)) < 0 ||
        (r = session_signed_pre_key_serialize(&spk_rec, spk)) < 0 ||
        (r = ec_private_key_serialize(
             &priv, ratchet_identity_key_pair_get_private(idp))) < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    if ((err = pub_bytes(c, ratchet_identity_key_pair_get_public(idp),
                         pub)) != AIRLOCK_OK)
        goto out;
    if (signal_buffer_len(priv) != CRYPTO_KEY_PRIV) {
        err = AIRLOCK_ERR_CRYPTO;
        goto out;
    }

    if ((err = store_begin(c->st)) != AIRLOCK_OK)
        goto out;
    in_tx = true;
    memset(&self, 0, sizeof self);
    self.registration_id = reg;
    self.device_id = device_id;
    self.identity_pub = pub;
    self.identity_pub_n = sizeof pub;
    self.identity_priv = signal_buffer_data(priv);
    self.identity_priv_n = signal_buffer_len(priv);
    if ((err = store_self_put(c->st, &self)) != AIRLOCK_OK ||
        (err = store_sig_signed_put(c->st, CRYPTO_SIGNED_PREKEY_ID,
                                    signal_buffer_data(spk_rec),
                                    signal_buffer_len(spk_rec))) !=
            AIRLOCK_OK ||
        (err = prekeys_make(c, prekeys, &next, NULL, NULL)) != AIRLOCK_OK ||
        (err = next_prekey_set(c, next)) != AIRLOCK_OK)
        goto out;
    if ((err = store_commit(c->st)) != AIRLOCK_OK)
        goto out;
    in_tx = false;

    memcpy(c->identity_pub, pub, sizeof pub);
    c->registration_id = reg;
    c->device_id = device_id;
    c->have_self = true;
out:
    if (in_tx)
        store_rollback(c->st);
    signal_buffer_bzero_free(priv);
    signal_buffer_bzero_free(spk_rec);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(idp);
    return err;
}

airlock_err crypto_prekeys_generate(crypto_ctx *c, uint32_t count,
                                    uint32_t **ids, uint8_t **pubs)
{
    uint32_t *i_out = NULL, next = 1;
    uint8_t *p_out = NULL;
    bool in_tx = false;
    airlock_err err;

    if (ids != NULL)
        *ids = NULL;
    if (pubs != NULL)
        *pubs = NULL;
    if (c == NULL || ids == NULL || pubs == NULL || count == 0 ||
        count > CRYPTO_PREKEY_GEN_MAX)
        return AIRLOCK_ERR_ARG;
    if (!c->have_self)
        return AIRLOCK_ERR_NOT_FOUND;
    c->parked = c->prov.parked = AIRLOCK_OK;
    if ((i_out = calloc(count, sizeof *i_out)) == NULL ||
        (p_out = calloc(count, CRYPTO_KEY_PUB)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = store_begin(c->st)) != AIRLOCK_OK)
        goto out;
    in_tx = true;
    if ((err = next_prekey_get(c, &next)) != AIRLOCK_OK ||
        (err = prekeys_make(c, count, &next, i_out, p_out)) != AIRLOCK_OK ||
        (err = next_prekey_set(c, next)) != AIRLOCK_OK ||
        (err = store_commit(c->st)) != AIRLOCK_OK)
        goto out;
    in_tx = false;
    *ids = i_out;
    *pubs = p_out;
    i_out = NULL;
    p_out = NULL;
out:
    if (in_tx)
        store_rollback(c->st);
    free(i_out);
    free(p_out);
    return err;
}

/* Ids are scanned downward from the newest, where unused prekeys gather,
 * and the scan stops once every stored prekey was found. Ids that wrapped
 * past CRYPTO_PREKEY_ID_MAX (after 16 million generated) are not listed. */
airlock_err crypto_prekeys_public(crypto_ctx *c, uint32_t **ids,
                                  uint8_t **pubs, size_t *count)
{
    uint32_t *i_out = NULL, total = 0, next = 1, id;
    uint8_t *p_out = NULL, *rec = NULL;
    session_pre_key *pk = NULL;
    size_t found = 0, n = 0;
    airlock_err err;
    int r;

    if (ids != NULL)
        *ids = NULL;
    if (pubs != NULL)
        *pubs = NULL;
    if (count != NULL)
        *count = 0;
    if (c == NULL || ids == NULL || pubs == NULL || count == NULL)
        return AIRLOCK_ERR_ARG;
    c->parked = c->prov.parked = AIRLOCK_OK;
    if ((err = store_sig_prekey_count(c->st, &total)) != AIRLOCK_OK ||
        (err = next_prekey_get(c, &next)) != AIRLOCK_OK)
        goto out;
    if (total > CRYPTO_PREKEY_ID_MAX) {
        err = AIRLOCK_ERR_CORRUPT;
        goto out;
    }
    /* Never a zero-size allocation: malloc(0) may answer NULL. */
    if ((i_out = calloc(total + 1u, sizeof *i_out)) == NULL ||
        (p_out = calloc(total + 1u, CRYPTO_KEY_PUB)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    for (id = next - 1; id >= 1 && found < total; id--) {
        err = store_sig_prekey_get(c->st, id, &rec, &n);
        if (err == AIRLOCK_ERR_NOT_FOUND)
            continue;
        if (err != AIRLOCK_OK)
            goto out;
        r = session_pre_key_deserialize(&pk, rec, n, c->sg);
        store_buf_free(rec, n);
        rec = NULL;
        if (r < 0) {
            err = r == SG_ERR_NOMEM ? AIRLOCK_ERR_NOMEM : AIRLOCK_ERR_CORRUPT;
            goto out;
        }
        /* Filled from the back so the lists come out in ascending order. */
        i_out[total - 1u - found] = id;
        if ((err = pub_bytes(c,
                             ec_key_pair_get_public(
                                 session_pre_key_get_key_pair(pk)),
                             p_out + (size_t)(total - 1u - found) *
                                         CRYPTO_KEY_PUB)) != AIRLOCK_OK)
            goto out;
        SIGNAL_UNREF(pk);
        found++;
    }
    if (found < total) {
        memmove(i_out, i_out + (total - found), found * sizeof *i_out);
        memmove(p_out, p_out + (size_t)(total - found) * CRYPTO_KEY_PUB,
                found * CRYPTO_KEY_PUB);
    }
    *ids = i_out;
    *pubs = p_out;
    *count = found;
    i_out = NULL;
    p_out = NULL;
    err = AIRLOCK_OK;
out:
    SIGNAL_UNREF(pk);
    free(i_out);
    free(p_out);
    return err;
}

/* ---- the local bundle ---- */

airlock_err crypto_bundle_export(crypto_ctx *c, uint8_t **out, size_t *n)
{
    session_signed_pre_key *spk = NULL;
    uint8_t *rec = NULL;
    size_t rec_n = 0;
    crypto_bundle b;
    airlock_err err;
    int r;

    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (c == NULL || out == NULL || n == NULL)
        return AIRLOCK_ERR_ARG;
    if (!c->have_self)
        return AIRLOCK_ERR_NOT_FOUND;
    c->parked = c->prov.parked = AIRLOCK_OK;
    if ((err = store_sig_signed_get(c->st, CRYPTO_SIGNED_PREKEY_ID, &rec,
                                    &rec_n)) != AIRLOCK_OK)
        goto out;
    if ((r = session_signed_pre_key_deserialize(&spk, rec, rec_n, c->sg)) <
        0) {
        err = r == SG_ERR_NOMEM ? AIRLOCK_ERR_NOMEM : AIRLOCK_ERR_CORRUPT;
        goto out;
    }
    if (session_signed_pre_key_get_signature_len(spk) != CRYPTO_SIG) {
        err = AIRLOCK_ERR_CORRUPT;
        goto out;
    }
    memset(&b, 0, sizeof b);
    b.registration_id = c->registration_id;
    b.device_id = c->device_id;
    memcpy(b.identity, c->identity_pub, CRYPTO_KEY_PUB);
    b.signed_prekey_id = session_signed_pre_key_get_id(spk);
    memcpy(b.signature, session_signed_pre_key_get_signature(spk),
           CRYPTO_SIG);
    if ((err = pub_bytes(c,
                         ec_key_pair_get_public(
                             session_signed_pre_key_get_key_pair(spk)),
                         b.signed_prekey)) != AIRLOCK_OK)
        goto out;
    err = crypto_bundle_encode(&b, out, n);
out:
    if (rec != NULL)
        store_buf_free(rec, rec_n);
    SIGNAL_UNREF(spk);
    return err;
}
