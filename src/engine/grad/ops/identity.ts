import type { OpGradient } from '../types';

/** Identity: dx = dy. */
export const identityGradient: OpGradient = {
  opType: 'Identity',
  gradient: ({ dy }) => [dy[0]],
};
