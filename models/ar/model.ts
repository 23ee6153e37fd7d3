/**
 * The 'ar' model: a learned autoregressive integer flow for 8-bit grey and RGB images. Each sample x is
 * mapped to z = x - floor(mean), mean = p0 + an integer network's correction from the causal context
 * (context.ts), and z is coded under a frozen discretized logistic table (the IDF's prior tables: quarter
 * centres, scale index j). This is the fully autoregressive case of an integer discrete flow: a triangular
 * bijection on Z^d, so p(x) = P(z) exactly, and the file is -log2 P(z) bits plus rANS overhead. A mixture
 * model (route 5) codes x under a mixture of two such tables instead, over the 8-bit range. While
 * coding, the mean is also adapted to the image (MeanAdapter). Grey+alpha and RGBA code their colour this way
 * and their alpha plane with the grid coder; other layouts (16-bit, other dtypes, single rows such as
 * bytes) go to the baseline coder under the same model id.
 *
 * Payload: 1 byte route. 0: the baseline coder, one rANS message. 4: the flow, the image cut into
 * ceil(height / BAND_ROWS) bands of equal height (the first ones a row taller when it does not divide),
 * coded independently (each band's context and adaptation start afresh, so bands run on parallel worker
 * threads and a pass holds one band's planes): u32 byte lengths of all bands but the last (the layout
 * gives the count), then the bands' rANS messages. 3: alpha layouts, colour as route 4's body and alpha
 * as the grid coder's (channelSplitRoute). 5: route 4 for a model whose nets output a mixture of two
 * logistics (mixture.ts); such a model writes and reads route 5 (and route 3 with route 5's colour
 * body), or 6: route 5 with strips of rows coded by Brotli or the palette context model (strips-route.ts:
 * text and graphics rows), when that is smaller; alpha layouts: 7 (route 3 with the colour body behind
 * its own route byte, 5, 6, 13 or 14; 9 to 12 before) or 8 (every channel through the palette context model,
 * palette-context.ts) when that is smaller. At effort 2 and 3, 13 and 14: routes 5 and 6 with each sample
 * coded through the residual context mixer's generation 3 (residual-mixer.ts); at effort 3, 16 and 17:
 * the same with generation 4, whose mixers also read second opinions, other flows stepped beside this
 * one (a version-5 model.json names them: OpinionStepper). Written before, still
 * decoded: 9 and 10 = routes 13 and 14 with the mixer's generation 1 (efforts 2 and 3 until the eleventh
 * session), 11 and 12 with its generation 2 (until the twelfth); 2 = route 4 without the mean
 * adaptation; 1 = route 2 with bands of BAND_ROWS rows and a shorter last one (it left the second of two
 * threads idle on a 640-row photo); 0 for alpha layouts.
 */
import { join } from 'node:path';
import { Message, fail } from '../../codec/index.js';
import { compiledSibling, readModelFile } from '../shared/assets.js';
import { GRID_ALGORITHM, GRID_MIN_BITS_PER_SAMPLE, gridRoute } from '../shared/grid-coder.js';
import { BASELINE_ALGORITHM, baselineCoder, baselineMinBits } from '../shared/baseline-coder.js';
import { loadBaselineTables } from '../shared/baseline-tables.js';
import { sha256 } from '../shared/hash.js';
import { partRunner, preloadPartCoder, type DecodePartJob, type EncodePartJob, type EncodedPart, type PartCoder } from '../shared/parts.js';
import { PRIOR_SCALE_0, PRIOR_SCALE_COUNT, QUARTERS, loadPriorTables, type PriorTables } from '../shared/prior-tables.js';
import { CONTEXT_MIN_BITS_PER_PIXEL, paletteContextRoute } from '../shared/palette-context.js';
import { channelSplitRoute, messageRoute, partsRoute, routedModel, smallerRoute, withRouteByte, type Route } from '../shared/routes.js';
import { levelsHeaderBytes, levelsRoute } from '../shared/levels-route.js';
import { stripRowsOf, stripsRoute } from '../shared/strips-route.js';
import type { IntegerModel, Progress, SampleArray, SampleLayout } from '../shared/types.js';
import { arKind, AR_FORMAT } from './kind.js';
import { ROWS_KEPT, contextOf, createPlanes, featureCount, medianPrediction, recordSample, type ContextPlanes } from './context.js';
import { ADAPT_FEATURES, ADAPT_HIDDEN, MAX_OUTPUT_SHIFT, MIXTURE_OUTPUTS, NetRunner, OUTPUT_UNIT, SINGLE_OUTPUTS, checkNet, type IntegerNet } from './net.js';
import { MIX_LOGIT_STEPS, MIX_ONE, MIX_PRECISION, Mixture, mixWeight } from './mixture.js';
import { DecisionStack, MAX_OPINIONS, RESIDUAL_MIXER_MIN_BITS, ResidualMixer, popPhaseFlag, pushPhaseFlag } from './residual-mixer.js';

export { AR_FORMAT } from './kind.js';
/**
 * model.json versions this build reads: 1, 2 (which may set `outputShift`), 3 (version 2 with `context: 2`)
 * and 4 (version 2 with `context: 3`).
 */
export const AR_FORMAT_VERSION = 1;
export const AR_FORMAT_VERSION_SHIFTED = 2;
export const AR_FORMAT_VERSION_CONTEXT = 3;
export const AR_FORMAT_VERSION_CONTEXT3 = 4;
/**
 * Version 5: no nets of its own; `base` names the sibling model directory whose nets code, `opinions` one or
 * two more (mixture models, the same order) whose predictions are the residual mixer's second opinions
 * (routes 16 and 17). The model hash covers every file named.
 */
export const AR_FORMAT_VERSION_OPINIONS = 5;
/** The context (context.ts) each version's nets read. */
const CONTEXT_OF_VERSION: Record<number, 1 | 2 | 3> = { [AR_FORMAT_VERSION]: 1, [AR_FORMAT_VERSION_SHIFTED]: 1, [AR_FORMAT_VERSION_CONTEXT]: 2, [AR_FORMAT_VERSION_CONTEXT3]: 3 };
/** Bump when the coding algorithm (context, kernel, table choice) changes: it is part of the model hash. */
export const AR_ALGORITHM = 'ar-1';

const ROUTE_BASELINE = 0;
const ROUTE_AR_FIXED_BANDS = 1;
const ROUTE_AR = 2;
/** 8-bit grey+alpha and RGBA: colour through the flow's bands, the alpha plane through the grid coder. */
const ROUTE_AR_ALPHA = 3;
/** Route 2's bands with the net's mean adapted online to the image (MeanAdapter): what writers use. */
const ROUTE_AR_ADAPTIVE = 4;
/** Route 4 for models whose nets output a two-component mixture (model.json `mixture: 2`): mixture.ts. */
const ROUTE_AR_MIXTURE = 5;
/** Route 5 with strips of rows coded by Brotli (strips-route.ts): graphics, text, screenshots. */
const ROUTE_AR_STRIPS = 6;
/** Route 3 for mixture models: the colour body behind its own route byte (5 or 6), so it may have strips. */
const ROUTE_AR_ALPHA_STRIPS = 7;
/** Alpha layouts of mixture models, whole (every channel) through the palette context model: where that beats route 7 (soft shadows, transparent charts). */
const ROUTE_AR_PALETTE = 8;
/** Route 5 with each sample coded through the residual context mixer (residual-mixer.ts): what mixture models write at effort 2. */
const ROUTE_AR_MIXED = 9;
/** Route 6 with route 9's flow. */
const ROUTE_AR_MIXED_STRIPS = 10;
/** Route 9 with the residual context mixer's generation 2 (brightness and NLMS contexts). */
const ROUTE_AR_MIXED2 = 11;
/** Route 6 with route 11's flow. */
const ROUTE_AR_MIXED2_STRIPS = 12;
/** Route 9 with the mixer's generation 3 (four mixers): what mixture models write at effort 2 and 3. */
const ROUTE_AR_MIXED3 = 13;
/** Route 6 with route 13's flow. */
const ROUTE_AR_MIXED3_STRIPS = 14;
/**
 * Mixture models' 8-bit grey and RGB (alone, or as route 7's colour body) with each channel's used levels
 * packed to their ranks (levels-route.ts), then route 5, 6, 13 or 14 behind its own byte: comb histograms.
 */
const ROUTE_AR_LEVELS = 15;
/** Route 13 with the mixer's generation 4: the second opinions (a version-5 model) as more mixer inputs. What effort 3 writes. */
const ROUTE_AR_OPINIONS = 16;
/** Route 6 with route 16's flow. */
const ROUTE_AR_OPINIONS_STRIPS = 17;
/**
 * Route 16 with a choice per band: each band's message starts with one decision (at a half), 0: the
 * mixer's generation 4 as route 16, 1: its generation 5 (the sample's row and column parity in its
 * contexts). The encoder runs both mixers on the same flow and keeps the band's smaller. What effort 3 writes.
 */
const ROUTE_AR_PHASE = 18;
/** Route 6 with route 18's flow. */
const ROUTE_AR_PHASE_STRIPS = 19;
/**
 * The grid coder that route 3 was written with: its bitstream is part of ar's files, so a new grid
 * algorithm needs a new route id here (the model refuses to load until someone decides).
 */
const ALPHA_PLANE_CODER = 'grid-9';
/** Rows per band (part of the format). Images up to this tall are one band: no context is lost. */
export const BAND_ROWS = 512;

/**
 * Scale adaptation constants (frozen integers, so that coder and decoder agree everywhere).
 * EXPECTED_ABS[j] = round(16 ln(4) s_j): mean |error| of a logistic of scale s_j, in 1/16 pixel.
 * SCALE_STEP_THRESHOLDS[m] = round(2^16 2^((m - 11.5) / 4)), m = 0..23: the ratio observed / expected
 * at which the correction steps from m - 12 to m - 11.
 */
const EXPECTED_ABS = [
  2, 3, 3, 4, 4, 5, 6, 7, 9, 11, 13, 15, 18, 21, 25, 30, 35, 42, 50, 60, 71, 84, 100, 119, 142, 169, 201, 239, 284, 338, 402,
  477, 568, 675, 803, 955, 1136, 1351, 1606, 1910, 2271, 2701, 3212, 3820, 4543, 5402, 6424, 7640,
];
const SCALE_STEP_THRESHOLDS = [
  8933, 10624, 12634, 15024, 17867, 21247, 25268, 30048, 35734, 42495, 50535, 60097, 71468, 84990, 101070, 120194, 142935,
  169979, 202141, 240387, 285870, 339959, 404281, 480774,
];
const MAX_SCALE_STEP = 12;
/** Counts are halved when they reach this (recent samples weigh more); no correction below ADAPT_MIN. */
const ADAPT_RESET = 64;
const ADAPT_MIN = 8;
/** Added to both sums (1/16 pixel): damps corrections where errors are tiny. */
const ADAPT_PRIOR = 5;

/** Running sums of one image: observed and expected |error| per (coded channel, net scale index). */
class ScaleAdapter {
  private readonly observed = new Float64Array(3 * PRIOR_SCALE_COUNT);
  private readonly expected = new Float64Array(3 * PRIOR_SCALE_COUNT);
  private readonly count = new Float64Array(3 * PRIOR_SCALE_COUNT);

  /** Correction of scale index j for context ctx = k * PRIOR_SCALE_COUNT + j. */
  step(ctx: number): number {
    if (this.count[ctx] < ADAPT_MIN) return 0;
    const lhs = this.observed[ctx] * 2 ** 16;
    const e = this.expected[ctx];
    let m = 0;
    while (m < SCALE_STEP_THRESHOLDS.length && lhs >= e * SCALE_STEP_THRESHOLDS[m]) m++;
    return m - MAX_SCALE_STEP;
  }

  /** absError16 = |16 (x - p0) - 4 meanQuarters|: the error from the net's mean in 1/16 pixel. */
  update(ctx: number, absError16: number): void {
    this.observed[ctx] += absError16 + ADAPT_PRIOR;
    this.expected[ctx] += EXPECTED_ABS[ctx % PRIOR_SCALE_COUNT] + ADAPT_PRIOR;
    if (++this.count[ctx] >= ADAPT_RESET) {
      this.observed[ctx] = Math.floor(this.observed[ctx] / 2);
      this.expected[ctx] = Math.floor(this.expected[ctx] / 2);
      this.count[ctx] = Math.floor(this.count[ctx] / 2);
    }
  }
}

/** Variants of the flow's coding loop (a route's choice, carried to worker threads in each band's job). */
export const FLOW_PLAIN = 0;
/** With online mean adaptation (MeanAdapter): what route 4 writes. */
export const FLOW_ADAPTIVE_MEAN = 1;
/** A mixture model's loop (route 5): the mixture of two logistics, with the mean adaptation. */
export const FLOW_MIXTURE = 2;
/** Route 9: route 5's mixture with each sample coded through the residual context mixer (residual-mixer.ts). */
export const FLOW_MIXTURE_MIXED = 3;
/** Route 11: route 9 with the mixer's generation 2. */
export const FLOW_MIXTURE_MIXED2 = 4;
/** Route 13: route 9 with the mixer's generation 3. */
export const FLOW_MIXTURE_MIXED3 = 5;
/** Route 16: route 13 with the mixer's generation 4 (the model's second opinions stepped beside its flow). */
export const FLOW_MIXTURE_OPINIONS = 6;
/** Route 18: route 16 with the mixer's generation 5 (the sample's row and column parity in its contexts). */
export const FLOW_MIXTURE_PHASE = 7;
/** The residual mixer's generation by variant (0: no mixer), FLOW_MIXTURE_MIXED (3) to FLOW_MIXTURE_PHASE (7). */
const MIXER_GENERATIONS: readonly (1 | 2 | 3 | 4 | 5 | 0)[] = [0, 0, 0, 1, 2, 3, 4, 5];
const mixerGeneration = (variant: number): 1 | 2 | 3 | 4 | 5 | 0 => MIXER_GENERATIONS[variant] ?? 0;

/**
 * MeanAdapter: the correction is (w . hidden) / 2^MEAN_SHIFT + (v . features) / 2^FEATURE_SHIFT quarters,
 * each at most MEAN_MAX_STEP either way; |w|, |v| <= 2^17.
 */
const MEAN_SHIFT = 22;
const FEATURE_SHIFT = 16;
/**
 * The correction is used for coding from this many samples of a channel in a band on; before, the
 * weights already learn from what their correction would have been. Early corrections cost 0.3% on
 * 32x32 crops; on photos this changes nothing.
 */
const MEAN_WARMUP = 1024;
const MEAN_MAX_STEP = 64;
const MEAN_WEIGHT_LIMIT = 1 << 17;

/**
 * Online adaptation of the net's mean to the image being coded: per coded channel, linear functions of
 * the net's last hidden layer (w) and of its input features (v), learned by sign-error LMS from each
 * coded sample (w += sign(e) h, v += sign(e) f, e the error of the corrected mean, clamped to 2^17), added
 * to the mean in quarters: a per-image fine-tune of the net's output. Integers only (the wasm kernel's
 * adaptDot / adaptUpdate: products below 2^29, sums in int64), updated after every sample in coding order
 * by encoder and decoder alike, from zero in every band; the correction applies from a channel's
 * MEAN_WARMUP-th sample on. Held-out train images: 2.8433 -> 2.7976 bits/dim; 32x32 crops unchanged.
 * Context 3's models adapt on the hidden layer only (`readsFeatures` false): for the wide nets the
 * feature part costs bits (held-out train images under the effort-3 mixer, the same nets: 0.3-0.4%).
 */
class MeanAdapter {
  private readonly seen = new Float64Array(3);
  /** The last correction computed for each channel (what the weights are judged by). */
  private readonly last = new Float64Array(3);

  constructor(
    private readonly runner: NetRunner,
    private readonly readsFeatures = true,
  ) {
    for (const pair of runner.adaptWeights) for (const w of pair) w.fill(0);
  }

  /** The correction in quarters to code channel k's sample with (after runner.run(k)). */
  correction(k: number): number {
    const hidden = this.part(k, ADAPT_HIDDEN, MEAN_SHIFT);
    const c = (this.last[k] = this.readsFeatures ? hidden + this.part(k, ADAPT_FEATURES, FEATURE_SHIFT) : hidden);
    return this.seen[k]++ < MEAN_WARMUP ? 0 : c;
  }

  private part(k: number, source: number, shift: number): number {
    const c = Math.floor(this.runner.adaptDot(k, source) / 2 ** shift);
    return c < -MEAN_MAX_STEP ? -MEAN_MAX_STEP : c > MEAN_MAX_STEP ? MEAN_MAX_STEP : c;
  }

  /** netErrorQuarters: 4 (x - p0) minus the net's mean in quarters. */
  update(k: number, netErrorQuarters: number): void {
    const errorQuarters = netErrorQuarters - this.last[k];
    if (errorQuarters === 0) return;
    this.runner.adaptUpdate(k, ADAPT_HIDDEN, errorQuarters > 0, MEAN_WEIGHT_LIMIT);
    if (this.readsFeatures) this.runner.adaptUpdate(k, ADAPT_FEATURES, errorQuarters > 0, MEAN_WEIGHT_LIMIT);
  }
}

/**
 * A mixture net's raw outputs read as its two components (means in quarters, scale indices) and A's
 * weight, with the mixture's mean and its heavier component's scale: a mixture is adapted as one
 * distribution (its mean, the heavier scale), each component keeping its offsets from those.
 */
class MixtureComponents {
  meanA = 0;
  meanB = 0;
  scaleA = 0;
  scaleB = 0;
  weightA = MIX_ONE;
  netMean = 0;
  netScale = 0;

  read(raw: ArrayLike<number>): void {
    const meanA = (this.meanA = quartersOf(raw[0]));
    const meanB = (this.meanB = quartersOf(raw[2]));
    const scaleA = (this.scaleA = scaleIndexOf(raw[1]));
    const scaleB = (this.scaleB = scaleIndexOf(raw[3]));
    const weightA = (this.weightA = mixWeight(Math.floor((raw[4] + OUTPUT_UNIT / 2) / OUTPUT_UNIT)));
    this.netMean = Math.floor((weightA * meanA + (MIX_ONE - weightA) * meanB) / MIX_ONE);
    this.netScale = 2 * weightA >= MIX_ONE ? scaleA : scaleB;
  }

  /** Set `mix` to the components with both means moved by `correction` quarters and both scales by `scaleStep`. */
  setMixture(mix: Mixture, tables: PriorTables['tables'], p0: number, correction: number, scaleStep: number): void {
    const a = this.meanA + correction;
    const b = this.meanB + correction;
    const baseA = Math.floor(a / QUARTERS);
    const baseB = Math.floor(b / QUARTERS);
    mix.set(tables[clampScale(this.scaleA + scaleStep) * QUARTERS + a - baseA * QUARTERS], p0 + baseA, tables[clampScale(this.scaleB + scaleStep) * QUARTERS + b - baseB * QUARTERS], p0 + baseB, this.weightA);
  }
}

/**
 * A second opinion: another mixture flow's prediction of each sample, stepped beside the coding flow's
 * (the same planes and order; its own nets, mean and scale adaptation, from zero in every band, as its own
 * route-5 pass would run them). Its mixture is one more input of the residual mixer (routes 16 and 17).
 * Its steps are `ArFlow.run`'s for a mixture (MixtureComponents: the same arithmetic).
 */
class OpinionStepper {
  readonly mix = new Mixture();
  private readonly components = new MixtureComponents();
  private readonly scaleAdapter: ScaleAdapter | undefined;
  private readonly meanAdapter: MeanAdapter;
  private p0 = 0;
  private meanQuarters = 0;
  private ctx = 0;

  constructor(private readonly flow: ArFlow) {
    this.scaleAdapter = flow.adaptScale ? new ScaleAdapter() : undefined;
    this.meanAdapter = new MeanAdapter(flow.runner, flow.context !== 3);
  }

  /** Set `mix` to this flow's prediction of coded channel k at (y, x) (every earlier sample recorded in `planes`). */
  predict(planes: ContextPlanes, order: ArrayLike<number>, y: number, x: number, k: number): void {
    const { runner, tables } = this.flow;
    const { components } = this;
    const p0 = (this.p0 = contextOf(planes, order, y, x, k, runner.features, this.flow.context));
    runner.run(k);
    components.read(runner.output);
    const correction = this.meanAdapter.correction(k);
    this.meanQuarters = components.netMean + correction;
    this.ctx = k * PRIOR_SCALE_COUNT + components.netScale;
    const scaleStep = this.scaleAdapter ? this.scaleAdapter.step(this.ctx) : 0;
    components.setMixture(this.mix, tables.tables, p0, correction, scaleStep);
  }

  /** After the sample is coded: the adaptations learn from its value. */
  learn(k: number, value: number): void {
    const p0 = this.p0;
    this.meanAdapter.update(k, 4 * (value - p0) - this.components.netMean);
    if (this.scaleAdapter) {
      const error16 = 16 * (value - p0) - 4 * this.meanQuarters;
      this.scaleAdapter.update(this.ctx, error16 < 0 ? -error16 : error16);
    }
  }
}

/** model.json of an autoregressive model. */
export interface ArModelFile {
  format: typeof AR_FORMAT;
  version: number;
  /** Data channel coded k-th for RGB (grey uses net 0). */
  order: number[];
  /**
   * Scale adaptation: per (channel, net scale index) the coder compares the observed mean |error| with
   * what the net's scale predicts and moves j by round(4 log2(observed / predicted)): each image's own
   * noise level. The trainer turns it on when it lowers held-out bits.
   */
  adaptScale?: boolean;
  /**
   * 2: each net outputs a two-component mixture (mean A, scale index A, mean B, scale index B, logit of
   * A's weight in 1/MIX_LOGIT_STEPS): format route 5. Absent: one logistic (mean, scale index).
   */
  mixture?: number;
  /**
   * Version 2 only: the nets' last layers are at 2^outputShift times the output unit (net.ts); wide nets
   * need it to keep int16 weights and int32 sums. Version 1 files have none (0).
   */
  outputShift?: number;
  /**
   * Version 3: 2 (net 0 also sees context.ts's far window, FAR_NEIGHBOURS); version 4: 3 (every net its own
   * channel's). Absent in versions 1 and 2 (context 1).
   */
  context?: number;
  /** Version 5: the sibling directory (a plain name) whose model.json has the nets, and those of the second opinions. */
  base?: string;
  opinions?: string[];
  /** nets[k] codes the k-th coded channel. */
  nets: { layers: { inputs: number; outputs: number; weight: number[]; bias: number[] }[] }[];
  /** Free-form: data, steps, validation bits. */
  training?: unknown;
}

export class ArFlow implements PartCoder {
  readonly nets: IntegerNet[];
  readonly order: number[];
  readonly adaptScale: boolean;
  /** The nets output a two-component mixture (route 5). */
  readonly mixture: boolean;
  /** The features' set (context.ts): 2 adds the far window to net 0's, 3 to every net's. */
  readonly context: 1 | 2 | 3;
  /** Read by an OpinionStepper when this flow is another's second opinion (one pass at a time on a thread). */
  readonly runner: NetRunner;
  /** Working arrays kept from one band to the next on this thread (bands are alike): see `release`. */
  private scratch?: { table: Uint8Array; residual: Int16Array; start?: Uint32Array; freq?: Uint32Array };

  constructor(
    file: ArModelFile,
    readonly tables: PriorTables,
    /** Flows whose predictions the residual mixer also reads (routes 16 and 17): mixture models, the same order. */
    readonly opinions: readonly ArFlow[] = [],
    /** The bytes of the model files a version-5 file names (its hash covers them). */
    readonly sourceBytes: readonly Uint8Array[] = [],
  ) {
    if (typeof file !== 'object' || file === null || file.format !== AR_FORMAT) fail('UNKNOWN_MODEL', 'not a flowzip autoregressive model');
    const context = Number.isInteger(file.version) && Object.hasOwn(CONTEXT_OF_VERSION, file.version) ? CONTEXT_OF_VERSION[file.version] : undefined;
    if (context === undefined) fail('MODEL_MISMATCH', `autoregressive model version ${file.version} (this build reads ${AR_FORMAT_VERSION} to ${AR_FORMAT_VERSION_CONTEXT3})`);
    if ((file.context ?? 1) !== context || file.context === 1) fail('MODEL_MISMATCH', `autoregressive model version ${file.version} with context ${file.context} (versions ${AR_FORMAT_VERSION_CONTEXT} and ${AR_FORMAT_VERSION_CONTEXT3} have contexts 2 and 3, the others none)`);
    if (file.version === AR_FORMAT_VERSION && file.outputShift !== undefined) fail('MODEL_MISMATCH', `autoregressive model version ${AR_FORMAT_VERSION} with an output shift (version ${AR_FORMAT_VERSION_SHIFTED} has them)`);
    const outputShift = file.outputShift ?? 0;
    if (!Number.isInteger(outputShift) || outputShift < 0 || outputShift > MAX_OUTPUT_SHIFT) fail('MODEL_MISMATCH', `autoregressive model output shift ${file.outputShift} (0..${MAX_OUTPUT_SHIFT})`);
    if (!Array.isArray(file.nets) || file.nets.length !== 3 || !Array.isArray(file.order) || [...file.order].sort().join() !== '0,1,2') fail('MODEL_MISMATCH', 'autoregressive model needs 3 nets and an order of 0, 1, 2');
    this.order = file.order;
    this.adaptScale = file.adaptScale === true;
    if (file.mixture !== undefined && file.mixture !== 2) fail('MODEL_MISMATCH', `autoregressive model with a ${file.mixture}-component mixture (this build codes 2)`);
    this.mixture = file.mixture === 2;
    this.context = context;
    this.nets = file.nets.map((n, k) => {
      if (!n || !Array.isArray(n.layers)) fail('MODEL_MISMATCH', 'autoregressive net has no layers');
      const net = { layers: n.layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, weight: l.weight ?? [], bias: l.bias ?? [] })) };
      checkNet(net, featureCount(k, this.context), this.mixture ? MIXTURE_OUTPUTS : SINGLE_OUTPUTS);
      return net;
    });
    this.runner = new NetRunner(this.nets, outputShift);
    if (opinions.length > 0 && (!this.mixture || opinions.length > MAX_OPINIONS || opinions.some((o) => !o.mixture || o.order.join() !== this.order.join())))
      fail('MODEL_MISMATCH', `second opinions need a mixture model and 1 to ${MAX_OPINIONS} mixture models of the same order`);
  }

  /**
   * Whether a layout is coded by the flow (else the baseline): 8-bit grey or RGB, 2-D (a single row is
   * a byte stream or a signal, where the image context has nothing above to read).
   */
  static codes(layout: SampleLayout): boolean {
    return (layout.channels === 1 || layout.channels === 3) && (layout.dtype === undefined || layout.dtype === 'uint8') && layout.height >= 2 && layout.width >= 2;
  }

  /**
   * One pass over the samples (encoder and decoder run the same loop, so their contexts cannot drift).
   * Encode (`msg` undefined): records each sample's table index and residual for a reverse push, and
   * counts bits. Decode: pops samples into `values`.
   */
  run(values: SampleArray, layout: SampleLayout, msg: Message | undefined, record?: SampleRecord, progress?: Progress, variant = this.writtenVariant(), knownRows?: Uint8Array): void {
    const { height, width, channels } = layout;
    const planes = createPlanes(values, height, width, channels, ROWS_KEPT);
    const order = channels === 1 ? [0] : this.order;
    const { runner } = this;
    const features = runner.features;
    const raw = runner.output;
    const tables = this.tables.tables;
    const adapter = this.adaptScale ? new ScaleAdapter() : undefined;
    const generation = mixerGeneration(variant);
    if ((variant === FLOW_MIXTURE || generation > 0) !== this.mixture) fail('CORRUPT', this.mixture ? 'a mixture model codes with routes 5, 9, 11, 13, 16 and 18 only' : 'routes 5, 9, 11, 13, 16 and 18 need a mixture model');
    if (generation >= 4 && this.opinions.length === 0) fail('CORRUPT', `route ${generation === 4 ? 16 : 18} needs a model with second opinions (effort 3)`);
    const mixture = this.mixture;
    const mix = new Mixture();
    const components = new MixtureComponents();
    // Routes 16 and 18: each second opinion's flow predicts every sample beside this one's (same planes), its own adaptations learning from it.
    const opinions = generation >= 4 ? this.opinions.map((flow) => new OpinionStepper(flow)) : [];
    // Route 18: the band's first decision says which generation (4 or 5) coded it; the encoder runs both
    // (phaseMixer beside residualMixer, each on its own decisions) and encode() keeps the smaller.
    const choosesPhase = generation === 5;
    const written = choosesPhase ? (msg && popPhaseFlag(msg) ? 5 : 4) : generation;
    const residualMixer = generation > 0 ? new ResidualMixer(width, channels, height, order, msg ? new DecisionStack(msg) : record!.decisions!, written as 1 | 2 | 3 | 4 | 5, opinions.map((o) => o.mix)) : undefined;
    const phaseMixer = choosesPhase && msg === undefined ? new ResidualMixer(width, channels, height, order, record!.phase!.decisions, 5, opinions.map((o) => o.mix)) : undefined;
    const meanAdapter = variant !== FLOW_PLAIN ? new MeanAdapter(runner, this.context !== 3) : undefined;
    for (let y = 0; y < height; y++) {
      if (progress && y % 8 === 0) progress(y / height);
      if (knownRows && knownRows[y] === 1) {
        // A row coded elsewhere (its samples are in `values`): context for the rows below, nothing coded.
        if (residualMixer) residualMixer.clearRow(y);
        if (phaseMixer) phaseMixer.clearRow(y);
        for (let x = 0; x < width; x++)
          for (let k = 0; k < channels; k++) recordSample(planes, y, x, order[k], medianPrediction(planes, y, x, order[k]), values[(y * width + x) * channels + order[k]]);
        continue;
      }
      for (let x = 0; x < width; x++) {
        // A decoder that has read past its message's words is decoding nothing: a forged shape or a cut
        // payload stops within 256 pixels, not after every declared sample (a forged row may be a million wide).
        if (msg && (x & 255) === 0 && msg.underflowWords > 0) fail('CORRUPT', 'a band ends before its samples do');
        const pixel = (y * width + x) * channels;
        const pixelDecisions = residualMixer && msg === undefined ? record!.decisions!.size : 0;
        const phasePixelDecisions = phaseMixer ? record!.phase!.decisions.size : 0;
        for (let k = 0; k < channels; k++) {
          const ch = order[k];
          const i = pixel + ch;
          const p0 = contextOf(planes, order, y, x, k, features, this.context);
          runner.run(k);
          // A mixture is adapted as one distribution (MixtureComponents).
          let netMean: number;
          let netScale: number;
          if (mixture) {
            components.read(raw);
            netMean = components.netMean;
            netScale = components.netScale;
          } else {
            netMean = quartersOf(raw[0]);
            netScale = scaleIndexOf(raw[1]);
          }
          const meanQuarters = meanAdapter ? netMean + meanAdapter.correction(k) : netMean;
          const ctx = k * PRIOR_SCALE_COUNT + netScale;
          const scaleStep = adapter ? adapter.step(ctx) : 0;
          let value: number;
          if (!mixture) {
            const j = clampScale(netScale + scaleStep);
            const quarter = ((meanQuarters % QUARTERS) + QUARTERS) % QUARTERS;
            const base = p0 + (meanQuarters - quarter) / QUARTERS;
            const t = j * QUARTERS + quarter;
            const { residual } = tables[t];
            if (msg === undefined) {
              value = values[i];
              const r = value - base;
              // Recorded in coding order (channel order within a pixel), which the push reverses.
              record!.table[pixel + k] = t;
              record!.residual[pixel + k] = r;
              const bits = residual.bits(r);
              record!.bits += bits;
              if (record!.pixelBits) record!.pixelBits[y * width + x] += bits;
              if (record!.withFloatBits) {
                // The float model: the network's unrounded mean and scale (with the adaptations' corrections), a continuous logistic.
                const scale = floatScale(raw[1], scaleStep);
                const shift = (meanQuarters - netMean) / QUARTERS;
                record!.floatBits -= Math.log2(Math.max(logisticMass(value - p0 - shift - raw[0] / OUTPUT_UNIT, scale), 2 ** -30));
              }
            } else {
              value = base + residual.pop(msg);
              if (value < 0 || value > 255) fail('CORRUPT', 'decoded sample out of range');
              values[i] = value;
            }
          } else {
            // Both components move with the adaptations: means by the correction, scales by the step.
            const correction = meanQuarters - netMean;
            components.setMixture(mix, tables, p0, correction, scaleStep);
            if (residualMixer) {
              const rounded = p0 + Math.floor((meanQuarters + QUARTERS / 2) / QUARTERS);
              const centre = rounded < 0 ? 0 : rounded > 255 ? 255 : rounded;
              for (let o = 0; o < opinions.length; o++) opinions[o].predict(planes, order, y, x, k);
              // (The encoder counts a pixel's bits after its last channel: one log a pixel.)
              value = residualMixer.code(values, y, x, k, ch, mix, centre, netScale, msg === undefined ? values[i] : 0);
              if (phaseMixer) phaseMixer.code(values, y, x, k, ch, mix, centre, netScale, value);
              if (msg) values[i] = value;
              for (let o = 0; o < opinions.length; o++) opinions[o].learn(k, value);
            } else if (msg === undefined) {
              value = values[i];
              const start = mix.cdf(value);
              const freq = mix.cdf(value + 1) - start;
              record!.start![pixel + k] = start;
              record!.freq![pixel + k] = freq;
              const bits = MIX_PRECISION - Math.log2(freq);
              record!.bits += bits;
              if (record!.pixelBits) record!.pixelBits[y * width + x] += bits;
            } else {
              value = mix.find(msg.peek(MIX_PRECISION), p0 + Math.floor(meanQuarters / QUARTERS));
              msg.pop(mix.start, mix.end - mix.start, MIX_PRECISION);
              values[i] = value;
            }
            if (msg === undefined && record!.withFloatBits) {
              const wf = 1 / (1 + Math.exp(-raw[4] / OUTPUT_UNIT / MIX_LOGIT_STEPS));
              const sA = floatScale(raw[1], scaleStep);
              const sB = floatScale(raw[3], scaleStep);
              // The float mixture, like the coded one, renormalized over the values 0..255.
              const centreA = p0 + correction / QUARTERS + raw[0] / OUTPUT_UNIT;
              const centreB = p0 + correction / QUARTERS + raw[2] / OUTPUT_UNIT;
              const inRange = wf * rangeMass(centreA, sA) + (1 - wf) * rangeMass(centreB, sB);
              const p = (wf * logisticMass(value - centreA, sA) + (1 - wf) * logisticMass(value - centreB, sB)) / inRange;
              record!.floatBits -= Math.log2(Math.max(p, 2 ** -30));
            }
          }
          if (meanAdapter) meanAdapter.update(k, 4 * (value - p0) - netMean);
          if (adapter) {
            const error16 = 16 * (value - p0) - 4 * meanQuarters;
            adapter.update(ctx, error16 < 0 ? -error16 : error16);
          }
          recordSample(planes, y, x, ch, p0, value);
        }
        if (residualMixer && msg === undefined) {
          const bits = record!.decisions!.bitsSince(pixelDecisions);
          record!.bits += bits;
          if (record!.pixelBits) record!.pixelBits[y * width + x] += bits;
          if (phaseMixer) {
            const phase = record!.phase!;
            const phaseBits = phase.decisions.bitsSince(phasePixelDecisions);
            phase.bits += phaseBits;
            if (phase.pixelBits) phase.pixelBits[y * width + x] += phaseBits;
          }
        }
      }
    }
  }

  /** The loop a writer uses with this model: route 5's for a mixture, else route 4's. */
  writtenVariant(): number {
    return this.mixture ? FLOW_MIXTURE : FLOW_ADAPTIVE_MEAN;
  }

  /** Push `data` onto `msg`; returns integer-table and float-model bits (0 without `withFloatBits`). */
  encode(msg: Message, data: SampleArray, layout: SampleLayout, progress?: Progress, pixelBits?: Float32Array, variant = this.writtenVariant(), withFloatBits = true, knownRows?: Uint8Array): { bits: number; floatBits: number } {
    const n = data.length;
    const reuse = <T extends { length: number; subarray(a: number, b: number): T }>(kept: T | undefined, make: (n: number) => T) => (kept && kept.length >= n ? kept.subarray(0, n) : make(n));
    const kept = this.scratch;
    const record: SampleRecord = mixerGeneration(variant) > 0
      ? { table: new Uint8Array(0), residual: new Int16Array(0), decisions: new DecisionStack(), bits: 0, floatBits: 0, withFloatBits, pixelBits }
      : this.mixture
      ? // 8 bytes a sample: the intervals.
        { table: new Uint8Array(0), residual: new Int16Array(0), start: reuse(kept?.start, (m) => new Uint32Array(m)), freq: reuse(kept?.freq, (m) => new Uint32Array(m)), bits: 0, floatBits: 0, withFloatBits, pixelBits }
      : // 3 bytes a sample: table indices (j, q) < 192, residuals |r| < 2^15 (|mean| <= 2^31 / OUTPUT_UNIT).
        { table: reuse(kept?.table, (m) => new Uint8Array(m)), residual: reuse(kept?.residual, (m) => new Int16Array(m)), bits: 0, floatBits: 0, withFloatBits, pixelBits };
    if (!record.decisions) this.scratch = { table: record.table, residual: record.residual, start: record.start, freq: record.freq };
    if (mixerGeneration(variant) === 5) record.phase = { decisions: new DecisionStack(), bits: 0, pixelBits: pixelBits && new Float32Array(pixelBits.length) };
    this.run(data, layout, undefined, record, progress, variant, knownRows);
    msg.reserve(Math.ceil(record.bits / 16) + 64);
    if (record.phase) {
      // Route 18: the band's smaller of generations 4 and 5, then the flag that says which (popped first).
      const phased = record.phase.bits < record.bits;
      (phased ? record.phase.decisions : record.decisions!).pushOnto(msg);
      pushPhaseFlag(msg, phased);
      const bits = (phased ? record.phase.bits : record.bits) + 1;
      if (pixelBits && phased) pixelBits.set(record.phase.pixelBits!);
      if (pixelBits && pixelBits.length > 0) pixelBits[0] += 1;
      return { bits, floatBits: record.floatBits };
    }
    if (record.decisions) {
      record.decisions.pushOnto(msg);
      return { bits: record.bits, floatBits: record.floatBits };
    }
    // Reverse coding order: the decoder pops the first coded sample first; rows coded elsewhere are skipped.
    const rowSamples = layout.width * layout.channels;
    for (let y = layout.height - 1; y >= 0; y--) {
      if (knownRows && knownRows[y] === 1) continue;
      const from = y * rowSamples;
      if (this.mixture) {
        const { start, freq } = record;
        for (let i = from + rowSamples - 1; i >= from; i--) msg.push(start![i], freq![i], MIX_PRECISION);
      } else {
        const tables = this.tables.tables;
        for (let i = from + rowSamples - 1; i >= from; i--) tables[record.table[i]].residual.push(msg, record.residual[i]);
      }
    }
    return { bits: record.bits, floatBits: record.floatBits };
  }

  decode(msg: Message, layout: SampleLayout, out: SampleArray, progress?: Progress, variant = this.writtenVariant()): void {
    this.run(out, layout, msg, undefined, progress, variant);
  }

  /** One band as its own message (worker threads run these). */
  encodePart(job: EncodePartJob, progress?: Progress): EncodedPart {
    const msg = new Message(1024);
    const pixelBits = job.withPixelBits ? new Float32Array(job.layout.height * job.layout.width) : undefined;
    const { bits, floatBits } = this.encode(msg, job.values, job.layout, progress, pixelBits, job.variant ?? FLOW_PLAIN, job.withFloatBits ?? true, job.knownRows);
    return { message: msg.flatten(), bits, floatBits, pixelBits };
  }

  decodePart(job: DecodePartJob, progress?: Progress): Uint8Array {
    const msg = Message.unflatten(job.message);
    // 8-bit samples (the decoder checks each is 0..255 before writing it).
    const out = new Uint8Array(job.layout.height * job.layout.width * job.layout.channels);
    if (job.knownRows) {
      if (!job.known || job.known.length !== out.length || job.knownRows.length !== job.layout.height) fail('INTERNAL', 'known rows without their samples');
      out.set(job.known);
    }
    this.run(out, job.layout, msg, undefined, progress, job.variant ?? FLOW_PLAIN, job.knownRows);
    if (!msg.isEmpty()) fail('CORRUPT', 'a band does not end where its data does');
    return out;
  }

  /** Drop the working arrays (the parts of an image are done). */
  release(): void {
    this.scratch = undefined;
  }

  /** Fewest bits any sample can cost under the tables. */
  minBits(): number {
    let min = Infinity;
    for (const { table } of this.tables.tables) for (let s = 0; s < table.size; s++) min = Math.min(min, table.bits(s));
    return min;
  }
}

/**
 * The bands of a layout the flow codes (height >= 2): first row and row count of each. Balanced: as few
 * bands as BAND_ROWS allows, of equal height (two threads share a 640-row photo evenly); the bands
 * depend on the height only, so any thread count writes the same bytes. `fixed`: route 1's plan.
 */
export function bandsOf(height: number, fixed = false): { y0: number; rows: number }[] {
  const bands = [];
  if (fixed) {
    for (let y0 = 0; y0 < height; y0 += BAND_ROWS) bands.push({ y0, rows: Math.min(BAND_ROWS, height - y0) });
    return bands;
  }
  const count = Math.ceil(height / BAND_ROWS);
  const base = Math.floor(height / count);
  const taller = height - base * count;
  for (let k = 0, y0 = 0; k < count; k++) {
    const rows = base + (k < taller ? 1 : 0);
    bands.push({ y0, rows });
    y0 += rows;
  }
  return bands;
}

interface SampleRecord {
  /** One logistic: each sample's table index and residual. */
  table: Uint8Array;
  residual: Int16Array;
  /** A mixture: each sample's interval (mixture.ts), pushed at MIX_PRECISION. */
  start?: Uint32Array;
  freq?: Uint32Array;
  /** Route 9: the residual context mixer's decisions. */
  decisions?: DecisionStack;
  /** Route 18: generation 5's decisions, bits and per-pixel bits beside generation 4's (the fields above). */
  phase?: { decisions: DecisionStack; bits: number; pixelBits?: Float32Array };
  bits: number;
  /** The float model's bits, summed when `withFloatBits` (they cost ~20% of encoding time). */
  floatBits: number;
  withFloatBits: boolean;
  pixelBits?: Float32Array;
}

function logistic(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** Probability of an integer at `centred` from a logistic's centre (the float model's bits). */
function logisticMass(centred: number, scale: number): number {
  return logistic((centred + 0.5) / scale) - logistic((centred - 0.5) / scale);
}

/** The float model's scale: a raw scale output unrounded, moved by the scale adaptation's step. */
function floatScale(raw: number, scaleStep: number): number {
  return PRIOR_SCALE_0 * 2 ** (Math.min(MAX_SCALE, Math.max(0, raw / OUTPUT_UNIT + scaleStep)) / 4);
}

/** Mass of a logistic within the 8-bit values' bins [-0.5, 255.5] (1 to double precision when 40 scales inside). */
function rangeMass(centre: number, scale: number): number {
  if (centre - 40 * scale > -0.5 && centre + 40 * scale < 255.5) return 1;
  return logistic((255.5 - centre) / scale) - logistic((-0.5 - centre) / scale);
}

/** A raw mean output in quarter pixels (rounded to nearest). */
function quartersOf(raw: number): number {
  return Math.floor((raw + OUTPUT_UNIT / 8) / (OUTPUT_UNIT / 4));
}

const MAX_SCALE = PRIOR_SCALE_COUNT - 1;

function clampScale(j: number): number {
  return j < 0 ? 0 : j > MAX_SCALE ? MAX_SCALE : j;
}

/** A raw scale output as a table scale index (rounded, clamped). */
function scaleIndexOf(raw: number): number {
  return clampScale(Math.floor((raw + OUTPUT_UNIT / 2) / OUTPUT_UNIT));
}

export function readArFile(dir: string): Uint8Array {
  try {
    return readModelFile(dir, 'model.json');
  } catch {
    fail('UNKNOWN_MODEL', `no exported model (model.json) in ${dir}`);
  }
}

function parseArFile(jsonBytes: Uint8Array, dir: string): ArModelFile {
  try {
    return JSON.parse(new TextDecoder().decode(jsonBytes)) as ArModelFile;
  } catch {
    fail('UNKNOWN_MODEL', `${dir}/model.json is not JSON`);
  }
}

/** A model directory's flow; a version-5 file's from the sibling directories it names (their bytes kept for the hash). */
export function parseArFlow(jsonBytes: Uint8Array, dir: string): ArFlow {
  const file = parseArFile(jsonBytes, dir);
  const tables = loadPriorTables();
  if (file?.version !== AR_FORMAT_VERSION_OPINIONS) return new ArFlow(file, tables);
  const sibling = (name: unknown): { file: ArModelFile; bytes: Uint8Array } => {
    if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) fail('MODEL_MISMATCH', `${dir}/model.json names a model directory ${JSON.stringify(name)} (a sibling directory's plain name)`);
    const siblingDir = join(dir, '..', name);
    const bytes = readArFile(siblingDir);
    const parsed = parseArFile(bytes, siblingDir);
    if (parsed?.version === AR_FORMAT_VERSION_OPINIONS) fail('MODEL_MISMATCH', `${dir}/model.json names ${name}, itself a version-${AR_FORMAT_VERSION_OPINIONS} model (no chains)`);
    return { file: parsed, bytes };
  };
  if (!Array.isArray(file.opinions) || file.opinions.length === 0) fail('MODEL_MISMATCH', `${dir}/model.json (version ${AR_FORMAT_VERSION_OPINIONS}) names no second opinions`);
  const base = sibling(file.base);
  const opinions = file.opinions.map(sibling);
  return new ArFlow(base.file, tables, opinions.map((o) => new ArFlow(o.file, tables)), [base.bytes, ...opinions.map((o) => o.bytes)]);
}

/** Worker threads' part coder (models/shared/part-worker.ts). */
export function partCoder(dir: string): PartCoder {
  return parseArFlow(readArFile(dir), dir);
}

/** Load an exported autoregressive model from `dir` (default: the shipped one). */
export function createArModel(dir: string, id = arKind.id): IntegerModel {
  const jsonBytes = readArFile(dir);
  const flow = parseArFlow(jsonBytes, dir);
  const baseline = loadBaselineTables();
  const worker = { module: compiledSibling(import.meta.url, 'model.js'), dir };
  // Part workers started ahead (startPartWorkers) load the model now, while this thread gets its input.
  preloadPartCoder(worker).catch(() => undefined);
  const baselineRoute = messageRoute(ROUTE_BASELINE, baselineCoder(baseline));
  const bandPlan = (id: number, fixed: boolean, variant = FLOW_PLAIN) =>
    partsRoute(id, {
      variant,
      framing: 'known',
      parts: (layout) => bandsOf(layout.height, fixed),
      runner: (_layout, bands) => partRunner(flow, worker, bands.length),
      partLayout: (layout, { rows }) => ({ ...layout, height: rows }),
      // A copy of the band's rows (workers get only these), in the samples' own type.
      extract: (data, layout, { y0, rows }) => data.slice(y0 * layout.width * layout.channels, (y0 + rows) * layout.width * layout.channels),
      place: (out, layout, { y0 }, values) => out.set(values, y0 * layout.width * layout.channels),
      placeBits: (pixelBits, layout, { y0 }, bits) => pixelBits.set(bits, y0 * layout.width),
      rowsOf: (band) => band,
    });
  // A mixture model writes route 5, or route 6 when some strips of rows leave the flow (graphics); from
  // effort 2 on the same with the residual context mixer's generation 3, routes 13 and 14 (generations 1
  // and 2, routes 9 to 12, are what efforts 2 and 3 wrote before). Each reads the others'.
  const mixtureRoute = bandPlan(ROUTE_AR_MIXTURE, false, FLOW_MIXTURE);
  const mixedRoute = bandPlan(ROUTE_AR_MIXED, false, FLOW_MIXTURE_MIXED);
  const mixed2Route = bandPlan(ROUTE_AR_MIXED2, false, FLOW_MIXTURE_MIXED2);
  const mixed3Route = bandPlan(ROUTE_AR_MIXED3, false, FLOW_MIXTURE_MIXED3);
  const opinionsRoute = bandPlan(ROUTE_AR_OPINIONS, false, FLOW_MIXTURE_OPINIONS);
  const phaseRoute = bandPlan(ROUTE_AR_PHASE, false, FLOW_MIXTURE_PHASE);
  const oneLogisticRoute = { ...bandPlan(ROUTE_AR_ADAPTIVE, false, FLOW_ADAPTIVE_MEAN), older: [bandPlan(ROUTE_AR, false), bandPlan(ROUTE_AR_FIXED_BANDS, true)] };
  const stripsOf = [
    stripsRoute(ROUTE_AR_STRIPS, mixtureRoute),
    stripsRoute(ROUTE_AR_MIXED_STRIPS, mixedRoute),
    stripsRoute(ROUTE_AR_MIXED2_STRIPS, mixed2Route),
    stripsRoute(ROUTE_AR_MIXED3_STRIPS, mixed3Route),
    stripsRoute(ROUTE_AR_OPINIONS_STRIPS, opinionsRoute),
    stripsRoute(ROUTE_AR_PHASE_STRIPS, phaseRoute),
  ];
  // Either, where a channel's histogram has gaps, also tried on its level ranks (route 15), the smaller kept.
  const withLevels = (route: Route) => smallerRoute(route, levelsRoute(ROUTE_AR_LEVELS, withRouteByte(route)));
  // A model with second opinions (version 5: effort 3's) writes routes 18 and 19 where the others write
  // 13 and 14 (16 and 17 until the eighteenth session). Each reads every other (a strips route reads its own inner route too).
  const allMixture: [Route, Route][] = [[stripsOf[0], mixtureRoute], [stripsOf[5], phaseRoute], [stripsOf[4], opinionsRoute], [stripsOf[3], mixed3Route], [stripsOf[2], mixed2Route], [stripsOf[1], mixedRoute]];
  const writing = (strips: Route) => withLevels({ ...strips, older: allMixture.filter(([s]) => s !== strips).flat() });
  const imageRoutes = flow.mixture
    ? [writing(stripsOf[0]), writing(flow.opinions.length > 0 ? stripsOf[5] : stripsOf[3])]
    : [oneLogisticRoute, oneLogisticRoute];
  if (GRID_ALGORITHM !== ALPHA_PLANE_CODER) fail('INTERNAL', `ar's alpha route codes planes with ${ALPHA_PLANE_CODER}, the grid coder is ${GRID_ALGORITHM}`);
  // Older builds sent alpha layouts down the baseline route; a mixture model's colour may have strips
  // (route 7: the colour body behind its own route byte, 5, 6, 13 or 14; 9 to 12 before), route 3 is what it wrote before.
  const alphaRoute = (channels: number, effort: number) => {
    const plain = channelSplitRoute(ROUTE_AR_ALPHA, channels - 1, flow.mixture ? mixtureRoute : oneLogisticRoute, gridRoute());
    if (!flow.mixture) return { ...plain, older: [baselineRoute] };
    const split = { ...channelSplitRoute(ROUTE_AR_ALPHA_STRIPS, channels - 1, withRouteByte(imageRoutes[effort - 1]), gridRoute()), older: [plain, baselineRoute] };
    return smallerRoute(split, paletteContextRoute(ROUTE_AR_PALETTE));
  };
  const colourWithAlpha = (layout: SampleLayout) => ArFlow.codes({ ...layout, channels: layout.channels - 1 }) && (layout.channels === 2 || layout.channels === 4);
  const info = {
    id,
    description: arKind.description,
    hash: sha256(new TextEncoder().encode(AR_ALGORITHM), jsonBytes, ...flow.sourceBytes, flow.tables.bytes, new TextEncoder().encode(BASELINE_ALGORITHM), baseline.hash),
    minBitsPerSample: Math.min(flow.minBits(), flow.mixture ? RESIDUAL_MIXER_MIN_BITS : Infinity, baselineMinBits(baseline), GRID_MIN_BITS_PER_SAMPLE),
    // Alpha layouts are not the flow's alone: other models (grid) still compete for them.
    codes: ArFlow.codes,
    // A mixture model's grey and RGB layouts go through the strips route (with alpha only the colour
    // does: the library's whole-file Brotli still competes there).
    triesBrotli: (layout: SampleLayout) => flow.mixture && ArFlow.codes(layout),
  };
  // alphaRoutes[effort - 1][channels >> 2]: grey+alpha, RGBA.
  const alphaRoutes = [1, 2].map((effort) => [alphaRoute(2, effort), alphaRoute(4, effort)]);
  // Effort 3 codes as effort 2: what it adds is the model (the registry's effortDirs: wider nets).
  const model = routedModel(info, (layout, effort) => {
    const e = Math.min(effort, imageRoutes.length) - 1;
    return ArFlow.codes(layout) ? imageRoutes[e] : colourWithAlpha(layout) ? alphaRoutes[e][layout.channels >> 2] : baselineRoute;
  });
  if (!flow.mixture) return model;
  // Routes 6, 10, 12, 14, 17, 19 and 7 (colour route 6, 10, 12, 14, 17 or 19): the flow's rows at the flow's fewest bits, the strips'
  // rows at none; route 7's alpha plane at the grid coder's fewest; route 8's pixels at the context model's fewest.
  const flowMin = Math.min(flow.minBits(), RESIDUAL_MIXER_MIN_BITS);
  const stripIds = new Set(stripsOf.map((route) => route.id));
  const strips = (route: number) => stripIds.has(route);
  // Route 15's inner payload (its own route byte first), behind the route byte and the bitmaps; undefined for other routes.
  const levelsInner = (payload: Uint8Array, layout: SampleLayout): Uint8Array | undefined => {
    const at = 1 + levelsHeaderBytes(layout);
    return payload[0] === ROUTE_AR_LEVELS && payload.length > at ? payload.subarray(at) : undefined;
  };
  // A grey or RGB payload (route byte first): the flow's rows at its fewest bits.
  const colourMinBits = (payload: Uint8Array, layout: SampleLayout): number => {
    const inner = levelsInner(payload, layout);
    if (inner) return colourMinBits(inner, layout);
    const stripRows = strips(payload[0]) ? stripRowsOf(payload.subarray(1), layout) : 0;
    return (layout.height - stripRows) * layout.width * layout.channels * flowMin;
  };
  const minPayloadBits = (payload: Uint8Array, layout: SampleLayout): number => {
    if ((strips(payload[0]) || payload[0] === ROUTE_AR_LEVELS) && ArFlow.codes(layout)) return colourMinBits(payload, layout);
    // Route 7: route byte, the colour body's u32 length, then the colour body with its own route byte.
    if (payload[0] === ROUTE_AR_ALPHA_STRIPS && colourWithAlpha(layout) && (strips(payload[5]) || payload[5] === ROUTE_AR_LEVELS)) {
      const colour = { ...layout, channels: layout.channels - 1 };
      return colourMinBits(payload.subarray(5), colour) + layout.height * layout.width * GRID_MIN_BITS_PER_SAMPLE;
    }
    if (payload[0] === ROUTE_AR_PALETTE && colourWithAlpha(layout)) return layout.height * layout.width * CONTEXT_MIN_BITS_PER_PIXEL;
    return layout.height * layout.width * layout.channels * model.minBitsPerSample;
  };
  // Routes 9-14 and 16-19, alone or as route 7's colour body: the mixer, what efforts 2 and 3 write.
  const mixed = (route: number) => (route >= ROUTE_AR_MIXED && route <= ROUTE_AR_MIXED3_STRIPS) || (route >= ROUTE_AR_OPINIONS && route <= ROUTE_AR_PHASE_STRIPS);
  const colourEffort = (payload: Uint8Array, layout: SampleLayout): number => (mixed((levelsInner(payload, layout) ?? payload)[0]) ? 2 : 1);
  const effortOf = (payload: Uint8Array, layout: SampleLayout) =>
    payload[0] === ROUTE_AR_ALPHA_STRIPS && payload.length > 5 ? colourEffort(payload.subarray(5), { ...layout, channels: layout.channels - 1 }) : colourEffort(payload, layout);
  return { ...model, minPayloadBits, effortOf };
}
