/** `analyse`, `defend` and `explain` flags → job options, with specific messages for bad values. */
import { EngineError } from '../engine/errors';
import { parseEpsilon } from '../engine/attacks/format';
import { ATTACK_NAMES, isAttackName, type AttackSpec } from '../engine/attacks/registry';
import type { AnalyseOptions } from '../engine/jobs/analyseJob';
import type { ExplainOptions } from '../engine/jobs/explainJob';
import { DEFENCES } from '../engine/defences';
import type { DefenceOptions } from '../engine/defences/defence';
import { choiceFlag as choice, wholeFlag as whole, type Flags } from '../engine/defences/flags';
import { runFolder } from './runFolder';
import { parseDuration } from '../engine/util/duration';

/** Each defence declares its own flags (`--K --radius --directions`, `--cutoff`, …). */
const DEFENCE_FLAGS = Object.assign({}, ...DEFENCES.map((d) => d.cli.flags)) as Record<string, { type: 'string' }>;

export const ANALYSE_FLAGS = {
  preset: { type: 'string' },
  ...DEFENCE_FLAGS,
  eps: { type: 'string' },
  attack: { type: 'string', multiple: true },
  defence: { type: 'string', multiple: true },
  out: { type: 'string' },
  'adaptive-images': { type: 'string' },
  'of-images': { type: 'string' },
  'of-band-group': { type: 'string' },
  examples: { type: 'string' },
  baseline: { type: 'string' },
  criterion: { type: 'string' },
  adaptive: { type: 'string' },
  budget: { type: 'string' },
  'eot-samples': { type: 'string' },
} as const;

export const EXPLAIN_FLAGS = {
  image: { type: 'string' },
  compare: { type: 'string' },
  baseline: { type: 'string' },
  out: { type: 'string' },
  'of-band-group': { type: 'string' },
} as const;

/** `--defence` values, in the order the messages list them. */
const DEFENCE_VALUES = DEFENCES.map((d) => d.cli.flagValue).sort();

/** `defend` is `analyse` restricted to the named defences and attacks, without the frequency analyses. */
export function analyseOptionsFromFlags(flags: Flags, modelPath: string, command: 'analyse' | 'defend', now = new Date()): AnalyseOptions {
  const preset = choice(flags, 'preset', ['full', 'fast'] as const) ?? 'full';
  const defenceOptions = Object.assign({}, ...DEFENCES.map((d) => d.cli.parse(flags))) as Required<DefenceOptions>;
  const epsilons =
    typeof flags.eps === 'string'
      ? flags.eps.split(',').map((t) => {
          const e = parseEpsilon(t.trim());
          if (!(e > 0) || e > 1)
            throw new EngineError('USAGE', `--eps ${t}: expected L∞ values in (0, 1] pixel units, e.g. 8/255 or 0.1,0.2`);
          return e;
        })
      : null;
  const names = (flags.attack as string[] | undefined) ?? [];
  const attacks: AttackSpec[] | null = names.length
    ? names.map((n) => {
        const name = n.toLowerCase();
        if (!isAttackName(name)) throw new EngineError('USAGE', `--attack ${n}: unknown attack (attacks: ${ATTACK_NAMES.join(', ')})`);
        return { name, params: epsilons && (name === 'fgsm' || name === 'pgd') ? { eps: epsilons[0] } : {} };
      })
    : null;
  const key = (v: string) => v.toLowerCase().replace(/[-_ ]/g, '');
  const defenceNames = ((flags.defence as string[] | undefined) ?? []).map((d) => {
    const found = DEFENCES.find((def) => key(def.cli.flagValue) === key(d));
    if (!found) throw new EngineError('USAGE', `--defence ${d}: expected ${DEFENCE_VALUES.join(' or ')}`);
    return found.name;
  });
  if (command === 'defend' && defenceNames.length === 0)
    throw new EngineError('USAGE', `defend: name a defence with ${DEFENCE_VALUES.map((v) => `--defence ${v}`).join(' or ')}`);
  const baseline = choice(flags, 'baseline', ['zero', 'noise'] as const) ?? 'zero';
  const criterion = choice(flags, 'criterion', ['top1', 'top5'] as const) ?? 'top1';
  const adaptiveAttack = choice(flags, 'adaptive', ['pgd', 'apgd-ce', 'autoattack'] as const);
  const adaptiveImages = whole(flags, 'adaptive-images', 1);
  const ofImages = whole(flags, 'of-images', 1);
  const ofBandGroup = whole(flags, 'of-band-group', 1);
  const perImageExamples = whole(flags, 'examples', 0);
  const eotSamples = whole(flags, 'eot-samples', 2);
  const budgetSeconds = typeof flags.budget === 'string' ? parseDuration(flags.budget) : undefined;
  return {
    preset,
    attacks,
    K: defenceOptions.K,
    radius: defenceOptions.radius,
    directions: defenceOptions.directions,
    cutoff: defenceOptions.cutoff,
    epsilons,
    outDir: runFolder(modelPath, flags, now),
    ofBaseline: baseline,
    criterion,
    ...(defenceNames.length ? { defences: defenceNames } : {}),
    ...(command === 'defend'
      ? {
          analyses: {
            occludedFrequency: false,
            rct: false,
            spectra: false,
            sweeps: DEFENCES.some((d) => d.leavesParameterToSweep(defenceOptions)),
          },
        }
      : {}),
    ...(adaptiveImages !== undefined ? { adaptiveImages } : {}),
    ...(adaptiveAttack !== undefined ? { adaptiveAttack } : {}),
    ...(ofImages !== undefined ? { ofImages } : {}),
    ...(ofBandGroup !== undefined ? { ofBandGroup } : {}),
    ...(perImageExamples !== undefined ? { perImageExamples } : {}),
    ...(eotSamples !== undefined ? { eotSamples } : {}),
    ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
  };
}

export function explainOptionsFromFlags(flags: Flags, modelPath: string, now = new Date()): ExplainOptions {
  if (typeof flags.image !== 'string') throw new EngineError('USAGE', 'explain: name the image with --image FILE');
  const bandGroup = whole(flags, 'of-band-group', 1);
  return {
    imagePath: flags.image,
    compareModelPath: typeof flags.compare === 'string' ? flags.compare : null,
    baseline: choice(flags, 'baseline', ['zero', 'noise'] as const) ?? 'zero',
    outDir: runFolder(modelPath, flags, now),
    ...(bandGroup !== undefined ? { bandGroup } : {}),
  };
}
