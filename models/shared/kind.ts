/**
 * One description per model kind: what lists kinds (the registry, model-directory sniffing,
 * `flowzip models`, `flowzip train --kind`) reads these, so adding a kind is one folder with a
 * `kind.ts` and one line in models/index.ts. A descriptor imports nothing heavy: the model's code (and
 * tfjs, for kinds that run nets on it) and the trainer load with a dynamic import when used.
 */
import { fail } from '../../codec/index.js';
import type { IntegerModel } from './types.js';

/** The parsed model.json of an exported model, as much as sniffing reads. */
export interface ModelFileHead {
  format?: unknown;
  config?: { fractionBits?: unknown } | null;
}

export interface TrainFlag {
  /** Commander flags, e.g. '--steps <n>'. */
  flags: string;
  description: string;
  /** The option's value from its CLI string; throws FlowzipError('USAGE') on nonsense. */
  parse?: (value: string) => unknown;
}

/** What every trainer is given besides its own flags (camel-cased flag names). */
export interface TrainRun {
  data: string[];
  out: string;
  onLog?: (record: Record<string, number | string>) => void;
  onProgress?: (fraction: number, step: number) => void;
  [flag: string]: unknown;
}

/** What a finished training run reports (the CLI prints it with the command that uses the model). */
export interface TrainSummary {
  out: string;
  /** Held-out bits/dim of the exported model (integer coder for ar; float model on crops for the flows). */
  heldOutBitsPerDim?: number;
  /** The shipped model of the kind on the same held-out data, where the trainer measured it. */
  shippedBitsPerDim?: number;
  /** What the held-out figure is, in words. */
  measuredOn: string;
}

export interface ModelKind {
  /** The kind's name (`train --kind`) and the id of its shipped model. */
  id: string;
  description: string;
  /** The shipped model's directory relative to the package root, for kinds shipped as a directory. */
  shippedDir?: string;
  /**
   * Earlier shipped versions of the model (directories relative to the package root), newest first:
   * files that name one of their hashes still decode; nothing is written with them. A retrained model
   * moves the previous one here, so that files made with it keep working.
   */
  retiredDirs?: readonly string[];
  /** The effort a retired directory was an effort sibling for (`effortDirs`), so its files still tell their effort. */
  retiredEfforts?: Readonly<Record<string, number>>;
  /**
   * Bigger siblings of the shipped model by effort (directories relative to the package root): asked
   * for by id at that effort, the registry codes with the sibling instead (files name its hash; decoding
   * finds it as it finds the current version). Efforts without an entry use the shipped model.
   */
  effortDirs?: Readonly<Record<number, string>>;
  /** Whether an exported model directory's model.json is of this kind (format tag and variant). */
  matches?(head: ModelFileHead): boolean;
  /**
   * The model in `dir` (the registry passes the shipped directory for shipped models), recorded in
   * files as `id`. Kinds without a directory ignore both.
   */
  load(dir: string, id: string): Promise<IntegerModel>;
  trainer?: {
    /** One line for `train --help`. */
    summary: string;
    flags: TrainFlag[];
    run(options: TrainRun): Promise<TrainSummary>;
  };
}

/** Parsers for trainer flags. */
export function positiveNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n)) fail('USAGE', `${name} takes a positive number, not '${value}'`);
    return n;
  };
}

export function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) fail('USAGE', `${name} takes a positive integer, not '${value}'`);
    return n;
  };
}
