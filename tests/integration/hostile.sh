#!/usr/bin/env bash
# Tampered, truncated, oversized and garbage envelopes next to real ones:
# each becomes a security event, the real messages arrive once, no crash.
. "$(dirname "$0")/lib.sh"
: "${RELAYTOOL:?}"
mk alice; mk bob
al alice accept bob; al bob accept alice
seq -f "real-%g" 1 5 | al bob send --stdin alice >/dev/null
"$RELAYTOOL" "$RELAY" mangle alice | grep "mangled 5" >/dev/null || die "mangle"
al alice recv --json --stats > "$T/out"
[ "$(texts "$T/out" real- | wc -l)" -eq 5 ] || die "real messages: $(texts "$T/out" real- | wc -l)"
grep -q '"envelopes":25,' "$T/out" || die "not every envelope handled: $(tail -1 "$T/out")"
al alice events --json > "$T/ev"
for k in malformed_envelope oversized; do
    grep -q "\"$k\"" "$T/ev" || die "no $k event"
done
grep -qE '"(decrypt_failed|duplicate)"' "$T/ev" || die "no event for the tampered copies"
[ "$("$RELAYTOOL" "$RELAY" pending alice)" -eq 0 ] || die "mailbox not drained"
ok "hostile envelopes: events, no crash, real messages once"
echo "hostile: all checks passed"
