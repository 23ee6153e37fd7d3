/**
 * npm run bench -- [--data DIR]... [--json out.json] [--quick]
 *
 * Prints a markdown table and writes JSON: the rANS core micro-benchmark, then for each dataset
 * (default: fixtures/ and the corpus test splits in ../shared/data when present) Flowzip with every
 * shipped model against real peers run on the same files in the same run. Every Flowzip result is
 * round-tripped and checked exact; a mismatch fails the bench.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { compressWithReport, decompress, listModels } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { packageRoot } from '../models/assets.js';
import { benchRans } from './rans.js';

interface Args {
  data: string[];
  json?: string;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { data: [], quick: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data') args.data.push(argv[++i]);
    else if (argv[i] === '--json') args.json = argv[++i];
    else if (argv[i] === '--quick') args.quick = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

interface Item {
  name: string;
  bytes: Uint8Array;
  /** Raw samples (canonical bytes) for the general-purpose peers, and the sample count. */
  raw: Uint8Array;
  dims: number;
  image?: { width: number; height: number; channels: number; bitDepth: 8 | 16 };
}

interface CodecResult {
  codec: string;
  dataset: string;
  files: number;
  dims: number;
  bytes: number;
  pooledBitsPerDim: number;
  meanBitsPerDim: number;
  compressMBPerS?: number;
  decompressMBPerS?: number;
  missing?: string;
}

async function loadDataset(dir: string): Promise<Item[]> {
  const items: Item[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(png|jpg|jpeg|webp|tif|tiff)$/i.test(name)) continue;
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    const d = await decodeImage(bytes);
    if ('unsupported' in d) continue;
    const raw = d.bitDepth === 16 ? new Uint8Array(new Uint16Array(d.samples).buffer) : Uint8Array.from(d.samples);
    items.push({ name, bytes, raw, dims: d.samples.length, image: d });
  }
  return items;
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
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

async function timed<T>(f: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const v = await f();
  return [v, (performance.now() - t) / 1000];
}

async function benchFlowzip(model: string, dataset: string, items: Item[]): Promise<CodecResult> {
  const sizes: number[] = [];
  let enc = 0;
  let dec = 0;
  for (const it of items) {
    const [{ bytes }, te] = await timed(() => compressWithReport(it.bytes, { model, kind: 'image', forceModel: true }));
    const [restored, td] = await timed(() => decompress(bytes));
    enc += te;
    dec += td;
    const back = restored.samples!;
    const original = await decodeImage(it.bytes);
    if ('unsupported' in original || back.length !== original.samples.length || back.some((v, i) => v !== original.samples[i]))
      throw new Error(`ROUND TRIP MISMATCH: flowzip/${model} on ${it.name}`);
    sizes.push(bytes.length);
  }
  return summarize(`flowzip:${model}`, dataset, items, sizes, [enc, dec]);
}

async function benchSharp(codec: 'png' | 'webp', dataset: string, items: Item[]): Promise<CodecResult> {
  const sizes: number[] = [];
  for (const it of items) {
    const img = it.image!;
    const input = img.bitDepth === 16 ? new Uint16Array(it.raw.buffer, it.raw.byteOffset, it.raw.length / 2) : it.raw;
    let p = sharp(input, { raw: { width: img.width, height: img.height, channels: img.channels as 1 | 2 | 3 | 4 } });
    p = p.toColourspace(img.bitDepth === 16 ? (img.channels <= 2 ? 'grey16' : 'rgb16') : img.channels <= 2 ? 'b-w' : 'srgb');
    const out = codec === 'png' ? await p.png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer() : await p.webp({ lossless: true, effort: 6 }).toBuffer();
    sizes.push(out.length);
  }
  return summarize(codec === 'png' ? 'png (sharp -9)' : 'webp-ll (sharp effort 6)', dataset, items, sizes);
}

function benchTool(label: string, tool: string, args: string[], dataset: string, items: Item[], onFile: boolean): CodecResult {
  if (!have(tool)) return { ...summarize(label, dataset, items, items.map(() => 0)), missing: `install with: apt-get install ${tool === 'cjxl' ? 'libjxl-tools' : tool === 'cwebp' ? 'webp' : tool}` };
  const sizes: number[] = [];
  for (const it of items) {
    if (onFile) {
      const tmp = `/tmp/flowzip-bench-${process.pid}.png`;
      writeFileSync(tmp, it.bytes);
      const out = `${tmp}.out`;
      execFileSync(tool, [...args, tmp, '-o', out], { stdio: 'ignore' });
      sizes.push(readFileSync(out).length);
    } else sizes.push(execFileSync(tool, args, { input: it.raw, maxBuffer: 1 << 30 }).length);
  }
  return summarize(label, dataset, items, sizes);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = packageRoot();
  const corpus = resolve(root, '../shared/data/corpus');
  const datasets = args.data.length
    ? args.data.map((d) => ({ name: d, dir: d }))
    : [
        { name: 'fixtures', dir: join(root, 'fixtures') },
        ...['photos-ds/test', 'photos-full/test'].map((d) => ({ name: d, dir: join(corpus, d) })).filter((d) => existsSync(d.dir)),
      ];

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
  const rans = benchRans(args.quick ? 500_000 : 2_000_000, args.quick ? 3 : 5);
  console.log(`# Flowzip bench (${machine.date}, ${machine.cpus} cores, ${machine.cpu}, node ${machine.node})\n`);
  console.log('## rANS core (256-symbol peaked distribution)\n');
  console.log('| precision | encode Msym/s | decode Msym/s | encode MB/s | decode MB/s | overhead % |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rans)
    console.log(`| ${r.precision} | ${r.encodeMsymPerS.toFixed(1)} | ${r.decodeMsymPerS.toFixed(1)} | ${r.encodeMBPerS.toFixed(1)} | ${r.decodeMBPerS.toFixed(1)} | ${r.overheadPct.toFixed(4)} |`);

  const results: CodecResult[] = [];
  for (const ds of datasets) {
    const items = await loadDataset(ds.dir);
    if (items.length === 0) continue;
    for (const m of listModels()) results.push(await benchFlowzip(m.id, ds.name, items));
    results.push(await benchSharp('png', ds.name, items));
    results.push(await benchSharp('webp', ds.name, items));
    results.push(benchTool('webp-ll (cwebp -z 9)', 'cwebp', ['-quiet', '-lossless', '-z', '9'], ds.name, items, true));
    results.push(benchTool('jxl (cjxl -e 9)', 'cjxl', ['-d', '0', '-e', '9', '--quiet'], ds.name, items, true));
    results.push(benchTool('xz -9 (raw)', 'xz', ['-9', '-c'], ds.name, items, false));
    results.push(benchTool('zstd -19 (raw)', 'zstd', ['-19', '-c'], ds.name, items, false));
  }
  console.log('\n## Lossless image coding (bits per sub-pixel, headers included; every Flowzip file round-tripped exact)\n');
  console.log('| dataset | codec | files | pooled bits/dim | mean bits/dim | compress MB/s | decompress MB/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.missing) console.log(`| ${r.dataset} | ${r.codec} | missing: ${r.missing} | | | | |`);
    else
      console.log(`| ${r.dataset} | ${r.codec} | ${r.files} | ${r.pooledBitsPerDim.toFixed(3)} | ${r.meanBitsPerDim.toFixed(3)} | ${r.compressMBPerS?.toFixed(2) ?? ''} | ${r.decompressMBPerS?.toFixed(2) ?? ''} |`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ machine, rans, results }, null, 2));
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
