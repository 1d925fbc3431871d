#!/bin/sh
# hardening.sh FILE... - each ELF file must be position independent, have
# full RELRO (GNU_RELRO and BIND_NOW), a non-executable stack, use the stack
# protector and fortified libc calls.
set -u
fail=0
for f in "$@"; do
    if [ ! -f "$f" ]; then
        echo "$f: missing"; fail=1; continue
    fi
    hdr=$(readelf -hW "$f")
    ph=$(readelf -lW "$f")
    dyn=$(readelf -dW "$f")
    syms=$(readelf --dyn-syms -W "$f")
    problems=""
    printf '%s\n' "$hdr" | grep -q 'Type:[[:space:]]*DYN' ||
        problems="$problems not-PIE"
    printf '%s\n' "$ph" | grep -q 'GNU_RELRO' || problems="$problems no-RELRO"
    printf '%s\n' "$dyn" | grep -qE 'BIND_NOW|FLAGS_1.*NOW' ||
        problems="$problems no-BIND_NOW"
    stack=$(printf '%s\n' "$ph" | grep 'GNU_STACK')
    if [ -z "$stack" ] || printf '%s\n' "$stack" | grep -q 'RWE'; then
        problems="$problems executable-stack"
    fi
    printf '%s\n' "$syms" | grep -q '__stack_chk_fail' ||
        problems="$problems no-stack-protector"
    printf '%s\n' "$syms" | grep -qE '__[a-z_]+_chk(@|[[:space:]]|$)' ||
        problems="$problems no-fortify"
    if [ -n "$problems" ]; then
        echo "$f:$problems"
        fail=1
    else
        echo "$f: PIE, RELRO, BIND_NOW, NX stack, stack protector, fortify"
    fi
done
exit $fail
