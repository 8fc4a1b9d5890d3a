import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { decodeNpy, encodeNpy } from '../../src/engine/util/npy';
import { HAVE_SHARED, SHARED, sharedManifest, sharedPath } from '../helpers/shared';

const SKIP = `${SHARED} not found: the gradients tests on the shared models are skipped`;
import { cli } from './checkHelpers';

interface Reference {
  images: string[];
  labels: number[];
  logits: number[][];
  heads: Record<'cross_entropy' | 'cw_margin', { value: number[]; grad: number[][] }>;
}

const dir = mkdtempSync(join(tmpdir(), 'rl-gradients-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The 16 images PyTorch's float64 reference gradients were computed on, in class folders, and a robustness.json
 * with the model's class order and mean/std; returns the reference rows reordered to sorted path order.
 */
function referenceFolder(model: string) {
  const ref = JSON.parse(readFileSync(sharedPath('reference', 'gradients', `${model}.json`), 'utf8')) as Reference;
  const entry = sharedManifest().find((m) => m.name === model)! as unknown as {
    class_names: string[];
    mean: number[] | null;
    std: number[] | null;
    file: string;
  };
  const root = join(dir, model);
  const rel = ref.images.map((p) => `${basename(join(p, '..'))}/${basename(p)}`);
  ref.images.forEach((p, i) => {
    mkdirSync(join(root, 'images', basename(join(p, '..'))), { recursive: true });
    copyFileSync(sharedPath(p), join(root, 'images', rel[i]));
  });
  copyFileSync(sharedPath('models', entry.file), join(root, 'model.onnx'));
  const config = {
    images: 'images',
    classNames: entry.class_names,
    ...(entry.mean ? { input: { mean: entry.mean, std: entry.std } } : {}),
  };
  writeFileSync(join(root, 'robustness.json'), JSON.stringify(config));
  const order = rel.map((_, i) => i).sort((a, b) => (rel[a] < rel[b] ? -1 : rel[a] > rel[b] ? 1 : 0));
  return { root, ref, order, rel };
}

function referenceNpy(file: string, rows: number[][], order: number[]): void {
  const flat = Float32Array.from(order.flatMap((i) => rows[i]));
  writeFileSync(file, encodeNpy(flat, [order.length, 1, 28, 28]));
}

test('gradients: cross-entropy and margin gradients equal PyTorch float64 autograd on the shared fashion-resnet, via --against', (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  const { root, ref, order, rel } = referenceFolder('fashion-resnet');
  for (const [loss, head] of [
    ['ce', 'cross_entropy'],
    ['margin', 'cw_margin'],
  ] as const) {
    referenceNpy(join(root, `${head}.npy`), ref.heads[head].grad, order);
    const r = cli(['gradients', 'model.onnx', '--loss', loss, '--out', `out-${loss}.npy`, '--against', `${head}.npy`, '--quiet'], root);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = r.stdout.split('\n').filter((l) => /^ {2}\S+\.png +\d/.test(l));
    assert.equal(lines.length, 16, r.stdout);
    for (const line of lines) {
      const [, cosine, relError] = line.trim().split(/ +/).map(Number);
      assert.ok(cosine >= 0.99999 && relError <= 1e-3, `${loss}: ${line}`);
    }
    const grads = decodeNpy(new Uint8Array(readFileSync(join(root, `out-${loss}.npy`))), 'out');
    assert.deepEqual(grads.shape, [16, 1, 28, 28]);
    const logits = decodeNpy(new Uint8Array(readFileSync(join(root, `out-${loss}.logits.npy`))), 'logits');
    assert.deepEqual(logits.shape, [16, 10]);
    order.forEach((src, i) =>
      ref.logits[src].forEach((z, k) => assert.ok(Math.abs(logits.data[i * 10 + k] - z) < 1e-4, `${rel[src]} logit ${k}`)),
    );
    const index = JSON.parse(readFileSync(join(root, `out-${loss}.json`), 'utf8')) as {
      perImage: { file: string; label: number; loss: number }[];
      shape: number[];
    };
    assert.deepEqual(
      index.perImage.map((p) => p.file),
      order.map((i) => rel[i]),
      'sorted path order',
    );
    index.perImage.forEach((p, i) => {
      assert.equal(p.label, ref.labels[order[i]]);
      assert.ok(Math.abs(p.loss - ref.heads[head].value[order[i]]) < 1e-4, `${p.file}: loss ${p.loss}`);
    });
  }
});

test('gradients: a flat folder of unlabelled images works with --target predicted and is refused, with the way out, without it', (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  const { root, rel } = referenceFolder('mnist-cnn');
  const flat = join(root, 'flat');
  mkdirSync(flat);
  rel.slice(0, 5).forEach((p, i) => copyFileSync(join(root, 'images', p), join(flat, `img${i}.png`)));
  const refused = cli(['gradients', 'model.onnx', '--images', 'flat', '--quiet'], root);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /flat: the images have no labels .*use --target predicted/s);
  const ok = cli(
    ['gradients', 'model.onnx', '--images', 'flat', '--target', 'predicted', '--loss', 'logit:3', '--out', 'flat.npy', '--quiet'],
    root,
  );
  assert.equal(ok.code, 0, ok.stderr);
  const index = JSON.parse(readFileSync(join(root, 'flat.json'), 'utf8')) as {
    perImage: { file: string; label: number | null; target: number; predicted: number }[];
  };
  assert.deepEqual(
    index.perImage.map((p) => p.file),
    ['img0.png', 'img1.png', 'img2.png', 'img3.png', 'img4.png'],
  );
  for (const p of index.perImage) assert.ok(p.label === null && p.target === p.predicted, JSON.stringify(p));
  // logit:3 is the logit itself: its value is the loss
  const logits = decodeNpy(new Uint8Array(readFileSync(join(root, 'flat.logits.npy'))), 'logits').data;
  const losses = (JSON.parse(readFileSync(join(root, 'flat.json'), 'utf8')) as { perImage: { loss: number }[] }).perImage.map(
    (p) => p.loss,
  );
  losses.forEach((l, i) => assert.ok(Math.abs(l - logits[i * 10 + 3]) < 1e-5));
});

test('gradients: bad flags and a reference of another shape are refused with what was expected', (t) => {
  if (!HAVE_SHARED) return t.skip(SKIP);
  const { root } = referenceFolder('mnist-mlp');
  const usage = (args: string[], pattern: RegExp) => {
    const r = cli(['gradients', 'model.onnx', ...args], root);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  };
  usage(['--loss', 'hinge'], /--loss hinge: expected ce, margin or logit:K/);
  usage(['--target', 'random'], /--target random: expected label or predicted/);
  usage(['--out', 'grads.bin'], /--out grads\.bin: expected a file name ending in \.npy/);
  const tooBig = cli(['gradients', 'model.onnx', '--loss', 'logit:10', '--quiet'], root);
  assert.equal(tooBig.code, 2, tooBig.stderr);
  assert.match(tooBig.stderr, /--loss logit:10: the model has 10 outputs \(0…9\)/);
  writeFileSync(join(root, 'wrong.npy'), encodeNpy(new Float32Array(8 * 784), [8, 1, 28, 28]));
  const wrong = cli(['gradients', 'model.onnx', '--against', 'wrong.npy', '--quiet'], root);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /wrong\.npy: shape \(8, 1, 28, 28\) does not match the gradients' \(16, 1, 28, 28\)/);
});

test('.npy: what we write numpy reads, and what numpy writes (float32 and float64) we read', (t) => {
  const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('python3 with numpy is not installed: the interop half is skipped');
  const ours = join(dir, 'ours.npy');
  writeFileSync(ours, encodeNpy(Float32Array.from([1.5, -2, 3.25, 0.125, 0, 7]), [2, 3]));
  const read = spawnSync(
    'python3',
    ['-c', `import numpy as np; a = np.load(${JSON.stringify(ours)}); print(a.dtype, a.shape, a.tolist())`],
    { encoding: 'utf8' },
  );
  assert.equal(read.stdout.trim(), 'float32 (2, 3) [[1.5, -2.0, 3.25], [0.125, 0.0, 7.0]]', read.stderr);
  for (const dtype of ['float32', 'float64']) {
    const theirs = join(dir, `theirs-${dtype}.npy`);
    spawnSync('python3', [
      '-c',
      `import numpy as np; np.save(${JSON.stringify(theirs)}, (np.arange(24, dtype=np.${dtype}).reshape(2, 3, 4) / 7))`,
    ]);
    const a = decodeNpy(new Uint8Array(readFileSync(theirs)), theirs);
    assert.deepEqual(a.shape, [2, 3, 4]);
    assert.equal(a.dtype, dtype === 'float32' ? '<f4' : '<f8');
    a.data.forEach((v, i) => assert.ok(Math.abs(v - i / 7) < (dtype === 'float32' ? 1e-6 : 1e-15), `${dtype}[${i}]`));
  }
});

test('.npy: files that are not float arrays in C order are refused by name', () => {
  const header = (descr: string, fortran: string, shape: string) => {
    let h = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
    h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
    const out = new Uint8Array(10 + h.length + 16);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(out.buffer).setUint16(8, h.length, true);
    for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
    return out;
  };
  assert.throws(() => decodeNpy(new TextEncoder().encode('not numpy at all'), 'x.npy'), /x\.npy: not a \.npy file/);
  assert.throws(() => decodeNpy(header('<i4', 'False', '(4,)'), 'i.npy'), /i\.npy: dtype <i4 is not supported/);
  assert.throws(() => decodeNpy(header('<f4', 'True', '(2, 2)'), 'f.npy'), /f\.npy: the array is in Fortran order/);
  assert.throws(() => decodeNpy(header('<f4', 'False', '(5,)'), 's.npy'), /s\.npy: shape \(5\) needs 20 bytes of data, the file holds 16/);
  const ok = decodeNpy(header('<f4', 'False', '(2, 2)'), 'ok.npy');
  assert.deepEqual(ok.shape, [2, 2]);
});
