/*
 * fuzz_omemo_message.c - the OMEMO message parser (net/xmpp/omemo.c) on
 * arbitrary XML: a <message> (the <encrypted> inside it is found) or a bare
 * <encrypted>. Whatever parses satisfies every documented limit, and
 * rebuilding it with the message builder and parsing that again gives the
 * same keys, IV and payload. The stanza size walk (util.c) runs on every
 * tree and is monotone in its limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/xmpp/omemo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const net_omemo_msg *m)
{
    size_t i, j;

    if (m->sid == 0 || m->sid > NET_OMEMO_ID_MAX || m->key_count == 0 ||
        m->key_count > NET_OMEMO_KEYS_MAX ||
        (m->iv_n != 12 && m->iv_n != 16) ||
        m->payload_n > NET_OMEMO_PAYLOAD_MAX ||
        (m->payload_n > 0 && !m->has_payload))
        abort();
    for (i = 0; i < m->key_count; i++) {
        if (m->keys[i].rid == 0 || m->keys[i].rid > NET_OMEMO_ID_MAX ||
            m->keys[i].msg_n == 0 || m->keys[i].msg_n > NET_OMEMO_KEY_MAX)
            abort();
        for (j = 0; j < i; j++)
            if (m->keys[i].rid == m->keys[j].rid)
                abort();
    }
}

/* Build our own stanza from what was parsed, serialize, parse again. */
static void roundtrip(const net_omemo_msg *m)
{
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *st = NULL;
    net_env e;
    net_xml *x = NULL;
    net_omemo_msg again;
    char *txt = NULL;
    size_t tn = 0, i;

    if (m->iv_n != NET_ENV_IV || !m->has_payload)
        return;
    if ((ctx = net_xml_ctx_new()) == NULL)
        return;
    memset(&e, 0, sizeof e);
    e.sender_device = m->sid;
    e.header_count = m->key_count;
    for (i = 0; i < m->key_count; i++) {
        e.headers[i].device = m->keys[i].rid;
        e.headers[i].prekey = m->keys[i].prekey;
        e.headers[i].keymsg = m->keys[i].msg;
        e.headers[i].keymsg_n = m->keys[i].msg_n;
    }
    e.iv = m->iv;
    e.payload = m->payload;
    e.payload_n = m->payload_n;
    if (net_omemo_build_message(ctx, &e, "a@b", "id", &st) != AIRLOCK_OK)
        goto out;
    if (net_xml_own_text(st, &txt, &tn) != AIRLOCK_OK)
        goto out;
    if (net_xml_parse(txt, tn, &x) != AIRLOCK_OK)
        abort();
    if (net_omemo_msg_parse(net_omemo_find_encrypted(net_xml_root(x)),
                            &again) != AIRLOCK_OK)
        abort();
    if (again.sid != m->sid || again.key_count != m->key_count ||
        again.iv_n != m->iv_n || memcmp(again.iv, m->iv, m->iv_n) != 0 ||
        again.payload_n != m->payload_n ||
        (m->payload_n > 0 &&
         memcmp(again.payload, m->payload, m->payload_n) != 0))
        abort();
    for (i = 0; i < m->key_count; i++)
        if (again.keys[i].rid != m->keys[i].rid ||
            again.keys[i].prekey != m->keys[i].prekey ||
            again.keys[i].msg_n != m->keys[i].msg_n ||
            memcmp(again.keys[i].msg, m->keys[i].msg, m->keys[i].msg_n) != 0)
            abort();
    net_omemo_msg_clear(&again);
out:
    net_xml_free(x);
    free(txt);
    net_xml_release(st);
    net_xml_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_xml *x = NULL;
    xmpp_stanza_t *root, *enc;
    net_omemo_msg m;

    if (net_xml_parse((const char *)data, size, &x) != AIRLOCK_OK)
        return 0;
    root = net_xml_root(x);
    if (net_xmpp_stanza_fits(root, size / 2) &&
        !net_xmpp_stanza_fits(root, 4 * size + 64))
        abort();
    (void)net_xmpp_stanza_fits(root, NET_XMPP_STANZA_MAX);
    enc = net_omemo_find_encrypted(root);
    if (enc == NULL)
        enc = root;
    if (net_omemo_msg_parse(enc, &m) == AIRLOCK_OK) {
        check(&m);
        roundtrip(&m);
    }
    net_omemo_msg_clear(&m);
    net_xml_free(x);
    return 0;
}
