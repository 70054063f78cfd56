#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The project's LAVA job, run by a real LAVA dispatcher: Debian's
# lava-dispatcher (lava-run, no server) runs lava/job-qemu-arm64-kvm-stall.yaml
# on the device lava/devices/qemu-arm64-kvm.yaml (QEMU arm64 with EL2, so
# KVM works inside). Everything is local: the job's URLs are file:// URLs
# into a temporary directory holding
#   vmlinuz           the testbed's kernel (Debian's 6.12, 4K pages)
#   ramdisk.cpio.gz   scripts/mkinitramfs.sh --lava: busybox, a shell for
#                     LAVA, python3 and the C library
#   kselftest.tar.gz  the kernel tree's gen_tar, for arm64, with the suite
#                     installed by scripts/install-tree.sh
#   testdefs.git      a git repository with lava/kvm-stall.yaml (from: git)
# and the dispatcher's own temporary files go there too (its "prefix"),
# not to /var/lib/lava. The tree copy, its arm64 build and the tarball are
# kept under BUILD/lava for the next run; the ramdisk is made each run.
#
# OUT receives the run: log.yaml (lava-run's log: every action, the
# console, every result), result.yaml (the job's result), description.yaml
# (the pipeline and its timeouts), status (lava-run's exit status) and
# wall_s (its wall time). tests/check-lava-run.sh OUT reads them back.
# Exits with lava-run's status: 0 when the job completed.
#
#   lava-run.sh BUILD OUT

set -uo pipefail

[ $# -eq 2 ] || { echo "usage: lava-run.sh BUILD OUT" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$1" "$2" || exit 2
build=$(cd "$1" && pwd)
out=$(cd "$2" && pwd)
kver=6.12
ksrc=$build/src/linux-source-$kver
lava=$build/lava
job_tmpl=$root/lava/job-qemu-arm64-kvm-stall.yaml
device=$root/lava/devices/qemu-arm64-kvm.yaml
jobs=$(nproc 2>/dev/null || echo 1)

die() {
	echo "lava-run: $*" >&2
	exit 3
}

command -v lava-run > /dev/null ||
	die "no lava-run: install Debian's lava-dispatcher (scripts/deps.sh lava)"
[ -d "$ksrc/tools/testing/selftests/kvm" ] ||
	die "no kernel source in '$ksrc' (make lava-run fetches it)"

work=$(mktemp -d /tmp/kvm-stall-lava.XXXXXX) || die "no temporary directory"
lpid='' stopped=''
# The dispatcher stops QEMU when the job ends, also when it is cancelled
# (SIGTERM); a QEMU of this run left behind (lava-run killed) is found by
# its files' directory, which no other QEMU names, and stopped by its id.
# shellcheck disable=SC2317 # called by the trap below
cleanup() {
	local pid

	for pid in $(pgrep -f -- "qemu-system-aarch64 .*$work/" 2> /dev/null); do
		kill -KILL "$pid" 2> /dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
# Ctrl-C or SIGTERM while the job runs cancels it: lava-run is sent
# SIGTERM (through timeout(1), which kills it 30 s later if it is still
# there) and cleans up; before the job, the script just ends
# shellcheck disable=SC2317 # called by the traps below
stop() {
	stopped=$1
	[ -n "$lpid" ] || exit 130
	kill -TERM "$lpid" 2> /dev/null
}
trap 'stop INT' INT
trap 'stop TERM' TERM

# step LOG WHAT CMD...: run, its output in LOG, the log's tail on failure
step() {
	local log=$1 what=$2

	shift 2
	echo "lava-run: $what" >&2
	if ! "$@" > "$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "$what failed (log: $log)"
	fi
}

mkdir -p "$lava"

# The testbed's kernel, and the job's ramdisk.
kernel=$("$here/get-kernel.sh" "$kver" 4k "$build/testbed") || die "no $kver kernel"
step "$lava/ramdisk.log" "ramdisk: busybox, python3, the C library (arm64)" \
	"$here/mkinitramfs.sh" --lava "$work/ramdisk.cpio.gz" "$build/testbed"

# The kselftest tarball: the suite installed into a copy of the tree
# (scripts/series/tree.sh: hard links, its own selftests), the tree's
# arm64 headers, then the tree's own gen_tar for arm64.
tree=$lava/linux-$kver
hdr=$lava/hdr-arm64-$kver
ks=$lava/kselftest
# shellcheck disable=SC2317 # run by step
build_tarball() {
	"$here/series/tree.sh" prepare "$ksrc" "$tree" &&
	"$here/install-tree.sh" "$root" "$tree" &&
	if [ ! -f "$hdr/.headers" ]; then
		rm -rf "$hdr" &&
		make -C "$ksrc" O="$hdr" ARCH=arm64 headers &&
		touch "$hdr/.headers"
	fi &&
	rm -rf "$ks" &&
	make -C "$tree/tools/testing/selftests" TARGETS=kvm ARCH=arm64 \
		CROSS_COMPILE=aarch64-linux-gnu- KHDR_INCLUDES="-isystem $hdr/usr/include" \
		INSTALL_PATH="$ks" -j"$jobs" gen_tar &&
	tar -tzf "$ks/kselftest-packages/kselftest.tar.gz" | grep -x './kvm/kvm_page_table_stall_test' > /dev/null
}
step "$lava/kselftest.log" "kselftest tarball: install-tree, then the tree's gen_tar for arm64" \
	build_tarball

# The job's files, its test definition's repository and the dispatcher's
# configuration, all in the temporary directory.
ln -s "$kernel" "$work/vmlinuz"
ln -s "$ks/kselftest-packages/kselftest.tar.gz" "$work/kselftest.tar.gz"
git_c=(git -c user.name=kvm-stall-lava -c user.email=kvm-stall-lava@localhost -c init.defaultBranch=main)
mkdir -p "$work/testdefs.git/lava" "$work/out"
cp "$root/lava/kvm-stall.yaml" "$work/testdefs.git/lava/"
{ "${git_c[@]}" -C "$work/testdefs.git" init -q &&
  "${git_c[@]}" -C "$work/testdefs.git" add lava/kvm-stall.yaml &&
  "${git_c[@]}" -C "$work/testdefs.git" commit -q -m "kvm-stall test definition"; } ||
	die "cannot make the test definition's git repository"
sed -e "s|@DIR@|$work|g" "$job_tmpl" > "$work/job.yaml"
cat > "$work/dispatcher.yaml" <<EOF
# the job's temporary directories under this run's directory, not
# /var/lib/lava/dispatcher/tmp (an absolute prefix replaces that base)
prefix: $work/dispatcher/
# the dispatcher's address for the job (no NFS or TFTP here): no need
# for a default route
dispatcher_ip: 127.0.0.1
EOF

# The job's own timeout bounds the run; lava-run is given a minute more
# to clean up, then killed.
job_s=$(/usr/bin/python3 - "$work/job.yaml" <<'EOF'
import sys, yaml
t = yaml.safe_load(open(sys.argv[1]))['timeouts']['job']
print(int(t.get('hours', 0)) * 3600 + int(t.get('minutes', 0)) * 60 + int(t.get('seconds', 0)))
EOF
) || die "cannot read the job's timeout"
echo "lava-run: running the job (timeout $job_s s): deploy, boot, lava/kvm-stall.yaml" >&2
start=$SECONDS
timeout --kill-after=30 $((job_s + 60)) lava-run --job-id 1 --output-dir "$work/out" \
	--device "$device" --dispatcher "$work/dispatcher.yaml" "$work/job.yaml" \
	> "$work/log.yaml" 2>&1 &
lpid=$!
# progress: the job's actions and the test's results as they come
tail -n +1 -F --pid=$lpid "$work/log.yaml" 2> /dev/null | /usr/bin/python3 -u -c '
import re, sys, yaml
for line in sys.stdin:
    try:
        rec = yaml.safe_load(line)
        rec = rec[0] if isinstance(rec, list) else rec
    except Exception:
        continue
    if not isinstance(rec, dict):
        continue
    msg = rec.get("msg")
    if rec.get("lvl") == "target" and isinstance(msg, str) and re.match(r"(not )?ok \d+ ", msg):
        print("lava-run: target: " + msg, file=sys.stderr)
    elif rec.get("lvl") == "results" and isinstance(msg, dict) and msg.get("definition") == "lava":
        print("lava-run: %s %s (%s s)" % (msg.get("case"), msg.get("result"),
                                           msg.get("duration", "-")), file=sys.stderr)
' &
fpid=$!
# a trapped signal ends wait early: wait again for lava-run to be gone
while :; do
	wait $lpid
	rc=$?
	kill -0 $lpid 2> /dev/null || break
done
wait $fpid
wall=$((SECONDS - start))

cp "$work/log.yaml" "$out/log.yaml"
for f in result.yaml description.yaml; do
	rm -f "$out/$f"
	[ ! -f "$work/out/$f" ] || cp "$work/out/$f" "$out/$f"
done
echo "$rc" > "$out/status"
echo "$wall" > "$out/wall_s"
if [ -n "$stopped" ]; then
	echo "lava-run: SIG$stopped: the job was cancelled (log: $out/log.yaml)" >&2
	exit 130
fi
case $rc in
0) echo "lava-run: the job completed in $wall s (log: $out/log.yaml)" >&2 ;;
124|137) echo "lava-run: lava-run did not end within the job's timeout; killed (log: $out/log.yaml)" >&2 ;;
*) echo "lava-run: the job did not complete (lava-run status $rc, $wall s; log: $out/log.yaml)" >&2 ;;
esac
exit "$rc"
