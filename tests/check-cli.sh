#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Command-line behaviour of the tests: a bad value is a usage error that
# names it and exits non-zero, -h exits 0, and an unmet requirement is a
# KTAP skip (exit 4), never a failure.
#
#   check-cli.sh KVM_OUT

set -uo pipefail

stall=$1/kvm_page_table_stall_test
probe=$1/stall_probe_test
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
		sed -e 's/^/#   /' <<< "$out" | tail -n 5
	fi
}

echo "TAP version 13"
echo "1..13"
expect 1 "'12Q'" "bad size named" "$stall" -b 12Q
expect 1 "'bogus'" "bad mode named" "$stall" -t munmap,bogus
expect 1 "'3X'" "bad batch named" "$stall" -B 2M,3X
expect 1 "'99999'" "bad CPU named" "$stall" -c 99999
expect 1 "'1us'" "probe period out of range named" "$stall" -i 1us
expect 1 "'no_such_src'" "bad backing named" "$stall" -s no_such_src
expect 1 "'-3'" "bad NUMA node named" "$stall" -n -3
expect 1 "'extra'" "stray argument named" "$stall" extra
expect 0 "teardown modes" "-h documents the modes" "$stall" -h
expect 4 "available memory" "region larger than memory is a skip" "$stall" -b 64T
expect 4 "hugepages" "hugetlb backing without reserved pages is a skip" \
	"$stall" -s anonymous_hugetlb_1gb -b 4G
expect 1 "'500ms'" "probe test: over-long stall named" "$probe" -d 500ms
expect 0 "-d:" "probe test: -h" "$probe" -h
