#!/usr/bin/env python3
"""
The PyTorch side of the bench's side-by-side rows (bench/peer.ts starts it with /usr/bin/python3: Debian's
torch 1.13 / torchvision 0.14 / onnx 1.12). One persistent process answers one JSON request per line on
stdin with one JSON line on stdout, so that the bench can alternate rounds of ours and PyTorch's with
neither side running while the other is timed.

Requests:
  {"cmd": "init", "threads": T}                      torch.set_num_threads(T) (matches onnxruntime's intra-op threads)
  {"cmd": "load", "model": M, "onnx": PATH|null}     builds model M (random seeded weights, eval mode); when PATH is
                                                      given and missing, exports M there once (opset 17, dynamic batch)
  {"cmd": "grad", "model": M, "batch": B, "reps": R}  R timed forward + input-gradient passes (cross-entropy, summed)
  {"cmd": "pgd", "model": M, "n": N, "steps": S, "eps": E, "alpha": A}
                                                      torchattacks' PGD loop (random start, sign step, projection)
Every answer carries "peak_mib": this process's peak resident memory since the request began (VmHWM, reset
through /proc/self/clear_refs), or the process's lifetime peak where the reset is not allowed.

Models: "resnet50" (torchvision resnet50, 1000 classes, 224×224), "vit_s16" (torchvision VisionTransformer at
ViT-S/16's size: patch 16, 12 layers, 6 heads, width 384, MLP 1536, 224×224, 1000 classes — vit_b_16 is 4×
the compute), and "arch:<name>" (a fixture of test/fixtures/arch/, rebuilt by its generator).
"""
import importlib.util
import json
import os
import re
import resource
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F
from torchvision.models import resnet50
from torchvision.models.vision_transformer import VisionTransformer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
models = {}


def reset_peak():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_mib(reset_ok):
    if reset_ok:
        m = re.search(r'VmHWM:\s+(\d+)', open('/proc/self/status').read())
        if m:
            return int(m.group(1)) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_libraries():
    """
    The BLAS this process loaded. Debian's torch is built against the generic libblas.so.3, which is reference
    BLAS or OpenBLAS depending on which packages are installed (update-alternatives): 10× apart on matmuls.
    """
    with open('/proc/self/maps') as f:
        libs = {line.split()[-1] for line in f if re.search(r'blas', line.split()[-1] if line.split() else '')}
    return sorted(libs)


def calibrate_bn(model, shape):
    """BatchNorm running statistics from random images, so eval-mode activations of a random network stay in range."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    if bns:
        model.train()
        with torch.no_grad():
            model(torch.rand(8, *shape))
    return model.eval()


def arch_module():
    path = os.path.join(ROOT, 'scripts', 'fixtures', 'make-arch-fixtures.py')
    spec = importlib.util.spec_from_file_location('make_arch_fixtures', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_arch(name):
    """The fixture's module, built as the generator builds it (wrappers included); input shape of the module."""
    A = arch_module()
    index_of = {f[0]: i for i, f in enumerate(A.FAMILIES)}
    if name in index_of:
        model, _, side, _ = A.build_family(index_of[name])
        return model.eval(), (3, side, side)
    variants = {v[0]: v for v in A.VARIANTS}
    if name in variants:
        _, base, _, wrap, in_side = variants[name]
        inner, _, side, _ = A.build_family(index_of[base])
        in_side = in_side or side
        if wrap == 'nhwc':
            return A.NHWC(inner).eval(), (in_side, in_side, 3)
        if wrap == 'meanstd':
            return A.Normalized(inner).eval(), (3, in_side, in_side)
        if wrap == 'resize':
            return A.Resized(inner, side).eval(), (3, in_side, in_side)
        return inner.eval(), (3, in_side, in_side)
    if name == 'resnet_float16':  # run in float32 by both sides
        model, _, side, _ = A.build_family(index_of['resnet'])
        return A.fuse_resnet(model).eval(), (3, side, side)
    if name == 'qdq_cnn':
        torch.manual_seed(3000)
        model = A.QDQNet().eval()
        with torch.no_grad():
            x = torch.rand(64, 3, 32, 32)
            a1 = F.relu(model.conv1(x))
            model.s1 = a1.max().item() / 255
            model.s2 = F.relu(model.conv2(a1)).max().item() / 255
        return model, (3, 32, 32)
    if name == 'opset18_cnn':
        torch.manual_seed(4000)
        return A.Opset18Net().eval(), (3, 32, 32)
    raise ValueError(f'unknown arch fixture {name}')


def build(name):
    torch.manual_seed(0)
    if name == 'resnet50':
        return calibrate_bn(resnet50(weights=None, num_classes=1000), (3, 224, 224)), (3, 224, 224), 1000
    if name == 'vit_s16':
        m = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=6, hidden_dim=384, mlp_dim=1536, num_classes=1000)
        nn.init.normal_(m.heads.head.weight, std=0.02)  # torchvision starts the head at zero
        return m.eval(), (3, 224, 224), 1000
    if name.startswith('arch:'):
        model, shape = build_arch(name[5:])
        return model, shape, 10
    raise ValueError(f'unknown model {name}')


def load(req):
    name = req['model']
    model, shape, classes = build(name)
    path = req.get('onnx')
    exported = False
    if path and not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + '.tmp'
        torch.onnx.export(model, torch.rand(1, *shape), tmp, opset_version=17, input_names=['input'], output_names=['logits'],
                          dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, do_constant_folding=True)
        os.replace(tmp, path)
        exported = True
    # Only the input's gradient is wanted (as an attack wants it). After the export: with no parameter needing a
    # gradient, torch 1.13's eval-mode attention takes its fused path, which torch.onnx cannot export.
    for p in model.parameters():
        p.requires_grad_(False)
    models[name] = (model, shape, classes)
    return {'shape': list(shape), 'classes': classes, 'exported': exported,
            'parameters': sum(p.numel() for p in model.parameters())}


def grad_step(model, x, y):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction='sum')
    (g,) = torch.autograd.grad(loss, x)
    return g


def grad(req):
    model, shape, classes = models[req['model']]
    b = req['batch']
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(b, *shape, generator=gen)
    y = torch.arange(b) % classes
    seconds = []
    for _ in range(req['reps']):
        t = time.perf_counter()
        grad_step(model, x, y)
        seconds.append(time.perf_counter() - t)
    return {'seconds': seconds}


def pgd(req):
    """torchattacks.PGD's forward(): uniform random start in the ε-box, S steps of α·sign(∇CE), projection, clamp to [0,1]."""
    model, shape, classes = models[req['model']]
    n, eps, alpha = req['n'], req['eps'], req['alpha']
    gen = torch.Generator().manual_seed(2)
    images = torch.rand(n, *shape, generator=gen)
    labels = torch.arange(n) % classes
    t = time.perf_counter()
    adv = (images + torch.empty_like(images).uniform_(-eps, eps)).clamp(0, 1).detach()
    for _ in range(req['steps']):
        adv.requires_grad = True
        cost = F.cross_entropy(model(adv), labels)
        (g,) = torch.autograd.grad(cost, adv, retain_graph=False, create_graph=False)
        adv = adv.detach() + alpha * g.sign()
        delta = torch.clamp(adv - images, min=-eps, max=eps)
        adv = torch.clamp(images + delta, min=0, max=1).detach()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        acc = (model(adv).argmax(1) == labels).float().mean().item()
    return {'seconds': [seconds], 'attacked_accuracy': acc}


def main():
    # Answers go to a copy of stdout; anything else written to fd 1 (export chatter, C++ warnings) goes to stderr.
    proto = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        ok = reset_peak()
        try:
            cmd = req['cmd']
            if cmd == 'init':
                torch.set_num_threads(int(req['threads']))
                out = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas_libraries(), 'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY')}
            elif cmd == 'load':
                out = load(req)
            elif cmd == 'grad':
                out = grad(req)
            elif cmd == 'pgd':
                out = pgd(req)
            else:
                raise ValueError(f'unknown command {cmd}')
            out['peak_mib'] = peak_mib(ok)
        except Exception as e:  # answered, not fatal: the bench prints it beside the row
            out = {'error': f'{type(e).__name__}: {e}'}
        proto.write(json.dumps(out) + '\n')
        proto.flush()


if __name__ == '__main__':
    main()
