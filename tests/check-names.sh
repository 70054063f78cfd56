#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The names CI systems give the suite's results. LKFT and KernelCI run
# kselftests through Linaro test-definitions' automated/linux/kselftest,
# whose parse-output.py names every result of the runner's nested KTAP
# (docs/ci-names.md has the rule); a skip's reason is folded into the
# name, so a reason that changes from run to run makes a new test every
# run. This check applies that rule, as that parser does, to the kselftest
# runner's output: the runner and its library scripts are the 6.12 tree's
# own, the programs the ones "make" built. It runs the runner twice with a
# sweep whose points are noisy skips here (an allowance of 1 us and a
# request/response load on the test CPU: the quiet control window is held
# too) and checks that the names are the same in both runs and that no
# skip's reason carries a figure. It also checks the rule's implementation
# on fixed cases, and that docs/ci-names.md states the rule and gives
# names the rule makes. Without KVM here, the runner runs the stall test
# in the arm64 testbed: what it runs is a script that boots the testbed
# (tests/check-vm.sh built it) and runs the arm64 program there, its KTAP
# streamed back through the runner as the program's own.
#
#   check-names.sh BUILD KVM_OUT

set -uo pipefail

build=$(cd "$1" && pwd)
kvm_out=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "$build/names-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
ksrc=$build/src/linux-source-6.12
sweep="-b 64M -t madvise -B 2M,all -l 1us -L tcp-rr"
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

# LKFT's naming (parse-output.py's rule): scripts/stall-results.py's, the
# one the LAVA definition uses too; checked here on fixed cases, against
# docs/ci-names.md and on the runner's output
lkft() {	# lkft MODE FILE...
	python3 - "$root/scripts/stall-results.py" "$@" <<'EOF'
import importlib.util
import re
import sys

spec = importlib.util.spec_from_file_location('stall_results', sys.argv.pop(1))
rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rules)
names = rules.ci_names


def selftest():
    runner = ('TAP version 13\n1..2\n# selftests: kvm: kvm_page_table_stall_test\n'
              '# TAP version 13\n# 1..5\n# # held 27000 us\n'
              '# ok 1 madvise batch=2M granule=4K backing=4K\n'
              '# not ok 2 vm-destroy batch=n/a granule=4K backing=4K\n'
              '# ok 3 munmap batch=all granule=4K backing=4K # SKIP machine too noisy, 3 tries\n'
              '# ok 4 offset = -1 [42]\n# ok 5 offset = -1 [42]\n'
              'ok 1 selftests: kvm: kvm_page_table_stall_test\n'
              '# selftests: kvm: stall_probe_test\n# ok 1 # SKIP quiet window: too noisy\n'
              'not ok 2 selftests: kvm: stall_probe_test # exit=1\n')
    p = 'kvm_kvm_page_table_stall_test_'
    want = [(p + 'madvise_batch_2M_granule_4K_backing_4K', 'pass'),
            (p + 'vm-destroy_batch_n_a_granule_4K_backing_4K', 'fail'),
            (p + 'munmap_batch_all_granule_4K_backing_4K_machine_too_noisy_3_tries', 'skip'),
            (p + 'offset__1', 'pass'), (p + 'offset__1_dup2', 'pass'),
            ('kvm_kvm_page_table_stall_test', 'pass'),
            ('kvm_stall_probe_test_quiet_window_too_noisy', 'skip'),
            ('kvm_stall_probe_test', 'fail')]
    got = [(nm, res) for nm, res, _ in names(runner)]
    for g, w in zip(got + [None] * len(want), want):
        if g != w:
            print(f'# rule: got {g}, want {w}')
    return got == want


def docs(path):
    """every 'KTAP: ...' example line followed by its 'LKFT: ...' line"""
    bad = count = 0
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r'^\s*KTAP: (.*)$', line)
        if not m:
            continue
        count += 1
        want = re.match(r'^\s*LKFT: (\S+) (pass|fail|skip)$', lines[i + 1]) if i + 1 < len(lines) else None
        text = 'TAP version 13\n1..1\n# selftests: kvm: kvm_page_table_stall_test\n'
        text += f'# {m.group(1)}\nok 1 selftests: kvm: kvm_page_table_stall_test\n'
        got = names(text)[0][:2]
        if not want or got != want.groups():
            print(f'# {path}: "{m.group(1)}" is {got}, the doc says {want.groups() if want else None}')
            bad += 1
    print(f'# {count} examples in {path}')
    return count > 0 and not bad


def pairs(paths):
    """every "`KTAP name` is `LKFT name`" the prose of README.md and docs/ states"""
    bad = count = 0
    pat = re.compile(r'`([^`]+)`\s+is\s+`(kvm_[A-Za-z0-9_-]+)`')
    for path in paths:
        for ktap, lkft in pat.findall(open(path).read()):
            count += 1
            text = ('# selftests: kvm: kvm_page_table_stall_test\n'
                    f'# ok 1 {ktap}\nok 1 selftests: kvm: kvm_page_table_stall_test\n')
            got = names(text)[0][0]
            if got != lkft:
                print(f'# {path}: `{ktap}` is {got}, not {lkft}')
                bad += 1
    print(f'# {count} names stated in prose')
    return not bad


mode = sys.argv[1]
if mode == 'pairs':
    sys.exit(0 if pairs(sys.argv[2:]) else 1)
if mode == 'selftest':
    sys.exit(0 if selftest() else 1)
if mode == 'docs':
    sys.exit(0 if docs(sys.argv[2]) else 1)
if mode == 'list':
    for nm, res, reason in names(open(sys.argv[2]).read()):
        print(f'{nm} {res}\t{reason}')
    sys.exit(0)
EOF
}

# compare RUN1 RUN2: the same names where both runs agree on skipping;
# where the machine made a point a skip in one run only, say so
compare() {
	python3 - "$1" "$2" <<'EOF'
import sys


def read(path):
    rows = []
    for line in open(path):
        head, _, reason = line.rstrip('\n').partition('\t')
        name, res = head.rsplit(' ', 1)
        rows.append((name, res, reason))
    return rows


a, b = read(sys.argv[1]), read(sys.argv[2])
bad = len(a) != len(b)
if bad:
    print(f'# {len(a)} results in the first run, {len(b)} in the second')
for (na, ra, _), (nb, rb, _) in zip(a, b):
    if (ra == 'skip') != (rb == 'skip'):
        print(f'# a skip in one run only (the machine): {na} {ra} / {nb} {rb}')
    elif na != nb:
        print(f'# a new name: {na} / {nb}')
        bad = True
sys.exit(1 if bad else 0)
EOF
}

# mini_install DIR: the 6.12 tree's runner and kvm settings, the programs
# make built, as "make install" lays them out (check-series.sh checks the
# tree's own install)
mini_install() {
	local sel=$ksrc/tools/testing/selftests f
	mkdir -p "$1/kselftest" "$1/kvm" || return 1
	cp "$sel/run_kselftest.sh" "$1/" || return 1
	for f in runner.sh prefix.pl module.sh ktap_helpers.sh; do
		[ ! -f "$sel/kselftest/$f" ] || cp "$sel/kselftest/$f" "$1/kselftest/" || return 1
	done
	cp "$sel/kvm/settings" "$kvm_out/stall_probe_test" "$1/kvm/" || return 1
	if [ -z "$(host_kvm_why)" ]; then
		cp "$kvm_out/kvm_page_table_stall_test" "$1/kvm/" || return 1
	else
		testbed_program "$1/kvm/kvm_page_table_stall_test" || return 1
	fi
	printf 'kvm:stall_probe_test\nkvm:kvm_page_table_stall_test\n' > "$1/kselftest-list.txt"
}

# testbed_program FILE: the stall test as a script that runs the arm64
# program in the testbed, within the runner's 120 s
testbed_program() {
	local k=$build/testbed/debian-6.12-4k/vmlinuz i=$build/testbed/initramfs-6.12.cpio.gz

	if [ ! -f "$k" ] || [ ! -f "$i" ]; then
		echo "no testbed kernel and initramfs (the vm check builds them)"
		return 1
	fi
	printf '#!/bin/sh\nexec %q --kernel %q --initrd %q --timeout 110 -- ./kvm_page_table_stall_test "$@"\n' \
		"$root/scripts/vm-run.sh" "$k" "$i" > "$1" && chmod +x "$1"
}

echo "TAP version 13"
echo "1..7"
lkft selftest
result $? "the rule as parse-output.py applies it, on fixed cases (- kept, _- and [N], skip reasons, _dupN)"

# the documentation: the rule in words, and examples the rule makes
doc=$root/docs/ci-names.md
ok=1
if [ -f "$doc" ] && lkft docs "$doc"; then
	ok=0
	# the text as one line: a phrase may be wrapped
	tr -s '\n ' '  ' < "$doc" > "$work/doc.txt"
	# shellcheck disable=SC2016 # the doc's Markdown backticks, literally
	for phrase in 'parse-output.py' '`-` is kept' '`_` is kept' '`_-` becomes `__`' \
		'`[N]`' 'reason is folded into the name' '_dupN'; do
		grep -qF -- "$phrase" "$work/doc.txt" || { echo "# $doc does not say: $phrase"; ok=1; }
	done
fi
lkft pairs "$root/README.md" "$root"/docs/*.md || ok=1
result $ok "docs/ci-names.md states the rule; its examples, and the names README.md and docs/ state, are the rule's"

if ! mini_install "$work/ks" > "$work/install.log" 2>&1; then
	sed -e 's/^/#   /' "$work/install.log"
	for i in 1 2 3 4 5; do result 1 "no kselftest layout to run"; done
	exit 0
fi
for r in 1 2; do
	# through a pipe, as labs capture it: the runner writes to
	# /dev/stdout by name, which on a plain file starts it over
	(cd "$work/ks" && KSELFTEST_KVM_PAGE_TABLE_STALL_TEST_ARGS="$sweep" ./run_kselftest.sh 2>&1 |
		cat) > "$work/run$r.log"
	lkft list "$work/run$r.log" > "$work/names$r"
done
sed -n '/^# selftests:\|^[a-z ]*ok [0-9]* selftests:/s/^/# run 1: /p' "$work/run1.log"
ok=1
if grep -q '^kvm_kvm_page_table_stall_test_madvise_batch_2M_granule_4K_backing_4K' "$work/names1" &&
   grep -q '^kvm_stall_probe_test_' "$work/names1" && grep -q '^kvm_kvm_page_table_stall_test ' "$work/names1"; then
	ok=0
fi
result $ok "the runner's output gives kvm_<program>_<KTAP name> names ($(wc -l < "$work/names1") results)"

compare "$work/names1" "$work/names2"
result $? "two runs give the same names (\"$sweep\")"

noisy=$(grep -c 'skip	machine too noisy' "$work/names1")
noisy2=$(grep -c 'skip	machine too noisy' "$work/names2")
echo "# noisy skips: $noisy in the first run, $noisy2 in the second"
if [ "$noisy" -gt 0 ] && [ "$noisy2" -gt 0 ]; then
	grep -m 2 'skip	machine too noisy' "$work/names1" | sed 's/^/# /'
	result 0 "the sweep gives noisy skips, named the same in both runs"
else
	echo "ok $((n += 1)) the sweep gives noisy skips, named the same in both runs # SKIP no point was too noisy to judge in both runs"
fi

figures=$(cut -f2 "$work/names1" "$work/names2" | grep -E '\b[0-9]+(\.[0-9]+)?\b' | sort -u)
# shellcheck disable=SC2001 # a prefix on every line
[ -z "$figures" ] || echo "$figures" | sed 's/^/# a figure in a reason: /'
result "$([ -z "$figures" ] && echo 0 || echo 1)" "no skip's reason carries a figure"

dups=$(cut -d' ' -f1 "$work/names1" | grep -c '_dup[0-9]*$')
result "$([ "$dups" = 0 ] && echo 0 || echo 1)" "no two results share a name (no _dupN)"
