// Compiles models/ar/dense.wat into models/ar/dense.wasm (committed; decoders only read it).
// `npm run build:wasm`; needs the dev dependency wabt.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import wabtInit from 'wabt';
const wabt = await wabtInit();
const source = new URL('./dense.wat', import.meta.url);
const module = wabt.parseWat('dense.wat', readFileSync(source, 'utf8'), { simd: true });
const { buffer } = module.toBinary({});
writeFileSync(new URL('./dense.wasm', import.meta.url), buffer);
console.log(`models/ar/dense.wasm: ${buffer.length} bytes, sha256 ${createHash('sha256').update(buffer).digest('hex')}`);
