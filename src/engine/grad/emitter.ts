/**
 * Appends nodes and small constants to a graph under construction, with fresh names and opset-aware
 * helpers for the ops whose form changed across opsets (axes as attribute or as input).
 */
import { makeNode, makeTensor, type AttrValue } from '../onnx/build';
import type { NodeProto, TensorProto } from '../onnx/onnxProto';

export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();

  constructor(
    readonly opset: number,
    private readonly taken: Set<string>,
    private readonly prefix = 'rl',
  ) {}

  fresh(hint: string): string {
    for (;;) {
      const name = `${this.prefix}/${hint}_${this.counter++}`;
      if (!this.taken.has(name)) {
        this.taken.add(name);
        return name;
      }
    }
  }

  /** Emits one node; returns its output names (fresh unless given). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    for (const o of outs) if (o) this.taken.add(o);
    this.nodes.push(makeNode(opType, inputs, outs, attrs, this.fresh(`${opType}_node`)));
    return outs;
  }

  /** Emits one single-output node and returns its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0];
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    return this.constant('i64', dims, values, () => makeTensor('', dims, BigInt64Array.from(values.map((v) => BigInt(v)))));
  }

  float(values: number[], dims: number[] = [values.length]): string {
    return this.constant('f32', dims, values, () => makeTensor('', dims, Float32Array.from(values)));
  }

  scalar(value: number): string {
    return this.float([value], []);
  }

  private constant(kind: string, dims: number[], values: number[], make: () => TensorProto): string {
    const key = `${kind}|${dims.join(',')}|${values.join(',')}`;
    const cached = this.constants.get(key);
    if (cached) return cached;
    const name = this.fresh(`const_${kind}`);
    this.initializers.push({ ...make(), name });
    this.constants.set(key, name);
    return name;
  }

  // ---- opset-aware forms --------------------------------------------------------------------------

  /** ReduceSum / ReduceMean / ReduceMax over `axes` (axes as input from opset 13 / 18 respectively). */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin', x: string, axes: number[], keepdims: boolean): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput) return this.op(op, [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return axes.length === 0 ? x : this.reduce('ReduceSum', x, axes, keepdims);
  }

  squeeze(x: string, axes: number[]): string {
    if (axes.length === 0) return x;
    return this.opset >= 13 ? this.op('Squeeze', [x, this.int64(axes)]) : this.op('Squeeze', [x], { axes });
  }

  unsqueeze(x: string, axes: number[]): string {
    if (axes.length === 0) return x;
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.int64(axes)]) : this.op('Unsqueeze', [x], { axes });
  }

  /** Sum of several gradient contributions (a single one is returned as is). */
  sum(parts: string[]): string {
    return parts.length === 1 ? parts[0] : this.op('Sum', parts);
  }

  shapeOf(x: string): string {
    return this.op('Shape', [x]);
  }

  /** Reshape `x` to the runtime shape of `like`. */
  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.shapeOf(like)]);
  }
}
