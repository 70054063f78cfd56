#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make run, with the outcome as the exit status. make itself exits 2
# whatever failed; this runs make run with the same variables and exits
# with the test's own status, or 3 when the test did not run at all:
#
#   0    every point ok or skipped
#   1    a point not ok, or the test refused an option (named above)
#   3    not run: make refused a variable or value, or the build or the
#        testbed's setup failed (make's message above)
#   4    the whole run skipped (its SKIP line says why)
#   124  the testbed's bound ran out; 125 the emulated host panicked
#   130  interrupted (Ctrl-C, SIGTERM, SIGHUP)
#
#   scripts/run.sh [VARIABLE=value...]     e.g. scripts/run.sh ARGS="-b 1G"

set -u
root=$(cd "$(dirname "$0")/.." && pwd)
STALL_RUN_STATUS=$(mktemp)
export STALL_RUN_STATUS
trap 'rm -f "$STALL_RUN_STATUS"' EXIT
# make's own children get the signal from the terminal too: wait for make
trap 'sig=130' INT TERM HUP
sig=

make --no-print-directory -C "$root" run "$@"
mrc=$?
rc=$(cat "$STALL_RUN_STATUS")
if [ -n "$rc" ]; then
	exit "$rc"
elif [ -n "$sig" ]; then
	exit 130
elif [ $mrc != 0 ]; then
	echo "run: status 3: the test did not run (make's message above: a refused variable" \
		"or value, or the build or the testbed's setup failed)" >&2
	exit 3
fi
exit 0
