/*
 * sigpipe.c - keep a write to a closed socket from ending the process
 * without touching process-wide signal dispositions (base.h). The
 * technique: block SIGPIPE in this thread, let the write fail with EPIPE,
 * then take the signal it left pending before unblocking.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "base/base.h"

static bool sigpipe_pending(void)
{
    sigset_t pend;

    return sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1;
}

void base_sigpipe_hold(base_sigpipe *g)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    g->held = pthread_sigmask(SIG_BLOCK, &set, &g->old) == 0;
    /* one the caller had already pending is theirs, not ours to take */
    g->was_pending = g->held && sigpipe_pending();
}

void base_sigpipe_release(base_sigpipe *g)
{
    int saved = errno;

    if (!g->held)
        return;
    if (!g->was_pending && sigpipe_pending()) {
        const struct timespec none = { 0, 0 };
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        while (sigtimedwait(&set, NULL, &none) < 0 && errno == EINTR)
            ;
    }
    (void)pthread_sigmask(SIG_SETMASK, &g->old, NULL);
    g->held = false;
    errno = saved;
}
