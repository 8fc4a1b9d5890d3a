/**
 * Attack names → factories, the white-box set, and the standard suite. Flags shared across attacks (--eps,
 * --steps, …) reach each attack only as the parameters it has.
 */
import { EngineError } from '../errors';
import { createCarliniWagner } from './carliniWagner';
import { createDeepFool } from './deepFool';
import { createFgm } from './fgm';
import { createFgsm } from './fgsm';
import { createPgd } from './pgd';
import { createSimba } from './simba';
import type { Attack } from './types';

export const ATTACK_NAMES = ['fgsm', 'fgm', 'pgd', 'deepfool', 'cw', 'simba'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export interface AttackSpec {
  name: AttackName;
  params: Record<string, unknown>;
}

/** Keeps the parameters an attack has (renaming shared names where the attack uses its own). */
function pick(params: Record<string, unknown>, keys: string[], rename: Record<string, string> = {}): Record<string, never> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    const key = rename[k] ?? k;
    if (keys.includes(key) && v !== undefined) out[key] = v;
  }
  return out as Record<string, never>;
}

const FACTORIES: Record<AttackName, (params: Record<string, unknown>) => Attack> = {
  fgsm: (p) => createFgsm(pick(p, ['eps', 'mode', 'gridSize'])),
  fgm: (p) => createFgm(pick(p, ['eps', 'mode', 'gridSize'])),
  pgd: (p) => createPgd(pick(p, ['norm', 'eps', 'alpha', 'steps', 'randomStart', 'restarts', 'earlyStop', 'mode', 'searchSteps'])),
  deepfool: (p) => createDeepFool(pick(p, ['norm', 'steps', 'overshoot', 'candidates'])),
  cw: (p) => createCarliniWagner(pick(p, ['c', 'kappa', 'steps', 'searchSteps', 'lr', 'abortEarly'])),
  simba: (p) => createSimba(pick(p, ['basis', 'epsilon', 'maxQueries', 'linf', 'freqFraction'], { eps: 'epsilon' })),
};

/** Attacks that need the model's input gradient. */
export const WHITE_BOX = new Set<AttackName>(['fgsm', 'fgm', 'pgd', 'deepfool', 'cw']);

export function createAttack(spec: AttackSpec): Attack {
  const factory = FACTORIES[spec.name];
  if (!factory) throw new EngineError('USAGE', `unknown attack "${String(spec.name)}" (attacks: ${ATTACK_NAMES.join(', ')})`);
  return factory(spec.params);
}

export function isAttackName(name: string): name is AttackName {
  return (ATTACK_NAMES as readonly string[]).includes(name);
}

/** The standard suite: the literature's default settings of each attack. */
export function standardSuite(): AttackSpec[] {
  return [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { norm: 'linf' } },
    { name: 'pgd', params: { norm: 'l2' } },
    { name: 'deepfool', params: {} },
    { name: 'cw', params: {} },
    { name: 'simba', params: { basis: 'dct' } },
  ];
}
