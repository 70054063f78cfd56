#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The suite as a lab runs it: installed into a copy of Debian's 6.12 tree
# (6.12 selftest layout) and of 7.2's (6.14+ layout), built by the kernel's
# own "make -C tools/testing/selftests TARGETS=kvm", and on 6.12, where the
# KVM library runs on this host, installed and run by the kselftest runner
# under the kvm directory's timeout.
#
#   check-install-tree.sh BUILD

set -uo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
trees=$build/trees
n=0

. "$(dirname "$0")/ktap.sh"

# step LOG DESCRIPTION CMD...: run, keep the log, show its tail on failure
step() {
	local log=$1 what=$2 rc
	shift 2
	"$@" > "$log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed -e 's/^/#   /' "$log" | tail -n 15
	result $rc "$what"
	return $rc
}

fresh_tree() {	# fresh_tree VERSION: a writable copy of the unpacked source
	local src
	"$root/scripts/get-ksrc.sh" "$1" "$build/src" || return 1
	src=$(readlink -f "$build/src/linux-source-$1")
	rm -rf "$trees/linux-$1"
	mkdir -p "$trees"
	cp -a "$src" "$trees/linux-$1"
}

echo "TAP version 13"
echo "1..12"
for ver in 6.12 7.2; do
	t=$trees/linux-$ver
	log=$trees/$ver
	mkdir -p "$trees"
	if ! step "$log-copy.log" "$ver: tree unpacked" fresh_tree "$ver"; then
		for i in 1 2; do result 1 "$ver: not built after a failed unpack"; done
		continue
	fi
	make -C "$t" headers > "$log-headers.log" 2>&1
	step "$log-install.log" "$ver: make install-tree" make -C "$root" install-tree KSRC="$t"
	step "$log-build.log" "$ver: make -C tools/testing/selftests TARGETS=kvm builds the suite" \
		bash -c "make -C '$t/tools/testing/selftests' TARGETS=kvm -j2 &&
			 test -x '$t/tools/testing/selftests/kvm/kvm_page_table_stall_test' &&
			 test -x '$t/tools/testing/selftests/kvm/stall_probe_test'"
	# the suite's library goes into its own programs, not into every KVM test's
	mine=$(nm "$t/tools/testing/selftests/kvm/kvm_page_table_stall_test" 2>/dev/null | grep -c ' stall_')
	other=$(nm "$t/tools/testing/selftests/kvm/kvm_page_table_test" 2>/dev/null | grep -c ' stall_')
	result "$([ "$mine" -gt 0 ] && [ "$other" = 0 ] && echo 0 || echo 1)" \
		"$ver: the suite's library is linked into its programs only ($mine stall_ symbols there, $other in kvm_page_table_test)"
done

# The runner applies kvm/settings' timeout to each test, as labs see it. The
# stall test must finish inside it; a point over its budget on this shared
# host (exit 1) is a measurement, a timeout or a crash is not.
k=$trees/kselftest-6.12
rm -rf "$k"
step "$trees/runner.log" "6.12: kselftest runner runs both tests within the kvm timeout" \
	bash -c "make -C '$trees/linux-6.12/tools/testing/selftests' TARGETS=kvm install \
			INSTALL_PATH='$k' >/dev/null &&
		 cd '$k' && ./run_kselftest.sh -t kvm:stall_probe_test \
			-t kvm:kvm_page_table_stall_test 2>&1 | cat > '$trees/runner-out.log';
		 cat '$trees/runner-out.log';
		 grep -q '^ok [0-9]* selftests: kvm: stall_probe_test' '$trees/runner-out.log' &&
		 grep -qE '^(ok [0-9]+ selftests: kvm: kvm_page_table_stall_test$|not ok [0-9]+ selftests: kvm: kvm_page_table_stall_test # exit=1$)' \
			'$trees/runner-out.log'"
sed -n -e 's/^/# /' -e '/selftests: kvm/p' "$trees/runner-out.log" 2>/dev/null
result "$([ -f "$k/kvm/stall-results.py" ] && [ -f "$k/kvm/results-v1.schema.json" ] && echo 0 || echo 1)" \
	"6.12: the install carries stall-results.py and its schema (the LAVA definition's converter)"

# What CI parsers make of it, with the kernel tree's own KTAP parser: the
# runner's two results, then the stall test's own KTAP (the runner prefixes
# it with "# "): every result named, no name twice, skips named like points.
kunit=$trees/linux-6.12/tools/testing/kunit/kunit.py
python3 "$kunit" parse --json="$trees/kunit-runner.json" "$trees/runner-out.log" > /dev/null 2>&1
python3 - "$trees/kunit-runner.json" <<'EOF'
import json, sys
cases = {c['name']: c['status'] for c in json.load(open(sys.argv[1]))['test_cases']}
want = {'selftests: kvm: stall_probe_test', 'selftests: kvm: kvm_page_table_stall_test'}
sys.exit(0 if set(cases) == want else 1)
EOF
result $? "kunit.py parse: the runner's output has the suite's two results"
# (the runner may print its own result line before the test's last output)
sed -n '/^# selftests: kvm: kvm_page_table_stall_test$/,$p' "$trees/runner-out.log" |
	sed -n 's/^# //p' | sed -n '/^TAP version/,$p' > "$trees/stall-ktap.log"
python3 "$kunit" parse --json="$trees/kunit-stall.json" "$trees/stall-ktap.log" > /dev/null 2>&1
python3 - "$trees/kunit-stall.json" "$trees/stall-ktap.log" <<'EOF'
import json, re, sys
cases = json.load(open(sys.argv[1]))['test_cases']
plan = [int(m.group(1)) for m in map(re.compile(r'^1\.\.(\d+)$').match, open(sys.argv[2])) if m]
names = [c['name'] for c in cases]
pat = re.compile(r'^[a-z-]+ batch=(\d+[KMGT]?|all|n/a) granule=\d+K backing=\d+[KMG]( load=\S+)?$')
ok = (plan and len(cases) == plan[0] and len(set(names)) == len(names) and
      all(pat.match(n) for n in names))
print('# %d results, plan %s, %d skipped, every name a point\'s: %s' %
      (len(cases), plan[0] if plan else '?', sum(c['status'] == 'SKIP' for c in cases), ok))
sys.exit(0 if ok else 1)
EOF
result $? "kunit.py parse: the stall test's results all have a point's name, unique, as many as planned"
