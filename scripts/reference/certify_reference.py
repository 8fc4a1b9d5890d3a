"""Reference randomized-smoothing certification for issue #16 item 1: the authors' CERTIFY (locuslab/smoothing,
code/core.py, Smooth.certify) on the shared models.

usage: /usr/bin/python3 scripts/reference/certify_reference.py SMOOTHING_CHECKOUT SHARED_DIR OUT.json
         [--models mnist-cnn,mnist-mlp,fashion-resnet] [--sigmas 0.12,0.25,0.5] [--n0 100] [--n 1000]
         [--alpha 0.001] [--per-class 10] [--seeds 0,1] [--threads 1]

Needs scipy and statsmodels (Debian: python3-scipy, python3-statsmodels), which core.py imports.
The base classifier is the ONNX graph in PyTorch with the model's preprocessing inside (common.OnnxModule), so the
noise is added to [0,1] pixels before the normalisation, as the authors do (their NormalizeLayer is the model's first
layer). core.py draws its noise with torch.randn_like(batch, device='cuda'); on this CPU-only machine the module's
`torch` is given a stand-in whose randn_like ignores the device (the only change; nothing else of core.py is
touched). Each seed re-seeds torch once per (model, σ) before the images, so two seeds show the run-to-run spread
that a different RNG alone causes.
"""
import argparse
import importlib.util
import json
import os
import sys
import time
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

RADII = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]


def load_core(checkout):
    spec = importlib.util.spec_from_file_location('smoothing_core', os.path.join(checkout, 'code', 'core.py'))
    core = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(core)
    shim = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch) if not k.startswith('__')})
    shim.randn_like = lambda t, device=None, **kw: torch.randn_like(t, **kw)
    core.torch = shim
    return core


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('checkout')
    ap.add_argument('shared')
    ap.add_argument('out')
    ap.add_argument('--models', default='mnist-cnn,mnist-mlp,fashion-resnet')
    ap.add_argument('--sigmas', default='0.12,0.25,0.5')
    ap.add_argument('--n0', type=int, default=100)
    ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--alpha', type=float, default=0.001)
    ap.add_argument('--batch', type=int, default=1000)
    ap.add_argument('--per-class', type=int, default=10)
    ap.add_argument('--seeds', default='0,1')
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    core = load_core(args.checkout)
    out = {
        'description': 'Randomized smoothing CERTIFY (Cohen, Rosenfeld & Kolter 2019) by the authors\' code/core.py on '
                       'the shared models; see scripts/reference/certify_reference.py. certifiedAccuracy[i]: share of '
                       'the images whose certified class is the label with radius >= radii[i] (abstentions count as wrong).',
        'source': {'repo': 'https://github.com/locuslab/smoothing', 'commit': common.checkout_commit(args.checkout),
                   'file': 'code/core.py'},
        'environment': common.environment(),
        'parameters': {'n0': args.n0, 'n': args.n, 'alpha': args.alpha, 'batch': args.batch},
        'images': {'selection': f'first {args.per_class} files (sorted by name) of each class folder',
                   'perClass': args.per_class},
        'radii': RADII,
        'results': [],
    }
    for name in args.models.split(','):
        model = common.load_model(args.shared, name)
        logit_diff = common.verify_logits(args.shared, name, model)
        paths, labels = common.stratified_subset(args.shared, name, args.per_class)
        x = common.load_images(args.shared, paths)
        for sigma in [float(s) for s in args.sigmas.split(',')]:
            row = {'model': name, 'modelSha256': common.sha256(os.path.join(args.shared, 'models', name + '.onnx')),
                   'logitMaxAbsDiffVsSharedReference': logit_diff, 'sigma': sigma, 'images': paths, 'labels': labels,
                   'runs': []}
            for seed in [int(s) for s in args.seeds.split(',')]:
                torch.manual_seed(seed)
                smooth = core.Smooth(model, 10, sigma)
                preds, radii, t0 = [], [], time.perf_counter()
                for i in range(len(paths)):
                    c, r = smooth.certify(x[i], args.n0, args.n, args.alpha, args.batch)
                    preds.append(int(c))
                    radii.append(float(r))
                secs = time.perf_counter() - t0
                correct = [p == l for p, l in zip(preds, labels)]
                acc = [sum(1 for c, rr in zip(correct, radii) if c and rr >= r) / len(paths) for r in RADII]
                row['runs'].append({'seed': seed, 'predictions': preds, 'radii': radii, 'certifiedAccuracy': acc,
                                    'abstained': sum(1 for p in preds if p == -1), 'seconds': round(secs, 3)})
                print(name, sigma, seed, acc, round(secs, 1), flush=True)
            out['results'].append(row)
            with open(args.out, 'w') as f:
                json.dump(out, f, indent=1)
                f.write('\n')


if __name__ == '__main__':
    main()
