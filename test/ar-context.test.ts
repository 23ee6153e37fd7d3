/**
 * The ar nets' causal context (models/ar/context.ts): context 2's far window for the first coded channel,
 * context 3's for every coded channel. On a real photo, every feature of every pixel depends only on
 * samples coded before it (changing the sample itself and everything after it changes nothing), and in
 * the interior contexts 2 and 3 are context 1's features followed by the far window's samples of the
 * coded channel minus its p0, read straight from the image.
 */
import { describe, expect, it } from 'vitest';
import { FAR_NEIGHBOURS, NEIGHBOURS, contextOf, createPlanes, featureCount, fillPlanes } from '../models/ar/context.js';
import { decodeImage } from '../src/image.js';
import { fixture, rng } from './helpers.js';

async function photo() {
  const im = await decodeImage(fixture('photo-300x72.png'));
  if ('unsupported' in im) throw new Error('fixture not decodable');
  return { values: new Uint8Array(im.samples), height: im.height, width: im.width, channels: im.channels };
}

const ORDER = [1, 0, 2];

describe('ar context 2: the far window', () => {
  it('30 distinct causal offsets within 4 rows and columns, none of them a context-1 neighbour', () => {
    expect(FAR_NEIGHBOURS.length).toBe(30);
    const key = ([dy, dx]: readonly [number, number]) => `${dy},${dx}`;
    expect(new Set(FAR_NEIGHBOURS.map(key)).size).toBe(30);
    for (const [dy, dx] of FAR_NEIGHBOURS) {
      expect(dy < 0 || (dy === 0 && dx < 0)).toBe(true);
      expect(Math.max(-dy, Math.abs(dx))).toBeLessThanOrEqual(4);
    }
    const near = new Set(NEIGHBOURS.map(key));
    expect(FAR_NEIGHBOURS.some((o) => near.has(key(o)))).toBe(false);
    expect(featureCount(0, 2)).toBe(featureCount(0) + 30);
    expect([featureCount(1, 2), featureCount(2, 2)]).toEqual([featureCount(1), featureCount(2)]);
  });

  it('interior: context 1 then the far samples minus p0; other channels as context 1', async () => {
    const { values, height, width, channels } = await photo();
    const planes = createPlanes(values, height, width, channels);
    fillPlanes(planes);
    const one = new Float64Array(64);
    const two = new Float64Array(64);
    for (let y = 4; y < height; y += 3)
      for (let x = 4; x + 4 < width; x += 5) {
        for (let c = 0; c < 3; c++) {
          const p0 = contextOf(planes, ORDER, y, x, c, one);
          expect(contextOf(planes, ORDER, y, x, c, two, 2)).toBe(p0);
          const n = featureCount(c);
          expect(Array.from(two.subarray(0, n))).toEqual(Array.from(one.subarray(0, n)));
          if (c > 0) continue;
          const far = FAR_NEIGHBOURS.map(([dy, dx]) => values[((y + dy) * width + x + dx) * channels + ORDER[0]] - p0);
          expect(Array.from(two.subarray(n, n + 30))).toEqual(far);
        }
      }
  });

  it('every pixel, borders included: the far features read only samples coded before it', async () => {
    const { values, height, width, channels } = await photo();
    const random = rng(5);
    const before = new Float64Array(64);
    const after = new Float64Array(64);
    const picks: [number, number][] = [];
    for (let y = 0; y < 6; y++) for (let x = 0; x < width; x += 7) picks.push([y, x]);
    for (let t = 0; t < 40; t++) picks.push([Math.floor(random() * height), Math.floor(random() * width)]);
    picks.push([height - 1, width - 1], [5, width - 1], [5, 0]);
    for (const [y, x] of picks) {
      const planes = createPlanes(values, height, width, channels);
      fillPlanes(planes);
      contextOf(planes, ORDER, y, x, 0, before, 2);
      // Every sample from (y, x) on replaced: what a decoder has not decoded yet.
      const changed = values.slice();
      for (let i = (y * width + x) * channels; i < changed.length; i++) changed[i] = 255 - changed[i];
      const other = createPlanes(changed, height, width, channels);
      fillPlanes(other);
      contextOf(other, ORDER, y, x, 0, after, 2);
      expect(Array.from(after.subarray(featureCount(0), featureCount(0, 2))), `${y},${x}`).toEqual(Array.from(before.subarray(featureCount(0), featureCount(0, 2))));
    }
  });
});

describe('ar context 3: every coded channel its own far window', () => {
  it('30 features more for every channel; the first as context 2', () => {
    for (let c = 0; c < 3; c++) expect(featureCount(c, 3)).toBe(featureCount(c) + 30);
    expect(featureCount(0, 3)).toBe(featureCount(0, 2));
  });

  it("interior: context 1 then the channel's own far samples minus its p0", async () => {
    const { values, height, width, channels } = await photo();
    const planes = createPlanes(values, height, width, channels);
    fillPlanes(planes);
    const one = new Float64Array(96);
    const three = new Float64Array(96);
    for (let y = 4; y < height; y += 3)
      for (let x = 4; x + 4 < width; x += 5)
        for (let c = 0; c < 3; c++) {
          const p0 = contextOf(planes, ORDER, y, x, c, one);
          expect(contextOf(planes, ORDER, y, x, c, three, 3)).toBe(p0);
          const n = featureCount(c);
          expect(Array.from(three.subarray(0, n))).toEqual(Array.from(one.subarray(0, n)));
          const far = FAR_NEIGHBOURS.map(([dy, dx]) => values[((y + dy) * width + x + dx) * channels + ORDER[c]] - p0);
          expect(Array.from(three.subarray(n, n + 30))).toEqual(far);
        }
  });

  it('every pixel and channel, borders included: the far features read only samples coded before it', async () => {
    const { values, height, width, channels } = await photo();
    const random = rng(6);
    const before = new Float64Array(96);
    const after = new Float64Array(96);
    const picks: [number, number][] = [];
    for (let y = 0; y < 6; y++) for (let x = 0; x < width; x += 11) picks.push([y, x]);
    for (let t = 0; t < 30; t++) picks.push([Math.floor(random() * height), Math.floor(random() * width)]);
    picks.push([height - 1, width - 1], [5, width - 1], [5, 0]);
    for (const [y, x] of picks)
      for (let c = 0; c < 3; c++) {
        const planes = createPlanes(values, height, width, channels);
        fillPlanes(planes);
        contextOf(planes, ORDER, y, x, c, before, 3);
        // This channel's sample and everything after it replaced (the earlier channels of this pixel are coded).
        const changed = values.slice();
        for (let i = (y * width + x) * channels + ORDER[c]; i < changed.length; i++) if (i >= (y * width + x + 1) * channels || ORDER.indexOf(i % channels) >= c) changed[i] = 255 - changed[i];
        const other = createPlanes(changed, height, width, channels);
        fillPlanes(other);
        contextOf(other, ORDER, y, x, c, after, 3);
        expect(Array.from(after.subarray(0, featureCount(c, 3))), `${y},${x},${c}`).toEqual(Array.from(before.subarray(0, featureCount(c, 3))));
      }
  });
});
