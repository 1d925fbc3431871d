#!/usr/bin/env bash
# make-envelope-vectors.sh AIRLOCK > tests/vectors/envelope.json
# Regenerates the envelope vectors from fixed seeds, a fixed clock and the
# frames below. Run it only when the envelope format changes on purpose,
# and review the diff: the frames and models must still be what
# docs/WIRE-FORMAT.md says.
set -euo pipefail
AIRLOCK=${1:?usage: make-envelope-vectors.sh AIRLOCK}
S=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
R=202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
T=1767225600000    # 2026-01-01T00:00:00Z
one() {   # one NAME < frame
    "$AIRLOCK" vectors envelope --name "$1" \
        --sender alice@vectors.airlock --sender-seed "$S" \
        --recipient bob@vectors.airlock --recipient-seed "$R" --time "$T"
}
# field TAG BYTES...: tag, a one-byte length (< 128) and the bytes
field() {
    local tag=$1 v
    shift
    v=$(printf "$@"; echo x)
    v=${v%x}
    printf '\\x%02x\\x%02x' "$tag" "$(LC_ALL=C; printf %s "${#v}")"
    printf '%s' "$v" | od -An -v -tx1 | tr -s ' \n' ' ' |
        sed -e 's/ \([0-9a-f][0-9a-f]\)/\\x\1/g' -e 's/ //g'
}
frame() { printf '\xa1'; local f; for f in "$@"; do printf "$f"; done; }
echo '{"format": "airlock-vectors", "version": 1,'
echo ' "description": "Envelope v1 vectors: see docs/WIRE-FORMAT.md, section Envelope vectors.",'
echo ' "cases": ['
{
frame "$(field 1 'hello world')" | one plain-body
frame "$(field 1 '*bold* _it_ `code` https://x.y')" | one styled-body
frame | one empty-frame
frame "$(field 1 '\x1b]0;pwned\x07\xe2\x80\xaeabc\x1b[31m')" | one escapes-and-bidi
att=$(field 1 'image/png')$(field 2 'a.png')$(field 3 '\xe8\x07')
frame "$(field 1 'pic')" "$(field 3 "$att")" | one allowed-attachment
att=$(field 1 'application/x-msdownload')$(field 2 'x.exe')
frame "$(field 1 'file')" "$(field 3 "$att")" | one withheld-attachment
frame "$(field 5 '\x01AAAAAAAAAAAAAAAA')" | one receipt-only
frame "$(field 1 'hi')" "$(field 9 'abc')" | one unknown-field
frame "$(field 2 'AAAAAAAAAAAAAAAA')" "$(field 1 'hi')" | one malformed-order
frame "$(field 1 '\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb')" | one unicode
} | sed -e 's/^/  /' -e '$!s/$/,/'
echo ' ]}'
