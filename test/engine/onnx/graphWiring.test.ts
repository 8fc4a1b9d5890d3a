import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeGraph, makeNode, makeTensor, makeValueInfo } from '../../../src/engine/onnx/build';
import { checkNodeInputsProvided } from '../../../src/engine/onnx/graphWiring';
import type { GraphProto, NodeProto } from '../../../src/engine/onnx/onnxProto';
import { expectEngineError } from './testUtil';

const FILE = '/models/m.onnx';
const graph = (nodes: NodeProto[], initializers = [makeTensor('w', [2], [1, 2])]): GraphProto =>
  makeGraph({
    nodes,
    inputs: [makeValueInfo('x', 'float32', ['N', 2])],
    outputs: [makeValueInfo('y', 'float32', ['N', 2])],
    initializers,
  });
const branch = (nodes: NodeProto[], inputs = [] as ReturnType<typeof makeValueInfo>[]) =>
  attr.graph(makeGraph({ nodes, inputs, outputs: [makeValueInfo('r', 'float32', [2])] }));

test('inputs provided by graph inputs, initializers and node outputs pass, in any node order', () => {
  checkNodeInputsProvided(graph([makeNode('Add', ['h', 'w'], ['y'], {}, 'late'), makeNode('Mul', ['x', 'w'], ['h'], {}, 'early')]), FILE);
});

test('empty names (absent optional inputs) are not tensors to provide', () => {
  checkNodeInputsProvided(graph([makeNode('Clip', ['x', '', 'w'], ['y'], {}, 'clip')]), FILE);
});

test('a dangling input is MODEL_INVALID naming the file, the node, its op and the tensor', () => {
  const e = expectEngineError(
    () => checkNodeInputsProvided(graph([makeNode('Add', ['x', 'bias'], ['y'], {}, 'fc')]), FILE),
    'MODEL_INVALID',
    /^\/models\/m\.onnx: node "fc" \(Add\) reads 'bias', which is neither a graph input, an initializer nor the output of a node \(a missing initializer\?\)$/,
  );
  assert.deepEqual([e.details.node, e.details.op, e.details.file], ['fc', 'Add', FILE]);
});

test('an unnamed node is named by its index, a custom-domain op with its domain', () => {
  const nodes = [makeNode('Relu', ['x'], ['h']), makeNode('Scale', ['h', 'gone'], ['y'], {}, '', 'com.example')];
  expectEngineError(() => checkNodeInputsProvided(graph(nodes), FILE), 'MODEL_INVALID', /: node "#1" \(com\.example:Scale\) reads 'gone'/);
});

test('subgraphs see their own inputs and every enclosing scope; a dangling input inside one names the path', () => {
  const loopBody = branch([makeNode('Add', ['i', 'w'], ['r'], {}, 'inner')], [makeValueInfo('i', 'float32', [2])]);
  const ok = makeNode('If', ['c'], ['y'], { then_branch: branch([makeNode('Add', ['x', 'w'], ['r'])]), else_branch: loopBody }, 'if');
  checkNodeInputsProvided(graph([ok], [makeTensor('w', [2], [1, 2]), makeTensor('c', [], [1])]), FILE);

  const nested = branch([
    makeNode(
      'If',
      ['c'],
      ['r'],
      {
        then_branch: branch([makeNode('Add', ['w', 'ghost'], ['r'], {}, 'deep')]),
        else_branch: branch([makeNode('Identity', ['w'], ['r'])]),
      },
      'inner',
    ),
  ]);
  const bad = makeNode('If', ['c'], ['y'], { then_branch: nested, else_branch: nested }, 'outer');
  expectEngineError(
    () => checkNodeInputsProvided(graph([bad], [makeTensor('w', [2], [1, 2]), makeTensor('c', [], [1])]), FILE),
    'MODEL_INVALID',
    /: in attribute then_branch of node "outer" \(If\): in attribute then_branch of node "inner" \(If\): node "deep" \(Add\) reads 'ghost'/,
  );
});

test("a subgraph's own names do not leak to the enclosing graph", () => {
  const ifNode = makeNode(
    'If',
    ['c'],
    ['z'],
    { then_branch: branch([makeNode('Identity', ['w'], ['r'], {}, 'keep')]), else_branch: branch([makeNode('Identity', ['w'], ['r'])]) },
    'if',
  );
  expectEngineError(
    () =>
      checkNodeInputsProvided(
        graph([ifNode, makeNode('Add', ['x', 'r'], ['y'], {}, 'after')], [makeTensor('w', [2], [1, 2]), makeTensor('c', [], [1])]),
        FILE,
      ),
    'MODEL_INVALID',
    /node "after" \(Add\) reads 'r'/,
  );
});
