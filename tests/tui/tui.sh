#!/usr/bin/env bash
# tui.sh AIRLOCK - the terminal client driven in tmux as a person would.
#
#  1. the demo opens as alice; no colour anywhere, the pane title untouched
#  2. mallory's request: banner, literal markup, escapes made visible, not
#     bold, title and colours untouched; typing into it sends nothing
#  3. /quit exits 0 and leaves the alternate screen
#  4. accepting re-renders with bold (read from capture-pane -e)
#  5. 60x20 and back; too small says so
#  6. a 1000-message conversation pages up to its first message and back
#  7. blocking, then a security event flagged in the status line, /events
#  8. the safety number matches bob's, v marks verified
#  9. /help, composer editing, history, Tab completion, Alt-Enter, paste
# 10. /msg bob delivers to bob
# 11. SIGTERM restores the terminal (exit 143)
# 12. first run in an empty home; the passphrase prompt
#
# Its own tmux server (-S in a temporary directory, no user config), its
# own HOME and XDG directories; only that server is stopped at the end.
# Every wait polls the screen with a bound, no fixed sleeps.
set -euo pipefail
AIRLOCK=${1:-${AIRLOCK:-}}
[ -n "$AIRLOCK" ] || { echo "usage: tui.sh AIRLOCK" >&2; exit 2; }
if ! command -v tmux >/dev/null; then
    # under make check (which installed it) a missing tmux is a failure
    [ -n "${AIRLOCK_TESTS_STRICT:-}" ] && { echo "FAIL: tmux not installed"; exit 1; }
    echo "tmux not installed: skipped"; exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-tui.XXXXXX")
SOCK="$T/tmux.sock"
H="$T/home"
export HOME="$T/user" XDG_DATA_HOME="$T/xdg" XDG_CONFIG_HOME="$T/config"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
unset AIRLOCK_PASSPHRASE AIRLOCK_ACCOUNT TMUX
. "$(dirname "$0")/../lib/tmux.sh"
cleanup() { tmux_stop; rm -rf "$T"; }
trap cleanup EXIT

screen() { tm capture-pane -p -t s; }
styled() { tm capture-pane -p -e -t s; }
die() {
    echo "FAIL: $*" >&2
    echo "--- screen:" >&2
    screen >&2 || true
    exit 1
}
ok() { echo "ok: $*"; }
# wait_for TEXT [SECONDS]: poll the screen, bounded
wait_for() {
    local i
    for ((i = 0; i < ${2:-10} * 20; i++)); do
        screen | grep -F -- "$1" >/dev/null && return 0
        sleep 0.05
    done
    return 1
}
wait_gone() {
    local i
    for ((i = 0; i < ${2:-10} * 20; i++)); do
        screen | grep -F -- "$1" >/dev/null || return 0
        sleep 0.05
    done
    return 1
}
# wait_exit: the client's exit status (from the pane command), bounded
wait_exit() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ -s "$T/exit" ] && { sed 's/EXIT=//' "$T/exit"; return 0; }
        sleep 0.05
    done
    echo none
}
# attrs TEXT: the attributes in effect where TEXT first shows on the
# screen, replaying the SGR sequences before it on its row
attrs() {
    styled | awk -v needle="$1" '
        !found && index($0, needle) { line = substr($0, 1, index($0, needle) - 1); found = 1 }
        END {
            if (!found) { print "absent"; exit }
            b = d = it = u = r = 0
            while (match(line, /\033\[[0-9;]*m/)) {
                p = substr(line, RSTART + 2, RLENGTH - 3)
                line = substr(line, RSTART + RLENGTH)
                n = split(p, a, ";")
                if (n == 0) b = d = it = u = r = 0
                for (k = 1; k <= n; k++) {
                    v = a[k] + 0
                    if (v == 0) b = d = it = u = r = 0
                    else if (v == 1) b = 1
                    else if (v == 2) d = 1
                    else if (v == 3) it = 1
                    else if (v == 4) u = 1
                    else if (v == 7) r = 1
                    else if (v == 22) b = d = 0
                    else if (v == 23) it = 0
                    else if (v == 24) u = 0
                    else if (v == 27) r = 0
                    else if (v == 38 || v == 48) k += (a[k + 1] == 5 ? 2 : 4)
                }
            }
            s = ""
            if (b) s = s " bold"
            if (d) s = s " dim"
            if (it) s = s " italic"
            if (u) s = s " underline"
            if (r) s = s " reverse"
            print (s == "" ? "plain" : substr(s, 2))
        }'
}
# colours: every colour SGR parameter on the screen (none expected: the
# client draws with attributes only, so a colour could only come from
# message text)
colours() {
    styled | awk '{
        line = $0
        while (match(line, /\033\[[0-9;]*m/)) {
            p = substr(line, RSTART + 2, RLENGTH - 3)
            line = substr(line, RSTART + RLENGTH)
            n = split(p, a, ";")
            for (k = 1; k <= n; k++) {
                v = a[k] + 0
                if ((v >= 30 && v <= 37) || (v >= 40 && v <= 47) ||
                    (v >= 90 && v <= 97) || (v >= 100 && v <= 107) ||
                    v == 38 || v == 48) print p
            }
        }
    }'
}
no_colour() {
    local c
    c=$(colours)
    [ -z "$c" ] || die "$1: colour on the screen: $c"
    [ "$(tm display -p -t s '#{pane_title}')" = airlock-test ] ||
        die "$1: the pane title changed"
}
# start ARGS...: a fresh session running the client (its pid in $T/pid,
# its exit status in $T/exit)
start() {
    rm -f "$T/exit" "$T/pid"
    tm kill-session -t s 2>/dev/null || true
    {
        printf 'echo $$ > %q\n' "$T/pid"
        printf 'exec env TERM=tmux-256color LANG=C.UTF-8 LC_ALL=C.UTF-8'
        printf ' %q' "$AIRLOCK" "$@"
        printf '\n'
    } > "$T/run.sh"
    tm new-session -d -s s -x 100 -y 30 \
        "bash '$T/run.sh'; echo \"EXIT=\$?\" > '$T/exit'; sleep 300"
    tmux_track
    tm set-option -t s window-size manual >/dev/null
    tm select-pane -t s -T airlock-test
}
al() { "$AIRLOCK" --home "$H" "$@"; }
quit_ok() {   # quit_ok WHAT: /quit exits 0 and leaves the alternate screen
    tm send-keys -t s "/quit" Enter
    [ "$(wait_exit)" = 0 ] || die "$1: /quit did not exit 0"
    [ "$(tm display -p -t s '#{alternate_on}')" = 0 ] ||
        die "$1: still on the alternate screen"
    screen | grep -F "Chats (" >/dev/null && die "$1: the client's screen stayed"
    return 0
}

# 1. the demo opens as alice
start --home "$H" demo
wait_for "Requests (1)" 30 || die "demo did not open"
wait_for "bob" || die "no conversation with bob"
[ "$(tm display -p -t s '#{alternate_on}')" = 1 ] || die "not on the alternate screen"
screen | tail -2 | head -1 | grep -F "alice" >/dev/null || die "no status line with the account"
screen | tail -1 | grep -E '^>' >/dev/null || die "no composer"
no_colour "demo"
ok "the demo opens as alice (status line, composer, no colour)"

# 2. mallory's request
tm send-keys -t s C-n
wait_for "mallory is not a contact" || die "no request banner"
screen | grep -F "plain text" >/dev/null || die "banner does not say plain text"
screen | grep -F "links and attachments" >/dev/null || die "banner does not say what is withheld"
screen | grep -F "/accept" >/dev/null || die "banner does not give the keys"
screen | grep -F '*URGENT*' >/dev/null || die "markup not shown literally"
screen | grep -F $'\xe2\x90\x9b]0;pwned' >/dev/null || die "the escape not made visible"
[ "$(attrs '*URGENT*')" = plain ] || die "request text has attributes: $(attrs '*URGENT*')"
no_colour "request"
tm send-keys -t s "hello mallory" Enter
wait_for "before replying" || die "typing into a request was not refused"
ok "the request is inert: banner, literal markup, no attributes or colour, replies refused"

# 3. /quit
quit_ok "first /quit"
out=$(al --account mallory recv --json)
case "$out" in *"hello mallory"*) die "the refused reply reached mallory" ;; esac
ok "/quit exits 0 and restores the terminal; mallory received nothing"

# 4. accepting re-renders with bold
al --account mallory send alice '*bold request* from mallory' >/dev/null
seq -f 'paging line %04g' 1 1000 | al --account bob send --stdin alice >/dev/null
start --home "$H" --account alice
wait_for "Requests (1)" 20 || die "the client did not open"
tm send-keys -t s C-n
wait_for "*bold request*" || die "the second request is not shown"
[ "$(attrs '*bold request*')" = plain ] || die "request rendered with attributes"
tm send-keys -t s "/accept" Enter
wait_for "Chats (2)" || die "accept did not move mallory to Chats"
for ((i = 0; i < 100; i++)); do
    [ "$(attrs '*bold request*')" = bold ] && break
    sleep 0.05
done
[ "$(attrs '*bold request*')" = bold ] || die "not re-rendered bold: $(attrs '*bold request*')"
wait_gone "is not a contact" || die "the banner stayed after accepting"
no_colour "accepted"
ok "accepting re-renders with bold"

# 5. resizing
tm resize-window -t s -x 60 -y 20
for ((i = 0; i < 100; i++)); do [ "$(screen | wc -l)" -eq 20 ] && break; sleep 0.05; done
wait_for "Chats (2)" || die "the list is lost at 60x20"
screen | sed -n 19p | grep -F "alice" >/dev/null || die "the status line is lost at 60x20"
screen | sed -n 20p | grep -E '^>' >/dev/null || die "the composer is lost at 60x20"
screen | grep -F "bold request" >/dev/null || die "the conversation is lost at 60x20"
tm resize-window -t s -x 50 -y 14
wait_for "needs at least" || die "no notice when too small"
tm resize-window -t s -x 100 -y 30
wait_for "Chats (2)" || die "the list is lost after resizing back"
wait_gone "needs at least" || die "the notice stayed"
screen | sed -n 29p | grep -F "alice" >/dev/null || die "the status line is lost after resizing back"
screen | grep -F "bold request" >/dev/null || die "the conversation is lost after resizing back"
ok "60x20, too small, and back"

# 6. paging through 1000 messages
tm send-keys -t s "/query bob" Enter
wait_for "paging line 1000" 20 || die "bob's messages did not arrive"
for ((i = 0; i < 200; i++)); do
    screen | grep -F "paging line 0001" >/dev/null && break
    tm send-keys -t s PPage
    sleep 0.02
done
wait_for "paging line 0001" || die "PgUp did not reach the first message"
screen | grep -F "more below" >/dev/null || die "no sign of more below"
for ((i = 0; i < 200; i++)); do
    screen | grep -F "paging line 1000" >/dev/null && break
    tm send-keys -t s NPage
    sleep 0.02
done
wait_for "paging line 1000" || die "PgDn did not come back to the newest"
tm send-keys -t s PPage PPage
wait_for "more below" || die "PgUp did not scroll"
tm send-keys -t s Escape
wait_gone "more below" || die "Esc did not go back to the newest"
ok "1000 messages page up to the first and back"

# 7. blocking and a security event
tm send-keys -t s "/events" Enter
wait_for "Security events" || die "no /events screen"
wait_gone "new security event" || die "/events did not mark events seen"
tm send-keys -t s Escape "/block mallory" Enter
wait_for "Blocked (1)" || die "/block did not move mallory"
al --account mallory send alice 'after the block' >/dev/null
wait_for "new security event" 20 || die "no security event in the status line"
tm send-keys -t s "/events" Enter
wait_for "blocked_drop" || die "/events does not list the blocked drop"
screen | grep -F "mallory" >/dev/null || die "/events does not name the sender"
wait_gone "new security event" || die "viewing did not mark the events seen"
tm send-keys -t s Escape
ok "block, security event flagged, /events lists it and marks it seen"

# 8. safety number
tm send-keys -t s "/verify bob" Enter
wait_for "Safety number with bob" || die "no safety number screen"
expect=$(al --account bob safety-number alice | grep -oE '[0-9]{5}' | tr -d '\n')
shown=$(screen | grep -oE '([0-9]{5} ){3}[0-9]{5}' | tr -d ' \n')
[ ${#expect} -eq 60 ] || die "bob's safety number is not 60 digits: $expect"
[ "$shown" = "$expect" ] || die "safety number differs: shown $shown, bob has $expect"
tm send-keys -t s v
wait_for "Verified" || die "v did not verify"
tm send-keys -t s Escape
wait_for $'bob \xe2\x9c\x93' || die "bob is not marked verified in the list"
ok "the safety number matches bob's; v marks verified"

# 9. help, editing, history, completion, Alt-Enter, bracketed paste
tm send-keys -t s "/help" Enter
wait_for "Commands" || die "/help shows no commands"
screen | grep -F "Alt-Enter" >/dev/null || die "/help shows no keys"
tm send-keys -t s Escape
tm send-keys -t s "abc" Left Left "X" Home "Y" End "Z"
wait_for "> YaXbcZ" || die "composer editing"
tm send-keys -t s C-u
wait_gone "YaXbcZ" || die "Ctrl-U did not clear"
tm send-keys -t s Up
wait_for "> /help" || die "Up did not recall the last line"
tm send-keys -t s C-u "/ver" Tab
wait_for "> /verify" || die "Tab did not complete the command"
tm send-keys -t s "ma" Tab
wait_for "> /verify mallory" || die "Tab did not complete the address"
tm send-keys -t s C-u "one" M-Enter "two"
wait_for $'> one\xe2\x86\xb5two' || die "Alt-Enter did not make a new line"
tm send-keys -t s C-u
tm set-buffer -b t "$(printf 'pasted one\npasted two')"
tm paste-buffer -p -b t -t s
wait_for $'> pasted one\xe2\x86\xb5pasted two' || die "a bracketed paste did not stay in the composer"
[ "$(screen | grep -c 'pasted one')" -eq 1 ] || die "a pasted newline sent a message"
tm send-keys -t s C-u
ok "/help, editing, history, Tab completion, Alt-Enter, bracketed paste"

# 10. /msg delivers
tm send-keys -t s "/msg bob hi from the terminal" Enter
wait_for "hi from the terminal" || die "the sent message is not shown"
quit_ok "second /quit"
al --account bob recv --json | grep -F '"text":"hi from the terminal"' >/dev/null ||
    die "bob did not receive the message"
ok "/msg bob delivers"

# 11. SIGTERM
start --home "$H" --account alice
wait_for "Blocked (1)" 20 || die "the client did not open again"
kill -TERM "$(cat "$T/pid")"
[ "$(wait_exit)" = 143 ] || die "SIGTERM: exit status not 143"
[ "$(tm display -p -t s '#{alternate_on}')" = 0 ] || die "SIGTERM: still on the alternate screen"
ok "SIGTERM restores the terminal"

# 12. first run, and the passphrase prompt
H2="$T/fresh"
start --home "$H2"
wait_for "Welcome to Airlock" 20 || die "no first-run screen"
tm send-keys -t s Enter
wait_for "Your address" || die "no address question"
tm send-keys -t s "dave" Enter
wait_for "Passphrase" || die "no passphrase question"
tm send-keys -t s Enter
wait_for "Chats (0)" 30 || die "the new account did not open"
screen | sed -n 29p | grep -F "dave" >/dev/null || die "status does not show dave"
quit_ok "first run"
"$AIRLOCK" --home "$H2" --account dave contacts >/dev/null || die "dave was not created"
AIRLOCK_PASSPHRASE=s3cret "$AIRLOCK" --home "$H2" --account erin init --transport local >/dev/null
start --home "$H2" --account erin
wait_for "Passphrase for erin" 20 || die "no passphrase prompt"
tm send-keys -t s "wrong" Enter
wait_for "Wrong passphrase" 20 || die "a wrong passphrase was not reported"
tm send-keys -t s "s3cret" Enter
wait_for "Chats (0)" 30 || die "the right passphrase did not open erin"
screen | grep -F "s3cret" >/dev/null && die "the passphrase was shown"
quit_ok "passphrase prompt"
ok "first run creates and opens an account; the passphrase is asked for"

tmux_stop
[ -z "$(tmux_left)" ] || die "still running: $(tmux_left)"
ok "no process left running"

echo "tui: all checks passed"
