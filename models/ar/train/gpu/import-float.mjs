// An ar model from wide.py's float nets (after `npm run build`, from the repository root):
//   node models/ar/train/gpu/import-float.mjs models/ar/train/gpu/wide-256x256-float.json.gz models/ar/photo-wide [shift] [source]
// freezes them (output shift: default by width, 2 for 256 units: model.json version 2), picks the scale adaptation on the trainer's
// held-out images, and writes <out>/model.json (training metadata and held-out bits inside).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { importFloatNets } from '../../../../dist/models/ar/train/train.js';
const [path, out, shift, source] = process.argv.slice(2);
const bytes = readFileSync(path);
const float = JSON.parse((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
const data = ['../shared/data/corpus/photos-ds/train', '../shared/data/corpus/photos-full/train'];
const outputShift = shift === undefined ? undefined : Number(shift);
const training = { source: source ?? 'models/ar/train/gpu/wide.py on an H100 (2026-11-26): every interior pixel of the train split, 16,000 Adam steps of 8,192 per net, lr 2e-3, cosine decay; mixture loss', floatNets: path, outputShift };
const file = await importFloatNets({ float, data, out, outputShift, training });
console.log(JSON.stringify(file.training.validation));
