/**
 * One record per attack: its name, title, norms, white- or black-box, modes, and every parameter with its
 * type, default, range, one-line description and CLI flag. The registry (factories), the CLI flags and
 * usage text, the VS Code settings, the protocol's spec check and the norm of an attack's results are all
 * derived from these records, so a new attack is one record here plus one factory line in registry.ts.
 *
 * Pure data and pure functions: the extension host bundle and src/protocol import this module, so it must
 * not pull in onnxruntime or WebAssembly at run time (type-only imports and errors.ts only).
 */
import { EngineError } from '../errors';
import type { AttackMode, Norm } from './types';

export const ATTACK_NAMES = ['fgsm', 'fgm', 'pgd', 'deepfool', 'cw', 'simba', 'apgd-ce', 'apgd-t', 'apgd-dlr', 'fab-t', 'square'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export interface AttackSpec {
  name: AttackName;
  params: Record<string, unknown>;
}

/** A value that depends on the attack's norm (PGD's ε and α defaults, ε's upper bound). */
export type PerNorm<T> = T | { readonly linf: T; readonly l2: T };

interface ParamBase {
  /** One line: what the parameter does (CLI usage text, error messages). */
  readonly description: string;
  /**
   * CLI flag without the leading dashes, where it differs from the kebab-case of the key; null: not on the
   * command line. A boolean's flag is a switch that sets the opposite of its default.
   */
  readonly flag?: string | null;
}

export interface NumberParam extends ParamBase {
  /** 'integer': whole numbers only. */
  readonly type: 'number' | 'integer';
  /** null only where `nullable` (e.g. SimBA's optional L∞ bound). */
  readonly default: PerNorm<number | null>;
  readonly min?: number;
  /** The value must be > min instead of ≥ min. */
  readonly exclusiveMin?: boolean;
  readonly max?: PerNorm<number>;
  /** null is a valid value ("none"). */
  readonly nullable?: boolean;
  /** A likely fix for a refused value, added to the message (e.g. an L∞ ε given in 0–255 units). */
  readonly hint?: (value: number) => string | null;
}

export interface BooleanParam extends ParamBase {
  readonly type: 'boolean';
  readonly default: boolean;
}

export interface EnumParam extends ParamBase {
  readonly type: 'enum';
  readonly values: readonly string[];
  readonly default: string;
  /** Shorter spellings the CLI accepts (e.g. --mode minimal → 'minimal-eps'). */
  readonly flagValues?: Readonly<Record<string, string>>;
}

export type ParamSpec = NumberParam | BooleanParam | EnumParam;

/** One entry of the `robustnessLens.attacks` setting: an attack with the parameters that distinguish it. */
export interface SettingsChoice {
  readonly id: string;
  readonly title: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface AttackRecord {
  readonly name: AttackName;
  readonly title: string;
  /** One line for the usage text. */
  readonly summary: string;
  /** Norms the attack can work in; without a `norm` parameter the first is the one its results are measured in. */
  readonly norms: readonly Norm[];
  /** Needs the model's input gradient (else black-box: forward passes only). */
  readonly whiteBox: boolean;
  /** How it may use its budget; the first is the default. */
  readonly modes: readonly AttackMode[];
  /** In the order the attack reports them (its `params` as run keep this order). */
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Its entries of the standard suite (the literature's defaults), in order. */
  readonly standard: readonly Readonly<Record<string, unknown>>[];
  /** Its entries of the VS Code setting; default: one, named as the attack. */
  readonly settings?: readonly SettingsChoice[];
  /** Its entries of analyse's preset suites (none: analyse runs it only when asked for). */
  readonly analyse?: readonly AnalyseEntry[];
}

export type AnalysePreset = 'full' | 'fast';

/**
 * One attack of an analyse preset. `rank` orders the suite across attacks (each attack's seed follows its
 * position, so a new entry takes an unused rank rather than renumbering); `params` gets the preset's fixed ε
 * and the minimal-ε search's upper budget.
 */
export interface AnalyseEntry {
  readonly rank: number;
  readonly presets: readonly AnalysePreset[];
  readonly params: (p: { eps: number; budget: number; preset: AnalysePreset }) => Record<string, unknown>;
}

const BOTH: readonly AnalysePreset[] = ['fast', 'full'];

const MODE: EnumParam = {
  type: 'enum',
  values: ['fixed-eps', 'minimal-eps'],
  default: 'fixed-eps',
  flagValues: { fixed: 'fixed-eps', minimal: 'minimal-eps' },
  description: 'fixed-eps (the budget is fully usable) or minimal-eps (per image the smallest ε up to it that succeeds)',
};
const GRID_SIZE: NumberParam = {
  type: 'integer',
  default: 100,
  min: 1,
  max: 10_000,
  description: 'grid size of the minimal-ε line search',
};
const EPS_DESCRIPTION = 'budget ε in pixel units, e.g. 8/255 or 0.03';
/** An L∞ ε above 1 was most likely given in 0–255 units. */
const in255 = (v: number): string | null => (v > 1 && v <= 255 ? `did you mean ${v}/255 = ${(v / 255).toFixed(4)}?` : null);

/** APGD-CE's and APGD-T's shared parameters: AutoAttack's defaults (L∞ ε 8/255, L2 ε 0.5, 100 steps, ρ 0.75). */
const APGD_PARAMS: Readonly<Record<string, ParamSpec>> = {
  norm: { type: 'enum', values: ['linf', 'l2'], default: 'linf', description: 'the ε-ball: linf or l2' },
  eps: {
    type: 'number',
    default: { linf: 8 / 255, l2: 0.5 },
    min: 0,
    exclusiveMin: true,
    max: { linf: 1, l2: 1000 },
    hint: in255,
    description: EPS_DESCRIPTION,
  },
  steps: { type: 'integer', default: 100, min: 1, max: 100_000, description: 'iterations per run' },
  restarts: { type: 'integer', default: 1, min: 1, max: 1000, description: 'random restarts on the images not yet broken' },
  rho: {
    type: 'number',
    default: 0.75,
    min: 0,
    max: 1,
    description: 'ρ: the step size halves at a checkpoint unless this fraction of the steps since the last one raised the loss',
  },
  eot: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 1000,
    description: 'EOT: gradient calls averaged per step (for randomized defences; AutoAttack rand uses 20)',
  },
};

export const ATTACK_CATALOG: Readonly<Record<AttackName, AttackRecord>> = {
  fgsm: {
    name: 'fgsm',
    title: 'FGSM',
    summary: 'one L∞ step ε·sign(∇) (Goodfellow et al., 2015)',
    norms: ['linf'],
    whiteBox: true,
    modes: ['fixed-eps', 'minimal-eps'],
    params: {
      eps: { type: 'number', default: 8 / 255, min: 0, exclusiveMin: true, max: 1, hint: in255, description: EPS_DESCRIPTION },
      mode: MODE,
      gridSize: GRID_SIZE,
    },
    standard: [{}],
    analyse: [
      { rank: 0, presets: BOTH, params: ({ eps }) => ({ eps }) },
      { rank: 1, presets: ['full'], params: ({ budget }) => ({ eps: budget, mode: 'minimal-eps' }) },
    ],
  },
  fgm: {
    name: 'fgm',
    title: 'FGM',
    summary: 'one L2 step ε·∇/‖∇‖₂',
    norms: ['l2'],
    whiteBox: true,
    modes: ['fixed-eps', 'minimal-eps'],
    params: {
      eps: { type: 'number', default: 1, min: 0, exclusiveMin: true, max: 1000, description: EPS_DESCRIPTION },
      mode: MODE,
      gridSize: GRID_SIZE,
    },
    standard: [],
  },
  pgd: {
    name: 'pgd',
    title: 'PGD',
    summary: 'projected gradient descent with random start (Madry et al., 2018)',
    norms: ['linf', 'l2'],
    whiteBox: true,
    modes: ['fixed-eps', 'minimal-eps'],
    params: {
      norm: { type: 'enum', values: ['linf', 'l2'], default: 'linf', description: 'the ε-ball: linf or l2' },
      eps: {
        type: 'number',
        default: { linf: 8 / 255, l2: 1 },
        min: 0,
        exclusiveMin: true,
        max: { linf: 1, l2: 1000 },
        hint: in255,
        description: EPS_DESCRIPTION,
      },
      alpha: {
        type: 'number',
        default: { linf: 2 / 255, l2: 0.2 },
        min: 0,
        exclusiveMin: true,
        description: 'step size α (follows ε/4 when only ε is given)',
      },
      steps: { type: 'integer', default: 10, min: 1, max: 100_000, description: 'gradient steps' },
      randomStart: {
        type: 'boolean',
        default: true,
        flag: 'no-random-start',
        description: 'start at a uniform random point of the ε-ball',
      },
      restarts: { type: 'integer', default: 1, min: 1, max: 1000, description: 'random restarts, the worst case per image kept' },
      earlyStop: { type: 'boolean', default: false, description: 'stop moving an image once it is adversarial' },
      mode: MODE,
      searchSteps: { type: 'integer', default: 10, min: 1, max: 100, description: 'bisection steps of the minimal-ε search' },
    },
    standard: [{ norm: 'linf' }, { norm: 'l2' }],
    settings: [
      { id: 'pgd-linf', title: 'PGD L∞', params: { norm: 'linf' } },
      { id: 'pgd-l2', title: 'PGD L2', params: { norm: 'l2' } },
    ],
    analyse: [
      { rank: 2, presets: BOTH, params: ({ eps }) => ({ norm: 'linf', eps }) },
      {
        rank: 3,
        presets: BOTH,
        params: ({ budget, preset }) => ({ norm: 'linf', eps: budget, mode: 'minimal-eps', searchSteps: preset === 'fast' ? 6 : 10 }),
      },
      { rank: 5, presets: ['full'], params: () => ({ norm: 'l2' }) },
    ],
  },
  deepfool: {
    name: 'deepfool',
    title: 'DeepFool',
    summary: 'linearised steps to the closest boundary (Moosavi-Dezfooli et al., 2016)',
    norms: ['l2', 'linf'],
    whiteBox: true,
    modes: ['minimal-perturbation'],
    params: {
      norm: { type: 'enum', values: ['l2', 'linf'], default: 'l2', description: 'geometry of the linearised step: l2 or linf' },
      steps: { type: 'integer', default: 50, min: 1, max: 10_000, description: 'maximum linearised steps per image' },
      overshoot: {
        type: 'number',
        default: 0.02,
        min: 0,
        max: 1,
        description: 'factor on the accumulated perturbation: x + (1 + overshoot)·r',
      },
      candidates: {
        type: 'integer',
        default: 10,
        min: 2,
        max: 100_000,
        description: 'top classes of the clean prediction considered, the label included',
      },
    },
    standard: [{}],
    analyse: [{ rank: 4, presets: BOTH, params: () => ({}) }],
  },
  cw: {
    name: 'cw',
    title: 'C&W',
    summary: 'Carlini–Wagner L2: tanh space, Adam, binary search over c (Carlini & Wagner, 2017)',
    norms: ['l2'],
    whiteBox: true,
    modes: ['minimal-perturbation'],
    params: {
      c: {
        type: 'number',
        default: 1e-3,
        min: 0,
        exclusiveMin: true,
        max: 1e10,
        description: 'initial trade-off constant c₀ of the binary search',
      },
      kappa: { type: 'number', default: 0, min: 0, description: 'confidence κ in logit units (0: just cross the boundary)' },
      steps: { type: 'integer', default: 300, min: 1, max: 1_000_000, description: 'Adam steps per binary-search step' },
      searchSteps: { type: 'integer', default: 9, min: 1, max: 50, description: 'binary-search steps over c' },
      lr: { type: 'number', default: 0.01, min: 0, exclusiveMin: true, max: 1, description: 'Adam learning rate in tanh space' },
      abortEarly: {
        type: 'boolean',
        default: true,
        flag: 'no-abort-early',
        description: "stop an image's search step when its loss stalls before any success",
      },
    },
    standard: [{}],
    analyse: [{ rank: 6, presets: ['full'], params: () => ({ steps: 100, searchSteps: 5 }) }],
  },
  simba: {
    name: 'simba',
    title: 'SimBA',
    summary: 'black-box, forward passes only: pixel or low-frequency DCT directions (Guo et al., 2019)',
    norms: ['l2'],
    whiteBox: false,
    modes: ['query-limited'],
    params: {
      basis: {
        type: 'enum',
        values: ['dct', 'pixel'],
        default: 'dct',
        description: 'search directions: dct (low frequencies first) or pixel',
      },
      epsilon: {
        type: 'number',
        default: 0.2,
        min: 0,
        exclusiveMin: true,
        flag: 'eps',
        description: 'step along each direction (L2 length, pixel units)',
      },
      maxQueries: {
        type: 'integer',
        default: 10_000,
        min: 2,
        flag: 'queries',
        description: 'query budget per image, the clean evaluation included',
      },
      linf: {
        type: 'number',
        default: null,
        nullable: true,
        min: 0,
        exclusiveMin: true,
        flag: 'linf-bound',
        description: 'optional L∞ bound on the perturbation',
      },
      freqFraction: {
        type: 'number',
        default: 1 / 8,
        min: 0,
        exclusiveMin: true,
        max: 1,
        description: 'dct: lowest fraction of each axis searched first',
      },
    },
    standard: [{ basis: 'dct' }],
    settings: [
      { id: 'simba-dct', title: 'SimBA-DCT', params: { basis: 'dct' } },
      { id: 'simba-pixel', title: 'SimBA (pixel basis)', params: { basis: 'pixel' } },
    ],
    analyse: [{ rank: 7, presets: ['full'], params: () => ({ basis: 'dct' }) }],
  },
  'apgd-ce': {
    name: 'apgd-ce',
    title: 'APGD-CE',
    summary: 'Auto-PGD on the cross-entropy: step-size schedule, momentum (Croce & Hein, 2020)',
    norms: ['linf', 'l2'],
    whiteBox: true,
    modes: ['fixed-eps'],
    params: APGD_PARAMS,
    standard: [],
    settings: [
      { id: 'apgd-ce-linf', title: 'APGD-CE L∞', params: { norm: 'linf' } },
      { id: 'apgd-ce-l2', title: 'APGD-CE L2', params: { norm: 'l2' } },
    ],
  },
  'apgd-t': {
    name: 'apgd-t',
    title: 'APGD-T',
    summary: 'Auto-PGD on the targeted DLR loss, one run per target class (Croce & Hein, 2020)',
    norms: ['linf', 'l2'],
    whiteBox: true,
    modes: ['fixed-eps'],
    params: {
      ...APGD_PARAMS,
      targets: {
        type: 'integer',
        default: 9,
        min: 1,
        max: 999,
        description: 'target classes per image: the 2nd … (n+1)-th highest clean logit (at most classes − 1)',
      },
    },
    standard: [],
    settings: [
      { id: 'apgd-t-linf', title: 'APGD-T L∞', params: { norm: 'linf' } },
      { id: 'apgd-t-l2', title: 'APGD-T L2', params: { norm: 'l2' } },
    ],
  },
  'apgd-dlr': {
    name: 'apgd-dlr',
    title: 'APGD-DLR',
    summary: "Auto-PGD on the untargeted DLR loss (AutoAttack's rand version) (Croce & Hein, 2020)",
    norms: ['linf', 'l2'],
    whiteBox: true,
    modes: ['fixed-eps'],
    params: APGD_PARAMS,
    standard: [],
    settings: [
      { id: 'apgd-dlr-linf', title: 'APGD-DLR L∞', params: { norm: 'linf' } },
      { id: 'apgd-dlr-l2', title: 'APGD-DLR L2', params: { norm: 'l2' } },
    ],
  },
  'fab-t': {
    name: 'fab-t',
    title: 'FAB-T',
    summary: 'targeted fast adaptive boundary attack: minimal-norm steps, counted within ε (Croce & Hein, 2020)',
    norms: ['linf', 'l2'],
    whiteBox: true,
    modes: ['fixed-eps'],
    params: {
      norm: { type: 'enum', values: ['linf', 'l2'], default: 'linf', description: 'the norm minimised and bounded: linf or l2' },
      eps: {
        type: 'number',
        default: { linf: 8 / 255, l2: 0.5 },
        min: 0,
        exclusiveMin: true,
        max: { linf: 1, l2: 1000 },
        hint: in255,
        description: `${EPS_DESCRIPTION}; an example counts only when its norm is ≤ ε`,
      },
      steps: { type: 'integer', default: 100, min: 1, max: 100_000, description: 'iterations per run' },
      restarts: {
        type: 'integer',
        default: 1,
        min: 1,
        max: 1000,
        description: 'runs per target class (the first from the clean image, later ones from random points at ε/2)',
      },
      targets: {
        type: 'integer',
        default: 9,
        min: 1,
        max: 999,
        description: 'target classes per image: the 2nd … (n+1)-th highest clean logit (at most classes − 1)',
      },
      alphaMax: {
        type: 'number',
        default: 0.1,
        min: 0,
        max: 1,
        description: 'α_max: largest weight of the step projected from the clean image',
      },
      eta: { type: 'number', default: 1.05, min: 1, max: 10, description: 'η: overshoot of the projection onto the linearised boundary' },
      beta: {
        type: 'number',
        default: 0.9,
        min: 0,
        max: 1,
        description: 'β: backward step towards the clean image after a success, x₀ + β·(x − x₀)',
      },
    },
    standard: [],
    settings: [
      { id: 'fab-t-linf', title: 'FAB-T L∞', params: { norm: 'linf' } },
      { id: 'fab-t-l2', title: 'FAB-T L2', params: { norm: 'l2' } },
    ],
  },
  square: {
    name: 'square',
    title: 'Square',
    summary: 'black-box, forward passes only: random search over square windows (Andriushchenko et al., 2020)',
    norms: ['linf', 'l2'],
    whiteBox: false,
    modes: ['fixed-eps'],
    params: {
      norm: { type: 'enum', values: ['linf', 'l2'], default: 'linf', description: 'the ε-ball: linf or l2' },
      eps: {
        type: 'number',
        default: { linf: 8 / 255, l2: 0.5 },
        min: 0,
        exclusiveMin: true,
        max: { linf: 1, l2: 1000 },
        hint: in255,
        description: EPS_DESCRIPTION,
      },
      maxQueries: {
        type: 'integer',
        default: 5000,
        min: 1,
        max: 1_000_000,
        flag: 'queries',
        description: 'query budget per image, the starting point included',
      },
      pInit: {
        type: 'number',
        default: 0.8,
        min: 0,
        exclusiveMin: true,
        max: 1,
        description: "initial fraction of the image a square covers (halved on the paper's schedule)",
      },
    },
    standard: [],
    settings: [
      { id: 'square-linf', title: 'Square L∞', params: { norm: 'linf' } },
      { id: 'square-l2', title: 'Square L2', params: { norm: 'l2' } },
    ],
  },
};

export function isAttackName(name: string): name is AttackName {
  return (ATTACK_NAMES as readonly string[]).includes(name);
}

export function attackRecord(name: string): AttackRecord {
  if (!isAttackName(name)) throw new EngineError('USAGE', `unknown attack "${String(name)}" (attacks: ${ATTACK_NAMES.join(', ')})`);
  return ATTACK_CATALOG[name];
}

/** Attacks that need the model's input gradient. */
export const WHITE_BOX: ReadonlySet<AttackName> = new Set(ATTACK_NAMES.filter((n) => ATTACK_CATALOG[n].whiteBox));

/** An analyse preset's suite: fixed-ε at `eps`, minimal-ε searched up to `budget`, the minimal-perturbation attacks. */
export function analysePresetSuite(preset: AnalysePreset, eps: number, budget: number): AttackSpec[] {
  const entries = ATTACK_NAMES.flatMap((name) =>
    (ATTACK_CATALOG[name].analyse ?? []).filter((e) => e.presets.includes(preset)).map((e) => ({ name, e })),
  );
  const ranks = entries.map(({ e }) => e.rank);
  if (new Set(ranks).size !== ranks.length) throw new Error(`attack catalog: two analyse entries share a rank (${ranks.join(', ')})`);
  return entries.sort((a, b) => a.e.rank - b.e.rank).map(({ name, e }) => ({ name, params: e.params({ eps, budget, preset }) }));
}

/** The standard suite: the literature's default settings of each attack. */
export function standardSuite(): AttackSpec[] {
  return ATTACK_NAMES.flatMap((name) => ATTACK_CATALOG[name].standard.map((params) => ({ name, params: { ...params } })));
}

/** The entries of the `robustnessLens.attacks` setting, in catalog order, each with the spec it runs. */
export function settingsChoices(): { id: string; title: string; spec: AttackSpec }[] {
  return ATTACK_NAMES.flatMap((name) => {
    const r = ATTACK_CATALOG[name];
    return (r.settings ?? [{ id: name, title: r.title, params: {} }]).map((c) => ({
      id: c.id,
      title: c.title,
      spec: { name, params: { ...c.params } },
    }));
  });
}

function perNorm<T>(v: PerNorm<T>, norm: Norm): T {
  return v !== null && typeof v === 'object' && 'linf' in v ? v[norm] : v;
}

/** The norm the attack works in with these parameters: its `norm` parameter, else its record's (default) norm. */
function normOf(r: AttackRecord, params: Record<string, unknown>): Norm {
  const spec = r.params.norm;
  const given = params.norm;
  if (spec && (given === 'linf' || given === 'l2') && r.norms.includes(given)) return given;
  return spec ? (spec.default as Norm) : r.norms[0];
}

/**
 * The norm an attack's perturbation (and budget) is measured in: FGSM L∞, FGM L2, the others their `norm`
 * parameter, or their record's default norm when it is absent (PGD L∞, DeepFool L2, C&W and SimBA L2).
 */
export function attackNorm(name: string, params: Record<string, unknown>): Norm {
  return normOf(attackRecord(name), params);
}

/** Every parameter's default for the given norm (default: the attack's), in the record's order. */
export function attackDefaults(name: string, norm?: Norm): Record<string, unknown> {
  const r = attackRecord(name);
  const n = norm ?? normOf(r, {});
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(r.params)) out[key] = key === 'norm' ? n : perNorm(spec.default, n);
  return out;
}

/** A number as the usage text and messages show it: k/255 where it is one, else as written. */
export function formatParamValue(v: unknown): string {
  if (typeof v !== 'number') return v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v);
  const k = v * 255;
  return v > 0 && v < 1 && Math.abs(k - Math.round(k)) < 1e-9 && !Number.isInteger(v * 1000) ? `${Math.round(k)}/255` : String(v);
}

/** What a parameter accepts, in words, e.g. "a whole number from 1 to 100000" or "one of linf, l2". */
export function expectedValue(spec: ParamSpec, norm: Norm): string {
  if (spec.type === 'boolean') return 'true or false';
  if (spec.type === 'enum') return `one of ${spec.values.join(', ')}`;
  const max = spec.max === undefined ? undefined : perNorm(spec.max, norm);
  const forNorm = typeof spec.max === 'object' ? ` for ${norm}` : '';
  const orNull = spec.nullable ? ', or null for none' : '';
  if (spec.type === 'integer' && spec.min !== undefined && !spec.exclusiveMin && max !== undefined)
    return `a whole number from ${spec.min} to ${max}${forNorm}${orNull}`;
  const bounds = [
    spec.min === undefined ? null : `${spec.exclusiveMin ? '>' : '≥'} ${formatParamValue(spec.min)}`,
    max === undefined ? null : `≤ ${formatParamValue(max)}${forNorm}`,
  ].filter((b) => b !== null);
  return `${spec.type === 'integer' ? 'a whole number' : 'a number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}${orNull}`;
}

/** The record's suggested fix for a refused value, as "; did you mean …", or ''. */
export function hintFor(spec: ParamSpec, value: unknown): string {
  const hint = spec.type === 'number' || spec.type === 'integer' ? (typeof value === 'number' ? spec.hint?.(value) : null) : null;
  return hint ? `; ${hint}` : '';
}

/** Whether `value` is valid for the parameter (the norm picks per-norm bounds). */
export function isValidValue(spec: ParamSpec, value: unknown, norm: Norm): boolean {
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value);
    default: {
      if (value === null) return spec.nullable === true;
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (spec.type === 'integer' && !Number.isInteger(value)) return false;
      if (spec.min !== undefined && (spec.exclusiveMin ? !(value > spec.min) : !(value >= spec.min))) return false;
      const max = spec.max === undefined ? undefined : perNorm(spec.max, norm);
      return max === undefined || value <= max;
    }
  }
}

function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

/**
 * Checks an attack's parameters against its record: an unknown parameter, a wrong type, a value out of
 * range or an unknown enum value throws EngineError('USAGE') naming the attack, the parameter and what is
 * allowed, e.g. `pgd: norm "l3": expected one of linf, l2`. Undefined values count as not given; `attack`
 * (which every attack's params as run carry) is accepted when it names this attack, so reported params can
 * be run again. Returns the given parameters without `attack`.
 */
export function validateAttackParams(name: string, params: Record<string, unknown>): Record<string, unknown> {
  const r = attackRecord(name);
  if (params === null || typeof params !== 'object' || Array.isArray(params))
    throw new EngineError('USAGE', `${r.name}: parameters ${shown(params)}: expected an object`);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(r.params);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (key === 'attack') {
      if (value !== r.name)
        throw new EngineError('USAGE', `${r.name}: attack ${shown(value)}: expected ${JSON.stringify(r.name)} or no attack parameter`);
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(r.params, key))
      throw new EngineError('USAGE', `${r.name}: unknown parameter "${key}": expected one of ${keys.join(', ')}`);
    out[key] = value;
  }
  const norm = normOf(r, out);
  for (const [key, value] of Object.entries(out)) {
    const spec = r.params[key];
    if (!isValidValue(spec, value, norm))
      throw new EngineError('USAGE', `${r.name}: ${key} ${shown(value)}: expected ${expectedValue(spec, norm)}${hintFor(spec, value)}`);
  }
  return out;
}

/**
 * For the protocol's message check: null when `spec` is a known attack with valid parameters, else the
 * reason in words. Never throws.
 */
export function validateAttackSpec(spec: unknown): string | null {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return 'an attack spec must be an object { name, params }';
  const { name, params } = spec as { name?: unknown; params?: unknown };
  if (typeof name !== 'string' || !isAttackName(name)) return `unknown attack ${shown(name)} (attacks: ${ATTACK_NAMES.join(', ')})`;
  try {
    validateAttackParams(name, (params ?? {}) as Record<string, unknown>);
    return null;
  } catch (e) {
    if (e instanceof EngineError) return e.message;
    throw e;
  }
}
