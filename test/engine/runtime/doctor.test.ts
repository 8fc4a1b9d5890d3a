import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import { runDoctor } from '../../../src/engine/runtime/doctor';
import {
  CUDA_INSTALL_COMMAND,
  PROVIDER_FILES,
  explainProviderFailure,
  type LibraryCheck,
} from '../../../src/engine/runtime/providerSupport';
import { REPO_ROOT, SHARED, SKIP_NO_SHARED } from '../../helpers/shared';

const STATUSES = new Set(['ok', 'failed', 'skipped']);

test(
  'doctor on the shared mnist-cnn: every provider reported with its steps; cpu passes all three; a failing provider says why',
  { skip: SKIP_NO_SHARED },
  async () => {
    const r = await runDoctor({ gradientModel: resolve(SHARED, 'models', 'mnist-cnn.onnx'), threads: 1 });
    assert.equal(r.providers[0].name, 'cpu');
    const names = r.providers.map((p) => p.name);
    for (const ep of ['cpu', 'cuda', 'webgpu', 'dml', 'coreml']) assert.ok(names.includes(ep), `${ep} is reported`);
    assert.equal(new Set(names).size, names.length, 'each provider once');
    for (const p of r.providers) {
      for (const s of [p.session, p.forward, p.gradient]) assert.ok(STATUSES.has(s.status), `${p.name}: ${s.status}`);
      if (!p.inBuild) assert.equal(p.session.status, 'skipped', `${p.name} is not tried when the build lacks it`);
      if (p.works) {
        assert.equal(p.session.status, 'ok');
        assert.equal(p.forward.status, 'ok');
        assert.notEqual(p.gradient.status, 'failed');
        assert.equal(p.reason, null);
      } else {
        assert.ok(p.reason && p.reason.length > 10, `${p.name} says why it does not work`);
      }
    }
    const cpu = r.providers[0];
    assert.ok(cpu.works && r.cpuWorks);
    assert.deepEqual([cpu.session.status, cpu.forward.status, cpu.gradient.status], ['ok', 'ok', 'ok']);
    assert.match(cpu.gradient.detail ?? '', /4 images, cross-entropy gradient finite/);
    assert.deepEqual(
      r.accelerators,
      r.providers.filter((p) => p.name !== 'cpu' && p.works && p.selectable).map((p) => p.name),
    );
    // An accelerator that works must have agreed with the CPU's gradient; one in the build that does not names its files.
    const cuda = r.providers.find((p) => p.name === 'cuda')!;
    if (cuda.works) assert.match(cuda.gradient.detail ?? '', /input gradient by/);
    else if (cuda.inBuild && cuda.libraries.some((l) => l.where === 'package' && !l.found))
      assert.match(cuda.reason!, /libonnxruntime_providers_cuda\.so/);
  },
);

test('doctor without a gradient model still tries the tiny model and says why the gradient step was skipped', async () => {
  const r = await runDoctor({ gradientModel: null, gradientNote: 'no model here', providers: ['cpu', 'nosuch'] });
  assert.deepEqual(
    r.providers.map((p) => [p.name, p.forward.status, p.gradient.status, p.gradient.detail]),
    [
      ['cpu', 'ok', 'skipped', 'no model here'],
      ['nosuch', 'skipped', 'skipped', 'not in this build'],
    ],
  );
  assert.equal(r.cpuWorks, true);
  assert.match(r.providers[1].reason!, /has no nosuch provider/);
});

test("the provider files doctor looks for are the ones onnxruntime-node's install step downloads, under the flag it reads", () => {
  const req = createRequire(resolve(REPO_ROOT, 'package.json'));
  const metadata = req('onnxruntime-node/script/install-metadata.js') as {
    requirements: Record<string, string[]>;
    manifests: Record<string, Record<string, unknown>>;
  };
  assert.ok(metadata.requirements['linux/x64'].includes('cuda12'));
  const downloaded = Object.keys(metadata.manifests['linux/x64:cuda12']).map((f) => basename(f));
  assert.deepEqual([...new Set(Object.values(PROVIDER_FILES).flat())].sort(), downloaded.sort());
  const [assignment] = CUDA_INSTALL_COMMAND.split(' ');
  assert.equal(assignment, 'ONNXRUNTIME_NODE_INSTALL=cuda12');
  // install.js installs unless parseInstallFlag() is false (skip); undefined means "the platform's requirements",
  // which for linux/x64 are cuda12 (onnxruntime-node 1.30.0 returns undefined for a named manifest too).
  const utils = req('onnxruntime-node/script/install-utils.js') as { parseInstallFlag: () => unknown };
  const keys = ['ONNXRUNTIME_NODE_INSTALL', 'npm_config_onnxruntime_node_install', 'ONNXRUNTIME_NODE_INSTALL_CUDA'];
  const saved = keys.map((k) => process.env[k]);
  const flagWith = (env: Record<string, string>) => {
    for (const k of keys) delete process.env[k];
    Object.assign(process.env, env);
    return utils.parseInstallFlag();
  };
  try {
    // the project's .npmrc says skip; the variable of the documented command overrides it
    const installs = flagWith({ npm_config_onnxruntime_node_install: 'skip', ONNXRUNTIME_NODE_INSTALL: 'cuda12' });
    assert.ok(installs === 'cuda12' || installs === undefined, `installs: ${String(installs)}`);
    assert.equal(flagWith({ npm_config_onnxruntime_node_install: 'skip' }), false, "the project's own installs skip");
    // the deprecated ONNXRUNTIME_NODE_INSTALL_CUDA=v12 does not get past the .npmrc's skip (why the README does not use it)
    assert.equal(flagWith({ npm_config_onnxruntime_node_install: 'skip', ONNXRUNTIME_NODE_INSTALL_CUDA: 'v12' }), false);
    assert.equal(flagWith({ ONNXRUNTIME_NODE_INSTALL_CUDA: 'v12' }), 'cuda12', 'without the .npmrc it would work');
  } finally {
    keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
  }
});

const lib = (file: string, where: LibraryCheck['where'], found: boolean): LibraryCheck => ({
  file,
  where,
  found: found ? `/x/${file}` : null,
});
const SYSTEM = ['libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcudnn.so.9'];

test('a CUDA failure is explained by the first thing missing: provider files, then the driver, then CUDA/cuDNN libraries', () => {
  const failed = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
  const noFiles = explainProviderFailure('cuda', failed, [
    lib('libonnxruntime_providers_cuda.so', 'package', false),
    ...SYSTEM.map((f) => lib(f, 'system', true)),
  ]);
  assert.match(noFiles.reason, /libonnxruntime_providers_cuda\.so.*install step/);
  assert.ok(noFiles.hint!.includes(CUDA_INSTALL_COMMAND));
  const noDriver = explainProviderFailure('cuda', failed, [
    lib('libonnxruntime_providers_cuda.so', 'package', true),
    ...SYSTEM.map((f) => lib(f, 'system', f !== 'libcuda.so.1')),
  ]);
  assert.match(noDriver.reason, /no NVIDIA driver: libcuda\.so\.1/);
  const noCudnn = explainProviderFailure('cuda', failed, [
    lib('libonnxruntime_providers_cuda.so', 'package', true),
    ...SYSTEM.map((f) => lib(f, 'system', f !== 'libcudnn.so.9' && f !== 'libcublas.so.12')),
  ]);
  assert.equal(noCudnn.reason, 'missing libraries the cuda provider loads: CUDA 12 (libcublas.so.12); cuDNN 9 (libcudnn.so.9)');
  const allThere = explainProviderFailure('cuda', 'CUDA failure 100: no CUDA-capable device is detected', [
    lib('libonnxruntime_providers_cuda.so', 'package', true),
    ...SYSTEM.map((f) => lib(f, 'system', true)),
  ]);
  assert.equal(allThere.reason, 'CUDA failure 100: no CUDA-capable device is detected', "onnxruntime's own words when no file is missing");
});

test('WebGPU without an adapter and a provider this build lacks are named as such', () => {
  const webgpu = explainProviderFailure('webgpu', 'x.cc:136 ... Failed to get a WebGPU adapter: No supported adapters', []);
  assert.match(webgpu.reason, /^no WebGPU adapter/);
  assert.match(webgpu.reason, /Failed to get a WebGPU adapter: No supported adapters/);
  const dml = explainProviderFailure('dml', 'no available backend found. ERR: [dml] backend not found.', []);
  assert.match(dml.reason, /has no dml provider \(it is built for Windows only\)/);
});
