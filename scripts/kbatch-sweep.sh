#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The 2024 report's experiment on one kernel: the stage-2 unmap batch the
# kernel itself uses, swept. Builds 6.12 with the knob patch
# (patches/knob/6.12: kvm.stage2_batch=SIZE), boots it once per batch and
# load under -icount, and runs the stall test (-t madvise -B 2M,all: the
# 2 MiB user chunk is the relative rule's reference, "all" the one call)
# with no load and with KBATCH_LOAD on the test CPU. Each run's results
# file goes to OUT/kbatch-GRANULE-BATCH-LOAD.json, its log next to it;
# stall-report.py kbatch OUT/*.json prints the table.
#
#   kbatch-sweep.sh TESTBED_DIR INITRAMFS OUT
#
# KBATCH_GRANULES (4k), KBATCH_SIZES_4k (2M 8M 32M 128M 512M 1G),
# KBATCH_SIZES_16k (16K 256K 2M 32M), KBATCH_SIZES_64k (64K 2M 32M 512M),
# KBATCH_REGION (1G), KBATCH_MEM (MiB, 3072), KBATCH_LOAD (tcp-rr; "none"
# for none).

set -uo pipefail

[ $# -eq 3 ] || { echo "usage: kbatch-sweep.sh TESTBED_DIR INITRAMFS OUT" >&2; exit 2; }
testbed=$1 initrd=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
region=${KBATCH_REGION:-1G}
mem=${KBATCH_MEM:-3072}
load=${KBATCH_LOAD:-tcp-rr}
mkdir -p "$out"
errors=0

sizes() {
	case $1 in
	4k) echo "${KBATCH_SIZES_4k:-2M 8M 32M 128M 512M 1G}" ;;
	16k) echo "${KBATCH_SIZES_16k:-16K 256K 2M 32M}" ;;
	64k) echo "${KBATCH_SIZES_64k:-64K 2M 32M 512M}" ;;
	*) echo "kbatch-sweep: unknown granule '$1'" >&2; return 1 ;;
	esac
}

loads=(none)
[ "$load" = none ] || loads+=("$load")
for g in ${KBATCH_GRANULES:-4k}; do
	list=$(sizes "$g") || exit 2
	if ! k=$(PATCHES="$(ls "$root"/patches/knob/6.12/*.patch)" \
		 "$here/build-kernel.sh" 6.12 "$g" "$testbed"); then
		echo "kbatch-sweep: no 6.12 $g kernel with the knob" >&2
		errors=$((errors + 1))
		continue
	fi
	for b in $list; do
		for l in "${loads[@]}"; do
			name=kbatch-$g-$b-$l
			# shellcheck disable=SC2054 # -B takes a comma-separated list
			args=(-b "$region" -t madvise -B 2M,all)
			[ "$l" = none ] || args+=(-L "$l")
			start=$(date +%s)
			"$here/vm-run.sh" --kernel "$k" --initrd "$initrd" --icount --mem "$mem" \
				--timeout 1800 --append "kvm.stage2_batch=$b" --json "$out/$name.json" \
				-- ./kvm_page_table_stall_test "${args[@]}" > "$out/$name.log" 2>&1
			rc=$?
			echo "kbatch-sweep: $g batch $b load $l: status $rc, $(( $(date +%s) - start )) s" >&2
			# not ok points are findings; a run without results is an error
			if [ ! -s "$out/$name.json" ]; then
				tail -n 5 "$out/$name.log" >&2
				errors=$((errors + 1))
			fi
		done
	done
done
[ $errors -eq 0 ]
