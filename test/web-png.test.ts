/**
 * The browser build decodes PNG with fast-png (web/platform/image.ts), Node with sharp (src/image.ts):
 * a page makes the CLI's .flz only if both give the same samples, channels and depth for every kind of
 * PNG. Hand-made PNGs of every colour type, bit depth, palette, colour key and interlacing go through both.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/image.js';
import { pngChunk } from '../src/image-samples.js';
import { decodeImage as decodeInBrowser } from '../web/platform/image.js';
import { rng } from './helpers.js';

const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** A PNG of random samples (rows unfiltered; Adam7 passes when interlaced). */
function png(width: number, height: number, colourType: number, depth: number, extra: { plte?: number; trns?: number[]; interlace?: boolean } = {}, seed = 1): Uint8Array {
  const r = rng(seed);
  const perPixel = SAMPLES_PER_PIXEL[colourType];
  const maxValue = colourType === 3 ? (extra.plte ?? 1 << depth) - 1 : (1 << depth) - 1;
  const rowsOf = (w: number, h: number) => {
    const rowBytes = Math.ceil((w * perPixel * depth) / 8);
    const out = new Uint8Array(h * (rowBytes + 1));
    for (let y = 0; y < h; y++) {
      for (let i = 0; i < w * perPixel; i++) {
        // Mostly smooth values with some repeats of the colour key, so that keys are hit.
        const v = Math.min(maxValue, Math.floor(r() * (maxValue + 1)));
        const bit = i * depth;
        const at = y * (rowBytes + 1) + 1;
        if (depth === 16) (out[at + 2 * i] = v >> 8), (out[at + 2 * i + 1] = v & 255);
        else if (depth === 8) out[at + i] = v;
        else out[at + (bit >> 3)] |= v << (8 - depth - (bit & 7));
      }
    }
    return out;
  };
  let raw: Uint8Array;
  if (!extra.interlace) raw = rowsOf(width, height);
  else {
    const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
    const parts = passes.map(([x0, y0, dx, dy]) => {
      const w = Math.ceil((width - x0) / dx);
      const h = Math.ceil((height - y0) / dy);
      return w > 0 && h > 0 ? rowsOf(w, h) : new Uint8Array(0);
    });
    raw = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) (raw.set(p, o), (o += p.length));
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([depth, colourType, 0, 0, extra.interlace ? 1 : 0], 8);
  const pieces = [Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10), pngChunk('IHDR', ihdr)];
  if (colourType === 3) {
    const entries = extra.plte ?? 1 << depth;
    pieces.push(pngChunk('PLTE', Uint8Array.from({ length: 3 * entries }, () => Math.floor(r() * 256))));
  }
  if (extra.trns) {
    const t = colourType === 3 ? Uint8Array.from(extra.trns) : new Uint8Array(extra.trns.flatMap((k) => [k >> 8, k & 255]));
    pieces.push(pngChunk('tRNS', t));
  }
  pieces.push(pngChunk('IDAT', new Uint8Array(deflateSync(raw))), pngChunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(pieces.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of pieces) (out.set(p, o), (o += p.length));
  return out;
}

const CASES: [string, Uint8Array][] = [
  ['grey 1-bit', png(19, 7, 0, 1)],
  ['grey 2-bit', png(19, 7, 0, 2)],
  ['grey 4-bit', png(19, 7, 0, 4)],
  ['grey 8-bit', png(19, 7, 0, 8)],
  ['grey 16-bit', png(19, 7, 0, 16)],
  ['grey 2-bit with a colour key', png(19, 7, 0, 2, { trns: [1] })],
  ['grey 8-bit with a colour key', png(19, 7, 0, 8, { trns: [7] })],
  ['RGB 8-bit', png(13, 9, 2, 8)],
  ['RGB 16-bit', png(13, 9, 2, 16)],
  ['RGB 8-bit with a colour key', png(13, 9, 2, 8, { trns: [1, 2, 3] })],
  ['palette 1-bit', png(21, 5, 3, 1)],
  ['palette 4-bit of 11 colours', png(21, 5, 3, 4, { plte: 11 })],
  ['palette 8-bit', png(21, 5, 3, 8)],
  ['palette 8-bit, alpha for the first entries', png(21, 5, 3, 8, { trns: [0, 128, 255, 7] })],
  ['grey+alpha 8-bit', png(11, 6, 4, 8)],
  ['grey+alpha 16-bit', png(11, 6, 4, 16)],
  ['RGBA 8-bit', png(11, 6, 6, 8)],
  ['RGBA 16-bit', png(11, 6, 6, 16)],
  ['RGB 8-bit, Adam7 interlaced', png(13, 11, 2, 8, { interlace: true })],
  ['grey 16-bit, Adam7 interlaced', png(9, 10, 0, 16, { interlace: true })],
];

describe("the page's PNG decoder gives sharp's samples", () => {
  for (const [name, file] of CASES)
    it(name, async () => {
      const node = await decodeImage(file);
      const web = await decodeInBrowser(file);
      if ('unsupported' in node) throw new Error(`sharp: ${node.unsupported}`);
      if ('unsupported' in web) throw new Error(`page: ${web.unsupported}`);
      expect({ channels: web.channels, bitDepth: web.bitDepth, width: web.width, height: web.height }).toEqual({
        channels: node.channels, bitDepth: node.bitDepth, width: node.width, height: node.height,
      });
      expect(Array.from(web.samples)).toEqual(Array.from(node.samples));
    });
});
