/**
 * LEB128 varints (7 bits a byte, low byte first) and zigzag integers: what the container's version-2
 * header and the models' payload headers write their counts and values with.
 */
import { fail } from './errors.js';

export function pushVarint(out: number[], v: number): void {
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

export function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/**
 * The varint at `at`, within bytes [at, end): its value and where the next field starts. At most
 * `maxBytes` bytes (8 hold any value below 2^56); running past `end` or longer is CORRUPT, named `what`.
 */
export function readVarint(bytes: Uint8Array, at: number, end: number, what: string, maxBytes = 8): { value: number; next: number } {
  let value = 0;
  for (let unit = 1, k = 0; ; k++, unit *= 128) {
    if (at >= end) fail('CORRUPT', `${what} is truncated`);
    if (k === maxBytes) fail('CORRUPT', `${what} is malformed`);
    const b = bytes[at++];
    value += (b & 127) * unit;
    if (b < 128) return { value, next: at };
  }
}

/** Signed integers as unsigned: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... */
export function zigzag(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
