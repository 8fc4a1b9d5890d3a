/**
 * AutoAttack as an ensemble (Croce & Hein, ICML 2020, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks"; the authors' autoattack.py): its attacks run as a worst-case
 * cascade — each only on the images every earlier attack left robust — so an image counts as robust only when
 * all of them failed, and the report names the attack that broke each image.
 *   standard: APGD-CE, APGD-T (9 targets), FAB-T (9 targets, an example counted when its norm is ≤ ε), Square
 *             (5,000 queries), one restart each.
 *   rand:     APGD-CE and APGD-DLR with EOT over 20 gradient calls per step, for randomized defences. On a
 *             deterministic model the 20 calls return the same gradient (20× the cost, the same steps).
 * Pure data and functions (the CLI and the protocol import it).
 */
import type { AttackSpec } from './catalog';
import type { Norm } from './types';

export const ENSEMBLE_VERSIONS = ['standard', 'rand'] as const;
export type EnsembleVersion = (typeof ENSEMBLE_VERSIONS)[number];

/** AutoAttack's defaults: L∞ ε 8/255, L2 ε 0.5. */
export const AUTOATTACK_EPS: Readonly<Record<Norm, number>> = { linf: 8 / 255, l2: 0.5 };
/** AutoAttack rand's EOT samples per step. */
export const AUTOATTACK_EOT = 20;

/** The attacks of an AutoAttack version, in cascade order, at the given norm and ε. */
export function autoAttackSuite(version: EnsembleVersion, norm: Norm, eps: number = AUTOATTACK_EPS[norm]): AttackSpec[] {
  if (version === 'rand')
    return [
      { name: 'apgd-ce', params: { norm, eps, eot: AUTOATTACK_EOT } },
      { name: 'apgd-dlr', params: { norm, eps, eot: AUTOATTACK_EOT } },
    ];
  return [
    { name: 'apgd-ce', params: { norm, eps } },
    { name: 'apgd-t', params: { norm, eps } },
    { name: 'fab-t', params: { norm, eps } },
    { name: 'square', params: { norm, eps, maxQueries: 5000 } },
  ];
}

/** What the report says about a version's departures from the authors' ensemble. */
export function ensembleNotes(version: EnsembleVersion): string[] {
  const common = [
    "in analyse, `--adaptive autoattack` runs this ensemble (at 10 APGD steps and 1,000 Square queries) as each defence's adaptive attack",
  ];
  if (version === 'rand')
    return [
      `EOT over ${AUTOATTACK_EOT} gradient calls per step: on a deterministic model every call returns the same gradient, so it only repeats the work; it matters for randomized defences`,
      ...common,
    ];
  return common;
}

/** One attack of the cascade, over the images it ran on. */
export interface EnsembleAttackRow {
  label: string;
  /** Images it ran on: correctly classified and not broken by an earlier attack. */
  ranOn: number;
  /** Of those, the images it broke. */
  broke: number;
  /** Robust images after it (cumulative: all attacks up to it failed), and that as a fraction of the evaluated images. */
  robustAfter: number;
  robustAccuracyAfter: number;
  /** Whether it finished on every image (a cancel can stop the cascade part way through a batch). */
  finished: boolean;
  seconds: number;
}

export interface EnsembleImage {
  relPath: string;
  label: number;
  /** Correct under the criterion on the clean image (else not attacked). */
  cleanCorrect: boolean;
  /** Index into `attacks` of the attack that broke it; null: none did (robust, or not attacked). */
  brokenBy: number | null;
  /** How many attacks of the cascade finished on its batch (all of them unless cancelled). */
  attacksRun: number;
}

export interface EnsembleSection {
  name: 'autoattack';
  version: EnsembleVersion;
  norm: Norm;
  eps: number;
  evaluated: number;
  cleanCorrect: number;
  cleanAccuracy: number;
  /** Images no attack broke: the ensemble's robust accuracy (an upper bound while `complete` is false). */
  robustCorrect: number;
  robustAccuracy: number;
  /** Every attack finished on every image. */
  complete: boolean;
  attacks: EnsembleAttackRow[];
  images: EnsembleImage[];
  notes: string[];
}

/** The ensemble's figures from its per-image records; `seconds` per attack. */
export function summariseEnsemble(
  meta: { version: EnsembleVersion; norm: Norm; eps: number; labels: string[]; seconds: number[] },
  images: EnsembleImage[],
): EnsembleSection {
  const n = images.length;
  const cleanCorrect = images.filter((m) => m.cleanCorrect).length;
  const survives = (m: EnsembleImage, a: number) => m.cleanCorrect && (m.brokenBy === null || m.brokenBy > a);
  const attacks = meta.labels.map((label, a): EnsembleAttackRow => {
    const robustAfter = images.filter((m) => survives(m, a)).length;
    return {
      label,
      ranOn: images.filter((m) => m.cleanCorrect && m.attacksRun > a && (m.brokenBy === null || m.brokenBy >= a)).length,
      broke: images.filter((m) => m.brokenBy === a).length,
      robustAfter,
      robustAccuracyAfter: n ? robustAfter / n : 0,
      finished: images.every((m) => !m.cleanCorrect || m.attacksRun > a || (m.brokenBy !== null && m.brokenBy < a)),
      seconds: meta.seconds[a] ?? 0,
    };
  });
  const robustCorrect = images.filter((m) => m.cleanCorrect && m.brokenBy === null).length;
  return {
    name: 'autoattack',
    version: meta.version,
    norm: meta.norm,
    eps: meta.eps,
    evaluated: n,
    cleanCorrect,
    cleanAccuracy: n ? cleanCorrect / n : 0,
    robustCorrect,
    robustAccuracy: n ? robustCorrect / n : 0,
    complete: attacks.every((r) => r.finished),
    attacks,
    images,
    notes: ensembleNotes(meta.version),
  };
}
