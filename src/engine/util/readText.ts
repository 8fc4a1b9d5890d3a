import { readFileSync } from 'node:fs';
import { EngineError } from '../errors';

/** Reads a UTF-8 file, turning a missing or unreadable file into an EngineError that names it and what it is. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `${path}: cannot read ${what} (${code ?? String(e)})`, {
      file: path,
    });
  }
}
