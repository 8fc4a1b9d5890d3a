/** The resolved configuration as a report records it, with the hash that tells two runs' configurations apart. */
import type { RunConfig } from '../config/runConfig';
import { canonicalJson, sha256Hex } from '../util/hash';
import type { ReportConfig } from './schema';

export function reportConfig(c: RunConfig): ReportConfig {
  const resolved: ReportConfig['resolved'] = {
    preprocessing: c.preprocessing,
    imagesDir: c.imagesDir,
    labelsFile: c.labelsFile,
    classNames: c.classNames,
    limit: c.limit,
    seed: c.seed,
    runtime: c.runtime,
  };
  // classOrder stays out of `resolved` (and so out of the hash): it says where classNames came from, not what they are.
  return {
    file: c.configFile,
    hash: sha256Hex(canonicalJson(resolved)),
    resolved,
    classOrder: c.classOrder,
    provenance: c.provenance,
    notes: c.notes,
  };
}
