/**
 * Per-op gradient checker (in the spirit of onnxruntime's gradient_checker): build a one-node model, build
 * its vector–Jacobian model with our gradient modules, and compare ∂(Σ c·y)/∂x with central differences
 * of the forward model (Richardson-extrapolated, accumulated in float64), for every element of every
 * differentiable input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeModel, makeNode, makeTensor, makeValueInfo, type AttrValue } from '../../../src/engine/onnx/build';
import { encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/engine/onnx/onnxProto';
import { TensorDataType } from '../../../src/engine/onnx/tensorData';
import { buildVjpModel, prepareForward } from '../../../src/engine/grad/vjpModel';
import { Rng } from '../../../src/engine/util/random';

export interface OpInput {
  dims: number[];
  /** Values; default: seeded standard normal. */
  data?: number[];
  /** int64 input (never differentiated), e.g. indices, axes, pads, shapes. */
  int64?: boolean;
  /** bool initializer (never differentiated), e.g. Where's condition; `data` holds 0/1. */
  bool?: boolean;
  /** Store as an initializer instead of a graph input (a constant: not differentiated). */
  constant?: boolean;
  /** Omit this optional input (passes '' as its name). */
  absent?: boolean;
}

export interface OpCase {
  op: string;
  inputs: OpInput[];
  attrs?: Record<string, AttrValue>;
  /** Number of outputs the node has (all float outputs receive a random cotangent); default 1. */
  outputs?: number;
  /** Which outputs receive a cotangent; default all. */
  seededOutputs?: number[];
  /** Opset of the one-node model; default 17. */
  opset?: number;
  seed?: number;
  /** Finite-difference step; default 1e-2. */
  step?: number;
  /** Allowed max |analytic − numeric| / max|numeric|; default 2e-3. */
  tolerance?: number;
  /**
   * For ops whose gradient is a straight-through estimate (QuantizeLinear, DequantizeLinear): `graph`, a
   * small graph from the inputs in0… to out0 that contains the op, is differentiated, and its gradient is
   * compared with finite differences of `surrogate` (same inputs and output), the smooth function that the
   * estimate is the exact gradient of — e.g. a QDQ pair against Clip to its integer range.
   */
  straightThrough?: { graph: SubGraph; surrogate: SubGraph };
}

/** Nodes and constant initializers of a small graph over the case's inputs. */
export interface SubGraph {
  nodes: NodeProto[];
  initializers: TensorProto[];
}

/** A case with the name of the test that checks it. */
export interface NamedOpCase {
  name: string;
  check: OpCase;
}

export interface OpCheckResult {
  maxRelError: number;
  gradients: Float32Array[];
}

export async function checkOpGradient(c: OpCase): Promise<OpCheckResult> {
  const rng = new Rng(c.seed ?? 1);
  const names = c.inputs.map((inp, i) => (inp.absent ? '' : `in${i}`));
  const values = c.inputs.map((inp) => {
    const n = inp.dims.reduce((a, b) => a * b, 1);
    return inp.data ? Float64Array.from(inp.data) : Float64Array.from({ length: n }, () => rng.normal());
  });
  const diffIdx = c.inputs.map((inp, i) => (!inp.absent && !inp.int64 && !inp.bool && !inp.constant ? i : -1)).filter((i) => i >= 0);
  const outNames = Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`);
  const seeded = (c.seededOutputs ?? outNames.map((_, i) => i)).map((i) => outNames[i]);

  const modelOf = (nodes: NodeProto[], extra: TensorProto[]): ModelProto =>
    makeModel({
      opsetImports: [{ domain: '', version: c.opset ?? 17 }],
      graph: {
        nodes,
        inputs: c.inputs.flatMap((inp, i) =>
          inp.absent || inp.constant || inp.int64 || inp.bool ? [] : [makeValueInfo(names[i], 'float32', inp.dims)],
        ),
        outputs: outNames.map((o) => ({ name: o, docString: '', metadataProps: [] })),
        initializers: c.inputs
          .flatMap((inp, i) => {
            if (inp.absent || !(inp.constant || inp.int64 || inp.bool)) return [];
            if (inp.bool) return [makeTensor(names[i], inp.dims, Uint8Array.from(values[i]), TensorDataType.BOOL)];
            return [
              inp.int64
                ? makeTensor(
                    names[i],
                    inp.dims,
                    BigInt64Array.from(values[i], (v) => BigInt(v)),
                  )
                : makeTensor(names[i], inp.dims, Float32Array.from(values[i])),
            ];
          })
          .concat(extra),
      },
    });
  const st = c.straightThrough;
  const forward = st
    ? modelOf(st.graph.nodes, st.graph.initializers)
    : modelOf([makeNode(c.op, names, outNames, c.attrs ?? {}, 'op_under_test')], []);
  const feedsFor = (vals: Float64Array[]) =>
    Object.fromEntries(diffIdx.map((i) => [names[i], new ort.Tensor('float32', Float32Array.from(vals[i]), c.inputs[i].dims)]));

  // Finite differences of the forward model, or of the surrogate for a straight-through estimate.
  const fwdSession = await ort.InferenceSession.create(encodeModel(st ? modelOf(st.surrogate.nodes, st.surrogate.initializers) : forward));
  const baseOut = await fwdSession.run(feedsFor(values));
  const cotangents = seeded.map((o) => Float64Array.from({ length: baseOut[o].size }, () => rng.normal()));
  const objective = async (vals: Float64Array[]): Promise<number> => {
    const out = await fwdSession.run(feedsFor(vals));
    let s = 0;
    seeded.forEach((o, k) => {
      const d = out[o].data as Float32Array;
      for (let j = 0; j < d.length; j++) s += cotangents[k][j] * d[j];
    });
    return s;
  };

  const prepared = await prepareForward(
    forward,
    diffIdx.map((i) => names[i]),
    [feedsFor(values)],
    `${c.op} test model`,
  );
  const vjp = buildVjpModel(
    prepared,
    diffIdx.map((i) => names[i]),
    seeded,
  );
  let vjpSession: ort.InferenceSession;
  try {
    vjpSession = await ort.InferenceSession.create(encodeModel(vjp.model));
  } catch (e) {
    throw new Error(`the gradient model of ${c.op} does not load in onnxruntime: ${(e as Error).message}`);
  }
  const feeds = feedsFor(values);
  seeded.forEach((o, k) => {
    feeds[vjp.cotangents[k]] = new ort.Tensor('float32', Float32Array.from(cotangents[k]), baseOut[o].dims);
  });
  const res = await vjpSession.run(feeds);
  const gradients = vjp.grads.map((g) => res[g].data as Float32Array);

  const h = c.step ?? 1e-2;
  let worst = 0;
  for (let k = 0; k < diffIdx.length; k++) {
    const i = diffIdx[k];
    const analytic = gradients[k];
    assert.equal(
      analytic.length,
      values[i].length,
      `${c.op}: gradient of input ${i} has ${analytic.length} values, expected ${values[i].length}`,
    );
    const numeric = new Float64Array(values[i].length);
    for (let j = 0; j < values[i].length; j++) {
      const at = async (delta: number) => {
        const vals = values.map((v) => v.slice());
        vals[i][j] += delta;
        return objective(vals);
      };
      const d1 = ((await at(h)) - (await at(-h))) / (2 * h);
      const d2 = ((await at(h / 2)) - (await at(-h / 2))) / h;
      numeric[j] = (4 * d2 - d1) / 3;
    }
    const scale = Math.max(1e-6, ...Array.from(numeric, Math.abs));
    let maxErr = 0,
      at = 0;
    for (let j = 0; j < numeric.length; j++) {
      const err = Math.abs(analytic[j] - numeric[j]);
      if (err > maxErr) {
        maxErr = err;
        at = j;
      }
    }
    const rel = maxErr / scale;
    worst = Math.max(worst, rel);
    assert.ok(
      rel <= (c.tolerance ?? 2e-3),
      `${c.op} ${JSON.stringify(c.attrs ?? {})}: input ${i} element ${at}: analytic ${analytic[at]} vs numeric ${numeric[at]} (relative error ${rel.toExponential(2)} of max |grad| ${scale.toExponential(2)})`,
    );
  }
  await fwdSession.release();
  await vjpSession.release();
  return { maxRelError: worst, gradients };
}

/** Declares one node:test test that checks a case. */
export function opTest(name: string, c: OpCase): void {
  test(name, async () => {
    await checkOpGradient(c);
  });
}
