/** Attack names → factories, the white-box set, and the standard suite. */
import { EngineError } from '../errors';
import { createFgm } from './fgm';
import { createFgsm } from './fgsm';
import { createPgd } from './pgd';
import type { Attack } from './types';

export const ATTACK_NAMES = ['fgsm', 'fgm', 'pgd'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export interface AttackSpec {
  name: AttackName;
  params: Record<string, unknown>;
}

const FACTORIES: Record<AttackName, (params: Record<string, unknown>) => Attack> = {
  fgsm: (p) => createFgsm(p),
  fgm: (p) => createFgm(p),
  pgd: (p) => createPgd(p),
};

/** Attacks that need the model's input gradient. */
export const WHITE_BOX = new Set<AttackName>(['fgsm', 'fgm', 'pgd']);

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
  ];
}
