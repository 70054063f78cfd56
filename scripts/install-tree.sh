#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Put the suite into a kernel tree's tools/testing/selftests/kvm, next to
# kvm_page_table_test, so that "make -C tools/testing/selftests TARGETS=kvm"
# builds it and the kselftest runner runs it, and add the kernel options it
# needs (configs/kvm-stall.config) to the directory's "config" fragment. Handles the 6.12 layout
# (Makefile, TEST_GEN_PROGS_x86_64/_aarch64) and the 6.14+ one
# (Makefile.kvm, TEST_GEN_PROGS_COMMON). Running it again replaces what it
# installed before.
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
tests=()
for t in "$root"/selftests/*.c; do
	cp "$t" "$kvm/"
	tests+=("$(basename "$t" .c)")
done
libs=$(cd "$root/lib" && ls stall_*.c)

# Drop what an earlier run added, then add the library after the generic
# LIBKVM list and the tests after each kvm_page_table_test entry of the
# lists that build for x86 and arm64.
awk -v libs="$libs" -v tests="${tests[*]}" '
BEGIN {
	nl = split(libs, L, "[ \n]+")
	nt = split(tests, T, " ")
	for (i = 1; i <= nl; i++) if (L[i] != "") mine["lib/" L[i]] = 1
	for (i = 1; i <= nt; i++) mine[T[i]] = 1
}
/^(LIBKVM|TEST_GEN_PROGS_[a-z0-9_]+) \+= / && ($3 in mine) { next }
{ print }
/^LIBKVM \+= lib\/userfaultfd_util.c$/ {
	for (i = 1; i <= nl; i++) if (L[i] != "") print "LIBKVM += lib/" L[i]
}
/^TEST_GEN_PROGS_(COMMON|x86_64|aarch64) \+= kvm_page_table_test$/ {
	for (i = 1; i <= nt; i++) print $1 " += " T[i]
}' "$mk" > "$mk.stall.tmp"

grep -q "^LIBKVM += lib/stall_" "$mk.stall.tmp" && \
	grep -q "^TEST_GEN_PROGS_[A-Za-z0-9_]* += kvm_page_table_stall_test" "$mk.stall.tmp" || {
	rm -f "$mk.stall.tmp"
	echo "install-tree: $mk has no anchor for the suite's entries" >&2
	exit 1
}
mv "$mk.stall.tmp" "$mk"

# The kvm "config" fragment labs merge into their kernels: add the options
# the suite needs that it does not list yet.
if [ -f "$kvm/config" ]; then
	grep -E '^CONFIG_[A-Z0-9_]+=' "$root/configs/kvm-stall.config" | while read -r line; do
		grep -q "^${line%%=*}=" "$kvm/config" || echo "$line" >> "$kvm/config"
	done
fi
echo "install-tree: installed ${tests[*]} into $kvm ($(basename "$mk"))"
