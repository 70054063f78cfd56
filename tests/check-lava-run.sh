#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a real LAVA dispatcher made of the suite's job (scripts/lava-run.sh,
# make lava-run), read back from its log and checked against the KTAP the
# emulated board printed on its console (which the same log holds): the
# job complete, every action passed within its timeout, the test
# definition run to its end; every point and load of the KTAP a LAVA test
# case under its KTAP name made LAVA-safe (stall_results.lava_name, LKFT's
# rule), none more; the same result (ok: pass, not ok: fail, ok # SKIP:
# skip, never pass); every figure of a measured point a test case with a
# measurement, its units and the KTAP's value; and the job's timeouts, as
# the dispatcher applied them, above what each block took and no more than
# three times it, or three minutes (a tighter limit on a block of seconds
# would fail a run on a busy machine, not a broken one).
#
#   check-lava-run.sh OUT [JOB]
#
# OUT is lava-run.sh's OUT (log.yaml, result.yaml, status); JOB the job
# it ran (default lava/job-qemu-arm64-kvm-stall.yaml), for its timeouts.
# The KTAP the board printed is left in OUT/ktap, the LAVA results in
# OUT/results.yaml.

set -uo pipefail

case $# in 1 | 2) ;; *) echo "usage: check-lava-run.sh OUT [JOB]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
job=${2:-$root/lava/job-qemu-arm64-kvm-stall.yaml}
[ -f "$out/log.yaml" ] || { echo "check-lava-run: no lava-run log '$out/log.yaml' (make lava-run)" >&2; exit 2; }
[ -f "$job" ] || { echo "check-lava-run: no job '$job'" >&2; exit 2; }

echo "TAP version 13"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$root/scripts /usr/bin/python3 - "$out" "$job" <<'EOF'
import os, re, sys, yaml
from stall_results import lava_name

out, job_file = sys.argv[1], sys.argv[2]
n = failed = 0
PLAN = 9
print('1..%d' % PLAN)


def result(ok, what, diag=()):
    global n, failed
    n += 1
    failed += not ok
    for d in diag:
        print('# %s' % d)
    print('%s %d %s' % ('ok' if ok else 'not ok', n, what))


def read(name):
    try:
        with open(os.path.join(out, name)) as f:
            return f.read()
    except OSError:
        return None


# lava-run's log: one YAML mapping per line (a list item in older versions)
records = []
for line in open(os.path.join(out, 'log.yaml'), errors='replace'):
    try:
        item = yaml.safe_load(line)
    except yaml.YAMLError:
        continue
    item = item[0] if isinstance(item, list) and item else item
    if isinstance(item, dict):
        records.append(item)
results = [r['msg'] for r in records if r.get('lvl') == 'results' and isinstance(r.get('msg'), dict)]
with open(os.path.join(out, 'results.yaml'), 'w') as f:
    yaml.safe_dump(results, f, default_flow_style=False)
console = [r['msg'] for r in records if r.get('lvl') == 'target' and isinstance(r.get('msg'), str)]
lava = [r for r in results if r.get('definition') == 'lava']
cases = {}
for r in results:
    if r.get('definition', '').endswith('_kvm-stall'):
        cases.setdefault(r['case'], []).append(r)

# 1. the job's own result
status = (read('status') or '').strip()
job_res = (yaml.safe_load(read('result.yaml') or '{}') or {}).get('result')
job_case = [r.get('result') for r in lava if r.get('case') == 'job']
errors = ['%s: %s' % (r.get('lvl'), r.get('msg')) for r in records if r.get('lvl') in ('error', 'exception')]
errors += ['the job: %s (%s)' % (r['error_msg'], r.get('error_type')) for r in lava
           if r.get('case') == 'job' and r.get('error_msg')]
result(status == '0' and job_res == 'pass' and job_case == ['pass'],
       'the job completed: lava-run status %s, the job\'s result %s' % (status or '?', job_res),
       errors[:5])

# 2. every action passed
not_passed = ['%s %s (%s)' % (r.get('case'), r.get('result'), r.get('error_msg', ''))
              for r in lava if r.get('case') != 'job' and r.get('result') != 'pass']
result(len(lava) > 1 and not not_passed, 'every action of the job passed (%d actions)' % (len(lava) - 1),
       not_passed)

# 3. the test definition's own cases: ran to its end
own = {c: [r['result'] for r in rs] for c, rs in cases.items() if c.startswith('kvm-stall-')}
raised = [m for m in console if 'LAVA_TEST_RAISE' in m and '<LAVA_TEST_RAISE' in m]
result(own == {'kvm-stall-results': ['pass']} and not raised,
       'the test definition ran to its end (kvm-stall-results pass, nothing raised)',
       ['its own cases: %s' % own] + raised[:3])

# 4. the KTAP on the console: the last run, from its version line to its totals
start = max((i for i, m in enumerate(console) if m.strip() == 'TAP version 13'), default=None)
ktap = []
if start is not None:
    for m in console[start:]:
        if '<LAVA_SIGNAL' in m or m.startswith('linaro-test ['):
            break
        ktap.append(m)
        if m.startswith('# Totals:'):
            break
with open(os.path.join(out, 'ktap'), 'w') as f:
    f.write('\n'.join(ktap) + '\n')
res_re = re.compile(r'^(not ok|ok) (\d+) ([^#]*?)\s*(?:# (.*))?$')
plan = [int(m.group(1)) for m in map(re.compile(r'^1\.\.(\d+)$').match, ktap) if m]
points, fig = [], None
for line in ktap:
    if line.startswith('# point '):
        fig = dict(kv.split('=', 1) for kv in line[len('# point '):].split() if '=' in kv)
        continue
    m = res_re.match(line)
    if not m:
        continue
    skip = m.group(1) == 'ok' and (m.group(4) or '').upper().startswith('SKIP')
    res = 'skip' if skip else ('pass' if m.group(1) == 'ok' else 'fail')
    name = m.group(3)
    load = ' load=' in name
    points.append((int(m.group(2)), name, res, None if load or skip else fig))
    if not load:
        fig = None
result(len(plan) == 1 and [p[0] for p in points] == list(range(1, plan[0] + 1)),
       'the board printed one whole KTAP run: plan %s, %d results' % (plan[0] if plan else '?', len(points)),
       [] if points else ['no KTAP run between "TAP version 13" and its totals on the console'])

# 5. names: each KTAP result a LAVA case under its LAVA-safe name, no other
want = {lava_name(p[1]): p for p in points}
point_cases = {c for c in cases if '.' not in c and not c.startswith('kvm-stall-')}
missing = sorted(set(want) - point_cases)
extra = sorted(point_cases - set(want))
result(points and not missing and not extra and all(len(cases[c]) == 1 for c in want if c in cases),
       'every KTAP result is one LAVA test case under its KTAP name made LAVA-safe, and no other (%d)' %
       len(want), ['missing: %s' % c for c in missing] + ['not in the KTAP: %s' % c for c in extra])

# 6. results: the KTAP's
diff, table = [], []
for c, (num, name, res, _) in sorted(want.items(), key=lambda kv: kv[1][0]):
    got = cases.get(c, [{}])[0].get('result')
    table.append('%-8s %-5s %s' % ('KTAP ' + {'pass': 'ok', 'fail': 'not ok', 'skip': 'skip'}[res], got, c))
    if got != res:
        diff.append('%s: KTAP %s, LAVA %s' % (c, res, got))
result(points and not diff, 'each case has its KTAP result: ok pass, not ok fail, ok # SKIP skip',
       table + diff)

# 7. the job's sweep gives every kind of result, so that 6 saw each
kinds = {p[2] for p in points}
result(kinds == {'pass', 'fail', 'skip'}, 'the run has a pass, a fail and a skip (%s)' %
       ', '.join('%d %s' % (sum(p[2] == k for p in points), k) for k in ('pass', 'fail', 'skip')))

# 8. figures: measured points' figures as test cases with the KTAP's values
bad, nfig = [], 0
keys = ('held_us', 'stall_us', 'time_us', 'kcall_us')
for c, (num, name, res, fig) in want.items():
    if ' load=' in name:
        continue
    for key in keys:
        got = cases.get('%s.%s' % (c, key), [])
        if fig is None or key not in fig:
            if got:
                bad.append('%s.%s: a case, but no such figure in the KTAP' % (c, key))
            continue
        nfig += 1
        if len(got) != 1:
            bad.append('%s.%s: %d cases' % (c, key, len(got)))
            continue
        g = got[0]
        if g.get('units') != 'us' or g.get('result') != res or \
           abs(float(g.get('measurement', 'nan')) - float(fig[key])) > 1.0:
            bad.append('%s.%s: %s %s %s, KTAP %s %s' % (c, key, g.get('result'), g.get('measurement'),
                                                       g.get('units'), res, fig[key]))
result(nfig and not bad, 'every figure of a measured point is a case with its measurement in us, '
       'its point\'s result and the KTAP\'s value (%d figures)' % nfig, bad)

# 9. timeouts, as the dispatcher applied them: its "start: N name (timeout
# HH:MM:SS)" and "end: N name" lines for each block, the job's from the job
def seconds(t):
    return t.get('hours', 0) * 3600 + t.get('minutes', 0) * 60 + t.get('seconds', 0)


def hms(s):
    h, m, sec = map(int, s.split(':'))
    return h * 3600 + m * 60 + sec


def fits(took, limit):
    return took < limit <= max(3 * took, 180)


from datetime import datetime
span = {}
for r in records:
    m = re.match(r'^(start|end): (\d+) (\S+)(?: \(timeout (\d+:\d+:\d+)\))?', str(r.get('msg', '')))
    if m and m.group(2) != '0':
        b = span.setdefault(int(m.group(2)), {'name': m.group(3)})
        b[m.group(1)] = datetime.fromisoformat(r['dt'])
        if m.group(4):
            b['timeout'] = hms(m.group(4))
jobdef = yaml.safe_load(open(job_file))
kinds = [list(a)[0] for a in jobdef['actions']]
rows, ok = [], len(span) >= len(kinds)
for i, kind in enumerate(kinds, 1):
    b = span.get(i, {})
    if 'start' not in b or 'end' not in b or 'timeout' not in b:
        rows.append('%s: no start, end or timeout in the log' % kind)
        ok = False
        continue
    took = (b['end'] - b['start']).total_seconds()
    good = fits(took, b['timeout'])
    ok = ok and good
    rows.append('%s (%s): took %.1f s, timeout %d s%s' % (kind, b['name'], took, b['timeout'],
                                                          '' if good else ': does not fit'))
wall = float((read('wall_s') or 'nan').strip() or 'nan')
job_limit = seconds(jobdef['timeouts']['job'])
good = fits(wall, job_limit)
ok = ok and good
rows.append('job: took %.0f s (lava-run\'s wall time), timeout %d s%s' % (wall, job_limit,
                                                                       '' if good else ': does not fit'))
result(ok, 'each block and the job ended within its timeout, which is at most 3x what it took '
       '(or 3 minutes)', rows)
sys.exit(1 if failed else 0)
EOF
