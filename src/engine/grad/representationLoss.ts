/**
 * A VJP head at an internal tensor: for a representation g (any tensor of the graph that depends on the
 * pixels), the model pixels + target t → g(x), loss = ‖g(x) − t‖² per sample and ∂loss/∂pixels. The
 * squared distance and its cotangent 2(g − t) are built in the graph, so one call per step gives the
 * representation, the loss and the gradient together (feature inversion, Ilyas et al. 2019).
 */
import { makeValueInfo } from '../onnx/build';
import type { ModelProto } from '../onnx/onnxProto';
import { EngineError } from '../errors';
import { assertDifferentiable, buildBackward, gradientPath } from './backward';
import { Emitter } from './emitter';
import { ProbedGradContext } from './gradContext';
import type { PreparedForward } from './vjpModel';

export const REPRESENTATION_TARGET = 'rl.representation_target';
export const REPRESENTATION_OUTPUTS = { representation: 'rl.representation', loss: 'rl.loss', grad: 'rl.grad' } as const;

export interface RepresentationTensor {
  name: string;
  /** Per-sample shape (the tensor's dims after the batch dim). */
  sampleShape: number[];
  size: number;
  /** 'default': the input of the last Gemm/MatMul on the path from the pixels; 'user': named. */
  source: 'default' | 'user';
}

/** Names of the graph's own tensors (the preprocessing and gradient nodes Robustness Lens adds are not offered). */
function userTensors(fwd: PreparedForward, pixels: string): string[] {
  const names = new Set<string>();
  for (const n of fwd.index.nodes) {
    if (n.name.startsWith('rl_') || n.name.startsWith('rl.')) continue;
    for (const o of n.outputs) if (o && !o.startsWith('rl_') && !o.startsWith('rl.')) names.add(o);
  }
  names.delete(pixels);
  return [...names];
}

/** Levenshtein distance, for the "did you mean" list of an unknown tensor name. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The `k` names nearest to `name`: those containing it (or contained in it) first, then by edit distance. */
export function nearestNames(name: string, names: string[], k = 5): string[] {
  const lower = name.toLowerCase();
  const score = (n: string) => {
    const l = n.toLowerCase();
    return (l.includes(lower) || lower.includes(l) ? 0 : 1e6) + editDistance(lower, l);
  };
  return names
    .map((n) => ({ n, s: score(n) }))
    .sort((a, b) => a.s - b.s || a.n.localeCompare(b.n))
    .slice(0, k)
    .map((x) => x.n);
}

/** The default representation: the pixel-dependent input of the last Gemm/MatMul (the penultimate features). */
function defaultTensor(fwd: PreparedForward, pixels: string): string {
  const dependent = fwd.index.dependentOn(pixels);
  for (let i = fwd.index.nodes.length - 1; i >= 0; i--) {
    const n = fwd.index.nodes[i];
    if (n.opType !== 'Gemm' && n.opType !== 'MatMul') continue;
    const input = n.inputs.slice(0, 2).find((t) => t && dependent.has(t));
    if (input) return input;
  }
  throw new EngineError('USAGE', `${fwd.label}: no Gemm or MatMul node depends on the input, so there is no default representation`, {
    file: fwd.label,
    hint: 'name the tensor to invert with --layer TENSOR (robustness-lens info lists the graph)',
  });
}

/** Resolves and checks the tensor to invert: it exists, depends on the pixels through differentiable ops, and is [N, …]. */
export function resolveRepresentation(
  fwd: PreparedForward,
  pixels: string,
  name: string | null,
  fixedBatch: number | null,
): RepresentationTensor {
  const source = name === null ? 'default' : 'user';
  const tensor = name ?? defaultTensor(fwd, pixels);
  const known = userTensors(fwd, pixels);
  if (fwd.index.initializers.has(tensor) || fwd.index.graph.input.some((i) => i.name === tensor && i.name !== pixels)) {
    throw new EngineError('USAGE', `${fwd.label}: tensor "${tensor}" does not depend on the image input, so no image can change it`, {
      file: fwd.label,
      hint: `it is ${fwd.index.initializers.has(tensor) ? 'an initializer (a weight)' : 'another graph input'}; name an activation, e.g. ${nearestNames(
        tensor,
        known,
        3,
      )
        .map((n) => `"${n}"`)
        .join(', ')}`,
    });
  }
  if (!fwd.index.producer.has(tensor) || !known.includes(tensor)) {
    throw new EngineError('USAGE', `${fwd.label}: no tensor named "${tensor}" in the graph`, {
      file: fwd.label,
      hint: `nearest names: ${nearestNames(tensor, known)
        .map((n) => `"${n}"`)
        .join(', ')} (${known.length} tensors in all; leave --layer out for the input of the last Gemm/MatMul)`,
    });
  }
  if (!fwd.index.dependentOn(pixels).has(tensor)) {
    throw new EngineError('USAGE', `${fwd.label}: tensor "${tensor}" does not depend on the image input, so no image can change it`, {
      file: fwd.label,
      hint: 'name a tensor computed from the input (an activation), not a constant or a shape',
    });
  }
  // A tensor reached only through zero-gradient ops (ArgMax, a comparison…) throws here, naming the node.
  assertDifferentiable(gradientPath(fwd.index, pixels, [tensor], fwd.label).nodes, fwd.label);
  const probed = fwd.probe.tensors.get(tensor);
  const batchFirst =
    probed !== undefined &&
    probed.type === 'float32' &&
    probed.dims.length >= 1 &&
    (fixedBatch !== null ? probed.dims[0] === fixedBatch : probed.batchDims[0] && !probed.batchDims.slice(1).some(Boolean));
  if (!probed || !batchFirst) {
    throw new EngineError(
      'USAGE',
      `${fwd.label}: tensor "${tensor}" is not a float32 tensor with one row per image (shape ${probed ? `[${probed.dims.join(', ')}]` : 'unknown'})`,
      { file: fwd.label, hint: 'name an activation whose first dimension is the batch' },
    );
  }
  const sampleShape = probed.dims.slice(1);
  return { name: tensor, sampleShape, size: sampleShape.reduce((a, b) => a * b, 1), source };
}

/** pixels + target [N, …sampleShape] → representation, loss = Σ (g − t)² per sample, ∂loss/∂pixels. */
export function buildRepresentationLoss(
  fwd: PreparedForward,
  pixels: string,
  rep: RepresentationTensor,
  fixedBatch: number | null,
): ModelProto {
  for (const reserved of [REPRESENTATION_TARGET, ...Object.values(REPRESENTATION_OUTPUTS)])
    if (fwd.taken.has(reserved))
      throw new EngineError(
        'MODEL_UNSUPPORTED',
        `${fwd.label}: the model already has a tensor named "${reserved}", which Robustness Lens reserves`,
        {
          file: fwd.label,
        },
      );
  const e = new Emitter(fwd.opset, new Set(fwd.taken));
  const diff = e.op('Sub', [rep.name, REPRESENTATION_TARGET]);
  const axes = rep.sampleShape.map((_, i) => i + 1);
  const loss = e.reduceSum(e.op('Mul', [diff, diff]), axes, false);
  const cotangent = e.op('Mul', [diff, e.scalar(2)]);
  const grad = buildBackward({
    index: fwd.index,
    wrt: pixels,
    seeds: [{ tensor: rep.name, grad: cotangent }],
    ctx: new ProbedGradContext(e, fwd.index, fwd.probe, pixels),
    modelLabel: fwd.label,
  });
  e.node('Identity', [rep.name], {}, [REPRESENTATION_OUTPUTS.representation]);
  e.node('Identity', [loss], {}, [REPRESENTATION_OUTPUTS.loss]);
  e.node('Identity', [grad], {}, [REPRESENTATION_OUTPUTS.grad]);
  const g = fwd.model.graph;
  const out = (name: string) => ({ name, docString: '', metadataProps: [] });
  return {
    ...fwd.model,
    graph: {
      ...g,
      input: [...g.input, makeValueInfo(REPRESENTATION_TARGET, 'float32', [fixedBatch ?? 'N', ...rep.sampleShape])],
      node: [...g.node, ...e.nodes],
      initializer: [...g.initializer, ...e.initializers],
      output: Object.values(REPRESENTATION_OUTPUTS).map(out),
    },
  };
}
