/**
 * ar at effort 3, routes 18 and 19: every band says in its first decision whether the residual mixer's
 * generation 4 (route 16's) or generation 5 (the sample's row and column parity in its contexts) coded
 * it, and the encoder keeps each band's smaller. A line-doubled image (every other row a copy of the row
 * above, as line-doubled video frames are) is the 2-periodic case the phase is for.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Message, readContainer } from '../codec/index.js';
import { FLOW_MIXTURE_OPINIONS, FLOW_MIXTURE_PHASE, parseArFlow, readArFile } from '../models/ar/model.js';
import { compress, decompress, loadModel } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { fixture } from './helpers.js';

const OPINIONS_DIR = join(new URL('../models/ar/', import.meta.url).pathname, 'photo-opinions');

interface Image {
  samples: Uint8Array;
  layout: { height: number; width: number; channels: number; dtype: 'uint8' };
}

async function imageOf(bytes: Uint8Array): Promise<Image> {
  const im = await decodeImage(bytes);
  if ('unsupported' in im) throw new Error('not decodable');
  const samples = new Uint8Array(im.samples.buffer, im.samples.byteOffset, im.samples.byteLength);
  return { samples, layout: { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' } };
}

/** The photo fixture's first 36 rows, each row twice (300 x 72 RGB). */
async function lineDoubled(): Promise<Image> {
  const photo = await imageOf(fixture('photo-300x72.png'));
  const { width, channels } = photo.layout;
  const row = width * channels;
  const samples = new Uint8Array(72 * row);
  for (let y = 0; y < 72; y++) samples.set(photo.samples.subarray((y >> 1) * row, ((y >> 1) + 1) * row), y * row);
  return { samples, layout: { height: 72, width, channels, dtype: 'uint8' } };
}

/** Bits of route 16's flow and route 18's (which adds the band's flag) on the same image, and route 18 decoded back. */
function bothRoutes({ samples, layout }: Image): { route16: number; route18: number; back: Uint8Array } {
  const flow = parseArFlow(readArFile(OPINIONS_DIR), OPINIONS_DIR);
  const route16 = flow.encode(new Message(1024), samples, layout, undefined, undefined, FLOW_MIXTURE_OPINIONS, false).bits;
  const msg = new Message(1024);
  const route18 = flow.encode(msg, samples, layout, undefined, undefined, FLOW_MIXTURE_PHASE, false).bits;
  const back = new Uint8Array(samples.length);
  flow.decode(Message.unflatten(msg.flatten()), layout, back, undefined, FLOW_MIXTURE_PHASE);
  return { route16, route18, back };
}

describe('ar at effort 3: each band coded by the mixer with or without the sample phase (routes 18 and 19)', () => {
  it('a band keeps the smaller generation: never more than the flag bit over route 16, and back bit-exact', async () => {
    for (const name of ['photo-300x72.png', 'grey-67x53.png', 'retina-levels-102x102.png']) {
      const image = await imageOf(fixture(name));
      const { route16, route18, back } = bothRoutes(image);
      expect(route18).toBeLessThanOrEqual(route16 + 1 + 1e-9);
      expect(Buffer.from(back).equals(Buffer.from(image.samples))).toBe(true);
    }
  });

  it('a line-doubled image: the phase pays (generation 5 chosen), and back bit-exact', async () => {
    const image = await lineDoubled();
    const { route16, route18, back } = bothRoutes(image);
    // (Measured: 4.6% fewer bits; the copied rows are not free, as the centre stays the net's mean.)
    expect(route18).toBeLessThan(0.97 * route16);
    expect(Buffer.from(back).equals(Buffer.from(image.samples))).toBe(true);
  });

  it('files at effort 3 are route 18, smaller than effort 2, and restore without an option', async () => {
    const image = await lineDoubled();
    const { height, width, channels } = image.layout;
    const png = new Uint8Array(await sharp(Buffer.from(image.samples), { raw: { width, height, channels: channels as 3 } }).png().toBuffer());
    const e2 = await compress(png, { effort: 2 });
    const e3 = await compress(png, { effort: 3 });
    expect(readContainer(e3).payload[0]).toBe(18);
    expect(e3.length).toBeLessThan(e2.length);
    const back = await imageOf((await decompress(e3)).data);
    expect(Buffer.from(back.samples).equals(Buffer.from(image.samples))).toBe(true);
  });

  it('a route-18 payload given to a model without second opinions is CORRUPT', async () => {
    const image = await lineDoubled();
    const { payload } = await (await loadModel('ar', 3)).encode(image.samples, image.layout, undefined, { effort: 3, floatBits: false });
    expect(payload[0]).toBe(18);
    const wide6 = await loadModel(join(OPINIONS_DIR, '..', 'photo-wide6'));
    await expect(wide6.decode(payload, image.layout, new Uint8Array(image.samples.length))).rejects.toMatchObject({ code: 'CORRUPT' });
  });
});
