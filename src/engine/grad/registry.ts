/**
 * The one list of gradient modules, one entry per ONNX op type (default domain), in code-unit order of the
 * op type. An op that is not listed has no gradient, and the builder says so before any computation.
 * Adding an op: its module under ./ops, one line here, its check case in test/engine/grad/cases/ and its
 * name in the README's op list (test/engine/grad/registry.test.ts holds the four together).
 */
import type { NodeView } from './nodeView';
import type { OpGradient } from './types';
import { absGradient } from './ops/abs';
import { addGradient } from './ops/add';
import { averagePoolGradient } from './ops/averagePool';
import { batchNormalizationGradient } from './ops/batchNormalization';
import { castGradient } from './ops/cast';
import { castLikeGradient } from './ops/castLike';
import { clipGradient } from './ops/clip';
import { concatGradient } from './ops/concat';
import { convGradient } from './ops/conv';
import { convTransposeGradient } from './ops/convTranspose';
import { cumSumGradient } from './ops/cumSum';
import { depthToSpaceGradient } from './ops/depthToSpace';
import { dequantizeLinearGradient } from './ops/dequantizeLinear';
import { divGradient } from './ops/div';
import { dropoutGradient } from './ops/dropout';
import { einsumGradient } from './ops/einsum';
import { eluGradient } from './ops/elu';
import { erfGradient } from './ops/erf';
import { expGradient } from './ops/exp';
import { expandGradient } from './ops/expand';
import { flattenGradient } from './ops/flatten';
import { gatherGradient } from './ops/gather';
import { gatherElementsGradient } from './ops/gatherElements';
import { geluGradient } from './ops/gelu';
import { gemmGradient } from './ops/gemm';
import { globalAveragePoolGradient } from './ops/globalAveragePool';
import { globalMaxPoolGradient } from './ops/globalMaxPool';
import { hardSigmoidGradient } from './ops/hardSigmoid';
import { hardSwishGradient } from './ops/hardSwish';
import { identityGradient } from './ops/identity';
import { instanceNormalizationGradient } from './ops/instanceNormalization';
import { layerNormalizationGradient } from './ops/layerNormalization';
import { leakyReluGradient } from './ops/leakyRelu';
import { lrnGradient } from './ops/lrn';
import { logGradient } from './ops/log';
import { logSoftmaxGradient } from './ops/logSoftmax';
import { matMulGradient } from './ops/matMul';
import { maxGradient } from './ops/max';
import { maxPoolGradient } from './ops/maxPool';
import { meanGradient } from './ops/mean';
import { minGradient } from './ops/min';
import { mulGradient } from './ops/mul';
import { negGradient } from './ops/neg';
import { pReluGradient } from './ops/pRelu';
import { padGradient } from './ops/pad';
import { powGradient } from './ops/pow';
import { quantizeLinearGradient } from './ops/quantizeLinear';
import { reciprocalGradient } from './ops/reciprocal';
import { reduceL2Gradient } from './ops/reduceL2';
import { reduceLogSumExpGradient } from './ops/reduceLogSumExp';
import { reduceMaxGradient } from './ops/reduceMax';
import { reduceMeanGradient } from './ops/reduceMean';
import { reduceSumGradient } from './ops/reduceSum';
import { reduceSumSquareGradient } from './ops/reduceSumSquare';
import { reluGradient } from './ops/relu';
import { reshapeGradient } from './ops/reshape';
import { resizeGradient } from './ops/resize';
import { scatterNDGradient } from './ops/scatterND';
import { seluGradient } from './ops/selu';
import { sigmoidGradient } from './ops/sigmoid';
import { sliceGradient } from './ops/slice';
import { softmaxGradient } from './ops/softmax';
import { softplusGradient } from './ops/softplus';
import { spaceToDepthGradient } from './ops/spaceToDepth';
import { splitGradient } from './ops/split';
import { sqrtGradient } from './ops/sqrt';
import { squeezeGradient } from './ops/squeeze';
import { subGradient } from './ops/sub';
import { sumGradient } from './ops/sum';
import { tanhGradient } from './ops/tanh';
import { tileGradient } from './ops/tile';
import { transposeGradient } from './ops/transpose';
import { unsqueezeGradient } from './ops/unsqueeze';
import { whereGradient } from './ops/where';

/** A gradient and the module under ./ops that defines it (named in the duplicate-op error). */
export interface RegisteredGradient {
  module: string;
  gradient: OpGradient;
}

export const GRADIENT_MODULES: readonly RegisteredGradient[] = [
  { module: 'abs', gradient: absGradient },
  { module: 'add', gradient: addGradient },
  { module: 'averagePool', gradient: averagePoolGradient },
  { module: 'batchNormalization', gradient: batchNormalizationGradient },
  { module: 'cast', gradient: castGradient },
  { module: 'castLike', gradient: castLikeGradient },
  { module: 'clip', gradient: clipGradient },
  { module: 'concat', gradient: concatGradient },
  { module: 'conv', gradient: convGradient },
  { module: 'convTranspose', gradient: convTransposeGradient },
  { module: 'cumSum', gradient: cumSumGradient },
  { module: 'depthToSpace', gradient: depthToSpaceGradient },
  { module: 'dequantizeLinear', gradient: dequantizeLinearGradient },
  { module: 'div', gradient: divGradient },
  { module: 'dropout', gradient: dropoutGradient },
  { module: 'einsum', gradient: einsumGradient },
  { module: 'elu', gradient: eluGradient },
  { module: 'erf', gradient: erfGradient },
  { module: 'exp', gradient: expGradient },
  { module: 'expand', gradient: expandGradient },
  { module: 'flatten', gradient: flattenGradient },
  { module: 'gather', gradient: gatherGradient },
  { module: 'gatherElements', gradient: gatherElementsGradient },
  { module: 'gelu', gradient: geluGradient },
  { module: 'gemm', gradient: gemmGradient },
  { module: 'globalAveragePool', gradient: globalAveragePoolGradient },
  { module: 'globalMaxPool', gradient: globalMaxPoolGradient },
  { module: 'hardSigmoid', gradient: hardSigmoidGradient },
  { module: 'hardSwish', gradient: hardSwishGradient },
  { module: 'identity', gradient: identityGradient },
  { module: 'instanceNormalization', gradient: instanceNormalizationGradient },
  { module: 'lrn', gradient: lrnGradient },
  { module: 'layerNormalization', gradient: layerNormalizationGradient },
  { module: 'leakyRelu', gradient: leakyReluGradient },
  { module: 'log', gradient: logGradient },
  { module: 'logSoftmax', gradient: logSoftmaxGradient },
  { module: 'matMul', gradient: matMulGradient },
  { module: 'max', gradient: maxGradient },
  { module: 'maxPool', gradient: maxPoolGradient },
  { module: 'mean', gradient: meanGradient },
  { module: 'min', gradient: minGradient },
  { module: 'mul', gradient: mulGradient },
  { module: 'neg', gradient: negGradient },
  { module: 'pRelu', gradient: pReluGradient },
  { module: 'pad', gradient: padGradient },
  { module: 'pow', gradient: powGradient },
  { module: 'quantizeLinear', gradient: quantizeLinearGradient },
  { module: 'reciprocal', gradient: reciprocalGradient },
  { module: 'reduceL2', gradient: reduceL2Gradient },
  { module: 'reduceLogSumExp', gradient: reduceLogSumExpGradient },
  { module: 'reduceMax', gradient: reduceMaxGradient },
  { module: 'reduceMean', gradient: reduceMeanGradient },
  { module: 'reduceSum', gradient: reduceSumGradient },
  { module: 'reduceSumSquare', gradient: reduceSumSquareGradient },
  { module: 'relu', gradient: reluGradient },
  { module: 'reshape', gradient: reshapeGradient },
  { module: 'resize', gradient: resizeGradient },
  { module: 'scatterND', gradient: scatterNDGradient },
  { module: 'selu', gradient: seluGradient },
  { module: 'sigmoid', gradient: sigmoidGradient },
  { module: 'slice', gradient: sliceGradient },
  { module: 'softmax', gradient: softmaxGradient },
  { module: 'softplus', gradient: softplusGradient },
  { module: 'spaceToDepth', gradient: spaceToDepthGradient },
  { module: 'split', gradient: splitGradient },
  { module: 'sqrt', gradient: sqrtGradient },
  { module: 'squeeze', gradient: squeezeGradient },
  { module: 'sub', gradient: subGradient },
  { module: 'sum', gradient: sumGradient },
  { module: 'tanh', gradient: tanhGradient },
  { module: 'tile', gradient: tileGradient },
  { module: 'transpose', gradient: transposeGradient },
  { module: 'unsqueeze', gradient: unsqueezeGradient },
  { module: 'where', gradient: whereGradient },
];

/** Indexes the list by op type; two modules claiming one op type is a programming error, caught at load. */
export function buildRegistry(list: readonly RegisteredGradient[]): ReadonlyMap<string, RegisteredGradient> {
  const byOp = new Map<string, RegisteredGradient>();
  for (const entry of list) {
    const previous = byOp.get(entry.gradient.opType);
    if (previous)
      throw new Error(
        `gradient registry: op type "${entry.gradient.opType}" is defined twice, by ops/${previous.module} and ops/${entry.module}`,
      );
    byOp.set(entry.gradient.opType, entry);
  }
  return byOp;
}

const BY_OP = buildRegistry(GRADIENT_MODULES);

export function gradientFor(node: NodeView): OpGradient | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  return BY_OP.get(node.opType)?.gradient;
}

/** Ops whose output is piecewise constant in their float inputs: on the path they leave no useful gradient. */
export const ZERO_GRADIENT_OPS = new Set([
  'ArgMax',
  'ArgMin',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Equal',
  'Greater',
  'GreaterOrEqual',
  'Less',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'IsNaN',
  'IsInf',
  'NonZero',
  'DynamicQuantizeLinear',
  'Hardmax',
  'BitShift',
]);
