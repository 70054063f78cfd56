#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""One page from kvm_page_table_stall_test results files (-j): a matrix, a
kernel-batch sweep (kbatch-sweep.sh) or an A/B (make ab), for a lab to
attach to a qualification.

  stall-report.py OUTDIR FILE.json...
      Writes OUTDIR/report.md and its plots (PNG, matplotlib):
      stall against the user chunk and against the kernel's own batch
      (kvm.stage2_batch, the testbed's knob) per granule and kernel,
      teardown time against both, the probe's latency histogram of each
      one-call point, and each IO load's throughput over time around the
      teardown; then the tables the plots are drawn from.

  stall-report.py kbatch FILE.json...
      Prints the kernel-batch table: per granule, kernel batch and load,
      the one-call point's held time, longest stage-2 call, teardown time
      and its cost against the largest batch, and verdict.

Exit status: 0, 2 for bad usage or an unreadable file.
"""
import json
import os
import sys


def fmt_size(b):
    for unit, shift in (('G', 30), ('M', 20), ('K', 10)):
        if b >= 1 << shift and b % (1 << shift) == 0:
            return '%d%s' % (b >> shift, unit)
    return str(b)


def parse_size(s, region):
    if s == 'all':
        return region
    mult = {'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
    if s and s[-1] in mult:
        return int(s[:-1]) * mult[s[-1]]
    return int(s) if s.isdigit() else None


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write('stall-report: %s: %s\n' % (path, e))
        sys.exit(2)
    if not isinstance(d, dict) or d.get('schema') != 'kvm-stall-results':
        sys.stderr.write('stall-report: %s: not a kvm-stall results file\n' % path)
        sys.exit(2)
    d['_path'] = path
    return d


def run_info(d):
    """What sets a run apart: kernel, granule, kernel batch, load."""
    env = d['environment']
    k = env['kernel']
    kb = k.get('stage2_batch')
    loads = ','.join(d['options'].get('loads') or []) or 'none'
    emu = (env.get('virtualization') or {}).get('emulation') or ''
    cpu = emu.split('-cpu ', 1)[1].split(',')[0] if '-cpu ' in emu else None
    return {
        'cpu': cpu if cpu and cpu != 'max' else None,
        'kernel': k['release'].split('-')[0],
        'granule': fmt_size(env['page_size']),
        'kbatch': kb,
        'load': loads,
        'region': d['options']['size'],
        'tag': d.get('_tag'),
    }


def label(info):
    s = '%s %s' % (info['kernel'], info['granule'])
    if info.get('tag'):
        s = '%s: %s' % (info['tag'], s)
    if info.get('cpu'):
        s += ' cpu=%s' % info['cpu']
    if info['kbatch']:
        s += ' kbatch=%s' % fmt_size(info['kbatch'])
    if info['load'] != 'none':
        s += ' load=%s' % info['load']
    return s


def tag_runs(runs):
    """Runs that would share a label (an A/B's base and candidate) are told
    apart by their file's name."""
    seen = {}
    for d in runs:
        seen.setdefault(label(run_info(d)), []).append(d)
    for same in seen.values():
        if len(same) > 1:
            for d in same:
                parent = os.path.basename(os.path.dirname(os.path.abspath(d['_path'])))
                d['_tag'] = '%s/%s' % (parent, os.path.splitext(os.path.basename(d['_path']))[0])


def ms(ns):
    return None if ns is None else ns / 1e6


def held(p):
    return p['held_ns'] if p.get('held_ns') is not None else p['stall_ns']


def one_call(d, mode='madvise'):
    for p in d['points']:
        if p['mode'] == mode and p['batch'] == 'all' and p['result'] != 'skip':
            return p
    return None


def kbatch_rows(runs):
    """One row per run with the knob: the one-call madvise point."""
    rows = []
    for d in runs:
        info = run_info(d)
        p = one_call(d)
        if not info['kbatch'] or not p:
            continue
        k = p.get('kernel') or {}
        rows.append(dict(info, held=ms(held(p)), stall=ms(p['stall_ns']),
                         kcall=ms(k.get('longest_call_ns')), time=ms(p['time_ns']),
                         kcalls=k.get('batch_calls'), ktime=ms(k.get('batch_total_ns')),
                         lost=k.get('lost_events') or 0,
                         result=p['result'], rule=p['rule'], budget=ms(p['budget_ns'])))
    rows.sort(key=lambda r: (r['kernel'], r['granule'], r['load'], r['kbatch']))
    # teardown cost against the largest batch of the same granule and load
    for r in rows:
        ref = [x for x in rows if (x['kernel'], x['granule'], x['load']) ==
               (r['kernel'], r['granule'], r['load'])]
        big = max(ref, key=lambda x: x['kbatch'])
        r['cost'] = 100.0 * (r['time'] / big['time'] - 1) if big['time'] else None
        r['kcost'] = (100.0 * (r['ktime'] / big['ktime'] - 1)
                      if r['ktime'] is not None and big['ktime'] else None)
    return rows


def lost_mark(r, text, say=False):
    """Counts from a window whose ring buffer overflowed are lower bounds."""
    if not r['lost'] or text == 'n/a':
        return text
    return '>=%s (%d events lost)' % (text, r['lost']) if say else '>=' + text


def kbatch_table(rows):
    out = ['| kernel | granule | kernel batch | load | held (ms) | longest call (ms) | '
           'stage-2 calls | stage-2 time (ms) | vs. largest batch | '
           'teardown (ms) | vs. largest batch | budget (ms) | result |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|---|']

    def opt(v, f):
        return f % v if v is not None else 'n/a'
    for r in rows:
        out.append('| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %.1f | %+.1f%% | '
                   '%.2f (%s) | %s |' % (
                       r['kernel'], r['granule'], fmt_size(r['kbatch']), r['load'], r['held'],
                       opt(r['kcall'], '%.2f'), lost_mark(r, opt(r['kcalls'], '%d'), True),
                       lost_mark(r, opt(r['ktime'], '%.1f')), lost_mark(r, opt(r['kcost'], '%+.1f%%')),
                       r['time'],
                       r['cost'], r['budget'], r['rule'], r['result']))
    return out


def kbatch_panels(ax, rows, title):
    """One granule's row of the kernel-batch plot: a colour per load."""
    from matplotlib import ticker
    xs_all = sorted({r['kbatch'] for r in rows})
    for n, load in enumerate(sorted({r['load'] for r in rows})):
        rs = [r for r in rows if r['load'] == load]
        xs, c = [r['kbatch'] for r in rs], 'C%d' % n
        ax[0].plot(xs, [r['held'] for r in rs], 'o-', color=c, label='load=%s: CPU held' % load)
        if all(r['kcall'] is not None for r in rs):
            ax[0].plot(xs, [r['kcall'] for r in rs], 'x--', color=c,
                       label='load=%s: longest stage-2 call' % load)
        ax[0].plot(xs, [r['budget'] for r in rs], ':', color=c, lw=1,
                   label='load=%s: budget (%s)' % (load, '/'.join(sorted({r['rule'] for r in rs}))))
        ax[1].plot(xs, [r['time'] for r in rs], 'o-', color=c, label='load=%s: teardown' % load)
        if all(r['ktime'] is not None for r in rs):
            ax[1].plot(xs, [r['ktime'] for r in rs], 'x--', color=c,
                       label='load=%s: stage-2 calls added' % load)
    for a, yl in ((ax[0], 'ms (log)'), (ax[1], 'time (ms)')):
        a.set_xscale('log', base=2)
        a.set_xticks(xs_all)
        a.set_xticklabels([fmt_size(x) for x in xs_all])
        a.minorticks_off()
        a.set_xlabel('kernel stage-2 batch (kvm.stage2_batch)')
        a.set_ylabel(yl)
        a.set_title(title, fontsize=10)
        a.grid(True, which='major', alpha=0.3)
        a.legend(fontsize=7)
    ax[0].set_yscale('log')
    ax[0].yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: '%g' % v))
    ax[0].yaxis.set_minor_formatter(ticker.FuncFormatter(lambda v, _: '%g' % v))
    ax[1].set_ylim(bottom=0)


def hist_panel(ax, hists, nb, title):
    """One granule's probe histograms, a bar colour per run."""
    import matplotlib
    n = len(hists)
    width = 0.8 / n
    cmap = matplotlib.colormaps['tab20']
    for i, (_, _, lbl, r) in enumerate(hists):
        h = r['probe_hist_log2_us']
        h = h + [0] * (nb - 1 - len(h)) + [r.get('probe_hist_over', 0)]
        xs = [b + 0.1 + i * width for b in range(nb)]
        ax.bar(xs, h, width=width, align='edge', label=lbl, color=cmap(i % 20))
    ax.set_xticks([b + 0.5 for b in range(nb)])
    ax.set_xticklabels(['<2'] + ['%s' % (1 << b) for b in range(1, nb - 1)] + ['>20ms'],
                       fontsize=7)
    ax.set_yscale('log')
    ax.set_title(title, fontsize=10)
    ax.set_xlabel('probe wake-up latency, bins from the lower bound shown (us)')
    ax.set_ylabel('wake-ups')
    ax.legend(fontsize=7, ncol=2)


def plots(runs, outdir):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    made = []

    def save(fig, name, title, what):
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, name), dpi=100)
        plt.close(fig)
        made.append((name, title, what))

    # 1. stall and teardown time against the user chunk, kernel's default batch
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.5))
    drawn = 0
    for d in runs:
        info = run_info(d)
        if info['kbatch'] and info['load'] != 'none':
            continue
        for mode in sorted({p['mode'] for p in d['points']}):
            pts = [(parse_size(p['batch'], info['region']), p) for p in d['points']
                   if p['mode'] == mode and p['result'] != 'skip']
            pts = sorted((x, p) for x, p in pts if x)
            if len(pts) < 2:
                continue
            lbl = '%s %s' % (label(info), mode)
            ax[0].plot([x for x, _ in pts], [ms(held(p)) for _, p in pts], 'o-', label=lbl)
            ax[1].plot([x for x, _ in pts], [ms(p['time_ns']) for _, p in pts], 'o-', label=lbl)
            drawn += 1
    if drawn:
        for a, yl in ((ax[0], 'CPU held (ms)'), (ax[1], 'teardown time (ms)')):
            a.set_xscale('log', base=2)
            a.set_yscale('log')
            a.set_xlabel('user chunk (bytes; the last point is one call)')
            a.set_ylabel(yl)
            a.grid(True, which='both', alpha=0.3)
        ax[0].legend(fontsize=7)
        save(fig, 'user-chunk.png', 'Stall and teardown time against the user chunk',
             'Each line is one mode of one run: the CPU held (left) and the teardown '
             'time (right) as the teardown is done in smaller chunks.')
    else:
        plt.close(fig)

    # 2. stall and teardown against the kernel's batch (the knob), a row per granule
    rows = kbatch_rows(runs)
    if rows:
        grans = sorted({(r['kernel'], r['granule']) for r in rows},
                       key=lambda g: (g[0], parse_size(g[1], 0) or 0))
        fig, axs = plt.subplots(len(grans), 2, figsize=(12, 4.2 * len(grans)), squeeze=False)
        for (kern, gran), ax in zip(grans, axs):
            kbatch_panels(ax, [r for r in rows if (r['kernel'], r['granule']) == (kern, gran)],
                          '%s %s' % (kern, gran))
        save(fig, 'kernel-batch.png',
             'One-call unmap against the kernel batch: CPU held and teardown time',
             'The one-call madvise point of each boot, a row per kernel and granule: '
             'left, the CPU held, the longest stage-2 call and the budget against '
             'the batch the kernel was booted with; right, what the whole teardown '
             'took and, of it, the stage-2 calls added together. A colour per load.')

    # 3. the probe's latency histogram of each one-call point, a panel per granule
    hists = []
    for d in runs:
        p, info = one_call(d), run_info(d)
        if p and p['reps'] and p['reps'][0].get('probe_hist_log2_us'):
            hists.append(((info['kernel'], info['granule']), info['kbatch'] or 0,
                          label(info), p['reps'][0]))
    if hists:
        grans = sorted({g for g, _, _, _ in hists},
                       key=lambda g: (g[0], parse_size(g[1], 0) or 0))
        nb = max(len(r['probe_hist_log2_us']) for _, _, _, r in hists) + 1
        fig, axs = plt.subplots(len(grans), 1, figsize=(10, 3.6 * len(grans)), squeeze=False)
        for g, ax in zip(grans, axs[:, 0]):
            hist_panel(ax, sorted((h for h in hists if h[0] == g), key=lambda h: (h[1], h[2])),
                       nb, '%s %s' % g)
        save(fig, 'probe-histogram.png', "The probe's wake-up latency during the one-call unmap",
             'How late the probe on the test CPU woke during the teardown window of the '
             'one-call madvise point, in power-of-two bins, a panel per kernel and granule: '
             'a held CPU shows as a tail.')

    # 4. throughput over time for the IO loads
    series = []
    for d in runs:
        for p in d['points']:
            for ld in p.get('loads') or []:
                for r in (ld.get('reps') or [])[:1]:
                    if r.get('series') and r['series']['meas']:
                        series.append(('%s %s %s' % (label(run_info(d)), p['mode'], p['batch']),
                                       ld['spec'], ld['unit'], r['series']))
    if series:
        series = series[:8]
        fig, ax = plt.subplots(len(series), 1, figsize=(10, 2.2 * len(series)), squeeze=False)
        for a, (lbl, spec, unit, s) in zip(ax[:, 0], series):
            w = s['window_ns'] / 1e6
            nb = len(s['base'])
            xs = [(i - nb) * w for i in range(nb)] + [i * w for i in range(len(s['meas']))]
            a.step(xs, s['base'] + s['meas'], where='post')
            a.axvline(0, color='red', lw=0.8, ls=':')
            a.set_ylabel('%s/s' % unit, fontsize=8)
            a.set_ylim(bottom=0)
            a.set_title('%s, load %s' % (lbl, spec), fontsize=8)
            a.grid(True, alpha=0.3)
        ax[-1, 0].set_xlabel('ms from the teardown (baseline before 0)')
        save(fig, 'load-throughput.png', 'IO load throughput around the teardown',
             "Each load's throughput per window: the baseline's last windows, then the "
             'teardown from 0; a dip is the IO the held CPU did not serve.')
    return made


def report(outdir, paths):
    runs = [load(p) for p in paths]
    tag_runs(runs)
    os.makedirs(outdir, exist_ok=True)
    made = plots(runs, outdir)
    md = ['# KVM stage-2 teardown stall: report', '',
          '%d results file(s): %s.' % (len(runs), ', '.join(os.path.basename(p) for p in paths)),
          '']
    envs = sorted({(d['environment']['kernel']['release'],
                    (d['environment'].get('virtualization') or {}).get('emulation') or 'no emulation')
                   for d in runs})
    for rel, emu in envs:
        md.append('- kernel %s; %s' % (rel, emu))
    md.append('')
    for name, title, what in made:
        md += ['## %s' % title, '', what, '', '![%s](%s)' % (title, name), '']
    rows = kbatch_rows(runs)
    if rows:
        md += ['## Kernel batch table', ''] + kbatch_table(rows) + ['']
    md += ['## Every point', '', '| run | point | held (ms) | stall (ms) | teardown (ms) | result |',
           '|---|---|---|---|---|---|']
    for d in runs:
        for p in d['points']:
            md.append('| %s | %s | %s | %.2f | %.1f | %s |' % (
                label(run_info(d)), p['name'],
                '%.2f' % ms(p['held_ns']) if p.get('held_ns') is not None else 'n/a',
                ms(p['stall_ns']), ms(p['time_ns']), p['result']))
    with open(os.path.join(outdir, 'report.md'), 'w') as f:
        f.write('\n'.join(md) + '\n')
    print('stall-report: %s/report.md, %d plots' % (outdir, len(made)))


def main(argv):
    if len(argv) >= 3 and argv[1] == 'kbatch':
        rows = kbatch_rows([load(p) for p in argv[2:]])
        print('\n'.join(kbatch_table(rows)))
        return 0
    if len(argv) < 3 or argv[1].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    report(argv[1], argv[2:])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
