#!/bin/sh
# check-quick.sh BENCH: one short run; every figure present and positive.
# (No timing threshold: the figures are printed, not judged.) The
# instruction counts need valgrind: without it they are null and the
# reason is in "instr_note".
set -eu
out=$("$1" --quick --json)
echo "$out"
num() {
    printf '%s' "$out" | sed -n "s/.*\"$1\":\([0-9.]*\)[,}].*/\1/p"
}
for k in raw_encrypt_per_s raw_decrypt_per_s send_per_s recv_per_s \
         send_ratio recv_ratio setup_raw_per_s setup_per_s \
         render_ascii_mb_s render_unicode_mb_s render_styled_mb_s \
         render_worst_ratio flood_drop_per_s history_page_ms history_rss_mib; do
    case $(num $k) in
    ''|0|0.0|0.00|0.000) echo "bench_quick: $k missing or zero"; exit 1 ;;
    esac
done
for k in recv_instr_per_msg raw_decrypt_instr_per_msg send_instr_per_msg \
         raw_encrypt_instr_per_msg flood_instr_per_envelope; do
    case $(num $k) in
    ''|0)
        if printf '%s' "$out" | grep "\"$k\":null" >/dev/null &&
           printf '%s' "$out" | grep '"instr_note":"[^"]' >/dev/null; then
            continue
        fi
        echo "bench_quick: $k missing or zero (and no reason given)"
        exit 1 ;;
    esac
done
echo "bench_quick: every figure present"
