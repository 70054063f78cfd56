#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The test program's behaviour where KVM is, run inside the arm64 testbed
# (busybox sh) by tests/check-vm.sh on a host without a usable /dev/kvm:
# a real run with the results file and every load, the environments that
# are skips, where -j may write, and runs interrupted by SIGINT, SIGTERM
# and SIGKILL (Bail out!, nothing left, a killed run's steering repaired
# by the next run). Prints KTAP; the results run's own KTAP goes between
# RUN-KTAP-BEGIN and RUN-KTAP-END for the host's checks of the file.
# Verdicts are not judged here: this is the program's contract (a status
# of 1 is a verdict: 6.12's vm-destroy holds the CPU).

bin=/tests/kvm_page_table_stall_test
short="-b 64M -t vm-destroy -w 20ms"
n=0

result() {	# result STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

# names PATTERN...: the names of the files the patterns match
names() {
	for f in "$@"; do
		# a pattern that matches nothing stays as it is: no name
		if [ -e "$f" ] || [ -L "$f" ]; then
			echo "${f##*/}"
		fi
	done
}

# what a run may leave: state files, tracefs instances and probes, scratch files
leftovers() {
	names /run/kvm_stall_irq.* /sys/kernel/tracing/instances/kvmstall_*
	grep kvmstall /sys/kernel/tracing/kprobe_events 2> /dev/null
	names /tmp/blk/.kvm_stall_blk.*
}

affinities() {
	cat /proc/irq/*/smp_affinity_list 2> /dev/null | md5sum
}

# runs TIMEOUT LOG CMD...: CMD bounded, its output in LOG, its status echoed
runs() {
	t=$1 log=$2
	shift 2
	timeout "$t" "$@" > "$log" 2>&1
	echo $?
}

# gone PID: whether PID ends within 20 s
gone() {
	i=0
	while kill -0 "$1" 2> /dev/null; do
		i=$((i + 1))
		[ $i -le 200 ] || return 1
		sleep 0.1
	done
	return 0
}

# the first line of FILE that matches, to show a failure's cause
why() {
	grep -m1 "$1" "$2" | sed -e 's/^/# /'
}

mkdir -p /tmp/blk
echo "TAP version 13"
echo "1..18"
before=$(affinities)

# 1-2: a real run: three modes (punch is a skip without a file backing),
# every load (with the emulated CPU's windows: a 1 ms probe, 100 ms
# throughput windows, a 1 s baseline), the results file
rc=$(runs 900 /tmp/run.ktap $bin -b 64M -t madvise,punch,vm-destroy -B 2M,all \
	-L tcp-stream,tcp-rr,tcp-connect,blk -D /tmp/blk -i 1ms -W 100ms -w 1s -j /tmp/results.json)
echo "RUN-KTAP-BEGIN"
cat /tmp/run.ktap
echo "RUN-KTAP-END"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/run.ktap)
got=$(grep -cE '^(ok|not ok) [0-9]+ ' /tmp/run.ktap)
[ "$rc" -le 1 ] && [ -n "$plan" ] && [ "$got" = "$plan" ] && [ -s /tmp/results.json ]
result $? "a real run with every load ran to the end: $got of ${plan:-?} results, a results file (status $rc)"
grep -q 'load blk B: .*load_cpu_pct=' /tmp/run.ktap &&
	grep -q 'load tcp-connect op: .*load_cpu_pct=' /tmp/run.ktap &&
	! grep -q 'load=.*# SKIP the load did nothing' /tmp/run.ktap && [ -z "$(leftovers)" ]
result $? "each load reports its rate, latency and own CPU use; no scratch file or state left"

# 3-5: environments that are skips
rc=$(runs 120 /tmp/o $bin -b 64T)
[ "$rc" = 4 ] && grep -q 'available memory' /tmp/o
result $? "a region larger than memory is a skip (status $rc)"
rc=$(runs 120 /tmp/o $bin -s anonymous_hugetlb_1gb -b 4G)
[ "$rc" = 4 ] && grep -q 'hugepages' /tmp/o
result $? "hugetlb backing without reserved pages is a skip (status $rc)"
$bin -c 0 -b 256M -t madvise -B 4K -r 3 -w 20ms > /tmp/first 2>&1 &
first=$!
i=0
while ! grep -q '^1\.\.' /tmp/first && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
# shellcheck disable=SC2086 # $short is a list of options
rc=$(runs 120 /tmp/o $bin -c 0 $short)
kill -INT $first 2> /dev/null
gone $first
wait $first 2> /dev/null
[ "$rc" = 4 ] && grep -q 'another run uses test CPU 0' /tmp/o
result $? "a second run on the same test CPU is a skip saying so (status $rc)"
[ "$rc" = 4 ] || why SKIP /tmp/o

# 6-8: where the results go
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o sh -c "$bin $short > /dev/full")
result "$([ "$rc" = 1 ] && echo 0 || echo 1)" "stdout on a full device: the lost results are a failure (status $rc)"
mkfifo /tmp/fifo
timeout 150 cat /tmp/fifo > /tmp/got &
reader=$!
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o $bin $short -j /tmp/fifo)
wait $reader
[ "$rc" -le 1 ] && [ -p /tmp/fifo ] && grep -q '"schema": *"kvm-stall-results"' /tmp/got
result $? "-j through a FIFO: written in place, still a FIFO (status $rc)"
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o $bin $short -j /dev/null)
[ "$rc" -le 1 ] && [ -c /dev/null ]
result $? "-j /dev/null: still the character device (status $rc)"

# 9-12: a small stack, stdout closed, a /dev/kvm that is not KVM, a memory cgroup
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o sh -c "ulimit -s 512 && exec $bin $short")
result "$([ "$rc" -le 1 ] && echo 0 || echo 1)" "a 512K stack: main's parameters are not on it (status $rc)"
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o sh -c "exec $bin $short >&-")
result "$([ "$rc" = 1 ] && echo 0 || echo 1)" "stdout closed: the lost results are a failure (status $rc)"
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o unshare -m sh -c "mount --bind /dev/null /dev/kvm && exec $bin $short")
[ "$rc" = 4 ] && grep -q 'not KVM' /tmp/o
result $? "a /dev/kvm that is not KVM: a skip saying so (status $rc)"
cg=/sys/fs/cgroup
mount -t cgroup2 none $cg 2> /dev/null
if echo +memory > $cg/cgroup.subtree_control 2> /dev/null && mkdir $cg/stall-check &&
   echo $((128 << 20)) > $cg/stall-check/memory.max; then
	rc=$(runs 120 /tmp/o sh -c "echo \$\$ > $cg/stall-check/cgroup.procs && exec $bin -b 512M -t vm-destroy")
	rmdir $cg/stall-check
	[ "$rc" = 4 ] && grep -q 'available memory needed' /tmp/o
	result $? "a 128M memory cgroup and -b 512M: a skip naming the memory (status $rc)"
else
	echo "ok $((n += 1)) a 128M memory cgroup # SKIP no memory cgroup to make here"
fi

# 13-18: interrupted runs, each with a load and -P irq (whatever it finds to
# steer): SIGINT and SIGTERM end with Bail out! and leave nothing; SIGKILL
# leaves its state, which the next run puts back
for sig in INT TERM; do
	$bin -b 128M -t madvise -B 4K -r 3 -w 20ms -L tcp-rr,blk -D /tmp/blk -P irq > /tmp/sig 2>&1 &
	pid=$!
	i=0
	while ! grep -q 'point 1 of' /tmp/sig && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	sleep 1
	kill -$sig $pid
	gone $pid
	g=$?
	wait $pid 2> /dev/null
	[ $g = 0 ] && grep -q '^Bail out! ' /tmp/sig
	result $? "SIG$sig during a run with loads and -P irq: gone within 20 s, Bail out!"
	[ -z "$(leftovers)" ] && [ "$(affinities)" = "$before" ]
	result $? "after SIG$sig: interrupt affinities as before, nothing left"
done

# a killed run's steering: the console's interrupt moved and its state
# file written as a run killed while steering leaves them
irq=$(awk -F: '/pl011|uart|virtio/ { gsub(/ /, "", $1); print $1; exit }' /proc/interrupts)
orig=$(cat "/proc/irq/$irq/smp_affinity_list" 2> /dev/null)
if [ -n "$irq" ] && [ -n "$orig" ] && echo 1 > "/proc/irq/$irq/smp_affinity_list" 2> /dev/null; then
	echo "$irq $orig" > /run/kvm_stall_irq.state
	# shellcheck disable=SC2086
	rc=$(runs 120 /tmp/o $bin $short)
	now=$(cat "/proc/irq/$irq/smp_affinity_list")
	echo "$orig" > "/proc/irq/$irq/smp_affinity_list"
	grep -q 'restored IRQ affinities left by an interrupted run' /tmp/o && [ "$now" = "$orig" ] &&
		[ ! -e /run/kvm_stall_irq.state ]
	result $? "a killed run's steering is put back by the next run (IRQ $irq: $orig, status $rc)"
else
	echo "ok $((n += 1)) a killed run's steering is put back # SKIP no movable interrupt here"
fi
$bin -b 128M -t madvise -B 4K -r 3 -w 20ms -P irq -L tcp-rr > /tmp/sig 2>&1 &
pid=$!
sleep 3
kill -KILL $pid
wait $pid 2> /dev/null
# shellcheck disable=SC2086
rc=$(runs 120 /tmp/o $bin $short)
[ "$rc" -le 1 ] && [ -z "$(leftovers)" ] && [ "$(affinities)" = "$before" ]
result $? "after SIGKILL and the next run: affinities as before, nothing left (status $rc)"
