/**
 * The one error type the engine throws for anything a user can fix (bad file, bad flag, bad config).
 * Its message is complete on its own — which file, which node/op, what was expected — so the CLI and the
 * extension show it verbatim; a stack trace is only ever extra detail.
 */
export type EngineErrorCode =
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'MODEL_INVALID'
  | 'MODEL_UNSUPPORTED'
  | 'INPUT_AMBIGUOUS'
  | 'INPUT_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'DATASET_INVALID'
  | 'IMAGE_INVALID'
  /** A data file (e.g. a .npy reference) that is readable but not what was expected. */
  | 'FILE_INVALID'
  | 'LABELS_MISMATCH'
  | 'RUNTIME'
  | 'USAGE'
  | 'CANCELLED';

export interface EngineErrorDetails {
  file?: string;
  node?: string;
  op?: string;
  /** What the engine expected to find, in words. */
  expected?: string;
  /** What the user can do about it (e.g. which flag picks an input). */
  hint?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly details: EngineErrorDetails;

  constructor(code: EngineErrorCode, message: string, details: EngineErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EngineError';
    this.code = code;
    this.details = details;
  }

  /** Message plus hint, as shown to a user. */
  describe(): string {
    return this.details.hint ? `${this.message}\n  hint: ${this.details.hint}` : this.message;
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}

/** A short text for any thrown value: EngineErrors verbatim, others with their message. */
export function errorText(e: unknown): string {
  if (isEngineError(e)) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}
