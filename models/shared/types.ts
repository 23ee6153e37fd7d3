import { fail, type DType, type Message } from '../../codec/index.js';

/**
 * Integer samples, in the narrowest typed array of their dtype (images and arrays are coded from views
 * of the decoded file where possible: memory in proportion to the data, not four times it).
 * Int32Array and Float64Array also serve any dtype.
 */
export type SampleArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float64Array;

/** Samples in raster order, channels interleaved: index = (y * width + x) * channels + c. */
export interface SampleLayout {
  height: number;
  width: number;
  channels: number;
  /** The samples' type (images: uint8 or uint16); models may route on it. */
  dtype?: DType;
  /**
   * Arrays of 3 or more dimensions: rows per plane (slice, frame) of the stack; row y's sample in the
   * previous plane is row y - planeRows. Absent: one plane.
   */
  planeRows?: number;
}

/** What coding some data reports (into its own payload or into a shared message). */
export interface CodedBits {
  /** The model's ideal -log2 p(x) under its integer tables, in bits (bits-back: net of the bits given back). */
  modelBits: number;
  /** The float model's -log2 p(x) (continuous densities, no integer tables), where the model has one. */
  floatBits?: number;
  /** Bits per pixel (all channels), height * width, when asked for. */
  pixelBits?: Float32Array;
  /**
   * Model-specific counts for reports (a chained flow: tiles coded by the flow and by the bootstrap
   * coder); the library and the CLI pass them on as they are.
   */
  details?: Record<string, number | string>;
}

export interface EncodeResult extends CodedBits {
  payload: Uint8Array;
  /**
   * Bits-back models: bits the encoder had to borrow from nothing (the message's deterministic
   * underflow) because the message held too few; included in the payload, not in modelBits.
   */
  initialBits?: number;
}

export interface EncodeOptions {
  /** Also return where the bits go, per pixel. */
  pixelBits?: boolean;
  /**
   * Also compute the float model's bits (CodedBits.floatBits), default true. Models where they cost
   * time (ar: ~20% of encoding) skip them when false; the payload is the same either way.
   */
  floatBits?: boolean;
  /**
   * How hard to work (1..MAX_EFFORT, default 1): a model with slower, smaller ways of coding a layout
   * uses them from effort 2 on (ar: photos through the residual context mixer, 2-3% smaller at ~2x the
   * coding time; at 3 the registry gives ar wider nets, effortDirs). Decoding reads any of them.
   */
  effort?: number;
}

/** The highest effort any model takes (EncodeOptions.effort). */
export const MAX_EFFORT = 3;

/** An effort option: a whole number from 1 to MAX_EFFORT (absent: 1); anything else is a USAGE error. */
export function checkEffort(effort: number | undefined): number {
  if (effort === undefined) return 1;
  if (!Number.isInteger(effort) || effort < 1 || effort > MAX_EFFORT) fail('USAGE', `effort ${effort}: a whole number from 1 to ${MAX_EFFORT}`);
  return effort;
}

/**
 * The model primitive: push samples onto a message, pop them back (LIFO: pop(push(m, x)) gives x and m).
 * Models build their payloads from it (models/shared/routes.ts); chaining models also code archives
 * through one shared message with it.
 */
export interface MessageCoder {
  push(msg: Message, data: SampleArray, layout: SampleLayout, progress?: Progress, pixelBits?: Float32Array): CodedBits | Promise<CodedBits>;
  /** Fills `out` (length height * width * channels). */
  pop(msg: Message, layout: SampleLayout, out: SampleArray, progress?: Progress): void | Promise<void>;
}

export interface IntegerModel {
  id: string;
  description: string;
  /** SHA-256 of the frozen tables/weights; recorded in every file and checked on decode. */
  hash: Uint8Array;
  /**
   * Lower bound on the bits any one sample can cost (never negative: bits-back models count only what
   * they push); the decoder uses it to reject a header that claims more samples than the payload could
   * possibly hold (before allocating them).
   */
  minBitsPerSample: number;
  /**
   * Optional, where a payload can hold samples for less than minBitsPerSample each (rows a route hands to
   * Brotli): the fewest bits this payload could hold `layout` in, read from its route (what the decoder
   * checks instead of samples x minBitsPerSample before allocating).
   */
  minPayloadBits?(payload: Uint8Array, layout: SampleLayout): number;
  /**
   * Whether the model's own coder takes this layout (else its baseline route does); with `data`, also
   * whether it can do anything for this data (what the library asks before trying an alternative model).
   */
  codes?(layout: SampleLayout, data?: SampleArray): boolean;
  /**
   * Whether the model already hands what LZ77 codes better (text and graphics rows) to Brotli for this
   * layout (ar's strips): the library then skips its own whole-file Brotli try.
   */
  triesBrotli?(layout: SampleLayout): boolean;
  /**
   * Optional: the effort whose route wrote this payload, where the routes say (ar's context-mixer routes
   * are effort 2's); an effort sibling's files are told apart by their hash instead (models/index.ts).
   */
  effortOf?(payload: Uint8Array, layout: SampleLayout): number;
  encode(data: SampleArray, layout: SampleLayout, progress?: Progress, options?: EncodeOptions): Promise<EncodeResult>;
  /** Fills `out` (length height * width * channels); rejects with a FlowzipError on a malformed payload. */
  decode(payload: Uint8Array, layout: SampleLayout, out: SampleArray, progress?: Progress): Promise<void>;
  /**
   * Optional: code into / out of a message shared with other data (an archive's chain). A bits-back
   * model pops from what is already there, so a chain pays its initial bits once.
   */
  chain?: MessageCoder;
}

/** Called now and then during long work with the fraction done in [0, 1]. */
export type Progress = (fraction: number) => void;
