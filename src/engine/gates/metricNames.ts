/**
 * Gate metric names. Each attack run is named by its catalog name (`attack.fgsm`, `attack.pgd`); when a suite
 * runs the same attack more than once, by the catalog name and its norm (`attack.pgd-linf`, `attack.pgd-l2`)
 * if the norms tell the runs apart, else by the catalog name and its place among them (`attack.pgd-1`, `-2`).
 * Each run has `.top1` and `.top5` (attacked accuracy) and `.success` (success rate); `clean.top1` and
 * `clean.top5` are the clean accuracy; `vs-baseline.<metric>` is the current value minus the baseline's.
 */
import { attackNorm } from '../attacks/catalog';

/** What a run's name is derived from: its catalog name and parameters. */
export interface RunIdentity {
  attack: string;
  params: Record<string, unknown>;
}

export const BASELINE_PREFIX = 'vs-baseline.';
export const CLEAN_METRICS = ['clean.top1', 'clean.top5'] as const;
export const RUN_METRIC_SUFFIXES = ['top1', 'top5', 'success'] as const;

/** The gate name of each run, in suite order (see the module comment for the rule). */
export function runNames(runs: readonly RunIdentity[]): string[] {
  return runs.map((run, k) => {
    const same = runs.filter((r) => r.attack === run.attack);
    if (same.length === 1) return run.attack;
    const norms = same.map((r) => attackNorm(r.attack, r.params));
    if (new Set(norms).size === same.length) return `${run.attack}-${attackNorm(run.attack, run.params)}`;
    return `${run.attack}-${runs.slice(0, k + 1).filter((r) => r.attack === run.attack).length}`;
  });
}

/** Every metric name a suite of these runs reports, clean first. */
export function metricNamesFor(runs: readonly RunIdentity[]): string[] {
  return [...CLEAN_METRICS, ...runNames(runs).flatMap((n) => RUN_METRIC_SUFFIXES.map((s) => `attack.${n}.${s}`))];
}
