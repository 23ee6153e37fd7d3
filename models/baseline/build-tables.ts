/** Regenerates models/baseline/tables.bin on purpose (it is frozen: files record its hash). */
import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { assetPath } from '../assets.js';
import { buildTablesFile } from './tables.js';

const bytes = buildTablesFile();
writeFileSync(assetPath('models/baseline/tables.bin'), bytes);
console.log(`wrote ${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
