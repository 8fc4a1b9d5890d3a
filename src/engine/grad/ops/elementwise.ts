/** Gradient modules of the elementwise family (one file per op), in one explicit list. */
import type { OpGradient } from '../types';
import { absGradient } from './abs';
import { castGradient } from './cast';
import { castLikeGradient } from './castLike';
import { clipGradient } from './clip';
import { divGradient } from './div';
import { dropoutGradient } from './dropout';
import { eluGradient } from './elu';
import { erfGradient } from './erf';
import { expGradient } from './exp';
import { expandGradient } from './expand';
import { gemmGradient } from './gemm';
import { hardSigmoidGradient } from './hardSigmoid';
import { hardSwishGradient } from './hardSwish';
import { leakyReluGradient } from './leakyRelu';
import { logGradient } from './log';
import { logSoftmaxGradient } from './logSoftmax';
import { matMulGradient } from './matMul';
import { maxGradient } from './max';
import { meanGradient } from './mean';
import { minGradient } from './min';
import { mulGradient } from './mul';
import { negGradient } from './neg';
import { powGradient } from './pow';
import { pReluGradient } from './pRelu';
import { reciprocalGradient } from './reciprocal';
import { seluGradient } from './selu';
import { sigmoidGradient } from './sigmoid';
import { softmaxGradient } from './softmax';
import { softplusGradient } from './softplus';
import { sqrtGradient } from './sqrt';
import { subGradient } from './sub';
import { sumGradient } from './sum';
import { tanhGradient } from './tanh';
import { tileGradient } from './tile';
import { whereGradient } from './where';

export const ELEMENTWISE_GRADIENTS: OpGradient[] = [
  // dense
  gemmGradient, matMulGradient,
  // arithmetic
  subGradient, mulGradient, divGradient, powGradient, sqrtGradient, expGradient, logGradient, negGradient,
  absGradient, erfGradient, reciprocalGradient, sumGradient, maxGradient, minGradient, meanGradient,
  // activations
  leakyReluGradient, pReluGradient, eluGradient, seluGradient, sigmoidGradient, hardSigmoidGradient,
  hardSwishGradient, tanhGradient, softplusGradient, clipGradient, softmaxGradient, logSoftmaxGradient,
  // type and shape plumbing
  castGradient, castLikeGradient, dropoutGradient, whereGradient, expandGradient, tileGradient,
];
