#!/usr/bin/env bash
# What a GUI developer does: install into a prefix, build each example
# against the installed library with pkg-config only (and a find_package
# consumer with CMake), then run them against two local accounts.
set -euo pipefail
BUILD=${1:?usage: embed.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: embed.sh BUILD_DIR SOURCE_DIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/airlock-embed.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

P="$T/prefix"
cmake --install "$BUILD" --prefix "$P" >/dev/null
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion airlock)" = "$("$P/bin/airlock" --version | cut -d' ' -f2)" ] ||
    die "pkg-config version differs from the program's"
for f in "$P/lib/libairlock.so" "$P/lib/libairlock.a" "$P/include/airlock/airlock.h" \
         "$P/lib/cmake/Airlock/AirlockConfig.cmake" "$P/share/man/man1/airlock.1"; do
    [ -e "$f" ] || die "not installed: $f"
done
readelf -d "$P/lib/libairlock.so" | grep 'SONAME.*libairlock.so.0' >/dev/null || die "no SONAME"
others=$(nm -D --defined-only "$P/lib/libairlock.so" | awk '{print $3}' |
         grep -v '^airlock_' | grep -v '^AIRLOCK_0$' || true)
[ -z "$others" ] || die "libairlock exports more than airlock_*: $others"
ok "libairlock.so exports $(nm -D --defined-only "$P/lib/libairlock.so" | grep -c ' airlock_') airlock_* symbols and nothing else"
ok "installed: library with SONAME, archive, header, pkg-config, CMake package, program, man page"

CC=${CC:-cc}
cd "$T"
$CC -o minimal "$SRC/examples/minimal.c" $(pkg-config --cflags --libs airlock) -Wl,-rpath,"$P/lib"
$CC -o render_to_html "$SRC/examples/render_to_html.c" $(pkg-config --cflags --libs airlock) -Wl,-rpath,"$P/lib"
$CC -o glib_loop "$SRC/examples/glib_loop.c" $(pkg-config --cflags --libs airlock glib-2.0) -Wl,-rpath,"$P/lib"
# the static archive links with what pkg-config --static names
$CC -o render_static "$SRC/examples/render_to_html.c" $(pkg-config --cflags airlock) \
    "$P/lib/libairlock.a" $(pkg-config --static --libs airlock | sed 's/-lairlock//')
ldd render_static | grep libairlock >/dev/null && die "static example uses the shared library"
ok "examples build with pkg-config only (and one statically)"

mkdir consumer
cat > consumer/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(Airlock 0.1 REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE Airlock::airlock)
CM
printf '#include <airlock/airlock.h>\n#include <stdio.h>\nint main(void) { puts(airlock_version()); return 0; }\n' > consumer/main.c
cmake -S consumer -B consumer/build -DCMAKE_PREFIX_PATH="$P" >/dev/null
cmake --build consumer/build >/dev/null
[ "$(LD_LIBRARY_PATH="$P/lib" consumer/build/consumer)" = "$(pkg-config --modversion airlock)" ] ||
    die "find_package consumer"
ok "find_package(Airlock) consumer builds and runs"

H="$T/home"
al() { "$P/bin/airlock" --home "$H" "$@"; }
al --account alice init --transport local --no-passphrase >/dev/null
al --account bob init --transport local --no-passphrase >/dev/null
al --account bob accept alice

./glib_loop "$H" bob 30 > glib.out &
PIDS+=($!)
sleep 1
al --account alice send bob '*hello* from alice to glib' >/dev/null
wait "${PIDS[0]}" || die "the GLib example did not get the message: $(cat glib.out)"
PIDS=()
grep '"text":"\*hello\*","style":\["bold"\]' glib.out >/dev/null ||
    die "GLib example output: $(cat glib.out)"
ok "a message arrives in the GLib main loop example"

timeout 30 ./minimal "$H" bob --once < /dev/null > minimal.out &
PIDS+=($!)
sleep 1
al --account alice send bob 'hello minimal' >/dev/null
wait "${PIDS[0]}" || die "the minimal example did not get the message"
PIDS=()
grep 'alice: hello minimal' minimal.out >/dev/null || die "minimal output: $(cat minimal.out)"
ok "a message arrives in the poll() example"

check_html() {   # check_html TRUST INPUT
    local out
    out=$(printf '%s' "$2" | ./render_to_html "$1")
    printf '%s' "$out" | grep -i '<script' >/dev/null && die "unescaped <script>: $out"
    # every tag with an attribute is <a href="allowed-scheme...">
    if printf '%s' "$out" | grep -oE '<[a-zA-Z]+[[:space:]][^>]*>' |
        grep -vE '^<a href="(https?://|xmpp:|mailto:)[^"<>]*">$' >/dev/null; then
        die "attribute other than an allowed href: $out"
    fi
    printf '%s\n' "$out"
}
check_html accepted '<script>alert(1)</script>' | grep '&lt;script&gt;' >/dev/null ||
    die "<script> not escaped"
check_html accepted 'javascript:alert(1) data:text/html,x file:///etc/passwd' |
    grep '<a ' >/dev/null && die "a disallowed scheme became a link"
check_html accepted 'see https://ok.example/"onmouseover=alert(1) x' >/dev/null
check_html accepted "it's https://a.example/'><script>x</script>" >/dev/null
check_html accepted '*bold* https://example.org/ok' | grep '<a href="https://example.org/ok">' >/dev/null ||
    die "an allowed link was not drawn"
check_html unknown '*bold* https://example.org/x' | grep -E '<b>|<a ' >/dev/null &&
    die "styles or links for an unknown sender"
ok "the HTML example escapes <script> and writes no attribute but allowed hrefs"
echo "embedding: all checks passed"
