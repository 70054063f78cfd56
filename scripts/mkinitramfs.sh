#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The testbed's initramfs: Debian's static arm64 busybox, testbed/init, and
# the suite's static arm64 test binaries under /tests.
#
# With --lava, the ramdisk of the LAVA job (scripts/lava-run.sh) instead:
# busybox, testbed/lava-init (a shell on the console for LAVA's test
# shell), and what a board's rootfs gives the test definition
# (lava/kvm-stall.yaml) and the kselftest tarball's dynamically linked
# programs: Debian bookworm's arm64 C library and python3 (for
# stall-results.py), unpacked from their packages. No test binaries: they
# come from the kselftest tarball, which the job adds.
#
#   mkinitramfs.sh OUT.cpio.gz BIN_DIR STATE_DIR
#   mkinitramfs.sh --lava OUT.cpio.gz STATE_DIR

set -euo pipefail

lava=0
if [ "${1:-}" = --lava ]; then
	lava=1
	shift
	[ $# -eq 2 ] || { echo "usage: mkinitramfs.sh --lava OUT.cpio.gz STATE_DIR" >&2; exit 2; }
	out=$1 bins='' state=$2
else
	[ $# -eq 3 ] || { echo "usage: mkinitramfs.sh OUT.cpio.gz BIN_DIR STATE_DIR" >&2; exit 2; }
	out=$1 bins=$2 state=$3
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$state"
state=$(cd "$state" && pwd)
dl=$state/dl
mkdir -p "$dl"

# The python and C library packages the LAVA ramdisk holds: the
# interpreter, its standard library, and the libraries its modules load
# (zlib and expat are built into Debian's interpreter; bz2 and
# lzma are imported by the modules stall-results.py uses)
LAVA_DEBS=(libc6 zlib1g libexpat1 libbz2-1.0 liblzma5 libffi8
	   libpython3.11-minimal python3.11-minimal libpython3.11-stdlib)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# deb_path PKG: the arm64 .deb of PKG in $dl, or nothing
deb_path() {
	# shellcheck disable=SC2012 # the first in ls's order, or none; Debian's file names
	ls "$dl/$1"_*_arm64.deb 2>/dev/null | head -n 1 || true
}

# get_debs PKG...: each package's arm64 .deb in $dl, downloaded where
# missing, and one that does not unpack fetched again (once)
get_debs() {
	local p missing=() try

	for try in 1 2; do
		missing=()
		for p in "$@"; do
			[ -n "$(deb_path "$p")" ] || missing+=("$p")
		done
		[ ${#missing[@]} -eq 0 ] ||
			(cd "$dl" && "$here/debian-apt.sh" "$state/apt" bookworm arm64 \
				download "${missing[@]}" >&2)
		missing=()
		for p in "$@"; do
			if ! dpkg-deb --fsys-tarfile "$(deb_path "$p")" > /dev/null 2>&1; then
				rm -f "$(deb_path "$p")"
				missing+=("$p")
			fi
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		[ "$try" = 1 ] && echo "mkinitramfs: ${missing[*]}: broken download, fetching again" >&2
	done
	echo "mkinitramfs: ${missing[*]}: no arm64 package that unpacks" >&2
	return 1
}

bb=$state/busybox-arm64
if [ ! -x "$bb" ]; then
	get_debs busybox-static
	rm -rf "$stage/bb"
	dpkg-deb -x "$(deb_path busybox-static)" "$stage/bb"
	cp "$stage/bb/bin/busybox" "$bb.tmp"
	mv "$bb.tmp" "$bb"
	rm -rf "$stage/bb"
fi

rootfs=$stage/root
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/tmp"
cp "$bb" "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"
n=0
if [ $lava = 1 ]; then
	install -m 0755 "$root/testbed/lava-init" "$rootfs/init"
	get_debs "${LAVA_DEBS[@]}"
	for p in "${LAVA_DEBS[@]}"; do
		dpkg-deb -x "$(deb_path "$p")" "$rootfs"
	done
	# python3-minimal's link, without the package's maintainer scripts
	ln -sf python3.11 "$rootfs/usr/bin/python3"
	rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/lintian"
	[ -x "$rootfs/usr/bin/python3.11" ] ||
		{ echo "mkinitramfs: no python3.11 in the unpacked packages" >&2; exit 1; }
	what="busybox, python3 and the C library"
else
	mkdir -p "$rootfs/tests"
	install -m 0755 "$root/testbed/init" "$rootfs/init"
	for t in "$root"/selftests/*.c; do
		b=$bins/$(basename "$t" .c)
		[ -x "$b" ] || { echo "mkinitramfs: $b missing (make ARCH=arm64)" >&2; exit 1; }
		cp "$b" "$rootfs/tests/"
		n=$((n + 1))
	done
	what="$n tests"
fi
(cd "$rootfs" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out with $what" >&2
