#!/usr/bin/env bash
# tests/valgrind/run.sh [BUILD_DIR] - the unit suite under valgrind memcheck
# (`make valgrind`; see tests/valgrind/README.md).
#
# Runs every CTest test labelled `unit` or `fuzz` (the cmocka executables
# and the fuzz corpus replays) of an already built, non-sanitizer build
# directory under memcheck with
#   --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
# and fails on any test failure, memory error or definite/indirect leak, in
# the test process or in a process it forks (the decoder worker).
# Integration and guard tests are shell scripts driving the CLI; they are
# not run here (the ASan build covers them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
jobs=${JOBS:-2}

if [ ! -f "$build/CTestTestfile.cmake" ]; then
    echo "valgrind: $build is not a configured build directory" >&2
    exit 2
fi
if grep -q 'AIRLOCK_SANITIZE:STRING=.\+' "$build/CMakeCache.txt" ||
   grep -q 'AIRLOCK_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "valgrind: $build is a sanitizer build; valgrind needs a plain one" >&2
    exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 2; }

# Tests that cannot work under valgrind's slowdown, each with its reason.
# Owners can instead give a test the CTest label `novalgrind`.
#   test_crash (store): SIGKILLs each child 0-30 ms after fork and needs
#     some commits in that window; under valgrind no child gets that far.
#     The normal and ASan builds run it.
exclude=${VALGRIND_EXCLUDE:-'^(test_crash)$'}

opts="--error-exitcode=1 --leak-check=full"
opts="$opts --errors-for-leak-kinds=definite,indirect"
opts="$opts --show-leak-kinds=definite,indirect --track-origins=yes"
opts="$opts --suppressions=$here/airlock.supp --num-callers=30"

# Tests look at this to run the decoder worker without seccomp, which
# valgrind cannot run (it has no seccomp(2) and would be killed by the
# filter itself); confinement is tested in the normal and ASan builds.
export AIRLOCK_VALGRIND=1

start=$(date +%s)
rm -f "$build"/Testing/Temporary/MemoryChecker.*.log
status=0
(cd "$build" && ctest -T memcheck -L 'unit|fuzz' -LE novalgrind \
    -E "$exclude" -j "$jobs" \
    --output-on-failure \
    --overwrite MemoryCheckCommand="$(command -v valgrind)" \
    --overwrite "MemoryCheckCommandOptions=$opts") || status=$?

# Belt and braces: ctest only sees exit codes; look at what valgrind wrote
# (forked workers log into the same files).
bad=$(grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' \
        "$build"/Testing/Temporary/MemoryChecker.*.log 2>/dev/null || true)
if [ -n "$bad" ]; then
    echo "valgrind: errors reported in:" >&2
    echo "$bad" >&2
    for f in $bad; do
        grep -E -B2 -A25 '(Invalid|uninitialised|definitely lost in|indirectly lost in)' \
            "$f" 2>/dev/null | head -n 80 >&2 || true
    done
    status=1
fi
end=$(date +%s)
echo "valgrind: $(ls "$build"/Testing/Temporary/MemoryChecker.*.log 2>/dev/null | wc -l) tests, $((end - start))s"
if [ $status -ne 0 ]; then
    echo "valgrind: FAILED" >&2
    exit 1
fi
echo "valgrind: no errors, no leaks"
