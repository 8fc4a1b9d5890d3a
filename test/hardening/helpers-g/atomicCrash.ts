/**
 * Child process for the atomic-write crash test: `<target> <text>` writes text to target with
 * writeFileAtomic, but dies (SIGKILL, no chance to clean up) at the moment the temp file would be renamed
 * over the target — the worst place for a crash.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { writeFileAtomic } from '../../../src/engine/util/atomicWrite';

const [target, text] = process.argv.slice(2);
fs.renameSync = () => {
  process.kill(process.pid, 'SIGKILL');
};
syncBuiltinESMExports();
writeFileAtomic(target, text);
process.stdout.write('{"renamed": true}\n');
