/** Gradient modules of the spatial family (one file per op), in one explicit list. */
import type { OpGradient } from '../types';
import { averagePoolGradient } from './averagePool';
import { convGradient } from './conv';
import { convTransposeGradient } from './convTranspose';
import { globalAveragePoolGradient } from './globalAveragePool';
import { globalMaxPoolGradient } from './globalMaxPool';
import { maxPoolGradient } from './maxPool';
import { padGradient } from './pad';
import { resizeGradient } from './resize';

export const SPATIAL_GRADIENTS: OpGradient[] = [
  convGradient, convTransposeGradient, maxPoolGradient, averagePoolGradient, globalAveragePoolGradient, globalMaxPoolGradient,
  padGradient, resizeGradient,
];
