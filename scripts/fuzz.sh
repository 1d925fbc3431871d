#!/usr/bin/env bash
# scripts/fuzz.sh - bounded fuzzing of every harness (`make fuzz`).
#
# Builds the clang-14 libFuzzer tree (AIRLOCK_FUZZ=ON: ASan + UBSan +
# coverage) in $FUZZ_BUILD and runs every tests/fuzz/fuzz_<name>.c harness
# for $FUZZ_SECONDS seconds, one after the other, starting from the seed
# corpus tests/fuzz/corpus/<name>/. Fails on any crash, sanitizer report,
# leak, timeout (-timeout per input) or out-of-memory (-rss_limit_mb).
# New inputs go to $FUZZ_BUILD/corpus/<name>/ (kept between runs, never
# into the source tree); a failing input is written to
# $FUZZ_BUILD/artifacts/<name>/ and named in the output: after fixing the
# bug, copy it into tests/fuzz/corpus/<name>/ as a regression.
#
# Environment:
#   FUZZ_SECONDS   seconds per harness (default 30)
#   FUZZ_BUILD     build directory (default build-fuzz)
#   FUZZ_ONLY      space-separated harness names to run (default: all)
#   FUZZ_TIMEOUT   seconds one input may take (default 10)
#   FUZZ_RSS_MB    memory limit in MiB (default 2048)
#   JOBS           parallel build jobs (default 2)
#   CC_FUZZ        the compiler (default clang-14)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD:-build-fuzz}
timeout_s=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
jobs=${JOBS:-2}
cc=${CC_FUZZ:-clang-14}

case $seconds in ''|*[!0-9]*) echo "fuzz.sh: FUZZ_SECONDS must be a number" >&2; exit 2;; esac
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz.sh: $cc not found (scripts/deps.sh installs it)" >&2
    exit 2
fi

# Every harness in the tree, or the ones asked for.
names=()
if [ -n "${FUZZ_ONLY:-}" ]; then
    for n in $FUZZ_ONLY; do names+=("$n"); done
else
    for f in tests/fuzz/fuzz_*.c; do
        n=${f#tests/fuzz/fuzz_}
        names+=("${n%.c}")
    done
fi
if [ ${#names[@]} -eq 0 ]; then
    echo "fuzz.sh: no harnesses" >&2
    exit 2
fi

start=$(date +%s)
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DAIRLOCK_FUZZ=ON -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
# Only the harnesses: nothing else needs the fuzzing instrumentation.
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
built=$(date +%s)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for n in "${names[@]}"; do
    bin=$(find "$build/tests" -type f -name "fuzz_$n" -perm -u+x | head -n 1)
    seeds=tests/fuzz/corpus/$n
    if [ -z "$bin" ] || [ ! -d "$seeds" ]; then
        echo "fuzz.sh: $n: harness or seed corpus missing" >&2
        failed+=("$n")
        continue
    fi
    work=$build/corpus/$n
    art=$build/artifacts/$n
    mkdir -p "$work" "$art"
    log=$build/fuzz-$n.log
    echo "== fuzz_$n: ${seconds}s"
    if "$bin" -max_total_time="$seconds" -timeout="$timeout_s" \
        -rss_limit_mb="$rss_mb" -artifact_prefix="$art/" \
        -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done' "$log" | tr '\n' ' '
        echo
    else
        echo "fuzz.sh: fuzz_$n FAILED; tail of $log:" >&2
        tail -n 40 "$log" >&2
        ls -1 "$art" >&2 || true
        failed+=("$n")
    fi
done

end=$(date +%s)
echo "fuzz.sh: ${#names[@]} harnesses, build $((built - start))s," \
     "fuzzing $((end - built))s, total $((end - start))s"
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: no crash, leak or timeout"
