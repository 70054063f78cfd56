#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The missed-stall benchmark: kernel behaviours whose verdicts are known,
# each booted in the testbed under -icount at each granule, and the suite's
# verdict under both budget tiers set against the expected one. One 6.12
# kernel with the knob patches (patches/knob/6.12) is booted as each
# behaviour by its command line; Debian's 7.2 kernels add mainline's own
# behaviour, the stage-2 destroy that reschedules (6.19).
#
#   stock      6.12 as released: mmu_lock dropped once per largest-block step
#   fix        the smallest-block step (the 2024 proposal, patches/6.12)
#   nodrop     2M steps, mmu_lock never dropped between them
#   every64    2M steps, dropped only after every 64th
#   slow       2M steps, every 64th spinning 200 ms with the lock held
#   7.2        Debian's 7.2 (4K): the chunked, rescheduling destroy
#
# Each boot runs "-t madvise,vm-destroy -B all" (one call over the whole
# region, and the VM's destroy) on a region past the largest-block step
# (VERDICT_REGION_4k 2G, _16k 256M, _64k 1G), so that a hold of the whole
# region breaks even the regression tier. The expected verdict of an
# unmap comes from the work one hold covers: the behaviour's span between
# lock drops (stock: the largest block; fix: the smallest; nodrop: the
# region; everyN: N x 2M), held where it is over a step and a quarter of
# the tier's. A slow step covers one 2M step in 200 ms: held where that is
# over 8x the tier step's typical time, every tier but the regression one
# with 4K pages (one 1G step takes about 300 ms). A destroy is held on
# 6.12 (a whole-table walk, no scheduling point); on 7.2 it walks
# largest-block chunks outside mmu_lock, rescheduling between them, so it
# holds the CPU for one chunk (held under the target tier with 4K pages)
# on a kernel without full preemption, and not at all on one with it
# (Debian's 7.2 is PREEMPT: uname -v, in the results file).
#
# VERDICT_REUSE=1 judges the results files already in OUT again, booting
# only what is missing.
#
# The test is built against 6.12's library and runs unchanged on 7.2.
# Prints a table; exit 0 when every verdict is the expected one, 1 when
# any is not (a missed stall, a false "not ok", or no verdict), 125 when
# a boot gave no results.
#
#   verdicts.sh TESTBED_DIR INITRAMFS OUT
#   [VERDICT_GRANULES="4k 16k 64k"] [VERDICT_BEHAVIOURS="stock fix ..."]

set -uo pipefail

[ $# -eq 3 ] || { echo "usage: verdicts.sh TESTBED_DIR INITRAMFS OUT" >&2; exit 2; }
testbed=$1 initrd=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$out"
table=$out/verdicts.txt
M=$((1 << 20))
missed=0 false_fail=0 noisy=0 errors=0

largest() { case $1 in 4k) echo $((1024 * M)) ;; 16k) echo $((32 * M)) ;; *) echo $((512 * M)) ;; esac; }
smallest() { case $1 in 4k) echo $((2 * M)) ;; 16k) echo $((32 * M)) ;; *) echo $((512 * M)) ;; esac; }
region() {
	local v

	case $1 in 4k) v=${VERDICT_REGION_4k:-2G} ;; 16k) v=${VERDICT_REGION_16k:-256M} ;;
	*) v=${VERDICT_REGION_64k:-1G} ;; esac
	echo "$v"
}
bytes() { numfmt --from=iec "$1"; }

# span BEHAVIOUR GRANULE: the stage-2 work between two lock drops
span() {
	local r

	r=$(bytes "$(region "$2")")
	case $1 in
	stock|7.2) largest "$2" ;;
	fix) smallest "$2" ;;
	nodrop) echo "$r" ;;
	every64) echo $(( 64 * 2 * M < r ? 64 * 2 * M : r )) ;;
	slow) echo $((2 * M)) ;;
	esac
}

# expect BEHAVIOUR GRANULE MODE TIER PREEMPT: ok or held
expect() {
	local step

	if [ "$3" = vm-destroy ]; then
		[ "$1" = 7.2 ] && [ "$4" = target ] && [ "$2" = 4k ] && [ "$5" = 0 ] &&
			{ echo held; return; }
		[ "$1" = 7.2 ] && { echo ok; return; }
		echo held
		return
	fi
	if [ "$4" = regression ]; then step=$(largest "$2"); else step=$(smallest "$2"); fi
	if [ "$1" = slow ]; then
		[ "$2" = 4k ] && [ "$4" = regression ] && echo ok || echo held
		return
	fi
	[ "$(span "$1" "$2")" -gt $((step + step / 4)) ] && echo held || echo ok
}

append() {
	case $1 in
	stock|7.2) echo "" ;;
	fix) echo "kvm.stage2_batch=$(($(smallest "$2") / M))M" ;;
	nodrop) echo "kvm.stage2_batch=2M kvm.stage2_nodrop=1" ;;
	every64) echo "kvm.stage2_batch=2M kvm.stage2_resched_every=64" ;;
	slow) echo "kvm.stage2_batch=2M kvm.stage2_slow_us=200000" ;;
	esac
}

printf '%-5s %-8s %-10s %-17s %-17s %9s %12s %6s %s\n' granule behaviour mode \
	'expected reg/tgt' 'suite reg/tgt' held_us hold_work calls match | tee "$table"
for g in ${VERDICT_GRANULES:-4k 16k 64k}; do
	knob=
	for b in ${VERDICT_BEHAVIOURS:-stock fix nodrop every64 slow 7.2}; do
		if [ "$b" = 7.2 ]; then
			# 64K: no Debian kernel. 16K: the 6.12 library's page-size probe
			# makes a VM of the largest IPA (52 bits with LPA2), whose
			# destroy 7.2 walks in 2^27 chunks of 32M: about 10 minutes
			# under TCG before the test starts
			[ "$g" = 4k ] || continue
			k=$("$here/get-kernel.sh" 7.2 "$g" "$testbed") || { errors=$((errors + 1)); continue; }
		else
			[ -n "$knob" ] || knob=$(PATCHES="$(ls "$root"/patches/knob/6.12/*.patch)" \
				"$here/build-kernel.sh" 6.12 "$g" "$testbed") || { errors=$((errors + 1)); break; }
			k=$knob
		fi
		name=$g-$b
		mem=3072
		[ "$(bytes "$(region "$g")")" -gt $((1024 * M)) ] && mem=$(( $(bytes "$(region "$g")") / M + 2048 ))
		start=$(date +%s)
		# status 0 where VERDICT_REUSE reuses the results
		if [ -z "${VERDICT_REUSE:-}" ] || [ ! -s "$out/$name.json" ]; then
			"$here/vm-run.sh" --kernel "$k" --initrd "$initrd" --icount --mem "$mem" --timeout 1800 \
				--append "$(append "$b" "$g")" --json "$out/$name.json" -- \
				./kvm_page_table_stall_test -b "$(region "$g")" -t madvise,vm-destroy -B all \
				> "$out/$name.log" 2>&1
		fi
		echo "verdicts: $g $b: status $?, $(( $(date +%s) - start )) s" >&2
		if [ ! -s "$out/$name.json" ]; then
			tail -n 5 "$out/$name.log" >&2
			errors=$((errors + 1))
			continue
		fi
		# full preemption ("PREEMPT" alone in uname -v, not PREEMPT_DYNAMIC)
		preempt=0
		python3 -c 'import json, re, sys
v = json.load(open(sys.argv[1]))["environment"]["kernel"]["version"]
sys.exit(0 if re.search(r"\bPREEMPT\b(?!_)", v) else 1)' "$out/$name.json" && preempt=1
		while read -r mode reg tgt held work calls; do
			er=$(expect "$b" "$g" "$mode" regression $preempt)
			et=$(expect "$b" "$g" "$mode" target $preempt)
			match=yes
			for pair in "$er:$reg" "$et:$tgt"; do
				case $pair in
				held:held|ok:ok) ;;
				*:noisy) match=NOISY; noisy=$((noisy + 1)) ;;
				held:*) match=MISSED; missed=$((missed + 1)) ;;
				*) match=FALSE; false_fail=$((false_fail + 1)) ;;
				esac
			done
			printf '%-5s %-8s %-10s %-17s %-17s %9s %12s %6s %s\n' "$g" "$b" "$mode" \
				"$er/$et" "$reg/$tgt" "$held" "$(numfmt --to=iec "$work")" "$calls" \
				"$match" | tee -a "$table"
		done < <("$here/stall-results.py" tiers "$out/$name.json")
	done
done
echo "verdicts: $missed missed stall(s), $false_fail false not ok, $noisy unjudged," \
	"$errors run(s) without results" | tee -a "$table"
[ $errors -eq 0 ] || exit 125
[ $((missed + false_fail + noisy)) -eq 0 ]
