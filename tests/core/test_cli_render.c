/* test_cli_render.c - `airlock render` and `airlock vectors check`
 * (ui-tui/cli_render.c) without the rest of the program: exit codes, the
 * size limit, output, and that a wrong vector is reported. Uses a temporary
 * directory for stdin/stdout files. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "airlock/airlock.h"
#include "ui-tui/cli.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/airlock-cli-XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static void rm(const char *name)
{
    char p[512];

    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
}

static int teardown(void **state)
{
    (void)state;
    rm("in");
    rm("out");
    rm("err");
    rm("v.json");
    return rmdir(dir);
}

static void write_file(const char *name, const void *p, size_t n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *name)
{
    char path[512];
    FILE *f;
    char *buf = malloc(1 << 20);
    size_t n;

    assert_non_null(buf);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Run fn(argc, argv) with stdin from dir/in, stdout to dir/out and stderr
 * to dir/err. */
static int run(int (*fn)(int, char **), int argc, char **argv)
{
    char in[512], out[512], err[512];
    int save0 = dup(0), save1 = dup(1), save2 = dup(2), fd, rc;

    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    fflush(stdout);
    fflush(stderr);
    fd = open(in, O_RDONLY);
    assert_true(fd >= 0);
    dup2(fd, 0);
    close(fd);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    clearerr(stdin);
    rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(save0, 0);
    dup2(save1, 1);
    dup2(save2, 2);
    close(save0);
    close(save1);
    close(save2);
    clearerr(stdin);
    return rc;
}

static void test_render_issue_example(void **state)
{
    static const char in[] = "\x1b]0;pwned\x07*hi*";
    char *argv[] = { "--trust", "unknown", "--input", "body", "--json" };
    char *out;

    (void)state;
    write_file("in", in, sizeof in - 1);
    assert_int_equal(run(cli_render, 5, argv), 0);
    out = read_file("out");
    assert_string_equal(out,
        "{\"trust\":\"unknown\",\"spans\":[{\"text\":\"\xe2\x90\x9b]0;pwned"
        "\xe2\x90\x87*hi*\",\"style\":[]}],\"attachments\":[],\"withheld\":"
        "{\"attachments\":0,\"fields\":0},\"notices\":[]}\n");
    assert_null(strchr(out, 0x1b));
    free(out);
    /* text form */
    assert_int_equal(run(cli_render, 4, argv), 0);
    out = read_file("out");
    assert_string_equal(out, "\xe2\x90\x9b]0;pwned\xe2\x90\x87*hi*\n");
    free(out);
}

static void test_render_malformed_exits_0(void **state)
{
    static const uint8_t junk[] = { 0xA1, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F };
    char *argv[] = { "--trust", "accepted", "--input", "frame", "--json" };
    char *out;

    (void)state;
    write_file("in", junk, sizeof junk);
    assert_int_equal(run(cli_render, 5, argv), 0);
    out = read_file("out");
    assert_non_null(strstr(out, "message could not be read"));
    free(out);
    /* empty stdin is a (malformed) frame too */
    write_file("in", "", 0);
    assert_int_equal(run(cli_render, 5, argv), 0);
    /* defaults: unknown, frame */
    assert_int_equal(run(cli_render, 0, argv), 0);
    out = read_file("out");
    assert_string_equal(out, "[notice] message could not be read\n");
    free(out);
}

static void test_render_too_large(void **state)
{
    uint8_t *big = calloc(1, AIRLOCK_RENDER_MAX + 1);
    char *argv[] = { "--input", "body" };
    char *err;

    (void)state;
    assert_non_null(big);
    memset(big, 'a', AIRLOCK_RENDER_MAX + 1);
    write_file("in", big, AIRLOCK_RENDER_MAX + 1);
    assert_int_equal(run(cli_render, 2, argv), 2);
    err = read_file("err");
    assert_non_null(strstr(err, "262144"));
    assert_non_null(strchr(err, '\n'));
    assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);  /* 1 line */
    free(err);
    write_file("in", big, AIRLOCK_RENDER_MAX);
    assert_int_equal(run(cli_render, 2, argv), 0);
    free(big);
}

static void test_render_usage(void **state)
{
    char *bad1[] = { "--trust", "friend" };
    char *bad2[] = { "--input" };
    char *bad3[] = { "--frobnicate" };
    char *bad4[] = { "--input", "xml" };

    (void)state;
    write_file("in", "x", 1);
    assert_int_equal(run(cli_render, 2, bad1), 2);
    assert_int_equal(run(cli_render, 1, bad2), 2);
    assert_int_equal(run(cli_render, 1, bad3), 2);
    assert_int_equal(run(cli_render, 2, bad4), 2);
}

static void test_vectors_repo_file(void **state)
{
    char path[4096];
    char *argv[] = { "check", path };
    char *out;

    (void)state;
    snprintf(path, sizeof path, "%s/tests/vectors/render.json",
             getenv("AIRLOCK_SOURCE_DIR"));
    write_file("in", "", 0);
    assert_int_equal(run(cli_vectors, 2, argv), 0);
    out = read_file("out");
    assert_non_null(strstr(out, " 0 failed"));
    free(out);
}

static void test_vectors_mismatch_and_skip(void **state)
{
    static const char v[] =
        "{\"format\":\"airlock-vectors\",\"version\":1,\"cases\":["
        "{\"type\":\"render\",\"name\":\"right\",\"trust\":\"unknown\","
        "\"input_kind\":\"body\",\"input\":\"6869\",\"expected\":{\"trust\":"
        "\"unknown\",\"spans\":[{\"text\":\"hi\",\"style\":[]}],"
        "\"attachments\":[],\"withheld\":{\"attachments\":0,\"fields\":0},"
        "\"notices\":[]},\"text\":\"hi\"},"
        "{\"type\":\"render\",\"name\":\"wrong\\u001b[31m\",\"trust\":\"unknown\","
        "\"input_kind\":\"body\",\"input\":\"6869\",\"expected\":{\"trust\":"
        "\"unknown\",\"spans\":[{\"text\":\"ho\",\"style\":[]}],"
        "\"attachments\":[],\"withheld\":{\"attachments\":0,\"fields\":0},"
        "\"notices\":[]}},"
        "{\"type\":\"envelope\",\"name\":\"later\"}]}";
    char path[512];
    char *argv[] = { "check", path };
    char *out;

    (void)state;
    write_file("v.json", v, sizeof v - 1);
    snprintf(path, sizeof path, "%s/v.json", dir);
    assert_int_equal(run(cli_vectors, 2, argv), 1);
    out = read_file("out");
    assert_non_null(strstr(out, "FAIL #1 wrong"));
    assert_null(strchr(out, 0x1b));           /* names are sanitized */
    assert_non_null(strstr(out, "skip #2: later (type envelope)"));
    assert_non_null(strstr(out, "1 passed, 1 failed, 1 skipped"));
    free(out);
}

static int always_ok(const struct json_t *c, char *why, size_t n)
{
    (void)c;
    (void)why;
    (void)n;
    return 0;
}

static void test_vectors_extra_checker(void **state)
{
    static const char v[] =
        "{\"format\":\"airlock-vectors\",\"version\":1,\"cases\":["
        "{\"type\":\"envelope\",\"name\":\"e1\"}]}";
    static const cli_vector_type extra[] = { { "envelope", always_ok } };
    char path[512];
    char *argv[] = { "check", path };
    char *out;

    (void)state;
    write_file("v.json", v, sizeof v - 1);
    snprintf(path, sizeof path, "%s/v.json", dir);
    write_file("in", "", 0);
    assert_int_equal(run(cli_vectors, 2, argv), 0);
    out = read_file("out");
    assert_non_null(strstr(out, "0 passed, 0 failed, 1 skipped"));
    free(out);
    fflush(stdout);
    {
        char in[512], o[512];
        int save1 = dup(1), fd;
        int rc;

        snprintf(in, sizeof in, "%s/in", dir);
        snprintf(o, sizeof o, "%s/out", dir);
        fd = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        close(fd);
        rc = cli_vectors_with(2, argv, extra, 1);
        fflush(stdout);
        dup2(save1, 1);
        close(save1);
        assert_int_equal(rc, 0);
    }
    out = read_file("out");
    assert_non_null(strstr(out, "1 passed, 0 failed, 0 skipped"));
    free(out);
}

static void test_vectors_bad_files(void **state)
{
    char path[512];
    char *argv[] = { "check", path };
    char *bad[] = { "verify", path };

    (void)state;
    write_file("in", "", 0);
    snprintf(path, sizeof path, "%s/v.json", dir);
    write_file("v.json", "{not json", 9);
    assert_int_equal(run(cli_vectors, 2, argv), 2);
    write_file("v.json", "{\"format\":\"other\",\"cases\":[]}", 29);
    assert_int_equal(run(cli_vectors, 2, argv), 2);
    assert_int_equal(run(cli_vectors, 2, bad), 2);
    assert_int_equal(run(cli_vectors, 1, argv), 2);
    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_int_equal(run(cli_vectors, 2, argv), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_issue_example),
        cmocka_unit_test(test_render_malformed_exits_0),
        cmocka_unit_test(test_render_too_large),
        cmocka_unit_test(test_render_usage),
        cmocka_unit_test(test_vectors_repo_file),
        cmocka_unit_test(test_vectors_mismatch_and_skip),
        cmocka_unit_test(test_vectors_extra_checker),
        cmocka_unit_test(test_vectors_bad_files),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
