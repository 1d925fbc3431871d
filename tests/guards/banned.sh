#!/bin/sh
# banned.sh SRC - fails when C code in the tree calls a banned function:
# strcpy strcat sprintf vsprintf gets sscanf atoi strtok (unbounded or
# unchecked; use the bounded reader, snprintf, strtol and friends).
set -u
src=${1:?usage: banned.sh SRC}
cd "$src" || exit 2
hits=$(grep -rnE '(^|[^A-Za-z0-9_])(strcpy|strcat|sprintf|vsprintf|gets|sscanf|atoi|strtok)[[:space:]]*\(' \
       --include='*.c' --include='*.h' base store crypto net core ui-tui lib bench examples tests 2>/dev/null |
       grep -v '^tests/guards/fixture-bad/' |
       grep -vE ':[0-9]+:[[:space:]]*(/?\*|//)')
if [ -n "$hits" ]; then
    printf '%s\n' "$hits"
    echo "banned: $(printf '%s\n' "$hits" | wc -l) call(s) of banned functions"
    exit 1
fi
echo "banned: ok"
