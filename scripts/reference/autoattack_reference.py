"""Reference AutoAttack figures for issue #15: the authors' code (fra31/auto-attack) on the shared models.

usage: /usr/bin/python3 scripts/reference/autoattack_reference.py AUTOATTACK_CHECKOUT SHARED_DIR OUT.json
         [--models mnist-cnn,mnist-mlp,fashion-resnet] [--per-class 10] [--seed 0] [--threads 1]

For each model and ε below, runs AutoAttack(version='standard') — APGD-CE, APGD-T (9 targets), FAB-T (9 targets),
Square (5,000 queries), one restart each, the authors' cascade (run_standard_evaluation) — and, on the same images,
version='custom' with APGD-CE, APGD-T and Square only (our ensemble's attacks when it had no FAB-T), so a difference
can be told apart from FAB-T's contribution. Times per attack come from wrapping each attack's perturb(); the
robust accuracy after each attack from the authors' own log lines. The model is the ONNX graph evaluated in
PyTorch (common.OnnxModule, logits checked against shared/reference/gradients first), preprocessing inside, so
the attacks work in [0,1] pixels. Images: the first --per-class files of each class folder (sorted names).
"""
import argparse
import json
import os
import re
import sys
import time
from fractions import Fraction

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CONFIGS = {
    'mnist-cnn': [('Linf', 0.1), ('Linf', 0.2), ('L2', 1.5)],
    'mnist-mlp': [('Linf', 0.1), ('Linf', 0.2), ('L2', 1.5)],
    'fashion-resnet': [('Linf', 8 / 255), ('Linf', 0.1), ('L2', 0.5)],
}
EPS_TEXT = {8 / 255: '8/255'}


class Recorder:
    """Stands in for the authors' Logger: keeps their lines (the per-attack robust accuracies are in them)."""

    def __init__(self):
        self.lines = []

    def log(self, s):
        self.lines.append(str(s))


def run_one(AutoAttack, model, x, y, norm, eps, version, seed, attacks=None):
    kwargs = dict(norm=norm, eps=eps, version=version, seed=seed, device='cpu', verbose=True)
    if attacks:
        kwargs['attacks_to_run'] = attacks
    adv = AutoAttack(model, **kwargs)
    if version == 'custom':
        # the standard version's settings for the attacks it shares (set_version('standard') does this)
        adv.apgd.n_restarts = 1
        adv.apgd_targeted.n_target_classes = 9
        adv.apgd_targeted.n_restarts = 1
        adv.square.n_queries = 5000
    rec = Recorder()
    adv.logger = rec
    seconds = {}
    for label, obj in [('apgd-ce', adv.apgd), ('apgd-t', adv.apgd_targeted), ('fab-t', adv.fab), ('square', adv.square)]:
        orig = obj.perturb

        def timed(*a, _orig=orig, _label=label, **k):
            t0 = time.perf_counter()
            try:
                return _orig(*a, **k)
            finally:
                seconds[_label] = seconds.get(_label, 0.0) + time.perf_counter() - t0

        obj.perturb = timed
    t0 = time.perf_counter()
    x_adv, y_adv = adv.run_standard_evaluation(x, y, bs=len(x), return_labels=True)
    total = time.perf_counter() - t0
    with torch.no_grad():
        clean_pred = model(x).argmax(1)
        adv_pred = model(x_adv).argmax(1)
    clean_correct = clean_pred.eq(y)
    robust = clean_correct & adv_pred.eq(y)
    if norm == 'Linf':
        dist = (x_adv - x).abs().flatten(1).max(1)[0]
    else:
        dist = (x_adv - x).flatten(1).norm(dim=1)
    assert float(dist.max()) <= eps + 1e-5, 'an adversarial example outside the ε-ball'
    after = {}
    for line in rec.lines:
        m = re.match(r'robust accuracy after (\S+): ([\d.]+)%', line)
        if m:
            after[m.group(1).lower()] = float(m.group(2)) / 100
    order = attacks or adv.attacks_to_run
    return {
        'version': version,
        'attacks': list(order),
        'cleanCorrect': int(clean_correct.sum()),
        'robustCorrect': int(robust.sum()),
        'robustAccuracy': int(robust.sum()) / len(x),
        'robustAccuracyAfter': {a: after.get(a) for a in order},
        'secondsPerAttack': {a: round(seconds.get(a, 0.0), 3) for a in order},
        'seconds': round(total, 3),
        'robust': [bool(v) for v in robust],
        'log': [l for l in rec.lines if 'robust accuracy' in l or 'initial accuracy' in l or 'successfully' in l],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('checkout')
    ap.add_argument('shared')
    ap.add_argument('out')
    ap.add_argument('--models', default='mnist-cnn,mnist-mlp,fashion-resnet')
    ap.add_argument('--per-class', type=int, default=10)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--no-custom', action='store_true', help='skip the APGD-CE/APGD-T/Square (no FAB-T) runs')
    ap.add_argument('--configs', default=None,
                    help='NORM:EPS,… (e.g. Linf:0.1,L2:1.5) instead of each model\'s list in CONFIGS')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sys.path.insert(0, os.path.abspath(args.checkout))
    from autoattack import AutoAttack

    out = {
        'description': 'AutoAttack (Croce & Hein 2020) by the authors\' code on the shared models; see '
                       'scripts/reference/autoattack_reference.py. robustAccuracy: share of the images classified '
                       'correctly on the clean image and on the returned adversarial example (re-evaluated).',
        'source': {'repo': 'https://github.com/fra31/auto-attack', 'commit': common.checkout_commit(args.checkout)},
        'environment': common.environment(),
        'images': {'selection': f'first {args.per_class} files (sorted by name) of each class folder',
                   'perClass': args.per_class},
        'seed': args.seed,
        'batchSize': 'all images in one batch',
        'results': [],
    }
    if os.path.exists(args.out):
        prev = json.load(open(args.out))
        out['results'] = [r for r in prev.get('results', []) if r['model'] not in args.models.split(',')]
    for name in args.models.split(','):
        model = common.load_model(args.shared, name)
        logit_diff = common.verify_logits(args.shared, name, model)
        paths, labels = common.stratified_subset(args.shared, name, args.per_class)
        x, y = common.load_images(args.shared, paths), torch.tensor(labels)
        configs = CONFIGS[name]
        if args.configs:
            configs = [(c.split(':')[0], float(Fraction(c.split(':')[1]))) for c in args.configs.split(',')]
        for norm, eps in configs:
            row = {'model': name, 'modelSha256': common.sha256(os.path.join(args.shared, 'models', name + '.onnx')),
                   'logitMaxAbsDiffVsSharedReference': logit_diff, 'norm': norm.lower(), 'eps': eps,
                          'epsText': next((t for v, t in EPS_TEXT.items() if abs(v - eps) < 1e-12), repr(eps)),
                   'images': paths, 'labels': labels}
            row['standard'] = run_one(AutoAttack, model, x, y, norm, eps, 'standard', args.seed)
            print(name, norm, eps, 'standard', row['standard']['robustAccuracy'], row['standard']['secondsPerAttack'],
                  flush=True)
            save(args.out, out, row)  # the standard result first: the FAB-less pass can take as long again
            if not args.no_custom:
                row['withoutFab'] = run_one(AutoAttack, model, x, y, norm, eps, 'custom', args.seed,
                                            ['apgd-ce', 'apgd-t', 'square'])
                print(name, norm, eps, 'custom', row['withoutFab']['robustAccuracy'], flush=True)
                save(args.out, out, row)


def save(path, out, row):
    out['results'] = [r for r in out['results'] if not (r['model'] == row['model'] and r['norm'] == row['norm']
                                                         and r['eps'] == row['eps'])] + [row]
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
