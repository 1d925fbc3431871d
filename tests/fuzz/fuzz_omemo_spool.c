/*
 * fuzz_omemo_spool.c - the XMPP spool records (net/xmpp/record.c) the
 * engine reads back from disk: whatever the bytes, decoding returns a
 * code and stays inside the input; what decodes satisfies the limits and
 * re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/xmpp/xmpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_xrec r;
    uint8_t *again = NULL;
    size_t n = 0;

    if (net_xrec_decode(data, size, &r) != AIRLOCK_OK)
        return 0;
    if (r.env.sender_n == 0 || r.env.sender_n > NET_ADDR_MAX ||
        r.env.recipient_n == 0 || r.env.recipient_n > NET_ADDR_MAX ||
        r.body_n > NET_XREC_BODY_MAX || r.detail_n > NET_XREC_DETAIL_MAX)
        abort();
    if (r.kind == NET_XREC_OMEMO &&
        (r.env.header_count != 1 || (r.iv_n != 12 && r.iv_n != 16) ||
         r.env.headers[0].keymsg_n == 0 ||
         r.env.headers[0].keymsg_n > NET_ENV_KEYMSG_MAX ||
         r.env.payload_n > NET_ENV_PAYLOAD_MAX))
        abort();
    if (net_xrec_encode(&r, &again, &n) != AIRLOCK_OK)
        abort();
    if (n != size || memcmp(again, data, size) != 0)
        abort();
    free(again);
    return 0;
}
