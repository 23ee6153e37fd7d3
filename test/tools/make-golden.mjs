// Regenerates test/golden/*.flz on purpose (after a deliberate format or model change):
//   npm run golden
// The golden tests then check that today's build decodes them and re-encodes the same inputs identically.
// The list of golden files lives in test/golden/golden.json (read by the tests too); its `older` files were
// written by earlier builds and are never regenerated (today's build must still decode them).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { compress, compressArchive } from '../../dist/src/index.js';

const fixture = (name) => new Uint8Array(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url)));
const { files, archives } = JSON.parse(readFileSync(new URL('../golden/golden.json', import.meta.url), 'utf8'));
for (const { golden, fixture: name, model, effort } of files) {
  const bytes = await compress(fixture(name), { name, effort, ...(model ? { model, forceModel: true } : {}) });
  mkdirSync(new URL(`../golden/${golden}/..`, import.meta.url), { recursive: true });
  writeFileSync(new URL(`../golden/${golden}`, import.meta.url), bytes);
  console.log(`${golden} ${bytes.length} bytes`);
}
for (const { golden, members, model } of archives) {
  const { bytes } = await compressArchive(members.map((name) => ({ name, bytes: fixture(name) })), { model });
  writeFileSync(new URL(`../golden/${golden}`, import.meta.url), bytes);
  console.log(`${golden} ${bytes.length} bytes`);
}
