/**
 * Regenerates the frozen tables on purpose (files record their hashes, so old files then report
 * MODEL_MISMATCH): models/shared/baseline-tables.bin, prior-tables.bin and fine-prior-tables.bin.
 */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { assetPath } from './assets.js';
import { buildTablesFile } from './baseline-tables.js';
import { buildFinePriorTablesFile, buildPriorTablesFile } from './prior-tables.js';

for (const [path, bytes] of [
  ['models/shared/baseline-tables.bin', buildTablesFile()],
  ['models/shared/prior-tables.bin', buildPriorTablesFile()],
  ['models/shared/fine-prior-tables.bin', buildFinePriorTablesFile()],
] as const) {
  writeFileSync(assetPath(path), bytes);
  console.log(`${path}: ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
}
