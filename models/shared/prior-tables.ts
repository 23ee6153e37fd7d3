/**
 * Frozen prior tables (the flows' latents, the autoregressive flow's residuals): a discretized
 * logistic per (scale index j, quarter offset f) with scale s_j = PRIOR_SCALE_0 * 2^(j / 4) and center f / 4, over residuals r = z - floor(mean) in
 * [-K_j, K_j] plus ESCAPE. Built once by `npm run build:tables` into prior-tables.bin; decoders only read it.
 */
import { FrequencyTable, boundedIntegerCodec, fail } from '../../codec/index.js';
import { readAsset } from './assets.js';
import { logisticResidualTable, readResidualTable, readTableFile, wordsToBytes } from './logistic-tables.js';

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

/** A table file: header words, then per scale j the residual tables `tablesOf(s_j)` gives (half-width, frequencies). */
function buildScaleTablesFile(header: number[], tablesOf: (s: number) => { halfWidth: number; table: FrequencyTable }[]): Uint8Array {
  const words = [...header];
  for (let j = 0; j < PRIOR_SCALE_COUNT; j++)
    for (const { halfWidth, table } of tablesOf(PRIOR_SCALE_0 * 2 ** (j / 4))) words.push(halfWidth, ...table.freq);
  return wordsToBytes(words);
}

export function buildPriorTablesFile(): Uint8Array {
  return buildScaleTablesFile([FILE_MAGIC, FILE_VERSION, PRIOR_SCALE_COUNT, QUARTERS, PRIOR_PRECISION], (s) => {
    const halfWidth = Math.max(MIN_HALF_WIDTH, Math.ceil(TAIL_SCALES * s) + 1);
    return Array.from({ length: QUARTERS }, (_, f) => ({ halfWidth, table: logisticResidualTable(s, f / QUARTERS, halfWidth, 1, PRIOR_PRECISION) }));
  });
}

export function parsePriorTables(bytes: Uint8Array): PriorTables {
  const { next, header } = readTableFile(bytes, 'IDF prior tables', FILE_MAGIC, FILE_VERSION, 3);
  const [scales, quarters, precision] = header;
  if (scales !== PRIOR_SCALE_COUNT || quarters !== QUARTERS) fail('MODEL_MISMATCH', 'IDF prior tables do not match this build');
  return { tables: readResidualTables(next, scales * quarters, precision, Infinity), bytes, fractionBits: 0 };
}

function readResidualTables(next: () => number, count: number, precision: number, maxHalfWidth: number): PriorTable[] {
  return Array.from({ length: count }, () => {
    const { halfWidth, table } = readResidualTable(next, precision, maxHalfWidth);
    return { halfWidth, table, residual: boundedIntegerCodec(table, -halfWidth) };
  });
}

let cached: PriorTables | undefined;

export function loadPriorTables(): PriorTables {
  if (!cached) cached = parsePriorTables(readAsset('models/shared/prior-tables.bin'));
  return cached;
}

/**
 * Fixed-point flow tables (models/shared/fine-prior-tables.bin): one per scale j, over residuals
 * r = Z - mean in units of 2^-k, P(r) = F((r + 1) / S) - F(r / S) with S = s_j 2^k (the bin [r, r + 1)),
 * r in [-K_j, K_j] plus ESCAPE; K_j = 2^k max(8, ceil(12 s_j) + 1), at most 2^13.
 */
export const FINE_FRACTION_BITS = 4;
export const FINE_PRECISION = 24;
const FINE_MAGIC = 0x5446_5a46; // "FZFT"
const FINE_MAX_HALF_WIDTH = 2 ** 13;

export function buildFinePriorTablesFile(): Uint8Array {
  const unit = 2 ** FINE_FRACTION_BITS;
  return buildScaleTablesFile([FINE_MAGIC, FILE_VERSION, FINE_FRACTION_BITS, PRIOR_SCALE_COUNT, FINE_PRECISION], (s) => {
    const halfWidth = Math.min(FINE_MAX_HALF_WIDTH, unit * Math.max(8, Math.ceil(12 * s) + 1));
    return [{ halfWidth, table: logisticResidualTable(s * unit, -0.5, halfWidth, 1, FINE_PRECISION) }];
  });
}

export function parseFinePriorTables(bytes: Uint8Array): PriorTables {
  const { next, header } = readTableFile(bytes, 'fixed-point prior tables', FINE_MAGIC, FILE_VERSION, 3);
  const [fractionBits, scales, precision] = header;
  if (scales !== PRIOR_SCALE_COUNT || fractionBits < 1 || fractionBits > 8) fail('MODEL_MISMATCH', 'fixed-point prior tables do not match this build');
  return { tables: readResidualTables(next, scales, precision, FINE_MAX_HALF_WIDTH), bytes, fractionBits };
}

let cachedFine: PriorTables | undefined;

export function loadFinePriorTables(): PriorTables {
  if (!cachedFine) cachedFine = parseFinePriorTables(readAsset('models/shared/fine-prior-tables.bin'));
  return cachedFine;
}
