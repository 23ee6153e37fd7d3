/**
 * Payload framing of independent parts
 * (IDF tiles: u32 count, u32 byte length of each, then the parts; autoregressive bands, whose count the
 * layout gives: the lengths of all but the last, then the parts).
 */
import { fail } from '../../codec/index.js';

/** The framing in front of the parts: u32 count, then u32 byte length of each part. */
export function partsHeader(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * parts.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length, true);
  parts.forEach((m, i) => view.setUint32(4 + 4 * i, m.length, true));
  return out;
}

/** The parts behind `partsHeader`. */
export function splitParts(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < 4) fail('CORRUPT', 'part table is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  if (4 + 4 * count > bytes.length) fail('CORRUPT', 'part table is truncated');
  const parts: Uint8Array[] = [];
  let o = 4 + 4 * count;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(4 + 4 * i, true);
    if (o + length > bytes.length) fail('CORRUPT', 'part overruns the payload');
    parts.push(bytes.subarray(o, o + length));
    o += length;
  }
  if (o !== bytes.length) fail('CORRUPT', 'bytes after the last part');
  return parts;
}

/**
 * Parts whose count the decoder already knows (from the layout): u32 byte lengths of all but the last
 * part, then the parts. One part costs nothing.
 */
export function knownPartsHeader(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(4 * Math.max(0, parts.length - 1));
  const view = new DataView(out.buffer);
  parts.forEach((m, i) => i + 1 < parts.length && view.setUint32(4 * i, m.length, true));
  return out;
}

export function splitKnownParts(bytes: Uint8Array, count: number): Uint8Array[] {
  const header = 4 * (count - 1);
  if (bytes.length < header) fail('CORRUPT', 'part table is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let o = header;
  for (let i = 0; i + 1 < count; i++) {
    const length = view.getUint32(4 * i, true);
    if (o + length > bytes.length) fail('CORRUPT', 'part overruns the payload');
    parts.push(bytes.subarray(o, o + length));
    o += length;
  }
  parts.push(bytes.subarray(o));
  return parts;
}
