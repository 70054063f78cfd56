#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The LAVA jobs and test definition (lava/): all pass LAVA's own schema
# checks (lava-common, strict), a broken copy does not, and the
# definition's steps, run here as LAVA's test shell would run them (with a
# stand-in lava-test-case that records its calls) on a kselftest-like
# tarball of this host's build, report every point as a test case and
# every figure as a measurement.
#
#   check-lava.sh KVM_OUT

set -uo pipefail

kvm_out=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

# lava_check job|testdef FILE: LAVA's schema, with Debian's python (lava-common)
lava_check() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys, yaml
from lava_common.schemas import validate
from lava_common.schemas.test import testdef
data = yaml.safe_load(open(sys.argv[2]))
try:
    validate(data, strict=True) if sys.argv[1] == 'job' else testdef.validate(data)
except Exception as e:
    print('# %s: %s' % (sys.argv[2], e))
    sys.exit(1)
EOF
}

echo "TAP version 13"
echo "1..7"
lava_check job "$root/lava/job-arm64-kvm-stall.yaml"
result $? "the example job passes LAVA's job schema (strict)"
lava_check job "$root/lava/job-qemu-arm64-kvm-stall.yaml"
result $? "make lava-run's QEMU job passes LAVA's job schema (strict)"
lava_check testdef "$root/lava/kvm-stall.yaml"
result $? "the test definition passes LAVA's test definition schema"
sed -e '/format: Lava-Test/d' "$root/lava/kvm-stall.yaml" > "$work/broken.yaml"
lava_check testdef "$work/broken.yaml" > /dev/null
result "$([ $? = 1 ] && echo 0 || echo 1)" "a definition without its format line is refused (the check checks)"

# A tarball laid out as gen_tar's, from this host's build.
mkdir -p "$work/ks/kvm" "$work/bin" "$work/board"
cp "$kvm_out/kvm_page_table_stall_test" "$root/scripts/stall-results.py" \
	"$root"/schema/results-v*.schema.json "$work/ks/kvm/"
tar -czf "$work/kselftest.tar.gz" -C "$work/ks" kvm
cat > "$work/bin/lava-test-case" <<EOF
#!/bin/sh
echo "\$*" >> "$work/cases"
EOF
cat > "$work/bin/lava-test-raise" <<EOF
#!/bin/sh
echo "raise: \$*" >> "$work/cases"
exit 1
EOF
cat > "$work/bin/wget" <<'EOF'
#!/bin/sh
# wget -q -O OUT URL, for file:// URLs
cp "${4#file://}" "$3"
EOF
chmod +x "$work/bin/"*

# LAVA runs each step in one shell, in order, with the parameters exported.
# The board's /tmp/kvm-stall is the scratch directory here: this machine's
# /tmp is left alone. Without KVM here, the step that runs the test takes
# the results file and KTAP of the vm check's run in the arm64 testbed.
why=$(host_kvm_why)
from=
if [ -n "$why" ]; then
	build=$(cd "$kvm_out/../../.." && pwd)
	if ! from=$(testbed_run "$build"); then
		for c in 5 6 7; do
			echo "ok $c the definition's steps # SKIP $why, and no run of the vm check in the testbed"
		done
		exit 0
	fi
	echo "# $why: the test step takes the vm check's run in the arm64 testbed"
fi
/usr/bin/python3 - "$root/lava/kvm-stall.yaml" "$work" "$from" > "$work/steps.sh" <<'EOF'
import sys, yaml
work, run = sys.argv[2], sys.argv[3]
for step in yaml.safe_load(open(sys.argv[1]))['run']['steps']:
    if run and step.startswith('./kvm_page_table_stall_test '):
        step = 'cp %s/results.json %s/kvm-stall/results.json && cp %s/ktap %s/kvm-stall/ktap.txt' % (
            run, work, run, work)
    print(step.replace('cd /tmp &&', 'cd %s &&' % work).replace('/tmp/kvm-stall', work + '/kvm-stall'))
EOF
(cd "$work/board" && PATH="$work/bin:$PATH" KSELFTEST_URL="file://$work/kselftest.tar.gz" \
	TEST_ARGS="-b 64M -s shmem -t madvise,punch,vm-destroy -B 2M,all" \
	timeout 600 bash "$work/steps.sh" > "$work/steps.log" 2>&1)
rc=$?
touch "$work/cases"
sed -e 's/^/# /' "$work/cases" | head -n 12
result "$([ $rc = 0 ] && grep -q '^kvm-stall-results --result pass$' "$work/cases" &&
	  ! grep -q '^raise' "$work/cases" && echo 0 || echo 1)" \
	"the definition's steps run to the end from the tarball (status $rc)"
grep -qE '^madvise_batch_all_granule_4K_backing_4K --result (pass|fail|skip)$' "$work/cases" &&
	grep -qE '^punch_batch_2M_granule_4K_backing_4K --result (pass|fail|skip)$' "$work/cases"
result $? "every point is a test case, under its KTAP name by LKFT's rule"
grep -qE '^madvise_batch_2M_granule_4K_backing_4K\.time_us --result [a-z]+ --measurement [0-9.]+ --units us$' \
	"$work/cases"
result $? "figures are test cases with a measurement and units"
