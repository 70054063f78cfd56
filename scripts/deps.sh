#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages a target needs, if missing; nothing else on
# the system is changed. Called by the Makefile, so that "make run" and
# "make check" work on a fresh Debian 12 machine with gcc, make and git.
#
#   deps.sh [--missing] build|arm64|testbed|kernel|fuzz|results|report ...
#
# --missing prints the packages the sets lack and installs nothing. Another
# apt or dpkg at work (a second make target, unattended-upgrades) is waited
# for, APT_LOCK_WAIT seconds at most (default 600), not taken as a failure.

set -euo pipefail

only_list=0
if [ "${1:-}" = --missing ]; then
	only_list=1
	shift
fi
lock_wait=${APT_LOCK_WAIT:-600}
case $lock_wait in
''|*[!0-9]*) echo "deps: invalid APT_LOCK_WAIT '$lock_wait': seconds, digits only" >&2; exit 2 ;;
esac

pkgs=()
for what in "$@"; do
	case $what in
	build)
		# e2fsprogs: make check's scratch-device check makes filesystems
		pkgs+=(xz-utils perl libc6-dev e2fsprogs) ;;
	arm64)
		pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
	testbed)
		pkgs+=(qemu-system-arm cpio gzip debian-archive-keyring) ;;
	kernel)
		pkgs+=(gcc-aarch64-linux-gnu flex bison bc libssl-dev libelf-dev patch) ;;
	results)
		# the results file's schema, LAVA's schema checks, kunit.py
		pkgs+=(python3 python3-jsonschema python3-yaml lava-common) ;;
	report)
		# make report's plots
		pkgs+=(python3 python3-matplotlib) ;;
	fuzz)
		# libFuzzer and clang's sanitizer runtimes; gcc's ASan and UBSan come with gcc
		pkgs+=(clang-14 libclang-rt-14-dev) ;;
	*)
		echo "deps: unknown set '$what'" >&2
		exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ $only_list = 1 ]; then
	echo "${missing[*]}"
	exit 0
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
	exit 1
fi
# CMD again while another apt holds a lock that apt does not wait for
# (apt-get update's on the lists, apt 2.6), lock_wait seconds at most
apt_waiting() {
	local end=$((SECONDS + lock_wait)) err rc said=0

	while :; do
		rc=0
		err=$("$@" 2>&1 >&3) || rc=$?
		if [ $rc = 0 ] || [ $SECONDS -ge $end ] || ! grep -q 'Could not get lock' <<< "$err"; then
			[ -z "$err" ] || printf '%s\n' "$err" >&2
			return $rc
		fi
		[ $said = 1 ] || echo "deps: another apt holds its lock: waiting, $lock_wait s at most" >&2
		said=1
		sleep 2
	done
} 3>&1

echo "deps: installing ${missing[*]}" >&2
apt_waiting apt-get -q -o "DPkg::Lock::Timeout=$lock_wait" update >&2
# dpkg's locks, which install takes first, apt waits for itself
DEBIAN_FRONTEND=noninteractive apt-get -q -o "DPkg::Lock::Timeout=$lock_wait" install -y \
	--no-install-recommends "${missing[@]}" >&2
