/**
 * Archives: several files in one .flz (kind 'archive'), coded in order through ONE rANS message.
 *
 * Why one message: a bits-back model (the fixed-point flow) pops its dequantization noise from the
 * message before pushing; in a chain, member j pops from what members < j pushed, so the "initial bits"
 * (borrowed from nothing when the message is too short) are paid once per archive, not once per file.
 * The chain starts with whatever the model's bootstrap pushes (the fixed-point model codes tiles with the
 * baseline coder until the message can lend the flow its noise).
 *
 * A member is coded by the model, or kept raw when that would be larger ('stored': canonical bytes;
 * 'original': an image's own file, restored verbatim; 'brotli': text, other bytes, arrays and images as
 * Brotli when that is smaller still), so no member costs more than its bytes. Models
 * without chain support code into their own payload, which goes into the chain raw ('payload'); so
 * does an array member (or an alpha or 16-bit image) when a model the library tries for such a file
 * alone (signal, grid, palette) beats the chain: the member then names that model and its hash prefix.
 *
 * Damage is named per member: member j leaves every word below its low-water mark as it found it, so the
 * final message splits into contiguous word segments, one per member (the head goes with the last),
 * each with its own CRC in the header. Decoding runs from the last member to the first; a damaged
 * segment loses that member and every member before it (they need the noise it gives back), never the
 * ones after it.
 */
import { DTYPES, MAX_DIMS, MODEL_HASH_BYTES, Message, bytesEqual, crc32, fail, fromHex, modelHashMatches, toHex, readContainer, writeContainer, type Container, type DType, type DataKind } from '../codec/index.js';
import { DEFAULT_MODEL, alternativeModels, checkEffort, loadModel, shippedModelWithHash, writtenEffort, type IntegerModel, type Progress, type SampleArray, type SampleLayout } from '../models/index.js';
import { DTYPE_RANGE, readSamples, wordsPerElement } from './npy.js';
import { allocateSamples, brotliIfPromising, canonicalSize, checkLimits, unbrotli, checkShape, prepare, restoreFile, type DecompressOptions, type Prepared } from './compress.js';

export interface ArchiveInput {
  /** Name the member is restored under (a relative path; '/' separates folders). */
  name: string;
  bytes: Uint8Array;
  /** The file's modification time (ms since 1970) and permission bits, kept in the member's metadata. */
  mtimeMs?: number;
  mode?: number;
}

export type MemberMethod = 'model' | 'payload' | 'stored' | 'original' | 'brotli';

/** One member as recorded in the archive header (meta.members[i]). */
interface MemberRecord {
  name: string;
  kind: Exclude<DataKind, 'archive'>;
  dtype: DType;
  shape: number[];
  meta: Record<string, unknown>;
  dataCrc: number;
  method: MemberMethod;
  /** Raw byte count ('payload', 'stored', 'original'). */
  bytes?: number;
  /**
   * 'payload' members coded by another shipped model than the archive's (arrays: the model the library
   * would choose for the file alone): its id and the first 8 bytes of its hash, hex.
   */
  model?: string;
  modelHash?: string;
  /** Word range [start, end) of the flattened message this member wrote last, and its CRC. */
  segment: [number, number];
  segmentCrc: number;
  /** Growth of the message while coding this member (bits), of which borrowed from nothing. */
  codedBits: number;
  initialBits: number;
  /** The model's net information content (pushes minus bits-back pops), and the float bound. */
  modelBits: number;
  floatBits?: number;
}

export interface ArchiveMemberReport {
  name: string;
  kind: string;
  method: MemberMethod;
  dims: number;
  /** Bytes of the member's canonical data (its file; images: raw samples). */
  rawBytes: number;
  /** Net bits: coded growth minus borrowed initial bits. */
  netBits: number;
  codedBits: number;
  initialBits: number;
  modelBits: number;
  floatBits?: number;
}

export interface ArchiveReport {
  model: string;
  members: ArchiveMemberReport[];
  dims: number;
  fileBytes: number;
  /** Bits borrowed from nothing over the whole chain (paid once). */
  initialBits: number;
  /** 8 * fileBytes / dims, everything included. */
  bitsPerDim: number;
  /** (coded bits - initial bits) / dims: what each further member costs once the chain runs. */
  netBitsPerDim: number;
}

const MAX_MEMBERS = 1 << 20;

/**
 * The archive default is the library default (`ar`, which pushes and needs no chain); `--model
 * fixedpoint` is the bits-back model that chaining pays off for.
 */
export function defaultArchiveModel(): string {
  return DEFAULT_MODEL;
}

function pushRaw(msg: Message, bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) msg.pushBits(bytes[i], 8);
}

function popRaw(msg: Message, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = msg.popBits(8);
  return out;
}

function rawMemberBytes(p: Prepared, method: MemberMethod): Uint8Array {
  return method === 'original' ? p.originalFile! : p.canonical;
}

export async function compressArchive(
  inputs: ArchiveInput[],
  options: { model?: string; progress?: Progress; onMember?: (index: number) => void; forceModel?: boolean; effort?: number } = {},
): Promise<{ bytes: Uint8Array; report: ArchiveReport }> {
  if (inputs.length === 0) fail('USAGE', 'an archive needs at least one file');
  if (inputs.length > MAX_MEMBERS) fail('USAGE', `more than ${MAX_MEMBERS} files`);
  // Up front: a chaining model (model.chain) codes members without the routed model's own check.
  checkEffort(options.effort);
  const names = new Set<string>();
  for (const input of inputs) {
    checkMemberName(input.name);
    if (names.has(input.name)) fail('USAGE', `two files would be stored as ${input.name}`);
    names.add(input.name);
  }
  const model = await loadModel(options.model ?? defaultArchiveModel(), options.effort);
  let msg = new Message(1 << 16);
  const records: MemberRecord[] = [];
  const marks: { low: number; depth: number }[] = [];
  for (const [index, input] of inputs.entries()) {
    options.onMember?.(index);
    const progress = options.progress ? (f: number) => options.progress!((index + f) / inputs.length) : undefined;
    const p = await prepare(input.bytes, { name: input.name });
    msg.markLowWater();
    const before = msg.clone();
    const startBits = msg.storedBits();
    const startBorrowed = msg.underflowWords;
    let method: MemberMethod = 'model';
    let modelBits: number;
    let floatBits: number | undefined;
    let bytes: number | undefined;
    if (model.chain) {
      ({ modelBits, floatBits } = await model.chain.push(msg, p.samples, p.layout, progress));
    } else {
      const encoded = await model.encode(p.samples, p.layout, progress, { effort: options.effort });
      pushRaw(msg, encoded.payload);
      ({ modelBits, floatBits } = encoded);
      method = 'payload';
      bytes = encoded.payload.length;
    }
    // The models the library tries for a file alone (arrays: signal, grid, palette; images the chain's
    // model does not code itself, alpha and 16-bit: grid) may beat the chain: the member then holds that
    // model's payload raw and names the model.
    let memberModel: { model: string; modelHash: string } | undefined;
    let coder = model;
    if (options.model === undefined) {
      for (const id of alternativeModels(p.kind, p.layout, model)) {
        const other = await loadModel(id);
        if (!other.codes?.(p.layout, p.samples)) continue;
        const encoded = await other.encode(p.samples, p.layout, progress, { effort: options.effort });
        if (8 * encoded.payload.length >= msg.storedBits() - startBits) continue;
        msg = before.clone();
        pushRaw(msg, encoded.payload);
        ({ modelBits, floatBits } = encoded);
        method = 'payload';
        bytes = encoded.payload.length;
        memberModel = { model: other.id, modelHash: toHex(other.hash.subarray(0, MODEL_HASH_BYTES)) };
        coder = other;
      }
    }
    // Raw (an image's own file if smaller) or Brotli (text, floats, graphics) beats the model: roll the
    // chain back and keep those bytes.
    const rawMethod: MemberMethod = p.originalFile && p.originalFile.length < p.canonical.length ? 'original' : 'stored';
    const raw0 = rawMemberBytes(p, rawMethod);
    const fallbacks: [MemberMethod, Uint8Array][] = [[rawMethod, raw0]];
    // (Not for what the member's coder already hands to Brotli itself: ar's strips.)
    const compressed = p.canonical.length > 0 && !coder.triesBrotli?.(p.layout) ? await brotliIfPromising(p.canonical, Math.min(raw0.length, (msg.storedBits() - startBits) / 8)) : undefined;
    if (compressed) fallbacks.push(['brotli', compressed]);
    const [fallback, raw] = fallbacks.reduce((a, b) => (b[1].length < a[1].length ? b : a));
    if (!options.forceModel && msg.storedBits() - startBits > 8 * raw.length) {
      msg = before;
      pushRaw(msg, raw);
      method = fallback;
      bytes = raw.length;
      modelBits = 8 * raw.length;
      floatBits = undefined;
      memberModel = undefined;
    }
    const initialBits = 16 * (msg.underflowWords - startBorrowed);
    // dataCrc covers the canonical data (docs/format.md), or for 'original' members the file itself.
    const dataCrc = crc32(method === 'original' ? p.originalFile! : p.canonical);
    records.push({
      name: input.name,
      kind: p.kind as MemberRecord['kind'],
      dtype: p.dtype,
      shape: p.shape,
      meta: { ...p.meta, ...fileAttributes(input) },
      dataCrc,
      method,
      ...(bytes !== undefined ? { bytes } : {}),
      ...memberModel,
      segment: [0, 0],
      segmentCrc: 0,
      codedBits: msg.storedBits() - startBits + initialBits,
      initialBits,
      modelBits,
      ...(floatBits !== undefined ? { floatBits } : {}),
    });
    marks.push({ low: msg.lowWater, depth: msg.depth });
  }
  options.progress?.(1);
  const payload = msg.flatten();
  assignSegments(records, marks, payload);
  const crcs = new Uint8Array(4 * records.length);
  records.forEach((r, i) => new DataView(crcs.buffer).setUint32(4 * i, r.dataCrc, true));
  const bytes = writeContainer({
    kind: 'archive',
    method: 'model',
    dtype: 'uint8',
    shape: [records.length],
    modelId: model.id,
    modelHash: model.hash,
    meta: { members: records, initialBits: 16 * msg.underflowWords },
    dataCrc: crc32(crcs),
    payload,
  });
  return { bytes, report: archiveReport(model.id, records, bytes.length, 16 * msg.underflowWords) };
}

/**
 * Member j wrote the final words [low_j, depth_j) unless a later member rewrote them: the last writer of
 * each word position is non-decreasing in the position, so each member owns one contiguous segment.
 */
function assignSegments(records: MemberRecord[], marks: { low: number; depth: number }[], payload: Uint8Array): void {
  const depth = marks[marks.length - 1].depth;
  const writer = new Int32Array(depth).fill(-1);
  marks.forEach((m, j) => writer.fill(j, Math.min(m.low, depth), Math.min(m.depth, depth)));
  let p = 0;
  records.forEach((r, j) => {
    const start = p;
    while (p < depth && writer[p] <= j) p++;
    const end = j === records.length - 1 ? depth : p;
    r.segment = [start, end];
    // The head (last 6 bytes) goes with the last member.
    r.segmentCrc = crc32(payload.subarray(2 * start, j === records.length - 1 ? payload.length : 2 * end));
  });
}

function archiveReport(modelId: string, records: MemberRecord[], fileBytes: number, initialBits: number): ArchiveReport {
  const members = records.map((r) => ({
    name: r.name,
    kind: r.kind,
    method: r.method,
    dims: r.shape.reduce((a, b) => a * b, 1),
    rawBytes: r.method === 'original' ? r.bytes! : canonicalSize(r),
    netBits: r.codedBits - r.initialBits,
    codedBits: r.codedBits,
    initialBits: r.initialBits,
    modelBits: r.modelBits,
    ...(r.floatBits !== undefined ? { floatBits: r.floatBits } : {}),
  }));
  const dims = members.reduce((a, m) => a + m.dims, 0);
  const coded = members.reduce((a, m) => a + m.codedBits, 0);
  return {
    model: modelId,
    members,
    dims,
    fileBytes,
    initialBits,
    bitsPerDim: dims > 0 ? (8 * fileBytes) / dims : 0,
    netBitsPerDim: dims > 0 ? (coded - initialBits) / dims : 0,
  };
}

/** Member names are relative paths without '.', '..' or empty parts: extraction cannot escape its folder. */
export function checkMemberName(name: string): void {
  const parts = name.split('/');
  if (name.length === 0 || name.length > 4096 || name.includes('\\') || name.includes('\0') || parts.some((s) => s === '' || s === '.' || s === '..'))
    fail('CORRUPT', `unsafe member name ${JSON.stringify(name)}`);
}

const KIND_NAMES = ['bytes', 'image', 'array'];
const METHOD_NAMES: MemberMethod[] = ['model', 'payload', 'stored', 'original', 'brotli'];

function parseMembers(meta: Record<string, unknown>, count: number, payloadWords: number): MemberRecord[] {
  const list = meta.members;
  if (!Array.isArray(list) || list.length !== count) fail('CORRUPT', 'archive member table');
  let expectStart = 0;
  const names = new Set<string>();
  return list.map((m: MemberRecord, j) => {
    const ok =
      m !== null &&
      typeof m === 'object' &&
      typeof m.name === 'string' &&
      KIND_NAMES.includes(m.kind) &&
      METHOD_NAMES.includes(m.method) &&
      DTYPES.includes(m.dtype) &&
      Array.isArray(m.shape) &&
      m.shape.length <= MAX_DIMS &&
      m.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
      typeof m.meta === 'object' &&
      m.meta !== null &&
      Number.isInteger(m.dataCrc) &&
      Array.isArray(m.segment) &&
      m.segment[0] === expectStart &&
      Number.isInteger(m.segment[1]) &&
      m.segment[1] >= m.segment[0] &&
      m.segment[1] <= payloadWords &&
      Number.isInteger(m.segmentCrc) &&
      Number.isFinite(m.codedBits) &&
      Number.isFinite(m.initialBits) &&
      Number.isFinite(m.modelBits) &&
      (m.floatBits === undefined || Number.isFinite(m.floatBits)) &&
      (m.method === 'model' || (Number.isSafeInteger(m.bytes) && m.bytes! >= 0)) &&
      // A member's own model: both fields, for 'payload' members only, a hash prefix in hex.
      (m.model === undefined) === (m.modelHash === undefined) &&
      (m.model === undefined || (m.method === 'payload' && typeof m.model === 'string' && typeof m.modelHash === 'string' && /^[0-9a-f]{16}$/.test(m.modelHash)));
    if (!ok) fail('CORRUPT', `archive member ${j} is malformed`);
    checkMemberName(m.name);
    if (names.has(m.name)) fail('CORRUPT', `two archive members named ${m.name}`);
    names.add(m.name);
    expectStart = m.segment[1];
    return m;
  });
}

/** A member's modification time and permission bits, when they were recorded (and are sane). */
function fileAttributes(from: { mtimeMs?: unknown; mode?: unknown }): { mtimeMs?: number; mode?: number } {
  return {
    ...(Number.isSafeInteger(from.mtimeMs) && (from.mtimeMs as number) >= 0 ? { mtimeMs: from.mtimeMs as number } : {}),
    ...(Number.isInteger(from.mode) && (from.mode as number) >= 0 && (from.mode as number) <= 0o7777 ? { mode: from.mode as number } : {}),
  };
}

export interface ArchiveMember {
  /** The file's recorded modification time (ms) and permission bits, when the archive kept them. */
  mtimeMs?: number;
  mode?: number;
  name: string;
  kind: string;
  method: MemberMethod;
  /** The restored file: the original bytes, or a PNG for images coded by the model. */
  data: Uint8Array;
  /** Decoded samples for members coded by a model ('model', 'payload'). */
  samples?: SampleArray;
  /** Members coded by a model: its id and the effort the member was written at (what the page's heatmap re-codes with). */
  model?: string;
  effort?: number;
}

/** What an archive holds, from its header alone (checked like decoding checks it; nothing is decoded). */
export function archiveListing(c: Container, fileBytes: number): ArchiveReport {
  if (c.kind !== 'archive') fail('INTERNAL', 'not an archive');
  const count = c.shape[0];
  if (c.shape.length !== 1 || count < 1 || count > MAX_MEMBERS) fail('CORRUPT', 'archive member count');
  const records = parseMembers(c.meta, count, Math.max(0, c.payload.length / 2 - 3));
  return archiveReport(c.modelId, records, fileBytes, typeof c.meta.initialBits === 'number' ? c.meta.initialBits : 0);
}

/** Restore every member (in archive order). Throws CHECKSUM naming the damaged members. */
export async function decompressArchive(
  bytes: Uint8Array,
  options: DecompressOptions = {},
): Promise<{ members: ArchiveMember[]; report: ArchiveReport }> {
  const c = readContainer(bytes, { deferPayloadCrc: true });
  if (c.kind !== 'archive') fail('USAGE', 'not an archive');
  const count = c.shape.length === 1 ? c.shape[0] : -1;
  if (count < 1 || count > MAX_MEMBERS) fail('CORRUPT', 'archive member count');
  if (c.payload.length < 6 || c.payload.length % 2 !== 0) fail('CORRUPT', 'archive payload length');
  const words = c.payload.length / 2 - 3;
  const records = parseMembers(c.meta, count, words);
  // What the payload cannot hold is CORRUPT; then the limits hold for every member and all together.
  for (const r of records) checkMemberFits(r, words);
  for (const r of records) checkLimits(r, options);
  checkLimits({ kind: 'bytes', dtype: 'uint8', shape: [records.reduce((a, r) => a + canonicalSize(r), 0)], meta: {} }, options);
  if (records[count - 1].segment[1] !== words) fail('CORRUPT', 'archive segments do not cover the payload');
  if (!c.payloadIntact) {
    const damaged = records.filter((r, j) => crc32(c.payload.subarray(2 * r.segment[0], j === count - 1 ? c.payload.length : 2 * r.segment[1])) !== r.segmentCrc);
    if (damaged.length === 0) fail('CHECKSUM', 'archive payload checksum mismatch');
    const last = records.indexOf(damaged[damaged.length - 1]);
    const lost = records.slice(0, last + 1).map((r) => r.name);
    fail(
      'CHECKSUM',
      `damaged archive member${damaged.length > 1 ? 's' : ''} ${damaged.map((r) => r.name).join(', ')}` +
        (lost.length > damaged.length ? `; the chain also loses ${lost.filter((n) => !damaged.some((d) => d.name === n)).join(', ')}` : '') +
        (last < count - 1 ? ` (${count - 1 - last} later member${count - 1 - last > 1 ? 's are' : ' is'} intact)` : ''),
    );
  }
  const model = c.modelId.startsWith('path:')
    ? await loadModel(options.model ?? fail('UNKNOWN_MODEL', `${c.modelId}: made with a model directory; pass it with --model`))
    : await shippedModelWithHash(c.modelId, c.modelHash);
  if (!model || !modelHashMatches(model.hash, c.modelHash))
    fail('MODEL_MISMATCH', `model '${c.modelId}' here is not the one the archive was made with`);
  const msg = Message.unflatten(c.payload);
  const members: ArchiveMember[] = new Array(count);
  for (let j = count - 1; j >= 0; j--) {
    const r = records[j];
    const progress = options.progress ? (f: number) => options.progress!((count - 1 - j + f) / count) : undefined;
    members[j] = await decodeMember(msg, r, model, progress);
  }
  if (msg.borrowedWords() < 0) fail('CORRUPT', 'archive payload does not end where its members do');
  return { members, report: archiveReport(c.modelId, records, bytes.length, typeof c.meta.initialBits === 'number' ? c.meta.initialBits : 0) };
}

/** More bits (or samples) than `words` payload words could possibly hold, with generous room for near-free data. */
function beyondPayload(n: number, words: number): boolean {
  return n > 16 * (words + 3) + 64 * 1024 * 1024;
}

function checkMemberFits(r: MemberRecord, words: number): void {
  const n = r.shape.reduce((a, b) => a * b, 1);
  if (r.method !== 'model' && beyondPayload(8 * r.bytes!, words))
    fail('CORRUPT', `archive member ${r.name}: size beyond the payload`);
  if (beyondPayload(n, words)) fail('CORRUPT', `archive member ${r.name}: ${r.shape.join('x')} is beyond what the payload can hold`);
}

/** An image member from its canonical samples (stored or Brotli): restored as a PNG like any image. */
async function imageMember(base: Omit<ArchiveMember, 'data'>, r: MemberRecord, layout: SampleLayout, canonical: Uint8Array, what: string): Promise<ArchiveMember> {
  const samples = readSamples(canonical, r.dtype, true);
  return { ...base, data: await restoreFile(r, layout, samples, what), samples };
}

async function decodeMember(msg: Message, r: MemberRecord, model: IntegerModel, progress?: Progress): Promise<ArchiveMember> {
  const what = `archive member ${r.name}`;
  const base = { name: r.name, kind: r.kind, method: r.method, ...fileAttributes(r.meta) };
  const tooBig = (n: number) => beyondPayload(n, msg.depth);
  if (r.method === 'brotli') {
    // The member's canonical data (a file's bytes, an .npy, an image's samples) as Brotli: never expanded
    // past its declared size.
    const layout = r.kind === 'image' ? checkShape(r) : undefined;
    if (tooBig(8 * r.bytes!)) fail('CORRUPT', `${what}: size beyond the payload`);
    const data = unbrotli(popRaw(msg, r.bytes!), canonicalSize(r), what);
    if (crc32(data) !== r.dataCrc) fail('CHECKSUM', `${what} does not match the original checksum`);
    return layout ? imageMember(base, r, layout, data, what) : { ...base, data };
  }
  if (r.method === 'stored' || r.method === 'original') {
    if (tooBig(8 * r.bytes!)) fail('CORRUPT', `${what}: size beyond the payload`);
    const data = popRaw(msg, r.bytes!);
    if (r.method === 'stored' && crc32(data) !== r.dataCrc) fail('CHECKSUM', `${what} does not match the original checksum`);
    if (r.method === 'stored' && r.kind === 'image') {
      // Stored image members hold canonical samples (exactly as many as the shape says): restore a PNG like any image.
      const layout = checkShape(r);
      if (data.length !== canonicalSize(r)) fail('CORRUPT', `${what}: stored samples do not match the shape`);
      return imageMember(base, r, layout, data, what);
    }
    // 'original' members' CRC is the file's own.
    if (r.method === 'original' && crc32(data) !== r.dataCrc) fail('CHECKSUM', `${what} does not match the original checksum`);
    return { ...base, data };
  }
  const layout = checkShape(r);
  const n = layout.height * layout.width * layout.channels;
  if (n !== r.shape.reduce((a, b) => a * b, 1) * wordsPerElement(r.dtype) && r.kind !== 'bytes') fail('CORRUPT', `${what}: shape`);
  if (tooBig(n)) fail('CORRUPT', `${what}: ${r.shape.join('x')} is beyond what the payload can hold`);
  const out = allocateSamples(r.dtype, n);
  let coder = model;
  let payload: Uint8Array = new Uint8Array(0);
  if (r.method === 'payload') {
    if (tooBig(8 * r.bytes!)) fail('CORRUPT', `${what}: size beyond the payload`);
    if (r.model !== undefined) {
      // Shipped models only: a file never chooses a path.
      coder = (await shippedModelWithHash(r.model, fromHex(r.modelHash!))) ?? fail('MODEL_MISMATCH', `${what}: model '${r.model}' here is not the one the archive was made with`);
    }
    payload = popRaw(msg, r.bytes!);
    if (r.model !== undefined && (coder.minPayloadBits?.(payload, layout) ?? n * coder.minBitsPerSample) > 8 * r.bytes! + 64) fail('CORRUPT', `${what}: ${r.shape.join('x')} is beyond what its payload can hold`);
    await coder.decode(payload, layout, out, progress);
  } else {
    if (!model.chain) fail('MODEL_MISMATCH', `model '${model.id}' cannot decode chained members`);
    await model.chain.pop(msg, layout, out, progress);
  }
  const [lo, hi] = DTYPE_RANGE[r.dtype];
  for (let i = 0; i < n; i++) if (!(out[i] >= lo && out[i] <= hi)) fail('CORRUPT', `${what}: decoded value outside its dtype`);
  return { ...base, data: await restoreFile(r, layout, out, what), samples: out, model: coder.id, effort: await writtenEffort(coder.id, coder.hash, payload, layout) };
}

/** Archive, restore, compare every member with its input; report per member and for the chain. */
export async function verifyArchive(inputs: ArchiveInput[], options: { model?: string; progress?: Progress; effort?: number } = {}): Promise<ArchiveReport> {
  const { bytes, report } = await compressArchive(inputs, options);
  const { members } = await decompressArchive(bytes, { model: options.model });
  for (const [i, m] of members.entries()) {
    const p = await prepare(inputs[i].bytes, { name: inputs[i].name });
    const same =
      m.samples !== undefined
        ? m.samples.length === p.samples.length && m.samples.every((v, k) => v === p.samples[k])
        : m.method === 'original'
          ? bytesEqual(m.data, inputs[i].bytes)
          : bytesEqual(m.data, p.canonical);
    if (m.name !== inputs[i].name || !same) fail('INTERNAL', `archive round trip mismatch on ${m.name}: please report it`);
  }
  return report;
}
