/* test_faults.c - allocation-failure injection: fail the Nth allocation for
 * every N, until a run gets through without a failure.
 *
 * 1. airlock_render over plain, styled, hostile, attachment and malformed
 *    inputs (and the render fuzz corpus), every trust and input kind, with
 *    and without a realloc hook: every failing run returns
 *    AIRLOCK_ERR_NOMEM, hands out nothing and leaves nothing allocated -
 *    except where the failed allocation was only a size hint (model.c's
 *    arena reservation), and then the model is exactly malloc's.
 * 2. sandbox_reply_decode (the engine rebuilding a worker's model): same.
 * 3. engine_render through the sandboxed decoder with the context's
 *    allocator failing: NOMEM, nothing leaked, the worker not blamed.
 * 4. The inbound pipeline (airlock_step receiving a batch) with the
 *    context's allocator failing at N: OK or NOMEM, nothing leaked through
 *    the allocator, and afterwards every message is stored exactly once
 *    (nothing lost, nothing doubled) - opened again with malloc, the
 *    history holds them all.
 *
 * What the allocator covers: Airlock's own per-message allocations (the
 * inbound batch, the plaintext, receipts, display models, the sandbox
 * reply). SQLite, libsignal, OpenSSL and libsodium use their own
 * allocators; the store's returned buffers and the outbound path use
 * malloc. Leaks there are caught by ASan/LSan and valgrind, not here. */
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

#include "core/engine.h"
#include "core/gate.h"
#include "core/sandbox.h"
#include "tests/core/tutil.h"

/* ---- the failing allocator ---------------------------------------------- */

typedef struct failing {
    long countdown;       /* fail when it reaches 0; negative: never */
    long live;            /* blocks allocated and not freed */
    long calls;
    long failed;          /* failures injected */
} failing;

static void *f_alloc(size_t n, void *ud)
{
    failing *fa = ud;

    fa->calls++;
    if (fa->countdown == 0) {
        fa->failed++;
        fa->countdown = -1;       /* one failure per run */
        return NULL;
    }
    if (fa->countdown > 0)
        fa->countdown--;
    fa->live++;
    return malloc(n);
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    failing *fa = ud;
    void *q;

    fa->calls++;
    if (fa->countdown == 0) {
        fa->failed++;
        fa->countdown = -1;
        return NULL;
    }
    if (fa->countdown > 0)
        fa->countdown--;
    q = realloc(p, n);
    if (q != NULL && p == NULL)
        fa->live++;
    return q;
}

static void f_free(void *p, void *ud)
{
    failing *fa = ud;

    if (p != NULL)
        fa->live--;
    free(p);
}

static bool under_valgrind(void)
{
    const char *e = getenv("AIRLOCK_VALGRIND");

    return e != NULL && e[0] == '1';
}

/* ---- inputs ------------------------------------------------------------- */

typedef struct input {
    const char *name;
    uint8_t *bytes;
    size_t n;
} input;

#define INPUTS_MAX 64
static input inputs[INPUTS_MAX];
static size_t n_inputs;

static void add_input(const char *name, const void *p, size_t n)
{
    input *in = &inputs[n_inputs++];

    assert_true(n_inputs <= INPUTS_MAX);
    in->name = name;
    assert_non_null(in->bytes = malloc(n > 0 ? n : 1));
    if (n > 0)
        memcpy(in->bytes, p, n);
    in->n = n;
}

static void add_frame(const char *name, const char *body,
                      const airlock_frame_attachment *atts, size_t natts)
{
    uint8_t *f = NULL;
    size_t fn = 0;

    assert_int_equal(airlock_frame_encode(body, body != NULL ? strlen(body) :
                                          0, NULL, atts, natts, &f, &fn),
                     AIRLOCK_OK);
    add_input(name, f, fn);
    airlock_free(f);
}

static int inputs_setup(void **state)
{
    static const char styled[] =
        "*bold* _it_ ~strike~ `mono` ||spoiler||\n> quote\n>> deeper\n"
        "```\npre *not styled*\n```\nhttps://example.org/a?b=c "
        "mailto:x@example.org xmpp:y@example.org";
    static const char hostile[] =
        "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J\xe2\x80\xae"
        "txt.exe\xe2\x80\xac \xe2\x80\x8b\xef\xbb\xbf a\xcc\x81\xcc\x81"
        "\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81"
        "\xff\xfe\xc0\x80\xed\xa0\x80\r\n\x85\xe2\x80\xa8";
    static const airlock_frame_attachment atts[3] = {
        { "image/png", "cat.png", 1234, NULL, NULL, NULL },
        { "application/x-msdownload", "run.exe", 10, NULL, NULL, NULL },
        { "TEXT/PLAIN", "../..\\etc/passwd\n\t\xe2\x80\xae", 5, NULL, NULL,
          "https://files.example.org/x" } };
    static const uint8_t malformed[] = { 0xA1, 0x01, 0x05, 'a', 'b' };
    static const uint8_t bad_order[] = { 0xA1, 0x03, 0x00, 0x01, 0x01, 'x' };
    const char *src = getenv("AIRLOCK_SOURCE_DIR");
    char *spans;
    size_t i;

    (void)state;
    n_inputs = 0;
    add_input("empty", "", 0);
    add_input("plain", "hello, plain world", 18);
    add_input("styled", styled, sizeof styled - 1);
    add_input("hostile", hostile, sizeof hostile - 1);
    add_frame("frame_plain", "hello in a frame", NULL, 0);
    add_frame("frame_styled", styled, NULL, 0);
    add_frame("frame_attachments", "*see* files", atts, 3);
    add_frame("frame_only_attachments", NULL, atts, 1);
    add_input("malformed", malformed, sizeof malformed);
    add_input("bad_order", bad_order, sizeof bad_order);
    /* many spans: grows the span array and the arena several times */
    assert_non_null(spans = malloc(3000));
    for (i = 0; i < 3000; i++)
        spans[i] = "*a* "[i % 4];
    add_input("many_spans", spans, 3000);
    free(spans);
    /* a few fuzz corpus inputs as well */
    if (src != NULL) {
        static const char *const corpus[] = {
            "tests/fuzz/corpus/render/bidi_body_t0",
            "tests/fuzz/corpus/render/beyond_t1",
            "tests/fuzz/corpus/render/bad_order_t1" };

        for (i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
            char path[4096];
            uint8_t buf[8192];
            size_t n;
            FILE *f;

            snprintf(path, sizeof path, "%s/%s", src, corpus[i]);
            if ((f = fopen(path, "rb")) == NULL)
                continue;
            n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            add_input(corpus[i], buf, n);
        }
    }
    return 0;
}

static int inputs_teardown(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < n_inputs; i++)
        free(inputs[i].bytes);
    n_inputs = 0;
    return 0;
}

static const airlock_trust trusts[] = {
    AIRLOCK_TRUST_UNKNOWN, AIRLOCK_TRUST_ACCEPTED, AIRLOCK_TRUST_VERIFIED,
    AIRLOCK_TRUST_BLOCKED };
static const airlock_input kinds[] = { AIRLOCK_INPUT_FRAME,
                                       AIRLOCK_INPUT_BODY };

/* ---- 1. airlock_render --------------------------------------------------- */

static long render_every_n(const input *in, airlock_trust trust,
                           airlock_input kind, bool with_realloc)
{
    failing fa;
    airlock_allocator al = { f_alloc, with_realloc ? f_realloc : NULL,
                             f_free, &fa };
    char *want = NULL;
    airlock_model *m = NULL;
    long k, absorbed = 0;

    /* What success looks like, with malloc. */
    assert_int_equal(airlock_render(in->bytes, in->n, trust, kind, NULL, &m),
                     AIRLOCK_OK);
    assert_int_equal(airlock_model_to_json(m, &want, NULL), AIRLOCK_OK);
    airlock_model_free(m);
    for (k = 0;; k++) {
        airlock_err err;

        memset(&fa, 0, sizeof fa);
        fa.countdown = k;
        m = (airlock_model *)&fa;          /* must come back NULL */
        err = airlock_render(in->bytes, in->n, trust, kind, &al, &m);
        if (fa.failed == 0) {
            char *json = NULL;

            /* Nothing failed: the same model as with malloc. */
            assert_int_equal(err, AIRLOCK_OK);
            assert_int_equal(airlock_model_to_json(m, &json, NULL),
                             AIRLOCK_OK);
            assert_string_equal(json, want);
            airlock_free(json);
            airlock_model_free(m);
            assert_int_equal(fa.live, 0);
            break;
        }
        if (err == AIRLOCK_OK) {
            char *json = NULL;

            /* Only a failed size hint may be absorbed (the model's arena
             * reservation, model.c), and then the model is exactly what
             * malloc gives. */
            assert_int_equal(airlock_model_to_json(m, &json, NULL),
                             AIRLOCK_OK);
            assert_string_equal(json, want);
            airlock_free(json);
            airlock_model_free(m);
            assert_int_equal(fa.live, 0);
            absorbed++;
            continue;
        }
        if (err != AIRLOCK_ERR_NOMEM)
            fail_msg("%s trust %d kind %d: allocation %ld failed, got %d",
                     in->name, (int)trust, (int)kind, k, (int)err);
        assert_null(m);
        assert_int_equal(fa.live, 0);
        assert_true(k < 100000);
    }
    airlock_free(want);
    /* at most the one hint per run of the styler */
    assert_true(absorbed <= 1);
    return k;
}

static void test_render_every_n(void **state)
{
    size_t i, t, k;
    long runs = 0;

    (void)state;
    for (i = 0; i < n_inputs; i++)
        for (t = 0; t < 4; t++)
            for (k = 0; k < 2; k++) {
                runs += render_every_n(&inputs[i], trusts[t], kinds[k],
                                       false);
                runs += render_every_n(&inputs[i], trusts[t], kinds[k],
                                       true);
            }
    print_message("render: %zu inputs, %ld failing runs\n", n_inputs, runs);
    /* every input allocates: the model at least */
    assert_true(runs >= (long)(n_inputs * 4 * 2 * 2));
}

/* ---- 2. sandbox_reply_decode -------------------------------------------- */

static void reply_every_n(const input *in, airlock_trust trust,
                          airlock_input kind)
{
    airlock_model *m = NULL;
    failing fa;
    airlock_allocator al = { f_alloc, NULL, f_free, &fa };
    wr w;
    long k;

    assert_int_equal(airlock_render(in->bytes, in->n, trust, kind, NULL, &m),
                     AIRLOCK_OK);
    wr_init(&w, NULL, SANDBOX_REPLY_MAX);
    assert_int_equal(sandbox_model_write(&w, m), AIRLOCK_OK);
    airlock_model_free(m);
    for (k = 0;; k++) {
        airlock_err err;

        memset(&fa, 0, sizeof fa);
        fa.countdown = k;
        m = NULL;
        err = sandbox_reply_decode(w.buf, w.len, trust, &al, &m);
        if (fa.failed == 0) {
            assert_int_equal(err, AIRLOCK_OK);
            airlock_model_free(m);
            assert_int_equal(fa.live, 0);
            break;
        }
        assert_int_equal(err, AIRLOCK_ERR_NOMEM);
        assert_null(m);
        assert_int_equal(fa.live, 0);
        assert_true(k < 100000);
    }
    wr_clear(&w, false);
}

static void test_reply_every_n(void **state)
{
    size_t i, t, k;

    (void)state;
    for (i = 0; i < n_inputs; i++)
        for (t = 0; t < 4; t++)
            for (k = 0; k < 2; k++)
                reply_every_n(&inputs[i], trusts[t], kinds[k]);
}

/* ---- accounts ------------------------------------------------------------ */

/* cp -R, modes kept (the store insists on 0700 / 0600). */
static void copy_tree(const char *from, const char *to)
{
    DIR *d;
    struct dirent *e;
    struct stat st;

    assert_int_equal(stat(from, &st), 0);
    if (!S_ISDIR(st.st_mode)) {
        char buf[65536];
        int in = open(from, O_RDONLY), out;
        ssize_t n;

        assert_true(in >= 0);
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777);
        assert_true(out >= 0);
        while ((n = read(in, buf, sizeof buf)) > 0)
            assert_int_equal(write(out, buf, (size_t)n), n);
        close(in);
        close(out);
        return;
    }
    assert_int_equal(mkdir(to, st.st_mode & 0777), 0);
    assert_non_null(d = opendir(from));
    while ((e = readdir(d)) != NULL) {
        char a[4096 + 256 + 2], b[4096 + 256 + 2];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        copy_tree(a, b);
    }
    closedir(d);
}

/* The mailbox lives in the data directory: a copy of the directory is a
 * copy of the mail (an account otherwise remembers the mailbox path it was
 * created with). */
static char relay_buf[2][128];

static void config(airlock_config *cfg, const char *home, const char *acct)
{
    static int which;
    char *relay = relay_buf[which];

    which ^= 1;
    snprintf(relay, sizeof relay_buf[0], "%s/local-relay.db", home);
    airlock_config_init(cfg);
    cfg->home = home;
    cfg->account = acct;
    cfg->relay_path = relay;
    cfg->no_passphrase = 1;
    cfg->sandbox = under_valgrind() ? 0 : 1;
}

typedef struct fixture {
    char root[64];
    char tmpl[80];        /* the data directory with the mail waiting */
    char home[80];        /* restored from tmpl for each run */
} fixture;

#define ALICE "alice@example.org"
#define BOB "bob@example.org"
static const char *const texts[] = {
    "first *message*", "second, with a link https://example.org/x",
    "third \xe2\x80\xae reversed" };

/* Alice writes to Bob (three texts and a frame with an attachment); Bob
 * has written to Alice first, so she is a contact and takes the full
 * decoder. The mail waits in the mailbox of the template. */
static int accounts_setup_body(fixture *fx);

/* No teardown after a failed setup: clean up here. */
static int accounts_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    snprintf(fx->root, sizeof fx->root, "/tmp/airlock-faults-XXXXXX");
    if (mkdtemp(fx->root) == NULL) {
        free(fx);
        return -1;
    }
    if (accounts_setup_body(fx) != 0) {
        rm_rf(fx->root);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int accounts_setup_body(fixture *fx)
{
    airlock_config cfg;
    airlock_ctx *alice = NULL, *bob = NULL;
    airlock_frame_attachment att;
    uint8_t *frame = NULL;
    size_t frame_n = 0, i;
    int rc = -1;

    snprintf(fx->tmpl, sizeof fx->tmpl, "%s/tmpl", fx->root);
    snprintf(fx->home, sizeof fx->home, "%s/home", fx->root);
    config(&cfg, fx->tmpl, ALICE);
    if (airlock_account_create(&cfg) != AIRLOCK_OK ||
        airlock_open(&cfg, &alice) != AIRLOCK_OK)
        goto out;
    config(&cfg, fx->tmpl, BOB);
    if (airlock_account_create(&cfg) != AIRLOCK_OK ||
        airlock_open(&cfg, &bob) != AIRLOCK_OK)
        goto out;
    if (airlock_send_text(bob, ALICE, "hi", 2, NULL) != AIRLOCK_OK ||
        airlock_step(alice, 0) != AIRLOCK_OK ||
        airlock_step(bob, 0) != AIRLOCK_OK)
        goto out;
    for (i = 0; i < 3; i++)
        if (airlock_send_text(alice, BOB, texts[i], strlen(texts[i]), NULL) !=
            AIRLOCK_OK)
            goto out;
    memset(&att, 0, sizeof att);
    att.mime = "image/png";
    att.name = "photo.png";
    att.size = 99;
    if (airlock_frame_encode("with a file", 11, NULL, &att, 1, &frame,
                             &frame_n) != AIRLOCK_OK ||
        airlock_send_frame(alice, BOB, frame, frame_n, NULL) != AIRLOCK_OK)
        goto out;
    rc = 0;
out:
    airlock_free(frame);
    airlock_close(alice);
    airlock_close(bob);
    return rc;
}

static int accounts_teardown(void **state)
{
    fixture *fx = *state;

    rm_rf(fx->root);
    free(fx);
    return 0;
}

/* ---- 3. engine_render through the sandbox, context allocator failing ---- */

static void test_engine_render_every_n(void **state)
{
    fixture *fx = *state;
    failing fa;
    airlock_allocator al = { f_alloc, NULL, f_free, &fa };
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    size_t i;

    rm_rf(fx->home);
    copy_tree(fx->tmpl, fx->home);
    config(&cfg, fx->home, BOB);
    cfg.allocator = &al;
    memset(&fa, 0, sizeof fa);
    fa.countdown = -1;
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
    for (i = 0; i < n_inputs; i++) {
        long k;

        for (k = 0;; k++) {
            airlock_model *m = (airlock_model *)&fa;
            airlock_err err;
            long live = fa.live;

            fa.countdown = k;
            fa.failed = 0;
            err = engine_render(ctx, ALICE, inputs[i].bytes, inputs[i].n,
                                STORE_CONTENT_FRAME, AIRLOCK_TRUST_ACCEPTED,
                                &m);
            fa.countdown = -1;
            if (fa.failed == 0 || err == AIRLOCK_OK) {
                /* done, or a failed size hint absorbed (see above) */
                assert_int_equal(err, AIRLOCK_OK);
                airlock_model_free(m);
                assert_int_equal(fa.live, live);
                if (fa.failed == 0)
                    break;
                continue;
            }
            assert_int_equal(err, AIRLOCK_ERR_NOMEM);
            assert_null(m);
            assert_int_equal(fa.live, live);
            assert_true(k < 100000);
        }
    }
    /* Our own allocation failures never count against the worker. */
    assert_int_equal(ctx->sb.failures, 0);
    airlock_close(ctx);
    assert_int_equal(fa.live, 0);
}

/* ---- 4. the inbound pipeline --------------------------------------------- */

typedef struct hist_check {
    bool seen[4];
    size_t count;
} hist_check;

static void check_history(const char *home)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    airlock_message_list *l = NULL;
    hist_check hc;
    size_t i, k;

    config(&cfg, home, BOB);
    assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
    /* whatever the failing run left in the mailbox arrives now */
    assert_int_equal(airlock_step(ctx, 0), AIRLOCK_OK);
    assert_int_equal(airlock_history(ctx, ALICE, 0, 50, &l), AIRLOCK_OK);
    memset(&hc, 0, sizeof hc);
    for (i = 0; i < airlock_message_list_count(l); i++) {
        const airlock_message *m = airlock_message_list_get(l, i);
        char *text = NULL;

        if (m->outgoing)
            continue;
        hc.count++;
        assert_int_equal(airlock_model_to_text(m->model, &text, NULL),
                         AIRLOCK_OK);
        for (k = 0; k < 3; k++)
            if (strncmp(text, texts[k], 5) == 0)
                hc.seen[k] = true;
        if (airlock_model_attachment_count(m->model) == 1 &&
            strcmp(airlock_model_attachment(m->model, 0)->name,
                   "photo.png") == 0)
            hc.seen[3] = true;
        airlock_free(text);
    }
    airlock_message_list_free(l);
    airlock_close(ctx);
    /* each once: nothing lost, nothing doubled */
    assert_int_equal(hc.count, 4);
    for (k = 0; k < 4; k++)
        assert_true(hc.seen[k]);
}

static void test_inbound_every_n(void **state)
{
    fixture *fx = *state;
    long k;

    for (k = 0;; k++) {
        failing fa;
        airlock_allocator al = { f_alloc, NULL, f_free, &fa };
        airlock_config cfg;
        airlock_ctx *ctx = NULL;
        airlock_err err;

        rm_rf(fx->home);
        copy_tree(fx->tmpl, fx->home);
        config(&cfg, fx->home, BOB);
        cfg.allocator = &al;
        memset(&fa, 0, sizeof fa);
        fa.countdown = -1;
        assert_int_equal(airlock_open(&cfg, &ctx), AIRLOCK_OK);
        fa.countdown = k;
        err = airlock_step(ctx, 0);
        fa.countdown = -1;
        /* NOMEM when the batch could not be taken in (rolled back, nothing
         * acknowledged); OK when the failure came after the commit (a
         * render: the message is stored, its display comes from history) */
        assert_true(err == AIRLOCK_OK || err == AIRLOCK_ERR_NOMEM);
        airlock_close(ctx);
        assert_int_equal(fa.live, 0);
        check_history(fx->home);
        if (fa.failed == 0)
            break;
        assert_true(k < 10000);
    }
    print_message("inbound: %ld allocations failed in turn\n", k);
    /* the batch, four plaintexts and models at least */
    assert_true(k > 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_every_n),
        cmocka_unit_test(test_reply_every_n),
        cmocka_unit_test_setup_teardown(test_engine_render_every_n,
                                        accounts_setup, accounts_teardown),
        cmocka_unit_test_setup_teardown(test_inbound_every_n,
                                        accounts_setup, accounts_teardown),
    };

    return cmocka_run_group_tests(tests, inputs_setup, inputs_teardown);
}
