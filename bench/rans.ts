/**
 * rANS core micro-benchmark: encode/decode symbols/s and MB/s (of 8-bit-equivalent symbols) at
 * precisions 12, 16 and 24, with the measured overhead over the information content.
 */
import { Message, categorical, popMany, pushMany } from '../codec/index.js';

export interface RansBenchRow {
  precision: number;
  symbols: number;
  alphabet: number;
  encodeMsymPerS: number;
  decodeMsymPerS: number;
  encodeMBPerS: number;
  decodeMBPerS: number;
  infoBits: number;
  codedBits: number;
  overheadPct: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function benchRans(symbolsPerRun = 2_000_000, runs = 5): RansBenchRow[] {
  const rows: RansBenchRow[] = [];
  for (const precision of [12, 16, 24]) {
    // A peaked 256-symbol distribution, like image residuals.
    const alphabet = 256;
    const probs = Array.from({ length: alphabet }, (_, i) => Math.exp(-Math.abs(i - 128) / 6));
    const table = categorical(probs, precision);
    const symbols = new Int32Array(symbolsPerRun);
    let seed = 12345;
    let info = 0;
    for (let i = 0; i < symbols.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const slot = seed >>> (32 - precision);
      symbols[i] = table.symbolOf(slot);
      info += table.bits(symbols[i]);
    }
    const enc: number[] = [];
    const dec: number[] = [];
    let coded = 0;
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      const msg = new Message(symbolsPerRun);
      pushMany(msg, symbols, table);
      enc.push(performance.now() - t);
      coded = msg.bitLength();
      const restored = Message.unflatten(msg.flatten());
      t = performance.now();
      const out = popMany(restored, symbols.length, table);
      dec.push(performance.now() - t);
      if (out[0] !== symbols[0] || out[out.length - 1] !== symbols[symbols.length - 1] || !restored.isEmpty())
        throw new Error('rANS benchmark round trip failed');
    }
    const encS = median(enc) / 1000;
    const decS = median(dec) / 1000;
    rows.push({
      precision,
      symbols: symbolsPerRun,
      alphabet,
      encodeMsymPerS: symbolsPerRun / encS / 1e6,
      decodeMsymPerS: symbolsPerRun / decS / 1e6,
      encodeMBPerS: symbolsPerRun / encS / 1e6,
      decodeMBPerS: symbolsPerRun / decS / 1e6,
      infoBits: info,
      codedBits: coded,
      overheadPct: (100 * (coded - info)) / info,
    });
  }
  return rows;
}
