/**
 * Static shapes by execution: run the forward graph once or twice with every intermediate tensor exposed
 * as an output, on a constant input, and read off each tensor's dims, element type and (for small tensors
 * that do not depend on the input) its value. Two batch sizes tell which dims follow the batch. This is
 * exact for every op onnxruntime runs, with no shape-inference rules of our own to get wrong.
 */
import * as ort from 'onnxruntime-node';
import { EngineError, errorText } from '../errors';
import { encodeModel, type ModelProto } from '../onnx/onnxProto';
import type { ProbeResult } from './gradContext';
import type { ProbedTensor } from './types';

const MAX_VALUE_ELEMENTS = 4096;

export interface ProbeRequest {
  model: ModelProto;
  /** One or two sets of input values; with two (different batch sizes) batch-following dims are found. */
  feeds: Record<string, ort.Tensor>[];
  /** Tensors that depend on the differentiated input: their values are never kept. */
  dependent: Set<string>;
  label: string;
}

/** Feeds of a constant image batch at batch sizes 2 and 3 (or the model's fixed batch). */
export function batchProbeFeeds(input: string, sampleShape: number[], fixedBatch: number | null): Record<string, ort.Tensor>[] {
  const per = sampleShape.reduce((x, y) => x * y, 1);
  return (fixedBatch !== null ? [fixedBatch] : [2, 3]).map((b) => ({
    [input]: new ort.Tensor('float32', new Float32Array(b * per).fill(0.5), [b, ...sampleShape]),
  }));
}

export async function probeShapes(req: ProbeRequest): Promise<ProbeResult> {
  const { model } = req;
  const outputs = [...new Set(model.graph.node.flatMap((n) => n.output).filter((o) => o))];
  const exposed: ModelProto = {
    ...model,
    graph: { ...model.graph, output: outputs.map((name) => ({ name, docString: '', metadataProps: [] })) },
  };
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(encodeModel(exposed), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  } catch (e) {
    throw new EngineError('RUNTIME', `${req.label}: onnxruntime could not load the graph prepared for differentiation (${errorText(e)})`, {
      file: req.label,
      cause: e,
    });
  }
  try {
    const runs: Record<string, ort.Tensor>[] = [];
    for (const feed of req.feeds) {
      try {
        runs.push({ ...feed, ...(await session.run(feed)) });
      } catch (e) {
        throw new EngineError('RUNTIME', `${req.label}: running the graph prepared for differentiation failed (${errorText(e)})`, {
          file: req.label,
          cause: e,
        });
      }
    }
    const tensors = new Map<string, ProbedTensor>();
    const values = new Map<string, Float64Array>();
    for (const name of [...Object.keys(req.feeds[0]), ...outputs]) {
      const a = runs[0][name];
      const b = runs[runs.length - 1][name];
      if (!a) continue;
      const dims = [...a.dims].map(Number);
      const batchDims = dims.map((d, i) => runs.length > 1 && b.dims.length === dims.length && Number(b.dims[i]) !== d);
      tensors.set(name, { type: a.type, dims, batchDims });
      if (req.dependent.has(name) || a.size > MAX_VALUE_ELEMENTS || (a.type !== 'int64' && a.type !== 'float32' && a.type !== 'int32'))
        continue;
      const va = Float64Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
      const vb = Float64Array.from(b.data as ArrayLike<number | bigint>, (v) => Number(v));
      if (va.length === vb.length && va.every((v, i) => v === vb[i])) values.set(name, va);
    }
    return { tensors, values };
  } finally {
    await session.release();
  }
}
