#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make report from a real run: a 128M sweep with a TCP load on /dev/kvm
# writes a results file with the probe's histogram and the load's
# throughput series; stall-report.py draws every plot it can from it (the
# user chunk, the histogram, the throughput) and, from copies that say they
# ran on a kernel with the knob patch at three batches, the kernel-batch
# plot and table. Checks the page names each plot, each PNG is a real
# image, and nothing is left beside the output.
#
#   check-report.sh KVM_OUT

set -uo pipefail

kvm_out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
n=0

. "$(dirname "$0")/ktap.sh"

echo "TAP version 13"
echo "1..5"
"$kvm_out/kvm_page_table_stall_test" -b 128M -t madvise -B 2M,all -L tcp-rr \
	-j "$work/run.json" > "$work/run.log" 2>&1
rc=$?
if [ $rc -eq 4 ]; then
	echo "ok 1 # SKIP $(grep -m1 -i 'skip' "$work/run.log")"
	exit 0
fi
$py "$root/scripts/stall-results.py" validate "$work/run.json" > "$work/validate.log" 2>&1 &&
$py - "$work/run.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p = next(p for p in d['points'] if p['batch'] == 'all')
h = p['reps'][0]['probe_hist_log2_us']
s = p['loads'][0]['reps'][0]['series']
# every wake-up of the window is in a bin; the series covers base and teardown
ok = sum(h) + p['reps'][0]['probe_hist_over'] > 0 and s['base'] and s['meas'] and s['window_ns'] > 0
sys.exit(0 if ok else 1)
EOF
result $? "the results file carries the probe's histogram and the load's series, and validates (status $rc)"

# three boots of the knob kernel, as kbatch-sweep.sh makes them
$py - "$work/run.json" "$work" <<'EOF'
import json, sys
for i, b in enumerate((2 << 20, 32 << 20, 1 << 30)):
    d = json.load(open(sys.argv[1]))
    d['environment']['kernel']['stage2_batch'] = b
    for p in d['points']:
        p['time_ns'] = int(p['time_ns'] * (1 + 0.1 * (2 - i)))
    json.dump(d, open('%s/kb-%d.json' % (sys.argv[2], b), 'w'))
EOF
mkdir -p "$work/out"
$py "$root/scripts/stall-report.py" "$work/out" "$work/run.json" "$work"/kb-*.json \
	> "$work/report.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed -e 's/^/#   /' "$work/report.log"
result $rc "stall-report.py writes the page"

pngs_ok=0
for f in user-chunk kernel-batch probe-histogram load-throughput; do
	head -c 8 "$work/out/$f.png" 2>/dev/null | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' &&
		[ "$(stat -c %s "$work/out/$f.png")" -gt 10000 ] && grep -q "($f.png)" "$work/out/report.md" ||
		{ echo "# $f.png missing, not a PNG, or not on the page"; pngs_ok=1; }
done
result $pngs_ok "four plots, each a PNG on the page (user chunk, kernel batch, histogram, throughput)"

# run as make kbatch runs it: its own shebang and mode
"$root/scripts/stall-report.py" kbatch "$work"/kb-*.json > "$work/table.txt" 2>&1
rows=$(grep -c '^| [0-9]' "$work/table.txt")
grep -q '| 2M | [^|]* |.*+20.0%' "$work/table.txt" && grep -q '| 1G | [^|]* |.*+0.0%' "$work/table.txt"
result "$([ $? -eq 0 ] && [ "$rows" = 3 ] && echo 0 || echo 1)" \
	"the kernel-batch table: a row per batch, cost against the largest batch"
sed -e 's/^/# /' "$work/table.txt"

$py "$root/scripts/stall-report.py" "$work/out" "$work/nothing.json" > "$work/bad.log" 2>&1
rc=$?
result "$([ $rc -eq 2 ] && grep -q 'nothing.json' "$work/bad.log" && echo 0 || echo 1)" \
	"a missing results file is named, status 2"
