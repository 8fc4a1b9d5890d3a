import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import wabtInit from 'wabt';
import { SIGN_STEP_WASM_BASE64, SignStepper } from '../../../src/engine/attacks/signStepKernel';
import { Rng } from '../../../src/engine/util/random';

test('the embedded sign-step bytes are signStep.wat assembled', async () => {
  const wabt = await wabtInit();
  const file = resolve(__dirname, '../../../src/engine/attacks/signStep.wat');
  const module = wabt.parseWat(file, readFileSync(file, 'utf8'), { simd: true });
  module.validate();
  assert.equal(Buffer.from(module.toBinary({}).buffer).toString('base64'), SIGN_STEP_WASM_BASE64);
});

/** The step written plainly, one float32 operation at a time. */
function scalarStep(
  x: Float32Array,
  x0: Float32Array,
  g: Float32Array,
  per: number,
  a: number[],
  eps: number[],
  moving: boolean[],
  lo: number,
  hi: number,
): void {
  const f = Math.fround;
  for (let i = 0; i < moving.length; i++) {
    if (!moving[i]) continue;
    const [ai, ei] = [f(a[i]), f(eps[i])];
    for (let j = i * per; j < (i + 1) * per; j++) {
      const s = g[j] > 0 ? ai : g[j] < 0 ? -ai : 0;
      let v = f(x[j] + s);
      v = Math.max(v, Math.max(f(x0[j] - ei), f(lo)));
      v = Math.min(v, Math.min(f(x0[j] + ei), f(hi)));
      x[j] = v;
    }
  }
}

test('the sign step equals its scalar definition: sign(0) = sign(NaN) = 0, per-image step and ε, frozen images untouched, lengths not a multiple of 4', () => {
  const rng = new Rng(3);
  for (const [count, per, lo, hi] of [
    [5, 7, 0, 1],
    [3, 784, 0, 1],
    [4, 13, -1, 2],
  ] as const) {
    const n = count * per;
    const x0 = Float32Array.from({ length: n }, () => (rng.next() < 0.4 ? lo : lo + (hi - lo) * rng.next()));
    const g = Float32Array.from({ length: n }, () => {
      const u = rng.next();
      return u < 0.1 ? 0 : u < 0.12 ? NaN : u < 0.14 ? -0 : rng.normal();
    });
    const a = Array.from({ length: count }, (_, i) => (i % 2 ? -1 : 1) * 0.01 * (1 + i));
    const eps = Array.from({ length: count }, (_, i) => 0.02 * (1 + i));
    const moving = Array.from({ length: count }, (_, i) => i !== 1);
    const stepper = new SignStepper(x0, count, lo, hi);
    const ours = Float32Array.from(x0),
      ref = Float32Array.from(x0);
    for (let step = 0; step < 6; step++) {
      stepper.step(ours, g, a, eps, (i) => moving[i]);
      scalarStep(ref, x0, g, per, a, eps, moving, lo, hi);
    }
    assert.deepEqual(ours, ref, `count ${count} per ${per}`);
    for (let j = per; j < 2 * per; j++) assert.equal(ours[j], x0[j], 'a frozen image does not move');
    for (let j = 0; j < n; j++) {
      const i = Math.floor(j / per);
      assert.ok(ours[j] >= lo && ours[j] <= hi && Math.abs(ours[j] - x0[j]) <= eps[i] + 1e-6);
    }
  }
});
