#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The IO loads on the host: every generator alongside every teardown mode,
# without hangs or leftovers; interrupt affinities unchanged after a run,
# after Ctrl-C, and after a run killed outright (the next run repairs it).
# Verdicts of the inner runs are recorded, not judged: on a 2-CPU shared
# host, a CPU-bound load and the teardown thread share the test CPU.
#
#   check-loads.sh KVM_OUT SCRATCH_DIR

set -uo pipefail

bin=$1/kvm_page_table_stall_test
dir=$(cd "$2" && pwd)
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

affinities() {
	for f in /proc/irq/*/smp_affinity_list; do
		printf '%s %s\n' "$f" "$(cat "$f" 2>/dev/null)"
	done
}

leftovers() (	# files or state a run may leave; empty when clean
	shopt -s nullglob	# a pattern that matches nothing is no name
	for f in "$dir"/.kvm_stall_blk.* /run/kvm_stall_irq.*; do echo "${f##*/}"; done
)

echo "TAP version 13"
host_kvm_or_skip
echo "1..9"
before=$(affinities)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

timeout 1200 "$bin" -b 256M -s shmem -B 2M,all -L tcp-stream,tcp-rr,tcp-connect,blk \
	-D "$dir" > "$log" 2>&1
rc=$?
sed -e 's/^/# /' "$log" | grep -E '^# (# (load|point)|ok|not ok)' | tail -n 60
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
got=$(grep -cE '^(ok|not ok) [0-9]+ ' "$log")
result "$([ $rc -le 1 ] && echo 0 || echo 1)" "all loads with all modes: ran to the end (status $rc)"
result "$([ -n "$plan" ] && [ "$got" = "$plan" ] && echo 0 || echo 1)" \
	"every point and load has a result ($got of ${plan:-?})"
result "$(grep -q 'load blk B: .*load_cpu_pct=' "$log" &&
	  grep -q 'load tcp-connect op: .*load_cpu_pct=' "$log" && echo 0 || echo 1)" \
	"each load reports its rate, latency and own CPU use"
result "$([ -z "$(leftovers)" ] && echo 0 || echo 1)" "no scratch file or state left"

# Ctrl-C in the middle of a run with interrupts steered
timeout -s INT 6 "$bin" -b 64M -t madvise -B 2M -L blk -P irq -D "$dir" -w 30s > "$log" 2>&1
rc=$?
result "$([ $rc -ne 0 ] && echo 0 || echo 1)" "SIGINT ends a run (status $rc)"
result "$([ "$(affinities)" = "$before" ] && [ -z "$(leftovers)" ] && echo 0 || echo 1)" \
	"after SIGINT: interrupt affinities as before, nothing left"

# A run killed outright leaves its state file with the interrupt steered;
# the next run, even one without -P irq, puts it back.
irq=$(awk -F: '/virtio|nvme/ { gsub(/ /, "", $1); print $1; exit }' /proc/interrupts)
orig=$(cat "/proc/irq/${irq:-0}/smp_affinity_list" 2>/dev/null)
if [ -n "$irq" ] && [ -n "$orig" ] && echo 0 > "/proc/irq/$irq/smp_affinity_list" 2>/dev/null; then
	trap 'echo "$orig" > "/proc/irq/$irq/smp_affinity_list"; rm -f "$log"' EXIT
	echo "$irq $orig" > /run/kvm_stall_irq.state
	timeout 600 "$bin" -b 64M -t madvise -B all -D "$dir" > "$log" 2>&1
	grep -q 'restored IRQ affinities left by an interrupted run' "$log" &&
		[ "$(cat "/proc/irq/$irq/smp_affinity_list")" = "$orig" ]
	result $? "a killed run's steering is restored by a run without -P irq (IRQ $irq: $orig)"
else
	echo "ok $((n += 1)) # SKIP no movable virtio or nvme interrupt to steer"
fi

# one run steers at a time: a second -P irq run is a skip, not a second save.
# The log is emptied here, not by the background job's redirection: the
# wait below would otherwise find the previous run's plan line first, and
# start the second run before the first had claimed anything.
: > "$log"
timeout -s INT 20 "$bin" -b 64M -t madvise -B 2M -L blk -P irq -D "$dir" -w 30s >> "$log" 2>&1 &
first=$!
for _ in $(seq 50); do
	grep -q '^1\.\.' "$log" && break
	sleep 0.2
done
timeout 60 "$bin" -b 64M -t madvise -B 2M -L blk -P irq -D "$dir" > "$log.2" 2>&1
rc=$?
kill -INT $first 2>/dev/null
wait $first
# refused at the first of the claims it shares: the test CPU, the disk, the steering
result "$(grep -qE "another run (steers interrupts|uses test CPU|'s blk load uses the disk)" "$log.2" &&
	[ $rc = 4 ] && echo 0 || echo 1)" \
	"a second -P irq run while one steers is a skip (status $rc)"
rm -f "$log.2"
result "$([ "$(affinities)" = "$before" ] && [ -z "$(leftovers)" ] && echo 0 || echo 1)" \
	"after all runs: interrupt affinities as before, nothing left"
