// Regenerates test/malformed/ on purpose: malformed .flz files, each with the error codes a decoder may
// answer (test/malformed/expected.json; the malformed test replays them all). Every case is built so that
// its answer is known from the format alone: plain corruption, and forgeries whose checksums are
// recomputed (a hostile writer). Fuzzer findings are added to the same folder (`npm run fuzz`).
//   npm run build && node test/tools/make-malformed.mjs
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { crc32, readContainer, writeContainer } from '../../dist/codec/index.js';
import { compressArchive } from '../../dist/src/index.js';

// Built from the version-1 goldens (their byte offsets below are version 1's); forgeries are rewritten as version 2.
const golden = (name) => new Uint8Array(readFileSync(new URL(`../golden/older/v1/${name}`, import.meta.url)));
const out = new URL('../malformed/', import.meta.url);
mkdirSync(out, { recursive: true });
const expected = {};
const add = (name, bytes, codes, why) => {
  writeFileSync(new URL(name, out), bytes);
  expected[name] = { codes, why };
};
/**
 * Forgeries are written as version 2 (what writeContainer writes), named v2-*: the committed files without
 * the prefix are the same forgeries as version 1, made before container v2, and stay listed (below).
 */
const addForged = (name, bytes, codes, why) => add(`v2-${name}`, bytes, codes, `${why} (version 2)`);
/** A container rewritten with some fields changed and every checksum recomputed. */
const forge = (bytes, change) => writeContainer({ ...readContainer(bytes), ...change });
const flip = (bytes, at) => {
  const b = bytes.slice();
  b[at] ^= 0x10;
  return b;
};

// The version-1 file of dem-int16.npy as ar wrote it before grid (moved out of older/v1/ when grid came).
const array = new Uint8Array(readFileSync(new URL('../golden/older/dem-int16.npy.flz', import.meta.url)));
const image = golden('photo-rgb.png.flz');
const chain = golden('archive-fixedpoint.flz');
const archive = golden('archive-ar.flz');
const headerLength = (b) => new DataView(b.buffer, b.byteOffset).getUint32(5, true);

add('empty.flz', new Uint8Array(0), ['TRUNCATED'], 'no bytes');
add('magic-only.flz', array.subarray(0, 4), ['TRUNCATED'], 'the magic alone');
add('png-file.flz', new Uint8Array(readFileSync(new URL('../../fixtures/photo-rgb.png', import.meta.url))), ['BAD_MAGIC'], 'a PNG named .flz');
const future = array.slice();
future[4] = 9;
add('future-version.flz', future, ['BAD_VERSION'], 'format version 9');
add('truncated-header.flz', array.subarray(0, 40), ['TRUNCATED'], 'cut inside the header');
add('truncated-payload.flz', array.subarray(0, array.length - 100), ['TRUNCATED'], 'cut inside the payload');
add('trailing-bytes.flz', new Uint8Array([...array, 1, 2, 3]), ['CORRUPT'], 'bytes after the payload checksum');
add('header-bit-flip.flz', flip(array, 20), ['CHECKSUM'], 'one bit of the header');
add('payload-bit-flip.flz', flip(array, headerLength(array) + 50), ['CHECKSUM'], 'one bit of the payload');
add('archive-payload-bit-flip.flz', flip(archive, headerLength(archive) + 100), ['CHECKSUM'], 'one bit of an archive member');

// Forgeries: checksums recomputed, so only the decoder's own checks stand between them and harm.
addForged('shape-2^62.flz', forge(array, { shape: [2 ** 31, 2 ** 31] }), ['BAD_SHAPE'], '2^62 samples declared');
addForged('shape-60000^2.flz', forge(array, { shape: [60000, 60000] }), ['BAD_SHAPE'], '3.6e9 samples from a 3 KB payload');
addForged('shape-beyond-payload.flz', forge(array, { shape: [4000, 4000] }), ['BAD_SHAPE', 'CORRUPT'], '16e6 samples from a 3 KB payload');
addForged('image-5-channels.flz', forge(image, { shape: [64, 96, 5] }), ['BAD_SHAPE'], 'an image with 5 channels');
addForged('image-no-rows.flz', forge(image, { shape: [0, 96, 3] }), ['BAD_SHAPE'], 'an image with no pixels');
addForged('image-2-dims.flz', forge(image, { shape: [64, 96] }), ['BAD_SHAPE'], 'an image shape without channels');
addForged('unknown-model.flz', forge(array, { modelId: 'no-such-model' }), ['UNKNOWN_MODEL'], 'a model id nobody ships');
addForged('model-id-absolute-path.flz', forge(array, { modelId: new URL('../../models/ar/photo', import.meta.url).pathname }), ['UNKNOWN_MODEL'], 'a model id that is a directory: files never choose paths');
addForged('model-id-relative-path.flz', forge(array, { modelId: './models/ar/photo' }), ['UNKNOWN_MODEL'], 'a relative path as model id');
addForged('model-hash-mismatch.flz', forge(array, { modelHash: new Uint8Array(32).fill(7) }), ['MODEL_MISMATCH'], 'other tables than the shipped model');
addForged('stored-wrong-size.flz', forge(array, { method: 'stored', modelId: '', modelHash: new Uint8Array(32), payload: new Uint8Array(10) }), ['CORRUPT'], 'a stored payload shorter than the shape');
const garbage = new Uint8Array(2000);
for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
addForged('model-payload-garbage.flz', forge(image, { payload: garbage }), ['CORRUPT', 'CHECKSUM'], 'a model payload of noise');
addForged('model-payload-odd-length.flz', forge(array, { payload: readContainer(array).payload.subarray(1) }), ['CORRUPT'], 'a payload that is not a whole message');
addForged('data-crc-mismatch.flz', forge(array, { dataCrc: (readContainer(array).dataCrc + 1) >>> 0 }), ['CHECKSUM'], 'decodes, but not to the data the checksum covers');
const deep = (depth) => '['.repeat(depth) + '1' + ']'.repeat(depth);
/** The container with its metadata text replaced verbatim (header length and checksum recomputed). */
const rawMeta = (bytes, metaText) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(5, true);
  const ndim = bytes[12];
  const idLength = bytes[13 + 4 * ndim];
  const metaAt = 13 + 4 * ndim + 1 + idLength + 32;
  const metaLength = view.getUint32(metaAt, true);
  const meta = new TextEncoder().encode(metaText);
  const out = new Uint8Array(bytes.length - metaLength + meta.length);
  out.set(bytes.subarray(0, metaAt + 4));
  out.set(meta, metaAt + 4);
  out.set(bytes.subarray(metaAt + 4 + metaLength), metaAt + 4 + meta.length);
  const o = new DataView(out.buffer);
  const newHeader = headerLength - metaLength + meta.length;
  o.setUint32(5, newHeader, true);
  o.setUint32(metaAt, meta.length, true);
  o.setUint32(newHeader - 4, crc32(out.subarray(0, newHeader - 4)), true);
  return out;
};
add('meta-nested-100000.flz', rawMeta(array, `{"name":${deep(100000)}}`), ['CORRUPT'], 'metadata nested 100,000 deep (stack overflows in whoever walks it)');
add('archive-members-nested.flz', rawMeta(archive, `{"members":${deep(5000)},"initialBits":0}`), ['CORRUPT'], 'an archive member table nested 5000 deep');
addForged('bad-dtype-for-image.flz', forge(image, { dtype: 'int32' }), ['BAD_SHAPE'], 'an image of int32');

const members = (bytes) => readContainer(bytes).meta.members;
const withMembers = (bytes, edit) => {
  const c = readContainer(bytes);
  const list = structuredClone(c.meta.members);
  edit(list);
  return writeContainer({ ...c, meta: { ...c.meta, members: list } });
};
addForged('archive-member-unknown-dtype.flz', withMembers(archive, (m) => (m[1].dtype = 'complex128')), ['CORRUPT'], 'a member of an unknown dtype');
addForged('archive-member-bad-kind.flz', withMembers(archive, (m) => (m[0].kind = 'video')), ['CORRUPT'], 'a member of an unknown kind');
addForged('archive-member-absolute-name.flz', withMembers(archive, (m) => (m[0].name = '/etc/passwd')), ['CORRUPT'], 'a member that would be written outside the folder');
addForged('archive-member-dotdot-name.flz', withMembers(archive, (m) => (m[0].name = '../escape.png')), ['CORRUPT'], 'a member name that climbs out');
addForged('archive-duplicate-names.flz', withMembers(archive, (m) => (m[1].name = m[0].name)), ['CORRUPT'], 'two members with one name');
addForged('archive-member-count.flz', withMembers(archive, (m) => m.pop()), ['CORRUPT'], 'fewer members than the header says');
addForged('archive-segments-gap.flz', withMembers(archive, (m) => (m[1].segment = [m[1].segment[0] + 1, m[1].segment[1]])), ['CORRUPT'], 'member segments that do not tile the payload');
addForged('archive-member-huge-shape.flz', withMembers(archive, (m) => (m[1].shape = [2 ** 31, 2 ** 20])), ['CORRUPT', 'BAD_SHAPE'], 'a member shape far beyond the payload');
addForged('archive-member-huge-bytes.flz', withMembers(archive, (m) => (m[2].bytes = 2 ** 40)), ['CORRUPT'], 'a raw member longer than the payload');
const imageMember = members(chain).findIndex((m) => m.kind === 'image' && m.method === 'model');
addForged('archive-image-relabelled-stored.flz', withMembers(chain, (m) => (m[imageMember].method = 'stored', m[imageMember].bytes = 100)), ['CORRUPT', 'CHECKSUM'], 'a model-coded image member relabelled as stored');
// The hostile relabelling that passes the data checksum: an image kept as its own file ('original') called
// 'stored' (canonical samples) keeps its CRC; its byte count does not match the shape.
const jpegArchive = (await compressArchive([{ name: 'photo.jpg', bytes: new Uint8Array(readFileSync(new URL('../../fixtures/photo.jpg', import.meta.url))) }])).bytes;
addForged('archive-original-relabelled-stored.flz', withMembers(jpegArchive, (m) => (m[0].method = 'stored')), ['CORRUPT'], 'an image kept as its file relabelled as stored samples (its checksum still matches)');
const brotliMember = members(archive).findIndex((m) => m.method === 'brotli');
addForged('archive-brotli-member-as-image.flz', withMembers(archive, (m) => ((m[brotliMember].kind = 'image'), (m[brotliMember].shape = [10, 10, 3]))), ['CORRUPT'], 'a Brotli member relabelled as an image');
addForged('archive-brotli-member-longer.flz', withMembers(archive, (m) => (m[brotliMember].shape = [m[brotliMember].shape[0] + 1])), ['CORRUPT'], 'a Brotli member that claims one byte more than it expands to');
addForged('archive-unknown-model.flz', forge(chain, { modelId: 'no-such-model' }), ['UNKNOWN_MODEL'], 'an archive naming an unknown model');

// Level packing (ar's route 15), forged from today's golden of a grey photo with a comb histogram (version 2).
const levels = new Uint8Array(readFileSync(new URL('../golden/ar/retina-levels-102x102.png.flz', import.meta.url)));
const levelsPayload = readContainer(levels).payload;
if (levelsPayload[0] !== 15) throw new Error('the levels golden is not route 15');
add('levels-shape-beyond-payload.flz', forge(levels, { shape: [3000, 3000, 1] }), ['BAD_SHAPE', 'CORRUPT'], 'a level-packed image of 9e6 pixels from a 3 KB payload');
const noLevels = levelsPayload.slice();
noLevels.fill(0, 1, 33);
add('levels-no-levels.flz', forge(levels, { payload: noLevels }), ['CORRUPT'], 'a level-packed grey image whose bitmap has no level');
const fewLevels = levelsPayload.slice();
fewLevels.fill(0, 1, 33);
fewLevels[1] = 0b11;
add('levels-ranks-beyond.flz', forge(levels, { payload: fewLevels }), ['CORRUPT'], 'a bitmap of 2 levels under ranks up to 49');
const nested = new Uint8Array(33 + levelsPayload.length);
nested.set(levelsPayload.subarray(0, 33));
nested.set(levelsPayload, 33);
add('levels-nested.flz', forge(levels, { payload: nested }), ['CORRUPT'], 'a level-packed body inside a level-packed body');

// Second opinions (ar's route 16, effort 3 until the eighteenth session), forged from that effort-3 golden of a grey image (version 2).
const opinions = new Uint8Array(readFileSync(new URL('../golden/older/ar-photo-opinions-route16/effort3/grey-67x53.png.flz', import.meta.url)));
const opinionsPayload = readContainer(opinions).payload;
if (opinionsPayload[0] !== 16) throw new Error('the effort-3 golden is not route 16');
const wide6 = readContainer(new Uint8Array(readFileSync(new URL('../golden/older/ar-photo-wide6/effort3/grey-67x53.png.flz', import.meta.url))));
add('opinions-under-wide6.flz', forge(opinions, { modelHash: wide6.modelHash }), ['CORRUPT'], 'a route-16 payload naming photo-wide6, an effort-3 model without second opinions');
add('opinions-cut.flz', forge(opinions, { payload: opinionsPayload.slice(0, opinionsPayload.length >> 1) }), ['CORRUPT'], 'the first half of a route-16 payload');
add('opinions-shape-beyond-payload.flz', forge(opinions, { shape: [3000, 3000, 1] }), ['BAD_SHAPE', 'CORRUPT'], 'a route-16 grey image of 9e6 pixels from a 600-byte payload');

// Route 18 (effort 3 since the eighteenth session: route 16 with a generation flag per band), from today's effort-3 golden of a grey image.
const phase = new Uint8Array(readFileSync(new URL('../golden/ar/effort3/grey-67x53.png.flz', import.meta.url)));
const phasePayload = readContainer(phase).payload;
if (phasePayload[0] !== 18) throw new Error('the effort-3 golden is not route 18');
add('phase-under-wide6.flz', forge(phase, { modelHash: wide6.modelHash }), ['CORRUPT'], 'a route-18 payload naming photo-wide6, an effort-3 model without second opinions');
add('phase-cut.flz', forge(phase, { payload: phasePayload.slice(0, phasePayload.length >> 1) }), ['CORRUPT'], 'the first half of a route-18 payload');
add('phase-shape-beyond-payload.flz', forge(phase, { shape: [3000, 3000, 1] }), ['BAD_SHAPE', 'CORRUPT'], 'a route-18 grey image of 9e6 pixels from a 600-byte payload');

// Files this tool no longer writes stay listed: fuzzer findings (npm run fuzz), the version-1 forgeries.
const listed = JSON.parse(readFileSync(new URL('expected.json', out), 'utf8'));
for (const [name, entry] of Object.entries(listed)) if (!(name in expected) && existsSync(new URL(name, out))) expected[name] = entry;
writeFileSync(new URL('expected.json', out), JSON.stringify(expected, null, 1) + '\n');
console.log(`${Object.keys(expected).length} malformed files in test/malformed/`);


