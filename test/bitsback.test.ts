/**
 * Bits-back on a small latent-variable model: z ~ Categorical(pi), x | z ~ discretized logistic(mu_z, s_z).
 * The exact posterior q(z|x) is quantized too, so the expected net cost is -ELBO under the quantized tables:
 *   E_q[-log2 p(x|z) - log2 p(z) + log2 q(z|x)].
 */
import { describe, expect, it } from 'vitest';
import { Message, bitsBack, categorical, discretizedLogistic, symbolCodec, type FrequencyTable } from '../codec/index.js';
import { rng, sampleTable } from './helpers.js';

const PRECISION = 16;
const SUPPORT = { lo: 0, hi: 255 };
const weights = [0.2, 0.5, 0.3];
const components = [
  { mu: 40, scale: 6 },
  { mu: 120, scale: 10 },
  { mu: 200, scale: 4 },
];
const prior = categorical(weights, PRECISION);
const likelihoods = components.map((c) => discretizedLogistic(c.mu, c.scale, SUPPORT, PRECISION));
const prob = (t: FrequencyTable, s: number) => t.freq[s] / 2 ** PRECISION;
const posteriors = new Map<number, FrequencyTable>();
function posterior(x: number): FrequencyTable {
  let t = posteriors.get(x);
  if (!t) {
    t = categorical(weights.map((_, z) => prob(prior, z) * prob(likelihoods[z], x)), PRECISION);
    posteriors.set(x, t);
  }
  return t;
}

const codec = bitsBack<number, number>({
  prior: symbolCodec(prior),
  likelihood: (z) => symbolCodec(likelihoods[z]),
  posterior: (x) => symbolCodec(posterior(x)),
});

function negElbo(x: number): number {
  const q = posterior(x);
  let bits = 0;
  for (let z = 0; z < weights.length; z++) {
    const qz = prob(q, z);
    bits += qz * (-Math.log2(prob(likelihoods[z], x)) - Math.log2(prob(prior, z)) + Math.log2(qz));
  }
  return bits;
}

function sampleData(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => sampleTable(r, likelihoods[sampleTable(r, prior.cum, PRECISION)].cum, PRECISION));
}

describe('bits-back coding', () => {
  it('restores the data and the message exactly', () => {
    const data = sampleData(2000, 1);
    const msg = new Message();
    for (let i = 0; i < 50; i++) msg.pushBits(i & 0xff, 8); // unrelated earlier content
    const before = msg.clone();
    for (const x of data) codec.push(msg, x);
    const restored = Message.unflatten(msg.flatten());
    const decoded: number[] = [];
    for (let i = 0; i < data.length; i++) decoded.unshift(codec.pop(restored));
    expect(decoded).toEqual(data);
    expect(restored.equals(before)).toBe(true);
  });

  it('costs -ELBO per symbol once the initial bits are accounted for', () => {
    const data = sampleData(20000, 2);
    const msg = new Message();
    for (const x of data) codec.push(msg, x);
    const expected = data.reduce((a, x) => a + negElbo(x), 0);
    // What the message holds, less the words borrowed from below the empty state (the initial bits).
    const net = msg.contentBits();
    expect(msg.underflowWords).toBeGreaterThan(0);
    expect(Math.abs(net - expected) / expected).toBeLessThan(0.01);
    // And strictly better than coding z explicitly, which would cost -log p(x, z) with no bits back.
    const explicit = data.reduce((a, x) => a + negElbo(x) + entropyBits(posterior(x)), 0);
    expect(net).toBeLessThan(explicit);
  });

  it('a fresh message decodes its own initial bits back: decoder ends where the encoder began', () => {
    const data = sampleData(300, 3);
    const msg = new Message();
    for (const x of data) codec.push(msg, x);
    const borrowed = msg.underflowWords;
    const restored = Message.unflatten(msg.flatten());
    const decoded: number[] = [];
    for (let i = 0; i < data.length; i++) decoded.unshift(codec.pop(restored));
    expect(decoded).toEqual(data);
    // The decoder pushed the borrowed words back on top of the empty state.
    expect(restored.depth).toBe(borrowed);
  });
});

function entropyBits(t: FrequencyTable): number {
  let h = 0;
  for (let s = 0; s < t.size; s++) {
    const p = prob(t, s);
    h -= p * Math.log2(p);
  }
  return h;
}
