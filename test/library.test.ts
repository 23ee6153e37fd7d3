import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DTYPES, readContainer, writeContainer, type DType } from '../codec/index.js';
import { buildNpy, compress, compressWithReport, decompress, verify } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { DTYPE_RANGE, npyHeader, wordsPerElement } from '../src/npy.js';
import { fixture, fixtureNames, randomInt, rng } from './helpers.js';

async function samplesOf(bytes: Uint8Array): Promise<Int32Array> {
  const d = await decodeImage(bytes);
  if ('unsupported' in d) throw new Error(d.unsupported);
  return d.samples;
}

const HEADER_ALLOWANCE = 160;

describe('round trips on every fixture', () => {
  for (const name of fixtureNames(/\.(png|jpg)$/)) {
    it(`${name}: pixel-exact`, async () => {
      const input = fixture(name);
      const flz = await compress(input, { name });
      const restored = await decompress(flz);
      if (restored.kind === 'bytes') expect(Buffer.from(restored.data).equals(Buffer.from(input))).toBe(true);
      const original = await decodeImage(input);
      const again = await decodeImage(restored.data);
      if ('unsupported' in original || 'unsupported' in again) throw new Error('not decodable');
      expect([again.width, again.height, again.channels, again.bitDepth]).toEqual([original.width, original.height, original.channels, original.bitDepth]);
      expect(Buffer.from(again.samples.buffer).equals(Buffer.from(original.samples.buffer))).toBe(true);
      expect(flz.length).toBeLessThanOrEqual(input.length + HEADER_ALLOWANCE);
    });
  }
  for (const name of [...fixtureNames(/\.npy$/), 'text.txt']) {
    it(`${name}: byte-exact`, async () => {
      const input = fixture(name);
      const flz = await compress(input, { name });
      const restored = await decompress(flz);
      expect(Buffer.from(restored.data).equals(Buffer.from(input))).toBe(true);
      expect(restored.name).toBe(name);
      expect(flz.length).toBeLessThanOrEqual(input.length + HEADER_ALLOWANCE);
    });
  }
  it('a restored photo is a well-filtered PNG: within 10% of the strongest PNG sharp writes of it', async () => {
    for (const name of ['photo-rgb.png', 'photo-300x72.png', 'grey-67x53.png']) {
      const restored = await decompress(await compress(fixture(name)));
      const raw = await sharp(Buffer.from(fixture(name))).raw().toBuffer({ resolveWithObject: true });
      const strongest = await sharp(raw.data, { raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels } }).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
      expect(restored.data.length).toBeLessThanOrEqual(1.1 * strongest.length);
    }
  });

  it('16-bit and alpha images keep their depth and channels', async () => {
    for (const [name, channels, depth] of [['fits-rgb16.png', 3, 16], ['depth-grey16.png', 1, 16], ['rgba-53x31.png', 4, 8], ['grey-alpha-53x31.png', 2, 8]] as const) {
      const c = readContainer(await compress(fixture(name), { forceModel: true }));
      expect(c.kind).toBe('image');
      expect(c.shape[2]).toBe(channels);
      expect(c.dtype).toBe(depth === 16 ? 'uint16' : 'uint8');
    }
  });
});

describe('colour profiles', () => {
  it('an embedded ICC profile is kept and its pixels are not converted', async () => {
    const png = await sharp(Buffer.from(fixture('photo-rgb.png'))).withIccProfile('p3').png().toBuffer();
    const original = await samplesOf(new Uint8Array(png));
    const converted = await sharp(png).raw().toBuffer();
    expect(converted.some((v, i) => v !== original[i])).toBe(true); // sharp's default would convert
    const restored = await decompress(await compress(new Uint8Array(png), { forceModel: true }));
    expect(await samplesOf(restored.data)).toEqual(original);
    expect(Buffer.compare((await sharp(Buffer.from(restored.data)).metadata()).icc!, (await sharp(png).metadata()).icc!)).toBe(0);
  });

  it('a profile is stored compressed where that is shorter (sharp\'s P3 profile: about two thirds of its base64), and a forged one is CORRUPT', async () => {
    const png = await sharp(Buffer.from(fixture('screenshot-320x80.png'))).withIccProfile('p3').png().toBuffer();
    const icc = (await sharp(png).metadata()).icc!;
    const bytes = await compress(new Uint8Array(png));
    const stored = readContainer(bytes).meta.icc as string;
    expect(stored.startsWith('brotli:')).toBe(true);
    expect(stored.length).toBeLessThan(0.75 * Buffer.from(icc).toString('base64').length);
    const restored = await decompress(bytes);
    expect(Buffer.compare((await sharp(Buffer.from(restored.data)).metadata()).icc!, icc)).toBe(0);
    // The same file with a Brotli stream that is not one (header and CRCs rewritten as a forger would).
    const c = readContainer(bytes);
    const forged = writeContainer({ ...c, meta: { ...c.meta, icc: 'brotli:' + Buffer.from('not brotli at all').toString('base64') } });
    await expect(decompress(forged)).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringMatching(/ICC/) });
  });
});

describe('verify', () => {
  it('reports the model cost next to the coded size, with small overhead on non-trivial inputs', async () => {
    for (const name of [...fixtureNames(/\.(png|jpg|npy)$/), 'text.txt']) {
      const r = await verify(fixture(name), { file: name });
      expect(r.file).toBe(name);
      expect(r.codedBits).toBeGreaterThanOrEqual(r.modelBits - 1);
      // The rANS message costs its information content plus a head of at most 48 bits; an image with
      // alpha is two messages (colour, alpha) behind a u32 length.
      const messages = /alpha|rgba/.test(name) ? 2 : 1;
      expect(r.codedBits, name).toBeLessThanOrEqual(r.modelBits * 1.001 + 64 * messages + 32 * (messages - 1));
      // Beyond the fixed route byte and rANS head (<= 56 bits: 0.5% of 11,200 bits), coding costs < 0.5%.
      if (r.modelBits >= 20_000) expect(r.overheadPct).toBeLessThan(0.5);
    }
  });
});

describe('pathological inputs', () => {
  it('pure noise falls back to storage and never grows beyond the header', async () => {
    const r = rng(1);
    const noise = new Uint8Array(64 * 64 * 3).map(() => Math.floor(r() * 256));
    const png = new Uint8Array(await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer());
    const { bytes, report } = await compressWithReport(png);
    expect(report.method).toBe('stored');
    expect(bytes.length).toBeLessThanOrEqual(png.length + HEADER_ALLOWANCE);
    expect(await samplesOf((await decompress(bytes)).data)).toEqual(await samplesOf(png));
    const randomBytes = new Uint8Array(5000).map(() => Math.floor(r() * 256));
    const out = await compress(randomBytes);
    expect(out.length).toBeLessThanOrEqual(randomBytes.length + HEADER_ALLOWANCE);
    expect((await decompress(out)).data).toEqual(randomBytes);
  });

  it('constant images cost almost nothing; extreme contrast still round-trips', async () => {
    const flat = new Uint8Array(await sharp({ create: { width: 300, height: 200, channels: 3, background: '#204080' } }).png().toBuffer());
    const flz = await compress(flat, { forceModel: true });
    expect(flz.length).toBeLessThan(2000);
    expect(await samplesOf((await decompress(flz)).data)).toEqual(await samplesOf(flat));
    const check = new Uint16Array(31 * 29).map((_, i) => ((i % 31) + Math.floor(i / 31)) % 2 ? 65535 : 0);
    const png16 = new Uint8Array(await sharp(check, { raw: { width: 31, height: 29, channels: 1 } }).toColourspace('grey16').png().toBuffer());
    const restored = await decompress(await compress(png16, { forceModel: true }));
    expect(await samplesOf(restored.data)).toEqual(await samplesOf(png16));
  });

  it('arrays at the extremes of every dtype round-trip through the model', async () => {
    for (const dtype of DTYPES) {
      const [lo, hi] = DTYPE_RANGE[dtype];
      // Floats: their order-preserving words, wordsPerElement of them an element.
      const values = Array.from({ length: 257 * wordsPerElement(dtype) }, (_, i) => (i % 3 === 0 ? lo : i % 3 === 1 ? hi : Math.floor((lo + hi) / 2) + i));
      for (const bigEndian of [false, true]) {
        const npy = buildNpy(values, dtype, [257], { bigEndian });
        const flz = await compress(npy, { forceModel: true });
        expect(Buffer.from((await decompress(flz)).data).equals(Buffer.from(npy))).toBe(true);
      }
    }
  });

  it('empty inputs of every kind', async () => {
    for (const input of [new Uint8Array(0), buildNpy([], 'int16', [0]), buildNpy([], 'uint8', [3, 0, 2])]) {
      const flz = await compress(input);
      expect(Buffer.from((await decompress(flz)).data).equals(Buffer.from(input))).toBe(true);
    }
  });
});

describe('fuzz: random arrays of every dtype, shape and order', () => {
  it('round-trips byte-exact', async () => {
    const r = rng(2024);
    for (let trial = 0; trial < 60; trial++) {
      const dtype: DType = DTYPES[trial % DTYPES.length];
      const [lo, hi] = DTYPE_RANGE[dtype];
      const ndim = randomInt(r, 0, 4);
      const shape = Array.from({ length: ndim }, () => randomInt(r, 1, 9));
      const n = shape.reduce((a, b) => a * b, 1) * wordsPerElement(dtype);
      const smooth = r() < 0.5;
      let v = randomInt(r, lo, hi);
      const values = Array.from({ length: n }, () => {
        v = smooth ? Math.min(hi, Math.max(lo, v + randomInt(r, -3, 3))) : randomInt(r, lo, hi);
        return v;
      });
      const npy = buildNpy(values, dtype, shape, { bigEndian: r() < 0.3, fortranOrder: r() < 0.3 });
      const flz = await compress(npy, { forceModel: r() < 0.5 });
      expect(Buffer.from((await decompress(flz)).data).equals(Buffer.from(npy))).toBe(true);
    }
  });
});

describe('extreme shapes and limits (issue 11)', () => {
  it('zero-element arrays with huge other dimensions code and decode at once, valid or forged', async () => {
    for (const shape of [[100000, 100000, 0], [0, 2 ** 31 - 1], [3, 0, 5, 7]]) {
      const npy = buildNpy([], 'int16', shape);
      const started = Date.now();
      const flz = await compress(npy);
      expect(Buffer.from((await decompress(flz)).data).equals(Buffer.from(npy))).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
    }
    // A forged file: zero elements, and the largest dimensions the format allows around the zero.
    const c = readContainer(await compress(buildNpy([], 'uint8', [0])));
    const forged = writeContainer({ ...c, shape: [2 ** 32 - 1, 2 ** 32 - 1, 0], meta: { ...c.meta, npyHeader: undefined } });
    const started = Date.now();
    await decompress(forged).catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('0-d, empty and 9-d .npy files round-trip byte-exact (9-d as bytes: the container holds 8 dimensions)', async () => {
    for (const [values, shape] of [[[7], []], [[], [0]], [Array.from({ length: 512 }, (_, i) => i % 251), new Array(9).fill(2)]] as [number[], number[]][]) {
      const npy = buildNpy(values, 'int32', shape);
      const flz = await compress(npy);
      const back = await decompress(flz);
      expect(Buffer.from(back.data).equals(Buffer.from(npy))).toBe(true);
      if (shape.length === 9) expect(back.kind).toBe('bytes');
    }
  });

  it('declared sizes beyond the limits are LIMIT before anything is allocated; raising the limit decodes', async () => {
    const flz = fixture('photo-rgb.png');
    const coded = await compress(flz);
    await expect(decompress(coded, { maxOutputBytes: 1000 })).rejects.toMatchObject({ code: 'LIMIT' });
    await expect(decompress(coded, { maxPixels: 100 })).rejects.toMatchObject({ code: 'LIMIT' });
    expect((await decompress(coded, { maxOutputBytes: 1 << 20 })).kind).toBe('image');
    // Compressing an image above the pixel limit codes its file as bytes (bounded memory), restored byte-exact.
    const asBytes = await compress(flz, { maxPixels: 100 });
    expect(readContainer(asBytes).kind).toBe('bytes');
    expect(Buffer.from((await decompress(asBytes)).data).equals(Buffer.from(flz))).toBe(true);
  });
});

describe('float arrays (order-preserving integer words)', () => {
  /** A .npy of raw float bits (already in the descr's byte order... or reversed for '>'), as numpy writes it. */
  function floatNpy(bits: Uint8Array, descr: string, shape: number[], fortran = false): Uint8Array {
    const dtype = ({ f2: 'float16', f4: 'float32', f8: 'float64' } as const)[descr.slice(1) as 'f2' | 'f4' | 'f8'];
    const header = npyHeader(dtype, shape, { littleEndian: descr[0] === '<', fortranOrder: fortran });
    const out = new Uint8Array(header.length + bits.length);
    out.set(header);
    out.set(bits, header.length);
    return out;
  }

  it('every bit pattern comes back: NaN payloads, -0, infinities, denormals, in float16/32/64, either byte order', async () => {
    const specials32 = new Uint32Array([0x7fc00001, 0xffc12345, 0x80000000, 0, 0x7f800000, 0xff800000, 1, 0x80000001, 0x3f800000, 0xbf800000]);
    const specials64 = new Uint32Array([0x1, 0x7ff80000, 0xdeadbeef, 0xfff01234, 0, 0x80000000, 0, 0x7ff00000, 1, 0]);
    const specials16 = new Uint16Array([0x7e01, 0xfc00, 0x8000, 0x0001, 0x3c00, 0xfbff]);
    const r = rng(21);
    for (const [words, descr] of [[specials32, '<f4'], [specials64, '<f8'], [specials16, '<f2']] as const) {
      const bytes = new Uint8Array(words.buffer.slice(0));
      for (const order of ['<', '>']) {
        const npy = floatNpy(bytes, order + descr.slice(1), [bytes.length / Number(descr[2])]);
        const back = await decompress(await compress(npy));
        expect(back.kind).toBe('array');
        expect(Buffer.from(back.data).equals(Buffer.from(npy))).toBe(true);
      }
    }
    // A random field of bits, 2-D, Fortran order.
    const noise = new Uint8Array(4 * 30 * 20).map(() => Math.floor(r() * 256));
    const npy = floatNpy(noise, '<f4', [30, 20], true);
    expect(Buffer.from((await decompress(await compress(npy))).data).equals(Buffer.from(npy))).toBe(true);
  });

  it('a smooth float32 and float64 series and field code well below their raw size, within 0.5% of the model bits', async () => {
    for (const [Type, descr] of [[Float32Array, '<f4'], [Float64Array, '<f8']] as const) {
      const series = Type.from({ length: 20000 }, (_, i) => Math.sin(i / 300) * 100 + Math.sin(i / 7) * 0.5);
      const field = Type.from({ length: 120 * 150 }, (_, i) => Math.cos((i % 150) / 40) * Math.sin(Math.floor(i / 150) / 25) * 10);
      for (const [values, shape] of [[series, [20000]], [field, [120, 150]]] as const) {
        const npy = floatNpy(new Uint8Array(values.buffer), descr, [...shape]);
        const { bytes, report } = await compressWithReport(npy);
        expect(report.kind).toBe('array');
        expect(bytes.length).toBeLessThan(0.8 * npy.length);
        expect(Buffer.from((await decompress(bytes)).data).equals(Buffer.from(npy))).toBe(true);
        const v = await verify(npy);
        expect(v.overheadPct).toBeLessThan(0.5);
      }
    }
  });
});
