/**
 * Gradient modules grouped by family; registry.ts joins these explicit lists. Each module is one file
 * named after its op.
 */
import type { OpGradient } from '../types';
import { identityGradient } from './identity';
import { reluGradient } from './relu';
import { addGradient } from './add';

export const CORE_GRADIENTS: OpGradient[] = [identityGradient, reluGradient, addGradient];
