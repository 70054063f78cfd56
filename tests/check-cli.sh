#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Command-line behaviour of the tests: a bad value is a usage error that
# names it and exits non-zero, -h exits 0, and an unmet requirement is a
# KTAP skip (exit 4), never a failure. Then a table of bad values across
# every option: each must exit 1, name the value on stderr, and leave
# nothing behind (the run's directory, /run, tracefs). Then the mistakes a
# newcomer makes: a size or duration without its unit, a long option, a
# bad make variable (refused before anything builds), and Ctrl-C in make
# check's runner.
#
#   check-cli.sh KVM_OUT

set -uo pipefail

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"
stall=$(cd "$1" && pwd)/kvm_page_table_stall_test
probe=$(cd "$1" && pwd)/stall_probe_test
n=0

expect() {	# expect WANT_RC WANT_TEXT DESCRIPTION CMD...
	local want=$1 text=$2 what=$3 out rc
	shift 3
	out=$(timeout 120 "$@" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ $rc -eq "$want" ] && grep -qF -- "$text" <<< "$out"; then
		echo "ok $n $what"
	else
		echo "not ok $n $what"
		echo "# exit $rc (wanted $want), output:"
		# shellcheck disable=SC2001 # a prefix on every line
		sed -e 's/^/#   /' <<< "$out" | tail -n 5
	fi
}

# option, bad value, and what the message must quote (the value itself if empty)
bad_values() {
	cat <<'TABLE'
-b	12Q
-b	0
-b	-1
-b	4097
-b	1.5G
-b	 1G
-b	18446744073709551616
-b	16E
-v	0
-v	65
-v	x
-s	no_such_src
-c	99999
-c	 0
-c	0x1
-t	bogus
-t	munmap,
-t	,
-t	munmap,bogus	bogus
-B	3X
-B	18446744073709551615
-B	2M,,all
-B	0
-B	7371
-B	2M,3K	3K
-B	18446744073709547520
-m	99
-m	x1
-i	1us
-i	0x10us
-i	1e3us
-i	200ms
-i	1..5us
-i	.1ms
-w	1ms
-w	61s
-w	abc
-r	0
-r	65
-r	1.5
-l	abc
-l	0
-l	-1ms
-l	1e3
-S	bogus
-S	Target
-R	nan
-R	inf
-R	-1
-R	 4
-R	2000000
-R	.5
-T	nan
-T	1e999
-T	-1
-T	0.5
-n	 0
-n	-3
-n	0x0
-L	,
-L	tcp-stream:
-L	nope
-L	blk:bs=1
-L	blk:bs=4M:qd=1024
-L	blk::qd=4
-L	blk:qd=0
-L	tcp-rr:qd=0
-L	tcp-rr:msg=0
-L	tcp-rr,,blk
-L	tcp-rr:peer=192.0.2.300
-P	gpu
-D	/nonexistent
-Q	nan
-Q	101
-Q	 5
-Q	0x10
-W	0
-W	11s
TABLE
}

leftovers() (	# what a run may have left: in its directory, /run, tracefs
	shopt -s nullglob	# a pattern that matches nothing is no name
	ls -A "$1"
	for f in /run/kvm_stall_irq.* /sys/kernel/tracing/instances/kvmstall_*; do
		echo "${f##*/}"
	done
)

# kvm_case DESCRIPTION: whether a case that needs KVM can run here; if
# not, it is a skip (tests/check-vm.sh runs most of them in the testbed)
nokvm=$(host_kvm_why)
kvm_case() {
	[ -z "$nokvm" ] && return 0
	echo "ok $((n += 1)) $1 # SKIP no usable /dev/kvm here"
	return 1
}

nbad=$(bad_values | wc -l)
echo "TAP version 13"
echo "1..$((14 + nbad + 13 + 35))"
expect 1 "'12Q'" "bad size named" "$stall" -b 12Q
expect 1 "'bogus'" "bad mode named" "$stall" -t munmap,bogus
expect 1 "'3X'" "bad batch named" "$stall" -B 2M,3X
expect 1 "'99999'" "bad CPU named" "$stall" -c 99999
expect 1 "'1us'" "probe period out of range named" "$stall" -i 1us
expect 1 "'no_such_src'" "bad backing named" "$stall" -s no_such_src
expect 1 "'-3'" "bad NUMA node named" "$stall" -n -3
expect 1 "'extra'" "stray argument named" "$stall" extra
expect 1 "'100ms'" "a probe period over a tenth of the baseline named" "$stall" -i 100ms -w 200ms
expect 0 "teardown modes" "-h documents the modes" "$stall" -h
kvm_case "region larger than memory is a skip" &&
	expect 4 "available memory" "region larger than memory is a skip" "$stall" -b 64T
kvm_case "hugetlb backing without reserved pages is a skip" &&
	expect 4 "hugepages" "hugetlb backing without reserved pages is a skip" \
		"$stall" -s anonymous_hugetlb_1gb -b 4G
expect 1 "'500ms'" "probe test: over-long stall named" "$probe" -d 500ms
expect 0 "-d:" "probe test: -h" "$probe" -h

# The table: the run happens in an empty directory of its own.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while IFS=$'\t' read -r opt val named; do
	n=$((n + 1))
	named=${named:-$val}
	err=$(cd "$work" && timeout 60 "$stall" "$opt" "$val" 2>&1 > /dev/null)
	rc=$?
	left=$(leftovers "$work")
	if [ $rc -eq 1 ] && grep -qF -- "'$named'" <<< "$err" && [ -z "$left" ]; then
		echo "ok $n bad value: $opt '$val'"
	else
		echo "not ok $n bad value: $opt '$val'"
		echo "# exit $rc (wanted 1), stderr: $(tail -n 1 <<< "$err"), left: ${left:-nothing}"
	fi
done < <(bad_values)

# The results file goes where -j says without replacing what it does not
# own: a FIFO (and a symlink to one) and a character device are written in
# place and stay what they were; a path it cannot write is refused first.
dest=$(mktemp -d)
trap 'rm -rf "$work" "$dest"' EXIT
run_j() {	# run_j PATH: a short real run writing its results to PATH
	timeout 120 "$stall" -b 64M -t vm-destroy -w 20ms -j "$1" > "$dest/ktap" 2>&1
}
delivered() {	# delivered FILE: a whole results document arrived
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(d["schema"] != "kvm-stall-results")' "$1" 2> /dev/null
}
mkfifo "$dest/fifo"
ln -s "$dest/fifo" "$dest/link"
for via in fifo link; do
	kvm_case "-j through a $via: written in place" || continue
	timeout 150 cat "$dest/fifo" > "$dest/got-$via" &
	run_j "$dest/$via"
	rc=$?
	wait
	n=$((n + 1))
	if [ $rc = 4 ]; then
		echo "ok $n -j through a $via: written in place # SKIP $(grep -m1 SKIP "$dest/ktap")"
	elif [ $rc = 0 ] && [ -p "$dest/fifo" ] && { [ $via = fifo ] || [ -L "$dest/link" ]; } &&
	     delivered "$dest/got-$via"; then
		echo "ok $n -j through a $via: written in place, still what it was"
	else
		echo "not ok $n -j through a $via: exit $rc, $(ls -l "$dest/$via")"
	fi
done
if kvm_case "-j /dev/null: still the character device"; then
	run_j /dev/null
	rc=$?
	n=$((n + 1))
	if { [ $rc = 0 ] || [ $rc = 4 ]; } && [ -c /dev/null ]; then
		echo "ok $n -j /dev/null: still the character device"
	else
		echo "not ok $n -j /dev/null: exit $rc, $(ls -l /dev/null)"
	fi
fi
expect 1 "cannot write the results file '/proc/kvm-stall.json'" "-j where nothing can be made: refused first" \
	"$stall" -j /proc/kvm-stall.json
expect 1 "'$dest'" "-j naming a directory: refused" "$stall" -j "$dest"

# Environments a lab has: each a skip or an error with a message, never a crash.
short=(-b 64M -t vm-destroy -w 20ms)
expect_rc() {	# expect_rc RCS DESCRIPTION CMD...: the exit status is one of RCS (KVM needed)
	local want=$1 what=$2 rc
	shift 2
	kvm_case "$what" || return 0
	"$@" > "$dest/out" 2>&1
	rc=$?
	n=$((n + 1))
	case " $want " in
	*" $rc "*) echo "ok $n $what" ;;
	*) echo "not ok $n $what: exit $rc"; tail -n 3 "$dest/out" | sed -e 's/^/# /' ;;
	esac
}
# shellcheck disable=SC2016 # $0 and $@ are the inner bash's
expect_rc "0 4" "a 512K stack: main's parameters are not on it" \
	bash -c 'ulimit -s 512 && exec "$0" "$@"' "$stall" "${short[@]}"
# shellcheck disable=SC2016 # $0 and $@ are the inner bash's
expect_rc 1 "stdout on a full device: the lost results are a failure" \
	bash -c '"$0" "$@" > /dev/full' "$stall" "${short[@]}"
# shellcheck disable=SC2016 # $0 and $@ are the inner bash's
expect_rc 1 "stdout closed: the lost results are a failure" \
	bash -c '"$0" "$@" >&-' "$stall" "${short[@]}"
runner_timeout() {
	local rc

	timeout 2 "$stall" -b 256M -t madvise -B 4K -r 3 -w 20ms > "$dest/term" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc = 124 ] && grep -q '^Bail out! ' "$dest/term"; then
		echo "ok $n the runner's timeout (SIGTERM) ends the KTAP with Bail out!"
	elif [ $rc = 4 ]; then
		echo "ok $n the runner's timeout (SIGTERM) ends the KTAP with Bail out! # SKIP the test skipped"
	else
		echo "not ok $n the runner's timeout (SIGTERM): exit $rc, $(tail -n 1 "$dest/term")"
	fi
}
! kvm_case "the runner's timeout (SIGTERM) ends the KTAP with Bail out!" || runner_timeout
# judged DESCRIPTION RC WANT FILE PATTERN: ok when RC is WANT and FILE says PATTERN
judged() {
	n=$((n + 1))
	if [ "$2" = "$3" ] && grep -q -- "$5" "$4"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1: exit $2, $(tail -n 1 "$4")"
	fi
}
# a memory cgroup of 128M: a skip naming the memory, not the OOM killer
cg=/sys/fs/cgroup/memory/kvm-stall-check.$$
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup/kvm-stall-check.$$
	mkdir "$cg" && echo $((128 << 20)) > "$cg/memory.max"
elif [ -d /sys/fs/cgroup/memory ]; then
	mkdir "$cg" && echo $((128 << 20)) > "$cg/memory.limit_in_bytes"
fi
if ! kvm_case "a 128M memory cgroup and -b 512M: a skip naming the memory"; then
	[ ! -d "$cg" ] || rmdir "$cg"
elif [ -d "$cg" ]; then
	(echo "$BASHPID" > "$cg/cgroup.procs" && exec timeout 60 "$stall" -b 512M -t vm-destroy) \
		> "$dest/cg" 2>&1
	rc=$?
	rmdir "$cg"
	judged "a 128M memory cgroup and -b 512M: a skip naming the memory" $rc 4 "$dest/cg" \
		'available memory needed'
else
	echo "ok $((++n)) a 128M memory cgroup # SKIP no memory cgroup to make here"
fi
# a /dev/kvm that is not KVM (/dev/null bound over it, in a mount namespace of its own)
if ! kvm_case "a /dev/kvm that is not KVM: a skip saying so"; then
	:
elif unshare -m true 2> /dev/null; then
	# shellcheck disable=SC2016 # $0 and $@ are the inner bash's
	unshare -m bash -c 'mount --bind /dev/null /dev/kvm && exec "$0" "$@"' "$stall" "${short[@]}" \
		> "$dest/notkvm" 2>&1
	judged "a /dev/kvm that is not KVM: a skip saying so" $? 4 "$dest/notkvm" 'not KVM'
else
	echo "ok $((++n)) a /dev/kvm that is not KVM # SKIP no mount namespace here"
fi
# two runs on one test CPU: the second is a skip that says so
second_run() {
	local first rc

	"$stall" -c 0 -b 256M -t madvise -B 4K -r 3 -w 20ms > "$dest/first" 2>&1 &
	first=$!
	sleep 1
	"$stall" -c 0 "${short[@]}" > "$dest/second" 2>&1
	rc=$?
	kill "$first" 2> /dev/null
	wait "$first" 2> /dev/null
	if grep -q '^1\.\.0 # SKIP' "$dest/first"; then
		echo "ok $((++n)) a second run on the same test CPU # SKIP the first run skipped"
	else
		judged "a second run on the same test CPU: a skip saying so" $rc 4 "$dest/second" \
			'another run uses test CPU 0'
	fi
}
! kvm_case "a second run on the same test CPU: a skip saying so" || second_run
# a process with THP disabled (prctl) asking for THP backing: a skip, not a mislabelled point
expect_rc 4 "THP disabled for the process: anonymous_thp is a skip" \
	python3 -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)
os.execv(sys.argv[1], sys.argv[1:])' "$stall" -s anonymous_thp "${short[@]}"


# Mistakes a newcomer makes. A size or duration without its unit is
# refused naming the units (never read as us or bytes); counts and ratios
# take none.
expect 1 "invalid stall allowance (-l, more than 0) '1': no unit (ns, us, ms, s)" \
	"-l 1: a bare duration is refused, its units named" "$stall" -l 1
expect 1 "'512': no unit (B, K, M, G, T)" "-b 512: a bare size is refused, its units named" \
	"$stall" -b 512
expect 1 "'4096': no unit (B, K, M, G, T)" "-B 2M,4096: the bare item named" "$stall" -B 2M,4096
expect 1 "'100': no unit (ns, us, ms, s)" "-i 100: refused, not taken as 100 us" "$stall" -i 100
expect 1 "'200': no unit (ns, us, ms, s)" "-w 200: refused, not taken as 200 ms" "$stall" -w 200
expect 1 "'10': no unit (ns, us, ms, s)" "-W 10: refused" "$stall" -W 10
expect 1 "'tcp-rr:msg=64': no unit (B, K, M, G, T)" "-L tcp-rr:msg=64: a load's bare size refused" \
	"$stall" -L tcp-rr:msg=64
expect 0 "usage:" "counts, ratios, CPUs and a queue depth take no unit" \
	"$stall" -r 3 -v 1 -R 8 -T 0 -Q 90 -n -1 -L blk:bs=4K:qd=32,tcp-rr:msg=64B -h
expect 0 "a bare" "-h says sizes and durations take a unit" "$stall" -h
expect 1 "'2,5': no unit (ns, us, ms, s)" "probe test: -d 2,5 refused" "$probe" -d 2,5
expect 1 "'250': no unit (ns, us, ms, s)" "probe test: -t 250 refused" "$probe" -t 250

# A bad option is one line naming it and a hint, not the whole usage.
one_line() {	# one_line TEXT DESCRIPTION CMD...: exit 1, TEXT the one line on stderr, no usage
	local text=$1 what=$2 rc
	shift 2
	timeout 60 "$@" > "$dest/o1" 2> "$dest/e1"
	rc=$?
	n=$((n + 1))
	if [ $rc = 1 ] && [ "$(wc -l < "$dest/e1")" = 1 ] && grep -qF -- "$text" "$dest/e1" &&
	   grep -qF "see -h" "$dest/e1" && ! grep -q "usage:" "$dest/o1" "$dest/e1"; then
		echo "ok $n $what"
	else
		echo "not ok $n $what: exit $rc, $(wc -l < "$dest/e1") lines on stderr:"
		sed -e 's/^/# /' "$dest/e1" | head -n 3
	fi
}
one_line "unknown option '--size'" "--size 1G: one line naming it" "$stall" --size 1G
one_line "unknown option '-x'" "-x: one line naming it" "$stall" -b 64M -x
one_line "option '-b' needs a value" "-b with no value: one line saying so" "$stall" -b
one_line "unknown option '--cpu'" "probe test: --cpu 1: one line naming it" "$probe" --cpu 1

# make: a bad variable stops it with one line naming the value before
# anything is built or fetched (an empty BUILD stays empty), whatever make
# check itself was given.
root=$(cd "$(dirname "$0")/.." && pwd)
fresh=$(mktemp -d)
trap 'rm -rf "$work" "$dest" "$fresh"' EXIT
mk() {	# mk ARGS...: make in the tree, outside any make that runs this
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$root" "$@"
}
make_refuses() {	# make_refuses TEXT ARGS...: exit 2, TEXT on its one line, nothing built
	local text=$1 rc
	shift
	mk BUILD="$fresh" "$@" > "$dest/mk" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc = 2 ] && grep -qF -- "$text" "$dest/mk" && [ "$(grep -c . "$dest/mk")" -le 2 ] &&
	   [ -z "$(ls -A "$fresh")" ]; then
		echo "ok $n make $*: refused before building"
	else
		echo "not ok $n make $*: exit $rc, $(find "$fresh" -mindepth 1 -maxdepth 1 | wc -l) files built:"
		sed -e 's/^/# /' "$dest/mk" | head -n 3
	fi
}
make_refuses "invalid GRANULE '8k'" vm-run GRANULE=8k
make_refuses "invalid KVER '6.13'" KVER=6.13
make_refuses "KVER='6.12' and KVERSION='7.2' differ" KVER=6.12 KVERSION=7.2
make_refuses "invalid ICOUNT '2'" vm-run ICOUNT=2
make_refuses "invalid NUMA 'yes'" vm-run NUMA=yes
make_refuses "invalid BOOTS '0'" ab BOOTS=0
make_refuses "invalid CAND_KVER '7'" ab CAND_KVER=7
make_refuses "invalid VERDICT_GRANULES '4k 8k'" verdicts "VERDICT_GRANULES=4k 8k"
make_refuses "ARGS='-b 1G' and RUN_ARGS='-b 64M' differ" run "ARGS=-b 1G" "RUN_ARGS=-b 64M"
make_refuses "unknown check 'bogus'" check "CHECKS=unit bogus"
make_refuses "unknown variable 'ARG': did you mean ARGS?" run "ARG=-b 1G"
make_refuses "'64M' is not a target: the test's options go in ARGS" run -b 64M
make_refuses "report: results file '$fresh/none.json' does not exist" report "RESULTS=$fresh/none.json"

# scripts/run.sh: make run, with the outcome as its status (make exits 2)
build=$(cd "$1/../../.." && pwd)
run_status() {	# run_status WANT DESCRIPTION VARIABLES...
	local want=$1 what=$2 rc
	shift 2
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 300 "$root/scripts/run.sh" BUILD="$build" "$@" \
		> "$dest/run" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc = "$want" ]; then
		echo "ok $n scripts/run.sh $what: status $rc"
	else
		echo "not ok $n scripts/run.sh $what: status $rc, wanted $want"
		tail -n 3 "$dest/run" | sed -e 's/^/# /'
	fi
}
run_status 3 "with a variable make refuses" "ARG=-b 64M"
run_status 3 "when the build fails (KSRC not a kernel tree)" KSRC="$fresh"
if [ -z "$(host_kvm_why)" ]; then
	run_status 4 "on a region larger than memory (a skip)" RUN_ON=host "ARGS=-b 64T"
	run_status 1 "with an option the test refuses" RUN_ON=host "ARGS=-b 3X"
else
	# the host's program skips without KVM; 6.12's vm-destroy holds the
	# CPU past the target tier in the testbed (docs/verdicts.md)
	run_status 4 "on the host without KVM (a skip)" RUN_ON=host
	run_status 1 "on a point over budget (the testbed's 6.12 vm-destroy)" RUN_ON=testbed \
		"ARGS=-S target -b 64M -t vm-destroy"
fi

# One name for the test's arguments; each target keeps its default.
args_of() {	# args_of MAKE-ARGS...: what the test would be given
	# shellcheck disable=SC2016 # make expands these, not the shell
	mk -s BUILD="$fresh" --eval 'stall-args: ; @echo "[$(call test_args,$(VM_ARGS_OF))]"' \
		stall-args "$@" 2>&1
}
# shellcheck disable=SC2016 # make expands these, not the shell
got="$(args_of 'ARGS=-b 64M') $(args_of 'RUN_ARGS=-b 64M') $(args_of) $(args_of VM_ARGS_OF='$(VM_ARGS)')"
# shellcheck disable=SC2016 # make expands these, not the shell
got+=" $(args_of VM_ARGS_OF='$(VM_ARGS)' ARGS=) $(mk -s BUILD="$fresh" KVERSION=7.2 --eval 'x: ; @echo $(KVER)' x)"
want="[-b 64M] [-b 64M] [] [-b 256M -t madvise -B 2M,all] [] 7.2"
n=$((n + 1))
if [ "$got" = "$want" ] && [ -z "$(ls -A "$fresh")" ]; then
	echo "ok $n make: ARGS and RUN_ARGS alike, KVERSION sets KVER, run's and vm-run's defaults kept"
else
	echo "not ok $n make: ARGS, RUN_ARGS, KVERSION: got '$got', wanted '$want'"
fi

# make check's plan: every check with its time, the total; then Ctrl-C
# (SIGINT to run-checks.sh alone, as the terminal sends it: the check
# runs in a process group of its own) stops the running check at once:
# the check gets SIGTERM, run-checks says what ran and exits 130.
"$root/tests/run-checks.sh" --plan "$fresh" "$fresh" > "$dest/plan" 2>&1
rc=$?
n=$((n + 1))
if [ $rc = 0 ] && grep -qE '^check: plan: [0-9]+ checks' "$dest/plan" &&
   grep -qE '^ +[0-9]+ testbed +~' "$dest/plan" && grep -qE '^check: expected total ~[0-9]+ min' "$dest/plan" &&
   grep -q '^check: downloads' "$dest/plan" && [ -z "$(ls -A "$fresh")" ]; then
	echo "ok $n run-checks --plan: the checks, their times, downloads, the total; nothing run"
else
	echo "not ok $n run-checks --plan: exit $rc"
	sed -e 's/^/# /' "$dest/plan" | head -n 5
fi
mkdir -p "$fresh/unit"
cat > "$fresh/unit/stall_unit_test" <<'FAKE'
#!/bin/bash
# a check that takes long and says when SIGTERM reached it
trap 'echo term > "$(dirname "$0")/term"; exit 143' TERM
echo $$ > "$(dirname "$0")/pid"
sleep 120 & wait
FAKE
chmod +x "$fresh/unit/stall_unit_test"
setsid env --default-signal=INT "$root/tests/run-checks.sh" "$fresh" "$fresh" unit > "$dest/int" 2>&1 &
rc_pid=$!
for ((i = 0; i < 100; i++)); do [ ! -s "$fresh/unit/pid" ] || break; sleep 0.1; done
start=$SECONDS
kill -INT "$rc_pid"
for ((i = 0; i < 300; i++)); do kill -0 "$rc_pid" 2> /dev/null || break; sleep 0.1; done
kill -KILL -- -"$rc_pid" 2> /dev/null
wait "$rc_pid"
rc=$?
took=$((SECONDS - start))
n=$((n + 1))
if [ $rc = 130 ] && [ $took -le 5 ] && [ -f "$fresh/unit/term" ] &&
   ! kill -0 "$(cat "$fresh/unit/pid")" 2> /dev/null && grep -q '^check: interrupted' "$dest/int"; then
	echo "ok $n Ctrl-C stops run-checks at once: exit 130, the check got SIGTERM, ${took} s"
else
	echo "not ok $n Ctrl-C: exit $rc (wanted 130) after $took s, SIGTERM seen: $(ls "$fresh/unit")"
	sed -e 's/^/# /' "$dest/int" | tail -n 3
fi
