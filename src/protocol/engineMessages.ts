/**
 * The messages between the extension host and the engine process (a forked Node process speaking over IPC).
 * Both sides validate everything they receive with the hand-written guards below: a message of an unknown
 * type, with a missing or mistyped field, or with an unexpected extra field is rejected with a reason.
 * Must stay free of `vscode` and of runtime engine imports (the extension bundle includes it; the engine's
 * jobs would drag onnxruntime-node in): only types come from src/engine.
 */
import type { AnalyseOptions } from '../engine/jobs/analyseJob';
import type { AttackJobOptions } from '../engine/jobs/attackJob';
import type { ExplainOptions } from '../engine/jobs/explainJob';
import type { JobRequest } from '../engine/jobs/prepare';
import { checkReportEnvelope, type ReportV1 } from '../engine/report/schema';

export type JobKind = 'eval' | 'attack' | 'analyse' | 'explain';
export const JOB_KINDS: readonly JobKind[] = ['eval', 'attack', 'analyse', 'explain'];

/** Job options per kind (eval has none). */
export interface JobOptionsByKind {
  eval: Record<string, never>;
  attack: AttackJobOptions;
  analyse: AnalyseOptions;
  explain: ExplainOptions;
}

// ---- host → engine ----

export type StartMessage = {
  [K in JobKind]: { type: 'start'; id: string; kind: K; request: JobRequest; options: JobOptionsByKind[K] };
}[JobKind];

export interface CancelJobMessage {
  type: 'cancel';
  id: string;
}

/** Cancel everything and exit once the current job has stopped. */
export interface ShutdownMessage {
  type: 'shutdown';
}

export type HostToEngine = StartMessage | CancelJobMessage | ShutdownMessage;

// ---- engine → host ----

export interface EngineReadyMessage {
  type: 'ready';
  pid: number;
  versions: Record<string, string>;
}

export interface EngineProgressMessage {
  type: 'progress';
  id: string;
  stage: string;
  done: number;
  total: number;
}

export interface EngineLogMessage {
  type: 'log';
  id: string;
  line: string;
}

export interface EngineSectionMessage {
  type: 'section';
  id: string;
  name: string;
  section: unknown;
}

export interface EngineDoneMessage {
  type: 'done';
  id: string;
  /**
   * The report, except that a section already streamed exactly as it stands is sent as null (its key keeps
   * the report's order) and named in `streamed`: the host has it, so a large report need not cross the
   * channel, and be parsed on the extension host's thread, twice.
   */
  report: ReportV1;
  streamed?: string[];
}

/** The 'done' message for a finished report: sections equal to their last streamed JSON stay behind. */
export function doneMessage(id: string, report: ReportV1, lastStreamed: ReadonlyMap<string, string>): EngineDoneMessage {
  const streamed = Object.entries(report.sections).filter(([name, section]) => lastStreamed.get(name) === JSON.stringify(section)).map(([name]) => name);
  if (!streamed.length) return { type: 'done', id, report };
  const sections = Object.fromEntries(Object.entries(report.sections).map(([name, section]) => [name, streamed.includes(name) ? null : section]));
  return { type: 'done', id, report: { ...report, sections: sections as ReportV1['sections'] }, streamed };
}

/** The whole report from a 'done' message and the sections streamed before it; throws when one never arrived. */
export function reassembleReport(m: EngineDoneMessage, received: Readonly<Record<string, unknown>>): ReportV1 {
  if (!m.streamed?.length) return m.report;
  const missing = m.streamed.filter((name) => !(name in received));
  if (missing.length) throw new Error(`the engine's report refers to streamed section${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that never arrived`);
  const sections = Object.fromEntries(Object.entries(m.report.sections).map(([name, section]) => [name, m.streamed!.includes(name) ? received[name] : section]));
  return { ...m.report, sections: sections as ReportV1['sections'] };
}

export interface EngineFailure {
  /** An EngineErrorCode, or INTERNAL for a bug (then `details` holds the stack). */
  code: string;
  message: string;
  hint?: string;
  file?: string;
  details?: string;
}

export interface EngineFailedMessage {
  type: 'failed';
  id: string;
  error: EngineFailure;
}

export type EngineToHost =
  | EngineReadyMessage | EngineProgressMessage | EngineLogMessage | EngineSectionMessage | EngineDoneMessage | EngineFailedMessage;

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

// ---- guards ----

const MAX_ID = 100;
const MAX_PATH = 4096;
const MAX_TEXT = 64 * 1024;
/** Error details carry a stack trace at most; reports are bounded by the engine, not here. */
const MAX_DETAILS = 256 * 1024;

type Obj = Record<string, unknown>;

/** Thrown inside the guards only; turned into a rejection reason at the top. */
class Invalid extends Error {}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(`${what} must be an object`);
  // Only plain data: a field inherited through a prototype would pass the own-key checks unseen.
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new Invalid(`${what} must be a plain object`);
  return v as Obj;
}

function onlyKeys(o: Obj, keys: readonly string[], what: string): void {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) throw new Invalid(`${what} has unexpected field(s) ${extra.join(', ')}`);
}

function str(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new Invalid(`${what} must be a non-empty string of at most ${max} characters`);
  return v;
}

function optStr(o: Obj, key: string, what: string, max: number): void {
  if (o[key] !== undefined) str(o[key], `${what}.${key}`, max);
}

function int(v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Invalid(`${what} must be a whole number in [${min}, ${max}]`);
  return v;
}

function num(v: unknown, what: string, check: (n: number) => boolean = () => true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new Invalid(`${what} must be a finite number in range`);
  return v;
}

function oneOf<T extends string>(v: unknown, values: readonly T[], what: string): T {
  if (!values.includes(v as T)) throw new Invalid(`${what} must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
  return v as T;
}

function nullOr<T>(v: unknown, check: (v: unknown) => T): T | null {
  return v === null ? null : check(v);
}

function numberList(v: unknown, what: string, min: number, max: number): void {
  if (!Array.isArray(v) || v.length < min || v.length > max) throw new Invalid(`${what} must be a list of ${min}–${max} numbers`);
  v.forEach((x, i) => num(x, `${what}[${i}]`));
}

function checkOverrides(v: unknown): void {
  const o = obj(v, 'request.overrides');
  onlyKeys(o, ['images', 'labels', 'classNames', 'input', 'runtime', 'limit', 'seed'], 'request.overrides');
  optStr(o, 'images', 'request.overrides', MAX_PATH);
  optStr(o, 'labels', 'request.overrides', MAX_PATH);
  if (o.classNames !== undefined) {
    if (!Array.isArray(o.classNames) || o.classNames.length === 0 || o.classNames.length > 100_000) throw new Invalid('request.overrides.classNames must be a non-empty list');
    o.classNames.forEach((c, i) => str(c, `request.overrides.classNames[${i}]`, 1000));
  }
  if (o.limit !== undefined) int(o.limit, 'request.overrides.limit', 1);
  if (o.seed !== undefined) int(o.seed, 'request.overrides.seed', 0, 4294967295);
  if (o.runtime !== undefined) {
    const r = obj(o.runtime, 'request.overrides.runtime');
    onlyKeys(r, ['executionProvider', 'threads', 'batchSize'], 'request.overrides.runtime');
    if (r.executionProvider !== undefined) oneOf(r.executionProvider, ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'], 'request.overrides.runtime.executionProvider');
    if (r.threads !== undefined) int(r.threads, 'request.overrides.runtime.threads', 0, 256);
    if (r.batchSize !== undefined) int(r.batchSize, 'request.overrides.runtime.batchSize', 1, 65536);
  }
  if (o.input !== undefined) {
    const i = obj(o.input, 'request.overrides.input');
    onlyKeys(i, ['name', 'layout', 'size', 'channels', 'pixelScale', 'mean', 'std', 'resize', 'resizeFilter', 'resizeShorterTo'], 'request.overrides.input');
    optStr(i, 'name', 'request.overrides.input', 1000);
    if (i.layout !== undefined) oneOf(i.layout, ['NCHW', 'NHWC', 'NHW', 'flat'], 'request.overrides.input.layout');
    if (i.size !== undefined) {
      if (Array.isArray(i.size)) {
        if (i.size.length !== 2) throw new Invalid('request.overrides.input.size must be a number or [height, width]');
        i.size.forEach((s, k) => int(s, `request.overrides.input.size[${k}]`, 1, 16384));
      } else int(i.size, 'request.overrides.input.size', 1, 16384);
    }
    if (i.channels !== undefined) oneOf(i.channels, ['gray', 'rgb', 'bgr'], 'request.overrides.input.channels');
    if (i.pixelScale !== undefined && i.pixelScale !== 1 && i.pixelScale !== 255) throw new Invalid('request.overrides.input.pixelScale must be 1 or 255');
    if (i.mean !== undefined) numberList(i.mean, 'request.overrides.input.mean', 1, 4);
    if (i.std !== undefined) numberList(i.std, 'request.overrides.input.std', 1, 4);
    if (i.resize !== undefined) oneOf(i.resize, ['stretch', 'center-crop', 'shorter-side-crop', 'none'], 'request.overrides.input.resize');
    if (i.resizeFilter !== undefined) oneOf(i.resizeFilter, ['nearest', 'bilinear', 'bicubic', 'lanczos', 'area'], 'request.overrides.input.resizeFilter');
    if (i.resizeShorterTo !== undefined) int(i.resizeShorterTo, 'request.overrides.input.resizeShorterTo', 1);
  }
}

function checkRequest(v: unknown): JobRequest {
  const o = obj(v, 'request');
  onlyKeys(o, ['modelPath', 'configPath', 'workspaceRoot', 'overrides'], 'request');
  str(o.modelPath, 'request.modelPath', MAX_PATH);
  optStr(o, 'configPath', 'request', MAX_PATH);
  optStr(o, 'workspaceRoot', 'request', MAX_PATH);
  if (o.overrides !== undefined) checkOverrides(o.overrides);
  return o as unknown as JobRequest;
}

/** Attack names are checked by the engine's registry (it knows them); here only their shape. */
function checkAttackSpecs(v: unknown, what: string): void {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) throw new Invalid(`${what} must be a list of 1–64 attacks`);
  v.forEach((a, k) => {
    const spec = obj(a, `${what}[${k}]`);
    onlyKeys(spec, ['name', 'params'], `${what}[${k}]`);
    if (typeof spec.name !== 'string' || !/^[a-z0-9-]{1,32}$/.test(spec.name)) throw new Invalid(`${what}[${k}].name must be an attack name`);
    const params = obj(spec.params, `${what}[${k}].params`);
    for (const [key, value] of Object.entries(params)) {
      // Parameter names are identifiers, and none that every object already has (__proto__, constructor, toString…).
      if (!/^[a-zA-Z][a-zA-Z0-9]{0,31}$/.test(key) || key in Object.prototype) throw new Invalid(`${what}[${k}].params has a parameter name that is not an identifier: ${JSON.stringify(key.slice(0, 40))}`);
      if (!['number', 'string', 'boolean'].includes(typeof value)) throw new Invalid(`${what}[${k}].params.${key} must be a number, string or boolean`);
      if (typeof value === 'number') num(value, `${what}[${k}].params.${key}`);
    }
  });
}

function checkOutDir(v: unknown, what: string): void {
  nullOr(v, (x) => str(x, what, MAX_PATH));
}

function checkOptions(kind: JobKind, v: unknown): void {
  const o = obj(v, 'options');
  switch (kind) {
    case 'eval':
      onlyKeys(o, [], 'options');
      return;
    case 'attack': {
      onlyKeys(o, ['attacks', 'criterion', 'target', 'gradient', 'gallery', 'outDir'], 'options');
      checkAttackSpecs(o.attacks, 'options.attacks');
      oneOf(o.criterion, ['top1', 'top5'], 'options.criterion');
      oneOf(o.gradient, ['analytic', 'estimated'], 'options.gradient');
      int(o.gallery, 'options.gallery', 0, 10_000);
      checkOutDir(o.outDir, 'options.outDir');
      nullOr(o.target, (t) => {
        const target = obj(t, 'options.target');
        if (target.kind === 'least-likely') return onlyKeys(target, ['kind'], 'options.target');
        if (target.kind !== 'class') throw new Invalid('options.target.kind must be class or least-likely');
        onlyKeys(target, ['kind', 'class', 'name'], 'options.target');
        int(target.class, 'options.target.class', -1);
        optStr(target, 'name', 'options.target', 1000);
      });
      return;
    }
    case 'analyse':
      onlyKeys(o, ['preset', 'attacks', 'K', 'radius', 'directions', 'cutoff', 'epsilons', 'outDir'], 'options');
      oneOf(o.preset, ['full', 'fast'], 'options.preset');
      nullOr(o.attacks, (a) => checkAttackSpecs(a, 'options.attacks'));
      int(o.K, 'options.K', 1, 10_000);
      nullOr(o.radius, (r) => num(r, 'options.radius', (x) => x > 0));
      oneOf(o.directions, ['random', 'approx'], 'options.directions');
      nullOr(o.cutoff, (c) => int(c, 'options.cutoff', 0, 16384));
      nullOr(o.epsilons, (e) => {
        if (!Array.isArray(e) || e.length === 0 || e.length > 64) throw new Invalid('options.epsilons must be a list of 1–64 numbers');
        e.forEach((x, k) => num(x, `options.epsilons[${k}]`, (n) => n > 0));
      });
      checkOutDir(o.outDir, 'options.outDir');
      return;
    case 'explain':
      onlyKeys(o, ['imagePath', 'compareModelPath', 'baseline', 'outDir'], 'options');
      str(o.imagePath, 'options.imagePath', MAX_PATH);
      nullOr(o.compareModelPath, (p) => str(p, 'options.compareModelPath', MAX_PATH));
      oneOf(o.baseline, ['zero', 'noise'], 'options.baseline');
      checkOutDir(o.outDir, 'options.outDir');
  }
}

function parseWith<T>(value: unknown, check: (o: Obj) => T): Parsed<T> {
  let type = '(no type)';
  try {
    const o = obj(value, 'message');
    if (typeof o.type === 'string') type = o.type.slice(0, 40);
    return { ok: true, message: check(o) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: `${type}: ${e.message}` };
    throw e;
  }
}

/** Validates a message the engine process received. */
export function parseHostToEngine(value: unknown): Parsed<HostToEngine> {
  return parseWith(value, (o): HostToEngine => {
    switch (o.type) {
      case 'start': {
        onlyKeys(o, ['type', 'id', 'kind', 'request', 'options'], 'start');
        str(o.id, 'id', MAX_ID);
        const kind = oneOf(o.kind, JOB_KINDS, 'kind');
        checkRequest(o.request);
        checkOptions(kind, o.options);
        return o as unknown as StartMessage;
      }
      case 'cancel':
        onlyKeys(o, ['type', 'id'], 'cancel');
        str(o.id, 'id', MAX_ID);
        return { type: 'cancel', id: o.id as string };
      case 'shutdown':
        onlyKeys(o, ['type'], 'shutdown');
        return { type: 'shutdown' };
      default:
        throw new Invalid(`unknown message type ${JSON.stringify(o.type)}`);
    }
  });
}

/** Validates a message the host received from the engine process. */
export function parseEngineToHost(value: unknown): Parsed<EngineToHost> {
  return parseWith(value, (o): EngineToHost => {
    switch (o.type) {
      case 'ready': {
        onlyKeys(o, ['type', 'pid', 'versions'], 'ready');
        int(o.pid, 'pid', 1);
        const versions = obj(o.versions, 'versions');
        for (const [k, v] of Object.entries(versions)) str(v, `versions.${k}`, 200);
        return o as unknown as EngineReadyMessage;
      }
      case 'progress':
        onlyKeys(o, ['type', 'id', 'stage', 'done', 'total'], 'progress');
        str(o.id, 'id', MAX_ID);
        str(o.stage, 'stage', 200);
        num(o.done, 'done', (n) => n >= 0);
        num(o.total, 'total', (n) => n >= 0);
        return o as unknown as EngineProgressMessage;
      case 'log':
        onlyKeys(o, ['type', 'id', 'line'], 'log');
        str(o.id, 'id', MAX_ID);
        if (typeof o.line !== 'string' || o.line.length > MAX_TEXT) throw new Invalid(`line must be a string of at most ${MAX_TEXT} characters`);
        return o as unknown as EngineLogMessage;
      case 'section': {
        onlyKeys(o, ['type', 'id', 'name', 'section'], 'section');
        str(o.id, 'id', MAX_ID);
        str(o.name, 'name', 100);
        const section = obj(o.section, 'section');
        str(section.kind, 'section.kind', 100);
        return o as unknown as EngineSectionMessage;
      }
      case 'done': {
        onlyKeys(o, ['type', 'id', 'report', 'streamed'], 'done');
        str(o.id, 'id', MAX_ID);
        const envelope = checkReportEnvelope(o.report);
        if (!envelope.ok) throw new Invalid(`report: ${envelope.reason}`);
        if (o.streamed !== undefined) {
          if (!Array.isArray(o.streamed)) throw new Invalid('streamed: expected an array of section names');
          const sections = (o.report as { sections: Record<string, unknown> }).sections;
          o.streamed.forEach((n, i) => {
            str(n, `streamed[${i}]`, 100);
            if (sections[n as string] !== null) throw new Invalid(`streamed[${i}]: report.sections.${String(n)} should be null (it was streamed)`);
          });
        }
        return o as unknown as EngineDoneMessage;
      }
      case 'failed': {
        onlyKeys(o, ['type', 'id', 'error'], 'failed');
        str(o.id, 'id', MAX_ID);
        const error = obj(o.error, 'error');
        onlyKeys(error, ['code', 'message', 'hint', 'file', 'details'], 'error');
        str(error.code, 'error.code', 100);
        str(error.message, 'error.message', MAX_TEXT);
        optStr(error, 'hint', 'error', MAX_TEXT);
        optStr(error, 'file', 'error', MAX_PATH);
        optStr(error, 'details', 'error', MAX_DETAILS);
        return o as unknown as EngineFailedMessage;
      }
      default:
        throw new Invalid(`unknown message type ${JSON.stringify(o.type)}`);
    }
  });
}
