/**
 * npm run bench -- [--data DIR]... [--corpus DIR] [--arrays DIR]... [--text DIR]... [--browser DIR]... [--memory] [--json out.json] [--plot out.svg] [--runs N] [--quick] [--models a,b] (a model id, `default`, either with @eN for effort N: ar@e2)
 *
 * For each dataset (default: fixtures/, the corpus test splits under --corpus, FLOWZIP_CORPUS or
 * ../shared/data/corpus, when present, and bench/data/graphics), every
 * codec on the same files in the same run: Flowzip with each shipped model, PNG (sharp -9, optipng -o7),
 * WebP lossless (sharp, cwebp -z 9), JPEG-XL lossless (cjxl -e 9 and -e 7), xz -9 and zstd -19 on raw
 * samples. Reports bits/dim (pooled and mean per file), compress and decompress throughput (MB/s of raw
 * samples, wall clock, median of --runs; Flowzip's model loading is timed once, separately), and peak RSS
 * of one whole-dataset run per codec (a child process under GNU time). Every Flowzip file is decoded
 * and compared exactly; a mismatch fails the bench. Missing peers are listed with how to install them.
 * Arrays (--arrays DIR, default: the corpus' arrays and float arrays test splits when no --data is given):
 * see bench/arrays.ts. Decoding in Chromium against Node (--browser DIR): see bench/web.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { buildNpy, compress, compressArchive, decompress, decompressArchive, listModels, loadModel, parseNpy } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { packageRoot } from '../models/shared/assets.js';
import { benchRans, type RansBenchRow } from './rans.js';
import { renderPlot } from './plot.js';
import { arraysTable, benchArrays, throughputRatios } from './arrays.js';
import { have, median } from './tools.js';
import { benchBrowser, browserTable } from './web.js';

interface Args {
  data: string[];
  json?: string;
  plot?: string;
  runs: number;
  quick: boolean;
  models?: string[];
  patches: number;
  noFixtures?: boolean;
  corpus?: string;
  /** Folders of files to code as bytes (text): Flowzip against xz -9 and zstd -19. */
  text: string[];
  /** Peak memory on a 6000x4000 RGB photo and a 50 MB int16 .npy, each way with -T 1 (minutes). */
  memory: boolean;
  /** Folders of .npy arrays: Flowzip against xz, zstd (also shuffled), flac and cjxl. */
  arrays: string[];
  noArrays?: boolean;
  /** Folders of images and arrays to decode in Chromium (the web page's worker) and in Node. */
  browser: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { data: [], runs: 3, quick: false, patches: 200, text: [], memory: false, arrays: [], browser: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--data') args.data.push(argv[++i]);
    else if (a === '--json') args.json = argv[++i];
    else if (a === '--plot') args.plot = argv[++i];
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--models') args.models = argv[++i].split(',');
    else if (a === '--quick') args.quick = true;
    else if (a === '--patches') args.patches = Number(argv[++i]);
    else if (a === '--no-fixtures') args.noFixtures = true;
    else if (a === '--corpus') args.corpus = argv[++i];
    else if (a === '--text') args.text.push(argv[++i]);
    else if (a === '--memory') args.memory = true;
    else if (a === '--arrays') args.arrays.push(argv[++i]);
    else if (a === '--no-arrays') args.noArrays = true;
    else if (a === '--browser') args.browser.push(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

interface Item {
  name: string;
  /** The original file (what Flowzip reads). */
  path: string;
  /** The same pixels as a plain PNG (what file-based peers read: optipng and cjxl need PNG, not JPEG). */
  pngPath: string;
  bytes: Uint8Array;
  /** Canonical raw samples (8-bit, or 16-bit little-endian) for the general-purpose peers. */
  raw: Uint8Array;
  dims: number;
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  samples: Uint8Array | Uint16Array;
}

export interface CodecResult {
  codec: string;
  dataset: string;
  files: number;
  dims: number;
  bytes: number;
  pooledBitsPerDim: number;
  meanBitsPerDim: number;
  compressMBPerS?: number;
  decompressMBPerS?: number;
  /** Flowzip: model loading, timed once. */
  loadSeconds?: number;
  peakRssMB?: number;
  roundTripExact?: boolean;
  missing?: string;
  /** Archives: bits borrowed from nothing for the whole chain (one-time). */
  initialBits?: number;
}

/** The first `count` crops of an (N, H, W, 3) uint8 .npy, each written out as its own PNG (coded alone). */
async function loadPatches(npyPath: string, count: number, scratch: string): Promise<string> {
  const npy = parseNpy(new Uint8Array(readFileSync(npyPath)));
  if ('unsupported' in npy || npy.shape.length !== 4) throw new Error(`${npyPath}: not an (N, H, W, C) array`);
  const [n, h, w, c] = npy.shape;
  const dir = mkdtempSync(join(scratch, 'patches-'));
  for (let i = 0; i < Math.min(n, count); i++) {
    const crop = Uint8Array.from(npy.values.subarray(i * h * w * c, (i + 1) * h * w * c));
    await sharp(crop, { raw: { width: w, height: h, channels: c as 3 } }).png().toFile(join(dir, `${String(i).padStart(5, '0')}.png`));
  }
  return dir;
}

async function loadDataset(dir: string, scratch: string): Promise<Item[]> {
  const items: Item[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(png|jpg|jpeg|webp|tif|tiff)$/i.test(name)) continue;
    const path = join(dir, name);
    const bytes = new Uint8Array(readFileSync(path));
    const d = await decodeImage(bytes);
    if ('unsupported' in d) continue;
    const raw = d.bitDepth === 16 ? new Uint8Array(Uint16Array.from(d.samples).buffer) : Uint8Array.from(d.samples);
    const item = { name, path, pngPath: join(scratch, `${items.length}.png`), bytes, raw, dims: d.samples.length, width: d.width, height: d.height, channels: d.channels, bitDepth: d.bitDepth, samples: d.samples };
    writeFileSync(item.pngPath, await sharpPipeline(item).png({ compressionLevel: 1 }).toBuffer());
    items.push(item);
  }
  return items;
}


function summarize(codec: string, dataset: string, items: Item[], sizes: number[], seconds?: [number, number]): CodecResult {
  const dims = items.reduce((a, it) => a + it.dims, 0);
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const rawBytes = items.reduce((a, it) => a + it.raw.length, 0);
  return {
    codec,
    dataset,
    files: items.length,
    dims,
    bytes,
    pooledBitsPerDim: (8 * bytes) / dims,
    meanBitsPerDim: items.reduce((a, it, i) => a + (8 * sizes[i]) / it.dims, 0) / items.length,
    ...(seconds ? { compressMBPerS: rawBytes / 1e6 / seconds[0], decompressMBPerS: rawBytes / 1e6 / seconds[1] } : {}),
  };
}

/** Peak RSS (MB) of a command, via GNU time; undefined when /usr/bin/time is not installed. */
function peakRss(command: string, args: string[]): number | undefined {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : undefined;
}

/** `--models default`: what `flowzip compress` does with no model named (the default, and for alpha and 16-bit images also grid; the smaller). */
const DEFAULT_CHOICE = 'default';

/** A `--models` entry: a model id, `default`, either with `@eN` for effort N (`ar@e2`). */
function modelSpec(spec: string): { model: string; effort?: number; cliArgs: string[] } {
  const [model, effort] = spec.split('@e');
  if (effort === undefined) return { model, cliArgs: model === DEFAULT_CHOICE ? [] : ['--model', model] };
  return { model, effort: Number(effort), cliArgs: [...(model === DEFAULT_CHOICE ? [] : ['--model', model]), '-e', effort] };
}

async function benchFlowzip(spec: string, dataset: string, items: Item[], runs: number, cli: string): Promise<CodecResult> {
  const { model, effort, cliArgs } = modelSpec(spec);
  const chosen = model === DEFAULT_CHOICE;
  const t0 = performance.now();
  await loadModel(chosen ? undefined : model);
  const loadSeconds = (performance.now() - t0) / 1000;
  const sizes: number[] = [];
  const enc: number[] = [];
  const dec: number[] = [];
  let exact = true;
  for (let run = 0; run < runs; run++) {
    let te = 0;
    let td = 0;
    for (const [i, it] of items.entries()) {
      let t = performance.now();
      // What `flowzip compress` runs (no report, so no float-model bits).
      const bytes = await compress(it.bytes, chosen ? { kind: 'image', forceModel: true, effort } : { model, kind: 'image', forceModel: true, effort });
      te += performance.now() - t;
      t = performance.now();
      const restored = await decompress(bytes);
      td += performance.now() - t;
      const back = restored.samples!;
      if (back.length !== it.samples.length || back.some((v, k) => v !== it.samples[k])) exact = false;
      if (run === 0) sizes[i] = bytes.length;
    }
    enc.push(te / 1000);
    dec.push(td / 1000);
  }
  if (!exact) throw new Error(`ROUND TRIP MISMATCH: flowzip:${spec} on ${dataset}`);
  const dir = mkdtempSync(join(tmpdir(), 'flowzip-bench-'));
  const rss = peakRss(process.execPath, [cli, 'compress', '-q', ...cliArgs, '--kind', 'image', '-o', dir, ...items.map((it) => it.path)]);
  rmSync(dir, { recursive: true, force: true });
  return { ...summarize(`flowzip:${spec}`, dataset, items, sizes, [median(enc), median(dec)]), loadSeconds, peakRssMB: rss, roundTripExact: exact };
}

/** All files of a dataset in one archive (one chain): what bits-back models pay once per archive. */
async function benchArchive(model: string, dataset: string, items: Item[]): Promise<CodecResult> {
  const inputs = items.map((it) => ({ name: it.name, bytes: it.bytes }));
  let t = performance.now();
  const { bytes, report } = await compressArchive(inputs, { model, forceModel: true });
  const encodeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const { members } = await decompressArchive(bytes);
  const decodeSeconds = (performance.now() - t) / 1000;
  const exact = members.every((m, i) => m.samples !== undefined && m.samples.length === items[i].samples.length && m.samples.every((v, k) => v === items[i].samples[k]));
  if (!exact) throw new Error(`ROUND TRIP MISMATCH: flowzip:${model} archive on ${dataset}`);
  const dims = items.reduce((a, it) => a + it.dims, 0);
  const rawBytes = items.reduce((a, it) => a + it.raw.length, 0);
  return {
    codec: `flowzip:${model} (one archive; initial bits ${report.initialBits})`,
    dataset,
    files: items.length,
    dims,
    bytes: bytes.length,
    pooledBitsPerDim: (8 * bytes.length) / dims,
    meanBitsPerDim: report.members.reduce((a, m) => a + m.codedBits / m.dims, 0) / items.length,
    compressMBPerS: rawBytes / 1e6 / encodeSeconds,
    decompressMBPerS: rawBytes / 1e6 / decodeSeconds,
    roundTripExact: exact,
    initialBits: report.initialBits,
  };
}

function sharpPipeline(it: Pick<Item, 'raw' | 'bitDepth' | 'channels' | 'width' | 'height'>): Sharp {
  const input = it.bitDepth === 16 ? new Uint16Array(it.raw.buffer, it.raw.byteOffset, it.raw.length / 2) : it.raw;
  const grey = it.channels <= 2;
  return sharp(input, { raw: { width: it.width, height: it.height, channels: it.channels as 1 | 2 | 3 | 4 } }).toColourspace(
    it.bitDepth === 16 ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb',
  );
}

async function benchSharp(codec: 'png' | 'webp', dataset: string, items: Item[], runs: number): Promise<CodecResult> {
  const sizes: number[] = [];
  const enc: number[] = [];
  const dec: number[] = [];
  for (let run = 0; run < runs; run++) {
    let te = 0;
    let td = 0;
    for (const [i, it] of items.entries()) {
      if (codec === 'webp' && it.bitDepth === 16) {
        sizes[i] = NaN;
        continue;
      }
      let t = performance.now();
      const p = sharpPipeline(it);
      const out = codec === 'png' ? await p.png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer() : await p.webp({ lossless: true, effort: 6, exact: true }).toBuffer();
      te += performance.now() - t;
      t = performance.now();
      await sharp(out).raw().toBuffer();
      td += performance.now() - t;
      sizes[i] = out.length;
    }
    enc.push(te / 1000);
    dec.push(td / 1000);
  }
  const usable = items.filter((_, i) => Number.isFinite(sizes[i]));
  return summarize(codec === 'png' ? 'png (sharp -9)' : 'webp-ll (sharp effort 6)', dataset, usable, sizes.filter(Number.isFinite), [median(enc), median(dec)]);
}

interface ToolSpec {
  label: string;
  tool: string;
  apt: string;
  /** Compress: file-based (input PNG -> output file) or raw stdin -> stdout. */
  mode: 'file' | 'raw';
  args: (input: string, output: string) => string[];
  decoder?: { tool: string; args: (input: string, output: string) => string[] };
  accepts?: (it: Item) => boolean;
}

const TOOLS: ToolSpec[] = [
  { label: 'png (optipng -o7)', tool: 'optipng', apt: 'optipng', mode: 'file', args: (i, o) => ['-quiet', '-o7', '-out', o, i] },
  {
    // -exact: keep the colour of fully transparent pixels (without it cwebp changes them: not lossless).
    label: 'webp-ll (cwebp -z 9)', tool: 'cwebp', apt: 'webp', mode: 'file', args: (i, o) => ['-quiet', '-lossless', '-z', '9', '-exact', i, '-o', o],
    decoder: { tool: 'dwebp', args: (i, o) => ['-quiet', i, '-pam', '-o', o] }, accepts: (it) => it.bitDepth === 8,
  },
  { label: 'jxl (cjxl -e 9)', tool: 'cjxl', apt: 'libjxl-tools', mode: 'file', args: (i, o) => ['-d', '0', '-e', '9', '--quiet', i, o], decoder: { tool: 'djxl', args: (i, o) => [i, o, '--quiet'] } },
  { label: 'jxl (cjxl -e 7)', tool: 'cjxl', apt: 'libjxl-tools', mode: 'file', args: (i, o) => ['-d', '0', '-e', '7', '--quiet', i, o], decoder: { tool: 'djxl', args: (i, o) => [i, o, '--quiet'] } },
  { label: 'xz -9 (raw)', tool: 'xz', apt: 'xz-utils', mode: 'raw', args: () => ['-9', '-c'], decoder: { tool: 'xz', args: () => ['-d', '-c'] } },
  { label: 'zstd -19 (raw)', tool: 'zstd', apt: 'zstd', mode: 'raw', args: () => ['-19', '-c', '-q'], decoder: { tool: 'zstd', args: () => ['-d', '-c', '-q'] } },
];

function benchTool(spec: ToolSpec, dataset: string, all: Item[], runs: number): CodecResult {
  const items = all.filter((it) => spec.accepts?.(it) ?? true);
  if (!have(spec.tool)) return { ...summarize(spec.label, dataset, all, all.map(() => 0)), missing: `apt-get install ${spec.apt}` };
  const dir = mkdtempSync(join(tmpdir(), 'flowzip-peer-'));
  const sizes: number[] = [];
  const enc: number[] = [];
  const dec: number[] = [];
  let rss = 0;
  for (let run = 0; run < runs; run++) {
    let te = 0;
    let td = 0;
    for (const [i, it] of items.entries()) {
      const out = join(dir, `out-${i}`);
      const back = join(dir, `back-${i}.${spec.decoder?.tool === 'dwebp' ? 'pam' : 'png'}`);
      let t = performance.now();
      let coded: Uint8Array;
      if (spec.mode === 'raw') coded = execFileSync(spec.tool, spec.args('', ''), { input: it.raw, maxBuffer: 1 << 30 });
      else {
        execFileSync(spec.tool, spec.args(it.pngPath, out), { stdio: 'ignore' });
        coded = readFileSync(out);
      }
      te += performance.now() - t;
      sizes[i] = coded.length;
      if (spec.decoder) {
        t = performance.now();
        if (spec.mode === 'raw') execFileSync(spec.decoder.tool, spec.decoder.args('', ''), { input: coded, maxBuffer: 1 << 30 });
        else execFileSync(spec.decoder.tool, spec.decoder.args(out, back), { stdio: 'ignore' });
        td += performance.now() - t;
      }
      if (run === 0) {
        if (spec.mode === 'file') rss = Math.max(rss, peakRss(spec.tool, spec.args(it.pngPath, out)) ?? 0);
        else {
          const rawPath = join(dir, `raw-${i}`);
          writeFileSync(rawPath, it.raw);
          rss = Math.max(rss, peakRss('sh', ['-c', `${spec.tool} ${spec.args('', '').join(' ')} < '${rawPath}' > /dev/null`]) ?? 0);
        }
      }
    }
    enc.push(te / 1000);
    dec.push(td / 1000);
  }
  rmSync(dir, { recursive: true, force: true });
  const r = summarize(spec.label, dataset, items, sizes, [median(enc), spec.decoder ? median(dec) : NaN]);
  return { ...r, peakRssMB: rss || undefined, ...(spec.decoder ? {} : { decompressMBPerS: undefined }) };
}

export interface ThreadResult {
  dataset: string;
  model: string;
  threads: number;
  seconds: number;
  compressMBPerS: number;
}

/** Whole-CLI wall clock (process start and model loading included) on all files, 1 thread vs all cores. */
function benchThreads(spec: string, dataset: string, items: Item[], cli: string): ThreadResult[] {
  const { cliArgs } = modelSpec(spec);
  const rawBytes = items.reduce((a, it) => a + it.raw.length, 0);
  const out: ThreadResult[] = [];
  for (const threads of [...new Set([1, cpus().length])]) {
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-threads-'));
    const t = performance.now();
    execFileSync(process.execPath, [cli, 'compress', '-q', '-T', String(threads), ...cliArgs, '-o', dir, ...items.map((it) => it.path)]);
    const seconds = (performance.now() - t) / 1000;
    rmSync(dir, { recursive: true, force: true });
    out.push({ dataset, model: spec, threads, seconds, compressMBPerS: rawBytes / 1e6 / seconds });
  }
  return out;
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));

function ransTable(rows: RansBenchRow[]): string[] {
  return [
    '| precision | encode Msym/s | decode Msym/s | encode MB/s | decode MB/s | overhead % of info content |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.precision} | ${fmt(r.encodeMsymPerS, 1)} | ${fmt(r.decodeMsymPerS, 1)} | ${fmt(r.encodeMBPerS, 1)} | ${fmt(r.decodeMBPerS, 1)} | ${fmt(r.overheadPct, 4)} |`),
  ];
}

function resultTable(results: CodecResult[]): string[] {
  return [
    '| dataset | codec | files | pooled bits/dim | mean bits/dim | compress MB/s | decompress MB/s | peak RSS MB | round trip |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      r.missing
        ? `| ${r.dataset} | ${r.codec} | missing: \`${r.missing}\` | | | | | | |`
        : `| ${r.dataset} | ${r.codec} | ${r.files} | ${fmt(r.pooledBitsPerDim, 3)} | ${fmt(r.meanBitsPerDim, 3)} | ${fmt(r.compressMBPerS)} | ${fmt(r.decompressMBPerS)} | ${fmt(r.peakRssMB, 0)} | ${r.roundTripExact === undefined ? '' : r.roundTripExact ? 'exact' : 'MISMATCH'} |`,
    ),
  ];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = packageRoot();
  const cli = join(root, 'dist/cli/flowzip.js');
  const corpus = resolve(args.corpus ?? process.env.FLOWZIP_CORPUS ?? resolve(root, '../shared/data/corpus'));
  if ((args.corpus || process.env.FLOWZIP_CORPUS) && !existsSync(corpus)) throw new Error(`corpus ${corpus} does not exist`);
  const scratch = mkdtempSync(join(tmpdir(), 'flowzip-bench-png-'));
  const patches = join(corpus, 'patches32/test.npy');
  const datasets = args.data.length
    ? args.data.map((d) => ({ name: basename(resolve(d)), dir: d }))
    : [
        ...(args.noFixtures ? [] : [{ name: 'fixtures', dir: join(root, 'fixtures') }]),
        ...[
          { name: 'photos-ds/test', dir: join(corpus, 'photos-ds/test') },
          { name: 'photos-full/test rgb', dir: join(corpus, 'photos-full/test'), channels: 3 },
          { name: 'photos-full/test grey', dir: join(corpus, 'photos-full/test'), channels: 1 },
          // Real screenshots, diagrams, a chart and a logo (bench/data/graphics/README.md): not photos.
          { name: 'graphics', dir: join(root, 'bench/data/graphics') },
        ].filter((d) => existsSync(d.dir)),
        ...(existsSync(patches) && args.patches > 0
          ? [{ name: `patches32/test (first ${args.patches}, each alone)`, dir: await loadPatches(patches, args.patches, scratch) }]
          : []),
      ];
  const runs = args.quick ? 1 : args.runs;
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
  const rans = benchRans(args.quick ? 500_000 : 2_000_000, args.quick ? 3 : 5);
  const lines: string[] = [`# Flowzip bench (${machine.date}; ${machine.cpus} cores, ${machine.cpu}, ${machine.memGiB} GiB, node ${machine.node})`, ''];
  lines.push('## rANS core (256-symbol peaked distribution; MB/s of 8-bit symbols)', '', ...ransTable(rans), '');
  console.log(lines.join('\n'));

  const models = args.models ?? listModels().map((m) => m.id);
  const results: CodecResult[] = [];
  const threadResults: ThreadResult[] = [];
  for (const ds of datasets) {
    const items = (await loadDataset(ds.dir, scratch)).filter((it) => !('channels' in ds) || it.channels === ds.channels);
    if (items.length === 0) continue;
    process.stderr.write(`bench: ${ds.name} (${items.length} images)\n`);
    for (const m of models) results.push(await benchFlowzip(m, ds.name, items, runs, cli));
    // Bits-back models chain files: one archive of the whole dataset shows the amortized rate.
    for (const m of models) if (m !== DEFAULT_CHOICE && !m.includes('@') && (await loadModel(m)).chain) results.push(await benchArchive(m, ds.name, items));
    results.push(await benchSharp('png', ds.name, items, runs));
    results.push(await benchSharp('webp', ds.name, items, runs));
    for (const spec of TOOLS) results.push(benchTool(spec, ds.name, items, runs));
    for (const m of models) if (m !== DEFAULT_CHOICE) threadResults.push(...benchThreads(m, ds.name, items, cli));
  }
  const table = ['## Lossless images: bits per sub-pixel (headers included), throughput of raw samples', '', ...resultTable(results)];
  const loads = results.filter((r) => r.loadSeconds !== undefined && r.dataset === results[0]?.dataset);
  if (loads.length) table.push('', `Model loading (timed once, not in the throughputs): ${loads.map((r) => `${r.codec} ${fmt(r.loadSeconds)} s`).join(', ')}.`);
  const missing = [...new Set(results.filter((r) => r.missing).map((r) => r.missing))];
  if (missing.length) table.push('', `Missing peers: install with \`${missing.join('; ')}\` (Debian).`);
  table.push('', '## CLI compress wall clock on all files of a dataset (process start and model loading included)', '');
  table.push('| dataset | model | threads | seconds | MB/s |', '|---|---|---|---|---|');
  for (const t of threadResults) table.push(`| ${t.dataset} | ${t.model} | ${t.threads} | ${fmt(t.seconds)} | ${fmt(t.compressMBPerS)} |`);
  const text = args.text.map((dir) => benchText(dir));
  if (text.length) {
    table.push('', '## Text and other bytes: total bytes (Flowzip picks the model, Brotli or storing per file)', '');
    table.push('| folder | files | input | flowzip | xz -9 | zstd -19 | flowzip / xz |', '|---|---|---|---|---|---|---|');
    for (const t of text) table.push(`| ${t.dir} | ${t.files} | ${t.input} | ${t.flowzip} | ${t.xz} | ${t.zstd} | ${fmt(t.flowzip / t.xz)} |`);
  }
  const arrayDirs = args.arrays.length || args.data.length || args.noArrays ? args.arrays : [join(corpus, 'arrays/test'), join(corpus, 'arrays-float/test')].filter((d) => existsSync(d));
  const arrays = [];
  for (const dir of arrayDirs) {
    const bench = await benchArrays(dir, runs);
    arrays.push({ ...bench, ratios: throughputRatios(bench) });
    table.push('', ...arraysTable(bench));
  }
  const browser = [];
  for (const dir of args.browser) {
    const bench = await benchBrowser(dir, runs);
    browser.push(bench);
    table.push('', ...browserTable(bench));
  }
  const memory = args.memory ? await benchMemory(scratch, cli, corpus) : [];
  if (memory.length) {
    table.push('', '## Peak memory, one thread (CLI under GNU time; process start and model loading included)', '');
    table.push('| input | raw MB | compress MB RSS | s | decompress MB RSS | s | round trip |', '|---|---|---|---|---|---|---|');
    for (const m of memory) table.push(`| ${m.input} | ${fmt(m.rawMB)} | ${m.compress.rssMB} | ${fmt(m.compress.seconds)} | ${m.decompress.rssMB} | ${fmt(m.decompress.seconds)} | ${m.exact ? 'exact' : 'MISMATCH'} |`);
  }
  console.log(table.join('\n'));
  rmSync(scratch, { recursive: true, force: true });
  if (args.json) writeFileSync(args.json, JSON.stringify({ machine, runs, rans, results, threads: threadResults, text, arrays, browser, memory }, null, 2));
  if (arrays.some((a) => a.files.some((f) => !f.exact))) throw new Error('an arrays-bench round trip was not exact');
  if (browser.some((b) => b.files.some((f) => !f.exact))) throw new Error('a browser decode differed from Node\'s');
  if (memory.some((m) => !m.exact)) throw new Error('a memory-bench round trip was not exact');
  if (args.plot) writeFileSync(args.plot, renderPlot(results.filter((r) => !r.missing && r.compressMBPerS)));
}

/** Peak RSS (MB) and wall seconds of one CLI run under GNU time. */
function timed(cli: string, args: string[]): { rssMB: number; seconds: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`flowzip ${args.join(' ')} failed: ${r.stderr}`);
  const [kb, seconds] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { rssMB: Math.round(kb / 1024), seconds };
}

/**
 * Large inputs, one thread each way: a 6000x4000 RGB photo (a corpus photo mirrored into tiles with
 * +-2 noise, so PNG cannot exploit the repetition: a real photo's size, 60 MB as PNG) and a 50 MB int16
 * signal (.npy). Memory should follow the band, not the image.
 */
async function benchMemory(scratch: string, cli: string, corpus: string) {
  if (!existsSync('/usr/bin/time')) return [];
  const photoSource = [join(corpus, 'photos-full/test/jxl_bliznaca.png'), join(packageRoot(), 'fixtures/photo-300x72.png')].find(existsSync)!;
  const src = await sharp(photoSource).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = src.info;
  const W = 6000;
  const H = 4000;
  const photo = Buffer.alloc(W * H * 3);
  let seed = 12345;
  for (let y = 0; y < H; y++) {
    const yy = Math.floor(y / h) % 2 ? h - 1 - (y % h) : y % h;
    for (let x = 0; x < W; x++) {
      const xx = Math.floor(x / w) % 2 ? w - 1 - (x % w) : x % w;
      for (let c = 0; c < 3; c++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        photo[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, src.data[(yy * w + xx) * 3 + c] + ((seed >>> 16) % 5) - 2));
      }
    }
  }
  const photoPath = join(scratch, 'photo-6000x4000.png');
  await sharp(photo, { raw: { width: W, height: H, channels: 3 } }).png().toFile(photoPath);
  const n = 25_000_000;
  const signal = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    signal[i] = Math.round(8000 * Math.sin(i / 50)) + ((seed >>> 16) % 601) - 300;
  }
  const npyPath = join(scratch, 'signal-int16.npy');
  writeFileSync(npyPath, buildNpy(signal, 'int16', [n]));
  const rows = [];
  for (const [input, path, rawMB] of [['6000x4000 RGB photo (PNG)', photoPath, (W * H * 3) / 1e6], ['50 MB int16 signal (.npy)', npyPath, (2 * n) / 1e6]] as const) {
    process.stderr.write(`bench: memory, ${input}\n`);
    const flz = `${path}.flz`;
    const back = `${path}.back`;
    const compress = timed(cli, ['compress', '-T', '1', '-q', '-f', '-o', flz, path]);
    const decompress = timed(cli, ['decompress', '-T', '1', '-q', '-f', '-o', back, flz]);
    const original = path.endsWith('.png') ? (await sharp(path).raw().toBuffer()) : readFileSync(path);
    const restored = path.endsWith('.png') ? (await sharp(back).raw().toBuffer()) : readFileSync(back);
    rows.push({ input, rawMB, flzMB: statSync(flz).size / 1e6, compress, decompress, exact: original.equals(restored) });
  }
  return rows;
}

/** Every file of a folder coded as bytes, each alone: Flowzip's file against xz -9 and zstd -19 on the same bytes. */
function benchText(dir: string) {
  const files = readdirSync(dir).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
  let input = 0, flowzip = 0, xz = 0, zstd = 0;
  for (const f of files) {
    const bytes = readFileSync(f);
    input += bytes.length;
    flowzip += execFileSync(process.execPath, [join(packageRoot(), 'dist/cli/flowzip.js'), 'compress', '-q', '-c', '--kind', 'bytes', f], { maxBuffer: 1 << 30 }).length;
    xz += execFileSync('xz', ['-9', '-c', f], { maxBuffer: 1 << 30 }).length;
    zstd += execFileSync('zstd', ['-19', '-q', '-c', f], { maxBuffer: 1 << 30 }).length;
  }
  return { dir, files: files.length, input, flowzip, xz, zstd };
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
