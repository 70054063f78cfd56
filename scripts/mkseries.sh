#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The suite as the patch series a KVM maintainer applies: "git format-patch"
# output against a kernel tree's tools/testing/selftests/kvm, one logical
# change per patch, each placed by install-tree.sh as it will live in the
# tree (the marker lines install-tree.sh keeps for itself removed), and a
# cover letter with the measured results. scripts/series/N-*.txt give each
# patch its files ("Files:" line), subject and message; cover.txt the cover
# letter's. Each patch builds on its own: the Makefile block links the
# library files present into the suite's programs.
#
# The kernel tree is only read: the series is made in a scratch git
# repository holding a copy of its kvm selftests directory.
#
#   mkseries.sh KSRC OUTDIR
#
# SERIES_AUTHOR ("Name <address>") signs the patches; by default the
# project's git identity.

set -euo pipefail

[ $# -eq 2 ] || { echo "usage: mkseries.sh KSRC OUTDIR" >&2; exit 2; }
ksrc=$(cd "$1" && pwd)
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
series=$root/scripts/series
[ -d "$ksrc/tools/testing/selftests/kvm/lib" ] ||
	{ echo "mkseries: no KVM selftests in '$1'" >&2; exit 2; }

author=${SERIES_AUTHOR:-$(git -C "$root" log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$author" ] || author="kvm-stall suite <kvm-stall@localhost>"
case $author in
*' <'*@*'>') ;;
*) echo "mkseries: SERIES_AUTHOR '$author' is not 'Name <address>'" >&2; exit 2 ;;
esac
export GIT_AUTHOR_NAME=${author% <*} GIT_AUTHOR_EMAIL=${author##*<}
GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL%>}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
# the same bytes every time from the same sources
export GIT_AUTHOR_DATE="$(git -C "$root" log -1 --format=%cI 2>/dev/null || date -R)"
export GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
kvmrel=tools/testing/selftests/kvm
mkdir -p "$repo/$(dirname "$kvmrel")"
cp -a "$ksrc/$kvmrel" "$repo/$kvmrel"
git -C "$repo" init -q
git -C "$repo" add -A
kver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$ksrc/Makefile" | paste -sd.)
git -C "$repo" commit -q -m "base: $kvmrel of $kver"
base=$(git -C "$repo" rev-parse HEAD)
if [ -f "$repo/$kvmrel/Makefile.kvm" ]; then mk=$kvmrel/Makefile.kvm; else mk=$kvmrel/Makefile; fi

stage=$work/stage
for msg in "$series"/[0-9]*-*.txt; do
	files=$(sed -n '1s/^Files: //p' "$msg")
	[ -n "$files" ] || { echo "mkseries: $msg has no Files: line" >&2; exit 1; }
	for f in $files; do
		[ -f "$root/$f" ] || { echo "mkseries: $msg: no $f" >&2; exit 1; }
		mkdir -p "$stage/$(dirname "$f")"
		cp "$root/$f" "$stage/$f"
	done
	# each stage installs onto the base's Makefile and config
	git -C "$repo" checkout -q "$base" -- "$mk" "$kvmrel/config" "$kvmrel/.gitignore"
	"$root/scripts/install-tree.sh" "$stage" "$repo" > /dev/null
	sed -i -e 's/^# kvm-stall: begin.*//' -e '/^# kvm-stall: end/d' "$repo/$mk"
	git -C "$repo" add -A
	{
		sed -e '1,2d' "$msg"
		echo
		echo "Signed-off-by: $author"
	} > "$work/message"
	git -C "$repo" commit -q -F "$work/message"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
git -C "$repo" format-patch -q --cover-letter --base="$base" -o "$out" "$base..HEAD"

# the cover letter's subject and text from cover.txt, with the base named
cover=$(ls "$out"/0000-*.patch)
subject=$(sed -n '1p' "$series/cover.txt")
awk -v subj="$subject" -v blurb="$series/cover.txt" -v kver="$kver" '
/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subj) }
/^\*\*\* BLURB HERE \*\*\*$/ {
	n = 0
	while ((getline line < blurb) > 0)
		if (++n > 2)
			print line
	print ""
	print "Made against " kver "."
	next
}
{ print }' "$cover" > "$work/cover" && cat "$work/cover" > "$cover"
ls "$out"/*.patch
