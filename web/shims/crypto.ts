/** node:crypto for the browser build: SHA-256 only (model hashes), from @noble/hashes. */
import { sha256 } from '@noble/hashes/sha2.js';

export function createHash(algorithm: string) {
  if (algorithm !== 'sha256') throw new Error(`crypto shim: only sha256, not ${algorithm}`);
  const h = sha256.create();
  const hash = {
    update(bytes: Uint8Array) {
      h.update(bytes);
      return hash;
    },
    digest(): Uint8Array {
      return h.digest();
    },
  };
  return hash;
}
