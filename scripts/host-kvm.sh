#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Whether this host's /dev/kvm is KVM that this user can use. Prints one
# line saying why not and exits 1, or prints what it found and exits 0.
# make run asks it where to run (here or in the arm64 testbed); the checks
# ask it whether their host part can run. The node is only opened, never
# written or asked anything.
#
#   host-kvm.sh [DEVICE]	(default /dev/kvm)

set -u

dev=${1:-/dev/kvm}

if [ ! -e "$dev" ]; then
	if [ -d /sys/class/misc/kvm ]; then
		echo "$dev is missing though the KVM driver is loaded"
	else
		echo "no $dev: this machine has no KVM driver (no hardware virtualization exposed)"
	fi
	exit 1
fi
if [ ! -c "$dev" ]; then
	echo "$dev is not a character device"
	exit 1
fi
# KVM's misc device is 10:232 (stat prints the numbers in hex)
if [ "$(stat -L -c '%t:%T' "$dev")" != a:e8 ]; then
	echo "$dev is device $(stat -L -c '%Hr:%Lr' "$dev"), not KVM's 10:232"
	exit 1
fi
if ! (exec 3<> "$dev") 2> /dev/null; then
	if [ -d /sys/class/misc/kvm ]; then
		echo "$dev cannot be opened read-write by $(id -un)"
	else
		echo "$dev has no KVM driver behind it"
	fi
	exit 1
fi
echo "$dev is KVM"
