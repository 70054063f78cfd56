#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make report on every kind of results file there is: a default run's
# (every mode, vm-destroy and its kin with no batch), a run with an IO
# load, copies shaped as a kernel-batch sweep, an A/B, a testbed run at
# 16K, a file from before the optional keys, one cut to what the schema
# requires and one of schema version 1 (batches as "2M"), each alone and all together, and the testbed's own files where this build has them
# (BUILD/verdicts, BUILD/testbed/ab, BUILD/kbatch). Each report must exit
# 0, show every point of every file in its table, and draw the plots the
# files call for; each PNG's text chunk, read back with a small parser,
# must say its axes read at a glance: sizes as 2M .. 1G, time axes linear
# in ms or us without an exponent or offset, the budget drawn where the
# points carry one and the tiers' steps across the kernel batch, one
# legend entry per run.
#
#   check-report.sh KVM_OUT [BUILD]

set -uo pipefail

kvm_out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$(cd "$kvm_out/../../.." 2>/dev/null && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
report=$root/scripts/stall-report.py
n=0

# shellcheck source=ktap.sh
. "$(dirname "$0")/ktap.sh"

failed=0
check() {	# check STATUS DESCRIPTION: result, and the exit status counts it
	[ "$1" = 0 ] || failed=$((failed + 1))
	result "$@"
}

# verify OUTDIR FILE...: the page against the files it was made from
verify_py=$(cat <<'EOF'
import collections, json, os, re, struct, sys, zlib

out, paths = sys.argv[1], sys.argv[2:]
errs = []


def png_chunks(path):
    """IHDR's size and the text chunks, every chunk's CRC checked."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, size, text = 8, None, {}
    while pos + 12 <= len(data):
        ln, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        crc, = struct.unpack('>I', data[pos + 8 + ln:pos + 12 + ln])
        if zlib.crc32(typ + body) != crc:
            raise ValueError('bad CRC in %s' % typ.decode())
        if typ == b'IHDR':
            size = list(struct.unpack('>II', body[:8]))
        elif typ == b'tEXt':
            k, v = body.split(b'\0', 1)
            text[k.decode('latin-1')] = v.decode('latin-1')
        elif typ == b'zTXt':
            k, v = body.split(b'\0', 1)
            text[k.decode('latin-1')] = zlib.decompress(v[1:]).decode('latin-1')
        elif typ == b'iTXt':
            k, rest = body.split(b'\0', 1)
            comp, rest = rest[0], rest[2:]
            rest = rest.split(b'\0', 2)[2]
            text[k.decode('latin-1')] = (zlib.decompress(rest) if comp else rest).decode()
        elif typ == b'IEND':
            break
        pos += 12 + ln
    return size, text


def size_of(s, region):
    """A point's batch in bytes ("all": the region), None without one."""
    return region if s == 'all' else s


# every version read as the latest, as the report reads them
sys.path.insert(0, os.path.join(os.environ['ROOT'], 'scripts'))
import stall_results  # noqa: E402
docs = [stall_results.upgrade(json.load(open(p))) for p in paths]
ran = lambda p: p.get('result') != 'skip' and p.get('time_ns') is not None
want = {}
batched, whole, budget_b, budget_w = 0, 0, False, False
for d in docs:
    env, opts = d.get('environment') or {}, d.get('options') or {}
    kb = (env.get('kernel') or {}).get('stage2_batch')
    pts = [p for p in d['points'] if ran(p)]
    bp = [p for p in pts if size_of(p.get('batch'), opts.get('size'))]
    if bp and not (kb and opts.get('loads')):
        batched += 1
        budget_b |= any(p.get('budget_ns') for p in bp)
        want['user-chunk.png'] = True
    wp = [p for p in pts if p.get('batch') is None]
    if wp:
        whole += 1
        want['whole-vm.png'] = True
        budget_w |= any(p.get('budget_ns') for p in wp)
    one = [p for p in pts if p['mode'] == 'madvise' and p.get('batch') == 'all']
    if kb and one:
        want['kernel-batch.png'] = True
    if one and (one[0].get('reps') or [{}])[0].get('probe_hist_log2_us'):
        want['probe-histogram.png'] = True
    if any(((r.get('series') or {}).get('meas')) for p in d['points'] for ld in p.get('loads') or []
           for r in (ld.get('reps') or [])[:1]):
        want['load-throughput.png'] = True

md = open(os.path.join(out, 'report.md')).read()
# every point of every file, once, in the table
rows = collections.Counter()
table = md.split('## Every point', 1)[-1]
for line in table.splitlines():
    cells = [c.strip() for c in re.split(r'(?<!\\)\|', line)[1:-1]]
    if len(cells) > 3 and cells[0] not in ('file', '---'):
        rows[(cells[0], cells[2].replace('\\|', '|'))] += 1
need = collections.Counter((os.path.basename(p), q['name']) for p, d in zip(paths, docs)
                           for q in d['points'])
if rows != need:
    errs.append('table: missing %s, extra %s' % (sorted((need - rows).elements())[:4],
                                                  sorted((rows - need).elements())[:4]))

SIZE = re.compile(r'^\d+(\.\d+)?[KMGT]$')
BAD = re.compile(r'\^|\$|\\times|\de[+-]?\d|mathdefault')
for name in want:
    f = os.path.join(out, name)
    if not os.path.exists(f) or '(%s)' % name not in md:
        errs.append('%s: missing or not on the page' % name)
        continue
    try:
        size, text = png_chunks(f)
        meta = json.loads(text['kvm-stall-axes'])
    except (OSError, ValueError, KeyError) as e:
        errs.append('%s: no axes metadata (%s)' % (name, e))
        continue
    if size != meta['size'] or size[0] < 600 or size[1] < 300:
        errs.append('%s: %s pixels, drawn for %s' % (name, size, meta['size']))
    for i, a in enumerate(meta['axes']):
        where = '%s axes %d' % (name, i)
        for xy in 'xy':
            lbl, ticks = a[xy + 'label'], a[xy + 'ticks']
            if not lbl or not ticks:
                errs.append('%s: %s axis without a label or ticks' % (where, xy))
            bad = [t for t in ticks if BAD.search(t)]
            if bad or a[xy + 'offset']:
                errs.append('%s: %s ticks %s offset %r' % (where, xy, bad[:3], a[xy + 'offset']))
            if re.search(r'time|held', lbl) and (a[xy + 'scale'] != 'linear' or
                                                 not re.search(r'\((ms|us)\b', lbl)):
                errs.append('%s: time axis %r is %s' % (where, lbl, a[xy + 'scale']))
            if re.search(r'chunk|batch', lbl) and not all(SIZE.match(t) for t in ticks):
                errs.append('%s: size axis ticks %s' % (where, ticks[:4]))
        if len(set(a['legend'])) != len(a['legend']):
            errs.append('%s: legend repeats itself: %s' % (where, a['legend']))
    for lg in meta['legends']:
        if len(set(lg)) != len(lg):
            errs.append('%s: legend repeats itself: %s' % (name, lg))
    held = [a for a in meta['axes'] if a['ylabel'].startswith('CPU held')]
    expect = {'user-chunk.png': (budget_b, batched), 'whole-vm.png': (budget_w, whole)}
    if name in expect:
        budget, nrun = expect[name]
        if budget and not all(a['budget_lines'] for a in held):
            errs.append('%s: the points carry a budget, none is drawn' % name)
        if [len(lg) for lg in meta['legends']] != [nrun]:
            errs.append('%s: %s legend entries for %d runs' % (name, meta['legends'], nrun))
    # arm64's level-2 block, and with 4K pages the level-1 block too
    steps = {'4K': [2 << 20, 1 << 30], '16K': [32 << 20], '64K': [512 << 20]}
    for a in held if name == 'kernel-batch.png' else []:
        gran = a['title'].split()[-1]
        if a['tier_lines'] != steps.get(gran, a['tier_lines']):
            errs.append('%s: %s tier steps drawn at %s' % (name, a['title'], a['tier_lines']))
extra = set(f for f in os.listdir(out) if f.endswith('.png')) - set(want)
if extra:
    errs.append('plots nothing calls for: %s' % sorted(extra))
for e in errs:
    print('# ' + e)
print('# %d points in the table, plots: %s' % (sum(rows.values()), ' '.join(sorted(want))))
sys.exit(1 if errs else 0)
EOF
)

# derive KIND SRC DEST...: copies shaped as the other kinds of results file
derive_py=$(cat <<'EOF'
import copy, json, os, sys

sys.path.insert(0, os.path.join(os.environ['ROOT'], 'scripts'))
import stall_results  # noqa: E402

kind, src, dests = sys.argv[1], sys.argv[2], sys.argv[3:]
base = json.load(open(src))


def strip(doc, schema, defs):
    """Only what the schema requires: the shape of the oldest reader's file."""
    if '$ref' in schema:
        schema = defs[schema['$ref'].split('/')[-1]]
    if isinstance(doc, dict) and 'properties' in schema:
        req = schema.get('required', [])
        for k in [k for k in doc if k not in req]:
            del doc[k]
        for k in doc:
            strip(doc[k], schema['properties'].get(k, {}), defs)
    elif isinstance(doc, list) and 'items' in schema:
        for x in doc:
            strip(x, schema['items'], defs)


for i, dest in enumerate(dests):
    d = copy.deepcopy(base)
    pts = [p for p in d['points'] if p.get('time_ns') is not None]
    if kind == 'kbatch':
        # three boots of the knob kernel, as kbatch-sweep.sh makes them
        b = (2 << 20, 32 << 20, 1 << 30)[i]
        d['environment']['kernel']['stage2_batch'] = b
        for p in pts:
            p['time_ns'] = int(p['time_ns'] * (1 + 0.1 * (2 - i)))
    elif kind == 'ab':
        # make ab's base and candidate: the same kernel and granule
        for p in pts:
            p['held_ns'] = (p.get('held_ns') or 0) * (1 + i)
    elif kind == 'testbed':
        # an emulated arm64 at 16K, judged by the kernel-side hold rule
        env = d['environment']
        env['page_size'] = 16384
        env['steps'] = {'levels': [32 << 20, 16384], 'regression': 32 << 20, 'target': 32 << 20}
        env['kernel']['release'] = '6.12.57+deb13-arm64'
        env['virtualization'] = {'hypervisor_flag': None,
                                 'emulation': 'QEMU TCG -icount shift=1 -cpu neoverse-n1'}
        for j, p in enumerate(pts):
            p['rule'], p['budget_ns'] = 'hold', (0 if j % 3 == 0 else 3000000 + 1000 * j)
            p['tiers'] = {'regression': 'ok', 'target': 'held' if j % 2 else 'ok'}
    elif kind == 'legacy':
        # a file from before the budget tiers and the optional figures
        d['options'].pop('tier', None)
        d['options'].pop('step_ratio', None)
        d['options']['rel_ratio'] = 2.0
        for p in d['points']:
            for k in ('tiers', 'held_ns', 'time_x', 'verdict', 'judged'):
                p.pop(k, None)
            if 'rule' in p:
                p['rule'] = 'rel'
            for r in p.get('reps') or []:
                r.pop('probe_hist_log2_us', None)
                r.pop('probe_hist_over', None)
    elif kind == 'v1':
        # a file of schema version 1: batches as "2M", no steps
        d['schema_version'] = 1
        d['environment'].pop('steps', None)
        d['options']['batches'] = [stall_results.fmt_size(b) for b in d['options']['batches']]
        for p in d['points']:
            if p.get('batch') is not None:
                p['batch'] = stall_results.fmt_size(p['batch'])
    elif kind == 'minimal':
        schema = json.load(open(os.environ['SCHEMA']))
        strip(d, schema, schema['$defs'])
    json.dump(d, open(dest, 'w'))
EOF
)

derive() {
	ROOT=$root SCHEMA=$root/schema/results-v2.schema.json timeout 60 $py -c "$derive_py" "$@"
}

# kind NAME FILE...: one report of those files, checked against them
kind() {
	local name=$1 out=$work/out-$1 rc
	shift
	if [ $# -eq 0 ]; then
		echo "ok $((n += 1)) report of $name # SKIP no such results file here"
		return
	fi
	timeout 300 $py "$report" "$out" "$@" > "$work/$name.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed -e 's/^/# /' "$work/$name.log" | tail -n 4
		check $rc "report of $name: exit $rc"
		return
	fi
	ROOT=$root timeout 120 $py -c "$verify_py" "$out" "$@"
	check $? "report of $name ($# file(s)): exit 0, every point in the table, plots read plainly"
}

echo "TAP version 13"
echo "1..14"

# the default run: no sweep options, every mode
mkdir -p "$work/host" "$work/ab/run" "$work/kb"
# without KVM here: the vm check's run in the arm64 testbed, which has loads too
why=$(host_kvm_why)
testbed_from=
if [ -z "$why" ]; then
	timeout 360 "$kvm_out/kvm_page_table_stall_test" -j "$work/host/default.json" \
		> "$work/default.log" 2>&1
	rc=$?
elif testbed_from=$(testbed_run "$build"); then
	echo "# $why: the results file of the vm check's run in the arm64 testbed"
	cp "$testbed_from/results.json" "$work/host/default.json"
	cp "$testbed_from/ktap" "$work/default.log"
	rc=0
else
	echo "# $why, and no run of the vm check in the testbed" > "$work/default.log"
	rc=4
fi
def=()
if [ $rc -eq 4 ]; then
	echo "ok $((n += 1)) a default run's results file # SKIP $(grep -m1 -i 'skip' "$work/default.log")"
else
	timeout 120 $py "$root/scripts/stall-results.py" validate "$work/host/default.json" \
		> "$work/v.log" 2>&1
	valid=$?
	check "$([ $valid -eq 0 ] && [ $rc -le 1 ] && echo 0 || echo 1)" \
		"a default run's results file validates (run status $rc)"
	def=("$work/host/default.json")
fi

# an IO load, for the probe's histogram and the load's throughput
loaded=()
if [ -n "$testbed_from" ]; then
	cp "$testbed_from/results.json" "$work/host/tcp-rr.json"
	rc=0
else
	timeout 180 "$kvm_out/kvm_page_table_stall_test" -b 128M -t madvise -B 2M,all -L tcp-rr \
		-j "$work/host/tcp-rr.json" > "$work/load.log" 2>&1
	rc=$?
fi
[ $rc -le 1 ] && [ -s "$work/host/tcp-rr.json" ] && loaded=("$work/host/tcp-rr.json")

# whether FILE's one-call madvise point ran and was judged: the kernel-batch
# table's row (a busy machine can make it a noisy skip in either run)
one_call() {
	$py - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if any(p.get('mode') == 'madvise' and p.get('batch') == 'all' and
                  p.get('result') != 'skip' and p.get('time_ns') is not None
                  for p in d['points']) else 1)
EOF
}

derived=() kb_base=
for f in "${loaded[@]}" "${def[@]}"; do
	if [ -z "$kb_base" ] && one_call "$f"; then
		kb_base=$f
	fi
done
if [ ${#def[@]} -eq 1 ]; then
	derive kbatch "${kb_base:-${def[0]}}" "$work"/kb/kb-{2M,32M,1G}.json &&
	derive ab "${def[0]}" "$work/ab/run/base-1.json" "$work/ab/run/cand-1.json" &&
	derive testbed "${def[0]}" "$work/host/testbed-16k.json" &&
	derive legacy "${def[0]}" "$work/host/legacy.json" &&
	derive minimal "${def[0]}" "$work/host/minimal.json" &&
	derive v1 "${def[0]}" "$work/host/v1.json" ||
		echo "# deriving the other kinds failed"
	derived=("$work"/kb/*.json "$work"/ab/run/*.json "$work"/host/{testbed-16k,legacy,minimal,v1}.json)
fi

# the testbed's own files, where this build has made them
shopt -s nullglob
testbed=("$build"/verdicts/*.json "$build"/testbed/ab/*/*.json "$build"/kbatch/*.json)
shopt -u nullglob

kind default "${def[@]}"
kind load "${loaded[@]}"
kind kbatch ${def:+"$work"/kb/*.json}
kind ab ${def:+"$work"/ab/run/*.json}
kind testbed-16k ${def:+"$work/host/testbed-16k.json"}
kind legacy ${def:+"$work/host/legacy.json"}
kind minimal ${def:+"$work/host/minimal.json"}
kind v1 ${def:+"$work/host/v1.json"}
kind testbed-files "${testbed[@]}"
kind everything "${def[@]}" "${loaded[@]}" "${derived[@]}" "${testbed[@]}"

# run as make kbatch runs it: its own shebang and mode
if [ ${#def[@]} -eq 1 ] && [ -z "$kb_base" ]; then
	echo "ok $((n += 1)) the kernel-batch table # SKIP no run here judged its one-call madvise point"
elif [ ${#def[@]} -eq 1 ]; then
	timeout 120 "$report" kbatch "$work"/kb/*.json > "$work/table.txt" 2>&1
	rows=$(grep -c '^| [0-9]' "$work/table.txt")
	grep -q '| 2M | [^|]* |.*+20.0%' "$work/table.txt" &&
		grep -q '| 1G | [^|]* |.*+0.0%' "$work/table.txt"
	found=$?
	check "$([ $found -eq 0 ] && [ "$rows" = 3 ] && echo 0 || echo 1)" \
		"the kernel-batch table: a row per batch, cost against the largest batch"
	sed -e 's/^/# /' "$work/table.txt"
else
	echo "ok $((n += 1)) the kernel-batch table # SKIP no default run"
fi

timeout 120 $py "$report" "$work/out-bad" "$work/nothing.json" > "$work/bad.log" 2>&1
rc=$?
check "$([ $rc -eq 2 ] && grep -q 'nothing.json' "$work/bad.log" && echo 0 || echo 1)" \
	"a missing results file is named, status 2"

# nothing written where it was not asked for
echo '{"schema": "kvm-stall-results"}' > "$work/notpoints.json"
timeout 120 $py "$report" "$work/out-bad2" "$work/notpoints.json" > "$work/bad.log" 2>&1
rc=$?
check "$([ $rc -eq 2 ] && [ ! -e "$work/out-bad" ] && [ ! -e "$work/out-bad2" ] &&
	grep -q 'notpoints.json' "$work/bad.log" && echo 0 || echo 1)" \
	"a file without points is refused, status 2, and no output directory made"
exit $((failed > 0))
