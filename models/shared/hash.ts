import { createHash } from 'node:crypto';

/** SHA-256 of the concatenated parts: what files record of a model's tables and weights. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
