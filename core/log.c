/*
 * log.c - the optional debug log (airlock_config.debug_log).
 *
 * One line per pipeline step: what happened, with kinds, counts, sizes and
 * device ids. Never message text, never key material, never addresses: a
 * debug log is the file people attach to bug reports. Callers pass trusted
 * format strings and numbers only; tests/core/test_nolog.c checks that a
 * whole conversation's plaintexts appear nowhere in the log.
 *
 * The file is opened O_APPEND (each line is one write, so lines from two
 * processes do not interleave mid-line), O_CLOEXEC and 0600, and refused
 * when someone else can read it. Write errors are ignored: logging never
 * changes what the engine does.
 */
#include "core/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 512u

airlock_err engine_log_open(airlock_ctx *ctx, const char *path)
{
    struct stat st;
    int fd;

    if (ctx == NULL)
        return AIRLOCK_ERR_ARG;
    if (path == NULL || path[0] == '\0')
        return AIRLOCK_OK;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd < 0)
        return errno == EACCES ? AIRLOCK_ERR_PERM : AIRLOCK_ERR_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)close(fd);
        return AIRLOCK_ERR_IO;
    }
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
        (void)close(fd);
        return AIRLOCK_ERR_PERM;
    }
    ctx->log_fd = fd;
    ctx->log_on = true;
    engine_log(ctx, "log open pid=%ld", (long)getpid());
    return AIRLOCK_OK;
}

void engine_log_close(airlock_ctx *ctx)
{
    if (ctx == NULL || !ctx->log_on)
        return;
    engine_log(ctx, "log close");
    (void)close(ctx->log_fd);
    ctx->log_on = false;
    ctx->log_fd = -1;
}

void engine_log(airlock_ctx *ctx, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    int64_t now;
    va_list ap;
    int a, b;
    size_t n;
    ssize_t w;

    if (ctx == NULL || !ctx->log_on)
        return;
    now = base_now_ms();
    a = snprintf(line, sizeof line, "%lld.%03lld ", (long long)(now / 1000),
                 (long long)(now % 1000));
    if (a < 0 || (size_t)a >= sizeof line)
        return;
    va_start(ap, fmt);
    b = vsnprintf(line + a, sizeof line - (size_t)a - 1, fmt, ap);
    va_end(ap);
    if (b < 0)
        return;
    n = (size_t)a + (size_t)b;
    if (n > sizeof line - 2)
        n = sizeof line - 2;   /* cut, still one line */
    line[n++] = '\n';
    do {
        w = write(ctx->log_fd, line, n);
    } while (w < 0 && errno == EINTR);
}
