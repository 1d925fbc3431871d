/*
 * omemo.h - OMEMO (XEP-0384 v0.3, namespace eu.siacs.conversations.axolotl)
 * stanza parsers and builders for the XMPP transport. Private to net/xmpp
 * and its tests; the engine never sees XML.
 *
 * The parsers read libstrophe's already-parsed element trees, never text
 * re-serialized from them. Every element, attribute, text and count they
 * look at has a named maximum checked before work is done; base64 goes
 * through a strict decoder with a fixed output capacity; work is linear in
 * the size of the element. Anything outside the rules is MALFORMED (or
 * TOO_LARGE): the caller turns it into a security event, never a crash.
 *
 * libstrophe types appear here only as opaque forward declarations, so
 * tests and fuzz harnesses include this header without <strophe.h>; they
 * make trees with net_xml_parse().
 */
#ifndef AIRLOCK_NET_XMPP_OMEMO_H
#define AIRLOCK_NET_XMPP_OMEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"
#include "net/net.h"

typedef struct _xmpp_ctx_t xmpp_ctx_t;
typedef struct _xmpp_stanza_t xmpp_stanza_t;

#define NET_OMEMO_NS "eu.siacs.conversations.axolotl"
#define NET_OMEMO_NODE_DEVICELIST NET_OMEMO_NS ".devicelist"
#define NET_OMEMO_NODE_BUNDLES NET_OMEMO_NS ".bundles:"
#define NET_OMEMO_NOTIFY NET_OMEMO_NODE_DEVICELIST "+notify"
#define NET_NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define NET_NS_PUBSUB_EVENT "http://jabber.org/protocol/pubsub#event"

/* ---- named maxima ---- */
#define NET_OMEMO_KEYS_MAX NET_ENV_HEADERS_MAX  /* <key> per message */
#define NET_OMEMO_KEY_MAX NET_ENV_KEYMSG_MAX    /* decoded Signal message */
#define NET_OMEMO_IV_MAX 16u                    /* 12 (current) or 16 */
#define NET_OMEMO_BODY_MAX 65536u               /* body text we send/accept */
/* Payload: body text, plus the 16-byte tag of the older layout. */
#define NET_OMEMO_PAYLOAD_MAX (NET_OMEMO_BODY_MAX + 16u)
#define NET_OMEMO_PREKEYS_MAX 256u              /* one-time prekeys/bundle */
#define NET_OMEMO_DEVICES_MAX NET_ENV_HEADERS_MAX /* devices in a list */
#define NET_OMEMO_CHILDREN_MAX 512u             /* elements under one parent */
#define NET_OMEMO_ID_MAX 0x7fffffffu            /* device / key ids */
#define NET_OMEMO_PUB 33u                       /* 0x05 || Curve25519 */
#define NET_OMEMO_SIG 64u
#define NET_OMEMO_ATTR_MAX 64u                  /* a number/boolean attr. */
/* The local bundle v1 byte format (docs/CRYPTO.md) the engine parses. */
#define NET_OMEMO_LOCAL_BUNDLE_LEN (1u + 4u + 4u + NET_OMEMO_PUB + 4u + \
                                    NET_OMEMO_PUB + NET_OMEMO_SIG)

/* ---- base64 (RFC 4648, standard alphabet) ---- */

/* Decode n bytes of base64 (whitespace between characters is skipped;
 * padding is optional but must be right when present; the unused bits of
 * the last character must be zero) into out[cap]. TOO_LARGE when the
 * result would exceed cap, MALFORMED otherwise on any violation. */
airlock_err net_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap,
                           size_t *out_n);
/* Encode into a new NUL-terminated string (malloc). */
airlock_err net_b64_encode(const uint8_t *in, size_t n, char **out);

/* Strict decimal: 1..10 digits, no sign, no leading zero (except "0"),
 * value <= max. */
airlock_err net_dec_u32(const char *s, uint32_t max, uint32_t *v);

/* ---- an OMEMO message (<encrypted>) ---- */

typedef struct net_omemo_key {
    uint32_t rid;                 /* recipient device */
    bool prekey;                  /* prekey='true' or prekey='1' */
    const uint8_t *msg;           /* Signal message; borrows m->buf */
    size_t msg_n;                 /* 1..NET_OMEMO_KEY_MAX */
} net_omemo_key;

typedef struct net_omemo_msg {
    uint32_t sid;                 /* sender device */
    size_t key_count;             /* 1..NET_OMEMO_KEYS_MAX, rids distinct */
    net_omemo_key keys[NET_OMEMO_KEYS_MAX];
    uint8_t iv[NET_OMEMO_IV_MAX];
    size_t iv_n;                  /* 12 or 16 */
    bool has_payload;             /* false: a key transport element */
    const uint8_t *payload;       /* borrows buf; NULL when payload_n 0 */
    size_t payload_n;             /* <= NET_OMEMO_PAYLOAD_MAX */
    uint8_t *buf;                 /* owns the decoded bytes */
} net_omemo_msg;

/* Parse an <encrypted xmlns=NET_OMEMO_NS> element. On success *m owns a
 * buffer released with net_omemo_msg_clear (also safe after a failure).
 * Errors: ARG, NOMEM, MALFORMED, TOO_LARGE. */
airlock_err net_omemo_msg_parse(xmpp_stanza_t *encrypted, net_omemo_msg *m);
void net_omemo_msg_clear(net_omemo_msg *m);
/* The key addressed to `rid`, or NULL. */
const net_omemo_key *net_omemo_msg_key(const net_omemo_msg *m, uint32_t rid);

/* ---- a bundle (<bundle xmlns=NET_OMEMO_NS>) ---- */

typedef struct net_omemo_bundle {
    uint32_t spk_id;
    uint8_t spk[NET_OMEMO_PUB];
    uint8_t sig[NET_OMEMO_SIG];
    uint8_t ik[NET_OMEMO_PUB];
    size_t prekey_count;          /* 0..NET_OMEMO_PREKEYS_MAX */
    uint32_t prekey_id[NET_OMEMO_PREKEYS_MAX];
    uint8_t prekey[NET_OMEMO_PREKEYS_MAX][NET_OMEMO_PUB];
} net_omemo_bundle;

/* Parse a <bundle>. Public keys are 33 bytes starting 0x05 (a bare 32-byte
 * key gets the prefix); the signature is 64 bytes. The signature is not
 * verified here (crypto does that when it builds a session).
 * Errors: ARG, MALFORMED, TOO_LARGE. */
airlock_err net_omemo_bundle_parse(xmpp_stanza_t *bundle,
                                   net_omemo_bundle *b);

/* Encode the local bundle v1 record (docs/CRYPTO.md) of device `dev`
 * from *b: OMEMO bundles carry no registration id, so the device id
 * stands in for it (libsignal only records it). *out is malloc'd. */
airlock_err net_omemo_bundle_to_local(const net_omemo_bundle *b,
                                      uint32_t dev, uint8_t **out,
                                      size_t *n);

/* The parts of our own local bundle v1 record (trusted bytes, still read
 * with the bounded reader). */
typedef struct net_omemo_local {
    uint32_t device_id;
    uint8_t ik[NET_OMEMO_PUB];
    uint32_t spk_id;
    uint8_t spk[NET_OMEMO_PUB];
    uint8_t sig[NET_OMEMO_SIG];
} net_omemo_local;
airlock_err net_omemo_local_parse(const uint8_t *in, size_t n,
                                  net_omemo_local *out);

/* ---- a device list (<list xmlns=NET_OMEMO_NS>) ---- */

/* Device ids of a <list>, duplicates dropped, in document order; at most
 * NET_OMEMO_DEVICES_MAX (more: TOO_LARGE). ids must hold that many. */
airlock_err net_omemo_devicelist_parse(xmpp_stanza_t *list, uint32_t *ids,
                                       size_t *n);

/* ---- locating the parts in whole stanzas ---- */

/* <encrypted xmlns=NET_OMEMO_NS> directly under `message`, or NULL. */
xmpp_stanza_t *net_omemo_find_encrypted(xmpp_stanza_t *message);
/* The payload of the single <item> of node `node` in a pubsub IQ result
 * (<pubsub><items node=...><item>) or a PEP event (<event><items node=...>
 * <item>): its child element `name` in NET_OMEMO_NS. *item_id (may be
 * NULL) borrows the item's id attribute, *publisher its publisher
 * attribute (either NULL when absent). NULL when the shape differs. */
xmpp_stanza_t *net_omemo_find_item(xmpp_stanza_t *stanza, const char *node,
                                   const char *name, const char **item_id,
                                   const char **publisher);

/* ---- builders (our own data; text is encoded by libstrophe) ---- */

/* <message type='chat' to=to id=id> with <encrypted> from envelope `e`
 * (all its headers, its IV and payload), a fallback <body>, and
 * <store xmlns='urn:xmpp:hints'/>. Errors: ARG, NOMEM. */
airlock_err net_omemo_build_message(xmpp_ctx_t *ctx, const net_env *e,
                                    const char *to, const char *id,
                                    xmpp_stanza_t **out);
/* <list xmlns=NET_OMEMO_NS> with <device id=.../> for each id. */
airlock_err net_omemo_build_devicelist(xmpp_ctx_t *ctx, const uint32_t *ids,
                                       size_t n, xmpp_stanza_t **out);
/* <bundle xmlns=NET_OMEMO_NS> from our local bundle and prekeys
 * (ids[count], pubs[count * 33]). */
airlock_err net_omemo_build_bundle(xmpp_ctx_t *ctx, const net_omemo_local *l,
                                   const uint32_t *ids, const uint8_t *pubs,
                                   size_t count, xmpp_stanza_t **out);

/* The fallback body for clients without OMEMO. */
#define NET_OMEMO_FALLBACK "[This message is OMEMO encrypted; your client " \
                           "cannot show it.]"

/* ---- JIDs and time stamps from stanzas (util.c) ---- */

#define NET_XMPP_JID_MAX 3071u        /* RFC 7622: 1023 bytes per part */
#define NET_XMPP_STAMP_MAX 40u        /* an XEP-0082 date-time */

/* The bare part of a JID from the wire into out: false when absent, over
 * NET_XMPP_JID_MAX, a bare part over NET_ADDR_MAX or not an identifier
 * (base_utf8_ident). A JID without '@' (a server) only with domain_ok. */
bool net_xmpp_bare_of(const char *jid, char out[NET_ADDR_MAX + 1],
                      bool domain_ok);
/* XEP-0082 date-time YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm),
 * year >= 1970, to milliseconds since the epoch; false otherwise. */
bool net_xmpp_stamp_parse(const char *s, int64_t *ms);

/* ---- the size of a received stanza ----
 * libstrophe builds a whole stanza before any handler runs and has no
 * limit of its own (the server's bounds what it holds); our handlers read
 * nothing of a stanza that does not fit. Counted: element names,
 * attribute names and values, text, and NET_XMPP_ELEM_COST per element;
 * the walk stops as soon as the count passes the maximum, and refuses
 * nesting deeper than NET_XMPP_DEPTH_MAX or an element with more than
 * NET_XMPP_ATTRS_MAX attributes. The largest OMEMO message we accept
 * (64 keys of 1024 bytes, a 64 KiB payload, in base64) counts about
 * 180 KiB. */
#define NET_XMPP_STANZA_MAX (256u * 1024u)
#define NET_XMPP_DEPTH_MAX 32u
#define NET_XMPP_ATTRS_MAX 64u
#define NET_XMPP_ELEM_COST 8u
bool net_xmpp_stanza_fits(xmpp_stanza_t *st, size_t max);

/* ---- XML text to a tree (tests, fuzzing, the transport's own use) ---- */

typedef struct net_xml net_xml;
#define NET_XML_MAX (512u * 1024u)

/* Parse one element from n bytes of XML text (NUL bytes: MALFORMED;
 * larger than NET_XML_MAX: TOO_LARGE). Errors: NOMEM, MALFORMED. */
airlock_err net_xml_parse(const char *s, size_t n, net_xml **out);
xmpp_stanza_t *net_xml_root(const net_xml *x);
void net_xml_free(net_xml *x);
/* A bare libstrophe context for building stanzas (no connection, no
 * logging), and the release of a built stanza. */
xmpp_ctx_t *net_xml_ctx_new(void);
void net_xml_ctx_free(xmpp_ctx_t *ctx);
void net_xml_release(xmpp_stanza_t *st);

/* Serialize a stanza WE BUILT (a builder's output) into a new
 * NUL-terminated string (malloc): for tests and fuzz round trips. Never
 * used on anything received: what others send is never re-serialized. */
airlock_err net_xml_own_text(xmpp_stanza_t *own, char **out, size_t *n);

/* Child element `name` in namespace `ns` (NULL: any) of `st`, looking at
 * no more than NET_OMEMO_CHILDREN_MAX children; NULL when absent. */
xmpp_stanza_t *net_xml_child(xmpp_stanza_t *st, const char *name,
                             const char *ns);

#endif /* AIRLOCK_NET_XMPP_OMEMO_H */
