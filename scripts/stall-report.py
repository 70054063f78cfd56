#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""One page from kvm_page_table_stall_test results files (-j): a default
run, a matrix, a kernel-batch sweep (kbatch-sweep.sh) or an A/B (make ab),
for a lab to attach to a qualification.

  stall-report.py OUTDIR FILE.json...
      Writes OUTDIR/report.md and its plots (PNG, matplotlib):
      stall against the user chunk and against the kernel's own batch
      (kvm.stage2_batch, the testbed's knob) per granule and kernel,
      teardown time against both, the whole-VM operations (modes without
      batches), the probe's latency histogram of each one-call point,
      and each IO load's throughput over time around the teardown; then
      the tables the plots are drawn from and every point of every file.
      Each PNG carries what it draws (axes, ticks, legends) as JSON in
      its "kvm-stall-axes" text chunk, for checks to read back.

  stall-report.py kbatch FILE.json...
      Prints the kernel-batch table: per granule, kernel batch and load,
      the one-call point's held time, longest stage-2 call, teardown time
      and its cost against the largest batch, and verdict.

Exit status: 0, 2 for bad usage or an unreadable file.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from stall_results import fmt_size, parse_size, upgrade  # noqa: E402  (scripts/stall_results.py)


def size_key(s):
    """A granule's label ("4K", "?") as a sort key."""
    try:
        return parse_size(s)
    except ValueError:
        return 0


def batch_bytes(p, region):
    """A point's batch in bytes ("all": the region); None for the modes
    without batches."""
    b = p.get('batch')
    return region if b == 'all' else b


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write('stall-report: %s: %s\n' % (path, e))
        sys.exit(2)
    if not isinstance(d, dict) or d.get('schema') != 'kvm-stall-results' or \
       not isinstance(d.get('points'), list):
        sys.stderr.write('stall-report: %s: not a kvm-stall results file\n' % path)
        sys.exit(2)
    try:
        upgrade(d)
    except ValueError as e:
        sys.stderr.write('stall-report: %s: %s\n' % (path, e))
        sys.exit(2)
    d['_path'] = path
    return d


def run_info(d):
    """What sets a run apart: kernel, granule, kernel batch, load."""
    env = d.get('environment') or {}
    k = env.get('kernel') or {}
    opts = d.get('options') or {}
    emu = (env.get('virtualization') or {}).get('emulation') or ''
    cpu = emu.split('-cpu ', 1)[1].split(',')[0] if '-cpu ' in emu else None
    return {
        'cpu': cpu if cpu and cpu != 'max' else None,
        'kernel': (k.get('release') or 'unknown').split('-')[0],
        'granule': fmt_size(env['page_size']) if env.get('page_size') else '?',
        'page_size': env.get('page_size'),
        'steps': env.get('steps') or {},
        'kbatch': k.get('stage2_batch'),
        'load': ','.join(opts.get('loads') or []) or 'none',
        'emulated': ('emulated, virtual time' if 'icount' in emu else 'emulated') if emu else None,
        'region': opts.get('size'),
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
    if info.get('emulated'):
        s += ' (%s)' % info['emulated']
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
    """The probe's held time, or its longest gap where schedstat is missing."""
    return p['held_ns'] if p.get('held_ns') is not None else p.get('stall_ns')


def measured(p):
    """A point that ran and was judged: a skipped one carries no figures."""
    return p.get('result') != 'skip' and p.get('time_ns') is not None


def one_call(d, mode='madvise'):
    for p in d['points']:
        if p.get('mode') == mode and p.get('batch') == 'all' and measured(p):
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
        rows.append(dict(info, held=ms(held(p)), stall=ms(p.get('stall_ns')),
                         kcall=ms(k.get('longest_call_ns')), time=ms(p['time_ns']),
                         kcalls=k.get('batch_calls'), ktime=ms(k.get('batch_total_ns')),
                         lost=k.get('lost_events') or 0,
                         result=p['result'], rule=p.get('rule') or 'n/a',
                         budget=ms(p.get('budget_ns'))))
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


def opt(v, f):
    return f % v if v is not None else 'n/a'


def kbatch_table(rows):
    out = ['| kernel | granule | kernel batch | load | held (ms) | longest call (ms) | '
           'stage-2 calls | stage-2 time (ms) | vs. largest batch | '
           'teardown (ms) | vs. largest batch | budget (ms) | result |',
           '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %s | '
                   '%s (%s) | %s |' % (
                       r['kernel'], r['granule'], fmt_size(r['kbatch']), r['load'],
                       opt(r['held'], '%.2f'),
                       opt(r['kcall'], '%.2f'), lost_mark(r, opt(r['kcalls'], '%d'), True),
                       lost_mark(r, opt(r['ktime'], '%.1f')),
                       lost_mark(r, opt(r['kcost'], '%+.1f%%')),
                       r['time'], opt(r['cost'], '%+.1f%%'),
                       opt(r['budget'], '%.2f'), r['rule'], r['result']))
    return out


def time_scale(values_ns):
    """A time axis's unit: us below a millisecond, ms above, never an
    exponent or an offset."""
    top = max([v for v in values_ns if v is not None] or [0])
    return ('us', 1e3) if top < 1e6 else ('ms', 1e6)


def plain_axis(axis):
    """Plain numbers on a linear axis: no 1e3 factor, no +1.775e3 offset."""
    from matplotlib import ticker
    fmt = ticker.ScalarFormatter(useOffset=False)
    fmt.set_scientific(False)
    axis.set_major_formatter(fmt)


def size_axis(axis, sizes, width_in=5.0):
    """A log2 axis of byte sizes labelled 2M .. 1G at the sizes drawn; where
    they crowd (4K .. 2G on one axis), every size keeps its tick and the
    labels go to those at least a label's width apart, the largest first."""
    from math import log2
    from matplotlib import ticker
    ax = axis.axes
    lo, hi = min(sizes), max(sizes)
    if axis is ax.xaxis:
        ax.set_xscale('log', base=2)
        ax.set_xlim(lo / 1.5, hi * 1.5)
    else:
        ax.set_yscale('log', base=2)
        ax.set_ylim(lo / 1.5, hi * 1.5)
    gap = (log2(hi / lo) + 1.2) * 0.55 / width_in
    shown = []
    for s in sorted(sizes, reverse=True):
        if not shown or log2(shown[-1] / s) >= gap:
            shown.append(s)
    axis.set_major_locator(ticker.FixedLocator(sorted(shown)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: fmt_size(int(round(v)))))
    axis.set_minor_locator(ticker.FixedLocator(sorted(set(sizes) - set(shown))))
    axis.set_minor_formatter(ticker.NullFormatter())


def axes_meta(fig):
    """What the figure shows, read back from the drawn artists: each axes'
    labels, scales, visible tick labels, offset texts and legend entries."""
    fig.canvas.draw()

    def ticks(axis, lim):
        lo, hi = sorted(lim)
        major = [t.get_text() for v, t in zip(axis.get_majorticklocs(),
                                               axis.get_majorticklabels())
                 if lo <= v <= hi and t.get_visible()]
        return major + [t.get_text() for t in axis.get_minorticklabels() if t.get_text()]

    out = []
    for ax in fig.axes:
        leg = ax.get_legend()
        out.append({
            'title': ax.get_title(),
            'xlabel': ax.get_xlabel(), 'ylabel': ax.get_ylabel(),
            'xscale': ax.get_xscale(), 'yscale': ax.get_yscale(),
            'xticks': ticks(ax.xaxis, ax.get_xlim()), 'yticks': ticks(ax.yaxis, ax.get_ylim()),
            'xoffset': ax.xaxis.get_offset_text().get_text(),
            'yoffset': ax.yaxis.get_offset_text().get_text(),
            'legend': [t.get_text() for t in leg.get_texts()] if leg else [],
            'budget_lines': sum(1 for ln in ax.get_lines() if ln.get_gid() == 'budget'),
            'tier_lines': sorted(ln.get_xdata()[0] for ln in ax.get_lines()
                                 if ln.get_gid() == 'tier'),
        })
    legends = [[t.get_text() for t in lg.get_texts()] for lg in fig.legends]
    w, h = fig.canvas.get_width_height()
    return {'size': [w, h], 'axes': out, 'legends': legends}


def legend_rows(n, ncol):
    return (n + ncol - 1) // ncol


def run_styles(runs):
    """A colour per run, the same in every plot."""
    import matplotlib
    cmap = matplotlib.colormaps['tab20']
    return dict((id(d), 'C%d' % i if len(runs) <= 10 else cmap(i % 20))
                for i, d in enumerate(runs))


MODE_MARKERS = 'osD^vP*X<>'


def chunk_series(runs):
    """Per run and mode, the measured points with a batch, by chunk size."""
    out = []
    for d in runs:
        info = run_info(d)
        if info['kbatch'] and info['load'] != 'none':
            continue
        for mode in sorted({p.get('mode') for p in d['points']}):
            pts = [(batch_bytes(p, info['region']), p)
                   for p in d['points'] if p.get('mode') == mode and measured(p)]
            pts = sorted(((x, p) for x, p in pts if x), key=lambda xp: xp[0])
            if pts:
                out.append((d, mode, pts))
    return out


def draw_budget(ax, xs, budgets, scale, color):
    """The budget a point was judged against, where it has one (0: the
    work alone judged, no time limit): a dotted line over the points it
    judged, a dash where it judged one point alone."""
    bs = [(x, b / scale) for x, b in zip(xs, budgets) if b]
    if len(bs) > 1:
        ax.plot([x for x, _ in bs], [b for _, b in bs], ':', color=color, lw=2, gid='budget')
    elif bs:
        # one point: a bar across a chunk size either side, on the log axis
        ax.plot([bs[0][0] / 2, bs[0][0] * 2], [bs[0][1]] * 2, ':', color=color, lw=2,
                gid='budget')


def draw_results(ax, xs, ys, pts):
    """Each point's result on it: a red cross over a point not ok (over
    budget), a hollow ring round one skipped; an ok point stays as drawn."""
    fails = [(x, y) for x, y, p in zip(xs, ys, pts) if p.get('result') == 'fail']
    skips = [(x, y) for x, y, p in zip(xs, ys, pts) if p.get('result') == 'skip']
    if fails:
        ax.plot([x for x, _ in fails], [y for _, y in fails], ls='none', marker='X', ms=11,
                color='red', gid='fail')
    if skips:
        ax.plot([x for x, _ in skips], [y for _, y in skips], ls='none', marker='o', ms=12,
                mfc='none', color='grey', gid='skip')


def headroom(ax):
    """Linear time from 0, room above the data for the legend."""
    top = max([max(ln.get_ydata(), default=0) for ln in ax.get_lines()] +
              [p.get_height() for p in ax.patches] + [0])
    ax.set_ylim(0, top * 1.35 if top > 0 else 1)


def style_handles(modes, with_budget):
    from matplotlib.lines import Line2D
    hs = [Line2D([], [], color='k', marker=MODE_MARKERS[i % len(MODE_MARKERS)], ls='-',
                 label=m) for i, m in enumerate(modes)]
    if with_budget:
        hs.append(Line2D([], [], color='k', ls=':', lw=2, label='budget judged against'))
    hs.append(Line2D([], [], color='red', marker='X', ls='none', label='not ok (over budget)'))
    hs.append(Line2D([], [], color='grey', marker='o', mfc='none', ls='none', label='skipped'))
    return hs


def run_legend(fig, handles, top):
    """One entry per run (kernel and granule, and what sets it apart),
    under the axes."""
    ncol = 2 if len(handles) > 4 else max(1, len(handles))
    fig.legend(handles=handles, loc='lower center', ncol=ncol, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.3 * legend_rows(len(handles), ncol) / fig.get_figheight() + 0.02,
                           1, top))


def plot_chunk(plt, runs, colors, save):
    from matplotlib.lines import Line2D
    series = chunk_series(runs)
    if not series:
        return
    modes = sorted({m for _, m, _ in series})
    drawn = list({id(d): d for d, _, _ in series}.values())
    nrun = len(drawn)
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.8 + 0.3 * legend_rows(nrun, 2)))
    hunit, hscale = time_scale([held(p) for _, _, pts in series for _, p in pts])
    tunit, tscale = time_scale([p['time_ns'] for _, _, pts in series for _, p in pts])
    sizes, budgeted = set(), False
    for d, mode, pts in series:
        xs, c = [x for x, _ in pts], colors[id(d)]
        mk = MODE_MARKERS[modes.index(mode) % len(MODE_MARKERS)]
        hs = [(held(p) or 0) / hscale for _, p in pts]
        ax[0].plot(xs, hs, marker=mk, color=c)
        draw_results(ax[0], xs, hs, [p for _, p in pts])
        ax[1].plot(xs, [p['time_ns'] / tscale for _, p in pts], marker=mk, color=c)
        budgets = [p.get('budget_ns') for _, p in pts]
        draw_budget(ax[0], xs, budgets, hscale, c)
        budgeted |= any(budgets)
        sizes.update(xs)
    for a, yl in ((ax[0], 'CPU held (%s)' % hunit), (ax[1], 'teardown time (%s)' % tunit)):
        size_axis(a.xaxis, sizes)
        plain_axis(a.yaxis)
        headroom(a)
        a.set_xlabel('user chunk (the largest is the whole region in one call)')
        a.set_ylabel(yl)
        a.grid(True, alpha=0.3)
    # the budget and the results belong to the CPU held: their legend is there
    ax[0].legend(handles=style_handles(modes, budgeted), fontsize=7, title='mode', title_fontsize=7)
    fig.suptitle('Stall and teardown time against the user chunk')
    run_legend(fig, [Line2D([], [], color=colors[id(d)], lw=2, label=label(run_info(d)))
                     for d in drawn], 0.95)
    save(fig, 'user-chunk.png', 'Stall and teardown time against the user chunk',
         'A colour per run (kernel and granule), a marker per mode: the CPU held (left, '
         'with the budget each point was judged against, dotted) and the teardown time '
         '(right) as the teardown is done in smaller chunks.')


def plot_whole(plt, runs, colors, save):
    """The modes without batches (vm-destroy, process-exit, dirty-log-enable):
    a group of bars per mode, a bar per run."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    pts = [(d, p) for d in runs for p in d['points']
           if measured(p) and p.get('batch') is None]
    if not pts:
        return
    modes = sorted({p['mode'] for _, p in pts})
    drawn = list({id(d): d for d, _ in pts}.values())
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.8 + 0.3 * legend_rows(len(drawn), 2)))
    hunit, hscale = time_scale([held(p) for _, p in pts])
    tunit, tscale = time_scale([p['time_ns'] for _, p in pts])
    width = 0.8 / len(drawn)
    order = dict((id(d), i) for i, d in enumerate(drawn))
    budgeted = False
    for d, p in pts:
        x = modes.index(p['mode']) + (order[id(d)] - (len(drawn) - 1) / 2) * width
        c = colors[id(d)]
        ax[0].bar(x, (held(p) or 0) / hscale, width=width * 0.9, color=c)
        draw_results(ax[0], [x], [(held(p) or 0) / hscale], [p])
        ax[1].bar(x, p['time_ns'] / tscale, width=width * 0.9, color=c)
        if p.get('budget_ns'):
            ax[0].plot([x - width / 2, x + width / 2], [p['budget_ns'] / hscale] * 2, 'k:',
                       lw=2, gid='budget')
            budgeted = True
    for a, yl in ((ax[0], 'CPU held (%s)' % hunit), (ax[1], 'operation time (%s)' % tunit)):
        a.set_xticks(range(len(modes)))
        a.set_xticklabels(modes)
        a.set_xlabel('mode (one operation on the whole VM)')
        a.set_ylabel(yl)
        plain_axis(a.yaxis)
        headroom(a)
        a.grid(True, axis='y', alpha=0.3)
    ax[0].legend(handles=([Line2D([], [], color='k', ls=':', lw=2, label='budget judged against')]
                          if budgeted else []) +
                 [Line2D([], [], color='red', marker='X', ls='none', label='not ok (over budget)'),
                  Line2D([], [], color='grey', marker='o', mfc='none', ls='none', label='skipped')],
                 fontsize=7)
    fig.suptitle('Whole-VM operations: CPU held and time taken')
    run_legend(fig, [Patch(color=colors[id(d)], label=label(run_info(d))) for d in drawn], 0.95)
    save(fig, 'whole-vm.png', 'Whole-VM operations: CPU held and time taken',
         'The modes without batches, a bar per run in its colour: the CPU held (left, '
         'the budget dotted over each bar) and how long the operation took (right).')


def tier_steps(steps):
    """Each budget tier's step, the stage-2 work one hold may cover, from
    the file's environment.steps (lib/stall_budget.c's stall_tier_step())."""
    return {t: steps[t] for t in ('regression', 'target') if steps.get(t)}


def tier_lines(steps):
    """(step, style, label): one line per distinct step, the tiers that
    share it named together (at 16K and 64K both are the level-2 block)."""
    out = []
    for step in sorted(set(steps.values())):
        names = [t for t in sorted(steps) if steps[t] == step]
        out.append((step, '-.' if 'regression' in names else '--',
                    '%s tier step (%s)' % (' and '.join(names), fmt_size(step))))
    return out


def draw_tiers(ax, steps):
    """The tiers' steps across the batch axis: a batch right of one is more
    stage-2 work per hold than that tier allows."""
    for step, ls, _ in tier_lines(steps):
        ax.axvline(step, color='grey', lw=1, ls=ls, gid='tier')


def kbatch_panels(ax, rows, title):
    """One granule's row of the kernel-batch plot: a colour per load."""
    hunit, hscale = time_scale([r['held'] * 1e6 for r in rows] +
                               [r['kcall'] * 1e6 for r in rows if r['kcall'] is not None])
    tunit, tscale = time_scale([r['time'] * 1e6 for r in rows])
    hscale, tscale = hscale / 1e6, tscale / 1e6
    for n, load in enumerate(sorted({r['load'] for r in rows})):
        rs = [r for r in rows if r['load'] == load]
        xs, c = [r['kbatch'] for r in rs], 'C%d' % n
        # several kernels at one batch (a benchmark's builds) are no sweep
        ls = '-' if len(set(xs)) == len(xs) else 'none'
        ax[0].plot(xs, [r['held'] / hscale for r in rs], marker='o', ls=ls, color=c)
        if all(r['kcall'] is not None for r in rs):
            ax[0].plot(xs, [r['kcall'] / hscale for r in rs], marker='x',
                       ls='--' if ls == '-' else ls, color=c)
        ax[1].plot(xs, [r['time'] / tscale for r in rs], marker='o', ls=ls, color=c)
        if all(r['ktime'] is not None for r in rs):
            ax[1].plot(xs, [r['ktime'] / tscale for r in rs], marker='x',
                       ls='--' if ls == '-' else ls, color=c)
        if ls == '-':
            draw_budget(ax[0], xs, [r['budget'] for r in rs], hscale, c)
        else:
            for x, r in zip(xs, rs):
                draw_budget(ax[0], [x], [r['budget']], hscale, c)
    steps = tier_steps(rows[0]['steps'])
    draw_tiers(ax[0], steps)
    for a, yl in ((ax[0], 'CPU held (%s)' % hunit), (ax[1], 'teardown time (%s)' % tunit)):
        size_axis(a.xaxis, {r['kbatch'] for r in rows} | set(steps.values()))
        plain_axis(a.yaxis)
        headroom(a)
        a.set_xlabel('kernel stage-2 batch (kvm.stage2_batch)')
        a.set_ylabel(yl)
        a.set_title(title, fontsize=10)
        a.grid(True, alpha=0.3)
    kbatch_legends(ax, rows, steps)


def kbatch_legends(ax, rows, steps):
    from matplotlib.lines import Line2D
    loads = sorted({r['load'] for r in rows})
    hs = [Line2D([], [], color='C%d' % n, lw=2, label='load=%s' % ld) for n, ld in enumerate(loads)]
    tiers = [Line2D([], [], color='grey', ls=ls, label=lbl) for _, ls, lbl in tier_lines(steps)]
    ax[0].legend(handles=hs + [Line2D([], [], color='k', marker='o', label='CPU held'),
                               Line2D([], [], color='k', marker='x', ls='--',
                                      label='longest stage-2 call'),
                               Line2D([], [], color='k', ls=':', label='budget judged against')] +
                 tiers, fontsize=7)
    ax[1].legend(handles=hs + [Line2D([], [], color='k', marker='o', label='teardown'),
                               Line2D([], [], color='k', marker='x', ls='--',
                                      label='stage-2 calls added')], fontsize=7)


def plot_kbatch(plt, runs, save):
    rows = kbatch_rows(runs)
    if not rows:
        return
    grans = sorted({(r['kernel'], r['granule']) for r in rows},
                   key=lambda g: (g[0], size_key(g[1])))
    fig, axs = plt.subplots(len(grans), 2, figsize=(12, 4.2 * len(grans)), squeeze=False)
    for (kern, gran), ax in zip(grans, axs):
        kbatch_panels(ax, [r for r in rows if (r['kernel'], r['granule']) == (kern, gran)],
                      '%s %s' % (kern, gran))
    fig.suptitle('One-call unmap against the kernel batch: CPU held and teardown time')
    fig.tight_layout()
    save(fig, 'kernel-batch.png',
         'One-call unmap against the kernel batch: CPU held and teardown time',
         'The one-call madvise point of each boot, a row per kernel and granule: '
         'left, the CPU held, the longest stage-2 call and the budget against '
         'the batch the kernel was booted with; right, what the whole teardown '
         'took and, of it, the stage-2 calls added together. A colour per load.')


def hist_panel(ax, hists, nb, title):
    """One granule's probe histograms, a bar colour per run."""
    from matplotlib import ticker
    n = len(hists)
    width = 0.8 / n
    for i, (_, _, lbl, r, c) in enumerate(hists):
        h = list(r['probe_hist_log2_us'])
        h = h + [0] * (nb - 1 - len(h)) + [r.get('probe_hist_over', 0)]
        xs = [b + 0.1 + i * width for b in range(nb)]
        ax.bar(xs, h, width=width, align='edge', label=lbl, color=c)
    ax.set_xticks([b + 0.5 for b in range(nb)])
    ax.set_xticklabels(['<2'] + ['%d' % (1 << b) for b in range(1, nb - 1)] + ['>20000'],
                       fontsize=7)
    # the longest wait, the event the suite is about, is one count in the
    # overflow bin: say how long it was, over the bar that holds it
    for i, (_, _, _, r, c) in enumerate(hists):
        longest = r.get('probe_max_ns') or r.get('held_ns')
        if longest:
            b = min(max(int(math.log2(max(longest / 1000.0, 1))), 0), nb - 1)
            if longest > 20000000:
                b = nb - 1
            h = list(r['probe_hist_log2_us']) + [r.get('probe_hist_over', 0)]
            top = max(h[b] if b < len(h) - 1 else h[-1], 1)
            ax.annotate('longest wait\n%.1f ms' % (longest / 1e6),
                        xy=(b + 0.1 + (i + 0.5) * width, top), xytext=(0, 18),
                        textcoords='offset points', ha='center', fontsize=7,
                        arrowprops=dict(arrowstyle='->'), gid='longest')
    ax.set_yscale('log')
    # from half a wake-up, so that 1, 2, 5, 10 ... always give the axis ticks
    top = max(max(list(r['probe_hist_log2_us']) + [r.get('probe_hist_over', 0)])
              for _, _, _, r, _ in hists)
    ax.set_ylim(0.5, max(top, 1) * 2)
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: '%d' % v if v >= 1 else ''))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_title(title, fontsize=10)
    ax.set_xlabel('probe wake-up latency, bins from the lower bound shown (us)')
    ax.set_ylabel('wake-ups (log)')
    ax.legend(fontsize=7, ncol=2)


def plot_hist(plt, runs, colors, save):
    hists = []
    for d in runs:
        p, info = one_call(d), run_info(d)
        if p and p.get('reps') and p['reps'][0].get('probe_hist_log2_us'):
            hists.append(((info['kernel'], info['granule']), info['kbatch'] or 0,
                          label(info), p['reps'][0], colors[id(d)]))
    if not hists:
        return
    grans = sorted({h[0] for h in hists}, key=lambda g: (g[0], size_key(g[1])))
    nb = max(len(h[3]['probe_hist_log2_us']) for h in hists) + 1
    fig, axs = plt.subplots(len(grans), 1, figsize=(10, 3.6 * len(grans)), squeeze=False)
    for g, ax in zip(grans, axs[:, 0]):
        hist_panel(ax, sorted((h for h in hists if h[0] == g), key=lambda h: (h[1], h[2])),
                   nb, '%s %s' % g)
    fig.suptitle("The probe's wake-up latency during the one-call unmap")
    fig.tight_layout()
    save(fig, 'probe-histogram.png', "The probe's wake-up latency during the one-call unmap",
         'How late the probe on the test CPU woke during the teardown window of the '
         'one-call madvise point, in power-of-two bins, a panel per kernel and granule: '
         'a held CPU shows as a tail.')


def plot_loads(plt, runs, save):
    series = []
    for d in runs:
        for p in d['points']:
            for ld in p.get('loads') or []:
                for r in (ld.get('reps') or [])[:1]:
                    if (r.get('series') or {}).get('meas'):
                        series.append(('%s %s %s' % (label(run_info(d)), p['mode'],
                                                     fmt_size(p['batch']) if p.get('batch') else ''),
                                       ld.get('spec', ld.get('name')), ld.get('unit', 'ops'),
                                       r['series']))
    if not series:
        return
    series = series[:8]
    fig, ax = plt.subplots(len(series), 1, figsize=(10, 2.2 * len(series) + 0.6), squeeze=False)
    for a, (lbl, spec, unit, s) in zip(ax[:, 0], series):
        w = s['window_ns'] / 1e6
        nb = len(s['base'])
        xs = [(i - nb) * w for i in range(nb)] + [i * w for i in range(len(s['meas']))]
        a.step(xs, s['base'] + s['meas'], where='post')
        a.axvline(0, color='red', lw=0.8, ls=':')
        a.set_ylabel('%s/s' % unit, fontsize=8)
        a.set_xlabel('time from the teardown (ms; baseline before 0)', fontsize=8)
        plain_axis(a.xaxis)
        plain_axis(a.yaxis)
        a.set_ylim(bottom=0)
        a.set_title('%s, load %s' % (lbl, spec), fontsize=8)
        a.grid(True, alpha=0.3)
    fig.suptitle('IO load throughput around the teardown')
    fig.tight_layout()
    save(fig, 'load-throughput.png', 'IO load throughput around the teardown',
         "Each load's throughput per window: the baseline's last windows, then the "
         'teardown from 0; a dip is the IO the held CPU did not serve.')


def plots(runs, outdir):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    made = []

    def save(fig, name, title, what):
        meta = axes_meta(fig)
        fig.savefig(os.path.join(outdir, name), dpi=fig.dpi,
                    metadata={'Title': title, 'Description': what,
                              'kvm-stall-axes': json.dumps(meta)})
        plt.close(fig)
        made.append((name, title, what))

    colors = run_styles(runs)
    plot_chunk(plt, runs, colors, save)
    plot_whole(plt, runs, colors, save)
    plot_kbatch(plt, runs, save)
    plot_hist(plt, runs, colors, save)
    plot_loads(plt, runs, save)
    return made


def cell(v):
    return str(v).replace('|', '\\|').replace('\n', ' ')


def point_rows(d):
    """Every point of one file, skipped ones with their reason."""
    lbl = label(run_info(d))
    base = os.path.basename(d['_path'])
    out = []
    for p in d['points']:
        tiers = p.get('tiers') or {}
        tier_s = ', '.join('%s %s' % kv for kv in sorted(tiers.items())) or 'n/a'
        budget = p.get('budget_ns')
        out.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % tuple(
            cell(v) for v in (
                base, lbl, p.get('name', '?'), p.get('result', '?'),
                p.get('verdict') or 'n/a', tier_s,
                '%s %s' % (p.get('rule') or 'n/a', opt(ms(budget), '%.3f') if budget else
                           ('work alone' if budget == 0 and p.get('rule') == 'hold' else
                            'n/a')),
                opt(ms(p.get('held_ns')), '%.3f'), opt(ms(p.get('stall_ns')), '%.3f'),
                opt(ms(p.get('time_ns')), '%.3f'),
                p.get('reason') or '')))
    return out


def report(outdir, paths):
    runs = [load(p) for p in paths]
    tag_runs(runs)
    os.makedirs(outdir, exist_ok=True)
    made = plots(runs, outdir)
    md = ['# KVM stage-2 teardown stall: report', '',
          '%d results file(s): %s.' % (len(runs), ', '.join(os.path.basename(p) for p in paths)),
          '']
    envs = set()
    for d in runs:
        env = d.get('environment') or {}
        envs.add(((env.get('kernel') or {}).get('release') or 'unknown',
                  (env.get('virtualization') or {}).get('emulation') or 'no emulation'))
    for rel, emu in sorted(envs):
        md.append('- kernel %s; %s' % (rel, emu))
    md.append('')
    for name, title, what in made:
        md += ['## %s' % title, '', what, '', '![%s](%s)' % (title, name), '']
    rows = kbatch_rows(runs)
    if rows:
        md += ['## Kernel batch table', ''] + kbatch_table(rows) + ['']
    md += ['## Every point', '',
           'Times in ms. rule: how the point was judged (hold: by the stage-2 work and '
           'time the kernel saw, budget the time limit; abs: the allowance), and the '
           'verdict under each budget tier.', '',
           '| file | run | point | result | verdict | tiers | rule, budget | held | stall | '
           'teardown | reason |',
           '|---|---|---|---|---|---|---|---|---|---|---|']
    for d in runs:
        md += point_rows(d)
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
