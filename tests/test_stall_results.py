#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Unit tests of scripts/stall_results.py, the results file's reader: no
KVM, no results file of a run, a second at most. Prints KTAP, one result
per test, for make check's pyunit tier.

  test_stall_results.py [-v]
"""

import copy
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import stall_results as sr  # noqa: E402


class Median(unittest.TestCase):
    def test_odd(self):
        self.assertEqual(sr.median([3, 1, 2]), 2)

    def test_even_takes_the_lower_middle(self):
        # as stall_median_u64(): a figure that was measured, not a mean
        self.assertEqual(sr.median([4, 1, 3, 2]), 2)

    def test_unmeasured_left_out(self):
        self.assertEqual(sr.median([None, 5, None]), 5)
        self.assertIsNone(sr.median([None]))
        self.assertIsNone(sr.median([]))


class CiNames(unittest.TestCase):
    def test_slug(self):
        self.assertEqual(sr.ci_slug('madvise batch=2M granule=4K'), 'madvise_batch_2M_granule_4K')
        self.assertEqual(sr.ci_slug('a[12] b'), 'a_b')
        self.assertEqual(sr.ci_slug(' x.y '), 'x_y')
        self.assertEqual(sr.ci_slug('a -b'), 'a__b')

    def test_name_of_a_skip_carries_its_reason(self):
        self.assertEqual(sr.ci_name_of('selftests: kvm: t', 'SKIP no memory', True),
                         'kvm_t_no_memory')

    def test_name_of_a_failure_has_no_directive(self):
        self.assertEqual(sr.ci_name_of('kvm: t', 'SKIP no memory', False), 'kvm_t')
        self.assertEqual(sr.ci_name_of('', '', True), 'unknown')


class Sizes(unittest.TestCase):
    def test_parse_units(self):
        for s, b in (('4K', 4096), ('2M', 2 << 20), ('1G', 1 << 30), ('1T', 1 << 40),
                     ('4096B', 4096), ('2MiB', 2 << 20), ('2mb', 2 << 20), ('16k', 16384),
                     ('007K', 7 << 10)):
            self.assertEqual(sr.parse_size(s), b, s)

    def test_parse_refuses_what_the_test_refuses(self):
        for s in ('4096', '0K', '1.5M', 'K', '-1K', ' 4K', '4K ', '4KX', '4Ki', '2P', '', None,
                  '16777216T', '\u0664K', '4\u212a'):
            with self.assertRaises(ValueError, msg=repr(s)):
                sr.parse_size(s)

    def test_bare_number_says_unit(self):
        with self.assertRaisesRegex(ValueError, 'no unit'):
            sr.parse_size('512')

    def test_format_shortest_exact_unit(self):
        for b, s in ((4096, '4K'), (2 << 20, '2M'), (1536 << 10, '1536K'), (1000, '1000B'),
                     (1 << 40, '1T'), (1 << 50, '1024T'), ('all', 'all')):
            self.assertEqual(sr.fmt_size(b), s)

    def test_format_reads_back(self):
        for b in (1, 1000, 4096, 12288, 2 << 20, 3 << 30, (1 << 50) + 4096):
            self.assertEqual(sr.parse_size(sr.fmt_size(b)), b)

    def test_durations(self):
        for s, ns in (('250us', 250000), ('1.5ms', 1500000), ('2s', 2000000000), ('2.s', 2000000000),
                      ('7ns', 7), ('1.6ns', 2)):
            self.assertEqual(sr.parse_duration(s), ns, s)
        for s in ('1', '.5ms', '1e3us', '-1ms', '1.2.3ms', '1 ms', 'nanms', '2000000000s'):
            with self.assertRaises(ValueError, msg=s):
                sr.parse_duration(s)

    def test_tier_steps(self):
        self.assertEqual(sr.tier_steps(4096), {'levels': [1 << 30, 2 << 20, 4096],
                                               'regression': 1 << 30, 'target': 2 << 20})
        self.assertEqual(sr.tier_steps(16384), {'levels': [32 << 20, 16384],
                                                'regression': 32 << 20, 'target': 32 << 20})
        self.assertEqual(sr.tier_steps(65536)['levels'], [512 << 20, 65536])


def doc_v2():
    """The smallest file the v2 schema takes: a batched point, its skip, a
    mode without batches."""
    point = {'name': 'madvise batch=2M', 'mode': 'madvise', 'batch': 2 << 20,
             'result': 'skip', 'reason': 'r', 'loads': []}
    return {
        'schema': 'kvm-stall-results', 'schema_version': 2,
        'suite': {'test': 'kvm_page_table_stall_test', 'version': 'in-tree'},
        'environment': {
            'kernel': {'release': '6.12.0', 'version': '#1', 'machine': 'aarch64',
                       'config_source': None, 'config': {}},
            'cpu': {'model': None, 'implementer': None, 'part': None, 'midr': None,
                    'features': None, 'online': 2, 'nodes': 1},
            'virtualization': {'hypervisor_flag': None, 'emulation': None},
            'page_size': 4096,
            'kernel_side': {'available': False, 'why_not': 'no tracefs'},
            'probe_sees_held': True,
            'steps': sr.tier_steps(4096),
        },
        'options': {'size': 1 << 30, 'vcpus': 1, 'backing': 'anonymous', 'backing_page_size': 4096,
                    'test_cpu': 0, 'node': -1, 'modes': ['madvise', 'vm-destroy'],
                    'batches': [2 << 20, 'all'], 'reps': 1, 'period_ns': 100000,
                    'baseline_ns': 1000000, 'stall_allow_ns': 0, 'time_ratio': 0,
                    'max_dip': 0.5, 'loads': [], 'placement': 'cpu', 'load_window_ns': 1000000},
        'points': [point,
                   dict(point, name='madvise batch=all', batch='all'),
                   dict(point, name='vm-destroy', mode='vm-destroy', batch=None)],
        'totals': {'pass': 0, 'fail': 0, 'skip': 3},
    }


def doc_v1():
    """What version 1 wrote for doc_v2(): batches as "2M", no steps."""
    d = copy.deepcopy(doc_v2())
    d['schema_version'] = 1
    del d['environment']['steps']
    d['options']['batches'] = ['2M', 'all']
    d['points'][0]['batch'] = '2M'
    return d


class Loading(unittest.TestCase):
    def setUp(self):
        try:
            import jsonschema  # noqa: F401
        except ImportError:
            self.skipTest('python3-jsonschema is not installed')
        self.dir = tempfile.TemporaryDirectory()
        self.schemas = sr.load_schema()

    def tearDown(self):
        self.dir.cleanup()

    def read(self, doc):
        path = os.path.join(self.dir.name, 'r.json')
        with open(path, 'w') as f:
            json.dump(doc, f)
        return sr.read(path, self.schemas)

    def test_v2_loads_as_written(self):
        d = self.read(doc_v2())
        self.assertEqual(d['schema_version'], 2)
        self.assertNotIn('_read_as', d)
        self.assertEqual([p['batch'] for p in d['points']], [2 << 20, 'all', None])

    def test_v1_reads_as_v2(self):
        d = self.read(doc_v1())
        self.assertEqual(d, dict(doc_v2(), _read_as=1))

    def test_v1_batch_string_refused_in_v2(self):
        d = doc_v2()
        d['points'][0]['batch'] = '2M'
        with self.assertRaisesRegex(ValueError, 'batch'):
            self.read(d)

    def test_v2_needs_steps(self):
        d = doc_v2()
        del d['environment']['steps']
        with self.assertRaisesRegex(ValueError, 'steps'):
            self.read(d)

    def test_unknown_version(self):
        d = doc_v2()
        d['schema_version'] = 3
        with self.assertRaisesRegex(ValueError, 'schema_version 3'):
            self.read(d)

    def test_totals_checked(self):
        d = doc_v2()
        d['totals']['skip'] = 2
        with self.assertRaisesRegex(ValueError, 'totals'):
            self.read(d)

    def test_lava_lines_of_both_versions_agree(self):
        self.assertEqual(list(sr.lava_lines(sr.upgrade(doc_v1()))), list(sr.lava_lines(doc_v2())))


def ktap(suite):
    """Run @suite, one KTAP result per test; returns the exit status."""
    tests = []

    def flat(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                flat(t)
            else:
                tests.append(t)
    flat(suite)
    print('TAP version 13')
    print('1..%d' % len(tests))
    bad = 0
    for n, t in enumerate(tests, 1):
        res = unittest.TestResult()
        t.run(res)
        name = t.id().split('.', 1)[1]
        if res.skipped:
            print('ok %d %s # SKIP %s' % (n, name, res.skipped[0][1]))
        elif res.wasSuccessful():
            print('ok %d %s' % (n, name))
        else:
            bad += 1
            for _, tb in res.failures + res.errors:
                for line in tb.rstrip().splitlines():
                    print('# %s' % line)
            print('not ok %d %s' % (n, name))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(ktap(unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])))
