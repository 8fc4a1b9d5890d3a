/**
 * Report invariants: what every report's numbers must satisfy whatever the model — counts never exceed their
 * denominators, every rate is its counts' ratio, and a quantity shown in two sections is the same number in
 * both. Checked at the end of every job (buildReport), where a violation becomes a report warning: a reader
 * is told, and the run still ends with its report.
 */
import type { AttackRunSummary } from '../attacks/protocol';
import type { CleanSection, ReportSections } from './schema';
import type { Accuracy, DefenceRow, DefencesSection, Map2D, PerImageSection, RctSection, SpectraSection, SweepsSection } from './sections';

/** Two ways of computing one fraction agree up to float rounding. */
const TOLERANCE = 1e-9;

/** The violated invariants of a report's sections, one sentence each (empty: every invariant holds). */
export function checkReportInvariants(report: { sections: ReportSections }): string[] {
  const s = report.sections;
  const out: string[] = [];
  if (s.clean) checkClean(s.clean, out);
  const runs = (s.attacks as { runs?: AttackRunSummary[] } | undefined)?.runs ?? [];
  runs.forEach((run) => checkAttackRun(run, out));
  // Clean accuracy is one figure: the verdict shows the clean evaluation's beside an attack run's own, so on
  // the same images (a whole run evaluates every sampled image in each pass) they must be the same count.
  if (s.clean)
    for (const run of runs)
      if (run.evaluated === s.clean.evaluated && run.clean.top1Correct !== s.clean.top1Correct)
        out.push(
          `attack ${run.label}: ${run.clean.top1Correct} of ${run.evaluated} images correct clean, but the clean evaluation of the same ${s.clean.evaluated} images counts ${s.clean.top1Correct}`,
        );
  const byLabel = new Map(runs.map((r) => [r.label, r]));
  const defences = s.defences as DefencesSection | undefined;
  for (const result of defences?.results ?? [])
    for (const row of result.rows) checkDefenceRow(`${result.defence.kind} × ${row.attack.label}`, row, byLabel.get(row.attack.label), out);
  for (const sweep of (s.sweeps as SweepsSection | undefined)?.sweeps ?? [])
    for (const series of sweep.series) {
      const where = `sweep "${sweep.title}", series "${series.name}"`;
      if (series.y.length !== sweep.x.length) out.push(`${where}: ${series.y.length} values for ${sweep.x.length} x values`);
      series.y.forEach((y, i) => {
        if (y !== null && !isFraction(y)) out.push(`${where}: value ${y} at x = ${sweep.x[i]} is not in [0, 1]`);
      });
    }
  for (const m of (s.rct as RctSection | undefined)?.maps ?? [])
    checkExamplesMap(`RCT map of ${m.attack}`, m.count, byLabel.get(m.attack), m.map, out);
  for (const e of (s.spectra as SpectraSection | undefined)?.entries ?? []) {
    checkExamplesMap(`spectrum of ${e.attack}`, e.count, byLabel.get(e.attack), e.perturbationSpectrum, out);
    checkMap(`spectrum of ${e.attack} (log difference)`, e.logSpectrumDifference, out);
    for (const [name, v] of [
      ['perturbation', e.lowFrequencyEnergyPerturbation],
      ['images', e.lowFrequencyEnergyImages],
    ] as const)
      if (!isFraction(v)) out.push(`spectrum of ${e.attack}: low-frequency energy of the ${name} ${v} is not in [0, 1]`);
  }
  for (const section of Object.values(s))
    if ((section as { kind?: unknown } | null)?.kind === 'per-image')
      checkPerImage(section as PerImageSection, byLabel, defences, s.clean, out);
  return out;
}

function checkClean(c: CleanSection, out: string[]): void {
  const where = 'clean evaluation';
  checkCount(where, 'top-1 correct', c.top1Correct, c.evaluated, out);
  checkCount(where, 'top-5 correct', c.top5Correct, c.evaluated, out);
  if (c.top1Correct > c.top5Correct) out.push(`${where}: top-1 correct ${c.top1Correct} exceeds top-5 correct ${c.top5Correct}`);
  checkRatio(where, 'top-1 accuracy', c.top1Accuracy, c.top1Correct, c.evaluated, out);
  checkRatio(where, 'top-5 accuracy', c.top5Accuracy, c.top5Correct, c.evaluated, out);
  const total = c.perClass.reduce((sum, k) => sum + k.total, 0);
  const correct = c.perClass.reduce((sum, k) => sum + k.correct, 0);
  if (total !== c.evaluated) out.push(`${where}: per-class totals sum to ${total}, not the ${c.evaluated} evaluated`);
  if (correct !== c.top1Correct) out.push(`${where}: per-class correct counts sum to ${correct}, not top-1 correct ${c.top1Correct}`);
  for (const k of c.perClass) checkCount(where, `class "${k.className}" correct`, k.correct, k.total, out);
}

function checkAttackRun(run: AttackRunSummary, out: string[]): void {
  const where = `attack ${run.label}`;
  checkCount(where, '#Adv', run.numAdversarial, run.attackedImages, out);
  checkCount(where, 'attacked images', run.attackedImages, run.evaluated, out);
  const cleanCorrect = run.criterion === 'top5' ? run.clean.top5Correct : run.clean.top1Correct;
  checkCount(where, 'attacked images', run.attackedImages, cleanCorrect, out, `the ${cleanCorrect} classified correctly`);
  const rate = run.attackedImages ? run.numAdversarial / run.attackedImages : 0;
  if (Math.abs(run.successRate - rate) > TOLERANCE)
    out.push(`${where}: success rate ${run.successRate} is not #Adv ÷ attacked images = ${run.numAdversarial}/${run.attackedImages}`);
  for (const [set, acc] of [
    ['clean', run.clean],
    ['attacked', run.attacked],
  ] as const) {
    checkCount(where, `${set} top-1 correct`, acc.top1Correct, run.evaluated, out);
    checkCount(where, `${set} top-5 correct`, acc.top5Correct, run.evaluated, out);
    checkRatio(where, `${set} top-1 accuracy`, acc.top1Accuracy, acc.top1Correct, run.evaluated, out);
    checkRatio(where, `${set} top-5 accuracy`, acc.top5Accuracy, acc.top5Correct, run.evaluated, out);
  }
}

function checkDefenceRow(where: string, row: DefenceRow, run: AttackRunSummary | undefined, out: string[]): void {
  checkCount(where, '#Adv', row.numAdversarial, row.evaluated, out);
  if (run && run.numAdversarial !== row.numAdversarial)
    out.push(`${where}: #Adv ${row.numAdversarial} differs from the attacks section's ${run.numAdversarial} for the same attack`);
  if (run && run.evaluated !== row.evaluated)
    out.push(`${where}: ${row.evaluated} evaluated images differ from the attacks section's ${run.evaluated}`);
  for (const [name, acc] of [
    ['original clean', row.original.clean],
    ['original attacked', row.original.attacked],
    ['defended clean', row.defended.clean],
    ['defended attacked', row.defended.attacked],
  ] as const)
    checkAccuracy(where, name, acc, out);
  checkRate(where, 'defence rate', row.defenceRate, row.numAdversarial, out);
  const a = row.adaptive;
  if (!a) return;
  checkCount(where, 'adaptive examples', a.images, row.numAdversarial, out, `#Adv ${row.numAdversarial}`);
  checkRate(where, 'adaptive defence rate', a.defenceRate, a.images, out);
  checkRate(where, 'non-adaptive rate on the adaptive examples', a.nonAdaptiveDefenceRate, a.images, out);
  checkAccuracy(where, 'adaptive attacked', a.attacked, out);
  // The adaptive attacker keeps whichever example fools the defence: it can only lower the rate.
  if (a.defenceRate !== null && a.nonAdaptiveDefenceRate !== null && a.defenceRate > a.nonAdaptiveDefenceRate + TOLERANCE)
    out.push(`${where}: adaptive defence rate ${a.defenceRate} exceeds the non-adaptive ${a.nonAdaptiveDefenceRate} on the same examples`);
  // On all of #Adv, the non-adaptive rate on the adaptive examples is the row's defence rate: one number.
  if (
    a.images === row.numAdversarial &&
    a.nonAdaptiveDefenceRate !== null &&
    row.defenceRate !== null &&
    Math.abs(a.nonAdaptiveDefenceRate - row.defenceRate) > TOLERANCE
  )
    out.push(
      `${where}: two non-adaptive defence rates on the same ${a.images} examples (${row.defenceRate} and ${a.nonAdaptiveDefenceRate})`,
    );
}

/** A map averaged over an attack's successful examples: at most its #Adv of them. */
function checkExamplesMap(where: string, count: number, run: AttackRunSummary | undefined, map: Map2D, out: string[]): void {
  if (run) checkCount(where, 'examples', count, run.numAdversarial, out, `the attack's #Adv ${run.numAdversarial}`);
  checkMap(where, map, out);
}

function checkMap(where: string, map: Map2D, out: string[]): void {
  if (map.values.length !== map.height * map.width)
    out.push(`${where}: ${map.values.length} values for a ${map.height} × ${map.width} map`);
}

function checkCount(where: string, name: string, count: number, denominator: number, out: string[], of = `${denominator}`): void {
  if (!Number.isInteger(count) || count < 0) out.push(`${where}: ${name} ${count} is not a count`);
  else if (count > denominator) out.push(`${where}: ${name} ${count} exceeds ${of}`);
}

function checkRatio(where: string, name: string, value: number, count: number, denominator: number, out: string[]): void {
  const expected = denominator ? count / denominator : 0;
  if (Math.abs(value - expected) > TOLERANCE) out.push(`${where}: ${name} ${value} is not ${count}/${denominator}`);
}

function checkAccuracy(where: string, name: string, acc: Accuracy, out: string[]): void {
  if (!isFraction(acc.top1) || !isFraction(acc.top5)) out.push(`${where}: ${name} accuracy ${acc.top1} / ${acc.top5} is not in [0, 1]`);
}

/** A rate over `denominator` examples: null exactly when there are none, else in [0, 1]. */
function checkRate(where: string, name: string, rate: number | null, denominator: number, out: string[]): void {
  if (rate === null) {
    if (denominator > 0) out.push(`${where}: ${name} missing although there are ${denominator} examples`);
  } else if (!isFraction(rate)) out.push(`${where}: ${name} ${rate} is not in [0, 1]`);
  else if (denominator === 0) out.push(`${where}: ${name} ${rate} over no examples`);
}

function isFraction(v: number): boolean {
  return Number.isFinite(v) && v >= 0 && v <= 1;
}

/**
 * The per-image table and the sections it details count the same images: per attack, its broken and attacked
 * rows are the attacks section's #Adv and attacked images; per defence and attack, its verdicts are the
 * defences section's #Adv and rescued examples; its clean predictions are the clean section's.
 */
function checkPerImage(
  t: PerImageSection,
  runs: Map<string, AttackRunSummary>,
  defences: DefencesSection | undefined,
  clean: CleanSection | undefined,
  out: string[],
): void {
  const rows = t.images.relPath.length;
  const where = 'per-image table';
  for (const [name, column] of Object.entries(t.images))
    if (column.length !== rows) out.push(`${where}: ${column.length} values of images.${name} for ${rows} images`);
  for (const a of t.attacks) {
    const at = `${where}, ${a.attack}`;
    for (const name of ['outcome', 'adversarialPrediction', 'l2', 'linf', 'queries', 'epsilon'] as const) {
      const column = a[name];
      if (column && column.length !== rows) out.push(`${at}: ${column.length} values of ${name} for ${rows} images`);
    }
    const run = runs.get(a.attack);
    if (!run) {
      out.push(`${at}: no attack of that label in the attacks section`);
      continue;
    }
    const broken = a.outcome.filter((o) => o === 2).length;
    const attacked = a.outcome.filter((o) => o > 0).length;
    if (run.evaluated !== rows) out.push(`${at}: ${rows} images, the attacks section evaluated ${run.evaluated}`);
    if (broken !== run.numAdversarial) out.push(`${at}: ${broken} images broken, the attacks section's #Adv is ${run.numAdversarial}`);
    if (attacked !== run.attackedImages) out.push(`${at}: ${attacked} images attacked, the attacks section attacked ${run.attackedImages}`);
    checkCount(at, 'saved examples', a.saved.images.length, broken, out, `the ${broken} broken images`);
    if (a.saved.images.some((i) => a.outcome[i] !== 2)) out.push(`${at}: an example is saved for an image the attack did not break`);
  }
  for (const d of t.defences) {
    const result = defences?.results.find((r) => r.defence.kind === d.defence);
    if (d.clean.length !== rows) out.push(`${where}, ${d.defence}: ${d.clean.length} clean verdicts for ${rows} images`);
    for (const v of d.adversarial) {
      const at = `${where}, ${d.defence} × ${v.attack}`;
      const row = result?.rows.find((r) => r.attack.label === v.attack);
      if (!row) {
        out.push(`${at}: no such row in the defences section`);
        continue;
      }
      const adv = v.verdict.filter((x) => x >= 0).length;
      const rescued = v.verdict.filter((x) => x === 1).length;
      if (adv !== row.numAdversarial) out.push(`${at}: ${adv} adversarial examples, the defences section's #Adv is ${row.numAdversarial}`);
      else if (row.defenceRate !== null && Math.abs(rescued / adv - row.defenceRate) > TOLERANCE)
        out.push(`${at}: ${rescued} of ${adv} examples defended, not the defences section's rate ${row.defenceRate}`);
      const cleanRight = d.clean.filter((x) => x === 1).length;
      const acc = t.criterion === 'top5' ? row.defended.clean.top5 : row.defended.clean.top1;
      if (rows && Math.abs(cleanRight / rows - acc) > TOLERANCE)
        out.push(`${at}: ${cleanRight} of ${rows} clean images defended correctly, the defences section says ${acc}`);
    }
  }
  if (clean) {
    const predicted = new Map(clean.predictions.map((p) => [p.relPath, p.predicted]));
    const differ = t.images.relPath.filter((path, i) => predicted.has(path) && predicted.get(path) !== t.images.prediction[i]).length;
    const missing = t.images.relPath.filter((path) => !predicted.has(path)).length;
    if (differ) out.push(`${where}: ${differ} clean predictions differ from the clean section's`);
    if (missing) out.push(`${where}: ${missing} images are not in the clean section`);
  }
}
