/**
 * The warning signs of an evaluation that overstates robustness (gradient masking and friends), from a
 * finished report's sections plus three measurements the jobs take on the way: logits of the same images
 * classified twice (per model), the health of the input gradient at the clean images, and the model's output
 * kind (the sanity check's own evidence, not a second detector). Pure: sections and numbers in, flags out.
 *
 * The checks follow Carlini et al., "On Evaluating Adversarial Robustness" (2019) and AutoAttack's
 * "flags" (Croce & Hein, 2020): each one is cheap evidence that the white-box attacks may not have worked.
 */
import type { AttacksSection } from '../jobs/attackJob';
import type { DefencesSection, FlagsSection, MaskingFlag, SanitySection } from '../report/sections';
import { attackNorm, isAttackName } from '../attacks/catalog';
import type { OutputKind } from './scores';

/** Two classifications of the same images through one model (the undefended one, or a defended one). */
export interface Repeatability {
  /** "model", or the defence's kind. */
  model: string;
  images: number;
  /** Images whose score rows differ beyond float noise between the two classifications. */
  differing: number;
  /** Images whose top-1 class differs. */
  top1Changed: number;
  maxAbsDiff: number;
}

/** The input gradient (cross-entropy, true label) at the clean images the attacks started from. */
export interface GradientHealth {
  images: number;
  /** Gradient exactly zero at every pixel. */
  zero: number;
  /** Some pixel NaN. */
  nan: number;
  /** Some pixel ±∞ (and none NaN). */
  infinite: number;
}

/** One attack's robust accuracy over a grid of ε (the analyse job's ε sweep, on the undefended model). */
export interface EpsilonCurve {
  attack: string;
  eps: number[];
  robustAccuracy: (number | null)[];
  evaluated: number;
}

export interface FlagInputs {
  attacks?: AttacksSection | null;
  defences?: DefencesSection | null;
  epsilonCurve?: EpsilonCurve | null;
  sanity?: SanitySection | null;
  /** The classifier's decided output kind (null: never classified anything). */
  outputKind?: { kind: OutputKind; reason: string } | null;
  repeatability?: Repeatability[];
  gradients?: GradientHealth | null;
}

/** A black-box attack beating the white-box ones by more than this (fraction of images) is suspect. */
export const BLACK_BOX_MARGIN = 0.002;
/** Robust accuracy rising by more than this (fraction) as ε grows is suspect. */
export const EPSILON_RISE_MARGIN = 0.002;
/** A defence "collapses" when the adaptive attack takes away at least this much of its non-adaptive rate … */
export const COLLAPSE_DROP = 0.25;
/** … and leaves less than this share of it. */
export const COLLAPSE_KEEP = 0.5;
/** Score rows differing by more than this (relative to max(1, |score|)) count as different: beyond float noise. */
export const REPEAT_TOLERANCE = 1e-5;

export const FLAGS_DEFINITION =
  'Each flag is cheap evidence that the attacks may have understated the attack strength needed (gradient masking, randomness, saturated outputs); none proves it, and an empty list proves nothing either. After Carlini et al. 2019 and AutoAttack (Croce & Hein 2020).';

/** Compares two classifications of the same `count` images, row by row. */
export function compareScores(model: string, a: Float32Array, b: Float32Array, count: number): Repeatability {
  const classes = count ? a.length / count : 0;
  let differing = 0;
  let top1Changed = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < count; i++) {
    let differs = false;
    let ta = 0;
    let tb = 0;
    for (let k = 0; k < classes; k++) {
      const x = a[i * classes + k];
      const y = b[i * classes + k];
      const d = Math.abs(x - y);
      if (!(d <= REPEAT_TOLERANCE * Math.max(1, Math.abs(x)))) differs = true;
      if (Number.isFinite(d)) maxAbsDiff = Math.max(maxAbsDiff, d);
      if (x > a[i * classes + ta]) ta = k;
      if (y > b[i * classes + tb]) tb = k;
    }
    if (differs) differing++;
    if (ta !== tb) top1Changed++;
  }
  return { model, images: count, differing, top1Changed, maxAbsDiff };
}

/** Adds a batch of gradients (count × pixels) to a health tally. */
export function tallyGradients(into: GradientHealth, grad: Float32Array, count: number): void {
  const per = count ? grad.length / count : 0;
  for (let i = 0; i < count; i++) {
    let zero = true;
    let nan = false;
    let inf = false;
    for (let j = i * per; j < (i + 1) * per; j++) {
      const g = grad[j];
      if (g !== 0) zero = false;
      if (Number.isNaN(g)) nan = true;
      else if (!Number.isFinite(g)) inf = true;
    }
    into.images++;
    if (nan) into.nan++;
    else if (inf) into.infinite++;
    else if (zero) into.zero++;
  }
}

const pt = (v: number) => `${(100 * v).toFixed(1)} %`;

export function maskingFlags(inputs: FlagInputs): FlagsSection {
  const flags: MaskingFlag[] = [
    ...randomized(inputs.repeatability ?? []),
    ...probabilities(inputs),
    ...gradientFlags(inputs.gradients ?? null),
    ...blackBoxStronger(inputs.attacks ?? null),
    ...epsilonNotDecreasing(inputs.attacks ?? null, inputs.epsilonCurve ?? null),
    ...unboundedShort(inputs.attacks ?? null),
    ...adaptiveCollapse(inputs.defences ?? null),
  ];
  const checked: string[] = [];
  if (inputs.repeatability?.length) checked.push('randomized-outputs');
  if (inputs.outputKind || inputs.sanity) checked.push('probabilities-output');
  if (inputs.gradients?.images) checked.push('gradient-zero-or-nonfinite');
  if (inputs.attacks) checked.push('black-box-stronger', 'unbounded-not-100');
  if (inputs.attacks || inputs.epsilonCurve) checked.push('robustness-not-decreasing-with-eps');
  if (inputs.defences) checked.push('adaptive-collapse');
  return {
    kind: 'flags',
    flags,
    checked,
    measurements: {
      repeatability: inputs.repeatability ?? [],
      gradients: inputs.gradients ?? null,
      outputKind: inputs.outputKind?.kind ?? null,
      epsilonCurve: inputs.epsilonCurve ?? null,
    },
    definition: FLAGS_DEFINITION,
  };
}

function randomized(reps: Repeatability[]): MaskingFlag[] {
  return reps
    .filter((r) => r.differing > 0)
    .map((r) => ({
      id: 'randomized-outputs',
      subject: r.model,
      severity: 'warning',
      title: r.model === 'model' ? 'Randomized outputs' : `Randomized outputs (${r.model})`,
      explanation: `The same images classified twice gave different scores: a gradient attack sees one random draw, so only an attack that averages over the randomness (EOT) measures it.`,
      evidence: {
        images: r.images,
        differing: r.differing,
        top1Changed: r.top1Changed,
        maxAbsDiff: r.maxAbsDiff,
      },
      summary: `${r.differing} of ${r.images} images scored differently on a second run (top-1 changed on ${r.top1Changed}; largest score difference ${r.maxAbsDiff.toPrecision(3)})`,
    }));
}

function probabilities({ outputKind, sanity }: FlagInputs): MaskingFlag[] {
  const finding = sanity?.findings.find((f) => f.check === 'probabilities-as-logits');
  if (finding)
    return [
      {
        id: 'probabilities-output',
        subject: 'model',
        severity: 'warning',
        title: 'Probabilities at the output',
        explanation:
          'The outputs look like probabilities yet are used as logits: losses on saturated probabilities give vanishing gradients, so gradient attacks look weaker than they are.',
        evidence: { treatedAs: outputKind?.kind ?? 'logits' },
        summary: finding.message,
      },
    ];
  if (outputKind?.kind === 'probabilities')
    return [
      {
        id: 'probabilities-output',
        subject: 'model',
        severity: 'warning',
        title: 'Probabilities at the output',
        explanation:
          'The model ends in a softmax: its saturated probabilities can hide the gradient (the attacks differentiate their logarithm, which helps only while they are not rounded to 0 or 1); attack the logits where you can.',
        evidence: { outputKind: outputKind.kind },
        summary: `the output kind was decided as probabilities: ${outputKind.reason}`,
      },
    ];
  return [];
}

function gradientFlags(g: GradientHealth | null): MaskingFlag[] {
  if (!g || g.images === 0) return [];
  const bad = g.zero + g.nan + g.infinite;
  if (bad === 0) return [];
  return [
    {
      id: 'gradient-zero-or-nonfinite',
      subject: 'model',
      severity: g.nan + g.infinite > 0 ? 'error' : 'warning',
      title: 'Zero or non-finite gradients',
      explanation:
        'The input gradient at some clean images is all zero, NaN or infinite: gradient attacks cannot move from there, so their robust accuracy is an overestimate on those images.',
      evidence: {
        images: g.images,
        zero: g.zero,
        nan: g.nan,
        infinite: g.infinite,
        zeroFraction: g.zero / g.images,
        nanFraction: g.nan / g.images,
        infiniteFraction: g.infinite / g.images,
      },
      summary: `of ${g.images} attacked images, the cross-entropy gradient was all zero on ${g.zero} (${pt(g.zero / g.images)}), NaN on ${g.nan} (${pt(g.nan / g.images)}), infinite on ${g.infinite} (${pt(g.infinite / g.images)})`,
    },
  ];
}

type Run = AttacksSection['runs'][number];
/** The run's norm: its parameter, else the attack's only one (FGSM is L∞); null for an attack this version does not know. */
const normOf = (r: Run): string | null => {
  if (typeof r.params.norm === 'string') return r.params.norm;
  return typeof r.params.attack === 'string' && isAttackName(r.params.attack) ? attackNorm(r.params.attack, r.params) : null;
};
const epsOf = (r: Run) => (typeof r.params.eps === 'number' ? r.params.eps : null);
const attackOf = (r: Run) => (typeof r.params.attack === 'string' ? r.params.attack : r.label);
const bounded = (r: Run) => r.mode === 'fixed-eps' && !r.targeted && r.evaluated > 0 && normOf(r) !== null && epsOf(r) !== null;
const sameBall = (a: Run, b: Run) => normOf(a) === normOf(b) && Math.abs(epsOf(a)! - epsOf(b)!) <= 1e-9 * Math.max(1, epsOf(a)!);

function blackBoxStronger(attacks: AttacksSection | null): MaskingFlag[] {
  if (!attacks) return [];
  const ensemble = attacks.ensemble;
  if (ensemble) {
    // The cascade runs each attack only on what the earlier ones left: a black-box attack breaking images
    // after the white-box ones is the evidence (their standalone accuracies are not measured).
    const out: MaskingFlag[] = [];
    ensemble.attacks.forEach((row, a) => {
      const run = attacks.runs[a];
      if (!run || run.gradient !== 'none' || a === 0) return;
      const whiteBefore = attacks.runs.slice(0, a).filter((r) => r.gradient !== 'none');
      if (!whiteBefore.length || ensemble.evaluated === 0) return;
      const share = row.broke / ensemble.evaluated;
      if (share <= BLACK_BOX_MARGIN) return;
      out.push({
        id: 'black-box-stronger',
        subject: row.label,
        severity: 'warning',
        title: 'Black-box attack stronger than white-box',
        explanation:
          'A black-box attack broke images that every gradient attack before it in the cascade left standing: the gradients there are likely masked.',
        evidence: {
          broke: row.broke,
          ranOn: row.ranOn,
          evaluated: ensemble.evaluated,
          points: 100 * share,
          robustAccuracyBefore: a > 0 ? ensemble.attacks[a - 1].robustAccuracyAfter : ensemble.cleanAccuracy,
          robustAccuracyAfter: row.robustAccuracyAfter,
        },
        summary: `${row.label} broke ${row.broke} of the ${row.ranOn} images that ${whiteBefore.map((r) => r.label).join(', ')} left robust (${(100 * share).toFixed(1)} pt of ${ensemble.evaluated} images)`,
      });
    });
    return out;
  }
  const runs = attacks.runs.filter(bounded);
  const out: MaskingFlag[] = [];
  for (const black of runs.filter((r) => r.gradient === 'none')) {
    const whites = runs.filter((r) => r.gradient === 'analytic' && sameBall(r, black));
    if (!whites.length) continue;
    const best = whites.reduce((a, b) => (b.attacked.top1Accuracy < a.attacked.top1Accuracy ? b : a));
    const gap = best.attacked.top1Accuracy - black.attacked.top1Accuracy;
    if (gap <= BLACK_BOX_MARGIN) continue;
    out.push({
      id: 'black-box-stronger',
      subject: black.label,
      severity: 'warning',
      title: 'Black-box attack stronger than white-box',
      explanation:
        'A black-box attack, which never sees the gradient, found more adversarial examples than the gradient attacks at the same ε: the gradients are likely masked.',
      evidence: {
        blackBoxRobustAccuracy: black.attacked.top1Accuracy,
        whiteBoxRobustAccuracy: best.attacked.top1Accuracy,
        points: 100 * gap,
        evaluated: black.evaluated,
      },
      summary: `${black.label}: robust accuracy ${pt(black.attacked.top1Accuracy)}, below ${best.label}'s ${pt(best.attacked.top1Accuracy)} by ${(100 * gap).toFixed(1)} pt`,
    });
  }
  return out;
}

function epsilonNotDecreasing(attacks: AttacksSection | null, curve: EpsilonCurve | null): MaskingFlag[] {
  const out: MaskingFlag[] = [];
  // The same attack at several ε (fixed-ε runs of one attack and norm, otherwise equal).
  if (attacks && !attacks.ensemble) {
    const groups = new Map<string, Run[]>();
    for (const r of attacks.runs.filter(bounded)) {
      const { eps: _eps, ...rest } = r.params;
      const key = JSON.stringify(rest);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const sorted = [...group].sort((a, b) => epsOf(a)! - epsOf(b)!);
      const rise = firstRise(
        sorted.map((r) => epsOf(r)!),
        sorted.map((r) => r.attacked.top1Accuracy),
      );
      if (rise)
        out.push(
          riseFlag(
            attackOf(sorted[0]),
            'robust accuracy',
            rise,
            `${sorted[rise.at - 1].label} → ${sorted[rise.at].label}: robust accuracy ${pt(rise.from)} → ${pt(rise.to)}`,
          ),
        );
    }
  }
  if (curve) {
    const rise = firstRise(curve.eps, curve.robustAccuracy);
    if (rise)
      out.push(
        riseFlag(
          curve.attack,
          'robust accuracy',
          rise,
          `${curve.attack} on ${curve.evaluated} images: robust accuracy ${pt(rise.from)} at ε=${rise.epsFrom.toPrecision(3)} → ${pt(rise.to)} at ε=${rise.epsTo.toPrecision(3)}`,
        ),
      );
  }
  return out;
}

interface Rise {
  at: number;
  epsFrom: number;
  epsTo: number;
  from: number;
  to: number;
}

/** The first step along growing ε where the accuracy rises by more than the margin (nulls skipped). */
function firstRise(x: number[], y: (number | null)[]): Rise | null {
  let prev = -1;
  for (let i = 0; i < x.length; i++) {
    const v = y[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (prev >= 0 && x[i] > x[prev] && v - y[prev]! > EPSILON_RISE_MARGIN)
      return { at: i, epsFrom: x[prev], epsTo: x[i], from: y[prev]!, to: v };
    prev = i;
  }
  return null;
}

function riseFlag(subject: string, what: string, rise: Rise, summary: string): MaskingFlag {
  return {
    id: 'robustness-not-decreasing-with-eps',
    subject,
    severity: 'warning',
    title: `${what[0].toUpperCase()}${what.slice(1)} not decreasing as ε grows`,
    explanation: `A larger ε can only help a working attack, yet the ${what} went up: the attack is failing to optimise (masked or noisy gradients).`,
    evidence: { epsFrom: rise.epsFrom, epsTo: rise.epsTo, from: rise.from, to: rise.to, points: 100 * (rise.to - rise.from) },
    summary,
  };
}

function unboundedShort(attacks: AttacksSection | null): MaskingFlag[] {
  if (!attacks) return [];
  return attacks.runs
    .filter((r) => r.mode === 'minimal-perturbation' && r.attackedImages > 0 && r.numAdversarial < r.attackedImages)
    .map((r) => ({
      id: 'unbounded-not-100',
      subject: r.label,
      severity: 'warning',
      title: 'Unbounded attack short of 100 %',
      explanation:
        'An attack with no budget should break every image (a big enough perturbation always changes the class); one that does not is stuck, typically on flat or broken gradients.',
      evidence: { attacked: r.attackedImages, broken: r.numAdversarial, successRate: r.successRate },
      summary: `${r.label} broke ${r.numAdversarial} of ${r.attackedImages} attacked images (${pt(r.successRate)})`,
    }));
}

function adaptiveCollapse(defences: DefencesSection | null): MaskingFlag[] {
  if (!defences) return [];
  const out: MaskingFlag[] = [];
  for (const result of defences.results)
    for (const row of result.rows) {
      const a = row.adaptive;
      if (!a || a.defenceRate === null || a.nonAdaptiveDefenceRate === null || a.images === 0) continue;
      const drop = a.nonAdaptiveDefenceRate - a.defenceRate;
      if (drop < COLLAPSE_DROP || a.defenceRate >= COLLAPSE_KEEP * a.nonAdaptiveDefenceRate) continue;
      out.push({
        id: 'adaptive-collapse',
        subject: `${result.defence.kind} / ${row.attack.label}`,
        severity: 'warning',
        title: `Defence collapses under its adaptive attack (${result.defence.kind})`,
        explanation:
          'The defence rate against examples made for the undefended model is far above the rate against an attack that knows the defence: the non-adaptive figure measures obfuscation, not robustness.',
        evidence: {
          nonAdaptive: a.nonAdaptiveDefenceRate,
          adaptive: a.defenceRate,
          points: 100 * drop,
          images: a.images,
        },
        summary: `${result.defence.kind} against ${row.attack.label}: ${pt(a.nonAdaptiveDefenceRate)} non-adaptive → ${pt(a.defenceRate)} under ${a.label} on the same ${a.images} examples`,
      });
    }
  return out;
}
