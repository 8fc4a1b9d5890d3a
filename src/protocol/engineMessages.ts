/**
 * The messages between the extension host and the engine process (a forked Node process speaking over IPC),
 * each declared once as a schema: its TypeScript type is `Infer<>` of it, and both sides validate everything
 * they receive with it. A message of an unknown type, with a missing or mistyped field, or with an unexpected
 * extra field is rejected with a reason that names the field.
 * Must stay free of `vscode` and of runtime engine imports (the extension bundle includes it; the engine's
 * jobs would drag onnxruntime-node in): only types come from src/engine (and the report envelope's check).
 */
import { checkReportEnvelope, type ReportV1 } from '../engine/report/schema';
import { JOB_KINDS, JOB_OPTIONS, type JobKind } from './jobKinds';
import { jobRequestSchema } from './jobRequest';
import { MAX_DETAILS, MAX_ID, MAX_PATH, MAX_TEXT } from './limits';
import {
  array,
  custom,
  fail,
  fieldPath,
  integer,
  itemPath,
  literal,
  number,
  object,
  optional,
  plainObjectProblem,
  record,
  refine,
  string,
  tagged,
  SchemaError,
  type Infer,
  type ObjectSchema,
  type Schema,
} from './schema';

export { JOB_KINDS, type JobKind, type JobOptionsByKind } from './jobKinds';

const id = string({ max: MAX_ID });
const sectionName = string({ max: 100 });

// ---- host → engine ----

type StartShape<K extends JobKind> = {
  type: Schema<'start'>;
  id: typeof id;
  kind: Schema<K>;
  request: typeof jobRequestSchema;
  options: (typeof JOB_OPTIONS)[K];
};

/** One start message per job kind: the kind decides which options are valid (typed per kind by StartShape). */
const startSchemas = Object.fromEntries(
  JOB_KINDS.map((kind) => [
    kind,
    object(
      {
        type: literal('start'),
        id,
        kind: literal(kind),
        request: jobRequestSchema,
        options: JOB_OPTIONS[kind],
      },
      { label: 'start' },
    ),
  ]),
) as unknown as { [K in JobKind]: ObjectSchema<StartShape<K>> };

const startMessage = tagged('kind', startSchemas);
const cancelJobMessage = object({ type: literal('cancel'), id }, { label: 'cancel' });
/** Cancel everything and exit once the current job has stopped. */
const shutdownMessage = object({ type: literal('shutdown') }, { label: 'shutdown' });

const unknownType = (type: unknown) => `unknown message type ${JSON.stringify(type)}`;

export const hostToEngineSchema = tagged(
  'type',
  { start: startMessage, cancel: cancelJobMessage, shutdown: shutdownMessage },
  { label: 'message', unknownTag: unknownType },
);

export type StartMessage = Infer<typeof startMessage>;
export type CancelJobMessage = Infer<typeof cancelJobMessage>;
export type ShutdownMessage = Infer<typeof shutdownMessage>;
export type HostToEngine = Infer<typeof hostToEngineSchema>;

// ---- engine → host ----

const readyMessage = object(
  { type: literal('ready'), pid: integer({ min: 1 }), versions: record(string({ max: 200 })) },
  { label: 'ready' },
);

const progressMessage = object(
  {
    type: literal('progress'),
    id,
    stage: string({ max: 200 }),
    done: number({ check: (n) => n >= 0 }),
    total: number({ check: (n) => n >= 0 }),
    fraction: optional(number({ check: (n) => n >= 0 && n <= 1 })),
    expected: optional(object({ forward: number({ check: (n) => n >= 0 }), gradient: number({ check: (n) => n >= 0 }) })),
  },
  { label: 'progress' },
);

const logMessage = object({ type: literal('log'), id, line: string({ min: 0, max: MAX_TEXT }) }, { label: 'log' });

/** A streamed section: only its envelope (a kind) is checked here; the renderers read the rest defensively. */
const sectionKind = string({ max: 100 });
const streamedSection = custom((value, path): unknown => {
  const problem = plainObjectProblem(value);
  if (problem) fail(path, `must be ${problem}`);
  sectionKind.parse((value as { kind?: unknown }).kind, fieldPath(path, 'kind'));
  return value;
});

const sectionMessage = object({ type: literal('section'), id, name: sectionName, section: streamedSection }, { label: 'section' });

const reportEnvelope = custom((value, path): ReportV1 => {
  const envelope = checkReportEnvelope(value);
  if (!envelope.ok) throw new SchemaError(`${path}: ${envelope.reason}`);
  return envelope.report;
});

const sectionNames = array(sectionName, { max: Number.MAX_SAFE_INTEGER });
const streamedNames = custom((value, path): string[] => {
  if (!Array.isArray(value)) throw new SchemaError(`${path}: expected an array of section names`);
  return sectionNames.parse(value, path);
});

/**
 * The report, except that a section already streamed exactly as it stands is sent as null (its key keeps
 * the report's order) and named in `streamed`: the host has it, so a large report need not cross the
 * channel, and be parsed on the extension host's thread, twice.
 */
const doneMessageSchema = refine(
  object({ type: literal('done'), id, report: reportEnvelope, streamed: optional(streamedNames) }, { label: 'done' }),
  (m, path) => {
    const at = (m.streamed ?? []).findIndex((name) => (m.report.sections as Record<string, unknown>)[name] !== null);
    return at < 0
      ? null
      : `${itemPath(fieldPath(path, 'streamed'), at)}: report.sections.${m.streamed![at]} should be null (it was streamed)`;
  },
);

const engineFailure = object({
  /** An EngineErrorCode, or INTERNAL for a bug (then `details` holds the stack). */
  code: string({ max: 100 }),
  message: string({ max: MAX_TEXT }),
  hint: optional(string({ max: MAX_TEXT })),
  file: optional(string({ max: MAX_PATH })),
  details: optional(string({ max: MAX_DETAILS })),
});

const failedMessage = object({ type: literal('failed'), id, error: engineFailure }, { label: 'failed' });

export const engineToHostSchema = tagged(
  'type',
  {
    ready: readyMessage,
    progress: progressMessage,
    log: logMessage,
    section: sectionMessage,
    done: doneMessageSchema,
    failed: failedMessage,
  },
  { label: 'message', unknownTag: unknownType },
);

export type EngineReadyMessage = Infer<typeof readyMessage>;
export type EngineProgressMessage = Infer<typeof progressMessage>;
export type EngineLogMessage = Infer<typeof logMessage>;
export type EngineSectionMessage = Infer<typeof sectionMessage>;
export type EngineDoneMessage = Infer<typeof doneMessageSchema>;
export type EngineFailure = Infer<typeof engineFailure>;
export type EngineFailedMessage = Infer<typeof failedMessage>;
export type EngineToHost = Infer<typeof engineToHostSchema>;

/** The 'done' message for a finished report: sections equal to their last streamed JSON stay behind. */
export function doneMessage(id: string, report: ReportV1, lastStreamed: ReadonlyMap<string, string>): EngineDoneMessage {
  const streamed = Object.entries(report.sections)
    .filter(([name, section]) => lastStreamed.get(name) === JSON.stringify(section))
    .map(([name]) => name);
  if (!streamed.length) return { type: 'done', id, report };
  const sections = Object.fromEntries(
    Object.entries(report.sections).map(([name, section]) => [name, streamed.includes(name) ? null : section]),
  );
  return { type: 'done', id, report: { ...report, sections: sections }, streamed };
}

/** The whole report from a 'done' message and the sections streamed before it; throws when one never arrived. */
export function reassembleReport(m: EngineDoneMessage, received: Readonly<Record<string, unknown>>): ReportV1 {
  if (!m.streamed?.length) return m.report;
  const missing = m.streamed.filter((name) => !(name in received));
  if (missing.length)
    throw new Error(
      `the engine's report refers to streamed section${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that never arrived`,
    );
  const sections = Object.fromEntries(
    Object.entries(m.report.sections).map(([name, section]) => [name, m.streamed!.includes(name) ? received[name] : section]),
  );
  return { ...m.report, sections: sections };
}

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

/** A message's verdict, its reason prefixed with its type (or "(no type)"). */
function parseWith<T>(schema: Schema<T>, value: unknown): Parsed<T> {
  try {
    return { ok: true, message: schema.parse(value, '') };
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    // Only a plain object's own `type` names the message (an inherited one is part of what was refused).
    const type = plainObjectProblem(value) === null ? (value as { type?: unknown }).type : undefined;
    return { ok: false, reason: `${typeof type === 'string' ? type.slice(0, 40) : '(no type)'}: ${e.message}` };
  }
}

/** Validates a message the engine process received. */
export function parseHostToEngine(value: unknown): Parsed<HostToEngine> {
  return parseWith(hostToEngineSchema, value);
}

/** Validates a message the host received from the engine process. */
export function parseEngineToHost(value: unknown): Parsed<EngineToHost> {
  return parseWith(engineToHostSchema, value);
}
