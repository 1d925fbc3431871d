/*
 * bench.h - the benchmark's raw libsignal baseline (crypto/bench.c): two
 * parties with Airlock's crypto provider and in-memory stores, nothing
 * else. For bench/airlock-bench only; no account uses it.
 */
#ifndef AIRLOCK_CRYPTO_BENCH_H
#define AIRLOCK_CRYPTO_BENCH_H

#include <stddef.h>

#include "airlock/airlock.h"

typedef struct crypto_bench crypto_bench;

/* Two parties with a session in the steady state (one round trip done). */
airlock_err crypto_bench_new(crypto_bench **out);
void crypto_bench_free(crypto_bench *bn);
/* Alice encrypts `count` messages of `len` bytes to bob (kept pending). */
airlock_err crypto_bench_encrypt(crypto_bench *bn, size_t count, size_t len);
/* Bob decrypts every pending message; *count says how many. */
airlock_err crypto_bench_decrypt(crypto_bench *bn, size_t *count);
/* `count` session establishments from a bundle. */
airlock_err crypto_bench_setup(crypto_bench *bn, size_t count);

#endif /* AIRLOCK_CRYPTO_BENCH_H */
