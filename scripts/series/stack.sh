# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The series' patch stack (scripts/series/N-*.patch), for mkseries.sh,
# series-refresh.sh and make check's series check. Each patch holds its
# subject and message, a "---" line, and a git diff over the project's
# paths (include/, lib/, selftests/, configs/kvm-stall.config) as the
# series has them: the lab kit's code left out (unifdef -USTALL_LAB), the
# lab kit's config options too. The stack's tip must equal the in-tree
# files so placed (stack_expected); install-tree.sh puts each patch's
# files into a kernel tree, with the Makefile and config lines.

# stack_patches SERIES: the stack's patches, in order
stack_patches() {
	local p

	for p in "$1"/[0-9]*-*.patch; do
		[ ! -f "$p" ] || echo "$p"
	done
}

# stack_message PATCH: its subject and message
stack_message() {
	sed '/^---$/,$d' "$1"
}

# stack_files SERIES: the project files the stack's patches touch
stack_files() {
	local p

	stack_patches "$1" | while read -r p; do
		sed -n -e 's|^+++ b/||p' -e 's|^--- a/||p' "$p"
	done | sort -u
}

# stack_place ROOT FILE DEST: ROOT's FILE as the series has it, at DEST
stack_place() {
	local rc

	mkdir -p "$(dirname "$3")"
	case $2 in
	*.[ch])
		# the lab kit's code stays here (status 1: lines removed)
		unifdef -USTALL_LAB -o "$3.tmp" "$1/$2" && rc=0 || rc=$?
		[ "$rc" -le 1 ] || { echo "stack: unifdef failed on $2" >&2; return 1; }
		# nor the blank line a block at the end leaves, nor two blank
		# lines where a block stood between them
		sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}' "$3.tmp" | cat -s > "$3"
		rm "$3.tmp" ;;
	*.config)
		# the lab kit's options close the fragment
		sed '/^# lab kit/,$d' "$1/$2" > "$3" ;;
	*)
		cp "$1/$2" "$3" ;;
	esac
}

# stack_expected ROOT SERIES DEST: the stack's files, from ROOT, as the
# series places them; a file ROOT no longer has is left out
stack_expected() {
	local f

	mkdir -p "$3"
	for f in $(stack_files "$2"); do
		[ ! -f "$1/$f" ] || stack_place "$1" "$f" "$3/$f" || return 1
	done
}

# stack_git DIR ARGS...: git in a scratch repository, as a fixed author
stack_git() {
	local dir=$1

	shift
	git -C "$dir" -c user.name=kvm-stall-stack -c user.email=kvm-stall-stack@localhost \
		-c commit.gpgsign=false "$@"
}

# stack_build SERIES DIR: DIR a git repository whose commit "base" is
# empty, each later commit one patch of the stack applied, its subject
# the patch's file name, and whose tag "tip" is the last
stack_build() {
	local p

	mkdir -p "$2"
	stack_git "$2" init -q
	stack_git "$2" commit -q --allow-empty -m base
	stack_git "$2" tag base
	for p in $(stack_patches "$1"); do
		stack_git "$2" apply --whitespace=error-all "$p" ||
			{ echo "stack: $(basename "$p") does not apply" >&2; return 1; }
		stack_git "$2" add -A
		stack_git "$2" commit -q --allow-empty -m "$(basename "$p")"
	done
	stack_git "$2" tag tip
}

# stack_diff DIR EXPECTED: the tip of a stack_build against EXPECTED
stack_diff() {
	diff -ru --exclude=.git "$1" "$2"
}

# stack_write PATCH DIR: PATCH's message and the diff of DIR's HEAD commit
stack_write() {
	{
		stack_message "$1"
		echo "---"
		stack_git "$2" diff --no-color --no-ext-diff HEAD~1 HEAD
	} > "$1.new"
	mv "$1.new" "$1"
}
