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

/** Pixels to check: every `step`-th of the first 6 rows, `count` at random, the last row's and column's ends. */
function picksOf(height: number, width: number, step: number, count: number, seed: number): [number, number][] {
  const random = rng(seed);
  const picks: [number, number][] = [];
  for (let y = 0; y < 6; y++) for (let x = 0; x < width; x += step) picks.push([y, x]);
  for (let t = 0; t < count; t++) picks.push([Math.floor(random() * height), Math.floor(random() * width)]);
  picks.push([height - 1, width - 1], [5, width - 1], [5, 0]);
  return picks;
}

/**
 * Coded channel c's features at (y, x) under `context`, from the image as it is and from the image with
 * every sample not coded yet when that one is (it, the pixel's later channels, every later pixel)
 * replaced: what a decoder has and has not decoded. Returns both.
 */
function featuresBeforeAndAfter(image: Awaited<ReturnType<typeof photo>>, y: number, x: number, c: number, context: number) {
  const { values, height, width, channels } = image;
  const features = (samples: Uint8Array) => {
    const planes = createPlanes(samples, height, width, channels);
    fillPlanes(planes);
    const out = new Float64Array(96);
    contextOf(planes, ORDER, y, x, c, out, context);
    return Array.from(out.subarray(0, featureCount(c, context)));
  };
  const changed = values.slice();
  const pixel = (y * width + x) * channels;
  for (let i = pixel; i < changed.length; i++) if (i >= pixel + channels || ORDER.indexOf(i % channels) >= c) changed[i] = 255 - changed[i];
  return { before: features(values), after: features(changed) };
}

/**
 * Interior pixels (4 from the top and the sides): coded channel c's features under `context` are context
 * 1's, then, where `hasFar(c)`, the far window's samples of that channel minus its p0, read straight from
 * the image; p0 is context 1's.
 */
async function expectInteriorFeatures(context: number, hasFar: (c: number) => boolean) {
  const { values, height, width, channels } = await photo();
  const planes = createPlanes(values, height, width, channels);
  fillPlanes(planes);
  const one = new Float64Array(96);
  const wide = new Float64Array(96);
  for (let y = 4; y < height; y += 3)
    for (let x = 4; x + 4 < width; x += 5)
      for (let c = 0; c < 3; c++) {
        const p0 = contextOf(planes, ORDER, y, x, c, one);
        expect(contextOf(planes, ORDER, y, x, c, wide, context)).toBe(p0);
        const n = featureCount(c);
        expect(Array.from(wide.subarray(0, n))).toEqual(Array.from(one.subarray(0, n)));
        if (!hasFar(c)) continue;
        const far = FAR_NEIGHBOURS.map(([dy, dx]) => values[((y + dy) * width + x + dx) * channels + ORDER[c]] - p0);
        expect(Array.from(wide.subarray(n, n + 30))).toEqual(far);
      }
}

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
    await expectInteriorFeatures(2, (c) => c === 0);
  });

  it('every pixel, borders included: the far features read only samples coded before it', async () => {
    const image = await photo();
    for (const [y, x] of picksOf(image.height, image.width, 7, 40, 5)) {
      const { before, after } = featuresBeforeAndAfter(image, y, x, 0, 2);
      expect(after.slice(featureCount(0)), `${y},${x}`).toEqual(before.slice(featureCount(0)));
    }
  });
});

describe('ar context 3: every coded channel its own far window', () => {
  it('30 features more for every channel; the first as context 2', () => {
    for (let c = 0; c < 3; c++) expect(featureCount(c, 3)).toBe(featureCount(c) + 30);
    expect(featureCount(0, 3)).toBe(featureCount(0, 2));
  });

  it("interior: context 1 then the channel's own far samples minus its p0", async () => {
    await expectInteriorFeatures(3, () => true);
  });

  it('every pixel and channel, borders included: the far features read only samples coded before it', async () => {
    const image = await photo();
    for (const [y, x] of picksOf(image.height, image.width, 11, 30, 6))
      for (let c = 0; c < 3; c++) {
        const { before, after } = featuresBeforeAndAfter(image, y, x, c, 3);
        expect(after, `${y},${x},${c}`).toEqual(before);
      }
  });
});
