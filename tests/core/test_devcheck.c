/* test_devcheck.c - a device is a contact's only when the contact's
 * published device list names it, over a transport whose senders are
 * claims (core/devcheck.c; docs/XMPP.md, forged senders).
 *
 * Three local accounts; alice's transport is wrapped so that it says its
 * senders are claims and its device lists can hide a device or fail, which
 * is what a forged sender looks like from the engine: a device that the
 * claimed sender never published.
 *
 * 1. a stranger's message, then accept: listed -> rendered in full;
 *    unlisted -> stays inert, a spoofed_stanza event; list unavailable ->
 *    inert, an identity_changed event; ack-identity releases it.
 * 2. writing to a stranger (consent by writing) checks the same way.
 * 3. an accepted contact with no known device writes from a new one:
 *    listed -> delivered in full; unlisted -> delivered inert, an event.
 * 4. a device held because the list could not be read is checked again
 *    when it writes (not before the retry interval): released once the
 *    list names it, and its earlier messages render in full.
 * 5. the local transport (senders are not claims) is untouched. */
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
#include "net/net.h"
#include "tests/core/tutil.h"

#define ALICE "alice@example.org"
#define BOB "bob@example.org"
#define CAROL "carol@example.org"

/* ---- alice's wrapped transport -------------------------------------------- */

typedef enum list_mode { LIST_ALL, LIST_HIDE_SENDER, LIST_FAIL } list_mode;

static const net_ops *real_ops;
static net_ops wrapped;
static list_mode mode;
static uint32_t hidden;        /* the device LIST_HIDE_SENDER leaves out */
static unsigned queries;

static airlock_err fake_devices(net_transport *t, const char *addr,
                                uint32_t **ids, size_t *n)
{
    size_t i, k;
    airlock_err err;

    queries++;
    if (mode == LIST_FAIL && strcmp(addr, ALICE) != 0)
        return AIRLOCK_ERR_NET;
    if ((err = real_ops->devices(t, addr, ids, n)) != AIRLOCK_OK)
        return err;
    if (mode == LIST_HIDE_SENDER && strcmp(addr, ALICE) != 0) {
        for (i = k = 0; i < *n; i++)
            if ((*ids)[i] != hidden)
                (*ids)[k++] = (*ids)[i];
        *n = k;
    }
    return AIRLOCK_OK;
}

static void wrap(airlock_ctx *ctx, bool claimed)
{
    real_ops = ctx->net->ops;
    wrapped = *real_ops;
    wrapped.claimed_senders = claimed;
    wrapped.devices = fake_devices;
    ctx->net->ops = &wrapped;
}

/* ---- fixture --------------------------------------------------------------- */

typedef struct fx {
    char root[64];
    char relay[128];
    airlock_ctx *alice, *bob, *carol;
} fx;

static airlock_ctx *open_acct_in(fx *f, const char *home, const char *acct)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;

    airlock_config_init(&cfg);
    cfg.home = home;
    cfg.account = acct;
    cfg.relay_path = f->relay;
    cfg.no_passphrase = 1;
    cfg.sandbox = 0;
    cfg.send_receipts = 0;   /* a receipt would look up devices too */
    assert_int_equal(airlock_account_create(&cfg), AIRLOCK_OK);
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
    return ctx;
}

static airlock_ctx *open_acct(fx *f, const char *acct)
{
    return open_acct_in(f, f->root, acct);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/airlock-devcheck-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->relay, sizeof f->relay, "%s/local-relay.db", f->root);
    f->alice = open_acct(f, ALICE);
    f->bob = open_acct(f, BOB);
    f->carol = open_acct(f, CAROL);
    mode = LIST_ALL;
    hidden = 0;
    queries = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    airlock_close(f->alice);
    airlock_close(f->bob);
    airlock_close(f->carol);
    rm_rf(f->root);
    free(f);
    return 0;
}

/* The trust alice's newest message from `who` is rendered for. */
static airlock_trust newest_trust(fx *f, const char *who)
{
    airlock_message_list *l = NULL;
    const airlock_message *m;
    airlock_trust t;

    assert_int_equal(airlock_history(f->alice, who, 0, 1, &l), AIRLOCK_OK);
    assert_int_equal(airlock_message_list_count(l), 1);
    m = airlock_message_list_get(l, 0);
    t = airlock_model_trust(m->model);
    airlock_message_list_free(l);
    return t;
}

/* Whether alice has a security event of `kind` from `who` whose detail
 * contains `needle`. */
static bool has_event(fx *f, airlock_sec_kind kind, const char *who,
                      const char *needle)
{
    airlock_event_list *l = NULL;
    size_t i;
    bool found = false;

    assert_int_equal(airlock_security_events(f->alice, 100, &l), AIRLOCK_OK);
    for (i = 0; i < airlock_event_list_count(l); i++) {
        const airlock_security_event *e = airlock_event_list_get(l, i);

        if (e->kind == kind && e->sender != NULL &&
            strcmp(e->sender, who) == 0 && e->detail != NULL &&
            strstr(e->detail, needle) != NULL)
            found = true;
    }
    airlock_event_list_free(l);
    return found;
}

static void send_from(airlock_ctx *from, const char *to, const char *text)
{
    assert_int_equal(airlock_send_text(from, to, text, strlen(text), NULL),
                     AIRLOCK_OK);
}

/* ---- 1. a stranger accepted ------------------------------------------------ */

static void test_accept_listed(void **state)
{
    fx *f = *state;

    wrap(f->alice, true);
    send_from(f->bob, ALICE, "*hello* alice");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, BOB), AIRLOCK_TRUST_UNKNOWN);
    assert_int_equal(queries, 0);      /* a stranger causes no query */
    assert_int_equal(airlock_accept(f->alice, BOB), AIRLOCK_OK);
    assert_int_equal(queries, 1);
    assert_int_equal(newest_trust(f, BOB), AIRLOCK_TRUST_ACCEPTED);
    assert_false(has_event(f, AIRLOCK_SEC_SPOOFED_STANZA, BOB, "device"));
}

static void test_accept_unlisted(void **state)
{
    fx *f = *state;

    wrap(f->alice, true);
    send_from(f->bob, ALICE, "*forged* in bob's name");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    mode = LIST_HIDE_SENDER;
    hidden = airlock_device_id(f->bob);
    assert_int_equal(airlock_accept(f->alice, BOB), AIRLOCK_OK);
    /* a contact now, but the device is not theirs: inert */
    assert_int_equal(newest_trust(f, BOB), AIRLOCK_TRUST_UNKNOWN);
    assert_true(has_event(f, AIRLOCK_SEC_SPOOFED_STANZA, BOB,
                          "not in the contact's published device list"));
    /* the user, having compared safety numbers, may still take it */
    assert_int_equal(airlock_ack_identity(f->alice, BOB), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, BOB), AIRLOCK_TRUST_ACCEPTED);
}

static void test_accept_no_list(void **state)
{
    fx *f = *state;

    wrap(f->alice, true);
    send_from(f->bob, ALICE, "*hello*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    mode = LIST_FAIL;
    assert_int_equal(airlock_accept(f->alice, BOB), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, BOB), AIRLOCK_TRUST_UNKNOWN);
    assert_true(has_event(f, AIRLOCK_SEC_IDENTITY_CHANGED, BOB,
                          "could not be fetched"));
}

/* ---- 2. writing to a stranger --------------------------------------------- */

static void test_write_to_stranger_unlisted(void **state)
{
    fx *f = *state;

    char home2[96];
    airlock_ctx *bob2;

    wrap(f->alice, true);
    send_from(f->bob, ALICE, "*forged*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    /* bob's list names another device (the real one), not the sender */
    snprintf(home2, sizeof home2, "%s/second", f->root);
    bob2 = open_acct_in(f, home2, BOB);
    mode = LIST_HIDE_SENDER;
    hidden = airlock_device_id(f->bob);
    queries = 0;
    send_from(f->alice, BOB, "who are you?");
    /* bob's list once (to encrypt and to check), our own list once */
    assert_int_equal(queries, 2);
    airlock_close(bob2);
    /* bob's message is the second newest now; the whole conversation */
    {
        airlock_message_list *l = NULL;
        size_t i, seen = 0;

        assert_int_equal(airlock_history(f->alice, BOB, 0, 10, &l),
                         AIRLOCK_OK);
        for (i = 0; i < airlock_message_list_count(l); i++) {
            const airlock_message *m = airlock_message_list_get(l, i);

            if (!m->outgoing) {
                assert_int_equal(airlock_model_trust(m->model),
                                 AIRLOCK_TRUST_UNKNOWN);
                seen++;
            }
        }
        assert_int_equal(seen, 1);
        airlock_message_list_free(l);
    }
    assert_true(has_event(f, AIRLOCK_SEC_SPOOFED_STANZA, BOB,
                          "published device list"));
}

/* ---- 3. an accepted contact's first device -------------------------------- */

static void test_contact_new_device_listed(void **state)
{
    fx *f = *state;

    wrap(f->alice, true);
    assert_int_equal(airlock_accept(f->alice, CAROL), AIRLOCK_OK);
    send_from(f->carol, ALICE, "*first* from carol");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_true(queries >= 1);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_ACCEPTED);
    assert_false(has_event(f, AIRLOCK_SEC_IDENTITY_CHANGED, CAROL, "device"));
}

static void test_contact_new_device_unlisted(void **state)
{
    fx *f = *state;

    wrap(f->alice, true);
    assert_int_equal(airlock_accept(f->alice, CAROL), AIRLOCK_OK);
    mode = LIST_HIDE_SENDER;
    hidden = airlock_device_id(f->carol);
    send_from(f->carol, ALICE, "*forged* as carol");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_UNKNOWN);
    assert_true(has_event(f, AIRLOCK_SEC_SPOOFED_STANZA, CAROL,
                          "published device list"));
    /* a second message from the same device stays inert too */
    send_from(f->carol, ALICE, "*again*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_UNKNOWN);
}

/* ---- 4. checked again ------------------------------------------------------- */

static void test_recheck_when_it_writes(void **state)
{
    fx *f = *state;
    unsigned before;

    wrap(f->alice, true);
    assert_int_equal(airlock_accept(f->alice, CAROL), AIRLOCK_OK);
    mode = LIST_FAIL;                  /* e.g. for subscribers only */
    send_from(f->carol, ALICE, "*one*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_UNKNOWN);
    assert_true(has_event(f, AIRLOCK_SEC_IDENTITY_CHANGED, CAROL,
                          "could not be fetched"));
    /* the list is readable now, but the retry interval has not passed */
    mode = LIST_ALL;
    before = queries;
    send_from(f->carol, ALICE, "*two*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(queries, before);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_UNKNOWN);
    /* after it: checked again, released, both messages in full */
    f->alice->devcheck_retry_ms = 0;
    send_from(f->carol, ALICE, "*three*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(queries, before + 1);
    {
        airlock_message_list *l = NULL;
        size_t i;

        assert_int_equal(airlock_history(f->alice, CAROL, 0, 10, &l),
                         AIRLOCK_OK);
        assert_int_equal(airlock_message_list_count(l), 3);
        for (i = 0; i < 3; i++)
            assert_int_equal(
                airlock_model_trust(airlock_message_list_get(l, i)->model),
                AIRLOCK_TRUST_ACCEPTED);
        airlock_message_list_free(l);
    }
    /* nothing left to check: another message causes no query */
    send_from(f->carol, ALICE, "*four*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(queries, before + 1);
}

static void test_recheck_still_unlisted(void **state)
{
    fx *f = *state;

    wrap(f->alice, true);
    f->alice->devcheck_retry_ms = 0;
    assert_int_equal(airlock_accept(f->alice, CAROL), AIRLOCK_OK);
    mode = LIST_HIDE_SENDER;
    hidden = airlock_device_id(f->carol);
    send_from(f->carol, ALICE, "*one*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    send_from(f->carol, ALICE, "*two*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_UNKNOWN);
    /* ack-identity takes it and forgets the check */
    assert_int_equal(airlock_ack_identity(f->alice, CAROL), AIRLOCK_OK);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_ACCEPTED);
    queries = 0;
    send_from(f->carol, ALICE, "*three*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(queries, 0);
    assert_int_equal(newest_trust(f, CAROL), AIRLOCK_TRUST_ACCEPTED);
}

/* ---- 5. the local transport -------------------------------------------------- */

static void test_local_untouched(void **state)
{
    fx *f = *state;

    wrap(f->alice, false);             /* senders vouched for */
    mode = LIST_HIDE_SENDER;
    hidden = airlock_device_id(f->bob);
    send_from(f->bob, ALICE, "*hello*");
    assert_int_equal(airlock_step(f->alice, 0), AIRLOCK_OK);
    assert_int_equal(airlock_accept(f->alice, BOB), AIRLOCK_OK);
    assert_int_equal(queries, 0);
    assert_int_equal(newest_trust(f, BOB), AIRLOCK_TRUST_ACCEPTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accept_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accept_unlisted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_accept_no_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_to_stranger_unlisted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_new_device_listed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_new_device_unlisted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_recheck_when_it_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recheck_still_unlisted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_local_untouched, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
