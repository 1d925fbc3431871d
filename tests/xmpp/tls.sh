#!/usr/bin/env bash
# tls.sh - TLS modes against a private Prosody on 127.0.0.1 that requires
# STARTTLS with a self-signed certificate: certificate checks are on by
# default and refuse it (nothing is created); --tls trust connects and
# messages flow over TLS; a server that offers no TLS is refused unless
# TLS is disabled, which is only allowed for loopback hosts.
set -euo pipefail
: "${AIRLOCK:?AIRLOCK must name the airlock binary}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/prosody-lib.sh"
xmpp_require openssl

T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-tls.XXXXXX")
cleanup() { xmpp_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
al() {
    local u=$1
    shift
    "$AIRLOCK" --home "$T/home" --account "$u@localhost" "$@"
}
init() {   # init USER TLS: rc of init
    local rc=0
    AIRLOCK_XMPP_PASSWORD="pw-$1" al "$1" init --transport xmpp \
        --xmpp-host 127.0.0.1 --xmpp-port "$XPORT" --tls "$2" \
        --no-passphrase > "$T/out" 2>&1 || rc=$?
    return $rc
}

xmpp_start "$T/srv" tls
xmpp_register alice
xmpp_register bob
rc=0
init alice verify || rc=$?
[ "$rc" = 1 ] || die "a self-signed certificate was accepted: rc $rc"
grep -q "could not reach the XMPP server (TLS" "$T/out" || die "$(cat "$T/out")"
[ ! -e "$T/home/alice@localhost" ] || die "a refused init left an account"
ok "certificates are checked by default: a self-signed one is refused"

rc=0
AIRLOCK_XMPP_PASSWORD=wrong al alice init --transport xmpp \
    --xmpp-host 127.0.0.1 --xmpp-port "$XPORT" --tls trust \
    --no-passphrase > "$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "refused the password" "$T/out" ||
    die "a wrong password over TLS: rc $rc $(cat "$T/out")"
init alice trust || die "--tls trust: $(cat "$T/out")"
init bob trust || die "--tls trust: $(cat "$T/out")"
al alice send bob@localhost 'over tls' >/dev/null
al bob recv --json > "$T/b1"
grep -q '"text":"over tls"' "$T/b1" || die "bob: $(cat "$T/b1")"
# the server requires encryption: having logged in at all means TLS
ok "--tls trust: connected over STARTTLS, messages flow"
xmpp_stop

# A certificate from a CA the client trusts (OpenSSL's default paths, here
# SSL_CERT_FILE): --tls verify, the default, connects. The same CA's
# certificate for another name is refused: the name is checked too.
C=$T/ca
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Airlock test CA" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$C/ca.key" -out "$C/ca.pem" >/dev/null 2>&1 || die "no CA"
leaf() {   # leaf NAME: a server certificate for NAME from the test CA
    printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$1" > "$C/$1.ext"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$C/$1.key" \
        -out "$C/$1.csr" >/dev/null 2>&1 &&
    openssl x509 -req -in "$C/$1.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" \
        -CAcreateserial -days 2 -extfile "$C/$1.ext" -out "$C/$1.crt" \
        >/dev/null 2>&1 || die "no certificate for $1"
}
leaf localhost
leaf otherhost
XMPP_CERT=$C/localhost.crt XMPP_KEY=$C/localhost.key xmpp_start "$T/srv3" tls
xmpp_register dave
SSL_CERT_FILE=$C/ca.pem init dave verify ||
    die "a valid certificate from a trusted CA was refused: $(cat "$T/out")"
ok "--tls verify connects to a server whose certificate a trusted CA signed"
xmpp_stop
XMPP_CERT=$C/otherhost.crt XMPP_KEY=$C/otherhost.key xmpp_start "$T/srv4" tls
xmpp_register erin
rc=0
SSL_CERT_FILE=$C/ca.pem init erin verify || rc=$?
[ "$rc" = 1 ] || die "a certificate for another name was accepted: rc $rc"
grep -q "could not reach the XMPP server (TLS" "$T/out" || die "$(cat "$T/out")"
[ ! -e "$T/home/erin@localhost" ] || die "a refused init left an account"
ok "a trusted CA's certificate for another name is refused"
xmpp_stop

# A server without TLS: refused unless TLS is disabled (loopback only).
xmpp_start "$T/srv2"
xmpp_register carol
rc=0
init carol trust || rc=$?
[ "$rc" = 1 ] || die "no STARTTLS, yet init succeeded with --tls trust"
# reported as what it is (a stripped STARTTLS looks the same), not as a
# refused password
grep -q "could not reach the XMPP server (TLS" "$T/out" ||
    die "missing STARTTLS reported as: $(cat "$T/out")"
[ ! -e "$T/home/carol@localhost" ] || die "a refused init left an account"
init carol disable || die "--tls disable on loopback: $(cat "$T/out")"
ok "STARTTLS is required unless disabled; disabling is for loopback only"
