/**
 * npm run build:grid-priors -- [--data DIR] [--hold-out REGEX] [--out FILE]   (or buildGridPriors from flowzip/train)
 *
 * Learns the grid model's starting probabilities from the arrays of the train split: codes each 2-D or
 * larger integer array from neutral starting points and averages the probabilities every context ends
 * with (in the logistic domain, weighted by how often the context was used, each kind of array weighing
 * the same: files of a kind share a name up to their trailing number). Files matching --hold-out are
 * left out of the average and coded with and without the new priors, to decide on data not learned from.
 * Training code (`flowzip/train`): the model only reads the file it writes.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GRID_PARAMS, GRID_PRIORS_FILE, gridFinalState, gridRoute, readGridPriors, writeGridPriors } from '../models/grid/model.js';
import { packageRoot } from '../models/shared/assets.js';
import { prepare } from './compress.js';

function parseArgs(argv: string[]) {
  const args = { data: resolve(packageRoot(), '../shared/data/corpus/arrays/train'), holdOut: undefined as RegExp | undefined, out: resolve(packageRoot(), GRID_PRIORS_FILE) };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data') args.data = resolve(argv[++i]);
    else if (argv[i] === '--hold-out') args.holdOut = new RegExp(argv[++i]);
    else if (argv[i] === '--out') args.out = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

/** Files of one kind share their name up to a trailing number (visp_depth_castel_0007 -> visp_depth_castel). */
const kindOf = (name: string) => name.replace(/\.npy$/, '').replace(/[_-]?\d+$/, '');

const logit = (p: number) => Math.log(p / (65536 - p));

export interface GridPriorsOptions {
  /** The train split's arrays folder. */
  data: string;
  /** Files left out and measured with and without the new priors. */
  holdOut?: RegExp;
  out: string;
  log?: (line: string) => void;
}

/** Learn the priors from `data` and write them to `out` (see the module comment). */
export async function buildGridPriors(args: GridPriorsOptions): Promise<void> {
  const log = args.log ?? ((line: string) => console.log(line));
  const arrays: { name: string; data: Awaited<ReturnType<typeof prepare>> }[] = [];
  for (const name of readdirSync(args.data).filter((f) => f.endsWith('.npy')).sort()) {
    const p = await prepare(new Uint8Array(readFileSync(join(args.data, name))), { kind: 'auto' });
    const { layout } = p;
    // What the grid model codes: integer arrays with rows and columns (floats are words of other models).
    if (p.kind !== 'array' || layout.height < 2 || layout.width < 2 || /^float/.test(p.dtype)) continue;
    arrays.push({ name, data: p });
  }
  const learnFrom = arrays.filter((a) => !args.holdOut?.test(a.name));
  const perKind = new Map<string, number>();
  for (const a of learnFrom) perKind.set(kindOf(a.name), (perKind.get(kindOf(a.name)) ?? 0) + 1);
  let sum: Float64Array | undefined;
  let weight: Float64Array | undefined;
  for (const a of learnFrom) {
    const state = gridFinalState(a.data.samples, a.data.layout, GRID_PARAMS);
    sum ??= new Float64Array(state.prob.length);
    weight ??= new Float64Array(state.prob.length);
    const share = 1 / perKind.get(kindOf(a.name))!;
    for (let k = 0; k < state.prob.length; k++) {
      if (state.seen[k] === 0) continue;
      const w = share * Math.min(state.seen[k], 256);
      sum[k] += w * logit(state.prob[k]);
      weight[k] += w;
    }
  }
  if (!sum || !weight) throw new Error(`no arrays to learn from in ${args.data}`);
  const prob = Array.from(sum, (s, k) => (weight![k] > 0 ? 65536 / (1 + Math.exp(-s / weight![k])) : 32768));
  const bytes = writeGridPriors(prob);
  writeFileSync(args.out, bytes);
  log(`wrote ${args.out}: ${prob.length} contexts, learned from ${learnFrom.length} arrays of ${perKind.size} kinds`);
  const heldOut = arrays.filter((a) => args.holdOut?.test(a.name));
  if (heldOut.length) {
    const priors = readGridPriors(bytes);
    log('held out: bits per value without priors -> with');
    let before = 0, after = 0, n = 0;
    for (const a of heldOut) {
      const plain = await gridRoute(GRID_PARAMS).encode(a.data.samples, a.data.layout);
      const learned = await gridRoute({ ...GRID_PARAMS, priors }).encode(a.data.samples, a.data.layout);
      const size = (r: typeof plain) => 8 * r.body.reduce((t, b) => t + b.length, 0);
      const count = a.data.samples.length;
      log(`  ${a.name}: ${(size(plain) / count).toFixed(4)} -> ${(size(learned) / count).toFixed(4)}`);
      before += size(plain) / count;
      after += size(learned) / count;
      n++;
    }
    log(`  mean over files: ${(before / n).toFixed(4)} -> ${(after / n).toFixed(4)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildGridPriors(parseArgs(process.argv.slice(2))).catch((e) => {
    console.error(`build-grid-priors failed: ${(e as Error).message}`);
    process.exit(1);
  });
}
