#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the stall test in the arm64 testbed for every kernel version and
# granule (6.12 and 7.2; 4K and 16K from Debian, 64K built from configs/),
# under -icount, and print one table: kernel x granule x mode x batch with
# the kernel's own stage-2 batch, the stall, the teardown time and the
# verdict. Not-ok points are findings, not errors; a run that yields no
# result is an error.
#
#   matrix.sh TESTBED_DIR INITRAMFS [TEST ARGS...]

set -uo pipefail

testbed=$1 initrd=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
args=("$@")
# shellcheck disable=SC2054 # -t and -B take comma-separated lists
[ ${#args[@]} -gt 0 ] || args=(-b 256M -t madvise,memslot-delete,vm-destroy,process-exit
			       -B 2M,all)
kvers=${MATRIX_KVERS:-6.12 7.2}
granules=${MATRIX_GRANULES:-4k 16k 64k}
table=$testbed/matrix.txt
errors=0

printf '%-7s %-7s %-7s %-16s %-6s %10s %10s %10s %10s %s\n' kernel granule kbatch mode batch \
	stall_ms held_ms kcall_ms time_ms verdict > "$table"
for kver in $kvers; do
	for g in $granules; do
		log=$testbed/matrix-$kver-$g.log
		start=$(date +%s)
		if ! k=$("$here/get-kernel.sh" "$kver" "$g" "$testbed"); then
			echo "matrix: no $kver $g kernel" >&2
			errors=$((errors + 1))
			continue
		fi
		"$here/vm-run.sh" --kernel "$k" --initrd "$initrd" --icount --timeout 1800 \
			-- ./kvm_page_table_stall_test "${args[@]}" > "$log" 2>&1
		echo "matrix: $kver $g: $(( $(date +%s) - start )) s, log $log" >&2
		if ! grep -q '^# point ' "$log"; then
			tail -n 5 "$log" >&2
			errors=$((errors + 1))
			continue
		fi
		# pair each point line with the result line after it
		awk -v k="$kver" -v g="$g" '
		/^# point / {
			for (i = 3; i <= NF; i++) {
				e = index($i, "=")
				f[substr($i, 1, e - 1)] = substr($i, e + 1)
			}
			next
		}
		/^(ok|not ok) [0-9]+ / && f["mode"] != "" {
			v = ($1 == "ok") ? "ok" : "NOT OK"
			if ($0 ~ /# SKIP/)
				v = "skip"
			printf "%-7s %-7s %-7s %-16s %-6s %10.2f %10.2f %10.2f %10.2f %s\n", k, g,
				f["kbatch"], f["mode"], f["batch"], f["stall_us"] / 1000,
				f["held_us"] / 1000, f["kcall_us"] / 1000, f["time_us"] / 1000, v
			delete f
		}' "$log" >> "$table"
	done
done
cat "$table"
[ $errors -eq 0 ]
