/**
 * A vector–Jacobian model for any graph: inputs = the graph's inputs + one cotangent per chosen output;
 * outputs = the chosen outputs and Σ cotangent·output differentiated with respect to each `wrt` input.
 * The classifier gradient model and the per-op gradient tests are both built with it.
 */
import type * as ort from 'onnxruntime-node';
import { makeValueInfo } from '../onnx/build';
import type { ModelProto, ValueInfoProto } from '../onnx/onnxProto';
import { assertDifferentiable, buildBackward, gradientPath } from './backward';
import { Emitter } from './emitter';
import { GraphIndex } from './graphIndex';
import { ProbedGradContext, type ProbeResult } from './gradContext';
import { defaultDomainOpset, gradientOpset, upgradeGraph } from './opsetUpgrade';
import { probeShapes } from './shapeProbe';

export interface PreparedForward {
  /** The forward model re-expressed at the gradient opset. */
  model: ModelProto;
  index: GraphIndex;
  probe: ProbeResult;
  opset: number;
  taken: Set<string>;
  label: string;
}

/**
 * Upgrades the forward model to the gradient opset and probes its shapes with `feeds`. With `targets`,
 * first checks that every op between `wrt` and the targets has a gradient (one error listing all that
 * do not), before anything runs.
 */
export async function prepareForward(
  model: ModelProto,
  wrt: string[],
  feeds: Record<string, ort.Tensor>[],
  label: string,
  targets?: string[],
): Promise<PreparedForward> {
  if (targets) {
    const original = new GraphIndex(model.graph);
    for (const w of wrt) assertDifferentiable(gradientPath(original, w, targets, label).nodes, label);
  }
  const from = defaultDomainOpset(model);
  const opset = gradientOpset(from);
  const taken = new Set<string>([
    ...model.graph.node.flatMap((n) => [...n.output, n.name]),
    ...model.graph.input.map((i) => i.name),
    ...model.graph.initializer.map((t) => t.name),
  ]);
  const graph = upgradeGraph(model.graph, from, opset, label, taken);
  const upgraded: ModelProto = {
    ...model,
    opsetImport: [...model.opsetImport.filter((o) => o.domain !== '' && o.domain !== 'ai.onnx'), { domain: '', version: opset }],
    graph,
  };
  const index = new GraphIndex(graph);
  const dependent = new Set(wrt.flatMap((w) => [...index.dependentOn(w)]));
  const probe = await probeShapes({ model: upgraded, feeds, dependent, label });
  return { model: upgraded, index, probe, opset, taken, label };
}

export interface VjpModel {
  model: ModelProto;
  cotangents: string[];
  grads: string[];
}

export function buildVjpModel(fwd: PreparedForward, wrt: string[], outputs: string[]): VjpModel {
  const e = new Emitter(fwd.opset, fwd.taken);
  const cotangentInfos: ValueInfoProto[] = outputs.map((o) =>
    makeValueInfo(
      e.fresh(`cotangent_${o}`),
      'float32',
      fwd.probe.tensors.get(o)!.dims.map((d, i) => (fwd.probe.tensors.get(o)!.batchDims[i] ? 'N' : d)),
    ),
  );
  const grads = wrt.map((w) => {
    const ctx = new ProbedGradContext(e, fwd.index, fwd.probe, w);
    const g = buildBackward({
      index: fwd.index,
      wrt: w,
      ctx,
      modelLabel: fwd.label,
      seeds: outputs.map((o, i) => ({ tensor: o, grad: cotangentInfos[i].name })),
    });
    // A gradient that is an existing tensor (e.g. wrt feeds an Identity) still needs its own output name.
    return e.op('Identity', [g]);
  });
  const g = fwd.model.graph;
  return {
    model: {
      ...fwd.model,
      graph: {
        ...g,
        node: [...g.node, ...e.nodes],
        initializer: [...g.initializer, ...e.initializers],
        input: [...g.input, ...cotangentInfos],
        output: [
          ...outputs.map((name) => ({ name, docString: '', metadataProps: [] })),
          ...grads.map((name) => ({ name, docString: '', metadataProps: [] })),
        ],
      },
    },
    cotangents: cotangentInfos.map((c) => c.name),
    grads,
  };
}
