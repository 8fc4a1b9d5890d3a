"""Shared helpers of the reference drivers (run with /usr/bin/python3: Debian's torch 1.13, onnx 1.12).

- OnnxModule: a PyTorch module that evaluates one of the shared ONNX classifiers from its initializers (the few
  ops they use), with the model's preprocessing inside, so it takes pixels in [0,1] like the authors' code expects
  (their attacks and noise work in [0,1] and clip there).
- verify_logits: checks the module against /work/shared/reference/gradients/<model>.json (PyTorch float64 logits
  of the trained weights) before any reference figure is computed.
- stratified_subset / load_images: the image subset every comparison shares: the first k files (sorted by name)
  of each class folder, class folders in logit order.
"""
import hashlib
import json
import os
import subprocess

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image

# Preprocessing of the shared models (models.json): fashion-resnet expects (x − 0.287)/0.3536.
PREPROCESSING = {
    'mnist-cnn': (None, None),
    'mnist-mlp': (None, None),
    'fashion-resnet': (0.287, 0.3536),
}
DATASET = {
    'mnist-cnn': 'datasets/mnist-test',
    'mnist-mlp': 'datasets/mnist-test',
    'fashion-resnet': 'datasets/fashion-mnist-test',
}


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


class OnnxModule(torch.nn.Module):
    """Evaluates the ONNX graph node by node in PyTorch (float32), preprocessing first."""

    def __init__(self, path, mean=None, std=None):
        super().__init__()
        self.graph = onnx.load(path).graph
        self.params = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in self.graph.initializer}
        self.input_name = self.graph.input[0].name
        self.output_name = self.graph.output[0].name
        self.mean, self.std = mean, std

    def forward(self, x):
        if self.mean is not None:
            x = (x - self.mean) / self.std
        env = dict(self.params)
        env[self.input_name] = x
        for n in self.graph.node:
            i = [env[k] for k in n.input]
            op = n.op_type
            if op == 'Conv':
                pads = attr(n, 'pads', [0, 0, 0, 0])
                assert pads[0] == pads[2] and pads[1] == pads[3], 'asymmetric padding'
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=attr(n, 'strides', [1, 1]),
                             padding=pads[:2], dilation=attr(n, 'dilations', [1, 1]), groups=attr(n, 'group', 1))
            elif op == 'BatchNormalization':
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], training=False, eps=attr(n, 'epsilon', 1e-5))
            elif op == 'Relu':
                y = F.relu(i[0])
            elif op == 'Tanh':
                y = torch.tanh(i[0])
            elif op == 'Add':
                y = i[0] + i[1]
            elif op == 'MaxPool':
                pads = attr(n, 'pads', [0, 0, 0, 0])
                y = F.max_pool2d(i[0], attr(n, 'kernel_shape'), stride=attr(n, 'strides'), padding=pads[:2])
            elif op == 'GlobalAveragePool':
                y = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == 'Flatten':
                y = torch.flatten(i[0], attr(n, 'axis', 1))
            elif op == 'Gemm':
                a, b = i[0], i[1]
                if attr(n, 'transA', 0):
                    a = a.t()
                if attr(n, 'transB', 0):
                    b = b.t()
                y = attr(n, 'alpha', 1.0) * (a @ b)
                if len(i) > 2:
                    y = y + attr(n, 'beta', 1.0) * i[2]
            else:
                raise ValueError('unsupported op ' + op)
            env[n.output[0]] = y
        return env[self.output_name]


def load_model(shared, name):
    mean, std = PREPROCESSING[name]
    m = OnnxModule(os.path.join(shared, 'models', name + '.onnx'), mean, std)
    m.eval()
    return m


def load_png(path):
    a = np.asarray(Image.open(path).convert('L'), dtype=np.float32) / 255.0
    return a[None]  # [1, H, W]


def verify_logits(shared, name, model):
    """Max |logit difference| against the shared PyTorch reference; raises above 1e-4."""
    ref = json.load(open(os.path.join(shared, 'reference', 'gradients', name + '.json')))
    x = torch.from_numpy(np.stack([load_png(os.path.join(shared, p)) for p in ref['images']]))
    with torch.no_grad():
        z = model(x).double().numpy()
    diff = float(np.abs(z - np.array(ref['logits'])).max())
    if diff > 1e-4:
        raise SystemExit(f'{name}: logits differ from the shared reference by {diff}')
    return diff


def class_folders(shared, name):
    root = os.path.join(shared, DATASET[name])
    with open(os.path.join(shared, 'models', 'models.json')) as f:
        classes = next(m for m in json.load(f)['models'] if m['name'] == name)['class_names']
    assert sorted(os.listdir(root)) == sorted(classes), 'class folders differ from class names'
    return root, classes


def stratified_subset(shared, name, per_class):
    """Image paths relative to shared/ and labels: the first per_class files of each class folder."""
    root, classes = class_folders(shared, name)
    paths, labels = [], []
    for k, c in enumerate(classes):
        files = sorted(f for f in os.listdir(os.path.join(root, c)) if f.endswith('.png'))[:per_class]
        paths += [os.path.join(DATASET[name], c, f) for f in files]
        labels += [k] * len(files)
    return paths, labels


def load_images(shared, paths):
    return torch.from_numpy(np.stack([load_png(os.path.join(shared, p)) for p in paths]))


def checkout_commit(repo):
    """The commit of the authors' checkout (a git work tree, or a COMMIT file beside an exported tree)."""
    try:
        return subprocess.check_output(['git', '-C', repo, 'rev-parse', 'HEAD'], text=True, stderr=subprocess.DEVNULL).strip()
    except Exception:
        with open(os.path.join(repo, 'COMMIT')) as f:
            return f.read().strip()


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def environment():
    return {'python_torch': torch.__version__, 'onnx': onnx.__version__, 'threads': torch.get_num_threads()}
