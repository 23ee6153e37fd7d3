/** Worker side of the fuzzer: decodes one case the way `flowzip decompress` does and says how it ended. */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { FlowzipError, decompress, decompressArchive, readContainer, splitContainers } from '../../src/index.js';

/** Decoding limits of a fuzzing run: well inside the per-case memory limit. */
const LIMITS = { maxOutputBytes: 256 * 2 ** 20, maxPixels: 64 * 2 ** 20 };

parentPort!.on('message', async (bytes: Uint8Array) => {
  const started = Date.now();
  try {
    const hash = createHash('sha256');
    for (const part of splitContainers(bytes)) {
      if (readContainer(part, { deferPayloadCrc: true }).kind === 'archive') {
        for (const m of (await decompressArchive(part, LIMITS)).members) hash.update(m.name).update(m.data);
      } else hash.update((await decompress(part, LIMITS)).data);
    }
    parentPort!.postMessage({ ok: true, digest: hash.digest('hex'), ms: Date.now() - started });
  } catch (e) {
    if (e instanceof FlowzipError) parentPort!.postMessage({ ok: false, code: e.code, ms: Date.now() - started });
    else parentPort!.postMessage({ ok: false, exception: `${(e as Error)?.name}: ${(e as Error)?.message}`.slice(0, 300), ms: Date.now() - started });
  }
});
