/** Plain-text rendering of model info and reports for the terminal. */
import { runPlanLines } from '../protocol/runPlan';
import type { ModelDiagnostic, ModelInfo } from '../engine/onnx/modelInfo';
import type { CleanSection, ReportV1 } from '../engine/report/schema';
import type { FlagsSection, SanitySection } from '../engine/report/sections';
import type { GradcheckSection } from '../engine/jobs/gradcheckJob';
import type { AttacksSection } from '../engine/jobs/attackJob';
import type { EnsembleSection } from '../engine/attacks/ensemble';
import { formatEpsilon } from '../engine/attacks/format';
import type { ModelInfoSection } from '../engine/jobs/infoJob';
import { SECTION_KINDS, sectionKind, type SectionKind, type SectionKinds } from '../protocol/sectionKinds';
import { classOrderSource, datasetText, preprocessingText } from '../protocol/provenanceWords';
import { modeWords, reportVerdict, verdictLines } from '../protocol/verdict';
import { formatDefences, formatFrequency, formatSweeps } from './formatAnalyse';
import { perImageLines } from './formatPerImage';
import { certificationLines } from './formatCertify';
import { fourierHeatmapLines } from './formatFourier';
import { checkpointsLines } from './formatCheckpoints';
import { inversionLines } from './formatInversion';
import { costLine, robustnessCurveLines } from './formatCurves';
import type { RobustnessCurvesSection } from '../engine/attacks/robustnessCurves';

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const shape = (s: (number | string | null)[] | null) => (s ? `[${s.map((d) => d ?? '?').join(', ')}]` : '[?]');

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatModelInfo(info: ModelInfo, diagnostics: ModelDiagnostic[] = []): string {
  const lines: string[] = [];
  lines.push(`model      ${info.file}`);
  lines.push(`size       ${formatBytes(info.sizeBytes)}   sha256 ${info.sha256.slice(0, 16)}…`);
  lines.push(
    `producer   ${info.producer || '(none)'}   ir_version ${info.irVersion}   opsets ${info.opsets.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(', ')}`,
  );
  lines.push(`parameters ${info.parameterCount.toLocaleString('en-US')} (${formatBytes(info.parameterBytes)})   nodes ${info.nodeCount}`);
  lines.push('inputs');
  for (const i of info.inputs) lines.push(`  ${i.name}  ${i.elemType} ${shape(i.shape)}`);
  lines.push('outputs');
  for (const o of info.outputs) lines.push(`  ${o.name}  ${o.elemType} ${shape(o.shape)}`);
  lines.push('image input');
  if (info.imageInputs.length === 0) lines.push('  none found');
  for (const c of info.imageInputs) {
    lines.push(`  ${c.name}: ${c.layout}, ${c.channels} channel(s), ${c.height}×${c.width}, batch ${c.batch} (${c.reason})`);
  }
  lines.push(
    `output     ${info.output.name}: ${info.output.kind}${info.output.numClasses !== null ? `, ${info.output.numClasses} classes` : ''} (${info.output.reason})`,
  );
  lines.push(
    'ops        ' +
      Object.entries(info.opHistogram)
        .map(([op, n]) => `${op}×${n}`)
        .join('  '),
  );
  if (Object.keys(info.metadata).length) {
    lines.push('metadata');
    for (const [k, v] of Object.entries(info.metadata)) lines.push(`  ${k}: ${v}`);
  }
  if (info.externalDataFiles.length) lines.push(`external data: ${info.externalDataFiles.join(', ')}`);
  for (const w of info.warnings) lines.push(`warning: ${w}`);
  for (const d of diagnostics) lines.push(`warning: ${d.message}`, `  hint: ${d.hint}`);
  if (
    !diagnostics.some((d) => d.code === 'NO_GRADIENT' || d.code === 'ZERO_GRADIENT' || d.code === 'TRAINING_DROPOUT') &&
    info.imageInputs.length === 1
  ) {
    lines.push('gradient   every op on the path from the image input to the scores has a gradient');
  }
  return lines.join('\n');
}

export function formatEvalReport(r: ReportV1): string {
  const banner = sanityBanner(r);
  const lines: string[] = [...banner.lines];
  const clean = r.sections.clean;
  const p = r.config.resolved.preprocessing;
  lines.push(`model      ${r.model.path}`);
  lines.push(
    `input      ${p.inputName} ${p.layout} ${p.height}×${p.width} ${p.channels}, pixels ×${p.pixelScale}${p.mean ? `, mean ${p.mean.join('/')}` : ''}${p.std ? `, std ${p.std.join('/')}` : ''}`,
  );
  for (const note of r.config.notes) lines.push(`  inferred: ${note}`);
  lines.push(...classOrderLines(r));
  if (r.model.outputKind) lines.push(`output     ${r.model.outputKind.kind} (${r.model.outputKind.reason})`);
  if (r.runtime)
    lines.push(
      `runtime    onnxruntime ${r.tool.onnxruntime}, ${r.runtime.executionProvider}${r.runtime.requestedProvider !== r.runtime.executionProvider ? ` (requested ${r.runtime.requestedProvider})` : ''}, batch ${r.runtime.batchSize}${r.runtime.fixedBatch ? ` (model fixed batch ${r.runtime.fixedBatch})` : ''}`,
    );
  if (r.dataset) {
    lines.push(
      `images     ${r.dataset.root}: ${r.dataset.sampledImages} of ${r.dataset.totalImages} (${r.dataset.kind}, ${r.dataset.classNames.length} classes, seed ${r.dataset.sampling.seed})`,
    );
    if (r.dataset.skippedImages.length) {
      lines.push(`skipped    ${r.dataset.skippedImages.length} unreadable image(s):`);
      for (const s of r.dataset.skippedImages.slice(0, 10)) lines.push(`  ${s.relPath}: ${s.error}`);
      if (r.dataset.skippedImages.length > 10) lines.push(`  … and ${r.dataset.skippedImages.length - 10} more (see the JSON report)`);
    }
  }
  if (clean) lines.push(...cleanLines(clean));
  if (r.status !== 'complete')
    lines.push(`\nstatus: ${r.status.toUpperCase()} — the run was interrupted; figures cover the images finished`);
  for (const w of banner.otherWarnings) lines.push(`warning: ${w}`);
  if (banner.lines.length) lines.push('warning: the sanity check failed (see the top of this output)');
  return lines.join('\n');
}

function cleanLines(clean: CleanSection): string[] {
  const lines = [''];
  lines.push(`top-1      ${clean.top1Correct} / ${clean.evaluated} correct = ${pct(clean.top1Accuracy)}`);
  lines.push(`top-5      ${clean.top5Correct} / ${clean.evaluated} correct = ${pct(clean.top5Accuracy)}`);
  lines.push(`confidence ${clean.meanConfidence.toFixed(4)} (mean probability of the predicted class)`);
  lines.push(
    `throughput ${clean.throughput.imagesPerSecond.toFixed(0)} images/s end to end (${clean.throughput.seconds.toFixed(2)} s, of which inference ${clean.throughput.inferenceSeconds.toFixed(2)} s)`,
  );
  lines.push('per class');
  const width = Math.max(...clean.perClass.map((c) => c.className.length), 5);
  for (const c of clean.perClass) {
    lines.push(
      `  ${c.className.padEnd(width)}  ${String(c.correct).padStart(5)} / ${String(c.total).padEnd(5)} ${c.accuracy === null ? '—' : pct(c.accuracy)}`,
    );
  }
  return lines;
}

const VERDICT_TEXT: Record<GradcheckSection['verdict'], string> = {
  AGREE: 'AGREE: the analytic gradient matches finite differences',
  DISAGREE: 'DISAGREE: the analytic gradient differs from finite differences well above their noise floor',
  INCONCLUSIVE: 'INCONCLUSIVE: the finite differences are too noisy to tell (not a sign of a wrong gradient)',
};

export function formatGradcheck(r: ReportV1, g: GradcheckSection): string {
  const lines = [
    `model      ${r.model.path}`,
    `gradient   ${g.gradient === 'estimated' ? 'ESTIMATED (NES, forward passes only)' : 'analytic (gradient model)'}`,
    `reference  ${g.reference.why}`,
    `head       ${g.head.kind}; ${g.directions} random directions per image, Richardson central differences at ±t, ±2t (first t ${g.step} per pixel), jitter ±${g.jitter}, seed ${g.seed}`,
  ];
  for (const n of g.notes) lines.push(`note       ${n}`);
  const exp = (x: number | undefined) => (x === undefined ? '—' : x.toExponential(2)).padStart(9);
  lines.push('', `${''.padEnd(58)}along the gradient   ${g.directions} random directions`);
  lines.push(`${'image'.padEnd(34)} label      loss    step  rel. err    floor  rel. err    floor    cosine  verdict`);
  for (const i of g.images) {
    lines.push(
      `${i.relPath.padEnd(34)} ${String(i.label).padStart(5)} ${i.loss.toFixed(4).padStart(9)} ${i.step.toExponential(0).padStart(7)} ${exp(i.alongGradient?.relError)} ${exp(i.alongGradient?.noiseFloor)} ${exp(i.relError)} ${exp(i.noiseFloor)} ${i.cosine.toFixed(6).padStart(9)}  ${i.verdict}`,
    );
  }
  if (g.gradient === 'estimated') {
    lines.push(
      '',
      `estimate vs finite differences: worst cosine ${g.worstCosine.toFixed(4)} (an estimate: only its direction is meant to be close)`,
    );
    return lines.join('\n');
  }
  lines.push(
    '',
    `${VERDICT_TEXT[g.verdict]}: along the gradient worst relative error ${g.alongGradient ? `${g.alongGradient.worstRelError.toExponential(2)} (noise floor ${g.alongGradient.worstNoiseFloor.toExponential(2)})` : '— (zero gradient)'}; random directions worst relative error ${g.worstRelError.toExponential(2)} (noise floor ${g.worstNoiseFloor.toExponential(2)}), worst cosine ${g.worstCosine.toFixed(6)} (${g.seconds.toFixed(2)} s)`,
  );
  if (g.verdict === 'DISAGREE') lines.push('Please report this model: the gradient of some op on its path may be wrong.');
  if (g.verdict === 'INCONCLUSIVE')
    lines.push('Try a larger --step or more --directions; a float64-capable model gives noise-free differences.');
  return lines.join('\n');
}

/** The mode in words (as the panels show it), with what it implies for the unbounded and black-box ones. */
const MODE_TEXT: Record<string, string> = {
  'fixed-eps': modeWords('fixed-eps'),
  'minimal-eps': modeWords('minimal-eps'),
  'minimal-perturbation': `${modeWords('minimal-perturbation')} (unbounded)`,
  'query-limited': `${modeWords('query-limited')} (black-box)`,
};

/** An attack with no image to attack is not a failed attack: "0 / 0 = 0.00 %" and "0.0 images/s" read as one. */
function nothingToAttack(run: AttacksSection['runs'][number]): string {
  const n = run.evaluated;
  const all = n === 1 ? 'the 1 image is' : `all ${n} images are`;
  if (run.targeted)
    return `Nothing to attack: none of the ${n} images is correctly classified (${run.criterion === 'top1' ? 'top-1' : 'top-5'}) and not already the target`;
  return `Nothing to attack: ${all} already misclassified (${run.criterion === 'top1' ? 'top-1' : 'top-5'})`;
}

const fmt = (v: number | null, digits = 3) => (v === null ? '—' : v.toFixed(digits));

function attackLines(a: AttacksSection): string[] {
  const lines: string[] = [];
  lines.push(
    `criterion  ${a.criterion === 'top1' ? 'top-1 miss' : 'top-5 miss'}; gradients ${a.gradient === 'estimated' ? 'ESTIMATED (NES)' : 'analytic'}`,
  );
  for (const n of a.notes) lines.push(`note       ${n}`);
  for (const run of a.runs) {
    lines.push(
      '',
      `${run.label} — ${MODE_TEXT[run.mode] ?? run.mode}${run.targeted ? `, targeted: ${run.targeted}` : ''}, seed ${run.seed}`,
    );
    lines.push(`  clean accuracy      top-1 ${pct(run.clean.top1Accuracy)}  top-5 ${pct(run.clean.top5Accuracy)}`);
    if (run.attackedImages === 0) {
      lines.push(`  ${nothingToAttack(run)}`);
      continue;
    }
    lines.push(`  attacked accuracy   top-1 ${pct(run.attacked.top1Accuracy)}  top-5 ${pct(run.attacked.top5Accuracy)}`);
    lines.push(
      `  success             ${run.numAdversarial} / ${run.attackedImages} attacked images = ${pct(run.successRate)}  (#Adv ${run.numAdversarial})`,
    );
    lines.push(
      `  perturbation (successful)  L2 median ${fmt(run.norms.successful.l2.median)} mean ${fmt(run.norms.successful.l2.mean)} max ${fmt(run.norms.successful.l2.max)};  L∞ median ${fmt(run.norms.successful.linf.median, 4)} max ${fmt(run.norms.successful.linf.max, 4)}`,
    );
    if (run.epsilon)
      lines.push(
        `  minimal ε           median ${fmt(run.epsilon.median, 4)} mean ${fmt(run.epsilon.mean, 4)} max ${fmt(run.epsilon.max, 4)}`,
      );
    if (run.mode === 'query-limited' || typeof run.params.maxQueries === 'number')
      lines.push(
        `  queries             median ${fmt(run.queries.median, 0)} mean ${fmt(run.queries.mean, 1)} max ${fmt(run.queries.max, 0)}`,
      );
    if (run.budgetCurve) {
      const pts = run.budgetCurve.points.filter((_, i) => i % 6 === 0 || i === run.budgetCurve!.points.length - 1);
      lines.push(
        `  accuracy vs ${run.budgetCurve.norm.toUpperCase()} budget  ${pts.map((p) => `${p.budget.toFixed(2)}→${pct(p.accuracy)}`).join('  ')}`,
      );
    }
    lines.push(`  time                ${run.seconds.toFixed(2)} s, ${run.imagesPerSecond.toFixed(1)} images/s`);
    if (run.cost) lines.push(costLine(run.cost));
    if (run.gallery.length) lines.push(`  gallery             ${run.gallery.length} examples, e.g. ${run.gallery[0].files.perturbation}`);
  }
  if (a.ensemble) lines.push('', ...ensembleLines(a.ensemble));
  return lines;
}

/** The ensemble's table: per attack of the cascade, what it ran on and broke, and the robust accuracy after it. */
function ensembleLines(e: EnsembleSection): string[] {
  const eps = formatEpsilon(e.eps, e.norm);
  const lines = [
    `AutoAttack (${e.version}) ${e.norm === 'linf' ? 'L∞' : 'L2'} ε=${eps} — worst-case cascade over ${e.evaluated} images`,
    `  clean accuracy      ${pct(e.cleanAccuracy)} (${e.cleanCorrect})`,
  ];
  e.attacks.forEach((r, a) =>
    lines.push(
      `  ${String(a + 1)}. ${r.label.padEnd(44)} ran on ${String(r.ranOn).padStart(4)}, broke ${String(r.broke).padStart(4)}  → robust ${pct(r.robustAccuracyAfter)} (${r.robustAfter})  ${r.seconds.toFixed(1)} s${r.finished ? '' : '  (cancelled: not on every image)'}`,
    ),
  );
  lines.push(
    `  robust accuracy     ${pct(e.robustAccuracy)} (${e.robustCorrect} of ${e.evaluated})${e.complete ? '' : ' — an upper bound: the cascade was cancelled before every attack ran'}`,
  );
  for (const n of e.notes) lines.push(`  note  ${n}`);
  lines.push('  (report.json: attacks.ensemble.images gives, per image, the attack that broke it)');
  return lines;
}

/** Wraps a paragraph at `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, indent: string, width = 100): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.map((l) => indent + l);
}

/** "label      text", wrapped, continuation lines under the text. */
function labelled(label: string, text: string): string[] {
  const pad = ' '.repeat(11);
  return wrap(text, pad).map((l, i) => (i ? l : `${label.padEnd(10)} ${l.slice(11)}`));
}

/** Class names the summary lists: ImageNet's 1,000 would fill a screen (the report keeps them all). */
const LISTED_CLASSES = 20;

/** The class order the logits were read in, and where it came from. */
function classOrderLines(r: ReportV1): string[] {
  const names = r.dataset?.classNames ?? r.config.resolved.classNames;
  if (!names) return [];
  const listed =
    names.length > LISTED_CLASSES
      ? `${names.slice(0, LISTED_CLASSES - 1).join(', ')}, …, ${names[names.length - 1]} (the report lists all ${names.length})`
      : names.join(', ');
  return labelled('classes', `${names.length}, logits in this order (${classOrderSource(r.config)}): ${listed}`);
}

/**
 * The summary that opens a report's text: the verdict (the same figures as the panel's headline, from
 * src/protocol/verdict.ts), then what the run used — preprocessing, class order and dataset, each with
 * where it came from.
 */
export function summaryLines(r: ReportV1): string[] {
  const lines = ['verdict'];
  for (const l of verdictLines(reportVerdict(r))) lines.push(...wrap(l.text, '  - ').map((x, i) => (i ? `    ${x.slice(4)}` : x)));
  if (r.config?.resolved) {
    lines.push(...labelled('preprocess', preprocessingText(r.config)));
    lines.push(...classOrderLines(r));
    lines.push(`config     ${r.config.file ?? 'none (settings, flags, defaults and what the model implies)'}`);
  }
  if (r.dataset) lines.push(`images     ${datasetText(r.dataset)}`);
  return lines;
}

/** `flags: false` leaves the gradient-masking flags to the caller (analyse prints them after its defences). */
export function formatAttackReport(r: ReportV1, { flags = true }: { flags?: boolean } = {}): string {
  const a = r.sections.attacks as AttacksSection;
  const banner = sanityBanner(r);
  const lines = [...banner.lines, `model      ${r.model.path}`, ...summaryLines(r), ''];
  lines.push(...attackLines(a));
  const curves = r.sections.robustnessCurves as RobustnessCurvesSection | undefined;
  if (curves) lines.push('', ...robustnessCurveLines(curves));
  if (flags) lines.push(...formatSections(r, ['flags']));
  if (r.status !== 'complete') lines.push(`\nstatus: ${r.status.toUpperCase()} — interrupted; figures cover the images finished`);
  for (const w of banner.otherWarnings) lines.push(`warning: ${w}`);
  if (banner.lines.length) lines.push('warning: the sanity check failed (see the top of this output)');
  return lines.join('\n');
}

type SectionFormatter<K extends SectionKind> = (section: SectionKinds[K], report: ReportV1) => string[];

/** The report with only `section`, under the key the analyse formatters look it up by. */
const alone = (r: ReportV1, key: string, section: unknown): ReportV1 => ({ ...r, sections: { [key]: section } });

/** The terminal's text of a section, by kind: a kind added to SectionKinds fails to compile until it has one. */
export const SECTION_FORMATTERS: { [K in SectionKind]: SectionFormatter<K> } = {
  clean: (s) => cleanLines(s),
  attacks: (s) => attackLines(s),
  defences: (s, r) => formatDefences(alone(r, 'defences', s)),
  sweeps: (s, r) => formatSweeps(alone(r, 'sweeps', s)),
  'occluded-frequency': (s, r) => formatFrequency(alone(r, 'occludedFrequency', s)),
  rct: (s, r) => formatFrequency(alone(r, 'rct', s)),
  spectra: (s, r) => formatFrequency(alone(r, 'spectra', s)),
  'model-info': (s) => modelInfoLines(s),
  sanity: (s, r) => sanityLines(s, r),
  'per-image': (s) => perImageLines(s),
  certification: (s) => certificationLines(s),
  'fourier-heatmap': (s) => fourierHeatmapLines(s),
  inversion: (s) => inversionLines(s),
  'robustness-curves': (s) => robustnessCurveLines(s),
  flags: (s) => flagsLines(s),
  checkpoints: (s) => checkpointsLines(s),
  'run-plan': (s) => runPlanLines(s),
};

/** The gradient-masking flags: each with its explanation and evidence, or one line when none fired. */
export function flagsLines(s: FlagsSection): string[] {
  const flags = Array.isArray(s.flags) ? s.flags : [];
  const checked = (s.checked ?? []).length;
  if (!flags.length) return [`flags      none fired (${checked} check${checked === 1 ? '' : 's'} ran)`];
  const lines = [`flags      ${flags.length} warning sign${flags.length === 1 ? '' : 's'} that the attacks may overstate robustness:`];
  for (const f of flags) {
    lines.push(`  ${f.severity === 'error' ? 'ERROR' : 'WARN '} ${f.title}: ${f.explanation}`);
    lines.push(`        evidence: ${f.summary}`);
  }
  return lines;
}

const RULE = '!'.repeat(100);

/**
 * The sanity findings as a block that cannot be missed: a rule of "!", SANITY CHECK FAILED, each finding
 * with its check and severity, and the proposed class order (logit → name) when there is one. Nothing when
 * every check passed.
 */
function sanityLines(s: SanitySection, r: ReportV1): string[] {
  if (!s.findings.length) return [];
  const errors = s.findings.filter((f) => f.severity === 'error').length;
  const lines = [
    RULE,
    `!! SANITY CHECK FAILED: ${errors ? 'the figures below are probably wrong' : 'the figures below may be wrong'} — ${s.findings.length} finding${s.findings.length > 1 ? 's' : ''}`,
    RULE,
  ];
  for (const f of s.findings)
    lines.push(...wrap(`${f.severity.toUpperCase()} [${f.check}] ${f.message}`, '    ').map((l, i) => (i ? l : l.trimStart())));
  if (s.proposal) {
    const p = s.proposal;
    lines.push(
      `proposed class order (logit → class), clean accuracy ${pct(p.accuracy)} instead of ${pct(p.currentAccuracy)} on ${p.evaluated} images:`,
    );
    const width = String(p.classNames.length - 1).length;
    // Up to 20 classes every logit; above, the logits whose name changes (at most 50), the rest in the report.
    const current = r.dataset?.classNames ?? [];
    const all = p.classNames.map((_, j) => j);
    const shown = p.classNames.length <= 20 ? all : all.filter((j) => current[j] !== p.classNames[j]);
    for (const j of shown.slice(0, 50)) lines.push(`    ${String(j).padStart(width)} → ${p.classNames[j]}`);
    if (shown.length > 50) lines.push(`    … and ${shown.length - 50} more changed logits (the report's "sanity" section lists them all)`);
    if (p.classNames.length <= 20) lines.push(`    in robustness.json: "classNames": ${JSON.stringify(p.classNames)}`);
  }
  lines.push(RULE);
  return lines;
}

/** The sanity block of a report (first thing printed), and the report's warnings that are not already in it. */
export function sanityBanner(r: ReportV1): { lines: string[]; otherWarnings: string[] } {
  const sections = Object.values(r.sections).filter((x): x is SanitySection => sectionKind(x) === 'sanity');
  const shown = new Set(sections.flatMap((x) => x.findings.map((f) => f.message)));
  const lines = sections.flatMap((x) => sanityLines(x, r));
  return { lines: lines.length ? [...lines, ''] : [], otherWarnings: r.warnings.filter((w) => !shown.has(w)) };
}

/** What `info` prints, and why the configuration or the image folder could not be used. */
function modelInfoLines(s: ModelInfoSection): string[] {
  return [...formatModelInfo(s.info, s.diagnostics).split('\n'), ...s.problems.map((p) => `warning: ${p}`)];
}

/** The text of a report's sections of `kinds`, kind by kind in that order (sections of unknown kinds are skipped). */
export function formatSections(r: ReportV1, kinds: readonly SectionKind[] = SECTION_KINDS): string[] {
  const sections = Object.values(r.sections);
  return kinds.flatMap((kind) =>
    sections
      .filter((s) => sectionKind(s) === kind)
      .flatMap((s) => (SECTION_FORMATTERS[kind] as SectionFormatter<SectionKind>)(s as SectionKinds[SectionKind], r)),
  );
}
