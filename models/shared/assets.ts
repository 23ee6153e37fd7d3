/**
 * Where shipped assets (tables, weights, the wasm kernel) and model directories are read from: every
 * model reads its files through here, so a build for another platform (the browser's, web/) replaces
 * this one module.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

/** Absolute path of a shipped asset, given relative to the package root (e.g. models/shared/baseline-tables.bin). */
export function assetPath(relative: string): string {
  return join(packageRoot(), relative);
}

/** A shipped asset's bytes, given relative to the package root. */
export function readAsset(relative: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(assetPath(relative)));
}

/** Whether a shipped asset is there (kinds whose model directory is not shipped are not listed). */
export function assetExists(relative: string): boolean {
  return existsSync(assetPath(relative));
}

/** A file of a model directory (shipped: `assetPath(kind.shippedDir)`; or one the user gave). Throws when absent. */
export function readModelFile(dir: string, name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(join(dir, name)));
}

/**
 * A compiled module next to the calling one (`import.meta.url`), for worker threads. When the caller runs
 * from TypeScript sources (tests), the compiled file lives under dist/ at the same relative path.
 */
export function compiledSibling(callerUrl: string, file: string): URL {
  const sibling = new URL(file, callerUrl);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const relativeDir = relative(packageRoot(), dirname(fileURLToPath(callerUrl)));
  return pathToFileURL(join(packageRoot(), 'dist', relativeDir, file));
}
