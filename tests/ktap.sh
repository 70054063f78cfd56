# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Sourced by the check-*.sh scripts: one KTAP result line, numbered from
# the script's own counter n (set to 0 before the first result).

result() {	# result STATUS DESCRIPTION: status 0 is ok, anything else not ok
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

# host_kvm_why: empty where this host's /dev/kvm is KVM, else why not
host_kvm_why() {
	local why

	why=$("$(dirname "${BASH_SOURCE[0]}")/../scripts/host-kvm.sh") || echo "$why"
}

# testbed_run BUILD: the directory with the results file and KTAP of the
# run that tests/check-vm.sh made in the testbed, where it made one
testbed_run() {
	[ -s "$1/check/vm-run/results.json" ] && [ -s "$1/check/vm-run/ktap" ] &&
		echo "$1/check/vm-run"
}

# host_kvm_or_skip: a check of the program on this host is one skip (exit 4)
# where there is no KVM here; tests/check-vm.sh runs the program in the testbed
host_kvm_or_skip() {
	local why

	why=$(host_kvm_why)
	[ -z "$why" ] && return 0
	echo "1..0 # SKIP $why: the vm check runs the program in the arm64 testbed"
	exit 4
}
