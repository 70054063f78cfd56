#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The testbed's initramfs: Debian's static arm64 busybox, testbed/init, and
# the suite's static arm64 test binaries under /tests.
#
#   mkinitramfs.sh OUT.cpio.gz BIN_DIR STATE_DIR

set -euo pipefail

out=$1 bins=$2 state=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$state"
state=$(cd "$state" && pwd)

bb=$state/busybox-arm64
if [ ! -x "$bb" ]; then
	dl=$state/dl
	mkdir -p "$dl"
	for _ in 1 2; do
		# shellcheck disable=SC2012 # the first in ls's order, or none; Debian's file names
		deb=$(ls "$dl"/busybox-static_*_arm64.deb 2>/dev/null | head -n 1 || true)
		[ -n "$deb" ] || (cd "$dl" && "$here/debian-apt.sh" "$state/apt" bookworm arm64 \
					download busybox-static >&2)
		# shellcheck disable=SC2012 # the first in ls's order; ls fails where there is none
		deb=$(ls "$dl"/busybox-static_*_arm64.deb | head -n 1)
		rm -rf "$dl/x"
		dpkg-deb -x "$deb" "$dl/x" 2>/dev/null && break
		rm -f "$deb"
	done
	cp "$dl/x/bin/busybox" "$bb.tmp"
	mv "$bb.tmp" "$bb"
	rm -rf "$dl/x"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/tests" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp"
cp "$bb" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$root/testbed/init" "$stage/init"
n=0
for t in "$root"/selftests/*.c; do
	b=$bins/$(basename "$t" .c)
	[ -x "$b" ] || { echo "mkinitramfs: $b missing (make ARCH=arm64)" >&2; exit 1; }
	cp "$b" "$stage/tests/"
	n=$((n + 1))
done
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out with $n tests" >&2
