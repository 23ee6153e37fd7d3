/**
 * ar at effort 2 (models/ar/residual-mixer.ts, format routes 13 and 14; 9 to 12 before): photo samples as binary
 * decisions whose net probabilities are mixed with adaptive contexts. Round trips of real images (RGB,
 * grey, alpha layouts, text rows over a photo, several bands on worker threads), the rate against the
 * coder's own bits, the size against effort 1, forged payloads, and the effort option itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowzipError, Message, readContainer } from '../codec/index.js';
import { ArFlow, BAND_ROWS, FLOW_MIXTURE_MIXED, FLOW_MIXTURE_MIXED2, FLOW_MIXTURE_MIXED3 } from '../models/ar/model.js';
import { loadPriorTables } from '../models/shared/prior-tables.js';
import type { IntegerModel } from '../models/index.js';
import { EXIT_STATUS, compress, compressArchive, decompress, loadModel, setTileThreads, startPartWorkers, verify } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture, rng } from './helpers.js';

const CLI = new URL('../dist/cli/flowzip.js', import.meta.url).pathname;

async function samplesOf(name: string) {
  const im = await decodeImage(fixture(name));
  if ('unsupported' in im) throw new Error('fixture not decodable');
  return { samples: new Uint8Array(im.samples), layout: { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const } };
}

async function roundTrip(model: IntegerModel, data: Uint8Array, layout: { height: number; width: number; channels: number; dtype: 'uint8' }, payload: Uint8Array): Promise<void> {
  const out = new Uint8Array(data.length);
  await model.decode(payload, layout, out);
  expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
}

describe('ar at effort 2: the residual context mixer (routes 13 and 14)', () => {
  let ar: IntegerModel;
  beforeAll(async () => {
    ar = await loadModel('ar');
  });
  afterAll(() => setTileThreads(1));

  for (const name of ['photo-300x72.png', 'grey-67x53.png', 'photo-rgb.png']) {
    it(`${name}: route 13, bit-exact, no larger than effort 1; the coder's bits are the payload's size`, async () => {
      const { samples, layout } = await samplesOf(name);
      const fast = await ar.encode(samples, layout, undefined, { effort: 1, floatBits: false });
      const best = await ar.encode(samples, layout, undefined, { effort: 2, floatBits: false, pixelBits: true });
      expect(fast.payload[0]).toBe(5);
      expect(best.payload[0]).toBe(13);
      await roundTrip(ar, samples, layout, best.payload);
      // photo-rgb is a 96 x 64 noisy photo: the mixer's contexts see few samples, and the two efforts
      // come within 0.1% of each other there (generation 2's extra contexts cost ~0.1% on it).
      expect(best.payload.length).toBeLessThanOrEqual(Math.ceil(1.001 * fast.payload.length));
      // rANS costs a few bytes a band over -log2 of the decisions' probabilities, never less.
      expect(8 * best.payload.length).toBeGreaterThanOrEqual(best.modelBits);
      expect(8 * best.payload.length).toBeLessThan(best.modelBits + 8 * 16);
      // Per-pixel bits add up to the total.
      const sum = best.pixelBits!.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - best.modelBits)).toBeLessThan(1e-3 * best.modelBits);
    });
  }

  it('on a real photo the mixer codes smaller than the net alone (photo-300x72: at least 1% fewer bytes)', async () => {
    const { samples, layout } = await samplesOf('photo-300x72.png');
    const fast = await ar.encode(samples, layout, undefined, { effort: 1, floatBits: false });
    const best = await ar.encode(samples, layout, undefined, { effort: 2, floatBits: false });
    expect(best.payload.length).toBeLessThan(0.99 * fast.payload.length);
  });

  it('generations 1 and 2 (routes 9 to 12, written before) still round-trip through the flow; each generation codes photo-300x72 smaller than the one before', async () => {
    const flow = new ArFlow(JSON.parse(readFileSync(new URL('../models/ar/photo-mix/model.json', import.meta.url), 'utf8')), loadPriorTables());
    for (const name of ['photo-300x72.png', 'photo-rgb.png', 'grey-67x53.png']) {
      const { samples, layout } = await samplesOf(name);
      const sizes: number[] = [];
      for (const variant of [FLOW_MIXTURE_MIXED, FLOW_MIXTURE_MIXED2, FLOW_MIXTURE_MIXED3]) {
        const msg = new Message(64);
        flow.encode(msg, samples, layout, undefined, undefined, variant, false);
        const bytes = msg.flatten();
        sizes.push(bytes.length);
        const out = new Uint8Array(samples.length);
        const back = Message.unflatten(bytes);
        flow.decode(back, layout, out, undefined, variant);
        expect(back.isEmpty()).toBe(true);
        expect(Buffer.from(out).equals(Buffer.from(samples))).toBe(true);
      }
      if (name === 'photo-300x72.png') {
        expect(sizes[1]).toBeLessThan(sizes[0]);
        expect(sizes[2]).toBeLessThan(sizes[1]);
      }
    }
  });

  it('images taller than a band: three bands on worker threads give the bytes of one thread, and decode', async () => {
    const { samples: photo, layout: p } = await samplesOf('photo-300x72.png');
    const height = 2 * BAND_ROWS + 21;
    const width = 40;
    const data = new Uint8Array(height * width * 3);
    for (let y = 0; y < height; y++) data.set(photo.subarray(((y % p.height) * p.width + (y % 7) * 30) * 3, ((y % p.height) * p.width + (y % 7) * 30 + width) * 3), y * width * 3);
    const layout = { height, width, channels: 3, dtype: 'uint8' as const };
    const payloads: Uint8Array[] = [];
    for (const threads of [1, 2]) {
      setTileThreads(threads);
      if (threads === 2) startPartWorkers();
      const { payload } = await ar.encode(data, layout, undefined, { effort: 2, floatBits: false });
      expect(payload[0]).toBe(13);
      payloads.push(payload);
      await roundTrip(ar, data, layout, payload);
    }
    setTileThreads(1);
    expect(Buffer.from(payloads[0]).equals(Buffer.from(payloads[1]))).toBe(true);
  }, 60_000);

  it('alpha layouts: route 7 with colour route 13 (RGBA and grey+alpha), bit-exact', async () => {
    for (const name of ['rgba-53x31.png', 'grey-alpha-53x31.png']) {
      const { samples, layout } = await samplesOf(name);
      const coded = await ar.encode(samples, layout, undefined, { effort: 2 });
      expect(coded.payload[0]).toBe(7);
      expect(coded.payload[5]).toBe(13);
      await roundTrip(ar, samples, layout, coded.payload);
    }
  });

  it('text rows over a photo: route 14 (strips, the rest through the mixer), bit-exact, no larger than route 6', async () => {
    const { samples: photo, layout: p } = await samplesOf('photo-300x72.png');
    const { samples: text, layout: t } = await samplesOf('screenshot-320x80.png');
    // The screenshot's rows cut to the photo's width, above the photo.
    const width = p.width;
    const height = t.height + p.height;
    const data = new Uint8Array(height * width * 3);
    for (let y = 0; y < t.height; y++) data.set(text.subarray(y * t.width * 3, (y * t.width + width) * 3), y * width * 3);
    data.set(photo, t.height * width * 3);
    const layout = { height, width, channels: 3, dtype: 'uint8' as const };
    const fast = await ar.encode(data, layout, undefined, { effort: 1, floatBits: false });
    const best = await ar.encode(data, layout, undefined, { effort: 2, floatBits: false });
    expect(fast.payload[0]).toBe(6);
    expect(best.payload[0]).toBe(14);
    await roundTrip(ar, data, layout, best.payload);
    await roundTrip(ar, data, layout, fast.payload);
    expect(best.payload.length).toBeLessThanOrEqual(fast.payload.length);
  });

  it('forged route 13 payloads (cut, bytes changed, another layout) are CORRUPT or decode to something, never hang or crash', async () => {
    const { samples, layout } = await samplesOf('photo-rgb.png');
    const { payload } = await ar.encode(samples, layout, undefined, { effort: 2 });
    const out = new Uint8Array(samples.length);
    const expectFlowzipErrorOrDone = async (bytes: Uint8Array, l = layout) => {
      try {
        await ar.decode(bytes, l, new Uint8Array(l.height * l.width * l.channels));
      } catch (e) {
        expect(e).toBeInstanceOf(FlowzipError);
        expect(['CORRUPT', 'TRUNCATED']).toContain((e as FlowzipError).code);
      }
    };
    await expect(ar.decode(payload.subarray(0, payload.length >> 1), layout, out)).rejects.toMatchObject({ code: 'CORRUPT' });
    await expect(ar.decode(payload.subarray(0, 3), layout, out)).rejects.toBeInstanceOf(FlowzipError);
    const r = rng(9);
    for (let trial = 0; trial < 20; trial++) {
      const forged = payload.slice();
      const at = 1 + Math.floor(r() * (forged.length - 1));
      forged[at] ^= 1 + Math.floor(r() * 255);
      await expectFlowzipErrorOrDone(forged);
    }
    // The same payload read as a much wider image: it ends long before the samples do.
    const wide = { ...layout, width: layout.width * 40 };
    await expect(ar.decode(payload, wide, new Uint8Array(wide.height * wide.width * 3))).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('decompress needs no effort: files of both efforts restore through the library, and verify reports the mixer\'s bits', async () => {
    const input = fixture('photo-300x72.png');
    for (const effort of [1, 2]) {
      const bytes = await compress(input, { effort });
      expect(readContainer(bytes).payload[0]).toBe(effort === 1 ? 5 : 13);
      const restored = await decompress(bytes);
      const again = await decodeImage(restored.data);
      const original = await decodeImage(input);
      if ('unsupported' in again || 'unsupported' in original) throw new Error('not decodable');
      expect(Buffer.from(again.samples.buffer).equals(Buffer.from(original.samples.buffer))).toBe(true);
    }
    // verify round-trips (it throws on a mismatch); the payload's bits are the mixer's, within rANS's few bytes.
    const report = await verify(input, { effort: 2 });
    expect(report.overheadPct).toBeGreaterThanOrEqual(0);
    expect(report.overheadPct).toBeLessThan(0.5);
  });

  it('effort outside 1..3 is a USAGE error in the library and the CLI (exit status of USAGE); -5 points to -e', async () => {
    for (const effort of [0, 4, 1.5, Number.NaN]) await expect(compress(fixture('grey-67x53.png'), { effort })).rejects.toMatchObject({ code: 'USAGE' });
    // Archives too, also with a chaining model (it codes members without the routed model's check).
    for (const model of [undefined, 'fixedpoint'])
      await expect(compressArchive([{ name: 'grey.png', bytes: fixture('grey-67x53.png') }], { model, effort: 4 })).rejects.toMatchObject({ code: 'USAGE' });
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-effort-'));
    try {
      const input = join(dir, 'grey.png');
      writeFileSync(input, fixture('grey-67x53.png'));
      for (const args of [['-e', '4'], ['-e', 'x'], ['--effort', '0']]) {
        const r = spawnSync(process.execPath, [CLI, 'compress', ...args, input], { encoding: 'utf8' });
        expect(r.status).toBe(EXIT_STATUS.USAGE);
        expect(r.stderr).toMatch(/-e takes an effort from 1 to 3/);
      }
      const level = spawnSync(process.execPath, [CLI, 'compress', '-5', input], { encoding: 'utf8' });
      expect(level.status).toBe(EXIT_STATUS.USAGE);
      expect(level.stderr).toMatch(/-e 1 to -e 3/);
      execFileSync(process.execPath, [CLI, 'compress', '-q', '-e', '2', '-o', join(dir, 'e2.flz'), input]);
      execFileSync(process.execPath, [CLI, 'compress', '-q', '-o', join(dir, 'e1.flz'), input]);
      expect(statSync(join(dir, 'e2.flz')).size).toBeLessThan(statSync(join(dir, 'e1.flz')).size);
      execFileSync(process.execPath, [CLI, 'decompress', '-q', '-o', join(dir, 'back.png'), join(dir, 'e2.flz')]);
      const back = await decodeImage(new Uint8Array(readFileSync(join(dir, 'back.png'))));
      const original = await decodeImage(fixture('grey-67x53.png'));
      if ('unsupported' in back || 'unsupported' in original) throw new Error('not decodable');
      expect(Buffer.from(back.samples.buffer).equals(Buffer.from(original.samples.buffer))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
