/**
 * A float64 copy of a classifier's forward graph (pixels → logits), for gradcheck's noise-free finite
 * differences: every float32 initializer, constant, cast target and graph input/output becomes float64.
 * onnxruntime's CPU provider has float64 kernels for many ops but not all (Conv, AveragePool, Erf… are
 * float32 only), so the copy is probed — built, opened and run once — and any failure is a reason, not
 * an error: gradcheck then falls back to float32 finite differences with a measured noise floor.
 */
import * as ort from 'onnxruntime-node';
import { makeAttribute, makeTensor } from '../onnx/build';
import {
  encodeModel,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/onnxProto';
import { TensorDataType, tensorToFloat32 } from '../onnx/tensorData';
import { errorText } from '../errors';
import { GraphIndex } from './graphIndex';

/**
 * Op types onnxruntime's CPU provider (1.30 and 1.31) runs in float32 only, found by building one-node float64
 * models: a graph with one of them is not copied at all (the copy of a large model costs seconds to encode).
 * An op missing here is still caught by the probe, only later.
 */
export const FLOAT32_ONLY_OPS = new Set([
  'Conv',
  'ConvTranspose',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'HardSigmoid',
  'HardSwish',
  'Erf',
  'InstanceNormalization',
]);

export type ReferenceProbe = { ok: true; reference: Float64Reference } | { ok: false; reason: string };

export class Float64Reference {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly input: string,
    private readonly output: string,
    private readonly sampleShape: number[],
    /** The model's fixed batch size, when it has one: rows are run in chunks of it, the last one padded. */
    private readonly fixedBatch: number | null,
  ) {}

  /**
   * Builds the float64 copy of `model` restricted to what `output` needs, opens it and runs it on `probe`
   * (one sample); `check` receives the float64 logits of the probe to compare with the float32 model's.
   */
  static async probe(
    model: ModelProto,
    input: string,
    output: string,
    sampleShape: number[],
    probe: Float64Array,
    check: (logits: Float64Array) => string | undefined,
  ): Promise<ReferenceProbe> {
    const forward = pruneTo(model, input, output);
    const blocking = [...new Set(forward.graph.node.map((n) => n.opType).filter((op) => FLOAT32_ONLY_OPS.has(op)))];
    if (blocking.length) return { ok: false, reason: `onnxruntime has no float64 kernel for ${blocking.join(', ')}` };
    let session: ort.InferenceSession | undefined;
    try {
      const copy = toFloat64(forward);
      session = await ort.InferenceSession.create(encodeModel(copy), { executionProviders: ['cpu'], graphOptimizationLevel: 'basic' });
      const dim0 = forward.graph.input[0]?.type?.tensorType?.shape?.[0]?.dimValue;
      const reference = new Float64Reference(
        session,
        input,
        output,
        sampleShape,
        dim0 !== undefined && Number(dim0) > 0 ? Number(dim0) : null,
      );
      const why = check(await reference.logits(probe, 1));
      if (why) {
        await session.release();
        return { ok: false, reason: why };
      }
      return { ok: true, reference };
    } catch (e) {
      await session?.release().catch(() => undefined);
      return { ok: false, reason: `the float64 copy does not run in onnxruntime: ${errorText(e).split('\n')[0].slice(0, 200)}` };
    }
  }

  /** Logits (count × classes) in float64 for float64 pixels. */
  async logits(pixels: Float64Array, count: number): Promise<Float64Array> {
    const chunk = this.fixedBatch ?? count;
    const per = pixels.length / count;
    const parts: Float64Array[] = [];
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const rows = new Float64Array(chunk * per);
      rows.set(pixels.subarray(start * per, (start + n) * per));
      for (let r = n; r < chunk; r++) rows.copyWithin(r * per, (n - 1) * per, n * per);
      const out = await this.session.run({ [this.input]: new ort.Tensor('float64', rows, [chunk, ...this.sampleShape]) });
      const z = out[this.output].data as Float64Array;
      parts.push(z.subarray(0, (z.length / chunk) * n));
    }
    const all = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    parts.reduce((at, p) => {
      all.set(p, at);
      return at + p.length;
    }, 0);
    return all;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** Keeps the nodes, inputs and initializers that `output` depends on (e.g. the forward part of a gradient model). */
function pruneTo(model: ModelProto, input: string, output: string): ModelProto {
  const g = model.graph;
  const nodes = new Set(new GraphIndex(g).ancestorNodes(output).map((n) => n.index));
  const node = g.node.filter((_, i) => nodes.has(i));
  const used = new Set(node.flatMap((n) => [...n.input, ...subgraphNames(n)]));
  return {
    ...model,
    graph: {
      ...g,
      node,
      valueInfo: [],
      input: g.input.filter((v) => v.name === input),
      initializer: g.initializer.filter((t) => used.has(t.name)),
      output: [{ name: output, docString: '', metadataProps: [] }],
    },
  };
}

/** Names a node's subgraphs read from the enclosing scope (conservatively: every input of their nodes). */
function subgraphNames(n: NodeProto): string[] {
  return n.attribute
    .flatMap((a) => [a.g, ...(a.graphs ?? [])])
    .filter((sg): sg is GraphProto => !!sg)
    .flatMap((sg) => sg.node.flatMap((m) => [...m.input, ...subgraphNames(m)]));
}

function toFloat64(model: ModelProto): ModelProto {
  return { ...model, graph: graphToFloat64(model.graph) };
}

function graphToFloat64(g: GraphProto): GraphProto {
  return {
    ...g,
    input: g.input.map(valueInfoToFloat64),
    output: g.output.map(valueInfoToFloat64),
    valueInfo: [],
    initializer: g.initializer.map(tensorToFloat64),
    node: g.node.map(nodeToFloat64),
  };
}

function valueInfoToFloat64(v: ValueInfoProto): ValueInfoProto {
  const tt = v.type?.tensorType;
  if (!tt || tt.elemType !== TensorDataType.FLOAT) return v;
  return { ...v, type: { ...v.type!, tensorType: { ...tt, elemType: TensorDataType.DOUBLE } } };
}

function tensorToFloat64(t: TensorProto): TensorProto {
  if (t.dataType !== TensorDataType.FLOAT) return t;
  return { ...makeTensor(t.name, t.dims.map(Number), Float64Array.from(tensorToFloat32(t))), docString: t.docString };
}

function nodeToFloat64(n: NodeProto): NodeProto {
  const attribute = n.attribute.map((a): AttributeProto => {
    if (a.g) return { ...a, g: graphToFloat64(a.g) };
    if (a.graphs) return { ...a, graphs: a.graphs.map(graphToFloat64) };
    if (a.t) return { ...a, t: tensorToFloat64(a.t) };
    if (n.opType === 'Constant' && a.name === 'value_float') return makeAttribute('value', makeTensor('', [], Float64Array.of(a.f ?? 0)));
    if (n.opType === 'Constant' && a.name === 'value_floats')
      return makeAttribute('value', makeTensor('', [(a.floats ?? []).length], Float64Array.from(a.floats ?? [])));
    if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === TensorDataType.FLOAT) return { ...a, i: TensorDataType.DOUBLE };
    return a;
  });
  return { ...n, attribute };
}
