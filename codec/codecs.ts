/**
 * Codecs are {push, pop} pairs over a Message, with pop(push(m, x)) === x and the message restored.
 * Bigger codecs are built from smaller ones by combinators, so the inverse holds by construction.
 * Push order is the reverse of pop order (the message is a stack).
 */
import { fail } from './errors.js';
import { FrequencyTable, quantizeFrequencies } from './distributions.js';
import { Message } from './rans.js';

export interface Codec<T> {
  push(msg: Message, x: T): void;
  pop(msg: Message): T;
}

/** A table's symbols as a codec (symbols 0..size-1, no escape: the caller keeps values in range). */
export function symbolCodec(table: FrequencyTable): Codec<number> {
  const { freq, cum, precision } = table;
  return {
    push(msg, s) {
      if (!(s >= 0 && s < table.size && Number.isInteger(s))) fail('INTERNAL', `symbol ${s} outside table`);
      msg.push(cum[s], freq[s], precision);
    },
    pop(msg) {
      const s = table.symbolOf(msg.peek(precision));
      msg.pop(cum[s], freq[s], precision);
      return s;
    },
  };
}

/** Push many symbols under one table, back to front, so that `popMany` returns them in order. */
export function pushMany(msg: Message, symbols: ArrayLike<number>, table: FrequencyTable): void {
  msg.pushSymbols(symbols, table);
}

export function popMany(msg: Message, count: number, table: FrequencyTable, out = new Int32Array(count)): Int32Array {
  return msg.popSymbols(count, table, out);
}

/** Tuple of codecs: pushed last-to-first so that pop reads first-to-last. */
export function serial<T extends unknown[]>(codecs: { [K in keyof T]: Codec<T[K]> }): Codec<T> {
  const list = codecs as unknown as Codec<unknown>[];
  return {
    push(msg, xs) {
      for (let i = list.length - 1; i >= 0; i--) list[i].push(msg, xs[i]);
    },
    pop(msg) {
      return list.map((c) => c.pop(msg)) as T;
    },
  };
}

/** n independent draws of the same codec. */
export function repeat<T>(codec: Codec<T>, n: number): Codec<T[]> {
  return {
    push(msg, xs) {
      if (xs.length !== n) fail('INTERNAL', `repeat expects ${n} items, got ${xs.length}`);
      for (let i = n - 1; i >= 0; i--) codec.push(msg, xs[i]);
    },
    pop(msg) {
      const xs = new Array<T>(n);
      for (let i = 0; i < n; i++) xs[i] = codec.pop(msg);
      return xs;
    },
  };
}

/**
 * Bits-back coding for a latent-variable model p(x) = sum_z p(z) p(x|z) with posterior q(z|x).
 * push x: pop z ~ q(z|x) off the message (gaining -log q(z|x) bits), push x with p(x|z), push z with p(z).
 * Expected net cost: E_q[-log p(x|z) - log p(z) + log q(z|x)] = -ELBO. The first pops of a fresh message
 * read the message's deterministic underflow words: that is the initial-bits cost, reported separately
 * by `Message.underflowWords`.
 */
export function bitsBack<X, Z>(model: {
  prior: Codec<Z>;
  likelihood: (z: Z) => Codec<X>;
  posterior: (x: X) => Codec<Z>;
}): Codec<X> {
  return bitsBackJoint({
    posterior: model.posterior,
    joint: {
      push(msg, [x, z]) {
        model.likelihood(z).push(msg, x);
        model.prior.push(msg, z);
      },
      pop(msg) {
        const z = model.prior.pop(msg);
        return [model.likelihood(z).pop(msg), z];
      },
    },
  });
}

/**
 * Bits-back with one codec for the pair (x, z), for models that code both at once: dequantization
 * (pop noise u ~ q(u|x), push x + u under a continuous model; the decoder pops x + u and gives u back).
 */
export function bitsBackJoint<X, Z>(model: { joint: Codec<[X, Z]>; posterior: (x: X) => Codec<Z> }): Codec<X> {
  return {
    push(msg, x) {
      const z = model.posterior(x).pop(msg);
      model.joint.push(msg, [x, z]);
    },
    pop(msg) {
      const [x, z] = model.joint.pop(msg);
      model.posterior(x).push(msg, z);
      return x;
    },
  };
}

/** `count` raw values of `bits` (0..24) bits each, uniform; the first value is popped first. */
export function uniformBits(count: number, bits: number): Codec<Int32Array> {
  return {
    push(msg, values) {
      if (values.length !== count) fail('INTERNAL', `uniformBits expects ${count} values, got ${values.length}`);
      for (let i = count - 1; i >= 0; i--) msg.pushBits(values[i], bits);
    },
    pop(msg) {
      const values = new Int32Array(count);
      for (let i = 0; i < count; i++) values[i] = msg.popBits(bits);
      return values;
    },
  };
}

/** Raw bits of a non-negative integer below 2^53, in 16-bit chunks (low chunk popped first). */
function pushWide(msg: Message, value: number, bits: number): void {
  const chunks: number[] = [];
  let v = value;
  for (let left = bits; left > 0; left -= 16) {
    const b = Math.min(16, left);
    chunks.push(v % 2 ** b);
    v = Math.floor(v / 2 ** b);
  }
  for (let i = chunks.length - 1, left = bits - 16 * i; i >= 0; i--, left = 16) msg.pushBits(chunks[i], left);
}

function popWide(msg: Message, bits: number): number {
  let v = 0;
  let scale = 1;
  for (let left = bits; left > 0; left -= 16) {
    const b = Math.min(16, left);
    v += msg.popBits(b) * scale;
    scale *= 2 ** b;
  }
  return v;
}

/**
 * Escape route for integers outside a table's support [lo, hi] (documented in docs/format.md):
 * the table's last symbol is ESCAPE; after it come 1 raw bit (0: below lo, 1: above hi), 6 raw bits
 * for the bit length nb of d + 1 where d = distance past the end minus one, then nb - 1 raw bits of
 * d + 1 below its leading one. Any safe integer is codable, so no input can make encoding fail.
 */
export function pushEscaped(msg: Message, value: number, lo: number, hi: number): void {
  if (!Number.isSafeInteger(value)) fail('BAD_INPUT', `value ${value} is not a safe integer`);
  const above = value > hi;
  const d1 = (above ? value - hi - 1 : lo - 1 - value) + 1;
  const nb = Math.floor(Math.log2(d1)) + 1;
  // Math.log2 may round up just below a power of two: correct it with exact comparisons.
  const len = 2 ** (nb - 1) > d1 ? nb - 1 : 2 ** nb <= d1 ? nb + 1 : nb;
  pushWide(msg, d1 - 2 ** (len - 1), len - 1);
  msg.pushBits(len, 6);
  msg.pushBits(above ? 1 : 0, 1);
}

export function popEscaped(msg: Message, lo: number, hi: number): number {
  const above = msg.popBits(1) === 1;
  const len = msg.popBits(6);
  if (len < 1 || len > 53) fail('CORRUPT', 'escape length out of range');
  const d1 = 2 ** (len - 1) + popWide(msg, len - 1);
  return above ? hi + d1 : lo - d1;
}

/** Bits the escape route adds after the ESCAPE symbol for `value`. */
export function escapeBits(value: number, lo: number, hi: number): number {
  const d1 = (value > hi ? value - hi - 1 : lo - 1 - value) + 1;
  let len = 1;
  while (2 ** len <= d1) len++;
  return 7 + len - 1;
}

/**
 * Integers over [lo, hi] with an escape: `table` has hi - lo + 2 symbols, the last being ESCAPE.
 * Build such a table with `escapeTable`. `bits(v)` is what pushing v costs (table and escape bits).
 */
export function boundedIntegerCodec(table: FrequencyTable, lo: number): Codec<number> & { bits(v: number): number } {
  const hi = lo + table.size - 2;
  const escape = table.size - 1;
  const { freq, cum, precision } = table;
  return {
    push(msg, v) {
      if (v >= lo && v <= hi && Number.isInteger(v)) {
        msg.push(cum[v - lo], freq[v - lo], precision);
      } else {
        pushEscaped(msg, v, lo, hi);
        msg.push(cum[escape], freq[escape], precision);
      }
    },
    pop(msg) {
      const s = table.symbolOf(msg.peek(precision));
      msg.pop(cum[s], freq[s], precision);
      return s === escape ? popEscaped(msg, lo, hi) : lo + s;
    },
    bits(v) {
      return v >= lo && v <= hi && Number.isInteger(v) ? table.bits(v - lo) : table.bits(escape) + escapeBits(v, lo, hi);
    },
  };
}

/** In-range probabilities plus an ESCAPE symbol of probability `escapeProb` (relative to total 1). */
export function escapeTable(probs: ArrayLike<number>, escapeProb: number, precision: number): FrequencyTable {
  let mass = 0;
  for (let i = 0; i < probs.length; i++) mass += probs[i];
  const all = new Float64Array(probs.length + 1);
  for (let i = 0; i < probs.length; i++) all[i] = (probs[i] / mass) * (1 - escapeProb);
  all[probs.length] = escapeProb;
  return new FrequencyTable(quantizeFrequencies(all, precision), precision);
}
