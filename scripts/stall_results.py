#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Read kvm_page_table_stall_test results files (-j, schema/results-v2.schema.json;
version 1's files too, read as version 2).

This file is the module stall_results (import stall_results); the
commands below run under its CLI name, stall-results.py, a link to it.

  stall-results.py lava FILE
      One line per LAVA test case, "name result [measurement units]", as
      Linaro's test definitions feed lava-test-case (lava/kvm-stall.yaml):
      each point and load under its KTAP name made LAVA-safe by LKFT's
      rule (ci_slug(): what LKFT records; docs/ci-names.md), then
      one case per figure ("NAME.held_us", "NAME.stall_us", "NAME.time_us",
      "NAME.kcall_us"; loads "NAME.dip_pct", "NAME.op_max_us") with the
      point's result, which SQUAD keeps as metrics. Needs nothing beyond
      python3 on the board.

  stall-results.py names FILE
      The results of a KTAP file (a kselftest runner's output, or the
      test's own) under the names LKFT gives them (parse-output.py's rule,
      docs/ci-names.md): one "name result<TAB>skip reason" line each.

  stall-results.py tiers FILE
      One line per judged point: mode, its verdict under the regression
      and the target tier (ok, held, noisy; "-" in files before the
      tiers), the longest wait's time (us), the stage-2 work in it (bytes)
      and the calls in it, for scripts/verdicts.sh.

  stall-results.py validate FILE...
      Check each file against the schema, and that it agrees with itself
      (unique names, totals that count its results). Exit 0, or 1.

  stall-results.py compare --base FILE... --cand FILE... [--base-name S] [--cand-name S]
      A/B of two kernels: one table row per point and load (result,
      stall and held time, longest stage-2 call, teardown time and its
      change, load dip), the teardown cost, and an exit status for
      scripts and git bisect run:
        0    the candidate turns every base point over budget into a pass
             and puts no other point over its budget;
        1    a point is over budget on the candidate;
        125  otherwise it cannot be judged: a file missing or invalid, or a
             point skipped or absent on one side only, or whose boots disagree.
      Several files per side are boots of the same kernel: a side's
      result is the one every boot gave, its figures the medians over
      boots, and the teardown time's spread over boots is shown next to
      its change.
"""

import argparse
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_VERSIONS = (1, 2)


def schema_path(version):
    """The schema of @version: in the project, schema/; installed by
    kselftest, next to this script."""
    name = 'results-v%d.schema.json' % version
    return next((p for p in (os.path.join(HERE, '..', 'schema', name), os.path.join(HERE, name))
                 if os.path.exists(p)), os.path.join(HERE, name))


UNDETERMINED = 125


def load_schema():
    """Every schema version this reader knows, by version."""
    schemas = {}
    for v in SCHEMA_VERSIONS:
        with open(schema_path(v)) as f:
            schemas[v] = json.load(f)
    return schemas


# Sizes, one grammar with the test's (lib/stall_parse.c): a positive
# decimal number and its unit, B or K, M, G, T with B or iB or nothing
# after it, in either case; a bare number has no unit and is refused.
SIZE_UNITS = 'BKMGT'
SIZE_RE = re.compile(r'([0-9]+)(B|([KMGT])(?:B|IB)?)', re.IGNORECASE | re.ASCII)
DURATION_UNITS = {'ns': 1, 'us': 1000, 'ms': 1000000, 's': 1000000000}
DURATION_RE = re.compile(r'([0-9]+\.?[0-9]*)(ns|us|ms|s)', re.ASCII)


def parse_size(s):
    """stall_parse_size(): "4K", "2MiB", "4096B" in bytes; ValueError for
    anything else, a bare number included."""
    m = SIZE_RE.fullmatch(s) if isinstance(s, str) else None
    if not m or not int(m.group(1)):
        raise ValueError('invalid size %r%s' % (s, ': no unit (B, K, M, G, T)'
                                                 if isinstance(s, str) and s.isdigit() else ''))
    v = int(m.group(1)) << 10 * SIZE_UNITS.index((m.group(3) or 'B').upper())
    if v >= 1 << 64:
        raise ValueError('invalid size %r' % s)
    return v


def fmt_size(b):
    """stall_fmt_size(): the shortest exact unit ("4K", "1536K", "1000B"),
    which parse_size() reads back; "all" stays "all"."""
    if b == 'all':
        return b
    u = 0
    while u < 4 and b and not b & 1023:
        b >>= 10
        u += 1
    return '%d%s' % (b, SIZE_UNITS[u])


def parse_duration(s):
    """stall_parse_duration(): "250us", "1.5ms", "2s" in ns, rounded; a bare
    number, a sign, blanks or an exponent are a ValueError."""
    m = DURATION_RE.fullmatch(s) if isinstance(s, str) else None
    if not m:
        raise ValueError('invalid duration %r' % s)
    ns = float(m.group(1)) * DURATION_UNITS[m.group(2)]
    if ns > 1e18:
        raise ValueError('invalid duration %r' % s)
    return int(ns + 0.5)


def tier_steps(page_size):
    """stall_tier_step() for a file without environment.steps (version 1):
    each budget tier's step in bytes, and the levels the walk steps by."""
    level2 = page_size * (page_size // 8)
    reg = level2 * (page_size // 8) if page_size == 4096 else level2
    levels, step = [], reg
    while step >= page_size:
        levels.append(step)
        step //= page_size // 8
    return {'levels': levels, 'regression': reg, 'target': level2}


def upgrade(doc):
    """A version 1 document read as version 2, in place: batches in bytes
    ("2M" -> 2097152, "all" kept), environment.steps from the page size."""
    if doc.get('schema_version') != 1:
        return doc
    opts, env = doc.get('options') or {}, doc.get('environment') or {}
    if isinstance(opts.get('batches'), list):
        opts['batches'] = [b if b == 'all' else parse_size(b) for b in opts['batches']]
    for p in doc.get('points') or []:
        if isinstance(p.get('batch'), str) and p['batch'] != 'all':
            p['batch'] = parse_size(p['batch'])
    if env.get('page_size') and 'steps' not in env:
        env['steps'] = tier_steps(env['page_size'])
    doc['schema_version'] = 2
    doc['_read_as'] = 1
    return doc


def schema_errors(doc, schema):
    """Schema violations of @doc, as strings; needs python3-jsonschema.
    @schema: one schema, or load_schema()'s, the one of @doc's version."""
    import jsonschema
    if SCHEMA_VERSIONS[0] in schema:
        schema = schema.get(doc.get('schema_version'))
        if schema is None:
            return ['schema_version %r: this reader knows %s' %
                    (doc.get('schema_version'), ', '.join(map(str, SCHEMA_VERSIONS)))]
    cls = jsonschema.validators.validator_for(schema)
    return ['%s: %s' % ('/'.join(str(p) for p in e.absolute_path) or '(top)', e.message)
            for e in cls(schema).iter_errors(doc)]


def results(doc):
    """Every KTAP result the file records: points, and each point's loads."""
    for p in doc['points']:
        yield p
        for ld in p['loads']:
            yield ld


def consistency_errors(doc):
    errs = []
    names = [r['name'] for r in results(doc)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        errs.append('names not unique: %s' % ', '.join(dup))
    counts = {k: 0 for k in ('pass', 'fail', 'skip')}
    for r in results(doc):
        counts[r['result']] += 1
    if counts != doc['totals']:
        errs.append('totals %s, but the results count %s' % (doc['totals'], counts))
    return errs


def read(path, schema):
    """The document at @path, validated against its version's schema and
    read as the latest version (upgrade()), or raise ValueError saying
    what is wrong."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError('%s: %s' % (path, e))
    errs = schema_errors(doc, schema) if isinstance(doc, dict) else ['not an object']
    if not errs:
        errs = consistency_errors(doc)
    if errs:
        raise ValueError('%s: %s' % (path, '; '.join(errs[:5])))
    return upgrade(doc)


def cmd_validate(args):
    schema = load_schema()
    bad = 0
    for path in args.files:
        try:
            doc = read(path, schema)
            t = doc['totals']
            print('%s: valid (schema %d, %d points, %d pass, %d fail, %d skip)' %
                  (path, doc.get('_read_as', doc['schema_version']), len(doc['points']), t['pass'], t['fail'], t['skip']))
        except ValueError as e:
            print('invalid: %s' % e, file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def median(vals):
    """The test's median (stall_median_u64()): the lower of the two middle
    values when there is an even number of them, so that a figure is always
    one that was measured."""
    vals = [v for v in vals if v is not None]
    return statistics.median_low(vals) if vals else None


def spread_pct(vals):
    mid = median(vals)
    if mid is None or len([v for v in vals if v is not None]) < 2 or not mid:
        return None
    vals = [v for v in vals if v is not None]
    return 100.0 * (max(vals) - min(vals)) / mid


class Side:
    """One kernel: the results of one or more boots, by name."""

    def __init__(self, docs):
        self.docs = docs
        self.by_name = [{r['name']: r for r in results(d)} for d in docs]
        self.names = []
        for d in docs:
            for r in results(d):
                if r['name'] not in self.names:
                    self.names.append(r['name'])

    def boots(self, name):
        return [b.get(name) for b in self.by_name]

    def result(self, name):
        """pass, fail or skip when every boot agrees; missing or mixed otherwise."""
        got = {r['result'] if r else 'missing' for r in self.boots(name)}
        return got.pop() if len(got) == 1 else 'mixed'

    def figure(self, name, get):
        vals = []
        for r in self.boots(name):
            try:
                vals.append(get(r) if r else None)
            except (KeyError, TypeError):
                vals.append(None)
        return vals

    def tier(self):
        """The budget tier that judged (files before the tiers: rel)."""
        return ','.join(sorted({d['options'].get('tier', 'rel') for d in self.docs}))

    def release(self):
        return sorted({d['environment']['kernel']['release'] for d in self.docs})


def us(ns):
    return '-' if ns is None else '%.0f' % (ns / 1000.0)


def pct(v):
    return '-' if v is None else '%+.1f%%' % v


def held(r):
    return r['held_ns'] if r['held_ns'] is not None else r['stall_ns']


def hold_work(r):
    k = r.get('kernel') or {}
    return k['hold']['work_bytes'] if k.get('hold') and k['hold']['calls'] else None


def size(b):
    if b is None:
        return '-'
    for unit, shift in (('G', 30), ('M', 20), ('K', 10)):
        if b >= 1 << shift:
            return '%.4g%s' % (b / float(1 << shift), unit)
    return str(int(b))


def kcall(r):
    return r['kernel']['longest_call_ns'] if r.get('kernel') else None


def dip(r):
    return None if r.get('dip') is None else 100.0 * r['dip']


def compare(base, cand):
    """Rows of the table, and the lists that decide the exit status."""
    rows, fixed, still, new, unjudged = [], [], [], [], []
    names = base.names + [n for n in cand.names if n not in base.names]
    for name in names:
        rb, rc = base.result(name), cand.result(name)
        is_load = ' load=' in name
        row = {'name': name, 'base': rb, 'cand': rc}
        if not is_load:
            row['held'] = [median(s.figure(name, held)) for s in (base, cand)]
            row['kcall'] = [median(s.figure(name, kcall)) for s in (base, cand)]
            row['work'] = [median(s.figure(name, hold_work)) for s in (base, cand)]
            row['tier'] = [s.tier() for s in (base, cand)]
            times = [s.figure(name, lambda r: r['time_ns']) for s in (base, cand)]
            row['time'] = [median(t) for t in times]
            row['spread'] = [spread_pct(t) for t in times]
            tb, tc = row['time']
            row['change'] = 100.0 * (tc - tb) / tb if tb and tc is not None else None
        else:
            row['dip'] = [median(s.figure(name, dip)) for s in (base, cand)]
        rows.append(row)
        if rb == 'skip' and rc == 'skip':
            continue
        if rb in ('missing', 'mixed', 'skip') or rc in ('missing', 'mixed', 'skip'):
            unjudged.append(row)
        elif rb == 'fail' and rc == 'pass':
            fixed.append(row)
        elif rb == 'fail':
            still.append(row)
        elif rc == 'fail':
            new.append(row)
    return rows, fixed, still, new, unjudged


def print_table(rows, bname, cname):
    print('%-58s %-11s %-21s %-17s %-19s %-17s %-24s %s' %
          ('point (%s -> %s)' % (bname, cname), 'result', 'tier', 'held us',
           'stage-2 work held', 'kernel call us', 'teardown us (change)', 'spread over boots'))
    for r in rows:
        res = '%s->%s' % (r['base'], r['cand'])
        if 'dip' in r:
            d = ['-' if v is None else '%.1f%%' % v for v in r['dip']]
            print('%-58s %-11s load dip %s -> %s' % (r['name'], res, d[0], d[1]))
            continue
        sp = ['-' if v is None else '%.2f%%' % v for v in r['spread']]
        print('%-58s %-11s %-21s %-17s %-19s %-17s %-24s %s' %
              (r['name'], res, '%s -> %s' % tuple(r['tier']),
               '%s -> %s' % tuple(us(v) for v in r['held']),
               '%s -> %s' % tuple(size(v) for v in r['work']),
               '%s -> %s' % tuple(us(v) for v in r['kcall']),
               '%s -> %s (%s)' % (us(r['time'][0]), us(r['time'][1]), pct(r['change'])),
               '%s / %s' % (sp[0], sp[1])))


def print_cost(rows):
    """The teardown cost of the candidate, over the points both sides judged."""
    changes = [r['change'] for r in rows
               if r.get('change') is not None and r['base'] != 'skip' and r['cand'] != 'skip']
    if not changes:
        print('teardown cost: no point timed on both sides')
        return
    spreads = [s for r in rows if 'spread' in r for s in r['spread'] if s is not None]
    print('teardown cost: median change %s over %d points (from %s to %s)%s' %
          (pct(median(changes)), len(changes), pct(min(changes)), pct(max(changes)),
           '; spread over boots up to %.2f%%' % max(spreads) if spreads else
           '; one boot per kernel: no spread measured'))


def cmd_compare(args):
    schema = load_schema()
    try:
        base = Side([read(p, schema) for p in args.base])
        cand = Side([read(p, schema) for p in args.cand])
    except ValueError as e:
        print('ab: cannot judge: %s' % e, file=sys.stderr)
        return UNDETERMINED
    bname = args.base_name or ','.join(base.release())
    cname = args.cand_name or ','.join(cand.release())
    rows, fixed, still, new, unjudged = compare(base, cand)
    print_table(rows, bname, cname)
    print_cost(rows)
    for r in fixed:
        print('fixed: %s (%s -> %s)' % (r['name'], r['base'], r['cand']))
    for r in still:
        print('still over budget: %s' % r['name'])
    for r in new:
        print('newly over budget: %s' % r['name'])
    for r in unjudged:
        print('not judged on both: %s (%s -> %s)' % (r['name'], r['base'], r['cand']))
    # a point judged over budget on the candidate decides, whatever else could not be judged
    if still or new:
        print('ab: candidate %s is not better: %d still over budget, %d newly over budget (exit 1)'
              % (cname, len(still), len(new)))
        return 1
    if unjudged:
        print('ab: cannot judge: %d point(s) not judged on both sides (exit 125)' % len(unjudged))
        return UNDETERMINED
    if not fixed:
        print('ab: the base has no point over budget; the candidate puts none over (exit 0)')
    else:
        print('ab: candidate %s fixes %d point(s) and puts none over budget (exit 0)'
              % (cname, len(fixed)))
    return 0


# The CI-name rule, one for every consumer: LKFT's parse-output.py
# (test-definitions, automated/linux/kselftest): tappy's line grammar,
# nested KTAP from "#" lines, "selftests:" dropped, a skip's reason
# appended, slugified, children prefixed with their parent's name, a
# repeated name given _dupN (docs/ci-names.md).
KTAP_RESULT = re.compile(r'^(not ok|ok)\s*(\d*)\s*([^#]*)#?\s*(.*)')
KTAP_SKIP = re.compile(r'^SKIP\S*', re.I)


def ci_slug(s):
    """A name as LKFT records it: [N] dropped, other characters than
    [A-Za-z0-9_-] folded into one "_", none at either end, "_-" as "__"."""
    s = re.sub(r'\[\d{1,5}\]', '', s)
    s = re.sub(r'[^A-Za-z0-9_-]+', '_', s)
    s = re.sub(r'(^_|_$)', '', s)
    return re.sub(r'_-', '__', s)


def ci_name_of(desc, directive, ok):
    if desc.startswith('selftests:'):
        desc = desc[len('selftests:'):]
    extra = ''
    if ok and KTAP_SKIP.match(directive) and directive.lower().startswith('skip'):
        extra = directive[4:]
    return ci_slug(('%s %s' % (desc, extra)).strip() or '<unknown>')


def ci_parse(text):
    """[(name, result, reason, children)] of one level of nested KTAP."""
    out, diag = [], []
    for line in text.splitlines():
        line = line.rstrip()
        m = KTAP_RESULT.match(line)
        if m:
            ok = m.group(1) == 'ok'
            desc, directive = m.group(3).strip(), m.group(4)
            skip = bool(KTAP_SKIP.match(directive))
            res = ('skip' if skip else 'pass') if ok else 'fail'
            reason = directive[4:].strip() if ok and skip else ''
            out.append((ci_name_of(desc, directive, ok), res, reason,
                        ci_parse('\n'.join(diag))))
            diag = []
        elif line.startswith('#'):
            diag.append(line[1:].strip())
    return out


def ci_flatten(prefix, results):
    flat = []
    for name, res, reason, children in results:
        flat += ci_flatten('%s%s_' % (prefix, name), children)
        flat.append(('%s%s' % (prefix, name), res, reason))
    return flat


def ci_names(text):
    """[(name, result, reason)] of a kselftest runner's (or a test's) KTAP."""
    flat, seen = ci_flatten('', ci_parse(text)), {}
    for i, (name, res, reason) in enumerate(flat):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            flat[i] = ('%s_dup%d' % (name, seen[name]), res, reason)
    return flat


def lava_name(name):
    return ci_slug(name)


def lava_lines(doc):
    """The LAVA test cases of one results file: results, then figures."""
    for p in doc['points']:
        n = lava_name(p['name'])
        yield '%s %s' % (n, p['result'])
        if p['result'] != 'skip' or p.get('time_ns') is not None:
            figures = [('held_us', p.get('held_ns')), ('stall_us', p.get('stall_ns')),
                       ('time_us', p.get('time_ns'))]
            if p.get('kernel'):
                figures.append(('kcall_us', p['kernel']['longest_call_ns']))
            for key, ns in figures:
                if ns is not None:
                    yield '%s.%s %s %.1f us' % (n, key, p['result'], ns / 1000.0)
        for ld in p['loads']:
            ln = lava_name(ld['name'])
            yield '%s %s' % (ln, ld['result'])
            if ld.get('dip') is not None:
                yield '%s.dip_pct %s %.1f percent' % (ln, ld['result'], 100.0 * ld['dip'])
            if ld.get('median'):
                yield '%s.op_max_us %s %.1f us' % (ln, ld['result'],
                                                    ld['median']['op_max_ns'] / 1000.0)


def cmd_lava(args):
    try:
        with open(args.file) as f:
            doc = json.load(f)
        if doc.get('schema') != 'kvm-stall-results' or \
           doc.get('schema_version') not in SCHEMA_VERSIONS:
            raise ValueError('not a kvm-stall results file of schema version %s' %
                             ' or '.join(map(str, SCHEMA_VERSIONS)))
        for line in lava_lines(upgrade(doc)):
            print(line)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print('stall-results: %s: %s' % (args.file, e), file=sys.stderr)
        return 1
    return 0


def cmd_names(args):
    try:
        with open(args.file) as f:
            text = f.read()
    except OSError as e:
        print('stall-results: %s: %s' % (args.file, e), file=sys.stderr)
        return 1
    for name, res, reason in ci_names(text):
        print('%s %s\t%s' % (name, res, reason))
    return 0


def cmd_tiers(args):
    try:
        with open(args.file) as f:
            doc = json.load(f)
        for p in doc['points']:
            if p['result'] == 'skip':
                continue
            tiers = p.get('tiers', {})
            hold = (p.get('kernel') or {}).get('hold') or {}
            print('%s %s %s %.0f %d %d' % (
                p['mode'], tiers.get('regression', '-'), tiers.get('target', '-'),
                held(p) / 1000.0, hold.get('work_bytes', 0), hold.get('calls', 0)))
    except (OSError, ValueError, KeyError, TypeError) as e:
        print('stall-results: %s: %s' % (args.file, e), file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    lv = sub.add_parser('lava')
    lv.add_argument('file')
    t = sub.add_parser('tiers')
    t.add_argument('file')
    nm = sub.add_parser('names')
    nm.add_argument('file')
    v = sub.add_parser('validate')
    v.add_argument('files', nargs='+')
    c = sub.add_parser('compare')
    c.add_argument('--base', nargs='+', required=True)
    c.add_argument('--cand', nargs='+', required=True)
    c.add_argument('--base-name')
    c.add_argument('--cand-name')
    args = ap.parse_args()
    if args.cmd == 'lava':
        return cmd_lava(args)
    if args.cmd == 'tiers':
        return cmd_tiers(args)
    if args.cmd == 'names':
        return cmd_names(args)
    try:
        return cmd_validate(args) if args.cmd == 'validate' else cmd_compare(args)
    except ImportError:
        print('stall-results: python3-jsonschema is needed (scripts/deps.sh results)',
              file=sys.stderr)
        return UNDETERMINED if args.cmd == 'compare' else 1


if __name__ == '__main__':
    sys.exit(main())
