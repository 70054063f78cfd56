#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The suite as the patch series a KVM maintainer applies: "git format-patch"
# output against a kernel tree's tools/testing/selftests/kvm, one logical
# change per patch, each placed by install-tree.sh as it will live in the
# tree (the marker lines install-tree.sh keeps for itself removed), and a
# cover letter with the measured results. The selftest patches are the
# stack kept in scripts/series/N-*.patch (scripts/series/stack.sh: subject,
# message and a diff over the project's files as the series has them),
# applied in turn to a scratch copy of those files, which install-tree.sh
# places into the tree with each patch's Makefile and config lines. A
# kernel change is scripts/series/N-*.txt, whose "Patch:" line names the
# patch it carries (one of patches/), with its subject and message;
# cover.txt gives the cover letter's. Each patch builds on its own: the
# Makefile block links the library files present into the suite's
# programs. The lab kit (results reader, schema, testbed, #ifdef STALL_LAB)
# is not part of the series.
#
# The stack's tip must be the in-tree files as the series places them
# (unifdef -USTALL_LAB): scripts/series-refresh.sh folds a change into it.
#
# The kernel tree is only read: the series is made in a scratch git
# repository holding a copy of its kvm selftests directory. A Debian
# source tree is no git repository, so no base-commit can be named: the
# cover letter names the upstream release the tree's Makefile says it is.
# Cc: lines come from the tree's own scripts/get_maintainer.pl (offline,
# --no-git) on each patch.
#
#   mkseries.sh [-a "Name <address>"] KSRC OUTDIR
#
# The author (From: and Signed-off-by:) is -a, else SERIES_AUTHOR, else
# git config user.name and user.email. An address in a reserved domain
# (example, invalid, test, localhost: RFC 2606) is a placeholder and
# refused, unless SERIES_PLACEHOLDER_OK=1 (checks that never send it).

set -euo pipefail

# The 2024 thread the series answers (the Graviton3 measurement's message)
THREAD=https://lore.kernel.org/all/20240404212742.11248-1-alisaidi@amazon.com/

usage() {
	echo "usage: mkseries.sh [-a 'Name <address>'] KSRC OUTDIR" >&2
	exit 2
}

author=${SERIES_AUTHOR:-}
while getopts a: opt; do
	case $opt in
	a) author=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
series=$root/scripts/series
# shellcheck source=series/stack.sh
. "$series/stack.sh"
[ -d "$1/tools/testing/selftests/kvm/lib" ] ||
	{ echo "mkseries: no KVM selftests in '$1'" >&2; exit 2; }
ksrc=$(cd "$1" && pwd)
out=$2

if [ -z "$author" ]; then
	name=$(git -C "$root" config user.name || true)
	email=$(git -C "$root" config user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		echo "mkseries: no author: give -a 'Name <address>' or set git config user.name and user.email" >&2
		exit 2
	fi
	author="$name <$email>"
fi
case $author in
?*' <'?*@?*'>') ;;
*) echo "mkseries: author '$author' is not 'Name <address>'" >&2; exit 2 ;;
esac
email=${author##*<}
email=${email%>}
domain=$(echo "${email##*@}" | tr '[:upper:]' '[:lower:]')
case $domain in
example | *.example | example.com | example.net | example.org | *.example.com | *.example.net | \
*.example.org | invalid | *.invalid | test | *.test | localhost | *.localhost | localdomain | \
*.localdomain)
	[ "${SERIES_PLACEHOLDER_OK:-}" = 1 ] || {
		echo "mkseries: author '$author' is a placeholder (reserved domain '$domain'):" \
			"give -a 'Name <address>' or set git config user.name and user.email" >&2
		exit 2
	}
	;;
esac
export GIT_AUTHOR_NAME=${author% <*} GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
# the same bytes every time from the same sources
GIT_AUTHOR_DATE=$(git -C "$root" log -1 --format=%cI 2>/dev/null || date -R)
export GIT_AUTHOR_DATE
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE

kver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$ksrc/Makefile" | paste -sd.)
case $kver in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "mkseries: no VERSION/PATCHLEVEL/SUBLEVEL in '$ksrc/Makefile'" >&2; exit 2 ;;
esac
# a .0 release is tagged without its sublevel
tag=v${kver%.0}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
kvmrel=tools/testing/selftests/kvm
# the files the series' kernel patches change, as the tree has them
kfiles=$(for msg in "$series"/[0-9]*-*.txt; do
	p=$(sed -n '1s/^Patch: //p' "$msg")
	[ -z "$p" ] || sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$root/$p"
done | sort -u)
mkdir -p "$repo/$(dirname "$kvmrel")"
cp -a "$ksrc/$kvmrel" "$repo/$kvmrel"
for f in $kfiles; do
	mkdir -p "$repo/$(dirname "$f")"
	cp "$ksrc/$f" "$repo/$f"
done
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" commit -q -m "base: $kvmrel of $tag"
base=$(git -C "$repo" rev-parse HEAD)
if [ -f "$repo/$kvmrel/Makefile.kvm" ]; then mk=$kvmrel/Makefile.kvm; else mk=$kvmrel/Makefile; fi

# cc PATCH_OR_FILES...: the tree's get_maintainer.pl, offline, as Cc: lines
cc() {
	(cd "$ksrc" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
		--no-tree --no-multiline "$@") 2>/dev/null | tr ',' '\n' | sed -e 's/^ *//' -e '/^$/d' |
		sed 's/^/Cc: /'
}

stage=$work/stage
mkdir -p "$stage"
stack_git "$stage" init -q
for msg in "$series"/[0-9]*-*; do
	case $msg in
	*.txt)
		# a kernel change: the patch's diff, its own header left out
		kpatch=$(sed -n '1s/^Patch: //p' "$msg")
		[ -n "$kpatch" ] || { echo "mkseries: $msg has no Patch: line" >&2; exit 1; }
		git -C "$repo" apply --whitespace=error-all "$root/$kpatch" ||
			{ echo "mkseries: $kpatch does not apply to $tag" >&2; exit 1; }
		sed -e '1,/^$/d' "$msg" > "$work/text" ;;
	*.patch)
		stack_git "$stage" apply --whitespace=error-all "$msg" ||
			{ echo "mkseries: $msg does not apply to the patches before it" >&2; exit 1; }
		# each stage installs onto the base's Makefile and config
		git -C "$repo" checkout -q "$base" -- "$mk" "$kvmrel/config" "$kvmrel/.gitignore"
		"$root/scripts/install-tree.sh" "$stage" "$repo" > /dev/null
		sed -i -e 's/^# kvm-stall: begin.*//' -e '/^# kvm-stall: end/d' "$repo/$mk"
		stack_message "$msg" > "$work/text" ;;
	*) continue ;;
	esac
	git -C "$repo" add -A
	{
		cat "$work/text"
		echo
		echo "Link: $THREAD"
		echo "Signed-off-by: $author"
	} > "$work/message"
	git -C "$repo" commit -q -F "$work/message"
	# the maintainers of what this patch touches, from the tree's MAINTAINERS
	git -C "$repo" format-patch -q -1 --stdout HEAD > "$work/one.patch"
	cc "$work/one.patch" > "$work/cc"
	[ -s "$work/cc" ] || { echo "mkseries: get_maintainer.pl named no one for $msg" >&2; exit 1; }
	cat "$work/message" "$work/cc" > "$work/message.cc"
	git -C "$repo" commit -q --amend -F "$work/message.cc"
done

# the series' last tree is the in-tree code, the lab kit's left out
rm -rf "$stage/.git"
stack_expected "$root" "$series" "$work/expect"
if ! stack_diff "$stage" "$work/expect" > "$work/tip.diff"; then
	head -n 40 "$work/tip.diff" >&2
	echo "mkseries: the stack's tip is not the in-tree files: make series-refresh (docs/series.md)" >&2
	exit 1
fi
if grep -rlw 'STALL_LAB' "$repo/$kvmrel" >&2; then
	echo "mkseries: the lab kit's macro left in the files above" >&2
	exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
git -C "$repo" format-patch -q --cover-letter -o "$out" "$base..HEAD"

# The cover letter's subject and text from cover.txt, with the base named
# (no base-commit: the tree is no git repository) and everyone Cc'd.
cover=$(ls "$out"/0000-*.patch)
subject=$(sed -n '1p' "$series/cover.txt")
sed -n 's/^Cc: //p' "$out"/000[1-9]-*.patch | sort -u | sed 's/^/Cc: /' > "$work/cc-all"
awk -v subj="$subject" -v blurb="$series/cover.txt" -v tag="$tag" -v thread="$THREAD" \
	-v ccs="$work/cc-all" '
/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subj) }
/^\*\*\* BLURB HERE \*\*\*$/ {
	n = 0
	while ((getline line < blurb) > 0)
		if (++n > 2)
			print line
	print ""
	print "Based on " tag " (the release its tools/testing/selftests/kvm was taken"
	print "from; the series was made without a git clone, so it names no base-commit)."
	print ""
	print "Link: " thread
	while ((getline line < ccs) > 0)
		print line
	next
}
{ print }' "$cover" > "$work/cover" && cat "$work/cover" > "$cover"
ls "$out"/*.patch
