/* test_config.c - airlock_config's struct_size rule (airlock.h): too small
 * or absurdly large is ARG; larger from a newer header is accepted when
 * everything past the known fields is zero, UNSUPPORTED otherwise, and a
 * refused config creates nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "airlock/airlock.h"

typedef struct newer_config {
    airlock_config c;
    uint64_t future_option;       /* a field a newer header would add */
} newer_config;

static char root[64];
static char relay[96];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/airlock-config-XXXXXX");
    if (mkdtemp(root) == NULL)
        return -1;
    snprintf(relay, sizeof relay, "%s/local-relay.db", root);
    return 0;
}

static void init_at(newer_config *n, const char *acct)
{
    memset(n, 0, sizeof *n);
    airlock_config_init(&n->c);
    n->c.home = root;
    n->c.account = acct;
    n->c.relay_path = relay;
    n->c.no_passphrase = 1;
    n->c.sandbox = 0;
}

static bool exists(const char *acct)
{
    char p[160];
    struct stat st;

    snprintf(p, sizeof p, "%s/%s", root, acct);
    return stat(p, &st) == 0;
}

static void test_struct_size(void **state)
{
    newer_config n;

    (void)state;
    init_at(&n, "a@example.org");
    n.c.struct_size = sizeof n.c - 1;
    assert_int_equal(airlock_account_create(&n.c), AIRLOCK_ERR_ARG);
    n.c.struct_size = AIRLOCK_CONFIG_SIZE_MAX + 1;
    assert_int_equal(airlock_account_create(&n.c), AIRLOCK_ERR_ARG);

    /* a newer caller that left the new field at its default */
    n.c.struct_size = sizeof n;
    n.future_option = 0;
    assert_int_equal(airlock_account_create(&n.c), AIRLOCK_OK);
    assert_true(exists("a@example.org"));

    /* a newer caller that set an option this library cannot honour */
    init_at(&n, "b@example.org");
    n.c.struct_size = sizeof n;
    n.future_option = 1;
    assert_int_equal(airlock_account_create(&n.c), AIRLOCK_ERR_UNSUPPORTED);
    assert_false(exists("b@example.org"));
    {
        airlock_ctx *ctx = NULL;

        init_at(&n, "a@example.org");
        n.c.struct_size = sizeof n;
        n.future_option = 7;
        assert_int_equal(airlock_open(&n.c, &ctx), AIRLOCK_ERR_UNSUPPORTED);
        assert_null(ctx);
        n.future_option = 0;
        assert_int_equal(airlock_open(&n.c, &ctx), AIRLOCK_OK);
        airlock_close(ctx);
    }
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_struct_size, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
