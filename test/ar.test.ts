/**
 * The autoregressive integer flow: its integer kernel against a plain-JS reference, training (a tiny
 * model, seconds), round trips (data restored, every fixture and odd sizes), rate against the model's
 * -log2 p, float vs integer bits, malformed model files.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Message, readContainer, writeContainer } from '../codec/index.js';
import { assetPath } from '../models/shared/assets.js';
import { ArFlow, BAND_ROWS, bandsOf, createArModel, type ArModelFile } from '../models/ar/model.js';
import { arKind } from '../models/ar/kind.js';
import { ACT_BITS, ADAPT_FEATURES, ADAPT_HIDDEN, INPUT_SHIFT, MAX_ACT, MAX_FEATURE, NetRunner, WEIGHT_BITS, type IntegerNet } from '../models/ar/net.js';
import { ERROR_NEIGHBOURS, NEIGHBOURS, ROWS_KEPT, contextOf, createPlanes, featureCount, fillPlanes, recordSample } from '../models/ar/context.js';
import { trainAr } from '../models/ar/train/train.js';
import { loadPriorTables } from '../models/shared/prior-tables.js';
import { compress, compressWithReport, decompress, loadModel, setTileThreads, startPartWorkers } from '../src/index.js';
import { decodeImage } from '../src/image.js';
import { FIXTURES, fixture, fixtureNames, randomInt, rng } from './helpers.js';

const SHIPPED = assetPath(arKind.shippedDir!);

/** The integer net in plain JS numbers (exact: every value is an integer below 2^53). */
function referenceNet(net: IntegerNet, features: ArrayLike<number>): number[] {
  let input = Array.from(features);
  for (let l = 0; l < net.layers.length; l++) {
    const { inputs, outputs, weight, bias } = net.layers[l];
    const shift = l === 0 ? WEIGHT_BITS + INPUT_SHIFT - ACT_BITS : WEIGHT_BITS;
    const next: number[] = [];
    for (let o = 0; o < outputs; o++) {
      let sum = bias[o];
      for (let i = 0; i < inputs; i++) sum += weight[o * inputs + i] * input[i];
      next.push(l === net.layers.length - 1 ? sum : Math.min(MAX_ACT, Math.max(0, Math.floor(sum / 2 ** shift))));
    }
    input = next;
  }
  return input;
}

function randomNet(r: () => number, sizes: number[], weightMax: number): IntegerNet {
  return {
    layers: sizes.slice(1).map((outputs, l) => ({
      inputs: sizes[l],
      outputs,
      weight: Array.from({ length: sizes[l] * outputs }, () => randomInt(r, -weightMax, weightMax)),
      bias: Array.from({ length: outputs }, () => randomInt(r, -(2 ** 20), 2 ** 20)),
    })),
  };
}

function image(name: string) {
  return decodeImage(fixture(name)).then((d) => {
    if ('unsupported' in d) throw new Error(d.unsupported);
    return d;
  });
}

describe('autoregressive flow: integer kernel', () => {
  it('the wasm SIMD kernel computes exactly what plain integer arithmetic does', () => {
    const r = rng(7);
    // Layer widths in groups of 8, of 4 and single rows (the kernel's three loops), 2 and 5 outputs.
    for (const sizes of [[14, 64, 64, 2], [29, 8, 2], [44, 13, 70, 2], [33, 21, 12, 5]]) {
      const net = randomNet(r, sizes, 2000);
      const runner = new NetRunner([net]);
      const outputs = sizes[sizes.length - 1];
      for (let t = 0; t < 200; t++) {
        const features = Array.from({ length: sizes[0] }, () => randomInt(r, -255, 255));
        runner.features.set(features);
        runner.run(0);
        expect(Array.from(runner.output.subarray(0, outputs))).toEqual(referenceNet(net, features));
      }
    }
  });
});

describe('autoregressive flow: online mean adaptation', () => {
  it("the kernel's adaptDot and adaptUpdate are plain integer arithmetic on the hidden layer and the features (any width)", () => {
    const r = rng(11);
    const limit = 2 ** 17;
    for (const sizes of [[14, 64, 64, 2], [29, 7, 2], [44, 13, 70, 2]]) {
      const net = randomNet(r, sizes, 3000);
      const runner = new NetRunner([net]);
      const widths = [sizes[sizes.length - 2], sizes[0]];
      const w = widths.map((n) => new Array<number>(n).fill(0));
      for (const a of runner.adaptWeights[0]) a.fill(0);
      for (let t = 0; t < 300; t++) {
        const features = Array.from({ length: sizes[0] }, () => randomInt(r, -255, 255));
        runner.features.set(features);
        runner.run(0);
        for (const source of [ADAPT_HIDDEN, ADAPT_FEATURES]) {
          const input = source === ADAPT_HIDDEN ? Array.from(runner.hidden[0]) : features;
          expect(input.length).toBe(widths[source]);
          expect(runner.adaptDot(0, source)).toBe(w[source].reduce((a, v, i) => a + v * input[i], 0));
          const up = r() < 0.5;
          // Long runs of steps now and then, so that both clamps are reached.
          for (let rep = 0; rep < (t % 100 === 99 ? 3000 : 1); rep++) {
            runner.adaptUpdate(0, source, up, limit);
            w[source] = w[source].map((v, i) => Math.max(-limit, Math.min(limit, up ? v + input[i] : v - input[i])));
          }
          expect(Array.from(runner.adaptWeights[0][source])).toEqual(w[source]);
        }
      }
      expect(w.flat().some((v) => Math.abs(v) === limit), `${sizes}`).toBe(true);
    }
  });
});

describe('autoregressive flow: context', () => {
  it("the interior fast path reads exactly NEIGHBOURS and ERROR_NEIGHBOURS", () => {
    const r = rng(5);
    const [height, width, channels] = [8, 11, 3];
    const image = Int32Array.from({ length: height * width * channels }, () => randomInt(r, 0, 255));
    const order = [1, 0, 2];
    const planes = createPlanes(image, height, width, channels);
    fillPlanes(planes);
    const features = new Float64Array(featureCount(2));
    const at = (plane: ArrayLike<number>, y: number, x: number, ch: number) => plane[(y * width + x) * channels + ch];
    for (let y = 2; y < height; y++)
      for (let x = 2; x + 2 < width; x++) {
        const p0 = contextOf(planes, order, y, x, 2, features);
        const own = order[2];
        const earlier = order[1];
        const p0Earlier = at(planes.med, y, x, earlier);
        const expected = [
          ...NEIGHBOURS.map(([dy, dx]) => at(image, y + dy, x + dx, own) - p0),
          ...ERROR_NEIGHBOURS.map(([dy, dx]) => at(planes.medError, y + dy, x + dx, own)),
        ];
        const expectedEarlier = [
          ...NEIGHBOURS.map(([dy, dx]) => at(image, y + dy, x + dx, earlier) - p0Earlier),
          at(planes.medError, y, x, earlier),
          ...ERROR_NEIGHBOURS.map(([dy, dx]) => at(planes.medError, y + dy, x + dx, earlier)),
        ];
        expect(Array.from(features.subarray(0, 14))).toEqual(expected);
        expect(Array.from(features.subarray(16, 31))).toEqual(expectedEarlier);
      }
  });

  it('features read only coded samples, and training (whole image known) sees what the coder sees', () => {
    const r = rng(11);
    for (const [height, width, channels] of [[7, 9, 3], [1, 5, 3], [6, 1, 1], [3, 4, 1], [5, 6, 3]]) {
      const image = Int32Array.from({ length: height * width * channels }, () => randomInt(r, 0, 255));
      const order = channels === 1 ? [0] : [1, 0, 2];
      const known = createPlanes(image, height, width, channels);
      fillPlanes(known);
      // The coder's view: samples not coded yet hold garbage, and only the last ROWS_KEPT rows of planes are kept.
      const partial = Int32Array.from(image, () => 999);
      const coding = createPlanes(partial, height, width, channels, ROWS_KEPT);
      const a = new Float64Array(featureCount(channels - 1));
      const b = new Float64Array(featureCount(channels - 1));
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++)
          for (let k = 0; k < channels; k++) {
            const ch = order[k];
            const p0 = contextOf(coding, order, y, x, k, a);
            expect(contextOf(known, order, y, x, k, b)).toBe(p0);
            expect(Array.from(a.subarray(0, featureCount(k)))).toEqual(Array.from(b.subarray(0, featureCount(k))));
            for (const v of a.subarray(0, featureCount(k))) expect(Math.abs(v)).toBeLessThanOrEqual(MAX_FEATURE);
            const i = (y * width + x) * channels + ch;
            partial[i] = image[i];
            recordSample(coding, y, x, ch, p0, image[i]);
          }
    }
  });
});

describe('autoregressive flow: training and coding (tiny model)', () => {
  let dir: string;
  let file: ArModelFile;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowzip-ar-'));
    file = await trainAr({
      data: [FIXTURES + 'photo-rgb.png', FIXTURES + 'rgb-37x29.png', FIXTURES + 'photo-300x72.png', FIXTURES + 'grey-67x53.png'],
      out: dir,
      steps: 40,
      samplesPerImage: 3000,
      hidden: [8, 8],
      batch: 256,
    });
  }, 120_000);

  it('writes model.json and a log with validation bits/dim', () => {
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    const log = readFileSync(join(dir, 'train.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const validation = log.find((l) => l.event === 'validation');
    expect(validation.rgbBitsPerDim).toBeGreaterThan(0);
    expect(validation.rgbBitsPerDim).toBeLessThan(8);
    expect(file.nets.map((n) => n.layers.length)).toEqual([3, 3, 3]);
  });

  for (const name of ['photo-rgb.png', 'rgb-37x29.png', 'grey-67x53.png', 'rgb-1x1.png', 'rgb-41x1.png', 'grey-1x37.png']) {
    it(`${name}: round trip restores the data and empties the message; rate within 0.5% of -log2 p (scale adaptation off and on)`, async () => {
      for (const adaptScale of [false, true]) {
        const flow = new ArFlow({ ...file, adaptScale }, loadPriorTables());
        const im = await image(name);
        const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
        const msg = new Message(64);
        const { bits } = flow.encode(msg, im.samples, layout);
        const payload = msg.flatten();
        // rANS overhead: the final state's words.
        expect(8 * payload.length).toBeLessThanOrEqual(bits * 1.005 + 64);
        const back = Message.unflatten(payload);
        const out = new Uint8Array(im.samples.length);
        flow.decode(back, layout, out);
        expect(back.isEmpty()).toBe(true);
        expect(Buffer.from(out).equals(Buffer.from(im.samples as Uint8Array))).toBe(true);
      }
    });
  }

  it('a file through --model DIR round-trips; with alpha through the alpha route, 16-bit through the baseline route', async () => {
    for (const name of ['photo-300x72.png', 'rgba-53x31.png', 'depth-grey16.png', 'grey-alpha-53x31.png']) {
      const input = fixture(name);
      const { bytes } = await compressWithReport(input, { model: dir, forceModel: true });
      expect(readContainer(bytes).modelId).toMatch(/^path:/);
      const restored = await decompress(bytes, { model: dir });
      const a = await image(name);
      const b = await decodeImage(restored.data);
      if ('unsupported' in b) throw new Error(b.unsupported);
      expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
    }
  });

  it('images taller than a band: bands on worker threads give the same bytes as on one thread, and decode', async () => {
    const im = await image('photo-rgb.png');
    const height = 2 * BAND_ROWS + 37;
    const width = 24;
    // Rows of the photo, repeated: a real image's statistics, three bands.
    const data = new Int32Array(height * width * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width * 3; x++) data[(y * width) * 3 + x] = im.samples[((y % im.height) * im.width) * 3 + x];
    const layout = { height, width, channels: 3, dtype: 'uint8' as const };
    let model = createArModel(dir);
    const payloads: Uint8Array[] = [];
    // 2 threads: three bands on two workers; 3: two workers (started ahead, the model preloaded) and this thread.
    for (const threads of [1, 2, 3]) {
      setTileThreads(threads);
      if (threads === 3) {
        startPartWorkers();
        model = createArModel(dir);
      }
      const { payload } = await model.encode(data, layout);
      payloads.push(payload);
      const out = new Int32Array(data.length);
      await model.decode(payload, layout, out);
      expect(Buffer.from(out.buffer).equals(Buffer.from(data.buffer))).toBe(true);
    }
    setTileThreads(1);
    expect(Buffer.from(payloads[0]).equals(Buffer.from(payloads[1]))).toBe(true);
    expect(Buffer.from(payloads[0]).equals(Buffer.from(payloads[2]))).toBe(true);
    // A payload decoded under a layout with fewer bands is CORRUPT, not a hang or a wrong image.
    await expect(model.decode(payloads[0], { ...layout, height: BAND_ROWS }, new Int32Array(BAND_ROWS * width * 3))).rejects.toMatchObject({ code: 'CORRUPT' });
  }, 60_000);

  it('rejects malformed model files with MODEL_MISMATCH or UNKNOWN_MODEL', () => {
    const cases: [string, (f: ArModelFile) => unknown][] = [
      ['version', (f) => ({ ...f, version: 99 })],
      ['order', (f) => ({ ...f, order: [0, 0, 2] })],
      ['no order', (f) => ({ ...f, order: undefined })],
      ['not an object', () => 42],
      ['null', () => null],
      ['two nets', (f) => ({ ...f, nets: f.nets.slice(0, 2) })],
      ['shape', (f) => ({ ...f, nets: [{ layers: f.nets[0].layers.slice(1) }, f.nets[1], f.nets[2]] })],
      ['int16 weight', (f) => ({ ...f, nets: [{ layers: [{ ...f.nets[0].layers[0], weight: f.nets[0].layers[0].weight.map(() => 40000) }, ...f.nets[0].layers.slice(1)] }, f.nets[1], f.nets[2]] })],
      ['overflow', (f) => ({ ...f, nets: [{ layers: [{ ...f.nets[0].layers[0], bias: f.nets[0].layers[0].bias.map(() => 2 ** 31) }, ...f.nets[0].layers.slice(1)] }, f.nets[1], f.nets[2]] })],
      ['fraction', (f) => ({ ...f, nets: [{ layers: [{ ...f.nets[0].layers[0], bias: f.nets[0].layers[0].bias.map(() => 0.5) }, ...f.nets[0].layers.slice(1)] }, f.nets[1], f.nets[2]] })],
      ['format', (f) => ({ ...f, format: 'flowzip-idf' })],
      // Context 2 comes with version 3 only, and net 0 then has the far window's inputs.
      ['version 3 without context', (f) => ({ ...f, version: 3 })],
      ['context 2 in version 2', (f) => ({ ...f, version: 2, context: 2 })],
      ['context 2 without the far inputs', (f) => ({ ...f, version: 3, context: 2 })],
      // Context 3 with version 4 only, and every net then has its far window's inputs.
      ['version 4 without context', (f) => ({ ...f, version: 4 })],
      ['version as a string', (f) => ({ ...f, version: String(f.version) })],
      ['context 3 in version 3', (f) => ({ ...f, version: 3, context: 3 })],
      ['context 2 in version 4', (f) => ({ ...f, version: 4, context: 2 })],
      ['context 1 written out', (f) => ({ ...f, context: 1 })],
      ['context 3 without the far inputs', (f) => ({ ...f, version: 4, context: 3 })],
    ];
    for (const [what, mutate] of cases) {
      const bad = mkdtempSync(join(tmpdir(), 'flowzip-ar-bad-'));
      writeFileSync(join(bad, 'model.json'), JSON.stringify(mutate(file)));
      expect(() => createArModel(bad), what).toThrow(expect.objectContaining({ code: expect.stringMatching(/MODEL_MISMATCH|UNKNOWN_MODEL/) }));
    }
    const empty = mkdtempSync(join(tmpdir(), 'flowzip-ar-none-'));
    expect(() => createArModel(empty)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }));
  });

  it('a damaged payload is an error or different data, never a hang', async () => {
    const input = fixture('rgb-37x29.png');
    const { bytes } = await compressWithReport(input, { model: dir, forceModel: true });
    const c = readContainer(bytes);
    const r = rng(3);
    const model = createArModel(dir);
    const layout = { height: 29, width: 37, channels: 3, dtype: 'uint8' as const };
    for (let t = 0; t < 20; t++) {
      const payload = c.payload.slice();
      payload[1 + Math.floor(r() * (payload.length - 1))] ^= 1 << Math.floor(r() * 8);
      await model.decode(payload, layout, new Int32Array(29 * 37 * 3)).catch((e) => expect(e.code).toBe('CORRUPT'));
    }
  });
});

describe.skipIf(!existsSync(join(SHIPPED, 'model.json')))('shipped autoregressive flow', () => {
  for (const name of fixtureNames(/\.(png|jpg)$/)) {
    it(`${name}: pixel-exact through the library`, async () => {
      const input = fixture(name);
      const { bytes } = await compressWithReport(input, { model: 'ar', forceModel: true });
      const restored = await decompress(bytes);
      const a = await decodeImage(input);
      const b = await decodeImage(restored.data);
      if ('unsupported' in a || 'unsupported' in b) throw new Error('not decodable');
      expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
    });
  }

  it('alpha: colour through the flow (behind its own route byte), alpha through the grid coder (route 7); bits add up per pixel; older files (route 3, baseline route) still decode', async () => {
    const ar = await loadModel('ar');
    const baseline = await loadModel('baseline');
    for (const name of ['rgba-53x31.png', 'grey-alpha-53x31.png']) {
      const im = await image(name);
      const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
      const coded = await ar.encode(im.samples, layout, undefined, { pixelBits: true });
      expect(coded.payload[0], name).toBe(7);
      // The colour body (behind the colour length) starts with its own route byte: route 5 for a photo.
      expect(coded.payload[5], name).toBe(5);
      const perPixel = coded.pixelBits!.reduce((a, b) => a + b, 0);
      // Per pixel: all but the grid coder's settings at the start (a few dozen raw bits).
      expect(Math.abs(perPixel - coded.modelBits), name).toBeLessThan(64);
      expect(8 * coded.payload.length, name).toBeLessThanOrEqual(coded.modelBits * 1.01 + 200);
      const out = new Uint8Array(im.samples.length);
      await ar.decode(coded.payload, layout, out);
      expect(Buffer.from(out).equals(Buffer.from(im.samples)), name).toBe(true);
      // What builds before route 3 wrote for these layouts: the baseline coder's message behind route byte 0.
      const older = await baseline.encode(im.samples, layout);
      expect(older.payload.length, name).toBeGreaterThan(coded.payload.length);
      const fromOlder = new Uint8Array(im.samples.length);
      await ar.decode(Uint8Array.of(0, ...older.payload.subarray(older.payload[0] === 0 ? 1 : 0)), layout, fromOlder);
      expect(Buffer.from(fromOlder).equals(Buffer.from(im.samples)), name).toBe(true);
      // The colour part's length, forged past the payload, and the colour's route byte forged: refused.
      const forged = coded.payload.slice();
      new DataView(forged.buffer).setUint32(1, forged.length, true);
      await expect(ar.decode(forged, layout, new Uint8Array(im.samples.length))).rejects.toMatchObject({ code: 'CORRUPT' });
      for (const route of [0, 3, 4, 7]) {
        const wrongRoute = coded.payload.slice();
        wrongRoute[5] = route;
        await expect(ar.decode(wrongRoute, layout, new Uint8Array(im.samples.length)), `${name} colour route ${route}`).rejects.toMatchObject({ code: 'CORRUPT' });
      }
    }
  });

  it('files get route 5 (the shipped model is a two-logistic mixture); the retired one-logistic model (route 4) costs more on the fixture photos; a route-4 reading does not give the image back', async () => {
    const ar = await loadModel('ar');
    const retired = new ArFlow(JSON.parse(readFileSync(assetPath(join(arKind.retiredDirs!.find((dir) => dir.endsWith('/photo'))!, 'model.json')), 'utf8')), loadPriorTables());
    expect(retired.mixture).toBe(false);
    let mixtureBits = 0;
    let retiredBits = 0;
    for (const name of ['photo-rgb.png', 'photo-300x72.png', 'grey-67x53.png']) {
      const im = await image(name);
      const layout = { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' as const };
      const coded = await ar.encode(im.samples, layout);
      expect(coded.payload[0], name).toBe(5);
      mixtureBits += coded.modelBits;
      retiredBits += retired.encode(new Message(64), im.samples, layout).bits;
      const asRoute4 = coded.payload.slice();
      asRoute4[0] = 4;
      await expect(ar.decode(asRoute4, layout, new Uint8Array(im.samples.length)), name).rejects.toMatchObject({ code: 'CORRUPT' });
    }
    expect(mixtureBits).toBeLessThan(retiredBits);
  });

  it('a retired version of the shipped model (retiredDirs) still decodes the files that name its hash; without it they are MODEL_MISMATCH', async () => {
    // An "earlier version": the shipped model with one output bias moved (another hash, another coding).
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-retired-'));
    const file = JSON.parse(readFileSync(join(SHIPPED, 'model.json'), 'utf8')) as ArModelFile;
    file.nets[0].layers[file.nets[0].layers.length - 1].bias[0] += 1 << 14;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(file));
    const png = fixture('photo-rgb.png');
    const made = readContainer((await compressWithReport(png, { model: dir, forceModel: true })).bytes);
    // What a build that shipped that version as 'ar' wrote.
    const older = writeContainer({ ...made, modelId: 'ar' });
    await expect(decompress(older)).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    arKind.retiredDirs = [relative(assetPath(''), dir)];
    try {
      const back = await decompress(older);
      const [a, b] = [await decodeImage(png), await decodeImage(back.data)];
      expect('samples' in a && 'samples' in b && Buffer.from(a.samples.buffer).equals(Buffer.from(b.samples.buffer))).toBe(true);
      // Files of the current version still decode with it.
      expect((await decompress(await compressWithReport(png).then((r) => r.bytes))).kind).toBe('image');
    } finally {
      arKind.retiredDirs = undefined;
    }
  });

  it("float and integer models' bits differ by less than 2%; coded size within 0.5% of the integer bits", async () => {
    const flow = new ArFlow(JSON.parse(readFileSync(join(SHIPPED, 'model.json'), 'utf8')), loadPriorTables());
    for (const name of ['photo-rgb.png', 'photo-300x72.png', 'grey-67x53.png']) {
      const im = await image(name);
      const msg = new Message(64);
      const { bits, floatBits } = flow.encode(msg, im.samples, { height: im.height, width: im.width, channels: im.channels, dtype: 'uint8' });
      expect(Math.abs(bits - floatBits) / floatBits).toBeLessThan(0.02);
      expect(8 * msg.flatten().length).toBeLessThanOrEqual(bits * 1.005 + 64);
    }
  });

  it('compress() skips the float bits (no report) and writes the same file as compressWithReport', async () => {
    const png = fixture('photo-300x72.png');
    const measured = await compressWithReport(png);
    expect(measured.report.floatBits).toBeGreaterThan(0);
    const unmeasured = await compressWithReport(png, { floatBits: false });
    expect(unmeasured.report.floatBits).toBeUndefined();
    expect(unmeasured.report.modelBits).toBe(measured.report.modelBits);
    expect(Buffer.from(unmeasured.bytes).equals(Buffer.from(measured.bytes))).toBe(true);
    expect(Buffer.from(await compress(png)).equals(Buffer.from(measured.bytes))).toBe(true);
  });
});

describe('autoregressive flow: bands', () => {
  it('cuts an image into as few bands as BAND_ROWS allows, of equal height, whatever the thread count', () => {
    for (const height of [2, 511, 512, 513, 640, 1000, 1025, 3000]) {
      const bands = bandsOf(height);
      expect(bands.length).toBe(Math.ceil(height / BAND_ROWS));
      expect(bands.reduce((n, b) => (expect(b.y0).toBe(n), n + b.rows), 0)).toBe(height);
      const rows = bands.map((b) => b.rows);
      expect(Math.max(...rows) - Math.min(...rows)).toBeLessThanOrEqual(1);
    }
    expect(bandsOf(640).map((b) => b.rows)).toEqual([320, 320]);
    // Route 1 (older files): fixed bands of BAND_ROWS rows.
    expect(bandsOf(640, true).map((b) => b.rows)).toEqual([512, 128]);
  });
});
