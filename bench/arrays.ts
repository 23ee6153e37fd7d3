/**
 * The bench's arrays section: every .npy of a folder coded by Flowzip (the library's default choice,
 * decoded and compared byte for byte) and by the classical peers on the same values in the same run:
 * xz -9 and zstd -19 on the raw little-endian values, zstd -19 on byte-shuffled values (Blosc's recipe),
 * flac -8 on 8/16-bit 1-D and N x C (C <= 8) signals, cjxl -d 0 -e 9 on 2-D uint8/uint16 arrays (as a
 * grey PNG). Pooled bits per value per kind of array (kinds: the manifest's source package, labels
 * apart; else the file name without its number), each peer pooled over the files it takes, and
 * throughput (MB/s of raw values, in process for Flowzip, wall clock of the tool for the peers) with
 * the signal and grid models also timed alone on the files they are for.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { have, median } from './tools.js';
import { compressWithReport, decompress, loadModel, parseNpy } from '../src/index.js';
import { prepare } from '../src/compress.js';

export interface ArrayFileResult {
  file: string;
  kind: string;
  dtype: string;
  shape: number[];
  values: number;
  rawBytes: number;
  /** Bytes per codec (flowzip: the container), absent where the peer does not take the array. */
  bytes: Record<string, number>;
  /** The model the default choice recorded (or the container method). */
  chosen: string;
  exact: boolean;
  /** Seconds per codec, compress and decompress (Flowzip in process; peers: the tool's wall clock). */
  seconds: Record<string, [number, number]>;
}

export interface ArrayKindResult {
  kind: string;
  files: number;
  values: number;
  /** Pooled bits per value per codec over the files it takes (headers included). */
  bitsPerValue: Record<string, number>;
  /** The peer with the lowest pooled bits per value among those that take every file of the kind. */
  bestPeer?: string;
  flowzipVsBest?: number;
}

export interface ArraysBench {
  dir: string;
  files: ArrayFileResult[];
  kinds: ArrayKindResult[];
  /** MB/s of raw values: Flowzip's default and the one model for the layout, and the peers. */
  throughput: { codec: string; files: string; compressMBPerS: number; decompressMBPerS: number }[];
  missing: string[];
}


/** Kinds from the manifest next to the split folder (package, labels apart), else the file name's stem. */
function kindsOf(dir: string): (file: string) => string {
  const manifest = join(dirname(dir), 'manifest.csv');
  const byFile = new Map<string, string>();
  if (existsSync(manifest)) {
    const [head, ...rows] = readFileSync(manifest, 'utf8').trim().split('\n');
    const columns = head.split(',');
    const id = columns.indexOf('id');
    const pkg = columns.indexOf('package');
    const kind = columns.indexOf('kind');
    for (const row of rows) {
      const cells = row.split(',');
      if (id >= 0 && pkg >= 0) byFile.set(`${cells[id]}.npy`, cells[pkg] + (kind >= 0 && cells[kind] === 'labels' ? ' (labels)' : ''));
    }
  }
  return (file) => byFile.get(file) ?? file.replace(/\.npy$/, '').replace(/[_-]?[0-9a-f]*\d[0-9a-f]*(-\d+)?$/i, '');
}

function timedTool(tool: string, args: string[], input: Uint8Array): { out: Buffer; seconds: number } {
  const t = performance.now();
  const out = execFileSync(tool, args, { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] });
  return { out, seconds: (performance.now() - t) / 1000 };
}

/** Bytes of each value in turn: all first bytes, then all second bytes, ... (Blosc's shuffle). */
function shuffle(raw: Uint8Array, itemSize: number): Uint8Array {
  const n = raw.length / itemSize;
  const out = new Uint8Array(raw.length);
  for (let b = 0; b < itemSize; b++) for (let i = 0; i < n; i++) out[b * n + i] = raw[i * itemSize + b];
  return out;
}

export async function benchArrays(dir: string, runs: number): Promise<ArraysBench> {
  const kindOf = kindsOf(dir);
  const scratch = mkdtempSync(join(tmpdir(), 'flowzip-bench-arrays-'));
  const files: ArrayFileResult[] = [];
  const missing = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.npy')).sort()) {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    const npy = parseNpy(bytes);
    if ('unsupported' in npy) continue;
    const raw = bytes.subarray(npy.header.length);
    const itemSize = npy.values.length ? raw.length / npy.values.length : 1;
    const result: ArrayFileResult = { file, kind: kindOf(file), dtype: npy.dtype, shape: npy.shape, values: npy.values.length, rawBytes: raw.length, bytes: {}, chosen: '', exact: false, seconds: {} };
    // Flowzip: the library's default choice, decoded and compared.
    const enc: number[] = [];
    const dec: number[] = [];
    let coded!: Uint8Array;
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      const c = await compressWithReport(bytes);
      enc.push((performance.now() - t) / 1000);
      coded = c.bytes;
      result.chosen = c.report.model ?? c.report.method;
      t = performance.now();
      const back = await decompress(coded);
      dec.push((performance.now() - t) / 1000);
      result.exact = Buffer.from(back.data).equals(Buffer.from(bytes));
    }
    result.bytes.flowzip = coded.length;
    result.seconds.flowzip = [median(enc), median(dec)];
    // The general-purpose peers on the values as stored.
    const peer = (label: string, tool: string, apt: string, args: string[], unargs: string[], input: Uint8Array) => {
      if (!have(tool)) return void missing.add(`apt-get install ${apt}`);
      const c = timedTool(tool, args, input);
      const d = timedTool(tool, unargs, c.out);
      result.bytes[label] = c.out.length;
      result.seconds[label] = [c.seconds, d.seconds];
    };
    peer('xz -9', 'xz', 'xz-utils', ['-9', '-c'], ['-d', '-c'], raw);
    peer('zstd -19', 'zstd', 'zstd', ['-19', '-c', '-q'], ['-d', '-c', '-q'], raw);
    if (itemSize > 1) peer('zstd -19 shuffled', 'zstd', 'zstd', ['-19', '-c', '-q'], ['-d', '-c', '-q'], shuffle(raw, itemSize));
    // FLAC: 8/16-bit integer signals, 1-D or N x C with up to 8 channels (unsigned data as FLAC's raw unsigned input).
    const signalShape = npy.shape.length === 1 || (npy.shape.length === 2 && npy.shape[1] <= 8 && !npy.fortranOrder);
    if (signalShape && /^u?int(8|16)$/.test(npy.dtype) && npy.values.length > 0) {
      const channels = npy.shape.length === 2 ? npy.shape[1] : 1;
      const bps = npy.dtype.endsWith('8') ? 8 : 16;
      const sign = npy.dtype.startsWith('u') ? 'unsigned' : 'signed';
      const format = ['--force-raw-format', '--endian=little', `--sign=${sign}`, `--channels=${channels}`, `--bps=${bps}`, '--sample-rate=48000'];
      peer('flac -8', 'flac', 'flac', ['-8', '-s', '-c', ...format, '-'], ['-d', '-s', '-c', '--force-raw-format', '--endian=little', `--sign=${sign}`, '-'], raw);
    }
    // JPEG XL: 2-D uint8/uint16 arrays as a grey PNG.
    if (npy.shape.length === 2 && /^uint(8|16)$/.test(npy.dtype) && npy.values.length > 0) {
      if (!have('cjxl')) missing.add('apt-get install libjxl-tools');
      else {
        const [height, width] = npy.fortranOrder ? [...npy.shape].reverse() : npy.shape;
        const png = join(scratch, 'in.png');
        const input = npy.dtype === 'uint16' ? new Uint16Array(npy.values) : Uint8Array.from(npy.values);
        writeFileSync(png, await sharp(input, { raw: { width, height, channels: 1 } }).toColourspace(npy.dtype === 'uint16' ? 'grey16' : 'b-w').png({ compressionLevel: 1 }).toBuffer());
        const out = join(scratch, 'out.jxl');
        let t = performance.now();
        execFileSync('cjxl', ['-d', '0', '-e', '9', '--quiet', png, out], { stdio: 'ignore' });
        const ce = (performance.now() - t) / 1000;
        t = performance.now();
        execFileSync('djxl', [out, join(scratch, 'back.png'), '--quiet'], { stdio: 'ignore' });
        result.bytes['cjxl -e 9'] = readFileSync(out).length;
        result.seconds['cjxl -e 9'] = [ce, (performance.now() - t) / 1000];
      }
    }
    files.push(result);
    process.stderr.write(`bench arrays: ${file} ${result.chosen} ${((8 * coded.length) / Math.max(1, result.values)).toFixed(3)} bits/value\n`);
  }
  const kinds = summarizeKinds(files);
  const throughput = [
    ...rates('flowzip (default)', 'all', files, 'flowzip'),
    ...(await modelRates('signal', 'int16 1-D and N x C', files.filter((f) => f.dtype === 'int16' && (f.shape.length === 1 || (f.shape.length === 2 && f.shape[1] <= 16))), dir, runs)),
    ...(await modelRates('grid', '2-D and up', files.filter((f) => f.shape.length >= 2 && !(f.shape.length === 2 && f.shape[1] <= 16) && !/^float/.test(f.dtype)), dir, runs)),
    ...['xz -9', 'zstd -19', 'flac -8', 'cjxl -e 9'].flatMap((codec) => rates(codec, 'those it takes', files, codec)),
  ];
  rmSync(scratch, { recursive: true, force: true });
  return { dir, files, kinds, throughput, missing: [...missing] };
}

function summarizeKinds(files: ArrayFileResult[]): ArrayKindResult[] {
  const kinds = [...new Set(files.map((f) => f.kind))];
  return kinds.map((kind) => {
    const members = files.filter((f) => f.kind === kind);
    const codecs = [...new Set(members.flatMap((f) => Object.keys(f.bytes)))];
    const bitsPerValue: Record<string, number> = {};
    for (const codec of codecs) {
      const taken = members.filter((f) => f.bytes[codec] !== undefined);
      const values = taken.reduce((n, f) => n + f.values, 0);
      if (values > 0) bitsPerValue[codec] = (8 * taken.reduce((n, f) => n + f.bytes[codec], 0)) / values;
    }
    const complete = codecs.filter((c) => c !== 'flowzip' && members.every((f) => f.bytes[c] !== undefined));
    const bestPeer = complete.sort((a, b) => bitsPerValue[a] - bitsPerValue[b])[0];
    return {
      kind,
      files: members.length,
      values: members.reduce((n, f) => n + f.values, 0),
      bitsPerValue,
      bestPeer,
      flowzipVsBest: bestPeer ? bitsPerValue.flowzip / bitsPerValue[bestPeer] : undefined,
    };
  });
}

function rates(codec: string, label: string, files: ArrayFileResult[], key: string) {
  const taken = files.filter((f) => f.seconds[key]);
  if (!taken.length) return [];
  const mb = taken.reduce((n, f) => n + f.rawBytes, 0) / 1e6;
  const [c, d] = taken.reduce(([a, b], f) => [a + f.seconds[key][0], b + f.seconds[key][1]], [0, 0]);
  return [{ codec, files: `${label} (${taken.length})`, compressMBPerS: mb / c, decompressMBPerS: mb / d }];
}

/** One model alone on the files it is for (in process: what the model itself costs, no choosing). */
async function modelRates(id: string, label: string, files: ArrayFileResult[], dir: string, runs: number) {
  if (!files.length) return [];
  const model = await loadModel(id);
  let mb = 0;
  let c = 0;
  let d = 0;
  for (const f of files) {
    const p = await prepare(new Uint8Array(readFileSync(join(dir, f.file))), { kind: 'array' });
    const enc: number[] = [];
    const dec: number[] = [];
    for (let r = 0; r < Math.max(runs, 1); r++) {
      let t = performance.now();
      const coded = await model.encode(p.samples, p.layout);
      enc.push(performance.now() - t);
      const out = new (p.samples.constructor as new (n: number) => typeof p.samples)(p.samples.length);
      t = performance.now();
      await model.decode(coded.payload, p.layout, out);
      dec.push(performance.now() - t);
      if (!out.every((v, i) => v === p.samples[i])) throw new Error(`${id} did not round-trip ${f.file}`);
    }
    mb += f.rawBytes / 1e6;
    c += median(enc) / 1000;
    d += median(dec) / 1000;
  }
  return [{ codec: `flowzip --model ${id}`, files: `${label} (${files.length})`, compressMBPerS: mb / c, decompressMBPerS: mb / d }];
}

/** Each Flowzip model against the peer made for the same data (signals: FLAC; 2-D: JPEG XL; all: xz). */
export function throughputRatios(bench: ArraysBench): { flowzip: string; peer: string; compress: number; decompress: number }[] {
  const row = (codec: string) => bench.throughput.find((t) => t.codec === codec);
  const pairs: [string, string][] = [
    ['flowzip --model signal', 'flac -8'],
    ['flowzip --model grid', 'cjxl -e 9'],
    ['flowzip (default)', 'xz -9'],
  ];
  return pairs.flatMap(([f, p]) => {
    const a = row(f);
    const b = row(p);
    return a && b ? [{ flowzip: f, peer: p, compress: a.compressMBPerS / b.compressMBPerS, decompress: a.decompressMBPerS / b.decompressMBPerS }] : [];
  });
}

export function arraysTable(bench: ArraysBench): string[] {
  const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));
  const peers = ['xz -9', 'zstd -19', 'zstd -19 shuffled', 'flac -8', 'cjxl -e 9'];
  const lines = [`## Arrays (${basename(bench.dir)}): pooled bits per value (headers included), each peer over the files it takes`, ''];
  lines.push(`| kind | files | values | flowzip | ${peers.join(' | ')} | best peer | flowzip / best |`, `|---|---|---|---|${peers.map(() => '---').join('|')}|---|---|`);
  for (const k of bench.kinds) {
    lines.push(`| ${k.kind} | ${k.files} | ${k.values} | **${fmt(k.bitsPerValue.flowzip)}** | ${peers.map((p) => fmt(k.bitsPerValue[p])).join(' | ')} | ${k.bestPeer ?? '-'} | ${fmt(k.flowzipVsBest)} |`);
  }
  const inexact = bench.files.filter((f) => !f.exact);
  lines.push('', inexact.length ? `ROUND TRIP MISMATCH: ${inexact.map((f) => f.file).join(', ')}` : `Every file decoded byte-exact (${bench.files.length}).`);
  const chosen = new Map<string, number>();
  for (const f of bench.files) chosen.set(f.chosen, (chosen.get(f.chosen) ?? 0) + 1);
  lines.push(`Chosen per file: ${[...chosen].map(([m, n]) => `${m} ${n}`).join(', ')}.`);
  lines.push('', '| codec | files | compress MB/s | decompress MB/s |', '|---|---|---|---|');
  for (const t of bench.throughput) lines.push(`| ${t.codec} | ${t.files} | ${fmt(t.compressMBPerS)} | ${fmt(t.decompressMBPerS)} |`);
  const ratios = throughputRatios(bench);
  if (ratios.length) lines.push('', `Ratios in this run (Flowzip / peer, compress and decompress): ${ratios.map((r) => `${r.flowzip} / ${r.peer} ${fmt(r.compress)} and ${fmt(r.decompress)}`).join('; ')}.`);
  if (bench.missing.length) lines.push('', `Missing peers: install with \`${bench.missing.join('; ')}\` (Debian).`);
  return lines;
}
