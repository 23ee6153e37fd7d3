/**
 * A blank page large enough that its file is smaller than samples x the model's fewest bits a sample: the
 * decoder's size check before allocating must count only the rows the flow codes (Brotli's rows of ar's
 * route 6 can cost next to nothing). Slow tier: 18M samples through the flow's first pass.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { compress, decompress, loadModel, setTileThreads } from '../src/index.js';
import { readContainer } from '../codec/index.js';

describe('strips route: size checks', () => {
  it('a 3000 x 2000 blank RGB page: a file of ~130 bytes that decodes (it was refused as BAD_SHAPE)', { timeout: 300_000 }, async () => {
    setTileThreads(2);
    try {
      const png = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#ffffff' } }).png().toBuffer();
      const flz = await compress(png);
      const c = readContainer(flz);
      const ar = await loadModel('ar');
      // The premise: the whole shape at the model's fewest bits a sample would not fit this payload.
      expect(2000 * 3000 * 3 * ar.minBitsPerSample).toBeGreaterThan(8 * c.payload.length + 64);
      expect(c.payload[0]).toBe(6);
      const back = await decompress(flz);
      expect(back.kind).toBe('image');
    } finally {
      setTileThreads(1);
    }
  });
});
