#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The README's recipes, run as a user would paste them, so that none can
# drift from what the suite does. A recipe is a ```sh block in README.md
# with a marker line before it:
#
#   <!-- recipe: NAME [| rc=0,2] [| ktap] [| tree] [| kernels=G:PATCHES,...]
#        [| "FROM" => "TO"]... [-- why, in words] -->
#
# rc: the statuses the block may end with (default 0; make turns a test's
# 1 into 2). ktap: the output must hold a whole KTAP run (its totals add up
# to its plan): for host runs, whose verdicts are timings. tree: $RECIPE_TMP/linux
# is a copy of Debian's 6.12 source. kernels: make ab's kernels (granule,
# then the patches, space-separated) must be built already, else the recipe
# is a skip: building them is far beyond this check's time. "FROM" => "TO":
# a substitution applied before the run (smaller sizes, files in
# $RECIPE_TMP), each of which must match. A ```text block after
# <!-- output: NAME --> shows what the recipe prints: each of its lines
# must be in the run's output (a KTAP result's number aside). The README also
# stays under 3,000 words with its first command in its first 25 lines.
#
#   [README=file] check-recipes.sh BUILD [NAME...]   (names: run only those recipes)

set -uo pipefail

build=$(cd "$1" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
readme=${README:-$root/README.md}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0

fails=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

res() {	# res STATUS DESCRIPTION: result, counting failures for the exit status
	result "$@"
	[ "$1" = 0 ] || fails=$((fails + 1))
}

# The README split into recipes: $work/recipes (NAME TAB RC TAB FLAGS TAB
# KERNELS TAB WHY), $work/NAME.sh, $work/NAME.expect, $work/errors.
python3 - "$readme" "$work" <<'EOF' || { echo "check-recipes: cannot read $readme" >&2; exit 1; }
import re, sys
readme, work = sys.argv[1], sys.argv[2]
lines = open(readme).read().split('\n')
errors, recipes, outputs = [], [], {}
marker = re.compile(r'^<!-- recipe: ([a-z0-9-]+)(.*?)(?: -- (.*))? -->$')
out_marker = re.compile(r'^<!-- output: ([a-z0-9-]+) -->$')
sub = re.compile(r'^"([^"]+)" => "([^"]*)"$')


def block_after(i):
    """The fenced block starting at the first non-blank line after i."""
    j = i + 1
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j >= len(lines) or not lines[j].startswith('```'):
        return None, None, j
    k = j + 1
    while k < len(lines) and lines[k] != '```':
        k += 1
    return lines[j][3:], lines[j + 1:k], k


section, claimed = '', set()
for i, line in enumerate(lines):
    if line.startswith('## '):
        section = line[3:]
    m, o = marker.match(line), out_marker.match(line)
    if line.startswith('<!-- recipe') and not m:
        errors.append('line %d: a recipe marker it cannot read: %s' % (i + 1, line))
    if m:
        kind, body, end = block_after(i)
        if kind != 'sh':
            errors.append('line %d: recipe marker "%s" without a ```sh block after it'
                          % (i + 1, m.group(1)))
            continue
        claimed.add(end - len(body) - 1)
        rc, flags, kernels, text = '0', [], '', '\n'.join(body) + '\n'
        for opt in [s.strip() for s in m.group(2).split('|') if s.strip()]:
            s = sub.match(opt)
            if opt.startswith('rc='):
                rc = opt[3:]
            elif opt in ('ktap', 'tree'):
                flags.append(opt)
            elif opt.startswith('kernels='):
                kernels = opt[8:]
            elif s:
                if s.group(1) not in text:
                    errors.append('line %d: recipe "%s": "%s" is not in its block'
                                  % (i + 1, m.group(1), s.group(1)))
                text = text.replace(s.group(1), s.group(2))
            else:
                errors.append('line %d: recipe "%s": unknown option %s' % (i + 1, m.group(1), opt))
        if any(r[0] == m.group(1) for r in recipes):
            errors.append('line %d: recipe "%s" twice' % (i + 1, m.group(1)))
        recipes.append((m.group(1), rc, ','.join(flags) or '-', kernels or '-',
                        m.group(3) or '-'))
        open('%s/%s.sh' % (work, m.group(1)), 'w').write(text)
    elif o:
        kind, body, end = block_after(i)
        if kind != 'text':
            errors.append('line %d: output marker "%s" without a ```text block after it'
                          % (i + 1, o.group(1)))
            continue
        claimed.add(end - len(body) - 1)
        outputs[o.group(1)] = [l for l in body if l.strip()]
    elif line.startswith('```') and line != '```' and i not in claimed:
        if line == '```sh' or section == 'Recipes':
            errors.append('line %d: a %s block without a recipe marker' % (i + 1, line))
for name in outputs:
    if not any(r[0] == name for r in recipes):
        errors.append('output marker "%s" names no recipe' % name)
for r in recipes:
    open('%s/%s.expect' % (work, r[0]), 'w').write(
        ''.join(l + '\n' for l in outputs.get(r[0], [])))
open(work + '/recipes', 'w').write(''.join('\t'.join(r) + '\n' for r in recipes))
open(work + '/errors', 'w').write(''.join(e + '\n' for e in errors))
EOF

# kernel_built GRANULE PATCHES: build-kernel.sh's cache entry exists (its key:
# the source version, the config fragments, the patches)
kernel_built() {
	local src=$build/src/linux-source-6.12 ver frags p key patches=()

	[ -f "$src/Makefile" ] || return 1
	ver=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$src/Makefile" | paste -sd.)
	frags=("$root/configs/kvm-stall.config" "$root/configs/testbed.config"
	       "$root/configs/arm64.config" "$root/configs/arm64-$1.config")
	for p in $2; do
		p=$(cd "$root" && readlink -f "$p") || return 1
		patches+=("$p")
	done
	key=$( (echo "$ver"; cat "${frags[@]}" ${patches[@]+"${patches[@]}"}) | sha256sum | cut -c1-12)
	[ -f "$build/testbed/built-6.12-$1-$key/.ok" ]
}

untracked() {	# the tree's files git does not know, ignored ones aside
	git -C "$root" status --porcelain --untracked-files=all 2> /dev/null | sed -n 's/^?? //p' | sort
}

# run_recipe NAME RC FLAGS KERNELS WHY: one KTAP result
run_recipe() {
	local name=$1 rcs=$2 flags=$3 kernels=$4 why=$5 tmp=$work/run-$1 log spec rc t0 secs
	local bad=() specs=() line abs_before abs_after d

	log=$tmp/out.log
	mkdir -p "$tmp"
	[ "$why" = - ] || echo "# $name: $why"
	if [ "$kernels" != - ]; then
		IFS=, read -ra specs <<< "$kernels"
		for spec in "${specs[@]}"; do
			# shellcheck disable=SC2086 # the patches are globs, as the README has them
			if ! kernel_built "${spec%%:*}" "$(cd "$root" && echo ${spec#*:})"; then
				echo "ok $((n += 1)) recipe $name # SKIP its kernels are not built yet (make ab would build them)"
				return
			fi
		done
	fi
	if [[ $flags == *tree* ]]; then
		if ! cp -a "$build/src/linux-source-6.12/." "$tmp/linux" 2> "$log"; then
			res 1 "recipe $name: a copy of Debian's 6.12 source as its kernel tree"
			return
		fi
	fi
	abs_before=$(ls "$build/testbed/ab" 2> /dev/null)
	# new files only: the user may be editing tracked ones meanwhile
	untracked > "$tmp/status.before"
	t0=$(date +%s)
	(cd "$root" && RECIPE_TMP=$tmp timeout --kill-after=10 900 bash -e "$work/$name.sh") \
		< /dev/null > "$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	# make ab's results directory is the user's record; here it is this check's
	abs_after=$(ls "$build/testbed/ab" 2> /dev/null)
	for d in $(comm -13 <(echo "$abs_before") <(echo "$abs_after")); do
		rm -rf "${build:?}/testbed/ab/$d"
	done
	echo "# $name: status $rc in $secs s"
	[[ ",$rcs," == *",$rc,"* ]] || bad+=("status $rc, not $rcs")
	while IFS= read -r line; do
		awk -v want="$line" 'function key(s) { sub(/ [0-9]+ /, " ", s); return s }
			BEGIN { ktap = want ~ /^(not )?ok [0-9]+ / }
			ktap && /^(not )?ok [0-9]+ / && key($0) == key(want) { found = 1 }
			!ktap && $0 == want { found = 1 }
			END { exit !found }' "$log" || bad+=("no '$line'")
	done < "$work/$name.expect"
	if [[ $flags == *ktap* ]] && ! python3 - "$log" <<'EOF'
import re, sys
text = open(sys.argv[1], errors='replace').read()
plan = re.findall(r'^1\.\.(\d+)$', text, re.M)
tot = re.findall(r'^# Totals: pass:(\d+) fail:(\d+) xfail:\d+ xpass:\d+ skip:(\d+)', text, re.M)
sys.exit(0 if plan and tot and sum(map(int, tot[-1])) == int(plan[-1]) else 1)
EOF
	then
		bad+=("no whole KTAP run")
	fi
	untracked | diff -q "$tmp/status.before" - > /dev/null ||
		bad+=("files left in the tree: $(untracked | comm -13 "$tmp/status.before" - | tr '\n' ' ')")
	if [ ${#bad[@]} -gt 0 ]; then
		sed -e 's/^/#   /' "$log" | tail -n 20
		printf '# %s: %s\n' "$name" "${bad[@]}"
	fi
	res ${#bad[@]} "recipe $name"
	rm -rf "$tmp"
}

words=$(wc -w < "$readme")
first=$(grep -nE '^(    |```)[a-z.]' "$readme" | head -n 1 | cut -d: -f1)
nr=$(wc -l < "$work/recipes")
echo "TAP version 13"
echo "1..$((3 + nr))"
res "$([ "$words" -lt 3000 ] && echo 0 || echo 1)" "README.md: $words words, under 3000"
res "$([ -n "$first" ] && [ "$first" -le 25 ] && echo 0 || echo 1)" \
	"README.md: its first command on line ${first:-none}, within the first 25"
sed -e 's/^/# /' "$work/errors"
res "$([ -s "$work/errors" ] && echo 1 || echo 0)" \
	"README.md: every recipe block has a marker, every marker a block, every substitution a match"
while IFS=$'\t' read -r name rcs flags kernels why; do
	if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then
		echo "ok $((n += 1)) recipe $name # SKIP not selected"
		continue
	fi
	run_recipe "$name" "$rcs" "$flags" "$kernels" "$why"
done < "$work/recipes"
[ $fails -eq 0 ]
