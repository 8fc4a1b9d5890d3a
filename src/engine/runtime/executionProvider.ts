/**
 * Which onnxruntime execution providers to try, in order. `auto` tries the accelerators this platform can
 * have and falls back to CPU; the session records which one actually ran so reports can say so.
 */
import type { ExecutionProviderName } from '../config/configFile';

export type ConcreteProvider = Exclude<ExecutionProviderName, 'auto'>;

export function providerCandidates(requested: ExecutionProviderName, platform: NodeJS.Platform = process.platform): ConcreteProvider[] {
  if (requested !== 'auto') return [requested];
  switch (platform) {
    case 'win32':
      return ['cuda', 'dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['coreml', 'webgpu', 'cpu'];
    default:
      return ['cuda', 'webgpu', 'cpu'];
  }
}
