#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The suite as a lab runs it: "make install-tree" into a writable copy of
# Debian's 6.12 tree (6.12 selftest layout) and of 7.2's (6.14+ layout,
# whose kvm/.gitignore has no newline at its end), made by
# scripts/series/tree.sh (hard links, a real selftests copy, objects kept
# between runs, shared with check-series.sh), then the tree's own
# "make -C tools/testing/selftests TARGETS=kvm install": status 0, both
# tests in kselftest-list.txt, the results reader and schema installed.
# On 6.12, where the KVM library runs on this host, the kselftest runner
# then runs the installed tests under the kvm directory's timeout.
#
#   check-install-tree.sh BUILD

set -uo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
trees=$build/trees
tree=$root/scripts/series/tree.sh
kvmrel=tools/testing/selftests/kvm
n=0

# shellcheck source=ktap.sh
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

# the tree as Debian ships it, writable, and the suite installed into it
prepare() {	# prepare VERSION TREE
	"$root/scripts/get-ksrc.sh" "$1" "$build/src" &&
	"$tree" prepare "$build/src/linux-source-$1" "$2" &&
	"$tree" headers "$build/src/linux-source-$1" "$trees/hdr-$1" &&
	make -C "$root" install-tree KSRC="$2"
}

# the tree's kselftest install, with the lab kit's reader and schema
install() {	# install TREE INSTALL_PATH
	local gi=$1/$kvmrel/.gitignore
	"$tree" install "$1" "$trees/hdr-$ver" "$2" &&
	grep -qx 'kvm:kvm_page_table_stall_test' "$2/kselftest-list.txt" &&
	grep -qx 'kvm:stall_probe_test' "$2/kselftest-list.txt" &&
	test -f "$2/kvm/stall-results.py" && test -f "$2/kvm/results-v1.schema.json" && test -f "$2/kvm/results-v2.schema.json" &&
	grep -qx '!stall-results.py' "$gi" && ! grep -q '.!stall-results.py' "$gi"
}

# what links what, and for which architectures
linkage() {	# linkage TREE INSTALL_PATH
	local mk=$1/$kvmrel/Makefile.kvm mine other lists
	[ -f "$mk" ] || mk=$1/$kvmrel/Makefile
	mine=$(nm "$2/kvm/kvm_page_table_stall_test" | grep -c ' stall_')
	other=$(nm "$2/kvm/kvm_page_table_test" | grep -c ' stall_')
	lists=$(sed -n 's/^\(TEST_GEN_PROGS_[a-z0-9_]*\) += kvm_page_table_stall_test$/\1/p' "$mk" | paste -sd' ')
	echo "$mine stall_ symbols in kvm_page_table_stall_test, $other in kvm_page_table_test; lists: $lists"
	[ "$mine" -gt 0 ] && [ "$other" = 0 ] || return 1
	! nm "$2/kvm/stall_probe_test" | grep -E ' T (kvm_|vm_|__vm_|vcpu_|test_assert)' || return 1
	case " $lists " in
	*" TEST_GEN_PROGS_x86_64 TEST_GEN_PROGS_aarch64 "* | *" TEST_GEN_PROGS_x86 TEST_GEN_PROGS_arm64 "*) ;;
	*) return 1 ;;
	esac
	case " $lists " in *COMMON* | *s390* | *riscv* | *loongarch*) return 1 ;; esac
}

echo "TAP version 13"
echo "1..9"
for ver in 6.12 7.2; do
	t=$trees/linux-$ver
	log=$trees/$ver
	mkdir -p "$trees"
	if ! step "$log-install-tree.log" "$ver: make install-tree into a copy of the tree" prepare "$ver" "$t"; then
		for _ in 1 2; do result 1 "$ver: not installed"; done
		continue
	fi
	if ! step "$log-install.log" "$ver: the tree's kselftest install (rc 0, both tests listed, reader and schema)" \
		install "$t" "$trees/ks-$ver"; then
		result 1 "$ver: not installed"
		continue
	fi
	step "$log-link.log" "$ver: the suite's library in its programs only, the probe test without LIBKVM, x86 and arm64 lists" \
		linkage "$t" "$trees/ks-$ver"
	sed 's/^/# /' "$log-link.log" | head -n 3
done

# The runner applies kvm/settings' timeout to each test, as labs see it. The
# stall test must finish inside it; a point over its budget on this shared
# host (exit 1) is a measurement, a timeout or a crash is not.
# Without KVM here the stall test is a skip (the tree's x86 build cannot
# run in the arm64 testbed): accepted, and said.
k=$trees/ks-6.12
nokvm=$(host_kvm_why)
stall_ok='ok [0-9]+ selftests: kvm: kvm_page_table_stall_test$|not ok [0-9]+ selftests: kvm: kvm_page_table_stall_test # exit=1$'
[ -z "$nokvm" ] || stall_ok+='|ok [0-9]+ selftests: kvm: kvm_page_table_stall_test # SKIP$'
step "$trees/runner.log" "6.12: kselftest runner runs both tests within the kvm timeout${nokvm:+ (no usable /dev/kvm here: the stall test skips)}" \
	bash -c "cd '$k' && ./run_kselftest.sh -t kvm:stall_probe_test \
			-t kvm:kvm_page_table_stall_test 2>&1 | cat > '$trees/runner-out.log';
		 cat '$trees/runner-out.log';
		 grep -q '^ok [0-9]* selftests: kvm: stall_probe_test' '$trees/runner-out.log' &&
		 grep -qE '^($stall_ok)' '$trees/runner-out.log'"
sed -n -e 's/^/# /' -e '/selftests: kvm/p' "$trees/runner-out.log" 2>/dev/null

# What CI parsers make of it, with the kernel tree's own KTAP parser: the
# runner's two results, then the stall test's own KTAP (the runner prefixes
# it with "# "): every result named, no name twice, skips named like points.
kunit=$trees/linux-6.12/tools/testing/kunit/kunit.py
export PYTHONDONTWRITEBYTECODE=1
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
if [ -n "$nokvm" ]; then
	echo "ok $((n += 1)) kunit.py parse: the stall test's results # SKIP $nokvm: the stall test skipped"
	exit 0
fi
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
