/*
 * fuzz_signal_msg.c - libsignal's deserializers that take a stranger's
 * bytes in crypto_decrypt_key: pre_key_signal_message_deserialize and
 * signal_message_deserialize, both tried on every input. What parses is
 * walked (every accessor), its MAC computed through Airlock's provider
 * under a fixed key, and its stored serialization must equal the input.
 *
 * The signal_context lives for the whole run (harness state, not library
 * state): libsignal needs one to parse, and building one per input would
 * only measure setup.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protocol.h>

#include "crypto/crypto_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static crypto_prov fz_prov;
static signal_context *fz_sg;
static ec_public_key *fz_k1, *fz_k2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    uint8_t k[CRYPTO_KEY_PUB];

    (void)argc;
    (void)argv;
    if (crypto_prov_init(&fz_prov, NULL) != AIRLOCK_OK ||
        crypto_prov_context(&fz_prov, &fz_sg) != AIRLOCK_OK)
        abort();
    memset(k, 0x11, sizeof k);
    k[0] = CRYPTO_DJB_TYPE;
    if (curve_decode_point(&fz_k1, k, sizeof k, fz_sg) < 0)
        abort();
    memset(k, 0x22, sizeof k);
    k[0] = CRYPTO_DJB_TYPE;
    if (curve_decode_point(&fz_k2, k, sizeof k, fz_sg) < 0)
        abort();
    return 0;
}

static void same_bytes(const ciphertext_message *m, const uint8_t *data,
                       size_t size)
{
    signal_buffer *s = ciphertext_message_get_serialized(m);

    if (s == NULL || signal_buffer_len(s) != size ||
        memcmp(signal_buffer_data(s), data, size) != 0)
        abort();
}

static void walk_signal(signal_message *m)
{
    static const uint8_t mac_key[32];
    signal_buffer *body;
    ec_public_key *rk;
    volatile uint32_t sink = 0;
    int r;

    rk = signal_message_get_sender_ratchet_key(m);
    if (rk == NULL)
        abort();
    sink += signal_message_get_message_version(m);
    sink += signal_message_get_counter(m);
    body = signal_message_get_body(m);
    if (body != NULL && signal_buffer_len(body) > 0)
        sink += signal_buffer_data(body)[signal_buffer_len(body) - 1];
    /* HMAC-SHA256 through the provider over the stranger's bytes */
    r = signal_message_verify_mac(m, fz_k1, fz_k2, mac_key, sizeof mac_key,
                                  fz_sg);
    sink += (uint32_t)r;
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pre_key_signal_message *pm = NULL;
    signal_message *sm = NULL;
    volatile uint32_t sink = 0;

    /* crypto_decrypt_key refuses anything larger before parsing */
    if (size > CRYPTO_SIGNAL_MSG_MAX)
        return 0;
    if (pre_key_signal_message_deserialize(&pm, data, size, fz_sg) >= 0) {
        if (pm == NULL)
            abort();
        same_bytes((ciphertext_message *)pm, data, size);
        if (pre_key_signal_message_get_identity_key(pm) == NULL ||
            pre_key_signal_message_get_base_key(pm) == NULL ||
            pre_key_signal_message_get_signal_message(pm) == NULL)
            abort();
        sink += pre_key_signal_message_get_message_version(pm);
        sink += pre_key_signal_message_get_registration_id(pm);
        sink += pre_key_signal_message_get_signed_pre_key_id(pm);
        if (pre_key_signal_message_has_pre_key_id(pm))
            sink += pre_key_signal_message_get_pre_key_id(pm);
        walk_signal(pre_key_signal_message_get_signal_message(pm));
        SIGNAL_UNREF(pm);
    }
    if (signal_message_deserialize(&sm, data, size, fz_sg) >= 0) {
        if (sm == NULL)
            abort();
        same_bytes((ciphertext_message *)sm, data, size);
        walk_signal(sm);
        SIGNAL_UNREF(sm);
    }
    (void)sink;
    return 0;
}
