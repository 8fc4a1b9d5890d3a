import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { encodeModel, TensorDataType, type NodeProto, type TensorProto } from '../../../src/engine/onnx/onnxProto';
import { loadModel } from '../../../src/engine/onnx/loadModel';
import { classCountDiagnostic, classMapping, describeModel, type ModelDiagnostic } from '../../../src/engine/onnx/modelInfo';
import { diagnoseModel } from '../../../src/engine/jobs/modelDiagnostics';
import { prepareData, prepareModel } from '../../../src/engine/jobs/prepare';
import { gradientBuilderFor } from '../../../src/engine/grad/forClassifier';
import { REPO_ROOT } from '../../helpers/shared';

const dir = mkdtempSync(join(tmpdir(), 'rl-diagnostics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const W = makeTensor(
  'w',
  [16, 3],
  Float32Array.from({ length: 48 }, (_, i) => Math.sin(i)),
);
const bool = (name: string, v: boolean) => makeTensor(name, [], Uint8Array.of(v ? 1 : 0), TensorDataType.BOOL);

/** x [N,1,4,4] → Flatten → `body` → the output (named by the last node's output); opset 13. */
function write(name: string, body: NodeProto[], opts: { inputType?: string; initializers?: TensorProto[]; output?: string } = {}): string {
  const nodes = [makeNode('Flatten', ['x'], ['f'], {}, 'flatten'), ...body];
  const out = opts.output ?? nodes[nodes.length - 1].output[0];
  const file = join(dir, `${name}.onnx`);
  writeFileSync(
    file,
    encodeModel(
      makeModel({
        graph: {
          nodes,
          initializers: [W, ...(opts.initializers ?? [])],
          inputs: [makeValueInfo('x', opts.inputType ?? 'float32', ['N', 1, 4, 4])],
          outputs: [makeValueInfo(out, 'float32', ['N', 3])],
        },
      }),
    ),
  );
  return file;
}

async function diagnose(file: string, imagesDir?: string): Promise<ModelDiagnostic[]> {
  const model = await loadModel(file);
  return diagnoseModel(model, describeModel(model), imagesDir ? { imagesDir } : {});
}

const codes = (ds: ModelDiagnostic[]) => ds.map((d) => d.code);
const dropout = (ratio: number, training: boolean) =>
  write(
    `dropout-${ratio}-${training}`,
    [makeNode('MatMul', ['f', 'w'], ['z'], {}, 'fc'), makeNode('Dropout', ['z', 'ratio', 'training'], ['logits'], {}, 'drop')],
    { initializers: [makeTensor('ratio', [], Float32Array.of(ratio)), bool('training', training)] },
  );

test('a clean model has no diagnostics', async () => {
  assert.deepEqual(await diagnose(write('clean', [makeNode('MatMul', ['f', 'w'], ['logits'], {}, 'fc')])), []);
});

test('an op without a gradient on the path (LpNormalization): no gradient, with the node name and the black-box hint', async () => {
  const ds = await diagnose(
    write('lpnorm', [makeNode('LpNormalization', ['f'], ['n'], { axis: 1 }, 'mix'), makeNode('MatMul', ['n', 'w'], ['logits'], {}, 'fc')]),
  );
  assert.deepEqual(codes(ds), ['NO_GRADIENT']);
  assert.equal(ds[0].node, 'mix');
  assert.equal(ds[0].op, 'LpNormalization');
  assert.match(ds[0].message, /no gradient for LpNormalization \(1 node: "mix"\)/);
  assert.match(ds[0].hint, /SimBA|estimated/);
});

test('training-mode Dropout warns with a non-zero ratio, and is an identity (no warning, a gradient) with ratio 0', async () => {
  const random = await diagnose(dropout(0.5, true));
  assert.deepEqual(codes(random), ['TRAINING_DROPOUT']);
  assert.match(random[0].message, /Dropout node "drop" runs in training mode with ratio 0\.5/);
  assert.match(random[0].hint, /model\.eval\(\)/);
  assert.deepEqual(await diagnose(dropout(0, true)), []);
  assert.deepEqual(await diagnose(dropout(0.5, false)), []);
  // torchvision 0.14's Swin exports F.dropout(p=0.0) in training mode: the gradient builder takes it as y = x.
  const prepared = await prepareModel({ modelPath: dropout(0, true), overrides: { runtime: { executionProvider: 'cpu' } } });
  const builder = await gradientBuilderFor(prepared, 'logits', 3);
  assert.ok(builder.build({ kind: 'cross-entropy' }).graph.node.length > 0);
});

test('a float16 input is no longer refused: the model runs in float32 (src/engine/onnx/float16.ts)', async () => {
  const ds = await diagnose(
    write('half', [makeNode('Cast', ['f'], ['f32'], { to: 1 }, 'cast'), makeNode('MatMul', ['f32', 'w'], ['logits'], {}, 'fc')], {
      inputType: 'float16',
    }),
  );
  assert.deepEqual(codes(ds), []);
});

test('a Softmax output is flagged as probabilities (gradient masking), an ArgMax path as a zero gradient', async () => {
  const probs = await diagnose(
    write('softmax', [makeNode('MatMul', ['f', 'w'], ['z'], {}, 'fc'), makeNode('Softmax', ['z'], ['probs'], { axis: 1 }, 'softmax')]),
  );
  assert.deepEqual(codes(probs), ['PROBABILITY_OUTPUT']);
  assert.match(probs[0].hint, /logits/);
  const argmax = await diagnose(
    write('argmax', [
      makeNode('MatMul', ['f', 'w'], ['z'], {}, 'fc'),
      makeNode('ArgMax', ['z'], ['k'], { axis: 1, keepdims: 1 }, 'pick'),
      makeNode('Cast', ['k'], ['kf'], { to: 1 }, 'tofloat'),
      makeNode('Mul', ['z', 'kf'], ['logits'], {}, 'gate'),
    ]),
  );
  assert.deepEqual(codes(argmax), []); // z still carries gradient through Mul: only the ArgMax branch is flat
  const flat = await diagnose(
    write(
      'flat',
      [
        makeNode('MatMul', ['f', 'w'], ['z'], {}, 'fc'),
        makeNode('ArgMax', ['z'], ['k'], { axis: 1, keepdims: 1 }, 'pick'),
        makeNode('Cast', ['k'], ['kf'], { to: 1 }, 'tofloat'),
        makeNode('Expand', ['kf', 'shape'], ['logits'], {}, 'spread'),
      ],
      { initializers: [makeTensor('shape', [2], BigInt64Array.of(1n, 3n))] },
    ),
  );
  assert.deepEqual(codes(flat), ['ZERO_GRADIENT']);
  assert.equal(flat[0].node, 'pick');
});

/** A class folder per name, each with one PNG copied from the bundled samples. */
function imageFolder(name: string, classes: string[]): string {
  const root = join(dir, name);
  const sampleClass = resolve(REPO_ROOT, 'samples', 'images', 't-shirt');
  const png = readdirSync(sampleClass).find((f) => f.endsWith('.png'))!;
  for (const c of classes) {
    mkdirSync(join(root, c), { recursive: true });
    copyFileSync(join(sampleClass, png), join(root, c, 'a.png'));
  }
  return root;
}

test('info --images: a class count that differs from the outputs is reported, with the mapping used', async () => {
  const clean = write('clean3', [makeNode('MatMul', ['f', 'w'], ['logits'], {}, 'fc')]);
  const fewer = await diagnose(clean, imageFolder('two', ['class3', 'class7']));
  assert.deepEqual(codes(fewer), ['CLASS_COUNT']);
  assert.match(
    fewer[0].message,
    /2 class folders for a model with 3 outputs: they are mapped by sorted name to outputs 0…1 \(class3 → 0, class7 → 1\); the names look like class indices but are not read as such/,
  );
  const more = await diagnose(clean, imageFolder('four', ['a', 'b', 'c', 'd']));
  assert.match(more[0].message, /4 class folders but the model has 3 outputs: every run with this folder will be refused/);
  assert.deepEqual(await diagnose(clean, imageFolder('three', ['a', 'b', 'c'])), []);
});

test("class mapping text and the run-time remark for folders that are not the model's classes", async () => {
  assert.equal(classMapping(['cat', 'dog']), 'they are mapped by sorted name to outputs 0…1 (cat → 0, dog → 1)');
  assert.match(classMapping(['class0', 'class1']), /\(class0 → 0, class1 → 1\)$/);
  const info = describeModel(await loadModel(write('m', [makeNode('MatMul', ['f', 'w'], ['logits'], {}, 'fc')])));
  assert.equal(classCountDiagnostic(info, '/d', ['a', 'b', 'c'], true), undefined);
  // A run on class folders class0/class1 for a 10-class model says which outputs they were mapped to.
  const model = join(dir, 'fashion.onnx'); // away from samples/robustness.json and its class names
  copyFileSync(resolve(REPO_ROOT, 'samples', 'fashion-resnet.onnx'), model);
  const prepared = await prepareModel({ modelPath: model, overrides: { images: imageFolder('c01', ['class0', 'class1']) } });
  await prepareData(prepared);
  assert.ok(
    prepared.info.warnings.some((w) =>
      /2 class folders for a model with 10 outputs: they are mapped by sorted name to outputs 0…1 \(class0 → 0, class1 → 1\)/.test(w),
    ),
    prepared.info.warnings.join('\n'),
  );
});
