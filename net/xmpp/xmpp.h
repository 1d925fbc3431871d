/*
 * xmpp.h - the XMPP transport (OMEMO, XEP-0384 v0.3, over libstrophe) and
 * the spool records it hands to the engine. What core/ may use of
 * net/xmpp; the only layer that includes <strophe.h> is net/xmpp itself.
 *
 * Inbound: every <message> the transport reads is turned into bytes and
 * written to a durable spool (an SQLite mailbox in the account directory,
 * store_relay) inside the stanza handler, before libstrophe can
 * acknowledge it to the server (XEP-0198). fetch() hands spooled items to
 * the engine, ack() deletes them after the engine's store committed.
 * An item is either envelope v1 (net.h: an OMEMO message with a 12-byte
 * IV, mapped field for field) or a spool record below (an unencrypted
 * body, an OMEMO message with a 16-byte IV, a security event, a
 * subscription request).
 *
 * The XMPP-layer gate (docs/XMPP.md): from a JID that is not an accepted
 * contact only <message> stanzas with <encrypted> or <body> are read;
 * every other extension, presence and IQ from them is ignored unread
 * (a subscription request becomes a request). Carbons and archive results
 * are read only from the own bare JID; PEP notifications only about the
 * JID that sent them. Nothing a stranger sends causes outbound traffic.
 *
 * One transport belongs to one account context and one thread.
 */
#ifndef AIRLOCK_NET_XMPP_XMPP_H
#define AIRLOCK_NET_XMPP_XMPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"
#include "net/net.h"

/* ---- the transport ---- */

#define NET_XMPP_PORT_DEFAULT 5222u
#define NET_XMPP_PASSWORD_MAX 1023u
#define NET_XMPP_HOST_MAX 253u
/* Longest a blocking call (device list, bundle, flush) waits. */
#define NET_XMPP_IQ_TIMEOUT_MS 10000
/* How often the engine's step comes back while connected (no socket fd
 * is exposed by libstrophe 0.12: see docs/XMPP.md). */
#define NET_XMPP_POLL_MS 100

typedef enum net_xmpp_tls {
    NET_XMPP_TLS_VERIFY = 0,      /* STARTTLS required, certificate checked */
    NET_XMPP_TLS_TRUST = 1,       /* STARTTLS required, any certificate */
    NET_XMPP_TLS_DISABLE = 2      /* no TLS (loopback hosts only) */
} net_xmpp_tls;

/* The engine's view of a peer, asked by the gate for every stanza. */
typedef airlock_trust (*net_xmpp_trust_fn)(void *user, const char *addr);
/* The addresses blocked here, each handed to cb: pushed to the server's
 * block list (XEP-0191) when a session starts, so that a block made while
 * offline, or lost on the server, reaches it. */
typedef void (*net_xmpp_addr_cb)(void *arg, const char *addr);
typedef void (*net_xmpp_blocked_fn)(void *user, net_xmpp_addr_cb cb,
                                    void *arg);
#define NET_XMPP_BLOCK_ITEMS_MAX 256u /* <item/>s in one <block> we send */

typedef struct net_xmpp_args {
    const char *jid;              /* own bare JID (the account) */
    const char *password;         /* borrowed during open only */
    size_t password_n;
    const char *host;             /* NULL: the JID's domain */
    uint16_t port;                /* 0: 5222 */
    net_xmpp_tls tls;
    uint32_t device_id;
    const char *spool_path;       /* the inbound spool (created 0600) */
    net_xmpp_trust_fn trust;      /* may be NULL: everyone UNKNOWN */
    net_xmpp_blocked_fn blocked;  /* may be NULL: nothing pushed */
    void *trust_user;             /* for both */
} net_xmpp_args;

/* Open the transport and start connecting (no wait). TLS modes other
 * than VERIFY are refused (ARG) unless the host is a loopback address.
 * The caller closes with t->ops->close(t). Errors: ARG, NOMEM, STORE, IO. */
airlock_err net_xmpp_open(const net_xmpp_args *a, net_transport **out);

/* Run the connection until the session is ready (bound, presence sent,
 * offline messages and own device list handled) or `timeout_ms` passes.
 * Errors: TIMEOUT; AUTH (the server refused the credentials); TLS; NET. */
airlock_err net_xmpp_wait_ready(net_transport *t, int timeout_ms);

/* True for 127.0.0.0/8, ::1 and "localhost". */
bool net_xmpp_host_is_loopback(const char *host);

/* Is `jid` a bare JID we accept as an account address: local@domain,
 * both parts non-empty, no resource, no spaces, at most NET_ADDR_MAX. */
bool net_xmpp_bare_jid_ok(const char *jid);

/* ---- spool records ---- */

#define NET_XREC_MAGIC 0xACu       /* first byte; envelope v1 starts 0xAE */
#define NET_XREC_VERSION 1u
#define NET_XREC_DETAIL_MAX 95u

typedef enum net_xrec_kind {
    NET_XREC_PLAIN = 1,           /* an unencrypted <body> */
    NET_XREC_OMEMO = 2,           /* OMEMO message the envelope cannot carry */
    NET_XREC_EVENT = 3,           /* a security event seen by the gate */
    NET_XREC_SUBSCRIBE = 4        /* a presence subscription request */
} net_xrec_kind;

/* A decoded record; pointers borrow from the input bytes. */
typedef struct net_xrec {
    net_xrec_kind kind;
    /* every kind: env.sender, env.recipient, env.timestamp_ms, env.id.
     * OMEMO: also env.sender_device, one header, env.iv (iv_n bytes),
     * env.payload. */
    net_env env;
    size_t iv_n;                  /* OMEMO: 12 or 16 */
    const uint8_t *body;          /* PLAIN: not NUL-terminated */
    size_t body_n;                /* <= NET_XREC_BODY_MAX */
    airlock_sec_kind sec;         /* EVENT */
    const char *detail;           /* EVENT: not NUL-terminated */
    size_t detail_n;              /* <= NET_XREC_DETAIL_MAX */
} net_xrec;

#define NET_XREC_BODY_MAX 65536u
#define NET_XREC_MAX (NET_ENV_MAX + 64u)

/* Decode with the bounded reader; MALFORMED / TRUNCATED / TOO_LARGE on
 * any violation (bad magic or version, unknown kind, invalid address,
 * IV not 12 or 16, lengths over their maxima, trailing bytes). */
airlock_err net_xrec_decode(const uint8_t *in, size_t n, net_xrec *out);
/* Encode; *out is malloc'd. */
airlock_err net_xrec_encode(const net_xrec *r, uint8_t **out, size_t *n);

#endif /* AIRLOCK_NET_XMPP_XMPP_H */
