/*
 * vectors.c - envelope test vectors (docs/WIRE-FORMAT.md, "Envelope
 * vectors"). Two throwaway accounts in a temporary directory whose every
 * random byte comes from a ChaCha20 keystream of a 32-byte seed and whose
 * clock is given: the same seeds and frame give the same envelope, byte for
 * byte. Nothing here can open or create a real account.
 */
#include "core/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VEC_PREKEYS 1u

typedef struct vec_party {
    char dir[256];
    store *st;
    crypto_ctx *cr;
    crypto_det_rng state;
    crypto_rng rng;
} vec_party;

static const char *const party_files[] = { "account.db", "account.db-wal",
                                           "account.db-shm", "db.key" };

static void party_close(vec_party *p)
{
    size_t i;
    char path[320];

    crypto_ctx_free(p->cr);
    store_close(p->st);
    p->cr = NULL;
    p->st = NULL;
    if (p->dir[0] == '\0')
        return;
    for (i = 0; i < sizeof party_files / sizeof party_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", p->dir, party_files[i]);
        (void)unlink(path);
    }
    (void)rmdir(p->dir);
    base_wipe(&p->state, sizeof p->state);
}

/* A deterministic account: identity, registration id, device id, signed
 * prekey and one one-time prekey, all from the seed's keystream. */
static airlock_err party_open(vec_party *p, const char *root,
                              const char *name, const uint8_t seed[32])
{
    store_open_args a;
    uint8_t d[4];
    uint32_t dev;
    airlock_err err;

    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "%s/%s", root, name);
    memset(&a, 0, sizeof a);
    a.dir = p->dir;
    a.mode = STORE_NO_PASSPHRASE;
    a.create = true;
    a.fast_kdf = true;
    if ((err = store_open(&a, &p->st)) != AIRLOCK_OK)
        return err;
    crypto_det_rng_init(&p->state, seed, &p->rng);
    if ((err = crypto_ctx_new(p->st, &p->rng, &p->cr)) != AIRLOCK_OK)
        return err;
    crypto_random(p->cr, d, sizeof d);
    dev = ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 |
           d[3]) & NET_DEVICE_ID_MAX;
    return crypto_account_generate(p->cr, dev != 0 ? dev : 1, VEC_PREKEYS);
}

static airlock_err make_root(char *root, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(root, cap, "%s/airlock-vectors-XXXXXX",
                     tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");

    if (n < 0 || (size_t)n >= cap)
        return AIRLOCK_ERR_ARG;
    return mkdtemp(root) != NULL ? AIRLOCK_OK : AIRLOCK_ERR_IO;
}

static airlock_err seal_in(const char *root, const uint8_t sseed[32],
                           const char *sender, const uint8_t rseed[32],
                           const char *recipient, uint64_t time_ms,
                           const uint8_t *frame, size_t n, uint8_t **env,
                           size_t *env_n)
{
    vec_party s, r;
    crypto_bundle b;
    uint8_t *bundle = NULL, *pubs = NULL, *ct = NULL, *keymsg = NULL;
    uint32_t *ids = NULL;
    size_t bn = 0, count = 0, kn = 0;
    uint8_t keytag[CRYPTO_KEYTAG], iv[NET_ENV_IV];
    bool prekey = false;
    net_env e;
    airlock_err err;

    memset(&s, 0, sizeof s);
    memset(&r, 0, sizeof r);
    if ((err = party_open(&s, root, "sender", sseed)) != AIRLOCK_OK ||
        (err = party_open(&r, root, "recipient", rseed)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_bundle_export(r.cr, &bundle, &bn)) != AIRLOCK_OK ||
        (err = crypto_bundle_parse(bundle, bn, &b)) != AIRLOCK_OK ||
        (err = crypto_prekeys_public(r.cr, &ids, &pubs, &count)) !=
            AIRLOCK_OK)
        goto out;
    if (count == 0) {
        err = AIRLOCK_ERR_STATE;
        goto out;
    }
    if ((err = crypto_session_from_bundle(s.cr, recipient, &b, ids[0],
                                          pubs)) != AIRLOCK_OK)
        goto out;
    /* The sender's keystream, in this order: message id, message key, IV
     * (then whatever libsignal draws while encrypting). */
    memset(&e, 0, sizeof e);
    crypto_random(s.cr, e.id, sizeof e.id);
    crypto_random(s.cr, keytag, CRYPTO_MSGKEY);
    crypto_random(s.cr, iv, sizeof iv);
    if ((ct = malloc(n > 0 ? n : 1)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = crypto_gcm_encrypt(keytag, iv, sizeof iv, frame, n, ct,
                                  keytag + CRYPTO_MSGKEY)) != AIRLOCK_OK ||
        (err = crypto_encrypt_key(s.cr, recipient, b.device_id, keytag,
                                  CRYPTO_KEYTAG, &keymsg, &kn, &prekey)) !=
            AIRLOCK_OK)
        goto out;
    e.sender = sender;
    e.sender_n = strlen(sender);
    e.sender_device = crypto_device_id(s.cr);
    e.recipient = recipient;
    e.recipient_n = strlen(recipient);
    e.timestamp_ms = time_ms;
    e.header_count = 1;
    e.headers[0].device = b.device_id;
    e.headers[0].prekey = prekey;
    e.headers[0].keymsg = keymsg;
    e.headers[0].keymsg_n = kn;
    e.iv = iv;
    e.payload = ct;
    e.payload_n = n;
    err = net_env_encode(&e, env, env_n);
out:
    base_wipe(keytag, sizeof keytag);
    free(bundle);
    free(pubs);
    free(ids);
    free(ct);
    free(keymsg);
    party_close(&s);
    party_close(&r);
    return err;
}

static bool addr_ok(const char *a)
{
    return engine_addr_ok(a);
}

AIRLOCK_API airlock_err airlock_vector_seal(const uint8_t sender_seed[32],
    const char *sender, const uint8_t recipient_seed[32],
    const char *recipient, uint64_t time_ms, const uint8_t *frame, size_t n,
    uint8_t **env, size_t *env_n)
{
    char root[256];
    airlock_err err;

    if (env == NULL || env_n == NULL)
        return AIRLOCK_ERR_ARG;
    *env = NULL;
    *env_n = 0;
    if (sender_seed == NULL || recipient_seed == NULL || !addr_ok(sender) ||
        !addr_ok(recipient) || strcmp(sender, recipient) == 0 ||
        (frame == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > NET_ENV_PAYLOAD_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = base_init()) != AIRLOCK_OK ||
        (err = make_root(root, sizeof root)) != AIRLOCK_OK)
        return err;
    err = seal_in(root, sender_seed, sender, recipient_seed, recipient,
                  time_ms, frame, n, env, env_n);
    (void)rmdir(root);
    return err;
}

static airlock_err open_in(const char *root, const uint8_t rseed[32],
                           const uint8_t *env, size_t n, uint8_t **frame,
                           size_t *frame_n)
{
    vec_party r;
    net_env e;
    const net_env_header *h;
    char sender[NET_ADDR_MAX + 1];
    uint8_t keytag[CRYPTO_KEYTAG + 16], *pt = NULL;
    size_t kn = 0;
    bool changed = false;
    airlock_err err;

    memset(&r, 0, sizeof r);
    if ((err = net_env_decode(env, n, &e)) != AIRLOCK_OK)
        return err;
    memcpy(sender, e.sender, e.sender_n);
    sender[e.sender_n] = '\0';
    if ((err = party_open(&r, root, "recipient", rseed)) != AIRLOCK_OK)
        goto out;
    if ((h = net_env_find(&e, crypto_device_id(r.cr))) == NULL) {
        err = AIRLOCK_ERR_NOT_FOUND;
        goto out;
    }
    if ((err = crypto_decrypt_key(r.cr, sender, e.sender_device, h->keymsg,
                                  h->keymsg_n, h->prekey, keytag,
                                  sizeof keytag, &kn, &changed)) !=
        AIRLOCK_OK)
        goto out;
    if (kn != CRYPTO_KEYTAG) {
        err = AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    if ((pt = malloc(e.payload_n > 0 ? e.payload_n : 1)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = crypto_gcm_decrypt(keytag, e.iv, NET_ENV_IV, e.payload,
                                  e.payload_n, keytag + CRYPTO_MSGKEY, pt)) !=
        AIRLOCK_OK)
        goto out;
    *frame = pt;
    *frame_n = e.payload_n;
    pt = NULL;
out:
    base_wipe(keytag, sizeof keytag);
    free(pt);
    party_close(&r);
    return err;
}

AIRLOCK_API airlock_err airlock_vector_open(const uint8_t recipient_seed[32],
                                            const uint8_t *env, size_t n,
                                            uint8_t **frame, size_t *frame_n)
{
    char root[256];
    airlock_err err;

    if (frame == NULL || frame_n == NULL)
        return AIRLOCK_ERR_ARG;
    *frame = NULL;
    *frame_n = 0;
    if (recipient_seed == NULL || (env == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if ((err = base_init()) != AIRLOCK_OK ||
        (err = make_root(root, sizeof root)) != AIRLOCK_OK)
        return err;
    err = open_in(root, recipient_seed, env, n, frame, frame_n);
    (void)rmdir(root);
    return err;
}
