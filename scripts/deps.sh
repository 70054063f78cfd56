#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages a target needs, if missing; nothing else on
# the system is changed. Called by the Makefile, so that "make run" and
# "make check" work on a fresh Debian 12 machine with gcc, make and git.
#
#   deps.sh [--missing] build|arm64|testbed|kernel|fuzz|results|report|lava ...
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
# shellcheck source=apt-lock.sh
. "$(dirname "$0")/apt-lock.sh"

pkgs=()
for what in "$@"; do
	case $what in
	build)
		# e2fsprogs: make check's scratch-device check makes filesystems;
		# unifdef: make series leaves the lab kit's code out
		# procps: the checks' pgrep and pkill
		# tests/check-shellcheck.sh lints the shell scripts with shellcheck
		pkgs+=(xz-utils perl libc6-dev e2fsprogs unifdef procps shellcheck) ;;
	arm64)
		# the sanitizers' runtimes: make sanitize's arm64 build, for the testbed
		pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross libasan8-arm64-cross libubsan1-arm64-cross) ;;
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
	lava)
		# make lava-run: Debian's LAVA dispatcher (lava-run), git for the
		# test definition's repository, the results' YAML
		pkgs+=(lava-dispatcher git python3-yaml) ;;
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

echo "deps: installing ${missing[*]}" >&2
apt_waiting deps apt-get -q -o "DPkg::Lock::Timeout=$lock_wait" update >&2
# dpkg's locks, which install takes first, apt waits for itself
DEBIAN_FRONTEND=noninteractive apt-get -q -o "DPkg::Lock::Timeout=$lock_wait" install -y \
	--no-install-recommends "${missing[@]}" >&2
