/** Everything `info` (and the extension's model view) can tell before a run fails: see ModelDiagnostic. */
import { openDataset } from '../data/dataset';
import { gradientPathDiagnostics } from '../grad/gradientPath';
import type { LoadedModel } from '../onnx/loadModel';
import { classCountDiagnostic, elementTypeDiagnostics, type ModelDiagnostic, type ModelInfo } from '../onnx/modelInfo';

export interface DiagnoseOptions {
  /** An image folder to compare with the model's outputs (its classes are listed; no image is read). */
  imagesDir?: string;
  /** A labels file for a flat image folder. */
  labelsFile?: string;
}

export async function diagnoseModel(model: LoadedModel, info: ModelInfo, opts: DiagnoseOptions = {}): Promise<ModelDiagnostic[]> {
  const out = [...elementTypeDiagnostics(info), ...gradientPathDiagnostics(model.proto, info)];
  if (opts.imagesDir) {
    const dataset = await openDataset({ root: opts.imagesDir, ...(opts.labelsFile ? { labelsFile: opts.labelsFile } : {}) });
    const d = classCountDiagnostic(info, dataset.root, dataset.classNames, dataset.kind === 'image-folder');
    if (d) out.push(d);
  }
  return out;
}
