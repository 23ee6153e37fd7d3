/**
 * An exported multi-scale flow (IDF or fixed-point): model.json (architecture, grids, provenance) and
 * weights.bin (int32 little-endian: every layer's weights then bias, in model.json's order).
 */
import { readModelFile } from '../assets.js';
import { fail } from '../../../codec/index.js';
import type { IdfConfig } from './constants.js';

export const MULTISCALE_FORMAT = 'flowzip-idf';
export const INTEGER_MODEL_VERSION = 1;

export interface IntegerLayerSpec {
  name: string;
  shape: number[];
  /** Bits of this layer's input grid (INPUT_BITS or ACT_BITS). */
  inputBits: number;
}

export interface IntegerModelFile {
  format: typeof MULTISCALE_FORMAT;
  version: number;
  config: IdfConfig;
  grids: { inputBits: number; weightBits: number; actBits: number };
  gains: { translation: number; mean: number; scale: number; scale0: number; scaleCount: number; scaleInit: number; alpha?: number };
  layers: IntegerLayerSpec[];
  info: Record<string, unknown>;
}

export interface MultiscaleFiles {
  jsonBytes: Uint8Array;
  weightBytes: Uint8Array;
  file: IntegerModelFile;
  weights: Int32Array;
}

/** Read and check the two files of an exported flow in `dir`. */
export function readMultiscaleFiles(dir: string): MultiscaleFiles {
  let jsonBytes: Uint8Array;
  let weightBytes: Uint8Array;
  try {
    jsonBytes = readModelFile(dir, 'model.json');
    weightBytes = readModelFile(dir, 'weights.bin');
  } catch {
    fail('UNKNOWN_MODEL', `no exported model (model.json, weights.bin) in ${dir}`);
  }
  let file: IntegerModelFile;
  try {
    file = JSON.parse(new TextDecoder().decode(jsonBytes)) as IntegerModelFile;
  } catch {
    fail('UNKNOWN_MODEL', `${dir}/model.json is not JSON`);
  }
  if (typeof file !== 'object' || file === null || file.format !== MULTISCALE_FORMAT || typeof file.config !== 'object' || file.config === null)
    fail('UNKNOWN_MODEL', `${dir} is not a flowzip flow model`);
  if (weightBytes.length % 4 !== 0) fail('MODEL_MISMATCH', 'flow weights file has a partial word');
  const weights = new Int32Array(weightBytes.buffer.slice(weightBytes.byteOffset, weightBytes.byteOffset + weightBytes.byteLength));
  return { jsonBytes, weightBytes, file, weights };
}
