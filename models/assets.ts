import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root (the folder holding package.json), found from this module's location. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('flowzip: package root not found');
    dir = up;
  }
  return (root = dir);
}

/** Absolute path of a shipped asset, given relative to the package root (e.g. models/baseline/tables.bin). */
export function assetPath(relative: string): string {
  return join(packageRoot(), relative);
}
