import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configFileText,
  findConfigFile,
  imageFolderCandidates,
  parseChannelValues,
  PREPROCESSING_PRESETS,
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
