/**
 * One wrapper turns a model's ways of coding ("routes") into its payload, so no model writes the route
 * byte, the flattening or the end-of-message check itself.
 *
 * Payload: [route byte] body. The route follows from the layout alone (the decoder checks that the byte
 * says the same), so a learned model codes what it was built for and sends every other layout down its
 * baseline route under the same model id. A model with a single route writes no route byte.
 * Bodies: one flattened rANS message (`messageRoute`), or independent parts each its own message
 * (`partsRoute`: tiles, bands; see parts.ts).
 */
import { Message, fail } from '../../codec/index.js';
import { knownPartsHeader, partsHeader, splitKnownParts, splitParts } from './framing.js';
import type { PartRunner } from './parts.js';
import { checkEffort, type CodedBits, type EncodeResult, type IntegerModel, type MessageCoder, type Progress, type SampleArray, type SampleLayout } from './types.js';

export interface Route {
  /** The route byte (unused when the model has one route). */
  id: number;
  /**
   * Routes this one reads but does not write (their byte): what older builds wrote for the same layouts,
   * and what the model writes for them at other efforts.
   */
  older?: Route[];
  /** Routes this one writes instead when they code smaller (its encode then returns their `id`). */
  also?: Route[];
  /**
   * The body as pieces in order (joined once, behind the route byte); `floatBits: false` lets the coder
   * skip them; `id`: the route in `also` whose body this is. `knownRows[y] = 1`: row y is coded elsewhere
   * (only routes of bands take it): the route reads it as context and codes the other rows.
   */
  encode(data: SampleArray, layout: SampleLayout, progress?: Progress, pixelBits?: Float32Array, floatBits?: boolean, knownRows?: Uint8Array): Promise<CodedBits & { body: Uint8Array[]; initialBits?: number; id?: number }>;
  /** With `knownRows`, `out` already holds those rows. */
  decode(body: Uint8Array, layout: SampleLayout, out: SampleArray, progress?: Progress, knownRows?: Uint8Array): Promise<void>;
}

/**
 * A body of one rANS message. The decoder must end with the message the encoder started from: empty,
 * or (bits-back coders) the deterministic words the encoder borrowed from nothing.
 */
export function messageRoute(id: number, coder: MessageCoder, options: { bitsBack?: boolean } = {}): Route {
  return {
    id,
    async encode(data, layout, progress, pixelBits) {
      const msg = new Message(1024);
      const coded = await coder.push(msg, data, layout, progress, pixelBits);
      return { ...coded, body: [msg.flatten()], initialBits: options.bitsBack ? 16 * msg.underflowWords : undefined };
    },
    async decode(body, layout, out, progress) {
      const msg = Message.unflatten(body);
      await coder.pop(msg, layout, out, progress);
      const ended = options.bitsBack ? msg.borrowedWords() >= 0 : msg.isEmpty();
      if (!ended) fail('CORRUPT', 'payload does not end where the data does');
    },
  };
}

/** One part of a layout coded as its own message: which rows (or tile) of the data it holds. */
export interface PartsPlan<Part> {
  parts(layout: SampleLayout): Part[];
  /**
   * 'counted': u32 part count, u32 byte length of each part, then the parts (IDF tiles).
   * 'known': the layout gives the count; u32 byte lengths of all but the last part, then the parts (bands).
   */
  framing: 'counted' | 'known';
  runner(layout: SampleLayout, parts: Part[]): PartRunner;
  /** A part's own layout (what its message codes), its samples, and where a decoded part goes. */
  partLayout(layout: SampleLayout, part: Part): SampleLayout;
  extract(data: SampleArray, layout: SampleLayout, part: Part): SampleArray;
  place(out: SampleArray, layout: SampleLayout, part: Part, values: SampleArray): void;
  /** Where a part's per-pixel bits go. */
  placeBits(pixelBits: Float32Array, layout: SampleLayout, part: Part, bits: Float32Array): void;
  /** The part coder's variant for every part of this route (see EncodePartJob.variant). */
  variant?: number;
  /** The rows a part holds, for plans of bands (a route given known rows needs it). */
  rowsOf?(part: Part): { y0: number; rows: number };
}

/** A body of independent parts (tiles, bands), each its own rANS message, run by a part runner. */
export function partsRoute<Part>(id: number, plan: PartsPlan<Part>): Route {
  return {
    id,
    async encode(data, layout, progress, pixelBits, floatBits = true, knownRows) {
      const parts = plan.parts(layout);
      const known = knownRowsOf(plan, knownRows);
      const jobAt = (i: number) => ({ values: plan.extract(data, layout, parts[i]), layout: plan.partLayout(layout, parts[i]), withPixelBits: !!pixelBits, withFloatBits: floatBits, variant: plan.variant, ...(known ? { knownRows: known(parts[i]) } : {}) });
      const coded = await plan.runner(layout, parts).encode(parts.length, jobAt, progress);
      if (pixelBits) coded.forEach((c, i) => plan.placeBits(pixelBits, layout, parts[i], c.pixelBits!));
      const messages = coded.map((c) => c.message);
      return {
        body: [plan.framing === 'counted' ? partsHeader(messages) : knownPartsHeader(messages), ...messages],
        modelBits: coded.reduce((a, c) => a + c.bits, 0),
        floatBits: floatBits ? coded.reduce((a, c) => a + c.floatBits, 0) : undefined,
      };
    },
    async decode(body, layout, out, progress, knownRows) {
      const parts = plan.parts(layout);
      const messages = plan.framing === 'counted' ? splitParts(body) : splitKnownParts(body, parts.length);
      if (messages.length !== parts.length) fail('CORRUPT', `payload has ${messages.length} parts, the layout ${parts.length}`);
      const known = knownRowsOf(plan, knownRows);
      const jobAt = (i: number) => ({ message: messages[i], layout: plan.partLayout(layout, parts[i]), variant: plan.variant, ...(known ? { knownRows: known(parts[i]), known: plan.extract(out, layout, parts[i]) } : {}) });
      // Each part goes into place as soon as it is decoded: the decoded parts are never all held at once.
      await plan.runner(layout, parts).decode(parts.length, jobAt, (i, values) => plan.place(out, layout, parts[i], values), progress);
    },
  };
}

/** A part's slice of the known rows (undefined when none are known). */
function knownRowsOf<Part>(plan: PartsPlan<Part>, knownRows: Uint8Array | undefined): ((part: Part) => Uint8Array) | undefined {
  if (!knownRows) return undefined;
  const rowsOf = plan.rowsOf ?? fail('INTERNAL', 'known rows given to parts that are not bands');
  return (part) => {
    const { y0, rows } = rowsOf(part);
    return knownRows.slice(y0, y0 + rows);
  };
}

/**
 * A route's body behind the byte of the route that wrote it (its own id, or one of its `also`), so that a
 * body nested in another route (a channel split's colour) can be any of them; `older` ones still decode.
 */
export function withRouteByte(route: Route): Route {
  return {
    id: route.id,
    async encode(data, layout, progress, pixelBits, floatBits, knownRows) {
      const { body, id, ...coded } = await route.encode(data, layout, progress, pixelBits, floatBits, knownRows);
      return { ...coded, body: [Uint8Array.of(id ?? route.id), ...body] };
    },
    async decode(body, layout, out, progress, knownRows) {
      if (body.length < 1) fail('CORRUPT', 'empty nested payload');
      const written = body[0] === route.id ? route : [...(route.also ?? []), ...(route.older ?? [])].find((r) => r.id === body[0]);
      if (!written) fail('CORRUPT', 'nested payload route does not match the data layout');
      await written.decode(body.subarray(1), layout, out, progress, knownRows);
    },
  };
}

/**
 * A route that may not apply to some inputs (`tryEncode` gives undefined for them, having reported no
 * progress; one that applies reports its progress from 0 to 1).
 */
export interface OptionalRoute extends Route {
  tryEncode(data: SampleArray, layout: SampleLayout, pixelBits?: Float32Array, floatBits?: boolean, progress?: Progress): Promise<(CodedBits & { body: Uint8Array[] }) | undefined>;
}

/** `main`, or `other` where it applies and its body is smaller (decoders tell them by the route byte). */
export function smallerRoute(main: Route, other: OptionalRoute): Route {
  const size = (body: Uint8Array[]) => body.reduce((a, p) => a + p.length, 0);
  return {
    id: main.id,
    also: [other, ...(main.also ?? [])],
    older: main.older,
    async encode(data, layout, progress, pixelBits, floatBits) {
      const otherBits = pixelBits && new Float32Array(pixelBits.length);
      const alternative = await other.tryEncode(data, layout, otherBits, floatBits, progress && ((f) => progress(f / 2)));
      const mainProgress = alternative && progress ? (f: number) => progress(0.5 + f / 2) : progress;
      const coded = await main.encode(data, layout, mainProgress, pixelBits, floatBits);
      if (!alternative || size(alternative.body) >= size(coded.body)) return coded;
      if (pixelBits) pixelBits.set(otherBits!);
      return { ...alternative, id: other.id };
    },
    decode: main.decode,
  };
}

/**
 * The first `leading` channels of every pixel through one route, the rest (an alpha channel) through
 * another, each coding its planes as a layout of its own: body = u32 byte length of the first body,
 * then both bodies. The two never see each other's samples, so either can be any route.
 */
export function channelSplitRoute(id: number, leading: number, first: Route, second: Route): Route {
  const layouts = (layout: SampleLayout): [SampleLayout, SampleLayout] => [
    { ...layout, channels: leading },
    { ...layout, channels: layout.channels - leading },
  ];
  const split = (data: SampleArray, layout: SampleLayout, make: (n: number) => SampleArray): [SampleArray, SampleArray] => {
    const c = layout.channels;
    const pixels = layout.height * layout.width;
    const a = make(pixels * leading);
    const b = make(pixels * (c - leading));
    for (let i = 0, ia = 0, ib = 0, o = 0; i < pixels; i++) {
      for (let k = 0; k < leading; k++) a[ia++] = data[o++];
      for (let k = leading; k < c; k++) b[ib++] = data[o++];
    }
    return [a, b];
  };
  const within = (progress: Progress | undefined, from: number, share: number) => progress && ((f: number) => progress(from + share * f));
  return {
    id,
    async encode(data, layout, progress, pixelBits, floatBits) {
      const [la, lb] = layouts(layout);
      const [a, b] = split(data, layout, (n) => new (data.constructor as new (n: number) => SampleArray)(n));
      const share = leading / layout.channels;
      const bitsB = pixelBits && new Float32Array(pixelBits.length);
      const codedA = await first.encode(a, la, within(progress, 0, share), pixelBits, floatBits);
      const codedB = await second.encode(b, lb, within(progress, share, 1 - share), bitsB, floatBits);
      if (codedA.id !== undefined || codedB.id !== undefined) fail('INTERNAL', 'a channel split codes its planes with routes that write one body');
      if (pixelBits) for (let i = 0; i < pixelBits.length; i++) pixelBits[i] += bitsB![i];
      const bodyA = concat(codedA.body);
      return {
        body: [knownPartsHeader([bodyA, new Uint8Array(0)]), bodyA, ...codedB.body],
        modelBits: codedA.modelBits + codedB.modelBits,
        ...(codedA.details ? { details: codedA.details } : {}),
        floatBits: codedA.floatBits === undefined && codedB.floatBits === undefined ? undefined : (codedA.floatBits ?? codedA.modelBits) + (codedB.floatBits ?? codedB.modelBits),
      };
    },
    async decode(body, layout, out, progress) {
      const [la, lb] = layouts(layout);
      const [bodyA, bodyB] = splitKnownParts(body, 2);
      const make = (n: number) => new (out.constructor as new (n: number) => SampleArray)(n);
      const a = make(la.height * la.width * la.channels);
      const b = make(lb.height * lb.width * lb.channels);
      const share = leading / layout.channels;
      await first.decode(bodyA, la, a, within(progress, 0, share));
      await second.decode(bodyB, lb, b, within(progress, share, 1 - share));
      const c = layout.channels;
      const pixels = layout.height * layout.width;
      for (let i = 0, ia = 0, ib = 0, o = 0; i < pixels; i++) {
        for (let k = 0; k < leading; k++) out[o++] = a[ia++];
        for (let k = leading; k < c; k++) out[o++] = b[ib++];
      }
    },
  };
}

/** What a model is, apart from how it codes. */
export interface ModelInfo {
  id: string;
  description: string;
  hash: Uint8Array;
  minBitsPerSample: number;
  chain?: MessageCoder;
  codes?: (layout: SampleLayout, data?: SampleArray) => boolean;
  triesBrotli?: (layout: SampleLayout) => boolean;
}

/**
 * An IntegerModel from its routes: `route(layout, effort)` picks how a layout is coded (the decoder asks
 * the same question at effort 1, so the route byte is a check among that route's own, `also` and `older`
 * ids, not a choice). `routeByte: false` for single-route models.
 */
export function routedModel(info: ModelInfo, route: (layout: SampleLayout, effort: number) => Route, routeByte = true): IntegerModel {
  return {
    ...info,
    minBitsPerSample: Math.max(0, info.minBitsPerSample),
    async encode(data, layout, progress, options): Promise<EncodeResult> {
      if (data.length !== layout.height * layout.width * layout.channels) fail('INTERNAL', 'layout does not match data');
      const pixelBits = options?.pixelBits ? new Float32Array(layout.height * layout.width) : undefined;
      const r = route(layout, checkEffort(options?.effort));
      const { body, id, ...coded } = await r.encode(data, layout, progress, pixelBits, options?.floatBits ?? true);
      return { ...coded, pixelBits, payload: concat(routeByte ? [Uint8Array.of(id ?? r.id), ...body] : body) };
    },
    async decode(payload, layout, out, progress) {
      if (out.length !== layout.height * layout.width * layout.channels) fail('INTERNAL', 'layout does not match data');
      const r = route(layout, 1);
      if (!routeByte) return r.decode(payload, layout, out, progress);
      if (payload.length < 1) fail('CORRUPT', 'empty payload');
      const written = payload[0] === r.id ? r : [...(r.also ?? []), ...(r.older ?? [])].find((o) => o.id === payload[0]);
      if (!written) fail('CORRUPT', 'payload route does not match the data layout');
      await written.decode(payload.subarray(1), layout, out, progress);
    },
  };
}

function concat(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(pieces.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of pieces) (out.set(p, o), (o += p.length));
  return out;
}
