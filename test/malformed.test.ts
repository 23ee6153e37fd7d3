/**
 * The malformed-file corpus (test/malformed/: made by test/tools/make-malformed.mjs, plus fuzzer
 * findings): every file is refused with one of its expected error codes, never another exception.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlowzipError, readContainer } from '../codec/index.js';
import { decompress, decompressArchive } from '../src/index.js';

const EXPECTED = JSON.parse(readFileSync(new URL('./malformed/expected.json', import.meta.url), 'utf8')) as Record<string, { codes: string[]; why: string }>;

/** Decode like `flowzip decompress` does: archives as archives. */
async function decodeAny(bytes: Uint8Array): Promise<void> {
  let isArchive = false;
  try {
    isArchive = readContainer(bytes, { deferPayloadCrc: true }).kind === 'archive';
  } catch {
    /* decompress reports it */
  }
  if (isArchive) await decompressArchive(bytes);
  else await decompress(bytes);
}

describe('malformed-file corpus', () => {
  for (const [name, { codes, why }] of Object.entries(EXPECTED)) {
    it(`${name} (${why}): ${codes.join(' or ')}`, async () => {
      const bytes = new Uint8Array(readFileSync(new URL(`./malformed/${name}`, import.meta.url)));
      let error: unknown;
      try {
        await decodeAny(bytes);
      } catch (e) {
        error = e;
      }
      expect(error, 'decoding must fail').toBeInstanceOf(FlowzipError);
      expect(codes).toContain((error as FlowzipError).code);
    });
  }
});
