/**
 * Strips of rows coded by Brotli (models/shared/strips-route.ts, ar's route 6): graphics and text rows
 * go to LZ77, photo rows to the flow, in one payload; photos alone keep route 5.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContainer } from '../codec/index.js';
import { BAND_ROWS } from '../models/ar/model.js';
import { FORM_CONTEXT, FORM_INTERLEAVED, FORM_PALETTE, FORM_PLANAR, FORM_WIDE_PALETTE, STRIP_ROWS, packRows, unpackRows } from '../models/shared/strips-route.js';
import { brotli } from '../models/shared/brotli.js';
import type { IntegerModel } from '../models/index.js';
import { compress, compressArchive, decompress, decompressArchive, loadModel, setTileThreads } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture } from './helpers.js';

const WIDTH = 300;

/** Text lines as a real renderer draws them (librsvg through sharp: anti-aliased glyphs), RGB. */
async function textRows(height: number, lines: number): Promise<Uint8Array> {
  const text = Array.from({ length: lines }, (_, i) => `<text x="8" y="${18 + i * 22}" font-family="DejaVu Sans" font-size="15">Row ${i}: sphinx of black quartz, judge my vow</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}"><rect width="${WIDTH}" height="${height}" fill="#f6f6f6"/><rect x="200" y="4" width="90" height="24" rx="5" fill="#2a6fdb"/>${text}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer());
}

async function photoRows(): Promise<Uint8Array> {
  const im = await decodeImage(fixture('photo-300x72.png'));
  if ('unsupported' in im) throw new Error('fixture not decodable');
  return new Uint8Array(im.samples);
}

function png(samples: Uint8Array, height: number): Promise<Buffer> {
  return sharp(Buffer.from(samples), { raw: { width: WIDTH, height, channels: 3 } }).png().toBuffer();
}

function concatRows(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

describe('strips of Brotli rows in ar (route 6)', () => {
  let ar: IntegerModel;
  let text: Uint8Array;
  let photo: Uint8Array;
  beforeAll(async () => {
    ar = await loadModel('ar');
    text = await textRows(64, 3);
    photo = await photoRows();
  });
  afterAll(() => setTileThreads(1));

  it('a screenshot-like image (text rows over a photo) codes each part by what suits it: route 6, bit-exact, no larger than its two parts coded alone', async () => {
    const mixed = concatRows(text, photo);
    const height = 64 + 72;
    const layout = { height, width: WIDTH, channels: 3, dtype: 'uint8' as const };
    const coded = await ar.encode(mixed, layout, undefined, { pixelBits: true });
    expect(coded.payload[0]).toBe(6);
    // The strip map flags text strips only (the photo's rows are the flow's).
    const map = coded.payload[1];
    expect(map & 0b11).not.toBe(0);
    expect(map >> Math.ceil(64 / STRIP_ROWS)).toBe(0);
    // The report says how many rows went to Brotli and what they cost (bits with no likelihood behind them).
    expect(coded.details).toMatchObject({ stripRows: 64 });
    expect(coded.details!.stripBits).toBeGreaterThan(0);
    // Bits per pixel add up to the coded bits, and those to the payload (Brotli's bytes count as bits).
    const perPixel = coded.pixelBits!.reduce((a, b) => a + b, 0);
    expect(Math.abs(perPixel - coded.modelBits) / coded.modelBits).toBeLessThan(1e-4);
    expect(8 * coded.payload.length).toBeLessThanOrEqual(coded.modelBits * 1.01 + 400);
    const out = new Uint8Array(mixed.length);
    await ar.decode(coded.payload, layout, out);
    expect(Buffer.from(out).equals(Buffer.from(mixed))).toBe(true);
    // Files: the whole image costs no more than the text part and the photo part as two files.
    const whole = await compress(await png(mixed, height));
    const parts = (await compress(await png(text, 64))).length + (await compress(await png(photo, 72))).length;
    expect(whole.length).toBeLessThan(1.02 * parts);
    const back = await decodeImage((await decompress(whole)).data);
    if ('unsupported' in back) throw new Error('restored PNG not decodable');
    expect(Buffer.from(back.samples.buffer, back.samples.byteOffset, back.samples.byteLength).equals(Buffer.from(mixed))).toBe(true);
    // The text rows alone: far below the flow's own coding of them (route 5 of the same rows, the strips route's fallback).
    expect(readContainer(await compress(await png(text, 64))).method).not.toBe('stored');
  });

  it('an RGBA screenshot (opaque alpha) gets strips in its colour: route 7 with colour route 6, bit-exact', async () => {
    const rgb = concatRows(text, photo);
    const height = 64 + 72;
    const rgba = new Uint8Array(height * WIDTH * 4);
    for (let i = 0; i < height * WIDTH; i++) {
      rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
      rgba[4 * i + 3] = 255;
    }
    const layout = { height, width: WIDTH, channels: 4, dtype: 'uint8' as const };
    const coded = await ar.encode(rgba, layout);
    expect(coded.payload[0]).toBe(7);
    expect(coded.payload[5]).toBe(6);
    const out = new Uint8Array(rgba.length);
    await ar.decode(coded.payload, layout, out);
    expect(Buffer.from(out).equals(Buffer.from(rgba))).toBe(true);
  });

  it('a blank page (one colour, 1500 x 1000, RGB and RGBA) costs next to nothing and decodes: the size check before allocating counts only the flow\'s rows', async () => {
    for (const channels of [3, 4] as const) {
      const png = await sharp({ create: { width: 1500, height: 1000, channels, background: { r: 255, g: 255, b: 255, alpha: 1 } } }).png().toBuffer();
      const flz = await compress(png);
      expect(flz.length, `${channels} channels`).toBeLessThan(channels === 3 ? 400 : 4000);
      const back = await decodeImage((await decompress(flz)).data);
      if ('unsupported' in back) throw new Error('restored PNG not decodable');
      expect(back.samples.length).toBe(1500 * 1000 * channels);
      expect(back.samples.every((v) => v === 255)).toBe(true);
    }
  });

  it('small and odd shapes of flat, striped graphics round-trip, with strips or without (widths 2-17, heights 2-33, grey and RGB)', async () => {
    const routes = new Set<number>();
    for (const channels of [1, 3])
      for (const width of [2, 3, 4, 5, 17])
        for (const height of [2, 15, 16, 17, 33]) {
          const data = new Uint8Array(height * width * channels);
          // Flat rows with a stripe every 5th row and a dot: something to repeat, something to code.
          for (let y = 0; y < height; y++) for (let i = 0; i < width * channels; i++) data[(y * width) * channels + i] = y % 5 === 0 ? 40 : 230;
          data[data.length >> 1] = 7;
          const layout = { height, width, channels, dtype: 'uint8' as const };
          const { payload } = await ar.encode(data, layout);
          routes.add(payload[0]);
          const out = new Uint8Array(data.length);
          await ar.decode(payload, layout, out);
          expect(Buffer.from(out).equals(Buffer.from(data)), `${width}x${height}x${channels}`).toBe(true);
        }
    expect(routes.has(6)).toBe(true);
  });

  it('an RGBA image of a repeated random tile goes to whole-file Brotli (ar strips only the colour), as a file and as an archive member, and both restore pixel-exact', async () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 255;
    const tile = Uint8Array.from({ length: 48 * 48 * 4 }, rand);
    const [width, height] = [384, 192];
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.set(tile.subarray(((y % 48) * 48 + (x % 48)) * 4, ((y % 48) * 48 + (x % 48)) * 4 + 4), (y * width + x) * 4);
    const png = await sharp(Buffer.from(rgba), { raw: { width, height, channels: 4 } }).png().toBuffer();
    const flz = await compress(png, { name: 'tile.png' });
    expect(readContainer(flz).method).toBe('brotli');
    // About one tile's worth of bytes: the repeats cost next to nothing.
    expect(flz.length).toBeLessThan(1.1 * tile.length + 300);
    const back = await decodeImage((await decompress(flz)).data);
    if ('unsupported' in back) throw new Error('restored PNG not decodable');
    expect(Buffer.from(back.samples.buffer, back.samples.byteOffset, back.samples.byteLength).equals(Buffer.from(rgba))).toBe(true);
    const { bytes, report } = await compressArchive([{ name: 'tile.png', bytes: png }]);
    expect(report.members[0].method).toBe('brotli');
    const [member] = (await decompressArchive(bytes)).members;
    expect(Buffer.from(member.samples!.buffer, member.samples!.byteOffset, member.samples!.byteLength).equals(Buffer.from(rgba))).toBe(true);
  });

  it('a photo alone keeps route 5 (no strip gains), so photos cost what they did', async () => {
    const coded = await ar.encode(photo, { height: 72, width: WIDTH, channels: 3, dtype: 'uint8' as const });
    expect(coded.payload[0]).toBe(5);
  });

  it('strips in several bands: the same bytes on 1 and 2 threads, bit-exact both ways', async () => {
    // Text, photo and text again over three bands: flagged strips in the first and the last band.
    const reps = Math.ceil((2 * BAND_ROWS) / 72);
    const rows = concatRows(text, ...Array.from({ length: reps }, (_, i) => (i % 2 === 0 ? photo : photo.slice().reverse())), await textRows(96, 4));
    const height = rows.length / (WIDTH * 3);
    const layout = { height, width: WIDTH, channels: 3, dtype: 'uint8' as const };
    const payloads: Uint8Array[] = [];
    for (const threads of [1, 2]) {
      setTileThreads(threads);
      const { payload } = await ar.encode(rows, layout);
      expect(payload[0]).toBe(6);
      payloads.push(payload);
      const out = new Uint8Array(rows.length);
      await ar.decode(payload, layout, out);
      expect(Buffer.from(out).equals(Buffer.from(rows)), `${threads} threads`).toBe(true);
    }
    expect(Buffer.from(payloads[0]).equals(Buffer.from(payloads[1]))).toBe(true);
  });

  it('refuses forged strip maps and lengths (CORRUPT), before expanding anything', async () => {
    const height = 64 + 72;
    const layout = { height, width: WIDTH, channels: 3, dtype: 'uint8' as const };
    const { payload } = await ar.encode(concatRows(text, photo), layout);
    const strips = Math.ceil(height / STRIP_ROWS);
    const mapBytes = Math.ceil(strips / 8);
    const forge = (edit: (p: Uint8Array) => void) => {
      const p = payload.slice();
      edit(p);
      return expect(ar.decode(p, layout, new Uint8Array(height * WIDTH * 3))).rejects.toMatchObject({ code: 'CORRUPT' });
    };
    // A strip past the image, no strip at all, an unknown form, a stream past the payload, a stream that
    // expands to other rows, a damaged stream.
    await forge((p) => (p[mapBytes] |= 1 << (strips % 8)));
    await forge((p) => p.fill(0, 1, 1 + mapBytes));
    await forge((p) => (p[1 + mapBytes] = FORM_CONTEXT + 1));
    await forge((p) => new DataView(p.buffer).setUint32(2 + mapBytes, p.length, true));
    await forge((p) => (p[1] ^= 0b100000));
    await forge((p) => p.subarray(1 + mapBytes + 5, 1 + mapBytes + 5 + 8).fill(0x55));
    // Streams Brotli expands fine but whose palette lies: an index past it, a size that does not match.
    const length = new DataView(payload.buffer, payload.byteOffset + 2 + mapBytes, 4).getUint32(0, true);
    const rest = payload.subarray(1 + mapBytes + 5 + length);
    const pixels = 64 * WIDTH;
    const withStream = async (packed: Uint8Array) => {
      const stream = await brotli(packed, 5);
      const head = new Uint8Array(5);
      head[0] = FORM_PALETTE;
      new DataView(head.buffer).setUint32(1, stream.length, true);
      return Uint8Array.from([...payload.subarray(0, 1 + mapBytes), ...head, ...stream, ...rest]);
    };
    const twoColours = (index: number, extra = 0) => Uint8Array.from([1, 0, 0, 0, 255, 255, 255, ...new Array(pixels + extra).fill(index)]);
    expect(payload[1]).toBe(0b1111);
    for (const bad of [twoColours(2), twoColours(0, 1), twoColours(0, -1)])
      await expect(ar.decode(await withStream(bad), layout, new Uint8Array(height * WIDTH * 3))).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/palette/) });
  });

  it('every form of the Brotli rows (interleaved, planar, palette, wide palette) gives the samples back', () => {
    // Text rows with their levels cut to 3 bits: at most 512 colours, fewer in these rows.
    const rows = text.subarray(0, 16 * WIDTH * 3).map((v) => v & 0xe0);
    for (const form of [FORM_INTERLEAVED, FORM_PLANAR, FORM_PALETTE]) {
      const packed = packRows(rows, 3, form);
      expect(packed, `form ${form}`).toBeDefined();
      expect(Buffer.from(unpackRows(packed!, 3, rows.length / 3, form)).equals(Buffer.from(rows)), `form ${form}`).toBe(true);
    }
    // At most 256 colours: no wide palette. 300 colours: only the wide one, which gives them back.
    expect(packRows(rows, 3, FORM_WIDE_PALETTE)).toBeUndefined();
    const many = new Uint8Array(3 * 1000);
    for (let i = 0; i < 1000; i++) many.set([i % 300 & 255, i % 300 >> 8, 7], 3 * i);
    expect(packRows(many, 3, FORM_PALETTE)).toBeUndefined();
    const wide = packRows(many, 3, FORM_WIDE_PALETTE)!;
    expect(wide.length).toBe(2 + 300 * 3 + 2 * 1000);
    expect(Buffer.from(unpackRows(wide, 3, 1000, FORM_WIDE_PALETTE)).equals(Buffer.from(many))).toBe(true);
    // A wide index past the palette, a count that does not match the size: CORRUPT.
    const pastEnd = wide.slice();
    pastEnd.set([1, 44], 2 + 900);
    expect(() => unpackRows(pastEnd, 3, 1000, FORM_WIDE_PALETTE)).toThrow(/palette/);
    const shortCount = wide.slice();
    shortCount[0] = 0;
    expect(() => unpackRows(shortCount, 3, 1000, FORM_WIDE_PALETTE)).toThrow(/palette/);
  });
});
