/**
 * node:fs for the browser build: there is no file system. Shipped assets are read through
 * web/platform/assets.ts; what still reaches here is the model registry asking whether a model id is a
 * directory the user gave (never, in a page).
 */
export function existsSync(): boolean {
  return false;
}

function noFileSystem(): never {
  throw new Error('no file system in the browser build');
}

export const readFileSync = noFileSystem;
export const statSync = noFileSystem;
export const writeFileSync = noFileSystem;
export const renameSync = noFileSystem;
export const readdirSync = noFileSystem;
