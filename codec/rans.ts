/**
 * rANS stack coder (LIFO) in plain JS numbers.
 *
 * State invariant: HEAD_MIN <= head < HEAD_MIN * 2^16 = 2^47, so every intermediate value stays
 * below 2^53 and `Math.floor(a / b)` / `a % b` on integers are exact. Renormalisation moves whole
 * 16-bit words between head and the tail stack. A symbol with frequency f out of 2^p costs
 * log2(2^p / f) bits; precision p may be 1..24 (HEAD_MIN must be a multiple of 2^p).
 *
 * Stack discipline: the last symbol pushed is the first popped. `pushMany` pushes an array back to
 * front so that `popMany` restores it front to back.
 *
 * Exhausted message: popping needs a word when the tail is empty; we then read a deterministic
 * pseudo-random word and count it in `underflowWords`. Bits-back coding relies on this (the first
 * pops of an encoder come from nothing); every other decoder checks `isEmpty()` at the end, so
 * reading past the real data is reported as corruption, never silently taken as data.
 */
import { fail } from './errors.js';

export const HEAD_MIN = 2 ** 31;
const WORD = 65536;
/** POW2[k] = 2^k for k <= 47 (a table: a variable exponent would call Math.pow in hot loops). */
const POW2 = Float64Array.from({ length: 48 }, (_, k) => 2 ** k);
export const MAX_PRECISION = 24;
/** Bits of a flattened empty message (the head is stored in three 16-bit words). */
export const HEAD_BITS = 48;

/** Deterministic filler for reads past the bottom of the stack: a 32-bit integer hash of the index. */
export function underflowWord(index: number): number {
  let h = Math.imul(index ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0xffff;
}

/** What the batch entry points need of a frequency table (see distributions.ts). */
interface SymbolTable {
  readonly freq: ArrayLike<number>;
  readonly cum: ArrayLike<number>;
  readonly precision: number;
  readonly size: number;
  symbolOf(slot: number): number;
}

export class Message {
  /** HEAD_MIN <= head < 2^47 (see module comment). */
  private head: number;
  /** Renormalised words, bottom of the stack first; tail[0, tailLength) is live. */
  private tail: Uint16Array;
  private tailLength: number;
  /** Words read past the bottom of the stack (see module comment). */
  private underflow: number;
  /** Lowest tailLength since `markLowWater` (archives: a member leaves every word below it as it found it). */
  private lowest: number;

  constructor(capacityWords = 1024) {
    this.head = HEAD_MIN;
    this.tail = new Uint16Array(Math.max(16, capacityWords));
    this.tailLength = 0;
    this.underflow = 0;
    this.lowest = 0;
  }

  /** Words read past the bottom of the stack so far (bits-back's initial bits: 16 each). */
  get underflowWords(): number {
    return this.underflow;
  }

  /** Tail words held (the flattened message is this plus 3 head words). */
  get depth(): number {
    return this.tailLength;
  }

  /** The live tail words, bottom first (a view: read, do not keep). */
  tailWords(): Uint16Array {
    return this.tail.subarray(0, this.tailLength);
  }

  /** Start watching the lowest depth from here (see `lowWater`). */
  markLowWater(): void {
    this.lowest = this.tailLength;
  }

  /** The lowest depth since `markLowWater`: every word below it is as it was then. */
  get lowWater(): number {
    return this.lowest;
  }

  /** Bits held by the real words (what a file stores) above the empty state, fractional. */
  storedBits(): number {
    return 16 * this.tailLength + Math.log2(this.head / HEAD_MIN);
  }

  /** True for a message in the state of `new Message()`: nothing pushed, nothing borrowed. */
  isEmpty(): boolean {
    return this.head === HEAD_MIN && this.tailLength === 0 && this.underflow === 0;
  }

  /**
   * Bits-back decoders end by pushing back what their encoder borrowed: from a fresh message, the
   * deterministic underflow words. Returns how many such words the message holds (then it is exactly
   * the state of a fresh message plus those words), or -1 when it holds anything else.
   */
  borrowedWords(): number {
    if (this.head !== HEAD_MIN || this.underflow !== 0) return -1;
    const n = this.tailLength;
    for (let i = 0; i < n; i++) if (this.tail[i] !== underflowWord(n - 1 - i)) return -1;
    return n;
  }

  /** Size in bits of `flatten()` output. */
  bitLength(): number {
    return 16 * this.tailLength + HEAD_BITS;
  }

  /** Information held beyond the empty state, in bits (fractional): what a rate test compares. */
  contentBits(): number {
    return 16 * (this.tailLength - this.underflow) + Math.log2(this.head / HEAD_MIN);
  }

  private grow(): void {
    this.reserve(this.tail.length);
  }

  /** Make room for at least `words` more tail words. */
  reserve(words: number): void {
    if (this.tailLength + words <= this.tail.length) return;
    const bigger = new Uint16Array(Math.max(this.tail.length * 2, this.tailLength + words));
    bigger.set(this.tail.subarray(0, this.tailLength));
    this.tail = bigger;
  }

  /** Push one symbol occupying [start, start + freq) of 2^precision. */
  push(start: number, freq: number, precision: number): void {
    let x = this.head;
    // x must end below freq * 2^(47 - p) so that the encoded state stays below 2^47.
    const xMax = freq * POW2[47 - precision];
    while (x >= xMax) {
      if (this.tailLength === this.tail.length) this.grow();
      const high = Math.floor(x / WORD);
      this.tail[this.tailLength++] = x - high * WORD;
      x = high;
    }
    const q = Math.floor(x / freq);
    this.head = q * POW2[precision] + (x - q * freq) + start;
  }

  /** First half of a pop: the slot in [0, 2^precision) that identifies the top symbol. */
  peek(precision: number): number {
    const m = POW2[precision];
    return this.head - Math.floor(this.head / m) * m;
  }

  /** Second half of a pop: remove the symbol [start, start + freq) found from `peek`. */
  pop(start: number, freq: number, precision: number): void {
    const m = POW2[precision];
    const q = Math.floor(this.head / m);
    const slot = this.head - q * m;
    let x = freq * q + slot - start;
    while (x < HEAD_MIN) {
      let word: number;
      if (this.tailLength > 0) {
        word = this.tail[--this.tailLength];
        if (this.tailLength < this.lowest) this.lowest = this.tailLength;
      } else word = underflowWord(this.underflow++);
      x = x * WORD + word;
    }
    this.head = x;
  }

  /** Push `bits` (0..24) raw bits holding `value` (uniform). */
  pushBits(value: number, bits: number): void {
    if (bits > 0) this.push(value, 1, bits);
  }

  popBits(bits: number): number {
    if (bits === 0) return 0;
    const v = this.peek(bits);
    this.pop(v, 1, bits);
    return v;
  }

  /**
   * Push many symbols under one table, back to front, so that `popSymbols` returns them in order.
   * Same arithmetic as push/pop with the state held in locals: the hot loop of the coder.
   */
  pushSymbols(symbols: ArrayLike<number>, table: SymbolTable): void {
    const { freq, cum, precision } = table;
    const scaleUp = 2 ** precision;
    const bound = 2 ** (47 - precision);
    this.reserve(Math.ceil((symbols.length * precision) / 16) + 4);
    let tail = this.tail;
    let length = this.tailLength;
    let x = this.head;
    for (let i = symbols.length - 1; i >= 0; i--) {
      const s = symbols[i];
      if (!(s >= 0 && s < table.size)) {
        this.head = x;
        this.tailLength = length;
        fail('INTERNAL', `symbol ${s} outside table`);
      }
      const f = freq[s];
      const xMax = f * bound;
      while (x >= xMax) {
        if (length === tail.length) {
          this.tailLength = length;
          this.reserve(length);
          tail = this.tail;
        }
        tail[length++] = x % WORD;
        x = Math.floor(x / WORD);
      }
      const q = Math.floor(x / f);
      x = q * scaleUp + (x - q * f) + cum[s];
    }
    this.head = x;
    this.tailLength = length;
  }

  /**
   * Push symbols given as intervals [starts[i], starts[i] + freqs[i]) of 2^precisions[i], i from
   * count - 1 down to 0 (so that pops return interval 0 first): adaptive coders record their
   * decisions forwards and push them here in one pass. Same arithmetic as `push`, state in locals.
   */
  pushIntervals(starts: ArrayLike<number>, freqs: ArrayLike<number>, precisions: ArrayLike<number>, count: number): void {
    let tail = this.tail;
    let length = this.tailLength;
    let x = this.head;
    for (let i = count - 1; i >= 0; i--) {
      const f = freqs[i];
      const precision = precisions[i];
      const start = starts[i];
      if (!(f >= 1 && precision <= MAX_PRECISION && start + f <= POW2[precision])) {
        this.head = x;
        this.tailLength = length;
        fail('INTERNAL', `interval ${start} + ${f} outside 2^${precision}`);
      }
      const xMax = f * POW2[47 - precision];
      while (x >= xMax) {
        if (length === tail.length) {
          this.tailLength = length;
          this.reserve(length);
          tail = this.tail;
        }
        const high = Math.floor(x / WORD);
        tail[length++] = x - high * WORD;
        x = high;
      }
      const q = Math.floor(x / f);
      x = q * POW2[precision] + (x - q * f) + start;
    }
    this.head = x;
    this.tailLength = length;
  }

  /**
   * Pop one binary decision coded as [0, 2^precision - p1) for 0 and [2^precision - p1, 2^precision)
   * for 1 (0 < p1 < 2^precision): `peek` and `pop` in one call, for adaptive binary coders.
   */
  popBinary(p1: number, precision: number): number {
    const m = POW2[precision];
    const q = Math.floor(this.head / m);
    const slot = this.head - q * m;
    const zeroFreq = m - p1;
    let bit: number;
    let x: number;
    if (slot >= zeroFreq) {
      bit = 1;
      x = p1 * q + slot - zeroFreq;
    } else {
      bit = 0;
      x = zeroFreq * q + slot;
    }
    if (x < HEAD_MIN) {
      let length = this.tailLength;
      while (x < HEAD_MIN) {
        if (length > 0) x = x * WORD + this.tail[--length];
        else x = x * WORD + underflowWord(this.underflow++);
      }
      this.tailLength = length;
      if (length < this.lowest) this.lowest = length;
    }
    this.head = x;
    return bit;
  }

  popSymbols(count: number, table: SymbolTable, out = new Int32Array(count)): Int32Array {
    const { freq, cum, precision } = table;
    const m = 2 ** precision;
    const tail = this.tail;
    let length = this.tailLength;
    let x = this.head;
    for (let i = 0; i < count; i++) {
      const q = Math.floor(x / m);
      const slot = x - q * m;
      const s = table.symbolOf(slot);
      x = freq[s] * q + slot - cum[s];
      while (x < HEAD_MIN) {
        if (length > 0) x = x * WORD + tail[--length];
        else x = x * WORD + underflowWord(this.underflow++);
      }
      out[i] = s;
    }
    this.head = x;
    this.tailLength = length;
    if (length < this.lowest) this.lowest = length;
    return out;
  }

  /** Little-endian words: tail bottom to top, then head low, middle, high. */
  flatten(): Uint8Array {
    const words = this.tailLength + 3;
    const out = new Uint8Array(words * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < this.tailLength; i++) view.setUint16(2 * i, this.tail[i], true);
    const h = this.head;
    const base = 2 * this.tailLength;
    view.setUint16(base, h % WORD, true);
    view.setUint16(base + 2, Math.floor(h / WORD) % WORD, true);
    view.setUint16(base + 4, Math.floor(h / WORD / WORD), true);
    return out;
  }

  static unflatten(bytes: Uint8Array): Message {
    if (bytes.length < 6 || bytes.length % 2 !== 0) fail('CORRUPT', 'rANS message has a bad length');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tailLength = bytes.length / 2 - 3;
    const msg = new Message(tailLength + 16);
    for (let i = 0; i < tailLength; i++) msg.tail[i] = view.getUint16(2 * i, true);
    msg.tailLength = tailLength;
    const base = 2 * tailLength;
    const head =
      view.getUint16(base, true) + view.getUint16(base + 2, true) * WORD + view.getUint16(base + 4, true) * WORD * WORD;
    if (head < HEAD_MIN || head >= HEAD_MIN * WORD) fail('CORRUPT', 'rANS head out of range');
    msg.head = head;
    return msg;
  }

  clone(): Message {
    const m = new Message(this.tail.length);
    m.tail.set(this.tail.subarray(0, this.tailLength));
    m.tailLength = this.tailLength;
    m.head = this.head;
    m.underflow = this.underflow;
    m.lowest = this.lowest;
    return m;
  }

  equals(other: Message): boolean {
    if (this.head !== other.head || this.tailLength !== other.tailLength) return false;
    for (let i = 0; i < this.tailLength; i++) if (this.tail[i] !== other.tail[i]) return false;
    return true;
  }
}
