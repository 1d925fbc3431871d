/* test_nolog.c - no plaintext at rest and none in the debug log.
 *
 * Two accounts (and a stranger) hold a conversation through the real local
 * mailbox, each with a debug log: distinctive message texts, a styled one,
 * a non-ASCII one, an attachment name, a message request and a reply; then
 * the history is read back. The texts must have arrived (the test would
 * prove nothing otherwise), and afterwards none of them may appear in
 * either debug log or in any file under the data directory: the account
 * databases (with their WAL and journal files), the key files and the
 * mailbox. Message contents are sealed there, envelopes are encrypted. The
 * logs hold no account addresses either, and are 0600. */
#include <dirent.h>
#include <fcntl.h>
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
#include "tests/core/tutil.h"

#define ALICE "alice@example.org"
#define BOB "bob@example.org"
#define CAROL "carol@example.net"

static const char *const secrets[] = {
    "AIRLOCK-CANARY-one-4f1c9e",
    "*bold-canary-77d2* and _leaning-canary-90ab_",
    "z\xc3\xbcrich-canary-\xce\xb2\xce\xb3-31ef",
    "reply-canary-from-bob-5a5a",
    "stranger-canary-from-carol-0c0c",
    "attachment-canary-name-6b6b.png",
};
#define N_SECRETS (sizeof secrets / sizeof secrets[0])

typedef struct inbox {
    char seen[16][256];
    size_t n;
} inbox;

static void on_event(const airlock_event *ev, void *ud)
{
    inbox *in = ud;
    char *text = NULL;

    if ((ev->kind != AIRLOCK_EVENT_MESSAGE &&
         ev->kind != AIRLOCK_EVENT_REQUEST) || ev->message == NULL ||
        in->n == 16)
        return;
    if (airlock_model_to_text(ev->message->model, &text, NULL) !=
        AIRLOCK_OK)
        return;
    snprintf(in->seen[in->n++], sizeof in->seen[0], "%s", text);
    airlock_free(text);
}

static bool got(const inbox *in, const char *needle)
{
    size_t i;

    for (i = 0; i < in->n; i++)
        if (strstr(in->seen[i], needle) != NULL)
            return true;
    return false;
}

static bool under_valgrind(void)
{
    const char *e = getenv("AIRLOCK_VALGRIND");

    return e != NULL && e[0] == '1';
}

static void config(airlock_config *cfg, const char *home, const char *acct,
                   const char *log, inbox *in)
{
    airlock_config_init(cfg);
    cfg->home = home;
    cfg->account = acct;
    cfg->no_passphrase = 1;
    cfg->debug_log = log;
    cfg->on_event = on_event;
    cfg->user_data = in;
    /* valgrind has no seccomp: the worker could not start (fail closed) */
    cfg->sandbox = under_valgrind() ? 0 : 1;
}

static airlock_ctx *open_account(const char *home, const char *acct,
                                 const char *log, inbox *in)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;

    config(&cfg, home, acct, log, in);
    assert_int_equal(airlock_account_create(&cfg), AIRLOCK_OK);
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
    return ctx;
}

/* Step until nothing is left (bounded). */
static void drain(airlock_ctx *ctx)
{
    int i;

    for (i = 0; i < 5; i++)
        assert_int_equal(airlock_step(ctx, 0), AIRLOCK_OK);
}

/* Whole file in memory; NULL for a directory or special file. */
static uint8_t *slurp(const char *path, size_t *n)
{
    struct stat st;
    uint8_t *buf;
    FILE *f;

    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    assert_non_null(buf = malloc((size_t)st.st_size + 1));
    assert_non_null(f = fopen(path, "rb"));
    *n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    return buf;
}

static bool contains(const uint8_t *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle), i;

    for (i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return true;
    return false;
}

/* The distinctive part of each secret (the markup and the shared prefix
 * aside, every one holds a unique "-canary-" word). */
static void no_secret_in(const char *path, size_t *files)
{
    size_t n = 0, i;
    uint8_t *buf = slurp(path, &n);

    if (buf == NULL)
        return;
    (*files)++;
    for (i = 0; i < N_SECRETS; i++) {
        if (contains(buf, n, secrets[i]))
            fail_msg("%s holds \"%s\" in plaintext", path, secrets[i]);
    }
    assert_false(contains(buf, n, "canary-"));
    free(buf);
}

static void walk(const char *dir, size_t *files)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char path[4096 + 256 + 2];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode))
            walk(path, files);
        else
            no_secret_in(path, files);
    }
    closedir(d);
}

static void test_no_plaintext_anywhere(void **state)
{
    char root[] = "/tmp/airlock-nolog-XXXXXX";
    char home[64], logs[2][64];
    inbox in_a, in_b, in_c;
    airlock_ctx *alice, *bob, *carol;
    airlock_message_list *hist = NULL;
    airlock_frame_attachment att;
    uint8_t *frame = NULL;
    size_t frame_n = 0, i, files = 0;
    struct stat st;

    (void)state;
    memset(&in_a, 0, sizeof in_a);
    memset(&in_b, 0, sizeof in_b);
    memset(&in_c, 0, sizeof in_c);
    assert_non_null(mkdtemp(root));
    snprintf(home, sizeof home, "%s/data", root);
    snprintf(logs[0], sizeof logs[0], "%s/alice.log", root);
    snprintf(logs[1], sizeof logs[1], "%s/bob.log", root);
    alice = open_account(home, ALICE, logs[0], &in_a);
    bob = open_account(home, BOB, logs[1], &in_b);
    carol = open_account(home, CAROL, logs[1], &in_c);   /* shares a log */

    for (i = 0; i < 3; i++)
        assert_int_equal(airlock_send_text(alice, BOB, secrets[i],
                                           strlen(secrets[i]), NULL),
                         AIRLOCK_OK);
    memset(&att, 0, sizeof att);
    att.mime = "image/png";
    att.name = secrets[5];
    att.size = 4242;
    assert_int_equal(airlock_frame_encode("see attached", 12, NULL, &att, 1,
                                          &frame, &frame_n), AIRLOCK_OK);
    assert_int_equal(airlock_send_frame(alice, BOB, frame, frame_n, NULL),
                     AIRLOCK_OK);
    airlock_free(frame);
    assert_int_equal(airlock_send_text(carol, BOB, secrets[4],
                                       strlen(secrets[4]), NULL), AIRLOCK_OK);
    drain(bob);
    /* Bob saw them all: a request from Carol, messages from Alice once he
     * answers (writing to someone accepts them). */
    assert_true(got(&in_b, "AIRLOCK-CANARY-one-4f1c9e"));
    assert_true(got(&in_b, "bold-canary-77d2"));
    assert_true(got(&in_b, "z\xc3\xbcrich-canary-"));
    assert_true(got(&in_b, "stranger-canary-from-carol-0c0c"));
    assert_int_equal(airlock_send_text(bob, ALICE, secrets[3],
                                       strlen(secrets[3]), NULL), AIRLOCK_OK);
    drain(alice);
    assert_true(got(&in_a, "reply-canary-from-bob-5a5a"));
    /* History re-renders from the sealed store: Alice is accepted now, so
     * the attachment shows with its name. */
    assert_int_equal(airlock_history(bob, ALICE, 0, 50, &hist), AIRLOCK_OK);
    {
        bool name_seen = false;

        for (i = 0; i < airlock_message_list_count(hist); i++) {
            const airlock_message *m = airlock_message_list_get(hist, i);
            size_t k;

            for (k = 0; k < airlock_model_attachment_count(m->model); k++)
                if (strcmp(airlock_model_attachment(m->model, k)->name,
                           secrets[5]) == 0)
                    name_seen = true;
        }
        assert_true(name_seen);
    }
    airlock_message_list_free(hist);
    /* While open: the databases' WAL files exist now. */
    walk(home, &files);
    airlock_close(alice);
    airlock_close(bob);
    airlock_close(carol);

    /* The logs exist, are private, say something, and hold none of it. */
    for (i = 0; i < 2; i++) {
        size_t n = 0;
        uint8_t *log = slurp(logs[i], &n);

        assert_non_null(log);
        assert_int_equal(stat(logs[i], &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_true(contains(log, n, "inbound stored"));
        assert_true(contains(log, n, "render "));
        assert_false(contains(log, n, "example.org"));
        assert_false(contains(log, n, "example.net"));
        free(log);
        no_secret_in(logs[i], &files);
    }
    /* Every file under the data directory. */
    walk(home, &files);
    assert_true(files >= 2 + 7 + 7);
    rm_rf(root);
}

/* A debug log others can read is refused rather than written. */
static void test_log_permissions(void **state)
{
    char root[] = "/tmp/airlock-nolog-XXXXXX";
    char home[64], log[64];
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    inbox in;
    int fd;

    (void)state;
    assert_non_null(mkdtemp(root));
    snprintf(home, sizeof home, "%s/data", root);
    snprintf(log, sizeof log, "%s/open.log", root);
    config(&cfg, home, ALICE, log, &in);
    assert_int_equal(airlock_account_create(&cfg), AIRLOCK_OK);
    assert_true((fd = open(log, O_WRONLY | O_CREAT, 0644)) >= 0);
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_ERR_PERM);
    assert_null(ctx);
    assert_int_equal(chmod(log, 0600), 0);
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
    airlock_close(ctx);
    rm_rf(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_plaintext_anywhere),
        cmocka_unit_test(test_log_permissions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
