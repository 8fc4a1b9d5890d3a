/** The contract between the backward-pass builder and the per-op gradient modules in ./ops. */
import type { Emitter } from './emitter';
import type { NodeView } from './nodeView';

/** What probing the forward model told us about one tensor. */
export interface ProbedTensor {
  /** Element type as onnxruntime names it ('float32', 'int64', …). */
  type: string;
  /** Dims observed at the probe batch size. */
  dims: number[];
  /** Which dims change with the batch size (the batch axis, or axes that absorb it). */
  batchDims: boolean[];
}

export interface GradContext {
  readonly e: Emitter;
  /** Static shape of a forward tensor (any tensor of the forward graph, prefix included). */
  shape(name: string): ProbedTensor;
  /** Rank of a forward tensor. */
  rank(name: string): number;
  /**
   * The value of a tensor that does not depend on the differentiated input (initializer, Constant, or a
   * shape computation evaluated by the probe), or undefined when it depends on the input or is too large.
   */
  constant(name: string): Float64Array | undefined;
  /** Like constant(), but throws a clear error naming the node when the value is not static. */
  requireConstant(node: NodeView, name: string, what: string): number[];
  /** Sums `grad` (shaped like a broadcast result) over the axes along which `input` was broadcast, to input's shape. */
  unbroadcast(grad: string, input: string, output: string): string;
}

export interface GradientArgs {
  node: NodeView;
  /** Gradient of each output ('' where no gradient flows back into it). */
  dy: string[];
  /** Which inputs need a gradient (those that depend on the differentiated input). */
  needs: boolean[];
  ctx: GradContext;
}

/** One module per ONNX op type: returns a gradient name for each input that `needs` one, '' elsewhere. */
export interface OpGradient {
  opType: string;
  gradient(args: GradientArgs): string[];
}
