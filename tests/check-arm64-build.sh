#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The arm64 cross build: every test a static AArch64 executable, for the
# initramfs of the QEMU testbed and for labs that copy binaries to boards.
#
#   check-arm64-build.sh BUILD

set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
out=$build/arm64/linux-source-6.12/kvm

echo "TAP version 13"
if ! command -v aarch64-linux-gnu-gcc > /dev/null; then
	echo "1..0 # SKIP no aarch64-linux-gnu-gcc (scripts/deps.sh arm64 installs it)"
	exit 4
fi
tests=$(cd "$root/selftests" && printf '%s\n' *.c | sed -e 's/\.c$//')
echo "1..$(( $(wc -w <<< "$tests") + 1 ))"

n=1
if make -C "$root" ARCH=arm64 BUILD="$build" > "$build/arm64-build.log" 2>&1; then
	echo "ok $n make ARCH=arm64"
else
	echo "not ok $n make ARCH=arm64"
	sed -e 's/^/#   /' "$build/arm64-build.log" | tail -n 15
fi
for t in $tests; do
	n=$((n + 1))
	f=$out/$t
	if [ -f "$f" ] && readelf -h "$f" | grep -q 'Machine:.*AArch64' &&
	   ! readelf -l "$f" | grep -q INTERP; then
		echo "ok $n $t is a static AArch64 executable"
	else
		echo "not ok $n $t is a static AArch64 executable"
	fi
done
