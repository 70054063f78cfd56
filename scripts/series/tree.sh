#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A kernel tree as a maintainer or a lab has it, made cheaply from a
# read-only Debian source tree, for the checks that install the suite
# into it and run the tree's own kselftest "install" and runner:
#
#   tree.sh prepare KSRC DIR
#	DIR: hard links to KSRC's files, except tools/testing/selftests (the
#	only part a kselftest build writes to) and arch/arm64/kvm (the
#	series' kernel patch changes it), real copies, with a git repository
#	whose commit "base" holds those two as KSRC has them (Debian's
#	top-level .gitignore ignores everything: add -f).
#	Run again, it puts the kvm directory back to "base", keeping the
#	objects an earlier build left, so that a rebuild is incremental.
#   tree.sh install DIR HDR INSTALL_PATH
#	make -C tools/testing/selftests TARGETS=kvm install, with the
#	headers exported under HDR (make headers O=HDR), into INSTALL_PATH.
#   tree.sh headers KSRC HDR
#	KSRC's exported headers under HDR, made once.
#
# KSRC itself is never written: nothing writes through the hard links
# (the checks that use this verify it by modification times).

set -euo pipefail

kvmrel=tools/testing/selftests/kvm
karm=arch/arm64/kvm
gitc=(git -c user.name=kvm-stall-check -c user.email=kvm-stall-check@localhost)

prepare() {	# prepare KSRC DIR
	local ksrc dir=$2

	ksrc=$(readlink -f "$1")
	[ -d "$ksrc/$kvmrel/lib" ] || { echo "tree: no KVM selftests in '$1'" >&2; return 2; }
	if [ "$(cat "$dir/.stall-tree" 2>/dev/null)" = "$ksrc" ] &&
	   "${gitc[@]}" -C "$dir" rev-parse -q --verify base > /dev/null &&
	   "${gitc[@]}" -C "$dir" ls-files --error-unmatch "$karm/mmu.c" > /dev/null 2>&1; then
		rm -rf "$dir/.git/rebase-apply"
		"${gitc[@]}" -C "$dir" checkout -q -f -B work base
		# Debian's top-level .gitignore hides every untracked file from
		# git clean: remove what an earlier install or series added by
		# name (the objects stay, for an incremental build)
		rm -f "$dir/$kvmrel"/include/stall_*.h "$dir/$kvmrel"/lib/stall_*.c \
			"$dir/$kvmrel"/*stall_*test.c "$dir/$kvmrel"/stall-results.py \
			"$dir/$kvmrel"/results-v*.schema.json
		# anything else there: start afresh
		[ -n "$("${gitc[@]}" -C "$dir" ls-files -o --exclude-from="$kvmrel/.gitignore" \
			-- "$kvmrel")" ] || return 0
		echo "tree: other files in $dir/$kvmrel: copying the tree afresh" >&2
	fi
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	cp -al "$ksrc" "$dir"
	rm -rf "${dir:?}/tools/testing/selftests"
	cp -a "$ksrc/tools/testing/selftests" "$dir/tools/testing/selftests"
	# the series' kernel patch changes it: a copy, never links into the tree
	rm -rf "${dir:?}/$karm"
	cp -a "$ksrc/$karm" "$dir/$karm"
	"${gitc[@]}" -C "$dir" init -q
	"${gitc[@]}" -C "$dir" add -f "$kvmrel" "$karm"
	"${gitc[@]}" -C "$dir" commit -q -m "base: $kvmrel as in $ksrc"
	"${gitc[@]}" -C "$dir" tag base
	"${gitc[@]}" -C "$dir" checkout -q -B work base
	echo "$ksrc" > "$dir/.stall-tree"
}

headers() {	# headers KSRC HDR
	[ -f "$2/.headers" ] && return 0
	rm -rf "$2"
	make -C "$1" O="$2" ARCH="$(karch)" headers > /dev/null
	touch "$2/.headers"
}

install() {	# install DIR HDR INSTALL_PATH
	rm -rf "$3"
	make -C "$1/tools/testing/selftests" TARGETS=kvm ARCH="$(karch)" \
		KHDR_INCLUDES="-isystem $2/usr/include" INSTALL_PATH="$3" -j"$(nproc)" install
}

karch() {
	uname -m | sed -e 's/aarch64/arm64/' -e 's/x86_64/x86/'
}

case ${1:-} in
prepare)
	[ $# -eq 3 ] || { echo "usage: tree.sh prepare KSRC DIR" >&2; exit 2; }
	prepare "$2" "$3" ;;
headers)
	[ $# -eq 3 ] || { echo "usage: tree.sh headers KSRC HDR" >&2; exit 2; }
	headers "$2" "$3" ;;
install)
	[ $# -eq 4 ] || { echo "usage: tree.sh install DIR HDR INSTALL_PATH" >&2; exit 2; }
	install "$2" "$3" "$4" ;;
*)
	echo "tree.sh: unknown command '${1:-}' (prepare, headers, install)" >&2
	exit 2 ;;
esac
