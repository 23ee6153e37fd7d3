// Regenerates test/golden/*.flz on purpose (after a deliberate format or model change):
//   npm run golden
// The golden test then checks that today's build decodes them and re-encodes the same inputs identically.
import { readFileSync, writeFileSync } from 'node:fs';
import { compress } from '../../dist/src/index.js';

const GOLDEN = ['photo-rgb.png', 'grey-67x53.png', 'fits-rgb16.png', 'dem-int16.npy', 'timmi-int32.npy', 'text.txt'];
for (const name of GOLDEN) {
  const input = readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
  const bytes = await compress(new Uint8Array(input), { name });
  writeFileSync(new URL(`../golden/${name}.flz`, import.meta.url), bytes);
  console.log(`${name}.flz ${bytes.length} bytes`);
}
