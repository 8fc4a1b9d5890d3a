"""Reference Fourier heat map for issue #16 item 2 (Yin et al. 2019), with the basis of gatheluck/FourierHeatmap.

usage: /usr/bin/python3 scripts/reference/fourier_heatmap_reference.py FOURIERHEATMAP_CHECKOUT SHARED_DIR OUT.json
         [--models mnist-cnn,mnist-mlp,fashion-resnet] [--eps 3.5] [--per-class 10] [--threads 1]

The basis of each frequency is the authors' own: fhmap/fourier/basis.py (get_spectrum's one-hot rfft half-plane
spectra, spectrum_to_basis = irfftn(s=(H,H)) normalised to L2 norm 1), scaled by ε, loaded from the checkout by file
(the package's __init__ pulls in hydra/matplotlib, which are not needed). Their AddFourierNoise asserts 3 channels and
draws the sign r per channel with Python's `random`; for these 1-channel images the driver does not draw r at all:
it classifies both clip(x + ε·U, 0, 1) and clip(x − ε·U, 0, 1) for every image and frequency, then the model's
preprocessing (the noise goes in before the Normalize, as their insert_fourier_noise places it). So each cell records
  wrongPlus, wrongMinus: images misclassified with r = +1, with r = −1 (clean errors count, as in their top-1 error),
  wrongBoth: misclassified with either sign,
from which any random-sign run's error lies in [wrongBoth, wrongPlus + wrongMinus − wrongBoth] / N (whatever the
signs drawn), and its expectation over the signs is (wrongPlus + wrongMinus) / 2N.
Cells are keyed by (ky, kx), ky ∈ [−H/2, H/2 − 1], kx ∈ [0, W/2] (the rfft half-plane; the full map is symmetric).
"""
import argparse
import importlib.util
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def load_basis(checkout):
    spec = importlib.util.spec_from_file_location('fhmap_basis', os.path.join(checkout, 'fhmap', 'fourier', 'basis.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('checkout')
    ap.add_argument('shared')
    ap.add_argument('out')
    ap.add_argument('--models', default='mnist-cnn,mnist-mlp,fashion-resnet')
    ap.add_argument('--eps', type=float, default=3.5)
    ap.add_argument('--per-class', type=int, default=10)
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    basis_mod = load_basis(args.checkout)
    out = {
        'description': 'Fourier heat map (Yin et al. 2019) with the basis of gatheluck/FourierHeatmap '
                       '(fhmap/fourier/basis.py) on the shared models, both signs per image; see '
                       'scripts/reference/fourier_heatmap_reference.py.',
        'source': {'repo': 'https://github.com/gatheluck/FourierHeatmap', 'commit': common.checkout_commit(args.checkout),
                   'file': 'fhmap/fourier/basis.py'},
        'environment': common.environment(),
        'parameters': {'eps': args.eps, 'clip': [0, 1]},
        'images': {'selection': f'first {args.per_class} files (sorted by name) of each class folder',
                   'perClass': args.per_class},
        'results': [],
    }
    for name in args.models.split(','):
        model = common.load_model(args.shared, name)
        logit_diff = common.verify_logits(args.shared, name, model)
        paths, labels = common.stratified_subset(args.shared, name, args.per_class)
        x, y = common.load_images(args.shared, paths), torch.tensor(labels)
        h, w = x.shape[-2:]
        assert h == w, "the authors' basis supports square images only"
        half = w // 2 + 1
        t0 = time.perf_counter()
        with torch.no_grad():
            clean_wrong = int((model(x).argmax(1) != y).sum())
            cells = []
            # get_spectrum(h, half, low_center=False) yields the one-hot spectra in row-major (ky, kx) order.
            for idx, spectrum in enumerate(basis_mod.get_spectrum(h, half, low_center=False)):
                ky_raw, kx = divmod(idx, half)
                ky = ky_raw - h if ky_raw >= (h + 1) // 2 else ky_raw
                u = basis_mod.spectrum_to_basis(spectrum, l2_normalize=True) * args.eps
                xp = torch.clamp(x + u, 0.0, 1.0)
                xm = torch.clamp(x - u, 0.0, 1.0)
                pred = model(torch.cat([xp, xm])).argmax(1)
                wp, wm = pred[: len(x)] != y, pred[len(x):] != y
                cells.append({'ky': ky, 'kx': kx, 'wrongPlus': int(wp.sum()), 'wrongMinus': int(wm.sum()),
                              'wrongBoth': int((wp & wm).sum())})
        secs = time.perf_counter() - t0
        cells.sort(key=lambda c: (c['ky'], c['kx']))
        out['results'].append({
            'model': name, 'modelSha256': common.sha256(os.path.join(args.shared, 'models', name + '.onnx')),
            'logitMaxAbsDiffVsSharedReference': logit_diff, 'height': int(h), 'width': int(w),
            'images': paths, 'labels': labels, 'cleanWrong': clean_wrong, 'cells': cells,
            'meanExpectedError': sum(c['wrongPlus'] + c['wrongMinus'] for c in cells) / (2 * len(x) * len(cells)),
            'forwardPasses': 2 * len(x) * len(cells), 'seconds': round(secs, 3)})
        print(name, 'clean wrong', clean_wrong, 'mean expected error (half-plane)',
              out['results'][-1]['meanExpectedError'], round(secs, 1), flush=True)
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main()
