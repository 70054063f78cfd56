#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The submission as a maintainer takes it: mkseries.sh's series for
# Debian's 6.12 and 7.2 trees, checkpatch --strict on every patch (the
# tree's own script; only the MAINTAINERS reminder may remain), "git am"
# onto the tree's kvm selftests, and every patch built in turn with the
# tree's own kvm Makefile (each must build alone). On 6.12, whose KVM
# library runs on this host, the last one's programs then run. The trees
# are only read: builds use a copy of hard links whose files are checked
# untouched afterwards, and objects go to a scratch directory.
#
#   check-series.sh BUILD

set -uo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "$build/series-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
kvmrel=tools/testing/selftests/kvm
# the kernel's name for this machine's architecture
karch=$(uname -m | sed -e 's/aarch64/arm64/' -e 's/x86_64/x86/')
n=0

. "$(dirname "$0")/ktap.sh"

show() {	# show LOG: its tail, as diagnostics
	sed -e 's/^/#   /' "$1" | tail -n 15
}

# checkpatch --strict: nothing but "does MAINTAINERS need updating?"
checkpatch() {	# checkpatch KSRC SERIES_DIR LOG
	local p bad=0
	for p in "$2"/0*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		perl "$1/scripts/checkpatch.pl" --strict --no-tree --terse "$p" |
			grep -v '^total:' | grep -v 'does MAINTAINERS need updating' >> "$3"
	done
	[ ! -s "$3" ] || bad=1
	return $bad
}

# git am onto a repository of the tree's kvm selftests, as they are there
apply() {	# apply KSRC SERIES_DIR REPO LOG
	mkdir -p "$3/$(dirname "$kvmrel")"
	cp -a "$1/$kvmrel" "$3/$kvmrel"
	(
		cd "$3" && git init -q && git add -A &&
		git -c user.name=check -c user.email=check@localhost commit -q -m base &&
		git -c user.name=check -c user.email=check@localhost am -q "$2"/000[1-9]-*.patch &&
		[ "$(git rev-list --count HEAD)" = $(( $(ls "$2"/000[1-9]-*.patch | wc -l) + 1 )) ]
	) > "$4" 2>&1
}

# each patch in turn, in a hard-link copy of the tree whose kvm directory
# is the repository's at that patch; only the programs it has are built
build_each() {	# build_each REPO TREE OUT HDR LOG
	local repo=$1 tree=$2 objs=$3 hdr=$4 log=$5 c progs
	# every commit but the base, oldest first
	for c in $(git -C "$repo" rev-list --reverse --min-parents=1 HEAD); do
		git -C "$repo" checkout -q "$c" || return 1
		rm -rf "${tree:?}/$kvmrel"
		cp -a "$repo/$kvmrel" "$tree/$kvmrel"
		rm -f "$objs"/lib/stall_*.o "$objs"/stall_probe_test "$objs"/kvm_page_table_stall_test
		progs=()
		for p in stall_probe_test kvm_page_table_stall_test; do
			[ ! -f "$tree/$kvmrel/$p.c" ] || progs+=("$objs/$p")
		done
		echo "== $(git -C "$repo" log -1 --format=%s "$c"): ${progs[*]##*/}" >> "$log"
		make -C "$tree/$kvmrel" ARCH="$karch" OUTPUT="$objs" KHDR_INCLUDES="-isystem $hdr/usr/include" \
			-j"$(nproc)" "${progs[@]}" >> "$log" 2>&1 || return 1
	done
}

echo "TAP version 13"
echo "1..14"
for ver in 6.12 7.2; do
	w=$work/$ver
	mkdir -p "$w"
	if ! "$root/scripts/get-ksrc.sh" "$ver" "$build/src" > "$w/src.log" 2>&1; then
		show "$w/src.log"
		for i in 1 2 3 4 5; do result 1 "$ver: no tree"; done
		[ "$ver" != 6.12 ] || { result 1 "6.12: not run"; result 1 "6.12: not run"; }
		continue
	fi
	ksrc=$(readlink -f "$build/src/linux-source-$ver")
	stamp=$w/stamp
	touch "$stamp"
	"$root/scripts/mkseries.sh" "$ksrc" "$w/series" > "$w/mkseries.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || show "$w/mkseries.log"
	result $rc "$ver: mkseries.sh makes $(ls "$w/series"/000[1-9]-*.patch 2>/dev/null | wc -l) patches and a cover letter"
	: > "$w/checkpatch.log"
	checkpatch "$ksrc" "$w/series" "$w/checkpatch.log"
	rc=$?
	[ $rc -eq 0 ] || show "$w/checkpatch.log"
	result $rc "$ver: checkpatch --strict has nothing to say but MAINTAINERS"
	apply "$ksrc" "$w/series" "$w/repo" "$w/am.log"
	rc=$?
	[ $rc -eq 0 ] || show "$w/am.log"
	result $rc "$ver: git am applies the series to the tree's kvm selftests"

	# headers as the project's build exports them, out of the tree
	make -C "$ksrc" O="$w/kobj" ARCH="$karch" headers \
		> "$w/headers.log" 2>&1
	cp -al "$ksrc" "$w/tree"
	build_each "$w/repo" "$w/tree" "$w/out" "$w/kobj" "$w/build.log"
	rc=$?
	[ $rc -eq 0 ] || show "$w/build.log"
	result $rc "$ver: every patch builds in turn with the tree's kvm Makefile"
	changed=$(find "$ksrc" -newer "$stamp" 2>/dev/null | head -n 5)
	[ -z "$changed" ] || echo "# changed in $ksrc: $changed"
	result "$([ -z "$changed" ] && echo 0 || echo 1)" "$ver: the kernel tree is untouched"

	[ "$ver" = 6.12 ] || continue
	# the applied series' own programs, as the kselftest runner would run them
	"$w/out/stall_probe_test" > "$w/probe.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 4 ] || show "$w/probe.log"
	result "$([ $rc -eq 0 ] || [ $rc -eq 4 ] && echo 0 || echo 1)" \
		"6.12: the series' stall_probe_test runs (status $rc)"
	"$w/out/kvm_page_table_stall_test" -b 64M -t madvise -B 2M,all -j "$w/r.json" \
		> "$w/stall.log" 2>&1
	rc=$?
	# a point over its budget on this shared host (1) is a measurement
	ok=1
	if { [ $rc -eq 0 ] || [ $rc -eq 1 ] || [ $rc -eq 4 ]; } &&
	   /usr/bin/python3 "$w/repo/$kvmrel/stall-results.py" validate "$w/r.json" >> "$w/stall.log" 2>&1; then
		ok=0
	fi
	[ $ok -eq 0 ] || show "$w/stall.log"
	result $ok "6.12: the series' kvm_page_table_stall_test runs and its results file is valid (status $rc)"
done
