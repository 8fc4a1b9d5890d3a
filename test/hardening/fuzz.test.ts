/**
 * Issue #7 item 7: seeded, time-bounded fuzzing of the model and image loaders. Valid models (the shared
 * ones when present, else the corpus's own) and valid PNGs/JPEGs get bit flips, insertions, deletions,
 * truncations, varint corruption and duplicated runs; every outcome must be success or an EngineError
 * naming the file, no case may hang, and a sample of mutated models that still load is opened in
 * onnxruntime in a separate process (a native abort there must not pass unnoticed either).
 * FUZZ_SEED and FUZZ_MS override the seed and the decoder budget, to reproduce or to fuzz longer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeNode } from '../../src/engine/onnx/build';
import { encodeModel } from '../../src/engine/onnx/onnxProto';
import { encodePng, grayPng } from '../engine/data/helpers';
import { cmykJpeg } from '../fixtures/bad/cmykJpeg';
import { CMYK_BLOCKS, rgbJpeg } from '../fixtures/bad/images';
import { BASE_BYTES, linearModel } from '../fixtures/bad/models';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared';
import type { FuzzConfig, FuzzSummary } from './helpers/fuzzChild';
import { runIsolated } from './helpers/isolated';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_607);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 6_000);
/** A single case taking this long counts as a hang (the slowest case the fuzzer reports is far below it). */
const CASE_TIMEOUT_MS = 10_000;
const SESSION_SAMPLE = 12;

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'rl-fuzz-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function sources(): { models: string[]; images: string[] } {
  const put = (name: string, bytes: Uint8Array) => {
    const p = join(root, name);
    writeFileSync(p, bytes);
    return p;
  };
  const models = HAVE_SHARED ? ['fashion-resnet.onnx', 'mnist-cnn.onnx'].map((f) => sharedPath('models', f)) : [];
  models.push(
    put('base.onnx', BASE_BYTES),
    put(
      'nhwc-softmax.onnx',
      encodeModel(linearModel({ inputShape: ['N', 8, 8, 1], head: (p) => [makeNode('Softmax', [p], ['y'], { axis: 1 })] })),
    ),
  );
  const images = [
    put(
      'gray.png',
      grayPng(8, 8, (x, y) => 30 * x + y),
    ),
    put(
      'rgb16.png',
      encodePng({ width: 3, height: 2, colorType: 2, bitDepth: 16, samples: Array.from({ length: 18 }, (_, i) => 3000 * i) }),
    ),
    put(
      'palette.png',
      encodePng({
        width: 4,
        height: 4,
        colorType: 3,
        bitDepth: 2,
        samples: Array.from({ length: 16 }, (_, i) => i % 4),
        palette: [
          [0, 0, 0],
          [255, 0, 0],
          [0, 255, 0],
          [0, 0, 255],
        ],
        interlace: true,
      }),
    ),
    put('rgb.jpg', rgbJpeg()),
    put('cmyk.jpg', cmykJpeg(CMYK_BLOCKS)),
    resolve(REPO_ROOT, 'test/fixtures/images/rgb-420-progressive.jpg'),
  ];
  return { models, images };
}

/** Runs the fuzz child; rejects with the case in flight if it stalls or dies. */
function fuzz(config: FuzzConfig): Promise<FuzzSummary> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'helpers/fuzzChild.ts'), JSON.stringify(config)], {
      cwd: REPO_ROOT,
    });
    let stderr = '',
      last = 'before the first case',
      summary: FuzzSummary | undefined;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`hang: no progress for ${CASE_TIMEOUT_MS} ms on ${last}`));
      }, CASE_TIMEOUT_MS);
    };
    arm();
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { what?: string; summary?: FuzzSummary };
      if (msg.what) last = msg.what;
      if (msg.summary) summary = msg.summary;
      arm();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (summary && code === 0) res(summary);
      else rej(new Error(`fuzz child ended (${signal ?? `exit ${code}`}) on ${last}\n${stderr.slice(-3000)}`));
    });
  });
}

test(
  `fuzzing the loaders (seed ${SEED}, ${BUDGET_MS} ms): success or an EngineError naming the file, never a hang or a crash`,
  { timeout: BUDGET_MS + 60_000 },
  async (t) => {
    const { models, images } = sources();
    const summary = await fuzz({ seed: SEED, budgetMs: BUDGET_MS, models, images, outDir: root, keepForSessions: SESSION_SAMPLE });
    const table = Object.entries(summary.outcomes)
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
    t.diagnostic(
      `${summary.cases} cases from ${models.length} models and ${images.length} images — ${table}; slowest case ${summary.slowestMs.toFixed(0)} ms`,
    );
    assert.deepEqual(summary.failures, []);
    // A floor, not a speed goal: a busy CI machine runs fewer cases, but a handful would mean the loop is stuck.
    assert.ok(summary.cases >= 50, `only ${summary.cases} cases in ${BUDGET_MS} ms`);
    // Both halves must have exercised the error paths and the success paths.
    for (const k of ['model ok', 'model MODEL_INVALID', 'image ok', 'image IMAGE_INVALID'])
      assert.ok(summary.outcomes[k] > 0, `no "${k}" outcome: ${table}`);

    const outcomes = await runIsolated(
      summary.kept.map((p, i) => ({ id: `kept-${i}`, modelPath: p })),
      20_000,
    );
    const sessionTable: Record<string, number> = {};
    for (const [id, o] of outcomes) {
      const key = o.ok ? 'opened' : o.code;
      sessionTable[key] = (sessionTable[key] ?? 0) + 1;
      assert.ok(
        o.ok || !['CRASHED', 'TIMEOUT', 'NOT_ENGINE_ERROR'].includes(o.code),
        `${id} (${summary.kept[Number(id.slice(5))]}): ${!o.ok ? `${o.code}: ${o.message}` : ''}`,
      );
      if (!o.ok) assert.ok(o.message.includes(summary.kept[Number(id.slice(5))]), `message names the file: ${o.message}`);
    }
    t.diagnostic(`${outcomes.size} mutated models that still loaded, opened in onnxruntime: ${JSON.stringify(sessionTable)}`);
  },
);
