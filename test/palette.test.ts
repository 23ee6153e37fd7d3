/** The 'palette' model: arrays with few distinct values coded as ranks among them. */
import { describe, expect, it } from 'vitest';
import { buildNpy, compressWithReport, decompress, loadModel } from '../src/index.js';
import { DTYPE_RANGE } from '../src/npy.js';
import { rng } from './helpers.js';

describe('palette model', () => {
  it('round-trips gapped, negative and extreme values of every 16- and 32-bit dtype, and data without a palette', async () => {
    const r = rng(8);
    for (const dtype of ['int16', 'uint16', 'int32', 'uint32'] as const) {
      const [lo, hi] = DTYPE_RANGE[dtype];
      const levels = [lo, hi, Math.floor((lo + hi) / 2), lo + 7, hi - 1000];
      const gapped = Array.from({ length: 40 * 30 }, (_, i) => levels[(Math.floor(i / 30) + (i % 30 > 15 ? 1 : 0) + (r() < 0.05 ? 2 : 0)) % levels.length]);
      const dense = Array.from({ length: 40 * 30 }, (_, i) => Math.floor((lo + hi) / 2) + (i % 500));
      for (const values of [gapped, dense]) {
        const npy = buildNpy(values, dtype, [40, 30]);
        const { bytes, report } = await compressWithReport(npy, { model: 'palette', forceModel: true });
        expect(report.model).toBe('palette');
        expect(Buffer.from((await decompress(bytes)).data).equals(Buffer.from(npy))).toBe(true);
      }
    }
  });

  it('the library picks it for quantized data, well below the default alone', async () => {
    const r = rng(3);
    // A smooth field quantized to levels 37 apart with an offset: what scans and fixed-point sensors give.
    const values = Array.from({ length: 96 * 80 }, (_, i) => 1000 + 37 * Math.round(20 + 15 * Math.sin((i % 80) / 9) * Math.cos(Math.floor(i / 80) / 11) + r()));
    const npy = buildNpy(values, 'uint16', [96, 80]);
    const chosen = await compressWithReport(npy);
    const plain = await compressWithReport(npy, { model: 'ar' });
    expect(chosen.report.model).toBe('palette');
    expect(chosen.bytes.length).toBeLessThan(0.8 * plain.bytes.length);
  });

  it('a rank outside the palette, or a palette beyond its payload, is CORRUPT', async () => {
    const model = await loadModel('palette');
    const layout = { height: 4, width: 4, channels: 1, dtype: 'uint16' as const };
    const data = Uint16Array.from({ length: 16 }, (_, i) => (i % 2 ? 5000 : 9));
    const { payload } = await model.encode(data, layout);
    expect(payload[1]).toBe(2); // two values in the palette
    const shrunk = payload.slice();
    shrunk[1] = 1; // one value: the rank 1 of half the samples falls outside
    await expect(model.decode(shrunk, layout, new Uint16Array(16))).rejects.toMatchObject({ code: 'CORRUPT' });
    const huge = payload.slice();
    huge[3] = 0xff;
    await expect(model.decode(huge, layout, new Uint16Array(16))).rejects.toMatchObject({ code: 'CORRUPT' });
  });
});
