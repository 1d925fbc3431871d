/*
 * mem_store.c - in-memory libsignal stores for tests and the benchmark
 * baseline only (see mem_store.h); no account ever uses them.
 */
#include "crypto/mem_store.h"

#include <stdlib.h>
#include <string.h>

static mem_rec *find(mem_rec *t, const char *name, size_t name_len,
                     int32_t dev, uint32_t id)
{
    int i;

    for (i = 0; i < MEM_SLOTS; i++) {
        if (!t[i].used || t[i].dev != dev || t[i].id != id)
            continue;
        if (name == NULL ||
            (strlen(t[i].name) == name_len &&
             memcmp(t[i].name, name, name_len) == 0))
            return &t[i];
    }
    return NULL;
}

static void rec_free(mem_rec *r)
{
    if (r->data != NULL) {
        memset(r->data, 0, r->n);
        free(r->data);
    }
    memset(r, 0, sizeof *r);
}

static int put(mem_rec *t, const char *name, size_t name_len, int32_t dev,
               uint32_t id, const uint8_t *data, size_t n)
{
    mem_rec *r = find(t, name, name_len, dev, id);
    uint8_t *copy;
    int i;

    if (name_len > MEM_NAME_MAX)
        return SG_ERR_INVAL;
    if ((copy = malloc(n > 0 ? n : 1)) == NULL)
        return SG_ERR_NOMEM;
    if (n > 0)
        memcpy(copy, data, n);
    if (r == NULL) {
        for (i = 0; i < MEM_SLOTS && t[i].used; i++)
            ;
        if (i == MEM_SLOTS) {
            free(copy);
            return SG_ERR_NOMEM;
        }
        r = &t[i];
    } else {
        rec_free(r);
    }
    r->used = 1;
    if (name != NULL)
        memcpy(r->name, name, name_len);
    r->name[name != NULL ? name_len : 0] = '\0';
    r->dev = dev;
    r->id = id;
    r->data = copy;
    r->n = n;
    return 0;
}

static int load(mem_rec *r, signal_buffer **out)
{
    if (r == NULL)
        return 0;
    *out = signal_buffer_create(r->data, r->n);
    return *out != NULL ? 1 : SG_ERR_NOMEM;
}

/* sessions */
static int s_load(signal_buffer **record, signal_buffer **user,
                  const signal_protocol_address *a, void *ud)
{
    mem_store *m = ud;

    (void)user;
    return load(find(m->sessions, a->name, a->name_len, a->device_id, 0),
                record);
}

static int s_devices(signal_int_list **sessions, const char *name,
                     size_t name_len, void *ud)
{
    mem_store *m = ud;
    signal_int_list *l = signal_int_list_alloc();
    int i, n = 0;

    if (l == NULL)
        return SG_ERR_NOMEM;
    for (i = 0; i < MEM_SLOTS; i++) {
        mem_rec *r = &m->sessions[i];

        if (r->used && strlen(r->name) == name_len &&
            memcmp(r->name, name, name_len) == 0) {
            signal_int_list_push_back(l, r->dev);
            n++;
        }
    }
    *sessions = l;
    return n;
}

static int s_store(const signal_protocol_address *a, uint8_t *record,
                   size_t len, uint8_t *user, size_t user_len, void *ud)
{
    mem_store *m = ud;

    (void)user;
    (void)user_len;
    return put(m->sessions, a->name, a->name_len, a->device_id, 0, record,
               len);
}

static int s_contains(const signal_protocol_address *a, void *ud)
{
    mem_store *m = ud;

    return find(m->sessions, a->name, a->name_len, a->device_id, 0) != NULL;
}

static int s_delete(const signal_protocol_address *a, void *ud)
{
    mem_store *m = ud;
    mem_rec *r = find(m->sessions, a->name, a->name_len, a->device_id, 0);

    if (r == NULL)
        return 0;
    rec_free(r);
    return 1;
}

static int s_delete_all(const char *name, size_t name_len, void *ud)
{
    mem_store *m = ud;
    int i, n = 0;

    for (i = 0; i < MEM_SLOTS; i++) {
        mem_rec *r = &m->sessions[i];

        if (r->used && strlen(r->name) == name_len &&
            memcmp(r->name, name, name_len) == 0) {
            rec_free(r);
            n++;
        }
    }
    return n;
}

/* prekeys */
static int p_load(signal_buffer **record, uint32_t id, void *ud)
{
    mem_store *m = ud;
    int r = load(find(m->prekeys, NULL, 0, 0, id), record);

    return r == 1 ? SG_SUCCESS : r == 0 ? SG_ERR_INVALID_KEY_ID : r;
}

static int p_store(uint32_t id, uint8_t *record, size_t len, void *ud)
{
    mem_store *m = ud;

    return put(m->prekeys, NULL, 0, 0, id, record, len);
}

static int p_contains(uint32_t id, void *ud)
{
    mem_store *m = ud;

    return find(m->prekeys, NULL, 0, 0, id) != NULL;
}

static int p_remove(uint32_t id, void *ud)
{
    mem_store *m = ud;
    mem_rec *r = find(m->prekeys, NULL, 0, 0, id);

    if (r != NULL) {
        rec_free(r);
        m->prekeys_removed++;
    }
    return 0;
}

/* signed prekeys */
static int sp_load(signal_buffer **record, uint32_t id, void *ud)
{
    mem_store *m = ud;
    int r = load(find(m->signed_prekeys, NULL, 0, 0, id), record);

    return r == 1 ? SG_SUCCESS : r == 0 ? SG_ERR_INVALID_KEY_ID : r;
}

static int sp_store(uint32_t id, uint8_t *record, size_t len, void *ud)
{
    mem_store *m = ud;

    return put(m->signed_prekeys, NULL, 0, 0, id, record, len);
}

static int sp_contains(uint32_t id, void *ud)
{
    mem_store *m = ud;

    return find(m->signed_prekeys, NULL, 0, 0, id) != NULL;
}

static int sp_remove(uint32_t id, void *ud)
{
    mem_store *m = ud;
    mem_rec *r = find(m->signed_prekeys, NULL, 0, 0, id);

    if (r != NULL)
        rec_free(r);
    return 0;
}

/* identity */
static int i_pair(signal_buffer **pub, signal_buffer **priv, void *ud)
{
    mem_store *m = ud;

    *pub = signal_buffer_create(m->pub, sizeof m->pub);
    *priv = signal_buffer_create(m->priv, sizeof m->priv);
    if (*pub == NULL || *priv == NULL) {
        signal_buffer_free(*pub);
        signal_buffer_bzero_free(*priv);
        return SG_ERR_NOMEM;
    }
    return 0;
}

static int i_regid(void *ud, uint32_t *registration_id)
{
    mem_store *m = ud;

    *registration_id = m->registration_id;
    return 0;
}

static int i_save(const signal_protocol_address *a, uint8_t *key,
                  size_t len, void *ud)
{
    mem_store *m = ud;

    if (key == NULL)
        return 0;
    return put(m->identities, a->name, a->name_len, a->device_id, 0, key,
               len);
}

static int i_trusted(const signal_protocol_address *a, uint8_t *key,
                     size_t len, void *ud)
{
    mem_store *m = ud;
    mem_rec *r = find(m->identities, a->name, a->name_len, a->device_id, 0);

    if (r == NULL || !m->strict_tofu)
        return 1;
    return r->n == len && memcmp(r->data, key, len) == 0;
}

int mem_store_install(mem_store *m, signal_protocol_store_context *sgs)
{
    signal_protocol_session_store ss = {
        s_load, s_devices, s_store, s_contains, s_delete, s_delete_all,
        NULL, m };
    signal_protocol_pre_key_store ps = {
        p_load, p_store, p_contains, p_remove, NULL, m };
    signal_protocol_signed_pre_key_store sps = {
        sp_load, sp_store, sp_contains, sp_remove, NULL, m };
    signal_protocol_identity_key_store is = {
        i_pair, i_regid, i_save, i_trusted, NULL, m };
    int r;

    if ((r = signal_protocol_store_context_set_session_store(sgs, &ss)) < 0 ||
        (r = signal_protocol_store_context_set_pre_key_store(sgs, &ps)) < 0 ||
        (r = signal_protocol_store_context_set_signed_pre_key_store(sgs,
                                                                    &sps)) <
            0 ||
        (r = signal_protocol_store_context_set_identity_key_store(sgs,
                                                                  &is)) < 0)
        return r;
    return 0;
}

void mem_store_clear(mem_store *m)
{
    int i;

    for (i = 0; i < MEM_SLOTS; i++) {
        rec_free(&m->sessions[i]);
        rec_free(&m->prekeys[i]);
        rec_free(&m->signed_prekeys[i]);
        rec_free(&m->identities[i]);
    }
    memset(m, 0, sizeof *m);
}
