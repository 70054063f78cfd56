#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cross-build an arm64 host kernel for the QEMU testbed from Debian's
# kernel source: allnoconfig plus configs/kvm-stall.config, arm64.config and
# arm64-GRANULE.config, checked after olddefconfig so that a symbol the
# fragments ask for and Kconfig drops is an error, not a surprise. PATCHES
# (a space-separated list of patch files, applied with patch -p1 to a copy
# of the tree) lets a maintainer try a kernel change and rerun. The result
# is cached by version, granule and a hash of fragments and patches.
# Prints the Image's path.
#
#   [PATCHES="a.patch b.patch"] build-kernel.sh KVER GRANULE DIR

set -euo pipefail

kver=$1 granule=$2 dir=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

frags=("$root/configs/kvm-stall.config" "$root/configs/arm64.config"
       "$root/configs/arm64-$granule.config")
for f in "${frags[@]}"; do
	[ -f "$f" ] || { echo "build-kernel: no $f" >&2; exit 1; }
done
patches=()
for p in ${PATCHES:-}; do
	[ -f "$p" ] || { echo "build-kernel: patch '$p' not found" >&2; exit 1; }
	patches+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")")
done

key=$(cat "${frags[@]}" ${patches[@]+"${patches[@]}"} | sha256sum | cut -c1-12)
out=$dir/built-$kver-$granule-$key
if [ -f "$out/.ok" ]; then
	echo "$out/Image"
	exit 0
fi

# builds of older fragments or patches are large and never used again
for old in "$dir/built-$kver-$granule-"*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done

"$here/get-ksrc.sh" "$kver" "$dir/../src" >&2
src=$(cd "$dir/../src/linux-source-$kver" && pwd -P)
if [ ${#patches[@]} -gt 0 ]; then
	# patches go to a private copy: the unpacked source stays pristine
	rm -rf "$out/src"
	mkdir -p "$out"
	cp -a "$src" "$out/src"
	src=$out/src
	for p in "${patches[@]}"; do
		echo "build-kernel: applying $p" >&2
		patch -d "$src" -p1 --forward --batch < "$p" >&2
	done
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
touch "$out/.ok"
echo "$out/Image"
