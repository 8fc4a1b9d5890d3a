/**
 * The shard merge of Occluded Frequency: shards that ablated different band groups are refused with a message
 * naming both shards and both group sizes; shards with the same groups merge to the aggregate of all their
 * images (the mean recomputed here by hand), the group size kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportV1 } from '../../../src/engine/report/schema';
import type { OccludedFrequencySection } from '../../../src/engine/report/sections';
import { mergeOccludedFrequency } from '../../../src/engine/shard/mergeAnalyse';
import { isEngineError } from '../../../src/engine/errors';

function section(bandGroup: number | undefined, relPath: string, scores: number[]): OccludedFrequencySection {
  return {
    kind: 'occluded-frequency',
    bands: 224,
    ...(bandGroup !== undefined ? { bandGroup } : {}),
    baseline: 'zero',
    definition: 'd',
    seed: null,
    scoreOn: 'logits',
    models: [
      {
        model: 'm.onnx',
        images: [{ relPath, label: 0, predicted: 0, cleanLogit: 1, scores, flips: scores.map(() => false) }],
        perClass: [{ count: 1, scores, flipRate: scores.map(() => 0) }],
        mean: scores,
        flipRate: scores.map(() => 0),
      },
    ],
  };
}

const shard = (index: number, of: OccludedFrequencySection) => ({
  source: `shard-${index}/report.json`,
  report: { shard: { index }, sections: { occludedFrequency: of } } as unknown as ReportV1,
});
const pos = new Map([
  ['a.png', 0],
  ['b.png', 1],
]);

test('shards with different band groups are refused, naming both', () => {
  const g4 = Array.from({ length: 56 }, (_, k) => k);
  const g8 = Array.from({ length: 28 }, (_, k) => k);
  assert.throws(
    () => mergeOccludedFrequency([shard(0, section(4, 'a.png', g4)), shard(1, section(8, 'b.png', g8))], pos, []),
    (e: unknown) =>
      isEngineError(e) &&
      e.code === 'USAGE' &&
      /shard-1\/report.json and shard-0\/report.json ablated different Occluded Frequency band groups/.test(e.message) &&
      e.message.includes('groups of 8 vs 224 bands in groups of 4') &&
      /--of-band-group/.test(e.details.hint ?? ''),
  );
  // Single bands (no bandGroup) against groups of 4: refused too.
  assert.throws(
    () =>
      mergeOccludedFrequency(
        [
          shard(
            0,
            section(
              undefined,
              'a.png',
              Array.from({ length: 224 }, () => 1),
            ),
          ),
          shard(1, section(4, 'b.png', g4)),
        ],
        pos,
        [],
      ),
    (e: unknown) => isEngineError(e) && e.message.includes('groups of 4 vs 224 bands in groups of 1'),
  );
});

test('shards with the same band groups merge: the group size kept, means over every image', () => {
  const a = Array.from({ length: 56 }, (_, k) => k);
  const b = Array.from({ length: 56 }, (_, k) => 3 * k + 1);
  const merged = mergeOccludedFrequency([shard(0, section(4, 'a.png', a)), shard(1, section(4, 'b.png', b))], pos, [])!;
  assert.equal(merged.bandGroup, 4);
  assert.deepEqual(
    merged.models[0].mean,
    a.map((v, k) => (v + b[k]) / 2),
  );
  assert.deepEqual(
    merged.models[0].images.map((i) => i.relPath),
    ['a.png', 'b.png'],
  );
});
