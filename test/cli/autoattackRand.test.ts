/**
 * `attack --suite autoattack --version rand` end to end on a randomized model: the bundled sample behind a
 * RandomNormal noise node (built with the project's ONNX writer), so every forward and gradient call draws
 * anew. Checked against the rand version's definition: two attacks, APGD-CE then APGD-DLR, each with EOT over
 * 20 gradient calls per step — with a randomized model every image stays for all 100 steps plus the start,
 * so each attacked image costs exactly 20 × 101 queries — and the masking flags name the randomness.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeNode } from '../../src/engine/onnx/build';
import { decodeModel, encodeModel } from '../../src/engine/onnx/onnxProto';
import { cli, sampleCopy } from './checkHelpers';

const sample = sampleCopy({});
after(() => rmSync(sample.dir, { recursive: true, force: true }));

/** The sample with Gaussian noise (σ in the model's normalized input units) added to its input. */
function noisyModel(sigma: number): string {
  const model = decodeModel(readFileSync(sample.model), sample.model);
  const g = model.graph;
  const input = g.input.find((i) => !g.initializer.some((t) => t.name === i.name))!;
  const raw = `${input.name}_before_noise`;
  g.node = [
    // One draw of shape [1, 1, 28, 28] per call, broadcast over the batch: RandomNormal has no input, so it is
    // off the gradient path and the gradient graph keeps it as it is.
    makeNode('RandomNormal', [], ['noise'], { shape: [1, 1, 28, 28], scale: sigma, dtype: 1 }, 'noise'),
    makeNode('Add', [raw, 'noise'], [input.name], {}, 'add_noise'),
    ...g.node,
  ];
  g.input = g.input.map((i) => (i === input ? { ...i, name: raw } : i));
  const path = join(sample.dir, 'noisy.onnx');
  writeFileSync(path, encodeModel(model));
  return path;
}

test('the rand ensemble runs on a randomized model: APGD-CE and APGD-DLR, EOT over 20 draws per step', () => {
  const model = noisyModel(0.25);
  const r = cli(
    ['attack', model, '--suite', 'autoattack', '--version', 'rand', '--limit', '4', '--quiet', '--out', 'rand-run'],
    sample.dir,
  );
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const report = JSON.parse(readFileSync(join(sample.dir, 'rand-run', 'report.json'), 'utf8'));
  const attacks = report.sections.attacks;
  const e = attacks.ensemble;
  assert.equal(e.version, 'rand');
  assert.equal(e.complete, true);
  assert.deepEqual(
    attacks.runs.map((x: { params: { attack: string; eot: number; steps: number } }) => [x.params.attack, x.params.eot, x.params.steps]),
    [
      ['apgd-ce', 20, 100],
      ['apgd-dlr', 20, 100],
    ],
  );
  assert.ok(e.attacks[0].ranOn > 0, 'the noisy model still classifies some images correctly');
  for (const run of attacks.runs as { attackedImages: number; queries: { median: number; mean: number; max: number } }[]) {
    if (run.attackedImages === 0) continue;
    assert.deepEqual(
      [run.queries.median, run.queries.mean, run.queries.max],
      [20 * 101, 20 * 101, 20 * 101],
      '20 draws × (start + 100 steps)',
    );
  }
  // The cascade's arithmetic holds with a random model too: broken + robust = attacked.
  assert.equal(e.attacks[0].broke + e.attacks[1].broke + e.robustCorrect, e.cleanCorrect);
  const fired = (report.sections.flags?.flags ?? []).map((f: { id: string }) => f.id);
  assert.ok(fired.includes('randomized-outputs'), `flags fired: ${fired.join(', ')}`);
});
