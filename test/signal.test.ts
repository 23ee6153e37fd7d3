/**
 * The 'signal' model: 1-D integer signals through a cascade of sign-sign LMS stages adapted while
 * coding. Round trips over dtypes and extremes, rate against its own -log2 p, adaptation that both sides
 * must follow step by step, and the library choosing it for signals.
 */
import { describe, expect, it } from 'vitest';
import { Message } from '../codec/index.js';
import { buildNpy, compressWithReport, decompress, loadModel, verify } from '../src/index.js';
import { SIGNAL_PARAMS, signalCoder } from '../models/signal/model.js';
import { loadBaselineTables } from '../models/shared/baseline-tables.js';
import { DTYPE_RANGE } from '../src/npy.js';
import { rng } from './helpers.js';

/** A speech-like signal: a few drifting tones and noise. */
function speechLike(n: number, seed: number, amplitude = 6000): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, (_, i) => Math.round(amplitude * (Math.sin(i / 9) * Math.sin(i / 900) + 0.3 * Math.sin(i / 3.3)) + 40 * (r() - 0.5)));
}

describe('signal model', () => {
  it('round-trips every 16- and 32-bit dtype at its extremes and in between, byte-exact', async () => {
    const r = rng(5);
    for (const dtype of ['int16', 'uint16', 'int32', 'uint32'] as const) {
      const [lo, hi] = DTYPE_RANGE[dtype];
      const values = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? lo : i % 89 === 0 ? hi : Math.floor(lo + (hi - lo) * (0.5 + 0.4 * Math.sin(i / 50)) + (r() - 0.5) * 20)));
      const npy = buildNpy(values, dtype, [values.length]);
      const { bytes, report } = await compressWithReport(npy, { model: 'signal', forceModel: true });
      expect(report.model).toBe('signal');
      expect(Buffer.from((await decompress(bytes)).data).equals(Buffer.from(npy))).toBe(true);
    }
  });

  it('codes within 0.5% of its own -log2 p, and well below the baseline on a speech-like signal', async () => {
    const npy = buildNpy(speechLike(40000, 3), 'int16', [40000]);
    const v = await verify(npy, { model: 'signal' });
    expect(v.overheadPct).toBeLessThan(0.5);
    const base = await verify(npy, { model: 'baseline' });
    expect(v.bitsPerDim).toBeLessThan(0.8 * base.bitsPerDim);
  });

  it('adaptation is part of the bitstream: a decoder whose LMS steps differ does not get the signal back', async () => {
    const tables = loadBaselineTables();
    const data = speechLike(5000, 9);
    const layout = { height: 1, width: data.length, channels: 1, dtype: 'int16' as const };
    const msg = new Message();
    await signalCoder(tables).push(msg, data, layout);
    const payload = msg.flatten();
    const same = new Int32Array(data.length);
    await signalCoder(tables).pop(Message.unflatten(payload), layout, same);
    expect(same).toEqual(data);
    const other = new Int32Array(data.length);
    // Either the residuals stop making sense (CORRUPT) or they rebuild another signal: never this one.
    const decoded = await Promise.resolve(signalCoder(tables, { ...SIGNAL_PARAMS, mu: SIGNAL_PARAMS.mu + 1 }).pop(Message.unflatten(payload), layout, other)).then(
      () => true,
      () => false,
    );
    if (decoded) expect(other).not.toEqual(data);
  });

  it('N x C arrays are C signals coded together: byte-exact, and well below the baseline', async () => {
    const n = 20000;
    const left = speechLike(n, 6);
    const r = rng(7);
    for (const channels of [2, 12]) {
      // Correlated channels, as stereo audio or ECG leads: mixtures of one source, each with its own noise.
      const values = Array.from({ length: n * channels }, (_, i) => Math.round(left[Math.floor(i / channels)] * (1 - 0.05 * (i % channels)) + 30 * (r() - 0.5)));
      const npy = buildNpy(values, 'int16', [n, channels]);
      const { bytes, report } = await compressWithReport(npy, { model: 'signal', forceModel: true });
      expect(report.model).toBe('signal');
      expect(Buffer.from((await decompress(bytes)).data).equals(Buffer.from(npy))).toBe(true);
      const base = await compressWithReport(npy, { model: 'baseline', forceModel: true });
      expect(bytes.length).toBeLessThan(0.85 * base.bytes.length);
    }
  });

  it('the library picks it for 1-D signals when it is smaller, and another model for 2-D arrays', async () => {
    const signal = await compressWithReport(buildNpy(speechLike(20000, 4), 'int16', [20000]));
    expect(signal.report.model).toBe('signal');
    const image = await compressWithReport(buildNpy(Array.from({ length: 64 * 64 }, (_, i) => (i * 7) % 4000), 'uint16', [64, 64]));
    expect(image.report.model).not.toBe('signal');
    expect((await loadModel('signal')).codes?.({ height: 1, width: 100, channels: 1, dtype: 'uint8' })).toBe(false);
  });
});
