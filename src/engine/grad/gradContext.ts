/** GradContext over a probed forward graph: shapes, static values and broadcasting reductions. */
import { EngineError } from '../errors';
import { AttributeType } from '../onnx/onnxProto';
import { tensorToFloat32, tensorToInt64Array, TensorDataType } from '../onnx/tensorData';
import type { TensorProto } from '../onnx/onnxProto';
import type { Emitter } from './emitter';
import type { GraphIndex } from './graphIndex';
import type { NodeView } from './nodeView';
import type { GradContext, ProbedTensor } from './types';

export interface ProbeResult {
  tensors: Map<string, ProbedTensor>;
  /** Values of small tensors that do not depend on the input and do not change with the batch size. */
  values: Map<string, Float64Array>;
}

export function tensorValues(t: TensorProto): Float64Array {
  const dt: TensorDataType = t.dataType;
  if (dt === TensorDataType.INT64 || dt === TensorDataType.UINT64) return Float64Array.from(tensorToInt64Array(t), (v) => Number(v));
  return Float64Array.from(tensorToFloat32(t));
}

export class ProbedGradContext implements GradContext {
  private readonly dependent: Set<string>;

  constructor(
    readonly e: Emitter,
    private readonly index: GraphIndex,
    private readonly probe: ProbeResult,
    wrt: string,
  ) {
    this.dependent = index.dependentOn(wrt);
  }

  shape(name: string): ProbedTensor {
    const s = this.probe.tensors.get(name);
    if (s) return s;
    const init = this.index.initializers.get(name);
    if (init) return { type: 'float32', dims: init.dims.map(Number), batchDims: init.dims.map(() => false) };
    throw new EngineError('RUNTIME', `gradient builder: no shape known for tensor "${name}"`);
  }

  rank(name: string): number {
    return this.shape(name).dims.length;
  }

  constant(name: string): Float64Array | undefined {
    if (!name || this.dependent.has(name)) return undefined;
    const init = this.index.initializers.get(name);
    if (init) return tensorValues(init);
    const producer = this.index.producer.get(name);
    if (producer?.opType === 'Constant') {
      const a = producer.proto.attribute[0];
      if (a?.type === AttributeType.TENSOR && a.t) return tensorValues(a.t);
      if (a?.name === 'value_float') return Float64Array.of(a.f ?? 0);
      if (a?.name === 'value_floats') return Float64Array.from(a.floats ?? []);
      if (a?.name === 'value_int') return Float64Array.of(Number(a.i ?? 0));
      if (a?.name === 'value_ints') return Float64Array.from((a.ints ?? []).map(Number));
    }
    return this.probe.values.get(name);
  }

  requireConstant(node: NodeView, name: string, what: string): number[] {
    const v = this.constant(name);
    if (!v)
      node.fail(
        `${what} ("${name}") must be a constant or a shape computation, but ${this.dependent.has(name) ? 'it depends on the image input' : 'its value is not static'}`,
      );
    return Array.from(v);
  }

  unbroadcast(grad: string, input: string, output: string): string {
    const inDims = this.shape(input).dims;
    const outDims = this.shape(output).dims;
    const offset = outDims.length - inDims.length;
    const axes: number[] = [];
    for (let a = 0; a < outDims.length; a++) {
      if (a < offset || (inDims[a - offset] === 1 && outDims[a] !== 1)) axes.push(a);
    }
    if (axes.length === 0) return grad;
    const reduced = this.e.reduceSum(grad, axes, true);
    return offset > 0 ? this.e.reshapeLike(reduced, input) : reduced;
  }
}
