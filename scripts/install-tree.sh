#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Put the suite into a kernel tree's tools/testing/selftests/kvm, next to
# dirty_log_perf_test, so that "make -C tools/testing/selftests TARGETS=kvm"
# builds it and the kselftest runner runs it, and add the kernel options it
# needs (configs/kvm-stall.config) to the directory's "config" fragment.
# The programs go into the x86 and arm64 lists only (the stall is arm64's
# stage-2 batch, and x86's dirty-log clear): TEST_GEN_PROGS_x86_64 and
# _aarch64 in the 6.12 layout (Makefile), TEST_GEN_PROGS_x86 and _arm64 in
# the 6.14+ one (Makefile.kvm), never TEST_GEN_PROGS_COMMON, which s390,
# riscv and loongarch build too. Running it again replaces what it
# installed before. PROJECT_ROOT may hold part of the suite (as
# mkseries.sh's stages do): what is absent is not installed.
#
#   install-tree.sh PROJECT_ROOT KERNEL_TREE

set -euo pipefail

[ $# -eq 2 ] || { echo "usage: install-tree.sh PROJECT_ROOT KERNEL_TREE" >&2; exit 2; }
root=$1
kvm=$2/tools/testing/selftests/kvm

[ -d "$kvm/lib" ] || { echo "install-tree: no KVM selftests in '$2'" >&2; exit 1; }
if [ -f "$kvm/Makefile.kvm" ]; then
	mk=$kvm/Makefile.kvm
else
	mk=$kvm/Makefile
fi

cp "$root"/include/stall_*.h "$kvm/include/"
cp "$root"/lib/stall_*.c "$kvm/lib/"
# the results file's reader and schema travel in the kselftest tarball
# (the lab kit's LAVA definition); the series leaves them out
files=()
for f in "$root/scripts/stall-results.py" "$root"/schema/results-v*.schema.json; do
	[ ! -f "$f" ] || { cp "$f" "$kvm/"; files+=("$(basename "$f")"); }
done
tests=()
for t in "$root"/selftests/*.c; do
	cp "$t" "$kvm/"
	tests+=("$(basename "$t" .c)")
done

# Drop what an earlier run added (its test entries and its block), add the
# tests after each dirty_log_perf_test entry of the x86 and arm64 lists,
# and at the end a block that builds the suite's library and links it into
# the suite's programs only: every other KVM test links LIBKVM as before,
# without a byte of the suite.
awk -v tests="${tests[*]}" '
BEGIN {
	nt = split(tests, T, " ")
	for (i = 1; i <= nt; i++) mine[T[i]] = 1
}
/^# kvm-stall: begin/ { skip = 1 }
skip { if (/^# kvm-stall: end/) skip = 0; next }
/^LIBKVM \+= lib\/stall_/ { next }
/^(TEST_GEN_PROGS_[a-z0-9_]+) \+= / && ($3 in mine) { next }
{ print }
/^TEST_GEN_PROGS_(x86_64|aarch64|x86|arm64) \+= dirty_log_perf_test$/ {
	for (i = 1; i <= nt; i++) print $1 " += " T[i]
}' "$mk" > "$mk.stall.tmp"

# link_rules PROGRAM: its objects; stall_probe_test creates no VM, so the
# probe's own objects replace LIBKVM there
link_rules() {
	if [ "$1" = stall_probe_test ]; then
		echo "STALL_PROBE_OBJS := \$(patsubst %,\$(OUTPUT)/lib/stall_%.o,hist probe sys parse)"
		echo "\$(OUTPUT)/$1: LIBKVM_OBJS := \$(STALL_PROBE_OBJS)"
		echo "\$(OUTPUT)/$1: \$(STALL_PROBE_OBJS)"
	else
		echo "\$(OUTPUT)/$1: LIBKVM_OBJS += \$(STALL_LIB_OBJS)"
		echo "\$(OUTPUT)/$1: \$(STALL_LIB_OBJS)"
	fi
}

{
	echo "# kvm-stall: begin (scripts/install-tree.sh of the kvm-stall suite)"
	echo "# The stall suite's library, linked into its own programs only."
	echo "STALL_LIB_OBJS := \$(patsubst %.c,\$(OUTPUT)/%.o,\$(sort \$(wildcard lib/stall_*.c)))"
	for t in "${tests[@]}"; do
		link_rules "$t"
	done
	# the lab kit's code (-j), where its files are installed; never in the series
	if [ -f "$root/lib/stall_results.c" ]; then
		# shellcheck disable=SC2016 # $(OUTPUT) is make's, in the rule printed
		echo "\$(STALL_LIB_OBJS) $(printf '$(OUTPUT)/%s ' "${tests[@]}"): CPPFLAGS += -DSTALL_LAB"
	fi
	echo "\$(STALL_LIB_OBJS): \$(OUTPUT)/%.o: %.c \$(GEN_HDRS)"
	# shellcheck disable=SC2016 # make's variables, in the recipe printed
	printf '\t$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c $< -o $@\n'
	# their headers, as the tree's own objects have them (-MD in CFLAGS)
	echo "-include \$(STALL_LIB_OBJS:.o=.d)"
	echo "EXTRA_CLEAN += \$(STALL_LIB_OBJS) \$(STALL_LIB_OBJS:.o=.d)"
	[ ${#files[@]} -eq 0 ] || echo "TEST_FILES += ${files[*]}"
	echo "# kvm-stall: end"
} >> "$mk.stall.tmp"

grep -q "^TEST_GEN_PROGS_[A-Za-z0-9_]* += ${tests[0]}$" "$mk.stall.tmp" || {
	rm -f "$mk.stall.tmp"
	echo "install-tree: $mk has no dirty_log_perf_test entry to put the suite's after" >&2
	exit 1
}
mv "$mk.stall.tmp" "$mk"

# append_line FILE LINE: on a line of its own, even where the file's last
# line has no newline (Debian 7.2's kvm/.gitignore)
append_line() {
	[ ! -s "$1" ] || [ -z "$(tail -c 1 "$1")" ] || echo >> "$1"
	echo "$2" >> "$1"
}

# The directory's .gitignore keeps only sources: name the two files, so
# that they are part of the tree (and of a patch made from it).
if [ -f "$kvm/.gitignore" ]; then
	for f in ${files[@]+"${files[@]}"}; do
		grep -qx "!$f" "$kvm/.gitignore" || append_line "$kvm/.gitignore" "!$f"
	done
fi

# The kvm "config" fragment labs merge into their kernels: add the options
# the suite needs that it does not list yet.
if [ -f "$kvm/config" ] && [ -f "$root/configs/kvm-stall.config" ]; then
	grep -E '^CONFIG_[A-Z0-9_]+=' "$root/configs/kvm-stall.config" | while read -r line; do
		grep -q "^${line%%=*}=" "$kvm/config" || append_line "$kvm/config" "$line"
	done
fi
echo "install-tree: installed ${tests[*]} into $kvm ($(basename "$mk"))"
