#!/usr/bin/env node
/**
 * The flowzip CLI: a thin shell over src/. Errors are one line on stderr and a non-zero exit; output
 * files are written to a temporary name and renamed, so a failure never leaves a partial file, and
 * inputs are never removed or overwritten unless asked (--rm, -f).
 */
import { Command, CommanderError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  EXIT_STATUS,
  FlowzipError,
  compressWithReport,
  decompress,
  listModels,
  readContainer,
  renderHeatmap,
  setTileThreads,
  train,
  useBackend,
  verify,
  type BackendName,
  type InputKind,
} from '../src/index.js';
import { runPool } from './pool.js';
import { ProgressBar } from './progress.js';

const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

interface CommonOptions {
  threads?: number;
  heatmap?: string;
  output?: string;
  stdout?: boolean;
  force?: boolean;
  keep?: boolean;
  rm?: boolean;
  quiet?: boolean;
  model?: string;
  kind?: InputKind;
  json?: boolean;
}

/** Turn anything thrown into [exit status, one-line message]. */
function describe(e: unknown): [number, string] {
  if (e instanceof FlowzipError) return [EXIT_STATUS[e.code], `${e.code}: ${e.message}`];
  const remote = e as { code?: string; errno?: string; message: string };
  if (remote && typeof remote.code === 'string' && remote.code in EXIT_STATUS && !(e instanceof Error))
    return [EXIT_STATUS[remote.code as keyof typeof EXIT_STATUS], `${remote.code}: ${remote.message}`];
  if (remote && typeof remote.errno === 'string' && !(e instanceof Error)) return describe(Object.assign(new Error(remote.message), { code: remote.errno }));
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') {
    if (err.code === 'ENOENT') return [EXIT_STATUS.BAD_INPUT, `BAD_INPUT: no such file or directory`];
    if (err.code === 'EISDIR') return [EXIT_STATUS.BAD_INPUT, `BAD_INPUT: is a directory`];
    if (err.code === 'EACCES' || err.code === 'EPERM') return [EXIT_STATUS.IO, `IO: permission denied`];
    if (err.code === 'ENOSPC') return [EXIT_STATUS.IO, `IO: no space left on device`];
    return [EXIT_STATUS.IO, `IO: ${err.code}: ${err.message}`];
  }
  return [EXIT_STATUS.INTERNAL, `INTERNAL: ${err?.message ?? String(e)}`];
}

let exitStatus = 0;
function report(file: string, e: unknown, bar?: ProgressBar): void {
  bar?.clear();
  const [status, message] = describe(e);
  process.stderr.write(`flowzip: ${file}: ${message}\n`);
  if (exitStatus === 0) exitStatus = status;
}

function readInput(file: string): Uint8Array {
  if (file === '-') return new Uint8Array(readFileSync(0));
  if (statSync(file).isDirectory()) throw new FlowzipError('BAD_INPUT', `${file} is a directory`);
  return new Uint8Array(readFileSync(file));
}

/** Write atomically: temp file in the target folder, then rename. Refuses to overwrite without -f. */
function writeOutput(path: string, data: Uint8Array, force: boolean, inputs: string[]): void {
  if (existsSync(path)) {
    const real = realpathSync(path);
    if (inputs.some((i) => i !== '-' && existsSync(i) && realpathSync(i) === real))
      throw new FlowzipError('USAGE', `refusing to overwrite the input ${path}`);
    if (!force) throw new FlowzipError('IO', `${path} already exists (use -f to overwrite)`);
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, data, { flag: 'wx' });
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      /* nothing was written */
    }
    throw e;
  }
}

async function writeStdout(data: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
}

function outputFor(file: string, opts: CommonOptions, count: number, derive: () => string): string | undefined {
  if (opts.stdout || (file === '-' && !opts.output)) return undefined;
  if (opts.output) {
    if (count > 1) {
      if (!existsSync(opts.output) || !statSync(opts.output).isDirectory())
        throw new FlowzipError('USAGE', '-o with several inputs must name an existing directory');
      return join(opts.output, basename(derive()));
    }
    if (existsSync(opts.output) && statSync(opts.output).isDirectory()) return join(opts.output, basename(derive()));
    return opts.output;
  }
  return derive();
}

function removeInput(file: string, opts: CommonOptions): void {
  if (opts.rm && !opts.keep && file !== '-') unlinkSync(file);
}

/** Several named files and more than one thread: one worker per thread, outputs written here in order. */
async function runParallel(op: 'compress' | 'decompress', files: string[], opts: CommonOptions): Promise<boolean> {
  const threads = opts.threads ?? availableParallelism();
  if (threads <= 1 || files.length <= 1 || opts.stdout || files.includes('-')) return false;
  const bar = new ProgressBar(files.length, !!opts.quiet);
  const backend = program.opts().backend as string | undefined;
  const jobs = files.map((file) => ({
    op,
    file,
    options: op === 'compress' ? { model: opts.model, kind: opts.kind, name: basename(file), backend } : { model: opts.model, backend },
  }));
  await runPool(jobs, threads, (index, result) => {
    const file = files[index];
    try {
      if (!result.ok) throw result.error;
      const target =
        op === 'compress'
          ? outputFor(file, opts, files.length, () => `${file}.flz`)!
          : outputFor(file, opts, files.length, () => restoredName(file, result.kind!, result.format))!;
      writeOutput(target, result.bytes, !!opts.force, files);
      removeInput(file, opts);
    } catch (e) {
      report(file, e, bar);
    }
    bar.update(index, 1, file);
  });
  bar.clear();
  return true;
}

async function runCompress(files: string[], opts: CommonOptions): Promise<void> {
  if (opts.threads !== undefined) setTileThreads(opts.threads);
  if ((opts.stdout || (files.includes('-') && !opts.output)) && process.stdout.isTTY)
    throw new FlowzipError('USAGE', 'refusing to write compressed data to a terminal (use -o FILE or a pipe)');
  if (await runParallel('compress', files, opts)) return;
  const bar = new ProgressBar(files.length, !!opts.quiet);
  for (const [index, file] of files.entries()) {
    try {
      const input = readInput(file);
      const target = outputFor(file, opts, files.length, () => `${file}.flz`);
      const { bytes } = await compressWithReport(input, {
        model: opts.model,
        kind: opts.kind,
        name: file === '-' ? undefined : basename(file),
        progress: (f) => bar.update(index, f, file),
      });
      bar.update(index, 1, file);
      if (target === undefined) await writeStdout(bytes);
      else writeOutput(target, bytes, !!opts.force, files);
      removeInput(file, opts);
    } catch (e) {
      report(file, e, bar);
    }
  }
  bar.clear();
}

function restoredName(file: string, kind: string, format: string | undefined): string {
  if (!file.endsWith('.flz'))
    throw new FlowzipError('USAGE', `${file} does not end in .flz; name the output with -o or use -c`);
  const stem = file.slice(0, -4);
  if (kind === 'image' && format && !stem.toLowerCase().endsWith(`.${format}`)) return `${stem}.${format}`;
  return stem;
}

async function runDecompress(files: string[], opts: CommonOptions): Promise<void> {
  if (opts.threads !== undefined) setTileThreads(opts.threads);
  if (await runParallel('decompress', files, opts)) return;
  const bar = new ProgressBar(files.length, !!opts.quiet);
  for (const [index, file] of files.entries()) {
    try {
      const input = readInput(file);
      const result = await decompress(input, { model: opts.model, progress: (f) => bar.update(index, f, file) });
      bar.update(index, 1, file);
      const target = outputFor(file, opts, files.length, () => restoredName(file, result.kind, result.format));
      if (target === undefined) await writeStdout(result.data);
      else writeOutput(target, result.data, !!opts.force, files);
      removeInput(file, opts);
    } catch (e) {
      report(file, e, bar);
    }
  }
  bar.clear();
}

async function runVerify(files: string[], opts: CommonOptions): Promise<void> {
  const bar = new ProgressBar(files.length, !!opts.quiet || !!opts.json);
  for (const [index, file] of files.entries()) {
    try {
      const input = readInput(file);
      const r = await verify(input, { model: opts.model, kind: opts.kind, file, name: basename(file), heatmap: !!opts.heatmap, progress: (f) => bar.update(index, f, file) });
      if (opts.heatmap && r.heatmap) {
        const path = files.length > 1 ? opts.heatmap.replace(/(\.png)?$/i, `-${basename(file)}.png`) : opts.heatmap;
        writeOutput(path, await renderHeatmap(r.heatmap.bits, r.heatmap.width, r.heatmap.height), true, files);
      }
      bar.clear();
      if (opts.json) {
        const { file: f, kind, dims, modelBits, codedBits, fileBytes, bitsPerDim, overheadPct } = r;
        process.stdout.write(JSON.stringify({ file: f, kind, dims, modelBits, codedBits, fileBytes, bitsPerDim, overheadPct }) + '\n');
      } else {
        process.stdout.write(
          `${file}: ${r.kind}, ${r.dims} dims, ${r.floatBits !== undefined ? `float model ${r.floatBits.toFixed(1)} bits, ` : ''}` +
            `model ${r.modelBits.toFixed(1)} bits, coded ${r.codedBits} bits ` +
            `(overhead ${r.overheadPct.toFixed(3)}%), file ${r.fileBytes} bytes = ${r.bitsPerDim.toFixed(4)} bits/dim, round trip exact\n`,
        );
      }
    } catch (e) {
      report(file, e, bar);
    }
  }
  bar.clear();
}

function runInfo(files: string[], opts: CommonOptions): void {
  for (const file of files) {
    try {
      const bytes = readInput(file);
      const c = readContainer(bytes);
      const info = {
        file,
        kind: c.kind,
        method: c.method,
        dtype: c.dtype,
        shape: c.shape,
        model: c.modelId || null,
        modelHash: c.modelId ? Buffer.from(c.modelHash).toString('hex') : null,
        name: c.meta.name ?? null,
        format: c.meta.format ?? null,
        payloadBytes: c.payload.length,
        fileBytes: bytes.length,
        dataCrc32: c.dataCrc.toString(16).padStart(8, '0'),
      };
      if (opts.json) process.stdout.write(JSON.stringify(info) + '\n');
      else
        process.stdout.write(
          `${file}: ${c.kind} ${c.dtype} ${c.shape.join('x') || 'scalar'}, ${c.method}` +
            `${c.modelId ? ` (model ${c.modelId} ${info.modelHash!.slice(0, 12)})` : ''}, ` +
            `payload ${c.payload.length} of ${bytes.length} bytes${info.name ? `, was ${info.name}` : ''}` +
            `${info.format ? ` (${info.format})` : ''}\n`,
        );
    } catch (e) {
      report(file, e);
    }
  }
}

const kindOption = () =>
  new Option('--kind <kind>', 'read the input as').choices(['auto', 'image', 'array', 'bytes']).default('auto');

const program = new Command();

function main(argv: string[]): Promise<void> {
  // gzip-style shorthand: `flowzip -d f.flz`.
  const args = argv.slice(2);
  if (args[0] === '-d' || args[0] === '--decompress') args[0] = 'decompress';

  program
    .name('flowzip')
    .description('Lossless compression with learned flow models: -log2 p(x) becomes a file size.')
    .version(VERSION)
    .option('--backend <name>', 'tfjs backend: cpu, wasm or node (default: fastest available; also FLOWZIP_BACKEND)')
    .hook('preAction', async (cmd) => {
      const backend = cmd.opts().backend as BackendName | undefined;
      if (backend !== undefined) await useBackend(backend);
    })
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.startsWith('error') ? `flowzip: USAGE: ${s}` : s) });

  const withIo = (c: Command) =>
    c
      .option('-o, --output <path>', 'output file (or directory for several inputs)')
      .option('-c, --stdout', 'write to standard output')
      .option('-f, --force', 'overwrite existing output files')
      .option('-k, --keep', 'keep input files (the default)')
      .option('--rm', 'remove each input after its output is written')
      .option('-q, --quiet', 'no progress bar')
      .option('-T, --threads <n>', 'worker threads: for several files, or for the tiles of a large image with --model idf (default: cores)', Number);

  withIo(program.command('compress').description('compress files to <file>.flz ("-" reads stdin)'))
    .argument('<files...>')
    .option('-m, --model <name>', 'model to use (see `flowzip models`)')
    .addOption(kindOption())
    .action((files: string[], opts: CommonOptions) => runCompress(files, opts));

  withIo(program.command('decompress').alias('d').description('restore files from .flz'))
    .argument('<files...>')
    .option('-m, --model <dir>', 'model directory, for files made with --model DIR')
    .action((files: string[], opts: CommonOptions) => runDecompress(files, opts));

  program
    .command('verify')
    .description("round-trip files and report the model's -log2 p(x) against the real coded size")
    .argument('<files...>')
    .option('-m, --model <name>', 'model to use')
    .addOption(kindOption())
    .option('--json', 'one JSON object per input')
    .option('--heatmap <png>', 'write a bits-per-pixel heatmap (several inputs: <png>-<file>.png)')
    .option('-q, --quiet', 'no progress bar')
    .action((files: string[], opts: CommonOptions) => runVerify(files, opts));

  program
    .command('info')
    .description('describe .flz files (checks their checksums)')
    .argument('<files...>')
    .option('--json', 'one JSON object per file')
    .action((files: string[], opts: CommonOptions) => runInfo(files, opts));

  program
    .command('train')
    .description('train an IDF model on images (directories or files) and export it to --out')
    .requiredOption('--data <paths...>', 'training images: directories or files (RGB 8-bit)')
    .requiredOption('--out <dir>', 'model directory: checkpoints, train.log, model.json + weights.bin')
    .option('--minutes <n>', 'stop after this many minutes', Number)
    .option('--steps <n>', 'stop at this many total steps', Number)
    .option('--batch <n>', 'crops per step', Number, 8)
    .option('--crop <n>', 'crop size in pixels (multiple of 8)', Number, 64)
    .option('--lr <x>', 'Adam learning rate', Number, 1e-3)
    .option('--checkpoint-minutes <n>', 'minutes between checkpoints', Number, 3)
    .option('--workers <n>', 'data-parallel worker threads (default: cores)', Number)
    .option('-q, --quiet', 'no progress bar')
    .action(async (opts: { data: string[]; out: string; minutes?: number; steps?: number; batch: number; crop: number; lr: number; checkpointMinutes: number; workers?: number; quiet?: boolean }) => {
      if (opts.minutes === undefined && opts.steps === undefined) throw new FlowzipError('USAGE', 'give --minutes or --steps');
      const bar = new ProgressBar(1, !!opts.quiet);
      await train({
        data: opts.data,
        out: opts.out,
        minutes: opts.minutes,
        steps: opts.steps,
        batch: opts.batch,
        crop: opts.crop,
        learningRate: opts.lr,
        checkpointMinutes: opts.checkpointMinutes,
        workers: opts.workers ?? availableParallelism(),
        onProgress: (f, step) => bar.update(0, f, `step ${step}`),
        onLog: (r) => {
          if (r.event !== undefined || !process.stderr.isTTY) {
            bar.clear();
            process.stderr.write(JSON.stringify(r) + '\n');
          }
        },
      });
      bar.clear();
    });

  program
    .command('models')
    .description('list shipped models')
    .option('--json', 'JSON output')
    .action((opts: CommonOptions) => {
      const models = listModels();
      if (opts.json) process.stdout.write(JSON.stringify(models) + '\n');
      else for (const m of models) process.stdout.write(`${m.id}${m.isDefault ? ' (default)' : ''}: ${m.description}\n`);
    });

  return program.parseAsync(args, { from: 'user' }).then(() => undefined);
}

process.on('uncaughtException', (e) => {
  process.stderr.write(`flowzip: ${describe(e)[1]}\n`);
  process.exit(EXIT_STATUS.INTERNAL);
});

main(process.argv)
  .then(() => {
    process.exitCode = exitStatus;
  })
  .catch((e: unknown) => {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_STATUS.USAGE;
      return;
    }
    const [status, message] = describe(e);
    process.stderr.write(`flowzip: ${message}\n`);
    process.exitCode = status;
  });
