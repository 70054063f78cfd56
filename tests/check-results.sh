#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The results file (-j) and the A/B comparison: a real sweep's file
# validates against schema/results-v2.schema.json and says what its KTAP
# says (same names, same results); no temporary file is left; a directory
# that does not exist is a usage error. Then stall-results.py compare on
# files derived from it, for each exit status: 0 (a base point over
# budget passes on the candidate), 1 (swapped), 125 (a point skipped on
# one side, a truncated file).
#
#   check-results.sh KVM_OUT

set -uo pipefail

bin=$(cd "$1" && pwd)/kvm_page_table_stall_test
tool=$(cd "$(dirname "$0")/../scripts" && pwd)/stall-results.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

build=$(cd "$1/../../.." && pwd)
# derive FROM TO PYTHON: a copy of a results file with one change
derive() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(doc, open(sys.argv[2], 'w'))
EOF
}

echo "TAP version 13"
# madvise with batches, punch skipped without a file backing, vm-destroy, a
# load; without KVM here, the testbed's run of the vm check (the same modes)
why=$(host_kvm_why)
if [ -z "$why" ]; then
	(cd "$work" && timeout 600 "$bin" -b 128M -t madvise,punch,vm-destroy -B 2M,all -L tcp-rr \
		-j "$work/a.json" > "$work/ktap" 2>&1)
	rc=$?
elif from=$(testbed_run "$build"); then
	echo "# $why: the results file of the vm check's run in the arm64 testbed"
	cp "$from/results.json" "$work/a.json"
	cp "$from/ktap" "$work/ktap"
	rc=testbed
else
	echo "1..0 # SKIP $why, and no run of the vm check in the testbed to read"
	exit 4
fi
echo "1..9"
out=$("$tool" validate "$work/a.json" 2>&1)
rc2=$?
echo "# $out"
result $rc2 "a sweep's results file validates (run status $rc)"

python3 - "$work/a.json" "$work/ktap" <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
want = {}
for r in doc['points']:
    want[r['name']] = r['result']
    for ld in r['loads']:
        want[ld['name']] = ld['result']
got = {}
for line in open(sys.argv[2]):
    m = re.match(r'^(ok|not ok) \d+ (.*?)( # SKIP.*)?$', line.rstrip('\n'))
    if m:
        got[m.group(2)] = 'skip' if m.group(3) else ('pass' if m.group(1) == 'ok' else 'fail')
sys.exit(0 if got == want and got else 1)
EOF
result $? "the file's names and results are the KTAP's"

left=$(
	shopt -s nullglob dotglob	# every name ls -A lists, none where there is none
	for f in "$work"/*; do
		case ${f##*/} in
		a?json | ktap) ;;
		*) echo "${f##*/}" ;;
		esac
	done
)
result "$([ -z "$left" ] && echo 0 || echo 1)" "no temporary file left beside it${left:+: $left}"

err=$(timeout 60 "$bin" -j /nonexistent/dir/r.json 2>&1 > /dev/null)
rc=$?
result "$([ $rc = 1 ] && grep -q "'/nonexistent/dir/r.json'" <<< "$err" && echo 0 || echo 1)" \
	"-j into a missing directory is a usage error naming it (status $rc)"

# The comparator's three answers, on files whose verdicts are set by hand:
# every result with figures made a pass (a busy host fails or skips some),
# then one point made a fail or a skip.
point='[p for p in doc["points"] if p["name"].startswith("madvise batch=all")][0]'
derive "$work/a.json" "$work/pass.json" "
for r in [r for q in doc['points'] for r in [q] + q['loads'] if 'verdict' in r or 'median' in r]:
    r['result'], r['reason'] = 'pass', None
doc['totals'] = {k: sum(1 for q in doc['points'] for r in [q] + q['loads'] if r['result'] == k)
                 for k in ('pass', 'fail', 'skip')}"
derive "$work/pass.json" "$work/fail.json" "p = $point; p['result'] = 'fail'; p['reason'] = 'held'
doc['totals']['pass'] -= 1; doc['totals']['fail'] += 1"
derive "$work/pass.json" "$work/skip.json" "p = $point; p['result'] = 'skip'; p['reason'] = 'noisy'
doc['totals']['pass'] -= 1; doc['totals']['skip'] += 1"
head -c 300 "$work/pass.json" > "$work/cut.json"

"$tool" compare --base "$work/fail.json" --cand "$work/pass.json" > "$work/ab" 2>&1
rc=$?
result "$([ $rc = 0 ] && grep -q '^fixed: madvise batch=all' "$work/ab" && echo 0 || echo 1)" \
	"compare: the candidate fixes the base's point: exit 0 (got $rc)"
"$tool" compare --base "$work/pass.json" --cand "$work/fail.json" > "$work/ab" 2>&1
rc=$?
result "$([ $rc = 1 ] && grep -q '^newly over budget: madvise batch=all' "$work/ab" && echo 0 || echo 1)" \
	"compare: swapped, the candidate puts it over budget: exit 1 (got $rc)"
"$tool" compare --base "$work/fail.json" --cand "$work/skip.json" > "$work/ab" 2>&1
rc=$?
result "$([ $rc = 125 ] && echo 0 || echo 1)" "compare: skipped on the candidate: exit 125 (got $rc)"
"$tool" compare --base "$work/fail.json" --cand "$work/cut.json" > "$work/ab" 2>&1
rc=$?
result "$([ $rc = 125 ] && echo 0 || echo 1)" "compare: a truncated file: exit 125 (got $rc)"
"$tool" validate "$work/cut.json" > /dev/null 2>&1
rc=$?
result "$([ $rc = 1 ] && echo 0 || echo 1)" "validate: a truncated file is invalid (status $rc)"
