/**
 * `robustness-lens doctor`: which onnxruntime execution providers work on this machine. Each provider the
 * onnxruntime-node build offers (and each `--ep` choice) is tried on a tiny in-memory model, whose output is
 * compared with the same arithmetic done here in float64, and on a real model's gradient graph, whose
 * logits and input gradient are compared with the CPU provider's. A provider that fails says why, by
 * the files it lacks (providerSupport.ts), and how to get them.
 */
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { makeModel, makeNode, makeTensor, makeValueInfo } from '../onnx/build';
import { encodeModel } from '../onnx/onnxProto';
import { prepareModel } from '../jobs/prepare';
import { gradientBuilderFor } from '../grad/forClassifier';
import { GradientModel, type GradientResult } from '../grad/gradientModel';
import { errorText, isEngineError } from '../errors';
import { Rng } from '../util/random';
import type { ExecutionProviderName } from '../config/configFile';
import { ModelSession, onnxruntimeVersion, ortMessage } from './modelSession';
import { explainProviderFailure, ortBinFolder, providerLibraries, type LibraryCheck } from './providerSupport';

/** The providers `--ep` accepts (besides auto). */
const EP_CHOICES = ['cpu', 'cuda', 'webgpu', 'dml', 'coreml'];

export interface DoctorStep {
  status: 'ok' | 'failed' | 'skipped';
  /** Wall time of the step (session creation, one forward pass, one gradient batch after a warm-up). */
  ms?: number;
  /** What was compared and how closely it agreed, or why the step was skipped. */
  detail?: string;
  error?: string;
}

export interface ProviderDiagnosis {
  name: string;
  /** Listed by onnxruntime-node's listSupportedBackends() for this platform. */
  inBuild: boolean;
  /** false: its files are not in the npm package; onnxruntime-node's install step downloads them. */
  bundled: boolean | null;
  /** `--ep` accepts it. */
  selectable: boolean;
  libraries: LibraryCheck[];
  session: DoctorStep;
  forward: DoctorStep;
  gradient: DoctorStep;
  works: boolean;
  reason: string | null;
  hint: string | null;
}

export interface DoctorReport {
  onnxruntime: string;
  platform: string;
  arch: string;
  node: string;
  /** onnxruntime-node's native folder, where provider files must be. */
  binFolder: string | null;
  /** The install flag in this environment (ONNXRUNTIME_NODE_INSTALL or the npm config), null when unset. */
  installFlag: string | null;
  gradientModel: { path: string | null; note: string | null };
  providers: ProviderDiagnosis[];
  cpuWorks: boolean;
  /** Providers other than cpu that passed every step, usable with --ep. */
  accelerators: string[];
}

export interface DoctorOptions {
  /** Model whose gradient graph is tried; null skips that step with `gradientNote`. */
  gradientModel: string | null;
  gradientNote?: string;
  /** Only these providers (default: every one the build lists and every --ep choice). */
  providers?: string[];
  threads?: number;
}

// Tiny model: y = Relu(x·Wᵀ + b), x [N,8], W [4,8]; its output is recomputed here in float64.
const TINY_IN = 8;
const TINY_OUT = 4;
const TINY_BATCH = 3;
const tinyRng = new Rng(20250101);
const TINY_W = Array.from({ length: TINY_OUT * TINY_IN }, () => tinyRng.next() * 2 - 1);
const TINY_B = Array.from({ length: TINY_OUT }, () => tinyRng.next() - 0.5);
const TINY_X = Float32Array.from({ length: TINY_BATCH * TINY_IN }, () => tinyRng.next() * 2 - 1);

function tinyModel(): Uint8Array {
  return encodeModel(
    makeModel({
      graph: {
        nodes: [makeNode('Gemm', ['x', 'W', 'b'], ['z'], { transB: 1 }), makeNode('Relu', ['z'], ['y'])],
        inputs: [makeValueInfo('x', 'float32', ['N', TINY_IN])],
        outputs: [makeValueInfo('y', 'float32', ['N', TINY_OUT])],
        initializers: [makeTensor('W', [TINY_OUT, TINY_IN], TINY_W), makeTensor('b', [TINY_OUT], TINY_B)],
      },
    }),
  );
}

function tinyExpected(): number[] {
  const f = (v: number) => Math.fround(v);
  const out: number[] = [];
  for (let n = 0; n < TINY_BATCH; n++)
    for (let o = 0; o < TINY_OUT; o++) {
      let s = f(TINY_B[o]);
      for (let k = 0; k < TINY_IN; k++) s += f(TINY_W[o * TINY_IN + k]) * TINY_X[n * TINY_IN + k];
      out.push(Math.max(0, s));
    }
  return out;
}

/**
 * Agreement allowed with the float64 value / the CPU provider: GPU providers may compute matrix products in
 * TF32 (10-bit mantissa), so 1e-2 relative — far below what a broken kernel or a wrong graph gives.
 */
const TOLERANCE = 1e-2;

const skipped = (detail: string): DoctorStep => ({ status: 'skipped', detail });

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const build = listBackends();
  const names = opts.providers ?? ['cpu', ...build.map((b) => b.name).filter((n) => n !== 'cpu'), ...EP_CHOICES];
  const unique = [...new Set(names)];
  const gradient = await prepareGradient(opts);
  const providers: ProviderDiagnosis[] = [];
  let cpuReference: GradientResult | null = null;
  for (const name of unique) {
    const entry = build.find((b) => b.name === name);
    const d = await diagnose(name, entry, opts.threads ?? 0, gradient, cpuReference);
    if (name === 'cpu') cpuReference = d.reference;
    providers.push(d.diagnosis);
  }
  await gradient.dispose?.();
  const installFlag = process.env.ONNXRUNTIME_NODE_INSTALL || process.env.npm_config_onnxruntime_node_install || null;
  return {
    onnxruntime: onnxruntimeVersion(),
    platform: process.platform,
    arch: process.arch,
    node: process.versions.node,
    binFolder: ortBinFolder(),
    installFlag,
    gradientModel: { path: gradient.path, note: gradient.note },
    providers,
    cpuWorks: providers.some((p) => p.name === 'cpu' && p.works),
    accelerators: providers.filter((p) => p.name !== 'cpu' && p.works && p.selectable).map((p) => p.name),
  };
}

function listBackends(): { name: string; bundled: boolean }[] {
  try {
    return ort.listSupportedBackends();
  } catch {
    return [{ name: 'cpu', bundled: true }];
  }
}

interface GradientPlan {
  path: string | null;
  note: string | null;
  /** Opens the model's gradient graph on a provider (strict: no fallback). */
  open?: (provider: string) => Promise<GradientModel>;
  pixels?: Float32Array;
  labels?: number[];
  count?: number;
  dispose?: () => Promise<void>;
}

const GRADIENT_BATCH = 4;

async function prepareGradient(opts: DoctorOptions): Promise<GradientPlan> {
  if (!opts.gradientModel) return { path: null, note: opts.gradientNote ?? 'no model given for the gradient step' };
  const path = opts.gradientModel;
  try {
    const prepared = await prepareModel({ modelPath: path, overrides: { runtime: { executionProvider: 'cpu' } } });
    const kind = prepared.info.output.kind === 'unknown' ? 'logits' : prepared.info.output.kind;
    const builder = await gradientBuilderFor(prepared, kind);
    const per = builder.pixelShape.reduce((a, b) => a * b, 1);
    const rng = new Rng(7);
    const pixels = Float32Array.from({ length: GRADIENT_BATCH * per }, () => rng.next());
    const labels = Array.from({ length: GRADIENT_BATCH }, (_, i) => i % builder.numClasses);
    return {
      path: prepared.model.path,
      note: null,
      pixels,
      labels,
      count: GRADIENT_BATCH,
      open: (provider) =>
        GradientModel.open(
          builder,
          { kind: 'cross-entropy' },
          {
            executionProvider: provider as ExecutionProviderName,
            strictProvider: true,
            threads: opts.threads ?? 0,
            maxBatch: GRADIENT_BATCH,
            label: path,
          },
        ),
    };
  } catch (e) {
    return { path, note: `the gradient graph of ${path} could not be built: ${errorText(e)}` };
  }
}

async function diagnose(
  name: string,
  entry: { name: string; bundled: boolean } | undefined,
  threads: number,
  gradient: GradientPlan,
  cpuReference: GradientResult | null,
): Promise<{ diagnosis: ProviderDiagnosis; reference: GradientResult | null }> {
  const d: ProviderDiagnosis = {
    name,
    inBuild: entry !== undefined,
    bundled: entry ? entry.bundled : null,
    selectable: EP_CHOICES.includes(name),
    libraries: providerLibraries(name),
    session: skipped('not tried'),
    forward: skipped('not tried'),
    gradient: skipped('not tried'),
    works: false,
    reason: null,
    hint: null,
  };
  const fail = (step: 'session' | 'forward' | 'gradient', e: unknown, ms?: number) => {
    const raw = isEngineError(e) && e.details.cause !== undefined ? ortMessage(e.details.cause) : ortMessage(e);
    const why = name === 'cpu' ? { reason: raw } : explainProviderFailure(name, raw, d.libraries);
    d[step] = { status: 'failed', ...(ms !== undefined ? { ms } : {}), error: raw };
    d.reason ??= step === 'session' ? why.reason : `${step}: ${why.reason}`;
    d.hint ??= why.hint ?? null;
  };
  if (!entry) {
    const why = explainProviderFailure(name, `[${name}] backend not found`, d.libraries);
    d.reason = why.reason;
    d.session = skipped('not in this build');
    d.forward = skipped('not in this build');
    d.gradient = skipped('not in this build');
    return { diagnosis: d, reference: null };
  }
  // Session and forward pass on the tiny model.
  let session: ModelSession | null = null;
  const t0 = performance.now();
  try {
    session = await ModelSession.open(
      tinyModel(),
      { executionProvider: name as ExecutionProviderName, strictProvider: true, threads },
      `tiny model (${name})`,
    );
    d.session = { status: 'ok', ms: performance.now() - t0 };
  } catch (e) {
    fail('session', e, performance.now() - t0);
    d.forward = skipped('no session');
    d.gradient = skipped('no session');
    return { diagnosis: d, reference: null };
  }
  try {
    const t1 = performance.now();
    const out = await session.run('x', 'y', TINY_X, TINY_BATCH, [TINY_IN]);
    const ms = performance.now() - t1;
    const want = tinyExpected();
    let worst = 0;
    out.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]) / (1 + Math.abs(want[i])))));
    const detail = `Gemm+Relu ${TINY_BATCH}×${TINY_IN}→${TINY_OUT}: largest difference from float64 ${worst.toExponential(1)}`;
    d.forward = worst <= TOLERANCE ? { status: 'ok', ms, detail } : { status: 'failed', ms, detail, error: `${detail}, over ${TOLERANCE}` };
    if (d.forward.status === 'failed') d.reason ??= `forward: wrong output (${detail})`;
  } catch (e) {
    fail('forward', e);
  } finally {
    await session.dispose();
  }
  // The gradient graph of a real model.
  let reference: GradientResult | null = null;
  if (!gradient.open) {
    d.gradient = skipped(gradient.note ?? 'no gradient model');
  } else if (name !== 'cpu' && !cpuReference) {
    d.gradient = skipped('no CPU gradient to compare with');
  } else {
    let model: GradientModel | null = null;
    const t2 = performance.now();
    try {
      model = await gradient.open(name);
      const openMs = performance.now() - t2;
      await model.compute(gradient.pixels!, gradient.count!, { labels: gradient.labels! });
      const t3 = performance.now();
      const r = await model.compute(gradient.pixels!, gradient.count!, { labels: gradient.labels! });
      const ms = performance.now() - t3;
      const finite = r.grad.every(Number.isFinite) && r.logits.every(Number.isFinite);
      const norm = Math.sqrt(r.grad.reduce((s, v) => s + v * v, 0));
      if (name === 'cpu') {
        reference = { logits: r.logits.slice(), loss: r.loss.slice(), grad: r.grad.slice() };
        const detail = `${gradient.count} images, cross-entropy gradient ${finite ? 'finite' : 'NOT finite'}, ‖g‖ = ${norm.toExponential(2)} (session ${openMs.toFixed(0)} ms; gradcheck compares it with finite differences)`;
        d.gradient = finite && norm > 0 ? { status: 'ok', ms, detail } : { status: 'failed', ms, detail, error: detail };
      } else {
        const gradDiff = relativeL2(r.grad, cpuReference!.grad);
        const logitDiff = relativeL2(r.logits, cpuReference!.logits);
        const detail = `${gradient.count} images: logits differ from CPU by ${logitDiff.toExponential(1)}, input gradient by ${gradDiff.toExponential(1)} (relative L2; session ${openMs.toFixed(0)} ms)`;
        const ok = finite && gradDiff <= TOLERANCE && logitDiff <= TOLERANCE;
        d.gradient = ok ? { status: 'ok', ms, detail } : { status: 'failed', ms, detail, error: `${detail}, over ${TOLERANCE}` };
      }
      if (d.gradient.status === 'failed') d.reason ??= `gradient: ${d.gradient.detail}`;
    } catch (e) {
      fail('gradient', e, performance.now() - t2);
    } finally {
      await model?.dispose();
    }
  }
  d.works = d.session.status === 'ok' && d.forward.status === 'ok' && d.gradient.status !== 'failed';
  return { diagnosis: d, reference };
}

function relativeL2(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}
