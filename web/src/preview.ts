/**
 * Pictures of decoded data for the page, as RGBA pixels: images as they are (16 bits shown by their
 * high byte, grey as grey), 2-D arrays as grey levels between robust bounds, 1-D arrays (and N x C
 * series) as a plot of each column's range.
 */
import { heatmapRgb } from '../../src/image-samples.js';
import { parseNpy } from '../../src/npy.js';
import type { DecodedEntry } from './flowzip-web.js';

export interface Preview {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  caption?: string;
}

const PLOT_WIDTH = 720;
const PLOT_HEIGHT = 180;
const MAX_SIDE = 4096;

function imagePreview(shape: number[], samples: ArrayLike<number>, shift: number): Preview {
  const [height, width, channels] = shape;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    const grey = channels <= 2;
    rgba[4 * i] = samples[s] >> shift;
    rgba[4 * i + 1] = samples[grey ? s : s + 1] >> shift;
    rgba[4 * i + 2] = samples[grey ? s : s + 2] >> shift;
    rgba[4 * i + 3] = channels === 2 || channels === 4 ? samples[s + channels - 1] >> shift : 255;
  }
  return { width, height, rgba };
}

/** Element values of an array entry as numbers (floats read from the restored .npy, not their coded words). */
function arrayValues(entry: DecodedEntry): ArrayLike<number> | undefined {
  const dtype = entry.dtype!;
  if (!dtype.startsWith('float')) return entry.samples;
  const data = entry.data;
  const npy = parseNpy(data);
  if ('unsupported' in npy) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLength = npy.header.length;
  const little = npy.littleEndian;
  const size = dtype === 'float16' ? 2 : dtype === 'float32' ? 4 : 8;
  const count = (data.length - headerLength) / size;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = headerLength + i * size;
    if (size === 8) out[i] = view.getFloat64(at, little);
    else if (size === 4) out[i] = view.getFloat32(at, little);
    else {
      const h = view.getUint16(at, little);
      const exponent = (h >> 10) & 31;
      const mantissa = h & 1023;
      const magnitude = exponent === 0 ? mantissa * 2 ** -24 : exponent === 31 ? (mantissa ? NaN : Infinity) : (1 + mantissa / 1024) * 2 ** (exponent - 15);
      out[i] = h & 0x8000 ? -magnitude : magnitude;
    }
  }
  return out;
}

/** Bounds that ignore the rarest 0.5% at each end (a no-data value or a hot pixel should not flatten the picture). */
function robustRange(values: ArrayLike<number>): [number, number] {
  const step = Math.max(1, Math.floor(values.length / 65536));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) if (Number.isFinite(values[i])) sample.push(values[i]);
  if (sample.length === 0) return [0, 1];
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(sample.length * 0.005)];
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.995))];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

function greyPreview(values: ArrayLike<number>, height: number, width: number, caption: string): Preview {
  const [lo, hi] = robustRange(values);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = values[i];
    const level = Number.isFinite(v) ? (255 * (v - lo)) / (hi - lo) : 0;
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = level;
    rgba[4 * i + 3] = 255;
  }
  return { width, height, rgba, caption: `${caption}; grey from ${lo.toPrecision(4)} to ${hi.toPrecision(4)}` };
}

const SERIES_COLOURS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189]];

function plotPreview(values: ArrayLike<number>, length: number, columns: number): Preview {
  const [lo, hi] = robustRange(values);
  const width = Math.min(PLOT_WIDTH, Math.max(2, length));
  const rgba = new Uint8ClampedArray(width * PLOT_HEIGHT * 4).fill(255);
  const y = (v: number) => Math.max(0, Math.min(PLOT_HEIGHT - 1, Math.round((PLOT_HEIGHT - 1) * (1 - (v - lo) / (hi - lo)))));
  for (let c = 0; c < Math.min(columns, SERIES_COLOURS.length); c++) {
    const colour = SERIES_COLOURS[c];
    for (let x = 0; x < width; x++) {
      const from = Math.floor((x * length) / width);
      const to = Math.max(from + 1, Math.floor(((x + 1) * length) / width));
      let min = Infinity;
      let max = -Infinity;
      for (let i = from; i < to; i++) {
        const v = values[i * columns + c];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (!(min <= max)) continue;
      for (let row = y(max); row <= y(min); row++) rgba.set([...colour, 255], 4 * (row * width + x));
    }
  }
  return { width, height: PLOT_HEIGHT, rgba, caption: `${length} values${columns > 1 ? ` × ${columns} columns` : ''}, from ${lo.toPrecision(4)} to ${hi.toPrecision(4)}` };
}

export function previewRgba(entry: DecodedEntry): Preview | undefined {
  const { shape, samples } = entry;
  if (!shape || !samples) return undefined;
  if (entry.kind === 'image') return shape[0] * shape[1] > MAX_SIDE * MAX_SIDE ? undefined : imagePreview(shape, samples, entry.dtype === 'uint16' ? 8 : 0);
  if (entry.kind !== 'array') return undefined;
  const values = arrayValues(entry);
  if (!values) return undefined;
  const dims = shape.filter((d) => d > 1);
  if (dims.length === 0) return undefined;
  if (dims.length === 1 || (dims.length === 2 && dims[1] <= 16)) return plotPreview(values, dims[0], dims[1] ?? 1);
  const width = shape[shape.length - 1];
  const height = shape[shape.length - 2];
  if (width > MAX_SIDE || height > MAX_SIDE) return undefined;
  const planes = values.length / (width * height);
  return greyPreview(values, height, width, planes > 1 ? `the first of ${planes} planes of ${height} × ${width}` : `${height} × ${width}`);
}

/** Bits per pixel as RGBA, in the CLI's heatmap colours. */
export function heatmapColour(bits: Float32Array): Uint8ClampedArray {
  const rgb = heatmapRgb(bits);
  const rgba = new Uint8ClampedArray(bits.length * 4).fill(255);
  for (let i = 0; i < bits.length; i++) rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
  return rgba;
}
