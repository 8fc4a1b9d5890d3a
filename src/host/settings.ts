/**
 * The `robustnessLens.*` settings → engine requests and job options. One defaults object is the list of
 * keys (package.json declares the same keys with their schema); every value read is checked, and a bad
 * one is refused with the setting's name, what was given and what was expected.
 */
import { parseEpsilon } from '../engine/attacks/format';
import { settingsChoices, type AttackSpec } from '../engine/attacks/catalog';
import type { ExecutionProviderName } from '../engine/config/configFile';
import { EngineError } from '../engine/errors';
import { parseDuration } from '../engine/util/duration';
import { DEFAULT_K } from '../engine/defences/postAveraging';
import type { AnalyseOptions } from '../engine/jobs/analyseJob';
import type { AttackJobOptions } from '../engine/jobs/attackJob';
import { quickCheckSuite } from '../engine/attacks/quickCheckSuite';
import type { ExplainOptions } from '../engine/jobs/explainJob';
import { CERTIFY_PRESETS, DEFAULT_ALPHA, DEFAULT_SIGMAS, EMPIRICAL_DEFAULTS } from '../protocol/certification';
import type { JobOptionsByKind } from '../protocol/jobKinds';
import type { JobRequest } from '../engine/jobs/prepare';

/**
 * Attack suite entries as the settings name them (an attack and, where it has one, its norm or basis), from
 * the attack catalog's records; package.json's `robustnessLens.attacks` enum lists the same ids (tested).
 */
const CHOICES = settingsChoices();
export const ATTACK_CHOICES: readonly string[] = CHOICES.map((c) => c.id);
/** One of ATTACK_CHOICES (e.g. 'pgd-linf', 'simba-dct'). */
export type AttackChoice = string;

export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

export interface LensSettings {
  /** Empty: the engine's standard suite. */
  attacks: AttackChoice[];
  /** ε list in pixel units (empty: the attacks' defaults). */
  epsilons: number[];
  postAveraging: { K: number; radius: number | null; directions: 'random' | 'approx' };
  lowPass: { cutoff: number | null };
  analysePreset: 'full' | 'fast';
  /** Analyse's wall-clock budget in seconds (null: none); the setting is a duration such as "10m". */
  analyse: { budget: number | null };
  /** Null: as robustness.json says (or every image). */
  limit: number | null;
  seed: number | null;
  executionProvider: ExecutionProviderName | null;
  threads: number | null;
  quickCheck: { images: number; onModelChange: boolean };
}

/** The settings' keys and defaults (package.json's `contributes.configuration` mirrors them). */
export const DEFAULT_SETTINGS: LensSettings = {
  attacks: [],
  epsilons: [],
  postAveraging: { K: DEFAULT_K, radius: null, directions: 'random' },
  lowPass: { cutoff: null },
  analysePreset: 'full',
  analyse: { budget: null },
  limit: null,
  seed: null,
  executionProvider: null,
  threads: null,
  quickCheck: { images: 64, onModelChange: false },
};

/** A setting's value by its dotted key below `robustnessLens.` (undefined = not set). */
export type SettingsReader = (key: string) => unknown;

function bad(key: string, value: unknown, expected: string): EngineError {
  return new EngineError('USAGE', `setting robustnessLens.${key} is ${JSON.stringify(value)}: expected ${expected}`, {
    hint: 'fix it in the Settings editor (search for "Robustness Lens")',
  });
}

function wholeOrNull(get: SettingsReader, key: string, min: number, max: number, fallback: number | null): number | null {
  const v = get(key);
  if (v === undefined) return fallback;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(key, v, `null or a whole number from ${min} to ${max}`);
  return v;
}

function whole(get: SettingsReader, key: string, min: number, max: number, fallback: number): number {
  const v = get(key) ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(key, v, `a whole number from ${min} to ${max}`);
  return v;
}

function choice<T extends string>(get: SettingsReader, key: string, values: readonly T[], fallback: T): T {
  const v = get(key);
  if (v === undefined) return fallback;
  if (!values.includes(v as T)) throw bad(key, v, `one of ${values.join(', ')}`);
  return v as T;
}

/** `analyse.budget`: null/unset, or a duration ("10m", "90s", "1h30m") → seconds. */
function budgetSetting(get: SettingsReader): number | null {
  const v = get('analyse.budget');
  if (v === undefined || v === null || v === '') return null;
  const expected = 'null or a duration such as "10m", "90s" or "1h30m"';
  if (typeof v !== 'string') throw bad('analyse.budget', v, expected);
  try {
    return parseDuration(v, 'analyse.budget');
  } catch {
    throw bad('analyse.budget', v, expected);
  }
}

export function readSettings(get: SettingsReader): LensSettings {
  const d = DEFAULT_SETTINGS;
  const attacks = get('attacks') ?? d.attacks;
  if (!Array.isArray(attacks) || attacks.some((a) => typeof a !== 'string' || !ATTACK_CHOICES.includes(a))) {
    throw bad('attacks', attacks, `a list of ${ATTACK_CHOICES.join(', ')} (empty = the standard suite)`);
  }
  const epsilonTexts = get('epsilons') ?? [];
  if (!Array.isArray(epsilonTexts)) throw bad('epsilons', epsilonTexts, 'a list of budgets such as "8/255" or "0.03"');
  const epsilons = epsilonTexts.map((t, k) => {
    const eps = typeof t === 'string' ? parseEpsilon(t) : typeof t === 'number' ? t : NaN;
    if (!Number.isFinite(eps) || eps <= 0) throw bad(`epsilons[${k}]`, t, 'a positive budget in pixel units such as "8/255" or "0.03"');
    return eps;
  });
  const radius = get('postAveraging.radius');
  if (radius !== undefined && radius !== null && !(typeof radius === 'number' && Number.isFinite(radius) && radius > 0)) {
    throw bad('postAveraging.radius', radius, 'null (chosen by the sweep) or a positive radius in model-input units');
  }
  const onModelChange = get('quickCheck.onModelChange') ?? d.quickCheck.onModelChange;
  if (typeof onModelChange !== 'boolean') throw bad('quickCheck.onModelChange', onModelChange, 'true or false');
  const executionProvider = get('executionProvider');
  if (
    executionProvider !== undefined &&
    executionProvider !== null &&
    !EXECUTION_PROVIDERS.includes(executionProvider as ExecutionProviderName)
  ) {
    throw bad('executionProvider', executionProvider, `null (as robustness.json says) or one of ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  return {
    attacks: [...new Set(attacks as AttackChoice[])],
    epsilons,
    postAveraging: {
      K: whole(get, 'postAveraging.K', 1, 1000, d.postAveraging.K),
      radius: radius ?? null,
      directions: choice(get, 'postAveraging.directions', ['random', 'approx'] as const, d.postAveraging.directions),
    },
    lowPass: { cutoff: wholeOrNull(get, 'lowPass.cutoff', 0, 16384, d.lowPass.cutoff) },
    analysePreset: choice(get, 'analysePreset', ['full', 'fast'] as const, d.analysePreset),
    analyse: { budget: budgetSetting(get) },
    limit: wholeOrNull(get, 'limit', 1, 10_000_000, d.limit),
    seed: wholeOrNull(get, 'seed', 0, 4294967295, d.seed),
    executionProvider: (executionProvider as ExecutionProviderName | null | undefined) ?? null,
    threads: wholeOrNull(get, 'threads', 0, 256, d.threads),
    quickCheck: { images: whole(get, 'quickCheck.images', 1, 100_000, d.quickCheck.images), onModelChange },
  };
}

/**
 * The engine request for a model: settings that are set override robustness.json (as CLI flags do);
 * unset ones leave the file (or the engine's inference) in charge. `limit` replaces the limit setting.
 */
export function jobRequest(
  modelPath: string,
  workspaceRoot: string | undefined,
  s: LensSettings,
  limit: number | null = s.limit,
): JobRequest {
  const runtime = {
    ...(s.executionProvider !== null ? { executionProvider: s.executionProvider } : {}),
    ...(s.threads !== null ? { threads: s.threads } : {}),
  };
  return {
    modelPath,
    ...(workspaceRoot ? { workspaceRoot } : {}),
    overrides: {
      ...(limit !== null ? { limit } : {}),
      ...(s.seed !== null ? { seed: s.seed } : {}),
      ...(Object.keys(runtime).length ? { runtime } : {}),
    },
  };
}

export function attackSpec(c: AttackChoice): AttackSpec {
  const choice = CHOICES.find((x) => x.id === c);
  if (!choice) throw bad('attacks', c, `one of ${ATTACK_CHOICES.join(', ')}`);
  return { name: choice.spec.name, params: { ...choice.spec.params } };
}

export function analyseOptions(s: LensSettings, outDir: string | null): AnalyseOptions {
  return {
    preset: s.analysePreset,
    attacks: s.attacks.length ? s.attacks.map(attackSpec) : null,
    K: s.postAveraging.K,
    radius: s.postAveraging.radius,
    directions: s.postAveraging.directions,
    cutoff: s.lowPass.cutoff,
    epsilons: s.epsilons.length ? s.epsilons : null,
    outDir,
    ...(s.analyse.budget !== null ? { budgetSeconds: s.analyse.budget } : {}),
  };
}

/** The Quick Attack Check: FGSM and PGD-10 L∞ at their literature defaults (ε = 8/255), top-1. */
export function quickCheckOptions(outDir: string | null): AttackJobOptions {
  return {
    attacks: quickCheckSuite(),
    criterion: 'top1',
    target: null,
    gradient: 'analytic',
    gallery: 4,
    outDir,
  };
}

export function explainOptions(imagePath: string, compareModelPath: string | null, outDir: string | null): ExplainOptions {
  return { imagePath, compareModelPath, baseline: 'zero', outDir };
}

/**
 * Randomized smoothing at Cohen et al.'s settings (σ 0.12, 0.25, 0.5; α = 0.001); `fast` estimates with n = 1,000.
 * `empirical`: the rand attack on the smoothed classifier beside the certificates, at the CLI's defaults.
 */
export function certifyOptions(preset: 'fast' | 'full', empirical = false): JobOptionsByKind['certify'] {
  return {
    preset,
    sigmas: [...DEFAULT_SIGMAS],
    ...CERTIFY_PRESETS[preset],
    alpha: DEFAULT_ALPHA,
    attack: empirical
      ? { radii: [...EMPIRICAL_DEFAULTS.radii], steps: EMPIRICAL_DEFAULTS.steps[preset], eotDraws: EMPIRICAL_DEFAULTS.eotDraws }
      : null,
  };
}

/** Images a feature inversion from the editor samples at most: steps + 1 gradient passes each, per model. */
export const INVERSION_IMAGE_LIMIT = 100;

/** Feature inversion at the CLI's defaults (200 steps, α₀ = 0.05·√d, the last Gemm/MatMul input, 4 examples). */
export function invertOptions(compareModelPath: string | null, outDir: string | null): JobOptionsByKind['invert'] {
  return { compareModelPath, layer: null, steps: 200, stepSize: null, examples: 4, outDir };
}

/** The Fourier heat map at its defaults (ε scaled to the image size, at most 32 frequencies a side), beside the defended models' (the job's default set; the low-pass cutoff from the settings). */
export function fourierHeatmapOptions(s: LensSettings): JobOptionsByKind['fourier-heatmap'] {
  return { epsilon: null, maxSide: 32, cutoff: s.lowPass.cutoff };
}
