/*
 * ctx.c - the crypto context: provider, libsignal context and store
 * context, and the cached public half of the account's own identity.
 */
#include "crypto/crypto_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* Cache registration id, device id and identity public key (the private
 * key is read from the store only when libsignal asks for it). */
static airlock_err self_load(crypto_ctx *c)
{
    store_self self;
    airlock_err err;

    memset(&self, 0, sizeof self);
    err = store_self_get(c->st, &self);
    if (err == AIRLOCK_ERR_NOT_FOUND) {
        c->have_self = false;
        return AIRLOCK_OK;
    }
    if (err != AIRLOCK_OK)
        return err;
    if (self.identity_pub == NULL || self.identity_pub_n != CRYPTO_KEY_PUB ||
        self.identity_pub[0] != CRYPTO_DJB_TYPE ||
        self.registration_id == 0 ||
        self.registration_id > CRYPTO_REG_ID_MAX ||
        self.device_id == 0 || self.device_id > CRYPTO_DEVICE_ID_MAX) {
        err = AIRLOCK_ERR_CORRUPT;
        goto out;
    }
    memcpy(c->identity_pub, self.identity_pub, CRYPTO_KEY_PUB);
    c->registration_id = self.registration_id;
    c->device_id = self.device_id;
    c->have_self = true;
    err = AIRLOCK_OK;
out:
    store_self_clear(&self);
    return err;
}

airlock_err crypto_ctx_new(store *s, const crypto_rng *rng,
                           crypto_ctx **out)
{
    crypto_ctx *c = NULL;
    airlock_err err;
    int r;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (s == NULL)
        return AIRLOCK_ERR_ARG;
    if ((c = calloc(1, sizeof *c)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    c->st = s;
    if ((err = crypto_prov_init(&c->prov, rng)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_prov_context(&c->prov, &c->sg)) != AIRLOCK_OK)
        goto out;
    if ((r = signal_protocol_store_context_create(&c->sgs, c->sg)) < 0) {
        err = crypto_sg_err(r, CRYPTO_SG_GENERIC, AIRLOCK_OK);
        goto out;
    }
    if ((err = crypto_stores_register(c)) != AIRLOCK_OK)
        goto out;
    if ((err = self_load(c)) != AIRLOCK_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    crypto_ctx_free(c);
    return err;
}

void crypto_ctx_free(crypto_ctx *c)
{
    if (c == NULL)
        return;
    if (c->sgs != NULL)
        signal_protocol_store_context_destroy(c->sgs);
    if (c->sg != NULL)
        signal_context_destroy(c->sg);
    crypto_prov_clear(&c->prov);
    base_wipe(c, sizeof *c);
    free(c);
}

void crypto_random(crypto_ctx *c, void *buf, size_t n)
{
    if (n > 0)
        c->prov.rng.fill(c->prov.rng.user, buf, n);
}

uint32_t crypto_device_id(const crypto_ctx *c)
{
    return c->have_self ? c->device_id : 0;
}

uint32_t crypto_registration_id(const crypto_ctx *c)
{
    return c->have_self ? c->registration_id : 0;
}

uint64_t crypto_decrypt_calls(const crypto_ctx *c)
{
    return c->decrypt_calls;
}

uint32_t crypto_last_used_prekey(const crypto_ctx *c)
{
    return c->last_prekey;
}

airlock_err crypto_ctx_sg_err(crypto_ctx *c, int sg, crypto_sg_site site)
{
    airlock_err parked = c->parked != AIRLOCK_OK ? c->parked
                                                 : c->prov.parked;

    return crypto_sg_err(sg, site, parked);
}

airlock_err crypto_identity_pub(crypto_ctx *c, uint8_t out[CRYPTO_KEY_PUB])
{
    if (c == NULL || out == NULL)
        return AIRLOCK_ERR_ARG;
    if (!c->have_self)
        return AIRLOCK_ERR_NOT_FOUND;
    memcpy(out, c->identity_pub, CRYPTO_KEY_PUB);
    return AIRLOCK_OK;
}
