# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Sourced by deps.sh and debian-apt.sh: APT_LOCK_WAIT checked into
# lock_wait, and apt_waiting, which runs an apt command again while
# another apt holds a lock that apt does not wait for itself (apt 2.6
# waits for dpkg's locks only, not for the lists' or the archives').
#
#   . apt-lock.sh; apt_waiting WHO CMD...

lock_wait=${APT_LOCK_WAIT:-600}
case $lock_wait in
''|*[!0-9]*)
	echo "${0##*/}: invalid APT_LOCK_WAIT '$lock_wait': seconds, digits only" >&2
	exit 2 ;;
esac

# apt_waiting WHO CMD...: CMD's status; lock_wait seconds at most
apt_waiting() {
	local who=$1 end=$((SECONDS + lock_wait)) err rc said=0

	shift
	while :; do
		rc=0
		err=$("$@" 2>&1 >&3) || rc=$?
		if [ $rc = 0 ] || [ $SECONDS -ge $end ] || ! grep -q 'Could not get lock' <<< "$err"; then
			[ -z "$err" ] || printf '%s\n' "$err" >&2
			return $rc
		fi
		[ $said = 1 ] || echo "$who: another apt holds its lock: waiting, $lock_wait s at most" >&2
		said=1
		sleep 2
	done
} 3>&1
