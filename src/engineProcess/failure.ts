/** Any thrown value → the `failed` message's error: EngineErrors keep their code and details, bugs say so. */
import { isEngineError } from '../engine/errors';
import type { EngineFailure } from '../protocol/engineMessages';

export function failureOf(e: unknown): EngineFailure {
  if (isEngineError(e)) {
    const { hint, file, node, op, expected } = e.details;
    const details = [node && `node: ${node}`, op && `op: ${op}`, expected && `expected: ${expected}`].filter(Boolean).join('\n');
    return { code: e.code, message: e.message, ...(hint ? { hint } : {}), ...(file ? { file } : {}), ...(details ? { details } : {}) };
  }
  if (e instanceof Error) {
    return { code: 'INTERNAL', message: e.message || e.name, ...(e.stack ? { details: e.stack } : {}) };
  }
  return { code: 'INTERNAL', message: `non-error value thrown: ${String(e)}` };
}
