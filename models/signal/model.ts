/**
 * The 'signal' model: 1-D integer signals (audio, biosignals, time series) coded with a predictor that
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

/** Whether the signal predictor codes a layout (else the baseline): one row of integer samples, 16 bits or wider. */
function codes(layout: SampleLayout): boolean {
  return layout.height === 1 && layout.channels === 1 && layout.width >= 2 && layout.dtype !== undefined && layout.dtype !== 'uint8' && layout.dtype !== 'int8';
}

/** The adaptation's constants (a test changes one to show that both sides must agree on every step). */
export interface SignalParams {
  taps: readonly number[];
  mu: number;
}

export const SIGNAL_PARAMS: SignalParams = { taps: STAGE_TAPS, mu: MU };

/** One LMS stage: weights, and its input history as a ring doubled so that the window is contiguous. */
class Stage {
  readonly weights: Float64Array;
  /** history[at + k] is the input k + 1 samples back, k < taps. */
  private readonly history: Float64Array;
  private at = 0;

  constructor(
    private readonly taps: number,
    private readonly mu: number,
  ) {
    this.weights = new Float64Array(taps);
    this.history = new Float64Array(2 * taps);
  }

  /** sum w_k h_k (integers below 2^53: |w| < 2^31 after any number of steps of mu, |h| < 2^33). */
  dot(): number {
    const { weights, history, taps, at } = this;
    let acc = 0;
    for (let k = 0; k < taps; k++) acc += weights[k] * history[at + k];
    return acc;
  }

  /** Sign-sign update by the stage's output error, then the input joins the history. */
  learn(output: number, input: number): void {
    const { weights, history, taps, at } = this;
    if (output !== 0) {
      const step = output > 0 ? this.mu : -this.mu;
      for (let k = 0; k < taps; k++) {
        const h = history[at + k];
        if (h > 0) weights[k] += step;
        else if (h < 0) weights[k] -= step;
      }
    }
    const next = at === 0 ? taps - 1 : at - 1;
    history[next] = input;
    history[next + taps] = input;
    this.at = next;
  }
}

/**
 * One pass over the signal, the same for both directions: encode (`msg` undefined) records each
 * residual and its scale for the reverse push; decode pops them and rebuilds the samples.
 */
function run(
  tables: BaselineTables,
  data: SampleArray,
  msg: Message | undefined,
  record: ResidualRecord | undefined,
  params: SignalParams,
  progress?: Progress,
): void {
  const n = data.length;
  const stats = new ResidualContexts(CONTEXTS, tables.thresholds);
  const stages = params.taps.map((taps) => new Stage(taps, params.mu));
  const sums = new Float64Array(stages.length);
  const unit = 2 ** WEIGHT_SHIFT;
  let last = 0;
  let beforeLast = 0;
  let x1 = 0;
  let x2 = 0;
  for (let t = 0; t < n; t++) {
    if (progress && t % 65536 === 0) progress(t / n);
    const fixed = t > 1 ? 2 * x1 - x2 : t > 0 ? x1 : 0;
    // The stages' predictions of what the fixed predictor will miss.
    let prediction = fixed;
    for (let i = 0; i < stages.length; i++) {
      sums[i] = stages[i].dot();
      prediction += Math.floor(sums[i] / unit);
    }
    const ctx = Math.min(CONTEXTS - 1, bitLength(last + Math.floor(beforeLast / 2)));
    const r = codeResidual(tables, stats, ctx, prediction, data, t, msg, record);
    const value = data[t];
    beforeLast = last;
    last = r < 0 ? -r : r;
    // Each stage learns from its own output error; what it missed is the next stage's input.
    let input = value - fixed;
    for (let i = 0; i < stages.length; i++) {
      const output = input - Math.floor(sums[i] / unit);
      stages[i].learn(output, input);
      input = output;
    }
    x2 = x1;
    x1 = value;
  }
}

export function signalCoder(tables: BaselineTables, params: SignalParams = SIGNAL_PARAMS): MessageCoder {
  return {
    push(msg, data, layout, progress) {
      const record = residualRecord(data.length, layout.dtype);
      run(tables, data, undefined, record, params, progress);
      pushRecorded(msg, tables, record);
      return { modelBits: record.bits };
    },
    pop(msg, _layout, out, progress) {
      run(tables, out, msg, undefined, params, progress);
    },
  };
}

export function createSignalModel(id = signalKind.id): IntegerModel {
  return baselineFamilyModel({ ...signalKind, id }, SIGNAL_ALGORITHM, codes, (tables) => messageRoute(ROUTE_SIGNAL, signalCoder(tables)));
}
