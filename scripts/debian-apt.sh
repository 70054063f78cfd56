#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# apt-get with a private state directory, so that packages of another suite
# (Debian unstable) or architecture (arm64) can be downloaded without
# touching the machine's apt configuration. The mirror is the machine's
# (its apt sources), DEBIAN_MIRROR if set, deb.debian.org otherwise.
#
#   debian-apt.sh STATE_DIR SUITE ARCH apt-get-args...
# e.g. debian-apt.sh build/apt sid amd64 download linux-source-7.2
#
# Two at once on one state (two make targets) take turns: the second waits
# for the first's lock, APT_LOCK_WAIT seconds at most (default 600).

set -euo pipefail

state=$1 suite=$2 arch=$3
shift 3
# shellcheck source=apt-lock.sh
. "$(dirname "$0")/apt-lock.sh"
mkdir -p "$state/$suite-$arch/lists/partial" "$state/$suite-$arch/parts" \
	"$state/$suite-$arch/archives/partial"
d=$(cd "$state/$suite-$arch" && pwd)

# The machine's own Debian mirror (a lab's mirror or caching proxy), from
# its apt sources: the first "deb" source of a suite that is not a
# security one, deb822 (.sources) or one-line (.list) format. Proxies set
# in apt.conf apply as they are: only the sources are private here.
system_mirror() {
	local f

	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = uris = suites = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) types = $i
				if ($i ~ /^URIs:/) uris = $i
				if ($i ~ /^Suites:/) suites = $i
				if ($i ~ /^Enabled: *no/) types = ""
			}
			if (types ~ /[ :]deb( |$)/ && suites !~ /-security/ && uris != "") {
				split(uris, u, /[ \t]+/)
				print u[2]
				exit
			}
		}' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) while ($i !~ /\]$/) i++
			if ($i ~ /^\[/ || $i ~ /\]$/) i++
			if ($(i + 1) !~ /-security/) print $i
		}'
}
mirror=${DEBIAN_MIRROR:-$(system_mirror | grep -m1 -E '^(https?|file|mirror\+[a-z]+)://' || true)}
mirror=${mirror:-http://deb.debian.org/debian}
cat > "$d/parts/suite.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

opts=(-q -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
      -o "Dir::State::Lists=$d/lists" -o "Dir::Etc::SourceList=/dev/null"
      -o "Dir::Etc::SourceParts=$d/parts" -o "Dir::Cache::Archives=$d/archives"
      -o "Dir::State::Status=/dev/null" -o "APT::Sandbox::User=root"
      -o "DPkg::Lock::Timeout=$lock_wait")

# refresh the index once a day at most, unless this is the update
case " $* " in
*" update "*) ;;
*)
	if [ -z "$(find "$d/lists" -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
		apt_waiting debian-apt apt-get "${opts[@]}" update >&2
	fi ;;
esac
apt_waiting debian-apt apt-get "${opts[@]}" "$@"
