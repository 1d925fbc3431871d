/*
 * session.c - sessions from bundles, per-device encryption of the message
 * key, decryption with SG_ERR_* mapped to airlock_err, safety numbers.
 *
 * Store writes made on libsignal's behalf run inside one store
 * transaction per operation. A failure before anything was written ends
 * the transaction with a commit of nothing (so an enclosing transaction of
 * the engine is left alone); a failure after a write rolls back.
 */
#include "crypto/crypto_int.h"

#include <fingerprint.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

_Static_assert(AIRLOCK_SAFETY_NUMBER_LEN >= CRYPTO_FP_DIGITS +
                                               CRYPTO_FP_DIGITS / 5u,
               "safety number buffer holds 60 digits, 11 spaces, NUL");

static bool addr_ok(const char *addr)
{
    size_t n;

    if (addr == NULL)
        return false;
    n = strnlen(addr, STORE_ADDR_MAX + 1u);
    return n > 0 && n <= STORE_ADDR_MAX &&
           base_utf8_ident((const uint8_t *)addr, n);
}

static void addr_make(signal_protocol_address *a, const char *addr,
                      uint32_t dev)
{
    a->name = addr;
    a->name_len = strlen(addr);
    a->device_id = (int32_t)dev;
}

/* Start an operation: clear what callbacks report back. */
static void op_reset(crypto_ctx *c)
{
    c->parked = AIRLOCK_OK;
    c->prov.parked = AIRLOCK_OK;
    c->id_pending = false;
    c->writes = 0;
}

static airlock_err tx_end(crypto_ctx *c, airlock_err err)
{
    airlock_err cerr;

    if (err != AIRLOCK_OK && c->writes > 0) {
        store_rollback(c->st);
        return err;
    }
    cerr = store_commit(c->st);
    if (err != AIRLOCK_OK)
        return err;
    if (cerr != AIRLOCK_OK)
        store_rollback(c->st);
    return cerr;
}

static airlock_err decode_key(crypto_ctx *c, const uint8_t key[CRYPTO_KEY_PUB],
                              ec_public_key **out)
{
    int r = curve_decode_point(out, key, CRYPTO_KEY_PUB, c->sg);

    return r < 0 ? crypto_sg_err(r, CRYPTO_SG_PARSE, AIRLOCK_OK)
                 : AIRLOCK_OK;
}

airlock_err crypto_session_from_bundle(crypto_ctx *c, const char *addr,
                                       const crypto_bundle *b,
                                       uint32_t prekey_id,
                                       const uint8_t *prekey_pub)
{
    ec_public_key *idk = NULL, *spk = NULL, *otk = NULL;
    session_pre_key_bundle *bundle = NULL;
    session_builder *builder = NULL;
    signal_protocol_address a;
    bool in_tx = false;
    airlock_err err;
    int r;

    if (c == NULL || !addr_ok(addr) || b == NULL)
        return AIRLOCK_ERR_ARG;
    if (!c->have_self)
        return AIRLOCK_ERR_NOT_FOUND;
    /* The bundle and prekey come from the relay: stranger bytes. */
    if (b->registration_id == 0 || b->registration_id > CRYPTO_REG_ID_MAX ||
        b->device_id == 0 || b->device_id > CRYPTO_DEVICE_ID_MAX ||
        b->signed_prekey_id == 0 ||
        b->signed_prekey_id > CRYPTO_PREKEY_ID_MAX ||
        (prekey_pub != NULL &&
         (prekey_id == 0 || prekey_id > CRYPTO_PREKEY_ID_MAX)))
        return AIRLOCK_ERR_MALFORMED;
    op_reset(c);
    if ((err = decode_key(c, b->identity, &idk)) != AIRLOCK_OK ||
        (err = decode_key(c, b->signed_prekey, &spk)) != AIRLOCK_OK ||
        (prekey_pub != NULL &&
         (err = decode_key(c, prekey_pub, &otk)) != AIRLOCK_OK))
        goto out;
    /* Checked here rather than left to libsignal, which reports a bad
     * signature as INVALID_KEY like any malformed key. */
    r = curve_verify_signature(idk, b->signed_prekey, CRYPTO_KEY_PUB,
                               b->signature, CRYPTO_SIG);
    if (r != 1) {
        err = r == 0 ? AIRLOCK_ERR_AUTH
                     : crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    addr_make(&a, addr, b->device_id);
    if ((r = session_pre_key_bundle_create(
             &bundle, b->registration_id, (int)b->device_id,
             otk != NULL ? prekey_id : 0, otk, b->signed_prekey_id, spk,
             b->signature, CRYPTO_SIG, idk)) < 0 ||
        (r = session_builder_create(&builder, c->sgs, &a, c->sg)) < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    if ((err = store_begin(c->st)) != AIRLOCK_OK)
        goto out;
    in_tx = true;
    if ((r = session_builder_process_pre_key_bundle(builder, bundle)) < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    err = crypto_identity_commit(c);
out:
    if (in_tx)
        err = tx_end(c, err);
    session_builder_free(builder);
    SIGNAL_UNREF(bundle);
    SIGNAL_UNREF(otk);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(idk);
    return err;
}

bool crypto_has_session(crypto_ctx *c, const char *addr, uint32_t dev)
{
    bool has = false;

    if (c == NULL || !addr_ok(addr) || dev == 0 ||
        dev > CRYPTO_DEVICE_ID_MAX)
        return false;
    if (store_sig_session_has(c->st, addr, dev, &has) != AIRLOCK_OK)
        return false;
    return has;
}

airlock_err crypto_encrypt_key(crypto_ctx *c, const char *addr, uint32_t dev,
                               const uint8_t *pt, size_t n, uint8_t **ct,
                               size_t *ct_n, bool *prekey)
{
    session_cipher *cipher = NULL;
    ciphertext_message *msg = NULL;
    signal_protocol_address a;
    signal_buffer *ser;
    uint8_t *copy = NULL;
    bool has = false;
    airlock_err err;
    int r;

    if (ct != NULL)
        *ct = NULL;
    if (ct_n != NULL)
        *ct_n = 0;
    if (prekey != NULL)
        *prekey = false;
    if (c == NULL || !addr_ok(addr) || dev == 0 ||
        dev > CRYPTO_DEVICE_ID_MAX || pt == NULL || n == 0 || ct == NULL ||
        ct_n == NULL || prekey == NULL)
        return AIRLOCK_ERR_ARG;
    if (n > CRYPTO_KEY_PT_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    op_reset(c);
    if ((err = store_sig_session_has(c->st, addr, dev, &has)) != AIRLOCK_OK)
        return err;
    if (!has)
        return AIRLOCK_ERR_NO_SESSION;
    addr_make(&a, addr, dev);
    if ((r = session_cipher_create(&cipher, c->sgs, &a, c->sg)) < 0 ||
        (r = session_cipher_encrypt(cipher, pt, n, &msg)) < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    ser = ciphertext_message_get_serialized(msg);
    if (ser == NULL || signal_buffer_len(ser) == 0) {
        err = AIRLOCK_ERR_CRYPTO;
        goto out;
    }
    if (signal_buffer_len(ser) > CRYPTO_SIGNAL_MSG_MAX) {
        err = AIRLOCK_ERR_TOO_LARGE;
        goto out;
    }
    if ((copy = malloc(signal_buffer_len(ser))) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    memcpy(copy, signal_buffer_data(ser), signal_buffer_len(ser));
    *ct_n = signal_buffer_len(ser);
    *prekey = ciphertext_message_get_type(msg) == CIPHERTEXT_PREKEY_TYPE;
    *ct = copy;
    err = AIRLOCK_OK;
out:
    SIGNAL_UNREF(msg);
    session_cipher_free(cipher);
    return err;
}

/* Runs before libsignal stores the advanced session: a plaintext that does
 * not fit is refused here, so the message is not lost. */
static int decrypt_cb(session_cipher *cipher, signal_buffer *plaintext,
                      void *decrypt_context)
{
    crypto_ctx *c = decrypt_context;
    size_t n = signal_buffer_len(plaintext);

    (void)cipher;
    if (n > c->dec_cap) {
        c->parked = AIRLOCK_ERR_TOO_LARGE;
        return CRYPTO_SG_PARKED;
    }
    if (n > 0)
        memcpy(c->dec_out, signal_buffer_data(plaintext), n);
    c->dec_n = n;
    return 0;
}

airlock_err crypto_decrypt_key(crypto_ctx *c, const char *addr, uint32_t dev,
                               const uint8_t *ct, size_t ct_n, bool prekey,
                               uint8_t *pt, size_t pt_cap, size_t *pt_n,
                               bool *identity_changed)
{
    pre_key_signal_message *pmsg = NULL;
    signal_message *smsg = NULL;
    session_cipher *cipher = NULL;
    signal_buffer *plain = NULL;
    signal_protocol_address a;
    store_remote_id rid;
    bool in_tx = false;
    airlock_err err;
    int r;

    if (pt_n != NULL)
        *pt_n = 0;
    if (identity_changed != NULL)
        *identity_changed = false;
    if (c == NULL || !addr_ok(addr) || dev == 0 ||
        dev > CRYPTO_DEVICE_ID_MAX || ct == NULL ||
        (pt == NULL && pt_cap > 0) || pt_n == NULL ||
        identity_changed == NULL)
        return AIRLOCK_ERR_ARG;
    if (ct_n > CRYPTO_SIGNAL_MSG_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if (ct_n == 0)
        return AIRLOCK_ERR_TRUNCATED;
    c->decrypt_calls++;
    c->last_prekey = 0;
    op_reset(c);
    c->dec_out = pt;
    c->dec_cap = pt_cap;
    c->dec_n = 0;
    addr_make(&a, addr, dev);

    r = prekey ? pre_key_signal_message_deserialize(&pmsg, ct, ct_n, c->sg)
               : signal_message_deserialize(&smsg, ct, ct_n, c->sg);
    if (r < 0) {
        err = crypto_sg_err(r, CRYPTO_SG_PARSE, AIRLOCK_OK);
        goto out;
    }
    if ((r = session_cipher_create(&cipher, c->sgs, &a, c->sg)) < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    session_cipher_set_decryption_callback(cipher, decrypt_cb);
    if ((err = store_begin(c->st)) != AIRLOCK_OK)
        goto out;
    in_tx = true;
    r = prekey ? session_cipher_decrypt_pre_key_signal_message(cipher, pmsg,
                                                               c, &plain)
               : session_cipher_decrypt_signal_message(cipher, smsg, c,
                                                       &plain);
    if (r < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_DECRYPT);
        goto out;
    }
    if ((err = crypto_identity_commit(c)) != AIRLOCK_OK)
        goto out;
    memset(&rid, 0, sizeof rid);
    err = store_rid_get(c->st, addr, dev, &rid);
    if (err == AIRLOCK_OK)
        *identity_changed = rid.status == STORE_ID_CHANGED;
    else if (err == AIRLOCK_ERR_NOT_FOUND)
        err = AIRLOCK_OK;
out:
    if (in_tx)
        err = tx_end(c, err);
    if (err == AIRLOCK_OK) {
        *pt_n = c->dec_n;
    } else {
        if (c->dec_n > 0)
            base_wipe(pt, c->dec_n);
        *identity_changed = false;
        c->last_prekey = 0;
    }
    c->dec_out = NULL;
    c->dec_cap = 0;
    c->dec_n = 0;
    signal_buffer_bzero_free(plain);
    session_cipher_free(cipher);
    SIGNAL_UNREF(pmsg);
    SIGNAL_UNREF(smsg);
    return err;
}

airlock_err crypto_safety_number(crypto_ctx *c, const char *local_addr,
                                 const char *remote_addr,
                                 const uint8_t remote_key[CRYPTO_KEY_PUB],
                                 char out[AIRLOCK_SAFETY_NUMBER_LEN])
{
    fingerprint_generator *gen = NULL;
    fingerprint *fp = NULL;
    ec_public_key *lk = NULL, *rk = NULL;
    const char *text;
    size_t i, o = 0;
    airlock_err err;
    int r;

    if (out != NULL)
        out[0] = '\0';
    if (c == NULL || !addr_ok(local_addr) || !addr_ok(remote_addr) ||
        remote_key == NULL || out == NULL)
        return AIRLOCK_ERR_ARG;
    if (!c->have_self)
        return AIRLOCK_ERR_NOT_FOUND;
    op_reset(c);
    if ((err = decode_key(c, c->identity_pub, &lk)) != AIRLOCK_OK ||
        (err = decode_key(c, remote_key, &rk)) != AIRLOCK_OK)
        goto out;
    if ((r = fingerprint_generator_create(&gen, CRYPTO_FP_ITERATIONS,
                                          CRYPTO_FP_SCANNABLE_VERSION,
                                          c->sg)) < 0 ||
        (r = fingerprint_generator_create_for(gen, local_addr, lk,
                                              remote_addr, rk, &fp)) < 0) {
        err = crypto_ctx_sg_err(c, r, CRYPTO_SG_GENERIC);
        goto out;
    }
    text = displayable_fingerprint_text(fingerprint_get_displayable(fp));
    if (text == NULL || strnlen(text, CRYPTO_FP_DIGITS + 1u) !=
                            CRYPTO_FP_DIGITS) {
        err = AIRLOCK_ERR_CRYPTO;
        goto out;
    }
    /* 12 groups of 5 digits, one space between groups: 71 chars + NUL. */
    for (i = 0; i < CRYPTO_FP_DIGITS; i++) {
        if (text[i] < '0' || text[i] > '9') {
            err = AIRLOCK_ERR_CRYPTO;
            goto out;
        }
        if (i > 0 && i % 5 == 0)
            out[o++] = ' ';
        out[o++] = text[i];
    }
    out[o] = '\0';
    err = AIRLOCK_OK;
out:
    if (err != AIRLOCK_OK)
        out[0] = '\0';
    SIGNAL_UNREF(fp);
    fingerprint_generator_free(gen);
    SIGNAL_UNREF(rk);
    SIGNAL_UNREF(lk);
    return err;
}
