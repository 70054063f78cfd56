#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The submission as a maintainer takes it and a lab runs it: the patch
# stack's tip is the in-tree files as the series places them
# (series-refresh.sh --check), then mkseries.sh's
# series for Debian's 6.12 and 7.2 trees, its hygiene (author, no scratch
# base-commit, the base release named, Link: to the 2024 thread, Cc: from
# get_maintainer.pl, where the figures were measured), checkpatch --strict
# on every patch (the tree's own script; only the MAINTAINERS reminder may
# remain), a table of lines per patch, "git am" onto a writable copy of
# each tree (scripts/series/tree.sh: BUILD/trees/linux-VER, shared with
# check-install-tree.sh, objects kept between runs), every patch built in
# turn with the tree's kvm Makefile (a kernel patch: its arm64 objects,
# cross-compiled), then the tree's own
# "make -C tools/testing/selftests TARGETS=kvm install". On 6.12, whose
# KVM library runs on this host, the installed tests then run under the
# tree's kselftest runner, with a small sweep (KSELFTEST_*_ARGS). The
# Debian trees themselves are only read, and checked untouched.
#
#   check-series.sh BUILD

set -uo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
trees=$build/trees
work=$(mktemp -d "$build/series-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
kvmrel=tools/testing/selftests/kvm
tree=$root/scripts/series/tree.sh
# the series is never sent from here: a reserved-domain author is fine
author="Stall Series Check <series-check@stall-suite.invalid>"
thread=https://lore.kernel.org/all/20240404212742.11248-1-alisaidi@amazon.com/
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

show() {	# show LOG: its tail, as diagnostics
	sed -e 's/^/#   /' "$1" | tail -n 15
}

# check LOG DESCRIPTION CMD...: a result from a command, its log shown on failure
check() {
	local log=$1 what=$2 rc
	shift 2
	"$@" > "$log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || show "$log"
	result $rc "$what"
	return $rc
}

# checkpatch --strict: nothing but "does MAINTAINERS need updating?"
checkpatch() {	# checkpatch KSRC SERIES_DIR
	local p out=0
	for p in "$2"/000[1-9]-*.patch; do
		perl "$1/scripts/checkpatch.pl" --strict --no-tree --terse "$p" |
			grep -v '^total:' | grep -v 'does MAINTAINERS need updating' | grep . && out=1
	done
	return $out
}

# hygiene KSRC SERIES_DIR: what a maintainer checks before reading a line
hygiene() {
	local p kver list lists bad=0
	kver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$1/Makefile" | paste -sd.)
	for p in "$2"/000[0-9]-*.patch; do
		grep -q "^From: $author$" "$p" || { echo "$p: From: is not the author given"; bad=1; }
		! grep -q '^base-commit:' "$p" || { echo "$p: a base-commit (the scratch repository's)"; bad=1; }
		grep -qxF "Link: $thread" "$p" || { echo "$p: no Link: to the 2024 thread"; bad=1; }
		grep -q '^Cc: .*@' "$p" || { echo "$p: no Cc: from get_maintainer.pl"; bad=1; }
		# the KVM list for the tests, the arm64 one for the kernel change, both on the cover
		case $p in
		*-KVM-selftests-*) lists=kvm@vger.kernel.org ;;
		*-KVM-arm64-*) lists=kvmarm@lists.linux.dev ;;
		*) lists="kvm@vger.kernel.org kvmarm@lists.linux.dev" ;;
		esac
		for list in $lists; do
			grep -qx "Cc: $list" "$p" || { echo "$p: no Cc: to $list"; bad=1; }
		done
		case $p in */0000-*) continue ;; esac
		grep -qxF "Signed-off-by: $author" "$p" || { echo "$p: not signed off by the author"; bad=1; }
	done
	p=$(ls "$2"/0000-*.patch)
	grep -q "^Based on v${kver%.0} " "$p" || { echo "cover: does not name v$kver as its base"; bad=1; }
	if ! grep -q -- '-icount' "$p" || ! grep -q 'QEMU' "$p" ||
	   ! grep -q 'Where the figures below were measured' "$p"; then
		echo "cover: does not say where its figures were measured"
		bad=1
	fi
	return $bad
}

# a table of lines per patch, and the series' shape against the issue's limits
lines_table() {	# lines_table SERIES_DIR
	local p add del files total=0
	printf '# %-60s %6s %6s %5s\n' patch added removed files
	for p in "$1"/000[1-9]-*.patch; do
		read -r add del files < <(git apply --numstat "$p" |
			awk '{ a += $1; d += $2; f++ } END { print a + 0, d + 0, f + 0 }')
		printf '# %-60s %6d %6d %5d\n' "$(basename "$p" .patch | cut -c1-60)" "$add" "$del" "$files"
		total=$((total + add))
	done
	echo "# total added: $total (the issue's limit: 4000, no patch over 1200)"
}

# git am onto the tree's repository (reset to the tree as Debian ships it)
apply() {	# apply KSRC DIR SERIES_DIR
	local patches=("$3"/000[1-9]-*.patch)

	"$tree" prepare "$1" "$2" &&
	git -C "$2" -c user.name=check -c user.email=check@localhost am -q "${patches[@]}" &&
	[ "$(git -C "$2" rev-list --count base..HEAD)" = "${#patches[@]}" ]
}

# a kernel patch: the arm64 objects it changes, cross-compiled with the
# testbed's config (KVM on, 4K pages); the configured tree is kept
build_arm64() {	# build_arm64 DIR OBJ COMMIT
	local objs f
	objs=$(git -C "$1" diff --name-only "$3^" "$3" | sed -n 's|^\(arch/arm64/.*\)\.c$|\1.o|p')
	echo "== $(git -C "$1" log -1 --format=%s "$3"): $objs"
	if [ ! -f "$2/.config" ]; then
		mkdir -p "$2"
		for f in kvm-stall testbed arm64 arm64-4k; do cat "$root/configs/$f.config"; done > "$2/frag"
		make -C "$1" O="$2" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
			KCONFIG_ALLCONFIG="$2/frag" allnoconfig > "$2/config.log" 2>&1 ||
			{ tail "$2/config.log"; rm -f "$2/.config"; return 1; }
	fi
	grep -qx 'CONFIG_KVM=y' "$2/.config" || { echo "no CONFIG_KVM in $2/.config"; return 1; }
	# shellcheck disable=SC2086
	make -C "$1" O="$2" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j"$(nproc)" $objs
}

# each patch in turn, the programs it has, with the tree's kvm Makefile;
# with RUN, the test as each patch has it runs a short sweep here too
build_each() {	# build_each DIR HDR OUT [RUN]
	local c p progs rc=0 commits

	commits=$(git -C "$1" rev-list --reverse base..HEAD)
	[ -n "$commits" ] || { echo "no patch applied"; return 1; }
	for c in $commits; do
		git -C "$1" checkout -q "$c" || return 1
		if git -C "$1" diff --name-only "$c^" "$c" | grep -q '^arch/arm64/'; then
			build_arm64 "$1" "$3-arm64" "$c" || { rc=1; break; }
			continue
		fi
		progs=()
		for p in stall_probe_test kvm_page_table_stall_test; do
			[ ! -f "$1/$kvmrel/$p.c" ] || progs+=("$3/$p")
		done
		echo "== $(git -C "$1" log -1 --format=%s "$c"): ${progs[*]##*/}"
		rm -f "$3"/lib/stall_*.o "${progs[@]}"
		make -C "$1/$kvmrel" ARCH="$karch" OUTPUT="$3" KHDR_INCLUDES="-isystem $2/usr/include" \
			-j"$(nproc)" "${progs[@]}" > "$3.log" 2>&1 || { cat "$3.log"; rc=1; break; }
		# the tree's own flags: a warning is a maintainer's first remark
		! grep -E '(stall_|_stall_test).*warning:' "$3.log" || { rc=1; break; }
		# a patch before the test's has none (the file may be a previous run's)
		if [ -z "${4:-}" ] || [ "${progs[*]}" = "${progs[*]%kvm_page_table_stall_test}" ]; then
			continue
		fi
		run_stage "$3/kvm_page_table_stall_test" "$3.run.log" || { rc=1; break; }
	done
	git -C "$1" checkout -q work
	return $rc
}

# A patch's test runs: a KTAP plan met, exit 0, or 4 (a skip: no KVM here).
# A short sweep, with the options the patch's test has (its -h says).
run_stage() {	# run_stage TEST LOG
	local rc=0 opts usage

	usage=$("$1" -h 2>&1) || rc=$?
	# without KVM the KVM library's constructor skips before -h is read
	if [ $rc = 4 ] && [ -n "$nokvm" ]; then
		echo "   skipped before its options: $nokvm"
		grep -q '^1\.\.0 # SKIP' <<< "$usage"
		return
	fi
	[ $rc = 0 ] || return 1
	opts=(-b 64M)
	! grep -q '^ -t:' <<< "$usage" || opts+=(-t madvise)
	# shellcheck disable=SC2054 # -B takes a comma-separated list
	! grep -q '^ -B:' <<< "$usage" || opts+=(-B 2M,all)
	! grep -q '^ -d:' <<< "$usage" || opts+=(-d 0)
	timeout 300 "$1" "${opts[@]}" > "$2" 2>&1 || rc=$?
	sed -n -e '/^\(not \)\?ok /s/^/   /p' -e '/^# Totals/s/^/   /p' "$2"
	[ $rc = 0 ] || [ $rc = 4 ] || { echo "   exit $rc"; tail -n 5 "$2"; return 1; }
	[ $rc = 4 ] && grep -q '^1\.\.0 # SKIP' "$2" && return 0
	grep -q '^# Totals: pass:' "$2"
}

# the tree's kselftest install: rc 0, the list names both tests
install() {	# install DIR HDR INSTALL_PATH
	"$tree" install "$1" "$2" "$3" &&
	grep -qx 'kvm:kvm_page_table_stall_test' "$3/kselftest-list.txt" &&
	grep -qx 'kvm:stall_probe_test' "$3/kselftest-list.txt" &&
	test -x "$3/kvm/kvm_page_table_stall_test" && test -x "$3/kvm/stall_probe_test"
}

# where the programs are built and what they link
placement() {	# placement DIR INSTALL_PATH
	local mk=$1/$kvmrel/Makefile.kvm bad=0 lists shipped
	[ -f "$mk" ] || mk=$1/$kvmrel/Makefile
	lists=$(sed -n 's/^\(TEST_GEN_PROGS_[a-z0-9_]*\) += \(stall_probe_test\|kvm_page_table_stall_test\)$/\1/p' \
		"$mk" | sort -u | paste -sd' ')
	echo "lists: $lists"
	case " $lists " in
	*COMMON* | *s390* | *riscv* | *loongarch*) echo "built beyond x86 and arm64"; bad=1 ;;
	esac
	[ "$(echo "$lists" | wc -w)" = 2 ] || { echo "not in both the x86 and the arm64 list"; bad=1; }
	# no KVM library in the probe's self-test, no suite in the tree's tests
	if nm "$2/kvm/stall_probe_test" | grep -E ' T (kvm_|vm_|__vm_|vcpu_|test_assert)'; then
		echo "stall_probe_test links the KVM library"
		bad=1
	fi
	if nm "$2/kvm/kvm_page_table_test" | grep ' T stall_'; then
		echo "kvm_page_table_test links the suite"
		bad=1
	fi
	shipped=$(shopt -s nullglob; printf '%s\n' "$2"/kvm/*.py "$2"/kvm/*.json)
	[ -z "$shipped" ] || { echo "$shipped"; echo "the series ships .py or .json"; bad=1; }
	return $bad
}

# without KVM here the stall test is a skip under the runner (the tree's
# x86 build cannot run in the arm64 testbed): accepted, and said
nokvm=$(host_kvm_why)
stall_ok='ok [0-9]+ selftests: kvm: kvm_page_table_stall_test$|not ok [0-9]+ selftests: kvm: kvm_page_table_stall_test # exit=1$'
[ -z "$nokvm" ] || stall_ok+='|ok [0-9]+ selftests: kvm: kvm_page_table_stall_test # SKIP$'

# the installed tests under the tree's runner, a small sweep
runner() {	# runner INSTALL_PATH LOG
	# through a pipe: the runner writes to /dev/stdout by name
	(cd "$1" && KSELFTEST_KVM_PAGE_TABLE_STALL_TEST_ARGS="-b 64M -t madvise -B 2M,all" \
		./run_kselftest.sh -t kvm:stall_probe_test -t kvm:kvm_page_table_stall_test 2>&1 |
		cat) > "$2"
	cat "$2"
	grep -q '^ok [0-9]* selftests: kvm: stall_probe_test' "$2" && grep -qE "^($stall_ok)" "$2"
}

karch=$(uname -m | sed -e 's/aarch64/arm64/' -e 's/x86_64/x86/')
echo "TAP version 13"
echo "1..20"
check "$work/tip.log" "the patch stack's tip is the in-tree files, the lab kit's code left out" \
	"$root/scripts/series-refresh.sh" --check
for ver in 6.12 7.2; do
	w=$work/$ver
	t=$trees/linux-$ver
	mkdir -p "$w" "$trees"
	if ! "$root/scripts/get-ksrc.sh" "$ver" "$build/src" > "$w/src.log" 2>&1; then
		show "$w/src.log"
		for _ in 1 2 3 4 5 6 7 8; do result 1 "$ver: no tree"; done
		[ "$ver" != 6.12 ] || { result 1 "6.12: not run"; result 1 "6.12: not run"; result 1 "6.12: not run"; }
		continue
	fi
	ksrc=$(readlink -f "$build/src/linux-source-$ver")
	stamp=$w/stamp
	touch "$stamp"
	check "$w/mkseries.log" "$ver: mkseries.sh makes the series and a cover letter" \
		env SERIES_PLACEHOLDER_OK=1 "$root/scripts/mkseries.sh" -a "$author" "$ksrc" "$w/series"
	lines_table "$w/series"
	check "$w/hygiene.log" "$ver: author, base release, Link:, Cc: and the figures' provenance" \
		hygiene "$ksrc" "$w/series"
	check "$w/checkpatch.log" "$ver: checkpatch --strict has nothing to say but MAINTAINERS" \
		checkpatch "$ksrc" "$w/series"
	check "$w/am.log" "$ver: git am applies the series to the tree" apply "$ksrc" "$t" "$w/series"
	"$tree" headers "$ksrc" "$trees/hdr-$ver" > "$w/headers.log" 2>&1
	if [ "$ver" = 6.12 ]; then
		check "$w/each.log" "$ver: every patch builds in turn with the tree's kvm Makefile, its test runs" \
			build_each "$t" "$trees/hdr-$ver" "$trees/each-$ver" run
		grep -e '^== ' -e '^   ' "$w/each.log" | sed 's/^/# /'
	else
		check "$w/each.log" "$ver: every patch builds in turn with the tree's kvm Makefile" \
			build_each "$t" "$trees/hdr-$ver" "$trees/each-$ver"
	fi
	check "$w/install.log" "$ver: the tree's kselftest install (rc 0, kselftest-list.txt names both tests)" \
		install "$t" "$trees/hdr-$ver" "$trees/series-ks-$ver"
	check "$w/placement.log" "$ver: x86 and arm64 lists only, the probe test without LIBKVM, no .py/.json" \
		placement "$t" "$trees/series-ks-$ver"
	changed=$(find "$ksrc" -newer "$stamp" ! -type d 2> /dev/null | head -n 5)
	[ -z "$changed" ] || echo "# changed in $ksrc: $changed"
	result "$([ -z "$changed" ] && echo 0 || echo 1)" "$ver: the Debian tree is untouched"

	[ "$ver" = 6.12 ] || continue
	check "$w/runner.log" "6.12: the tree's kselftest runner runs the installed tests${nokvm:+ (no usable /dev/kvm here: the stall test skips)}" \
		runner "$trees/series-ks-$ver" "$trees/series-runner-$ver.log"
	sed -n -e '/selftests: kvm/s/^/# /p' "$trees/series-runner-$ver.log"
	# a missing identity is refused, never replaced by a placeholder
	env -u SERIES_AUTHOR GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$w" \
		GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=user.useConfigOnly GIT_CONFIG_VALUE_0=true \
		"$root/scripts/mkseries.sh" "$ksrc" "$w/none" > "$w/noauthor.log" 2>&1
	rc=$?
	result "$([ $rc = 2 ] && grep -q 'no author\|placeholder' "$w/noauthor.log" && echo 0 || echo 1)" \
		"mkseries.sh without an identity refuses, naming what to give (status $rc)"
	"$root/scripts/mkseries.sh" -a "Seed maintainers <seed@users.noreply.example>" "$ksrc" "$w/ph" \
		> "$w/ph.log" 2>&1
	rc=$?
	result "$([ $rc = 2 ] && grep -q "placeholder (reserved domain 'users.noreply.example')" "$w/ph.log" &&
		echo 0 || echo 1)" "mkseries.sh refuses a placeholder author (status $rc)"
done
