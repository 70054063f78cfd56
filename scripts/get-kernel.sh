#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# An arm64 host kernel for the QEMU testbed, cached under DIR. Debian ships
# 4K and 16K kernels: 6.12 from bookworm-backports, 7.2 from unstable, both
# downloaded with a private apt state (apt checks their hashes; a .deb that
# does not unpack is fetched again). Anything else (64K, or BUILD_KERNEL=1 for any
# granule, optionally with PATCHES) is built from source by build-kernel.sh.
# Prints the kernel image's path.
#
#   get-kernel.sh KVER GRANULE DIR

set -euo pipefail

kver=$1 granule=$2 dir=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

case $granule in
4k) flavour=arm64 ;;
16k) flavour=arm64-16k ;;
64k) flavour= ;;
*) echo "get-kernel: granule '$granule' is not 4k, 16k or 64k" >&2; exit 1 ;;
esac
case $kver in
6.12) suite=bookworm-backports pkg_re="^linux-image-6\.12\.[0-9]+\+deb12-$flavour-unsigned$" ;;
7.2) suite=sid pkg_re="^linux-binary-7\.2\.[0-9]+\+deb14-$flavour$" ;;
*) echo "get-kernel: kernel version '$kver' is not 6.12 or 7.2" >&2; exit 1 ;;
esac

if [ -z "$flavour" ] || [ -n "${BUILD_KERNEL:-}" ] || [ -n "${PATCHES:-}" ]; then
	exec "$here/build-kernel.sh" "$kver" "$granule" "$dir"
fi

out=$dir/debian-$kver-$granule
# the package's config travels into the emulated machine for the results file
deb_config() {	# DEB DIR: extract boot/config-* of DEB as DIR/config
	local tmp

	tmp=$(mktemp -d)
	# 7.2's packages ship none: then there is no config, and the file says so
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$tmp" --wildcards './boot/config-*' \
		2>/dev/null || true
	find "$tmp" -name 'config-*' -type f -exec cp {} "$2/config" \; -quit
	rm -rf "$tmp"
}
if [ -f "$out/.ok" ]; then
	if [ ! -f "$out/config" ]; then
		# shellcheck disable=SC2012 # the first in ls's order, or none; Debian's file names
		deb=$(ls "$dir/dl/$(cat "$out/package")"_*_arm64.deb 2>/dev/null | head -n 1 || true)
		[ -z "$deb" ] || deb_config "$deb" "$out"
	fi
	echo "$out/vmlinuz"
	exit 0
fi

apt_state=$dir/apt
"$here/debian-apt.sh" "$apt_state" "$suite" arm64 -q update > /dev/null
pkg=$(apt-cache -o "APT::Architecture=arm64" -o "APT::Architectures=arm64" \
	-o "Dir::State::Lists=$apt_state/$suite-arm64/lists" -o "Dir::Etc::SourceList=/dev/null" \
	-o "Dir::Etc::SourceParts=$apt_state/$suite-arm64/parts" -o "Dir::State::Status=/dev/null" \
	pkgnames 2>/dev/null | grep -E "$pkg_re" | sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "get-kernel: no package matching $pkg_re in $suite" >&2; exit 1; }

dl=$dir/dl
mkdir -p "$dl"
for _ in 1 2; do
	# shellcheck disable=SC2012 # the first in ls's order, or none; Debian's file names
	deb=$(ls "$dl/${pkg}"_*_arm64.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$dl" && "$here/debian-apt.sh" "$apt_state" "$suite" arm64 download "$pkg" >&2)
		# shellcheck disable=SC2012 # the first in ls's order; ls fails where there is none
		deb=$(ls "$dl/${pkg}"_*_arm64.deb | head -n 1)
	fi
	rm -rf "$out.tmp"
	if dpkg-deb -x "$deb" "$out.tmp" 2>/dev/null; then
		break
	fi
	echo "get-kernel: $deb does not unpack, fetching it again" >&2
	rm -f "$deb"
done
img=$(find "$out.tmp" -name 'vmlinuz*' -type f | head -n 1)
[ -n "$img" ] || { echo "get-kernel: no vmlinuz in $pkg" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
cp "$img" "$out/vmlinuz"
find "$out.tmp" -name 'config-*' -type f -exec cp {} "$out/config" \; -quit
echo "$pkg" > "$out/package"
rm -rf "$out.tmp"
touch "$out/.ok"
echo "$out/vmlinuz"
