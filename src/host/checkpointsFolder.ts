/**
 * Analyse Training Checkpoints (a folder's context menu): which checkpoints a folder holds, the message that
 * refuses one without any, and the job's options. No vscode here, so the tests run it directly.
 */
import { listCheckpoints, type CheckpointOrder } from '../engine/checkpoints/order';
import { defaultCheckpointCacheDir } from '../engine/checkpoints/cache';
import { isEngineError } from '../engine/errors';
import type { JobOptionsByKind } from '../protocol/jobKinds';

export const CHECKPOINTS_COMMAND_TITLE = 'Analyse Training Checkpoints';

/** The folder's checkpoints in training order, or the sentence that says why the folder cannot be analysed. */
export function checkpointFolder(folder: string): { ok: true; listing: CheckpointOrder } | { ok: false; message: string } {
  try {
    return { ok: true, listing: listCheckpoints(folder) };
  } catch (e) {
    if (!isEngineError(e)) throw e;
    return {
      ok: false,
      message: `${CHECKPOINTS_COMMAND_TITLE}: ${e.message}${e.details.hint ? ` (${e.details.hint})` : ''}. It needs a folder with the training run's .onnx checkpoints directly in it.`,
    };
  }
}

/** FGM and PGD-10 at L2 ε = 1 (the catalog's defaults), τ's default cutoff, cached beside the checkpoints. */
export function checkpointsOptions(folder: string): JobOptionsByKind['checkpoints'] {
  return { norm: 'l2', epsilon: null, pgdSteps: 10, pgdAlpha: null, cutoff: null, cacheDir: defaultCheckpointCacheDir(folder) };
}
