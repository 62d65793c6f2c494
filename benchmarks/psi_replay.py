#!/usr/bin/env python3
"""Replays psi on a finished PVLL search run, offline (benchmarks/RESULTS.md, #18 "A new CPU,
three more psi variants and a longer search"): each search-step label is predicted by a psi
fitted on the memory's labels before it, as in a run, and Kendall tau is taken over the second
half of the steps (KendallTau.secondHalf's definition: pairs from index n / 2 on).

usage: /usr/bin/python3 benchmarks/psi_replay.py RUN_DIR [--variants kernel,pairs3,counts0.1,percell1]
                                                 [--windows] [--bound [OTHER_RUN_DIR ...]]
RUN_DIR is a `pvll search` folder or a `pvll compare` method folder (its checkpoint.bin holds the
memory, in order, and the logged held-out predictions). Variants: `kernel` (KernelPredictor with
the DARTS op attributes, as shipped: its replay reproduces a kernel run's logged predictions),
`pairsW` (plus a term fitting label differences of genotypes 1-2 edges apart, weight W),
`countsW` (plus op counts per cell type at weight W), `percellM` (a share M of the radial part
taken per cell, added). `--bound` (RESULTS.md, eighth session) also predicts each second-half
label by the shipped kernel psi fitted on every other label of the run, later ones included, and,
with OTHER_RUN_DIRs (runs on the same frozen supernet), on those runs' labels too: what psi could
reach with more of the labels around each pick. Needs numpy. Study code: the shipped psi is the Java one.
"""
import argparse, json, struct, sys
import numpy as np

ATTRIBUTES = np.array([[1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0],
                       [0, 0, 0, 1, 1, 0], [0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 0, 1]], float)
ATTRIBUTE_WEIGHT = 0.5
LINEAR_SCALES, WIDTHS, PENALTIES = [0.3, 1, 3], [0.05, 0.1, 0.2], [0.01, 0.03, 0.1, 0.3, 1, 3]
ROWS, OPS = 28, 8
SCALE = 1 + ATTRIBUTE_WEIGHT ** 2 * (ATTRIBUTES ** 2).sum() / OPS


def load(run_dir):
    """The memory's encodings and labels, and the logged held-out predictions and labels."""
    path = run_dir + '/checkpoint.bin'
    try:
        with open(path, 'rb') as f:
            if f.read(8) != b'PVLLCKP1':
                sys.exit(path + ': not a pvll checkpoint')
            state = json.loads(f.read(struct.unpack('>i', f.read(4))[0]))
    except OSError as e:
        sys.exit(path + ': ' + e.strerror + ' (RUN_DIR must be a finished pvll search or compare method folder)')
    if not state.get('heldOutLabels') or state['config']['method'] != 'pvll':
        sys.exit(path + ': no held-out predictions (a PVLL run past its warm-up is needed)')
    entries = state['memory']['entries']
    return (np.array([e['h'] for e in entries]), np.array([e['label'] for e in entries]),
            np.array(state['heldOutPredictions']), np.array(state['heldOutLabels']))


def kendall(a, b):
    iu = np.triu_indices(len(a), 1)
    sa = np.sign(np.subtract.outer(a, a))[iu]
    sb = np.sign(np.subtract.outer(b, b))[iu]
    n = len(sa)
    return (sa * sb).sum() / np.sqrt((n - (sa == 0).sum()) * (n - (sb == 0).sum()))


def second_half_from(n):
    """Where the second half of n search steps begins (KendallTau.secondHalfFrom): n / 2."""
    return n // 2


def second_half(p, labels):
    s = second_half_from(len(p))
    return kendall(p[s:], labels[s:])


def features(h, counts_weight=0.0):
    """KernelPredictor's features: the one-hot H, then w times each row's op attributes (and counts)."""
    f = [h, (h.reshape(len(h), ROWS, OPS) @ (ATTRIBUTE_WEIGHT * ATTRIBUTES)).reshape(len(h), -1)]
    if counts_weight:
        f.append(counts_weight * h.reshape(len(h), 2, ROWS // 2, OPS).sum(2)[:, :, 1:].reshape(len(h), -1))
    return np.hstack(f)


def distance(a, b):
    return (a.sum(1)[:, None] + b.sum(1)[None, :] - 2 * a @ b.T) / (2 * SCALE)


def cell_columns():
    """Feature columns of the normal and of the reduction cell: each cell's one-hot rows, then its attribute rows."""
    half, attributes = ROWS * OPS // 2, ROWS * ATTRIBUTES.shape[1] // 2
    normal = np.r_[0:half, 2 * half:2 * half + attributes]
    reduce = np.r_[half:2 * half, 2 * half + attributes:2 * half + 2 * attributes]
    return normal, reduce


NORMAL_COLUMNS, REDUCE_COLUMNS = cell_columns()


def kernel(fa, fb, c, g, per_cell):
    k = c * (fa @ fb.T) / (ROWS * SCALE) + (1 - per_cell) * np.exp(-g * distance(fa, fb))
    if per_cell:
        k += per_cell * 0.5 * sum(np.exp(-2 * g * distance(fa[:, cols], fb[:, cols])) for cols in (NORMAL_COLUMNS, REDUCE_COLUMNS))
    return k


def hamming(h):
    hard = h.reshape(len(h), ROWS, OPS).argmax(2)
    return (hard[:, None, :] != hard[None, :, :]).sum(2)


def fit(h, y, pairs=0.0, counts=0.0, per_cell=0.0):
    """The kernel psi's fit (focus weights, grid chosen by weighted leave-one-out), with a variant."""
    f = features(h, counts)
    t = 0.5 * y.std()
    w = (1 / y) * (np.exp(-(y - y.min()) / t) if t > 0 else 1)
    mu = (w * y).sum() / w.sum()
    r = y - mu
    best = None
    for c in LINEAR_SCALES:
        for g in WIDTHS:
            k = kernel(f, f, c, g, per_cell)
            for lam in PENALTIES:
                a = k + np.diag(lam / w)
                try:
                    np.linalg.cholesky(a)
                except np.linalg.LinAlgError:
                    continue
                inv = np.linalg.inv(a)
                alpha = inv @ r
                error = (w * (alpha / np.diag(inv)) ** 2).sum()
                if best is None or error < best[0]:
                    best = (error, c, g, lam, alpha, k)
    _, c, g, lam, alpha, k = best
    if pairs:
        d = hamming(h)
        near = ((d > 0) & (d <= 2)) * np.sqrt(np.outer(w, w)) * pairs
        q = np.diag(w) + np.diag(near.sum(1)) - near
        alpha = np.linalg.solve(q @ k + lam * np.eye(len(y)), q @ r)
    return lambda hn: mu + kernel(features(hn, counts), f, c, g, per_cell) @ alpha


def bound(h, y, first, extra_h, extra_y):
    """Tau over y[first:] of the kernel psi fitted, for each label, on every other label (and the extra ones)."""
    p = []
    for i in range(first, len(y)):
        others = np.arange(len(y)) != i
        p.append(fit(np.vstack([extra_h, h[others]]), np.concatenate([extra_y, y[others]]))(h[i:i + 1])[0])
    return kendall(np.array(p), y[first:])


def other_labels(run_dirs, exclude):
    """The memories of other runs, less any genotype in exclude (the run's own: no label is predicted from its own copy, none counted twice)."""
    hs, ys = [np.zeros((0, exclude.shape[1]))], [np.zeros(0)]
    for d in run_dirs:
        h, y, _, _ = load(d)
        keep = ~(h[:, None, :] == exclude[None, :, :]).all(2).any(1)
        hs.append(h[keep])
        ys.append(y[keep])
    return np.vstack(hs), np.concatenate(ys)


def variant(name):
    for prefix, key in (('pairs', 'pairs'), ('counts', 'counts'), ('percell', 'per_cell')):
        if name.startswith(prefix):
            return {key: float(name[len(prefix):])}
    if name == 'kernel':
        return {}
    sys.exit('--variants: unknown variant ' + repr(name) + ' (kernel, pairsW, countsW, percellM)')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('run_dir')
    ap.add_argument('--variants', default='kernel')
    ap.add_argument('--windows', action='store_true', help='also tau of the logged predictions per 75 labels, every 25 steps')
    ap.add_argument('--bound', nargs='*', metavar='OTHER_RUN_DIR',
                    help='also the kernel psi fitted on every other label of the run (and of these runs on the same supernet)')
    args = ap.parse_args()
    variants = [(name, variant(name)) for name in args.variants.split(',')]
    h, y, logged, labels = load(args.run_dir)
    warm, n = len(y) - len(labels), len(labels)
    s = second_half_from(n)
    print('%s: %d steps, logged second-half tau %.3f, labels against step order %.2f'
          % (args.run_dir, n, second_half(logged, labels), kendall(-np.arange(n - s), labels[s:])))
    if args.windows:
        print('  windows of 75: ' + ' '.join('%d:%.2f' % (a, kendall(logged[a:a + 75], labels[a:a + 75])) for a in range(0, n - 74, 25)))
    for name, options in variants:
        p = np.array([fit(h[:t], y[:t], **options)(h[t:t + 1])[0] for t in range(warm, len(y))])
        print('  %-12s replayed second-half tau %.3f (largest difference from the logged predictions %.1e)'
              % (name, second_half(p, labels), np.abs(p - logged).max()))
    if args.bound is not None:
        first = warm + s
        print('  bound: fitted on every other label of the run %.3f' % bound(h, y, first, np.zeros((0, h.shape[1])), np.zeros(0)))
        if args.bound:
            extra_h, extra_y = other_labels(args.bound, h)
            print('  bound: and on %d labels of %d other runs %.3f' % (len(extra_y), len(args.bound), bound(h, y, first, extra_h, extra_y)))


if __name__ == '__main__':
    main()
