/**
 * The bench's browser section (--browser DIR): decode throughput of the page's worker in Chromium
 * (one worker, one thread) against Node's library in process with one thread, on the same .flz files
 * (made by Node with the default model), each decode checked against Node's. Timings are medians of
 * --runs after one warm-up decode (model loading and asset fetching not counted on either side).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compress, decompress, setTileThreads } from '../src/index.js';
import { canonicalSize } from '../src/compress.js';
import { readContainer } from '../codec/index.js';
import { decodeInPage, openPage, samplesDigest, bytesDigest } from './browser.js';
import { median } from './tools.js';

export interface BrowserFileResult {
  file: string;
  model: string;
  rawBytes: number;
  flzBytes: number;
  nodeMBPerS: number;
  browserMBPerS: number;
  /** Browser decode time over Node's (1.0: as fast). */
  slowdown: number;
  exact: boolean;
}

export interface BrowserBench {
  dir: string;
  chromium: string;
  files: BrowserFileResult[];
  /** Pooled: all files' browser seconds over Node's. */
  slowdown: number;
}

const INPUT = /\.(png|npy|jpe?g|webp|tiff?)$/i;

export async function benchBrowser(dir: string, runs: number): Promise<BrowserBench> {
  const web = await openPage();
  const files: BrowserFileResult[] = [];
  let nodeSeconds = 0;
  let browserSeconds = 0;
  try {
    const chromium = await web.page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? navigator.userAgent);
    for (const file of readdirSync(dir).filter((f) => INPUT.test(f)).sort()) {
      const input = new Uint8Array(readFileSync(join(dir, file)));
      const flz = await compress(input, { name: file });
      const c = readContainer(flz);
      if (c.method !== 'model') continue; // stored or kept as the original: nothing for a model to decode
      const rawBytes = canonicalSize(c);
      setTileThreads(1);
      const times: number[] = [];
      let node!: Awaited<ReturnType<typeof decompress>>;
      for (let r = 0; r <= runs; r++) {
        const start = performance.now();
        node = await decompress(flz);
        if (r > 0) times.push(performance.now() - start);
      }
      const decoded = await decodeInPage(web.page, flz, runs + 1);
      if ('error' in decoded) throw new Error(`${file}: the page failed: ${decoded.error.code} ${decoded.error.message}`);
      const entry = decoded.entries[0];
      const exact = node.kind === 'image' ? entry.samplesDigest === samplesDigest(node.samples!) : entry.dataDigest === bytesDigest(node.data);
      const nodeMs = median(times);
      const browserMs = median(decoded.decodeMs.slice(1));
      nodeSeconds += nodeMs / 1000;
      browserSeconds += browserMs / 1000;
      files.push({ file, model: c.modelId, rawBytes, flzBytes: flz.length, nodeMBPerS: rawBytes / 1e3 / nodeMs, browserMBPerS: rawBytes / 1e3 / browserMs, slowdown: browserMs / nodeMs, exact });
      process.stderr.write(`bench: browser ${file} node ${nodeMs.toFixed(0)} ms, chromium ${browserMs.toFixed(0)} ms\n`);
    }
    return { dir, chromium, files, slowdown: browserSeconds / Math.max(1e-9, nodeSeconds) };
  } finally {
    await web.close();
  }
}

export function browserTable(bench: BrowserBench): string[] {
  const f = (x: number) => x.toFixed(2);
  return [
    `## Decoding in the browser: ${bench.dir} (${bench.chromium}, one worker; Node in process, one thread)`,
    '',
    '| file | model | raw bytes | Node MB/s | Chromium MB/s | Chromium time / Node time | exact |',
    '|---|---|---|---|---|---|---|',
    ...bench.files.map((r) => `| ${r.file} | ${r.model} | ${r.rawBytes} | ${f(r.nodeMBPerS)} | ${f(r.browserMBPerS)} | ${f(r.slowdown)} | ${r.exact ? 'exact' : 'MISMATCH'} |`),
    '',
    `All files: Chromium takes ${f(bench.slowdown)}x Node's decode time.`,
  ];
}
