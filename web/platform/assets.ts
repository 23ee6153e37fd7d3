/**
 * The browser's models/shared/assets.ts (the build swaps it in): shipped assets come from the static
 * folder beside the page (assets/<path in the package>), fetched when a model first reads them. Models
 * read their files synchronously, so the read is a synchronous request, which browsers allow only in
 * workers: every model runs in the page's worker. What a file was made with is still checked: each
 * model's hash covers the bytes read here, and a file names the hash it needs.
 */
import { fail } from '../../codec/index.js';

const store = new Map<string, Uint8Array<ArrayBuffer> | null>();
let base = new URL('./assets/', self.location.href).href;

/** Where the assets folder is (default: assets/ beside the script that runs the models). */
export function setAssetBase(url: string): void {
  base = url.endsWith('/') ? url : `${url}/`;
  store.clear();
}

/** Bytes of an asset, or null when the server has none at that path. */
function fetchSync(relative: string): Uint8Array<ArrayBuffer> | null {
  const cached = store.get(relative);
  if (cached !== undefined) return cached;
  const request = new XMLHttpRequest();
  request.open('GET', base + relative, false);
  request.responseType = 'arraybuffer';
  let bytes: Uint8Array<ArrayBuffer> | null = null;
  try {
    request.send();
    if (request.status === 200 || (request.status === 0 && request.response)) bytes = new Uint8Array(request.response as ArrayBuffer);
  } catch {
    bytes = null;
  }
  store.set(relative, bytes);
  return bytes;
}

export function packageRoot(): string {
  return '';
}

/** Shipped paths stay relative to the package root: they name files under the assets folder. */
export function assetPath(relative: string): string {
  return relative;
}

export function readAsset(relative: string): Uint8Array<ArrayBuffer> {
  return fetchSync(relative) ?? fail('UNKNOWN_MODEL', `the page's assets have no ${relative} (is the assets folder beside the page?)`);
}

export function assetExists(relative: string): boolean {
  return fetchSync(relative) !== null;
}

export function readModelFile(dir: string, name: string): Uint8Array<ArrayBuffer> {
  return readAsset(`${dir}/${name}`);
}

/** Worker threads are Node's: the browser build codes on one thread (inside the page's worker). */
export function compiledSibling(callerUrl: string, file: string): URL {
  return new URL(file, callerUrl);
}
