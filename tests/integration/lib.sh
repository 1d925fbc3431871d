# lib.sh - shared set-up for the integration tests: a private temporary
# home and mailbox per test, and `al ACCOUNT ...` to run the real CLI.
# Sourced by bash scripts; AIRLOCK and RELAYTOOL come from ctest.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-it.XXXXXX")
RELAY="$T/relay.db"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

# al ACCOUNT [--home2] ARGS...: the CLI as ACCOUNT; --home2 selects a second
# home (a second device of the same account).
al() {
    local acct=$1 home="$T/home"
    shift
    if [ "${1:-}" = --home2 ]; then home="$T/home2"; shift; fi
    "$AIRLOCK" --home "$home" --relay "$RELAY" --account "$acct" "$@"
}

mk() {   # mk ACCOUNT [--home2]
    al "$@" init --transport local --no-passphrase >/dev/null
}

die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# texts FILE PREFIX: the message texts starting with PREFIX, in order
texts() { grep -o "\"text\":\"$2[^\"]*\"" "$1" | sed -e 's/^"text":"//' -e 's/"$//' || true; }
