#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot an arm64 host kernel at EL2 under QEMU (virt, virtualization=on,
# GICv3, -cpu max), so that arm64 KVM and its real stage-2 code run inside,
# run a command from the initramfs's /tests, and print what it printed
# (KTAP) apart from kernel messages. Exits with the command's status; 124
# when the bound ran out (QEMU is killed), 125 when the guest panicked or
# ended without finishing. With --icount, time inside is virtual (one
# instruction = 2^3 ns) and does not depend on the host's load.
#
# --scratch-disk gives it a 512 MiB virtio-blk disk (/dev/vda) on the
# virtio-mmio transport, whose single interrupt can be steered (PCI virtio-blk
# vectors are kernel-managed); kernels without virtio-blk built in ignore it.
#
# --nic-pair gives it two virtio-net NICs (virtio-mmio) joined by a QEMU
# hub and nothing else; init moves the second into its own network
# namespace (192.0.2.2, reachable from 192.0.2.1 through the hub), so TCP
# between them crosses both NICs. No NIC has any other peer: the emulated
# machine reaches no network.
#
# --json FILE appends "-j /tmp/results.json" to the command and copies the
# results file it writes out of the emulated machine into FILE; a "-j FILE"
# in the command itself is taken the same way. The
# kernel's config (a "config" file next to IMG, which get-kernel.sh keeps)
# and a description of the emulation go in with the command, for it.
#
# --cpu MODEL picks the emulated CPU (QEMU's -cpu, with its feature
# switches), "max,pauth-impdef=on" by default: every feature QEMU has,
# FEAT_TLBIRANGE among them. "neoverse-n1" has no FEAT_TLBIRANGE, as the
# 2024 reporter's Graviton3 had none: the stage-2 unmap then invalidates
# the TLB page by page.
#
# --add FILE puts FILE into the emulated machine's / (a script for the
# command to run: "--add check.sh -- sh /check.sh").
#
# While it runs, the KTAP on stdout is printed as the guest prints it, and
# the test's progress lines (which point, which repetition) go to stderr
# as "vm-run: ...". Ctrl-C (SIGINT), SIGTERM and SIGHUP stop QEMU within
# seconds; the console log is then kept (in VM_RUN_LOG_DIR, else /tmp) and
# named, and the status is 130.
#
#   vm-run.sh --kernel IMG --initrd CPIO.GZ [--icount] [--numa] [--smp N]
#             [--mem MiB] [--timeout S] [--append ARGS] [--log FILE]
#             [--scratch-disk] [--nic-pair] [--json FILE] [--cpu MODEL]
#             [--add FILE]... -- CMD...

set -uo pipefail

kernel='' initrd='' icount=0 numa=0 smp=2 mem=3072 limit=900 append='' log='' disk=0 nics=0 json=''
adds=()
cpu=max,pauth-impdef=on
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--icount) icount=1; shift ;;
	--numa) numa=1; shift ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--scratch-disk) disk=1; shift ;;
	--nic-pair) nics=1; shift ;;
	--json) json=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) echo "vm-run: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -f "$kernel" ] || { echo "vm-run: kernel '$kernel' not found" >&2; exit 2; }
[ -f "$initrd" ] || { echo "vm-run: initramfs '$initrd' not found" >&2; exit 2; }
[ $# -gt 0 ] || { echo "vm-run: no command to run" >&2; exit 2; }
case $smp$mem$limit in *[!0-9]*) echo "vm-run: --smp, --mem, --timeout take numbers" >&2; exit 2 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -n "$log" ] || log=$work/console.log

# the command's own -j FILE: FILE is on this side, the guest writes /tmp's
cmd=()
while [ $# -gt 0 ]; do
	case $1 in
	-j) [ $# -ge 2 ] || { echo "vm-run: -j needs a file" >&2; exit 2; }
	    json=$2; shift 2 ;;
	-j?*) json=${1#-j}; shift ;;
	*) cmd+=("$1"); shift ;;
	esac
done
set -- "${cmd[@]}"
[ -z "$json" ] || set -- "$@" -j /tmp/results.json
case $cpu in
''|*[!A-Za-z0-9_,=.-]*) echo "vm-run: --cpu '$cpu' is not a QEMU CPU model" >&2; exit 2 ;;
esac
emulation="QEMU $(qemu-system-aarch64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG"
emulation+=" virt -cpu $cpu, $smp vCPUs, $mem MiB"
[ $icount -eq 1 ] && emulation+=", -icount shift=3,sleep=off (virtual time)"

# the command travels as a second, uncompressed cpio appended to the
# initramfs, with what the results file records about the machine
mkdir -p "$work/args"
files=(run.sh)
{
	printf 'export KVM_STALL_EMULATION=%q KVM_STALL_PROGRESS=1\n' "$emulation"
	# the testbed is the test's runner here: its bound is the test's time
	# budget, as kselftest's timeout is, unless the caller exports another
	printf 'export kselftest_timeout=%q\n' "${kselftest_timeout:-$limit}"
	if [ -f "$(dirname "$kernel")/config" ]; then
		cp "$(dirname "$kernel")/config" "$work/args/kconfig"
		files+=(kconfig)
		echo 'export KVM_STALL_KCONFIG=/kconfig'
	fi
	printf '%q ' "$@"
	echo
} > "$work/args/run.sh"
for f in "${adds[@]}"; do
	[ -f "$f" ] || { echo "vm-run: --add '$f': no such file" >&2; exit 2; }
	cp "$f" "$work/args/"
	files+=("$(basename "$f")")
done
(cd "$work/args" && printf '%s\n' "${files[@]}" | cpio -o -H newc --quiet) > "$work/args.cpio"
# the kernel finds the second archive at a 4-byte boundary after zero padding
cp "$initrd" "$work/initrd"
pad=$(( (4 - $(stat -c %s "$work/initrd") % 4) % 4 + 4 ))
head -c "$pad" /dev/zero >> "$work/initrd"
cat "$work/args.cpio" >> "$work/initrd"

# shellcheck disable=SC2054 # QEMU's options take comma-separated lists
qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu "$cpu" -seed 1
      -smp "$smp" -m "$mem" -nographic -no-reboot -nic none
      -kernel "$kernel" -initrd "$work/initrd"
      -append "console=ttyAMA0 rdinit=/init panic=-1 printk.time=1 nokaslr norandmaps $append")
# shellcheck disable=SC2054 # QEMU's options take comma-separated lists
[ $icount -eq 1 ] && qemu+=(-icount shift=3,sleep=off)
if [ $nics -eq 1 ]; then
	# shellcheck disable=SC2054 # QEMU's options take comma-separated lists
	qemu+=(-netdev hubport,id=nic0,hubid=7 -device virtio-net-device,netdev=nic0
	       -netdev hubport,id=nic1,hubid=7 -device virtio-net-device,netdev=nic1)
fi
if [ $disk -eq 1 ]; then
	truncate -s 512M "$work/scratch.img"
	# shellcheck disable=SC2054 # QEMU's options take comma-separated lists
	qemu+=(-drive "file=$work/scratch.img,if=none,format=raw,id=scratch"
	       -device virtio-blk-device,drive=scratch)
fi
if [ $numa -eq 1 ]; then
	half=$((mem / 2))
	# shellcheck disable=SC2054 # QEMU's options take comma-separated lists
	qemu+=(-object "memory-backend-ram,id=m0,size=${half}M"
	       -object "memory-backend-ram,id=m1,size=$((mem - half))M"
	       -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1-$((smp - 1)),memdev=m1)
fi

: > "$log"
timeout --kill-after=10 "$limit" "${qemu[@]}" < /dev/null > "$log" 2>&1 &
qpid=$!
# Ctrl-C reaches this script, not timeout(1) (a process group of its
# own) nor QEMU: pass it on as SIGTERM, which ends QEMU at once
stopped=
# shellcheck disable=SC2317 # called by the traps below
stop() {
	stopped=$1
	kill -TERM "$qpid" 2> /dev/null
}
trap 'stop INT' INT
trap 'stop TERM' TERM
trap 'stop HUP' HUP

# stream: the KTAP between the markers as it comes (kernel messages, which
# printk timestamps, left out), progress lines to stderr; the kernel's own
# lines are kept for after the KTAP, where they always were
stream() {
	local line on=0 kmsgs=()

	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"STALL-PROGRESS "*) echo "vm-run: ${line#STALL-PROGRESS }" >&2 ;;
		STALL-TESTBED-KERNEL\ *|STALL-TESTBED-DMESG\ *) kmsgs+=("# testbed: ${line#STALL-TESTBED-* }") ;;
		STALL-TESTBED-BEGIN) on=1 ;;
		STALL-TESTBED-END*) on=0 ;;
		*) [ $on = 0 ] || [[ $line =~ ^\[\ *[0-9]+\.[0-9]+\] ]] || echo "$line" ;;
		esac
	done
	[ ${#kmsgs[@]} -eq 0 ] || printf '%s\n' "${kmsgs[@]}"
}
tail -n +1 -F --pid=$qpid "$log" 2> /dev/null | stream &
spid=$!
# a trapped signal ends wait early: wait again for QEMU to be gone
while :; do
	wait $qpid
	qrc=$?
	kill -0 $qpid 2> /dev/null || break
done
wait $spid
tr -d '\r' < "$log" > "$work/clean.log"

if [ -n "$stopped" ]; then
	if [ "$log" = "$work/console.log" ]; then
		keep=${VM_RUN_LOG_DIR:-/tmp}/vm-run-console-$(date +%Y%m%d-%H%M%S)-$$.log
		mkdir -p "$(dirname "$keep")" && cp "$log" "$keep" && log=$keep
	fi
	echo "vm-run: SIG$stopped: QEMU stopped; what the guest printed is above, its console in $log" >&2
	exit 130
fi

if [ -n "$json" ]; then
	sed -n '/^STALL-TESTBED-JSON-BEGIN$/,/^STALL-TESTBED-JSON-END$/p' "$work/clean.log" |
		sed -e '1d' -e '$d' > "$work/results.json"
	if grep -q '^STALL-TESTBED-JSON-END$' "$work/clean.log" && [ -s "$work/results.json" ]; then
		cp "$work/results.json" "$json"
	else
		echo "vm-run: no results file came out of the emulated machine" >&2
	fi
fi

end=$(grep -oE '^STALL-TESTBED-END rc=[0-9]+' "$work/clean.log" | tail -n 1)
if [ -n "$end" ]; then
	exit "${end#*rc=}"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "vm-run: no result within ${limit} s; QEMU killed (console: $log)" >&2
	exit 124
fi
if grep -q 'Kernel panic' "$work/clean.log"; then
	grep -A5 'Kernel panic' "$work/clean.log" | head -n 6 >&2
	echo "vm-run: the emulated host panicked (console: $log)" >&2
else
	tail -n 20 "$work/clean.log" >&2
	echo "vm-run: the guest ended without finishing (QEMU status $qrc, console: $log)" >&2
fi
exit 125
