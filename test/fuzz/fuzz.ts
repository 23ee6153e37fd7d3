/**
 * npm run fuzz -- [--cases N] [--seconds S] [--seed K] [--threads T] [--json report.json] [--no-save]
 *
 * Structure-aware fuzzing of the decoder, as a hostile writer would attack it: every container field of
 * every golden file (all models, archives) is mutated with the checksums recomputed (this file writes
 * containers itself, from docs/format.md, so it can write what the library never would), besides plain
 * corruption (bit flips, random bytes, truncation, splicing). Each case decodes in a worker thread the
 * way `flowzip decompress` does, under a time limit (--case-seconds, 2, or 3x the seed's own decoding
 * time where that is longer) and a memory limit (--case-mb,
 * 1024 MB resident). A case must end in a FlowzipError with a documented code, or decode to exactly
 * the seed's data, or (when the mutated field is not data, such as the name) to data that differs
 * only where that field says. Anything else is a finding: an undocumented exception, a case over the
 * time or memory limit, or a silently different output. Findings are saved into test/malformed/ (the
 * test suite replays them, expecting a documented error) unless --no-save; the counts are printed and
 * written as JSON.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { DTYPES, ERROR_CODES, KINDS, METHODS, readContainer, type Container } from '../../codec/index.js';
import { crc32 } from '../../codec/crc32.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Args {
  cases: number;
  seconds: number;
  seed: number;
  threads: number;
  json: string;
  save: boolean;
  caseSeconds: number;
  caseMb: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { cases: 2000, seconds: Infinity, seed: 1, threads: Math.max(1, availableParallelism()), json: 'fuzz-report.json', save: true, caseSeconds: 2, caseMb: 1024 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--cases') args.cases = Number(next());
    else if (a === '--seconds') args.seconds = Number(next());
    else if (a === '--seed') args.seed = Number(next());
    else if (a === '--threads') args.threads = Number(next());
    else if (a === '--json') args.json = next();
    else if (a === '--no-save') args.save = false;
    else if (a === '--case-seconds') args.caseSeconds = Number(next());
    else if (a === '--case-mb') args.caseMb = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** xorshift32: the cases follow from --seed alone. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Header fields as docs/format.md lays them out, codes and all (what writeContainer would refuse too). */
interface RawFields {
  kind: number;
  method: number;
  dtype: number;
  shape: number[];
  modelId: Uint8Array;
  modelHash: Uint8Array;
  meta: Uint8Array;
  dataCrc: number;
  payload: Uint8Array;
}

/** Full 32-byte model hashes by model id, from the version-1 seeds (version 2 keeps 8 bytes). */
const FULL_HASHES = new Map<string, Uint8Array>();

function fullHash(c: Container): Uint8Array {
  const full = FULL_HASHES.get(c.modelId);
  if (c.modelHash.length === 32 || !full || !c.modelHash.every((b, i) => full[i] === b)) {
    const out = new Uint8Array(32);
    out.set(c.modelHash.subarray(0, 32));
    return out;
  }
  return full;
}

function rawFields(c: Container): RawFields {
  return {
    kind: KINDS.indexOf(c.kind),
    method: METHODS.indexOf(c.method),
    dtype: DTYPES.indexOf(c.dtype),
    shape: [...c.shape],
    modelId: new TextEncoder().encode(c.modelId),
    modelHash: fullHash(c),
    meta: new TextEncoder().encode(JSON.stringify(c.meta)),
    dataCrc: c.dataCrc,
    payload: c.payload.slice(),
  };
}

/** A container with both checksums right, whatever the fields say: version 1 or 2 (the compact header). */
function writeRaw(f: RawFields, version: 1 | 2): Uint8Array {
  return version === 1 ? writeRawV1(f) : writeRawV2(f);
}

function varint(out: number[], v: number): void {
  v = Math.max(0, Math.floor(v));
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function writeRawV2(f: RawFields): Uint8Array {
  const body: number[] = [(f.kind & 3) | ((f.method & 3) << 2) | ((f.dtype & 15) << 4), f.shape.length & 0xff];
  for (const d of f.shape) varint(body, d);
  body.push(f.modelId.length & 0xff, ...f.modelId.subarray(0, 255));
  if (f.modelId.length > 0) body.push(...f.modelHash.subarray(0, 8));
  // The metadata as a writer would split it (boolean flags, the name), or verbatim as JSON when it is not an object.
  let flags = 0;
  let name: Uint8Array | undefined;
  let format: Uint8Array | undefined;
  let json = f.meta;
  try {
    const meta = JSON.parse(new TextDecoder().decode(f.meta)) as Record<string, unknown>;
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
      const { littleEndian, fortranOrder, name: n, format: fmt, ...rest } = meta;
      if (typeof littleEndian === 'boolean') flags |= 1 | (littleEndian ? 2 : 0);
      else if (littleEndian !== undefined) rest.littleEndian = littleEndian;
      if (typeof fortranOrder === 'boolean') flags |= 4 | (fortranOrder ? 8 : 0);
      else if (fortranOrder !== undefined) rest.fortranOrder = fortranOrder;
      if (typeof n === 'string') name = new TextEncoder().encode(n);
      else if (n !== undefined) rest.name = n;
      if (typeof fmt === 'string') format = new TextEncoder().encode(fmt);
      else if (fmt !== undefined) rest.format = fmt;
      json = Object.keys(rest).length ? new TextEncoder().encode(JSON.stringify(rest)) : new Uint8Array(0);
    }
  } catch {
    // Not JSON: written as it is.
  }
  if (name) flags |= 16;
  if (json.length) flags |= 32;
  if (format) flags |= 64;
  body.push(flags);
  // Long fields are appended without spreading (a forged metadata text may be megabytes).
  const append = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i++) body.push(bytes[i]);
  };
  if (name) (varint(body, name.length), append(name));
  if (format) (varint(body, format.length), append(format));
  if (json.length) (varint(body, json.length), append(json));
  varint(body, f.payload.length);
  body.push(f.dataCrc & 0xff, (f.dataCrc >>> 8) & 0xff, (f.dataCrc >>> 16) & 0xff, (f.dataCrc >>> 24) & 0xff);
  const head: number[] = [0x46, 0x4c, 0x5a, 0x1a, 2];
  varint(head, body.length);
  const headerLength = head.length + body.length + 4;
  const out = new Uint8Array(headerLength + f.payload.length + 4);
  out.set(head);
  out.set(body, head.length);
  const view = new DataView(out.buffer);
  view.setUint32(headerLength - 4, crc32(out.subarray(0, headerLength - 4)), true);
  out.set(f.payload, headerLength);
  view.setUint32(headerLength + f.payload.length, crc32(f.payload), true);
  return out;
}

function writeRawV1(f: RawFields): Uint8Array {
  const headerLength = 4 + 1 + 4 + 4 + 4 * f.shape.length + 1 + f.modelId.length + 32 + 4 + f.meta.length + 8 + 4 + 4;
  const out = new Uint8Array(headerLength + f.payload.length + 4);
  const view = new DataView(out.buffer);
  out.set([0x46, 0x4c, 0x5a, 0x1a, 1]);
  view.setUint32(5, headerLength, true);
  let o = 9;
  out[o++] = f.kind & 0xff;
  out[o++] = f.method & 0xff;
  out[o++] = f.dtype & 0xff;
  out[o++] = f.shape.length & 0xff;
  for (const d of f.shape) (view.setUint32(o, d >>> 0, true), (o += 4));
  out[o++] = f.modelId.length & 0xff;
  out.set(f.modelId.subarray(0, 255), o);
  o += Math.min(255, f.modelId.length);
  out.set(f.modelHash.subarray(0, 32), o);
  o += 32;
  view.setUint32(o, f.meta.length, true);
  o += 4;
  out.set(f.meta, o);
  o += f.meta.length;
  view.setUint32(o, f.payload.length, true);
  view.setUint32(o + 4, 0, true);
  view.setUint32(o + 8, f.dataCrc >>> 0, true);
  o += 12;
  view.setUint32(o, crc32(out.subarray(0, o)), true);
  o += 4;
  out.set(f.payload, o);
  view.setUint32(o + f.payload.length, crc32(f.payload), true);
  return out.subarray(0, o + f.payload.length + 4);
}

/** Values that break assumptions: zeros, ones, powers of two around the limits, negatives, non-integers. */
const NASTY_NUMBERS = [0, 1, -1, 2, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 31), 0.5, 1e308, NaN];
const NASTY_VALUES: unknown[] = [null, true, 'x', '', [], {}, [1, 2], { a: 1 }, '../../etc/passwd', '/etc/passwd', 'a/../../b', 'AAAA'.repeat(100), ...NASTY_NUMBERS];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

/** A placeholder for JSON nested `depth` deep, expanded in the text (stringify itself would overflow). */
function nestedDeep(depth: number): string {
  return `__DEEP_${depth}__`;
}

function expandDeep(text: string): string {
  return text.replace(/"__DEEP_(\d+)__"/g, (_, n: string) => '['.repeat(Number(n)) + '1' + ']'.repeat(Number(n)));
}

/** A JSON value with one part replaced: path of keys into objects and arrays. */
function mutateJson(r: () => number, value: unknown, field: string[]): { value: unknown; field: string } {
  if (typeof value !== 'object' || value === null || r() < 0.25) {
    const choice = r();
    const replacement = choice < 0.05 ? nestedDeep(10 + Math.floor(r() * 100000)) : choice < 0.1 ? undefined : pick(r, NASTY_VALUES);
    return { value: replacement, field: field.join('.') || 'meta' };
  }
  const keys = Object.keys(value);
  if (keys.length === 0 || r() < 0.1) {
    if (Array.isArray(value)) return { value: [...value, pick(r, NASTY_VALUES)], field: `${field.join('.')}+` };
    // The key is in the label: a member given a `name` is renamed (not data), unlike most keys.
    const key = pick(r, ['name', 'format', 'icc', 'npyHeader', 'littleEndian', 'fortranOrder', 'members', 'initialBits', 'extra']);
    return { value: { ...value, [key]: pick(r, NASTY_VALUES) }, field: `${field.join('.')}+${key}` };
  }
  const key = pick(r, keys);
  const inner = mutateJson(r, (value as Record<string, unknown>)[key], [...field, key]);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  if (inner.value === undefined && !Array.isArray(copy)) delete (copy as Record<string, unknown>)[key];
  else (copy as Record<string, unknown>)[key] = inner.value;
  return { value: copy, field: inner.field };
}

interface Case {
  bytes: Uint8Array;
  seed: string;
  /** What was changed: a container field (structure-aware) or raw corruption. */
  mutation: string;
  /** Fields whose change may legitimately alter what decodes without an error. */
  nonData: boolean;
}

/** Fields that are not data: a change may decode, to the same data (these only label it). */
const NON_DATA_FIELDS =
  /^meta(\.name|\.format|\.icc|\.initialBits|\.extra|\+\w*|\.members\.\d+\.(name|codedBits|initialBits|modelBits|floatBits|segmentCrc|mtimeMs|mode|meta\.name|meta\.format|meta\.icc|meta\.mtimeMs|meta\.mode)|\.members\.\d+\+(name|initialBits)|\.members\.\d+\.meta\+\w*)?$/;

function makeCase(r: () => number, seeds: { name: string; bytes: Uint8Array }[]): Case {
  const seed = pick(r, seeds);
  const bytes = seed.bytes;
  const c = readContainer(bytes);
  const f = rawFields(c);
  const version = r() < 0.5 ? 1 : 2;
  const roll = r();
  if (roll < 0.3) {
    // Plain corruption: the checksums will (and must) catch it.
    const b = bytes.slice();
    const kind = Math.floor(r() * 5);
    if (kind === 0) for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
    if (kind === 1) for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    if (kind === 2) return { bytes: bytes.subarray(0, Math.floor(r() * bytes.length)), seed: seed.name, mutation: 'truncated', nonData: false };
    if (kind === 3) {
      const other = pick(r, seeds).bytes;
      const cut = Math.floor(r() * bytes.length);
      return { bytes: Uint8Array.from([...bytes.subarray(0, cut), ...other.subarray(Math.floor(r() * other.length))]), seed: seed.name, mutation: 'spliced', nonData: false };
    }
    if (kind === 4) return { bytes: Uint8Array.from([...bytes, ...bytes.subarray(0, Math.floor(r() * 64))]), seed: seed.name, mutation: 'appended', nonData: false };
    return { bytes: b, seed: seed.name, mutation: 'bytes changed', nonData: false };
  }
  // A hostile writer: one field changed, checksums recomputed.
  let mutation: string;
  let nonData = false;
  const field = Math.floor(r() * 9);
  if (field === 0) (f.kind = Math.floor(r() * 6)), (mutation = 'kind');
  else if (field === 1) (f.method = Math.floor(r() * 5)), (mutation = 'method');
  else if (field === 2) (f.dtype = Math.floor(r() * 8)), (mutation = 'dtype');
  else if (field === 3) {
    const n = r() < 0.2 ? Math.floor(r() * 11) : f.shape.length;
    f.shape = Array.from({ length: n }, (_, i) => (r() < 0.5 && i < f.shape.length ? f.shape[i] : pick(r, [0, 1, 2, 3, 4, 5, 7, 64, 1000, 65535, 2 ** 20, 2 ** 31, 2 ** 32 - 1])));
    mutation = 'shape';
  } else if (field === 4) {
    f.modelId = new TextEncoder().encode(pick(r, ['', 'ar', 'baseline', 'idf', 'fixedpoint', 'path:x', '/', '/tmp', '.', '..', './models/ar/photo', join(ROOT, 'models/ar/photo'), 'a'.repeat(255), '\u0000']));
    mutation = 'modelId';
  } else if (field === 5) {
    f.modelHash = new Uint8Array(32).map(() => (r() < 0.5 ? 0 : Math.floor(r() * 256)));
    mutation = 'modelHash';
  } else if (field === 6) {
    const m = r() < 0.1 ? { value: pick(r, NASTY_VALUES), field: 'meta' } : mutateJson(r, c.meta, ['meta']);
    const text = m.value === undefined ? '' : expandDeep(JSON.stringify(m.value));
    f.meta = new TextEncoder().encode(r() < 0.05 ? text.slice(0, Math.floor(r() * text.length)) : text);
    mutation = m.field;
    nonData = NON_DATA_FIELDS.test(m.field);
  } else if (field === 7) (f.dataCrc = Math.floor(r() * 2 ** 32)), (mutation = 'dataCrc');
  else {
    const p = f.payload.slice();
    const kind = Math.floor(r() * 4);
    if (kind === 0 && p.length > 0) for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) p[Math.floor(r() * p.length)] ^= 1 << Math.floor(r() * 8);
    f.payload = kind === 1 ? p.subarray(0, Math.floor(r() * p.length)) : kind === 2 ? Uint8Array.from([...p, ...new Uint8Array(1 + Math.floor(r() * 100)).map(() => Math.floor(r() * 256))]) : kind === 3 ? new Uint8Array(p.length).map(() => Math.floor(r() * 256)) : p;
    mutation = 'payload';
  }
  return { bytes: writeRaw(f, version), seed: seed.name, mutation: `${mutation} (v${version})`, nonData };
}

interface Outcome {
  ok: boolean;
  code?: string;
  /** A non-FlowzipError: its name and message. */
  exception?: string;
  digest?: string;
  ms: number;
}

/** A worker that decodes one case at a time; replaced when a case runs over its limits. */
class Runner {
  private worker!: Worker;
  constructor() {
    this.start();
  }
  private start(): void {
    this.worker = new Worker(new URL('./fuzz-worker.js', import.meta.url));
  }
  run(bytes: Uint8Array, limitMs: number, limitBytes: number): Promise<Outcome | 'timeout' | 'memory'> {
    return new Promise((resolve) => {
      const started = Date.now();
      const watch = setInterval(() => {
        if (process.memoryUsage().rss > limitBytes) finish('memory');
        else if (Date.now() - started > limitMs) finish('timeout');
      }, 20);
      const finish = (result: Outcome | 'timeout' | 'memory') => {
        clearInterval(watch);
        this.worker.removeAllListeners('message');
        this.worker.removeAllListeners('error');
        if (typeof result === 'string') {
          void this.worker.terminate();
          this.start();
        }
        resolve(result);
      };
      this.worker.once('message', (o: Outcome) => finish(o));
      this.worker.once('error', (e) => finish({ ok: false, exception: `worker: ${e.message}`, ms: Date.now() - started }));
      this.worker.postMessage(bytes);
    });
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

function goldenSeeds(): { name: string; bytes: Uint8Array }[] {
  const dir = join(ROOT, 'test/golden');
  const out: { name: string; bytes: Uint8Array }[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d).sort()) {
      const path = join(d, e);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${e}/`);
      else if (e.endsWith('.flz')) out.push({ name: `${prefix}${e}`, bytes: new Uint8Array(readFileSync(path)) });
    }
  };
  walk(dir, '');
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seeds = goldenSeeds();
  for (const s of seeds) {
    const c = readContainer(s.bytes, { deferPayloadCrc: true });
    if (c.modelId && c.modelHash.length === 32) FULL_HASHES.set(c.modelId, c.modelHash);
  }
  const r = random(args.seed);
  const runners = Array.from({ length: args.threads }, () => new Runner());
  // What each seed decodes to: successes of mutated cases are compared with it. A case's time limit is
  // --case-seconds, or 3x its seed's own decoding time where that is longer (effort-3 files run three
  // nets a sample: a hang is measured against what the seed itself takes, its model already loaded).
  const reference = new Map<string, string | undefined>();
  const limitMs = new Map<string, number>();
  for (const s of seeds) {
    const o = await runners[0].run(s.bytes, 60_000, 4 * 2 ** 30);
    if (typeof o === 'string' || !o.ok) throw new Error(`seed ${s.name} does not decode: ${JSON.stringify(o)}`);
    reference.set(s.name, o.digest);
    const timed = Date.now();
    await runners[0].run(s.bytes, 60_000, 4 * 2 ** 30);
    limitMs.set(s.name, Math.max(1000 * args.caseSeconds, 3 * (Date.now() - timed)));
  }
  const counts = { cases: 0, refused: 0, decodedSame: 0, decodedOtherNonData: 0, undocumented: 0, overTime: 0, overMemory: 0, silentlyDifferent: 0 };
  const codes: Record<string, number> = {};
  const nonDataFields: Record<string, number> = {};
  const findings: { file?: string; seed: string; mutation: string; problem: string }[] = [];
  const started = Date.now();
  const outDir = join(ROOT, 'test/malformed');
  const expectedPath = join(outDir, 'expected.json');
  const documented = Object.keys(ERROR_CODES).filter((c) => c !== 'INTERNAL');
  const record = (c: Case, problem: string) => {
    let file: string | undefined;
    if (args.save) {
      file = `fuzz-${createHash('sha256').update(c.bytes).digest('hex').slice(0, 16)}.flz`;
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, file), c.bytes);
      const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as Record<string, unknown>;
      expected[file] = { codes: documented, why: `fuzz finding (${c.mutation} of ${c.seed}): ${problem}` };
      writeFileSync(expectedPath, JSON.stringify(expected, null, 1) + '\n');
    }
    findings.push({ file, seed: c.seed, mutation: c.mutation, problem });
    process.stderr.write(`fuzz: finding: ${problem} (${c.mutation} of ${c.seed})${file ? ` -> test/malformed/${file}` : ''}\n`);
  };
  let next = 0;
  await Promise.all(
    runners.map(async (runner) => {
      while (next < args.cases && (Date.now() - started) / 1000 < args.seconds) {
        next++;
        const c = makeCase(r, seeds);
        const limit = limitMs.get(c.seed) ?? 1000 * args.caseSeconds;
        const o = await runner.run(c.bytes, limit, args.caseMb * 2 ** 20);
        counts.cases++;
        if (o === 'timeout') (counts.overTime++, record(c, `over ${(limit / 1000).toFixed(1)} s`));
        else if (o === 'memory') (counts.overMemory++, record(c, `over ${args.caseMb} MB resident`));
        else if (o.exception !== undefined) (counts.undocumented++, record(c, `undocumented exception: ${o.exception}`));
        else if (!o.ok) (counts.refused++, (codes[o.code!] = (codes[o.code!] ?? 0) + 1));
        else if (o.digest === reference.get(c.seed)) counts.decodedSame++;
        else if (c.nonData) (counts.decodedOtherNonData++, (nonDataFields[c.mutation] = (nonDataFields[c.mutation] ?? 0) + 1));
        else (counts.silentlyDifferent++, record(c, 'decoded to other data without an error'));
        if (counts.cases % 1000 === 0) process.stderr.write(`fuzz: ${counts.cases} cases, ${findings.length} findings, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      }
    }),
  );
  await Promise.all(runners.map((w) => w.stop()));
  const report = { seed: args.seed, seconds: Math.round((Date.now() - started) / 100) / 10, seeds: seeds.length, ...counts, codes, nonDataFields, findings };
  writeFileSync(args.json, JSON.stringify(report, null, 1) + '\n');
  console.log(JSON.stringify({ ...report, findings: findings.length }));
  process.exitCode = findings.length > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(`fuzz failed: ${(e as Error).stack}`);
  process.exit(2);
});
