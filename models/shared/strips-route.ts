/**
 * Rows that LZ77 or a palette context model codes better than a pixel model (text, flat graphics, the
 * repeated shapes of screenshots and charts): the image is cut into strips of STRIP_ROWS rows, and the
 * strips that Brotli or the context model codes clearly smaller than the inner route's model go into one
 * stream; the inner route (a route of bands) codes the other rows, reading the strip rows as context. A
 * photo with a caption or a web page with pictures gets each part coded by what suits it.
 *
 * Body: the strip map, ceil(S / 8) bytes for S = ceil(height / STRIP_ROWS) strips (bit s & 7 of byte
 * s >> 3 set: strip s leaves the flow; bits past S are 0; at least one is set), the form byte (FORM_*:
 * how the flagged rows' samples are coded, one byte each: 8-bit layouts only), u32 LE byte length of the
 * stream, the stream, then the inner route's body. When no strip gains, the writer writes the
 * inner route under its own id instead (`also`), so photos cost what they did. The writer screens the
 * strips first (repeats, then the palette context model over the screened ones, form 4): strips it codes
 * in under SURE_BITS a sample skip the flow's pricing, the rest are judged against the flow's bits.
 */
import { fail } from '../../codec/index.js';
import { brotli, brotliWindow, unbrotliUpTo } from './brotli.js';
import { decodePaletteRows, encodePaletteRows, firstUseIndices } from './palette-context.js';
import type { Route } from './routes.js';
import type { SampleArray, SampleLayout } from './types.js';

/** Rows per strip (part of the format). */
export const STRIP_ROWS = 16;
/** A strip leaves the model when Brotli's quality-5 size or the context model's bits are below this share of what the model coded it in. */
const STRIP_GAIN = 0.8;
/** Quality 1 (~7 ms a megabyte) screens the strips first: above this share of the model's size, no chance. */
const STRIP_HOPELESS = 2;
/**
 * Before any Brotli, a strip needs this share of pixels that repeat a neighbour exactly (W, N, NW, NE,
 * WW or NN, every channel): what LZ77 lives on. Photo rows rarely have it (noise: 2-20% on a 1 MP
 * photo), text and graphics rows mostly do; the others cost no Brotli call (~1 ms a strip).
 */
const STRIP_MIN_REPEATS = 0.25;
/** A strip the context model codes in fewer bits a sample than this goes to it without the flow's price (the flow never beat it below 1.25 on 22 screenshots and charts). */
const SURE_BITS = 0.5;
/** The context model's stream below this share of Brotli's quality 5 skips quality 11 (it never gains that much). */
const STRONGEST_GAIN = 0.8;

/**
 * The share of the pixels of two rows of y0..y1-1 (a quarter and three quarters in: an estimate) equal
 * to one of their causal neighbours, each pixel compared as one number.
 */
function repeatShare(data: SampleArray, layout: SampleLayout, y0: number, y1: number, keys: Float64Array[]): number {
  const { width, channels } = layout;
  // Too narrow to sample: Brotli decides.
  if (width < 5) return 1;
  let repeats = 0;
  let seen = 0;
  for (const y of new Set([Math.min(y1 - 1, y0 + (STRIP_ROWS >> 2)), Math.min(y1 - 1, y0 + 3 * (STRIP_ROWS >> 2))])) {
    if (y < 2) continue;
    for (let r = 0; r < 3; r++) {
      const row = keys[r];
      const i0 = (y - r) * width * channels;
      if (channels === 3) for (let x = 0, i = i0; x < width; x++, i += 3) row[x] = data[i] * 65536 + data[i + 1] * 256 + data[i + 2];
      else if (channels === 1) for (let x = 0; x < width; x++) row[x] = data[i0 + x];
      else
        for (let x = 0, i = i0; x < width; x++, i += channels) {
          let k = data[i];
          for (let c = 1; c < channels; c++) k = k * 256 + data[i + c];
          row[x] = k;
        }
    }
    const [here, up, up2] = keys;
    seen += width - 4;
    for (let x = 2; x + 2 < width; x++) {
      const k = here[x];
      if (k === here[x - 1] || k === up[x] || k === up[x - 1] || k === up[x + 1] || k === here[x - 2] || k === up2[x]) repeats++;
    }
  }
  return seen > 0 ? repeats / seen : 1;
}

function stripCount(layout: SampleLayout): number {
  return Math.ceil(layout.height / STRIP_ROWS);
}

/** knownRows[y] = 1 for the rows of flagged strips. */
function rowsOfMap(map: Uint8Array, layout: SampleLayout): Uint8Array {
  const rows = new Uint8Array(layout.height);
  for (let y = 0; y < layout.height; y++) rows[y] = (map[(y / STRIP_ROWS / 8) | 0] >> ((y / STRIP_ROWS) & 7)) & 1;
  return rows;
}

/** How many rows `rows` marks. */
function countRows(rows: Uint8Array): number {
  let count = 0;
  for (const r of rows) count += r;
  return count;
}

/** The samples of the rows marked in `rows`, in raster order, one byte each. */
function gatherRows(data: SampleArray, layout: SampleLayout, rows: Uint8Array): Uint8Array {
  const rowSamples = layout.width * layout.channels;
  const out = new Uint8Array(countRows(rows) * rowSamples);
  for (let y = 0, o = 0; y < layout.height; y++)
    if (rows[y] === 1) {
      for (let i = y * rowSamples, end = i + rowSamples; i < end; i++) out[o++] = data[i];
    }
  return out;
}

/** gatherRows undone: `samples` back into the rows marked in `rows` of `out`. */
function scatterRows(samples: Uint8Array, layout: SampleLayout, rows: Uint8Array, out: SampleArray): void {
  const rowSamples = layout.width * layout.channels;
  for (let y = 0, o = 0; y < layout.height; y++)
    if (rows[y] === 1) {
      for (let i = y * rowSamples, end = i + rowSamples; i < end; i++) out[i] = samples[o++];
    }
}

/** The strips worth a look: their rows (1 = in a strip that passes the repeat screen) and the context model's bits for each of their pixels (in order). */
interface Screened {
  rows: Uint8Array;
  /** Per pixel of the screened rows; undefined when they hold more colours than the context model codes. */
  contextBits?: Float32Array;
  /** The context model's stream of all the screened rows. */
  modelled?: Uint8Array;
}

/** The strips that pass the repeat screen, and what the context model codes them in (one pass over them, in order), or undefined. */
function screenStrips(data: SampleArray, layout: SampleLayout): Screened | undefined {
  const keys = [0, 1, 2].map(() => new Float64Array(layout.width));
  const rows = new Uint8Array(layout.height);
  for (let s = 0; s < stripCount(layout); s++) {
    const y0 = s * STRIP_ROWS;
    const y1 = Math.min(layout.height, y0 + STRIP_ROWS);
    if (repeatShare(data, layout, y0, y1, keys) >= STRIP_MIN_REPEATS) rows.fill(1, y0, y1);
  }
  const count = countRows(rows);
  if (count === 0) return undefined;
  const contextBits = new Float32Array(count * layout.width);
  const modelled = encodePaletteRows(gatherRows(data, layout, rows), layout.channels, layout.width, contextBits);
  return { rows, contextBits: modelled && contextBits, modelled: modelled?.bytes };
}

/** The context model's bits for each strip of the screened rows (NaN for the others). */
function contextBitsByStrip(screened: Screened, layout: SampleLayout): Float64Array {
  const bits = new Float64Array(stripCount(layout)).fill(NaN);
  if (!screened.contextBits) return bits;
  for (let s = 0, at = 0; s < bits.length; s++) {
    const y0 = s * STRIP_ROWS;
    const y1 = Math.min(layout.height, y0 + STRIP_ROWS);
    if (screened.rows[y0] === 0) continue;
    let sum = 0;
    for (const end = at + (y1 - y0) * layout.width; at < end; at++) sum += screened.contextBits[at];
    bits[s] = sum;
  }
  return bits;
}

/** The strip map of `sure` strips and the screened strips that Brotli or the context model codes clearly smaller than the flow did (`pixelBits`); all zero when none. */
async function chooseStrips(data: SampleArray, layout: SampleLayout, screened: Screened, contextBits: Float64Array, sure: Uint8Array, pixelBits: Float32Array): Promise<Uint8Array> {
  const map = new Uint8Array(Math.ceil(stripCount(layout) / 8));
  const rowSamples = layout.width * layout.channels;
  // One strip at a time: a Brotli coder holds megabytes while it runs.
  for (let s = 0; s < contextBits.length; s++) {
    const y0 = s * STRIP_ROWS;
    const y1 = Math.min(layout.height, y0 + STRIP_ROWS);
    if (screened.rows[y0] === 0) continue;
    let gains = sure[y0] === 1;
    if (!gains) {
      let modelBits = 0;
      for (let i = y0 * layout.width; i < y1 * layout.width; i++) modelBits += pixelBits[i];
      gains = contextBits[s] < STRIP_GAIN * modelBits;
      if (!gains) {
        const raw = Uint8Array.from(data.subarray(y0 * rowSamples, y1 * rowSamples));
        gains = 8 * (await brotli(raw, 1, brotliWindow(raw.length))).length <= STRIP_HOPELESS * modelBits && 8 * (await brotli(raw, 5, brotliWindow(raw.length))).length <= STRIP_GAIN * modelBits;
      }
    }
    if (gains) map[s >> 3] |= 1 << (s & 7);
  }
  return map;
}

/**
 * How the Brotli rows' samples are laid out before Brotli (the byte after the strip map): as in the image
 * (pixel by pixel), channel by channel, or as a palette (K - 1 in one byte, the K colours in order of
 * first use, `channels` bytes each, then one index byte per pixel) when the rows have at most 256 colours,
 * or a wide palette (K - 1 in two bytes, high first; the colours most frequent first; two index bytes per
 * pixel, high first) for 257 to 65536 colours.
 */
export const FORM_INTERLEAVED = 0;
export const FORM_PLANAR = 1;
export const FORM_PALETTE = 2;
export const FORM_WIDE_PALETTE = 3;
/** Not Brotli: palette indices under a context model of their neighbours (models/shared/palette-context.ts). */
export const FORM_CONTEXT = 4;

/** Index bytes and most colours of the palette forms. */
const PALETTE_FORMS = { [FORM_PALETTE]: { bytes: 1, most: 256 }, [FORM_WIDE_PALETTE]: { bytes: 2, most: 65536 } } as Record<number, { bytes: number; most: number }>;

/** The rows' samples (interleaved) in `form`, or undefined when the form does not apply. */
export function packRows(rows: Uint8Array, channels: number, form: number): Uint8Array | undefined {
  const pixels = rows.length / channels;
  if (form === FORM_INTERLEAVED) return rows;
  if (form === FORM_PLANAR) {
    if (channels === 1) return undefined;
    const out = new Uint8Array(rows.length);
    for (let k = 0; k < channels; k++) for (let i = 0; i < pixels; i++) out[k * pixels + i] = rows[i * channels + k];
    return out;
  }
  const { bytes, most } = PALETTE_FORMS[form];
  const palette = firstUseIndices(rows, channels, most);
  if (!palette) return undefined;
  const { indices: first, firstPixel: colourAt } = palette;
  const counts = new Array<number>(colourAt.length).fill(0);
  for (let i = 0; i < pixels; i++) counts[first[i]]++;
  // The narrow palette keeps the order of first use; a wide one puts frequent colours first (small high bytes).
  if (bytes === 2 && colourAt.length <= 256) return undefined;
  const order = Array.from(counts.keys());
  if (bytes === 2) order.sort((x, y) => counts[y] - counts[x] || x - y);
  const rank = new Uint32Array(order.length);
  order.forEach((at, r) => (rank[at] = r));
  const table = bytes + order.length * channels;
  const out = new Uint8Array(table + bytes * pixels);
  const count = order.length - 1;
  if (bytes === 2) out[0] = count >> 8;
  out[bytes - 1] = count & 255;
  order.forEach((at, r) => out.set(rows.subarray(colourAt[at] * channels, colourAt[at] * channels + channels), bytes + r * channels));
  for (let i = 0; i < pixels; i++) {
    const r = rank[first[i]];
    if (bytes === 2) out[table + 2 * i] = r >> 8;
    out[table + bytes * i + bytes - 1] = r & 255;
  }
  return out;
}

/** Most bytes a packed form of `pixels` pixels expands to (a palette's table on top of its indices). */
function packedLimit(pixels: number, channels: number, form: number): number {
  const palette = PALETTE_FORMS[form];
  return palette ? palette.bytes + palette.most * channels + palette.bytes * pixels : pixels * channels;
}

/** The interleaved samples of a packed form (CORRUPT when it does not hold exactly `pixels` pixels). */
export function unpackRows(packed: Uint8Array, channels: number, pixels: number, form: number): Uint8Array {
  if (form === FORM_INTERLEAVED) return packed;
  const out = new Uint8Array(pixels * channels);
  if (form === FORM_PLANAR) {
    for (let k = 0; k < channels; k++) for (let i = 0; i < pixels; i++) out[i * channels + k] = packed[k * pixels + i];
    return out;
  }
  const { bytes } = PALETTE_FORMS[form];
  if (packed.length < bytes) fail('CORRUPT', 'the Brotli rows\' palette does not match their size');
  const colours = (bytes === 2 ? packed[0] * 256 + packed[1] : packed[0]) + 1;
  const base = bytes + colours * channels;
  if (packed.length !== base + bytes * pixels) fail('CORRUPT', 'the Brotli rows\' palette does not match their size');
  for (let i = 0; i < pixels; i++) {
    const at = bytes === 2 ? packed[base + 2 * i] * 256 + packed[base + 2 * i + 1] : packed[base + i];
    if (at >= colours) fail('CORRUPT', 'a palette index past the palette');
    for (let k = 0; k < channels; k++) out[i * channels + k] = packed[bytes + at * channels + k];
  }
  return out;
}

/**
 * The rows' stream: the palette context model (FORM_CONTEXT; `modelled`: its stream when already coded),
 * or the form whose fast Brotli is smallest, then Brotli at its strongest on it, whichever is smaller.
 */
async function packedStream(rows: Uint8Array, channels: number, width: number, modelled?: Uint8Array): Promise<{ form: number; stream: Uint8Array }> {
  modelled ??= encodePaletteRows(rows, channels, width)?.bytes;
  let best: { form: number; packed: Uint8Array; size: number } | undefined;
  for (const form of [FORM_INTERLEAVED, FORM_PLANAR, FORM_PALETTE, FORM_WIDE_PALETTE]) {
    const packed = packRows(rows, channels, form);
    if (!packed) continue;
    const size = (await brotli(packed, 5, brotliWindow(packed.length))).length;
    if (!best || size < best.size) best = { form, packed, size };
  }
  // Quality 11 gains 5-15% on quality 5: no chance against a context model this far ahead.
  if (modelled && modelled.length < STRONGEST_GAIN * best!.size) return { form: FORM_CONTEXT, stream: modelled };
  // Quality 11 at any size: these rows passed the fast screens, so they are the kind it codes fast.
  const stream = await brotli(best!.packed, 11);
  return modelled && modelled.length < stream.length ? { form: FORM_CONTEXT, stream: modelled } : { form: best!.form, stream };
}

function bodySize(body: Uint8Array[]): number {
  return body.reduce((a, p) => a + p.length, 0);
}

/**
 * The rows a strips body (no route byte) takes from the flow, as its map declares them (0 when the body
 * is too short to hold the map): those rows' samples may cost next to nothing, so the decoder's check of
 * the payload's size before allocating counts only the others (strip rows are bounded by the limits, as
 * Brotli files are).
 */
export function stripRowsOf(body: Uint8Array, layout: SampleLayout): number {
  const mapBytes = Math.ceil(stripCount(layout) / 8);
  return body.length < mapBytes ? 0 : countRows(rowsOfMap(body.subarray(0, mapBytes), layout));
}

/** `inner` with strips of rows for Brotli or the palette context model where they gain (route `id`); 8-bit layouts; `inner` must take known rows. */
export function stripsRoute(id: number, inner: Route): Route {
  return {
    id,
    also: [inner, ...(inner.also ?? [])],
    older: inner.older,
    async encode(data, layout, progress, pixelBits, floatBits) {
      const screened = screenStrips(data, layout);
      const contextBits = screened && contextBitsByStrip(screened, layout);
      // Strips the context model codes in under SURE_BITS a sample leave the flow unpriced: it never came
      // near there (measured), and pricing them is most of a screenshot's coding time.
      const sure = new Uint8Array(layout.height);
      if (contextBits)
        contextBits.forEach((bits, s) => {
          const y0 = s * STRIP_ROWS;
          const y1 = Math.min(layout.height, y0 + STRIP_ROWS);
          if (bits < SURE_BITS * (y1 - y0) * layout.width * layout.channels) sure.fill(1, y0, y1);
        });
      const anySure = sure.includes(1);
      const plainBits = new Float32Array(layout.height * layout.width);
      const plain = await inner.encode(data, layout, progress, plainBits, floatBits, anySure ? sure : undefined);
      const plainResult = () => (pixelBits?.set(plainBits), { ...plain, id: plain.id ?? inner.id });
      if (!screened) return plainResult();
      const map = await chooseStrips(data, layout, screened, contextBits!, sure, plainBits);
      const knownRows = rowsOfMap(map, layout);
      if (!knownRows.includes(1)) return plainResult();
      const allScreened = knownRows.every((r, y) => r === screened.rows[y]);
      const restBits = pixelBits && new Float32Array(pixelBits.length);
      // No strip besides the sure ones: the first pass coded exactly the other rows.
      const firstPassFits = anySure && knownRows.every((r, y) => r === sure[y]);
      if (firstPassFits) restBits?.set(plainBits);
      // The strip rows' coder (Brotli on libuv's threads) and the flow's second pass (on this thread and the part workers) at once.
      const [{ form, stream }, rest] = await Promise.all([
        packedStream(gatherRows(data, layout, knownRows), layout.channels, layout.width, allScreened ? screened.modelled : undefined),
        firstPassFits ? plain : inner.encode(data, layout, undefined, restBits, floatBits, knownRows),
      ]);
      const head = new Uint8Array(5);
      head[0] = form;
      new DataView(head.buffer).setUint32(1, stream.length, true);
      const body = [map, head, stream, ...rest.body];
      // Route 5 as it is (the first pass without sure strips) when that is no larger: photos keep their bytes.
      if (!anySure && bodySize(body) >= bodySize(plain.body)) return plainResult();
      // The strip rows' bytes count as coded bits (the flow's likelihood does not cover them), spread evenly over their pixels.
      const stripBits = 8 * (map.length + head.length + stream.length);
      const stripRows = countRows(knownRows);
      if (pixelBits) {
        pixelBits.set(restBits!);
        for (let y = 0; y < layout.height; y++) if (knownRows[y] === 1) pixelBits.fill(stripBits / (stripRows * layout.width), y * layout.width, (y + 1) * layout.width);
      }
      const stripCoder = form === FORM_CONTEXT ? 'palette context model' : 'Brotli';
      return { body, modelBits: rest.modelBits + stripBits, floatBits: rest.floatBits === undefined ? undefined : rest.floatBits + stripBits, details: { stripRows, stripBits, stripCoder } };
    },
    async decode(body, layout, out, progress) {
      const strips = stripCount(layout);
      const mapBytes = Math.ceil(strips / 8);
      if (body.length < mapBytes + 5) fail('CORRUPT', 'payload ends inside the strip map');
      const map = body.subarray(0, mapBytes);
      if (strips % 8 !== 0 && map[mapBytes - 1] >> (strips % 8) !== 0) fail('CORRUPT', 'strip map marks strips past the image');
      const knownRows = rowsOfMap(map, layout);
      if (!knownRows.includes(1)) fail('CORRUPT', 'strip map marks no strip');
      const form = body[mapBytes];
      if (form > FORM_CONTEXT) fail('CORRUPT', `strip rows in an unknown form (${form})`);
      const length = new DataView(body.buffer, body.byteOffset + mapBytes + 1, 4).getUint32(0, true);
      const start = mapBytes + 5;
      if (start + length > body.length) fail('CORRUPT', 'strip rows run past the payload');
      const pixels = countRows(knownRows) * layout.width;
      const stream = body.subarray(start, start + length);
      if (form === FORM_CONTEXT) scatterRows(decodePaletteRows(stream, pixels, layout.channels, layout.width), layout, knownRows, out);
      else {
        const packed = unbrotliUpTo(stream, packedLimit(pixels, layout.channels, form), PALETTE_FORMS[form] ? undefined : pixels * layout.channels);
        scatterRows(unpackRows(packed, layout.channels, pixels, form), layout, knownRows, out);
      }
      await inner.decode(body.subarray(start + length), layout, out, progress, knownRows);
    },
  };
}
