/**
 * The autoregressive flow's two-logistic mixture (models/ar/mixture.ts, format route 5): the coded
 * cumulative frequencies against exact integer arithmetic, and a tiny mixture model's round trips and rate.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../codec/index.js';
import { ArFlow, FLOW_ADAPTIVE_MEAN, createArModel, type ArModelFile } from '../models/ar/model.js';
import { MIX_ONE, MIX_PRECISION, Mixture, mixWeight } from '../models/ar/mixture.js';
import { trainAr } from '../models/ar/train/train.js';
import { loadPriorTables, PRIOR_SCALE_COUNT, QUARTERS } from '../models/shared/prior-tables.js';
import { decodeImage } from '../src/image.js';
import { FIXTURES, fixture, randomInt, rng } from './helpers.js';

/** F(x) by BigInt arithmetic straight from the definition (docs/format.md, route 5). */
function referenceCdf(cumA: Uint32Array, kA: number, baseA: number, cumB: Uint32Array, kB: number, baseB: number, w: number, x: number): bigint {
  const c = (cum: Uint32Array, k: number, base: number, v: number) => {
    // Mass of residual symbols r = value - base in [-k, k] with value in [0, v).
    let m = 0n;
    for (let value = 0; value < v; value++) {
      const r = value - base;
      if (r >= -k && r <= k) m += BigInt(cum[r + k + 1] - cum[r + k]);
    }
    return m;
  };
  const d = (v: number) => BigInt(w) * c(cumA, kA, baseA, v) + BigInt(MIX_ONE - w) * c(cumB, kB, baseB, v);
  const total = d(256);
  if (total === 0n) return BigInt(x) * 2n ** BigInt(MIX_PRECISION - 8);
  return BigInt(x) + (d(x) * (2n ** BigInt(MIX_PRECISION) - 256n)) / total;
}

describe('autoregressive flow: mixture of two logistics', () => {
  const tables = loadPriorTables().tables;

  it('F matches exact integer arithmetic, sums to 2^precision, gives every value at least 1, and find inverts it', () => {
    const r = rng(17);
    const mix = new Mixture();
    for (let trial = 0; trial < 60; trial++) {
      const a = tables[randomInt(r, 0, PRIOR_SCALE_COUNT * QUARTERS - 1)];
      const b = tables[randomInt(r, 0, PRIOR_SCALE_COUNT * QUARTERS - 1)];
      // Bases inside, near and far outside 0..255 (a component may not reach the range at all).
      const base = () => (trial % 5 === 4 ? randomInt(r, -2000, 2300) : randomInt(r, -40, 295));
      const baseA = base();
      const baseB = base();
      const w = trial % 7 === 0 ? mixWeight(trial % 2 ? 1000 : -1000) : randomInt(r, 1, MIX_ONE - 1);
      mix.set(a, baseA, b, baseB, w);
      expect(mix.cdf(0)).toBe(0);
      expect(mix.cdf(256)).toBe(2 ** MIX_PRECISION);
      for (let x = 0; x < 256; x++) {
        const f = mix.cdf(x);
        if (x % 17 === 0 || x === 255) expect(BigInt(f)).toBe(referenceCdf(a.table.cum, a.halfWidth, baseA, b.table.cum, b.halfWidth, baseB, w, x));
        expect(mix.cdf(x + 1) - f).toBeGreaterThanOrEqual(1);
        const guess = randomInt(r, -300, 600);
        expect(mix.find(f, guess)).toBe(x);
        expect([mix.start, mix.end]).toEqual([f, mix.cdf(x + 1)]);
        expect(mix.find(mix.cdf(x + 1) - 1, guess)).toBe(x);
        expect([mix.start, mix.end]).toEqual([f, mix.cdf(x + 1)]);
      }
    }
  });

  it('weights come from the frozen table: 1..MIX_ONE-1, rising with the logit, clamped outside +-64', () => {
    let last = 0;
    for (let i = -64; i <= 64; i++) {
      expect(mixWeight(i)).toBeGreaterThanOrEqual(last);
      last = mixWeight(i);
    }
    expect(mixWeight(-1000)).toBe(1);
    expect(mixWeight(1000)).toBe(MIX_ONE - 1);
    expect(mixWeight(0)).toBe(MIX_ONE / 2);
  });
});

describe('autoregressive flow: a tiny mixture model', () => {
  let dir: string;
  let file: ArModelFile;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowzip-ar-mix-'));
    file = await trainAr({
      data: [FIXTURES + 'photo-rgb.png', FIXTURES + 'rgb-37x29.png', FIXTURES + 'grey-67x53.png'],
      out: dir,
      steps: 40,
      samplesPerImage: 3000,
      hidden: [8, 8],
      batch: 256,
      mixture: true,
    });
  }, 120_000);

  it('model.json says mixture 2 and its nets have 5 outputs', () => {
    expect(file.mixture).toBe(2);
    for (const net of file.nets) expect(net.layers[net.layers.length - 1].outputs).toBe(5);
  });

  for (const name of ['photo-rgb.png', 'rgb-37x29.png', 'grey-67x53.png', 'rgb-1x1.png', 'grey-1x37.png']) {
    it(`${name}: round trip empties the message; size within 0.5% of -log2 p; float bits near the integer bits`, async () => {
      for (const adaptScale of [false, true]) {
        const flow = new ArFlow({ ...file, adaptScale }, loadPriorTables());
        const im = await decodeImage(fixture(name));
        if ('unsupported' in im) throw new Error(im.unsupported);
        const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
        const msg = new Message(64);
        const { bits, floatBits } = flow.encode(msg, im.samples, layout);
        const payload = msg.flatten();
        expect(8 * payload.length).toBeLessThanOrEqual(bits * 1.005 + 64);
        if (im.samples.length > 1000) expect(Math.abs(bits - floatBits) / floatBits).toBeLessThan(0.03);
        const back = Message.unflatten(payload);
        const out = new Uint8Array(im.samples.length);
        flow.decode(back, layout, out);
        expect(back.isEmpty()).toBe(true);
        expect(Buffer.from(out).equals(Buffer.from(im.samples as Uint8Array))).toBe(true);
      }
    });
  }

  it('files get route 5; a single-logistic loop refuses the mixture model; route 4 under this model is CORRUPT', async () => {
    const model = createArModel(dir);
    const im = await decodeImage(fixture('photo-rgb.png'));
    if ('unsupported' in im) throw new Error(im.unsupported);
    const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
    const coded = await model.encode(im.samples, layout);
    expect(coded.payload[0]).toBe(5);
    const out = new Uint8Array(im.samples.length);
    await model.decode(coded.payload, layout, out);
    expect(Buffer.from(out).equals(Buffer.from(im.samples as Uint8Array))).toBe(true);
    const flow = new ArFlow(file, loadPriorTables());
    expect(() => flow.encode(new Message(64), im.samples, layout, undefined, undefined, FLOW_ADAPTIVE_MEAN)).toThrow(expect.objectContaining({ code: 'CORRUPT' }));
    const asRoute4 = coded.payload.slice();
    asRoute4[0] = 4;
    await expect(model.decode(asRoute4, layout, out)).rejects.toMatchObject({ code: 'CORRUPT' });
  });

  it('rejects a mixture of another size, and 5-output nets without the mixture flag', () => {
    expect(() => new ArFlow({ ...file, mixture: 3 }, loadPriorTables())).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
    expect(() => new ArFlow({ ...file, mixture: undefined }, loadPriorTables())).toThrow(expect.objectContaining({ code: 'MODEL_MISMATCH' }));
  });
});
