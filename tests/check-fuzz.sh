#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The libFuzzer targets (tests/fuzz/), each for a bounded time from a fixed
# seed, starting from the committed seeds (which include every input that
# once found a defect) plus what earlier runs in OUT found. A finding is
# kept as OUT/crash-TARGET-* and the command that replays it is printed.
#
#   check-fuzz.sh OUT SECONDS SEED

set -uo pipefail

out=$(cd "$1" && pwd)
secs=$2
seed=$3
seeds=$(cd "$(dirname "$0")/fuzz/seeds" && pwd)
n=0

echo "TAP version 13"
echo "1..2"
for t in parse options; do
	n=$((n + 1))
	bin=$out/stall_fuzz_$t
	corpus=$out/corpus-$t
	log=$out/fuzz-$t.log
	mkdir -p "$corpus"
	# usage errors exit, as a command line does, leaving its buffers to the exit
	[ $t = options ] && leaks=0 || leaks=1
	ASAN_OPTIONS=detect_leaks=$leaks timeout --kill-after=10 $((secs + 60)) "$bin" \
		-seed="$seed" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-close_fd_mask=3 -artifact_prefix="$out/crash-$t-" "$corpus" "$seeds/$t" \
		> "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
	if [ $rc = 0 ] && [ -n "$runs" ]; then
		echo "ok $n fuzz $t: $runs inputs in ${secs} s, seed $seed, no finding"
	else
		echo "not ok $n fuzz $t: status $rc after ${runs:-?} inputs, seed $seed"
		grep -E '^(fuzz:|==[0-9]+==ERROR|SUMMARY)' "$log" | head -n 5 | sed -e 's/^/# /'
		# shellcheck disable=SC2013 # libFuzzer's paths have no whitespace: a word each
		for a in $(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$log"); do
			echo "# replay: $bin $a"
		done
	fi
done
