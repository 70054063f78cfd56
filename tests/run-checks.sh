#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: every check prints KTAP; this runs them in turn, keeps each
# log under BUILD/check/, and ends with one "N passed, N failed, N skipped"
# line counting the results of all of them. The testbed check runs beside
# the recipes: its -icount boots are virtual time, whatever runs beside
# them, and each is one host thread. First it prints its plan: the
# checks, each one's expected wall time, what will be downloaded, the
# total. Ctrl-C (SIGINT) or SIGTERM stops the running check at once, lets
# it restore what it changed, says what ran, and exits 130.
#
#   run-checks.sh [--plan|--planned] BUILD KVM_OUT [CHECK...]
#
# --plan prints the plan and the check names' errors only; --planned
# runs without printing the plan again (make check printed it before
# building).

set -uo pipefail

show_plan=1 do_run=1
case ${1:-} in
--plan) do_run=0; shift ;;
--planned) show_plan=0; shift ;;
esac
if [ $# -lt 2 ]; then
	echo "usage: run-checks.sh [--plan|--planned] BUILD KVM_OUT [CHECK...]" >&2
	exit 2
fi
build=$1
kvm_out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
logs=$build/check

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(unit pyunit shellcheck probe sweep contrast cli blkdev vm results report lava loads interrupts
		sanitize fuzz arm64 install-tree series names testbed recipes time)

# Expected wall time of each check in seconds on this project's 2-CPU
# machines, everything downloaded and built (docs/make-check.md); a
# check not listed here is planned at its time limit.
declare -A expect=(
	[unit]=1 [pyunit]=1 [shellcheck]=10 [probe]=3 [sweep]=90 [contrast]=45 [cli]=10 [blkdev]=5 [results]=5
	[report]=45 [lava]=5 [loads]=30 [interrupts]=35 [sanitize]=50 [fuzz]=55 [arm64]=5
	[install-tree]=150 [series]=95 [names]=15 [testbed]=560 [recipes]=345 [time]=15 [vm]=1
)
# Without KVM here, the program's checks on this host are skips, and the
# vm check runs its behaviour in the arm64 testbed instead
# (tests/check-vm.sh); the recipes' make run goes to the testbed too.
kvm_here=1
if ! host_kvm=$("$here/../scripts/host-kvm.sh"); then
	kvm_here=0
	expect+=([sweep]=1 [contrast]=1 [loads]=1 [interrupts]=1 [time]=1 [results]=5 [report]=25
		 [lava]=5 [sanitize]=130 [vm]=100 [recipes]=420 [names]=40 [cli]=50 [testbed]=390
		 [install-tree]=180 [series]=125)
fi
# what a fresh machine adds: the part of the 64K kernel's first build
# (~430 s alone; cached afterwards) that the host checks do not hide,
# the suite's first build with the tree's headers
K64_BUILD_S=30
FIRST_BUILD_S=60

# first_s NAME: what the check adds on a fresh machine, building what
# later runs find built (measured from a fresh clone on 2 CPUs without
# KVM, docs/make-check.md): the testbed's arm64 build (cli's make run
# there), the arm64 sanitizer build, and the copies of the 6.12 and 7.2
# trees with their kvm selftests built (install-tree, then series' per
# patch builds)
built() {	# built FILE...: whether a glob's first match is there
	[ -x "$1" ]
}

first_s() {
	case $1 in
	cli)
		[ $kvm_here = 1 ] || built "$build"/arm64/*/kvm/kvm_page_table_stall_test ||
			echo 60 ;;
	sanitize)
		[ $kvm_here = 1 ] || built "$build"/arm64-san/*/kvm/kvm_page_table_stall_test ||
			echo 90 ;;
	install-tree)
		[ -d "$build/trees/ks-7.2" ] || echo 200 ;;
	series)
		[ -d "$build/trees/each-7.2-arm64" ] || echo 180 ;;
	esac
}

pass=0 fail=0 skip=0
# each check bounds its runs itself: no time budget in them but their own
# (kvm_page_table_stall_test takes the runner's kselftest_timeout for one)
export kselftest_timeout=0
phase=plan nr=0 at=0 planned_s=0 running='' running_name=''
# the check running beside the others (beside()), until join()
bg='' bg_name='' bg_start=0 bg_at=0 bg_left=0
plan_lines=() ran=()

fmt_s() {	# fmt_s SECONDS: "45 s", "3 min 05 s"
	if [ "$1" -lt 60 ]; then
		echo "$1 s"
	else
		printf '%d min %02d s\n' $(($1 / 60)) $(($1 % 60))
	fi
}

checks_n() {	# checks_n N: "1 check", "17 checks"
	if [ "$1" = 1 ]; then echo "1 check"; else echo "$1 checks"; fi
}

# plan_add NAME LIMIT [beside]: the check's line in the plan, and its time
# in the total; a check beside the next ones adds what they leave over
plan_add() {
	local name=$1 limit=$2 t f note=

	nr=$((nr + 1))
	t=${expect[$name]:-}
	if [ -z "$t" ]; then
		t=$limit
		note=" (no measured time: its limit)"
	fi
	f=$(first_s "$name")
	if [ -n "$f" ]; then
		t=$((t + f))
		note=" (with its first build, $(fmt_s "$f"))"
	fi
	if [ "$name" = testbed ] && ! ls -d "$build"/testbed/built-6.12-64k-*/.ok > /dev/null 2>&1; then
		t=$((t + K64_BUILD_S))
		note=" (with the rest of the 64K kernel's first build, $(fmt_s $K64_BUILD_S))"
	fi
	if [ "${3:-}" = beside ]; then
		bg_name=$name bg_left=$t
		note+=" (beside the recipes)"
	else
		planned_s=$((planned_s + t))
		bg_left=$((bg_left > t ? bg_left - t : 0))
	fi
	plan_lines+=("$(printf '  %2d %-13s ~%s%s' $nr "$name" "$(fmt_s "$t")" "$note")")
}

planned() {	# planned NAME...: whether any of the checks is in the plan
	local c n

	for c in "${checks[@]}"; do
		for n in "$@"; do
			[ "$c" != "$n" ] || return 0
		done
	done
	return 1
}

# What the planned checks fetch on this machine, from what is cached.
downloads() {
	local k missing

	missing=$("$here/../scripts/deps.sh" --missing build arm64 testbed kernel fuzz results report 2> /dev/null)
	[ -z "$missing" ] || echo "Debian packages (apt): $missing"
	if planned install-tree series && [ ! -f "$build/src/linux-source-7.2/.unpacked" ]; then
		echo "Debian linux-source-7.2 from unstable (164 MB)"
	fi
	if planned install-tree series arm64 testbed && [ ! -f "$build/src/linux-source-6.12/.unpacked" ] &&
	   [ ! -f /usr/src/linux-source-6.12.tar.xz ]; then
		echo "Debian linux-source-6.12 (apt)"
	fi
	planned testbed || return 0
	for k in 6.12-4k:92 6.12-16k:92 7.2-4k:12; do
		[ -f "$build/testbed/debian-${k%:*}/.ok" ] ||
			echo "arm64 kernel package ${k%:*} (${k#*:} MB)"
	done
	[ -f "$build/testbed/busybox-arm64" ] || echo "Debian busybox-static for arm64 (1 MB)"
}

print_plan() {
	local d

	echo "check: plan: $(checks_n ${#plan_lines[@]}), expected wall time on a 2-CPU machine"
	echo "check: this host: $host_kvm"
	if [ ! -x "$kvm_out/kvm_page_table_stall_test" ]; then
		planned_s=$((planned_s + FIRST_BUILD_S))
		printf '      %-13s ~%s\n' "(first build)" "$(fmt_s $FIRST_BUILD_S)"
	fi
	printf '%s\n' "${plan_lines[@]}"
	d=$(downloads)
	if [ -n "$d" ]; then
		echo "check: downloads:"
		# shellcheck disable=SC2001 # a prefix on every line
		sed -e 's/^/    /' <<< "$d"
	else
		echo "check: downloads: none, everything is here"
	fi
	echo "check: expected total ~$(fmt_s $planned_s); Ctrl-C stops it"
}

# Ctrl-C or SIGTERM: the running check runs under timeout(1) in a process
# group of its own, which the terminal's SIGINT does not reach. timeout
# passes SIGTERM to that group (the tests and check scripts restore what
# they changed on SIGTERM) and SIGKILL 10 s later; whatever of the group
# is left 5 s after that is killed.
on_signal() {
	trap '' INT TERM
	[ -z "$running" ] || stop_check "$running" "$running_name" "$running_start"
	[ -z "$bg" ] || stop_check "$bg" "$bg_name" "$bg_start"
	stop_prefetch
	echo "check: interrupted after $(fmt_s $SECONDS); ran ${#ran[@]} of $nr:"
	[ ${#ran[@]} -eq 0 ] || printf '    %s\n' "${ran[@]}"
	echo "check: $pass passed, $fail failed, $skip skipped (interrupted)"
	exit 130
}

stop_check() {	# stop_check PID NAME START: a running check and what it started
	local i

	echo "=== $2: interrupted after $(fmt_s $((SECONDS - $3))), stopping it (log: $logs/$2.log)"
	kill -TERM "$1" 2> /dev/null
	wait "$1"
	for ((i = 0; i < 50; i++)); do
		kill -0 -- -"$1" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL -- -"$1" 2> /dev/null
}

# The 64K kernel's first build (~7 min on 2 CPUs) is the long pole of a
# fresh machine's make check. It starts with the first check, at the
# lowest priority, in the time the host checks leave idle; the testbed
# check's get-kernel.sh waits for it (build-kernel.sh's lock) instead of
# building it again, and returns at once where it is cached. In a
# session of its own, stopped with the run.
prefetch=
prefetch_64k() {
	planned testbed && [ -z "${TESTBED_SKIP_64K:-}" ] || return 0
	setsid nice -n 19 "$here/../scripts/get-kernel.sh" 6.12 64k "$build/testbed" \
		> "$logs/kernel-64k.log" 2>&1 < /dev/null &
	prefetch=$!
}

stop_prefetch() {
	local i

	[ -n "$prefetch" ] && kill -0 "$prefetch" 2> /dev/null || return 0
	kill -TERM -- -"$prefetch" 2> /dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 -- -"$prefetch" 2> /dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- -"$prefetch" 2> /dev/null
}

# run NAME TIMEOUT CMD...: the whole check is bounded, like every wait here.
# Planning, it only notes the check.
run() {
	local name=$1 limit=$2
	shift 2
	if [ $phase = plan ]; then
		plan_add "$name" "$limit"
		return
	fi
	at=$((at + 1))
	echo "=== [$at/$nr] $name: $*"
	launch "$name" "$limit" "$@"
	running=$! running_name=$name running_start=$SECONDS
	finish "$name" "$running" "$running_start" "$at"
	running=
}

# beside NAME TIMEOUT CMD...: run's, in the background until join()
beside() {
	local name=$1 limit=$2
	shift 2
	if [ $phase = plan ]; then
		plan_add "$name" "$limit" beside
		return
	fi
	at=$((at + 1))
	echo "=== [$at/$nr] $name: $* (beside the recipes; its results after theirs)"
	launch "$name" "$limit" "$@"
	bg=$! bg_name=$name bg_start=$SECONDS bg_at=$at
}

join() {	# the check beside the others, waited for
	[ -n "$bg_name" ] || return 0
	if [ $phase = plan ]; then
		planned_s=$((planned_s + bg_left))
		bg_name='' bg_left=0
		return
	fi
	finish "$bg_name" "$bg" "$bg_start" "$bg_at"
	bg='' bg_name=''
}

launch() {	# launch NAME TIMEOUT CMD...: the check in the background, output in its log
	local name=$1 limit=$2
	shift 2
	timeout --kill-after=10 "$limit" "$@" > "$logs/$name.log" 2>&1 < /dev/null &
}

# finish NAME PID START AT: the check's end, its log's tail and its counts
finish() {
	local name=$1 pid=$2 start=$3 at=$4 rc p f s

	wait "$pid"
	rc=$?
	sed -e 's/^/    /' "$logs/$name.log" | grep -v '^    #\s*$' | tail -n 60
	p=$(grep -cE '^ok [0-9]+' "$logs/$name.log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+.*# SKIP' "$logs/$name.log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$logs/$name.log" | tr -d ' ')
	p=$((p - s))
	# a whole-program skip (exit 4) counts once; any other bad exit fails
	if [ $rc -eq 4 ] && [ $((p + f)) -eq 0 ]; then
		s=$((s + 1))
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "    $name: exited with status $rc"
		f=1
	fi
	echo "=== [$at/$nr] $name: $p passed, $f failed, $s skipped" \
	     "($(fmt_s $((SECONDS - start))); $(fmt_s $SECONDS) of ~$(fmt_s $planned_s))"
	ran+=("$name: $p passed, $f failed, $s skipped")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# prepare_testbed: the testbed's initramfs and kernels, before the check
# and the recipes beside it use them (log: initramfs.log)
prepare_testbed() {
	[ $phase = run ] || return 0
	echo "=== testbed: its initramfs and kernels first"
	launch initramfs 3600 "$here/check-testbed.sh" --prepare "$build"
	running=$! running_name=initramfs running_start=$SECONDS
	wait $running || echo "    testbed: no initramfs or kernels, see $logs/initramfs.log"
	running=
}

# The case below runs twice: planning (run() notes each check, and an
# unknown name stops everything before anything ran), then running.
each_check() {
for c in "${checks[@]}"; do
	# only the recipes run beside the testbed check
	[ "$c" = recipes ] || join
	case $c in
	unit)
		run unit 60 "$build/unit/stall_unit_test" ;;
	pyunit)
		# the results reader's own tests: no KVM, no run
		run pyunit 60 /usr/bin/python3 "$here/test_stall_results.py" ;;
	shellcheck)
		run shellcheck 120 "$here/check-shellcheck.sh" ;;
	probe)
		run probe 120 "$kvm_out/stall_probe_test" ;;
	sweep)
		# every mode on the host's KVM, shmem so that punch runs too: the
		# machinery and the contract; host verdicts are reported, not judged
		run sweep 1800 "$here/check-sweep.sh" "$kvm_out" -b 512M -s shmem -B 2M,32M,all -r 3 ;;
	contrast)
		run contrast 1200 "$here/check-contrast.sh" "$kvm_out" ;;
	cli)
		run cli 300 "$here/check-cli.sh" "$kvm_out" ;;
	time)
		# the run's time budget (-d, the settings file): a sweep that cannot fit
		run time 300 "$here/check-time.sh" "$kvm_out" ;;
	blkdev)
		# loop devices made and removed here stand for every route of use
		run blkdev 300 "$here/check-blkdev.sh" "$kvm_out" ;;
	vm)
		# the program where KVM is, where this host has none: the arm64 testbed
		run vm 1800 "$here/check-vm.sh" "$build" ;;
	results)
		run results 900 "$here/check-results.sh" "$kvm_out" ;;
	report)
		run report 600 "$here/check-report.sh" "$kvm_out" ;;
	lava)
		run lava 900 "$here/check-lava.sh" "$kvm_out" ;;
	interrupts)
		# 12 seeded trials here; make trials runs more (docs/robustness.md)
		run interrupts 900 "$here/check-interrupts.sh" "$kvm_out" "$build" 12 1 ;;
	sanitize)
		run sanitize 1200 make -s -C "$here/.." BUILD="$build" sanitize ;;
	fuzz)
		run fuzz 600 make -s -C "$here/.." BUILD="$build" FUZZ_TIME=15 fuzz ;;
	arm64)
		run arm64 900 "$here/check-arm64-build.sh" "$build" ;;
	loads)
		run loads 1800 "$here/check-loads.sh" "$kvm_out" "$build" ;;
	testbed)
		prepare_testbed
		if planned recipes; then
			beside testbed 4500 "$here/check-testbed.sh" "$build"
		else
			run testbed 4500 "$here/check-testbed.sh" "$build"
		fi ;;
	series)
		run series 1800 "$here/check-series.sh" "$build" ;;
	install-tree)
		run install-tree 2400 "$here/check-install-tree.sh" "$build" ;;
	names)
		# LKFT's names of the runner's output, two runs with noisy skips
		run names 600 "$here/check-names.sh" "$build" "$kvm_out" ;;
	recipes)
		# after testbed: the README's recipes reuse its kernels and initramfs
		run recipes 2400 "$here/check-recipes.sh" "$build"
		join ;;
	*)
		echo "run-checks: unknown check '$c' (see tests/run-checks.sh)" >&2
		exit 2 ;;
	esac
done
join
}

each_check
if [ $do_run = 0 ]; then
	print_plan
	exit 0
fi
if [ $show_plan = 1 ]; then
	print_plan
else
	echo "check: $(checks_n ${#plan_lines[@]}), expected ~$(fmt_s $planned_s); Ctrl-C stops it"
fi
mkdir -p "$logs"
trap on_signal INT TERM
phase=run SECONDS=0
prefetch_64k
each_check
stop_prefetch
echo "check: $pass passed, $fail failed, $skip skipped in $(fmt_s $SECONDS)"
[ $fail -eq 0 ]
