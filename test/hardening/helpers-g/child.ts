/** Runs a TypeScript helper in a fresh Node process (through tsx) and returns its last stdout line as JSON. */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../helpers/shared';

export interface ChildOutcome<T> {
  code: number | null;
  signal: NodeJS.Signals | null;
  result: T | null;
  stderr: string;
}

export function runTsChild<T>(script: string, args: string[], nodeArgs: string[] = []): Promise<ChildOutcome<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '',
      stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop();
      resolve({ code, signal, result: last ? (JSON.parse(last) as T) : null, stderr });
    });
  });
}
