/**
 * Frozen prior tables (the flows' latents, the autoregressive flow's residuals): a discretized logistic per (scale index j, quarter offset f) with
 * scale s_j = PRIOR_SCALE_0 * 2^(j / 4) and center f / 4, over residuals r = z - floor(mean) in
 * [-K_j, K_j] plus ESCAPE. Built once by `npm run build:tables` into prior-tables.bin; decoders only read it.
 */
import { readFileSync } from 'node:fs';
import { FrequencyTable, boundedIntegerCodec, fail } from '../../codec/index.js';
import { assetPath } from './assets.js';
import { logisticResidualTable, wordReader, wordsToBytes } from './logistic-tables.js';

/** Prior scale grid: s_j = PRIOR_SCALE_0 * 2^(j / 4), j < PRIOR_SCALE_COUNT. */
export const PRIOR_SCALE_0 = 0.1;
export const PRIOR_SCALE_COUNT = 48;

export const PRIOR_PRECISION = 20;
export const QUARTERS = 4;
const TAIL_SCALES = 14;
const MIN_HALF_WIDTH = 16;
const FILE_MAGIC = 0x5450_5a46; // "FZPT"
const FILE_VERSION = 1;

export interface PriorTable {
  halfWidth: number;
  table: FrequencyTable;
  /** Residuals -halfWidth..halfWidth under `table`, others by the escape route. */
  residual: ReturnType<typeof boundedIntegerCodec>;
}

export interface PriorTables {
  /** IDF: tables[j * QUARTERS + f]; fixed-point flow (fractionBits k > 0): tables[j], bins of 2^-k. */
  tables: PriorTable[];
  fractionBits: number;
  bytes: Uint8Array;
}

export function buildPriorTablesFile(): Uint8Array {
  const words: number[] = [FILE_MAGIC, FILE_VERSION, PRIOR_SCALE_COUNT, QUARTERS, PRIOR_PRECISION];
  for (let j = 0; j < PRIOR_SCALE_COUNT; j++) {
    const s = PRIOR_SCALE_0 * 2 ** (j / 4);
    const halfWidth = Math.max(MIN_HALF_WIDTH, Math.ceil(TAIL_SCALES * s) + 1);
    for (let f = 0; f < QUARTERS; f++) {
      const table = logisticResidualTable(s, f / QUARTERS, halfWidth, 1, PRIOR_PRECISION);
      words.push(halfWidth, ...table.freq);
    }
  }
  return wordsToBytes(words);
}

export function parsePriorTables(bytes: Uint8Array): PriorTables {
  const next = wordReader(bytes, 'IDF prior tables');
  if (next() !== FILE_MAGIC || next() !== FILE_VERSION) fail('MODEL_MISMATCH', 'not an IDF prior tables file');
  const scales = next();
  const quarters = next();
  const precision = next();
  if (scales !== PRIOR_SCALE_COUNT || quarters !== QUARTERS) fail('MODEL_MISMATCH', 'IDF prior tables do not match this build');
  return { tables: readResidualTables(next, scales * quarters, precision, Infinity), bytes, fractionBits: 0 };
}

/** `count` tables, each: half-width K (at most maxHalfWidth), then 2K + 2 frequencies (residuals -K..K, ESCAPE). */
function readResidualTables(next: () => number, count: number, precision: number, maxHalfWidth: number): PriorTable[] {
  const tables: PriorTable[] = [];
  for (let i = 0; i < count; i++) {
    const halfWidth = next();
    if (halfWidth > maxHalfWidth) fail('MODEL_MISMATCH', 'prior table too wide');
    const freq = new Uint32Array(2 * halfWidth + 2);
    for (let k = 0; k < freq.length; k++) freq[k] = next();
    const table = new FrequencyTable(freq, precision);
    tables.push({ halfWidth, table, residual: boundedIntegerCodec(table, -halfWidth) });
  }
  return tables;
}

let cached: PriorTables | undefined;

export function loadPriorTables(): PriorTables {
  if (!cached) cached = parsePriorTables(new Uint8Array(readFileSync(assetPath('models/idf/prior-tables.bin'))));
  return cached;
}

/**
 * Fixed-point flow tables (models/fixedpoint/prior-tables.bin): one per scale j, over residuals
 * r = Z - mean in units of 2^-k, P(r) = F((r + 1) / S) - F(r / S) with S = s_j 2^k (the bin [r, r + 1)),
 * r in [-K_j, K_j] plus ESCAPE; K_j = 2^k max(8, ceil(12 s_j) + 1), at most 2^13.
 */
export const FINE_FRACTION_BITS = 4;
export const FINE_PRECISION = 24;
const FINE_MAGIC = 0x5446_5a46; // "FZFT"
const FINE_MAX_HALF_WIDTH = 2 ** 13;

export function buildFinePriorTablesFile(): Uint8Array {
  const unit = 2 ** FINE_FRACTION_BITS;
  const words: number[] = [FINE_MAGIC, FILE_VERSION, FINE_FRACTION_BITS, PRIOR_SCALE_COUNT, FINE_PRECISION];
  for (let j = 0; j < PRIOR_SCALE_COUNT; j++) {
    const s = PRIOR_SCALE_0 * 2 ** (j / 4);
    const halfWidth = Math.min(FINE_MAX_HALF_WIDTH, unit * Math.max(8, Math.ceil(12 * s) + 1));
    const table = logisticResidualTable(s * unit, -0.5, halfWidth, 1, FINE_PRECISION);
    words.push(halfWidth, ...table.freq);
  }
  return wordsToBytes(words);
}

export function parseFinePriorTables(bytes: Uint8Array): PriorTables {
  const next = wordReader(bytes, 'fixed-point prior tables');
  if (next() !== FINE_MAGIC || next() !== FILE_VERSION) fail('MODEL_MISMATCH', 'not a fixed-point prior tables file');
  const fractionBits = next();
  const scales = next();
  const precision = next();
  if (scales !== PRIOR_SCALE_COUNT || fractionBits < 1 || fractionBits > 8) fail('MODEL_MISMATCH', 'fixed-point prior tables do not match this build');
  return { tables: readResidualTables(next, scales, precision, FINE_MAX_HALF_WIDTH), bytes, fractionBits };
}

let cachedFine: PriorTables | undefined;

export function loadFinePriorTables(): PriorTables {
  if (!cachedFine) cachedFine = parseFinePriorTables(new Uint8Array(readFileSync(assetPath('models/fixedpoint/prior-tables.bin'))));
  return cachedFine;
}
