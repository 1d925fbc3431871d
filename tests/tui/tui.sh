#!/usr/bin/env bash
# The terminal client, driven in tmux as a person would: the demo opens;
# mallory's request shows the banner and literal markup, and no escape
# sequence from a message reaches the pane; accepting re-renders with bold;
# resizing to 60x20 and back keeps the screen consistent; /msg delivers;
# /quit exits 0. Uses its own tmux server socket and temporary home and
# stops only that server.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-tui.XXXXXX")
SOCK="$T/tmux.sock"
H="$T/home"
tm() { tmux -S "$SOCK" "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; echo "--- screen:" >&2; tm capture-pane -p -t s >&2 || true; exit 1; }
ok() { echo "ok: $*"; }
screen() { tm capture-pane -p -t s; }
styled() { tm capture-pane -p -e -t s; }
# wait_for TEXT [SECONDS]: poll the screen, bounded
wait_for() {
    local i
    for ((i = 0; i < ${2:-10} * 10; i++)); do
        screen | grep -F -- "$1" >/dev/null && return 0
        sleep 0.1
    done
    return 1
}
start() {   # start COMMAND...: a fresh session running the command
    tm new-session -d -s s -x 100 -y 30 \
        "env TERM=xterm-256color LANG=C.UTF-8 $* ; echo \"EXIT=\$?\" > '$T/exit'; sleep 30"
    tm set-option -t s window-size manual
    tm select-pane -t s -T airlock-test
}
al() { "$AIRLOCK" --home "$H" "$@"; }

# 1. the demo opens as alice
start "'$AIRLOCK' --home '$H' demo"
wait_for "Requests (1)" 20 || die "demo did not open"
wait_for "bob" || die "no conversation with bob"
ok "demo opens"

# 2. mallory's request: banner, literal markup, nothing reaches the terminal
tm send-keys -t s C-n
wait_for "is not a contact" || die "no request banner"
screen | grep -F '*URGENT*' >/dev/null || die "markup not shown literally"
screen | grep -F $'\xe2\x90\x9b]0;pwned' >/dev/null || die "escape not made visible"
[ "$(tm display -p -t s '#{pane_title}')" = airlock-test ] ||
    die "a message changed the pane title"
if styled | grep -E $'\e\\[(3[0-7]|4[0-7]|38;|48;|9[0-7])' >/dev/null; then
    die "a colour reached the pane"
fi
ok "request is inert: banner, literal markup, title unchanged, no colour"

# 3. /quit exits 0 and restores the terminal
tm send-keys -t s "/quit" Enter
for ((i = 0; i < 50; i++)); do [ -f "$T/exit" ] && break; sleep 0.1; done
[ "$(cat "$T/exit" 2>/dev/null)" = EXIT=0 ] || die "/quit did not exit 0"
screen | grep -F "Requests (" >/dev/null && die "terminal not restored"
tm kill-session -t s
ok "/quit exits 0 and restores the terminal"

# 4. accepting re-renders with bold
al --account mallory send alice '*bold request* from mallory' >/dev/null
rm -f "$T/exit"
start "'$AIRLOCK' --home '$H' --account alice"
wait_for "Requests (1)" || die "client did not open"
tm send-keys -t s C-n
wait_for "*bold request*" || die "second request not shown"
styled | grep -F $'\e[1m*bold request*' >/dev/null && die "request rendered bold"
tm send-keys -t s "/accept" Enter
wait_for "Chats (2)" || die "accept did not move mallory to chats"
for ((i = 0; i < 50; i++)); do
    styled | grep -F $'\e[1m*bold request*' >/dev/null && break
    sleep 0.1
done
styled | grep -F $'\e[1m*bold request*' >/dev/null || die "not re-rendered bold"
ok "accepting re-renders with bold"

# 5. resizing to 60x20 and back
tm resize-window -t s -x 60 -y 20
sleep 0.5
[ "$(screen | wc -l)" -eq 20 ] || die "pane not 20 rows"
screen | grep -F "Chats (2)" >/dev/null || die "list lost at 60x20"
screen | tail -1 | grep -F "alice" >/dev/null || die "status line lost at 60x20"
tm resize-window -t s -x 100 -y 30
sleep 0.5
screen | grep -F "Chats (2)" >/dev/null || die "list lost after resizing back"
screen | tail -1 | grep -F "alice" >/dev/null || die "status line lost after resizing back"
screen | grep -F "bold request" >/dev/null || die "conversation lost after resizing"
ok "resize to 60x20 and back"

# 6. /msg bob hi delivers to bob
tm send-keys -t s "/msg bob hi from the terminal" Enter
wait_for "hi from the terminal" || die "sent message not shown"
tm send-keys -t s "/quit" Enter
for ((i = 0; i < 50; i++)); do [ -f "$T/exit" ] && break; sleep 0.1; done
[ "$(cat "$T/exit" 2>/dev/null)" = EXIT=0 ] || die "/quit did not exit 0"
al --account bob recv --json | grep -F '"text":"hi from the terminal"' >/dev/null ||
    die "bob did not receive the message"
ok "/msg bob delivers"
echo "tui: all checks passed"
