/**
 * `attack` flags → the attack job's options. The parameter flags, their checks and their usage text come
 * from the attack catalog: a flag sets, in each chosen attack that has it, the parameter its record maps
 * it to (--eps is SimBA's `epsilon`, --queries its `maxQueries`), and is checked against that record.
 */
import { EngineError } from '../engine/errors';
import { parseEpsilon } from '../engine/attacks/format';
import { AUTOATTACK_EPS, autoAttackSuite, ENSEMBLE_VERSIONS, type EnsembleVersion } from '../engine/attacks/ensemble';
import { checkEpsilon } from '../engine/attacks/gradientSteps';
import {
  ATTACK_CATALOG,
  ATTACK_NAMES,
  attackNorm,
  expectedValue,
  formatParamValue,
  hintFor,
  isAttackName,
  isValidValue,
  standardSuite,
  type AttackName,
  type AttackSpec,
  type ParamSpec,
  type PerNorm,
} from '../engine/attacks/catalog';
import type { Norm } from '../engine/attacks/types';
import type { AttackJobOptions, TargetChoice } from '../engine/jobs/attackJob';
import { runFolder } from './runFolder';

type Flags = Record<string, string | boolean | string[] | undefined>;

/** A parameter of one attack that a flag sets. */
export interface FlagTarget {
  attack: AttackName;
  key: string;
  spec: ParamSpec;
}

/** One command-line flag for attack parameters, and every attack parameter it sets. */
export interface AttackParamFlag {
  flag: string;
  /** A switch (no value) sets a boolean parameter to the opposite of its default. */
  isSwitch: boolean;
  targets: FlagTarget[];
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The attack-parameter flags, in catalog order of first appearance. */
export function attackParamFlags(): AttackParamFlag[] {
  const byFlag = new Map<string, AttackParamFlag>();
  for (const attack of ATTACK_NAMES) {
    for (const [key, spec] of Object.entries(ATTACK_CATALOG[attack].params)) {
      if (spec.flag === null) continue;
      const flag = spec.flag ?? kebab(key);
      const isSwitch = spec.type === 'boolean';
      const entry = byFlag.get(flag) ?? { flag, isSwitch, targets: [] };
      if (entry.isSwitch !== isSwitch) throw new Error(`catalog: --${flag} is a switch for one attack and takes a value for another`);
      entry.targets.push({ attack, key, spec });
      byFlag.set(flag, entry);
    }
  }
  return [...byFlag.values()];
}

/** The `attack` command's flags for node's parseArgs. */
export function attackFlagSpec(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    attack: { type: 'string', multiple: true },
    suite: { type: 'string' },
    version: { type: 'string' },
    criterion: { type: 'string' },
    targeted: { type: 'string' },
    gradient: { type: 'string' },
    gallery: { type: 'string' },
    'eps-list': { type: 'string' },
    out: { type: 'string' },
  };
  for (const f of attackParamFlags()) spec[f.flag] = { type: f.isSwitch ? 'boolean' : 'string' };
  return spec;
}

/** The flag's text as the parameter's value, or undefined when it is not one. */
function parseValue(spec: ParamSpec, text: string): unknown {
  switch (spec.type) {
    case 'boolean':
      return undefined;
    case 'enum':
      return spec.flagValues?.[text] ?? text;
    case 'integer':
      return text.trim() === '' ? undefined : Number(text);
    case 'number':
      return text.trim() === '' ? undefined : parseEpsilon(text);
  }
}

/** What the flag accepts, in words (a flag never sets null, and an enum shows its flag spellings). */
function expectedFlagValue(spec: ParamSpec, norm: Norm): string {
  if (spec.type === 'enum') return Object.keys(spec.flagValues ?? {}).join(' or ') || spec.values.join(' or ');
  return expectedValue(spec.type === 'boolean' ? spec : { ...spec, nullable: false }, norm);
}

/**
 * Each chosen attack's parameters from the flags that were given, each value checked against the attack's
 * record. A flag that none of the chosen attacks has is refused (it would otherwise be silently ignored).
 */
export function attackSpecsFromFlags(names: AttackName[], flags: Flags): AttackSpec[] {
  const params = names.map((): Record<string, unknown> => ({}));
  // --norm first: the other flags' bounds may depend on it (PGD's ε ≤ 1 under L∞, ≤ 1000 under L2).
  const ordered = attackParamFlags().sort((a, b) => Number(b.flag === 'norm') - Number(a.flag === 'norm'));
  for (const f of ordered) {
    const raw = flags[f.flag];
    if (raw === undefined || raw === false) continue;
    const applies = f.targets.filter((t) => names.includes(t.attack));
    if (applies.length === 0) {
      throw new EngineError(
        'USAGE',
        `--${f.flag}: ${names.join(', ')} ${names.length > 1 ? 'have' : 'has'} no such parameter (it applies to ${[...new Set(f.targets.map((t) => t.attack))].join(', ')})`,
      );
    }
    for (const t of applies) {
      names.forEach((name, k) => {
        if (name !== t.attack) return;
        const norm = attackNorm(name, params[k]);
        const value = f.isSwitch ? !t.spec.default : parseValue(t.spec, String(raw));
        if (!isValidValue(t.spec, value, norm) || value === null) {
          throw new EngineError(
            'USAGE',
            `--${f.flag} ${String(raw)}: expected ${expectedFlagValue(t.spec, norm)} (${name})${hintFor(t.spec, value)}`,
          );
        }
        params[k][t.key] = value;
      });
    }
  }
  return names.map((name, k) => ({ name, params: params[k] }));
}

function num(flags: Flags, name: string, check: (n: number) => boolean, expected: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new EngineError('USAGE', `--${name} ${String(v)}: expected ${expected}`);
  return n;
}

export function attackOptionsFromFlags(flags: Flags, modelPath: string, now = new Date()): AttackJobOptions {
  const names = (flags.attack as string[] | undefined) ?? [];
  let attacks: AttackSpec[];
  let ensemble: AttackJobOptions['ensemble'];
  if (flags.version !== undefined && flags.suite !== 'autoattack')
    throw new EngineError('USAGE', '--version belongs to --suite autoattack (standard or rand)');
  if (flags.suite === 'autoattack') {
    if (names.length) throw new EngineError('USAGE', '--suite and --attack cannot be combined');
    ({ attacks, ensemble } = autoAttackFromFlags(flags));
  } else if (flags.suite !== undefined) {
    if (flags.suite !== 'standard') throw new EngineError('USAGE', `--suite ${String(flags.suite)}: expected standard or autoattack`);
    if (names.length) throw new EngineError('USAGE', '--suite and --attack cannot be combined');
    const given = attackParamFlags().find((f) => flags[f.flag] !== undefined && flags[f.flag] !== false);
    if (given)
      throw new EngineError(
        'USAGE',
        `--${given.flag} cannot be combined with --suite standard (the suite runs each attack with the literature's defaults)`,
      );
    attacks = standardSuite();
  } else {
    if (names.length === 0)
      throw new EngineError('USAGE', `attack: name an attack with --attack (${ATTACK_NAMES.join(', ')}) or use --suite standard`);
    const chosen = names.map((n) => {
      const name = n.toLowerCase();
      if (!isAttackName(name)) throw new EngineError('USAGE', `--attack ${n}: unknown attack (attacks: ${ATTACK_NAMES.join(', ')})`);
      return name;
    });
    attacks = attackSpecsFromFlags(chosen, flags);
  }
  const criterion = flags.criterion ?? 'top1';
  if (criterion !== 'top1' && criterion !== 'top5')
    throw new EngineError('USAGE', `--criterion ${String(criterion)}: expected top1 or top5`);
  const gradient = flags.gradient ?? 'analytic';
  if (gradient !== 'analytic' && gradient !== 'estimated')
    throw new EngineError('USAGE', `--gradient ${String(gradient)}: expected analytic or estimated`);
  let target: TargetChoice | null = null;
  if (flags.targeted !== undefined) {
    const t = String(flags.targeted);
    if (t === 'least-likely') target = { kind: 'least-likely' };
    else if (/^\d+$/.test(t)) target = { kind: 'class', class: Number(t) };
    else target = { kind: 'class', class: -1, name: t };
  }
  const gallery = num(flags, 'gallery', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0') ?? 8;
  if (ensemble && target)
    throw new EngineError('USAGE', '--targeted cannot be combined with --suite autoattack (its attacks are untargeted)');
  const epsList = epsListFromFlag(flags['eps-list']);
  if (ensemble && epsList)
    throw new EngineError('USAGE', '--eps-list cannot be combined with --suite autoattack', {
      hint: 'run the ensemble once per ε (--eps X), or --eps-list with --attack apgd-ce / square',
    });
  return {
    attacks,
    criterion,
    target,
    gradient,
    gallery,
    outDir: runFolder(modelPath, flags, now),
    ...(ensemble ? { ensemble } : {}),
    ...(epsList ? { epsList } : {}),
  };
}

/** `--eps-list 1/255,2/255,4/255,8/255`: positive ε in pixel units, each as --eps takes it; sorted, duplicates dropped. */
export function epsListFromFlag(raw: unknown): number[] | undefined {
  if (raw === undefined) return undefined;
  const text = typeof raw === 'string' ? raw : '';
  const parts = text.split(',');
  const values = parts.map((t) => parseEpsilon(t));
  const bad = parts.find((t, i) => t.trim() === '' || !Number.isFinite(values[i]) || !(values[i] > 0));
  if (bad !== undefined)
    throw new EngineError('USAGE', `--eps-list ${text}: "${bad.trim()}" is not a positive ε`, {
      hint: 'e.g. --eps-list 1/255,2/255,4/255,8/255 (pixel units, values in [0,1] for L∞)',
    });
  if (values.length > 32) throw new EngineError('USAGE', `--eps-list: ${values.length} values, at most 32`);
  return [...new Set(values)].sort((a, b) => a - b);
}

/** `--suite autoattack [--version standard|rand] [--norm linf|l2] [--eps X]`: the ensemble's attacks, in cascade order. */
function autoAttackFromFlags(flags: Flags): { attacks: AttackSpec[]; ensemble: NonNullable<AttackJobOptions['ensemble']> } {
  const version = String(flags.version ?? 'standard');
  if (!(ENSEMBLE_VERSIONS as readonly string[]).includes(version))
    throw new EngineError('USAGE', `--version ${version}: expected ${ENSEMBLE_VERSIONS.join(' or ')}`);
  const norm = String(flags.norm ?? 'linf');
  if (norm !== 'linf' && norm !== 'l2') throw new EngineError('USAGE', `--norm ${norm}: expected linf or l2`);
  const given = attackParamFlags().find(
    (f) => f.flag !== 'eps' && f.flag !== 'norm' && flags[f.flag] !== undefined && flags[f.flag] !== false,
  );
  if (given)
    throw new EngineError(
      'USAGE',
      `--${given.flag} cannot be combined with --suite autoattack (it runs AutoAttack's settings; only --eps and --norm change)`,
    );
  let eps = AUTOATTACK_EPS[norm];
  if (flags.eps !== undefined) {
    const text = String(flags.eps);
    eps = text.trim() === '' ? NaN : parseEpsilon(text);
    try {
      checkEpsilon('autoattack', eps, norm);
    } catch (e) {
      throw new EngineError('USAGE', `--eps ${text}: ${(e as Error).message.replace(/^autoattack: /, '')}`);
    }
  }
  return {
    attacks: autoAttackSuite(version as EnsembleVersion, norm, eps),
    ensemble: { name: 'autoattack', version: version as EnsembleVersion },
  };
}

// ---- usage text ------------------------------------------------------------------------------------

const COLUMN = 25;

/** The default as the flag spells it; nothing for a switch, which says what it turns off. */
function defaultText(spec: ParamSpec): string {
  if (spec.type === 'boolean') return spec.default ? ' (on by default; the switch turns it off)' : '';
  const v: PerNorm<number | null> | string = spec.default;
  if (spec.type === 'enum')
    return ` (default ${Object.entries(spec.flagValues ?? {}).find(([, value]) => value === v)?.[0] ?? String(spec.default)})`;
  if (v !== null && typeof v === 'object') return ` (default L∞ ${formatParamValue(v.linf)}, L2 ${formatParamValue(v.l2)})`;
  return ` (default ${formatParamValue(v)})`;
}

function metavar(f: AttackParamFlag): string {
  if (f.isSwitch) return '';
  const spec = f.targets[0].spec;
  if (spec.type === 'enum') return ` ${Object.keys(spec.flagValues ?? {}).join('|') || spec.values.join('|')}`;
  return spec.type === 'integer' ? ' N' : ' X';
}

/** The attack-parameter lines of `--help`: per flag, each attack it sets, what it does and its default. */
export function attackUsage(): string {
  const lines: string[] = [
    `  ${'--attack NAME'.padEnd(COLUMN - 2)}${ATTACK_NAMES.join(' | ')} (repeat to run several)`,
    ...ATTACK_NAMES.map((n) => `  ${''.padEnd(COLUMN - 2)}  ${n}: ${ATTACK_CATALOG[n].title}, ${ATTACK_CATALOG[n].summary}`),
    `  ${'--suite standard'.padEnd(COLUMN - 2)}the standard suite with the literature's defaults`,
    `  ${'--suite autoattack'.padEnd(COLUMN - 2)}AutoAttack as a worst-case cascade (each attack on the images still robust);`,
    `  ${''.padEnd(COLUMN - 2)}--version standard (APGD-CE, APGD-T, FAB-T, Square 5000 queries) or rand`,
    `  ${''.padEnd(COLUMN - 2)}(APGD-CE, APGD-DLR, EOT 20); only --eps and --norm change it (default L∞ 8/255, L2 0.5)`,
  ];
  for (const f of attackParamFlags()) {
    const head = `--${f.flag}${metavar(f)}`;
    // Attacks whose parameter reads the same share a line.
    const texts = new Map<string, AttackName[]>();
    for (const t of f.targets) {
      const text = `${t.spec.description}${defaultText(t.spec)}`;
      texts.set(text, [...(texts.get(text) ?? []), t.attack]);
    }
    [...texts].forEach(([text, attacks], k) => {
      const lead = k === 0 ? `  ${head.padEnd(COLUMN - 2)}` : ' '.repeat(COLUMN);
      lines.push(`${lead.length > COLUMN ? `${lead}  ` : lead}${attacks.join(', ')}: ${text}`);
    });
  }
  lines.push(`  ${''.padEnd(COLUMN - 2)}(a flag reaches only the chosen attacks that have the parameter)`);
  return lines.join('\n');
}
