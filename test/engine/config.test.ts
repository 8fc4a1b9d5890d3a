import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigFile, readConfigFile, validateConfig } from '../../src/engine/config/configFile';
import { resolveRunConfig, sampleShape } from '../../src/engine/config/runConfig';
import { EngineError } from '../../src/engine/errors';
import type { ImageInputCandidate, ModelInfo } from '../../src/engine/onnx/modelInfo';

function fakeInfo(
  inputs: { name: string; shape: (number | string)[]; candidate?: Omit<ImageInputCandidate, 'name' | 'elemType'> }[],
  classes = 10,
): ModelInfo {
  return {
    file: '/m/model.onnx',
    sizeBytes: 1,
    sha256: 'x',
    irVersion: 8,
    producer: 'test',
    opsets: [{ domain: '', version: 13 }],
    inputs: inputs.map((i) => ({ name: i.name, elemType: 'float32', shape: i.shape })),
    outputs: [{ name: 'logits', elemType: 'float32', shape: ['N', classes] }],
    opHistogram: {},
    nodeCount: 0,
    parameterCount: 0,
    parameterBytes: 0,
    metadata: {},
    externalDataFiles: [],
    customDomainOps: [],
    imageInputs: inputs.filter((i) => i.candidate).map((i) => ({ name: i.name, elemType: 'float32', ...i.candidate! })),
    output: { name: 'logits', numClasses: classes, kind: 'unknown', reason: 'test' },
    warnings: [],
  };
}

const nchw28 = fakeInfo([
  {
    name: 'input',
    shape: ['N', 1, 28, 28],
    candidate: { layout: 'NCHW', channels: 1, height: 28, width: 28, batch: 'dynamic', reason: 'channel axis 1 has size 1' },
  },
]);

function expectEngineError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError, `expected EngineError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.describe(), pattern);
    return true;
  });
}

test('infers preprocessing from the model and says what it inferred', () => {
  const c = resolveRunConfig('/m/model.onnx', nchw28, null, {});
  assert.deepEqual(
    { ...c.preprocessing },
    {
      inputName: 'input',
      layout: 'NCHW',
      height: 28,
      width: 28,
      channels: 'gray',
      pixelScale: 1,
      mean: null,
      std: null,
      resize: 'stretch',
      resizeFilter: 'bilinear',
      resizeShorterTo: null,
    },
  );
  assert.equal(c.provenance['input.layout'], 'inferred');
  assert.equal(c.provenance['input.pixelScale'], 'default');
  assert.ok(c.notes.some((n) => n.includes('layout NCHW')));
  assert.deepEqual(sampleShape(c.preprocessing), [1, 28, 28]);
});

test('flags override the file, which overrides inference; a single mean is broadcast per channel', () => {
  const rgb = fakeInfo(
    [
      {
        name: 'x',
        shape: ['N', 224, 224, 3],
        candidate: { layout: 'NHWC', channels: 3, height: 224, width: 224, batch: 'dynamic', reason: 'last axis has size 3' },
      },
    ],
    1000,
  );
  const file = {
    path: '/m/robustness.json',
    dir: '/m',
    config: validateConfig({ images: 'imgs', input: { mean: [0.5], std: [0.25], channels: 'bgr' }, seed: 7 }, '/m/robustness.json'),
  };
  const c = resolveRunConfig('/m/model.onnx', rgb, file, { input: { channels: 'rgb' }, limit: 10 });
  assert.equal(c.preprocessing.channels, 'rgb');
  assert.equal(c.provenance['input.channels'], 'flag');
  assert.deepEqual(c.preprocessing.mean, [0.5, 0.5, 0.5]);
  assert.equal(c.provenance['input.mean'], 'config');
  assert.equal(c.imagesDir, '/m/imgs');
  assert.equal(c.seed, 7);
  assert.equal(c.limit, 10);
  assert.deepEqual(sampleShape(c.preprocessing), [224, 224, 3]);
});

test('schema errors point at the field', () => {
  expectEngineError(
    () => validateConfig({ input: { layout: 'CHW' } }, 'cfg.json'),
    'CONFIG_INVALID',
    /cfg\.json.*\n.*input\.layout: must be one of "NCHW", "NHWC", "NHW", "flat"/,
  );
  expectEngineError(() => validateConfig({ input: { std: [0] } }, 'cfg.json'), 'CONFIG_INVALID', /input\.std\.0: must be > 0/);
  expectEngineError(() => validateConfig({ imagez: 'x' }, 'cfg.json'), 'CONFIG_INVALID', /unknown field "imagez"/);
});

test('a layout that contradicts the input shape is refused with both shapes', () => {
  expectEngineError(
    () => resolveRunConfig('/m/model.onnx', nchw28, null, { input: { layout: 'NHWC' } }),
    'CONFIG_INVALID',
    /\[N,1,28,28\].*produces \[N,28,28,1\]/,
  );
});

test('several image-like inputs: the error says which flag picks one', () => {
  const two = fakeInfo([
    { name: 'a', shape: ['N', 3, 32, 32], candidate: { layout: 'NCHW', channels: 3, height: 32, width: 32, batch: 'dynamic', reason: '' } },
    { name: 'b', shape: ['N', 3, 32, 32], candidate: { layout: 'NCHW', channels: 3, height: 32, width: 32, batch: 'dynamic', reason: '' } },
  ]);
  expectEngineError(() => resolveRunConfig('/m/model.onnx', two, null, {}), 'INPUT_AMBIGUOUS', /"a", "b"[\s\S]*--input NAME/);
  assert.equal(resolveRunConfig('/m/model.onnx', two, null, { input: { name: 'b' } }).preprocessing.inputName, 'b');
  expectEngineError(() => resolveRunConfig('/m/model.onnx', two, null, { input: { name: 'c' } }), 'INPUT_NOT_FOUND', /no input named "c"/);
});

test('no image-like input and symbolic sizes give specific errors', () => {
  const none = fakeInfo([{ name: 'tokens', shape: ['N', 7] }]);
  expectEngineError(
    () => resolveRunConfig('/m/model.onnx', none, null, {}),
    'MODEL_UNSUPPORTED',
    /no input looks like an image \(inputs: "tokens" float32\[N,7\]\)/,
  );
  const dyn = fakeInfo([
    { name: 'x', shape: ['N', 3, 'H', 'W'], candidate: { layout: 'NCHW', channels: 3, height: 0, width: 0, batch: 'dynamic', reason: '' } },
  ]);
  expectEngineError(() => resolveRunConfig('/m/model.onnx', dyn, null, {}), 'CONFIG_INVALID', /symbolic spatial[\s\S]*--size/);
  assert.equal(resolveRunConfig('/m/model.onnx', dyn, null, { input: { size: [64, 48] } }).preprocessing.width, 48);
});

test('class names must match the number of logits; a .txt labels file gives class names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-config-'));
  try {
    writeFileSync(join(dir, 'classes.txt'), 'cat\ndog\n');
    expectEngineError(
      () => resolveRunConfig('/m/model.onnx', nchw28, null, { labels: join(dir, 'classes.txt') }),
      'LABELS_MISMATCH',
      /2 class names are configured but the model outputs 10/,
    );
    const two = resolveRunConfig(
      '/m/model.onnx',
      fakeInfo(
        nchw28.inputs.map((i) => ({ name: i.name, shape: i.shape as (number | string)[], candidate: nchw28.imageInputs[0] })),
        2,
      ),
      null,
      { labels: join(dir, 'classes.txt') },
    );
    assert.deepEqual(two.classNames, ['cat', 'dog']);
    writeFileSync(join(dir, 'labels.csv'), 'file,label\na.png,0\n');
    const perImage = resolveRunConfig('/m/model.onnx', nchw28, null, { labels: join(dir, 'labels.csv') });
    assert.equal(perImage.labelsFile, join(dir, 'labels.csv'));
    assert.equal(perImage.classNames, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('robustness.json is found next to the model or in a parent folder, not past the workspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-find-'));
  try {
    mkdirSync(join(dir, 'ws', 'models', 'v2'), { recursive: true });
    writeFileSync(join(dir, 'robustness.json'), '{}');
    writeFileSync(join(dir, 'ws', 'robustness.json'), '{"seed": 3}');
    assert.equal(findConfigFile(join(dir, 'ws', 'models', 'v2', 'm.onnx'), join(dir, 'ws')), join(dir, 'ws', 'robustness.json'));
    writeFileSync(join(dir, 'ws', 'models', 'v2', 'robustness.json'), '{"seed": 4}');
    assert.equal(readConfigFile(findConfigFile(join(dir, 'ws', 'models', 'v2', 'm.onnx'))!).config.seed, 4);
    rmSync(join(dir, 'ws', 'robustness.json'));
    rmSync(join(dir, 'ws', 'models', 'v2', 'robustness.json'));
    assert.equal(findConfigFile(join(dir, 'ws', 'models', 'v2', 'm.onnx'), join(dir, 'ws')), undefined);
    writeFileSync(join(dir, 'bad.json'), '{"seed": -1,');
    expectEngineError(() => readConfigFile(join(dir, 'bad.json')), 'CONFIG_INVALID', /bad\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("class order: the model's metadata names when they fit the folders, else alphabetical folders, said in notes and classOrder", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-order-'));
  const three = fakeInfo(
    nchw28.inputs.map((i) => ({ name: i.name, shape: i.shape as (number | string)[], candidate: nchw28.imageInputs[0] })),
    3,
  );
  try {
    for (const c of ['cat', 'dog', 'fox', '.ipynb_checkpoints']) mkdirSync(join(dir, 'images', c), { recursive: true });
    const withMeta = (names: string) => ({ ...three, metadata: { names } });

    const meta = resolveRunConfig('/m/model.onnx', withMeta("{0: 'fox', 1: 'cat', 2: 'dog'}"), null, { images: join(dir, 'images') });
    assert.deepEqual(meta.classNames, ['fox', 'cat', 'dog'], 'logit order from the metadata, not sorted');
    assert.equal(meta.provenance.classNames, 'inferred');
    assert.equal(meta.classOrder.source, 'model-metadata');
    assert.ok(
      meta.notes.some((n) => /class order: the model's metadata "names" \(3 names/.test(n)),
      meta.notes.join('\n'),
    );

    // names that do not cover the folders are not used; the note says why and that the order is unchecked
    const other = resolveRunConfig('/m/model.onnx', withMeta('["fox", "cat", "owl"]'), null, { images: join(dir, 'images') });
    assert.equal(other.classNames, null);
    assert.equal(other.provenance.classNames, 'default');
    assert.equal(other.classOrder.source, 'folders-sorted');
    assert.ok(
      other.notes.some((n) =>
        n.startsWith(
          'class order: folder names in alphabetical order (ImageFolder); not checked against the model; the model\'s metadata "names" was not used: folder "dog" is not among its names',
        ),
      ),
      other.notes.join('\n'),
    );
    // a name count that is not the output count is not used either
    const tooMany = resolveRunConfig('/m/model.onnx', withMeta('cat,dog,fox,owl'), null, { images: join(dir, 'images') });
    assert.equal(tooMany.classNames, null);
    assert.match(tooMany.classOrder.description, /it lists 4 names but the model has 3 outputs/);

    // configured names win over the metadata and say where they came from
    const file = { path: join(dir, 'm.robustness.json'), dir, config: { images: 'images', classNames: ['dog', 'cat', 'fox'] } };
    const configured = resolveRunConfig('/m/model.onnx', withMeta("{0: 'fox', 1: 'cat', 2: 'dog'}"), file, {});
    assert.deepEqual(configured.classNames, ['dog', 'cat', 'fox']);
    assert.deepEqual(configured.classOrder, { source: 'config', description: `"classNames" in ${join(dir, 'm.robustness.json')}` });
    assert.equal(resolveRunConfig('/m/model.onnx', three, file, { classNames: ['fox', 'dog', 'cat'] }).classOrder.source, 'flag');
    writeFileSync(join(dir, 'classes.txt'), 'fox\ndog\ncat\n');
    assert.deepEqual(resolveRunConfig('/m/model.onnx', three, file, { labels: join(dir, 'classes.txt') }).classOrder, {
      source: 'labels-file',
      description: `class names from ${join(dir, 'classes.txt')}`,
    });

    // folders 0…N−1 (N ≤ 10) are the output indices; no image folder: nothing to say
    for (const c of ['0', '1', '2']) mkdirSync(join(dir, 'digits', c), { recursive: true });
    const digits = resolveRunConfig('/m/model.onnx', three, null, { images: join(dir, 'digits') });
    assert.deepEqual(digits.classOrder, { source: 'folder-indices', description: 'class folders 0…2 are the output indices' });
    assert.equal(resolveRunConfig('/m/model.onnx', three, null, {}).classOrder.source, 'unknown');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a model's own <stem>.robustness.json is found before robustness.json beside it or above it", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rl-find-own-'));
  try {
    mkdirSync(join(dir, 'ws', 'models'), { recursive: true });
    writeFileSync(join(dir, 'ws', 'robustness.json'), '{}');
    const model = join(dir, 'ws', 'models', 'net.v2.onnx');
    assert.equal(findConfigFile(model, join(dir, 'ws')), join(dir, 'ws', 'robustness.json'), "a parent folder's shared file");
    writeFileSync(join(dir, 'ws', 'models', 'robustness.json'), '{}');
    assert.equal(findConfigFile(model, join(dir, 'ws')), join(dir, 'ws', 'models', 'robustness.json'), 'the shared file beside it');
    writeFileSync(join(dir, 'ws', 'models', 'net.v2.robustness.json'), '{"seed": 7}');
    assert.equal(findConfigFile(model, join(dir, 'ws')), join(dir, 'ws', 'models', 'net.v2.robustness.json'), 'its own file first');
    assert.equal(findConfigFile(join(dir, 'ws', 'models', 'other.onnx'), join(dir, 'ws')), join(dir, 'ws', 'models', 'robustness.json'));
    assert.equal(readConfigFile(findConfigFile(model)!).config.seed, 7, 'the same schema');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default batch size follows the image size: 64 small images per call, 8 at 224×224×3; a configured one is kept', () => {
  const rgb = (side: number) =>
    fakeInfo([
      {
        name: 'input',
        shape: ['N', 3, side, side],
        candidate: { layout: 'NCHW', channels: 3, height: side, width: side, batch: 'dynamic', reason: 'channel axis 1 has size 3' },
      },
    ]);
  const small = resolveRunConfig('/m/model.onnx', nchw28, null, {});
  assert.equal(small.runtime.batchSize, 64);
  assert.equal(small.provenance['runtime.batchSize'], 'default');
  assert.ok(!small.notes.some((n) => /batch size/.test(n)), 'the usual default needs no note');
  const at224 = resolveRunConfig('/m/model.onnx', rgb(224), null, {});
  assert.equal(at224.runtime.batchSize, 8);
  assert.equal(at224.provenance['runtime.batchSize'], 'default');
  assert.ok(
    at224.notes.some((n) => /^batch size 8: the default for 224×224×3 inputs .*--batch sets it\)$/.test(n)),
    at224.notes.join(' | '),
  );
  assert.equal(resolveRunConfig('/m/model.onnx', rgb(299), null, {}).runtime.batchSize, 4);
  assert.equal(resolveRunConfig('/m/model.onnx', rgb(79), null, {}).runtime.batchSize, 64);
  assert.equal(resolveRunConfig('/m/model.onnx', rgb(80), null, {}).runtime.batchSize, 62);
  assert.equal(resolveRunConfig('/m/model.onnx', rgb(512), null, {}).runtime.batchSize, 1);
  const configured = resolveRunConfig('/m/model.onnx', rgb(224), null, { runtime: { batchSize: 32 } });
  assert.equal(configured.runtime.batchSize, 32);
  assert.equal(configured.provenance['runtime.batchSize'], 'flag');
});
