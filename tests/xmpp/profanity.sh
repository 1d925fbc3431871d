#!/usr/bin/env bash
# profanity.sh - interoperability with Profanity 0.13.1 (libsignal-protocol-c
# OMEMO) through a private Prosody on 127.0.0.1: Airlock to Profanity and
# Profanity to Airlock, both decrypt. Profanity runs in tmux on its own
# socket with its own HOME and XDG directories.
#
# Known quirks handled here: on Prosody 0.12 Profanity publishes its first
# device list only after `/omemo clear_device_list` following `/omemo gen`;
# it publishes its bundle with access model `presence`, so the two accounts
# get a mutual roster subscription first; trust mode blind avoids a manual
# trust step; `tls disable` is fine on loopback.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/prosody-lib.sh"
xmpp_require profanity tmux

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-prof.XXXXXX")
SOCK="$T/tmux.sock"
. "$HERE/../lib/tmux.sh"
cleanup() {
    tmux_stop
    xmpp_stop
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
die() {
    echo "FAIL: $*" >&2
    tm capture-pane -p -t p 2>/dev/null | grep -v '^ *$' |
        tail -20 >&2 || true
    exit 1
}
ok() { echo "ok: $*"; }

xmpp_start "$T/srv"
xmpp_register alice
xmpp_register prof
raw() { python3 "$HERE/rawxmpp.py" "$XPORT" "$1" "pw-$1" "$2" >/dev/null; }
al() { "$AIRLOCK" --home "$T/home" --account alice@localhost "$@"; }

# a mutual presence subscription (Profanity's bundle is for subscribers)
echo "<presence to='alice@localhost' type='subscribe'/>" | raw prof 0.2
echo "<presence to='prof@localhost' type='subscribed'/><presence to='prof@localhost' type='subscribe'/>" | raw alice 0.2
echo "<presence to='alice@localhost' type='subscribed'/>" | raw prof 0.2

P="$T/prof"
mkdir -p "$P/.config/profanity" "$P/.local/share"
cat > "$P/.config/profanity/profrc" <<'EOF'
[omemo]
trustmode=blind
[notifications]
message=false
EOF
tm new-session -d -s p -x 200 -y 50 \
    "exec env HOME=$P XDG_CONFIG_HOME=$P/.config XDG_DATA_HOME=$P/.local/share TERM=xterm-256color profanity"
tmux_track p
screen() { tm capture-pane -p -t p; }
keys() { tm send-keys -t p "$1" Enter; }
# wait_screen PATTERN: until the visible screen has it (60 s at most)
wait_screen() {
    local i
    for i in $(seq 1 600); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    die "Profanity never showed: $1"
}

wait_screen "/connect myjid@domain.org"
keys "/connect prof@localhost server 127.0.0.1 port $XPORT tls disable"
sleep 0.5
keys "pw-prof"
wait_screen "logged in successfully"
keys "/omemo gen"
wait_screen "OMEMO crytographic materials generated"
keys "/omemo clear_device_list"
wait_screen "Going to publish own device ID"
ok "Profanity connected and published its OMEMO device"

# --- Airlock to Profanity -----------------------------------------------------
AIRLOCK_XMPP_PASSWORD=pw-alice al init --transport xmpp --xmpp-host 127.0.0.1 \
    --xmpp-port "$XPORT" --tls disable --no-passphrase >/dev/null
al send prof@localhost 'hello profanity, from airlock' >/dev/null
wait_screen "<< chat message: alice@localhost"
keys "/win 2"
wait_screen "hello profanity, from airlock"
screen | grep -qF "OMEMO encrypted; your client" &&
    die "Profanity showed the fallback body, not the decrypted text"
ok "Airlock to Profanity: Profanity decrypted the OMEMO message"

# --- Profanity to Airlock -----------------------------------------------------
keys "/omemo start"
wait_screen "[OMEMO]"
keys "hello airlock, from profanity"
wait_screen "me: hello airlock, from profanity"
# Profanity has sent it once its line is shown; give the server the moment
# it needs to store it, then read.
for i in $(seq 1 50); do
    al recv --json > "$T/a1"
    grep -q '"text":"hello airlock, from profanity"' "$T/a1" && break
    sleep 0.2
done
grep -q '"text":"hello airlock, from profanity"' "$T/a1" ||
    die "Airlock did not get Profanity's message: $(cat "$T/a1")"
grep '"text":"hello airlock, from profanity"' "$T/a1" |
    grep -q '"request":false' || die "not from a contact: $(cat "$T/a1")"
grep -q 'unencrypted' "$T/a1" && die "it arrived unencrypted"
al events > "$T/ev" 2>&1
grep -Eq "decrypt_failed|malformed" "$T/ev" && die "events: $(cat "$T/ev")"
ok "Profanity to Airlock: Airlock decrypted the OMEMO message"

# a second message each way: established sessions, not only prekey ones
al send prof@localhost 'second from airlock' >/dev/null
wait_screen "second from airlock"
keys "second from profanity"
wait_screen "me: second from profanity"
for i in $(seq 1 50); do
    al recv --json > "$T/a2"
    grep -q '"text":"second from profanity"' "$T/a2" && break
    sleep 0.2
done
grep -q '"text":"second from profanity"' "$T/a2" ||
    die "second message: $(cat "$T/a2")"
ok "both ways again over the established sessions"

tmux_stop
pid=$XPID
xmpp_stop
kill -0 "$pid" 2>/dev/null && die "prosody still running"
[ -z "$(tmux_left)" ] || die "tmux or profanity left running: $(tmux_left)"
ok "no process left running"
