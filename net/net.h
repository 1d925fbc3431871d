/*
 * net.h - transports and the envelope wire codec. net/ turns envelopes into
 * wire bytes and back and knows nothing of keys.
 *
 * Envelope v1 (docs/WIRE-FORMAT.md) has OMEMO's structure: one header per
 * recipient device carrying a Signal message of key||tag, a 12-byte IV and
 * an AES-128-GCM payload without its tag.
 */
#ifndef AIRLOCK_NET_H
#define AIRLOCK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"

/* ---- named maxima of envelope v1 ---- */
#define NET_ENV_MAGIC 0xAEu
#define NET_ENV_VERSION 1u
#define NET_ADDR_MAX 255u              /* bytes of a sender address */
#define NET_ENV_HEADERS_MAX 64u        /* recipient devices per envelope */
#define NET_ENV_KEYMSG_MAX 1024u       /* one Signal message of key||tag */
#define NET_ENV_IV 12u
#define NET_ENV_PAYLOAD_MAX 262144u    /* a content frame, GCM keeps size */
#define NET_ENV_MAX (NET_ENV_PAYLOAD_MAX + NET_ENV_HEADERS_MAX * \
                     (NET_ENV_KEYMSG_MAX + 16u) + 2u * NET_ADDR_MAX + 64u)
#define NET_DEVICE_ID_MAX 0x7fffffffu

#define NET_ENV_FLAG_PREKEY 0x01u

typedef struct net_env_header {
    uint32_t device;
    bool prekey;
    const uint8_t *keymsg;     /* borrowed */
    size_t keymsg_n;
} net_env_header;

/* A decoded envelope; every pointer borrows from the input bytes. */
typedef struct net_env {
    const char *sender;        /* NOT NUL-terminated: sender_n bytes */
    size_t sender_n;
    uint32_t sender_device;
    const char *recipient;     /* conversation address (not terminated) */
    size_t recipient_n;
    uint64_t timestamp_ms;
    uint8_t id[16];            /* message id chosen by the sender */
    size_t header_count;
    net_env_header headers[NET_ENV_HEADERS_MAX];
    const uint8_t *iv;         /* NET_ENV_IV bytes */
    const uint8_t *payload;
    size_t payload_n;
} net_env;

/* Decode with the bounded reader. TOO_LARGE over NET_ENV_MAX, MALFORMED /
 * TRUNCATED on any violation (bad magic, unknown flags, invalid address,
 * zero or duplicate device ids, trailing bytes). */
airlock_err net_env_decode(const uint8_t *in, size_t n, net_env *out);
/* Encode; *out is malloc'd. */
airlock_err net_env_encode(const net_env *e, uint8_t **out, size_t *n);
/* The header addressed to `device`, or NULL. */
const net_env_header *net_env_find(const net_env *e, uint32_t device);

/* ---- transports ---- */

/* One inbound item: bytes valid during the callback only. */
typedef int (*net_recv_cb)(int64_t seq, const uint8_t *env, size_t n,
                           void *arg);

typedef struct net_transport net_transport;

typedef struct net_ops {
    const char *name;
    /* A pollable descriptor that becomes readable on new work, or -1. */
    int (*fd)(net_transport *t);
    /* Consume readiness of fd (called after poll says readable). */
    void (*drain)(net_transport *t);
    /* Milliseconds until the transport wants step again (-1: only on fd). */
    int (*timeout_ms)(net_transport *t);
    bool (*up)(net_transport *t);
    /* Publish own device: opaque signed bundle and one-time prekeys
     * (ids[count], pubs[count * 33]). */
    airlock_err (*publish)(net_transport *t, const uint8_t *bundle, size_t n,
                           const uint32_t *ids, const uint8_t *pubs,
                           size_t count);
    airlock_err (*prekey_count)(net_transport *t, uint32_t *n);
    /* Devices published for addr (malloc'd array). */
    airlock_err (*devices)(net_transport *t, const char *addr,
                           uint32_t **ids, size_t *n);
    /* Bundle of (addr, dev) plus one one-time prekey (consumed), if any. */
    airlock_err (*take_bundle)(net_transport *t, const char *addr,
                               uint32_t dev, uint8_t **bundle, size_t *n,
                               uint32_t *prekey_id, uint8_t **prekey,
                               size_t *prekey_n);
    /* Queue one envelope for the given devices of `to`. Calls between
     * send_begin and send_commit share one transaction. */
    airlock_err (*send_begin)(net_transport *t);
    airlock_err (*send)(net_transport *t, const char *to,
                        const uint32_t *devs, size_t ndev,
                        const uint8_t *env, size_t n);
    airlock_err (*send_commit)(net_transport *t);
    /* Hand over up to `limit` waiting envelopes, oldest first, that have
     * not been handed over since the last ack. */
    airlock_err (*fetch)(net_transport *t, size_t limit, net_recv_cb cb,
                         void *arg);
    /* Forget envelopes for good: only after the store committed them. */
    airlock_err (*ack)(net_transport *t, const int64_t *seqs, size_t n);
    void (*close)(net_transport *t);
    /* ---- added for XMPP (net/xmpp/xmpp.h); zero / NULL for local ---- */
    /* Payloads are bare body text (OMEMO), not content frames; fetch may
     * also hand over spool records (NET_XREC_MAGIC) besides envelopes. */
    bool payload_is_body;
    /* publish() replaces the whole published prekey set: pass them all. */
    bool publish_replaces;
    /* A contact's trust changed (server-side blocking, subscriptions);
     * may be NULL. */
    void (*trust_changed)(net_transport *t, const char *addr,
                          airlock_trust trust);
    /* A sender address is the transport's claim, not something it can
     * vouch for (XMPP: docs/XMPP.md, forged senders): the engine believes
     * a device of a contact only when devices() of that contact lists it
     * (engine_check_devices). */
    bool claimed_senders;
} net_ops;

struct net_transport {
    const net_ops *ops;
};

/* The local transport over the shared SQLite mailbox at `relay_path`, for
 * device `dev` of `addr`. Wakes on inotify; falls back to 100 ms polling
 * when inotify is unavailable. */
airlock_err net_local_open(const char *relay_path, const char *addr,
                           uint32_t dev, net_transport **out);

#endif /* AIRLOCK_NET_H */
