#!/usr/bin/env bash
# 10,000 envelopes from 500 unknown addresses while bob writes: bob's
# messages arrive, memory stays bounded, the flood is dropped before
# decryption and counted.
. "$(dirname "$0")/lib.sh"
: "${RELAYTOOL:?}"
RSS_MAX_KIB=${RSS_MAX_KIB:-65536}
mk alice; mk bob
al alice accept bob; al bob accept alice
"$RELAYTOOL" "$RELAY" flood alice 5000 500 >/dev/null
seq -f "bob-%03g" 0 199 | al bob send --stdin alice >/dev/null &
PIDS+=($!)
"$RELAYTOOL" "$RELAY" flood alice 5000 500 >/dev/null
wait "${PIDS[@]}"
PIDS=()
al alice recv --json --stats > "$T/out"
[ "$(texts "$T/out" bob- | sort -u | wc -l)" -eq 200 ] ||
    die "bob's messages did not all arrive: $(texts "$T/out" bob- | wc -l)"
ok "all 200 of bob's messages arrived during the flood"
stats=$(grep '"type":"stats"' "$T/out")
env_n=$(printf '%s' "$stats" | sed -E 's/.*"envelopes":([0-9]+).*/\1/')
dec=$(printf '%s' "$stats" | sed -E 's/.*"decrypts":([0-9]+).*/\1/')
rss=$(printf '%s' "$stats" | sed -E 's/.*"max_rss_kib":([0-9]+).*/\1/')
[ "$env_n" -eq 10200 ] || die "envelopes handled: $env_n"
# at most the global allowance of 100 strangers reaches decryption
[ "$dec" -le 300 ] || die "$dec decryptions: the flood was not dropped early"
[ "$rss" -le "$RSS_MAX_KIB" ] || die "max RSS ${rss} KiB > ${RSS_MAX_KIB} KiB"
ok "flood dropped before decryption ($dec decrypts for 10200 envelopes, max RSS ${rss} KiB)"
al alice events --json | grep rate_limited >/dev/null || die "no rate_limited event"
[ "$("$RELAYTOOL" "$RELAY" pending alice)" -eq 0 ] || die "mailbox not drained"
echo "flood: all checks passed"
