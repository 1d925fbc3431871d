#!/usr/bin/env bash
# bob's identity changes (he reinstalls): his messages are inert until alice
# acknowledges the new safety number.
. "$(dirname "$0")/lib.sh"
mk alice; mk bob
al alice accept bob; al bob accept alice
al bob send alice '*one*' >/dev/null
al alice recv --json > "$T/r1"
grep -q '"style":\["bold"\]' "$T/r1" || die "contact message not styled"
before=$(al alice safety-number bob)
[ "$(printf '%s' "$before" | tr -d ' ' | wc -c)" -eq 60 ] || die "safety number: $before"
rm -rf "$T/home/bob"
mk bob
al bob send alice '*two*' >/dev/null
al alice recv --json > "$T/r2"
grep -q '"text":"\*two\*"' "$T/r2" || die "changed identity must show inert text"
grep -q '"bold"' "$T/r2" && die "changed identity rendered with styles"
al alice events --json | grep identity_changed >/dev/null || die "no identity_changed event"
al alice contacts --json | grep bob | grep '"identity_changed":true' >/dev/null ||
    die "contact not flagged"
after=$(al alice safety-number bob)
[ "$before" != "$after" ] || die "safety number did not change"
ok "changed identity is inert and flagged"
al alice ack-identity bob
al alice history bob --json > "$T/h"
[ "$(grep -c '"style":\["bold"\]' "$T/h")" -eq 2 ] ||
    die "after acknowledging, both messages render styled"
al alice contacts --json | grep bob | grep '"identity_changed":false' >/dev/null ||
    die "flag not cleared"
ok "acknowledged identity renders styled again"
echo "identity: all checks passed"
