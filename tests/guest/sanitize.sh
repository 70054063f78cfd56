#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The sanitizer build's sweep inside the arm64 testbed, run by
# tests/check-sanitize.sh on a host without a usable /dev/kvm. The test is
# dynamically linked (the sanitizers' runtimes are shared libraries only)
# and the initramfs has no /lib: its loader and libraries came in beside
# it, in /, and the loader is run with them. Prints the test's output and
# then its status as "SANITIZE-STATUS N".
#
#   sanitize.sh TEST-OPTIONS...

# a finding must not read as a test's "not ok" (status 1)
export ASAN_OPTIONS=exitcode=86:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87
mkdir -p /tmp/blk
/ld-linux-aarch64.so.1 --library-path / /kvm_page_table_stall_test "$@" 2>&1
echo "SANITIZE-STATUS $?"
