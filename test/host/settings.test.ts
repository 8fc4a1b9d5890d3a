import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  analyseOptions,
  ATTACK_CHOICES,
  certifyOptions,
  attackSpec,
  DEFAULT_SETTINGS,
  jobRequest,
  quickCheckOptions,
  readSettings,
} from '../../src/host/settings';
import { settingsChoices, standardSuite, validateAttackSpec } from '../../src/engine/attacks/catalog';
import { REPO_ROOT } from '../helpers/shared';
import { EMPIRICAL_DEFAULTS } from '../../src/protocol/certification';
import { JOB_OPTIONS } from '../../src/protocol/jobKinds';
import { check, type Schema } from '../../src/protocol/schema';

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

describe('settings → requests and options', () => {
  it('unset settings give the defaults, and a request that leaves robustness.json in charge', () => {
    const s = readSettings(reader({}));
    assert.deepEqual(s, DEFAULT_SETTINGS);
    assert.deepEqual(jobRequest('/w/m.onnx', '/w', s), { modelPath: '/w/m.onnx', workspaceRoot: '/w', overrides: {} });
    assert.deepEqual(analyseOptions(s, '/w/run'), {
      preset: 'full',
      attacks: null,
      K: 15,
      radius: null,
      directions: 'random',
      cutoff: null,
      epsilons: null,
      outDir: '/w/run',
    });
  });

  it('set settings override the file: limit, seed, provider, threads; the suite and ε list reach analyse', () => {
    const s = readSettings(
      reader({
        attacks: ['fgsm', 'pgd-l2', 'simba-pixel', 'fgsm'],
        epsilons: ['8/255', '0.5', '2/255'],
        'postAveraging.K': 8,
        'postAveraging.radius': 0.02,
        'postAveraging.directions': 'approx',
        'lowPass.cutoff': 6,
        analysePreset: 'fast',
        limit: 40,
        seed: 7,
        executionProvider: 'cpu',
        threads: 2,
        'quickCheck.images': 32,
        'quickCheck.onModelChange': true,
      }),
    );
    assert.deepEqual(jobRequest('/w/m.onnx', undefined, s), {
      modelPath: '/w/m.onnx',
      overrides: { limit: 40, seed: 7, runtime: { executionProvider: 'cpu', threads: 2 } },
    });
    assert.deepEqual(jobRequest('/w/m.onnx', '/w', s, s.quickCheck.images).overrides?.limit, 32);
    assert.deepEqual(analyseOptions(s, null), {
      preset: 'fast',
      attacks: [
        { name: 'fgsm', params: {} },
        { name: 'pgd', params: { norm: 'l2' } },
        { name: 'simba', params: { basis: 'pixel' } },
      ],
      K: 8,
      radius: 0.02,
      directions: 'approx',
      cutoff: 6,
      epsilons: [8 / 255, 0.5, 2 / 255],
      outDir: null,
    });
    assert.deepEqual(s.quickCheck, { images: 32, onModelChange: true });
  });

  it('the quick check is FGSM and APGD-CE-10 L∞ (the steps of the PGD-10 it replaced) at ε 8/255, top-1', () => {
    assert.deepEqual(quickCheckOptions('/r'), {
      attacks: [
        { name: 'fgsm', params: {} },
        { name: 'apgd-ce', params: { norm: 'linf', steps: 10 } },
      ],
      criterion: 'top1',
      target: null,
      gradient: 'analytic',
      gallery: 4,
      outDir: '/r',
    });
  });

  it('bad values are refused with the setting, the value and what was expected', () => {
    const fails = (values: Record<string, unknown>, expected: string) =>
      assert.throws(
        () => readSettings(reader(values)),
        (e: Error & { code?: string }) => e.code === 'USAGE' && e.message === expected,
      );
    fails(
      { epsilons: ['8/255', 'eight'] },
      'setting robustnessLens.epsilons[1] is "eight": expected a positive budget in pixel units such as "8/255" or "0.03"',
    );
    fails(
      { attacks: ['fgsm', 'autoattack'] },
      'setting robustnessLens.attacks is ["fgsm","autoattack"]: expected a list of fgsm, fgm, pgd-linf, pgd-l2, deepfool, cw, simba-dct, simba-pixel, apgd-ce-linf, apgd-ce-l2, apgd-t-linf, apgd-t-l2, apgd-dlr-linf, apgd-dlr-l2, fab-t-linf, fab-t-l2, square-linf, square-l2 (empty = the standard suite)',
    );
    fails({ 'postAveraging.K': 0 }, 'setting robustnessLens.postAveraging.K is 0: expected a whole number from 1 to 1000');
    fails(
      { 'postAveraging.radius': -1 },
      'setting robustnessLens.postAveraging.radius is -1: expected null (chosen by the sweep) or a positive radius in model-input units',
    );
    fails(
      { executionProvider: 'tpu' },
      'setting robustnessLens.executionProvider is "tpu": expected null (as robustness.json says) or one of auto, cpu, cuda, dml, coreml, webgpu',
    );
    fails({ limit: 2.5 }, 'setting robustnessLens.limit is 2.5: expected null or a whole number from 1 to 10000000');
    fails({ analysePreset: 'slow' }, 'setting robustnessLens.analysePreset is "slow": expected one of full, fast');
    fails({ 'quickCheck.onModelChange': 'yes' }, 'setting robustnessLens.quickCheck.onModelChange is "yes": expected true or false');
  });

  it('the attack choices come from the attack catalog, and each builds a valid spec', () => {
    assert.deepEqual(ATTACK_CHOICES, [
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
    ]);
    for (const c of settingsChoices()) {
      assert.deepEqual(attackSpec(c.id), c.spec);
      assert.equal(validateAttackSpec(attackSpec(c.id)), null, c.id);
    }
    assert.deepEqual(attackSpec('pgd-l2'), { name: 'pgd', params: { norm: 'l2' } });
    assert.throws(
      () => attackSpec('pgd-l3'),
      (e: Error & { code?: string }) => e.code === 'USAGE' && /robustnessLens\.attacks is "pgd-l3"/.test(e.message),
    );
  });

  it("package.json's robustnessLens.attacks setting lists the catalog's choices, titles and standard suite", () => {
    const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as {
      contributes: {
        configuration: {
          properties: Record<string, { items: { enum: string[]; enumDescriptions: string[] }; markdownDescription: string }>;
        };
      };
    };
    const setting = pkg.contributes.configuration.properties['robustnessLens.attacks'];
    const choices = settingsChoices();
    assert.deepEqual(
      setting.items.enum,
      choices.map((c) => c.id),
    );
    assert.deepEqual(
      setting.items.enumDescriptions,
      choices.map((c) => c.title),
    );
    const standardTitles = standardSuite().map(
      (spec) => choices.find((c) => JSON.stringify(c.spec) === JSON.stringify(spec))?.title ?? `(no setting runs ${JSON.stringify(spec)})`,
    );
    assert.ok(
      setting.markdownDescription.includes(`the standard suite (${standardTitles.join(', ')})`),
      `${setting.markdownDescription} vs ${standardTitles.join(', ')}`,
    );
  });
});

it("the editor's certify options: certificates alone, or with the empirical attack at the CLI's defaults; both pass the job's schema", () => {
  for (const preset of ['fast', 'full'] as const) {
    const plain = certifyOptions(preset);
    assert.equal(plain.attack, null);
    assert.ok(check(JOB_OPTIONS.certify as Schema<unknown>, plain).ok);
    const attacked = certifyOptions(preset, true);
    assert.deepEqual(attacked.attack, {
      radii: [...EMPIRICAL_DEFAULTS.radii],
      steps: EMPIRICAL_DEFAULTS.steps[preset],
      eotDraws: EMPIRICAL_DEFAULTS.eotDraws,
    });
    assert.ok(check(JOB_OPTIONS.certify as Schema<unknown>, attacked).ok);
  }
});
