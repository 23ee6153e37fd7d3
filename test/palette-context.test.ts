/**
 * The palette context model (models/shared/palette-context.ts): rows of screenshots and text as palette
 * indices under contexts of their neighbours, route 6's form 4.
 */
import { describe, expect, it } from 'vitest';
import { FlowzipError } from '../codec/index.js';
import { CONTEXT_MAX_COLOURS, decodePaletteRows, encodePaletteRows } from '../models/shared/palette-context.js';
import { brotli } from '../models/shared/brotli.js';
import { FORM_CONTEXT, STRIP_ROWS } from '../models/shared/strips-route.js';
import { loadModel } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture, randomInt, rng } from './helpers.js';

async function samplesOf(name: string): Promise<{ samples: Uint8Array; width: number; height: number; channels: number }> {
  const im = await decodeImage(fixture(name));
  if ('unsupported' in im) throw new Error(`${name} not decodable`);
  return { samples: new Uint8Array(im.samples.buffer, im.samples.byteOffset, im.samples.byteLength), width: im.width, height: im.height, channels: im.channels };
}

function roundTrip(samples: Uint8Array, channels: number, width: number): { bytes: Uint8Array; bits: number } {
  const coded = encodePaletteRows(samples, channels, width);
  expect(coded).toBeDefined();
  const back = decodePaletteRows(coded!.bytes, samples.length / channels, channels, width);
  expect(Buffer.from(back).equals(Buffer.from(samples))).toBe(true);
  return coded!;
}

describe('palette context model', () => {
  it('round-trips real screenshots, a terminal (two chunks), an RGBA chart and a grey image, bit-exact, within 0.5% of its own -log2 p', async () => {
    for (const name of ['screenshot-320x80.png', 'terminal-500x200.png', 'chart-rgba-256x96.png', 'webpage-400x160.png', 'grey-67x53.png']) {
      const { samples, width, channels } = await samplesOf(name);
      const { bytes, bits } = roundTrip(samples, channels, width);
      // The stream is the model's bits plus rANS's few bytes a chunk and the chunk table.
      expect(8 * bytes.length, name).toBeLessThan(bits * 1.005 + 8 * 16 * Math.ceil(samples.length / channels / 65536));
      expect(8 * bytes.length, name).toBeGreaterThanOrEqual(bits - 1);
    }
  });

  it('codes text far below Brotli at its strongest (the reason it exists)', async () => {
    const { samples, width, channels } = await samplesOf('terminal-500x200.png');
    const { bytes } = roundTrip(samples, channels, width);
    const lz = await brotli(samples, 11);
    expect(bytes.length).toBeLessThan(0.85 * lz.length);
  });

  it('small and odd shapes: one pixel, one column, one row, a flat block, random colours, 1 to 4 channels', () => {
    const r = rng(7);
    for (const channels of [1, 2, 3, 4])
      for (const [width, height] of [[1, 1], [1, 9], [9, 1], [2, 2], [3, 17], [17, 3], [40, 40]]) {
        const flat = new Uint8Array(width * height * channels).fill(200);
        roundTrip(flat, channels, width);
        // Few colours, in random places: every decision kind (candidate, new colour, index tree).
        const noisy = new Uint8Array(width * height * channels);
        for (let i = 0; i < width * height; i++) {
          const colour = randomInt(r, 0, 5);
          for (let c = 0; c < channels; c++) noisy[i * channels + c] = (colour * 53 + c * 17) & 255;
        }
        roundTrip(noisy, channels, width);
        const random = Uint8Array.from({ length: width * height * channels }, () => randomInt(r, 0, 255));
        roundTrip(random, channels, width);
      }
  });

  it('more than 65536 colours: not its job (undefined); exactly 65536 round-trips', () => {
    const colours = (count: number, pixels: number) => {
      const out = new Uint8Array(3 * pixels);
      for (let i = 0; i < pixels; i++) out.set([(i % count) & 255, ((i % count) >> 8) & 255, (i % count) >> 16], 3 * i);
      return out;
    };
    expect(encodePaletteRows(colours(CONTEXT_MAX_COLOURS + 1, CONTEXT_MAX_COLOURS + 1), 3, 512)).toBeUndefined();
    roundTrip(colours(CONTEXT_MAX_COLOURS, CONTEXT_MAX_COLOURS + 100), 3, 512);
  });

  it('refuses forged streams with CORRUPT, never a hang: colour counts, chunk tables, damaged messages', async () => {
    const { samples, width, channels } = await samplesOf('terminal-500x200.png');
    const pixels = samples.length / channels;
    const { bytes } = roundTrip(samples, channels, width);
    const refuse = (forged: Uint8Array, p = pixels) => {
      let error: unknown;
      try {
        decodePaletteRows(forged, p, channels, width);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FlowzipError);
      expect((error as FlowzipError).code).toBe('CORRUPT');
    };
    const withCount = (k: number) => {
      const f = bytes.slice();
      new DataView(f.buffer).setUint32(0, k, true);
      return f;
    };
    // No colours, more than the pixels, more than the model codes, fewer than the rows use, one more than they use.
    refuse(withCount(0));
    refuse(withCount(pixels + 1));
    refuse(withCount(CONTEXT_MAX_COLOURS + 1), CONTEXT_MAX_COLOURS + 10);
    const colours = new DataView(bytes.buffer).getUint32(0, true);
    refuse(withCount(colours - 1));
    refuse(withCount(colours + 1));
    // Too short for the count, a chunk table past the end, the stream cut short.
    refuse(bytes.subarray(0, 3));
    refuse(bytes.subarray(0, 6));
    const pastEnd = bytes.slice();
    new DataView(pastEnd.buffer).setUint32(4, bytes.length, true);
    refuse(pastEnd);
    refuse(bytes.subarray(0, bytes.length - 7));
    // Damaged bytes anywhere in the messages: an error or other pixels (the container's CRC catches those), never a hang.
    const r = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const damaged = bytes.slice();
      damaged[randomInt(r, 8, damaged.length - 1)] ^= 1 << randomInt(r, 0, 7);
      try {
        decodePaletteRows(damaged, pixels, channels, width);
      } catch (e) {
        expect(e).toBeInstanceOf(FlowzipError);
      }
    }
  });

  it('route 6 writes it for a terminal screenshot (form 4) and the model decodes it; the strips are those of the image', async () => {
    const ar = await loadModel('ar');
    const { samples, width, height, channels } = await samplesOf('terminal-500x200.png');
    const layout = { height, width, channels, dtype: 'uint8' as const };
    const coded = await ar.encode(samples, layout);
    expect(coded.payload[0]).toBe(6);
    const mapBytes = Math.ceil(Math.ceil(height / STRIP_ROWS) / 8);
    expect(coded.payload[1 + mapBytes]).toBe(FORM_CONTEXT);
    expect(coded.details).toMatchObject({ stripCoder: 'palette context model' });
    const out = new Uint8Array(samples.length);
    await ar.decode(coded.payload, layout, out);
    expect(Buffer.from(out).equals(Buffer.from(samples))).toBe(true);
  });
});
