#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Where this host has no usable /dev/kvm, the test program's behaviour is
# checked where KVM is: inside the arm64 testbed (Debian's 6.12, 4K pages,
# no -icount: the contract, not timings). tests/guest/behaviour.sh runs
# there: a real run with every load and the results file, the skips, -j's
# targets, interrupted runs. The results run's file and KTAP are kept in
# OUT for the results, report and lava checks. Then Ctrl-C during
# make vm-run: no process of that run left 20 s later. On a host whose
# /dev/kvm is KVM, the host checks cover all this: a skip.
#
#   check-vm.sh BUILD

set -uo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
out=$build/check/vm-run
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

echo "TAP version 13"
if why=$("$root/scripts/host-kvm.sh"); then
	echo "1..0 # SKIP $why: the host checks run the program"
	exit 4
fi
echo "# this host: $why; the program runs in the arm64 testbed"
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make -s -C "$root" BUILD="$build" initramfs > "$work/build.log" 2>&1 &&
	k=$("$root/scripts/get-kernel.sh" 6.12 4k "$build/testbed" 2>> "$work/build.log")
if [ -z "${k:-}" ]; then
	sed -e 's/^/# /' "$work/build.log" | tail -n 5
	echo "1..0 # SKIP the testbed could not be built or fetched (see above)"
	exit 4
fi

echo "1..20"
"$root/scripts/vm-run.sh" --kernel "$k" --initrd "$build/testbed/initramfs-6.12.cpio.gz" \
	--timeout 1500 --add "$root/tests/guest/behaviour.sh" --json "$out/results.json" \
	-- sh /behaviour.sh > "$work/guest" 2> "$work/guest.err"
rc=$?
sed -n '/^RUN-KTAP-BEGIN$/,/^RUN-KTAP-END$/p' "$work/guest" | sed -e '1d' -e '$d' > "$out/ktap"
# the guest's results, renumbered as this check's
sed -e '/^RUN-KTAP-BEGIN$/,/^RUN-KTAP-END$/d' "$work/guest" |
	grep -E '^(not )?ok [0-9]+ |^# ' | sed -e 's/^/# guest: /'
want=$(sed -e '/^RUN-KTAP-BEGIN$/,/^RUN-KTAP-END$/d' "$work/guest" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p')
got=0
while read -r line; do
	case $line in
	"ok "*|"not ok "*)
		got=$((got + 1))
		status=1
		[ "${line%% *}" = ok ] && status=0
		result $status "testbed: $(sed -E 's/^(not )?ok [0-9]+ //' <<< "$line")" ;;
	esac
done < <(sed -e '/^RUN-KTAP-BEGIN$/,/^RUN-KTAP-END$/d' "$work/guest" | grep -E '^(not )?ok [0-9]+ ')
if [ $got -lt "${want:-18}" ]; then
	tail -n 3 "$work/guest.err" | sed -e 's/^/# /'
fi
while [ $got -lt "${want:-18}" ]; do
	got=$((got + 1))
	result 1 "testbed: result $got missing (vm-run status $rc)"
done
result "$([ $rc = 0 ] && [ -s "$out/results.json" ] && [ -s "$out/ktap" ] && echo 0 || echo 1)" \
	"the guest's script ended (status $rc); its run's results file and KTAP kept for the host's checks"

# Ctrl-C during make vm-run, as a terminal sends it: SIGINT to the
# foreground process group (make's own); 20 s later nothing of it is left
setsid env --default-signal=INT make -s -C "$root" BUILD="$build" vm-run ICOUNT=0 \
	ARGS="-b 256M -t madvise -B 4K -r 3" > "$work/int" 2>&1 &
lead=$!
for ((i = 0; i < 300; i++)); do
	grep -q 'point 1 of' "$work/int" && break
	sleep 0.2
done
kill -INT -- -"$lead" 2> /dev/null
sleep 20
left=$(pgrep -s "$lead" -a)
pkill -KILL -s "$lead" 2> /dev/null
wait "$lead" 2> /dev/null
grep -q '^vm-run: SIGINT: QEMU stopped' "$work/int" && [ -z "$left" ]
result $? "Ctrl-C during make vm-run: QEMU stopped, no process of the run left 20 s later${left:+: $left}"
kept=$(sed -n 's/.* its console in \(.*\)$/\1/p' "$work/int")
[ -z "$kept" ] || rm -f "$kept"
