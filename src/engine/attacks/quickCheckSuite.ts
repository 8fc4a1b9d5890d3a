/**
 * The Quick Attack Check's suite: FGSM and APGD-CE-10 L∞ at ε = 8/255. APGD-CE (Auto-PGD on the cross-entropy)
 * replaced PGD-10: at the same cost (10 gradient steps, the same ε) its step-size schedule and momentum find
 * at least as many adversarial examples, usually more, so the check's robust accuracy is a tighter bound.
 * Reports of the earlier suite (FGSM + PGD-10) are still recognised as quick checks (LEGACY_QUICK_CHECK_SUITE). Defined once
 * here so the extension's Quick Attack Check and the CLI's `check` (its default suite) attack alike, and so
 * that every place that names the check (the panel's title, the Runs view, the status bar, notifications)
 * names it the same way, from the suite itself.
 */
import { attackDefaults, attackNorm, attackRecord, formatParamValue, type AttackSpec } from './catalog';

export function quickCheckSuite(): AttackSpec[] {
  return [
    { name: 'fgsm', params: {} },
    { name: 'apgd-ce', params: { norm: 'linf', steps: 10 } },
  ];
}

/** The check's suite before APGD-CE replaced PGD-10: its reports are quick checks too, titled by their own suite. */
export function legacyQuickCheckSuite(): AttackSpec[] {
  return [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { norm: 'linf', steps: 10 } },
  ];
}

/** One line for tooltips and help: why the check's attack is APGD-CE. */
export const QUICK_CHECK_ATTACK_NOTE =
  'The check attacks with APGD-CE (Auto-PGD, Croce & Hein 2020): at the same cost as PGD-10 (10 gradient steps, ε = 8/255) it is the stronger attack, so its robust accuracy is lower or equal. Before, the check used PGD-10; those checks are a separate series.';

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

/** A suite's attacks in words, "FGSM, APGD-CE-10 L∞": what a quick-check series is named by. */
export function suiteWords(suite: AttackSpec[]): string {
  return suite.map(attackWords).join(', ');
}

/** The check's title with its suite: "Quick Attack Check (FGSM, APGD-CE-10 L∞ at ε = 8/255)". */
export function quickCheckTitle(suite: AttackSpec[] = quickCheckSuite()): string {
  const eps = [
    ...new Set(suite.map((s) => formatParamValue({ ...attackDefaults(s.name, attackNorm(s.name, s.params)), ...s.params }.eps))),
  ];
  return `${QUICK_CHECK_NAME} (${suiteWords(suite)} at ε = ${eps.join(' / ')})`;
}

type ReportLike = { command: string; sections: Record<string, unknown> };

/**
 * The quick-check suite an attack report ran exactly (the extension's check, or the CLI's `check --suite
 * quick`): the current one or the legacy PGD-10 one, each attack with its parameters and default ε and
 * nothing else; null for any other report.
 */
export function quickCheckSuiteOf(report: ReportLike): AttackSpec[] | null {
  for (const suite of [quickCheckSuite(), legacyQuickCheckSuite()]) if (ranSuite(report, suite)) return suite;
  return null;
}

/** Whether an attack report is a quick check (of the current suite or the legacy one). */
export function isQuickCheck(report: ReportLike): boolean {
  return quickCheckSuiteOf(report) !== null;
}

function ranSuite(report: ReportLike, suite: AttackSpec[]): boolean {
  if (report.command !== 'attack') return false;
  const runs = (report.sections.attacks as { runs?: { mode?: unknown; params?: Record<string, unknown> }[] } | undefined)?.runs;
  if (!Array.isArray(runs) || runs.length !== suite.length) return false;
  return suite.every((spec) => {
    const want = { ...attackDefaults(spec.name, attackNorm(spec.name, spec.params)), ...spec.params };
    return runs.some(
      (r) =>
        r.params?.attack === spec.name &&
        (r.params.mode ?? r.mode) === 'fixed-eps' &&
        Object.keys(spec.params).every((k) => r.params?.[k] === want[k]) &&
        typeof r.params.eps === 'number' &&
        Math.abs(r.params.eps - (want.eps as number)) < 1e-9,
    );
  });
}
