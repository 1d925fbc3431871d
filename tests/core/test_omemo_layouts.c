/* test_omemo_layouts.c - the receiving side of every OMEMO 0.3 layout the
 * XMPP transport accepts (docs/XMPP.md), through the real engine: the
 * transport hands over spool records the way net/xmpp does for a message
 * the envelope cannot carry, and the engine decrypts and renders them.
 *
 *   current: 12-byte IV, key||tag (32 bytes) in the Signal message
 *   16-byte IV with key||tag
 *   older: 16-byte IV, a 16-byte key in the Signal message and the tag
 *          after the ciphertext in the payload
 *   tampered tag (older layout): a decrypt_failed event, nothing shown
 *
 * No client we run sends the last two, so this is where they are proved.
 * Bob writes with his real Signal session to alice; alice's transport is
 * wrapped to behave as the XMPP one (payloads are body text) and to hand
 * over the crafted record. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/engine.h"
#include "crypto/crypto.h"
#include "net/net.h"
#include "net/xmpp/xmpp.h"
#include "tests/core/tutil.h"

#define ALICE "alice@example.org"
#define BOB "bob@example.org"

/* ---- alice's transport: XMPP-like, handing over one crafted record ---- */

static net_ops wrapped;
static uint8_t *record;
static size_t record_n;
static bool handed;

static airlock_err fake_fetch(net_transport *t, size_t limit, net_recv_cb cb,
                              void *arg)
{
    (void)t;
    if (limit > 0 && !handed && record != NULL) {
        handed = true;
        (void)cb(1, record, record_n, arg);
    }
    return AIRLOCK_OK;
}

static airlock_err fake_ack(net_transport *t, const int64_t *seqs, size_t n)
{
    (void)t;
    (void)seqs;
    (void)n;
    return AIRLOCK_OK;
}

/* ---- events ------------------------------------------------------------- */

typedef struct seen {
    char text[256];
    airlock_trust trust;
    int messages;
    int decrypt_failed;
} seen;

static void on_event(const airlock_event *ev, void *user)
{
    seen *s = user;
    size_t i, o = 0;

    if (ev->kind == AIRLOCK_EVENT_SECURITY &&
        ev->security->kind == AIRLOCK_SEC_DECRYPT_FAILED)
        s->decrypt_failed++;
    if (ev->kind != AIRLOCK_EVENT_MESSAGE && ev->kind != AIRLOCK_EVENT_REQUEST)
        return;
    s->messages++;
    s->trust = airlock_model_trust(ev->message->model);
    s->text[0] = '\0';
    for (i = 0; i < airlock_model_span_count(ev->message->model); i++) {
        const airlock_span *sp = airlock_model_span(ev->message->model, i);

        if (o + sp->len < sizeof s->text) {
            memcpy(s->text + o, sp->text, sp->len);
            o += sp->len;
            s->text[o] = '\0';
        }
    }
}

/* ---- fixture -------------------------------------------------------------- */

typedef struct fx {
    char root[64];
    char relay[128];
    airlock_ctx *alice, *bob;
    seen s;
} fx;

static airlock_ctx *open_acct(fx *f, const char *acct, seen *s)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;

    airlock_config_init(&cfg);
    cfg.home = f->root;
    cfg.account = acct;
    cfg.relay_path = f->relay;
    cfg.no_passphrase = 1;
    cfg.sandbox = 0;
    cfg.on_event = s != NULL ? on_event : NULL;
    cfg.user_data = s;
    assert_int_equal(airlock_account_create(&cfg), AIRLOCK_OK);
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
    return ctx;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/airlock-layouts-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->relay, sizeof f->relay, "%s/local-relay.db", f->root);
    f->alice = open_acct(f, ALICE, &f->s);
    f->bob = open_acct(f, BOB, NULL);
    /* a conversation both ways: sessions established, bob a contact */
    assert_int_equal(airlock_send_text(f->bob, ALICE, "hi", 2, NULL),
                     AIRLOCK_OK);
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(airlock_send_text(f->alice, BOB, "hey", 3, NULL),
                     AIRLOCK_OK);
    assert_int_equal(airlock_step(f->bob, 0), AIRLOCK_OK);
    /* from now on alice's transport is XMPP-like */
    wrapped = *f->alice->net->ops;
    wrapped.payload_is_body = true;
    wrapped.fetch = fake_fetch;
    wrapped.ack = fake_ack;
    f->alice->net->ops = &wrapped;
    memset(&f->s, 0, sizeof f->s);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    airlock_close(f->alice);
    airlock_close(f->bob);
    rm_rf(f->root);
    free(record);
    record = NULL;
    handed = false;
    free(f);
    return 0;
}

/* Bob encrypts `body` for alice's device in the given layout and alice's
 * transport hands it over as a spool record. */
static void craft(fx *f, const char *body, size_t iv_n, bool older,
                  bool tamper)
{
    uint8_t key[CRYPTO_KEYTAG], iv[16], *keymsg = NULL, *payload;
    size_t n = strlen(body), keymsg_n = 0;
    bool prekey = false;
    net_xrec r;

    crypto_random(f->bob->cr, key, CRYPTO_MSGKEY);
    crypto_random(f->bob->cr, iv, sizeof iv);
    assert_non_null(payload = malloc(n + CRYPTO_GCM_TAG));
    /* the tag goes after the ciphertext (older) or after the key */
    assert_int_equal(crypto_gcm_encrypt(key, iv, iv_n,
                                        (const uint8_t *)body, n, payload,
                                        older ? payload + n :
                                                key + CRYPTO_MSGKEY),
                     AIRLOCK_OK);
    if (tamper)
        payload[n] ^= 0x01;
    assert_int_equal(crypto_encrypt_key(f->bob->cr, ALICE,
                                        airlock_device_id(f->alice), key,
                                        older ? CRYPTO_MSGKEY : CRYPTO_KEYTAG,
                                        &keymsg, &keymsg_n, &prekey),
                     AIRLOCK_OK);
    memset(&r, 0, sizeof r);
    r.kind = NET_XREC_OMEMO;
    r.env.sender = BOB;
    r.env.sender_n = strlen(BOB);
    r.env.sender_device = airlock_device_id(f->bob);
    r.env.recipient = ALICE;
    r.env.recipient_n = strlen(ALICE);
    r.env.timestamp_ms = 1700000000000ull;
    crypto_random(f->bob->cr, r.env.id, sizeof r.env.id);
    r.env.header_count = 1;
    r.env.headers[0].device = airlock_device_id(f->alice);
    r.env.headers[0].prekey = prekey;
    r.env.headers[0].keymsg = keymsg;
    r.env.headers[0].keymsg_n = keymsg_n;
    r.env.iv = iv;
    r.iv_n = iv_n;
    r.env.payload = payload;
    r.env.payload_n = older ? n + CRYPTO_GCM_TAG : n;
    assert_int_equal(net_xrec_encode(&r, &record, &record_n), AIRLOCK_OK);
    free(keymsg);
    free(payload);
}

static void receive(fx *f)
{
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_true(handed);
}

static void test_current_layout(void **state)
{
    fx *f = *state;

    craft(f, "*current* layout", 12, false, false);
    receive(f);
    assert_int_equal(f->s.messages, 1);
    assert_string_equal(f->s.text, "*current* layout");
    assert_int_equal(f->s.trust, AIRLOCK_TRUST_ACCEPTED);
}

static void test_iv16_keytag(void **state)
{
    fx *f = *state;

    craft(f, "a 16-byte IV", 16, false, false);
    receive(f);
    assert_int_equal(f->s.messages, 1);
    assert_string_equal(f->s.text, "a 16-byte IV");
}

static void test_older_layout(void **state)
{
    fx *f = *state;

    craft(f, "the _older_ layout", 16, true, false);
    receive(f);
    assert_int_equal(f->s.messages, 1);
    assert_string_equal(f->s.text, "the _older_ layout");
    assert_int_equal(f->s.trust, AIRLOCK_TRUST_ACCEPTED);
    assert_int_equal(f->s.decrypt_failed, 0);
}

static void test_older_layout_tampered(void **state)
{
    fx *f = *state;

    craft(f, "tampered", 16, true, true);
    receive(f);
    assert_int_equal(f->s.messages, 0);
    assert_int_equal(f->s.decrypt_failed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_current_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_iv16_keytag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_layout_tampered, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
