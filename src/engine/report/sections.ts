/**
 * The report sections of the defences and the frequency lens (besides `clean` and `attacks`). Every figure
 * that depends on randomness carries its seed; every defence figure carries the attack mode it was measured
 * under. Readers (CLI summary, the VS Code panels) render whichever of these a report holds.
 */
import type { AttackMode, Criterion, Norm } from '../attacks/types';

/** Accuracy pair on one image set, top-1 and top-5 (fractions of the evaluated images). */
export interface Accuracy {
  top1: number;
  top5: number;
}

/** Which images a defence was measured on, and what was attacked. */
export interface DefenceAttackRef {
  /** The attack's display label, e.g. "PGD-10 L∞ ε=8/255" (same as in the attacks section). */
  label: string;
  mode: AttackMode;
  norm: Norm;
  criterion: Criterion;
  seed: number;
}

/** One defence × one attack: the post-averaging papers' protocol. */
export interface DefenceRow {
  attack: DefenceAttackRef;
  evaluated: number;
  /** #Adv: adversarial examples in the Attacked set (attack succeeded on the undefended model). */
  numAdversarial: number;
  original: { clean: Accuracy; attacked: Accuracy };
  defended: { clean: Accuracy; attacked: Accuracy };
  /** Adversarial examples the defended model classifies correctly ÷ #Adv (under the criterion). */
  defenceRate: number | null;
  /**
   * The adaptive attack (EOT-PGD for post-averaging, PGD through the filter for low-pass), run on the same
   * #Adv images with the same norm and per-image budget as the non-adaptive example it stands beside.
   */
  adaptive: {
    label: string;
    /** Defended model correct on the adaptive example ÷ `images`. */
    defenceRate: number | null;
    /** Defended top-1/top-5 accuracy on the adaptive adversarial examples themselves. */
    attacked: Accuracy;
    /**
     * Adversarial examples re-attacked adaptively: pass 1's #Adv examples among the first `adaptiveImages`
     * correctly classified images, so never more than #Adv, and all of it when those are every correct image.
     */
    images: number;
    /**
     * Pass 1's non-adaptive defence rate on exactly those examples (the same verdicts, not a second
     * classification): the row's `defenceRate` when `images` is #Adv.
     */
    nonAdaptiveDefenceRate: number | null;
    seed: number;
    seconds: number;
    /**
     * `adaptiveAttack: 'autoattack'`: the ensemble's cascade over these images — per attack (cascade order) the
     * images it ran on (still robust before it) and broke (a fresh forward pass of the defended model), and the
     * attacks of the suite that could not run through this defence, with why.
     */
    ensemble?: {
      attacks: { name: string; label: string; ranOn: number; broke: number }[];
      skipped: { name: string; reason: string }[];
    };
  } | null;
}

export interface PostAveragingParams {
  K: number;
  /** Radius in the space the model receives (after scale and mean/std), as the authors' code measures it. */
  radius: number;
  /** The same radius expressed in pixel units (RMS over channels when std differs per channel). */
  radiusPixels: number;
  radiusSpace: 'model-input';
  directions: 'random' | 'approx';
  /** Points per image: 6K + 1. */
  points: number;
  /** Seed of the direction sampling used for defended predictions. */
  seed: number;
}

export interface LowPassParams {
  /** Keep frequencies with |k_x| ≤ cutoff and |k_y| ≤ cutoff (centred DFT), zero the rest. */
  cutoff: number;
  maxCutoff: number;
}

export interface DefenceCost {
  /** Defended inference seconds per image ÷ plain inference seconds per image, same batch size. */
  relativeCost: number;
  plainImagesPerSecond: number;
  defendedImagesPerSecond: number;
  batchSize: number;
}

/** Each defence's parameters by its kind: a new defence is one line here (its module in engine/defences/). */
export interface DefenceParamsByKind {
  'post-averaging': PostAveragingParams;
  'low-pass': LowPassParams;
}

export type DefenceSpec = { [K in keyof DefenceParamsByKind]: { kind: K; params: DefenceParamsByKind[K] } }[keyof DefenceParamsByKind];

export interface DefenceResult {
  defence: DefenceSpec;
  /** How the parameters were chosen, e.g. "r chosen by the sweep: highest defence rate with clean drop ≤ 1 pp". */
  chosenBy: string;
  rows: DefenceRow[];
  cost: DefenceCost | null;
}

export interface DefencesSection {
  kind: 'defences';
  results: DefenceResult[];
  notes: string[];
}

/** A data series of a sweep: x values and one y per x (null where not computed). */
export interface Series {
  name: string;
  /** What the series was measured under (attack label and mode, or "clean"). */
  attack: string | null;
  mode: AttackMode | 'clean';
  y: (number | null)[];
}

export interface Sweep {
  id: 'defence-rate-vs-radius' | 'defence-rate-vs-epsilon' | 'defence-rate-vs-K' | 'accuracy-vs-cutoff';
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  series: Series[];
  /** Fixed parameters of the sweep (e.g. K while r varies), and seeds. */
  fixed: Record<string, number | string>;
}

export interface SweepsSection {
  kind: 'sweeps';
  sweeps: Sweep[];
}

/** Occluded Frequency attribution of one image. */
export interface OccludedFrequencyImage {
  relPath: string;
  label: number;
  /** Class predicted on the clean image: the class whose logit is scored. */
  predicted: number;
  cleanLogit: number;
  /** Per band 0 … bands−1 (low → high): clean logit − logit after ablating the band. */
  scores: number[];
  /** Per band: whether ablating it changed the top-1 prediction. */
  flips: boolean[];
  /** Relative paths (to the report's folder) of ablated-image previews of the three highest-scoring bands. */
  previews?: { band: number; path: string }[];
  /** Relative path (to the report's folder) of the image as the model saw it, unablated (explain; absent in older reports). */
  original?: string;
  /** Probability of `predicted` on the clean image (softmax of the logits, or the model's own probability). */
  confidence?: number;
  /** Absolute path of the image file (explain, which has no dataset folder to be relative to). */
  file?: string;
}

export interface OccludedFrequencyModel {
  /** Model path (several when two models are compared side by side). */
  model: string;
  images: OccludedFrequencyImage[];
  /** Mean score per band, per class (index = class); null for classes with no images. */
  perClass: ({ count: number; scores: number[]; flipRate: number[] } | null)[];
  /** Mean score per band over every image. */
  mean: number[];
  flipRate: number[];
}

export interface OccludedFrequencySection {
  kind: 'occluded-frequency';
  /** DCT bands of the images (max(H, W)). */
  bands: number;
  /**
   * Adjacent bands ablated together (absent: 1, one band at a time). With g > 1 every per-band array (scores, flip
   * rates, means, previews' `band`) is per group k = bands g·k … min(g·k+g, bands)−1, ⌈bands/g⌉ entries.
   */
  bandGroup?: number;
  baseline: 'zero' | 'noise';
  /** The exact definition, written into the report. */
  definition: string;
  seed: number | null;
  scoreOn: 'logits' | 'log-probabilities';
  models: OccludedFrequencyModel[];
}

/** An h × w map, row-major. */
export interface Map2D {
  height: number;
  width: number;
  values: number[];
  /** Present when each cell is the mean of a block×block block of the full height × width map (src/protocol/reportMaps.ts). */
  binned?: { block: number; height: number; width: number };
}

export interface RctMap {
  attack: string;
  mode: AttackMode;
  /** Successful adversarial examples averaged. */
  count: number;
  map: Map2D;
}

export interface RctSection {
  kind: 'rct';
  /** ε in |DCT(x′) − DCT(x)| / (|DCT(x)| + ε). */
  epsilon: number;
  definition: string;
  maps: RctMap[];
}

export interface SpectrumEntry {
  attack: string;
  mode: AttackMode;
  count: number;
  /** Mean |F(δ)|, centred (DC in the middle), channel-averaged. */
  perturbationSpectrum: Map2D;
  /** Mean |log|F(x+δ)| − log|F(x)||, centred, channel-averaged. */
  logSpectrumDifference: Map2D;
  /** Mean fraction of the perturbation's energy inside S_l (|k_x|, |k_y| ≤ k_c). */
  lowFrequencyEnergyPerturbation: number;
  /** The same fraction for the clean images. */
  lowFrequencyEnergyImages: number;
}

export interface SpectraSection {
  kind: 'spectra';
  /** k_c of S_l. */
  cutoff: number;
  definition: string;
  entries: SpectrumEntry[];
}

/** One run-time sanity check that fired (src/engine/eval/sanity.ts): most likely a labelling or preprocessing mistake. */
export interface SanityFinding {
  check: 'near-chance' | 'confidence-gap' | 'permutation' | 'probabilities-as-logits' | 'single-class';
  severity: 'error' | 'warning';
  message: string;
}

/**
 * The run's own sanity checks over its clean predictions; present in every report that evaluated clean images
 * (an empty `findings` = checked, nothing found). `proposal`: the class names in logit order that the
 * confusion matrix implies (proposal.classNames[logit] = the class whose images that logit predicts), when
 * it looks like a permutation and reordering the names can fix it.
 */
export interface SanitySection {
  kind: 'sanity';
  findings: SanityFinding[];
  proposal: { classNames: string[]; accuracy: number; currentAccuracy: number; evaluated: number } | null;
}

/**
 * Every evaluated image of pass 1 as a row, stored by column (one array per field, row i of each is image i,
 * in the order the batches were attacked) so a 1,000-image × 7-attack run stays a few hundred KB. Norms, ε
 * and confidences are rounded to 4 significant digits; counts over these columns equal the attacks and
 * defences sections' counts (report/invariants.ts checks it).
 */
export interface PerImageSection {
  kind: 'per-image';
  criterion: Criterion;
  images: {
    relPath: string[];
    label: number[];
    /** The undefended model's top-1 class on the clean image (the prediction the attacks started from). */
    prediction: number[];
    /** Its probability (softmax of logits, or the model's own probabilities). */
    confidence: number[];
  };
  attacks: PerImageAttack[];
  defences: PerImageDefence[];
  examples: PerImageExamples;
}

/** Per image: 0 not attacked (wrong on the clean image under the criterion), 1 attacked and withstood, 2 broken. */
export type PerImageOutcome = 0 | 1 | 2;

export interface PerImageAttack {
  /** The attack's label, as in the attacks section. */
  attack: string;
  mode: AttackMode;
  outcome: PerImageOutcome[];
  /** The undefended model's top-1 class on the attack's example (−1 where not attacked). */
  adversarialPrediction: number[];
  /** The attack's norm (its ε-ball, or the norm a minimal-perturbation attack minimises). */
  norm: Norm;
  /**
   * The smallest budget that broke the image: the ε found (minimal-ε mode) or the perturbation's size in the
   * attack's norm (minimal-perturbation mode); null where not broken, and the whole column null in other modes.
   */
  epsilon: (number | null)[] | null;
  /** Norms of the final perturbation in pixel units (null where not attacked). */
  l2: (number | null)[];
  linf: (number | null)[];
  /** Model queries the attack spent on the image (0 where not attacked). */
  queries: number[];
  /** Images whose example PNGs were saved: row indices, and each one's perturbation amplification. */
  saved: { images: number[]; amplification: number[] };
}

/** A defence at its chosen configuration: the defended model's verdicts under the run's criterion. */
export interface PerImageDefence {
  defence: DefenceSpec['kind'];
  /** Per image: 1 the defended model is right on the clean image, 0 wrong. */
  clean: (0 | 1)[];
  /** Per image: the defended model's top-1 class on the clean image (absent in older reports). */
  cleanPrediction?: number[];
  /**
   * Per attack (by label): per image, 1 right / 0 wrong on the adversarial example, −1 where not in #Adv;
   * and the defended model's top-1 class on it (−1 where not in #Adv; absent in older reports).
   */
  adversarial: { attack: string; verdict: (-1 | 0 | 1)[]; prediction?: number[] }[];
}

/**
 * Where the example PNGs are: paths relative to the report's folder with `{attack}` (1-based, the attacks
 * section's order) and `{image}` (row index) to fill in. Only the rows in each attack's `saved` have files.
 */
export interface PerImageExamples {
  clean: string;
  adversarial: string;
  perturbation: string;
  /** Examples saved per attack: null = every successful one. */
  perAttack: number | null;
  /** Why some or none were saved, and how to get the others (a sentence). */
  note: string;
}

/** One warning sign of an evaluation that may overstate robustness (src/engine/eval/maskingFlags.ts). */
export interface MaskingFlag {
  id:
    | 'randomized-outputs'
    | 'probabilities-output'
    | 'gradient-zero-or-nonfinite'
    | 'black-box-stronger'
    | 'robustness-not-decreasing-with-eps'
    | 'unbounded-not-100'
    | 'adaptive-collapse';
  /** What it is about: "model", a defence's kind, an attack's label. */
  subject: string;
  severity: 'error' | 'warning';
  title: string;
  /** One line: why this sign matters. */
  explanation: string;
  /** The numbers it fired on. */
  evidence: Record<string, number | string>;
  /** The evidence in a sentence. */
  summary: string;
}

/**
 * The gradient-masking flags of a run (empty `flags` = every check in `checked` ran and stayed quiet), with
 * the measurements the jobs took for them: logits twice on the same images, the input gradient's health.
 */
export interface FlagsSection {
  kind: 'flags';
  flags: MaskingFlag[];
  /** The flag ids whose evidence the run had. */
  checked: string[];
  measurements: {
    repeatability: { model: string; images: number; differing: number; top1Changed: number; maxAbsDiff: number }[];
    gradients: { images: number; zero: number; nan: number; infinite: number } | null;
    outputKind: 'logits' | 'probabilities' | 'log-probabilities' | null;
    /** The ε sweep's robust accuracy of the undefended model (analyse), when it ran. */
    epsilonCurve: { attack: string; eps: number[]; robustAccuracy: (number | null)[]; evaluated: number } | null;
  };
  definition: string;
}

/**
 * An analyse run's plan (key `plan`): the timing probe's per-pass costs, the estimate per stage at them, the
 * EOT samples used and why, and with a budget what the planner reduced to fit it and whether the run was
 * stopped at the budget (the stages it cut). Estimates are seconds of model work (passCounts.ts).
 */
export interface RunPlanSection {
  kind: 'run-plan';
  /** The wall-clock budget in seconds (null: none). */
  budgetSeconds: number | null;
  probe: {
    images: number;
    accuracy: number;
    forwardSeconds: number;
    gradientSeconds: number | null;
    /** One defended batch of each kind over the plain passes' seconds (analyse/probe.ts; absent in older reports). */
    defendedFactors?: { postAveragingForward: number; postAveragingGradient: number; lowPassForward: number };
    /** Seconds from the job's start to the end of the probe (model, images, sessions, probe). */
    elapsedSeconds: number;
  };
  /** Points per image each adaptive EOT step averages over, of `points`; chosen by the user, the model's cost or the budget. */
  eot: { samples: number; points: number; chosenBy: 'user' | 'model cost' | 'budget' };
  /**
   * Occluded Frequency's plan (absent when it does not run; older reports): its images, the DCT band count, the band
   * group size g (adjacent bands ablated together) and the passes per image ⌈bands/g⌉; g chosen by the user, the
   * image size (defaultBandGroup) or the budget.
   */
  occludedFrequency?: {
    images: number;
    bands: number;
    bandGroup: number;
    passesPerImage: number;
    chosenBy: 'user' | 'image size' | 'budget';
  };
  /** The defences' adaptive attack and who chose it (the budget: the strongest whose run fits; absent in older reports). */
  adaptive?: { attack: 'pgd' | 'apgd-ce' | 'autoattack'; chosenBy: 'user' | 'default' | 'budget' };
  images: { available: number; planned: number };
  /** Estimated seconds per progress stage, and their sum with the elapsed seconds. */
  stages: { stage: string; images: number; forward: number; gradient: number; seconds: number }[];
  estimateSeconds: number;
  /** In the planner's order: what was reduced, from what to what. */
  reductions: { kind: string; what: string; from: number; to: number }[];
  /** False when every reduction is at its floor and the estimate still exceeds the budget. */
  fits: boolean;
  /** Set when the run stopped at the budget: when, and the stages it cut (not run, or not finished). */
  stopped: { atSeconds: number; cut: string[]; note: string } | null;
  /**
   * Set when, after pass 1, the budget changed pass 2 (analyse/replan.ts): cut its adaptive images, or gave back
   * adaptive images and EOT samples per step that the plan had reduced. When, pass 1's pace (its seconds over its
   * estimate, at least 1), the adaptive images before and after, the EOT samples before and after (when they
   * changed; `eot` then gives the samples pass 2 used), and the run's new estimate.
   */
  replanned?: {
    atSeconds: number;
    pace: number;
    adaptiveImages: { from: number; to: number };
    eotSamples?: { from: number; to: number };
    estimateSeconds: number;
    note: string;
  } | null;
  /** The sections added when cheap relative to the run (analyse/extras.ts): each decision, why, and the command that runs it in full. */
  extras?: RunPlanExtra[];
}

export interface RunPlanExtra {
  section: 'fourier-heatmap' | 'certification';
  decision: 'included' | 'reduced' | 'left out';
  /** Images it covers (0 when left out). */
  images: number;
  /** Estimated forward passes and seconds (of the full section when left out). */
  forward: number;
  seconds: number;
  /** The heat map's grid stride (null for certification, or when left out). */
  stride: number | null;
  reduction: { what: string; from: number; to: number } | null;
  reason: string;
  command: string;
}
