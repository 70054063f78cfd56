#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The sanitizer build (make SANITIZE=1: ASan and UBSan on the suite's host
# code): the unit tests, then a short real sweep with every mode's
# machinery, loads and the process-exit child. A finding aborts the run;
# any sanitizer report, or a status that is not a KTAP one, fails.
# Verdicts of the sweep are not judged here (check-sweep.sh does that).
#
#   check-sanitize.sh UNIT_TEST KVM_OUT SCRATCH_DIR

set -uo pipefail

unit=$1
bin=$2/kvm_page_table_stall_test
dir=$(cd "$3" && pwd)
n=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# a finding must not read as a test's "not ok" (status 1)
export ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87

. "$(dirname "$0")/ktap.sh"

findings() {
	grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 5
}

# sanitized: the binary calls into both runtimes (no grep -q on a pipe:
# its early exit is a SIGPIPE that pipefail reports)
sanitized() {
	local syms

	syms=$(nm -D "$1" 2>/dev/null)
	grep '__asan_init' <<< "$syms" > /dev/null && grep '__ubsan_handle' <<< "$syms" > /dev/null
}

echo "TAP version 13"
echo "1..4"

sanitized "$unit" && sanitized "$bin"
result $? "both programs are built with the sanitizers"

timeout 120 "$unit" > "$log" 2>&1
rc=$?
f=$(findings)
sed -e 's/^/# /' <<< "$f"
result "$([ $rc = 0 ] && [ -z "$f" ] && echo 0 || echo 1)" "unit tests, sanitized (status $rc)"

why=$(host_kvm_why)
if [ -n "$why" ]; then
	echo "ok 3 sweep with loads, sanitized # SKIP $why"
	echo "ok 4 sanitized sweep: every point has a result # SKIP $why"
	exit 0
fi
# every teardown mode, a partial batch and one call, two loads, the
# process-exit child: the host code's paths, under the sanitizers
timeout 900 "$bin" -b 128M -s shmem -B 2M,all -r 1 -L tcp-rr,blk -D "$dir" > "$log" 2>&1
rc=$?
f=$(findings)
sed -e 's/^/# /' <<< "$f"
grep -E '^(ok|not ok) ' "$log" | sed -e 's/^/# /' | tail -n 8
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
got=$(grep -cE '^(ok|not ok) [0-9]+ ' "$log")
result "$([ $rc -le 1 ] && [ -z "$f" ] && echo 0 || echo 1)" \
	"sweep with loads, sanitized: no finding (status $rc)"
result "$([ -n "$plan" ] && [ "$got" = "$plan" ] && echo 0 || echo 1)" \
	"sanitized sweep: every point has a result ($got of ${plan:-?})"
