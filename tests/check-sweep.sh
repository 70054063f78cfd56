#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every teardown mode on the host's KVM, the machinery and the contract:
# the sweep runs to the end inside its bound, every point has a result
# with its name, each judged point reports the held time, its control
# window and the rule that judged it, and a skipped point says why. The
# verdicts are host timings on a shared machine: they are reported here,
# not judged; the strict verdicts come from the arm64 testbed's virtual
# time and from the kernel-side measurement.
#
#   check-sweep.sh KVM_OUT [TEST ARGS...]

set -uo pipefail

bin=$1/kvm_page_table_stall_test
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

echo "TAP version 13"
host_kvm_or_skip
"$bin" "$@" > "$log" 2>&1
rc=$?
sed -e 's/^/# /' "$log" | grep -E '^# (# point|ok|not ok|# .*: (CPU held|longest|call stack))'
[ $rc -eq 4 ] && ! grep -qE '^(ok|not ok) [0-9]+ ' "$log" &&
	{ echo "1..0 # SKIP stall test skipped: $(grep -m1 -i skip "$log")"; exit 4; }
echo "1..4"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
got=$(grep -cE '^(ok|not ok) [0-9]+ [a-z]' "$log")
points=$(grep -c '^# point ' "$log")
full=$(grep -cE '^# point .* held_us=[0-9n/a]+ ctl_us=[0-9]+ .* tier=(regression|target) rule=(abs|hold) budget_us=[0-9]+ .* verdict=(ok|held|noisy)' "$log")
skips=$(grep -cE '^ok [0-9]+ .* # SKIP ' "$log")
named=$(grep -cE '^ok [0-9]+ [a-z-]+ batch=[^ ]+ granule=[^ ]+ backing=[^ ]+ # SKIP .+' "$log")
result "$([ $rc -le 1 ] && echo 0 || echo 1)" "sweep ran to the end (status $rc)"
result "$([ -n "$plan" ] && [ "$got" = "$plan" ] && echo 0 || echo 1)" \
	"every point has a named result ($got of ${plan:-?})"
result "$([ "$points" -gt 0 ] && [ "$full" = "$points" ] && echo 0 || echo 1)" \
	"each judged point reports held time, control window, rule and verdict ($full of $points)"
result "$([ "$skips" = "$named" ] && echo 0 || echo 1)" \
	"each skip keeps its point's name and says why ($named of $skips)"
echo "# host verdicts, reported: $(($(grep -c '^ok ' "$log") - skips)) ok," \
	"$(grep -c '^not ok ' "$log") not ok (held), $(grep -c '# SKIP machine too noisy' "$log") noisy"
