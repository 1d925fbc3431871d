/*
 * stores.c - libsignal's store callbacks on top of store/'s plain-bytes
 * API. user_data is the crypto_ctx. libsignal's conventions are kept:
 * loads answer 1 (found) / 0 (absent) / negative, prekey loads answer
 * SG_ERR_INVALID_KEY_ID when absent. A store failure is parked in
 * c->parked and reported as CRYPTO_SG_PARKED, so the caller gets the real
 * airlock_err back (crypto_ctx_sg_err).
 *
 * Identity policy: is_trusted_identity never refuses a key. save_identity
 * does not write: it parks the key, and the operation that called it
 * records it with store_rid_seen only after it succeeded (a pre-key
 * message saves the identity before its MAC is checked, so recording at
 * once would let a forged message mark a device CHANGED). store_rid_seen
 * keeps the acknowledged key and marks a different one CHANGED; the engine
 * renders that device inert until the user acknowledges it.
 */
#include "crypto/crypto_int.h"

#include <string.h>

#include "base/base.h"

static int park(crypto_ctx *c, airlock_err err)
{
    c->parked = err;
    return CRYPTO_SG_PARKED;
}

airlock_err crypto_addr_name(const signal_protocol_address *a,
                             char out[STORE_ADDR_MAX + 1])
{
    out[0] = '\0';
    if (a == NULL || a->name == NULL || a->name_len == 0 ||
        a->name_len > STORE_ADDR_MAX || a->device_id < 0 ||
        memchr(a->name, '\0', a->name_len) != NULL)
        return AIRLOCK_ERR_ARG;
    memcpy(out, a->name, a->name_len);
    out[a->name_len] = '\0';
    return AIRLOCK_OK;
}

/* Both address forms libsignal uses: a full address, or (name, len). */
static airlock_err name_only(const char *name, size_t len,
                             char out[STORE_ADDR_MAX + 1])
{
    signal_protocol_address a = { name, len, 0 };

    return crypto_addr_name(&a, out);
}

/* A stored record copied into a libsignal buffer; the store's copy is
 * wiped. */
static int to_buffer(crypto_ctx *c, uint8_t *rec, size_t n,
                     signal_buffer **out)
{
    signal_buffer *b;

    if (n > STORE_RECORD_MAX) {
        store_buf_free(rec, n);
        return park(c, AIRLOCK_ERR_CORRUPT);
    }
    b = signal_buffer_create(rec, n);
    store_buf_free(rec, n);
    if (b == NULL)
        return SG_ERR_NOMEM;
    *out = b;
    return 0;
}

/* ---- sessions ---- */

static int cb_session_load(signal_buffer **record,
                           signal_buffer **user_record,
                           const signal_protocol_address *a, void *ud)
{
    crypto_ctx *c = ud;
    char name[STORE_ADDR_MAX + 1];
    uint8_t *rec = NULL;
    size_t n = 0;
    airlock_err err;
    int r;

    (void)user_record;   /* Airlock keeps no user record with sessions */
    if ((err = crypto_addr_name(a, name)) != AIRLOCK_OK)
        return park(c, err);
    err = store_sig_session_get(c->st, name, (uint32_t)a->device_id, &rec,
                                &n);
    if (err == AIRLOCK_ERR_NOT_FOUND)
        return 0;
    if (err != AIRLOCK_OK)
        return park(c, err);
    if ((r = to_buffer(c, rec, n, record)) < 0)
        return r;
    return 1;
}

static int cb_session_devices(signal_int_list **sessions, const char *nm,
                              size_t nm_len, void *ud)
{
    crypto_ctx *c = ud;
    char name[STORE_ADDR_MAX + 1];
    uint32_t *ids = NULL;
    size_t n = 0, i;
    signal_int_list *l = NULL;
    airlock_err err;
    int ret;

    if ((err = name_only(nm, nm_len, name)) != AIRLOCK_OK)
        return park(c, err);
    if ((err = store_sig_session_devices(c->st, name, &ids, &n)) !=
        AIRLOCK_OK) {
        ret = park(c, err);
        goto out;
    }
    if ((l = signal_int_list_alloc()) == NULL) {
        ret = SG_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (ids[i] > CRYPTO_DEVICE_ID_MAX) {
            ret = park(c, AIRLOCK_ERR_CORRUPT);
            goto out;
        }
        if (signal_int_list_push_back(l, (int)ids[i]) < 0) {
            ret = SG_ERR_NOMEM;
            goto out;
        }
    }
    *sessions = l;
    l = NULL;
    ret = (int)n;
out:
    signal_int_list_free(l);
    free(ids);
    return ret;
}

static int cb_session_store(const signal_protocol_address *a,
                            uint8_t *record, size_t record_len,
                            uint8_t *user_record, size_t user_record_len,
                            void *ud)
{
    crypto_ctx *c = ud;
    char name[STORE_ADDR_MAX + 1];
    airlock_err err;

    (void)user_record;
    (void)user_record_len;
    if ((err = crypto_addr_name(a, name)) != AIRLOCK_OK)
        return park(c, err);
    if (record_len > STORE_RECORD_MAX)
        return park(c, AIRLOCK_ERR_TOO_LARGE);
    if ((err = store_sig_session_put(c->st, name, (uint32_t)a->device_id,
                                     record, record_len)) != AIRLOCK_OK)
        return park(c, err);
    c->writes++;
    return 0;
}

static int cb_session_contains(const signal_protocol_address *a, void *ud)
{
    crypto_ctx *c = ud;
    char name[STORE_ADDR_MAX + 1];
    bool has = false;
    airlock_err err;

    if ((err = crypto_addr_name(a, name)) != AIRLOCK_OK)
        return park(c, err);
    if ((err = store_sig_session_has(c->st, name, (uint32_t)a->device_id,
                                     &has)) != AIRLOCK_OK)
        return park(c, err);
    return has ? 1 : 0;
}

static int cb_session_delete(const signal_protocol_address *a, void *ud)
{
    crypto_ctx *c = ud;
    char name[STORE_ADDR_MAX + 1];
    bool has = false;
    airlock_err err;

    if ((err = crypto_addr_name(a, name)) != AIRLOCK_OK)
        return park(c, err);
    if ((err = store_sig_session_has(c->st, name, (uint32_t)a->device_id,
                                     &has)) != AIRLOCK_OK)
        return park(c, err);
    if (!has)
        return 0;
    if ((err = store_sig_session_del(c->st, name,
                                     (uint32_t)a->device_id)) != AIRLOCK_OK)
        return park(c, err);
    c->writes++;
    return 1;
}

static int cb_session_delete_all(const char *nm, size_t nm_len, void *ud)
{
    crypto_ctx *c = ud;
    char name[STORE_ADDR_MAX + 1];
    uint32_t *ids = NULL;
    size_t n = 0;
    airlock_err err;

    if ((err = name_only(nm, nm_len, name)) != AIRLOCK_OK)
        return park(c, err);
    if ((err = store_sig_session_devices(c->st, name, &ids, &n)) !=
        AIRLOCK_OK)
        return park(c, err);
    free(ids);
    if ((err = store_sig_session_del_all(c->st, name)) != AIRLOCK_OK)
        return park(c, err);
    c->writes++;
    return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}

/* ---- one-time prekeys ---- */

static int cb_prekey_load(signal_buffer **record, uint32_t id, void *ud)
{
    crypto_ctx *c = ud;
    uint8_t *rec = NULL;
    size_t n = 0;
    airlock_err err = store_sig_prekey_get(c->st, id, &rec, &n);

    if (err == AIRLOCK_ERR_NOT_FOUND)
        return SG_ERR_INVALID_KEY_ID;
    if (err != AIRLOCK_OK)
        return park(c, err);
    return to_buffer(c, rec, n, record);
}

static int cb_prekey_store(uint32_t id, uint8_t *record, size_t len,
                           void *ud)
{
    crypto_ctx *c = ud;
    airlock_err err;

    if (len > STORE_RECORD_MAX)
        return park(c, AIRLOCK_ERR_TOO_LARGE);
    if ((err = store_sig_prekey_put(c->st, id, record, len)) != AIRLOCK_OK)
        return park(c, err);
    c->writes++;
    return 0;
}

static int cb_prekey_contains(uint32_t id, void *ud)
{
    crypto_ctx *c = ud;
    bool has = false;
    airlock_err err;

    if ((err = store_sig_prekey_has(c->st, id, &has)) != AIRLOCK_OK)
        return park(c, err);
    return has ? 1 : 0;
}

/* libsignal removes a one-time prekey after the pre-key message that used
 * it decrypted; remember which, for crypto_last_used_prekey. */
static int cb_prekey_remove(uint32_t id, void *ud)
{
    crypto_ctx *c = ud;
    airlock_err err = store_sig_prekey_del(c->st, id);

    if (err != AIRLOCK_OK && err != AIRLOCK_ERR_NOT_FOUND)
        return park(c, err);
    c->writes++;
    c->last_prekey = id;
    return 0;
}

/* ---- signed prekeys ---- */

static int cb_signed_load(signal_buffer **record, uint32_t id, void *ud)
{
    crypto_ctx *c = ud;
    uint8_t *rec = NULL;
    size_t n = 0;
    airlock_err err = store_sig_signed_get(c->st, id, &rec, &n);

    if (err == AIRLOCK_ERR_NOT_FOUND)
        return SG_ERR_INVALID_KEY_ID;
    if (err != AIRLOCK_OK)
        return park(c, err);
    return to_buffer(c, rec, n, record);
}

static int cb_signed_store(uint32_t id, uint8_t *record, size_t len,
                           void *ud)
{
    crypto_ctx *c = ud;
    airlock_err err;

    if (len > STORE_RECORD_MAX)
        return park(c, AIRLOCK_ERR_TOO_LARGE);
    if ((err = store_sig_signed_put(c->st, id, record, len)) != AIRLOCK_OK)
        return park(c, err);
    c->writes++;
    return 0;
}

static int cb_signed_contains(uint32_t id, void *ud)
{
    crypto_ctx *c = ud;
    bool has = false;
    airlock_err err;

    if ((err = store_sig_signed_has(c->st, id, &has)) != AIRLOCK_OK)
        return park(c, err);
    return has ? 1 : 0;
}

static int cb_signed_remove(uint32_t id, void *ud)
{
    crypto_ctx *c = ud;
    airlock_err err = store_sig_signed_del(c->st, id);

    if (err != AIRLOCK_OK && err != AIRLOCK_ERR_NOT_FOUND)
        return park(c, err);
    c->writes++;
    return 0;
}

/* ---- identities ---- */

static bool key_ok(const uint8_t *key, size_t len)
{
    return key != NULL && len == CRYPTO_KEY_PUB && key[0] == CRYPTO_DJB_TYPE;
}

static int cb_identity_pair(signal_buffer **pub, signal_buffer **priv,
                            void *ud)
{
    crypto_ctx *c = ud;
    store_self self;
    signal_buffer *bpub = NULL, *bpriv = NULL;
    airlock_err err;
    int ret;

    memset(&self, 0, sizeof self);
    if ((err = store_self_get(c->st, &self)) != AIRLOCK_OK)
        return park(c, err);
    if (!key_ok(self.identity_pub, self.identity_pub_n) ||
        self.identity_priv == NULL ||
        self.identity_priv_n != CRYPTO_KEY_PRIV) {
        ret = park(c, AIRLOCK_ERR_CORRUPT);
        goto out;
    }
    if ((bpub = signal_buffer_create(self.identity_pub,
                                     self.identity_pub_n)) == NULL ||
        (bpriv = signal_buffer_create(self.identity_priv,
                                      self.identity_priv_n)) == NULL) {
        ret = SG_ERR_NOMEM;
        goto out;
    }
    *pub = bpub;
    *priv = bpriv;
    bpub = bpriv = NULL;
    ret = 0;
out:
    signal_buffer_free(bpub);
    signal_buffer_bzero_free(bpriv);
    store_self_clear(&self);
    return ret;
}

static int cb_identity_regid(void *ud, uint32_t *registration_id)
{
    crypto_ctx *c = ud;

    if (!c->have_self)
        return park(c, AIRLOCK_ERR_NOT_FOUND);
    *registration_id = c->registration_id;
    return 0;
}

static int cb_identity_save(const signal_protocol_address *a,
                            uint8_t *key, size_t len, void *ud)
{
    crypto_ctx *c = ud;
    airlock_err err;

    /* NULL asks to forget the key: Airlock never drops an identity. */
    if (key == NULL)
        return 0;
    if (!key_ok(key, len))
        return SG_ERR_INVALID_KEY;
    if ((err = crypto_addr_name(a, c->id_addr)) != AIRLOCK_OK)
        return park(c, err);
    c->id_dev = (uint32_t)a->device_id;
    memcpy(c->id_key, key, CRYPTO_KEY_PUB);
    c->id_pending = true;
    return 0;
}

static int cb_identity_trusted(const signal_protocol_address *a,
                               uint8_t *key, size_t len, void *ud)
{
    (void)a;
    (void)ud;
    /* A changed key is recorded, not refused (see the top of the file). */
    return key_ok(key, len) ? 1 : SG_ERR_INVALID_KEY;
}

airlock_err crypto_identity_commit(crypto_ctx *c)
{
    bool changed = false;
    airlock_err err;

    if (!c->id_pending)
        return AIRLOCK_OK;
    c->id_pending = false;
    err = store_rid_seen(c->st, c->id_addr, c->id_dev, c->id_key,
                         CRYPTO_KEY_PUB, &changed);
    if (err == AIRLOCK_OK)
        c->writes++;
    return err;
}

/* ---- sender keys: Airlock has no groups ---- */

static int cb_sender_store(const signal_protocol_sender_key_name *name,
                           uint8_t *record, size_t len, uint8_t *user_record,
                           size_t user_len, void *ud)
{
    (void)name;
    (void)record;
    (void)len;
    (void)user_record;
    (void)user_len;
    return park(ud, AIRLOCK_ERR_UNSUPPORTED);
}

static int cb_sender_load(signal_buffer **record, signal_buffer **user_record,
                          const signal_protocol_sender_key_name *name,
                          void *ud)
{
    (void)record;
    (void)user_record;
    (void)name;
    return park(ud, AIRLOCK_ERR_UNSUPPORTED);
}

airlock_err crypto_stores_register(crypto_ctx *c)
{
    signal_protocol_session_store ss;
    signal_protocol_pre_key_store ps;
    signal_protocol_signed_pre_key_store sps;
    signal_protocol_identity_key_store is;
    signal_protocol_sender_key_store ks;
    int r;

    memset(&ss, 0, sizeof ss);
    ss.load_session_func = cb_session_load;
    ss.get_sub_device_sessions_func = cb_session_devices;
    ss.store_session_func = cb_session_store;
    ss.contains_session_func = cb_session_contains;
    ss.delete_session_func = cb_session_delete;
    ss.delete_all_sessions_func = cb_session_delete_all;
    ss.user_data = c;

    memset(&ps, 0, sizeof ps);
    ps.load_pre_key = cb_prekey_load;
    ps.store_pre_key = cb_prekey_store;
    ps.contains_pre_key = cb_prekey_contains;
    ps.remove_pre_key = cb_prekey_remove;
    ps.user_data = c;

    memset(&sps, 0, sizeof sps);
    sps.load_signed_pre_key = cb_signed_load;
    sps.store_signed_pre_key = cb_signed_store;
    sps.contains_signed_pre_key = cb_signed_contains;
    sps.remove_signed_pre_key = cb_signed_remove;
    sps.user_data = c;

    memset(&is, 0, sizeof is);
    is.get_identity_key_pair = cb_identity_pair;
    is.get_local_registration_id = cb_identity_regid;
    is.save_identity = cb_identity_save;
    is.is_trusted_identity = cb_identity_trusted;
    is.user_data = c;

    /* Registered rather than left empty: libsignal asserts on a missing
     * sender-key callback, and an error is better than an abort. */
    memset(&ks, 0, sizeof ks);
    ks.store_sender_key = cb_sender_store;
    ks.load_sender_key = cb_sender_load;
    ks.user_data = c;

    if ((r = signal_protocol_store_context_set_session_store(c->sgs, &ss)) <
            0 ||
        (r = signal_protocol_store_context_set_pre_key_store(c->sgs, &ps)) <
            0 ||
        (r = signal_protocol_store_context_set_signed_pre_key_store(
             c->sgs, &sps)) < 0 ||
        (r = signal_protocol_store_context_set_identity_key_store(c->sgs,
                                                                  &is)) < 0 ||
        (r = signal_protocol_store_context_set_sender_key_store(c->sgs,
                                                                &ks)) < 0)
        return crypto_sg_err(r, CRYPTO_SG_GENERIC, AIRLOCK_OK);
    return AIRLOCK_OK;
}
