#!/bin/sh
# check-quick.sh BENCH: one short run; every figure present and positive.
# (No timing threshold: the figures are printed, not judged.)
set -eu
out=$("$1" --quick --json)
echo "$out"
for k in raw_encrypt_per_s raw_decrypt_per_s send_per_s recv_per_s \
         send_ratio recv_ratio setup_raw_per_s setup_per_s \
         render_ascii_mb_s render_unicode_mb_s render_styled_mb_s \
         render_worst_ratio flood_drop_per_s history_page_ms history_rss_mib; do
    v=$(printf '%s' "$out" | sed -n "s/.*\"$k\":\([0-9.]*\).*/\1/p")
    case $v in
    ''|0|0.0|0.00|0.000) echo "bench_quick: $k missing or zero"; exit 1 ;;
    esac
done
printf '%s' "$out" | grep '"recv_instr_per_msg":' >/dev/null
echo "bench_quick: every figure present"
