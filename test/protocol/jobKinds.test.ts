import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_KINDS, JOB_OPTIONS } from '../../src/protocol/jobKinds';
import { parseHostToEngine } from '../../src/protocol/engineMessages';
import { check, type Schema } from '../../src/protocol/schema';
import type { AnalyseOptions } from '../../src/engine/jobs/analyseJob';

/** Every field of the engine's AnalyseOptions, optional ones included. */
const fullAnalyse: Required<AnalyseOptions> = {
  preset: 'full',
  attacks: [{ name: 'pgd', params: { norm: 'linf', eps: 8 / 255, steps: 10 } }],
  K: 15,
  radius: 0.5,
  directions: 'approx',
  cutoff: 6,
  epsilons: [2 / 255, 8 / 255],
  outDir: '/w/run',
  defences: ['low-pass'],
  analyses: { occludedFrequency: true, rct: false, spectra: true, sweeps: false },
  adaptiveImages: 32,
  adaptiveAttack: 'apgd-ce',
  ofImages: 16,
  ofBandGroup: 2,
  perImageExamples: 8,
  ofBaseline: 'noise',
  cleanDropTolerance: 0.02,
  criterion: 'top5',
  eotSamples: 13,
  defenceGrid: 'minimal',
  budgetSeconds: 600,
};

const start = (kind: unknown, options: unknown) =>
  parseHostToEngine({ type: 'start', id: 'r1', kind, request: { modelPath: '/w/m.onnx' }, options });
const reason = (r: { ok: boolean; reason?: string }) => {
  assert.equal(r.ok, false);
  return r.reason;
};

describe('job kinds', () => {
  it('are the keys of the options declaration', () => {
    assert.deepEqual(JOB_KINDS, [
      'eval',
      'attack',
      'analyse',
      'estimate',
      'explain',
      'info',
      'certify',
      'fourier-heatmap',
      'checkpoints',
      'invert',
    ]);
    assert.deepEqual(Object.keys(JOB_OPTIONS), [...JOB_KINDS]);
  });

  it("analyse accepts every field of the engine's AnalyseOptions (the old guard refused the 7 optional ones)", () => {
    const msg = { type: 'start', id: 'r1', kind: 'analyse', request: { modelPath: '/w/m.onnx' }, options: fullAnalyse };
    assert.deepEqual(parseHostToEngine(msg), { ok: true, message: msg });
  });

  it('analyse checks the optional fields too', () => {
    assert.equal(
      reason(start('analyse', { ...fullAnalyse, defences: ['blur'] })),
      'start: options.defences[0] must be one of post-averaging, low-pass (got "blur")',
    );
    assert.equal(
      reason(start('analyse', { ...fullAnalyse, analyses: { occludedFrequency: true, rct: true, spectra: true } })),
      'start: options.analyses.sweeps must be true or false',
    );
    assert.equal(
      reason(start('analyse', { ...fullAnalyse, adaptiveImages: 0 })),
      'start: options.adaptiveImages must be a whole number in [1, 9007199254740991]',
    );
    assert.equal(
      reason(start('analyse', { ...fullAnalyse, cleanDropTolerance: 2 })),
      'start: options.cleanDropTolerance must be a finite number in range',
    );
    assert.equal(
      reason(start('analyse', { ...fullAnalyse, criterion: 'top3' })),
      'start: options.criterion must be one of top1, top5 (got "top3")',
    );
  });

  it('refuse unknown job kinds', () => {
    for (const kind of ['gradcheck', 'shell', '__proto__', 'toString', undefined, 3]) {
      assert.equal(
        reason(start(kind, {})),
        `start: kind must be one of eval, attack, analyse, estimate, explain, info, certify, fourier-heatmap, checkpoints, invert (got ${JSON.stringify(kind)})`,
      );
    }
  });

  it('refuse unknown option keys for every kind', () => {
    const valid: Record<string, Record<string, unknown>> = {
      eval: {},
      attack: {
        attacks: [{ name: 'fgsm', params: {} }],
        criterion: 'top1',
        target: { kind: 'least-likely' },
        gradient: 'analytic',
        gallery: 0,
        outDir: null,
      },
      analyse: fullAnalyse,
      estimate: { analyse: fullAnalyse, presets: ['fast', 'full'], images: [100, 200] },
      explain: { imagePath: '/w/a.png', compareModelPath: null, baseline: 'zero', outDir: null },
      info: {},
      certify: { preset: 'fast', sigmas: [0.25, 0.5], n0: 100, n: 1000, alpha: 0.001 },
      'fourier-heatmap': { epsilon: null, maxSide: 32, cutoff: 8 },
      checkpoints: {
        norm: 'l2',
        epsilon: null,
        pgdSteps: 10,
        pgdAlpha: null,
        cutoff: null,
        cacheDir: '/w/ckpt/.robustness/checkpoint-cache',
      },
      invert: { compareModelPath: null, layer: null, steps: 200, stepSize: null, examples: 4, outDir: null },
    };
    for (const kind of JOB_KINDS) {
      assert.ok(check(JOB_OPTIONS[kind] as Schema<unknown>, valid[kind]).ok, kind);
      assert.equal(reason(start(kind, { ...valid[kind], shell: 'rm -rf' })), 'start: options has unexpected field(s) shell', kind);
    }
  });

  it('attack targets: a class, or the least-likely class, and nothing else', () => {
    const attack = { attacks: [{ name: 'fgsm', params: {} }], criterion: 'top1', gradient: 'analytic', gallery: 0, outDir: null };
    assert.ok(start('attack', { ...attack, target: { kind: 'class', class: 3, name: 'cat' } }).ok);
    assert.equal(
      reason(start('attack', { ...attack, target: { kind: 'random' } })),
      'start: options.target.kind must be class or least-likely',
    );
    assert.equal(
      reason(start('attack', { ...attack, target: { kind: 'least-likely', class: 3 } })),
      'start: options.target has unexpected field(s) class',
    );
  });

  it('certify: positive σ, n0 < n, alpha in (0, 0.5)', () => {
    const ok = { preset: 'full', sigmas: [0.12], n0: 100, n: 100_000, alpha: 0.001 };
    assert.ok(start('certify', ok).ok);
    assert.equal(reason(start('certify', { ...ok, sigmas: [0] })), 'start: options.sigmas[0] must be a finite number in range');
    assert.equal(reason(start('certify', { ...ok, n0: 100_000 })), 'start: options must have n0 < n (got n0 = 100000, n = 100000)');
    assert.equal(reason(start('certify', { ...ok, alpha: 0.5 })), 'start: options.alpha must be a finite number in range');
    assert.equal(reason(start('certify', { ...ok, n: 1000.5 })), 'start: options.n must be a whole number in [2, 100000000]');
  });

  it('invert: at least one step, a positive step size or null, at most 64 examples', () => {
    const ok = { compareModelPath: '/w/robust.onnx', layer: 'fc1', steps: 10, stepSize: 1, examples: 0, outDir: '/w/run' };
    assert.ok(start('invert', ok).ok);
    assert.match(reason(start('invert', { ...ok, steps: 0 })) ?? '', /^start: options\.steps must be a whole number/);
    assert.equal(reason(start('invert', { ...ok, stepSize: 0 })), 'start: options.stepSize must be a finite number in range');
    assert.match(reason(start('invert', { ...ok, examples: 65 })) ?? '', /^start: options\.examples must be a whole number/);
  });

  it('fourier-heatmap: a positive ε or null (the default), a grid side of at least 2', () => {
    const ok = { epsilon: 4, maxSide: 32, cutoff: null };
    assert.ok(start('fourier-heatmap', ok).ok);
    assert.ok(start('fourier-heatmap', { ...ok, epsilon: null }).ok);
    assert.equal(reason(start('fourier-heatmap', { ...ok, epsilon: 0 })), 'start: options.epsilon must be a finite number in range');
    assert.equal(reason(start('fourier-heatmap', { ...ok, epsilon: -1 })), 'start: options.epsilon must be a finite number in range');
    assert.match(reason(start('fourier-heatmap', { ...ok, maxSide: 1 })) ?? '', /^start: options\.maxSide must be a whole number/);
  });

  it('checkpoints: a norm, a positive ε or null (the default), at least one PGD step', () => {
    const ok = { norm: 'linf', epsilon: 8 / 255, pgdSteps: 10, pgdAlpha: null, cutoff: 4, cacheDir: null };
    assert.ok(start('checkpoints', ok).ok);
    assert.equal(reason(start('checkpoints', { ...ok, norm: 'l1' })), 'start: options.norm must be one of l2, linf (got "l1")');
    assert.equal(reason(start('checkpoints', { ...ok, epsilon: 0 })), 'start: options.epsilon must be a finite number in range');
    assert.match(reason(start('checkpoints', { ...ok, pgdSteps: 0 })) ?? '', /^start: options\.pgdSteps must be a whole number/);
  });
});
