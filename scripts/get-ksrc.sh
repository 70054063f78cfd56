#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Unpack Debian's kernel source package of VERSION under DIR, once:
# DIR/linux-source-VERSION/.unpacked marks a complete tree. 6.12 comes from
# the machine's suite (apt-get install linux-source-6.12), anything else
# from Debian unstable through a private apt state (debian-apt.sh).
#
#   get-ksrc.sh VERSION DIR

set -euo pipefail

ver=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
tree=$dir/linux-source-$ver

[ -f "$tree/.unpacked" ] && exit 0
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
tree=$dir/linux-source-$ver
# one unpacking at a time (make check builds a kernel in the background):
# the second waits, then finds the tree there
exec 9> "$dir/.get-ksrc-$ver.lock"
flock -w 1800 9 || { echo "get-ksrc: another unpacking of $ver held its lock for 30 min" >&2; exit 1; }
[ -f "$tree/.unpacked" ] && exit 0
# shellcheck source=apt-lock.sh
. "$here/apt-lock.sh"

tarball=/usr/src/linux-source-$ver.tar.xz
if [ "$ver" = 6.12 ]; then
	if [ ! -f "$tarball" ]; then
		[ "$(id -u)" = 0 ] || { echo "get-ksrc: need root to apt-get install linux-source-$ver" >&2; exit 1; }
		apt_waiting get-ksrc apt-get -q update >&2 || true
		DEBIAN_FRONTEND=noninteractive apt_waiting get-ksrc apt-get -q install -y \
			"linux-source-$ver" >&2
	fi
else
	dl=$dir/dl
	mkdir -p "$dl"
	# shellcheck disable=SC2012 # the first in ls's order, or none; Debian's file names
	deb=$(ls "$dl"/linux-source-"$ver"_*_all.deb 2>/dev/null | head -n 1 || true)
	# a truncated download fails dpkg's check and is fetched again
	if [ -z "$deb" ] || ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
		rm -f "$dl"/linux-source-"$ver"_*
		(cd "$dl" && "$here/debian-apt.sh" "$dir/apt" sid amd64 download "linux-source-$ver" >&2)
		# shellcheck disable=SC2012 # the first in ls's order; ls fails where there is none
		deb=$(ls "$dl"/linux-source-"$ver"_*_all.deb | head -n 1)
	fi
	rm -rf "$dl/x"
	dpkg-deb -x "$deb" "$dl/x"
	tarball=$dl/x/usr/src/linux-source-$ver.tar.xz
fi

echo "get-ksrc: unpacking $tarball" >&2
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
tar -xf "$tarball" -C "$tree.tmp" --strip-components=1
rm -rf "$dir/dl/x"
mv "$tree.tmp" "$tree"
touch "$tree/.unpacked"
