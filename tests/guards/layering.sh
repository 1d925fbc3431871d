#!/bin/sh
# layering.sh SRC - fails when an #include crosses the layers the wrong way
# (ui-tui -> airlock.h -> core -> {crypto, store, net} -> base), includes
# another directory's *_int.h, or a third-party header appears outside the
# one layer allowed to use it.
set -u
src=${1:?usage: layering.sh SRC}
cd "$src" || exit 2
TMPFILE=$(mktemp)
trap 'rm -f "$TMPFILE"' EXIT
export TMPFILE

# layer of a project header path like "store/store.h"
allowed_project() {   # $1 layer, $2 included path -> 0 if allowed
    case "$2" in
    airlock/airlock.h) return 0 ;;   # public types, used everywhere
    esac
    inc_dir=${2%%/*}
    [ "$inc_dir" = "$2" ] && return 0    # same-directory "x.h"
    case "$1:$inc_dir" in
    base:base) return 0 ;;
    store:store|store:base) return 0 ;;
    crypto:crypto|crypto:store|crypto:base) return 0 ;;
    net:net|net:store|net:base) return 0 ;;
    core:core|core:crypto|core:net|core:store|core:base) return 0 ;;
    esac
    return 1
}

# third-party headers and the only layer that may include them
allowed_system() {    # $1 layer (with subdir), $2 header -> 0 if allowed
    case "$2" in
    sqlite3.h) [ "$1" = store ] ;;
    signal/*|signal_protocol.h|session_*.h|key_helper.h|protocol.h|curve.h|fingerprint.h|openssl/*)
        [ "$1" = crypto ] ;;
    sodium.h|sodium/*) [ "$1" = base ] || [ "$1" = crypto ] ;;
    strophe.h) [ "$1" = net/xmpp ] ;;
    curses.h|ncurses.h|ncursesw/*|jansson.h) [ "$1" = ui-tui ] ;;
    seccomp.h) [ "$1" = core ] ;;
    utf8proc.h) [ "$1" = core ] ;;
    *) return 0 ;;
    esac
}

for f in $(find base store crypto net core ui-tui lib -name '*.[ch]' 2>/dev/null | sort); do
    dir=$(dirname "$f")
    layer=${dir%%/*}
    sublayer=$layer
    [ "$dir" = net/xmpp ] && sublayer=net/xmpp
    # only real include lines (not comments)
    grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f" |
    while IFS= read -r line; do
        inc=$(printf '%s\n' "$line" | sed -E 's/.*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/')
        quoted=0
        printf '%s\n' "$line" | grep -q '#[[:space:]]*include[[:space:]]*"' && quoted=1
        case "$inc" in
        *_int.h)
            incdir=$(dirname "$inc")
            [ "$incdir" = . ] && incdir=$dir
            if [ "$incdir" != "$dir" ]; then
                echo "$f:${line%%:*}: includes another layer's private header $inc"
                echo x >> "$TMPFILE"
            fi ;;
        esac
        if [ "$layer" = ui-tui ]; then
            if [ $quoted = 1 ] && [ "${inc#*/}" != "$inc" ]; then
                echo "$f:${line%%:*}: ui-tui may only use <airlock/airlock.h>, not \"$inc\""
                echo x >> "$TMPFILE"
            fi
            case "$inc" in base/*|store/*|crypto/*|net/*|core/*)
                echo "$f:${line%%:*}: ui-tui reaches below the public API: $inc"
                echo x >> "$TMPFILE" ;;
            esac
        elif [ $quoted = 1 ]; then
            if ! allowed_project "$layer" "$inc"; then
                echo "$f:${line%%:*}: $layer must not include \"$inc\""
                echo x >> "$TMPFILE"
            fi
        fi
        if ! allowed_system "$sublayer" "$inc"; then
            echo "$f:${line%%:*}: <$inc> is not allowed in $sublayer"
            echo x >> "$TMPFILE"
        fi
    done
done

n=$(wc -l < "$TMPFILE")
if [ "$n" -ne 0 ]; then
    echo "layering: $n violation(s)"
    exit 1
fi
echo "layering: ok"
