# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the check-*.sh scripts: one KTAP result line, numbered from
# the script's own counter n (set to 0 before the first result).

result() {	# result STATUS DESCRIPTION: status 0 is ok, anything else not ok
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
