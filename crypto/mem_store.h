/*
 * mem_store.h - tests and benchmark only: libsignal store callbacks kept in
 * memory, never used by an account, so the
 * provider and libsignal can be exercised without store/. Identity policy
 * is trust-everything (as Airlock's) unless strict_tofu is set: then it is
 * libsignal's classic trust-on-first-use (a different key for a known
 * address is untrusted), which lets a test reach SG_ERR_UNTRUSTED_IDENTITY.
 */
#ifndef AIRLOCK_TEST_MEM_STORE_H
#define AIRLOCK_TEST_MEM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <signal_protocol.h>

#define MEM_SLOTS 64
#define MEM_NAME_MAX 64

typedef struct mem_rec {
    int used;
    char name[MEM_NAME_MAX + 1];
    int32_t dev;
    uint32_t id;
    uint8_t *data;
    size_t n;
} mem_rec;

typedef struct mem_store {
    mem_rec sessions[MEM_SLOTS];
    mem_rec prekeys[MEM_SLOTS];
    mem_rec signed_prekeys[MEM_SLOTS];
    mem_rec identities[MEM_SLOTS];   /* remote identity keys */
    uint8_t pub[33];
    uint8_t priv[32];
    uint32_t registration_id;
    unsigned prekeys_removed;
    int strict_tofu;
} mem_store;

/* Register the four stores on `sgs` (user_data = m). */
int mem_store_install(mem_store *m, signal_protocol_store_context *sgs);
/* Free every record (wiping it). */
void mem_store_clear(mem_store *m);

#endif /* AIRLOCK_TEST_MEM_STORE_H */
