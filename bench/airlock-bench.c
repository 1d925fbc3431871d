/*
 * airlock-bench - Airlock's pipeline against raw libsignal, in one run.
 *
 *   airlock-bench [--quick] [--json] [--only raw,path,render,flood,history,instr]
 *
 * Each figure is the median of 5 repetitions of at least 1 s (--quick: one
 * short repetition, only to prove the program works). Instruction counts
 * come from callgrind (this machine class has no hardware counters): the
 * program runs itself under valgrind in a phase mode that counts only the
 * measured loop. Timing is never a test; see docs/PERFORMANCE.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include "airlock/airlock.h"
#include "base/base.h"
#include "crypto/bench.h"
#include "net/net.h"
#include "store/store.h"

#define MSG_LEN 100
#define REPS 5

static int quick;
static const char *self_path;
/* Sections to run (--only); every one by default. */
static const char *only;
/* Under callgrind the seccomp worker cannot start (valgrind's own system
 * calls are not on its list): the phase mode renders in-process. */
static int sandbox = 1;
static double min_s = 1.0;
static char root[128];

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* User and system CPU seconds of this process. */
static void cpu_s(double *user, double *sys)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    *user = tv_s(&ru.ru_utime);
    *sys = tv_s(&ru.ru_stime);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static void die(const char *what, airlock_err err)
{
    fprintf(stderr, "airlock-bench: %s: %s\n", what, airlock_strerror(err));
    exit(1);
}

/* ---- raw libsignal ---- */

typedef struct raw_res {
    double enc, dec, setup;
} raw_res;

static void bench_raw(raw_res *r)
{
    double enc[REPS], dec[REPS], setup[REPS];
    int k, reps = quick ? 1 : REPS;

    for (k = 0; k < reps; k++) {
        crypto_bench *bn = NULL;
        size_t done = 0, got = 0, batch = 2000;
        double t0, te = 0, td = 0, ts = 0;
        size_t sn = 0;
        airlock_err err;

        if ((err = crypto_bench_new(&bn)) != AIRLOCK_OK)
            die("raw", err);
        while (te + td < 2 * min_s) {
            t0 = now_s();
            if ((err = crypto_bench_encrypt(bn, batch, MSG_LEN)) !=
                AIRLOCK_OK)
                die("raw encrypt", err);
            te += now_s() - t0;
            t0 = now_s();
            if ((err = crypto_bench_decrypt(bn, &got)) != AIRLOCK_OK)
                die("raw decrypt", err);
            td += now_s() - t0;
            done += got;
        }
        t0 = now_s();
        while (now_s() - t0 < min_s / 2) {
            if ((err = crypto_bench_setup(bn, 20)) != AIRLOCK_OK)
                die("raw setup", err);
            sn += 20;
        }
        ts = now_s() - t0;
        enc[k] = (double)done / te;
        dec[k] = (double)done / td;
        setup[k] = (double)sn / ts;
        crypto_bench_free(bn);
    }
    r->enc = median(enc, reps);
    r->dec = median(dec, reps);
    r->setup = median(setup, reps);
}

/* ---- Airlock's path ---- */

typedef struct pair {
    char home[192];
    airlock_ctx *a, *b;
    unsigned got;
} pair;

static void count_cb(const airlock_event *ev, void *user)
{
    if (ev->kind == AIRLOCK_EVENT_MESSAGE || ev->kind == AIRLOCK_EVENT_REQUEST)
        ((pair *)user)->got++;
}

static airlock_ctx *open_acct(const char *home, const char *name, pair *p,
                              int receipts)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    airlock_err err;

    airlock_config_init(&cfg);
    cfg.home = home;
    cfg.account = name;
    cfg.no_passphrase = 1;
    cfg.on_event = count_cb;
    cfg.user_data = p;
    cfg.send_receipts = receipts;
    cfg.sandbox = sandbox;
    err = airlock_account_create(&cfg);
    if (err != AIRLOCK_OK && err != AIRLOCK_ERR_EXISTS)
        die("account", err);
    if ((err = airlock_open(&cfg, &ctx)) != AIRLOCK_OK)
        die("open", err);
    return ctx;
}

static void pair_open(pair *p, const char *tag)
{
    memset(p, 0, sizeof *p);
    snprintf(p->home, sizeof p->home, "%s/%s", root, tag);
    p->a = open_acct(p->home, "alice", p, 0);
    p->b = open_acct(p->home, "bob", p, 0);
    if (airlock_accept(p->a, "bob") != AIRLOCK_OK ||
        airlock_accept(p->b, "alice") != AIRLOCK_OK)
        die("accept", AIRLOCK_ERR_STATE);
}

static void pair_close(pair *p)
{
    airlock_close(p->a);
    airlock_close(p->b);
}

static void send_batch(pair *p, size_t n)
{
    char text[MSG_LEN + 1];
    size_t i;
    airlock_err err;

    memset(text, 'x', MSG_LEN);
    text[MSG_LEN] = '\0';
    if ((err = airlock_batch_begin(p->a)) != AIRLOCK_OK)
        die("batch", err);
    for (i = 0; i < n; i++)
        if ((err = airlock_send_text(p->a, "bob", text, MSG_LEN, NULL)) !=
            AIRLOCK_OK)
            die("send", err);
    if ((err = airlock_batch_end(p->a)) != AIRLOCK_OK)
        die("batch end", err);
}

static void drain(pair *p, unsigned want)
{
    airlock_err err;

    while (p->got < want)
        if ((err = airlock_step(p->b, 1000)) != AIRLOCK_OK)
            die("step", err);
}

/* One round trip, as the raw baseline does: the session is in its steady
 * state (alice's messages are plain Signal messages, no longer pre-key
 * messages that bob has to match against his prekeys). */
static void steady(pair *p)
{
    airlock_err err;

    send_batch(p, 1);
    drain(p, 1);
    if ((err = airlock_send_text(p->b, "alice", "ok", 2, NULL)) !=
        AIRLOCK_OK)
        die("reply", err);
    p->got = 0;
    while (p->got < 1)
        if ((err = airlock_step(p->a, 1000)) != AIRLOCK_OK)
            die("step", err);
    p->got = 0;
}

typedef struct path_res {
    double send, recv, setup;
} path_res;

static void bench_path(path_res *r)
{
    double snd[REPS], rcv[REPS], setup[REPS];
    int k, reps = quick ? 1 : REPS;

    for (k = 0; k < reps; k++) {
        pair p;
        char tag[16];
        size_t sent = 0, batch = quick ? 100 : 256;
        double t0, tsend = 0, trecv = 0, u0, s0, u1, s1;
        double su = 0, ss = 0, ru = 0, rs = 0;
        int i, nsetup = quick ? 3 : 20;

        snprintf(tag, sizeof tag, "path%d", k);
        pair_open(&p, tag);
        steady(&p);                    /* outside the timing */
        while (tsend + trecv < 2 * min_s) {
            cpu_s(&u0, &s0);
            t0 = now_s();
            send_batch(&p, batch);
            tsend += now_s() - t0;
            cpu_s(&u1, &s1);
            su += u1 - u0;
            ss += s1 - s0;
            sent += batch;
            t0 = now_s();
            drain(&p, (unsigned)sent);
            trecv += now_s() - t0;
            cpu_s(&u0, &s0);
            ru += u0 - u1;
            rs += s0 - s1;
        }
        snd[k] = (double)sent / tsend;
        rcv[k] = (double)sent / trecv;
        if (getenv("BENCH_VERBOSE") != NULL)
            fprintf(stderr, "path%s: %zu messages; send wall %.3f user %.3f "
                    "sys %.3f; recv wall %.3f user %.3f sys %.3f\n",
                    sandbox ? "" : " (in-process)", sent, tsend, su, ss,
                    trecv, ru, rs);
        /* session establishment: alice writes to new accounts */
        for (i = 0; i < nsetup; i++) {
            char name[32];
            airlock_ctx *c;

            snprintf(name, sizeof name, "peer%d", i);
            c = open_acct(p.home, name, &p, 0);
            airlock_close(c);
        }
        t0 = now_s();
        for (i = 0; i < nsetup; i++) {
            char name[32];
            airlock_err err;

            snprintf(name, sizeof name, "peer%d", i);
            if ((err = airlock_send_text(p.a, name, "hi", 2, NULL)) !=
                AIRLOCK_OK)
                die("setup send", err);
        }
        setup[k] = (double)nsetup / (now_s() - t0);
        pair_close(&p);
    }
    r->send = median(snd, reps);
    r->recv = median(rcv, reps);
    r->setup = median(setup, reps);
}

/* ---- the renderer ---- */

static double render_time(const uint8_t *in, size_t n, airlock_trust t,
                          airlock_input kind)
{
    double v[REPS], t0;
    int k, reps = quick ? 1 : REPS;

    for (k = 0; k < reps; k++) {
        size_t iters = 0;

        t0 = now_s();
        do {
            airlock_model *m = NULL;

            if (airlock_render(in, n, t, kind, NULL, &m) != AIRLOCK_OK)
                die("render", AIRLOCK_ERR_STATE);
            airlock_model_free(m);
            iters++;
        } while (now_s() - t0 < min_s / 4);
        v[k] = (now_s() - t0) / (double)iters;
    }
    return median(v, reps);
}

static uint8_t *fill(const char *unit, size_t n)
{
    uint8_t *b = malloc(n);
    size_t u = strlen(unit), i;

    for (i = 0; i < n; i++)
        b[i] = (uint8_t)unit[i % u];
    /* never end inside a UTF-8 sequence of the unit */
    while (n > 0 && (b[n - 1] & 0xc0) == 0x80)
        b[--n] = ' ';
    if (n > 0 && b[n - 1] >= 0xc0)
        b[n - 1] = ' ';
    return b;
}

typedef struct render_res {
    double ascii, unicode, styled, worst;
    const char *worst_name;
} render_res;

static void bench_render(render_res *r)
{
    static const struct { const char *name, *unit; } adv[] = {
        { "markup bomb", "*_~`" },
        { "unclosed star per line", "*a\n" },
        { "deep quotes", ">>>>>>>>>>>> x\n" },
        { "escape flood", "\x1b[31m\x1b]0;x\x07" },
        { "invalid UTF-8", "\xff\xfe\xc0\x80\xed\xa0\x80" },
        { "combining flood", "a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85" },
        { "bidi flood", "\xe2\x80\xae\xe2\x81\xa6x" },
        { "zero-width flood", "\xe2\x80\x8b" },
        { "links", "https://a.b/ " },
        { "spaced stars per line", "* a *\n" },
        { "open and close per line", "*a* _b_\n" },
    };
    const size_t n = 65536;     /* the body maximum: longer input is cut */
    uint8_t *plain = fill("the quick brown fox jumps over the lazy dog ", n);
    uint8_t *uni = fill("\xe4\xbd\xa0\xe5\xa5\xbd \xd7\xa9\xd7\x9c\xd7\x95"
                        "\xd7\x9d \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92"
                        "\xbb caf\xc3\xa9 ", n);
    uint8_t *sty = fill("*bold* _it_ ~s~ `code` https://example.org/x ", n);
    double tp;
    size_t i;

    tp = render_time(plain, n, AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_BODY);
    r->ascii = (double)n / tp / 1e6;
    r->unicode = (double)n / render_time(uni, n, AIRLOCK_TRUST_ACCEPTED,
                                         AIRLOCK_INPUT_BODY) / 1e6;
    r->styled = (double)n / render_time(sty, n, AIRLOCK_TRUST_ACCEPTED,
                                        AIRLOCK_INPUT_BODY) / 1e6;
    r->worst = 0;
    r->worst_name = "";
    for (i = 0; i < sizeof adv / sizeof adv[0]; i++) {
        uint8_t *b = fill(adv[i].unit, n);
        double t = render_time(b, n, AIRLOCK_TRUST_ACCEPTED,
                               AIRLOCK_INPUT_BODY);

        if (getenv("BENCH_VERBOSE") != NULL)
            fprintf(stderr, "render: %-24s %6.2fx plain\n", adv[i].name,
                    t / tp);
        if (t / tp > r->worst) {
            r->worst = t / tp;
            r->worst_name = adv[i].name;
        }
        free(b);
    }
    /* A content frame holding the most unknown fields the grammar allows
     * (each tag once, ascending: 0x06..0xff) after a body that fills it
     * up, against a frame of the same size with the body alone. */
    {
        size_t body = n - 4 - 250 * 3, k;
        uint8_t *fp = malloc(n), *fu = malloc(n);
        double tf, tu;

        if (fp == NULL || fu == NULL)
            die("render", AIRLOCK_ERR_NOMEM);
        fu[0] = 0xa1;
        fu[1] = 0x01;
        fu[2] = (uint8_t)(0x80 | (body & 0x7f));
        fu[3] = (uint8_t)(body >> 7);
        memcpy(fu + 4, plain, body);
        for (k = 0; k < 250; k++) {
            fu[4 + body + 3 * k] = (uint8_t)(0x06 + k);
            fu[4 + body + 3 * k + 1] = 1;
            fu[4 + body + 3 * k + 2] = 'x';
        }
        fp[0] = 0xa1;
        fp[1] = 0x01;
        fp[2] = (uint8_t)(0x80 | ((n - 4) & 0x7f));
        fp[3] = (uint8_t)((n - 4) >> 7);
        memcpy(fp + 4, plain, n - 4);
        tf = render_time(fp, n, AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_FRAME);
        tu = render_time(fu, n, AIRLOCK_TRUST_ACCEPTED, AIRLOCK_INPUT_FRAME);
        if (getenv("BENCH_VERBOSE") != NULL)
            fprintf(stderr, "render: %-24s %6.2fx plain frame\n",
                    "tiny unknown fields", tu / tf);
        if (tu / tf > r->worst) {
            r->worst = tu / tf;
            r->worst_name = "tiny unknown fields";
        }
        free(fp);
        free(fu);
    }
    free(plain);
    free(uni);
    free(sty);
}

/* ---- flood of a rate-limited stranger ---- */

/* Queue `n` envelopes from a stranger to bob after exhausting the
 * stranger's allowance (outside any timing). */
static void flood_fill(pair *p, size_t n)
{
    char relay[256];
    store_relay *r = NULL;
    uint32_t dev = airlock_device_id(p->b);
    size_t i;
    uint8_t *env = NULL;
    size_t env_n = 0;
    net_env e;
    uint8_t keymsg[64] = { 0x33 }, iv[12] = { 0 }, pl[48] = { 0 };
    airlock_err err;

    snprintf(relay, sizeof relay, "%s/local-relay.db", p->home);
    if ((err = store_relay_open(relay, &r)) != AIRLOCK_OK)
        die("relay", err);
    memset(&e, 0, sizeof e);
    e.sender = "stranger";
    e.sender_n = 8;
    e.sender_device = 9;
    e.recipient = "bob";
    e.recipient_n = 3;
    e.header_count = 1;
    e.headers[0].device = dev;
    e.headers[0].keymsg = keymsg;
    e.headers[0].keymsg_n = sizeof keymsg;
    e.iv = iv;
    e.payload = pl;
    e.payload_n = sizeof pl;
    if ((err = store_relay_begin(r)) != AIRLOCK_OK)
        die("relay", err);
    for (i = 0; i < 120 + n; i++) {
        memcpy(e.id, &i, sizeof i);
        if ((err = net_env_encode(&e, &env, &env_n)) != AIRLOCK_OK ||
            (err = store_relay_enqueue(r, "bob", dev, env, env_n)) !=
                AIRLOCK_OK)
            die("enqueue", err);
        free(env);
        if (i == 119) {
            if ((err = store_relay_commit(r)) != AIRLOCK_OK)
                die("relay", err);
            if ((err = airlock_step(p->b, 0)) != AIRLOCK_OK)
                die("step", err);
            if ((err = store_relay_begin(r)) != AIRLOCK_OK)
                die("relay", err);
        }
    }
    if ((err = store_relay_commit(r)) != AIRLOCK_OK)
        die("relay", err);
    store_relay_close(r);
}

static double bench_flood(void)
{
    double v[REPS];
    int k, reps = quick ? 1 : REPS;

    for (k = 0; k < reps; k++) {
        pair p;
        char tag[16];
        size_t n = quick ? 20000 : 200000;
        airlock_stats before, after;
        double t0, u0, s0, u1, s1;
        airlock_err err;

        snprintf(tag, sizeof tag, "flood%d", k);
        pair_open(&p, tag);
        flood_fill(&p, n);
        airlock_get_stats(p.b, &before);
        cpu_s(&u0, &s0);
        t0 = now_s();
        if ((err = airlock_step(p.b, 0)) != AIRLOCK_OK)
            die("step", err);
        v[k] = (double)n / (now_s() - t0);
        cpu_s(&u1, &s1);
        if (getenv("BENCH_VERBOSE") != NULL)
            fprintf(stderr, "flood: %zu envelopes; wall %.3f user %.3f sys "
                    "%.3f\n", n, now_s() - t0, u1 - u0, s1 - s0);
        /* every one of them dropped, none decrypted */
        airlock_get_stats(p.b, &after);
        if (after.dropped - before.dropped != n ||
            after.decrypts != before.decrypts)
            die("flood: not every envelope was dropped before decryption",
                AIRLOCK_ERR_STATE);
        pair_close(&p);
    }
    return median(v, reps);
}

/* ---- a conversation of 1,000,000 messages ---- */

static void fill_history(const char *home, size_t count)
{
    char dir[256];
    store_open_args a;
    store *s = NULL;
    size_t i;
    airlock_err err;

    snprintf(dir, sizeof dir, "%s/bob", home);
    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = STORE_NO_PASSPHRASE;
    if ((err = store_open(&a, &s)) != AIRLOCK_OK)
        die("history store", err);
    if ((err = store_contact_ensure(s, "alice", 1)) != AIRLOCK_OK ||
        (err = store_contact_set_trust(s, "alice",
                                       AIRLOCK_TRUST_ACCEPTED)) != AIRLOCK_OK)
        die("history contact", err);
    for (i = 0; i < count; i++) {
        static const uint8_t frame[] = "\xa1\x01\x1a*message* from the archive";
        store_msg m;

        if (i % 10000 == 0 && (err = store_begin(s)) != AIRLOCK_OK)
            die("history", err);
        memset(&m, 0, sizeof m);
        base_random(m.id, sizeof m.id);
        memcpy(m.conversation, "alice", 6);
        memcpy(m.sender, "alice", 6);
        m.sender_device = 1;
        m.sent_ms = (int64_t)i;
        m.received_ms = (int64_t)i;
        m.content = frame;
        m.content_n = sizeof frame - 1;
        if ((err = store_msg_insert(s, &m)) != AIRLOCK_OK)
            die("history insert", err);
        if ((i % 10000 == 9999 || i + 1 == count) &&
            (err = store_commit(s)) != AIRLOCK_OK)
            die("history", err);
    }
    store_close(s);
}

typedef struct hist_res {
    double page_ms, rss_mib, worker_rss_mib;
    size_t messages;
} hist_res;

static void bench_history(hist_res *r)
{
    pair p;
    char cmd[1024];
    FILE *f;
    double ms = -1, rss = -1, wrss = -1, v[REPS];
    int k, reps = quick ? 1 : REPS;

    r->messages = quick ? 20000 : 1000000;
    pair_open(&p, "history");
    pair_close(&p);
    fill_history(p.home, r->messages);
    /* Open and page in a fresh process (exec, not just fork: a forked
     * child's resident set starts with the parent's pages): its peak RSS
     * is the figure. */
    snprintf(cmd, sizeof cmd, "'%s' --phase history 50 --root '%s'",
             self_path, p.home);
    r->rss_mib = r->worker_rss_mib = 0;
    for (k = 0; k < reps; k++) {
        if ((f = popen(cmd, "r")) == NULL)
            die("history page", AIRLOCK_ERR_IO);
        if (fscanf(f, "%lf %lf %lf", &ms, &rss, &wrss) != 3)
            ms = -1;
        if (pclose(f) != 0 || ms < 0)
            die("history page", AIRLOCK_ERR_STATE);
        v[k] = ms;
        /* the largest of the runs */
        if (rss / 1024.0 > r->rss_mib)
            r->rss_mib = rss / 1024.0;
        if (wrss / 1024.0 > r->worker_rss_mib)
            r->worker_rss_mib = wrss / 1024.0;
    }
    r->page_ms = median(v, reps);
}

/* ---- instruction counts under callgrind ---- */

/* Phase mode, run under callgrind: only the measured loop is counted. */
static int phase(const char *which, size_t n)
{
    if (strcmp(which, "raw-decrypt") == 0) {
        crypto_bench *bn = NULL;
        size_t got = 0;

        if (crypto_bench_new(&bn) != AIRLOCK_OK ||
            crypto_bench_encrypt(bn, n, MSG_LEN) != AIRLOCK_OK)
            return 1;
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
        if (crypto_bench_decrypt(bn, &got) != AIRLOCK_OK)
            return 1;
        CALLGRIND_TOGGLE_COLLECT;
        crypto_bench_free(bn);
        return got == n ? 0 : 1;
    }
    if (strcmp(which, "flood") == 0) {
        pair p;

        pair_open(&p, "phase-flood");
        flood_fill(&p, n);
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
        if (airlock_step(p.b, 0) != AIRLOCK_OK)
            return 1;
        CALLGRIND_TOGGLE_COLLECT;
        pair_close(&p);
        return 0;
    }
    if (strcmp(which, "history") == 0) {
        /* root is the data root: bob opens the newest page of alice's
         * conversation (n messages), with the sandboxed decoder as a user
         * would; prints ms, own peak RSS and the worker's (KiB) */
        airlock_config cfg;
        airlock_ctx *c = NULL;
        airlock_message_list *l = NULL;
        struct rusage ru, rc;
        double t0, ms;

        airlock_config_init(&cfg);
        cfg.home = root;
        cfg.account = "bob";
        cfg.no_passphrase = 1;
        if (getenv("BENCH_NOSANDBOX") != NULL)
            cfg.sandbox = 0;
        if (airlock_open(&cfg, &c) != AIRLOCK_OK)
            return 1;
        t0 = now_s();
        if (airlock_history(c, "alice", 0, n, &l) != AIRLOCK_OK ||
            airlock_message_list_count(l) != n)
            return 2;
        ms = (now_s() - t0) * 1000.0;
        airlock_message_list_free(l);
        if (getenv("BENCH_VERBOSE") != NULL) {
            /* the same page again, everything warm */
            l = NULL;
            t0 = now_s();
            if (airlock_history(c, "alice", 0, n, &l) != AIRLOCK_OK)
                return 2;
            fprintf(stderr, "history: first page %.3f ms, again %.3f ms\n",
                    ms, (now_s() - t0) * 1000.0);
            airlock_message_list_free(l);
        }
        airlock_close(c);
        getrusage(RUSAGE_SELF, &ru);
        getrusage(RUSAGE_CHILDREN, &rc);
        printf("%.3f %ld %ld\n", ms, ru.ru_maxrss, rc.ru_maxrss);
        return 0;
    }
    if (strncmp(which, "render:", 7) == 0) {
        /* n renders of 65536 bytes of the unit after the colon */
        uint8_t *b = fill(which + 7, 65536);
        size_t i;

        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
        for (i = 0; i < n; i++) {
            airlock_model *m = NULL;

            if (airlock_render(b, 65536, AIRLOCK_TRUST_ACCEPTED,
                               AIRLOCK_INPUT_BODY, NULL, &m) != AIRLOCK_OK)
                return 1;
            airlock_model_free(m);
        }
        CALLGRIND_TOGGLE_COLLECT;
        free(b);
        return 0;
    }
    if (strcmp(which, "send") == 0) {
        pair p;

        pair_open(&p, "phase-send");
        steady(&p);
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
        send_batch(&p, n);
        CALLGRIND_TOGGLE_COLLECT;
        pair_close(&p);
        return 0;
    }
    if (strcmp(which, "raw-encrypt") == 0) {
        crypto_bench *bn = NULL;

        if (crypto_bench_new(&bn) != AIRLOCK_OK)
            return 1;
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
        if (crypto_bench_encrypt(bn, n, MSG_LEN) != AIRLOCK_OK)
            return 1;
        CALLGRIND_TOGGLE_COLLECT;
        crypto_bench_free(bn);
        return 0;
    }
    if (strcmp(which, "recv") == 0) {
        pair p;

        pair_open(&p, "phase");
        steady(&p);
        send_batch(&p, n);
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
        drain(&p, (unsigned)n);
        CALLGRIND_TOGGLE_COLLECT;
        pair_close(&p);
        return 0;
    }
    return 2;
}

static double instr_per_msg(const char *self, const char *which, size_t n)
{
    char out[256], cmd[1024], line[512];
    FILE *f;
    double total = -1;

    snprintf(out, sizeof out, "%s/callgrind.%s", root, which);
    /* the sandbox worker is a separate process: --trace-children counts
     * only the parent here; the worker's share is reported separately in
     * docs/PERFORMANCE.md */
    snprintf(cmd, sizeof cmd, "valgrind --tool=callgrind --collect-atstart=no "
             "--instr-atstart=no --callgrind-out-file=%s '%s' --phase %s %zu "
             "--root '%s' >/dev/null 2>&1", out, self, which, n, root);
    if (system(cmd) != 0)
        return -1;
    if ((f = fopen(out, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "totals:", 7) == 0 ||
            strncmp(line, "summary:", 8) == 0)
            total = strtod(strchr(line, ':') + 1, NULL);
    fclose(f);
    return total < 0 ? -1 : total / (double)n;
}

static void rm_root(void)
{
    char cmd[256];

    if (getenv("BENCH_KEEP") != NULL) {
        fprintf(stderr, "airlock-bench: kept %s\n", root);
        return;
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "airlock-bench: could not remove %s\n", root);
}

/* Whether section `name` runs (--only a,b,c; all by default). */
static int want(const char *name)
{
    size_t n = strlen(name);
    const char *p = only;

    if (only == NULL)
        return 1;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == only || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return 1;
        p += n;
    }
    return 0;
}

/* One JSON member: the value, or null when its section did not run. */
static void jnum(const char *key, double v, int prec, int ran)
{
    if (ran && v >= 0)
        printf("\"%s\":%.*f,", key, prec, v);
    else
        printf("\"%s\":null,", key);
}

int main(int argc, char **argv)
{
    raw_res raw;
    path_res path, path_nosb;
    render_res ren;
    hist_res hist;
    double flood = 0, recv_instr = -1, raw_instr = -1, send_instr = -1;
    double rawenc_instr = -1, flood_instr = -1;
    int json = 0, i, instr;

    memset(&raw, 0, sizeof raw);
    memset(&path, 0, sizeof path);
    memset(&path_nosb, 0, sizeof path_nosb);
    memset(&ren, 0, sizeof ren);
    memset(&hist, 0, sizeof hist);
    ren.worst_name = "";
    self_path = argv[0];
    if (argc >= 4 && strcmp(argv[1], "--phase") == 0) {
        int rc;

        sandbox = 0;
        if (argc == 6 && strcmp(argv[4], "--root") == 0) {
            snprintf(root, sizeof root, "%s", argv[5]);
            return phase(argv[2], (size_t)strtoul(argv[3], NULL, 10));
        }
        snprintf(root, sizeof root, "/tmp/airlock-bench-XXXXXX");
        if (mkdtemp(root) == NULL)
            return 1;
        rc = phase(argv[2], (size_t)strtoul(argv[3], NULL, 10));
        rm_root();
        return rc;
    }
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: airlock-bench [--quick] [--json] "
                    "[--only raw,path,render,flood,history,instr]\n");
            return 2;
        }
    }
    if (quick)
        min_s = 0.1;
    if (base_init() != AIRLOCK_OK)
        return 1;
    snprintf(root, sizeof root, "/tmp/airlock-bench-XXXXXX");
    if (mkdtemp(root) == NULL)
        return 1;
    if (want("raw"))
        bench_raw(&raw);
    if (want("path")) {
        bench_path(&path);
        /* the same path with the decoder in-process, to show what the
         * sandbox round trip costs */
        sandbox = 0;
        bench_path(&path_nosb);
        sandbox = 1;
    }
    if (want("render"))
        bench_render(&ren);
    if (want("flood"))
        flood = bench_flood();
    if (want("history"))
        bench_history(&hist);
    /* Instruction counts need valgrind; --quick counts fewer messages
     * (a few seconds under callgrind). */
    instr = want("instr") &&
            system("valgrind --version >/dev/null 2>&1") == 0;
    if (instr) {
        size_t nm = quick ? 100 : 300;

        raw_instr = instr_per_msg(argv[0], "raw-decrypt", nm);
        recv_instr = instr_per_msg(argv[0], "recv", nm);
        rawenc_instr = instr_per_msg(argv[0], "raw-encrypt", nm);
        send_instr = instr_per_msg(argv[0], "send", nm);
        flood_instr = instr_per_msg(argv[0], "flood", nm * 20);
    }
    rm_root();
    if (json) {
        int rp = want("raw") && want("path");

        printf("{");
        jnum("raw_encrypt_per_s", raw.enc, 0, want("raw"));
        jnum("raw_decrypt_per_s", raw.dec, 0, want("raw"));
        jnum("send_per_s", path.send, 0, want("path"));
        jnum("recv_per_s", path.recv, 0, want("path"));
        jnum("send_ratio", rp ? path.send / raw.enc : 0, 3, rp);
        jnum("recv_ratio", rp ? path.recv / raw.dec : 0, 3, rp);
        jnum("setup_raw_per_s", raw.setup, 0, want("raw"));
        jnum("setup_per_s", path.setup, 0, want("path"));
        jnum("recv_instr_per_msg", recv_instr, 0, instr);
        jnum("raw_decrypt_instr_per_msg", raw_instr, 0, instr);
        jnum("send_instr_per_msg", send_instr, 0, instr);
        jnum("raw_encrypt_instr_per_msg", rawenc_instr, 0, instr);
        jnum("flood_instr_per_envelope", flood_instr, 0, instr);
        if (!instr || recv_instr < 0 || raw_instr < 0 || send_instr < 0 ||
            rawenc_instr < 0 || flood_instr < 0)
            printf("\"instr_note\":\"%s\",", !want("instr") ?
                   "not asked (--only)" :
                   "not measured: valgrind is missing or failed (no "
                   "hardware counters either)");
        jnum("send_nosandbox_per_s", path_nosb.send, 0, want("path"));
        jnum("recv_nosandbox_per_s", path_nosb.recv, 0, want("path"));
        jnum("render_ascii_mb_s", ren.ascii, 1, want("render"));
        jnum("render_unicode_mb_s", ren.unicode, 1, want("render"));
        jnum("render_styled_mb_s", ren.styled, 1, want("render"));
        jnum("render_worst_ratio", ren.worst, 2, want("render"));
        printf("\"render_worst_input\":\"%s\",", ren.worst_name);
        jnum("flood_drop_per_s", flood, 0, want("flood"));
        jnum("history_messages", (double)hist.messages, 0, want("history"));
        jnum("history_page_ms", hist.page_ms, 2, want("history"));
        jnum("history_rss_mib", hist.rss_mib, 1, want("history"));
        jnum("history_worker_rss_mib", hist.worker_rss_mib, 1,
             want("history"));
        printf("\"quick\":%s}\n", quick ? "true" : "false");
        return 0;
    }
    printf("%-36s %14s %10s\n", "", "per second", "ratio");
    if (want("raw")) {
        printf("%-36s %14.0f\n", "raw libsignal encrypt (baseline)",
               raw.enc);
        printf("%-36s %14.0f\n", "raw libsignal decrypt (baseline)",
               raw.dec);
    }
    if (want("path")) {
        double re = raw.enc > 0 ? raw.enc : 1, rdec = raw.dec > 0 ? raw.dec : 1;

        printf("%-36s %14.0f %10.3f\n", "airlock send (durable, batched)",
               path.send, path.send / re);
        printf("%-36s %14.0f %10.3f\n", "airlock receive (durable, rendered)",
               path.recv, path.recv / rdec);
        printf("%-36s %14.0f %10.3f\n", "  receive, decoder in-process",
               path_nosb.recv, path_nosb.recv / rdec);
    }
    if (want("raw"))
        printf("%-36s %14.0f\n", "raw session setup", raw.setup);
    if (want("path"))
        printf("%-36s %14.0f\n", "airlock session setup", path.setup);
    if (want("flood"))
        printf("%-36s %14.0f\n", "flood drops (rate-limited)", flood);
    if (want("render"))
        printf("render MB/s: ascii %.1f, unicode %.1f, styled %.1f; worst "
               "%.2fx plain (%s)\n", ren.ascii, ren.unicode, ren.styled,
               ren.worst, ren.worst_name);
    if (want("history"))
        printf("history: newest page of %zu messages in %.2f ms, peak RSS "
               "%.1f MiB (decoder worker %.1f MiB)\n", hist.messages,
               hist.page_ms, hist.rss_mib, hist.worker_rss_mib);
    if (recv_instr > 0)
        printf("instructions per message (callgrind): receive %.0f, raw "
               "decrypt %.0f; send %.0f, raw encrypt %.0f; per flood "
               "envelope %.0f\n", recv_instr, raw_instr, send_instr,
               rawenc_instr, flood_instr);
    else
        printf("instructions per message: not measured (valgrind missing, "
               "failed or not asked)\n");
    return 0;
}
