import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classNamesFromFile,
  classNamesProblem,
  classOrderPlan,
  listClassFolders,
  orderPreview,
  parseTypedClassNames,
  readModelClassFacts,
  type ClassOrderChoice,
  type ModelClassFacts,
} from '../../src/host/classOrderSetup';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/engine/onnx/build';
import { encodeModel } from '../../src/engine/onnx/onnxProto';

// Fashion-MNIST's logit order; its folders sort differently (ankle-boot, bag, coat, …).
const LOGIT_ORDER = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];
const FOLDERS = [...LOGIT_ORDER].sort();
const facts = (numOutputs: number | null, names?: string[], key = 'names'): ModelClassFacts => ({
  numOutputs,
  metadataNames: names ? { key, names } : null,
});
const kinds = (choices: ClassOrderChoice[]) => choices.map((c) => c.kind);

describe('setup: class order', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rl-class-order-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks nothing for folders 0…9 or a flat folder; asks for 0…N−1 beyond ten, where sorted order is not index order', () => {
    assert.deepEqual(classOrderPlan(['0', '1', '2'], facts(3)), {
      ask: false,
      classNames: null,
      why: 'class folders 0…2 are the output indices',
    });
    assert.equal(classOrderPlan(null, facts(3)).ask, false);
    const twelve = Array.from({ length: 12 }, (_, i) => String(i)).sort();
    const plan = classOrderPlan(twelve, facts(12));
    assert.ok(plan.ask);
    assert.deepEqual(kinds(plan.choices), ['indices', 'alphabetical', 'file', 'type']);
    const byIndex = plan.choices[0] as { classNames: string[] };
    assert.equal(byIndex.classNames[10], '10', 'folder "10" is output 10');
    assert.match(plan.choices[1].detail, /^0 0 · 1 1 · 2 10 · 3 11 · … · 11 9 \("10" sorts before "2"\)$/);
  });

  it("offers the model's metadata names first when they name every folder, with the order each choice gives", () => {
    const plan = classOrderPlan(FOLDERS, facts(10, LOGIT_ORDER));
    assert.ok(plan.ask);
    assert.deepEqual(kinds(plan.choices), ['metadata', 'alphabetical', 'file', 'type']);
    const [meta, alpha] = plan.choices as { label: string; detail: string; classNames: string[] }[];
    assert.match(meta.label, /The model's own class names \(metadata "names"\)/);
    assert.deepEqual(meta.classNames, LOGIT_ORDER);
    assert.equal(meta.detail, '0 t-shirt · 1 trouser · 2 pullover · 3 dress · … · 9 ankle-boot');
    assert.deepEqual(alpha.classNames, FOLDERS);
    assert.equal(alpha.detail, '0 ankle-boot · 1 bag · 2 coat · 3 dress · … · 9 trouser');
    // a subset of the classes as folders still fits, and says so
    const subset = classOrderPlan(['bag', 'coat'], facts(10, LOGIT_ORDER));
    assert.ok(subset.ask);
    assert.match(subset.choices[0].detail, /8 of its classes have no folder$/);
  });

  it('says which names differ when the metadata does not fit, and does not offer it as an answer', () => {
    const plan = classOrderPlan(FOLDERS, facts(10, [...LOGIT_ORDER.slice(0, 9), 'boot']));
    assert.ok(plan.ask);
    assert.deepEqual(kinds(plan.choices), ['metadata-mismatch', 'alphabetical', 'file', 'type']);
    assert.match(plan.choices[0].detail, /^folder "ankle-boot" is not among its names \("t-shirt", /);
    assert.ok(!('classNames' in plan.choices[0]));
    const counted = classOrderPlan(['a', 'b'], facts(3, ['a', 'b']));
    assert.ok(counted.ask);
    assert.equal(counted.choices[0].detail, 'it lists 2 names but the model has 3 outputs');
    // no metadata: no metadata item
    const none = classOrderPlan(['a', 'b'], facts(2));
    assert.ok(none.ask);
    assert.deepEqual(kinds(none.choices), ['alphabetical', 'file', 'type']);
    const tooMany = classOrderPlan(['a', 'b', 'c'], facts(2));
    assert.ok(tooMany.ask);
    assert.match(tooMany.choices[0].detail, /· 3 folders but the model has 2 outputs$/);
    assert.equal((tooMany.choices[0] as { refused?: string }).refused, '3 folders but the model has 2 outputs');
  });

  it('a subset of the classes as folders: alphabetical writes nothing (the default maps them to the first outputs), indices keep theirs', () => {
    const fewer = classOrderPlan(['a', 'b'], facts(5));
    assert.ok(fewer.ask);
    const alpha = fewer.choices[0] as { classNames: string[] | null; detail: string };
    assert.equal(alpha.classNames, null);
    assert.equal(alpha.detail, '0 a · 1 b · the 2 folders go to the first 2 of 5 outputs');
    const numbered = classOrderPlan(['0', '1', '10', '11', '2', '3', '4', '5', '6', '7', '8', '9'], facts(100));
    assert.ok(numbered.ask);
    const byIndex = numbered.choices[0] as { kind: string; classNames: string[] };
    assert.equal(byIndex.kind, 'indices');
    assert.equal(byIndex.classNames.length, 100, 'one name per output');
    assert.equal(byIndex.classNames[11], '11');
  });

  it('checks typed or loaded names: one per output, distinct, every folder named', () => {
    assert.deepEqual(parseTypedClassNames(' t-shirt, trouser,\npullover ,, '), ['t-shirt', 'trouser', 'pullover']);
    assert.equal(classNamesProblem(LOGIT_ORDER, FOLDERS, 10), null);
    assert.equal(classNamesProblem(['a', 'b', 'c'], ['a', 'b'], 3), null, 'an output without a folder is fine');
    assert.equal(classNamesProblem([], ['a'], 1), 'no class names given');
    assert.equal(classNamesProblem(['a', 'a'], ['a'], 2), '"a" appears twice');
    assert.equal(
      classNamesProblem(['a', 'b'], ['a', 'b'], 3),
      '2 names given, but the model has 3 outputs: give one name per output, in output order',
    );
    assert.equal(classNamesProblem(['a', 'c', 'd'], ['a', 'b', 'e'], 3), 'folders "b", "e" are not among the names');
    assert.equal(classNamesProblem(['a'], ['a', 'b'], null), 'folder "b" is not among the names');
  });

  it('reads a class-names file (.txt or JSON array) and refuses per-image labels or names that do not fit', () => {
    writeFileSync(join(dir, 'classes.txt'), 'b\na\n');
    writeFileSync(join(dir, 'classes.json'), '["b", "a"]');
    writeFileSync(join(dir, 'labels.csv'), 'file,label\nx.png,0\n');
    assert.deepEqual(classNamesFromFile(join(dir, 'classes.txt'), ['a', 'b'], 2), ['b', 'a']);
    assert.deepEqual(classNamesFromFile(join(dir, 'classes.json'), ['a', 'b'], 2), ['b', 'a']);
    assert.throws(
      () => classNamesFromFile(join(dir, 'labels.csv'), ['a', 'b'], 2),
      /labels\.csv: holds per-image labels, not a list of class names/,
    );
    assert.throws(() => classNamesFromFile(join(dir, 'classes.txt'), ['a', 'c'], 2), /classes\.txt: folder "c" is not among the names/);
  });

  it('lists class folders as the dataset reader sorts them, skipping hidden ones; a flat folder with labels has none', () => {
    for (const c of ['b', 'a', 'B', '.cache']) mkdirSync(join(dir, 'set', c), { recursive: true });
    writeFileSync(join(dir, 'set', 'README.txt'), 'x');
    assert.deepEqual(listClassFolders(join(dir, 'set')), ['B', 'a', 'b']);
    mkdirSync(join(dir, 'flat', 'extra'), { recursive: true });
    writeFileSync(join(dir, 'flat', 'x.png'), '');
    writeFileSync(join(dir, 'flat', 'labels.csv'), 'file,label\nx.png,0\n');
    assert.equal(listClassFolders(join(dir, 'flat')), null);
    assert.equal(listClassFolders(join(dir, 'missing')), null);
    assert.equal(orderPreview(['a', 'b']), '0 a · 1 b');
  });

  it('reads the output count and metadata names from the .onnx file without onnxruntime', async () => {
    const model = makeModel({
      graph: {
        nodes: [makeNode('Flatten', ['x'], ['f']), makeNode('MatMul', ['f', 'w'], ['logits'])],
        inputs: [makeValueInfo('x', 'float32', ['N', 1, 2, 2])],
        outputs: [makeValueInfo('logits', 'float32', ['N', 3])],
        initializers: [makeTensor('w', [4, 3], new Float32Array(12))],
      },
      metadata: { stride: '32', names: "{0: 'fox', 1: 'cat', 2: 'dog'}" },
    });
    writeFileSync(join(dir, 'm.onnx'), encodeModel(model));
    assert.deepEqual(await readModelClassFacts(join(dir, 'm.onnx')), {
      numOutputs: 3,
      metadataNames: { key: 'names', names: ['fox', 'cat', 'dog'] },
    });
    writeFileSync(join(dir, 'broken.onnx'), 'not a model');
    assert.deepEqual(await readModelClassFacts(join(dir, 'broken.onnx')), { numOutputs: null, metadataNames: null });
  });
});
