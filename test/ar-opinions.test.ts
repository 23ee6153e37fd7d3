/**
 * ar at effort 3 with second opinions: models/ar/photo-opinions is a version-5 model.json that names the
 * nets that code (photo-wide6) and the flows whose predictions are more inputs of the residual mixer
 * (photo-mix, the default model, and photo-wide5, the thirteenth session's effort-3 nets): routes 16 and 17, and since the eighteenth session 18 and 19 (test/ar-phase.test.ts). The hash covers every file named; a file from the
 * sibling without the opinion still decodes; forged version-5 files are refused.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelHashMatches, readContainer } from '../codec/index.js';
import { compress, decompress, loadModel, verify } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture } from './helpers.js';

const AR_DIR = new URL('../models/ar/', import.meta.url).pathname;
const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));

async function pixels(bytes: Uint8Array): Promise<Uint8Array> {
  const im = await decodeImage(bytes);
  if ('unsupported' in im) throw new Error('not decodable');
  return new Uint8Array(im.samples.buffer, im.samples.byteOffset, im.samples.byteLength);
}

describe('ar at effort 3: photo-wide6 with photo-mix and photo-wide5 as second opinions (models/ar/photo-opinions)', () => {
  // Copies of the three directories, to forge (each test writes its own model.json beside them).
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowzip-opinions-'));
    for (const name of ['photo-wide6', 'photo-mix', 'photo-wide5', 'photo']) cpSync(join(AR_DIR, name), join(dir, name), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of photo-opinions (its model.json as shipped, or `file`) beside the copies. */
  const writeModel = (name: string, file?: unknown): string => {
    cpSync(join(AR_DIR, 'photo-opinions'), join(dir, name), { recursive: true });
    if (file !== undefined) writeFileSync(join(dir, name, 'model.json'), JSON.stringify(file));
    return join(dir, name);
  };

  it('the registry codes effort 3 with it; its hash covers the files it names (a changed opinion is another model)', async () => {
    const pair = await loadModel('ar', 3);
    expect(readJson(join(AR_DIR, 'photo-opinions'))).toMatchObject({ version: 5, base: 'photo-wide6', opinions: ['photo-mix', 'photo-wide5'] });
    const copy = await loadModel(writeModel('pair-copy'));
    expect(modelHashMatches(copy.hash, pair.hash)).toBe(true);
    const wide6 = await loadModel(join(AR_DIR, 'photo-wide6'));
    expect(modelHashMatches(wide6.hash, pair.hash)).toBe(false);
    // The same nets, one byte of the opinion's model.json changed (its free-form training note).
    const mix = readJson(join(dir, 'photo-mix'));
    mix.training = { ...mix.training, note: 'changed' };
    cpSync(join(dir, 'photo-mix'), join(dir, 'mix-changed'), { recursive: true });
    writeFileSync(join(dir, 'mix-changed', 'model.json'), JSON.stringify(mix));
    const changed = await loadModel(writeModel('pair-changed', { format: 'flowzip-ar', version: 5, base: 'photo-wide6', opinions: ['mix-changed', 'photo-wide5'] }));
    expect(modelHashMatches(changed.hash, pair.hash)).toBe(false);
  });

  it('photos at effort 3: route 18, bit-exact back without an option, fewer bits than the same nets without the opinion, and the file costs what the model says', async () => {
    const pair = await loadModel('ar', 3);
    const wide6 = await loadModel(join(AR_DIR, 'photo-wide6'));
    for (const name of ['photo-300x72.png', 'grey-67x53.png']) {
      const input = fixture(name);
      const e3 = await compress(input, { effort: 3 });
      const c = readContainer(e3);
      expect(modelHashMatches(pair.hash, c.modelHash)).toBe(true);
      expect(c.payload[0]).toBe(18);
      const back = await decompress(e3);
      expect(Buffer.from(await pixels(back.data)).equals(Buffer.from(await pixels(input)))).toBe(true);
      const im = await decodeImage(input);
      if ('unsupported' in im) throw new Error('not decodable');
      const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
      const withOpinion = await pair.encode(im.samples, layout, undefined, { effort: 3, floatBits: false });
      const without = await wide6.encode(im.samples, layout, undefined, { effort: 2, floatBits: false });
      expect(without.payload[0]).toBe(13);
      expect(withOpinion.modelBits).toBeLessThan(without.modelBits);
    }
    const report = await verify(fixture('photo-300x72.png'), { effort: 3 });
    expect(report.overheadPct).toBeGreaterThanOrEqual(0);
    expect(report.overheadPct).toBeLessThan(0.5);
  });

  it('a route-18 payload (route 16 with a flag per band) given to a model without second opinions is CORRUPT', async () => {
    const im = await decodeImage(fixture('grey-67x53.png'));
    if ('unsupported' in im) throw new Error('not decodable');
    const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
    const { payload } = await (await loadModel('ar', 3)).encode(im.samples, layout, undefined, { effort: 3, floatBits: false });
    const wide6 = await loadModel(join(AR_DIR, 'photo-wide6'));
    await expect(wide6.decode(payload, layout, new Uint8Array(im.samples.length))).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it.each([
    ['no opinions', { base: 'photo-wide6', opinions: [] }, 'MODEL_MISMATCH'],
    ['three opinions', { base: 'photo-wide6', opinions: ['photo-mix', 'photo-mix', 'photo-mix'] }, 'MODEL_MISMATCH'],
    ['a path, not a sibling name', { base: '../photo-wide6', opinions: ['photo-mix'] }, 'MODEL_MISMATCH'],
    ['an absolute path', { base: '/etc', opinions: ['photo-mix'] }, 'MODEL_MISMATCH'],
    ['a missing directory', { base: 'photo-wide6', opinions: ['nowhere'] }, 'UNKNOWN_MODEL'],
    ['a base that is itself version 5 (no chains)', { base: 'pair-copy2', opinions: ['photo-mix'] }, 'MODEL_MISMATCH'],
    ['an opinion of one logistic (not a mixture)', { base: 'photo-wide6', opinions: ['photo'] }, 'MODEL_MISMATCH'],
    ['an opinion coding the channels in another order', { base: 'photo-wide6', opinions: ['mix-order'] }, 'MODEL_MISMATCH'],
  ])('a version-5 model.json with %s is refused (%s)', async (_, fields, code) => {
    writeModel('pair-copy2');
    const mix = readJson(join(dir, 'photo-mix'));
    cpSync(join(dir, 'photo-mix'), join(dir, 'mix-order'), { recursive: true });
    writeFileSync(join(dir, 'mix-order', 'model.json'), JSON.stringify({ ...mix, order: [0, 1, 2] }));
    const forged = writeModel('forged', { format: 'flowzip-ar', version: 5, ...fields });
    await expect(loadModel(forged)).rejects.toMatchObject({ code });
  });
});
