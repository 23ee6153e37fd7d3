/**
 * The fixed-point flow (bits-back dequantization) and archives. Real images, the real tfjs runtime and
 * the shipped model; a tiny fixed-point model is trained here for a few steps (the training path).
 *
 * Bits-back properties: decoding gives back both the data and the exact message the encoder started
 * from; the net rate equals the model's net information content; a chain borrows initial bits only
 * where the message cannot lend the noise. Archives: every member restored with its name, damage named
 * per member, malformed archives rejected.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlowzipError, Message, readContainer, writeContainer } from '../codec/index.js';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../models/shared/multiscale/train/train.js';
import { exportIntegerModel } from '../models/shared/multiscale/train/export.js';
import { IntegerIdf } from '../models/shared/multiscale/integer.js';
import { readMultiscaleFiles } from '../models/shared/multiscale/model-file.js';
import { loadBaselineTables } from '../models/shared/baseline-tables.js';
import { loadFinePriorTables } from '../models/shared/prior-tables.js';
import { compressArchive, compressWithReport, decompress, decompressArchive, loadModel, verifyArchive } from '../src/index.js';
import { useBackend } from '../src/train.js';
import { decodeImage } from '../src/image.js';
import { FIXTURES, fixture, rng } from './helpers.js';
import { trainTinyFlow } from './tiny-model.js';

const CLI = fileURLToPath(new URL('../dist/cli/flowzip.js', import.meta.url));
const SHIPPED = fileURLToPath(new URL('../models/fixedpoint/rgb', import.meta.url));
const shipped = existsSync(join(SHIPPED, 'model.json'));
let tiny: string;

beforeAll(async () => {
  await useBackend('wasm');
  tiny = await trainTinyFlow({ fractionBits: 4 });
}, 120_000);

async function imageOf(name: string) {
  const d = await decodeImage(fixture(name));
  if ('unsupported' in d) throw new Error(d.unsupported);
  // Int32Array, like what the decoders here fill (the library's own samples are the dtype's array).
  return { samples: Int32Array.from(d.samples), layout: { height: d.height, width: d.width, channels: d.channels, dtype: 'uint8' as const } };
}

/** A message holding `bits` random bits: what earlier files of a chain would have left. */
function fullMessage(bits: number, seed: number): Message {
  const msg = new Message();
  const r = rng(seed);
  for (let i = 0; i < bits / 16; i++) msg.pushBits(Math.floor(r() * 65536), 16);
  return msg;
}

describe('fixed-point flow: bits-back', () => {
  for (const [label, source] of [
    ['tiny model trained here', () => tiny],
    ['shipped model', () => SHIPPED],
  ] as const) {
    it.skipIf(label === 'shipped model' && !shipped)(`${label}: decoding restores the data and the exact message; net rate = model bits`, async () => {
      const model = await loadModel(source());
      for (const name of ['photo-rgb.png', 'rgb-37x29.png']) {
        const { samples, layout } = await imageOf(name);
        const msg = fullMessage(8 * samples.length, 7);
        const before = msg.clone();
        const result = await model.chain!.push(msg, samples, layout);
        expect(result.details?.flowTiles).toBe(1);
        const net = msg.contentBits() - before.contentBits();
        expect(Math.abs(net - result.modelBits)).toBeLessThan(0.01 * result.modelBits + 64);
        // The float bound (-log2 p(x + u) + log2 q(u|x) at the coded u) and the integer tables agree.
        expect(Math.abs(result.floatBits! - result.modelBits) / result.modelBits).toBeLessThan(0.02);
        const out = new Int32Array(samples.length);
        await model.chain!.pop(msg, layout, out);
        expect(out).toEqual(samples);
        expect(msg.equals(before)).toBe(true);
        expect(msg.underflowWords).toBe(0);
      }
    }, 60_000);
  }

  it('from an empty message the chain bootstraps with the baseline coder and borrows nothing', async () => {
    const model = await loadModel(tiny);
    const { samples, layout } = await imageOf('photo-300x72.png');
    const msg = new Message();
    const result = await model.chain!.push(msg, samples, layout);
    expect(result.details).toMatchObject({ bootstrapTiles: 1, flowTiles: 1 });
    expect(msg.underflowWords).toBe(0);
    const { bytes, report } = await compressWithReport(fixture('photo-300x72.png'), { model: tiny, forceModel: true });
    expect(report.initialBits).toBe(0);
    const restored = await decompress(bytes, { model: tiny });
    expect(Int32Array.from(restored.samples!)).toEqual(samples);
  }, 60_000);

  it('a tile that must borrow reads the underflow words, and its decoder gives them back below the message', async () => {
    // The chain never borrows (it bootstraps instead); the flow's tile coder on a short message does.
    const { file, weights } = readMultiscaleFiles(tiny);
    const flow = new IntegerIdf(file, weights, loadFinePriorTables(), loadBaselineTables());
    const { samples, layout } = await imageOf('photo-rgb.png');
    const values = Int32Array.from(samples, (v) => v - 128);
    const msg = fullMessage(2 * samples.length, 3);
    const before = msg.clone();
    flow.encodeTile(msg, values, layout.height, layout.width);
    expect(msg.underflowWords).toBeGreaterThan(0);
    const decoded = Message.unflatten(msg.flatten());
    expect(flow.decodeTile(decoded, layout.height, layout.width)).toEqual(values);
    // Below what the encoder found lie exactly the lent words: a fresh message would end in borrowedWords().
    expect(decoded.depth).toBe(before.depth + msg.underflowWords);
    expect(Array.from(decoded.tailWords().subarray(msg.underflowWords))).toEqual(Array.from(before.tailWords()));
    const fresh = new Message();
    flow.encodeTile(fresh, values, layout.height, layout.width);
    const back = Message.unflatten(fresh.flatten());
    flow.decodeTile(back, layout.height, layout.width);
    expect(back.borrowedWords()).toBe(fresh.underflowWords);
  }, 60_000);

  it('other layouts go to the baseline coder under the same model id', async () => {
    for (const name of ['grey-67x53.png', 'rgba-53x31.png', 'rgb-41x1.png', 'fits-rgb16.png']) {
      const { bytes } = await compressWithReport(fixture(name), { model: tiny, forceModel: true });
      const restored = await decompress(bytes, { model: tiny });
      const d = await decodeImage(fixture(name));
      if ('unsupported' in d) throw new Error(d.unsupported);
      expect(restored.samples).toEqual(d.samples);
    }
  });
});

describe('channel context (colour correlation inside factored groups)', () => {
  for (const fractionBits of [0, 4]) {
    it(`${fractionBits ? 'fixed-point flow' : 'IDF'}: trains, and with non-zero alphas codes pixel-exact within 2% of its float model`, async () => {
      const dir = await trainTinyFlow({ fractionBits, channelContext: true }, { steps: 2, data: [FIXTURES + 'photo-rgb.png'] });
      // Two steps leave the alphas near zero: set them so that the context really moves the means.
      const { model } = (await loadCheckpoint(dir))!;
      for (const net of model.priors.flat()) {
        const b = net.layers[2].b;
        const values = Array.from(b.dataSync());
        for (let i = 6; i < 9; i++) values[i] = 0.02 * (i - 7.4);
        b.assign(tf.tensor(values));
      }
      await exportIntegerModel(model, dir, {});
      for (const name of ['photo-300x72.png', 'rgb-37x29.png']) {
        const { bytes, report } = await compressWithReport(fixture(name), { model: dir, forceModel: true });
        expect(Math.abs(report.floatBits! - report.modelBits) / report.modelBits).toBeLessThan(0.02);
        const restored = await decompress(bytes, { model: dir });
        expect(Int32Array.from(restored.samples!)).toEqual((await imageOf(name)).samples);
      }
    }, 60_000);
  }
});

const MEMBERS = ['photo-300x72.png', 'photo-rgb.png', 'dem-int16.npy', 'grey-67x53.png', 'text.txt', 'photo.jpg', 'fits-rgb16.png', 'empty-uint8.npy'];
const inputs = () => MEMBERS.map((name) => ({ name, bytes: fixture(name) }));

describe('archives', () => {
  it('round trip: every member restored under its name, bytes or samples exact', async () => {
    const { bytes, report } = await compressArchive(inputs(), { model: tiny });
    expect(report.members.map((m) => m.name)).toEqual(MEMBERS);
    const { members } = await decompressArchive(bytes, { model: tiny });
    for (const [i, m] of members.entries()) {
      expect(m.name).toBe(MEMBERS[i]);
      const input = fixture(MEMBERS[i]);
      if (m.kind === 'image' && m.method !== 'original') {
        const want = await decodeImage(input);
        const got = await decodeImage(m.data);
        if ('unsupported' in want || 'unsupported' in got) throw new Error('image');
        expect(got.samples).toEqual(want.samples);
      } else expect(Buffer.from(m.data).equals(Buffer.from(input))).toBe(true);
    }
    // A JPEG is smaller as itself than as lossless samples: kept verbatim.
    expect(members.find((m) => m.name === 'photo.jpg')!.method).toBe('original');
  }, 60_000);

  it('the chain pays initial bits once; each member codes within 1% of its net model bits and of the bound', async () => {
    const report = await verifyArchive(inputs().slice(0, 4), { model: tiny });
    expect(report.initialBits).toBe(0);
    const coded = report.members.reduce((a, m) => a + m.codedBits, 0);
    expect(8 * report.fileBytes).toBeGreaterThan(coded);
    for (const m of report.members.filter((x) => x.method === 'model')) {
      expect(Math.abs(m.netBits - m.modelBits)).toBeLessThan(0.01 * m.modelBits + 64);
      if (m.floatBits !== undefined) expect(Math.abs(m.netBits - m.floatBits)).toBeLessThan(0.01 * m.floatBits + 64);
    }
  }, 60_000);

  it('works with a model that cannot chain (its payloads ride in the chain) and with the baseline', async () => {
    for (const model of ['baseline', tiny]) {
      const { bytes } = await compressArchive(inputs().slice(1, 4), { model });
      const { members } = await decompressArchive(bytes, { model });
      expect(members.map((m) => m.name)).toEqual(MEMBERS.slice(1, 4));
    }
  });

  it('a damaged member is named, with what the chain loses and what stays intact', async () => {
    const { bytes } = await compressArchive(inputs().slice(0, 3), { model: tiny });
    const c = readContainer(bytes);
    const segments = (c.meta.members as { name: string; segment: [number, number] }[]).map((m) => m.segment);
    const payloadStart = bytes.length - 4 - c.payload.length;
    const damaged = Uint8Array.from(bytes);
    const word = Math.floor((segments[1][0] + segments[1][1]) / 2);
    damaged[payloadStart + 2 * word] ^= 0x10;
    const err = await decompressArchive(damaged, { model: tiny }).catch((e) => e);
    expect(err).toBeInstanceOf(FlowzipError);
    expect(err.code).toBe('CHECKSUM');
    expect(err.message).toMatch(/damaged archive member photo-rgb\.png; the chain also loses photo-300x72\.png \(1 later member is intact\)/);
  });

  it('malformed archives: truncated, unsafe names, broken member table', async () => {
    const { bytes } = await compressArchive(inputs().slice(1, 3), { model: tiny });
    const codeOf = async (b: Uint8Array) => (await decompressArchive(b, { model: tiny }).catch((e) => e)).code;
    expect(await codeOf(bytes.subarray(0, bytes.length - 9))).toBe('TRUNCATED');
    const c = readContainer(bytes);
    const forge = (edit: (m: Record<string, unknown>[]) => void) => {
      const members = structuredClone(c.meta.members) as Record<string, unknown>[];
      edit(members);
      return writeContainer({ ...c, meta: { ...c.meta, members } });
    };
    for (const name of ['../evil', '/etc/passwd', 'a//b', '', 'a\\b'])
      expect(await codeOf(forge((m) => (m[0].name = name)))).toBe('CORRUPT');
    expect(await codeOf(forge((m) => m.pop()))).toBe('CORRUPT');
    expect(await codeOf(forge((m) => (m[0].segment = [1, 2])))).toBe('CORRUPT');
    expect(await codeOf(forge((m) => (m[1].shape = [1e9, 1e9])))).toMatch(/CORRUPT|BAD_SHAPE/);
    await expect(compressArchive([{ name: 'a', bytes: new Uint8Array(1) }, { name: 'a', bytes: new Uint8Array(1) }])).rejects.toThrow(/two files/);
    await expect(decompress(bytes)).rejects.toThrow(/archive/);
  });
});

describe('archives in the CLI', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { timeout: 120_000 });
  it('compress several files (or a directory) -o set.flz, info, verify --archive, decompress -o dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-arch-'));
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'photo-rgb.png'), fixture('photo-rgb.png'));
    writeFileSync(join(src, 'sub', 'dem.npy'), fixture('dem-int16.npy'));
    writeFileSync(join(src, 'notes.txt'), fixture('text.txt'));
    const set = join(dir, 'set.flz');
    let r = cli(['compress', '-q', '--model', tiny, src, '-o', set]);
    expect(r.status, r.stderr.toString()).toBe(0);
    r = cli(['info', set]);
    expect(r.stdout.toString()).toMatch(/archive of 3 files/);
    expect(r.stdout.toString()).toMatch(/sub\/dem\.npy/);
    r = cli(['decompress', '-q', '--model', tiny, set, '-o', join(dir, 'out')]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(readFileSync(join(dir, 'out', 'sub', 'dem.npy')).equals(Buffer.from(fixture('dem-int16.npy')))).toBe(true);
    expect(readFileSync(join(dir, 'out', 'notes.txt')).equals(Buffer.from(fixture('text.txt')))).toBe(true);
    expect(existsSync(join(dir, 'out', 'photo-rgb.png'))).toBe(true);
    // Extracting again refuses to overwrite, and writes nothing.
    r = cli(['decompress', '-q', '--model', tiny, set, '-o', join(dir, 'out')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr.toString().trim().split('\n')).toHaveLength(1);
    // Several files with -o FILE make an archive too; verify --archive reports net and initial bits.
    r = cli(['compress', '-q', '--model', tiny, join(src, 'photo-rgb.png'), join(src, 'notes.txt'), '-o', join(dir, 'two.flz')]);
    expect(r.status, r.stderr.toString()).toBe(0);
    r = cli(['verify', '-q', '--archive', '--model', tiny, join(src, 'photo-rgb.png'), join(src, 'notes.txt')]);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toMatch(/net [\d.]+ bits\/dim \+ initial bits \d+ \(one-time\)/);
  }, 120_000);
});
