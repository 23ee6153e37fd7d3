import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMAT_VERSION, FlowzipError, MAGIC, MODEL_HASH_BYTES, crc32, readContainer, writeContainer, type Container } from '../codec/index.js';
import { compress, compressArchive, decompress, decompressArchive } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture, rng } from './helpers.js';

interface GoldenList {
  /** model: forced; chosen: the model the default choice records (when not the default itself); effort: compress's. */
  files: { golden: string; fixture: string; model?: string; chosen?: string; effort?: number }[];
  archives: { golden: string; members: string[]; model?: string }[];
  /** Files older builds wrote (another default choice, format version 1): today's build must still decode them. */
  older: { golden: string; fixture: string; model: string }[];
  olderArchives: { golden: string; members: string[] }[];
}
const LIST = JSON.parse(readFileSync(new URL('./golden/golden.json', import.meta.url), 'utf8')) as GoldenList;
/** The default model's golden files, by fixture name. */
const GOLDEN = LIST.files.filter((f) => !f.model).map((f) => f.fixture);
const goldenFile = (path: string) => new Uint8Array(readFileSync(new URL(`./golden/${path}`, import.meta.url)));
const golden = (name: string) => goldenFile(`${name}.flz`);

/** Restored data equals the fixture: images pixel for pixel, everything else byte for byte. */
async function expectRestored(kind: string, data: Uint8Array, input: Uint8Array): Promise<void> {
  if (kind === 'image') {
    const original = await decodeImage(input);
    const again = await decodeImage(data);
    if ('unsupported' in original || 'unsupported' in again) throw new Error('fixture not decodable');
    expect(Buffer.from(again.samples.buffer).equals(Buffer.from(original.samples.buffer))).toBe(true);
  } else {
    expect(Buffer.from(data).equals(Buffer.from(input))).toBe(true);
  }
}

/** The code of the FlowzipError `f` throws (or rejects with); fails the test on any other outcome. */
async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof FlowzipError) return e.code;
    throw new Error(`expected a FlowzipError, got ${(e as Error).stack}`);
  }
  throw new Error('expected an error, got success');
}

describe('golden files of every model and archives (regenerate on purpose with `npm run golden`)', () => {
  for (const { golden: path, fixture: name, model, chosen, effort } of LIST.files) {
    it(`${path} decodes to ${name} and re-encodes identically${effort ? ` at effort ${effort}` : ''}`, async () => {
      const input = fixture(name);
      const restored = await decompress(goldenFile(path));
      expect(restored.container.modelId).toBe(restored.container.method === 'model' ? (model ?? chosen ?? 'ar') : '');
      await expectRestored(restored.kind, restored.data, input);
      const again = await compress(input, { name, effort, ...(model ? { model, forceModel: true } : {}) });
      expect(Buffer.from(again).equals(Buffer.from(goldenFile(path)))).toBe(true);
    }, 60_000);
  }
  for (const { golden: path, fixture: name, model } of LIST.older) {
    it(`${path} (written by an older build) still decodes to ${name}`, async () => {
      const restored = await decompress(goldenFile(path));
      expect(restored.container.modelId).toBe(restored.container.method === 'model' ? model : '');
      await expectRestored(restored.kind, restored.data, fixture(name));
    }, 60_000);
  }
  for (const { golden: path, members } of LIST.olderArchives) {
    it(`${path} (written by an older build) still restores ${members.join(', ')}`, async () => {
      const { members: restored } = await decompressArchive(goldenFile(path));
      expect(restored.map((m) => m.name)).toEqual(members);
      for (const m of restored) await expectRestored(m.kind, m.data, fixture(m.name));
    }, 60_000);
  }
  for (const { golden: path, members, model } of LIST.archives) {
    it(`${path} restores ${members.join(', ')} and re-encodes identically`, async () => {
      const { members: restored } = await decompressArchive(goldenFile(path));
      expect(restored.map((m) => m.name)).toEqual(members);
      for (const m of restored) await expectRestored(m.kind, m.data, fixture(m.name));
      const { bytes } = await compressArchive(members.map((name) => ({ name, bytes: fixture(name) })), { model });
      expect(Buffer.from(bytes).equals(Buffer.from(goldenFile(path)))).toBe(true);
    }, 60_000);
  }
});

/** Rewrite a valid container with some fields changed, checksums recomputed (a forgery, not corruption). */
function forge(bytes: Uint8Array, change: Partial<Container>): Uint8Array {
  return writeContainer({ ...readContainer(bytes), ...change });
}

describe('malformed input corpus', () => {
  const valid = golden('dem-int16.npy');
  const header = valid.length - readContainer(valid).payload.length - 4;

  it('empty and tiny files are TRUNCATED, foreign files BAD_MAGIC', async () => {
    expect(await codeOf(() => decompress(new Uint8Array(0)))).toBe('TRUNCATED');
    expect(await codeOf(() => decompress(MAGIC))).toBe('TRUNCATED');
    expect(await codeOf(() => decompress(fixture('photo-rgb.png')))).toBe('BAD_MAGIC');
    expect(await codeOf(() => decompress(new TextEncoder().encode('hello world')))).toBe('BAD_MAGIC');
  });

  it('a future version is BAD_VERSION', async () => {
    const v = valid.slice();
    v[4] = FORMAT_VERSION + 1;
    expect(await codeOf(() => decompress(v))).toBe('BAD_VERSION');
  });

  it('every truncation is TRUNCATED', async () => {
    for (let n = 4; n < valid.length; n += n < header + 8 ? 1 : 97) {
      expect(await codeOf(() => decompress(valid.subarray(0, n)))).toBe('TRUNCATED');
    }
  });

  it('trailing garbage is CORRUPT', async () => {
    const longer = new Uint8Array(valid.length + 3);
    longer.set(valid);
    expect(await codeOf(() => decompress(longer))).toBe('CORRUPT');
  });

  it('a bit flip anywhere is detected: header and payload by checksum', async () => {
    const r = rng(5);
    for (let trial = 0; trial < 300; trial++) {
      const pos = trial < 80 ? trial : Math.floor(r() * valid.length);
      const bad = valid.slice();
      bad[pos] ^= 1 << Math.floor(r() * 8);
      const code = await codeOf(() => decompress(bad));
      if (pos < 4) expect(code).toBe('BAD_MAGIC');
      else if (pos === 4) expect(code).toBe('BAD_VERSION');
      else if (pos < 9) expect(['TRUNCATED', 'CHECKSUM', 'CORRUPT']).toContain(code);
      else expect(code).toBe('CHECKSUM');
    }
  });

  it('absurd shapes are BAD_SHAPE before anything is allocated', async () => {
    expect(await codeOf(() => decompress(forge(valid, { shape: [2 ** 31, 2 ** 31] })))).toBe('BAD_SHAPE');
    expect(await codeOf(() => decompress(forge(valid, { shape: [60000, 60000] })))).toBe('BAD_SHAPE');
    const image = golden('photo-rgb.png');
    expect(await codeOf(() => decompress(forge(image, { shape: [64, 96, 5] })))).toBe('BAD_SHAPE');
    expect(await codeOf(() => decompress(forge(image, { shape: [0, 96, 3] })))).toBe('BAD_SHAPE');
    expect(await codeOf(() => decompress(forge(image, { shape: [64, 96] })))).toBe('BAD_SHAPE');
    expect(await codeOf(() => writeContainer({ ...readContainer(valid), shape: new Array(9).fill(1) }))).toBe('BAD_SHAPE');
  });

  it('a valid-looking payload that decodes to other data fails its data checksum or is CORRUPT', async () => {
    const c = readContainer(valid);
    const r = rng(9);
    for (let trial = 0; trial < 30; trial++) {
      const payload = c.payload.slice();
      payload[Math.floor(r() * (payload.length - 6))] ^= 0xff;
      const code = await codeOf(() => decompress(writeContainer({ ...c, payload })));
      expect(['CHECKSUM', 'CORRUPT']).toContain(code);
    }
  });

  it('version 2 headers are compact: a model file pays a few dozen bytes, the model hash is 8 bytes', async () => {
    for (const name of ['baseline/dem-int16.npy', 'signal/ecg-uint16.npy', 'photo-rgb.png']) {
      const file = goldenFile(`${name}.flz`);
      const c = readContainer(file);
      expect(file[4]).toBe(2);
      expect(c.modelHash.length).toBe(MODEL_HASH_BYTES);
      const overhead = file.length - c.payload.length;
      const old = goldenFile(`older/v1/${name}.flz`);
      const oldOverhead = old.length - readContainer(old).payload.length;
      // magic, version, length, type, shape, model id, 8-byte hash, flags, name, payload length, 3 CRCs.
      expect(overhead).toBeLessThan(56 + new TextEncoder().encode(String(c.meta.name ?? '')).length);
      expect(oldOverhead - overhead).toBeGreaterThan(50);
    }
  });

  it('an unknown model is UNKNOWN_MODEL, other model tables MODEL_MISMATCH', async () => {
    expect(await codeOf(() => decompress(forge(valid, { modelId: 'no-such-model' })))).toBe('UNKNOWN_MODEL');
    expect(await codeOf(() => decompress(forge(valid, { modelHash: new Uint8Array(32).fill(7) })))).toBe('MODEL_MISMATCH');
  });

  it('stored payloads of the wrong size and broken metadata are CORRUPT', async () => {
    const stored = forge(valid, { method: 'stored', modelId: '', payload: new Uint8Array(10) });
    expect(await codeOf(() => decompress(stored))).toBe('CORRUPT');
    // Corrupt the metadata JSON and recompute the header checksum: a forged header with bad metadata,
    // in a version-2 file (JSON for keys other than the flags and the name) and in a version-1 file.
    const withJson = forge(valid, { meta: { ...readContainer(valid).meta, extra: 1 } });
    const v1 = goldenFile('older/v1/baseline/dem-int16.npy.flz');
    for (const file of [withJson, v1]) {
      const v = file.slice();
      const headerLength = v.length - readContainer(file).payload.length - 4;
      v[v.indexOf(0x7b, 9)] = 0x5b; // '{' -> '['
      new DataView(v.buffer).setUint32(headerLength - 4, crc32(v.subarray(0, headerLength - 4)), true);
      expect(await codeOf(() => decompress(v))).toBe('CORRUPT');
    }
  });
});

describe('fuzzing the decoder', () => {
  it('random mutations never crash, hang or produce output that passes as valid', async () => {
    const r = rng(77);
    const sources = GOLDEN.map(golden);
    for (let trial = 0; trial < 400; trial++) {
      const src = sources[trial % sources.length];
      const bad = src.slice();
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      if (Buffer.from(bad).equals(Buffer.from(src))) continue;
      await codeOf(() => decompress(bad));
    }
  });

  it('forged containers with random payloads are rejected with a FlowzipError', async () => {
    const r = rng(78);
    const c = readContainer(golden('photo-rgb.png'));
    for (let trial = 0; trial < 40; trial++) {
      const payload = new Uint8Array(6 + 2 * Math.floor(r() * 2000));
      for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(r() * 256);
      await codeOf(() => decompress(writeContainer({ ...c, payload })));
    }
  });
});
