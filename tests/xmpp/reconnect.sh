#!/usr/bin/env bash
# reconnect.sh - the XMPP transport keeps trying: a receiver that is
# running when the server goes away reports the transport down, comes back
# by itself when the server does (same port, same data), and then gets
# what was sent meanwhile and after. Prosody and the receiver are stopped
# by process id.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/prosody-lib.sh"
xmpp_require

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-reconn.XXXXXX")
RPID=""
cleanup() {
    if [ -n "$RPID" ] && kill -0 "$RPID" 2>/dev/null; then
        kill "$RPID" 2>/dev/null || true
        wait "$RPID" 2>/dev/null || true
    fi
    xmpp_stop
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
al() {
    local u=$1
    shift
    "$AIRLOCK" --home "$T/home" --account "$u@localhost" "$@"
}
mk() {
    AIRLOCK_XMPP_PASSWORD="pw-$1" al "$1" init --transport xmpp \
        --xmpp-host 127.0.0.1 --xmpp-port "$XPORT" --tls disable \
        --no-passphrase > /dev/null || die "init $1"
}
# count FILE PATTERN: lines of FILE matching PATTERN
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
# wait_count FILE PATTERN N SECONDS
wait_count() {
    local i
    for ((i = 0; i < $4 * 20; i++)); do
        [ "$(count "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.05
    done
    die "waited in vain for $3 x $2 in $1: $(cat "$1")"
}

xmpp_start "$T/srv"
xmpp_register alice
xmpp_register bob
mk alice; mk bob
al alice send bob@localhost 'hi bob' > /dev/null
al bob recv > /dev/null

# alice's receiver runs throughout (the binary itself, so that its process
# id is the one we stop)
"$AIRLOCK" --home "$T/home" --account alice@localhost recv --json \
    --wait 25 > "$T/a" 2>&1 &
RPID=$!
wait_count "$T/a" '"type":"transport","up":true' 1 20
al bob send alice@localhost 'before' > /dev/null
wait_count "$T/a" '"text":"before"' 1 20
ok "connected and receiving"

xmpp_stop
wait_count "$T/a" '"type":"transport","up":false' 1 20
ok "the server went away: the transport is reported down"
xmpp_restart
wait_count "$T/a" '"type":"transport","up":true' 2 30
al bob send alice@localhost 'after the restart' > /dev/null
wait_count "$T/a" '"text":"after the restart"' 1 20
kill -0 "$RPID" 2>/dev/null || die "the receiver did not keep running"
ok "it came back by itself and receives again"

kill "$RPID"
wait "$RPID" 2>/dev/null || true
kill -0 "$RPID" 2>/dev/null && die "receiver still running"
RPID=""
pid=$XPID
xmpp_stop
kill -0 "$pid" 2>/dev/null && die "prosody still running"
ok "no process left running"
