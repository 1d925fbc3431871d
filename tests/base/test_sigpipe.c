/* test_sigpipe.c - a write to a closed pipe inside base_sigpipe_hold
 * fails with EPIPE, the process lives on with its SIGPIPE disposition
 * left at the default, nothing stays pending, and the thread's mask and
 * errno come back as they were. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/base.h"

static bool pending(void)
{
    sigset_t p;

    assert_int_equal(sigpending(&p), 0);
    return sigismember(&p, SIGPIPE) == 1;
}

static bool blocked(void)
{
    sigset_t m;

    assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &m), 0);
    return sigismember(&m, SIGPIPE) == 1;
}

static void write_closed_pipe(void)
{
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    errno = 0;
    assert_int_equal(write(fds[1], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(fds[1]);
}

static void test_default_disposition_survives(void **state)
{
    struct sigaction sa;
    base_sigpipe g;

    (void)state;
    /* SIGPIPE's default action: without the guard this test would die */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    assert_int_equal(sigaction(SIGPIPE, &sa, NULL), 0);
    assert_false(blocked());

    base_sigpipe_hold(&g);
    assert_true(blocked());
    write_closed_pipe();
    assert_true(pending());            /* raised, held back */
    errno = EAGAIN;
    base_sigpipe_release(&g);
    assert_int_equal(errno, EAGAIN);   /* errno left to the caller */
    assert_false(pending());           /* taken, not delivered */
    assert_false(blocked());           /* mask restored */

    /* a hold with no write in between takes nothing */
    base_sigpipe_hold(&g);
    base_sigpipe_release(&g);
    assert_false(blocked());
}

static void test_callers_pending_signal_kept(void **state)
{
    sigset_t set, old;
    base_sigpipe g;
    const struct timespec none = { 0, 0 };

    (void)state;
    /* The caller blocks SIGPIPE itself and has one pending: the guard
     * must neither take it nor unblock it. */
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
    write_closed_pipe();
    assert_true(pending());
    base_sigpipe_hold(&g);
    write_closed_pipe();
    base_sigpipe_release(&g);
    assert_true(blocked());
    assert_true(pending());
    assert_int_equal(sigtimedwait(&set, NULL, &none), SIGPIPE);
    assert_false(pending());
    assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_disposition_survives),
        cmocka_unit_test(test_callers_pending_signal_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
