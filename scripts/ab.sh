#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A/B of two arm64 kernels in the testbed: both built from Debian's source
# with the same fragments (configs/), so that like is compared with like;
# the base with BASE patches (none: stock), the candidate with CAND patches
# or another version (CAND_KVER). Each is booted BOOTS times with the same
# test and options, and stall-results.py compares the results files.
#
# Its users judge fixes: the test's budget tier is the target (-S target:
# one smallest-block step of stage-2 work per hold of the CPU) unless the
# arguments name one. VM_OPTS go to vm-run.sh as they are, e.g. "--mem
# 6144 --cpu neoverse-n1" for a region past the 1 GiB batch on a CPU
# without FEAT_TLBIRANGE.
#
# Exit status, for scripts and git bisect run: 0 the candidate fixes the
# base's points over budget and puts none over; 1 a point is over budget
# on the candidate; 125 a kernel that did not build or boot, or a point
# not judged on both; 255 a usage error (git bisect run stops on it).
#
#   [KVER=6.12] [CAND_KVER=$KVER] [GRANULE=4k] [BASE="a.patch ..."]
#   [CAND="b.patch ..."] [BOOTS=1] [ICOUNT=1] [SMP=1] [VM_TIMEOUT=1800] [VM_OPTS=...]
#   ab.sh TESTBED_DIR INITRAMFS [TEST ARGS...]

set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
testbed=$1
initrd=$2
shift 2
kver=${KVER:-6.12}
cand_kver=${CAND_KVER:-$kver}
granule=${GRANULE:-4k}
boots=${BOOTS:-1}
[ $# -gt 0 ] || set -- -b 256M -t madvise -B 2M,all

usage() {
	echo "ab: $*" >&2
	exit 255
}

abspaths() {	# the patch files of a list, absolute, each checked
	local p

	for p in $1; do
		[ -f "$p" ] || usage "patch '$p' not found"
		printf '%s ' "$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
	done
}

case $boots in ''|*[!0-9]*|0) usage "BOOTS='$boots' is not a number of boots" ;; esac
base_patches=$(abspaths "${BASE:-}")
cand_patches=$(abspaths "${CAND:-}")
[ "$kver" != "$cand_kver" ] || [ "$base_patches" != "$cand_patches" ] ||
	usage "base and candidate are the same kernel: give CAND patches or a CAND_KVER"

out=$testbed/ab/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
name() {	# KVER PATCHES
	local n=$1 p

	for p in $2; do n+=" +$(basename "$p" .patch)"; done
	[ -n "$2" ] || n+=" stock"
	echo "$n"
}
base_name=$(name "$kver" "$base_patches")
cand_name=$(name "$cand_kver" "$cand_patches")

# kernel SIDE KVER PATCHES: the built kernel's path, or exit 125
kernel() {
	local k

	echo "ab: $1 kernel: $(name "$2" "$3") ($granule), built from configs/" >&2
	if ! k=$(BUILD_KERNEL=1 PATCHES="$3" "$here/get-kernel.sh" "$2" "$granule" "$testbed"); then
		echo "ab: the $1 kernel did not build: not judged (exit 125)" >&2
		exit 125
	fi
	echo "$k"
}
base_k=$(kernel base "$kver" "$base_patches") || exit 125
cand_k=$(kernel candidate "$cand_kver" "$cand_patches") || exit 125

# boot SIDE KERNEL N: results in $out/SIDE-N.json, or exit 125
boot() {
	local rc opts=(--smp "${SMP:-1}" --timeout "${VM_TIMEOUT:-1800}")

	# shellcheck disable=SC2206 # options, split as make passes them
	opts+=(${VM_OPTS:-})

	[ "${ICOUNT:-1}" = 1 ] && opts+=(--icount)
	echo "ab: $1, boot $3 of $boots" >&2
	"$here/vm-run.sh" --kernel "$2" --initrd "$initrd" "${opts[@]}" --json "$out/$1-$3.json" \
		--log "$out/$1-$3.console" -- ./kvm_page_table_stall_test "${args[@]}" \
		> "$out/$1-$3.ktap"
	rc=$?
	if [ $rc -gt 1 ] || [ ! -s "$out/$1-$3.json" ]; then
		tail -n 5 "$out/$1-$3.ktap" >&2
		echo "ab: $1 boot $3 ended without results (status $rc): not judged (exit 125)" >&2
		exit 125
	fi
}
args=("$@")
case " $* " in
*" -S "*|*" -S"[rt]*) ;;
*) args=(-S target "${args[@]}") ;;
esac
for b in $(seq "$boots"); do
	boot base "$base_k" "$b"
	boot cand "$cand_k" "$b"
done

"$here/stall-results.py" compare --base "$out"/base-*.json --cand "$out"/cand-*.json \
	--base-name "$base_name" --cand-name "$cand_name" | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
echo "ab: results, logs and this report in $out" >&2
exit "$rc"
