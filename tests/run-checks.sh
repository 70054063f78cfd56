#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: every check prints KTAP; this runs them in turn, keeps each
# log under BUILD/check/, and ends with one "N passed, N failed, N skipped"
# line counting the results of all of them.
#
#   run-checks.sh BUILD KVM_OUT [CHECK...]

set -uo pipefail

build=$1
kvm_out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
logs=$build/check
mkdir -p "$logs"

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(unit probe sweep contrast cli blkdev results report lava loads interrupts sanitize
		fuzz arm64 install-tree series testbed time)

pass=0 fail=0 skip=0
# each check bounds its runs itself: no time budget in them but their own
# (kvm_page_table_stall_test takes the runner's kselftest_timeout for one)
export kselftest_timeout=0

# run NAME TIMEOUT CMD...: the whole check is bounded, like every wait here.
run() {
	local name=$1 limit=$2 rc p f s
	shift 2
	echo "=== $name: $*"
	timeout --kill-after=10 "$limit" "$@" > "$logs/$name.log" 2>&1
	rc=$?
	sed -e 's/^/    /' "$logs/$name.log" | grep -v '^    #\s*$' | tail -n 60
	p=$(grep -cE '^ok [0-9]+' "$logs/$name.log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+.*# SKIP' "$logs/$name.log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$logs/$name.log" | tr -d ' ')
	p=$((p - s))
	# a whole-program skip (exit 4) counts once; any other bad exit fails
	if [ $rc -eq 4 ] && [ $((p + f)) -eq 0 ]; then
		s=$((s + 1))
	elif [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		echo "    $name: exited with status $rc"
		f=1
	fi
	echo "=== $name: $p passed, $f failed, $s skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for c in "${checks[@]}"; do
	case $c in
	unit)
		run unit 60 "$build/unit/stall_unit_test" ;;
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
	results)
		run results 900 "$here/check-results.sh" "$kvm_out" ;;
	report)
		run report 600 "$here/check-report.sh" "$kvm_out" ;;
	lava)
		run lava 900 "$here/check-lava.sh" "$kvm_out" ;;
	interrupts)
		# 12 seeded trials here; make trials runs more (see README)
		run interrupts 900 "$here/check-interrupts.sh" "$kvm_out" "$build" 12 1 ;;
	sanitize)
		run sanitize 1200 make -s -C "$here/.." BUILD="$build" sanitize ;;
	fuzz)
		run fuzz 600 make -s -C "$here/.." BUILD="$build" FUZZ_TIME=30 fuzz ;;
	arm64)
		run arm64 900 "$here/check-arm64-build.sh" "$build" ;;
	loads)
		run loads 1800 "$here/check-loads.sh" "$kvm_out" "$build" ;;
	testbed)
		run testbed 4500 bash -c "make -C '$here/..' BUILD='$build' initramfs > '$logs/initramfs.log' 2>&1 &&
			'$here/check-testbed.sh' '$build'" ;;
	series)
		run series 1800 "$here/check-series.sh" "$build" ;;
	install-tree)
		run install-tree 2400 "$here/check-install-tree.sh" "$build" ;;
	*)
		echo "run-checks: unknown check '$c'" >&2
		exit 2 ;;
	esac
done

echo "check: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
