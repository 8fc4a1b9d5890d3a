/**
 * The verdict of a run: the few numbers a reader needs first, computed once from the report's sections and
 * shown alike by the panel's headline, the Runs view, the status bar and the CLI summary.
 *
 * - Clean accuracy.
 * - Robust accuracy under the strongest BOUNDED white-box attack at the configured ε (fixed-ε mode only, not
 *   targeted). Minimal-ε, minimal-perturbation (DeepFool, C&W: unbounded) and query-limited (SimBA) results
 *   answer other questions and are listed apart, labelled, never folded into a minimum with the bounded ones.
 * - For each defence: what it buys non-adaptively, and what survives the adaptive attack, with the attack mode.
 * - The most relied-on frequency band of Occluded Frequency (bands low → high).
 *
 * In src/protocol (types only from the engine): the webview bundles it, the host and the CLI import it.
 */
import { bandLabel, sectionBandGroup } from './ofBands';
import type { AttackRunSummary } from '../engine/attacks/protocol';
import type { FourierHeatmapSection } from '../engine/spectral/fourierHeatmap';
import { certifiedAccuracyAt, type CertificationSection } from './certification';
import type { CheckpointsSection } from './checkpoints';
import type { InversionSection } from '../engine/spectral/featureInversion';
import type { AttackMode } from '../engine/attacks/types';
import type { CleanSection, ReportV1 } from '../engine/report/schema';
import type { DefenceResult, DefenceRow, DefencesSection, FlagsSection, OccludedFrequencySection } from '../engine/report/sections';

/** Attack modes in words, as every reader shows them (never the raw ids). */
export const MODE_WORDS: Readonly<Record<AttackMode, string>> = {
  'fixed-eps': 'fixed ε',
  'minimal-eps': 'minimal ε',
  'minimal-perturbation': 'minimal perturbation',
  'query-limited': 'query-limited',
};

/** One sentence per mode: what the budget meant (tooltips, definitions). */
export const MODE_MEANING: Readonly<Record<AttackMode, string>> = {
  'fixed-eps': 'Fixed ε: the attack may use the whole budget ε on every image; accuracy under it is the robust accuracy at that ε.',
  'minimal-eps':
    'Minimal ε: per image, the smallest ε up to the budget at which the attack succeeds; it measures how much budget is needed.',
  'minimal-perturbation':
    'Minimal perturbation: the attack (DeepFool, C&W) has no budget and searches the smallest change that flips the prediction; almost every image falls, so its size is what counts.',
  'query-limited':
    'Query-limited: a black-box attack that only queries the model, stopped after a number of queries; a bound on what an attacker without gradients achieves.',
};

/** "fixed ε" for an attack mode (anything else, e.g. a sweep's "clean", as it is). */
export function modeWords(mode: string): string {
  return Object.hasOwn(MODE_WORDS, mode) ? MODE_WORDS[mode as AttackMode] : mode;
}

/**
 * An attack's label without the mode suffix its attack module appends ("PGD-10 L∞ ε=8/255 (0.0314) (minimal ε)"):
 * where the mode is shown beside the label, as words, it must not be said twice.
 */
export function attackName(label: string): string {
  return label.replace(/\s*\(minimal ε\)\s*$/, '');
}

/** The label without the decimal value of ε: "PGD-10 L∞ ε=8/255 (0.0314)" → "PGD-10 L∞ ε=8/255" (short headlines). */
export function shortAttackName(label: string): string {
  return attackName(label).replace(/\s*\(\d[\d.e+-]*\)/g, '');
}

type Run = Pick<
  AttackRunSummary,
  | 'label'
  | 'mode'
  | 'targeted'
  | 'gradient'
  | 'evaluated'
  | 'clean'
  | 'attacked'
  | 'attackedImages'
  | 'numAdversarial'
  | 'successRate'
  | 'norms'
  | 'epsilon'
  | 'queries'
  | 'params'
>;

export interface CleanFigure {
  top1: number;
  correct: number;
  evaluated: number;
  /** Number of classes (chance level is 1 ÷ this), when known. */
  classes: number | null;
  /** Where it was read: the clean section, else the clean set of an attack run (attack-only runs). */
  source: 'clean' | 'attack';
}

export interface RobustFigure {
  /** The attack's label as in the attack table. */
  label: string;
  mode: 'fixed-eps';
  /** Attacked top-1 accuracy over the evaluated images. */
  top1: number;
  correct: number;
  evaluated: number;
  /** The same run's clean top-1 (same images). */
  cleanTop1: number;
  cleanCorrect: number;
  /** Of the images classified correctly, the share still correct under the attack (null when none were). */
  kept: number | null;
  /** How many bounded white-box runs it was the strongest of. */
  among: number;
}

export interface OtherAttackFigure {
  label: string;
  mode: AttackMode;
  targeted: string | null;
  top1: number;
  evaluated: number;
  /** Minimal ε: the median ε found; minimal perturbation: the median norm of the successful perturbations. */
  medianSize: { norm: 'L2' | 'L∞' | 'ε'; value: number } | null;
  /** Query-limited: median queries per attacked image. */
  medianQueries: number | null;
}

export interface DefenceFigure {
  kind: DefenceResult['defence']['kind'];
  /** "Post-averaging", "Low-pass filter". */
  name: string;
  /** The attack whose adversarial examples the figures are on, with its mode. */
  attack: { label: string; mode: AttackMode };
  numAdversarial: number;
  /** Non-adaptive defence rate on all #Adv examples (the row's `defenceRate`). */
  nonAdaptive: number | null;
  adaptive: {
    label: string;
    /** Defended model correct on the adaptive examples ÷ `images`. */
    rate: number | null;
    /** The non-adaptive rate on exactly those `images` examples. */
    nonAdaptiveOnSame: number | null;
    images: number;
  } | null;
  /** Rows of this defence (one per attack): the table has them all. */
  rows: number;
}

export interface BandFigure {
  /** The model the attribution is of (two in a comparison run). */
  model: string;
  /** 0 = lowest frequencies (with band groups: the group's index). */
  band: number;
  bands: number;
  /** Adjacent bands ablated together (1: single bands; `band` is then a group of them). */
  bandGroup?: number;
  /** Mean score of the band (logit drop when it is removed). */
  score: number;
  scoreOn: OccludedFrequencySection['scoreOn'];
  position: 'lowest' | 'low' | 'middle' | 'high' | 'highest';
}

export interface CertifiedFigure {
  sigma: number;
  images: number;
  /** Certified accuracy at L2 radius ≥ r, at r = 0 and two radii of the grid (σ and 2σ where they fit). */
  at: { radius: number; accuracy: number }[];
  abstained: number;
}

export interface FourierFigure {
  label: string;
  cleanError: number;
  meanError: number | null;
  peak: { fy: number; fx: number; error: number } | null;
}

/** A checkpoint's figures for the headline (the first and the last one analysed of a checkpoints run). */
export interface CheckpointFigure {
  name: string;
  cleanTop1: number;
  /** The lowest robust accuracy over its attacks, and which attack. */
  robustTop1: number | null;
  attack: string | null;
}

export interface AlongTrainingFigure {
  analysed: number;
  total: number;
  first: CheckpointFigure;
  last: CheckpointFigure;
}

export interface InversionFigure {
  model: string;
  shares: { low: number; mid: number; high: number };
  reference: { low: number; mid: number; high: number };
  relativeError: number;
}

export interface Verdict {
  clean: CleanFigure | null;
  robust: RobustFigure | null;
  /** Whether the run had attacks at all (no attacks: no robust figure is expected). */
  attacked: boolean;
  others: OtherAttackFigure[];
  defences: DefenceFigure[];
  bands: BandFigure[];
  /** The gradient-masking flags that fired (src/engine/eval/maskingFlags.ts): the figures above may overstate robustness. */
  flags: { title: string; summary: string }[];
  /** Randomized smoothing's certified accuracy per σ (a certify run). */
  certified: CertifiedFigure[];
  /** The Fourier heat maps' clean error, mean error and peak (a fourier-heatmap run). */
  fourier: FourierFigure[];
  /** Robustness along training (a checkpoints run): its first and last checkpoint analysed. */
  alongTraining: AlongTrainingFigure | null;
  /** Feature inversion (an invert run): per model, the band shares of x_r − x₀ beside those of x − x₀. */
  inversion: InversionFigure[];
  /** Figures cover only part of the images (a cancelled or failed run, or one still going). */
  partial: boolean;
  /** The run is still going: its figures are those of the images finished so far. */
  running: boolean;
}

/** A section's kind, or null (reports are data: anything may be in them). */
function kindOf(section: unknown): string | null {
  if (typeof section !== 'object' || section === null) return null;
  const kind = (section as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : null;
}

function first<T>(sections: unknown[], kind: string): T | undefined {
  return sections.find((s) => kindOf(s) === kind) as T | undefined;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Counts towards the robust accuracy at the configured ε: fixed ε, untargeted, white-box (it used a gradient). */
export function isBoundedWhiteBox(run: Pick<Run, 'mode' | 'targeted' | 'gradient'>): boolean {
  return run.mode === 'fixed-eps' && !run.targeted && run.gradient !== 'none';
}

/**
 * The verdict of a run's sections (the values of `report.sections`, streamed ones included), in whatever
 * order; `status` says whether the figures are final.
 */
export function verdictOf(sections: unknown[], status: string, classes: number | null = null): Verdict {
  const clean = first<CleanSection>(sections, 'clean');
  const attacks = first<{ runs?: Run[] }>(sections, 'attacks');
  const runs = (attacks?.runs ?? []).filter((r) => r && isNum(r.attacked?.top1Accuracy) && r.evaluated > 0);
  const bounded = runs.filter(isBoundedWhiteBox);
  // The strongest: the lowest attacked top-1; on a tie, the first in the suite.
  const strongest = bounded.reduce<Run | null>((a, b) => (a === null || b.attacked.top1Accuracy < a.attacked.top1Accuracy ? b : a), null);
  const robust: RobustFigure | null = strongest
    ? {
        label: strongest.label,
        mode: 'fixed-eps',
        top1: strongest.attacked.top1Accuracy,
        correct: strongest.attacked.top1Correct,
        evaluated: strongest.evaluated,
        cleanTop1: strongest.clean.top1Accuracy,
        cleanCorrect: strongest.clean.top1Correct,
        kept: strongest.clean.top1Correct > 0 ? strongest.attacked.top1Correct / strongest.clean.top1Correct : null,
        among: bounded.length,
      }
    : null;
  const cleanRun = strongest ?? runs[0];
  const cleanFigure: CleanFigure | null =
    clean && isNum(clean.top1Accuracy) && clean.evaluated > 0
      ? { top1: clean.top1Accuracy, correct: clean.top1Correct, evaluated: clean.evaluated, classes, source: 'clean' }
      : cleanRun
        ? {
            top1: cleanRun.clean.top1Accuracy,
            correct: cleanRun.clean.top1Correct,
            evaluated: cleanRun.evaluated,
            classes,
            source: 'attack',
          }
        : null;
  const defences = first<DefencesSection>(sections, 'defences');
  const of = first<OccludedFrequencySection>(sections, 'occluded-frequency');
  return {
    clean: cleanFigure,
    robust,
    attacked: runs.length > 0,
    others: runs.filter((r) => !isBoundedWhiteBox(r)).map(otherFigure),
    defences: (defences?.results ?? []).map((d) => defenceFigure(d, robust?.label ?? null)).filter((d): d is DefenceFigure => d !== null),
    bands: of ? bandFigures(of) : [],
    flags: (first<FlagsSection>(sections, 'flags')?.flags ?? [])
      .filter((f) => f && typeof f.title === 'string')
      .map((f) => ({ title: f.title, summary: typeof f.summary === 'string' ? f.summary : '' })),
    certified: certifiedFigures(first<CertificationSection>(sections, 'certification')),
    fourier: (first<FourierHeatmapSection>(sections, 'fourier-heatmap')?.maps ?? []).map((m) => ({
      label: m.label,
      cleanError: m.cleanError,
      meanError: m.meanError,
      peak: m.peak,
    })),
    alongTraining: alongTrainingFigure(first<CheckpointsSection>(sections, 'checkpoints')),
    inversion: (first<InversionSection>(sections, 'inversion')?.models ?? [])
      .filter((m) => m && m.shares && m.referenceShares && m.relativeError)
      .map((m) => ({ model: m.model, shares: m.shares, reference: m.referenceShares, relativeError: m.relativeError.mean })),
    partial: status !== 'complete' || clean?.partial === true,
    running: status === 'running',
  };
}

function alongTrainingFigure(c: CheckpointsSection | undefined): AlongTrainingFigure | null {
  // The Quick Attack Check's export history rides on the check's own report, whose headline is the check's.
  if (!c || c.order === 'check-time' || !Array.isArray(c.entries)) return null;
  const done = c.entries.filter((e) => e && e.result && isNum(e.result.cleanTop1));
  if (!done.length) return null;
  const figure = (e: (typeof done)[number]): CheckpointFigure => {
    const attacks = (e.result!.attacks ?? []).filter((a) => isNum(a.robustTop1));
    const worst = attacks.reduce<(typeof attacks)[number] | null>((w, a) => (w === null || a.robustTop1 < w.robustTop1 ? a : w), null);
    return { name: e.name, cleanTop1: e.result!.cleanTop1, robustTop1: worst?.robustTop1 ?? null, attack: worst?.label ?? null };
  };
  return { analysed: done.length, total: c.entries.length, first: figure(done[0]), last: figure(done[done.length - 1]) };
}

function certifiedFigures(c: CertificationSection | undefined): CertifiedFigure[] {
  if (!c || !Array.isArray(c.runs)) return [];
  return c.runs
    .filter((run) => Array.isArray(run.correct) && run.correct.length > 0)
    .map((run) => ({
      sigma: run.sigma,
      images: run.correct.length,
      at: [0, run.sigma, 2 * run.sigma].map((radius) => ({ radius, accuracy: certifiedAccuracyAt(run, radius) })),
      abstained: run.abstentionRate,
    }));
}

/** The verdict of a whole report. */
export function reportVerdict(report: Pick<ReportV1, 'sections' | 'status' | 'dataset'>): Verdict {
  return verdictOf(Object.values(report.sections ?? {}), report.status, report.dataset?.classNames.length ?? null);
}

function otherFigure(r: Run): OtherAttackFigure {
  let medianSize: OtherAttackFigure['medianSize'] = null;
  if (r.mode === 'minimal-eps' && isNum(r.epsilon?.median)) medianSize = { norm: 'ε', value: r.epsilon.median };
  else if (r.mode === 'minimal-perturbation') {
    const l2 = r.norms?.successful?.l2?.median;
    const linf = r.norms?.successful?.linf?.median;
    const norm = r.params?.norm === 'linf' ? 'L∞' : 'L2';
    const value = norm === 'L∞' ? linf : l2;
    if (isNum(value)) medianSize = { norm, value };
  }
  return {
    label: r.label,
    mode: r.mode,
    targeted: r.targeted,
    top1: r.attacked.top1Accuracy,
    evaluated: r.evaluated,
    medianSize,
    medianQueries: r.mode === 'query-limited' && isNum(r.queries?.median) ? r.queries.median : null,
  };
}

const DEFENCE_NAMES: Record<string, string> = { 'post-averaging': 'Post-averaging', 'low-pass': 'Low-pass filter' };

/** The row a defence is judged on: against the headline's attack, else the first fixed-ε row with examples, else the first with any. */
export function headlineRow(result: DefenceResult, robustLabel: string | null): DefenceRow | null {
  const rows = result.rows ?? [];
  return (
    rows.find((r) => robustLabel !== null && r.attack.label === robustLabel && r.numAdversarial > 0) ??
    rows.find((r) => r.attack.mode === 'fixed-eps' && r.numAdversarial > 0) ??
    rows.find((r) => r.numAdversarial > 0) ??
    rows[0] ??
    null
  );
}

function defenceFigure(result: DefenceResult, robustLabel: string | null): DefenceFigure | null {
  const row = headlineRow(result, robustLabel);
  if (!row) return null;
  const a = row.adaptive;
  return {
    kind: result.defence.kind,
    name: DEFENCE_NAMES[result.defence.kind] ?? result.defence.kind,
    attack: { label: row.attack.label, mode: row.attack.mode },
    numAdversarial: row.numAdversarial,
    nonAdaptive: row.defenceRate,
    adaptive: a ? { label: a.label, rate: a.defenceRate, nonAdaptiveOnSame: a.nonAdaptiveDefenceRate, images: a.images } : null,
    rows: result.rows.length,
  };
}

function bandFigures(of: OccludedFrequencySection): BandFigure[] {
  return (of.models ?? []).flatMap((m) => {
    const mean = m.mean ?? [];
    let best = -1;
    mean.forEach((v, i) => {
      if (isNum(v) && (best < 0 || v > mean[best])) best = i;
    });
    if (best < 0) return [];
    const g = sectionBandGroup(of);
    if (g > 1) {
      const bands = of.bands || mean.length * g;
      return [
        {
          model: m.model,
          band: best,
          bands,
          bandGroup: g,
          score: mean[best],
          scoreOn: of.scoreOn,
          position: bandPosition(best, mean.length),
        },
      ];
    }
    const bands = of.bands || mean.length;
    return [{ model: m.model, band: best, bands, score: mean[best], scoreOn: of.scoreOn, position: bandPosition(best, bands) }];
  });
}

/** Where a band sits on the low → high axis, in words. */
export function bandPosition(band: number, bands: number): BandFigure['position'] {
  if (band === 0) return 'lowest';
  if (band === bands - 1) return 'highest';
  const at = band / Math.max(1, bands - 1);
  return at < 1 / 3 ? 'low' : at <= 2 / 3 ? 'middle' : 'high';
}

// ---- Words ---------------------------------------------------------------------------------------------

/** 0.4375 → "43.8%" (the panels' format, so the headline and the tables read alike). */
export function pct(v: number | null | undefined): string {
  return isNum(v) ? `${(v * 100).toFixed(1)}%` : '—';
}

const fmt = (v: number) => String(Number(v.toPrecision(3)));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line of the headline, with a key so that readers can style or test each. */
export interface VerdictLine {
  key:
    | 'clean'
    | 'robust'
    | 'no-robust'
    | 'others'
    | 'defence'
    | 'band'
    | 'partial'
    | 'flags'
    | 'certified'
    | 'fourier'
    | 'along-training'
    | 'inversion';
  text: string;
}

/** The headline in plain language, most important first. */
export function verdictLines(v: Verdict): VerdictLine[] {
  const out: VerdictLine[] = [];
  if (v.partial)
    out.push({
      key: 'partial',
      text: v.running
        ? 'Still running: the figures cover the images finished so far.'
        : 'Partial run: the figures cover only the images finished.',
    });
  if (v.clean) {
    const chance =
      v.clean.classes && v.clean.classes > 1 ? ` (chance level for ${v.clean.classes} classes: ${pct(1 / v.clean.classes)})` : '';
    out.push({
      key: 'clean',
      text: `Clean accuracy ${pct(v.clean.top1)} top-1: ${v.clean.correct} of ${plural(v.clean.evaluated, 'image')} classified correctly${chance}.`,
    });
  }
  if (v.robust) {
    const r = v.robust;
    const which = r.among > 1 ? `the strongest of ${r.among} bounded white-box attacks` : 'the bounded white-box attack';
    const kept =
      r.kept === null
        ? ''
        : ` It keeps ${pct(r.kept)} of the ${r.cleanCorrect} images it classified correctly and the attack breaks the rest; a model this attack could not move would keep all of them.`;
    out.push({
      key: 'robust',
      text: `Robust accuracy ${pct(r.top1)} under ${attackName(r.label)} (${MODE_WORDS['fixed-eps']}), ${which} at the configured ε: ${r.correct} of ${plural(r.evaluated, 'image')} still correct, against ${pct(r.cleanTop1)} clean on the same images.${kept}`,
    });
  } else if (v.attacked) {
    out.push({
      key: 'no-robust',
      text: 'No bounded white-box attack at a fixed ε was run, so there is no robust accuracy at the configured ε; the results below answer other questions.',
    });
  }
  if (v.others.length) {
    const items = v.others.map(otherText);
    out.push({
      key: 'others',
      text: `Measured another way, so not part of the robust accuracy: ${items.join('; ')}.`,
    });
  }
  for (const c of v.certified) {
    const radii = c.at
      .slice(1)
      .map((a) => `${pct(a.accuracy)} at radius ≥ ${sig3(a.radius)}`)
      .join(', ');
    out.push({
      key: 'certified',
      text: `Randomized smoothing at σ = ${sig3(c.sigma)}: ${pct(c.at[0].accuracy)} of ${plural(c.images, 'image')} certified correct (radius ≥ 0), ${radii} (L2, pixel units); ${pct(c.abstained)} abstained. A certificate is a guarantee: no perturbation within the radius changes the smoothed prediction.`,
    });
  }
  for (const f of v.fourier) {
    const peak = f.peak
      ? `, highest ${pct(f.peak.error)} at (k_y, k_x) = (${signed(f.peak.fy)}, ${signed(f.peak.fx)}) cycles per image`
      : '';
    out.push({
      key: 'fourier',
      text: `Fourier heat map of ${f.label}: clean error ${pct(f.cleanError)}; a single-frequency perturbation raises it to ${f.meanError === null ? '—' : pct(f.meanError)} on average over the map${peak}.`,
    });
  }
  if (v.alongTraining) {
    const t = v.alongTraining;
    const figure = (f: CheckpointFigure) =>
      `${f.name}: clean ${pct(f.cleanTop1)}${f.robustTop1 === null ? '' : `, robust ${pct(f.robustTop1)} (${f.attack})`}`;
    out.push({
      key: 'along-training',
      text: `Along training, ${t.analysed} of ${plural(t.total, 'checkpoint')} analysed: ${t.analysed > 1 ? `first ${figure(t.first)}; last ` : ''}${figure(t.last)}.`,
    });
  }
  for (const m of v.inversion) {
    const shares = (x: InversionFigure['shares']) => `${pct(x.low)} / ${pct(x.mid)} / ${pct(x.high)}`;
    out.push({
      key: 'inversion',
      text: `Feature inversion of ${m.model}: the change that matches its features (x_r − x₀) holds ${shares(m.shares)} of its |DCT| at low / mid / high frequencies, against ${shares(m.reference)} for the image itself (x − x₀); relative feature error ${sig3(m.relativeError)} after inversion.`,
    });
  }
  for (const d of v.defences) out.push({ key: 'defence', text: defenceText(d) });
  for (const b of v.bands) out.push({ key: 'band', text: bandText(b, v.bands.length > 1) });
  if (v.flags.length)
    out.push({
      key: 'flags',
      text: `Warning: possible gradient masking — ${v.flags.map((f) => `${f.title} (${f.summary})`).join('; ')}. The robust figures above may overstate robustness.`,
    });
  return out;
}

function otherText(o: OtherAttackFigure): string {
  const mode = `${MODE_WORDS[o.mode] ?? o.mode}${o.targeted ? `, targeted: ${o.targeted}` : ''}`;
  const name = `${attackName(o.label)} (${mode})`;
  if (o.mode === 'minimal-perturbation' && o.medianSize)
    return `${name} needs a median ${o.medianSize.norm} of ${fmt(o.medianSize.value)} to change the prediction`;
  if (o.mode === 'minimal-eps' && o.medianSize) return `${name} breaks images at a median ε of ${fmt(o.medianSize.value)}`;
  if (o.mode === 'query-limited')
    return `${name} leaves ${pct(o.top1)} correct${o.medianQueries !== null ? ` (median ${fmt(o.medianQueries)} queries per image)` : ''}`;
  return `${name} leaves ${pct(o.top1)} correct`;
}

function defenceText(d: DefenceFigure): string {
  const on = `${attackName(d.attack.label)} (${MODE_WORDS[d.attack.mode] ?? d.attack.mode})`;
  if (d.numAdversarial === 0) return `${d.name}: ${on} produced no adversarial examples, so there is nothing for it to defend.`;
  const non = `non-adaptively it classifies ${pct(d.nonAdaptive)} of the ${plural(d.numAdversarial, 'adversarial example')} of ${on} correctly`;
  if (!d.adaptive) return `${d.name}: ${non}; no adaptive attack was run, and a defence rate without one overstates the defence.`;
  const a = d.adaptive;
  const same =
    a.images === d.numAdversarial
      ? `on the same ${plural(a.images, 'example')}`
      : `on ${a.images} of them (non-adaptive on those ${a.images}: ${pct(a.nonAdaptiveOnSame)})`;
  return `${d.name}: ${non}; the adaptive attack, run through the defence, leaves ${pct(a.rate)} classified correctly ${same}. Adaptive attack: ${a.label}.`;
}

function bandText(b: BandFigure, named: boolean): string {
  const who = named ? `${b.model.split(/[\\/]/).pop() ?? b.model} relies` : 'The model relies';
  const drop = b.scoreOn === 'logits' ? 'logit' : 'log-probability';
  const g = b.bandGroup ?? 1;
  if (g > 1)
    return `${who} most on frequency ${bandLabel(b.band, g, b.bands)} of 0–${b.bands - 1} (ablated in groups of ${g}; low → high: the ${b.position} frequencies): removing them lowers the predicted class's ${drop} by ${fmt(b.score)} on average.`;
  return `${who} most on frequency band ${b.band} of 0–${b.bands - 1} (low → high: the ${b.position} frequencies): removing it lowers the predicted class's ${drop} by ${fmt(b.score)} on average.`;
}

/** One short line for lists and status bars: "robust 15.6% (PGD-10 L∞ ε=8/255) · clean 32.8%", or null. */
export function shortHeadline(v: Verdict): string | null {
  if (v.robust) return `robust ${pct(v.robust.top1)} (${shortAttackName(v.robust.label)}) · clean ${pct(v.robust.cleanTop1)}`;
  const last = v.alongTraining?.last;
  if (last)
    return `${last.name}: ${last.robustTop1 !== null && last.attack ? `robust ${pct(last.robustTop1)} (${shortAttackName(last.attack)}) · ` : ''}clean ${pct(last.cleanTop1)}`;
  if (v.clean) return `clean ${pct(v.clean.top1)}`;
  return null;
}

/** Three significant digits, without trailing zeros ("0.25", "1.5"). */
function sig3(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** An integer with a true minus sign, as the panel's axes write frequencies. */
function signed(k: number): string {
  return k < 0 ? `−${-k}` : String(k);
}
