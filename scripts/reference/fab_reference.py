"""Reference FAB-T steps for issue #15: the authors' FAB (fra31/auto-attack, autoattack/fab_pt.py) on affine classifiers.

usage: /usr/bin/python3 scripts/reference/fab_reference.py AUTOATTACK_CHECKOUT OUT.json

Two classes, z = W·x + c on 1×4×4 images (class 0 the prediction, class 1 the target, the 2nd-highest logit),
the boundary z_1 = z_0 at 0.05 (in the norm's unconstrained closed form) from x0: pixels mid-range (the box
[0, 1] inactive) or at 0.005 / 0.995 (it clips). Per case the authors' FABAttack_PT.attack_single_run, targeted,
no random start, alpha_max 0.1, eta 1.05, beta 0.9, after 1 and after 100 iterations (float32, CPU): the first
point and the final example. test/engine/attacks/fab.test.ts runs ours on the same W, c, x0.
"""
import json
import sys

import torch


def main():
    checkout, out = sys.argv[1], sys.argv[2]
    sys.path.insert(0, checkout)
    from autoattack.fab_pt import FABAttack_PT  # noqa: E402

    torch.manual_seed(0)
    cases = []
    for norm in ('L2', 'Linf'):
        for box in (False, True):
            W = torch.randn(2, 16)
            if box:
                x0 = torch.where(torch.rand(16) < 0.5, torch.tensor(0.005), torch.tensor(0.995))
            else:
                x0 = 0.4 + 0.2 * torch.rand(16)
            g = (W[1] - W[0]).double()
            size = g.norm() if norm == 'L2' else g.abs().sum()
            c = torch.tensor([0.0, float(-(g * x0.double()).sum() - 0.05 * size)])

            def model(x, W=W, c=c):
                return x.reshape(x.shape[0], -1) @ W.T + c

            case = {'norm': 'l2' if norm == 'L2' else 'linf', 'box': box, 'W': W.flatten().tolist(), 'c': c.tolist(),
                    'x0': x0.tolist()}
            for steps, key in ((1, 'first'), (100, 'final')):
                fab = FABAttack_PT(model, norm=norm, n_restarts=1, n_iter=steps, eps=1000.0, targeted=True,
                                   n_target_classes=1, alpha_max=0.1, eta=1.05, beta=0.9)
                fab.target_class = 2
                adv = fab.attack_single_run(x0.reshape(1, 1, 4, 4), torch.tensor([0]), use_rand_start=False,
                                            is_targeted=True)
                case[key] = adv.flatten().tolist()
            cases.append(case)
    with open(out, 'w') as f:
        json.dump({'source': 'fra31/auto-attack autoattack/fab_pt.py FABAttack_PT.attack_single_run (targeted)',
                   'params': {'alpha_max': 0.1, 'eta': 1.05, 'beta': 0.9, 'target_class': 2},
                   'cases': cases}, f, indent=1)


if __name__ == '__main__':
    main()
