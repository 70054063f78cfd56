#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Put the suite into a kernel tree's tools/testing/selftests/kvm, next to
# kvm_page_table_test, so that "make -C tools/testing/selftests TARGETS=kvm"
# builds it and the kselftest runner runs it, and add the kernel options it
# needs (configs/kvm-stall.config) to the directory's "config" fragment. Handles the 6.12 layout
# (Makefile, TEST_GEN_PROGS_x86_64/_aarch64) and the 6.14+ one
# (Makefile.kvm, TEST_GEN_PROGS_COMMON). Running it again replaces what it
# installed before. PROJECT_ROOT may hold part of the suite (as
# mkseries.sh's stages do): what is absent is not installed.
#
#   install-tree.sh PROJECT_ROOT KERNEL_TREE

set -euo pipefail

root=$1
kvm=$2/tools/testing/selftests/kvm

[ -d "$kvm/lib" ] || { echo "install-tree: no KVM selftests in $2" >&2; exit 1; }
if [ -f "$kvm/Makefile.kvm" ]; then
	mk=$kvm/Makefile.kvm
else
	mk=$kvm/Makefile
fi

cp "$root"/include/stall_*.h "$kvm/include/"
cp "$root"/lib/stall_*.c "$kvm/lib/"
# the results file's reader and schema travel in the kselftest tarball (LAVA)
files=()
for f in "$root/scripts/stall-results.py" "$root/schema/results-v1.schema.json"; do
	[ ! -f "$f" ] || { cp "$f" "$kvm/"; files+=("$(basename "$f")"); }
done
tests=()
for t in "$root"/selftests/*.c; do
	cp "$t" "$kvm/"
	tests+=("$(basename "$t" .c)")
done

# Drop what an earlier run added (its test entries and its block), add the
# tests after each kvm_page_table_test entry of the lists that build for x86
# and arm64, and at the end a block that builds the suite's library and
# links it into the suite's programs only: every other KVM test links
# LIBKVM as before, without a byte of the suite.
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
/^TEST_GEN_PROGS_(COMMON|x86_64|aarch64) \+= kvm_page_table_test$/ {
	for (i = 1; i <= nt; i++) print $1 " += " T[i]
}' "$mk" > "$mk.stall.tmp"
cat >> "$mk.stall.tmp" <<EOF
# kvm-stall: begin (scripts/install-tree.sh of the kvm-stall suite)
# The stall suite's library, linked into its own programs only.
STALL_LIB_OBJS := \$(patsubst %.c,\$(OUTPUT)/%.o,\$(sort \$(wildcard lib/stall_*.c)))
STALL_PROGS := \$(addprefix \$(OUTPUT)/,${tests[*]})
\$(STALL_PROGS): LIBKVM_OBJS += \$(STALL_LIB_OBJS)
\$(STALL_PROGS): \$(STALL_LIB_OBJS)
\$(STALL_LIB_OBJS): \$(OUTPUT)/%.o: %.c \$(GEN_HDRS)
	\$(CC) \$(CFLAGS) \$(CPPFLAGS) \$(TARGET_ARCH) -c \$< -o \$@
EXTRA_CLEAN += \$(STALL_LIB_OBJS)
EOF
[ ${#files[@]} -eq 0 ] || echo "TEST_FILES += ${files[*]}" >> "$mk.stall.tmp"
echo "# kvm-stall: end" >> "$mk.stall.tmp"

grep -q "^TEST_GEN_PROGS_[A-Za-z0-9_]* += ${tests[0]}$" "$mk.stall.tmp" || {
	rm -f "$mk.stall.tmp"
	echo "install-tree: $mk has no anchor for the suite's entries" >&2
	exit 1
}
mv "$mk.stall.tmp" "$mk"

# The directory's .gitignore keeps only sources: name the two files, so
# that they are part of the tree (and of a patch made from it).
if [ -f "$kvm/.gitignore" ]; then
	for f in ${files[@]+"${files[@]}"}; do
		grep -qx "!$f" "$kvm/.gitignore" || echo "!$f" >> "$kvm/.gitignore"
	done
fi

# The kvm "config" fragment labs merge into their kernels: add the options
# the suite needs that it does not list yet.
if [ -f "$kvm/config" ] && [ -f "$root/configs/kvm-stall.config" ]; then
	grep -E '^CONFIG_[A-Z0-9_]+=' "$root/configs/kvm-stall.config" | while read -r line; do
		grep -q "^${line%%=*}=" "$kvm/config" || echo "$line" >> "$kvm/config"
	done
fi
echo "install-tree: installed ${tests[*]} into $kvm ($(basename "$mk"))"
