/**
 * Issue #7, bad models, without onnxruntime: what loadModel + describeModel + resolveRunConfig make of
 * every model case of the corpus. (Opening the survivors in onnxruntime is badModelSessions.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRunConfig } from '../../src/engine/config/runConfig';
import { EngineError, type EngineErrorCode } from '../../src/engine/errors';
import { loadModel } from '../../src/engine/onnx/loadModel';
import { describeModel, type ModelInfo } from '../../src/engine/onnx/modelInfo';
import { MODEL_CASES, writeModelCase } from '../fixtures/bad/corpus';
import { BASE_BYTES } from '../fixtures/bad/models';

type Expect =
  /** loadModel (or describeModel) throws this. */
  | { load: EngineErrorCode; message: RegExp }
  /** The model describes; `check` asserts how; `config` is resolveRunConfig's error, if any. */
  | { check: (info: ModelInfo) => void; config?: [EngineErrorCode, RegExp] };

const NOT_MODEL = /model\.onnx: not an ONNX model: /;
const truncated = (bytes: number, where: string) =>
  new RegExp(`${NOT_MODEL.source}the protobuf is truncated or corrupt \\(${bytes} bytes\\): ${where}`);

/** The plain 8×8 grayscale NCHW input with a dynamic batch, as the base model has it. */
function plainInput(info: ModelInfo, batch: number | 'dynamic' = 'dynamic', elemType = 'float32', name = 'x'): void {
  assert.equal(info.imageInputs.length, 1);
  const c = info.imageInputs[0];
  assert.deepEqual(
    { name: c.name, layout: c.layout, channels: c.channels, height: c.height, width: c.width, batch: c.batch, elemType: c.elemType },
    { name, layout: 'NCHW', channels: 1, height: 8, width: 8, batch, elemType },
  );
}
const output = (info: ModelInfo, kind: string, numClasses: number | null, reason: RegExp) => {
  assert.equal(info.output.kind, kind);
  assert.equal(info.output.numClasses, numClasses);
  assert.match(info.output.reason, reason);
};
const logitsUnknown = /output 'y' is produced by Gemm, not Softmax\/LogSoftmax; logits vs probabilities will be probed at run time/;

const EXPECT: Record<string, Expect> = {
  'm-empty': { load: 'MODEL_INVALID', message: /model\.onnx: not an ONNX model: the file is empty \(0 bytes\)$/ },
  'm-random': {
    load: 'MODEL_INVALID',
    message: truncated(4096, 'field 7 \\(graph\\) has wire type start-group, expected length-delimited at byte 0 in ModelProto$'),
  },
  'm-trunc-1': { load: 'MODEL_INVALID', message: truncated(1, 'truncated varint \\(0 bytes, message ends\\) at byte 1 in ModelProto$') },
  'm-trunc-7': {
    load: 'MODEL_INVALID',
    message: truncated(7, 'length-delimited field 2 \\(producer_name\\) needs 15 bytes but only 3 remain at byte 3 in ModelProto$'),
  },
  'm-trunc-quarter': {
    load: 'MODEL_INVALID',
    message: truncated(
      240,
      'length-delimited field 9 \\(raw_data\\) needs 768 bytes but only 125 remain at byte 113 in ModelProto\\.graph\\.initializer\\[0\\] \\(enclosing: length-delimited field 7 \\(graph\\) needs 937 bytes',
    ),
  },
  'm-trunc-half': {
    load: 'MODEL_INVALID',
    message: truncated(
      481,
      'length-delimited field 9 \\(raw_data\\) needs 768 bytes but only 366 remain at byte 113 in ModelProto\\.graph\\.initializer\\[0\\]',
    ),
  },
  'm-trunc-last': {
    load: 'MODEL_INVALID',
    message: truncated(962, 'truncated varint \\(0 bytes, message ends\\) at byte 962 in ModelProto\\.opset_import\\[0\\]'),
  },
  'm-tensor-proto': {
    load: 'MODEL_INVALID',
    message: truncated(33, 'field 1 \\(ir_version\\) has wire type length-delimited, expected varint at byte 0 in ModelProto$'),
  },
  'm-no-opset': {
    load: 'MODEL_INVALID',
    message:
      /not an ONNX model: there is no opset_import \(field 8\); expected .* found top-level fields: 1 ir_version, 2 producer_name, 7 graph$/,
  },
  'm-png': { load: 'MODEL_INVALID', message: /not an ONNX model: it looks like a PNG image$/ },
  'm-zip': {
    load: 'MODEL_INVALID',
    message:
      /not an ONNX model: it looks like a ZIP archive \(e\.g\. a PyTorch \.pt\/\.pth checkpoint; export it with torch\.onnx\.export\)$/,
  },
  'm-json': { load: 'MODEL_INVALID', message: /not an ONNX model: it looks like a JSON\/text file$/ },
  'm-git-lfs': {
    load: 'MODEL_INVALID',
    message: /not an ONNX model: it looks like a Git LFS pointer file \(run git lfs pull to fetch the real model\)$/,
  },
  'm-directory': { load: 'FILE_UNREADABLE', message: /model\.onnx: cannot read model file: is a directory, not a file$/ },
  'm-missing': { load: 'FILE_NOT_FOUND', message: /m-missing\/model\.onnx: model file not found$/ },
  // The path is abbreviated (the fix to ProtoReader.path): 12 of its 102 segments are printed.
  'm-deep-nesting': {
    load: 'MODEL_INVALID',
    message:
      /messages nested deeper than 100 levels at byte 1267 in ModelProto\.graph\.node\[2\]\.attribute\[0\]\.g\.node\[0\]\.…\(90 more\)…\.attribute\[0\]\.g\.node\[0\]\.attribute\[0\]\.g\.node\[0\]$/,
  },
  // loadModel's wiring check (graphWiring.ts): info and eval refuse these alike, before onnxruntime sees them.
  'm-missing-initializer': {
    load: 'MODEL_INVALID',
    message:
      /model\.onnx: node "fc" \(Gemm\) reads 'W', which is neither a graph input, an initializer nor the output of a node \(a missing initializer\?\)$/,
  },
  'm-missing-in-subgraph': {
    load: 'MODEL_INVALID',
    message:
      /model\.onnx: in attribute then_branch of node "branch" \(If\): node "addGhost" \(Add\) reads 'ghost', which is neither a graph input, an initializer nor the output of a node \(a missing initializer\?\)$/,
  },
  'm-cycle': {
    check: (i) => {
      plainInput(i);
      assert.deepEqual(i.opHistogram, { Add: 2, Flatten: 1, Gemm: 1 });
    },
  },
  'm-unknown-op': {
    check: (i) => {
      plainInput(i);
      assert.equal(i.opHistogram.Frobnicate, 1);
      assert.deepEqual(i.customDomainOps, []);
    },
  },
  'm-custom-domain': {
    check: (i) => {
      plainInput(i);
      assert.deepEqual(i.customDomainOps, ['com.example:Scale']);
      assert.deepEqual(i.warnings, ['ops outside the standard ONNX domains: com.example:Scale (the runtime may not support them)']);
    },
  },
  'm-external-missing': {
    load: 'FILE_NOT_FOUND',
    message:
      /model\.onnx: tensor 'W' stores its data externally, but its data file 'weights\.bin' \(.*m-external-missing\/weights\.bin\) does not exist$/,
  },
  'm-external-short': {
    load: 'MODEL_INVALID',
    message:
      /tensor 'W' stores its data externally, but its data file 'weights\.bin' \(.*\) has 10 bytes, fewer than offset 0 \+ length 768$/,
  },
  'm-external-outside': {
    load: 'MODEL_INVALID',
    message:
      /tensor 'W' stores its data externally, but its location '\.\.\/weights\.bin' is outside the model's folder .*m-external-outside$/,
  },
  'm-external-ok': {
    check: (i) => {
      plainInput(i);
      assert.equal(i.externalDataFiles.length, 1);
      assert.match(i.externalDataFiles[0], /m-external-ok\/weights\.bin$/);
      assert.equal(i.parameterBytes, 768 + 12);
    },
  },
  'm-dynamic-spatial': {
    check: (i) => {
      assert.deepEqual([i.imageInputs[0].height, i.imageInputs[0].width], [0, 0]);
      assert.deepEqual(i.warnings, ["input 'x' [N,1,H,W] has symbolic or unknown height/width: the image size must be given explicitly"]);
    },
    config: ['CONFIG_INVALID', /model\.onnx: input "x" has symbolic spatial dimensions, so the image size cannot be inferred$/],
  },
  'm-two-image-inputs': {
    check: (i) => {
      assert.deepEqual(
        i.imageInputs.map((c) => c.name),
        ['left', 'right'],
      );
      assert.deepEqual(i.warnings, ['2 inputs look like images (left, right): the input to attack must be chosen explicitly']);
    },
    config: ['INPUT_AMBIGUOUS', /model\.onnx: several inputs look like images: "left", "right"$/],
  },
  'm-1d-output': {
    check: (i) => {
      output(i, 'unknown', null, /produced by ReduceMax/);
      assert.deepEqual(i.warnings, ["output 'y' [N] has no fixed last dimension: the number of classes is only known after a first run"]);
    },
  },
  'm-softmax': { check: (i) => output(i, 'probabilities', 3, /^output 'y' is produced by Softmax$/) },
  'm-softmax-flatten': { check: (i) => output(i, 'probabilities', 3, /^output 'y' is produced by Softmax \(through Flatten\)$/) },
  'm-log-softmax': { check: (i) => output(i, 'log-probabilities', 3, /^output 'y' is produced by LogSoftmax$/) },
  'm-hand-softmax': {
    check: (i) =>
      output(i, 'unknown', 3, /output 'y' is produced by Div, not Softmax\/LogSoftmax; logits vs probabilities will be probed at run time/),
  },
  'm-nhwc': {
    check: (i) => {
      const c = i.imageInputs[0];
      assert.deepEqual([c.layout, c.channels, c.height, c.width], ['NHWC', 1, 8, 8]);
      assert.match(c.reason, /shape \[N,8,8,1\]: the last dim is 1 channel and dim 1 \(8\) is not 1 or 3, so channels-last \(NHWC\)/);
    },
  },
  'm-batch-1': { check: (i) => plainInput(i, 1) },
  'm-batch-7': { check: (i) => plainInput(i, 7) },
  'm-float16-input': {
    check: (i) => {
      plainInput(i, 'dynamic', 'float32', 'x16');
      assert.ok(
        i.warnings.some((w) => /float16 model run in float32/.test(w)),
        i.warnings.join('; '),
      );
    },
  },
  'm-uint8-input': { check: (i) => plainInput(i, 'dynamic', 'uint8', 'x8') },
  'm-nan-weights': {
    check: (i) => {
      plainInput(i);
      assert.deepEqual(i.warnings, []);
    },
  },
  'm-no-inputs': {
    check: (i) => {
      assert.deepEqual(i.inputs, []);
      assert.deepEqual(i.warnings, ['no input looks like an image (the graph has no inputs)']);
    },
    config: ['MODEL_UNSUPPORTED', /model\.onnx: no input looks like an image \(inputs: none\)$/],
  },
  'm-token-input': {
    check: (i) => assert.deepEqual(i.warnings, ["no input looks like an image: input 'tokens' is int64, not float32/float16/uint8"]),
    config: ['MODEL_UNSUPPORTED', /model\.onnx: no input looks like an image \(inputs: "tokens" int64\[N,16\]\)$/],
  },
  'm-future-opset': {
    check: (i) => {
      plainInput(i);
      assert.deepEqual(i.opsets, [{ domain: '', version: 999 }]);
    },
  },
  'm-short-initializer': {
    check: (i) => {
      plainInput(i);
      assert.equal(i.parameterBytes, 10 + 12);
    },
  },
  'm-two-outputs': {
    check: (i) => {
      assert.equal(i.output.name, 'y');
      assert.deepEqual(i.warnings, ["the graph has 2 outputs; the first ('y') is taken as the class scores"]);
    },
  },
  'm-symbolic-classes': {
    check: (i) => {
      output(i, 'unknown', null, logitsUnknown);
      assert.deepEqual(i.warnings, [
        "output 'y' [N,classes] has no fixed last dimension: the number of classes is only known after a first run",
      ]);
    },
  },
};

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'rl-bad-models-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('every model case of the corpus has an expected outcome here, and there are at least 40', () => {
  assert.deepEqual(Object.keys(EXPECT).sort(), MODEL_CASES.map((c) => c.id).sort());
  assert.ok(MODEL_CASES.length >= 40);
  assert.equal(BASE_BYTES.length, 963, 'the truncation offsets above are for this base model');
});

for (const c of MODEL_CASES) {
  const want = EXPECT[c.id];
  test(`${c.id} (${c.what}): ${'load' in want ? `${want.load}` : `describes${want.config ? `, then ${want.config[0]}` : ''}`}`, async () => {
    const file = writeModelCase(c, root);
    let info: ModelInfo;
    try {
      info = describeModel(await loadModel(file));
    } catch (e) {
      assert.ok(e instanceof EngineError, `not an EngineError: ${String(e)}`);
      assert.ok('load' in want, `unexpected ${e.code}: ${e.message}`);
      assert.equal(e.code, want.load, e.message);
      assert.ok(e.message.startsWith(file), `the message names the file: ${e.message}`);
      assert.match(e.message, want.message);
      return;
    }
    assert.ok('check' in want, `${c.id} loaded, but ${'load' in want ? want.load : ''} was expected`);
    want.check(info);
    if (want.config) {
      assert.throws(
        () => resolveRunConfig(file, info, null, {}),
        (e: unknown) =>
          e instanceof EngineError && e.code === want.config![0] && want.config![1].test(e.message) && e.message.startsWith(file),
      );
    } else {
      assert.doesNotThrow(() => resolveRunConfig(file, info, null, {}));
    }
  });
}
