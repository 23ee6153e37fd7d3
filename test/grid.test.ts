/**
 * The 'grid' model: integer arrays of 2+ dimensions coded by a predictor and binary contexts adapted
 * while coding. Round trips over dtypes x layouts, the rate against its own -log2 p, adaptation both
 * sides must follow, the settings the encoder chooses (sentinel, matches, palette) doing their job, and
 * malformed payloads failing cleanly.
 */
import { describe, expect, it } from 'vitest';
import { FlowzipError, buildNpy, compressArchive, compressWithReport, decodeImage, decompress, decompressArchive, loadModel, readContainer, verify } from '../src/index.js';
import { writeContainer } from '../codec/index.js';
import { CHUNK_SAMPLES, GRID_PARAMS, gridRoute } from '../models/grid/model.js';
import { DTYPE_RANGE } from '../src/npy.js';
import type { DType } from '../codec/index.js';
import { fixture, rng } from './helpers.js';

const INTEGER_DTYPES: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32'];

/** A smooth surface with noise, scaled into the dtype's range, with its extremes at a few places. */
function surface(count: number, dtype: DType, seed: number): number[] {
  const [lo, hi] = DTYPE_RANGE[dtype];
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    if (i % 101 === 0) return lo;
    if (i % 103 === 0) return hi;
    const t = 0.5 + 0.4 * Math.sin(i / 37) * Math.cos(i / 1234);
    return Math.min(hi, Math.max(lo, Math.floor(lo + (hi - lo) * t + (r() - 0.5) * 8)));
  });
}

/** A depth-sensor-like frame: planes with noise, holes of 0 (invalid) in blobs. */
function depthLike(height: number, width: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const hole = Math.sin(x / 13) * Math.cos(y / 11) > 0.55;
      out.push(hole ? 0 : Math.round(2000 + 3 * x + 2 * y + (x > width / 2 ? 400 : 0) + (r() - 0.5) * 4));
    }
  }
  return out;
}

async function roundTrip(npy: Uint8Array): Promise<{ bytes: Uint8Array; model: string }> {
  const { bytes, report } = await compressWithReport(npy, { model: 'grid', forceModel: true });
  expect(Buffer.from((await decompress(bytes)).data).equals(Buffer.from(npy))).toBe(true);
  return { bytes, model: report.model };
}

describe('grid model', () => {
  it('round-trips every integer dtype in every layout, byte-exact', async () => {
    const shapes: number[][] = [
      [37, 29], // 2-D
      [5, 12, 9], // stack of planes
      [17, 13, 3], // channels last
      [2, 3, 6, 7], // 4-D
      [1, 40, 30], // length-1 leading axis
      [30, 1, 40], // length-1 middle axis
      [40, 30, 1], // length-1 channel axis
      [2, 2], // smallest grid
    ];
    let seed = 1;
    for (const dtype of INTEGER_DTYPES) {
      for (const shape of shapes) {
        const count = shape.reduce((a, b) => a * b, 1);
        const values = surface(count, dtype, seed++);
        await roundTrip(buildNpy(values, dtype, shape));
        await roundTrip(buildNpy(values, dtype, shape, { fortranOrder: true }));
      }
    }
  });

  it('round-trips float arrays (as order-preserving words) and arrays spanning several chunks', async () => {
    const r = rng(4);
    const field = Array.from({ length: 64 * 48 }, (_, i) => Math.sin((i % 64) / 9) * Math.cos(Math.floor(i / 64) / 7) + r() * 1e-3);
    for (const dtype of ['float32', 'float64'] as const) await roundTrip(buildNpy(field, dtype, [48, 64]));
    const big = surface(CHUNK_SAMPLES * 2 + 777, 'int16', 9);
    await roundTrip(buildNpy(big, 'int16', [big.length / 7, 7 * 1]));
    const wide = depthLike(300, 300, 3);
    expect(wide.length).toBeGreaterThan(CHUNK_SAMPLES);
    await roundTrip(buildNpy(wide, 'uint16', [300, 300]));
  });

  it('codes within 0.5% of its own -log2 p on non-trivial arrays', async () => {
    for (const npy of [buildNpy(depthLike(120, 160, 5), 'uint16', [120, 160]), buildNpy(surface(150 * 150, 'int16', 6), 'int16', [150, 150])]) {
      const v = await verify(npy, { model: 'grid' });
      expect(v.modelBits).toBeGreaterThan(10_000);
      expect(v.overheadPct).toBeLessThan(0.5);
    }
  });

  it('adaptation is part of the bitstream: a decoder that adapts differently does not get the array back', async () => {
    const data = Uint16Array.from(depthLike(60, 80, 7));
    const layout = { height: 60, width: 80, channels: 1, dtype: 'uint16' as const };
    const coded = await gridRoute(GRID_PARAMS).encode(data, layout);
    const body = concat(coded.body);
    const same = new Uint16Array(data.length);
    await gridRoute(GRID_PARAMS).decode(body, layout, same);
    expect(same).toEqual(data);
    for (const params of [{ ...GRID_PARAMS, lmsStep: GRID_PARAMS.lmsStep + 1 }, { ...GRID_PARAMS, rateLimit: GRID_PARAMS.rateLimit - 1 }]) {
      const other = new Uint16Array(data.length);
      // Either the decisions stop making sense (CORRUPT) or they rebuild another array: never this one.
      const decoded = await gridRoute(params)
        .decode(body, layout, other)
        .then(
          () => true,
          (e) => (expect(e).toBeInstanceOf(FlowzipError), false),
        );
      if (decoded) expect(other).not.toEqual(data);
    }
  });

  it('invalid pixels, quantized levels and stacks of small images cost far less than under the baseline', async () => {
    const r = rng(8);
    // Depth frame with holes (the sentinel flag).
    const depth = buildNpy(depthLike(96, 128, 11), 'uint16', [96, 128]);
    // Values on a coarse lattice, 2 x 2 upsampled (matches, palette).
    const lattice = Array.from({ length: 96 * 128 }, (_, i) => {
      const y = Math.floor(i / 128) >> 1;
      const x = (i % 128) >> 1;
      return 1000 + 187 * Math.round(4 * Math.sin(x / 9) + 3 * Math.cos(y / 7) + (((x * 7919 + y * 104729) % 13) / 13 - 0.5));
    });
    const upsampled = buildNpy(lattice, 'uint16', [96, 128]);
    // A stack of small images sharing a layout (per-position statistics).
    const stack = Array.from({ length: 300 * 64 }, (_, i) => {
      const y = (i >> 3) & 7;
      const x = i & 7;
      return x === 0 || x === 7 || y === 0 ? 0 : Math.min(16, Math.max(0, Math.round(8 + 6 * Math.sin(x + y) + (r() - 0.5) * 4)));
    });
    const digits = buildNpy(stack, 'uint8', [300, 8, 8]);
    for (const [npy, factor] of [
      [depth, 0.8],
      [upsampled, 0.6],
      [digits, 0.9],
    ] as const) {
      const grid = await compressWithReport(npy, { model: 'grid', forceModel: true });
      const base = await compressWithReport(npy, { model: 'baseline', forceModel: true });
      expect(grid.bytes.length).toBeLessThan(factor * base.bytes.length);
      // And the library picks it when no model is asked for.
      expect((await compressWithReport(npy)).report.model).toBe('grid');
    }
  });

  it('rejects malformed payloads with a FlowzipError, never a crash or a hang', async () => {
    const data = Uint16Array.from(depthLike(40, 50, 13));
    const layout = { height: 40, width: 50, channels: 1, dtype: 'uint16' as const };
    const model = await loadModel('grid');
    const { payload } = await model.encode(data, layout);
    const r = rng(14);
    for (let k = 0; k < 200; k++) {
      const forged = payload.slice(0, k % 3 === 0 ? Math.floor(r() * payload.length) : payload.length);
      if (k % 3 !== 0) forged[Math.floor(r() * forged.length)] ^= 1 << Math.floor(r() * 8);
      const out = new Uint16Array(data.length);
      await model.decode(forged, layout, out).then(
        () => undefined,
        (e) => expect(e).toBeInstanceOf(FlowzipError),
      );
    }
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('array members of archives', () => {
  it('take the model that codes them smallest alone, name it, and come back byte-exact', async () => {
    const names = ['depth-uint16.npy', 'dem-int16.npy', 'ecg-uint16.npy', 'text.txt'];
    const inputs = names.map((name) => ({ name, bytes: fixture(name) }));
    const chosen = await compressArchive(inputs);
    const chainOnly = await compressArchive(inputs, { model: 'ar' });
    expect(chosen.bytes.length).toBeLessThan(chainOnly.bytes.length);
    const records = readContainer(chosen.bytes).meta.members as { name: string; method: string; model?: string; modelHash?: string }[];
    expect(records.find((m) => m.name === 'depth-uint16.npy')).toMatchObject({ method: 'payload', model: 'grid' });
    expect(records.find((m) => m.name === 'ecg-uint16.npy')).toMatchObject({ method: 'payload', model: 'signal' });
    const { members } = await decompressArchive(chosen.bytes);
    members.forEach((m, i) => expect(Buffer.from(m.data).equals(Buffer.from(inputs[i].bytes))).toBe(true));
    // A member naming another model's hash, or a path, is refused.
    const c = readContainer(chosen.bytes);
    const forged = (edit: (m: Record<string, unknown>) => void) => {
      const list = structuredClone(c.meta.members) as Record<string, unknown>[];
      edit(list[0]);
      return writeContainer({ ...c, meta: { ...c.meta, members: list } });
    };
    const codeOf = (bytes: Uint8Array) => decompressArchive(bytes).then(() => 'ok', (e: FlowzipError) => e.code);
    expect(await codeOf(forged((m) => (m.modelHash = '0123456789abcdef')))).toBe('MODEL_MISMATCH');
    expect(await codeOf(forged((m) => (m.model = './models/ar/photo')))).toBe('UNKNOWN_MODEL');
    expect(await codeOf(forged((m) => delete m.modelHash))).toBe('CORRUPT');
  });
});

describe('images the default model does not code itself', () => {
  it('in archives too: alpha and 16-bit members take grid when it beats the chain, pixel-exact', async () => {
    const names = ['depth-grey16.png', 'fits-rgb16.png', 'photo-rgb.png'];
    const { bytes } = await compressArchive(names.map((name) => ({ name, bytes: fixture(name) })));
    const records = readContainer(bytes).meta.members as { name: string; method: string; model?: string }[];
    expect(records.map((m) => m.model)).toEqual(['grid', 'grid', undefined]);
    const { members } = await decompressArchive(bytes);
    for (const [i, m] of members.entries()) {
      const [a, b] = [await decodeImage(fixture(names[i])), await decodeImage(m.data)];
      expect('samples' in a && 'samples' in b && Buffer.from(a.samples.buffer).equals(Buffer.from(b.samples.buffer))).toBe(true);
    }
  });

  it('alpha and 16-bit images also try grid, keep the smaller file and restore pixel-exact; 8-bit photos stay with ar', async () => {
    for (const name of ['rgba-53x31.png', 'grey-alpha-53x31.png', 'fits-rgb16.png', 'depth-grey16.png', 'photo-rgb.png']) {
      const png = fixture(name);
      const chosen = await compressWithReport(png);
      const ar = await compressWithReport(png, { model: 'ar', forceModel: true });
      const grid = await compressWithReport(png, { model: 'grid', forceModel: true });
      expect(chosen.bytes.length).toBe(name === 'photo-rgb.png' ? ar.bytes.length : Math.min(ar.bytes.length, grid.bytes.length));
      // 16-bit images are ar's baseline route: grid codes them smaller.
      if (/16/.test(name)) expect(chosen.report.model).toBe('grid');
      if (name === 'photo-rgb.png') expect(chosen.report.model).toBe('ar');
      const back = await decompress(chosen.bytes);
      const [a, b] = [await decodeImage(png), await decodeImage(back.data)];
      expect('samples' in a && 'samples' in b && Buffer.from(a.samples.buffer).equals(Buffer.from(b.samples.buffer))).toBe(true);
    }
  });
});
