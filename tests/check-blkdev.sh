#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The blk load writes a block device only when nothing else can be using
# it. Loop devices made here, over images made here, stand for each route
# by which a device is in use: mounted, another loop device over the same
# image (one of them mounted), a loop device stacked on it (mounted), a
# process holding it open, and an unused device that carries a
# filesystem. Each is refused before anything runs, naming the user, and
# its image is byte for byte what it was (the mounted filesystem checks
# clean); scratch=1 overrides the signature and nothing else; a blank
# device is used. Everything made here is removed, however the check ends.
#
#   check-blkdev.sh KVM_OUT

set -uo pipefail

bin=$1/kvm_page_table_stall_test
# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

echo "TAP version 13"
if [ "$(id -u)" != 0 ] || ! losetup -f > /dev/null 2>&1; then
	echo "1..0 # SKIP needs root and loop devices"
	exit 4
fi
n=0
work=$(mktemp -d)
loops=() mnts=() holder=
cleanup() {
	local m l

	[ -z "$holder" ] || kill "$holder" 2> /dev/null
	for m in "${mnts[@]}"; do umount "$m" 2> /dev/null; done
	# stacked devices first: the newest loop device goes first
	for ((l = ${#loops[@]} - 1; l >= 0; l--)); do losetup -d "${loops[l]}" 2> /dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

attach() {	# attach VAR FILE: a new loop device, its path in VAR
	local _dev

	_dev=$(losetup -f --show "$2") || return 1
	loops+=("$_dev")
	printf -v "$1" '%s' "$_dev"
}
image() {	# image NAME [ext4]: a 64 MiB image, with a filesystem if asked
	truncate -s 64M "$work/$1"
	[ "${2:-}" != ext4 ] || mkfs.ext4 -q -F "$work/$1"
}
mount_at() {	# mount_at DEV DIR: read-only, without the journal: the image stays as it is
	mkdir -p "$2" && mount -o ro,noload "$1" "$2" && mnts+=("$2")
}

# refused DESCRIPTION DEV PATTERN [SPEC]: refused before anything ran, naming PATTERN
refused() {
	local out rc

	out=$("$bin" -b 64M -t madvise -B all -w 50ms -L "${4:-blk:qd=4}" -D "$2" 2>&1)
	rc=$?
	echo "$out" | sed -n 's/^/# /p' | tail -n 2
	[ $rc = 1 ] && echo "$out" | grep -qE "refusing -D $2: .*$3"
	result $? "$1"
}

echo "1..9"
a='' b='' c='' d='' e='' f='' g=''
image shared ext4
attach a "$work/shared" && attach b "$work/shared" && mount_at "$a" "$work/mnt-a"
image base
attach c "$work/base" && attach d "$c" && mkfs.ext4 -q -F "$d" && mount_at "$d" "$work/mnt-d"
# a pattern where no signature is, so that any write shows
head -c 64M /dev/urandom > "$work/held"
attach e "$work/held" && { sleep 600 3<> "$e" & holder=$!; }
image fs ext4
attach f "$work/fs"
image blank
attach g "$work/blank"
[ -n "$g" ] || { echo "Bail out! could not set up the loop devices"; exit 1; }
sleep 0.5
before=$(sha256sum "$work/shared" "$work/base" "$work/held" "$work/fs" | cut -d' ' -f1)

refused "a mounted device is refused" "$a" "mounted at $work/mnt-a"
refused "another loop device over the same image as a mounted one is refused" \
	"$b" "shares its backing with ${a#/dev/}"
refused "a device another loop device (mounted) is stacked on is refused" \
	"$c" "(is the backing of ${d#/dev/}|open by|held by)"
refused "a device another process holds open is refused, naming it" "$e" "open by PID $holder"
refused "an unused device carrying a filesystem is refused" "$f" "ext2/3/4 signature"
refused "scratch=1 does not override an in-use check" "$b" "shares its backing" \
	"blk:qd=4:scratch=1"

kill "$holder" 2> /dev/null
wait "$holder" 2> /dev/null
holder=
for m in "${mnts[@]}"; do umount "$m"; done
mnts=()
after=$(sha256sum "$work/shared" "$work/base" "$work/held" "$work/fs" | cut -d' ' -f1)
[ "$before" = "$after" ] && e2fsck -fn "$work/shared" > /dev/null 2>&1 &&
	e2fsck -fn "$work/base" > /dev/null 2>&1
result $? "every refused device's image is byte for byte unchanged, its filesystem clean"

# used ones run: a blank device, and the filesystem one declared scratch
used() {	# used DESCRIPTION DEV SPEC
	local out rc

	out=$("$bin" -b 64M -t madvise -B all -w 50ms -L "$3" -D "$2" 2>&1)
	rc=$?
	echo "$out" | grep -E '^(ok|not ok) ' | sed -e 's/^/# /'
	if [ $rc = 4 ] && echo "$out" | grep -q '^1\.\.0'; then
		echo "ok $((++n)) $1 # SKIP stall test skipped here"
		return
	fi
	echo "$out" | grep -qE "^(ok|not ok) [0-9]+ madvise batch=all .* load=$3\$" &&
		! echo "$out" | grep -qE "load=$3 # SKIP"
	result $? "$1"
}
used "a blank device is used by the blk load" "$g" "blk:qd=4"
used "scratch=1 lets the load overwrite a filesystem signature" "$f" "blk:qd=4:scratch=1"
