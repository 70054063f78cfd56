#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The run's time budget: a sweep that cannot fit in a few seconds (-d)
# ends within them, prints every planned result and skips the points that
# did not fit with the fixed reason, their figures on a diagnostic line; a
# budget of 0 runs every point, as before the budget; without -d, the
# runner's kselftest_timeout, else the settings file next to the test,
# gives the budget. A run that the machine slowed past the test's own
# estimates is a skip, not a failure: the budget cannot help that.
#
#   check-time.sh KVM_OUT

set -uo pipefail

bin=$(cd "$1" && pwd)/kvm_page_table_stall_test
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
reason='time budget left no room for this point'
# six points of a second's baseline each, 64M populated: more than 6 s by construction
# shellcheck disable=SC2054 # -t and -B take comma-separated lists
sweep=(-b 64M -t madvise,munmap,vm-destroy,dirty-log-enable -B 2M,all -w 1s)

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

# run NAME ARGS...: the test's output in $work/NAME.log, its wall time in ms
run() {
	local name=$1 t0
	shift
	t0=$(date +%s%N)
	env -u kselftest_timeout timeout --kill-after=10 300 "$@" > "$work/$name.log" 2>&1
	echo $? > "$work/$name.rc"
	echo $((($(date +%s%N) - t0) / 1000000)) > "$work/$name.ms"
}

# every planned result printed, and the test ran to its end
complete() {
	local log=$work/$1.log plan
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log")
	[ "$(cat "$work/$1.rc")" -le 1 ] && grep -q '^# Totals: ' "$log" && [ -n "$plan" ] &&
		[ "$(grep -cE '^(ok|not ok) [0-9]+ [a-z]' "$log")" = "$plan" ]
}

# each point skipped for time has the fixed reason and a figures line before it
skips_fixed() {
	awk -v r="$reason" '
		/ # SKIP time budget/ {
			n++
			name = $0
			sub(/^ok [0-9]+ /, "", name)
			sub(/ # SKIP .*/, "", name)
			if ($0 !~ (" # SKIP " r "$") || prev != "# " name ": time budget: estimated")
				bad++
		}
		{ prev = $0; sub(/: time budget: estimated .*/, ": time budget: estimated", prev) }
		END { exit !(n > 0 && !bad) }' "$work/$1.log"
}

# the most a point ran over its estimate, in ms
overrun_ms() {
	sed -n 's/.*: time budget: took \([0-9.]*\) s, estimated \([0-9.]*\) s$/\1 \2/p' "$work/$1.log" |
		awk '{ o = ($1 - $2) * 1000; if (o > m) m = o } END { printf "%d\n", m }'
}

echo "TAP version 13"
host_kvm_or_skip
run budget "$bin" "${sweep[@]}" -d 6s
if [ "$(cat "$work/budget.rc")" -eq 4 ] && ! grep -qE '^(ok|not ok) [0-9]+ ' "$work/budget.log"; then
	echo "1..0 # SKIP stall test skipped: $(grep -m1 -i skip "$work/budget.log")"
	exit 4
fi
echo "1..7"

ms=$(cat "$work/budget.ms")
result "$(complete budget && echo 0 || echo 1)" "6 s budget: every planned result printed"
if [ "$ms" -le 6000 ]; then
	result 0 "6 s budget: the run ended within it (${ms} ms)"
elif [ "$(overrun_ms budget)" -gt 1000 ]; then
	echo "ok $((n += 1)) 6 s budget: the run ended within it # SKIP machine too busy: a point ran past its estimate"
	echo "# ${ms} ms, a point $(overrun_ms budget) ms over its estimate"
else
	result 1 "6 s budget: the run ended within it (${ms} ms)"
fi
ran=$(grep -cE '^ok [0-9]+ [a-z-]+ batch=[^#]*$|^not ok ' "$work/budget.log")
result "$([ "$ran" -gt 0 ] && skips_fixed budget && echo 0 || echo 1)" \
	"6 s budget: $ran point(s) ran, the rest skipped with the fixed reason and their figures"

run none "$bin" "${sweep[@]}" -d 0
result "$(complete none && ! grep -q "# SKIP $reason" "$work/none.log" &&
	[ "$(cat "$work/none.ms")" -gt 6000 ] &&
	grep -q '^# no time budget (-d): every point runs$' "$work/none.log" && echo 0 || echo 1)" \
	"no budget (-d 0): every point runs ($(cat "$work/none.ms") ms)"

# the default: a settings file next to the test, as kselftest's install leaves it
mkdir "$work/kvm"
cp "$bin" "$work/kvm/"
printf '# the runner reads this\ntimeout=2\n' > "$work/kvm/settings"
run settings "$work/kvm/kvm_page_table_stall_test" "${sweep[@]}"
result "$(complete settings && skips_fixed settings &&
	grep -q "^# time budget 2 s ($work/kvm/settings), " "$work/settings.log" && echo 0 || echo 1)" \
	"no -d: the budget from the settings file next to the test"
run runner env kselftest_timeout=3 "$work/kvm/kvm_page_table_stall_test" "${sweep[@]}"
result "$(complete runner && grep -q "^# time budget 3 s (the kselftest runner's timeout), " \
	"$work/runner.log" && echo 0 || echo 1)" \
	"no -d under the runner: its kselftest_timeout, before the settings file"

# a bare number is a usage error naming it, before anything runs
"$bin" -d 120 > "$work/bad.log" 2>&1
rc=$?
result "$([ $rc -ne 0 ] && [ "$(wc -l < "$work/bad.log")" -le 2 ] &&
	grep -q "invalid time budget.*'120'" "$work/bad.log" && echo 0 || echo 1)" \
	"-d 120 (no unit): refused, naming the value (status $rc)"
