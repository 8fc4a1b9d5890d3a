/** `analyse`, `defend` and `explain` flags → job options, with specific messages for bad values. */
import { EngineError } from '../engine/errors';
import { parseEpsilon } from '../engine/attacks/format';
import { ATTACK_NAMES, isAttackName, type AttackSpec } from '../engine/attacks/registry';
import type { AnalyseOptions, DefenceName } from '../engine/jobs/analyseJob';
import type { ExplainOptions } from '../engine/jobs/explainJob';
import { runFolder } from './runFolder';

type Flags = Record<string, string | boolean | string[] | undefined>;

export const ANALYSE_FLAGS = {
  preset: { type: 'string' }, K: { type: 'string' }, radius: { type: 'string' }, directions: { type: 'string' }, cutoff: { type: 'string' },
  eps: { type: 'string' }, attack: { type: 'string', multiple: true }, defence: { type: 'string', multiple: true }, out: { type: 'string' },
  'adaptive-images': { type: 'string' }, 'of-images': { type: 'string' }, baseline: { type: 'string' }, criterion: { type: 'string' },
} as const;

export const EXPLAIN_FLAGS = { image: { type: 'string' }, compare: { type: 'string' }, baseline: { type: 'string' }, out: { type: 'string' } } as const;

function whole(flags: Flags, name: string, min: number): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new EngineError('USAGE', `--${name} ${String(v)}: expected a whole number ≥ ${min}`);
  return n;
}

function choice<T extends string>(flags: Flags, name: string, allowed: readonly T[]): T | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new EngineError('USAGE', `--${name} ${String(v)}: expected ${allowed.join(' | ')}`);
  return v as T;
}

/** `defend` is `analyse` restricted to the named defences and attacks, without the frequency analyses. */
export function analyseOptionsFromFlags(flags: Flags, modelPath: string, command: 'analyse' | 'defend', now = new Date()): AnalyseOptions {
  const preset = choice(flags, 'preset', ['full', 'fast'] as const) ?? 'full';
  const K = whole(flags, 'K', 1) ?? 15;
  let radius: number | null = null;
  if (flags.radius !== undefined) {
    radius = Number(flags.radius);
    if (!(radius > 0) || !Number.isFinite(radius)) throw new EngineError('USAGE', `--radius ${String(flags.radius)}: expected a positive length in model-input units (the paper: 30 for ImageNet, 6 for CIFAR-10)`);
  }
  const cutoff = whole(flags, 'cutoff', 1) ?? null;
  const epsilons = typeof flags.eps === 'string' ? flags.eps.split(',').map((t) => {
    const e = parseEpsilon(t.trim());
    if (!(e > 0) || e > 1) throw new EngineError('USAGE', `--eps ${t}: expected L∞ values in (0, 1] pixel units, e.g. 8/255 or 0.1,0.2`);
    return e;
  }) : null;
  const names = (flags.attack as string[] | undefined) ?? [];
  const attacks: AttackSpec[] | null = names.length ? names.map((n) => {
    const name = n.toLowerCase();
    if (!isAttackName(name)) throw new EngineError('USAGE', `--attack ${n}: unknown attack (attacks: ${ATTACK_NAMES.join(', ')})`);
    return { name, params: epsilons && (name === 'fgsm' || name === 'pgd') ? { eps: epsilons[0] } : {} };
  }) : null;
  const defenceNames = ((flags.defence as string[] | undefined) ?? []).map((d) => {
    const v = d.toLowerCase().replace(/[-_ ]/g, '');
    if (v === 'lowpass') return 'low-pass';
    if (v === 'postaveraging') return 'post-averaging';
    throw new EngineError('USAGE', `--defence ${d}: expected lowpass or post-averaging`);
  }) as DefenceName[];
  if (command === 'defend' && defenceNames.length === 0) throw new EngineError('USAGE', 'defend: name a defence with --defence lowpass or --defence post-averaging');
  const directions = choice(flags, 'directions', ['random', 'approx'] as const) ?? 'random';
  const baseline = choice(flags, 'baseline', ['zero', 'noise'] as const) ?? 'zero';
  const criterion = choice(flags, 'criterion', ['top1', 'top5'] as const) ?? 'top1';
  const adaptiveImages = whole(flags, 'adaptive-images', 1);
  const ofImages = whole(flags, 'of-images', 1);
  return {
    preset, attacks, K, radius, directions, cutoff, epsilons, outDir: runFolder(modelPath, flags, now), ofBaseline: baseline, criterion,
    ...(defenceNames.length ? { defences: defenceNames } : {}),
    ...(command === 'defend' ? { analyses: { occludedFrequency: false, rct: false, spectra: false, sweeps: radius === null || cutoff === null } } : {}),
    ...(adaptiveImages !== undefined ? { adaptiveImages } : {}),
    ...(ofImages !== undefined ? { ofImages } : {}),
  };
}

export function explainOptionsFromFlags(flags: Flags, modelPath: string, now = new Date()): ExplainOptions {
  if (typeof flags.image !== 'string') throw new EngineError('USAGE', 'explain: name the image with --image FILE');
  return {
    imagePath: flags.image,
    compareModelPath: typeof flags.compare === 'string' ? flags.compare : null,
    baseline: choice(flags, 'baseline', ['zero', 'noise'] as const) ?? 'zero',
    outDir: runFolder(modelPath, flags, now),
  };
}
