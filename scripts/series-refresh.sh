#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fold the in-tree sources' changes into the series' patch stack
# (scripts/series/N-*.patch), quilt's way: each file whose placed form
# (scripts/series/stack.sh: the lab kit's code left out) differs from the
# stack's tip goes into the last patch that touches it, so that the tip
# equals the in-tree files again. A change that belongs in an earlier
# patch (a new function a middle patch should add) is moved there by hand:
# edit that patch's diff, then run this again to carry the rest.
#
#   series-refresh.sh [--check]
#
# --check changes nothing: it prints the difference and exits 1 where the
# stack's tip is not the in-tree files (make check's series check).

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
series=$root/scripts/series
# shellcheck source=series/stack.sh
. "$series/stack.sh"

check=
case ${1:-} in
--check) check=1 ;;
'') ;;
*) echo "usage: series-refresh.sh [--check]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
st=$work/stack
stack_expected "$root" "$series" "$work/expect"
stack_build "$series" "$st"
if stack_diff "$st" "$work/expect" > "$work/diff"; then
	echo "series-refresh: the stack's tip is the in-tree files"
	exit 0
fi
if [ -n "$check" ]; then
	cat "$work/diff"
	echo "series-refresh: the stack's tip differs from the in-tree files:" \
		"run make series-refresh (docs/series.md)" >&2
	exit 1
fi

# the files that differ, each with the last patch that touches it
changed=$( (cd "$work/expect" && find . -type f; cd "$st" && git ls-files) |
	sed 's|^\./||' | sort -u | while read -r f; do
		cmp -s "$work/expect/$f" "$st/$f" 2> /dev/null || echo "$f"
	done)
declare -A last
for f in $changed; do
	last[$f]=$(stack_git "$st" log -1 --format=%s -- "$f")
	[ -n "${last[$f]}" ] || {
		echo "series-refresh: $f is in no patch: add it to the patch that should bring it" >&2
		exit 1
	}
done

# replay the stack, each changed file taking its in-tree form from its
# last patch on (later patches do not touch it), and rewrite the patches
stack_git "$st" checkout -q -b refreshed base
declare -A folding
for p in $(stack_patches "$series"); do
	name=$(basename "$p")
	c=$(stack_git "$st" log -1 --format=%H --grep="^$name\$" tip)
	stack_git "$st" read-tree -u --reset "$c"
	for f in $changed; do
		[ "${last[$f]}" != "$name" ] || folding[$f]=1
		[ -n "${folding[$f]:-}" ] || continue
		rm -f "$st/$f"
		[ ! -f "$work/expect/$f" ] || { mkdir -p "$(dirname "$st/$f")"; cp "$work/expect/$f" "$st/$f"; }
	done
	stack_git "$st" add -A
	stack_git "$st" commit -q --allow-empty -m "$name"
	before=$(cksum < "$p")
	stack_write "$p" "$st"
	[ "$(cksum < "$p")" = "$before" ] || echo "series-refresh: $name refreshed"
done
stack_diff "$st" "$work/expect" > /dev/null ||
	{ echo "series-refresh: the tip still differs" >&2; exit 1; }
