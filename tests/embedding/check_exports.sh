#!/usr/bin/env bash
# What libairlock shows a program that links it.
#
#   check_exports.sh SHARED_LIB STATIC_LIB HEADER
#     - libairlock.so defines no dynamic symbol but airlock_* (nm -D), each
#       one versioned AIRLOCK_0;
#     - that set is exactly the AIRLOCK_API functions of the header: nothing
#       exported that the header does not document, nothing documented that
#       is missing;
#     - SONAME libairlock.so.<AIRLOCK_VERSION_MAJOR>, the file named for
#       AIRLOCK_VERSION_STRING (the header's version is the build's);
#     - libsodium comes before libsignal-protocol-c in DT_NEEDED (both
#       define crypto_hash_sha512; docs/CRYPTO.md);
#     - libairlock.a defines the same global symbols and no others.
#   check_exports.sh --selftest CC
#     builds libraries that break each rule and checks that each is refused
#     for its own reason.
set -euo pipefail
export LC_ALL=C

fail() { echo "FAIL: $*" >&2; return 1; }

# global defined symbols of a shared library's dynamic table, without the
# version node and with @@VERSION removed
dyn_defined() {
    nm -D --defined-only "$1" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' |
        sed 's/@.*//' | grep -vx 'AIRLOCK_0' | sort -u
}

header_api() {   # the function names declared with AIRLOCK_API
    perl -0777 -ne 's{/\*.*?\*/}{}gs; s{^\s*#.*$}{}mg;
        while (/\bAIRLOCK_API\b([^;{(]*)\(/g) {
            my $d = $1; print "$1\n" if $d =~ /(\w+)\s*$/ }' "$1" | sort -u
}

check_shared() {   # SO HEADER
    local so=$1 header=$2 syms others api missing extra unversioned
    syms=$(dyn_defined "$so")
    [ -n "$syms" ] || { fail "$so exports nothing"; return 1; }
    others=$(printf '%s\n' "$syms" | grep -v '^airlock_' || true)
    [ -z "$others" ] || { fail "$so exports more than airlock_*:" $others; return 1; }
    unversioned=$(nm -D --defined-only "$so" | awk 'NF == 3 && $3 ~ /^airlock_/ { print $3 }' |
                  grep -v '@@\?AIRLOCK_0$' || true)
    [ -z "$unversioned" ] || { fail "not versioned AIRLOCK_0:" $unversioned; return 1; }
    api=$(header_api "$header")
    [ -n "$api" ] || { fail "no AIRLOCK_API function found in $header"; return 1; }
    extra=$(comm -23 <(printf '%s\n' "$syms") <(printf '%s\n' "$api"))
    missing=$(comm -13 <(printf '%s\n' "$syms") <(printf '%s\n' "$api"))
    [ -z "$extra" ] || { fail "exported but not in $header:" $extra; return 1; }
    [ -z "$missing" ] || { fail "in $header but not exported:" $missing; return 1; }
    echo "ok: $(printf '%s\n' "$syms" | wc -l) symbols exported, all airlock_* and versioned, exactly the header's"
}

check_names() {   # SO HEADER
    local so=$1 header=$2 major version soname
    major=$(sed -n 's/^#define AIRLOCK_VERSION_MAJOR \([0-9]*\).*/\1/p' "$header")
    version=$(sed -n 's/^#define AIRLOCK_VERSION_STRING "\([^"]*\)".*/\1/p' "$header")
    soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ -n "$major" ] && [ -n "$version" ] || { fail "no version in $header"; return 1; }
    [ "$soname" = "libairlock.so.$major" ] ||
        { fail "SONAME '$soname', expected libairlock.so.$major"; return 1; }
    [ "$(basename "$(readlink -f "$so")")" = "libairlock.so.$version" ] ||
        { fail "$so is not libairlock.so.$version"; return 1; }
    echo "ok: SONAME $soname, file libairlock.so.$version"
}

check_needed() {   # SO
    local needed sodium signal
    needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    sodium=$(printf '%s\n' "$needed" | grep -n '^libsodium\.' | cut -d: -f1 || true)
    signal=$(printf '%s\n' "$needed" | grep -n '^libsignal-protocol-c\.' | cut -d: -f1 || true)
    if [ -n "$signal" ]; then
        [ -n "$sodium" ] && [ "$sodium" -lt "$signal" ] ||
            { fail "libsignal-protocol-c precedes libsodium in DT_NEEDED:" $needed; return 1; }
    fi
    echo "ok: DT_NEEDED order:" $needed
}

check_static() {   # A SO
    local a=$1 so=$2 arsyms extra missing
    arsyms=$(nm -g --defined-only "$a" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort -u)
    extra=$(comm -23 <(printf '%s\n' "$arsyms") <(dyn_defined "$so"))
    missing=$(comm -13 <(printf '%s\n' "$arsyms") <(dyn_defined "$so"))
    [ -z "$extra" ] || { fail "$a defines globals the shared library does not export:" $extra; return 1; }
    [ -z "$missing" ] || { fail "$a lacks" $missing; return 1; }
    echo "ok: $a defines the same $(printf '%s\n' "$arsyms" | wc -l) global symbols and no others"
}

selftest() {   # CC
    local cc=$1 t rc=0 out
    t=$(mktemp -d "${TMPDIR:-/tmp}/airlock-exports.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$t'" RETURN
    cat > "$t/airlock.h" <<'H'
#define AIRLOCK_API __attribute__((visibility("default")))
#define AIRLOCK_VERSION_MAJOR 0
#define AIRLOCK_VERSION_STRING "0.1.0"
/* AIRLOCK_API int airlock_in_a_comment(void); */
AIRLOCK_API int airlock_one(void);
AIRLOCK_API const char *airlock_two(int x,
                                    int y);
H
    printf 'AIRLOCK_0 { global: airlock_*; local: *; };\n' > "$t/good.map"
    printf 'int airlock_one(void) { return 1; }\nconst char *airlock_two(int x, int y) { return x + y ? "a" : "b"; }\n' > "$t/good.c"
    printf 'int helper(void);\nint helper(void) { return 2; }\n' > "$t/helper.c"
    printf 'int airlock_three(void);\nint airlock_three(void) { return 3; }\n' > "$t/three.c"
    printf 'int airlock_one(void) { return 1; }\n' > "$t/one.c"
    mk() {   # NAME SONAME MAP SOURCES...
        local name=$1 soname=$2 map=$3; shift 3
        "$cc" -shared -fPIC -o "$t/$name" -Wl,-soname,"$soname" \
            ${map:+-Wl,--version-script="$map"} "$@"
    }
    mk libairlock.so.0.1.0 libairlock.so.0 "$t/good.map" "$t/good.c"
    mk stray.so.0.1.0 libairlock.so.0 "" "$t/good.c" "$t/helper.c"
    mk undocumented.so.0.1.0 libairlock.so.0 "$t/good.map" "$t/good.c" "$t/three.c"
    mk missing.so.0.1.0 libairlock.so.0 "$t/good.map" "$t/one.c"
    mk unversioned.so.0.1.0 libairlock.so.0 "" "$t/good.c"
    mk libairlock.so.0.2.0 libairlock.so.1 "$t/good.map" "$t/good.c"
    "$cc" -c -fPIC -o "$t/helper.o" "$t/helper.c"
    "$cc" -c -fPIC -o "$t/good.o" "$t/good.c"
    ar qc "$t/leaky.a" "$t/good.o" "$t/helper.o"
    ar qc "$t/good.a" "$t/good.o"

    expect() {   # REASON-REGEX COMMAND...: must fail, saying REASON
        local why=$1; shift
        if out=$("$@" 2>&1); then
            echo "selftest: accepted: $*" >&2; rc=1
        elif ! printf '%s' "$out" | grep -E "$why" >/dev/null; then
            echo "selftest: refused for another reason: $* -> $out" >&2; rc=1
        fi
    }
    check_shared "$t/libairlock.so.0.1.0" "$t/airlock.h" >/dev/null ||
        { echo "selftest: the good library was refused" >&2; rc=1; }
    check_static "$t/good.a" "$t/libairlock.so.0.1.0" >/dev/null ||
        { echo "selftest: the good archive was refused" >&2; rc=1; }
    expect 'more than airlock_\*: helper' check_shared "$t/stray.so.0.1.0" "$t/airlock.h"
    expect 'not in .*airlock_three' check_shared "$t/undocumented.so.0.1.0" "$t/airlock.h"
    expect 'not exported: airlock_two' check_shared "$t/missing.so.0.1.0" "$t/airlock.h"
    expect 'not versioned AIRLOCK_0' check_shared "$t/unversioned.so.0.1.0" "$t/airlock.h"
    expect 'SONAME .libairlock.so.1., expected' check_names "$t/libairlock.so.0.2.0" "$t/airlock.h"
    expect 'does not export: helper' check_static "$t/leaky.a" "$t/libairlock.so.0.1.0"
    [ $rc -eq 0 ] && echo "selftest: every broken library refused for its reason"
    return $rc
}

if [ "${1:-}" = "--selftest" ]; then
    selftest "${2:?usage: check_exports.sh --selftest CC}"
    exit
fi
SO=${1:?usage: check_exports.sh SHARED_LIB STATIC_LIB HEADER}
A=${2:?usage: check_exports.sh SHARED_LIB STATIC_LIB HEADER}
HEADER=${3:?usage: check_exports.sh SHARED_LIB STATIC_LIB HEADER}
check_shared "$SO" "$HEADER"
check_names "$SO" "$HEADER"
check_needed "$SO"
check_static "$A" "$SO"
