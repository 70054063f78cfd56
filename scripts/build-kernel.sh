#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cross-build an arm64 host kernel for the QEMU testbed from Debian's
# kernel source: allnoconfig plus configs/kvm-stall.config, testbed.config,
# arm64.config and arm64-GRANULE.config, checked after olddefconfig so that a symbol the
# fragments ask for and Kconfig drops is an error, not a surprise. PATCHES
# (a space-separated list of patch files, applied with patch -p1 to a copy
# of the tree made of hard links) lets a maintainer try a kernel change and
# rerun. Builds are cached by version, granule and a hash of the source
# version, fragments and patches; the KEEP_KERNELS (6) most recently used
# are kept, so that going back to the stock kernel costs nothing. Prints
# the Image's path; the config it was built with is next to it.
#
#   [PATCHES="a.patch b.patch"] build-kernel.sh KVER GRANULE DIR

set -euo pipefail

kver=$1 granule=$2 dir=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

frags=("$root/configs/kvm-stall.config" "$root/configs/testbed.config"
       "$root/configs/arm64.config" "$root/configs/arm64-$granule.config")
for f in "${frags[@]}"; do
	[ -f "$f" ] || { echo "build-kernel: no $f" >&2; exit 1; }
done
patches=()
for p in ${PATCHES:-}; do
	[ -f "$p" ] || { echo "build-kernel: patch '$p' not found" >&2; exit 1; }
	patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
done

"$here/get-ksrc.sh" "$kver" "$dir/../src" >&2
src=$(cd "$dir/../src/linux-source-$kver" && pwd -P)
srcver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$src/Makefile" | paste -sd.)

# Keyed by source version, fragments and patches: a stock and a patched
# build of one version and granule are both kept, as are other versions.
key=$( (echo "$srcver"; cat "${frags[@]}" ${patches[@]+"${patches[@]}"}) | sha256sum | cut -c1-12)
out=$dir/built-$kver-$granule-$key
# one build of a kernel at a time: make check starts the 64K one in the
# background, and the testbed check then waits for it here
exec 8> "$dir/.build-$kver-$granule-$key.lock"
flock -w 3600 8 || { echo "build-kernel: $out was being built for an hour" >&2; exit 1; }
if [ -f "$out/.ok" ]; then
	[ -f "$out/config" ] || cp "$out/obj/.config" "$out/config"
	touch "$out/.ok"
	echo "$out/Image"
	exit 0
fi

# Each build is ~200 MB: keep the KEEP_KERNELS (6) most recently used.
keep=${KEEP_KERNELS:-6}
# shellcheck disable=SC2012 # ls -t: newest first; the names are our own
for ok in $(ls -1t "$dir"/built-*/.ok 2>/dev/null | tail -n +"$keep" || true); do
	old=$(dirname "$ok")
	echo "build-kernel: removing $old, the least recently used of $keep builds" >&2
	rm -rf "$old"
done
rm -rf "$out"
# a build that fails or is interrupted leaves nothing half-made behind
trap '[ -f "$out/.ok" ] || rm -rf "$out"' EXIT

if [ ${#patches[@]} -gt 0 ]; then
	# A copy of hard links, in seconds: patch(1) writes each file it
	# changes anew and renames it into place, so the unpacked source
	# stays pristine; checked below, file by file.
	mkdir -p "$out"
	cp -al "$src" "$out/src"
	src=$out/src
	for p in "${patches[@]}"; do
		echo "build-kernel: applying $p" >&2
		patch -d "$src" -p1 --forward --batch < "$p" >&2
		# shellcheck disable=SC2013 # the paths have no whitespace: a word each
		for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p"); do
			[ "$(stat -c %h "$src/$f")" = 1 ] ||
				{ echo "build-kernel: $f still shared after patching" >&2; exit 1; }
		done
	done
	printf '%s\n' "${patches[@]}" > "$out/patches"
fi

obj=$out/obj
mkdir -p "$obj"
cat "${frags[@]}" > "$obj/fragments.config"
kmake=(make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
"${kmake[@]}" KCONFIG_ALLCONFIG="$obj/fragments.config" allnoconfig > "$obj/config.log" 2>&1
"${kmake[@]}" olddefconfig >> "$obj/config.log" 2>&1

missing=0
while read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qx "$line" "$obj/.config" || { echo "build-kernel: $line did not stick" >&2; missing=1; } ;;
	esac
done < "$obj/fragments.config"
[ $missing -eq 0 ] || exit 1

echo "build-kernel: building $kver $granule in $obj (log: $obj/build.log)" >&2
if ! "${kmake[@]}" -j"$(nproc)" Image > "$obj/build.log" 2>&1; then
	tail -n 30 "$obj/build.log" >&2
	exit 1
fi
cp "$obj/arch/arm64/boot/Image" "$out/Image"
cp "$obj/.config" "$out/config"
echo "$srcver" > "$out/version"
touch "$out/.ok"
echo "$out/Image"
