/**
 * A context model over palette indices, for the rows of screenshots, text and charts: each pixel's colour
 * is coded as binary decisions under contexts of its causal neighbours' colours, as the two-dimensional
 * context models of bilevel and palette image coders (JBIG, and the MA trees of JPEG XL's modular mode) do.
 * Text repeats glyph shapes: the exact colours of six neighbours predict a pixel better than LZ77 on rows.
 *
 * Per pixel, in raster order over the rows given:
 *   candidates  the distinct colours of W, N, NW, NE, WW, NN (that order, the ones inside the rows),
 *               and the match's colour (the colour that followed the last occurrence of the pixel's
 *               ten-neighbour context, followed pixel by pixel while it predicts right, as LZ77 follows
 *               a match): "is it candidate k?" for k = 0, 1, ... until a yes;
 *   new colour  else "is it the next colour of the palette?" (the palette is in order of first use, so a
 *               new colour's index is implied);
 *   index       else its index, MSB first over bitLength(colours - 1) bits (a binary tree).
 * Every decision reads four contexts (each a slow and a fast probability), mixed in the logistic domain
 * and refined by a secondary estimate (`Decisions`): for the candidates and the new colour, the six
 * neighbours' colours hashed, four neighbours' hashed, W's and N's hashed, and the neighbours' equality
 * pattern; for the index bits, the tree's node with four neighbours' colours, with W's, with N's, alone;
 * for a new colour's samples, the node with how far the channel before moved, with W's and with N's
 * sample, alone. Hashes are 32-bit integer arithmetic (Math.imul), so encoder and decoder index the same
 * tables everywhere. The match's candidate reads its length instead of W's and N's colours. Measured on
 * the bench's graphics set (whole images): 20-40% below Brotli at quality 11 on text and screenshots;
 * the fourth context and the secondary estimate took 3.4% off, the match 11% more (27% on a terminal).
 *
 * Stream: one rANS message per CHUNK_PIXELS pixels (u32 byte lengths of all but the last, then the
 * messages); the model's state carries over from chunk to chunk, chunks only bound the encoder's memory.
 */
import { Message, fail } from '../../codec/index.js';
import { AdaptiveBits, COST, ONE, P_MIN, STRETCH, pointsAt, squash, squashPoints, SQUASH_ROW } from './adaptive-bits.js';
import { bitLength } from './baseline-coder.js';
import { knownPartsHeader, splitKnownParts } from './framing.js';
import type { OptionalRoute } from './routes.js';

/** Pixels per rANS message. */
const CHUNK_PIXELS = 1 << 16;
/** Most colours the model codes (the index tree's depth stays within 16). */
export const CONTEXT_MAX_COLOURS = 1 << 16;
/** Decision slots: candidates 0..5, then "new colour". */
const CANDIDATES = 6;
const NEW_SLOT = CANDIDATES;
const SLOTS = CANDIDATES + 1;
/** Equality patterns of the neighbours (6 bits) per slot and number of candidates. */
const PATTERN_BASE = 0;
const PATTERN_CONTEXTS = 64 * SLOTS * (CANDIDATES + 1);
/** A new colour's samples: per channel (up to 4), how far the channel before moved (16), tree node (256); per channel alone. */
const COLOUR_BASE = PATTERN_BASE + PATTERN_CONTEXTS;
/** Then the hashed tables: six neighbours' colours (2^sixBits entries), four neighbours' (half as many). */
/** The match's candidate: its length (16) and whether it is W's, N's colour (4). */
const MATCH_BASE = COLOUR_BASE + (4 * 16 + 4) * 256;
const HASHED_BASE = MATCH_BASE + 16 * 4;
/** Mixers, and as many secondary estimates: per slot and pattern; per index tree depth; per colour channel; per match length. */
const TREE_MIXER_BASE = SLOTS * 64;
const COLOUR_MIXER_BASE = TREE_MIXER_BASE + 16;
const MATCH_MIXER_BASE = COLOUR_MIXER_BASE + 4;
const MIXERS = MATCH_MIXER_BASE + 16;

/** Bits of the six-neighbour table's index: about eight times the pixels, 2^16 to 2^22 entries (8 bytes each; fewer collisions pay, measured). */
function sixBitsFor(pixels: number): number {
  return Math.min(22, Math.max(16, bitLength(pixels) + 3));
}

/** The adaptation rate stops slowing down at 1 / (RATE_LIMIT + 2). */
const RATE_LIMIT = 250;

/** A 32-bit hash of a few colours (each -1 for outside the rows) and a salt, top `bits` bits. */
function hash(salt: number, a: number, b: number, c: number, d: number, e: number, f: number, bits: number): number {
  let h = Math.imul(salt + 0x3c6ef372, 0x9e3779b1);
  h = Math.imul(h ^ (a + 1), 0x85ebca6b);
  h = Math.imul(h ^ (b + 1), 0xc2b2ae35);
  h = Math.imul(h ^ (c + 1), 0x27d4eb2f);
  h = Math.imul(h ^ (d + 1), 0x165667b1);
  h = Math.imul(h ^ (e + 1), 0x9e3779b1);
  h = Math.imul(h ^ (f + 1), 0x85ebca6b);
  h ^= h >>> 15;
  return (Math.imul(h, 0x2545f491) >>> (32 - bits));
}

/** Inputs of a decision: four contexts, each slow and fast. */
const INPUTS = 8;
/** The fast twins' rate stops slowing down at 1 / (FAST_LIMIT + 2). */
const FAST_LIMIT = 20;
/** Mixer weights: unit 2^16, learning rate 1 / MIX_DIV. */
const MIX_DIV = 1024;
/** Secondary estimation: 33 points over the mixer's logit per SSE context, each moving 1 / 2^SSE_SHIFT of the way. */
const SSE_POINTS = SQUASH_ROW;
const SSE_SHIFT = 6;

/** `grid`'s adaptation rule (adaptive-bits.ts `adapt`) on a packed state p + 65536 n. */
function learn(state: Int32Array, at: number, bit: number, limit: number): void {
  const v = state[at];
  const p = v & 0xffff;
  const n = v >>> 16;
  let next = p + Math.trunc(((bit ? ONE : 0) - p) / (n + 2));
  if (next < P_MIN) next = P_MIN;
  else if (next > ONE - P_MIN) next = ONE - P_MIN;
  state[at] = next + (n < limit ? n + 1 : n) * 65536;
}

/**
 * Binary decisions under four contexts each: their probabilities (slow and fast) mixed in the logistic
 * domain by weights learned per mixer context, then refined by a secondary estimate per SSE context
 * (the same context as the mixer's, interpolated over the mixed logit): p = (mixed + refined) / 2; all
 * of it learns from every bit. Integers only (doubles hold integers below 2^53).
 */
class Decisions {
  /** Per context, side by side (one cache line): slow then fast, each p + 65536 n (p of a 1 in 2^-16, n times seen up to its limit). */
  private readonly state: Int32Array;
  private readonly weights: Float64Array;
  private readonly sse: Int32Array;
  private readonly inputs = new Float64Array(INPUTS);

  constructor(contexts: number, mixers: number) {
    this.state = new Int32Array(2 * contexts).fill(ONE >> 1);
    this.weights = new Float64Array(INPUTS * mixers).fill(Math.floor(65536 / INPUTS));
    this.sse = squashPoints(mixers);
  }

  code(bits: AdaptiveBits, a: number, b: number, c: number, d: number, mixer: number, bit: number): number {
    const { state, inputs, weights, sse } = this;
    inputs[0] = STRETCH[(state[2 * a] & 0xffff) >> 4];
    inputs[1] = STRETCH[(state[2 * b] & 0xffff) >> 4];
    inputs[2] = STRETCH[(state[2 * c] & 0xffff) >> 4];
    inputs[3] = STRETCH[(state[2 * d] & 0xffff) >> 4];
    inputs[4] = STRETCH[(state[2 * a + 1] & 0xffff) >> 4];
    inputs[5] = STRETCH[(state[2 * b + 1] & 0xffff) >> 4];
    inputs[6] = STRETCH[(state[2 * c + 1] & 0xffff) >> 4];
    inputs[7] = STRETCH[(state[2 * d + 1] & 0xffff) >> 4];
    const m = INPUTS * mixer;
    let acc = 0;
    for (let k = 0; k < INPUTS; k++) acc += weights[m + k] * inputs[k];
    let dot = Math.floor(acc / 65536);
    if (dot < -2047) dot = -2047;
    else if (dot > 2047) dot = 2047;
    const p12 = squash(dot);
    const at = mixer * SSE_POINTS + ((dot + 2048) >> 7);
    const f = (dot + 2048) & 127;
    const refined = pointsAt(sse, at, f);
    let p = (p12 * 16 + 8 + refined) >> 1;
    if (p < P_MIN) p = P_MIN;
    else if (p > ONE - P_MIN) p = ONE - P_MIN;
    bit = bits.codeUnder(p, bit);
    const err = (bit ? 4096 : 0) - p12;
    for (let k = 0; k < INPUTS; k++) weights[m + k] += Math.floor((inputs[k] * err) / MIX_DIV);
    const near = at + (f >> 6);
    sse[near] += ((bit ? ONE - 1 : 0) - sse[near]) >> SSE_SHIFT;
    learn(state, 2 * a, bit, RATE_LIMIT);
    learn(state, 2 * b, bit, RATE_LIMIT);
    learn(state, 2 * c, bit, RATE_LIMIT);
    learn(state, 2 * d, bit, RATE_LIMIT);
    learn(state, 2 * a + 1, bit, FAST_LIMIT);
    learn(state, 2 * b + 1, bit, FAST_LIMIT);
    learn(state, 2 * c + 1, bit, FAST_LIMIT);
    learn(state, 2 * d + 1, bit, FAST_LIMIT);
    return bit;
  }
}

/**
 * A new colour's sample of channel c, predicted from its left neighbour's colour (the one above in the
 * first column): the same sample, moved for c > 0 by what the channel before moved from the neighbour's
 * (grey text stays grey, an anti-aliased edge moves every channel alike).
 */
function colourPrediction(table: Uint8Array, channels: number, here: number, left: number, c: number): number {
  if (left < 0) return 0;
  const w = table[left * channels + c];
  if (c === 0) return w;
  const p = w + table[here * channels + c - 1] - table[left * channels + c - 1];
  return p < 0 ? 0 : p > 255 ? 255 : p;
}

/** `cands` with v appended when it is a colour (>= 0) not already there; returns the new count. */
function addCandidate(cands: Int32Array, count: number, v: number): number {
  if (v < 0) return count;
  for (let k = 0; k < count; k++) if (cands[k] === v) return count;
  cands[count] = v;
  return count + 1;
}

/**
 * One pass, the same for both directions: encoding (`indices` and `table` filled, `messages` undefined)
 * returns the chunks and the model's bits; decoding (`messages` given) fills `indices` and `table`,
 * checking every index.
 */
function run(indices: Uint32Array, table: Uint8Array, channels: number, width: number, colours: number, messages: Uint8Array[] | undefined, pixelBits?: Float32Array): { chunks: Uint8Array[]; bits: number } {
  const pixels = indices.length;
  const SIX_BITS = sixBitsFor(pixels);
  const FOUR_BITS = SIX_BITS - 1;
  const SIX_BASE = HASHED_BASE;
  const FOUR_BASE = SIX_BASE + 2 ** SIX_BITS;
  const sixMask = 2 ** SIX_BITS - 1;
  const fourMask = 2 ** FOUR_BITS - 1;
  const bits = new AdaptiveBits(0, 0, RATE_LIMIT);
  const model = new Decisions(FOUR_BASE + 2 ** FOUR_BITS, MIXERS);
  const chunks: Uint8Array[] = [];
  const depth = bitLength(colours - 1);
  const cands = new Int32Array(CANDIDATES);
  let seen = 0;
  let chunk = 0;
  let before = 0;
  // The match model's table: each ten-neighbour context's last pixel + 1 (0: not seen), as many as the six-neighbour table.
  const matchBits = SIX_BITS;
  const matchTable = new Int32Array(2 ** matchBits);
  let matchAt = -1;
  let matchLength = 0;
  if (messages) bits.msg = Message.unflatten(messages[0]);
  for (let i = 0; i < pixels; i++) {
    if (i > 0 && i % CHUNK_PIXELS === 0) {
      if (!messages) chunks.push(bits.flushChunk());
      else {
        if (!bits.msg!.isEmpty()) fail('CORRUPT', 'a palette chunk does not end where its pixels do');
        bits.msg = Message.unflatten(messages[++chunk]);
      }
    }
    const x = i % width;
    const W = x > 0 ? indices[i - 1] : -1;
    const N = i >= width ? indices[i - width] : -1;
    const NW = x > 0 && i >= width ? indices[i - width - 1] : -1;
    const NE = x + 1 < width && i >= width ? indices[i - width + 1] : -1;
    const WW = x > 1 ? indices[i - 2] : -1;
    const NN = i >= 2 * width ? indices[i - 2 * width] : -1;
    const pattern = (W === N ? 1 : 0) | (W === NW ? 2 : 0) | (N === NW ? 4 : 0) | (N === NE ? 8 : 0) | (W === WW ? 16 : 0) | (N === NN ? 32 : 0);
    let count = 0;
    count = addCandidate(cands, count, W);
    count = addCandidate(cands, count, N);
    count = addCandidate(cands, count, NW);
    count = addCandidate(cands, count, NE);
    count = addCandidate(cands, count, WW);
    count = addCandidate(cands, count, NN);
    // The slots' contexts of one neighbourhood lie side by side (one cache line).
    const sixHash = hash(0, W, N, NW, NE, WW, NN, SIX_BITS);
    const fourHash = hash(16, W, N, NW, NE, -2, -2, FOUR_BITS);
    const twoHash = hash(24, W, N, -2, -2, -2, -2, FOUR_BITS);
    const value = messages ? -1 : indices[i];
    let found = -1;
    // The match: the colour that followed this ten-neighbour context last time, followed pixel by pixel
    // while it keeps predicting right (text repeats glyphs, tables repeat cells).
    const NNE = x + 1 < width && i >= 2 * width ? indices[i - 2 * width + 1] : -1;
    const NWW = x > 1 && i >= width ? indices[i - width - 2] : -1;
    const NEE = x + 2 < width && i >= width ? indices[i - width + 2] : -1;
    const WWW = x > 2 ? indices[i - 3] : -1;
    const key = (hash(40, W, N, NW, NE, WW, NN, 32) ^ hash(41, NNE, NWW, NEE, WWW, -2, -2, 32)) >>> (32 - matchBits);
    if (matchLength === 0) matchAt = matchTable[key] - 1;
    const predicted = matchAt >= 0 ? indices[matchAt] : -1;
    // Its colour joins the candidates when no neighbour has it (last; in the last place when they are full).
    if (predicted >= 0) {
      let at = 0;
      while (at < count && cands[at] !== predicted) at++;
      if (at === count) {
        if (count < CANDIDATES) count++;
        cands[count - 1] = predicted;
      }
    }
    const length = matchLength < 15 ? matchLength : 15;
    for (let k = 0; k < count; k++) {
      const six = SIX_BASE + ((sixHash + k) & sixMask);
      const four = FOUR_BASE + ((fourHash + k) & fourMask);
      const matched = cands[k] === predicted;
      const two = matched ? MATCH_BASE + length * 4 + (predicted === W ? 1 : 0) + (predicted === N ? 2 : 0) : FOUR_BASE + ((twoHash + k) & fourMask);
      const local = PATTERN_BASE + (k * (CANDIDATES + 1) + count) * 64 + pattern;
      if (model.code(bits, six, four, two, local, matched ? MATCH_MIXER_BASE + length : k * 64 + pattern, value === cands[k] ? 1 : 0)) {
        found = cands[k];
        break;
      }
    }
    if (found < 0) {
      const six = SIX_BASE + ((sixHash + NEW_SLOT) & sixMask);
      const four = FOUR_BASE + ((fourHash + NEW_SLOT) & fourMask);
      const two = FOUR_BASE + ((twoHash + NEW_SLOT) & fourMask);
      const local = PATTERN_BASE + (NEW_SLOT * (CANDIDATES + 1) + count) * 64 + pattern;
      if (model.code(bits, six, four, two, local, NEW_SLOT * 64 + pattern, value === seen ? 1 : 0)) {
        if (seen === colours) fail('CORRUPT', 'more colours than the palette holds');
        found = seen;
        codeColour(bits, model, table, channels, seen, W >= 0 ? W : N, N, FOUR_BASE, FOUR_BITS, messages !== undefined);
      } else {
        // MSB first; node = 1 followed by the bits so far.
        let node = 1;
        for (let d = depth - 1; d >= 0; d--) {
          const bit = messages ? 0 : (value >> d) & 1;
          const byFour = SIX_BASE + hash(32 + d, node, W, N, NW, NE, -2, SIX_BITS);
          const byW = SIX_BASE + hash(48 + d, node, W, -2, -2, -2, -2, SIX_BITS);
          const byN = FOUR_BASE + hash(64 + d, node, N, -2, -2, -2, -2, FOUR_BITS);
          const alone = FOUR_BASE + hash(96 + d, node, -2, -2, -2, -2, -2, FOUR_BITS);
          node = 2 * node + model.code(bits, byFour, byW, byN, alone, TREE_MIXER_BASE + d, bit);
        }
        found = node - (1 << depth);
        if (found >= seen) fail('CORRUPT', 'a palette index past the colours seen');
      }
    }
    if (found === seen) seen++;
    if (messages) indices[i] = found;
    else if (pixelBits) {
      pixelBits[i] = bits.bits - before;
      before = bits.bits;
    }
    matchTable[key] = i + 1;
    if (predicted >= 0 && found === predicted) {
      matchLength++;
      matchAt++;
    } else matchLength = 0;
  }
  if (messages) {
    if (!bits.msg!.isEmpty()) fail('CORRUPT', 'the palette rows\' last chunk does not end where its pixels do');
    if (seen !== colours) fail('CORRUPT', 'palette colours that no pixel uses');
  } else if (pixels > 0) chunks.push(bits.flushChunk());
  return { chunks, bits: bits.bits };
}

/** Colour `here`'s samples (new: first used now), each as 8 decisions MSB first of its difference from the prediction. */
function codeColour(bits: AdaptiveBits, model: Decisions, table: Uint8Array, channels: number, here: number, left: number, up: number, fourBase: number, fourBits: number, decoding: boolean): void {
  for (let c = 0; c < channels; c++) {
    const prediction = colourPrediction(table, channels, here, left, c);
    const residual = decoding ? 0 : (table[here * channels + c] - prediction) & 255;
    // How far the channel before moved from the neighbour's (0 for the first channel): how sure the prediction is.
    const moved = c === 0 || left < 0 ? 0 : Math.min(15, Math.abs(table[here * channels + c - 1] - table[left * channels + c - 1]));
    let node = 1;
    for (let d = 7; d >= 0; d--) {
      const bit = (residual >> d) & 1;
      const byMove = COLOUR_BASE + ((c * 16 + moved) << 8) + node;
      const byLeft = fourBase + hash(80 + c, node, left >= 0 ? table[left * channels + c] : -2, -2, -2, -2, -2, fourBits);
      const byChannel = COLOUR_BASE + ((4 * 16 + c) << 8) + node;
      const byUp = fourBase + hash(112 + c, node, up >= 0 ? table[up * channels + c] : -2, -2, -2, -2, -2, fourBits);
      node = 2 * node + model.code(bits, byMove, byLeft, byChannel, byUp, COLOUR_MIXER_BASE + c, bit);
    }
    if (decoding) table[here * channels + c] = (node - 256 + prediction) & 255;
  }
}

function chunkCount(pixels: number): number {
  return Math.max(1, Math.ceil(pixels / CHUNK_PIXELS));
}

/**
 * Each pixel's colour (`channels` samples) as an index in order of first use, and each colour's first
 * pixel; undefined past `most` colours.
 */
export function firstUseIndices(samples: Uint8Array, channels: number, most: number): { indices: Uint32Array; firstPixel: Uint32Array } | undefined {
  const pixels = samples.length / channels;
  const index = new Map<number, number>();
  const indices = new Uint32Array(pixels);
  const firstPixel = new Uint32Array(Math.min(pixels, most));
  for (let i = 0; i < pixels; i++) {
    let key = 0;
    for (let c = 0; c < channels; c++) key = key * 256 + samples[i * channels + c];
    let at = index.get(key);
    if (at === undefined) {
      if (index.size === most) return undefined;
      index.set(key, (at = index.size));
      firstPixel[at] = i;
    }
    indices[i] = at;
  }
  return { indices, firstPixel: firstPixel.subarray(0, index.size) };
}

/**
 * Rows of 8-bit samples (`channels` interleaved, rows `width` wide) coded as palette indices in order of
 * first use, when they hold at most CONTEXT_MAX_COLOURS colours (else undefined). Stream: u32 LE colour
 * count, then the chunks. Returns the stream and the model's bits (per pixel in `pixelBits` if given).
 */
export function encodePaletteRows(samples: Uint8Array, channels: number, width: number, pixelBits?: Float32Array): { bytes: Uint8Array; bits: number } | undefined {
  const palette = firstUseIndices(samples, channels, CONTEXT_MAX_COLOURS);
  if (!palette) return undefined;
  const { indices, firstPixel } = palette;
  const table = new Uint8Array(firstPixel.length * channels);
  firstPixel.forEach((i, at) => table.set(samples.subarray(i * channels, i * channels + channels), at * channels));
  const { chunks, bits } = run(indices, table, channels, width, firstPixel.length, undefined, pixelBits);
  const header = knownPartsHeader(chunks);
  const bytes = new Uint8Array(4 + header.length + chunks.reduce((a, c) => a + c.length, 0));
  new DataView(bytes.buffer).setUint32(0, firstPixel.length, true);
  bytes.set(header, 4);
  let o = 4 + header.length;
  for (const c of chunks) bytes.set(c, (o += c.length) - c.length);
  return { bytes, bits: bits + 32 };
}

/** encodePaletteRows undone: the interleaved samples of `pixels` pixels (CORRUPT for anything it would not write). */
export function decodePaletteRows(bytes: Uint8Array, pixels: number, channels: number, width: number): Uint8Array {
  if (bytes.length < 4 || pixels < 1) fail('CORRUPT', 'palette rows without their colour count');
  const colours = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  if (colours < 1 || colours > CONTEXT_MAX_COLOURS || colours > pixels) fail('CORRUPT', 'a palette of the wrong size for its rows');
  const indices = new Uint32Array(pixels);
  const table = new Uint8Array(colours * channels);
  run(indices, table, channels, width, colours, splitKnownParts(bytes.subarray(4), chunkCount(pixels)));
  const out = new Uint8Array(pixels * channels);
  for (let i = 0, o = 0; i < pixels; i++) for (let c = 0, at = indices[i] * channels; c < channels; c++) out[o++] = table[at + c];
  return out;
}

/** Fewest bits a pixel costs: at least one decision, each at most 1 - P_MIN / ONE sure. */
export const CONTEXT_MIN_BITS_PER_PIXEL = COST[ONE - P_MIN];

/**
 * Whole images of 8-bit samples (every channel, alpha included) through the model: route `id`'s body is
 * the stream; not for more than CONTEXT_MAX_COLOURS colours. A screenshot with a soft shadow or a chart
 * with a transparent background can code smaller so than as colour and alpha planes apart.
 */
export function paletteContextRoute(id: number): OptionalRoute {
  return {
    id,
    async tryEncode(data, layout, pixelBits) {
      const samples = data instanceof Uint8Array ? data : Uint8Array.from(data);
      const coded = encodePaletteRows(samples, layout.channels, layout.width, pixelBits);
      if (!coded) return undefined;
      return { body: [coded.bytes], modelBits: coded.bits, details: { stripRows: layout.height, stripBits: 8 * coded.bytes.length, stripCoder: 'palette context model, every channel' } };
    },
    async encode(data, layout, _progress, pixelBits) {
      const coded = await this.tryEncode(data, layout, pixelBits);
      if (!coded) fail('INTERNAL', 'more colours than the palette context model codes');
      return coded;
    },
    async decode(body, layout, out) {
      out.set(decodePaletteRows(body, layout.height * layout.width, layout.channels, layout.width));
    },
  };
}
