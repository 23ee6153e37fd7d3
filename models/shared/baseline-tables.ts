/**
 * Frozen integer tables of the baseline model: a bank of discretized logistic distributions of the
 * prediction residual, one per scale s_j = SCALE_0 * 2^(j / SCALES_PER_OCTAVE).
 *
 * Scale j codes a residual r as hi = floor(r / 2^k_j) under a table over [-K_j, K_j] plus ESCAPE, then
 * lo = r - hi * 2^k_j as k_j raw bits. k_j is chosen so that s_j / 2^k_j <= MAX_TABLE_SCALE: wide
 * distributions keep small tables, and the uniform low bits lose almost nothing there.
 *
 * The tables are built once with floats by `buildTablesFile` (run `npm run build:tables`), frozen into
 * tables.bin and loaded from it: the decoder never recomputes them, and files record their SHA-256.
 */
import { sha256 } from './hash.js';
import { FrequencyTable, fail } from '../../codec/index.js';
import { logisticResidualTable, meanAbsResidual, readResidualTable, readTableFile, wordsToBytes } from './logistic-tables.js';
import { readAsset } from './assets.js';

export const TABLE_PRECISION = 20;
export const NUM_SCALES = 150;
const SCALE_0 = 0.03;
const SCALES_PER_OCTAVE = 4;
const MAX_TABLE_SCALE = 48;
const TAIL_SCALES = 14;
const MIN_HALF_WIDTH = 16;
/** Thresholds are stored as mean |residual| * 2^THRESHOLD_BITS. */
export const THRESHOLD_BITS = 10;
const FILE_MAGIC = 0x5442_5a46; // "FZBT"
const FILE_VERSION = 1;

export interface ScaleTable {
  /** Raw low bits below the table symbol. */
  shift: number;
  /** Table symbols are hi = -halfWidth..halfWidth, then ESCAPE. */
  halfWidth: number;
  table: FrequencyTable;
}

export interface BaselineTables {
  scales: ScaleTable[];
  /** thresholds[j]: choose scale > j when mean |residual| * 2^THRESHOLD_BITS >= thresholds[j]. */
  thresholds: Float64Array;
  /** SHA-256 of the tables file. */
  hash: Uint8Array;
}

/** Build the tables file from the float definition. Deterministic on one machine; frozen afterwards. */
export function buildTablesFile(): Uint8Array {
  const words: number[] = [FILE_MAGIC, FILE_VERSION, NUM_SCALES, TABLE_PRECISION];
  const means: number[] = [];
  for (let j = 0; j < NUM_SCALES; j++) {
    const s = SCALE_0 * 2 ** (j / SCALES_PER_OCTAVE);
    means.push(Math.min(meanAbsResidual(Math.min(s, 1e4)) * (s > 1e4 ? s / 1e4 : 1), 2 ** 40));
    const shift = Math.max(0, Math.ceil(Math.log2(s / MAX_TABLE_SCALE)));
    const unit = 2 ** shift;
    const effective = s / unit;
    const halfWidth = Math.max(MIN_HALF_WIDTH, Math.ceil(TAIL_SCALES * effective));
    const table = logisticResidualTable(s, 0, halfWidth, unit, TABLE_PRECISION);
    words.push(shift, halfWidth, ...table.freq);
  }
  for (let j = 0; j + 1 < NUM_SCALES; j++) {
    const t = Math.round(Math.sqrt(means[j] * means[j + 1]) * 2 ** THRESHOLD_BITS);
    words.push(t % 2 ** 32, Math.floor(t / 2 ** 32));
  }
  return wordsToBytes(words);
}

export function parseTablesFile(bytes: Uint8Array): BaselineTables {
  const { next, header } = readTableFile(bytes, 'baseline tables', FILE_MAGIC, FILE_VERSION, 2);
  const [count, precision] = header;
  if (count < 1 || count > 1024) fail('MODEL_MISMATCH', 'baseline tables: scale count');
  const scales: ScaleTable[] = Array.from({ length: count }, () => ({ shift: next(), ...readResidualTable(next, precision, Infinity) }));
  const thresholds = new Float64Array(count - 1);
  for (let j = 0; j + 1 < count; j++) thresholds[j] = next() + next() * 2 ** 32;
  const hash = sha256(bytes);
  return { scales, thresholds, hash };
}

let cached: BaselineTables | undefined;

export function loadBaselineTables(): BaselineTables {
  if (!cached) cached = parseTablesFile(readAsset('models/shared/baseline-tables.bin'));
  return cached;
}
