/**
 * The engine's job kinds and each kind's options, declared once: `JOB_KINDS`, `JobKind`, the options' types
 * and their runtime checks all derive from `JOB_OPTIONS`. A new kind is one entry here, one loader in
 * src/engineProcess/runJob.ts (a Record over JobKind: tsc fails until it is there) and its engine job.
 * The engine takes its option types from here (`AnalyseOptions`, `SuiteOptions`, `ExplainOptions` are these
 * types), so a schema and the engine cannot drift apart.
 */
import { ATTACK_NAMES, validateAttackSpec, type AttackName } from '../engine/attacks/catalog';
import { MAX_PATH } from './limits';
import {
  array,
  boolean,
  custom,
  fail,
  integer,
  nullable,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  string,
  tagged,
  type Infer,
} from './schema';

const outDir = nullable(string({ max: MAX_PATH }));
const criterion = oneOf(['top1', 'top5']);
const finite = number();

/** Typed unknown as the engine's AttackSpec has it (each attack reads its own parameters); checked to be plain (null: an optional bound left out). */
const attackParamValue = custom((value, path): unknown => {
  if (typeof value === 'number') return finite.parse(value, path);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  return fail(path, 'must be a number, string, boolean or null');
});

/** An attack: its shape here, then its name and every parameter against the attack catalog's record. */
export const attackSpecSchema = refine(
  object({
    name: oneOf<AttackName>(ATTACK_NAMES),
    params: record(attackParamValue, {
      // Parameter names are identifiers, and none that every object already has (__proto__, constructor, toString…).
      key: (k) =>
        /^[a-zA-Z][a-zA-Z0-9]{0,31}$/.test(k) && !(k in Object.prototype)
          ? null
          : `has a parameter name that is not an identifier: ${JSON.stringify(k.slice(0, 40))}`,
    }),
  }),
  (spec) => {
    const why = validateAttackSpec(spec);
    return why === null ? null : `is not a valid attack (${why})`;
  },
);

const attackList = array(attackSpecSchema, { min: 1, max: 64, message: 'must be a list of 1–64 attacks' });

const targetSchema = tagged(
  'kind',
  {
    class: object({ kind: oneOf(['class']), class: integer({ min: -1 }), name: optional(string({ max: 1000 })) }),
    'least-likely': object({ kind: oneOf(['least-likely']) }),
  },
  { tagProblem: 'must be class or least-likely' },
);

/** The analyse job's options (also what an estimate prices). */
const analyseOptions = object({
  /** 'fast': a shorter suite and grids (the VS Code default for large models); 'full': the papers' figures. */
  preset: oneOf(['full', 'fast']),
  /** Attacks of the suite (null: the preset's suite, fixed-ε and minimal-ε). */
  attacks: nullable(attackList),
  /** Post-averaging K and r (null: r chosen by the sweep). */
  K: integer({ min: 1, max: 10_000 }),
  radius: nullable(number({ check: (r) => r > 0 })),
  directions: oneOf(['random', 'approx']),
  /** Low-pass cutoff (null: chosen by the sweep). */
  cutoff: nullable(integer({ min: 0, max: 16384 })),
  /** L∞ ε list in pixel units: the first is the fixed-ε attacks' ε, all of them form the ε sweep (null: 8/255 and its multiples). */
  epsilons: nullable(array(number({ check: (e) => e > 0 }), { min: 1, max: 64, message: 'must be a list of 1–64 numbers' })),
  /** Folder for gallery PNGs and OF previews; none = no images. */
  outDir,
  /** Which defences (default all). */
  defences: optional(array(oneOf(['post-averaging', 'low-pass']), { max: 2 })),
  /** Which frequency analyses (default all). */
  analyses: optional(object({ occludedFrequency: boolean(), rct: boolean(), spectra: boolean(), sweeps: boolean() })),
  /** Images re-attacked adaptively and used for the ε sweep (default: full 200, fast 32). */
  adaptiveImages: optional(integer({ min: 1 })),
  /** The adaptive attack against each defence: PGD-10 (default) or APGD-CE-10, AutoAttack's first attack. */
  adaptiveAttack: optional(oneOf(['pgd', 'apgd-ce', 'autoattack'])),
  /** Images explained by Occluded Frequency (default: full 200, fast 32). */
  ofImages: optional(integer({ min: 1 })),
  /** Adjacent DCT bands Occluded Frequency ablates together (default: 1 up to 64 bands, else ⌈bands/64⌉; see defaultBandGroup). */
  ofBandGroup: optional(integer({ min: 1 })),
  /** Example PNGs saved per attack for the per-image table (default: every one for images ≤ 64×64, else 32). */
  perImageExamples: optional(integer({ min: 0 })),
  ofBaseline: optional(oneOf(['zero', 'noise'])),
  /** Clean top-1 drop allowed when the sweep picks r or the cutoff (default 0.01 = 1 pp). */
  cleanDropTolerance: optional(number({ check: (t) => t >= 0 && t <= 1 })),
  criterion: optional(criterion),
  /**
   * Points per image the adaptive EOT-PGD averages its gradient over each step against post-averaging (at
   * most 6K+1; default: all of them for a cheap model, fewer for a costly one: analyse/budget.ts).
   */
  eotSamples: optional(integer({ min: 2, max: 100_000 })),
  /** Post-averaging's radius × K sweep grid (default: the preset's; 'minimal': the radius hint and the configured K only). */
  defenceGrid: optional(oneOf(['full', 'fast', 'minimal'])),
  /** Wall-clock budget of the run in seconds: the planner reduces the work to fit, the run stops at it. */
  budgetSeconds: optional(number({ check: (s) => s > 0 && s <= 30 * 86_400 })),
});

export const JOB_OPTIONS = {
  eval: object({}),
  attack: object({
    attacks: attackList,
    criterion,
    target: nullable(targetSchema),
    gradient: oneOf(['analytic', 'estimated']),
    gallery: integer({ min: 0, max: 10_000 }),
    outDir,
    /** Run the attacks as an ensemble (AutoAttack): a worst-case cascade, each only on the images still robust. */
    ensemble: optional(object({ name: oneOf(['autoattack']), version: oneOf(['standard', 'rand']) })),
    /**
     * Robustness curves (Foolbox's `epsilons`), in pixel units: each fixed-ε attack is run again at every ε; the
     * minimal-ε and minimal-perturbation attacks' curves are derived from their per-image ε, at no extra cost.
     */
    epsList: optional(array(number({ check: (e) => e > 0 }), { min: 1, max: 32, message: 'must be a list of 1–32 positive ε' })),
  }),
  analyse: analyseOptions,
  /** A timing probe before an analyse run: per-image pass costs, and each preset × image count's work to price (engine/jobs/estimateJob.ts). */
  estimate: object({
    analyse: analyseOptions,
    presets: array(oneOf(['full', 'fast']), { min: 1, max: 2 }),
    images: array(integer({ min: 1 }), { max: 16 }),
  }),
  explain: object({
    imagePath: string({ max: MAX_PATH }),
    /** A second model for the side-by-side view (its own robustness.json, if any, gives its preprocessing). */
    compareModelPath: nullable(string({ max: MAX_PATH })),
    baseline: oneOf(['zero', 'noise']),
    outDir,
    /** Adjacent DCT bands ablated together (default 1: one band at a time; one image costs few passes anyway). */
    bandGroup: optional(integer({ min: 1 })),
  }),
  /** The model's description and diagnostics (the model view): reads the model and its robustness.json, runs nothing. */
  info: object({}),
  /** Randomized smoothing certification (engine/jobs/certifyJob.ts): n0 selection and n estimation samples per image and σ. */
  certify: refine(
    object({
      preset: oneOf(['full', 'fast']),
      /** Noise levels σ in pixel units ([0,1] pixels, before the model's preprocessing). */
      sigmas: array(number({ check: (s) => s > 0 && s <= 10 }), { min: 1, max: 16, message: 'must be a list of 1–16 numbers' }),
      n0: integer({ min: 1, max: 100_000_000 }),
      n: integer({ min: 2, max: 100_000_000 }),
      alpha: number({ check: (a) => a > 0 && a < 0.5 }),
      /**
       * The empirical attack on the smoothed classifier beside the certificates (AutoAttack's rand version,
       * engine/certify/empiricalAttack.ts): L2 radii in pixel units, APGD steps, Gaussian draws per gradient
       * call. Absent or null: not run.
       */
      attack: optional(
        nullable(
          object({
            radii: array(number({ check: (r) => r > 0 && r <= 100 }), { min: 1, max: 16, message: 'must be a list of 1–16 radii' }),
            steps: integer({ min: 1, max: 10_000 }),
            eotDraws: integer({ min: 1, max: 1000 }),
          }),
        ),
      ),
    }),
    (o) => (o.n0 < o.n ? null : `must have n0 < n (got n0 = ${o.n0}, n = ${o.n})`),
  ),
  /** Fourier heat map (engine/jobs/fourierHeatmapJob.ts): per frequency, every image perturbed by ±ε·U(k) and classified. */
  'fourier-heatmap': object({
    /** L2 norm per channel in [0,1] pixel units; null: 0.125·√(H·W) (Yin et al.'s 4 at 32×32). */
    epsilon: nullable(number({ check: (e) => e > 0 && e <= 1e6 })),
    /** At most this many frequencies a side (a coarser grid, every stride-th frequency, for larger images). */
    maxSide: integer({ min: 2, max: 256 }),
    /** The low-pass defence's cutoff (null: max(1, ⌊min(H, W)/4⌋)); given without `defences`, it adds the low-pass map. */
    cutoff: nullable(integer({ min: 1, max: 100_000 })),
    /** The defended models mapped beside the model; left out: both for images up to 64×64, else none (low-pass with a cutoff). */
    defences: optional(
      array(oneOf(['post-averaging', 'low-pass']), { min: 0, max: 2, message: 'must be a list of defences (post-averaging, low-pass)' }),
    ),
  }),
  /**
   * Robustness along training (engine/jobs/checkpointsJob.ts): the request's modelPath is a folder of ONNX
   * checkpoints; per checkpoint clean accuracy, FGM and PGD robust accuracy at one ε, τ(δ) against τ(x).
   */
  checkpoints: object({
    norm: oneOf(['l2', 'linf']),
    /** In [0,1] pixel units; null: 1 (L2) or 8/255 (L∞). */
    epsilon: nullable(number({ check: (e) => e > 0 && e <= 1000 })),
    pgdSteps: integer({ min: 1, max: 10_000 }),
    /** PGD's step size; null: ε/4. */
    pgdAlpha: nullable(number({ check: (a) => a > 0 && a <= 1000 })),
    /** k_c of S_l; null: max(1, ⌊min(H, W)/4⌋), as the analyse job's spectra. */
    cutoff: nullable(integer({ min: 0, max: 16384 })),
    /** Per-checkpoint results cached here by model hash and settings; null: no cache. */
    cacheDir: nullable(string({ max: MAX_PATH })),
  }),
  /** Feature inversion (engine/jobs/invertJob.ts): x_r = argmin ‖g(x_r) − g(x)‖² from another image, per model; its |DCT(x_r − x₀)| map. */
  invert: object({
    /** A second model inverted on the same images and starts (same input shape). */
    compareModelPath: nullable(string({ max: MAX_PATH })),
    /** The tensor g (for both models); null: the input of each model's last Gemm/MatMul. */
    layer: nullable(string({ max: 4096 })),
    steps: integer({ min: 1, max: 100_000 }),
    /** α₀, the first step's L2 length in [0,1] pixel units; null: 0.05·√d. */
    stepSize: nullable(number({ check: (s) => s > 0 && s <= 1e6 })),
    /** Examples (x, x₀, x_r as PNG under outDir) per model. */
    examples: integer({ min: 0, max: 64 }),
    outDir,
  }),
};

export type JobKind = keyof typeof JOB_OPTIONS;
export const JOB_KINDS = Object.keys(JOB_OPTIONS) as readonly JobKind[];

/** Job options per kind (eval has none). */
export type JobOptionsByKind = { [K in JobKind]: Infer<(typeof JOB_OPTIONS)[K]> };
