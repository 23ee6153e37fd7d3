/**
 * Regenerates the frozen tables on purpose (files record their hashes, so old files then report
 * MODEL_MISMATCH): models/baseline/tables.bin, models/idf/prior-tables.bin and models/fixedpoint/prior-tables.bin.
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { assetPath } from './assets.js';
import { buildTablesFile } from './baseline-tables.js';
import { buildFinePriorTablesFile, buildPriorTablesFile } from './prior-tables.js';

for (const [path, bytes] of [
  ['models/baseline/tables.bin', buildTablesFile()],
  ['models/idf/prior-tables.bin', buildPriorTablesFile()],
  ['models/fixedpoint/prior-tables.bin', buildFinePriorTablesFile()],
] as const) {
  writeFileSync(assetPath(path), bytes);
  console.log(`${path}: ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
}
