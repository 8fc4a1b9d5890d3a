import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configFileText,
  findConfigFile,
  findSharedConfigFile,
  imageFolderCandidates,
  parseChannelValues,
  perModelConfigName,
  perModelConfigPath,
  PREPROCESSING_PRESETS,
  sharedConfigAccepted,
  sharedConfigSummary,
  withSharedConfigAccepted,
} from '../../src/host/configSetup';
import { validateConfig } from '../../src/engine/config/configFile';

describe('first-run configuration', () => {
  let ws: string;
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), 'rl-setup-'));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('finds robustness.json beside the model or above it, stopping at the workspace folder', () => {
    mkdirSync(join(ws, 'a', 'models'), { recursive: true });
    assert.equal(findConfigFile(join(ws, 'a', 'models', 'm.onnx'), ws), undefined);
    writeFileSync(join(ws, 'robustness.json'), '{}');
    assert.equal(findConfigFile(join(ws, 'a', 'models', 'm.onnx'), ws), join(ws, 'robustness.json'));
    assert.equal(findConfigFile(join(ws, 'a', 'models', 'm.onnx'), join(ws, 'a')), undefined, 'stops at the workspace folder');
    writeFileSync(join(ws, 'a', 'models', 'robustness.json'), '{}');
    assert.equal(findConfigFile(join(ws, 'a', 'models', 'm.onnx'), ws), join(ws, 'a', 'models', 'robustness.json'));
  });

  it("finds the model's own <stem>.robustness.json first, then robustness.json beside it, then a parent's", () => {
    mkdirSync(join(ws, 'models', 'sub'), { recursive: true });
    const first = join(ws, 'models', 'first.onnx');
    const second = join(ws, 'models', 'second.ONNX');
    const deeper = join(ws, 'models', 'sub', 'third.onnx');
    assert.equal(perModelConfigName(first), 'first.robustness.json');
    assert.equal(perModelConfigName(second), 'second.robustness.json');
    assert.equal(perModelConfigName(join(ws, 'model.v2.onnx')), 'model.v2.robustness.json');
    assert.equal(perModelConfigPath(first), join(ws, 'models', 'first.robustness.json'));

    writeFileSync(join(ws, 'robustness.json'), '{}');
    for (const m of [first, second, deeper])
      assert.equal(findConfigFile(m, ws), join(ws, 'robustness.json'), `${m} inherits the parent's file`);
    writeFileSync(join(ws, 'models', 'robustness.json'), '{}');
    writeFileSync(perModelConfigPath(first), '{}');
    assert.equal(findConfigFile(first, ws), perModelConfigPath(first), 'its own file wins over the shared one beside it');
    assert.equal(findSharedConfigFile(first, ws), join(ws, 'models', 'robustness.json'), 'what it would otherwise inherit');
    assert.equal(findConfigFile(second, ws), join(ws, 'models', 'robustness.json'), "the second model does not take the first one's file");
    assert.equal(findConfigFile(deeper, ws), join(ws, 'models', 'robustness.json'), 'a subfolder inherits the nearest shared file');
    writeFileSync(join(ws, 'models', 'sub', 'first.robustness.json'), '{}');
    assert.equal(findConfigFile(deeper, ws), join(ws, 'models', 'robustness.json'), "another model's own file is never inherited");
  });

  it('shows what a shared robustness.json would give a model, paths relative to the model', () => {
    mkdirSync(join(ws, 'models', 'b'), { recursive: true });
    writeFileSync(
      join(ws, 'robustness.json'),
      JSON.stringify({ images: 'data/test', classNames: ['t-shirt', 'trouser', 'pullover'], input: { mean: [0.287], std: [0.3536] } }),
    );
    assert.deepEqual(sharedConfigSummary(join(ws, 'robustness.json'), join(ws, 'models', 'b', 'm.onnx')), [
      { label: 'Images', value: '../../data/test' },
      { label: 'Normalisation', value: 'mean 0.287 · std 0.3536' },
      { label: 'Class order', value: 'classNames: 0 t-shirt · 1 trouser · 2 pullover' },
      { label: 'File', value: join(ws, 'robustness.json') },
    ]);
    writeFileSync(join(ws, 'robustness.json'), '{"labels": "classes.txt"}');
    assert.deepEqual(
      sharedConfigSummary(join(ws, 'robustness.json'), join(ws, 'm.onnx')).map((l) => l.value),
      ['not set', 'none (pixels in [0, 1])', 'labels file classes.txt', join(ws, 'robustness.json')],
    );
    writeFileSync(join(ws, 'robustness.json'), '{"images": ');
    const broken = sharedConfigSummary(join(ws, 'robustness.json'), join(ws, 'm.onnx'));
    assert.equal(broken.length, 1);
    assert.match(broken[0].value, /robustness\.json \(cannot be read: /);
  });

  it('remembers "use the shared file" per model and per shared file', () => {
    const a = join(ws, 'a.onnx');
    const b = join(ws, 'b.onnx');
    const shared = join(ws, 'robustness.json');
    assert.equal(sharedConfigAccepted(undefined, a, shared), false);
    const stored = withSharedConfigAccepted({ junk: 3 }, a, shared);
    assert.deepEqual(stored, { [a]: shared });
    assert.equal(sharedConfigAccepted(stored, a, shared), true);
    assert.equal(sharedConfigAccepted(stored, b, shared), false, 'another model is asked');
    assert.equal(sharedConfigAccepted(stored, a, join(ws, 'models', 'robustness.json')), false, 'another shared file is asked about again');
  });

  it('proposes class-folder datasets and flat folders, largest first', () => {
    const paths = [
      ...['cat', 'dog', 'fox'].flatMap((c) => [1, 2].map((k) => `data/test/${c}/${k}.png`)),
      'data/test/cat/3.jpg',
      'samples/a.png',
      'samples/b.jpeg',
      'logo.png',
    ];
    assert.deepEqual(imageFolderCandidates(paths), [
      { folder: 'data/test', layout: 'class-folders', images: 7, classes: 3 },
      { folder: 'samples', layout: 'flat', images: 2, classes: 0 },
      { folder: '', layout: 'flat', images: 1, classes: 0 },
    ]);
  });

  it('writes a schema-valid robustness.json with the image folder relative to the model', () => {
    const imagenet = PREPROCESSING_PRESETS.find((p) => p.id === 'imagenet')!;
    const text = configFileText(join(ws, 'models', 'm.onnx'), join(ws, 'data', 'test'), imagenet);
    assert.deepEqual(JSON.parse(text), { images: '../data/test', input: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } });
    assert.deepEqual(validateConfig(JSON.parse(text), 'robustness.json'), JSON.parse(text));
    assert.deepEqual(JSON.parse(configFileText(join(ws, 'm.onnx'), ws, PREPROCESSING_PRESETS[0])), { images: '.' });
    const withOrder = configFileText(join(ws, 'm.onnx'), join(ws, 'data'), PREPROCESSING_PRESETS[0], ['dog', 'cat']);
    assert.equal(withOrder, '{\n  "images": "data",\n  "classNames": [\n    "dog",\n    "cat"\n  ]\n}\n');
    assert.deepEqual(validateConfig(JSON.parse(withOrder), 'm.robustness.json'), { images: 'data', classNames: ['dog', 'cat'] });
  });

  it('parses custom per-channel values and explains bad ones', () => {
    assert.deepEqual(parseChannelValues('0.5, 0.25;0.125', 'mean'), [0.5, 0.25, 0.125]);
    assert.deepEqual(parseChannelValues(' 0.3081 ', 'std'), [0.3081]);
    assert.throws(() => parseChannelValues('0.2, 0, 0.2', 'std'), {
      message: 'std "0.2, 0, 0.2": expected 1 to 4 positive numbers separated by commas, e.g. 0.229, 0.224, 0.225',
    });
    assert.throws(() => parseChannelValues('', 'mean'), {
      message: 'mean "": expected 1 to 4 numbers separated by commas, e.g. 0.485, 0.456, 0.406',
    });
  });
});
