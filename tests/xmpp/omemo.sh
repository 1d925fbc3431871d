#!/usr/bin/env bash
# omemo.sh - Airlock over XMPP through a private Prosody on 127.0.0.1:
# accounts and their checks, OMEMO both ways, a second device and carbons,
# the gate (a stranger stays inert, a plain body is marked, extensions are
# never read, spoofed carbons and PEP events become events, a blocked
# stranger never reaches decryption), and nothing left running.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/prosody-lib.sh"
xmpp_require

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-xmpp.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    xmpp_stop
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

xmpp_start "$T/srv"
for u in alice bob carol eve mallory; do xmpp_register "$u"; done

# al USER [--home2] ARGS...: the CLI as USER@localhost
al() {
    local u=$1 home="$T/home"
    shift
    if [ "${1:-}" = --home2 ]; then home="$T/home2"; shift; fi
    "$AIRLOCK" --home "$home" --account "$u@localhost" "$@"
}
mk() {   # mk USER [--home2]
    AIRLOCK_XMPP_PASSWORD="pw-$1" al "$@" init --transport xmpp \
        --xmpp-host 127.0.0.1 --xmpp-port "$XPORT" --tls disable \
        --no-passphrase >/dev/null
}
raw() {  # raw USER WAIT < stanzas: a hand-written client
    python3 "$HERE/rawxmpp.py" "$XPORT" "$1" "pw-$1" "$2"
}
texts() { grep -o "\"text\":\"$2[^\"]*\"" "$1" | sed -e 's/^"text":"//' -e 's/"$//' || true; }
# bg_recv USER [--home2] OUT SECONDS: a receiver in the background, back
# once its session is up (it prints the transport event first)
bg_recv() {
    local u=$1 home="$T/home"
    shift
    if [ "${1:-}" = --home2 ]; then home="$T/home2"; shift; fi
    local out=$1 secs=$2 i
    # the binary itself in the background (not a shell function), so that
    # its process id is the one we stop
    "$AIRLOCK" --home "$home" --account "$u@localhost" recv --json \
        --wait "$secs" > "$out" 2>&1 &
    PIDS+=($!)
    for i in $(seq 1 200); do
        grep -q '"type":"transport","up":true' "$out" 2>/dev/null && return 0
        sleep 0.05
    done
    die "$u's receiver did not come up: $(cat "$out")"
}

# wait_for FILE PATTERN: until a receiver has written it (30 s at most)
wait_for() {
    local i
    for i in $(seq 1 600); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    die "waited in vain for $2 in $1: $(cat "$1")"
}
# Let the background receivers end by themselves (they leave after their
# --wait without news): a killed client's session lingers on the server
# (XEP-0198 hibernation) and keeps messages from the next one.
stop_bg() {
    local p
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# --- accounts ---------------------------------------------------------------
rc=0
AIRLOCK_XMPP_PASSWORD=pw-alice al alice init --transport xmpp \
    --xmpp-host 192.0.2.1 --tls disable --no-passphrase 2>/dev/null || rc=$?
[ "$rc" = 2 ] || die "--tls disable to a non-loopback host: rc $rc"
rc=0
AIRLOCK_XMPP_PASSWORD=wrong al alice init --transport xmpp \
    --xmpp-host 127.0.0.1 --xmpp-port "$XPORT" --tls disable \
    --no-passphrase 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "refused the password" "$T/err" ||
    die "a wrong password was not refused: rc $rc $(cat "$T/err")"
[ ! -e "$T/home/alice@localhost" ] || die "a refused init left an account"
ok "init refuses TLS off for remote hosts and wrong passwords, leaves nothing"
mk alice; mk bob; mk carol; mk eve
if grep -aq "pw-alice" "$T/home/alice@localhost/"*; then
    die "the XMPP password is stored in plaintext"
fi
ok "accounts created; the password is not stored in plaintext"

# prekey_ids USER: the one-time prekey ids of USER's published bundle
prekey_ids() {
    local dev
    dev=$(echo "<iq type='get' id='d' to='$1@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='eu.siacs.conversations.axolotl.devicelist'/></pubsub></iq>" |
        raw "$1" 0.3 | grep -o "<device id='[0-9]*'" | head -1 | tr -dc 0-9)
    [ -n "$dev" ] || die "no device list for $1"
    echo "<iq type='get' id='b' to='$1@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='eu.siacs.conversations.axolotl.bundles:$dev'/></pubsub></iq>" |
        raw "$1" 0.3 | grep -o "preKeyId='[0-9]*'" | tr -dc '0-9\n' | sort
}

# --- OMEMO both ways ----------------------------------------------------------
prekey_ids bob > "$T/pk1"
[ "$(wc -l < "$T/pk1")" = 100 ] || die "bob published $(wc -l < "$T/pk1") prekeys"
al alice send bob@localhost 'hello *bob*' >/dev/null
al bob recv --json > "$T/b1"
# the prekey alice used is gone and replaced: still 100, not the same set
prekey_ids bob > "$T/pk2"
[ "$(wc -l < "$T/pk2")" = 100 ] || die "bob republished $(wc -l < "$T/pk2")"
[ "$(comm -23 "$T/pk1" "$T/pk2" | wc -l)" = 1 ] ||
    die "not exactly one prekey replaced: $(comm -3 "$T/pk1" "$T/pk2" | tr '\n' ' ')"
[ "$(texts "$T/b1" 'hello ')" = 'hello *bob*' ] || die "bob: $(cat "$T/b1")"
grep -q '"request":true' "$T/b1" || die "alice is not a request for bob"
grep -q '"style":\["bold"\]' "$T/b1" && die "a request was styled"
al bob send alice@localhost 'hi *alice*' >/dev/null
al alice recv --json > "$T/a1"
grep -q '"request":false' "$T/a1" || die "bob's reply is a request: $(cat "$T/a1")"
grep -q '"text":"\*alice\*","style":\["bold"\]' "$T/a1" ||
    die "bob's reply not rendered bold: $(cat "$T/a1")"
al bob history alice@localhost --json > "$T/bh"
grep -q '"text":"\*bob\*","style":\["bold"\]' "$T/bh" ||
    die "replying did not re-render alice's message: $(cat "$T/bh")"
for i in 1 2 3; do al alice send bob@localhost "many $i" >/dev/null; done
al bob recv --json > "$T/b2"
[ "$(texts "$T/b2" 'many ' | tr '\n' ' ')" = "many 1 many 2 many 3 " ] ||
    die "three messages: $(texts "$T/b2" 'many ')"
ok "OMEMO both ways; offline delivery in order; accepted senders styled; a used prekey is replaced and the bundle republished"

# --- the device list ---------------------------------------------------------------
# device_ids USER: the device ids in USER's published list
device_ids() {
    echo "<iq type='get' id='d' to='$1@localhost'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='eu.siacs.conversations.axolotl.devicelist'/></pubsub></iq>" |
        raw "$1" 0.3 | grep -o "<device id='[0-9]*'" | tr -dc '0-9\n'
}
adev=$(device_ids alice)
[ -n "$adev" ] && [ "$(echo "$adev" | wc -l)" = 1 ] || die "alice's list: $adev"
# another client of the account publishes a list without our device
echo "<iq type='set' id='dl1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='eu.siacs.conversations.axolotl.devicelist'><item id='current'><list xmlns='eu.siacs.conversations.axolotl'/></item></publish></pubsub></iq>" |
    raw alice 0.5 > "$T/dl"
grep -q "type='result'" "$T/dl" ||
    die "could not empty alice's device list: $(cat "$T/dl")"
[ -z "$(device_ids alice)" ] || die "the list was not emptied"
al alice recv --json > /dev/null
[ "$(device_ids alice)" = "$adev" ] ||
    die "alice did not republish her device: '$(device_ids alice)'"
ok "a device list without our device is republished with it"

# --- a second device ------------------------------------------------------------
mk alice --home2
bg_recv alice "$T/a1d" 4
bg_recv alice --home2 "$T/a2d" 4
al alice --home2 send bob@localhost 'from *device two*' >/dev/null
al bob recv --json > "$T/b3"
grep -q '"text":"from ' "$T/b3" || die "bob: $(cat "$T/b3")"
al bob events > "$T/be" 2>&1
grep -q "identity_changed .*alice@localhost" "$T/be" ||
    die "a new device of a contact was not held: $(cat "$T/be")"
al bob send alice@localhost 'to both devices' >/dev/null
wait_for "$T/a1d" '"text":"to both devices"'
wait_for "$T/a2d" '"text":"to both devices"'
stop_bg
grep -q '"text":"to both devices"' "$T/a1d" || die "device one: $(cat "$T/a1d")"
grep -q '"text":"to both devices"' "$T/a2d" || die "device two: $(cat "$T/a2d")"
# device one holds the new device of its own account: inert until
# acknowledged, then rendered as its own writing
grep '"text":"from \*device two\*"' "$T/a1d" | grep -q '"outgoing":true' ||
    die "device one did not get device two's message inert: $(cat "$T/a1d")"
al alice ack-identity alice@localhost >/dev/null
al alice history bob@localhost --json > "$T/ah"
grep -q '"text":"\*device two\*","style":\["bold"\]' "$T/ah" ||
    die "acknowledged own device still inert: $(cat "$T/ah")"
grep -q '"text":"from' "$T/a1d" ||
    die "device one did not get device two's message: $(cat "$T/a1d")"
ok "a second device: both receive, each sees the other's sends (carbons)"

# --- the gate -------------------------------------------------------------------
bg_recv alice "$T/a3" 6
# a PEP notification from bob (a contact) about someone else's devices
raw bob 0.5 > /dev/null <<'EOF'
<message to='alice@localhost' type='headline'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='eu.siacs.conversations.axolotl.devicelist'><item id='current' publisher='carol@localhost'><list xmlns='eu.siacs.conversations.axolotl'><device id='1'/></list></item></items></event></message>
EOF
# a plain body with extensions a stranger must not get read: XHTML-IM,
# a receipt request, a chat state, out-of-band data; a spoofed carbon and
# archive result; mallory stays connected to see whether anything comes
# back
raw mallory 1.5 > "$T/m1" <<'EOF'
<message to='alice@localhost' type='chat' id='p2'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message from='alice@localhost/x' to='bob@localhost' type='chat'><body>spoofed carbon</body></message></forwarded></sent></message>
<message to='alice@localhost' type='chat' id='p3'><result xmlns='urn:xmpp:mam:2' id='r'><forwarded xmlns='urn:xmpp:forward:0'><message from='bob@localhost/x' to='alice@localhost' type='chat'><body>spoofed archive</body></message></forwarded></result></message>
<message to='alice@localhost' type='chat' id='p4' xmlns:x='urn:x' x:from='bob@localhost/x'><body>*attr* claims bob</body></message>
<message to='alice@localhost' type='chat' id='p5' xmlns:x='urn:x' x:from='alice@localhost/x'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message from='alice@localhost/x' to='mallory@localhost' type='chat'><body>forged own send</body></message></forwarded></sent></message>
<message to='alice@localhost' type='chat' id='p6' xmlns:x='urn:x' x:from='alice@localhost/x'><body>own note claim</body></message>
<message to='alice@localhost' type='chat' id='p1'><body>plain *hi* from mallory</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><img src='http://127.0.0.1:9/x.png'/></body></html><request xmlns='urn:xmpp:receipts'/><active xmlns='http://jabber.org/protocol/chatstates'/><x xmlns='jabber:x:oob'><url>http://127.0.0.1:9/f</url></x></message>
EOF
# a stanza over the transport's size limit (the test server allows 1 MiB):
# not read at all, an event instead
python3 -c "print(\"<message to='alice@localhost' type='chat' id='big'><body>oversized \" + 'x' * 300000 + '</body></message>')" |
    raw mallory 0.5 > /dev/null
al carol send alice@localhost '*carol* says https://phish.example/x' >/dev/null 2>"$T/carol.err" || die "carol could not send: $(cat "$T/carol.err")"
wait_for "$T/a3" '"text":"\*carol\* says'
wait_for "$T/a3" '"text":"plain'
wait_for "$T/a3" 'device list notification'
stop_bg
grep -q '"text":"\*carol\* says https://phish.example/x"' "$T/a3" ||
    die "carol's request not shown as inert text: $(cat "$T/a3")"
grep '"text":"plain' "$T/a3" | grep -q '"request":true' ||
    die "mallory's plain body: $(cat "$T/a3")"
grep '"text":"plain' "$T/a3" | grep -q 'unencrypted' ||
    die "the plain body is not marked unencrypted"
grep -q '"style":\["' "$T/a3" && die "a stranger's text was styled"
grep -q '"text":"spoofed' "$T/a3" && die "a spoofed stanza was shown"
grep -q '"text":"oversized' "$T/a3" && die "an oversized stanza was read"
# libstrophe folds a namespaced x:from into from, and Prosody relays it in
# either order: the message may claim to be bob's. Unencrypted, it is shown
# as inert text whoever it names, and claiming our own address gets
# nothing shown and no consent.
grep '"text":"\*attr\* claims bob"' "$T/a3" | grep -q 'unencrypted' ||
    die "namespaced from attribute: $(grep 'attr. claims' "$T/a3")"
grep 'claims bob' "$T/a3" | grep -q '"style":\["' &&
    die "an unencrypted message was styled"
grep -q '"text":"forged own send' "$T/a3" && die "a forged own carbon was shown"
grep '"text":"own note claim' "$T/a3" | grep -vq '"from":"mallory@localhost"' &&
    die "a message claiming our own address was shown as ours"
al alice contacts --json > "$T/ac"
grep '"mallory@localhost"' "$T/ac" | grep -q '"trust":"unknown"' ||
    die "mallory became a contact: $(cat "$T/ac")"
grep -q '<message' "$T/m1" && die "mallory got a message back: $(cat "$T/m1")"
al alice events > "$T/ae" 2>&1
grep -q "unencrypted .*mallory@localhost" "$T/ae" || die "no unencrypted event"
# the carbons and the archive result, folded into one event
grep -Eq "spoofed_stanza .*mallory@localhost .*x[2-9] .*carbon" "$T/ae" ||
    die "spoofed carbon and archive result: $(cat "$T/ae")"
grep -q "oversized .*mallory@localhost.*stanza over the size limit" "$T/ae" ||
    die "no event for the oversized stanza: $(cat "$T/ae")"
grep -q "spoofed_stanza .*bob@localhost.*device list" "$T/ae" ||
    die "spoofed PEP event: $(cat "$T/ae")"
al alice requests > "$T/ar"
grep -q "mallory@localhost" "$T/ar" && grep -q "carol@localhost" "$T/ar" ||
    die "requests: $(cat "$T/ar")"
ok "strangers stay inert, plain bodies are marked, spoofing and oversized stanzas become events"

# --- a device the claimed sender never published -----------------------------------
# A forged sender looks like this from here: an OMEMO session in carol's
# name from a device carol's own device list does not name. Make carol's
# list leave out the device her request came from, then accept her: the
# request stays inert and the device is reported, found by querying the
# list on her PEP node (never for a stranger; only on becoming a contact).
echo "<iq type='set' id='cl1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='eu.siacs.conversations.axolotl.devicelist'><item id='current'><list xmlns='eu.siacs.conversations.axolotl'><device id='4242'/></list></item></publish></pubsub></iq>" |
    raw carol 0.5 > "$T/cl"
grep -q "type='result'" "$T/cl" || die "could not replace carol's list: $(cat "$T/cl")"
al alice accept carol@localhost > /dev/null
al alice history carol@localhost --json > "$T/ch"
grep -q '"text":"\*carol\* says' "$T/ch" ||
    die "carol's message is not one unstyled span: $(cat "$T/ch")"
grep -q '"style":\["' "$T/ch" && die "a device carol never published was believed: $(cat "$T/ch")"
al alice events > "$T/ae3" 2>&1
grep -q "spoofed_stanza .*carol@localhost.*published device list" "$T/ae3" ||
    die "no event for carol's unlisted device: $(cat "$T/ae3")"
ok "a contact's device that their published device list does not name stays inert"

# --- a blocked stranger -----------------------------------------------------------
al eve send alice@localhost 'before the block' >/dev/null
al alice recv --json > /dev/null
al alice block eve@localhost >/dev/null
for i in 1 2; do al eve send alice@localhost "blocked $i" >/dev/null 2>&1 || true; done
al alice recv --json --stats > "$T/a4"
grep -q '"text":"blocked' "$T/a4" && die "a blocked stranger was shown"
tail -1 "$T/a4" | grep -q '"decrypts":0' ||
    die "decrypted after the block: $(tail -1 "$T/a4")"
# `airlock block` also blocked eve on the server (XEP-0191)
echo "<iq type='get' id='b1'><blocklist xmlns='urn:xmpp:blocking'/></iq>" |
    raw alice 0.5 > "$T/bl"
grep -q "<item jid='eve@localhost'/>" "$T/bl" ||
    die "not blocked on the server: $(cat "$T/bl")"
# Without the server's help (its block list cleared behind our back), the
# engine still drops them before decryption.
raw alice 1 > /dev/null <<'EOF'
<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'/></iq>
EOF
for i in 3 4; do al eve send alice@localhost "blocked $i" >/dev/null 2>&1 || true; done
al alice recv --json --stats > "$T/a5"
grep -q '"text":"blocked' "$T/a5" && die "a blocked stranger was shown"
tail -1 "$T/a5" | grep -q '"decrypts":0' || die "decrypted: $(tail -1 "$T/a5")"
tail -1 "$T/a5" | grep -q '"dropped":[1-9]' || die "not dropped: $(tail -1 "$T/a5")"
al alice events > "$T/ae2" 2>&1
grep -q "blocked_drop .*eve@localhost" "$T/ae2" || die "no blocked_drop event"
# and the session that just ran put eve back on the server's list: every
# session pushes the blocks made here (a block made offline, or lost)
echo "<iq type='get' id='b2'><blocklist xmlns='urn:xmpp:blocking'/></iq>" |
    raw alice 0.5 > "$T/bl2"
grep -q "<item jid='eve@localhost'/>" "$T/bl2" ||
    die "the block was not pushed to the server again: $(cat "$T/bl2")"
ok "a blocked stranger's stanzas never reach decryption (server and engine); blocks are pushed to the server each session"

# --- nothing left running -----------------------------------------------------------
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
pid=$XPID
xmpp_stop
kill -0 "$pid" 2>/dev/null && die "prosody still running"
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && die "process $p left"; done
ok "no process left running"
