/*
 * sandbox.c - the decoder worker process and the engine's side of its
 * protocol (core/sandbox.h describes both; docs/THREAT-MODEL.md says what it
 * defends against).
 *
 * Why fork without exec: a library cannot count on a helper binary being
 * installed next to whatever program links it. The price is that the worker
 * starts as a copy of the caller's memory (see "Known gaps" in the threat
 * model); the confinement below is what keeps a worker that was taken over
 * from doing anything with it except answer the engine, and the engine
 * believes nothing it answers without checking.
 *
 * The worker never touches the parent's SQLite handles, transport or keys:
 * it closes every descriptor but its socket (POSIX record locks are not
 * inherited, so closing SQLite's descriptors releases nothing of the
 * parent's), runs only airlock_render() with malloc, and leaves with
 * _exit() so no atexit handler or stdio buffer of the caller runs twice.
 */
#include "core/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/gate.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/* How long a worker asked to leave (or already dying) gets before
 * SIGKILL. */
#define REAP_GRACE_MS 200

/* Exit codes of a worker that could not set itself up. */
#define WORKER_EXIT_OK 0
#define WORKER_EXIT_CONFINE 3
#define WORKER_EXIT_PROTOCOL 4
#define WORKER_EXIT_NOMEM 5

/* ======================================================================== */
/* Model codec (both ends)                                                   */
/* ======================================================================== */

airlock_err sandbox_model_write(wr *w, const airlock_model *m)
{
    uint32_t wa = 0, wf = 0;
    size_t i, n;

    if (w == NULL || m == NULL)
        return AIRLOCK_ERR_ARG;
    airlock_model_withheld(m, &wa, &wf);
    wr_u8(w, 0);
    wr_u8(w, (uint8_t)airlock_model_trust(m));
    wr_u8(w, airlock_model_malformed(m) ? 1u : 0u);
    wr_uvarint(w, wa);
    wr_uvarint(w, wf);
    n = airlock_model_span_count(m);
    wr_uvarint(w, n);
    for (i = 0; i < n; i++) {
        const airlock_span *sp = airlock_model_span(m, i);

        wr_uvarint(w, sp->style);
        wr_uvarint(w, sp->quote_depth);
        wr_lbytes(w, sp->text, sp->len);
    }
    n = airlock_model_attachment_count(m);
    wr_uvarint(w, n);
    for (i = 0; i < n; i++) {
        const airlock_attachment *a = airlock_model_attachment(m, i);

        wr_lbytes(w, a->mime, strlen(a->mime));
        wr_lbytes(w, a->name, strlen(a->name));
        wr_uvarint(w, a->size);
    }
    n = airlock_model_notice_count(m);
    wr_uvarint(w, n);
    for (i = 0; i < n; i++) {
        const char *s = airlock_model_notice(m, i);

        wr_lbytes(w, s, strlen(s));
    }
    return w->err;
}

/* The attachment types airlock_render() shows (it uses the default
 * policy); the worker may return nothing else. */
static bool mime_default(const uint8_t *s, size_t n)
{
    static const char *const allow[] = GATE_MIME_DEFAULT;
    size_t i;

    for (i = 0; allow[i] != NULL; i++)
        if (strlen(allow[i]) == n && memcmp(allow[i], s, n) == 0)
            return true;
    return false;
}

static bool has_byte(const uint8_t *s, size_t n, uint8_t c)
{
    return n > 0 && memchr(s, c, n) != NULL;
}

/* Worker statuses the engine passes on; anything else is a protocol
 * violation. */
static airlock_err worker_status(uint8_t st)
{
    switch (st) {
    case (uint8_t)-AIRLOCK_ERR_NOMEM: return AIRLOCK_ERR_NOMEM;
    case (uint8_t)-AIRLOCK_ERR_ARG: return AIRLOCK_ERR_ARG;
    case (uint8_t)-AIRLOCK_ERR_TOO_LARGE: return AIRLOCK_ERR_TOO_LARGE;
    default: return AIRLOCK_ERR_MALFORMED;
    }
}

/* Checked rebuild: a builder's ARG means the worker sent what a model may
 * not hold; that is the worker's fault (MALFORMED), not the caller's. */
static airlock_err built(airlock_err err)
{
    return err == AIRLOCK_ERR_ARG || err == AIRLOCK_ERR_TOO_LARGE ?
        AIRLOCK_ERR_MALFORMED : err;
}

static airlock_err read_spans(rd *r, airlock_model *m, bool full,
                              bool blocked)
{
    uint64_t count, style, depth, i;
    const uint8_t *text;
    size_t tn;
    airlock_err err;

    if ((err = rd_uvarint(r, SANDBOX_SPANS_MAX, &count)) != AIRLOCK_OK)
        return err;
    if (blocked && count > 0)
        return AIRLOCK_ERR_MALFORMED;
    for (i = 0; i < count; i++) {
        if ((err = rd_uvarint(r, 0xFFu, &style)) != AIRLOCK_OK ||
            (err = rd_uvarint(r, GATE_QUOTE_DEPTH_MAX, &depth)) !=
                AIRLOCK_OK ||
            (err = rd_lbytes(r, SANDBOX_TEXT_MAX, &text, &tn)) != AIRLOCK_OK)
            return err;
        /* Inert text has no style and no link; spans are never empty. */
        if ((!full && style != 0) || tn == 0 || has_byte(text, tn, 0))
            return AIRLOCK_ERR_MALFORMED;
        if ((err = gate_model_add_text(m, (const char *)text, tn,
                                       (uint32_t)style, (uint32_t)depth,
                                       (style & AIRLOCK_STYLE_LINK) != 0)) !=
            AIRLOCK_OK)
            return built(err);
    }
    return AIRLOCK_OK;
}

static airlock_err read_attachments(rd *r, airlock_model *m, bool full)
{
    uint64_t count, size, i;
    const uint8_t *mime, *name;
    size_t mn, nn;
    char mime_z[GATE_MIME_MAX + 1];
    airlock_err err;

    if ((err = rd_uvarint(r, GATE_ATTACH_MAX, &count)) != AIRLOCK_OK)
        return err;
    if (!full && count > 0)
        return AIRLOCK_ERR_MALFORMED;
    for (i = 0; i < count; i++) {
        if ((err = rd_lbytes(r, GATE_MIME_MAX, &mime, &mn)) != AIRLOCK_OK ||
            (err = rd_lbytes(r, SANDBOX_NAME_MAX, &name, &nn)) !=
                AIRLOCK_OK ||
            (err = rd_uvarint(r, GATE_SIZE_MAX, &size)) != AIRLOCK_OK)
            return err;
        /* The name was sanitized as a file name already: clean, no path
         * separators. It is sanitized again by the builder anyway. */
        if (!mime_default(mime, mn) ||
            !gate_text_clean((const char *)name, nn) ||
            has_byte(name, nn, '/') || has_byte(name, nn, '\\') ||
            has_byte(name, nn, '\n') || has_byte(name, nn, '\t'))
            return AIRLOCK_ERR_MALFORMED;
        memcpy(mime_z, mime, mn);
        mime_z[mn] = '\0';
        if ((err = gate_model_add_attachment(m, mime_z, name, nn, size,
                                             NULL)) != AIRLOCK_OK)
            return built(err);
    }
    return AIRLOCK_OK;
}

static airlock_err read_notices(rd *r, airlock_model *m)
{
    uint64_t count, i;
    const uint8_t *s;
    size_t n;
    char buf[SANDBOX_NOTICE_MAX + 1];
    airlock_err err;

    if ((err = rd_uvarint(r, GATE_NOTICES_MAX, &count)) != AIRLOCK_OK)
        return err;
    for (i = 0; i < count; i++) {
        if ((err = rd_lbytes(r, SANDBOX_NOTICE_MAX, &s, &n)) != AIRLOCK_OK)
            return err;
        if (n == 0 || !gate_text_clean((const char *)s, n) ||
            has_byte(s, n, 0))
            return AIRLOCK_ERR_MALFORMED;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if ((err = gate_model_add_notice(m, buf)) != AIRLOCK_OK)
            return built(err);
    }
    return AIRLOCK_OK;
}

airlock_err sandbox_reply_decode(const uint8_t *in, size_t n,
                                 airlock_trust trust,
                                 const airlock_allocator *al,
                                 airlock_model **out)
{
    rd r = rd_make(in, n);
    airlock_model *m = NULL;
    uint8_t status, t, flags;
    uint64_t wa, wf;
    bool full = trust == AIRLOCK_TRUST_ACCEPTED ||
                trust == AIRLOCK_TRUST_VERIFIED;
    bool malformed;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if ((in == NULL && n > 0) || (unsigned)trust > AIRLOCK_TRUST_BLOCKED)
        return AIRLOCK_ERR_ARG;
    if (n > SANDBOX_REPLY_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = rd_u8(&r, &status)) != AIRLOCK_OK)
        goto out;
    if (status != 0) {
        err = rd_done(&r) == AIRLOCK_OK ? worker_status(status) :
                                          AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    if ((err = rd_u8(&r, &t)) != AIRLOCK_OK ||
        (err = rd_u8(&r, &flags)) != AIRLOCK_OK ||
        (err = rd_uvarint(&r, UINT32_MAX, &wa)) != AIRLOCK_OK ||
        (err = rd_uvarint(&r, UINT32_MAX, &wf)) != AIRLOCK_OK)
        goto out;
    if (t != (uint8_t)trust || (flags & ~1u) != 0) {
        err = AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    malformed = (flags & 1u) != 0;
    if ((err = gate_model_new(al, trust, &m)) != AIRLOCK_OK)
        goto out;
    if (malformed)
        gate_model_set_malformed(m);
    gate_model_withhold(m, (uint32_t)wa, (uint32_t)wf);
    if ((err = read_spans(&r, m, full && !malformed,
                          trust == AIRLOCK_TRUST_BLOCKED || malformed)) !=
            AIRLOCK_OK ||
        (err = read_attachments(&r, m, full && !malformed)) != AIRLOCK_OK ||
        (err = read_notices(&r, m)) != AIRLOCK_OK ||
        (err = rd_done(&r)) != AIRLOCK_OK)
        goto out;
    if ((err = gate_model_finish(m)) != AIRLOCK_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    airlock_model_free(m);
    return err;
}

/* ======================================================================== */
/* The worker                                                                */
/* ======================================================================== */

static bool read_full(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = read(fd, p, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool write_full(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Every descriptor but `keep`: the parent's databases, transport, epoll,
 * debug log, terminal. */
static void close_others(int keep)
{
    long max, fd;

    if ((keep == 0 ||
         syscall(SYS_close_range, 0u, (unsigned)keep - 1u, 0u) == 0) &&
        syscall(SYS_close_range, (unsigned)keep + 1u, ~0u, 0u) == 0)
        return;
    max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (fd = 0; fd < max; fd++)
        if (fd != keep)
            (void)close((int)fd);
}

/* The size of what the worker inherited (VmSize), for RLIMIT_AS: the limit
 * is headroom on top of it, whatever the caller had mapped. 0 if unknown. */
static uint64_t vm_size(void)
{
    char buf[128];
    uint64_t pages = 0;
    ssize_t n;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC), i;
    long pg = sysconf(_SC_PAGESIZE);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    (void)close(fd);
    if (n <= 0 || pg <= 0)
        return 0;
    for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
        if (pages > UINT64_MAX / 16)
            return 0;
        pages = pages * 10 + (uint64_t)(buf[i] - '0');
    }
    return pages * (uint64_t)pg;
}

static bool set_limit(int res, rlim_t v)
{
    struct rlimit rl;

    rl.rlim_cur = v;
    rl.rlim_max = v;
    return setrlimit(res, &rl) == 0;
}

/* Resource limits. RLIMIT_NPROC=0 stops fork where the kernel enforces it
 * (not for root, which seccomp covers anyway); FSIZE=0 turns any write to a
 * regular file into SIGXFSZ; CORE=0 and not dumpable: no core file with the
 * inherited memory in it. */
static bool limit_resources(void)
{
    uint64_t vm = vm_size();

    if (!set_limit(RLIMIT_CPU, SANDBOX_RLIMIT_CPU_S) ||
        !set_limit(RLIMIT_FSIZE, 0) || !set_limit(RLIMIT_CORE, 0) ||
        !set_limit(RLIMIT_NPROC, 0) || !set_limit(RLIMIT_NOFILE, 0) ||
        !set_limit(RLIMIT_MEMLOCK, 0) || !set_limit(RLIMIT_MSGQUEUE, 0))
        return false;
    if (vm != 0 && vm < UINT64_MAX - SANDBOX_AS_HEADROOM &&
        !set_limit(RLIMIT_AS, (rlim_t)(vm + SANDBOX_AS_HEADROOM)))
        return false;
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

/* The seccomp allowlist. Everything else kills the process
 * (SCMP_ACT_KILL_PROCESS), and so does a system call of another ABI. Each
 * entry, and why:
 *   read, write      only on the worker's socket (argument 0): the protocol
 *   brk, mmap,       glibc malloc: the heap, and large blocks as mappings;
 *   munmap, mremap,  mmap never with PROT_EXEC (no new code pages); mremap
 *   madvise          for realloc of mapped blocks; madvise when free trims
 *   exit_group, exit _exit(); exit for completeness (single thread)
 *   rt_sigreturn     return from a signal handler (none is installed and
 *                    all signals are blocked, but the kernel needs it to
 *                    unwind if one ever runs)
 * Seen under strace while the tests render every corpus input (up to
 * AIRLOCK_RENDER_MAX bytes) through a worker: read, write, brk, mmap,
 * munmap, exit_group. mremap and madvise are kept because glibc malloc
 * uses them on paths the corpus did not happen to take (realloc of a
 * mapped block; trimming, or the hugepage tunable the caller's environment
 * may set); exit and rt_sigreturn cost nothing.
 * Not allowed, although glibc can use them: mprotect (only for thread
 * arenas: the worker has one thread), futex (no contention without threads),
 * getrandom, clock_gettime (the render path needs neither).
 * Sanitizer builds only: sigaltstack with a NULL new stack (a query), which
 * ASan makes before every noreturn call such as _exit. */
static bool install_filter(int fd)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
    bool ok = false;

    if (f == NULL)
        return false;
    if (seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH,
                         SCMP_ACT_KILL_PROCESS) != 0 ||
        seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 1) != 0)
        goto out;
    if (seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
                         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd, 0)) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                         SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd, 0)) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(brk), 0) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(munmap), 0) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mremap), 0) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(madvise), 0) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(exit), 0) != 0 ||
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0) != 0)
        goto out;
#ifdef SANDBOX_ASAN
    if (seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 1,
                         SCMP_A0(SCMP_CMP_EQ, 0, 0)) != 0)
        goto out;
#endif
    ok = seccomp_load(f) == 0;
out:
    seccomp_release(f);
    return ok;
}

/* Cut loose from the caller: own session (no terminal signals), dies with
 * the parent, every signal blocked (no handler of the caller's ever runs
 * here; faults still kill), only the socket left open. */
static bool detach(int fd, pid_t parent)
{
    sigset_t all;

    (void)setsid();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent)
        return false;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, NULL) != 0)
        return false;
    close_others(fd);
    return true;
}

static bool reply_status(int fd, airlock_err err)
{
    uint8_t b[5];

    put_be32(b, 1);
    b[4] = (uint8_t)-err;
    return write_full(fd, b, sizeof b);
}

static bool worker_render(int fd, const uint8_t *req, size_t n)
{
    airlock_model *m = NULL;
    wr w;
    airlock_err err;
    bool ok;

    err = airlock_render(req + SANDBOX_REQ_HEADER, n - SANDBOX_REQ_HEADER,
                         (airlock_trust)req[1], (airlock_input)req[2], NULL,
                         &m);
    if (err != AIRLOCK_OK)
        return reply_status(fd, err);
    wr_init(&w, NULL, 4u + SANDBOX_REPLY_MAX);
    wr_u32be(&w, 0);
    err = sandbox_model_write(&w, m);
    airlock_model_free(m);
    if (err != AIRLOCK_OK) {
        wr_clear(&w, true);
        return reply_status(fd, err);
    }
    put_be32(w.buf, (uint32_t)(w.len - 4));
    ok = write_full(fd, w.buf, w.len);
    wr_clear(&w, true);
    return ok;
}

#ifdef AIRLOCK_SANDBOX_TEST
/* Test-only requests: what a taken-over worker might do. Compiled only into
 * the test copy of this file, never into libairlock. */
static bool worker_test(int fd, uint8_t *req, size_t n)
{
    uint8_t what = n > SANDBOX_REQ_HEADER ? req[SANDBOX_REQ_HEADER] : 0;
    volatile int *volatile nowhere = NULL;
    uint8_t b[4];

    switch (what) {
    case SANDBOX_TEST_OPEN:
        (void)open("/etc/passwd", O_RDONLY | O_CLOEXEC);
        break;
    case SANDBOX_TEST_SOCKET:
        (void)socket(AF_INET, SOCK_STREAM, 0);
        break;
    case SANDBOX_TEST_HANG:
        /* The engine sends nothing more: this blocks until it gives up. */
        (void)read_full(fd, b, sizeof b);
        return false;
    case SANDBOX_TEST_SEGV:
        *nowhere = 1;
        break;
    case SANDBOX_TEST_EXIT:
        free(req);          /* so valgrind sees a death, not a leak */
        _exit(7);
    case SANDBOX_TEST_ECHO:
        put_be32(b, (uint32_t)(n - SANDBOX_REQ_HEADER - 1));
        return write_full(fd, b, sizeof b) &&
               write_full(fd, req + SANDBOX_REQ_HEADER + 1,
                          n - SANDBOX_REQ_HEADER - 1);
    default:
        break;
    }
    return reply_status(fd, AIRLOCK_ERR_ARG);
}
#endif

static void worker_main(int fd, pid_t parent, unsigned test_flags)
    __attribute__((noreturn));
static void worker_main(int fd, pid_t parent, unsigned test_flags)
{
    uint8_t hdr[4], *req;
    size_t n;
    bool confine = true;

#ifdef AIRLOCK_SANDBOX_TEST
    confine = (test_flags & SANDBOX_TEST_UNCONFINED) == 0;
    if (test_flags & SANDBOX_TEST_NO_FILTER)
        _exit(WORKER_EXIT_CONFINE);
#else
    (void)test_flags;
#endif
    if (!detach(fd, parent))
        _exit(WORKER_EXIT_CONFINE);
    if ((req = malloc(SANDBOX_REQ_MAX)) == NULL)
        _exit(WORKER_EXIT_NOMEM);
    if (confine && (!limit_resources() || !install_filter(fd)))
        _exit(WORKER_EXIT_CONFINE);
    put_be32(hdr, SANDBOX_READY_MAGIC);
    if (!write_full(fd, hdr, sizeof hdr))
        _exit(WORKER_EXIT_OK);
    for (;;) {
        bool ok = false;

        if (!read_full(fd, hdr, sizeof hdr))
            break;                            /* the engine closed: done */
        n = get_be32(hdr);
        if (n < SANDBOX_REQ_HEADER || n > SANDBOX_REQ_MAX ||
            !read_full(fd, req, n))
            _exit(WORKER_EXIT_PROTOCOL);
        if (req[0] == SANDBOX_OP_RENDER)
            ok = worker_render(fd, req, n);
#ifdef AIRLOCK_SANDBOX_TEST
        else if (req[0] == SANDBOX_OP_TEST)
            ok = worker_test(fd, req, n);
#endif
        if (!ok)
            _exit(WORKER_EXIT_PROTOCOL);
        /* Message bytes do not outlive their request. */
        base_wipe(req, n);
    }
    free(req);
    _exit(WORKER_EXIT_OK);
}

/* ======================================================================== */
/* The engine's side                                                         */
/* ======================================================================== */

/* Wait for fd to become ready for `events` until the monotonic deadline.
 * AIRLOCK_OK, AIRLOCK_ERR_TIMEOUT or AIRLOCK_ERR_IO. */
static airlock_err wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd p;
    int64_t left;
    int r;

    for (;;) {
        left = deadline - base_mono_ms();
        if (left <= 0)
            return AIRLOCK_ERR_TIMEOUT;
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r > 0)
            return AIRLOCK_OK;   /* readable, writable, hangup or error */
        if (r < 0 && errno != EINTR)
            return AIRLOCK_ERR_IO;
    }
}

/* AIRLOCK_OK, TIMEOUT, or IO (the worker is gone: EOF or reset). */
static airlock_err send_all(int fd, const uint8_t *p, size_t n,
                            int64_t deadline)
{
    airlock_err err;

    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if ((err = wait_fd(fd, POLLOUT, deadline)) != AIRLOCK_OK)
                return err;
            continue;
        }
        return AIRLOCK_ERR_IO;
    }
    return AIRLOCK_OK;
}

static airlock_err recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
    airlock_err err;

    while (n > 0) {
        ssize_t k = recv(fd, p, n, 0);

        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if ((err = wait_fd(fd, POLLIN, deadline)) != AIRLOCK_OK)
                return err;
            continue;
        }
        return AIRLOCK_ERR_IO;   /* 0: EOF, the worker died */
    }
    return AIRLOCK_OK;
}

static void signal_worker(const sandbox_state *sb, int sig)
{
    /* Through the pidfd when there is one: a pid the caller's own SIGCHLD
     * handler reaped may already belong to someone else. */
    if (sb->pidfd >= 0) {
        (void)syscall(SYS_pidfd_send_signal, sb->pidfd, sig, NULL, 0u);
        return;
    }
    (void)kill(sb->pid, sig);
}

/* Reap the worker. `gently`: it was asked to leave (socket closed) and gets
 * a moment before SIGKILL. Returns the wait status, or -1 when the caller's
 * SIGCHLD handling already took it. */
static int reap(sandbox_state *sb, bool gently)
{
    int status = -1, i;
    pid_t r;

    if (gently && sb->pidfd >= 0) {
        struct pollfd p = { sb->pidfd, POLLIN, 0 };

        while (poll(&p, 1, REAP_GRACE_MS) < 0 && errno == EINTR)
            ;
    }
    for (i = 0;; i++) {
        do {
            r = waitpid(sb->pid, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        /* Without a pidfd to wait on, look again for a while. */
        if (r != 0 || !gently || sb->pidfd >= 0 || i >= REAP_GRACE_MS)
            break;
        (void)poll(NULL, 0, 1);
    }
    if (r == 0) {
        signal_worker(sb, SIGKILL);
        do {
            r = waitpid(sb->pid, &status, 0);
        } while (r < 0 && errno == EINTR);
    }
    return r == sb->pid ? status : -1;
}

static int end_worker(sandbox_state *sb, bool gently)
{
    int status;

    if (!sb->running)
        return -1;
    if (!gently)
        signal_worker(sb, SIGKILL);
    (void)close(sb->fd);
    status = reap(sb, gently);
    if (sb->pidfd >= 0)
        (void)close(sb->pidfd);
    sb->running = false;
    sb->fd = -1;
    sb->pidfd = -1;
    sb->pid = 0;
    sb->busy_ms = 0;
    return status;
}

void sandbox_kill(sandbox_state *sb)
{
    if (sb != NULL)
        (void)end_worker(sb, true);
}

airlock_err sandbox_spawn(sandbox_state *sb)
{
    int sv[2], fl;
    pid_t parent = getpid(), pid;
    uint8_t hello[4];
    int64_t deadline;

    if (sb == NULL)
        return AIRLOCK_ERR_ARG;
    if (sb->running)
        return AIRLOCK_OK;
    if (sb->deadline_ms <= 0)
        sb->deadline_ms = SANDBOX_DEADLINE_MS;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return AIRLOCK_ERR_IO;
    pid = fork();
    if (pid < 0) {
        (void)close(sv[0]);
        (void)close(sv[1]);
        return AIRLOCK_ERR_IO;
    }
    if (pid == 0)
        worker_main(sv[1], parent, sb->test_flags);
    (void)close(sv[1]);
    sb->running = true;
    sb->pid = pid;
    sb->fd = sv[0];
    sb->pidfd = (int)syscall(SYS_pidfd_open, pid, 0u);
    sb->busy_ms = 0;
    sb->starts++;
    if ((fl = fcntl(sb->fd, F_GETFL)) < 0 ||
        fcntl(sb->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        (void)end_worker(sb, false);
        return AIRLOCK_ERR_IO;
    }
    /* Ready only once confined: a worker that cannot install its filter
     * exits, and the engine does not decode without it (fail closed). */
    deadline = base_mono_ms() + sb->deadline_ms;
    if (recv_all(sb->fd, hello, sizeof hello, deadline) != AIRLOCK_OK ||
        get_be32(hello) != SANDBOX_READY_MAGIC) {
        (void)end_worker(sb, false);
        return AIRLOCK_ERR_UNSUPPORTED;
    }
    return AIRLOCK_OK;
}

static void note_failure(sandbox_state *sb)
{
    int64_t delay = 0;
    uint32_t i;

    if (sb->failures < 64)
        sb->failures++;
    if (sb->failures >= 2) {
        delay = SANDBOX_BACKOFF_MS;
        for (i = 2; i < sb->failures && delay < SANDBOX_BACKOFF_MAX_MS; i++)
            delay *= 2;
        if (delay > SANDBOX_BACKOFF_MAX_MS)
            delay = SANDBOX_BACKOFF_MAX_MS;
    }
    sb->retry_ms = base_mono_ms() + delay;
}

static void describe(char *detail, int status, sandbox_fail fail)
{
    if (detail == NULL)
        return;
    if (fail == SANDBOX_FAIL_TIMEOUT)
        snprintf(detail, SANDBOX_DETAIL_MAX, "decoder did not answer in time");
    else if (fail == SANDBOX_FAIL_REPLY)
        snprintf(detail, SANDBOX_DETAIL_MAX, "decoder reply rejected");
    else if (fail == SANDBOX_FAIL_UNAVAILABLE)
        snprintf(detail, SANDBOX_DETAIL_MAX, "decoder could not be started");
    else if (status >= 0 && WIFSIGNALED(status) &&
             WTERMSIG(status) == SIGSYS)
        snprintf(detail, SANDBOX_DETAIL_MAX,
                 "decoder killed: forbidden system call");
    else if (status >= 0 && WIFSIGNALED(status))
        snprintf(detail, SANDBOX_DETAIL_MAX, "decoder killed by signal %d",
                 WTERMSIG(status));
    else if (status >= 0 && WIFEXITED(status))
        snprintf(detail, SANDBOX_DETAIL_MAX, "decoder exited with status %d",
                 WEXITSTATUS(status));
    else
        snprintf(detail, SANDBOX_DETAIL_MAX, "decoder process crashed");
}

/* Make sure a worker runs: recycle a worn one, respect the backoff. */
static airlock_err ensure_worker(sandbox_state *sb)
{
    int64_t wait;
    airlock_err err;

    if (sb->running && sb->busy_ms >= SANDBOX_RECYCLE_BUSY_MS)
        (void)end_worker(sb, true);
    if (sb->running)
        return AIRLOCK_OK;
    wait = sb->retry_ms - base_mono_ms();
    if (wait > SANDBOX_WAIT_MAX_MS)
        return AIRLOCK_ERR_STATE;
    if (wait > 0)
        (void)poll(NULL, 0, (int)wait);
    if ((err = sandbox_spawn(sb)) != AIRLOCK_OK)
        note_failure(sb);
    return err;
}

airlock_err sandbox_request(sandbox_state *sb, uint8_t op,
                            airlock_trust trust, airlock_input kind,
                            const uint8_t *in, size_t n,
                            const airlock_allocator *al, airlock_model **out,
                            sandbox_fail *fail, char *detail)
{
    uint8_t hdr[4 + SANDBOX_REQ_HEADER], len[4], *reply = NULL;
    uint32_t rn = 0;
    int64_t start, deadline;
    sandbox_fail why = SANDBOX_FAIL_NONE;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (fail != NULL)
        *fail = SANDBOX_FAIL_NONE;
    if (detail != NULL)
        detail[0] = '\0';
    if (sb == NULL || out == NULL || (in == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > AIRLOCK_RENDER_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if (ensure_worker(sb) != AIRLOCK_OK) {
        why = SANDBOX_FAIL_UNAVAILABLE;
        err = AIRLOCK_ERR_STATE;
        describe(detail, -1, why);
        goto out;
    }
    put_be32(hdr, (uint32_t)(SANDBOX_REQ_HEADER + n));
    hdr[4] = op;
    hdr[5] = (uint8_t)trust;
    hdr[6] = (uint8_t)kind;
    start = base_mono_ms();
    deadline = start + sb->deadline_ms;
    if ((err = send_all(sb->fd, hdr, sizeof hdr, deadline)) == AIRLOCK_OK &&
        (err = send_all(sb->fd, in, n, deadline)) == AIRLOCK_OK &&
        (err = recv_all(sb->fd, len, sizeof len, deadline)) == AIRLOCK_OK) {
        rn = get_be32(len);
        if (rn == 0 || rn > SANDBOX_REPLY_MAX) {
            why = SANDBOX_FAIL_REPLY;
        } else if ((reply = base_alloc(al, rn)) == NULL) {
            /* Our failure, not the worker's: drop it (the reply is still
             * in the socket) without counting anything against anyone. */
            (void)end_worker(sb, false);
            err = AIRLOCK_ERR_NOMEM;
            goto out;
        } else {
            err = recv_all(sb->fd, reply, rn, deadline);
        }
    }
    sb->busy_ms += base_mono_ms() - start;
    if (why == SANDBOX_FAIL_NONE && err != AIRLOCK_OK)
        why = err == AIRLOCK_ERR_TIMEOUT ? SANDBOX_FAIL_TIMEOUT :
                                           SANDBOX_FAIL_CRASH;
    if (why == SANDBOX_FAIL_NONE) {
        err = sandbox_reply_decode(reply, rn, trust, al, out);
        if (err == AIRLOCK_OK || err == AIRLOCK_ERR_NOMEM ||
            err == AIRLOCK_ERR_ARG ||
            (err == AIRLOCK_ERR_TOO_LARGE && reply[0] != 0)) {
            /* A model, or the worker's (or our) honest error. */
            if (err == AIRLOCK_OK)
                sb->failures = 0;
            goto out;
        }
        why = SANDBOX_FAIL_REPLY;
    }
    describe(detail, end_worker(sb, why == SANDBOX_FAIL_CRASH), why);
    note_failure(sb);
    err = AIRLOCK_ERR_STATE;
out:
    if (reply != NULL) {
        base_wipe(reply, rn);
        base_free(al, reply);
    }
    if (fail != NULL)
        *fail = why;
    return err;
}
