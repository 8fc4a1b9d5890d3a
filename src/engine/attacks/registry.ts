/**
 * Attack names → factories. Everything else about an attack (parameters, defaults, ranges, norms, the
 * white-box set, the standard suite) is its record in catalog.ts; this module adds the one thing the
 * catalog must not import: the implementations (onnxruntime and WebAssembly behind them).
 */
import { createApgdCe, createApgdDlr, createApgdT } from './apgd';
import { attackRecord, validateAttackParams, type AttackName, type AttackSpec } from './catalog';
import { createCarliniWagner } from './carliniWagner';
import { createDeepFool } from './deepFool';
import { createFabT } from './fab';
import { createFgm } from './fgm';
import { createFgsm } from './fgsm';
import { createPgd } from './pgd';
import { createSimba } from './simba';
import { createSquare } from './square';
import type { Attack } from './types';

export { ATTACK_NAMES, WHITE_BOX, isAttackName, standardSuite, type AttackName, type AttackSpec } from './catalog';

/** One line per attack; the parameters reaching a factory have been checked against its record. */
const FACTORIES: Record<AttackName, (params: Record<string, never>) => Attack> = {
  fgsm: createFgsm,
  fgm: createFgm,
  pgd: createPgd,
  deepfool: createDeepFool,
  cw: createCarliniWagner,
  simba: createSimba,
  'apgd-ce': createApgdCe,
  'apgd-t': createApgdT,
  'apgd-dlr': createApgdDlr,
  'fab-t': createFabT,
  square: createSquare,
};

/** Options of a factory that are not catalog parameters (the user never sets them; engine stages do). */
export interface InternalAttackOptions {
  /** APGD: keep every image for every step (a randomized model whose gradient source already averages draws). */
  keepBroken?: boolean;
}

/**
 * Validates the spec's parameters against the attack's record (USAGE error naming the parameter), then builds
 * it; `internal` options reach the factory after the validation.
 */
export function createAttack(spec: AttackSpec, internal: InternalAttackOptions = {}): Attack {
  const record = attackRecord(spec.name);
  const params = validateAttackParams(record.name, spec.params ?? {});
  return FACTORIES[record.name]({ ...params, ...internal } as Record<string, never>);
}
