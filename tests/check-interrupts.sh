#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Randomized interrupt trials: runs of kvm_page_table_stall_test killed
# with SIGINT, SIGTERM, SIGKILL or SIGPIPE at a random moment (populating, in a
# window, between points), across teardown modes, loads and, where an
# interrupt can be moved, -P irq; the process-exit child is alive in its
# mode's trials. After each: the run and its child are gone within a bound,
# a run ended by SIGINT or SIGTERM printed a Bail out! line,
# and nothing is left: no process, scratch file, IRQ state file, steered
# affinity, tracefs instance or probe, changed system setting, or memory.
# A SIGKILLed run cannot clean up; its steering must be repaired by the
# next run of the test, which is started and checked. Seeded: the same
# seed gives the same trials.
#
#   check-interrupts.sh KVM_OUT SCRATCH_DIR [TRIALS [SEED]]

set -uo pipefail

bin=$(cd "$1" && pwd)/kvm_page_table_stall_test
scratch=$(cd "$2" && pwd)
trials=${3:-12}
seed=${4:-1}
# a killed run must be gone within this; the slowest seen was 2.6 s
die_bound_ms=10000
# the guest's shmem and the run's anonymous memory must come back to
# within this of where they were (a leaked guest is 256 MiB)
mem_slack_kb=$((64 * 1024))

modes=(munmap madvise punch memslot-delete vm-destroy process-exit dirty-log-enable
       dirty-log-clear)
loads=(none tcp-stream tcp-rr tcp-connect blk)
sigs=(INT TERM KILL PIPE)
tracefs=/sys/kernel/tracing
n=0
work=$(mktemp -d "$scratch/.kvm_stall_trials.XXXXXX")
log=$work/log
trap 'pkill -KILL -f "^$bin" 2>/dev/null; rm -rf "$work"' EXIT

settings() {	# what the suite must never leave changed
	cat /proc/irq/*/smp_affinity_list 2>/dev/null | md5sum
	cat /sys/kernel/mm/transparent_hugepage/enabled \
	    /sys/kernel/mm/transparent_hugepage/defrag \
	    /proc/sys/vm/nr_hugepages /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null
}

leftovers() (	# empty when clean
	# every name ls -A lists; a pattern that matches nothing is no name
	shopt -s nullglob dotglob
	pgrep -af "^$bin" | sed -e 's/^/process: /'
	for f in "$work"/dir/*; do echo "scratch file: ${f##*/}"; done
	for f in /run/kvm_stall_irq.*; do echo "state file: $f"; done
	for f in "$tracefs"/instances/kvmstall_*; do echo "tracefs: ${f##*/}"; done
	grep kvmstall "$tracefs/kprobe_events" 2>/dev/null | sed -e 's/^/kprobe: /'
)

holders() {	# processes with FILE open
	local fd

	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$1" ] && echo "${fd%/fd/*}"
	done
}

mem_kb() {	# shmem and anonymous memory in use
	awk '/^(Shmem|AnonPages):/ { kb += $2 } END { print kb }' /proc/meminfo
}

# wait_gone PID: milliseconds until the run and its children are gone, or -1
wait_gone() {
	local t0 now

	t0=$(date +%s%N)
	while kill -0 "$1" 2>/dev/null || pgrep -f "^$bin" > /dev/null; do
		now=$(date +%s%N)
		[ $(((now - t0) / 1000000)) -gt $die_bound_ms ] && { echo -1; return; }
		sleep 0.02
	done
	now=$(date +%s%N)
	echo $(((now - t0) / 1000000))
}

# Whether a load's interrupt can move here: said in the summary. -P irq
# trials run either way (the state file and its lock are exercised).
irq=$(awk -F: '/virtio[0-9]+-req|nvme/ { gsub(/ /, "", $1); print $1; exit }' /proc/interrupts)
irq_movable=no
if [ -n "$irq" ] && a=$(cat "/proc/irq/$irq/smp_affinity_list" 2>/dev/null) &&
   echo "$a" > "/proc/irq/$irq/smp_affinity_list" 2>/dev/null; then
	irq_movable=yes
fi

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"
echo "TAP version 13"
host_kvm_or_skip
echo "1..$trials"
RANDOM=$seed
mkdir -p "$work/dir"
before_settings=$(settings)
worst=0 total=0 killed_during=0
for t in $(seq "$trials"); do
	mode=${modes[RANDOM % ${#modes[@]}]}
	load=${loads[RANDOM % ${#loads[@]}]}
	sig=${sigs[RANDOM % ${#sigs[@]}]}
	# 0.2 s to 6 s: populate, baseline, teardown and control windows, later points
	delay_ms=$((200 + RANDOM % 5800))
	irq_opt=()
	[ $((RANDOM % 3)) = 0 ] && irq_opt=(-P irq)
	# shellcheck disable=SC2054 # -B takes a comma-separated list
	args=(-b 256M -s shmem -t "$mode" -B 2M,all -r 2 -w 300ms -D "$work/dir")
	[ "$load" != none ] && args+=(-L "$load")
	args+=("${irq_opt[@]}")
	what="trial $t: SIG$sig at ${delay_ms} ms, -t $mode -L $load ${irq_opt[*]}"

	mem_before=$(mem_kb)
	# a script's background job ignores SIGINT; a user's Ctrl-C does not
	env --default-signal=INT,QUIT "$bin" "${args[@]}" > "$log" 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	ran=$(grep -cE '^(ok|not ok) ' "$log")
	finished=1
	grep -q '^# Totals' "$log" || { killed_during=$((killed_during + 1)); finished=0; }
	kill -"$sig" "$pid" 2>/dev/null
	gone_ms=$(wait_gone "$pid")
	wait "$pid" 2>/dev/null
	problems=""
	[ "$gone_ms" = -1 ] && problems+=" still running ${die_bound_ms} ms after the signal;"
	# the runner's timeout (TERM) and a Ctrl-C end the KTAP with a Bail out! line
	case $finished$sig in 0INT|0TERM)
		grep -q '^Bail out! ' "$log" || problems+=" no Bail out! line;" ;;
	esac
	# a SIGKILLed run leaves its steering to the next run: start one
	repaired=""
	if [ "$sig" = KILL ] && [ -e /run/kvm_stall_irq.state ]; then
		timeout 120 "$bin" -b 64M -t vm-destroy -w 10ms -D "$work/dir" > "$log.next" 2>&1
		repaired=" (next run removed its state file)"
		grep -q 'restored IRQ affinities' "$log.next" && repaired=" (next run repaired the steering)"
	fi
	left=$(leftovers)
	[ -n "$left" ] && problems+=" left: $(tr '\n' ';' <<< "$left")"
	[ "$(settings)" != "$before_settings" ] && problems+=" a setting or IRQ affinity changed;"
	# memory is given back once the exit's teardown has finished
	for _ in $(seq 50); do
		[ "$(mem_kb)" -le $((mem_before + mem_slack_kb)) ] && break
		sleep 0.1
	done
	mem_after=$(mem_kb)
	[ "$mem_after" -gt $((mem_before + mem_slack_kb)) ] &&
		problems+=" shmem+anon $((mem_before / 1024)) -> $((mem_after / 1024)) MiB;"
	if [ -z "$problems" ]; then
		echo "ok $t $what: gone in ${gone_ms} ms after $ran results$repaired"
		[ "$gone_ms" -gt "$worst" ] && worst=$gone_ms
		total=$((total + gone_ms))
	else
		echo "not ok $t $what:$problems"
		tail -n 3 "$log" | sed -e 's/^/# run: /'
		[ -f "$log.next" ] && tail -n 3 "$log.next" | sed -e 's/^/# next run: /'
		holders /run/kvm_stall_irq.state | sed -e 's/^/# state file open in: /'
	fi
	rm -f "$log.next"
done
echo "# $trials trials, seed $seed, $killed_during signalled while running;" \
	"gone after the signal: mean $((total / trials)) ms, worst $worst ms;" \
	"a load's interrupt movable here: $irq_movable"
