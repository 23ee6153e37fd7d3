/**
 * The palette context model (models/shared/palette-context.ts): rows of screenshots and text as palette
 * indices under contexts of their neighbours, route 6's form 4.
 */
import { describe, expect, it } from 'vitest';
import { FlowzipError } from '../codec/index.js';
import { CONTEXT_MAX_COLOURS, decodePaletteRows, encodePaletteRows } from '../models/shared/palette-context.js';
import { brotli } from '../models/shared/brotli.js';
import { FORM_CONTEXT, STRIP_ROWS } from '../models/shared/strips-route.js';
import { compress, decompress, loadModel } from '../src/index.js';
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

describe('route 8: alpha images whole through the palette context model', () => {
  /** A window's corner and its soft shadow on a transparent canvas, as macOS captures windows (a crop of a real screenshot). */
  async function windowWithShadow(): Promise<{ samples: Uint8Array; layout: { height: number; width: number; channels: number; dtype: 'uint8' } }> {
    const { samples, width, height, channels } = await samplesOf('window-shadow-160x200.png');
    expect(channels).toBe(4);
    return { samples, layout: { height, width, channels, dtype: 'uint8' } };
  }

  it('a window with a soft shadow takes route 8 (smaller than colour strips and an alpha plane apart), bit-exact; a photo with alpha keeps route 7', async () => {
    const ar = await loadModel('ar');
    const { samples, layout } = await windowWithShadow();
    const coded = await ar.encode(samples, layout, undefined, { pixelBits: true });
    expect(coded.payload[0]).toBe(8);
    expect(coded.details).toMatchObject({ stripCoder: 'palette context model, every channel' });
    const perPixel = coded.pixelBits!.reduce((a, b) => a + b, 0);
    expect(Math.abs(perPixel + 32 - coded.modelBits)).toBeLessThan(1e-3 * coded.modelBits);
    const out = new Uint8Array(samples.length);
    await ar.decode(coded.payload, layout, out);
    expect(Buffer.from(out).equals(Buffer.from(samples))).toBe(true);
    // Through the library as a PNG file, as a user brings it.
    const restored = await decodeImage((await decompress(await compress(fixture('window-shadow-160x200.png')))).data);
    if ('unsupported' in restored) throw new Error('restored PNG not decodable');
    expect(Buffer.from(restored.samples.buffer, restored.samples.byteOffset, restored.samples.byteLength).equals(Buffer.from(samples))).toBe(true);
    // A photo with an alpha channel: too many colours for the palette, the planes apart as before.
    const photo = await samplesOf('rgba-53x31.png');
    const photoCoded = await ar.encode(photo.samples, { height: photo.height, width: photo.width, channels: 4, dtype: 'uint8' });
    expect(photoCoded.payload[0]).toBe(7);
  });

  it('grey+alpha too: the window in grey with its shadow takes route 8 and comes back bit-exact', async () => {
    const ar = await loadModel('ar');
    const { samples, layout } = await windowWithShadow();
    const pixels = layout.height * layout.width;
    const greyAlpha = new Uint8Array(2 * pixels);
    for (let i = 0; i < pixels; i++) {
      greyAlpha[2 * i] = Math.round((299 * samples[4 * i] + 587 * samples[4 * i + 1] + 114 * samples[4 * i + 2]) / 1000);
      greyAlpha[2 * i + 1] = samples[4 * i + 3];
    }
    const greyLayout = { ...layout, channels: 2 };
    const coded = await ar.encode(greyAlpha, greyLayout);
    expect(coded.payload[0]).toBe(8);
    const out = new Uint8Array(greyAlpha.length);
    await ar.decode(coded.payload, greyLayout, out);
    expect(Buffer.from(out).equals(Buffer.from(greyAlpha))).toBe(true);
  });

  it('refuses forged route 8 payloads (CORRUPT), and checks their size before allocating', async () => {
    const ar = await loadModel('ar');
    const { samples, layout } = await windowWithShadow();
    const { payload } = await ar.encode(samples, layout);
    expect(payload[0]).toBe(8);
    const refuse = (forged: Uint8Array) => expect(ar.decode(forged, layout, new Uint8Array(samples.length))).rejects.toMatchObject({ code: 'CORRUPT' });
    const noColours = payload.slice();
    new DataView(noColours.buffer).setUint32(1, 0, true);
    await refuse(noColours);
    await refuse(payload.subarray(0, payload.length - 9));
    await refuse(Uint8Array.of(8));
    // A payload of a few bytes declaring a huge image: the model says how many bits it needs at least.
    const huge = { height: 60000, width: 60000, channels: 4, dtype: 'uint8' as const };
    expect(ar.minPayloadBits!(payload, huge)).toBeGreaterThan(8 * payload.length);
    // Route 8 for a layout without alpha: not a route of it.
    await expect(ar.decode(payload, { ...layout, channels: 3 }, new Uint8Array(layout.height * layout.width * 3))).rejects.toMatchObject({ code: 'CORRUPT' });
  });
});
