#!/usr/bin/env bash
# What a GUI developer does: install into a prefix, build each example
# against the installed library with `pkg-config --cflags --libs airlock`
# only (and with `--static` against the archive alone, and a find_package
# consumer with CMake), then run them against local accounts made with the
# installed `airlock` program.
#
#   embed.sh BUILD_DIR SOURCE_DIR
#   env: CC (default cc); CONSUMER_FLAGS, added to every consumer's compile
#   and link (a sanitized library needs -fsanitize=... in its consumers).
set -euo pipefail
export LC_ALL=C
BUILD=${1:?usage: embed.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: embed.sh BUILD_DIR SOURCE_DIR}
CC=${CC:-cc}
read -r -a XFLAGS <<< "${CONSUMER_FLAGS:-}"
WFLAGS=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror)
T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-embed.XXXXXX")
PIDS=()
cleanup() {
    local p
    exec 3>&- 2>/dev/null || true
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# --- install ---------------------------------------------------------------
P="$T/prefix"
cmake --install "$BUILD" --prefix "$P" >/dev/null
for f in "$P/lib/libairlock.so" "$P/lib/libairlock.so.0" "$P/lib/libairlock.a" \
         "$P/include/airlock/airlock.h" "$P/lib/pkgconfig/airlock.pc" \
         "$P/lib/cmake/Airlock/AirlockConfig.cmake" \
         "$P/lib/cmake/Airlock/AirlockConfigVersion.cmake" \
         "$P/bin/airlock" "$P/share/man/man1/airlock.1"; do
    [ -e "$f" ] || die "not installed: $f"
done
cmp "$P/include/airlock/airlock.h" "$SRC/include/airlock/airlock.h" || die "installed header differs"
bash "$SRC/tests/embedding/check_exports.sh" "$(readlink -f "$P/lib/libairlock.so")" \
    "$P/lib/libairlock.a" "$P/include/airlock/airlock.h" || die "installed libraries"
# the program finds the installed library by its RUNPATH, without help
env -u LD_LIBRARY_PATH "$P/bin/airlock" --version >/dev/null || die "installed airlock does not run"
used=$(ldd "$P/bin/airlock" | awk '$1 == "libairlock.so.0" { print $3 }')
[ -n "$used" ] && [ "$(readlink -f "$used")" = "$(readlink -f "$P/lib/libairlock.so.0")" ] ||
    die "installed airlock does not use the installed library: $(ldd "$P/bin/airlock")"
if command -v man >/dev/null 2>&1; then
    man -l "$P/share/man/man1/airlock.1" 2>/dev/null | grep -i airlock >/dev/null ||
        die "man page does not format"
fi
ok "installed: libairlock.so (SONAME), libairlock.a, airlock.h, airlock.pc, CMake package, airlock, airlock.1"

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR || true
VERSION=$(pkg-config --modversion airlock)
[ "$VERSION" = "$("$P/bin/airlock" --version | cut -d' ' -f2)" ] ||
    die "pkg-config says $VERSION, the program $("$P/bin/airlock" --version)"
case " $(pkg-config --cflags --libs airlock) " in
    *"$SRC"*|*"$BUILD"*) die "pkg-config flags point into the build: $(pkg-config --cflags --libs airlock)";;
esac

# --- build the examples with pkg-config only --------------------------------
cd "$T"
build() {   # OUT SOURCE PKG-CONFIG-ARGS...
    local out=$1 src=$2; shift 2
    # shellcheck disable=SC2046
    "$CC" "${WFLAGS[@]}" "${XFLAGS[@]}" -o "$out" "$src" $(pkg-config "$@") ||
        die "$out does not build with pkg-config $*"
}
build minimal "$SRC/examples/minimal.c" --cflags --libs airlock
build render_to_html "$SRC/examples/render_to_html.c" --cflags --libs airlock
build glib_loop "$SRC/examples/glib_loop.c" --cflags --libs airlock glib-2.0
build make_frame "$SRC/tests/embedding/make_frame.c" --cflags --libs airlock
build clash_shared "$SRC/tests/embedding/clash.c" --cflags --libs airlock
export LD_LIBRARY_PATH="$P/lib"
ok "examples build with \`pkg-config --cflags --libs airlock\` only (-Werror)"

# A consumer process must bind crypto_hash_sha512 to libsodium, never to
# libsignal-protocol-c's copy (docs/CRYPTO.md): check every binding.
check_bindings() {   # PROGRAM ARGS...
    local b
    b=$(LD_BIND_NOW=1 LD_DEBUG=bindings "$@" 2>&1 >/dev/null </dev/null |
        grep "normal symbol \`crypto_hash_sha512'" || true)
    [ -n "$b" ] || die "$1: no binding of crypto_hash_sha512 seen"
    if printf '%s\n' "$b" | grep -v ' to [^ ]*libsodium\.so' >/dev/null; then
        die "$1 binds crypto_hash_sha512 outside libsodium: $b"
    fi
}
check_bindings ./clash_shared
./clash_shared >/dev/null || die "clash consumer (shared)"
ok "a shared consumer binds crypto_hash_sha512 to libsodium and keeps its own rd_u8, store_open, ..."

# --- the static archive alone, with `pkg-config --static` -------------------
# A copy of the prefix without libairlock.so (also proves airlock.pc is
# relocatable): -lairlock can only mean libairlock.a there.
S="$T/static-prefix"
cp -a "$P" "$S"
rm -f "$S"/lib/libairlock.so*
PKG_CONFIG_PATH="$S/lib/pkgconfig" build render_static "$SRC/examples/render_to_html.c" \
    --static --cflags --libs airlock
PKG_CONFIG_PATH="$S/lib/pkgconfig" build clash_static "$SRC/tests/embedding/clash.c" \
    --static --cflags --libs airlock
for b in render_static clash_static; do
    if readelf -d "$b" | grep 'NEEDED.*libairlock' >/dev/null; then
        die "$b needs libairlock.so"
    fi
done
./clash_static >/dev/null || die "clash consumer (static): internal names collided"
check_bindings ./clash_static
for input in '*bold* _it_ https://example.org/a?b=1&c=2' '> quoted <b>x</b>' $'```\ncode\n```'; do
    [ "$(printf '%s' "$input" | ./render_static accepted)" = \
      "$(printf '%s' "$input" | ./render_to_html accepted)" ] ||
        die "static and shared builds render '$input' differently"
done
ok "libairlock.a links with only \`pkg-config --static --libs airlock\`, hides its internals, renders as the shared one"

# --- find_package(Airlock) --------------------------------------------------
mkdir consumer
cat > consumer/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(Airlock 0.1 REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE Airlock::airlock)
CM
cat > consumer/main.c <<'C'
#include <stdio.h>
#include <string.h>

#include <airlock/airlock.h>

int main(void)
{
    if (strcmp(airlock_version(), AIRLOCK_VERSION_STRING) != 0)
        return 1;
    puts(airlock_version());
    return 0;
}
C
cmake -S consumer -B consumer/build -DCMAKE_PREFIX_PATH="$P" \
    -DCMAKE_C_FLAGS="${CONSUMER_FLAGS:-}" >consumer.log 2>&1 ||
    die "find_package(Airlock): $(cat consumer.log)"
cmake --build consumer/build >>consumer.log 2>&1 || die "find_package consumer build: $(cat consumer.log)"
[ "$(consumer/build/consumer)" = "$VERSION" ] || die "find_package consumer output"
sed -i 's/find_package(Airlock 0.1 REQUIRED)/find_package(Airlock 1.0 REQUIRED)/' consumer/CMakeLists.txt
if cmake -S consumer -B consumer/build3 -DCMAKE_PREFIX_PATH="$P" >/dev/null 2>&1; then
    die "find_package(Airlock 1.0) accepted version $VERSION"
fi
ok "find_package(Airlock 0.1) gives Airlock::airlock; Airlock 1.0 is refused"

# --- two (three) local accounts ---------------------------------------------
H="$T/home"
al() { "$P/bin/airlock" --home "$H" "$@"; }
for who in alice bob carol; do
    al --account "$who" init --transport local --no-passphrase >/dev/null
done
al --account bob accept alice >/dev/null

wait_for() {   # PATTERN FILE PID: until FILE has a line matching PATTERN
    local i
    for i in $(seq 1 300); do
        grep -E -- "$1" "$2" >/dev/null 2>&1 && return 0
        kill -0 "$3" 2>/dev/null || { grep -E -- "$1" "$2" >/dev/null 2>&1 && return 0; \
            die "process $3 ended before '$1' appeared: $(cat "$2")"; }
        sleep 0.1
    done
    die "no '$1' after 30 s in: $(cat "$2")"
}

# GLib: exits 0 after the first message, 1 after 30 s without one
./glib_loop "$H" bob 30 > glib.out 2> glib.err &
PIDS=($!)
wait_for 'waiting' glib.out "${PIDS[0]}"
al --account alice send bob '*hello* from alice to glib' >/dev/null
wait "${PIDS[0]}" || die "the GLib example got no message: $(cat glib.out glib.err)"
PIDS=()
grep -F 'message from alice: {"trust":"accepted","spans":[{"text":"*hello*","style":["bold"]},{"text":" from alice to glib","style":[]}]' \
    glib.out >/dev/null || die "GLib example output: $(cat glib.out)"
ok "a message arrives in the GLib main loop example, rendered in full"

# minimal: a request, /accept (redrawn), /to + send, /block, /quit
mkfifo in.fifo
./minimal "$H" bob < in.fifo > minimal.out 2> minimal.err &
PIDS=($!)
exec 3> in.fifo
al --account carol send bob '*hi* from carol' >/dev/null
wait_for '^\[request\] carol: \*hi\* from carol$' minimal.out "${PIDS[0]}"
echo "/accept carol" >&3
wait_for '^\[redrawn carol\]$' minimal.out "${PIDS[0]}"
sed -n '/^\[redrawn carol\]$/,$p' minimal.out | grep -x 'carol: \*hi\* from carol' >/dev/null ||
    die "accepted conversation not redrawn: $(cat minimal.out)"
printf '/to alice\nhello alice from minimal\n' >&3
for i in $(seq 1 300); do
    al --account alice history bob --json > alice.json 2>/dev/null || true
    grep -F 'hello alice from minimal' alice.json >/dev/null && break
    kill -0 "${PIDS[0]}" || die "minimal ended: $(cat minimal.out minimal.err)"
    al --account alice recv >/dev/null 2>&1 || true
    sleep 0.1
done
grep -F 'hello alice from minimal' alice.json >/dev/null || die "alice did not get minimal's message"
echo "/block carol" >&3
wait_for '^\[ok\] block carol$' minimal.out "${PIDS[0]}"
al --account carol send bob 'after the block' >/dev/null
wait_for '^\[security\] blocked_drop carol' minimal.out "${PIDS[0]}"
echo "/quit" >&3
exec 3>&-
wait "${PIDS[0]}" || die "minimal exited with failure: $(cat minimal.err)"
PIDS=()
if grep -F 'after the block' minimal.out >/dev/null; then die "a blocked sender's text was shown"; fi
[ ! -s minimal.err ] || die "minimal printed errors: $(cat minimal.err)"
ok "poll() example: request shown inert, /accept redraws, /to sends, /block drops, /quit"

# --- the HTML example against hostile input ---------------------------------
TAG_OK='^(</?(div|p|small|b|i|s|code|pre|blockquote|details|summary|a)>|<br>|<a href="(https?://|xmpp:|mailto:)[^"<>]*">)$'
check_html() {   # TRUST KIND < INPUT: echoes the HTML; dies unless every
    local out tags rest          # tag, attribute and entity is allowed
    out=$(./render_to_html "$1" "$2") || die "render_to_html $1 $2 failed"
    tags=$(printf '%s' "$out" | grep -oE '<[^>]*>' || true)
    if printf '%s\n' "$tags" | grep -vE "$TAG_OK" | grep . >/dev/null; then
        die "tag or attribute not allowed: $(printf '%s\n' "$tags" | grep -vE "$TAG_OK") in: $out"
    fi
    rest=$(printf '%s' "$out" | sed -E 's/<[^>]*>//g')
    case "$rest" in *'<'*|*'>'*) die "a raw < or > in the text: $out";; esac
    if printf '%s' "$rest" | grep -oE '&[^;]*;?' | grep -vE '^&(amp|lt|gt|quot|#39|#10);$' | grep . >/dev/null; then
        die "an entity not written by the escaper: $out"
    fi
    printf '%s\n' "$out"
}
html_text() {   # the text a browser shows: tags out, <br> as newline, entities decoded
    sed -E 's/<br>/\n/g; s/<[^>]*>//g' | sed -E "s/&lt;/</g; s/&gt;/>/g; s/&quot;/\"/g; s/&#39;/'/g; s/&#10;/ /g; s/&amp;/\\&/g"
}
hostile=(
    '<script>alert(1)</script>'
    'javascript:alert(1) JaVaScRiPt:alert(1) data:text/html,<b>x</b> vbscript:x file:///etc/passwd'
    '"onmouseover=alert(1) x="'
    'see https://ok.example/"onmouseover="alert(1) now'
    "it's https://a.example/'><script>x</script>"
    '<a href="javascript:alert(1)">click</a> <img src=x onerror=alert(1)>'
    '*<b>bold</b>* _<i onclick=x>_ `</code><script>` ```'
    '&lt;script&gt; &amp; &#60; &#x3c;'
)
html() {   # TRUST KIND INPUT
    printf '%s' "$3" | check_html "$1" "$2"
}
for input in "${hostile[@]}"; do
    for trust in accepted unknown; do
        out=$(html "$trust" body "$input")
        [ "$(printf '%s' "$out" | html_text)" = "$input" ] ||
            die "the shown text differs from the input ($trust): '$input' -> $out"
    done
done
out=$(html accepted body '<script>alert(1)</script>')
[ "$out" = '<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>' ] || die "<script> not escaped: $out"
out=$(html accepted body 'javascript:alert(1) data:text/html,x')
case "$out" in *'<a '*) die "a disallowed scheme became a link: $out";; esac
out=$(html accepted body 'see https://ok.example/"onmouseover="alert(1) now')
case "$out" in *'<a href="https://ok.example/">https://ok.example/</a>&quot;onmouseover=&quot;alert(1) now'*) ;;
    *) die "a link with a quote: $out";; esac
out=$(html accepted body '*bold* https://example.org/ok xmpp:bob@example.org mailto:a@example.org')
for want in '<b>*bold*</b>' '<a href="https://example.org/ok">' '<a href="xmpp:bob@example.org">' \
            '<a href="mailto:a@example.org">'; do
    case "$out" in *"$want"*) ;; *) die "missing $want in: $out";; esac
done
out=$(html unknown body '*bold* https://example.org/x')
case "$out" in *'<b>'*|*'<a '*) die "styles or links for an unknown sender: $out";; esac
# attachments: a hostile file name, from a contact and from a stranger
./make_frame 'see <this>' image/png '<img src=x onerror=alert(1)>.png' 1234 > att.frame ||
    die "make_frame"
out=$(check_html accepted frame < att.frame)
case "$out" in *'<p>file: &lt;img src=x onerror=alert(1)&gt;.png (image/png, 1234 bytes)</p>'*) ;;
    *) die "attachment from a contact: $out";; esac
out=$(check_html unknown frame < att.frame)
case "$out" in *'file:'*) die "attachment shown for a stranger: $out";; esac
# the inert path reads the body only: the attachment is not even parsed,
# so it counts among the withheld fields
case "$out" in *'0 attachments and 1 other fields withheld'*) ;;
    *) die "withheld attachment not counted: $out";; esac
ok "the HTML example escapes everything, writes only whitelisted tags and allowed hrefs, shows the text unchanged"
echo "embedding: all checks passed"
