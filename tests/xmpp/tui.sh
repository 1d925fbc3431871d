#!/usr/bin/env bash
# tui.sh - the terminal client on an XMPP account, against a private
# Prosody on 127.0.0.1: it shows the transport as connected, a stranger's
# message arrives while it is open and is a request shown as plain text,
# /msg sends OMEMO that the other side decrypts, and a contact's reply
# arrives live, styled. The client runs in tmux on a socket in the test's
# temporary directory; tmux and Prosody are stopped by process id.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/prosody-lib.sh"
xmpp_require tmux

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-xtui.XXXXXX")
SOCK="$T/tmux.sock"
. "$HERE/../lib/tmux.sh"
cleanup() { tmux_stop; xmpp_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
screen() { tm capture-pane -p -t s; }
styled() { tm capture-pane -p -e -t s; }
die() {
    echo "FAIL: $*" >&2
    screen >&2 2>/dev/null || true
    exit 1
}
ok() { echo "ok: $*"; }
wait_for() {   # wait_for TEXT [SECONDS]
    local i
    for ((i = 0; i < ${2:-20} * 20; i++)); do
        screen | grep -F -- "$1" >/dev/null && return 0
        sleep 0.05
    done
    return 1
}
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

xmpp_start "$T/srv"
for u in alice bob carol; do xmpp_register "$u"; done
mk alice; mk bob; mk carol
# bob is alice's contact: a first exchange, accepted by replying
al alice send bob@localhost 'hi bob' > /dev/null
al bob recv > /dev/null
al bob accept alice@localhost > /dev/null

export HOME="$T/user" XDG_DATA_HOME="$T/xdg" XDG_CONFIG_HOME="$T/config"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
unset TMUX
tm new-session -d -s s -x 100 -y 30 \
    "exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$AIRLOCK' --home '$T/home' --account alice@localhost"
tmux_track s
wait_for "xmpp: connected" 30 || die "the status line does not show xmpp connected"
ok "the client opens an XMPP account and shows it connected"

# a stranger writes while the client is open
al carol send alice@localhost '*urgent* from carol' > /dev/null
wait_for "Requests (1)" 20 || die "carol's message did not arrive as a request"
tm send-keys -t s "/query carol@localhost" Enter
wait_for "*urgent* from carol" 20 || die "carol's request is not shown as text"
# sgr_has TEXT N: the row showing TEXT sets attribute N (1 bold, 3 italic)
sgr_has() {
    styled | grep -F -- "$1" | grep -Eq $'\033''\[([0-9]+;)*'"$2"'[;m]'
}
sgr_has "*urgent* from carol" 1 && die "a stranger's markup was drawn bold"
ok "a stranger's message arrives live as a request, shown as plain text"

# alice writes to bob from the composer; bob decrypts it
tm send-keys -t s "/msg bob@localhost from the *terminal*" Enter
ok_recv=0
for i in $(seq 1 20); do
    al bob recv --json > "$T/b1"
    grep -q '"text":"\*terminal\*","style":\["bold"\]' "$T/b1" && { ok_recv=1; break; }
    sleep 0.5
done
[ "$ok_recv" = 1 ] || die "bob did not get alice's message: $(cat "$T/b1")"
ok "/msg sends OMEMO from the client; bob decrypts it"

# bob's reply arrives live in the open conversation, styled
al bob send alice@localhost 'reply in _italics_' > /dev/null
wait_for "reply in _italics_" 20 || die "bob's reply did not arrive live"
sgr_has "reply in" 3 ||
    die "bob's reply is not drawn in italics: $(styled | grep -F 'reply in')"
ok "a contact's reply arrives live, styled"

tm send-keys -t s "/quit" Enter
tmux_stop
[ -z "$(tmux_left)" ] || die "still running: $(tmux_left)"
xpid=$XPID
xmpp_stop
kill -0 "$xpid" 2>/dev/null && die "prosody still running"
ok "no process left running"
