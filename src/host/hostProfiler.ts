/**
 * A diagnostic for the event-loop goal: with ROBUSTNESS_LENS_PROFILE_HOST=<folder> in the environment,
 * each run records a CPU profile of the whole extension host (every extension in it, not only ours) to
 * <folder>/<run id>.cpuprofile, which `scripts/host-stalls.ts` turns into the longest busy stretches and
 * what ran in them. Off unless asked for; it never changes what a run computes.
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROFILE_ENV = 'ROBUSTNESS_LENS_PROFILE_HOST';
/** Sampling interval in microseconds: fine enough to place a 50 ms stall within a millisecond. */
const SAMPLING_US = 250;

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
}

export class HostProfiler {
  private constructor(
    private readonly session: Session,
    private readonly dir: string,
  ) {}

  /** Starts profiling when the environment asks for it; null otherwise (or when the inspector refuses). */
  static async startIfAsked(env: NodeJS.ProcessEnv = process.env): Promise<HostProfiler | null> {
    const dir = env[PROFILE_ENV];
    if (!dir) return null;
    const session = new Session();
    try {
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: SAMPLING_US });
      await post(session, 'Profiler.start');
      return new HostProfiler(session, dir);
    } catch {
      session.disconnect();
      return null;
    }
  }

  /** Stops and writes the profile; returns its path. */
  async stop(name: string): Promise<string> {
    try {
      const { profile } = await post<{ profile: unknown }>(this.session, 'Profiler.stop');
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    } finally {
      this.session.disconnect();
    }
  }
}
