import { describe, expect, it } from 'vitest';
import {
  FrequencyTable,
  HEAD_BITS,
  Message,
  boundedIntegerCodec,
  categorical,
  escapeTable,
  popMany,
  pushMany,
  quantizeFrequencies,
  repeat,
  serial,
  symbolCodec,
  uniform,
  uniformBits,
  bitsBackJoint,
} from '../codec/index.js';
import { randomInt, randomProbs, rng, sampleTable } from './helpers.js';

/** A message with some unrelated content already on it, to check that it comes back untouched. */
function primedMessage(seed: number): Message {
  const r = rng(seed);
  const m = new Message();
  for (let i = 0; i < 100; i++) m.pushBits(randomInt(r, 0, 255), 8);
  return m;
}

describe('rANS round trips', () => {
  const precisions = [1, 2, 4, 8, 12, 16, 20, 24];
  const sizes = [1, 2, 3, 17, 256, 1000, 4096];
  for (const precision of precisions) {
    for (const size of sizes) {
      if (size > 2 ** precision) continue;
      it(`precision ${precision}, ${size} symbols: data and message restored`, () => {
        const r = rng(precision * 1000 + size);
        const table = categorical(randomProbs(r, size), precision);
        const symbols = new Int32Array(3000);
        for (let i = 0; i < symbols.length; i++) symbols[i] = sampleTable(r, table.cum, precision);
        // A few symbols of tiny probability too: they must be codable.
        for (let i = 0; i < 20; i++) symbols[randomInt(r, 0, symbols.length - 1)] = randomInt(r, 0, size - 1);
        const msg = primedMessage(precision + size);
        const before = msg.clone();
        pushMany(msg, symbols, table);
        const restored = Message.unflatten(msg.flatten());
        expect(Array.from(popMany(restored, symbols.length, table))).toEqual(Array.from(symbols));
        expect(restored.equals(before)).toBe(true);
        expect(restored.underflowWords).toBe(0);
      });
    }
  }

  it('per-symbol codecs, serial and repeat combinators invert', () => {
    const r = rng(7);
    const a = symbolCodec(categorical(randomProbs(r, 5), 12));
    const b = symbolCodec(uniform(64, 16));
    const codec = repeat(serial<[number, number]>([a, b]), 500);
    const data = Array.from({ length: 500 }, () => [randomInt(r, 0, 4), randomInt(r, 0, 63)] as [number, number]);
    const msg = primedMessage(3);
    const before = msg.clone();
    codec.push(msg, data);
    expect(codec.pop(msg)).toEqual(data);
    expect(msg.equals(before)).toBe(true);
  });

  it('is a stack: the last push is the first pop', () => {
    const t = uniform(256, 8);
    const msg = new Message();
    pushMany(msg, [1, 2, 3], t);
    pushMany(msg, [9], t);
    expect(Array.from(popMany(msg, 1, t))).toEqual([9]);
    expect(Array.from(popMany(msg, 3, t))).toEqual([1, 2, 3]);
    expect(msg.isEmpty()).toBe(true);
  });

  it('the low-water mark follows single pops and batch pops alike', () => {
    const t = uniform(256, 8);
    for (const batch of [false, true]) {
      const msg = primedMessage(3);
      const symbols = Array.from({ length: 400 }, (_, i) => i % 256);
      pushMany(msg, symbols, t);
      msg.markLowWater();
      if (batch) popMany(msg, 400 + 60, t);
      else for (let i = 0; i < 460; i++) msg.popBits(8);
      expect(msg.lowWater).toBe(msg.depth);
      expect(msg.lowWater).toBeLessThan(primedMessage(3).depth);
    }
  });

  it('uniformBits and bitsBackJoint invert: pop(push(m, x)) gives x and m back', () => {
    // Dequantization in miniature: pop a 1-bit u per sample, push x + 32 u (x < 32) as one 6-bit symbol.
    const noise = uniformBits(50, 1);
    const table = uniform(64, 6);
    const codec = bitsBackJoint<Int32Array, Int32Array>({
      posterior: () => noise,
      joint: {
        push: (m, [x, u]) => pushMany(m, Array.from(x, (v, i) => v + 32 * u[i]), table),
        pop: (m) => {
          const s = popMany(m, 50, table);
          return [Int32Array.from(s, (v) => v % 32), Int32Array.from(s, (v) => v >> 5)];
        },
      },
    });
    const x = Int32Array.from({ length: 50 }, (_, i) => (i * 7) % 32);
    const msg = primedMessage(4);
    const before = msg.clone();
    codec.push(msg, x);
    expect(Array.from(codec.pop(msg))).toEqual(Array.from(x));
    expect(msg.equals(before)).toBe(true);
    expect(msg.underflowWords).toBe(0);
  });
});

describe('frequency tables', () => {
  it('decode lookup is exact for every slot at small precision (exhaustive)', () => {
    for (let precision = 1; precision <= 12; precision++) {
      for (const size of [1, 2, 3, 5, 31, 2 ** precision]) {
        if (size > 2 ** precision) continue;
        const table = categorical(randomProbs(rng(precision * 7 + size), size), precision);
        for (let slot = 0; slot < 2 ** precision; slot++) {
          const s = table.symbolOf(slot);
          expect(table.cum[s] <= slot && slot < table.cum[s + 1]).toBe(true);
        }
      }
    }
  });

  it('every symbol gets at least 1 and the sum is exactly 2^precision, whatever the input', () => {
    const cases: number[][] = [
      [0, 0, 0, 1],
      [1e-300, 1, 1e300],
      [0, 0],
      Array.from({ length: 256 }, (_, i) => (i === 7 ? 1 : 0)),
      Array.from({ length: 4096 }, () => 1),
    ];
    for (const probs of cases) {
      for (const precision of [12, 16, 24]) {
        const f = quantizeFrequencies(probs, precision);
        expect(f.every((v) => v >= 1)).toBe(true);
        expect(f.reduce((a, b) => a + b, 0)).toBe(2 ** precision);
      }
    }
    expect(() => quantizeFrequencies([1, NaN], 8)).toThrow();
    expect(() => quantizeFrequencies([1, 1, 1], 1)).toThrow();
  });

  it('a full table at precision p has every frequency 1', () => {
    const t = uniform(256, 8);
    expect(t.freq.every((v) => v === 1)).toBe(true);
  });
});

describe('rate', () => {
  for (const precision of [12, 16, 24]) {
    it(`coded bits are within 0.1% + 8 bytes of the information content (precision ${precision})`, () => {
      const r = rng(precision);
      const table = categorical(randomProbs(r, 300), precision);
      const n = 200_000;
      const symbols = new Int32Array(n);
      let info = 0;
      for (let i = 0; i < n; i++) {
        symbols[i] = sampleTable(r, table.cum, precision);
        info += table.bits(symbols[i]);
      }
      const msg = new Message();
      pushMany(msg, symbols, table);
      const coded = msg.bitLength();
      expect(coded).toBeGreaterThanOrEqual(info - 64);
      expect(coded).toBeLessThanOrEqual(info * 1.001 + 64 + HEAD_BITS);
    });
  }
});

describe('escape route', () => {
  const probs = Array.from({ length: 21 }, (_, i) => Math.exp(-Math.abs(i - 10)));
  const table = escapeTable(probs, 1e-4, 16);
  const codec = boundedIntegerCodec(table, -10);
  it('codes values far outside the support, up to the largest safe integers', () => {
    const values = [0, -10, 10, 11, -11, 12345, -99999, 2 ** 31, -(2 ** 31) - 1, 2 ** 52, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER + 11];
    const msg = primedMessage(11);
    const before = msg.clone();
    for (const v of values) codec.push(msg, v);
    for (const v of [...values].reverse()) expect(codec.pop(msg)).toBe(v);
    expect(msg.equals(before)).toBe(true);
  });
  it('refuses values that are not safe integers with a clear error', () => {
    const msg = new Message();
    expect(() => codec.push(msg, 2 ** 60)).toThrow(/safe integer/);
    expect(() => codec.push(msg, 0.5)).toThrow(/safe integer/);
  });
});

describe('exhausted messages', () => {
  it('popping past the bottom is deterministic and flagged, never silent', () => {
    const t = categorical([1, 2, 3, 4], 8);
    const a = popMany(new Message(), 100, t);
    const m = new Message();
    const b = popMany(m, 100, t);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(m.underflowWords).toBeGreaterThan(0);
    expect(m.isEmpty()).toBe(false);
  });
  it('flatten/unflatten rejects malformed messages', () => {
    expect(() => Message.unflatten(new Uint8Array(3))).toThrow();
    expect(() => Message.unflatten(new Uint8Array(6))).toThrow(/head/);
  });
});

describe('FrequencyTable', () => {
  it('rejects tables that break the contract', () => {
    expect(() => new FrequencyTable(new Uint32Array([1, 0, 255]), 8)).toThrow();
    expect(() => new FrequencyTable(new Uint32Array([1, 2]), 8)).toThrow();
  });
});
