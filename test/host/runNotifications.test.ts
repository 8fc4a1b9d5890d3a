/** The completion notification's numbers: clean accuracy, and the verdict's robust accuracy (the strongest bounded white-box attack at its fixed ε). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analysisFinishedText } from '../../src/host/runNotifications';
import { reportVerdict } from '../../src/protocol/verdict';
import { fakeReport } from './runsStore.test';

const run = (label: string, attack: string, params: Record<string, unknown>, mode: string, robust: number, gradient = 'analytic') => ({
  label,
  mode,
  params: { attack, ...params },
  gradient,
  targeted: null,
  evaluated: 500,
  clean: { top1Accuracy: 0.866, top1Correct: 433 },
  attacked: { top1Accuracy: robust, top1Correct: Math.round(robust * 500) },
});

const report = (runs: unknown[], warnings: string[] = []) =>
  fakeReport({
    command: 'analyse',
    warnings,
    sections: {
      clean: { kind: 'clean', evaluated: 500, top1Correct: 433 },
      attacks: { kind: 'attacks', runs },
    } as never,
  });

describe('completion notification', () => {
  const suite = [
    run('FGSM ε=8/255', 'fgsm', { eps: 8 / 255 }, 'fixed-eps', 0.31),
    run('PGD-10 L∞ ε=8/255', 'pgd', { norm: 'linf', eps: 8 / 255 }, 'fixed-eps', 0.124),
    run('PGD-10 L∞ ε=16/255 (minimal ε)', 'pgd', { norm: 'linf', mode: 'minimal-eps' }, 'minimal-eps', 0.0),
    run('DeepFool', 'deepfool', {}, 'minimal-perturbation', 0.0),
    run('PGD-10 L2 ε=1', 'pgd', { norm: 'l2', eps: 1 }, 'fixed-eps', 0.05),
    run('SimBA-DCT', 'simba', {}, 'query-limited', 0.0, 'none'),
  ];

  it("robust accuracy: the verdict's, the lowest fixed-ε white-box run, never minimal-ε, minimal-perturbation or query-limited", () => {
    assert.equal(reportVerdict(report(suite)).robust?.label, 'PGD-10 L2 ε=1');
    assert.equal(
      analysisFinishedText('fashion.onnx', report(suite)),
      'Analysis of fashion.onnx finished: clean 86.6 %, robust 5.0 % under PGD-10 L2 ε=1 (fixed ε), 500 images.',
    );
    assert.equal(
      analysisFinishedText('fashion.onnx', report(suite.slice(0, 4))),
      'Analysis of fashion.onnx finished: clean 86.6 %, robust 12.4 % under PGD-10 L∞ ε=8/255 (fixed ε), 500 images.',
    );
  });

  it('without a bounded white-box run there is no robust figure; the warnings are counted', () => {
    assert.equal(
      analysisFinishedText('m.onnx', report(suite.slice(5), ['clean accuracy is near chance'])),
      'Analysis of m.onnx finished: clean 86.6 %, 500 images. 1 warning: see the report.',
    );
  });
});
