/** Gradient modules of the structural family (one file per op), in one explicit list. */
import type { OpGradient } from '../types';
import { batchNormalizationGradient } from './batchNormalization';
import { concatGradient } from './concat';
import { flattenGradient } from './flatten';
import { gatherGradient } from './gather';
import { gatherElementsGradient } from './gatherElements';
import { instanceNormalizationGradient } from './instanceNormalization';
import { layerNormalizationGradient } from './layerNormalization';
import { reduceL2Gradient } from './reduceL2';
import { reduceLogSumExpGradient } from './reduceLogSumExp';
import { reduceMaxGradient } from './reduceMax';
import { reduceMeanGradient } from './reduceMean';
import { reduceSumGradient } from './reduceSum';
import { reduceSumSquareGradient } from './reduceSumSquare';
import { reshapeGradient } from './reshape';
import { sliceGradient } from './slice';
import { splitGradient } from './split';
import { squeezeGradient } from './squeeze';
import { transposeGradient } from './transpose';
import { unsqueezeGradient } from './unsqueeze';

export const STRUCTURAL_GRADIENTS: OpGradient[] = [
  batchNormalizationGradient, instanceNormalizationGradient, layerNormalizationGradient,
  flattenGradient, reshapeGradient, transposeGradient, squeezeGradient, unsqueezeGradient,
  concatGradient, splitGradient, sliceGradient, gatherGradient, gatherElementsGradient,
  reduceMeanGradient, reduceSumGradient, reduceMaxGradient, reduceL2Gradient, reduceSumSquareGradient, reduceLogSumExpGradient,
];
