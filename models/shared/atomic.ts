import { renameSync, writeFileSync } from 'node:fs';

/** Write a file under a temporary name and rename it: readers see the old file or the whole new one. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}
