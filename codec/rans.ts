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

export class Message {
  head: number;
  tail: Uint16Array;
  tailLength: number;
  /** Words read past the bottom of the stack (see module comment). */
  underflowWords: number;
  /**
   * Lowest tail length since the caller last set it (archives use it to know which words each member
   * wrote: a member leaves every word below its low-water mark as it found it).
   */
  lowWater: number;

  constructor(capacityWords = 1024) {
    this.head = HEAD_MIN;
    this.tail = new Uint16Array(Math.max(16, capacityWords));
    this.tailLength = 0;
    this.underflowWords = 0;
    this.lowWater = 0;
  }

  /** True for a message in the state of `new Message()`: nothing pushed, nothing borrowed. */
  isEmpty(): boolean {
    return this.head === HEAD_MIN && this.tailLength === 0 && this.underflowWords === 0;
  }

  /**
   * Bits-back decoders end by pushing back what their encoder borrowed: from a fresh message, the
   * deterministic underflow words. Returns how many such words the message holds (then it is exactly
   * the state of a fresh message plus those words), or -1 when it holds anything else.
   */
  borrowedWords(): number {
    if (this.head !== HEAD_MIN || this.underflowWords !== 0) return -1;
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
    return 16 * (this.tailLength - this.underflowWords) + Math.log2(this.head / HEAD_MIN);
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
    const xMax = freq * 2 ** (47 - precision);
    while (x >= xMax) {
      if (this.tailLength === this.tail.length) this.grow();
      this.tail[this.tailLength++] = x % WORD;
      x = Math.floor(x / WORD);
    }
    this.head = Math.floor(x / freq) * 2 ** precision + (x % freq) + start;
  }

  /** First half of a pop: the slot in [0, 2^precision) that identifies the top symbol. */
  peek(precision: number): number {
    return this.head % 2 ** precision;
  }

  /** Second half of a pop: remove the symbol [start, start + freq) found from `peek`. */
  pop(start: number, freq: number, precision: number): void {
    const m = 2 ** precision;
    const slot = this.head % m;
    let x = freq * Math.floor(this.head / m) + slot - start;
    while (x < HEAD_MIN) {
      let word: number;
      if (this.tailLength > 0) {
        word = this.tail[--this.tailLength];
        if (this.tailLength < this.lowWater) this.lowWater = this.tailLength;
      } else word = underflowWord(this.underflowWords++);
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
    m.underflowWords = this.underflowWords;
    m.lowWater = this.lowWater;
    return m;
  }

  equals(other: Message): boolean {
    if (this.head !== other.head || this.tailLength !== other.tailLength) return false;
    for (let i = 0; i < this.tailLength; i++) if (this.tail[i] !== other.tail[i]) return false;
    return true;
  }
}
