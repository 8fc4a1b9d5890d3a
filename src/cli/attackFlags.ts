/** `attack` flags → the attack job's options, with specific messages for bad values. */
import { EngineError } from '../engine/errors';
import { parseEpsilon } from '../engine/attacks/format';
import { isAttackName, standardSuite, ATTACK_NAMES, type AttackSpec } from '../engine/attacks/registry';
import type { AttackJobOptions, TargetChoice } from '../engine/jobs/attackJob';
import { runFolder } from './runFolder';

type Flags = Record<string, string | boolean | string[] | undefined>;

function num(flags: Flags, name: string, check: (n: number) => boolean, expected: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = name === 'eps' ? parseEpsilon(String(v)) : Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new EngineError('USAGE', `--${name} ${String(v)}: expected ${expected}`);
  return n;
}

/** Attack parameters common to several attacks, from the flags that were given. */
function attackParams(flags: Flags): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => { if (value !== undefined) p[key] = value; };
  set('eps', num(flags, 'eps', () => true, 'a number such as 8/255 or 0.03'));
  if (flags.norm !== undefined) {
    if (flags.norm !== 'linf' && flags.norm !== 'l2') throw new EngineError('USAGE', `--norm ${String(flags.norm)}: expected linf or l2`);
    p.norm = flags.norm;
  }
  set('steps', num(flags, 'steps', () => true, 'a whole number'));
  set('alpha', num(flags, 'alpha', () => true, 'a positive step size'));
  set('restarts', num(flags, 'restarts', () => true, 'a whole number ≥ 1'));
  set('overshoot', num(flags, 'overshoot', () => true, 'a non-negative number'));
  set('kappa', num(flags, 'kappa', () => true, 'a non-negative number'));
  set('searchSteps', num(flags, 'search-steps', () => true, 'a whole number'));
  set('maxQueries', num(flags, 'queries', () => true, 'a whole number'));
  set('lr', num(flags, 'lr', () => true, 'a positive learning rate'));
  set('c', num(flags, 'c', () => true, 'a positive constant'));
  set('candidates', num(flags, 'candidates', () => true, 'a whole number ≥ 2'));
  set('linf', num(flags, 'linf-bound', () => true, 'a positive L∞ bound'));
  if (flags.basis !== undefined) p.basis = flags.basis;
  if (flags['early-stop']) p.earlyStop = true;
  if (flags.mode !== undefined) {
    if (flags.mode !== 'fixed' && flags.mode !== 'minimal') throw new EngineError('USAGE', `--mode ${String(flags.mode)}: expected fixed or minimal`);
    p.mode = flags.mode === 'minimal' ? 'minimal-eps' : 'fixed-eps';
  }
  return p;
}

export function attackOptionsFromFlags(flags: Flags, modelPath: string, now = new Date()): AttackJobOptions {
  const names = (flags.attack as string[] | undefined) ?? [];
  let attacks: AttackSpec[];
  if (flags.suite !== undefined) {
    if (flags.suite !== 'standard') throw new EngineError('USAGE', `--suite ${String(flags.suite)}: the only suite is "standard"`);
    if (names.length) throw new EngineError('USAGE', '--suite and --attack cannot be combined');
    attacks = standardSuite();
  } else {
    if (names.length === 0) throw new EngineError('USAGE', `attack: name an attack with --attack (${ATTACK_NAMES.join(', ')}) or use --suite standard`);
    const params = attackParams(flags);
    attacks = names.map((n) => {
      const name = n.toLowerCase();
      if (!isAttackName(name)) throw new EngineError('USAGE', `--attack ${n}: unknown attack (attacks: ${ATTACK_NAMES.join(', ')})`);
      return { name, params };
    });
  }
  const criterion = flags.criterion ?? 'top1';
  if (criterion !== 'top1' && criterion !== 'top5') throw new EngineError('USAGE', `--criterion ${String(criterion)}: expected top1 or top5`);
  const gradient = flags.gradient ?? 'analytic';
  if (gradient !== 'analytic' && gradient !== 'estimated') throw new EngineError('USAGE', `--gradient ${String(gradient)}: expected analytic or estimated`);
  let target: TargetChoice | null = null;
  if (flags.targeted !== undefined) {
    const t = String(flags.targeted);
    if (t === 'least-likely') target = { kind: 'least-likely' };
    else if (/^\d+$/.test(t)) target = { kind: 'class', class: Number(t) };
    else target = { kind: 'class', class: -1, name: t } as TargetChoice;
  }
  const gallery = num(flags, 'gallery', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0') ?? 8;
  return { attacks, criterion, target, gradient, gallery, outDir: runFolder(modelPath, flags, now) };
}
