#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# False verdicts on a busy machine: RUNS default runs of the stall test with
# a CPU-bound loop on every CPU (BUSY=all), on every CPU but the test CPU
# (BUSY=others) or none (BUSY=none). On this project's x86 host a one-call
# unmap does not stall (its MMU-notifier zaps yield), so every "not ok"
# there is a false one; noisy points are skips that say so. Prints one line
# per run and the totals. A benchmark, not a check: it asserts nothing.
# Alongside, from the same points, what two simpler rules would have said:
# "200ms" (the longest gap against a 200 ms baseline's plus the allowance,
# the rule before the control windows) and "ctl-gap" (the gap against the
# equal-length control window's gap plus the allowance, without the held
# time). Their "not ok" counts are false verdicts too.
#
#   [BUSY=all|others|none] bench-verdicts.sh KVM_OUT RUNS [TEST ARGS...]

set -uo pipefail

bin=$1/kvm_page_table_stall_test
runs=$2
shift 2
busy=${BUSY:-all}
case $runs in ''|*[!0-9]*) echo "bench-verdicts: RUNS '$runs' is not a number" >&2; exit 2 ;; esac
case $busy in all|others|none) ;; *) echo "bench-verdicts: BUSY '$busy' is not all, others or none" >&2; exit 2 ;; esac

pids=()
log=$(mktemp)
cleanup() {
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

first=$(taskset -pc $$ | sed -e 's/.*: //' -e 's/[,-].*//')
for cpu in $(seq 0 $(($(nproc) - 1))); do
	[ "$busy" = none ] && break
	[ "$busy" = others ] && [ "$cpu" = "$first" ] && continue
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	pids+=($!)
done

echo "bench-verdicts: $runs runs, busy loops: $busy (${#pids[@]}), args: ${*:-default}"
t_ok=0 t_fail=0 t_skip=0 t_noisy=0 t_time=0 t_old=0 t_ctl=0
allow=1000
for i in $(seq 1 "$runs"); do
	start=$(date +%s)
	timeout --kill-after=10 600 "$bin" "$@" > "$log" 2>&1
	rc=$?
	ok=$(grep -cE '^ok [0-9]+ ' "$log")
	skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
	noisy=$(grep -cE '^ok [0-9]+ .*# SKIP machine too noisy' "$log")
	fail=$(grep -cE '^not ok [0-9]+ ' "$log")
	ok=$((ok - skip))
	secs=$(( $(date +%s) - start ))
	read -r old ctl < <(awk -v a=$allow '/^# point / {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		o += f["stall_us"] > f["base_us"] + a; c += f["stall_us"] > f["ctl_us"] + a
	} END { print o + 0, c + 0 }' "$log")
	echo "run $i: status $rc, $secs s: ok $ok, not ok $fail, skip $skip (noisy $noisy); rule 200ms: $old not ok, rule ctl-gap: $ctl not ok"
	grep -E '^not ok ' "$log" | while read -r _ _ _ mode batch _; do
		grep -E "^(# point mode=$mode $batch |not ok [0-9]+ $mode $batch |# $mode $batch )" "$log"
	done | sed -e 's/^/    /'
	t_ok=$((t_ok + ok)) t_fail=$((t_fail + fail)) t_skip=$((t_skip + skip))
	t_noisy=$((t_noisy + noisy)) t_time=$((t_time + secs)) t_old=$((t_old + old))
	t_ctl=$((t_ctl + ctl))
done
echo "bench-verdicts: total ok $t_ok, not ok $t_fail, skip $t_skip (noisy $t_noisy), $t_time s;" \
	"rule 200ms: $t_old not ok, rule ctl-gap: $t_ctl not ok"
