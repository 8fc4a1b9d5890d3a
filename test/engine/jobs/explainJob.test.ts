/** The explain job writes the image it explained beside the ablated previews, with its prediction's confidence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExplainJob } from '../../../src/engine/jobs/explainJob';
import { runEvalJob } from '../../../src/engine/jobs/evalJob';
import { decodeImage } from '../../../src/engine/data/decodeImage';
import type { OccludedFrequencySection } from '../../../src/engine/report/sections';

const samples = join(__dirname, '..', '..', '..', 'samples');
const model = join(samples, 'fashion-resnet.onnx');
const runtime = { executionProvider: 'cpu' as const, threads: 1, batchSize: 32 };

test('explain saves the original image (as the model saw it) beside the ablated previews, with the prediction and its confidence', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rl-explain-original-'));
  try {
    const file = join(samples, 'images', 'sneaker', '0003.png');
    const report = await runExplainJob(
      { modelPath: model, overrides: { runtime } },
      { imagePath: file, compareModelPath: null, baseline: 'zero', outDir: out },
    );
    const img = (report.sections.occludedFrequency as OccludedFrequencySection).models[0].images[0];
    assert.equal(img.file, file);
    assert.equal(img.original, 'occluded-frequency/image-0-original.png');
    // a 28×28 grayscale sample needs no resize: the saved original is the file's own pixels
    const saved = decodeImage(readFileSync(join(out, img.original)), img.original);
    const source = decodeImage(readFileSync(file), file);
    assert.deepEqual([saved.width, saved.height, saved.channels], [source.width, source.height, source.channels]);
    assert.deepEqual(Array.from(saved.data), Array.from(source.data));
    assert.equal(img.previews!.length, 3);
    for (const p of img.previews!)
      assert.notDeepEqual(Array.from(decodeImage(readFileSync(join(out, p.path)), p.path).data), Array.from(source.data));

    // The confidence is what the eval job reports for the same file: an independent path through the dataset loader.
    const evalReport = await runEvalJob({ modelPath: model, overrides: { runtime } });
    const prediction = evalReport.sections.clean!.predictions.find((p) => p.relPath === 'sneaker/0003.png');
    assert.ok(prediction, 'the eval job saw sneaker/0003.png');
    assert.equal(img.predicted, prediction.predicted);
    assert.ok(img.confidence! > 0 && img.confidence! <= 1);
    assert.ok(Math.abs(img.confidence! - prediction.confidence) < 1e-6, `${img.confidence} vs ${prediction.confidence}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('explain without an output folder writes no image and still records the confidence', async () => {
  const file = join(samples, 'images', 'bag', readdirSync(join(samples, 'images', 'bag')).sort()[0]);
  const report = await runExplainJob(
    { modelPath: model, overrides: { runtime } },
    { imagePath: file, compareModelPath: null, baseline: 'zero', outDir: null },
  );
  const img = (report.sections.occludedFrequency as OccludedFrequencySection).models[0].images[0];
  assert.equal(img.original, undefined);
  assert.equal(img.previews, undefined);
  assert.equal(typeof img.confidence, 'number');
});

test('explain --of-band-group: groups of 4 of the 28 bands give 7 scores and group-named previews; 1 is the default bit for bit', async () => {
  const out = mkdtempSync(join(tmpdir(), 'rl-explain-groups-'));
  try {
    const file = join(samples, 'images', 'sneaker', '0003.png');
    const run = (bandGroup?: number, outDir: string | null = null) =>
      runExplainJob(
        { modelPath: model, overrides: { runtime } },
        { imagePath: file, compareModelPath: null, baseline: 'zero', outDir, ...(bandGroup !== undefined ? { bandGroup } : {}) },
      );
    const of = (r: Awaited<ReturnType<typeof run>>) => r.sections.occludedFrequency as OccludedFrequencySection;
    const grouped = of(await run(4, out));
    assert.equal(grouped.bands, 28);
    assert.equal(grouped.bandGroup, 4);
    const img = grouped.models[0].images[0];
    assert.equal(img.scores.length, 7);
    assert.equal(img.flips.length, 7);
    assert.ok(grouped.definition.includes('groups of 4'));
    for (const p of img.previews!) {
      assert.ok(p.band >= 0 && p.band < 7);
      assert.equal(p.path, `occluded-frequency/image-0-group4-${p.band}.png`);
      assert.ok(readdirSync(join(out, 'occluded-frequency')).includes(p.path.split('/')[1]));
    }
    const single = of(await run(1));
    const plain = of(await run());
    assert.equal(single.bandGroup, undefined);
    assert.deepEqual(single.models[0].images[0].scores, plain.models[0].images[0].scores);
    assert.equal(single.models[0].images[0].scores.length, 28);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
