/** `attack` flag parsing: flags, checks and usage text derived from the attack catalog. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { attackFlagSpec, attackOptionsFromFlags, attackParamFlags, attackUsage } from '../../src/cli/attackFlags';
import { ATTACK_CATALOG, ATTACK_NAMES, standardSuite, validateAttackSpec } from '../../src/engine/attacks/catalog';
import { createAttack } from '../../src/engine/attacks/registry';
import { EngineError } from '../../src/engine/errors';

type Flags = Record<string, string | boolean | string[] | undefined>;

/** Parses a command line the way `robustness-lens attack` does, then builds the job options. */
function options(args: string[]) {
  const { values } = parseArgs({ args, options: attackFlagSpec(), strict: true, allowPositionals: true });
  return attackOptionsFromFlags(values as Flags, 'm.onnx', new Date(0));
}

function refused(args: string[], message: string): void {
  assert.throws(
    () => options(args),
    (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && e.message === message,
    args.join(' '),
  );
}

test("shared flags reach each chosen attack as its own parameter (SimBA's step is --eps, its budget --queries)", () => {
  const o = options([
    '--attack',
    'pgd',
    '--attack',
    'simba',
    '--attack',
    'DeepFool',
    '--eps',
    '8/255',
    '--steps',
    '20',
    '--queries',
    '500',
    '--linf-bound',
    '16/255',
  ]);
  assert.deepEqual(o.attacks, [
    { name: 'pgd', params: { eps: 8 / 255, steps: 20 } },
    { name: 'simba', params: { epsilon: 8 / 255, maxQueries: 500, linf: 16 / 255 } },
    { name: 'deepfool', params: { steps: 20 } },
  ]);
  assert.deepEqual(
    options([
      '--attack',
      'pgd',
      '--mode',
      'minimal',
      '--search-steps',
      '6',
      '--early-stop',
      '--no-random-start',
      '--norm',
      'l2',
      '--alpha',
      '0.1',
      '--restarts',
      '3',
    ]).attacks,
    [
      {
        name: 'pgd',
        params: { norm: 'l2', alpha: 0.1, randomStart: false, restarts: 3, earlyStop: true, mode: 'minimal-eps', searchSteps: 6 },
      },
    ],
  );
  assert.deepEqual(
    options([
      '--attack',
      'cw',
      '--c',
      '1e-2',
      '--kappa',
      '0.5',
      '--lr',
      '0.05',
      '--search-steps',
      '3',
      '--steps',
      '100',
      '--no-abort-early',
    ]).attacks,
    [{ name: 'cw', params: { c: 0.01, kappa: 0.5, steps: 100, searchSteps: 3, lr: 0.05, abortEarly: false } }],
  );
  assert.deepEqual(options(['--attack', 'fgsm', '--attack', 'fgm']).attacks, [
    { name: 'fgsm', params: {} },
    { name: 'fgm', params: {} },
  ]);
  assert.deepEqual(options(['--suite', 'standard']).attacks, standardSuite());
});

test('every flag is checked against its record: the message names the flag, what was expected and the attack', () => {
  refused(['--attack', 'pgd', '--steps', '0'], '--steps 0: expected a whole number from 1 to 100000 (pgd)');
  refused(
    ['--attack', 'pgd', '--attack', 'deepfool', '--steps', '20000'],
    '--steps 20000: expected a whole number from 1 to 10000 (deepfool)',
  );
  refused(['--attack', 'cw', '--steps', '2.5'], '--steps 2.5: expected a whole number from 1 to 1000000 (cw)');
  refused(['--attack', 'pgd', '--norm', 'l3'], '--norm l3: expected linf or l2 (pgd)');
  refused(['--attack', 'pgd', '--mode', 'medium'], '--mode medium: expected fixed or minimal (pgd)');
  refused(['--attack', 'fgsm', '--eps', 'big'], '--eps big: expected a number > 0 and ≤ 1 (fgsm)');
  refused(['--attack', 'pgd', '--eps', '2'], '--eps 2: expected a number > 0 and ≤ 1 for linf (pgd); did you mean 2/255 = 0.0078?');
  refused(['--attack', 'pgd', '--alpha=-1'], '--alpha -1: expected a number > 0 (pgd)');
  refused(['--attack', 'pgd', '--restarts', '0'], '--restarts 0: expected a whole number from 1 to 1000 (pgd)');
  refused(['--attack', 'deepfool', '--overshoot', '2'], '--overshoot 2: expected a number ≥ 0 and ≤ 1 (deepfool)');
  refused(['--attack', 'deepfool', '--candidates', '1'], '--candidates 1: expected a whole number from 2 to 100000 (deepfool)');
  refused(['--attack', 'cw', '--c', '0'], '--c 0: expected a number > 0 and ≤ 10000000000 (cw)');
  refused(['--attack', 'cw', '--kappa=-1'], '--kappa -1: expected a number ≥ 0 (cw)');
  refused(['--attack', 'cw', '--lr', '2'], '--lr 2: expected a number > 0 and ≤ 1 (cw)');
  refused(['--attack', 'simba', '--queries', '1'], '--queries 1: expected a whole number ≥ 2 (simba)');
  refused(['--attack', 'simba', '--linf-bound', '0'], '--linf-bound 0: expected a number > 0 (simba)');
  refused(['--attack', 'simba', '--basis', 'wavelet'], '--basis wavelet: expected dct or pixel (simba)');
  refused(['--attack', 'simba', '--eps', ''], '--eps : expected a number > 0 (simba)');
  // L2 PGD may use an ε above 1: --norm is read before the bounds that depend on it.
  assert.deepEqual(options(['--attack', 'pgd', '--eps', '2', '--norm', 'l2']).attacks, [{ name: 'pgd', params: { norm: 'l2', eps: 2 } }]);
});

test('a flag no chosen attack has, and parameter flags with --suite, are refused instead of ignored', () => {
  refused(
    ['--attack', 'fgsm', '--steps', '40'],
    '--steps: fgsm has no such parameter (it applies to pgd, deepfool, cw, apgd-ce, apgd-t, apgd-dlr, fab-t)',
  );
  refused(
    ['--attack', 'fgsm', '--attack', 'fgm', '--norm', 'l2'],
    '--norm: fgsm, fgm have no such parameter (it applies to pgd, deepfool, apgd-ce, apgd-t, apgd-dlr, fab-t, square)',
  );
  refused(
    ['--suite', 'standard', '--eps', '0.1'],
    "--eps cannot be combined with --suite standard (the suite runs each attack with the literature's defaults)",
  );
  refused(
    ['--attack', 'autoattack'],
    '--attack autoattack: unknown attack (attacks: fgsm, fgm, pgd, deepfool, cw, simba, apgd-ce, apgd-t, apgd-dlr, fab-t, square)',
  );
  refused(
    [],
    'attack: name an attack with --attack (fgsm, fgm, pgd, deepfool, cw, simba, apgd-ce, apgd-t, apgd-dlr, fab-t, square) or use --suite standard',
  );
});

test('the specs the flags build are valid and build their attacks', () => {
  for (const name of ATTACK_NAMES) {
    const args = ['--attack', name];
    for (const f of attackParamFlags()) {
      const t = f.targets.find((x) => x.attack === name);
      if (!t) continue;
      const s = t.spec;
      if (s.type === 'boolean') args.push(`--${f.flag}`);
      else if (s.type === 'enum') args.push(`--${f.flag}`, Object.keys(s.flagValues ?? {}).at(-1) ?? s.values.at(-1)!);
      else args.push(`--${f.flag}`, String(s.type === 'integer' ? (s.min ?? 0) + 1 : (s.min ?? 0) + 0.01)); // inside every range
    }
    const [spec] = options(args).attacks;
    assert.deepEqual(
      Object.keys(spec.params).sort(),
      Object.entries(ATTACK_CATALOG[name].params)
        .filter(([, p]) => p.flag !== null)
        .map(([k]) => k)
        .sort(),
      name,
    );
    assert.equal(validateAttackSpec(spec), null, `${name}: ${JSON.stringify(spec)}`);
    assert.ok(createAttack(spec).label, name);
  }
});

test('the existing flag names still parse, and --help lists every flag and attack', () => {
  const spec = attackFlagSpec();
  for (const flag of [
    'eps',
    'norm',
    'steps',
    'alpha',
    'restarts',
    'mode',
    'overshoot',
    'kappa',
    'search-steps',
    'queries',
    'basis',
    'lr',
    'c',
    'candidates',
    'linf-bound',
  ]) {
    assert.equal(spec[flag]?.type, 'string', `--${flag}`);
  }
  assert.equal(spec['early-stop']?.type, 'boolean');
  const usage = attackUsage();
  for (const f of attackParamFlags()) assert.match(usage, new RegExp(`^  --${f.flag}\\b`, 'm'), `--${f.flag} in --help`);
  for (const name of ATTACK_NAMES) assert.match(usage, new RegExp(`\\b${name}: ${ATTACK_CATALOG[name].title}`), name);
  assert.match(usage, /--steps N {14}pgd: gradient steps \(default 10\)\n {25}deepfool: maximum linearised steps per image \(default 50\)/);
  assert.match(usage, /--eps X {16}fgsm: budget ε in pixel units, e\.g\. 8\/255 or 0\.03 \(default 8\/255\)/);
});

test('--suite autoattack: the cascade of its version at --norm/--eps; bad ε, versions and extra flags refused', () => {
  const std = options(['--suite', 'autoattack']);
  assert.deepEqual(std.ensemble, { name: 'autoattack', version: 'standard' });
  assert.deepEqual(std.attacks, [
    { name: 'apgd-ce', params: { norm: 'linf', eps: 8 / 255 } },
    { name: 'apgd-t', params: { norm: 'linf', eps: 8 / 255 } },
    { name: 'fab-t', params: { norm: 'linf', eps: 8 / 255 } },
    { name: 'square', params: { norm: 'linf', eps: 8 / 255, maxQueries: 5000 } },
  ]);
  const rand = options(['--suite', 'autoattack', '--version', 'rand', '--norm', 'l2', '--eps', '1']);
  assert.deepEqual(rand.ensemble, { name: 'autoattack', version: 'rand' });
  assert.deepEqual(rand.attacks, [
    { name: 'apgd-ce', params: { norm: 'l2', eps: 1, eot: 20 } },
    { name: 'apgd-dlr', params: { norm: 'l2', eps: 1, eot: 20 } },
  ]);
  for (const spec of [...std.attacks, ...rand.attacks]) assert.equal(validateAttackSpec(spec), null);
  assert.equal(options(['--suite', 'standard']).ensemble, undefined);
  const usage = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => options(args),
      (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message),
      args.join(' '),
    );
  usage(['--suite', 'autoattack', '--eps', '0'], /^--eps 0: .*positive/);
  usage(['--suite', 'autoattack', '--eps=-0.1'], /^--eps -0.1: .*positive/);
  usage(['--suite', 'autoattack', '--eps', '8'], /^--eps 8: .*pixel range.*8\/255/);
  usage(['--suite', 'autoattack', '--version', 'fast'], /^--version fast: expected standard or rand$/);
  usage(['--suite', 'standard', '--version', 'rand'], /^--version belongs to --suite autoattack/);
  usage(['--suite', 'autoattack', '--steps', '10'], /^--steps cannot be combined with --suite autoattack/);
  usage(['--suite', 'autoattack', '--queries', '0'], /^--queries cannot be combined/);
  usage(['--suite', 'autoattack', '--targeted', 'least-likely'], /^--targeted cannot be combined with --suite autoattack/);
  usage(['--suite', 'autoattack', '--attack', 'pgd'], /^--suite and --attack cannot be combined$/);
  usage(['--suite', 'quick'], /^--suite quick: expected standard or autoattack$/);
  // Square's query budget: 0 is refused with what is allowed.
  usage(['--attack', 'square', '--queries', '0'], /^--queries 0: expected a whole number from 1 to 1000000 \(square\)$/);
  assert.deepEqual(options(['--attack', 'square', '--queries', '100', '--norm', 'l2']).attacks, [
    { name: 'square', params: { norm: 'l2', maxQueries: 100 } },
  ]);
});
