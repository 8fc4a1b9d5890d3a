/**
 * The robustness-curves section of a run: the fixed-ε attacks of a suite expanded over an ε list (a suite of
 * their own, run on the same batches), and the section built from both suites' per-image records.
 */
import { attackNorm, validateAttackSpec, type AttackSpec } from '../attacks/catalog';
import { EngineError } from '../errors';
import {
  labelWithoutEpsilon,
  robustnessCurves,
  type DerivedRun,
  type MeasuredRun,
  type RobustnessCurvesSection,
} from '../attacks/robustnessCurves';
import type { Criterion } from '../attacks/types';
import type { AttackSuite } from './attackSuite';

/** Where each spec of the ε-list suite belongs: its curve and ε. */
export interface EpsListEntry {
  label: string;
  attack: string;
  norm: 'linf' | 'l2';
  eps: number;
}

/**
 * Each fixed-ε attack of the suite at each ε of the list (its own ε is measured by the suite already and is not
 * run again). An ε the attack does not accept (an L∞ ε above 1) is a usage error naming both.
 */
export function epsListSpecs(suite: AttackSuite, epsList: readonly number[]): { specs: AttackSpec[]; entries: EpsListEntry[] } {
  const specs: AttackSpec[] = [];
  const entries: EpsListEntry[] = [];
  suite.attacks.forEach((attack, a) => {
    const own = attack.params.eps;
    if (attack.mode !== 'fixed-eps' || typeof own !== 'number') return;
    const spec = suite.options.attacks[a];
    const norm = attackNorm(spec.name, attack.params);
    for (const eps of epsList) {
      if (Math.abs(eps - own) <= 1e-12) continue;
      const next: AttackSpec = { name: spec.name, params: { ...spec.params, eps } };
      const why = validateAttackSpec(next);
      if (why !== null) throw new EngineError('USAGE', `--eps-list: ${attack.label} cannot run at ε = ${eps}: ${why}`);
      specs.push(next);
      entries.push({ label: labelWithoutEpsilon(attack.label), attack: spec.name, norm, eps });
    }
  });
  return { specs, entries };
}

/**
 * The section: derived curves of the suite's minimal-ε / minimal-perturbation attacks, measured curves of its
 * fixed-ε attacks (their own ε plus the ε-list suite's runs). Null when there is no curve to draw.
 */
export function curvesSection(
  suite: AttackSuite,
  criterion: Criterion,
  epsList: readonly number[],
  expanded: { suite: AttackSuite; entries: EpsListEntry[] } | null,
): RobustnessCurvesSection | null {
  const summaries = suite.summaries();
  const derived: DerivedRun[] = [];
  const measured: MeasuredRun[] = [];
  suite.attacks.forEach((attack, a) => {
    const name = suite.options.attacks[a].name;
    const norm = attackNorm(name, attack.params);
    if (attack.mode === 'minimal-eps' || attack.mode === 'minimal-perturbation') {
      const budget = attack.mode === 'minimal-eps' && typeof attack.params.eps === 'number' ? attack.params.eps : null;
      derived.push({ label: attack.label, attack: name, mode: attack.mode, norm, budget, outcomes: suite.outcomesOf(a) });
    } else if (expanded && attack.mode === 'fixed-eps' && typeof attack.params.eps === 'number') {
      measured.push({ label: labelWithoutEpsilon(attack.label), attack: name, norm, eps: attack.params.eps, summary: summaries[a] });
    }
  });
  if (expanded) {
    const runs = expanded.suite.summaries();
    expanded.entries.forEach((e, k) => measured.push({ ...e, summary: runs[k] }));
  }
  if (derived.length === 0 && measured.length === 0) return null;
  const evaluated = summaries[0]?.evaluated ?? 0;
  return robustnessCurves({ criterion, evaluated, epsList, derived, measured });
}
