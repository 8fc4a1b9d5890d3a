/**
 * What an onnxruntime execution provider needs on this machine, and why one failed in words a user can act on.
 * onnxruntime says only "Failed to load shared library" when the CUDA provider cannot load; the files it
 * needs are known (onnxruntime-node's install-metadata.js and the CUDA provider's link line), so we look for
 * them: the provider files in onnxruntime-node's bin folder (its install step downloads them from NuGet;
 * this project's installs skip that step) and the CUDA 12 / cuDNN 9 libraries on the loader's path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** onnxruntime-node's native folder for this platform: the binding, libonnxruntime and any provider files. */
export function ortBinFolder(): string | null {
  try {
    // main is dist/index.js; the native folders sit beside dist/
    const dir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** Files onnxruntime-node's install step puts in the bin folder (install-metadata.js, manifest linux/x64:cuda12). */
export const PROVIDER_FILES: Record<string, string[]> = {
  cuda: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  tensorrt: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'],
};

/** The CUDA provider's run-time dependencies (onnxruntime ≥ 1.19 for CUDA 12: CUDA 12.x, cuDNN 9.x) and the driver. */
const CUDA_LIBRARIES = [
  'libcuda.so.1',
  'libcudart.so.12',
  'libcublas.so.12',
  'libcublasLt.so.12',
  'libcurand.so.10',
  'libcufft.so.11',
  'libcudnn.so.9',
];
/** TensorRT 10 on top of the CUDA libraries. */
const TENSORRT_LIBRARIES = ['libnvinfer.so.10', 'libnvinfer_plugin.so.10', 'libnvonnxparser.so.10'];

export interface LibraryCheck {
  file: string;
  /** 'package': onnxruntime-node's bin folder; 'system': the dynamic loader's search path. */
  where: 'package' | 'system';
  found: string | null;
}

/** The install command for the CUDA provider files, as onnxruntime-node's script/install.js reads its flag. */
export const CUDA_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';
/** Where that step downloads them from (install-metadata.js), at onnxruntime-node's own version. */
const NUGET_PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';

/** Libraries the provider needs on Linux x64, each with where it was found; empty for providers that need none. */
export function providerLibraries(provider: string): LibraryCheck[] {
  if (process.platform !== 'linux') return [];
  const bin = ortBinFolder();
  const pkgFiles = PROVIDER_FILES[provider] ?? [];
  const system = provider === 'cuda' ? CUDA_LIBRARIES : provider === 'tensorrt' ? [...CUDA_LIBRARIES, ...TENSORRT_LIBRARIES] : [];
  const checks: LibraryCheck[] = pkgFiles.map((file) => {
    const path = bin ? join(bin, file) : null;
    return { file, where: 'package', found: path && existsSync(path) ? path : null };
  });
  const known = system.length ? systemLibraryIndex() : new Map<string, string>();
  for (const file of system) checks.push({ file, where: 'system', found: known.get(file) ?? null });
  return checks;
}

let libraryIndex: Map<string, string> | null = null;

/** soname → path from `ldconfig -p`, LD_LIBRARY_PATH and the usual CUDA folders (what dlopen would search). */
function systemLibraryIndex(): Map<string, string> {
  if (libraryIndex) return libraryIndex;
  const index = new Map<string, string>();
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/local/cuda/lib64',
    '/usr/local/cuda/targets/x86_64-linux/lib',
  ];
  for (const dir of dirs) {
    try {
      for (const f of readdirSync(dir)) if (!index.has(f)) index.set(f, join(dir, f));
    } catch {
      // a folder that does not exist is no finding
    }
  }
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      for (const m of out.matchAll(/^\s*(\S+) \(([^)]*)\) => (\S+)$/gm)) {
        if (m[2].includes('x86-64') || !m[2].includes('64')) if (!index.has(m[1])) index.set(m[1], m[3]);
      }
      break;
    } catch {
      // try the next location
    }
  }
  libraryIndex = index;
  return index;
}

export interface ProviderFailure {
  reason: string;
  hint?: string;
}

/**
 * Why `provider` could not open a session, given onnxruntime's message: the missing files by name and how
 * to get them, else onnxruntime's own words.
 */
export function explainProviderFailure(provider: string, message: string, libraries = providerLibraries(provider)): ProviderFailure {
  if (/backend not found/i.test(message)) {
    const where: Record<string, string> = { dml: 'Windows', coreml: 'macOS' };
    return {
      reason: `onnxruntime-node ${process.platform}/${process.arch} has no ${provider} provider${where[provider] ? ` (it is built for ${where[provider]} only)` : ''}`,
    };
  }
  if (provider === 'webgpu' && /adapter/i.test(message)) {
    return {
      reason: `no WebGPU adapter: onnxruntime's WebGPU provider (Dawn) found no usable GPU${process.platform === 'linux' ? ' through Vulkan' : ''} (${message.replace(/^.*?(Failed to get a WebGPU adapter[^\n]*).*$/s, '$1')})`,
      hint:
        process.platform === 'linux'
          ? "install the GPU driver's Vulkan support (NVIDIA: the driver's Vulkan ICD; AMD/Intel: mesa-vulkan-drivers) and check with vulkaninfo"
          : undefined,
    };
  }
  const missingPkg = libraries.filter((l) => l.where === 'package' && !l.found).map((l) => l.file);
  const missingSys = libraries.filter((l) => l.where === 'system' && !l.found).map((l) => l.file);
  if (/Failed to load shared library|cannot open shared object|\.so/i.test(message) || missingPkg.length || missingSys.length) {
    if (missingPkg.length) {
      return {
        reason: `the ${provider} provider files are not in onnxruntime-node's native folder (${missingPkg.join(', ')}): onnxruntime-node's install step downloads them from NuGet, and it was skipped (this project installs with ONNXRUNTIME_NODE_INSTALL=skip) or failed`,
        hint: `with internet access: ${CUDA_INSTALL_COMMAND} (or copy them from the NuGet package ${NUGET_PACKAGE}'s runtimes/linux-x64/native/ into the native folder)${missingSys.length ? `; the ${provider} provider also loads ${missingSys.join(', ')}, missing here` : ''}`,
      };
    }
    if (missingSys.includes('libcuda.so.1')) {
      return { reason: 'no NVIDIA driver: libcuda.so.1 is not on the loader path', hint: 'install the NVIDIA driver for the GPU' };
    }
    if (missingSys.length) {
      const cudnn = missingSys.filter((f) => f.startsWith('libcudnn'));
      const trt = missingSys.filter((f) => f.startsWith('libnv'));
      const cuda = missingSys.filter((f) => !cudnn.includes(f) && !trt.includes(f));
      const parts = [
        cuda.length ? `CUDA 12 (${cuda.join(', ')})` : '',
        cudnn.length ? `cuDNN 9 (${cudnn.join(', ')})` : '',
        trt.length ? `TensorRT 10 (${trt.join(', ')})` : '',
      ].filter(Boolean);
      return {
        reason: `missing libraries the ${provider} provider loads: ${parts.join('; ')}`,
        hint: "install them (e.g. NVIDIA's cuda-libraries-12-x and libcudnn9-cuda-12 packages, or pip's nvidia-*-cu12 wheels) and add their folder to LD_LIBRARY_PATH",
      };
    }
  }
  return { reason: message };
}
