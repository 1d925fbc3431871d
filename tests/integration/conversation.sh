#!/usr/bin/env bash
# alice and bob: 1000 messages each way, in order and interleaved; a second
# device of bob receives alice's messages and copies of bob's own.
. "$(dirname "$0")/lib.sh"
N=${N:-1000}
ROUND=100
mk alice; mk bob; mk bob --home2
al alice accept bob; al bob accept alice; al bob --home2 accept alice
for ((r = 0; r < N / ROUND; r++)); do
    seq -f "a2b-%04g" $((r * ROUND)) $((r * ROUND + ROUND - 1)) |
        al alice send --stdin bob >/dev/null
    al bob recv --json >> "$T/bob.out"
    seq -f "b2a-%04g" $((r * ROUND)) $((r * ROUND + ROUND - 1)) |
        al bob send --stdin alice >/dev/null
    al alice recv --json >> "$T/alice.out"
    al bob --home2 recv --json >> "$T/bob2.out"
done
seq -f "a2b-%04g" 0 $((N - 1)) > "$T/want.a2b"
seq -f "b2a-%04g" 0 $((N - 1)) > "$T/want.b2a"
texts "$T/bob.out" a2b- | diff -q - "$T/want.a2b" >/dev/null ||
    die "bob did not get alice's $N messages exactly once in order"
ok "bob got $N messages in order"
texts "$T/alice.out" b2a- | diff -q - "$T/want.b2a" >/dev/null ||
    die "alice did not get bob's $N messages exactly once in order"
ok "alice got $N messages in order"
texts "$T/bob2.out" a2b- | diff -q - "$T/want.a2b" >/dev/null ||
    die "bob's second device did not get alice's messages"
texts "$T/bob2.out" b2a- | diff -q - "$T/want.b2a" >/dev/null ||
    die "bob's second device did not get copies of bob's own messages"
ok "bob's second device got both directions"
grep -q '"trust":"unknown"' "$T/alice.out" "$T/bob.out" &&
    die "a contact's message took the inert path"
[ "$(al alice history bob --limit 5 --json | wc -l)" -eq 5 ] ||
    die "history paging"
ok "history pages"
echo "conversation: all checks passed"
