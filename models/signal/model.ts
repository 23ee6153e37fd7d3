/**
 * The 'signal' model: integer signals (audio, biosignals, time series; N x C arrays as C signals, each
 * after the first also predicted from the one before it at the same step) coded with a predictor that
 * learns from the signal while coding it, as lossless audio coders do (Monkey's Audio's cascades):
 *   d = x[t] - (2 x[t-1] - x[t-2])           fixed second-order prediction,
 *   e1 = d - floor(sum w1_k d[t-k] / 2^12)    a 32-tap sign-sign LMS stage on d,
 *   e2 = e1 - floor(sum w2_k e1[t-k] / 2^12)  a 16-tap stage on what the first left,
 * each weight moving by MU sign(output) sign(input) after every sample (integers only: the encoder and
 * the decoder update identical weights in the same order), and e2 coded under the baseline's adaptive
 * discretized logistic tables with a bias and a scale per context (the size of the last residuals).
 * This is the autoregressive integer flow z = x - floor(prediction(x_<t)): a bijection on Z^n, so the
 * file costs -log2 P(z). Other layouts go to the baseline coder under the same model id.
 *
 * Payload: 1 byte route (0 baseline, 1 signal), then one rANS message.
 */
import { Message } from '../../codec/index.js';
import { ResidualContexts, baselineFamilyModel, bitLength, codeResidual, pushRecorded, residualRecord, type ResidualRecord } from '../shared/baseline-coder.js';
import type { BaselineTables } from '../shared/baseline-tables.js';
import { messageRoute } from '../shared/routes.js';
import type { IntegerModel, MessageCoder, Progress, SampleArray, SampleLayout } from '../shared/types.js';
import { signalKind } from './kind.js';

/** Bump when the predictor or its contexts change: it is part of the model hash. */
const SIGNAL_ALGORITHM = 'signal-1';
const ROUTE_SIGNAL = 1;
/** Taps of the two LMS stages, the weights' fixed point, and the step of a sign-sign update. */
const STAGE_TAPS = [32, 16];
const WEIGHT_SHIFT = 12;
const MU = 8;
/** Residual contexts: bit length of the last |residual| plus half the one before (0..CONTEXTS-1). */
const CONTEXTS = 24;

/** Most channels of an N x C array coded as C signals (stereo audio, 12-lead ECG, spectral bands). */
const MAX_SIGNAL_CHANNELS = 16;
/** Taps of the cross-channel stage: the previous channel's residual now and one step before. */
const CROSS_TAPS = 2;

/**
 * Whether the signal predictor codes a layout (else the baseline): samples of 16 bits or wider, one row
 * (a signal), or an N x C array with 2..16 columns and at least 64 rows (C signals in time order).
 */
function codes(layout: SampleLayout): boolean {
  const wide = layout.dtype !== undefined && layout.dtype !== 'uint8' && layout.dtype !== 'int8';
  const oneRow = layout.height === 1 && layout.width >= 2;
  const columns = layout.width >= 2 && layout.width <= MAX_SIGNAL_CHANNELS && layout.height >= 64;
  return wide && layout.channels === 1 && (oneRow || columns);
}

/** Signals of a layout the coder takes: one for a row, one per column of an N x C array. */
function signalCount(layout: SampleLayout): number {
  return layout.height === 1 ? 1 : layout.width;
}

/** The adaptation's constants (a test changes one to show that both sides must agree on every step). */
export interface SignalParams {
  taps: readonly number[];
  mu: number;
}

export const SIGNAL_PARAMS: SignalParams = { taps: STAGE_TAPS, mu: MU };

/** One LMS stage: weights, and its input history (and their signs) as rings doubled so that the window is contiguous. */
class Stage {
  readonly weights: Float64Array;
  /** history[at + k] is the input k + 1 samples back, k < taps; signs[at + k] its sign (-1, 0, 1). */
  private readonly history: Float64Array;
  private readonly signs: Float64Array;
  private at = 0;

  constructor(
    private readonly taps: number,
    private readonly mu: number,
  ) {
    this.weights = new Float64Array(taps);
    this.history = new Float64Array(2 * taps);
    this.signs = new Float64Array(2 * taps);
  }

  /** sum w_k h_k (integers below 2^53: |w| < 2^31 after any number of steps of mu, |h| < 2^33). */
  dot(): number {
    const { weights, history, taps, at } = this;
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += weights[k] * history[at + k];
    return acc;
  }

  /** Sign-sign update by the stage's output error (branch-free over the taps: the signs are kept). */
  update(output: number): void {
    if (output === 0) return;
    const { weights, signs, taps, at } = this;
    const step = output > 0 ? this.mu : -this.mu;
    for (let k = 0; k < taps; k++) weights[k] += step * signs[at + k];
  }

  /** A new input joins the history (newest first). */
  push(input: number): void {
    const { history, signs, taps } = this;
    const next = this.at === 0 ? taps - 1 : this.at - 1;
    const sign = input > 0 ? 1 : input < 0 ? -1 : 0;
    history[next] = input;
    history[next + taps] = input;
    signs[next] = sign;
    signs[next + taps] = sign;
    this.at = next;
  }
}

/**
 * One pass over the signals (C interleaved: sample t of signal c at t * C + c), the same for both
 * directions: encode (`msg` undefined) records each residual and its scale for the reverse push; decode
 * pops them and rebuilds the samples. Signal c > 0 also learns from signal c - 1 at the same time step
 * (a 2-tap stage on that signal's fixed-prediction residuals, first in its cascade).
 */
function run(
  tables: BaselineTables,
  data: SampleArray,
  signals: number,
  msg: Message | undefined,
  record: ResidualRecord | undefined,
  params: SignalParams,
  progress?: Progress,
): void {
  const steps = data.length / signals;
  const stats = new ResidualContexts(CONTEXTS * signals, tables.thresholds);
  const lanes = Array.from({ length: signals }, (_, c) => ({
    stages: params.taps.map((taps) => new Stage(taps, params.mu)),
    cross: c > 0 ? new Stage(CROSS_TAPS, params.mu) : undefined,
    last: 0,
    beforeLast: 0,
    x1: 0,
    x2: 0,
  }));
  const sums = new Float64Array(params.taps.length);
  const unit = 2 ** WEIGHT_SHIFT;
  for (let t = 0; t < steps; t++) {
    if (progress && t % 65536 === 0) progress(t / steps);
    for (let c = 0; c < signals; c++) {
      const lane = lanes[c];
      const i = t * signals + c;
      const fixed = t > 1 ? 2 * lane.x1 - lane.x2 : t > 0 ? lane.x1 : 0;
      // The stages' predictions of what the fixed predictor will miss.
      const cross = lane.cross ? Math.floor(lane.cross.dot() / unit) : 0;
      let prediction = fixed + cross;
      for (let k = 0; k < sums.length; k++) {
        sums[k] = lane.stages[k].dot();
        prediction += Math.floor(sums[k] / unit);
      }
      const ctx = c * CONTEXTS + Math.min(CONTEXTS - 1, bitLength(lane.last + Math.floor(lane.beforeLast / 2)));
      const r = codeResidual(tables, stats, ctx, prediction, data, i, msg, record);
      const value = data[i];
      lane.beforeLast = lane.last;
      lane.last = r < 0 ? -r : r;
      // Each stage learns from its own output error; what it missed is the next stage's input.
      const residual = value - fixed;
      let input = residual;
      if (lane.cross) {
        input = residual - cross;
        lane.cross.update(input);
      }
      for (let k = 0; k < sums.length; k++) {
        const output = input - Math.floor(sums[k] / unit);
        lane.stages[k].update(output);
        lane.stages[k].push(input);
        input = output;
      }
      if (c + 1 < signals) lanes[c + 1].cross!.push(residual);
      lane.x2 = lane.x1;
      lane.x1 = value;
    }
  }
}

export function signalCoder(tables: BaselineTables, params: SignalParams = SIGNAL_PARAMS): MessageCoder {
  return {
    push(msg, data, layout, progress) {
      const record = residualRecord(data.length, layout.dtype);
      run(tables, data, signalCount(layout), undefined, record, params, progress);
      pushRecorded(msg, tables, record);
      return { modelBits: record.bits };
    },
    pop(msg, layout, out, progress) {
      run(tables, out, signalCount(layout), msg, undefined, params, progress);
    },
  };
}

export function createSignalModel(id = signalKind.id): IntegerModel {
  return baselineFamilyModel({ ...signalKind, id }, SIGNAL_ALGORITHM, codes, (tables) => messageRoute(ROUTE_SIGNAL, signalCoder(tables)));
}
