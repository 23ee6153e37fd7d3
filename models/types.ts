import type { DType, Message } from '../codec/index.js';

/** What every model offers the library: integer samples in, a rANS payload out, and back. */
export type SampleArray = Int32Array | Float64Array;

/** Samples in raster order, channels interleaved: index = (y * width + x) * channels + c. */
export interface SampleLayout {
  height: number;
  width: number;
  channels: number;
  /** The samples' type (images: uint8 or uint16); models may route on it. */
  dtype?: DType;
}

export interface EncodeResult {
  payload: Uint8Array;
  /** The model's ideal -log2 p(x) under its integer tables, in bits. */
  modelBits: number;
  /** The float model's -log2 p(x) (continuous densities, no integer tables), where the model has one. */
  floatBits?: number;
  /** Bits per pixel (all channels), height * width, when asked for. */
  pixelBits?: Float32Array;
  /**
   * Bits-back models: bits the encoder had to borrow from nothing (the message's deterministic
   * underflow) because the message held too few; included in the payload, not in modelBits.
   */
  initialBits?: number;
  /** Chained flows: tiles coded by the flow and by the bootstrap coder (instead of borrowing). */
  flowTiles?: number;
  bootstrapTiles?: number;
}

/** What coding into a shared message reports (archives chain their members through one message). */
export interface ChainResult {
  /** Net information content: pushed minus popped (bits-back) bits under the integer tables. */
  modelBits: number;
  floatBits?: number;
  pixelBits?: Float32Array;
  /** Chained flows: tiles coded by the flow (bits-back) and by the bootstrap coder. */
  flowTiles?: number;
  bootstrapTiles?: number;
}

export interface EncodeOptions {
  /** Also return where the bits go, per pixel. */
  pixelBits?: boolean;
}

export interface IntegerModel {
  id: string;
  description: string;
  /** SHA-256 of the frozen tables/weights; recorded in every file and checked on decode. */
  hash: Uint8Array;
  /**
   * Lower bound on the bits any one sample can cost; the decoder uses it to reject a header that claims
   * more samples than the payload could possibly hold (before allocating them).
   */
  minBitsPerSample: number;
  encode(data: SampleArray, layout: SampleLayout, progress?: Progress, options?: EncodeOptions): Promise<EncodeResult>;
  /** Fills `out` (length height * width * channels); rejects with a FlowzipError on a malformed payload. */
  decode(payload: Uint8Array, layout: SampleLayout, out: SampleArray, progress?: Progress): Promise<void>;
  /**
   * Optional: code into / out of a message shared with other data (an archive's chain). A bits-back
   * model pops from what is already there, so a chain pays its initial bits once.
   */
  encodeInto?(msg: Message, data: SampleArray, layout: SampleLayout, progress?: Progress, options?: EncodeOptions): Promise<ChainResult>;
  decodeFrom?(msg: Message, layout: SampleLayout, out: SampleArray, progress?: Progress): Promise<void>;
}

/** Called now and then during long work with the fraction done in [0, 1]. */
export type Progress = (fraction: number) => void;
