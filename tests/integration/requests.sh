#!/usr/bin/env bash
# mallory's request is inert until accepted, then re-renders styled; a
# blocked mallory's envelopes are dropped before decryption.
. "$(dirname "$0")/lib.sh"
mk alice; mk mallory
al mallory send alice '*hi* https://example.org/x' >/dev/null
al alice recv --json > "$T/r1"
grep -q '"request":true' "$T/r1" || die "not a request"
grep -q '"trust":"unknown"' "$T/r1" || die "not rendered as unknown"
grep -q '"text":"\*hi\* https://example.org/x"' "$T/r1" ||
    die "inert text must keep markup literally and make no link"
grep -q '"bold"\|"href"' "$T/r1" && die "styling or link on the inert path"
al alice requests | grep mallory >/dev/null || die "mallory not in requests"
ok "request is inert"
# nothing a stranger sends causes traffic: no receipt goes back to mallory
al mallory recv --json --stats > "$T/m1"
grep '"envelopes":0,' "$T/m1" >/dev/null || die "the stranger got something back: $(cat "$T/m1")"
ok "no receipt or other traffic to a stranger"
# an accepted contact does get a delivery receipt
mk bob
al bob accept alice
al alice send bob 'hello bob' >/dev/null
al bob recv >/dev/null
al alice recv --json > "$T/r0"
grep '"type":"message"' "$T/r0" >/dev/null && die "a receipt was shown as a message"
al alice history bob --json | grep '"state":"delivered"' >/dev/null ||
    die "no delivery receipt from an accepted contact"
ok "delivery receipts only between contacts"
al alice accept mallory
al alice history mallory --json > "$T/h1"
grep -q '"style":\["bold"\]' "$T/h1" || die "accepted message not re-rendered bold"
grep -q '"href":"https://example.org/x"' "$T/h1" || die "accepted link missing"
ok "accepting re-renders with styles"
al alice block mallory
seq -f "spam %g" 1 50 | al mallory send --stdin alice >/dev/null
al alice recv --json --stats > "$T/r2"
grep -q '"decrypts":0,' "$T/r2" || die "blocked envelopes reached decryption: $(tail -1 "$T/r2")"
grep -q '"dropped":50,' "$T/r2" || die "not all 50 dropped: $(tail -1 "$T/r2")"
grep -q '"type":"message"' "$T/r2" && die "a blocked sender's message was shown"
al alice events --json | grep '"blocked_drop"' | grep '"count":50' >/dev/null ||
    die "blocked drops not counted as a security event"
ok "blocked sender dropped before decryption (0 decrypts, 50 events)"
al alice unblock mallory
al alice contacts --json | grep mallory | grep '"trust":"unknown"' >/dev/null ||
    die "unblock should return mallory to requests"
echo "requests: all checks passed"
