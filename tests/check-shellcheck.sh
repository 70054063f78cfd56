#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The project's shell scripts are shellcheck-clean: no finding of any
# severity, with shellcheck's defaults and the repository's .shellcheckrc
# (which has shellcheck follow the sourced tests/ktap.sh and
# scripts/apt-lock.sh). A pattern that is meant is marked where it is, by
# a "# shellcheck disable=SCxxxx # why" line before the command. One
# result per script; a failed one lists its findings. Runs from any
# directory; needs nothing built.
#
#   check-shellcheck.sh

set -uo pipefail

n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

# the paths as the findings name them: from the repository's root
cd "$(dirname "$0")/.." || exit 1

echo "TAP version 13"
if ! command -v shellcheck > /dev/null; then
	echo "1..0 # SKIP shellcheck is not installed (scripts/deps.sh build installs it)"
	exit 4
fi

# every shell script: the scripts (the series' tree.sh too) and checks, the guest's busybox scripts,
# the testbed's /init, the LAVA ramdisk's /init and the CI's entry point (a pattern that matches
# nothing stays as it is, and fails as a file shellcheck cannot open)
files=(scripts/*.sh scripts/series/*.sh tests/*.sh tests/guest/*.sh testbed/init testbed/lava-init .ci/run)
echo "1..${#files[@]}"

failed=0
for f in "${files[@]}"; do
	out=$(shellcheck -f gcc "$f" 2>&1)
	rc=$?
	result $rc "shellcheck $f"
	[ $rc = 0 ] && continue
	failed=1
	[ -n "$out" ] || out="shellcheck exited with status $rc"
	while IFS= read -r line; do
		echo "# $line"
	done <<< "$out"
done
exit $failed
