/**
 * The Quick Attack Check's suite: FGSM and PGD-10 L∞ at their literature defaults (ε = 8/255). Defined once
 * here so the extension's Quick Attack Check and the CLI's `check` (its default suite) attack alike, and so
 * that every place that names the check (the panel's title, the Runs view, the status bar, notifications)
 * names it the same way, from the suite itself.
 */
import { attackDefaults, attackNorm, attackRecord, formatParamValue, type AttackSpec } from './catalog';

export function quickCheckSuite(): AttackSpec[] {
  return [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { norm: 'linf', steps: 10 } },
  ];
}

/** What the check is called in the command palette and everywhere it is named. */
export const QUICK_CHECK_NAME = 'Quick Attack Check';

/** One attack of the suite in words: "FGSM", "PGD-10 L∞". */
function attackWords(spec: AttackSpec): string {
  const record = attackRecord(spec.name);
  const params = { ...attackDefaults(spec.name, attackNorm(spec.name, spec.params)), ...spec.params };
  const steps = typeof params.steps === 'number' ? `-${params.steps}` : '';
  const norm = record.norms.length > 1 ? ` ${params.norm === 'l2' ? 'L2' : 'L∞'}` : '';
  return `${record.title}${steps}${norm}`;
}

/** The check's title with its suite: "Quick Attack Check (FGSM, PGD-10 L∞ at ε = 8/255)". */
export function quickCheckTitle(): string {
  const suite = quickCheckSuite();
  const eps = [
    ...new Set(suite.map((s) => formatParamValue({ ...attackDefaults(s.name, attackNorm(s.name, s.params)), ...s.params }.eps))),
  ];
  return `${QUICK_CHECK_NAME} (${suite.map(attackWords).join(', ')} at ε = ${eps.join(' / ')})`;
}

/**
 * Whether an attack report ran exactly the quick check's suite (the extension's check, or the CLI's
 * `check --suite quick`): each attack of the suite with its parameters and default ε, and nothing else.
 */
export function isQuickCheck(report: { command: string; sections: Record<string, unknown> }): boolean {
  if (report.command !== 'attack') return false;
  const runs = (report.sections.attacks as { runs?: { params?: Record<string, unknown> }[] } | undefined)?.runs;
  const suite = quickCheckSuite();
  if (!Array.isArray(runs) || runs.length !== suite.length) return false;
  return suite.every((spec) => {
    const want = { ...attackDefaults(spec.name, attackNorm(spec.name, spec.params)), ...spec.params };
    return runs.some(
      (r) =>
        r.params?.attack === spec.name &&
        r.params.mode === 'fixed-eps' &&
        Object.keys(spec.params).every((k) => r.params?.[k] === want[k]) &&
        typeof r.params.eps === 'number' &&
        Math.abs(r.params.eps - (want.eps as number)) < 1e-9,
    );
  });
}
