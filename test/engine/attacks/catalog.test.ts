/** The attack catalog: validation from the records, derived exports, norms, and the PGD unknown-norm defect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ATTACK_CATALOG,
  ATTACK_NAMES,
  WHITE_BOX,
  attackDefaults,
  attackNorm,
  settingsChoices,
  standardSuite,
  validateAttackParams,
  validateAttackSpec,
} from '../../../src/engine/attacks/catalog';
import { createAttack } from '../../../src/engine/attacks/registry';
import { createPgd } from '../../../src/engine/attacks/pgd';
import { createFgsm } from '../../../src/engine/attacks/fgsm';
import { createFgm } from '../../../src/engine/attacks/fgm';
import { createDeepFool } from '../../../src/engine/attacks/deepFool';
import { createCarliniWagner } from '../../../src/engine/attacks/carliniWagner';
import { createApgdCe, createApgdDlr, createApgdT } from '../../../src/engine/attacks/apgd';
import { createFabT } from '../../../src/engine/attacks/fab';
import { createSquare } from '../../../src/engine/attacks/square';
import { createSimba } from '../../../src/engine/attacks/simba';
import type { Attack } from '../../../src/engine/attacks/types';
import { EngineError } from '../../../src/engine/errors';
import { REPO_ROOT } from '../../helpers/shared';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && pattern.test(e.message);

test('bad parameters are refused naming the attack, the parameter and what is allowed', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['pgd', { norm: 'l3' }, 'pgd: norm "l3": expected one of linf, l2'],
    [
      'pgd',
      { stepz: 3 },
      'pgd: unknown parameter "stepz": expected one of norm, eps, alpha, steps, randomStart, restarts, earlyStop, mode, searchSteps',
    ],
    ['pgd', { steps: 2.5 }, 'pgd: steps 2.5: expected a whole number from 1 to 100000'],
    ['pgd', { steps: '10' }, 'pgd: steps "10": expected a whole number from 1 to 100000'],
    ['pgd', { eps: 8 }, 'pgd: eps 8: expected a number > 0 and ≤ 1 for linf; did you mean 8/255 = 0.0314?'],
    ['pgd', { eps: 0 }, 'pgd: eps 0: expected a number > 0 and ≤ 1 for linf'],
    ['pgd', { norm: 'l2', eps: 2000 }, 'pgd: eps 2000: expected a number > 0 and ≤ 1000 for l2'],
    ['pgd', { earlyStop: 'yes' }, 'pgd: earlyStop "yes": expected true or false'],
    ['pgd', { mode: 'minimal' }, 'pgd: mode "minimal": expected one of fixed-eps, minimal-eps'],
    ['fgsm', { eps: Number.NaN }, 'fgsm: eps NaN: expected a number > 0 and ≤ 1'],
    ['deepfool', { candidates: 1 }, 'deepfool: candidates 1: expected a whole number from 2 to 100000'],
    ['cw', { kappa: -1 }, 'cw: kappa -1: expected a number ≥ 0'],
    ['simba', { eps: 0.1 }, 'simba: unknown parameter "eps": expected one of basis, epsilon, maxQueries, linf, freqFraction'],
    ['simba', { linf: 0 }, 'simba: linf 0: expected a number > 0, or null for none'],
    ['simba', { basis: 'wavelet' }, 'simba: basis "wavelet": expected one of dct, pixel'],
    ['fgm', { attack: 'fgsm' }, 'fgm: attack "fgsm": expected "fgm" or no attack parameter'],
  ];
  for (const [name, params, message] of cases) {
    assert.throws(
      () => validateAttackParams(name, params),
      (e: unknown) => e instanceof EngineError && e.code === 'USAGE' && e.message === message,
      `${name} ${JSON.stringify(params)}`,
    );
    assert.throws(() => createAttack({ name: name as never, params }), usage(/./), `createAttack ${name} ${JSON.stringify(params)}`);
    assert.equal(validateAttackSpec({ name, params }), message);
  }
  assert.throws(
    () => createAttack({ name: 'autoattack' as never, params: {} }),
    usage(/^unknown attack "autoattack" \(attacks: fgsm, fgm, pgd, deepfool, cw, simba, apgd-ce, apgd-t, apgd-dlr, fab-t, square\)$/),
  );
  assert.match(validateAttackSpec({ name: 'autoattack', params: {} })!, /unknown attack "autoattack"/);
  assert.match(validateAttackSpec('pgd')!, /must be an object/);
});

test('valid parameters pass: undefined counts as not given; reported params (with `attack` and null linf) run again', () => {
  assert.deepEqual(validateAttackParams('pgd', { norm: 'l2', eps: 500, steps: undefined }), { norm: 'l2', eps: 500 });
  assert.equal(validateAttackSpec({ name: 'simba', params: { linf: null, basis: 'pixel' } }), null);
  for (const spec of standardSuite()) {
    const attack = createAttack(spec);
    assert.equal(attack.params.attack, spec.name);
    assert.equal(
      createAttack({ name: spec.name, params: attack.params }).label,
      attack.label,
      `${spec.name}: its reported params build the same attack`,
    );
  }
});

test("whatever a record accepts, the attack's own factory accepts too (at every bound and enum value)", () => {
  const factories: Record<string, (p: Record<string, never>) => Attack> = {
    fgsm: createFgsm,
    fgm: createFgm,
    pgd: createPgd,
    deepfool: createDeepFool,
    cw: createCarliniWagner,
    simba: createSimba,
    'apgd-ce': createApgdCe,
    'apgd-t': createApgdT,
    'apgd-dlr': createApgdDlr,
    'fab-t': createFabT,
    square: createSquare,
  };
  for (const name of ATTACK_NAMES) {
    const norms = 'norm' in ATTACK_CATALOG[name].params ? (['linf', 'l2'] as const) : [undefined];
    for (const norm of norms) {
      for (const [key, spec] of Object.entries(ATTACK_CATALOG[name].params)) {
        const values: unknown[] = spec.type === 'boolean' ? [true, false] : spec.type === 'enum' ? [...spec.values] : [];
        if (spec.type === 'number' || spec.type === 'integer') {
          const max = typeof spec.max === 'object' ? spec.max[norm ?? 'linf'] : spec.max;
          if (spec.min !== undefined)
            values.push(spec.exclusiveMin ? (spec.type === 'integer' ? spec.min + 1 : spec.min + 1e-9) : spec.min);
          if (max !== undefined) values.push(max);
          if (spec.nullable) values.push(null);
        }
        for (const value of values) {
          const params = { ...(norm && key !== 'norm' ? { norm } : {}), [key]: value };
          assert.deepEqual(validateAttackParams(name, params), params, `${name} ${JSON.stringify(params)}: valid by the record`);
          assert.doesNotThrow(
            () => factories[name](params as Record<string, never>),
            `${name} ${JSON.stringify(params)}: refused by its factory`,
          );
        }
      }
    }
  }
});

test('every record is consistent: named as its key, defaults valid by their own specs, unique setting ids, valid suite entries', () => {
  for (const name of ATTACK_NAMES) {
    const r = ATTACK_CATALOG[name];
    assert.equal(r.name, name);
    assert.ok(r.norms.length > 0 && r.modes.length > 0, name);
    for (const norm of r.norms)
      assert.deepEqual(validateAttackParams(name, attackDefaults(name, norm)), attackDefaults(name, norm), `${name}: defaults for ${norm}`);
    for (const params of r.standard)
      assert.equal(validateAttackSpec({ name, params }), null, `${name}: standard ${JSON.stringify(params)}`);
  }
  const ids = settingsChoices().map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
});

test('PGD with an unknown norm is a usage error, not a TypeError from indexing its defaults', () => {
  assert.throws(() => createPgd({ norm: 'l3' as never }), usage(/^pgd: norm "l3": expected one of linf, l2$/));
  assert.throws(() => createPgd({ norm: 'constructor' as never }), usage(/^pgd: norm "constructor"/));
});

test("every attack reports its parameters as run with `attack` first, then its record's keys in order", () => {
  for (const name of ATTACK_NAMES) {
    const a = createAttack({ name, params: {} });
    assert.deepEqual(Object.keys(a.params), ['attack', ...Object.keys(ATTACK_CATALOG[name].params)], name);
    assert.equal(a.mode, ATTACK_CATALOG[name].modes[0], name);
  }
  assert.deepEqual(createAttack({ name: 'pgd', params: { norm: 'l2' } }).params, { attack: 'pgd', ...attackDefaults('pgd', 'l2') });
});

test('defaults and derived exports are the ones the code had before the catalog', () => {
  assert.deepEqual(attackDefaults('fgsm'), { eps: 8 / 255, mode: 'fixed-eps', gridSize: 100 });
  assert.deepEqual(attackDefaults('fgm'), { eps: 1.0, mode: 'fixed-eps', gridSize: 100 });
  assert.deepEqual(attackDefaults('pgd'), {
    norm: 'linf',
    eps: 8 / 255,
    alpha: 2 / 255,
    steps: 10,
    randomStart: true,
    restarts: 1,
    earlyStop: false,
    mode: 'fixed-eps',
    searchSteps: 10,
  });
  assert.deepEqual(attackDefaults('pgd', 'l2'), {
    norm: 'l2',
    eps: 1.0,
    alpha: 0.2,
    steps: 10,
    randomStart: true,
    restarts: 1,
    earlyStop: false,
    mode: 'fixed-eps',
    searchSteps: 10,
  });
  assert.deepEqual(attackDefaults('deepfool'), { norm: 'l2', steps: 50, overshoot: 0.02, candidates: 10 });
  assert.deepEqual(attackDefaults('cw'), { c: 1e-3, kappa: 0, steps: 300, searchSteps: 9, lr: 0.01, abortEarly: true });
  assert.deepEqual(attackDefaults('simba'), { basis: 'dct', epsilon: 0.2, maxQueries: 10000, linf: null, freqFraction: 1 / 8 });
  assert.deepEqual([...WHITE_BOX], ['fgsm', 'fgm', 'pgd', 'deepfool', 'cw', 'apgd-ce', 'apgd-t', 'apgd-dlr', 'fab-t']);
  assert.deepEqual(attackDefaults('apgd-ce'), { norm: 'linf', eps: 8 / 255, steps: 100, restarts: 1, rho: 0.75, eot: 1 });
  assert.deepEqual(attackDefaults('square'), { norm: 'linf', eps: 8 / 255, maxQueries: 5000, pInit: 0.8 });
  assert.deepEqual(attackDefaults('square', 'l2'), { norm: 'l2', eps: 0.5, maxQueries: 5000, pInit: 0.8 });
  // FAB-T: the authors' FABAttack defaults as AutoAttack's standard version runs it (fab_base.py, autoattack.py).
  assert.deepEqual(attackDefaults('fab-t', 'l2'), {
    norm: 'l2',
    eps: 0.5,
    steps: 100,
    restarts: 1,
    targets: 9,
    alphaMax: 0.1,
    eta: 1.05,
    beta: 0.9,
  });
  assert.deepEqual(attackDefaults('apgd-t', 'l2'), { norm: 'l2', eps: 0.5, steps: 100, restarts: 1, rho: 0.75, eot: 1, targets: 9 });
  assert.deepEqual(standardSuite(), [
    { name: 'fgsm', params: {} },
    { name: 'pgd', params: { norm: 'linf' } },
    { name: 'pgd', params: { norm: 'l2' } },
    { name: 'deepfool', params: {} },
    { name: 'cw', params: {} },
    { name: 'simba', params: { basis: 'dct' } },
  ]);
  assert.deepEqual(
    settingsChoices().map((c) => c.id),
    [
      'fgsm',
      'fgm',
      'pgd-linf',
      'pgd-l2',
      'deepfool',
      'cw',
      'simba-dct',
      'simba-pixel',
      'apgd-ce-linf',
      'apgd-ce-l2',
      'apgd-t-linf',
      'apgd-t-l2',
      'apgd-dlr-linf',
      'apgd-dlr-l2',
      'fab-t-linf',
      'fab-t-l2',
      'square-linf',
      'square-l2',
    ],
  );
  for (const c of settingsChoices()) assert.equal(validateAttackSpec(c.spec), null, c.id);
});

test("attackNorm: FGSM L∞, FGM L2, the others their norm, else their record's default", () => {
  assert.equal(attackNorm('fgsm', {}), 'linf');
  assert.equal(attackNorm('fgm', { norm: 'linf' }), 'l2', 'FGM has no norm parameter: it is always L2');
  assert.equal(attackNorm('pgd', {}), 'linf');
  assert.equal(attackNorm('pgd', { norm: 'l2' }), 'l2');
  assert.equal(attackNorm('deepfool', {}), 'l2');
  assert.equal(attackNorm('deepfool', { norm: 'linf' }), 'linf');
  assert.equal(attackNorm('cw', {}), 'l2');
  assert.equal(attackNorm('simba', { linf: 0.1 }), 'l2');
  for (const name of ATTACK_NAMES) {
    const params = createAttack({ name, params: {} }).params;
    assert.equal(attackNorm(params.attack as string, params), attackNorm(name, {}), `${name}: from its params as run`);
  }
  assert.throws(() => attackNorm('autoattack', {}), usage(/unknown attack/));
});

test('the catalog imports nothing at run time but the error type (the host bundle and src/protocol load it)', () => {
  const source = readFileSync(resolve(REPO_ROOT, 'src/engine/attacks/catalog.ts'), 'utf8');
  const runtimeImports = [...source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
  assert.deepEqual(runtimeImports, ['../errors']);
  const errors = readFileSync(resolve(REPO_ROOT, 'src/engine/errors.ts'), 'utf8');
  assert.doesNotMatch(errors, /^import\s+(?!type\s)/m);
});
