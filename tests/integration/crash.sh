#!/usr/bin/env bash
# SIGKILL the receiver at random points 100 times during a stream: nothing
# acknowledged is lost, nothing is shown twice.
. "$(dirname "$0")/lib.sh"
KILLS=${KILLS:-100}
mk alice; mk bob
al alice accept bob; al bob accept alice
(
    for ((i = 0; i < 30; i++)); do
        seq -f "m-$i-%02g" 0 9 | al bob send --stdin alice >/dev/null
    done
) &
PIDS+=($!)
for ((k = 0; k < KILLS; k++)); do
    # a random moment between 0 and ~0.3 s into the receiver's life
    timeout -s KILL "0.$(printf '%03d' $((RANDOM % 300)))" \
        "$AIRLOCK" --home "$T/home" --relay "$RELAY" --account alice \
        recv --json >> "$T/out" 2>/dev/null || true
done
wait "${PIDS[@]}"
PIDS=()
al alice recv --json >> "$T/out"
al alice history bob --limit 1000 --json > "$T/hist"
stored=$(texts "$T/hist" m- | sort | uniq -d | wc -l)
[ "$stored" -eq 0 ] || die "$stored messages stored twice"
[ "$(texts "$T/hist" m- | sort -u | wc -l)" -eq 300 ] ||
    die "stored $(texts "$T/hist" m- | sort -u | wc -l) of 300 messages"
ok "all 300 messages stored exactly once after $KILLS kills"
shown=$(texts "$T/out" m- | sort | uniq -d | wc -l)
[ "$shown" -eq 0 ] || die "$shown messages shown twice"
ok "no message shown twice"
echo "crash: all checks passed"
