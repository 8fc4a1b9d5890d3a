/** Shared bits for the ONNX tests: EngineError assertions and running encoded models in onnxruntime-node. */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { EngineError, type EngineErrorCode } from '../../../src/engine/errors';

export function expectEngineError(fn: () => unknown, code: EngineErrorCode, pattern: RegExp): EngineError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(
    err instanceof EngineError,
    `expected EngineError ${code}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
  );
  assert.equal(err.code, code, err.message);
  assert.match(err.message, pattern);
  return err;
}

export async function expectEngineErrorAsync(p: Promise<unknown>, code: EngineErrorCode, pattern: RegExp): Promise<EngineError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof EngineError, `expected EngineError ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.match(err.message, pattern);
  return err;
}

/** Runs a model (encoded bytes or a path) and returns the outputs by name. */
export async function runOrt(model: Uint8Array | string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

/** Deterministic pseudo-random bytes (tests must be reproducible). */
export function lcgBytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

export { ort };
