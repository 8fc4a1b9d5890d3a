/**
 * Run-time sanity checks over a run's clean predictions: the signs that the numbers rest on a labelling or
 * preprocessing mistake rather than on the model. Each check has a statistical threshold so that it stays
 * quiet on small honest samples:
 *  - near-chance: clean top-1 not significantly above 1/K (K = classes present; one-sided exact binomial
 *    test at α = 0.01, at least SANITY_MIN_IMAGES images);
 *  - confidence-gap: mean confidence far above accuracy (≥ 30 pp, and ≥ 20 pp above accuracy's 99 % Wilson
 *    upper bound): a model that sure of itself is usually right;
 *  - permutation: the assignment true class → logit that maximises matched images (Hungarian algorithm,
 *    exact) moves at least two classes, each mostly predicted as its new logit; then the class names in the
 *    logit order it implies are proposed, with the accuracy they would give;
 *  - single-class: ≥ 90 % of the images predicted as one class while several true classes are present;
 *  - probabilities-as-logits: the outputs are treated as logits, yet every score lies in [0, 1].
 * Pure: no I/O; the jobs call it once their clean predictions are in (src/engine/eval/sanityReport.ts).
 */
import type { Provenance } from '../config/runConfig';
import type { OutputKindDecision } from '../runtime/classifier';
import type { SanityFinding, SanitySection } from '../report/sections';

/** Range of the raw scores a run saw: what tells probabilities from logits after the fact. */
export interface OutputRange {
  min: number;
  max: number;
  rowSumMin: number;
  rowSumMax: number;
  rows: number;
}

/** Extends `range` (null = nothing yet) by count × classes scores; ±∞ are clamped so that the range stays JSON. */
export function extendOutputRange(range: OutputRange | null, scores: ArrayLike<number>, classes: number): OutputRange {
  const r = range ?? { min: Number.MAX_VALUE, max: -Number.MAX_VALUE, rowSumMin: Number.MAX_VALUE, rowSumMax: -Number.MAX_VALUE, rows: 0 };
  const count = classes > 0 ? Math.floor(scores.length / classes) : 0;
  const clamp = (v: number) => Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, v));
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const v = clamp(scores[i * classes + k]);
      if (v < r.min) r.min = v;
      if (v > r.max) r.max = v;
      sum += v;
    }
    sum = clamp(sum);
    if (sum < r.rowSumMin) r.rowSumMin = sum;
    if (sum > r.rowSumMax) r.rowSumMax = sum;
  }
  r.rows += count;
  return r;
}

/** The clean predictions the checks look at (a CleanEvalResult / CleanSection has these fields). */
export interface SanityEvidence {
  evaluated: number;
  top1Correct: number;
  /** Mean probability of the predicted class. */
  meanConfidence: number;
  /** confusion[true][predicted], or null when `confusionCells` holds the non-zero cells instead. */
  confusion: number[][] | null;
  confusionCells?: [number, number, number][];
  outputRange?: OutputRange | null;
}

export interface SanityContext {
  /** Scores per image (the model's outputs). */
  numOutputs: number;
  /** The class names the run used, index = label. */
  classNames: string[];
  /** Where they came from: 'default' = the class folders in alphabetical order (torchvision's ImageFolder). */
  classNamesSource: Provenance | null;
  outputKind: OutputKindDecision | null;
  /** Labels follow the class names (class folders): only then does reordering the names fix a permutation. */
  labelsByName: boolean;
}

/** Below this many evaluated images the accuracy-based checks stay quiet. */
export const SANITY_MIN_IMAGES = 30;
/** Significance of the near-chance test. */
export const NEAR_CHANCE_ALPHA = 0.01;
/** Mean confidence minus accuracy that counts as far above, and its margin over accuracy's 99 % upper bound. */
export const CONFIDENCE_GAP = 0.3;
export const CONFIDENCE_GAP_MARGIN = 0.2;
/** Share of the images predicted as one class that counts as "every image predicts one class". */
export const SINGLE_CLASS_SHARE = 0.9;
export const SINGLE_CLASS_MIN_IMAGES = 20;
/** A class moved by the assignment counts only with at least this many images on its new logit… */
export const PERMUTATION_MIN_CELL = 5;
/** …and at least half of its images there, three times as many as on its own logit. */
export const PERMUTATION_ROW_SHARE = 0.5;
export const PERMUTATION_OVER_DIAGONAL = 3;
/** The assignment must gain at least this many correctly classified images. */
export const PERMUTATION_MIN_GAIN = 10;
/** Rows seen before an all-[0, 1] output is called probabilities. */
export const PROBABILITY_MIN_ROWS = 8;

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function checkSanity(evidence: SanityEvidence, ctx: SanityContext): SanitySection {
  const m = ConfusionStats.of(evidence);
  const findings: SanityFinding[] = [];
  const permutation = checkPermutation(m, evidence, ctx);
  if (permutation) findings.push(permutation.finding);
  const single = checkSingleClass(m, ctx);
  if (single) findings.push(single);
  const probabilities = checkProbabilitiesAsLogits(evidence, ctx);
  if (probabilities) findings.push(probabilities);
  const chance = checkNearChance(m, evidence);
  if (chance) findings.push(chance);
  const gap = checkConfidenceGap(m, evidence);
  if (gap) findings.push(gap);
  return { kind: 'sanity', findings, proposal: permutation?.proposal ?? null };
}

/** Row and column totals of the confusion matrix, from its dense or sparse form. */
class ConfusionStats {
  readonly rowTotal = new Map<number, number>();
  readonly colTotal = new Map<number, number>();
  /** Cells by row: predicted → count. */
  readonly rows = new Map<number, Map<number, number>>();
  total = 0;

  static of(e: SanityEvidence): ConfusionStats {
    const s = new ConfusionStats();
    if (e.confusion) {
      e.confusion.forEach((row, t) => row.forEach((n, p) => n > 0 && s.add(t, p, n)));
    } else for (const [t, p, n] of e.confusionCells ?? []) if (n > 0) s.add(t, p, n);
    return s;
  }

  private add(t: number, p: number, n: number): void {
    this.rowTotal.set(t, (this.rowTotal.get(t) ?? 0) + n);
    this.colTotal.set(p, (this.colTotal.get(p) ?? 0) + n);
    let row = this.rows.get(t);
    if (!row) this.rows.set(t, (row = new Map<number, number>()));
    row.set(p, (row.get(p) ?? 0) + n);
    this.total += n;
  }

  cell(t: number, p: number): number {
    return this.rows.get(t)?.get(p) ?? 0;
  }

  /** Classes with at least one evaluated image. */
  get present(): number[] {
    return [...this.rowTotal.keys()].sort((a, b) => a - b);
  }
}

const nameOf = (ctx: SanityContext, i: number) => JSON.stringify(ctx.classNames[i] ?? `class ${i}`);

/** How the run got its class names, for the messages. */
function namesSource(ctx: SanityContext): string {
  switch (ctx.classNamesSource) {
    case 'config':
      return 'The class names come from the configuration (robustness.json or its labels file)';
    case 'flag':
      return 'The class names come from --class-names / --labels';
    case 'inferred':
      return 'The class names were inferred';
    default:
      return ctx.labelsByName
        ? "No class names are configured, so the class folders are taken in alphabetical order (as torchvision's ImageFolder does), which need not be the model's logit order"
        : 'No class names are configured, so the labels are taken as logit indices';
  }
}

// ---- permutation ----

interface PermutationResult {
  finding: SanityFinding;
  proposal: SanitySection['proposal'];
}

function checkPermutation(m: ConfusionStats, e: SanityEvidence, ctx: SanityContext): PermutationResult | null {
  const present = m.present;
  if (present.length < 2 || m.total === 0) return null;
  // A confirmed move needs a row whose off-diagonal maximum passes the per-class test; fewer than two such
  // rows and no assignment can confirm two moves (this keeps the O(K³) solve off ordinary 1000-class runs).
  const candidates = present.filter((t) => {
    let best = 0;
    for (const [p, n] of m.rows.get(t)!) if (p !== t && n > best) best = n;
    return (
      best >= PERMUTATION_MIN_CELL && best >= PERMUTATION_ROW_SHARE * m.rowTotal.get(t)! && best >= PERMUTATION_OVER_DIAGONAL * m.cell(t, t)
    );
  });
  if (candidates.length < 2) return null;
  const assignment = bestAssignment(m, present);
  const trace = present.reduce((s, t) => s + m.cell(t, t), 0);
  const matched = present.reduce((s, t) => s + m.cell(t, assignment.get(t)!), 0);
  const moved = present.filter((t) => assignment.get(t) !== t);
  const confirmed = moved.filter((t) => {
    const on = m.cell(t, assignment.get(t)!);
    return on >= PERMUTATION_MIN_CELL && on >= PERMUTATION_ROW_SHARE * m.rowTotal.get(t)! && on >= PERMUTATION_OVER_DIAGONAL * m.cell(t, t);
  });
  if (confirmed.length < 2 || confirmed.length < moved.length / 2 || matched - trace < PERMUTATION_MIN_GAIN) return null;

  const n = e.evaluated || m.total;
  const current = trace / n;
  const accuracy = matched / n;
  const examples = confirmed
    .slice(0, 4)
    .map((t) => `${nameOf(ctx, t)} images → logit ${assignment.get(t)} (${pct(m.cell(t, assignment.get(t)!) / m.rowTotal.get(t)!)})`)
    .join(', ');
  const seen = `${confirmed.length} of the ${present.length} classes present are each mostly predicted as one other, distinct logit: ${examples}${confirmed.length > 4 ? ', …' : ''}.`;
  if (!ctx.labelsByName) {
    return {
      finding: {
        check: 'permutation',
        severity: 'error',
        message: `Looks like a labelling mistake (class order): ${seen} ${namesSource(ctx)}. Remapping the labels that way would give ${pct(accuracy)} clean accuracy instead of ${pct(current)} on ${n} images. Fix the labels so that each label is the model's logit index for that class.`,
      },
      proposal: null,
    };
  }
  const classNames = proposedNames(assignment, ctx);
  const list = classNames.length <= 20 ? `: ${JSON.stringify(classNames)}` : ' (the full list is in the report\'s "sanity" section)';
  return {
    finding: {
      check: 'permutation',
      severity: 'error',
      message: `Looks like a labelling mistake (class order): ${seen} ${namesSource(ctx)}. With the class names in the order these predictions imply, clean accuracy would be ${pct(accuracy)} instead of ${pct(current)} on ${n} images. Apply the proposed class order (the panel's "Apply this class order"), or set "classNames" in logit order in robustness.json${list}.`,
    },
    proposal: { classNames, accuracy, currentAccuracy: current, evaluated: n },
  };
}

/**
 * The logit each present class is assigned to, maximising matched images; among equally good assignments
 * the one keeping most classes on their own logit (weights 2·count, +1 on the diagonal).
 */
function bestAssignment(m: ConfusionStats, present: number[]): Map<number, number> {
  // Only logits that some image is predicted as, or that a present class holds, can matter; the rest weigh 0.
  const cols = [...new Set([...present, ...m.colTotal.keys()])].sort((a, b) => a - b);
  const weights = present.map((t) => cols.map((c) => 2 * m.cell(t, c) + (t === c ? 1 : 0)));
  const colOf = maxWeightAssignment(weights);
  return new Map(present.map((t, i) => [t, cols[colOf[i]]]));
}

/** proposed[logit] = the class name whose images that logit predicts; classes without images keep their index when free. */
function proposedNames(assignment: Map<number, number>, ctx: SanityContext): string[] {
  const size = Math.max(ctx.numOutputs, ctx.classNames.length);
  const out: (string | null)[] = new Array<string | null>(size).fill(null);
  for (const [t, logit] of assignment) out[logit] = ctx.classNames[t] ?? `class ${t}`;
  const absent = ctx.classNames.map((_, i) => i).filter((i) => !assignment.has(i));
  const later: number[] = [];
  for (const i of absent) {
    if (out[i] === null) out[i] = ctx.classNames[i];
    else later.push(i);
  }
  for (const i of later) out[out.indexOf(null)] = ctx.classNames[i];
  const used = new Set(out.filter((s): s is string => s !== null));
  return out.map((name, j) => {
    if (name !== null) return name;
    // A logit no class name reaches still needs a name: the configuration lists one per output.
    let fresh = `class ${j}`;
    for (let k = 2; used.has(fresh); k++) fresh = `class ${j} (${k})`;
    used.add(fresh);
    return fresh;
  });
}

/**
 * Maximum-weight assignment of every row to a distinct column (rows ≤ columns): the Hungarian algorithm
 * with potentials (Kuhn–Munkres, O(rows² · columns)), exact. Returns the column of each row.
 */
export function maxWeightAssignment(weights: number[][]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const mCols = weights[0].length;
  if (mCols < n) throw new Error(`assignment needs at least as many columns (${mCols}) as rows (${n})`);
  // Minimise cost = −weight; 1-based arrays as in the classic formulation.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(mCols + 1);
  const p = new Int32Array(mCols + 1); // p[j] = row matched to column j (0 = none)
  const way = new Int32Array(mCols + 1);
  const minv = new Float64Array(mCols + 1);
  const used = new Uint8Array(mCols + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= mCols; j++) {
        if (used[j]) continue;
        const cur = -weights[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= mCols; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOf = new Array<number>(n).fill(-1);
  for (let j = 1; j <= mCols; j++) if (p[j] > 0) colOf[p[j] - 1] = j - 1;
  return colOf;
}

// ---- single class ----

function checkSingleClass(m: ConfusionStats, ctx: SanityContext): SanityFinding | null {
  const present = m.present;
  if (m.total < SINGLE_CLASS_MIN_IMAGES || present.length < 2) return null;
  let top = -1,
    topCount = 0;
  for (const [c, n] of m.colTotal) if (n > topCount) [top, topCount] = [c, n];
  const share = topCount / m.total;
  const trueShare = (m.rowTotal.get(top) ?? 0) / m.total;
  // An honest model predicts a class about as often as it occurs: only far more often is a collapse.
  if (share < SINGLE_CLASS_SHARE || share - trueShare < 0.3) return null;
  return {
    check: 'single-class',
    severity: 'error',
    message: `Looks like a preprocessing mistake: ${pct(share)} of the ${m.total} images are predicted as ${nameOf(ctx, top)} (logit ${top}), though they come from ${present.length} classes (${pct(trueShare)} of them are ${nameOf(ctx, top)}). Inputs unlike the training data (wrong mean/std, pixel scale 1 vs 255, RGB vs BGR, layout, size) often collapse onto one class: check the preprocessing in robustness.json against how the model was trained.`,
  };
}

// ---- probabilities treated as logits ----

function checkProbabilitiesAsLogits(e: SanityEvidence, ctx: SanityContext): SanityFinding | null {
  const r = e.outputRange;
  const kind = ctx.outputKind;
  if (!r || !kind || kind.kind !== 'logits' || r.rows < PROBABILITY_MIN_ROWS || ctx.numOutputs < 2) return null;
  if (r.min < 0 || r.max > 1) return null;
  const sumsToOne = r.rowSumMin >= 0.99 && r.rowSumMax <= 1.01;
  const range = `every one of the ${r.rows} × ${ctx.numOutputs} scores lies in [${r.min.toPrecision(3)}, ${r.max.toPrecision(3)}] and the rows sum to ${r.rowSumMin.toFixed(4)}–${r.rowSumMax.toFixed(4)}`;
  const treated = `yet the outputs are treated as logits (${kind.reason}), so confidences are a softmax of probabilities (mean ${pct(e.meanConfidence)}, never above ${pct(Math.E / (Math.E + ctx.numOutputs - 1))}) and the attacks' losses work on the wrong scale`;
  if (sumsToOne) {
    return {
      check: 'probabilities-as-logits',
      severity: 'error',
      message: `Looks like an output mistake: probabilities fed where logits were expected — ${range}, as softmax probabilities do, ${treated}. Export the model's logits (drop the final Softmax), or end the graph with a plain Softmax node so that it is recognised.`,
    };
  }
  return {
    check: 'probabilities-as-logits',
    severity: 'warning',
    message: `Looks like an output mistake: probabilities fed where logits were expected — ${range} (per-class sigmoid outputs, or rescaled probabilities), ${treated}. Export the scores before the final Sigmoid/normalisation.`,
  };
}

// ---- accuracy near chance, confidence far above accuracy ----

function checkNearChance(m: ConfusionStats, e: SanityEvidence): SanityFinding | null {
  const n = e.evaluated;
  const k = m.present.length;
  if (n < SANITY_MIN_IMAGES || k < 2) return null;
  const chance = 1 / k;
  const p = binomialUpperTail(e.top1Correct, n, chance);
  if (p < NEAR_CHANCE_ALPHA) return null;
  return {
    check: 'near-chance',
    severity: 'error',
    message: `Looks like a labelling or preprocessing mistake: clean top-1 accuracy is ${pct(e.top1Correct / n)} (${e.top1Correct} of ${n} images), not significantly above chance (1/${k} = ${pct(chance)} for the ${k} classes present; one-sided binomial p = ${p.toPrecision(2)}). Every robustness figure of this run rests on it. Check the class order (classNames in logit order) and the preprocessing (mean/std, pixel scale, channel order, size).`,
  };
}

function checkConfidenceGap(m: ConfusionStats, e: SanityEvidence): SanityFinding | null {
  const n = e.evaluated;
  if (n < SANITY_MIN_IMAGES || m.present.length < 2) return null;
  const accuracy = e.top1Correct / n;
  const upper = wilsonUpper(e.top1Correct, n, 2.576);
  if (e.meanConfidence - accuracy < CONFIDENCE_GAP || e.meanConfidence - upper < CONFIDENCE_GAP_MARGIN) return null;
  return {
    check: 'confidence-gap',
    severity: 'warning',
    message: `Looks like a labelling or preprocessing mistake: the model's mean confidence is ${pct(e.meanConfidence)} but its clean top-1 accuracy only ${pct(accuracy)} on ${n} images (99 % upper bound ${pct(upper)}). A model that sure of itself is usually right, so the labels (class order) or the images it is fed are likely not what it was trained on; check classNames and the preprocessing.`,
  };
}

/** Upper end of the Wilson score interval for k successes in n trials. */
export function wilsonUpper(k: number, n: number, z: number): number {
  if (n === 0) return 1;
  const p = k / n;
  const z2 = z * z;
  return Math.min(1, (p + z2 / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n));
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed in log space (exact up to rounding). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p),
    lq = Math.log1p(-p);
  const logPmf = (i: number) => logFactorial(n) - logFactorial(i) - logFactorial(n - i) + i * lp + (n - i) * lq;
  let max = -Infinity;
  const terms: number[] = [];
  for (let i = k; i <= n; i++) {
    const t = logPmf(i);
    terms.push(t);
    if (t > max) max = t;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.min(1, Math.exp(max) * sum);
}

const LOG_FACTORIALS: number[] = [0];
/** log(n!), cached (n is at most the images evaluated). */
function logFactorial(n: number): number {
  for (let i = LOG_FACTORIALS.length; i <= n; i++) LOG_FACTORIALS.push(LOG_FACTORIALS[i - 1] + Math.log(i));
  return LOG_FACTORIALS[n];
}
