/**
 * Worker threads that code IDF tiles in parallel (tiles are independent, so the bytes do not depend on
 * the thread count). Started on first use for images with enough tiles.
 */
import { compiledSibling } from '../assets.js';
import type { Progress } from '../types.js';
import { sharedPool } from '../worker-pool.js';
import type { DecodeTileJob, EncodeTileJob, EncodedTile, TileRunner } from './integer.js';

/** A shared pool for the model in `dir`, or undefined when one thread (or few tiles) makes it pointless. */
export function tilePool(dir: string, tiles: number, threads: number, backend?: string): TileRunner | undefined {
  if (threads <= 1 || tiles < MIN_TILES) return undefined;
  const pool = sharedPool(compiledSibling(import.meta.url, 'tile-worker.js'), `${dir}|${backend ?? ''}`, { dir, backend }, threads);
  return {
    encode: (jobs: EncodeTileJob[], progress?: Progress) => pool.run<EncodeTileJob, EncodedTile>('encode', jobs, progress),
    decode: (jobs: DecodeTileJob[], progress?: Progress) => pool.run<DecodeTileJob, Int32Array>('decode', jobs, progress),
  };
}

/** Below this many tiles, starting workers (about a second each) costs more than it saves. */
export const MIN_TILES = 4;
