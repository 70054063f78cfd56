#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The sanitizer build (make SANITIZE=1: ASan and UBSan on the suite's host
# code): the unit tests, then a short real sweep with every mode's
# machinery, loads and the process-exit child. A finding aborts the run;
# any sanitizer report, or a status that is not a KTAP one, fails.
# Verdicts of the sweep are not judged here (check-sweep.sh does that).
# Where this host has no usable /dev/kvm, the sweep runs in the arm64
# testbed (Debian's 6.12, 4K pages, no -icount) with the arm64 sanitizer
# build (make sanitize makes it there), its loader and its libraries.
#
#   check-sanitize.sh UNIT_TEST KVM_OUT BUILD

set -uo pipefail

unit=$1
bin=$2/kvm_page_table_stall_test
dir=$(cd "$3" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
n=0
log=$(mktemp)
trap 'rm -f "$log" "$log.build"' EXIT

# a finding must not read as a test's "not ok" (status 1)
export ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

findings() {
	grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 5
}

# sanitized: the binary calls into both runtimes (no grep -q on a pipe:
# its early exit is a SIGPIPE that pipefail reports)
sanitized() {
	local syms nm=nm

	[ "$(od -An -tx2 -j18 -N2 "$1" | tr -d ' ')" = 00b7 ] && nm=aarch64-linux-gnu-nm
	syms=$($nm -D "$1" 2>/dev/null)
	grep '__asan_init' <<< "$syms" > /dev/null && grep '__ubsan_handle' <<< "$syms" > /dev/null
}

# needed BIN: the shared libraries BIN needs, theirs included
needed() {
	local lib=/usr/aarch64-linux-gnu/lib have=() next f

	next=$(aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	while [ -n "$next" ]; do
		f=${next%%$'\n'*}
		next=$( [ "$f" = "$next" ] || echo "${next#*$'\n'}")
		[[ " ${have[*]} " == *" $f "* ]] && continue
		have+=("$f")
		next=$(printf '%s\n' "$next" "$(aarch64-linux-gnu-readelf -d "$lib/$f" |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')" | sed '/^$/d')
	done
	printf '%s\n' "${have[@]}"
}

# testbed_sanitize BIN OPTIONS...: BIN (the arm64 sanitizer build) run in
# the testbed by tests/guest/sanitize.sh, with the loader and libraries it
# needs from the cross toolchain; prints what it printed, exits with its status
testbed_sanitize() {
	local bin=$1 k lib=/usr/aarch64-linux-gnu/lib adds=() f out rc

	shift
	make -s -C "$root" BUILD="$dir" initramfs > "$log.build" 2>&1 &&
		k=$("$root/scripts/get-kernel.sh" 6.12 4k "$dir/testbed" 2>> "$log.build")
	if [ -z "${k:-}" ] || [ ! -x "$bin" ]; then
		tail -n 5 "$log.build"
		echo "testbed or arm64 sanitizer build missing"
		return 2
	fi
	for f in $( (needed "$bin"; echo ld-linux-aarch64.so.1) | sort -u); do
		adds+=(--add "$lib/$f")
	done
	out=$("$root/scripts/vm-run.sh" --kernel "$k" --initrd "$dir/testbed/initramfs-6.12.cpio.gz" \
		--timeout 900 --add "$root/tests/guest/sanitize.sh" --add "$bin" "${adds[@]}" \
		-- sh /sanitize.sh "$@" 2>&1)
	rc=$?
	echo "$out"
	rc=$(sed -n 's/^SANITIZE-STATUS \([0-9]*\)$/\1/p' <<< "$out" | tail -n 1)
	return "${rc:-2}"
}

echo "TAP version 13"
echo "1..4"

why=$(host_kvm_why)
[ -z "$why" ] || bin=$dir/arm64-san/linux-source-6.12/kvm/kvm_page_table_stall_test
sanitized "$unit" && sanitized "$bin"
result $? "both programs are built with the sanitizers${why:+ (the test for arm64)}"

timeout 120 "$unit" > "$log" 2>&1
rc=$?
f=$(findings)
# shellcheck disable=SC2001 # a prefix on every line
[ -z "$f" ] || sed -e 's/^/# /' <<< "$f"
result "$([ $rc = 0 ] && [ -z "$f" ] && echo 0 || echo 1)" "unit tests, sanitized (status $rc)"

# every teardown mode, a partial batch and one call, two loads, the
# process-exit child: the host code's paths, under the sanitizers
sweep="-b 128M -s shmem -B 2M,all -r 1 -L tcp-rr,blk"
if [ -z "$why" ]; then
	# shellcheck disable=SC2086 # $sweep: options, a word each
	timeout 900 "$bin" $sweep -D "$dir" > "$log" 2>&1
	rc=$?
else
	echo "# this host: $why; the sweep runs in the arm64 testbed"
	# shellcheck disable=SC2046 # the sweep's options after -b, a word each
	testbed_sanitize "$bin" -b 64M $(cut -d' ' -f3- <<< "$sweep") -D /tmp/blk \
		-i 1ms -W 100ms -w 1s > "$log" 2>&1
	rc=$?
fi
f=$(findings)
# shellcheck disable=SC2001 # a prefix on every line
[ -z "$f" ] || sed -e 's/^/# /' <<< "$f"
grep -E '^(ok|not ok) ' "$log" | sed -e 's/^/# /' | tail -n 8
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
got=$(grep -cE '^(ok|not ok) [0-9]+ ' "$log")
result "$([ $rc -le 1 ] && [ -z "$f" ] && echo 0 || echo 1)" \
	"sweep with loads, sanitized${why:+, in the testbed}: no finding (status $rc)"
result "$([ -n "$plan" ] && [ "$got" = "$plan" ] && echo 0 || echo 1)" \
	"sanitized sweep: every point has a result ($got of ${plan:-?})"
