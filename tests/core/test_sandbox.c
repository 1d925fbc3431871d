/* test_sandbox.c - the sandboxed decoder (core/sandbox.c, core/decode.c).
 *
 * Built with AIRLOCK_SANDBOX_TEST, which compiles the test-only requests
 * into this executable's copy of the worker: call open(2) or socket(2),
 * hang, crash, or answer with bytes the test chose. libairlock never has
 * them.
 *
 * Part 1 drives a worker directly (sandbox_state): the filter is really on,
 * limits and descriptors, forbidden system calls kill, a hang times out,
 * hostile replies are refused, backoff, recycling, fail closed, and every
 * corpus input renders exactly as in-process. Part 2 goes through an
 * account context: airlock_open starts the worker, a crash is a notice and
 * a security event naming the sender, three crashes move the sender to
 * requests, the sandbox switch turns it all off.
 *
 * Under valgrind (which has no seccomp) the worker runs unconfined and the
 * tests that check confinement itself are skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "core/engine.h"
#include "core/gate.h"
#include "core/sandbox.h"
#include "tests/core/tutil.h"

static bool under_valgrind(void)
{
    const char *e = getenv("AIRLOCK_VALGRIND");

    return RUNNING_ON_VALGRIND || (e != NULL && e[0] == '1');
}

/* A worker crash: a null-pointer write, or under valgrind (which would
 * report the deliberate fault as an error) a sudden _exit. */
static uint8_t crash_op(void)
{
    return under_valgrind() ? SANDBOX_TEST_EXIT : SANDBOX_TEST_SEGV;
}

static void sb_init(sandbox_state *sb)
{
    memset(sb, 0, sizeof *sb);
    sb->fd = -1;
    sb->pidfd = -1;
    sb->deadline_ms = SANDBOX_DEADLINE_MS;
    if (under_valgrind())
        sb->test_flags = SANDBOX_TEST_UNCONFINED;
}

static airlock_err sb_render(sandbox_state *sb, const void *in, size_t n,
                             airlock_trust trust, airlock_input kind,
                             airlock_model **m, sandbox_fail *fail)
{
    char detail[SANDBOX_DETAIL_MAX];

    return sandbox_request(sb, SANDBOX_OP_RENDER, trust, kind, in, n, NULL,
                           m, fail, detail);
}

static airlock_err sb_test(sandbox_state *sb, uint8_t what, const void *arg,
                           size_t n, airlock_trust trust, airlock_model **m,
                           sandbox_fail *fail, char *detail)
{
    uint8_t buf[4096];

    assert_true(n < sizeof buf);
    buf[0] = what;
    if (n > 0)
        memcpy(buf + 1, arg, n);
    return sandbox_request(sb, SANDBOX_OP_TEST, trust, AIRLOCK_INPUT_FRAME,
                           buf, n + 1, NULL, m, fail, detail);
}

/* Render "hello" and check the text: proves a worker answers. */
static void works(sandbox_state *sb)
{
    airlock_model *m = NULL;
    sandbox_fail fail;

    assert_int_equal(sb_render(sb, "hello *you*", 11, AIRLOCK_TRUST_ACCEPTED,
                               AIRLOCK_INPUT_BODY, &m, &fail), AIRLOCK_OK);
    assert_int_equal(fail, SANDBOX_FAIL_NONE);
    assert_int_equal(airlock_model_span_count(m), 2);
    assert_string_equal(airlock_model_span(m, 0)->text, "hello ");
    assert_string_equal(airlock_model_span(m, 1)->text, "*you*");
    assert_int_equal(airlock_model_span(m, 1)->style, AIRLOCK_STYLE_BOLD);
    airlock_model_free(m);
    assert_true(sb->running);
}

/* The process is gone and reaped: not our child any more. */
static void reaped(pid_t pid)
{
    int st;

    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &st, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static char *slurp(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return buf;
}

/* ---- part 1: the worker ------------------------------------------------- */

static void test_filter_active(void **state)
{
    sandbox_state sb;
    char path[64], *s;
    int canary;
    DIR *d;

    (void)state;
    if (under_valgrind())
        skip();
    /* A descriptor the worker must not keep. */
    canary = open("/dev/null", O_RDONLY);   /* no CLOEXEC on purpose */
    assert_true(canary >= 0);
    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    works(&sb);
    snprintf(path, sizeof path, "/proc/%d/status", (int)sb.pid);
    assert_non_null(s = slurp(path));
    assert_non_null(strstr(s, "\nSeccomp:\t2\n"));       /* filter mode */
    assert_non_null(strstr(s, "\nNoNewPrivs:\t1\n"));
    snprintf(path, sizeof path, "/proc/%d/limits", (int)sb.pid);
    assert_non_null(s = slurp(path));
    assert_non_null(strstr(s, "Max file size             0"));
    assert_non_null(strstr(s, "Max open files            0"));
    assert_non_null(strstr(s, "Max core file size        0"));
    assert_non_null(strstr(s, "Max processes             0"));
    assert_non_null(strstr(s, "Max cpu time              20"));
    assert_null(strstr(s, "Max address space         unlimited"));
    /* Only its socket is open (readable here when the test may ptrace the
     * worker, e.g. as root; otherwise the kernel hides it). */
    snprintf(path, sizeof path, "/proc/%d/fd", (int)sb.pid);
    if ((d = opendir(path)) != NULL) {
        struct dirent *e;
        int count = 0;

        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                count++;
        closedir(d);
        assert_int_equal(count, 1);
    } else {
        assert_true(errno == EACCES || errno == EPERM);
    }
    sandbox_kill(&sb);
    close(canary);
}

static void forbidden(uint8_t what)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    sandbox_fail fail;
    char detail[SANDBOX_DETAIL_MAX];
    pid_t pid;

    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    pid = sb.pid;
    assert_int_equal(sb_test(&sb, what, NULL, 0, AIRLOCK_TRUST_ACCEPTED, &m,
                             &fail, detail), AIRLOCK_ERR_STATE);
    assert_null(m);
    assert_int_equal(fail, SANDBOX_FAIL_CRASH);
    assert_string_equal(detail, "decoder killed: forbidden system call");
    assert_false(sb.running);
    reaped(pid);
    assert_int_equal(sb.failures, 1);
    /* The next request starts a new worker at once. */
    works(&sb);
    assert_true(sb.pid != pid);
    assert_int_equal(sb.failures, 0);
    assert_int_equal(sb.starts, 2);
    sandbox_kill(&sb);
}

static void test_forbidden_open_kills(void **state)
{
    (void)state;
    if (under_valgrind())
        skip();
    forbidden(SANDBOX_TEST_OPEN);
}

static void test_forbidden_socket_kills(void **state)
{
    (void)state;
    if (under_valgrind())
        skip();
    forbidden(SANDBOX_TEST_SOCKET);
}

static void test_crash_and_restart(void **state)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    sandbox_fail fail;
    char detail[SANDBOX_DETAIL_MAX];
    pid_t pid;

    (void)state;
    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    pid = sb.pid;
    assert_int_equal(sb_test(&sb, crash_op(), NULL, 0,
                             AIRLOCK_TRUST_ACCEPTED, &m, &fail, detail),
                     AIRLOCK_ERR_STATE);
    assert_int_equal(fail, SANDBOX_FAIL_CRASH);
    /* Under ASan the fault handler's report is itself a forbidden system
     * call. */
    if (under_valgrind())
        assert_string_equal(detail, "decoder exited with status 7");
    else if (strcmp(detail, "decoder killed: forbidden system call") != 0)
        assert_string_equal(detail, "decoder killed by signal 11");
    reaped(pid);
    works(&sb);
    sandbox_kill(&sb);
}

static void test_hang_times_out(void **state)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    sandbox_fail fail;
    char detail[SANDBOX_DETAIL_MAX];
    pid_t pid;

    (void)state;
    sb_init(&sb);
    sb.deadline_ms = 300;   /* shorter than the default, to keep this quick */
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    pid = sb.pid;
    assert_int_equal(sb_test(&sb, SANDBOX_TEST_HANG, NULL, 0,
                             AIRLOCK_TRUST_ACCEPTED, &m, &fail, detail),
                     AIRLOCK_ERR_STATE);
    assert_int_equal(fail, SANDBOX_FAIL_TIMEOUT);
    assert_string_equal(detail, "decoder did not answer in time");
    reaped(pid);
    sb.deadline_ms = SANDBOX_DEADLINE_MS;
    works(&sb);
    sandbox_kill(&sb);
}

/* Killed from outside between requests: the next request sees a dead
 * socket (and must not die of SIGPIPE itself), then recovers. */
static void test_killed_between_requests(void **state)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    sandbox_fail fail;
    pid_t pid;

    (void)state;
    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    pid = sb.pid;
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(sb_render(&sb, "x", 1, AIRLOCK_TRUST_ACCEPTED,
                               AIRLOCK_INPUT_BODY, &m, &fail),
                     AIRLOCK_ERR_STATE);
    assert_int_equal(fail, SANDBOX_FAIL_CRASH);
    reaped(pid);
    works(&sb);
    sandbox_kill(&sb);
}

/* A reply body the test writes, through the real worker and socket. */
static sandbox_fail echo(sandbox_state *sb, const void *reply, size_t n,
                         airlock_trust trust, airlock_model **m)
{
    sandbox_fail fail;
    char detail[SANDBOX_DETAIL_MAX];
    airlock_err err = sb_test(sb, SANDBOX_TEST_ECHO, reply, n, trust, m,
                              &fail, detail);

    if (fail == SANDBOX_FAIL_NONE)
        assert_true(err == AIRLOCK_OK || err == AIRLOCK_ERR_NOMEM ||
                    err == AIRLOCK_ERR_TOO_LARGE || err == AIRLOCK_ERR_ARG);
    else
        assert_int_equal(err, AIRLOCK_ERR_STATE);
    return fail;
}

/* status 0, trust, flags, withheld 0 0, one span (style, depth, text),
 * no attachments, no notices */
static size_t one_span(uint8_t *b, uint8_t trust, uint8_t style,
                       uint8_t depth, const char *text)
{
    size_t k = 0, n = strlen(text);

    b[k++] = 0;
    b[k++] = trust;
    b[k++] = 0;
    b[k++] = 0;
    b[k++] = 0;
    b[k++] = 1;
    b[k++] = style;
    b[k++] = depth;
    b[k++] = (uint8_t)n;
    memcpy(b + k, text, n);
    k += n;
    b[k++] = 0;
    b[k++] = 0;
    return k;
}

static void test_hostile_replies(void **state)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    uint8_t b[512];
    size_t n;
    static const uint8_t png_att[] = {
        0, 1, 0, 0, 0, 0, 1, 9, 'i', 'm', 'a', 'g', 'e', '/', 'p', 'n', 'g',
        5, 'a', '.', 'p', 'n', 'g', 7, 0 };
    static const uint8_t svg_att[] = {
        0, 1, 0, 0, 0, 0, 1, 13, 'i', 'm', 'a', 'g', 'e', '/', 's', 'v', 'g',
        '+', 'x', 'm', 'l', 1, 'a', 7, 0 };
    static const uint8_t path_att[] = {
        0, 1, 0, 0, 0, 0, 1, 9, 'i', 'm', 'a', 'g', 'e', '/', 'p', 'n', 'g',
        7, '.', '.', '/', 'e', 't', 'c', 'x', 7, 0 };
    /* style 0x100 (varint 80 02): a bit outside the fixed set */
    static const uint8_t style_0x100[] = { 0, 1, 0, 0, 0, 1, 0x80, 0x02, 0,
                                           1, 'x', 0, 0 };
    static const uint8_t bad_status[] = { 99 };
    static const uint8_t status_tail[] = { 1, 0 };
    static const uint8_t many_spans[] = { 0, 1, 0, 0, 0, 0xff, 0xff, 0x7f };
    pid_t pid;

    (void)state;
    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);

    /* Well-formed replies pass: the failures below are for their content. */
    n = one_span(b, 1, AIRLOCK_STYLE_BOLD, 0, "fine");
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_NONE);
    assert_string_equal(airlock_model_span(m, 0)->text, "fine");
    airlock_model_free(m);
    m = NULL;
    assert_int_equal(echo(&sb, png_att, sizeof png_att,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_NONE);
    assert_string_equal(airlock_model_attachment(m, 0)->mime, "image/png");
    airlock_model_free(m);
    m = NULL;
    pid = sb.pid;

    /* Each of these ends the worker. */
    n = one_span(b, 1, 0, 0, "\x1b]8;;evil\x07");          /* escapes */
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    assert_null(m);
    assert_false(sb.running);
    reaped(pid);
    sb.retry_ms = 0;   /* skip the backoff: it is tested on its own */
    n = one_span(b, 1, 0, 0, "a\xe2\x80\xae" "b");          /* RLO */
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    n = one_span(b, 1, AIRLOCK_STYLE_LINK, 0, "javascript:alert(1)");
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, style_0x100, sizeof style_0x100,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    n = one_span(b, 1, AIRLOCK_STYLE_QUOTE, 9, "x");        /* depth > 8 */
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    /* A stranger's message may not come back styled, linked or with an
     * attachment: the inert path has none. */
    n = one_span(b, 0, AIRLOCK_STYLE_BOLD, 0, "x");
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_UNKNOWN, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    n = one_span(b, 0, AIRLOCK_STYLE_LINK, 0, "https://x.org");
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_UNKNOWN, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    memcpy(b, png_att, sizeof png_att);
    b[1] = 0;
    assert_int_equal(echo(&sb, b, sizeof png_att, AIRLOCK_TRUST_UNKNOWN, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    /* Blocked: no text at all. */
    n = one_span(b, 3, 0, 0, "x");
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_BLOCKED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    /* A model for another trust than asked. */
    n = one_span(b, 2, 0, 0, "x");
    assert_int_equal(echo(&sb, b, n, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    /* A type not on the list, a name with a path. */
    assert_int_equal(echo(&sb, svg_att, sizeof svg_att,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, path_att, sizeof path_att,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    /* Framing: trailing bytes, truncation, unknown status, huge counts. */
    n = one_span(b, 1, 0, 0, "x");
    b[n] = 0;
    assert_int_equal(echo(&sb, b, n + 1, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, b, n - 1, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, bad_status, sizeof bad_status,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, status_tail, sizeof status_tail,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, many_spans, sizeof many_spans,
                          AIRLOCK_TRUST_ACCEPTED, &m), SANDBOX_FAIL_REPLY);
    sb.retry_ms = 0;
    assert_int_equal(echo(&sb, NULL, 0, AIRLOCK_TRUST_ACCEPTED, &m),
                     SANDBOX_FAIL_REPLY);
    assert_null(m);
    sb.retry_ms = 0;
    /* The worker's honest error is passed on and the worker stays. */
    b[0] = (uint8_t)-AIRLOCK_ERR_NOMEM;
    assert_int_equal(sb_test(&sb, SANDBOX_TEST_ECHO, b, 1,
                             AIRLOCK_TRUST_ACCEPTED, &m, NULL, NULL),
                     AIRLOCK_ERR_NOMEM);
    assert_true(sb.running);
    works(&sb);
    sandbox_kill(&sb);
}

/* Consecutive failures back off: immediately, then 50 ms doubling; a
 * request does not wait longer than SANDBOX_WAIT_MAX_MS for a restart and
 * gets UNAVAILABLE instead (no worker started). One success resets it. */
static void test_backoff(void **state)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    sandbox_fail fail;
    uint64_t starts;
    int i;

    (void)state;
    sb_init(&sb);
    for (i = 0; i < 5; i++) {
        assert_int_equal(sb_test(&sb, crash_op(), NULL, 0,
                                 AIRLOCK_TRUST_ACCEPTED, &m, &fail, NULL),
                         AIRLOCK_ERR_STATE);
        assert_int_equal(fail, SANDBOX_FAIL_CRASH);
        assert_int_equal(sb.failures, (uint32_t)i + 1);
    }
    /* The fifth failure asks for 400 ms: more than a request waits. */
    assert_true(sb.retry_ms - base_mono_ms() > SANDBOX_WAIT_MAX_MS);
    starts = sb.starts;
    assert_int_equal(sb_render(&sb, "x", 1, AIRLOCK_TRUST_ACCEPTED,
                               AIRLOCK_INPUT_BODY, &m, &fail),
                     AIRLOCK_ERR_STATE);
    assert_int_equal(fail, SANDBOX_FAIL_UNAVAILABLE);
    assert_int_equal(sb.starts, starts);
    assert_null(m);
    sb.retry_ms = 0;   /* as if the time had passed */
    works(&sb);
    assert_int_equal(sb.failures, 0);
    sandbox_kill(&sb);
}

/* A worker that has been busy long enough is replaced before a request. */
static void test_recycle(void **state)
{
    sandbox_state sb;
    pid_t pid;

    (void)state;
    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    works(&sb);
    pid = sb.pid;
    sb.busy_ms = SANDBOX_RECYCLE_BUSY_MS;
    works(&sb);
    assert_true(sb.pid != pid);
    reaped(pid);
    assert_int_equal(sb.failures, 0);
    sandbox_kill(&sb);
}

/* No filter, no worker, no decoding: spawn fails closed. */
static void test_fail_closed(void **state)
{
    sandbox_state sb;
    airlock_model *m = NULL;
    sandbox_fail fail;

    (void)state;
    sb_init(&sb);
    sb.test_flags |= SANDBOX_TEST_NO_FILTER;
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_ERR_UNSUPPORTED);
    assert_false(sb.running);
    assert_int_equal(sb_render(&sb, "x", 1, AIRLOCK_TRUST_ACCEPTED,
                               AIRLOCK_INPUT_BODY, &m, &fail),
                     AIRLOCK_ERR_STATE);
    assert_int_equal(fail, SANDBOX_FAIL_UNAVAILABLE);
    assert_null(m);
    sandbox_kill(&sb);
}

static void test_stop_reaps(void **state)
{
    sandbox_state sb;
    pid_t pid;

    (void)state;
    sb_init(&sb);
    sandbox_kill(&sb);                       /* nothing running: no-op */
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);   /* already up */
    assert_int_equal(sb.starts, 1);
    pid = sb.pid;
    sandbox_kill(&sb);
    assert_false(sb.running);
    assert_int_equal(sb.fd, -1);
    reaped(pid);
    sandbox_kill(&sb);
}

/* ---- the same models as in-process, for every corpus input --------------- */

static void same_model(sandbox_state *sb, const uint8_t *in, size_t n)
{
    static const airlock_trust trusts[] = {
        AIRLOCK_TRUST_UNKNOWN, AIRLOCK_TRUST_ACCEPTED, AIRLOCK_TRUST_VERIFIED,
        AIRLOCK_TRUST_BLOCKED };
    static const airlock_input kinds[] = { AIRLOCK_INPUT_FRAME,
                                           AIRLOCK_INPUT_BODY };
    size_t t, k;

    for (t = 0; t < 4; t++) {
        for (k = 0; k < 2; k++) {
            airlock_model *a = NULL, *b = NULL;
            char *ja = NULL, *jb = NULL;
            sandbox_fail fail;
            airlock_err ea, eb;

            ea = airlock_render(in, n, trusts[t], kinds[k], NULL, &a);
            eb = sb_render(sb, in, n, trusts[t], kinds[k], &b, &fail);
            assert_int_equal(fail, SANDBOX_FAIL_NONE);
            assert_int_equal(ea, eb);
            if (ea != AIRLOCK_OK)
                continue;
            assert_int_equal(airlock_model_to_json(a, &ja, NULL), AIRLOCK_OK);
            assert_int_equal(airlock_model_to_json(b, &jb, NULL), AIRLOCK_OK);
            assert_string_equal(ja, jb);
            assert_int_equal(airlock_model_malformed(a),
                             airlock_model_malformed(b));
            airlock_free(ja);
            airlock_free(jb);
            airlock_model_free(a);
            airlock_model_free(b);
        }
    }
}

static size_t replay_dir(sandbox_state *sb, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t count = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[4096 + 256 + 2];
        struct stat st;
        uint8_t *buf;
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
            (size_t)st.st_size > AIRLOCK_RENDER_MAX)
            continue;
        assert_non_null(buf = malloc((size_t)st.st_size + 1));
        assert_non_null(f = fopen(path, "rb"));
        assert_int_equal(fread(buf, 1, (size_t)st.st_size, f),
                         (size_t)st.st_size);
        fclose(f);
        same_model(sb, buf, (size_t)st.st_size);
        free(buf);
        count++;
    }
    closedir(d);
    return count;
}

static void test_same_as_in_process(void **state)
{
    static const char *const dirs[] = { "render", "frame", "inert", "style",
                                        "sanitize" };
    static const char pattern[] = "*a* _b_ https://x.org/\n> \xe2\x80\xae\x1b";
    const char *src = getenv("AIRLOCK_SOURCE_DIR");
    sandbox_state sb;
    uint8_t *big;
    size_t i, count = 0;

    (void)state;
    assert_non_null(src);
    sb_init(&sb);
    assert_int_equal(sandbox_spawn(&sb), AIRLOCK_OK);
    for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char dir[4096];

        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src, dirs[i]);
        count += replay_dir(&sb, dir);
    }
    assert_true(count >= 50);
    /* The largest input, and one over the limit. */
    assert_non_null(big = malloc(AIRLOCK_RENDER_MAX + 1));
    for (i = 0; i < AIRLOCK_RENDER_MAX + 1; i++)
        big[i] = (uint8_t)pattern[i % (sizeof pattern - 1)];
    same_model(&sb, big, AIRLOCK_RENDER_MAX);
    {
        airlock_model *m = NULL;
        sandbox_fail fail;

        assert_int_equal(sb_render(&sb, big, AIRLOCK_RENDER_MAX + 1,
                                   AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY,
                                   &m, &fail), AIRLOCK_ERR_TOO_LARGE);
        assert_null(m);
    }
    free(big);
    assert_int_equal(sb.failures, 0);
    assert_int_equal(sb.starts, 1);
    sandbox_kill(&sb);
}

/* ---- part 2: through an account context ---------------------------------- */

typedef struct events {
    int security, crash, contacts, rerender;
    char crash_sender[256];
    char crash_detail[128];
} events;

static void on_event(const airlock_event *ev, void *ud)
{
    events *e = ud;

    if (ev->kind == AIRLOCK_EVENT_SECURITY) {
        e->security++;
        if (ev->security->kind == AIRLOCK_SEC_DECODER_CRASH) {
            e->crash++;
            snprintf(e->crash_sender, sizeof e->crash_sender, "%s",
                     ev->security->sender);
            snprintf(e->crash_detail, sizeof e->crash_detail, "%s",
                     ev->security->detail);
        }
    } else if (ev->kind == AIRLOCK_EVENT_CONTACTS) {
        e->contacts++;
    } else if (ev->kind == AIRLOCK_EVENT_RERENDER) {
        e->rerender++;
    }
}

typedef struct fixture {
    char home[64];
    airlock_config cfg;
    airlock_ctx *ctx;
    events ev;
} fixture;

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    snprintf(fx->home, sizeof fx->home, "/tmp/airlock-sbtest-XXXXXX");
    if (mkdtemp(fx->home) == NULL) {
        free(fx);
        return -1;
    }
    airlock_config_init(&fx->cfg);
    fx->cfg.home = fx->home;
    fx->cfg.account = "alice@example.org";
    fx->cfg.no_passphrase = 1;
    fx->cfg.on_event = on_event;
    fx->cfg.user_data = &fx->ev;
    if (airlock_account_create(&fx->cfg) != AIRLOCK_OK) {
        /* no teardown after a failed setup: clean up here */
        rm_rf(fx->home);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;

    airlock_close(fx->ctx);
    rm_rf(fx->home);
    free(fx);
    return 0;
}

/* Open with the sandbox as configured (under valgrind: unconfined). */
static airlock_err fx_open(fixture *fx)
{
    airlock_err err;

    if (under_valgrind() && fx->cfg.sandbox) {
        /* airlock_open would fail closed under valgrind; start with the
         * sandbox off and bring an unconfined worker up by hand. */
        fx->cfg.sandbox = 0;
        err = airlock_open(&fx->cfg, &fx->ctx);
        fx->cfg.sandbox = 1;
        if (err != AIRLOCK_OK)
            return err;
        fx->ctx->sandbox = 1;
        fx->ctx->sb.test_flags = SANDBOX_TEST_UNCONFINED;
        return engine_sandbox_start(fx->ctx);
    }
    return airlock_open(&fx->cfg, &fx->ctx);
}

static void test_open_starts_worker(void **state)
{
    fixture *fx = *state;
    airlock_model *m = NULL;
    char path[64], *s;
    pid_t pid;

    assert_int_equal(fx_open(fx), AIRLOCK_OK);
    assert_true(fx->ctx->sb.on);
    assert_true(fx->ctx->sb.running);
    pid = fx->ctx->sb.pid;
    if (!under_valgrind()) {
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        assert_non_null(s = slurp(path));
        assert_non_null(strstr(s, "\nSeccomp:\t2\n"));
    }
    assert_int_equal(engine_render(fx->ctx, "bob@example.org",
                                   (const uint8_t *)"*hi*", 4,
                                   STORE_CONTENT_BODY, AIRLOCK_TRUST_ACCEPTED,
                                   &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span(m, 0)->style, AIRLOCK_STYLE_BOLD);
    airlock_model_free(m);
    airlock_close(fx->ctx);
    fx->ctx = NULL;
    reaped(pid);
}

static void test_sandbox_off(void **state)
{
    fixture *fx = *state;
    airlock_model *m = NULL;

    fx->cfg.sandbox = 0;
    assert_int_equal(airlock_open(&fx->cfg, &fx->ctx), AIRLOCK_OK);
    assert_false(fx->ctx->sb.on);
    assert_false(fx->ctx->sb.running);
    assert_int_equal(fx->ctx->sb.starts, 0);
    assert_int_equal(engine_render(fx->ctx, "bob@example.org",
                                   (const uint8_t *)"*hi*", 4,
                                   STORE_CONTENT_BODY, AIRLOCK_TRUST_ACCEPTED,
                                   &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span(m, 0)->style, AIRLOCK_STYLE_BOLD);
    airlock_model_free(m);
    assert_int_equal(fx->ctx->sb.starts, 0);
}

static uint32_t crash_events_for(airlock_ctx *ctx, const char *sender)
{
    airlock_event_list *l = NULL;
    uint32_t n = 0;
    size_t i;

    assert_int_equal(airlock_security_events(ctx, 0, &l), AIRLOCK_OK);
    for (i = 0; i < airlock_event_list_count(l); i++) {
        const airlock_security_event *e = airlock_event_list_get(l, i);

        if (e->kind == AIRLOCK_SEC_DECODER_CRASH &&
            strcmp(e->sender, sender) == 0)
            n += e->count;
    }
    airlock_event_list_free(l);
    return n;
}

static airlock_trust trust_of(airlock_ctx *ctx, const char *addr)
{
    store_contact c;

    assert_int_equal(store_contact_get(ctx->st, addr, &c), AIRLOCK_OK);
    return c.trust;
}

/* A crash is a notice and an event naming the sender; the third moves an
 * accepted sender to requests, after which their messages render inert
 * (no worker crash: the inert path does not decode the frame). */
static void test_crash_policy(void **state)
{
    fixture *fx = *state;
    airlock_model *m = NULL;
    const char *mallory = "mallory@example.org";
    int i;

    assert_int_equal(fx_open(fx), AIRLOCK_OK);
    assert_int_equal(airlock_accept(fx->ctx, mallory), AIRLOCK_OK);
    assert_int_equal(trust_of(fx->ctx, mallory), AIRLOCK_TRUST_ACCEPTED);
    memset(&fx->ev, 0, sizeof fx->ev);
    for (i = 1; i <= 3; i++) {
        pid_t pid = fx->ctx->sb.pid;

        fx->ctx->sb.retry_ms = 0;   /* do not wait out the backoff */
        assert_int_equal(engine_sandbox_test(fx->ctx, mallory,
                                             crash_op(), NULL, 0,
                                             AIRLOCK_TRUST_ACCEPTED, &m),
                         AIRLOCK_OK);
        assert_int_equal(airlock_model_span_count(m), 0);
        assert_int_equal(airlock_model_notice_count(m), 1);
        assert_string_equal(airlock_model_notice(m, 0),
                            "message could not be displayed safely");
        assert_int_equal(airlock_model_trust(m), AIRLOCK_TRUST_ACCEPTED);
        airlock_model_free(m);
        m = NULL;
        assert_false(fx->ctx->sb.running);
        if (pid > 0)            /* the first worker; later ones start and
                                   die inside the request */
            reaped(pid);
        assert_string_equal(fx->ev.crash_sender, mallory);
        assert_int_equal(trust_of(fx->ctx, mallory),
                         i < 3 ? AIRLOCK_TRUST_ACCEPTED :
                                 AIRLOCK_TRUST_UNKNOWN);
    }
    /* three crash events and one for the move */
    assert_int_equal(fx->ev.crash, 4);
    assert_int_equal(crash_events_for(fx->ctx, mallory), 4);
    assert_int_equal(fx->ev.contacts, 1);
    assert_int_equal(fx->ev.rerender, 1);
    /* Another sender is unaffected, and the worker is back. */
    fx->ctx->sb.retry_ms = 0;
    assert_int_equal(engine_render(fx->ctx, "bob@example.org",
                                   (const uint8_t *)"*hi*", 4,
                                   STORE_CONTENT_BODY, AIRLOCK_TRUST_ACCEPTED,
                                   &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span(m, 0)->style, AIRLOCK_STYLE_BOLD);
    airlock_model_free(m);
    m = NULL;
    assert_true(fx->ctx->sb.running);
    /* Mallory's next message, with a trust read before the move (an inbound
     * batch), renders inert: no style. */
    assert_int_equal(engine_render(fx->ctx, mallory,
                                   (const uint8_t *)"*hi*", 4,
                                   STORE_CONTENT_BODY, AIRLOCK_TRUST_ACCEPTED,
                                   &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_trust(m), AIRLOCK_TRUST_UNKNOWN);
    assert_int_equal(airlock_model_span(m, 0)->style, 0);
    airlock_model_free(m);
    m = NULL;
    /* Accepted again by the user: full decoding, counting starts over. */
    assert_int_equal(airlock_accept(fx->ctx, mallory), AIRLOCK_OK);
    assert_int_equal(engine_render(fx->ctx, mallory,
                                   (const uint8_t *)"*hi*", 4,
                                   STORE_CONTENT_BODY, AIRLOCK_TRUST_ACCEPTED,
                                   &m), AIRLOCK_OK);
    assert_int_equal(airlock_model_span(m, 0)->style, AIRLOCK_STYLE_BOLD);
    airlock_model_free(m);
}

/* A timeout and a forbidden system call through the context: the same. */
static void test_forbidden_through_ctx(void **state)
{
    fixture *fx = *state;
    airlock_model *m = NULL;

    if (under_valgrind())
        skip();
    assert_int_equal(fx_open(fx), AIRLOCK_OK);
    memset(&fx->ev, 0, sizeof fx->ev);
    assert_int_equal(engine_sandbox_test(fx->ctx, "carol@example.org",
                                         SANDBOX_TEST_SOCKET, NULL, 0,
                                         AIRLOCK_TRUST_ACCEPTED, &m),
                     AIRLOCK_OK);
    assert_string_equal(airlock_model_notice(m, 0),
                        "message could not be displayed safely");
    airlock_model_free(m);
    m = NULL;
    assert_int_equal(fx->ev.crash, 1);
    assert_string_equal(fx->ev.crash_sender, "carol@example.org");
    assert_string_equal(fx->ev.crash_detail,
                        "decoder killed: forbidden system call");
    fx->ctx->sb.deadline_ms = 300;
    assert_int_equal(engine_sandbox_test(fx->ctx, "carol@example.org",
                                         SANDBOX_TEST_HANG, NULL, 0,
                                         AIRLOCK_TRUST_ACCEPTED, &m),
                     AIRLOCK_OK);
    assert_string_equal(airlock_model_notice(m, 0),
                        "message could not be displayed safely");
    airlock_model_free(m);
    assert_int_equal(fx->ev.crash, 2);
    assert_string_equal(fx->ev.crash_detail,
                        "decoder did not answer in time");
}

/* Own messages (other device, history) are never demoted. */
static void test_own_never_demoted(void **state)
{
    fixture *fx = *state;
    airlock_model *m = NULL;
    int i;

    assert_int_equal(fx_open(fx), AIRLOCK_OK);
    for (i = 0; i < 4; i++) {
        fx->ctx->sb.retry_ms = 0;
        assert_int_equal(engine_sandbox_test(fx->ctx, "alice@example.org",
                                             crash_op(), NULL, 0,
                                             AIRLOCK_TRUST_ACCEPTED, &m),
                         AIRLOCK_OK);
        airlock_model_free(m);
        m = NULL;
    }
    assert_int_equal(crash_events_for(fx->ctx, "alice@example.org"), 4);
    assert_int_equal(fx->ev.contacts, 0);
}

/* A worker that dies under a real message: while an inbound batch is
 * delivered, and while history is read (the event and the crash count are
 * written while the store is paging). The message stays stored and
 * renders again once a worker is back. */
typedef struct got_msg {
    int messages;
    char last[256];
} got_msg;

static void on_msg(const airlock_event *ev, void *ud)
{
    got_msg *g = ud;
    char *text = NULL;

    if (ev->kind != AIRLOCK_EVENT_MESSAGE && ev->kind != AIRLOCK_EVENT_REQUEST)
        return;
    g->messages++;
    if (airlock_model_to_text(ev->message->model, &text, NULL) == AIRLOCK_OK)
        snprintf(g->last, sizeof g->last, "%s", text);
    airlock_free(text);
}

static void kill_worker(airlock_ctx *ctx)
{
    siginfo_t si;

    memset(&si, 0, sizeof si);
    assert_true(ctx->sb.running);
    assert_int_equal(kill(ctx->sb.pid, SIGKILL), 0);
    /* wait until it is dead but leave it for the engine to reap */
    assert_int_equal(waitid(P_PID, (id_t)ctx->sb.pid, &si,
                            WEXITED | WNOWAIT), 0);
}

static void test_crash_on_real_messages(void **state)
{
    fixture *fx = *state;
    airlock_config bcfg;
    airlock_ctx *bob = NULL;
    airlock_message_list *l = NULL;
    got_msg g;
    size_t i, unsafe = 0, shown = 0;

    assert_int_equal(fx_open(fx), AIRLOCK_OK);
    memset(&g, 0, sizeof g);
    fx->ctx->on_event = on_msg;
    fx->ctx->user_data = &g;
    bcfg = fx->cfg;
    bcfg.account = "bob@example.org";
    bcfg.on_event = NULL;
    bcfg.sandbox = 0;
    assert_int_equal(airlock_account_create(&bcfg), AIRLOCK_OK);
    assert_int_equal(airlock_open(&bcfg, &bob), AIRLOCK_OK);
    assert_int_equal(airlock_accept(fx->ctx, "bob@example.org"), AIRLOCK_OK);

    /* inbound: the worker is gone when the message is delivered */
    assert_int_equal(airlock_send_text(bob, "alice@example.org",
                                       "first *one*", 11, NULL), AIRLOCK_OK);
    kill_worker(fx->ctx);
    assert_int_equal(airlock_step(fx->ctx, 0), AIRLOCK_OK);
    assert_int_equal(g.messages, 1);
    assert_string_equal(g.last,
                        "[notice] message could not be displayed safely\n");
    assert_int_equal(crash_events_for(fx->ctx, "bob@example.org"), 1);
    /* the next one renders: a new worker */
    assert_int_equal(airlock_send_text(bob, "alice@example.org",
                                       "second *two*", 12, NULL), AIRLOCK_OK);
    assert_int_equal(airlock_step(fx->ctx, 0), AIRLOCK_OK);
    assert_int_equal(g.messages, 2);
    assert_string_equal(g.last, "second *two*");

    /* history: one render fails, the page still comes back */
    kill_worker(fx->ctx);
    assert_int_equal(airlock_history(fx->ctx, "bob@example.org", 0, 10, &l),
                     AIRLOCK_OK);
    assert_int_equal(airlock_message_list_count(l), 2);
    for (i = 0; i < 2; i++) {
        const airlock_model *m = airlock_message_list_get(l, i)->model;

        if (airlock_model_notice_count(m) == 1 &&
            strcmp(airlock_model_notice(m, 0),
                   "message could not be displayed safely") == 0)
            unsafe++;
        else if (airlock_model_span_count(m) == 2)
            shown++;
    }
    airlock_message_list_free(l);
    assert_int_equal(unsafe, 1);
    assert_int_equal(shown, 1);
    assert_int_equal(crash_events_for(fx->ctx, "bob@example.org"), 2);
    /* both stored messages render once more, with nothing lost */
    assert_int_equal(airlock_history(fx->ctx, "bob@example.org", 0, 10, &l),
                     AIRLOCK_OK);
    assert_int_equal(airlock_message_list_count(l), 2);
    for (i = 0; i < 2; i++)
        assert_int_equal(airlock_model_span_count(
                             airlock_message_list_get(l, i)->model), 2);
    airlock_message_list_free(l);
    assert_int_equal(trust_of(fx->ctx, "bob@example.org"),
                     AIRLOCK_TRUST_ACCEPTED);
    airlock_close(bob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_active),
        cmocka_unit_test(test_forbidden_open_kills),
        cmocka_unit_test(test_forbidden_socket_kills),
        cmocka_unit_test(test_crash_and_restart),
        cmocka_unit_test(test_hang_times_out),
        cmocka_unit_test(test_killed_between_requests),
        cmocka_unit_test(test_hostile_replies),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_recycle),
        cmocka_unit_test(test_fail_closed),
        cmocka_unit_test(test_stop_reaps),
        cmocka_unit_test(test_same_as_in_process),
        cmocka_unit_test_setup_teardown(test_open_starts_worker, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_sandbox_off, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_policy, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_forbidden_through_ctx, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_own_never_demoted, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_on_real_messages,
                                        fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
