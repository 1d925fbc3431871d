/*
 * fuzz_omemo_bundle.c - the OMEMO bundle and device list parsers
 * (net/xmpp/omemo.c) on arbitrary XML: an IQ result or PEP event (the item
 * is found by node), or a bare <bundle> / <list>. What parses satisfies
 * the limits; a bundle rebuilt with the builder parses back equal, and
 * its local bundle record parses back to the same keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/xmpp/omemo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_bundle(const net_omemo_bundle *b)
{
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *st = NULL;
    net_omemo_local l;
    net_omemo_bundle *again = NULL;
    net_xml *x = NULL;
    uint8_t *rec = NULL, *pubs = NULL;
    char *txt = NULL;
    size_t rn = 0, tn = 0, i;

    if (b->spk_id == 0 || b->spk[0] != 0x05 || b->ik[0] != 0x05 ||
        b->prekey_count > NET_OMEMO_PREKEYS_MAX)
        abort();
    for (i = 0; i < b->prekey_count; i++)
        if (b->prekey_id[i] == 0 || b->prekey[i][0] != 0x05)
            abort();
    if (net_omemo_bundle_to_local(b, 77, &rec, &rn) != AIRLOCK_OK)
        return;
    if (net_omemo_local_parse(rec, rn, &l) != AIRLOCK_OK ||
        l.device_id != 77 || l.spk_id != b->spk_id ||
        memcmp(l.ik, b->ik, NET_OMEMO_PUB) != 0 ||
        memcmp(l.spk, b->spk, NET_OMEMO_PUB) != 0 ||
        memcmp(l.sig, b->sig, NET_OMEMO_SIG) != 0)
        abort();
    if ((ctx = net_xml_ctx_new()) == NULL)
        goto out;
    if ((pubs = malloc(b->prekey_count * NET_OMEMO_PUB + 1)) == NULL ||
        (again = calloc(1, sizeof *again)) == NULL)
        goto out;
    for (i = 0; i < b->prekey_count; i++)
        memcpy(pubs + i * NET_OMEMO_PUB, b->prekey[i], NET_OMEMO_PUB);
    if (net_omemo_build_bundle(ctx, &l, b->prekey_id, pubs, b->prekey_count,
                               &st) != AIRLOCK_OK ||
        net_xml_own_text(st, &txt, &tn) != AIRLOCK_OK)
        goto out;
    if (net_xml_parse(txt, tn, &x) != AIRLOCK_OK ||
        net_omemo_bundle_parse(net_xml_root(x), again) != AIRLOCK_OK ||
        memcmp(again, b, sizeof *b) != 0)
        abort();
out:
    net_xml_free(x);
    free(txt);
    net_xml_release(st);
    net_xml_ctx_free(ctx);
    free(again);
    free(pubs);
    free(rec);
}

static void check_list(const uint32_t *ids, size_t n)
{
    size_t i, j;

    if (n > NET_OMEMO_DEVICES_MAX)
        abort();
    for (i = 0; i < n; i++) {
        if (ids[i] == 0 || ids[i] > NET_OMEMO_ID_MAX)
            abort();
        for (j = 0; j < i; j++)
            if (ids[i] == ids[j])
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_xml *x = NULL;
    xmpp_stanza_t *root, *el;
    net_omemo_bundle *b;
    uint32_t ids[NET_OMEMO_DEVICES_MAX];
    size_t n = 0;
    const char *node = NET_OMEMO_NODE_BUNDLES "1";

    if (net_xml_parse((const char *)data, size, &x) != AIRLOCK_OK)
        return 0;
    root = net_xml_root(x);
    if ((b = calloc(1, sizeof *b)) == NULL)
        goto out;
    el = net_omemo_find_item(root, node, "bundle", NULL, NULL);
    if (net_omemo_bundle_parse(el != NULL ? el : root, b) == AIRLOCK_OK)
        check_bundle(b);
    el = net_omemo_find_item(root, NET_OMEMO_NODE_DEVICELIST, "list", NULL,
                             NULL);
    if (net_omemo_devicelist_parse(el != NULL ? el : root, ids, &n) ==
        AIRLOCK_OK)
        check_list(ids, n);
    free(b);
out:
    net_xml_free(x);
    return 0;
}
