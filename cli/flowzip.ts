#!/usr/bin/env node
/**
 * The flowzip CLI: a thin shell over src/. Errors are one line on stderr and a non-zero exit; output
 * files are written to a temporary name and renamed, so a failure never leaves a partial file, and
 * inputs are never removed or overwritten unless asked (--rm, -f).
 */
import { Command, CommanderError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  EXIT_STATUS,
  FlowzipError,
  compress,
  compressArchive,
  decompress,
  decompressArchive,
  verifyArchive,
  type ArchiveInput,
  type ArchiveReport,
  MODEL_KINDS,
  MAX_EFFORT,
  listModels,
  preferBackend,
  hasFlzMagic,
  peekKind,
  listFlz,
  readContainer,
  renderHeatmap,
  splitContainers,
  testFlz,
  type Listing,
  setTileThreads,
  startPartWorkers,
  verify,
  type BackendName,
  type InputKind,
} from '../src/index.js';
import { errnoReason, readInput } from './input.js';
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
  archive?: boolean;
  verbose?: boolean;
  maxOutput?: number;
  maxPixels?: number;
  effort?: number;
}

/** Decoding limits from the flags (the library's defaults otherwise). */
function limits(opts: CommonOptions): { maxOutputBytes?: number; maxPixels?: number } {
  return { maxOutputBytes: opts.maxOutput, maxPixels: opts.maxPixels };
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
    // An errno error that no read or write wrapped: name what failed, once.
    return [EXIT_STATUS.IO, `IO: ${errnoReason(err)}${err.path ? `: ${err.path}` : ''}`];
  }
  return [EXIT_STATUS.INTERNAL, `INTERNAL: ${err?.message ?? String(e)}`];
}

/** An errno error on the output side: IO (exit 5), naming the output. */
function outputError(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof FlowzipError || typeof err?.code !== 'string') return e;
  const reason = err.code === 'ENOENT' ? 'its folder does not exist' : errnoReason(err);
  return new FlowzipError('IO', `cannot write ${path}: ${reason}`);
}

let exitStatus = 0;
function report(file: string, e: unknown, bar?: ProgressBar): void {
  bar?.clear();
  const [status, message] = describe(e);
  process.stderr.write(`flowzip: ${file}: ${message}\n`);
  if (exitStatus === 0) exitStatus = status;
}

/** The original's modification time and permissions carried over (as gzip and zstd do). */
function copyTimesAndMode(from: string, to: string): void {
  try {
    const st = statSync(from);
    utimesSync(to, st.atime, st.mtime);
    chmodSync(to, st.mode & 0o7777);
  } catch {
    /* metadata is best effort: the data is written */
  }
}

/** Write atomically: temp file in the target folder, then rename. Refuses to overwrite without -f. */
function writeOutput(path: string, data: Uint8Array, force: boolean, inputs: string[]): void {
  if (existsSync(path)) {
    const real = realpathSync(path);
    if (inputs.some((i) => i !== '-' && existsSync(i) && realpathSync(i) === real))
      throw new FlowzipError('USAGE', `refusing to overwrite the input ${path}`);
    if (!force) throw new FlowzipError('IO', `${path} already exists (use -f to overwrite it, or -o to write elsewhere)`);
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
    throw outputError(e, path);
  }
}

async function writeStdout(data: Uint8Array): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
  } catch (e) {
    throw new FlowzipError('IO', `cannot write to standard output: ${errnoReason(e as NodeJS.ErrnoException)}`);
  }
}

/** -o DIR/ (a trailing slash) names a directory, created when missing. */
function isDirectoryOutput(output: string): boolean {
  return /[\\/]$/.test(output) || (existsSync(output) && statSync(output).isDirectory());
}

function outputFor(file: string, opts: CommonOptions, count: number, derive: () => string): string | undefined {
  if (opts.stdout || (file === '-' && !opts.output)) return undefined;
  if (opts.output) {
    if (isDirectoryOutput(opts.output)) {
      try {
        mkdirSync(opts.output, { recursive: true });
      } catch (e) {
        throw outputError(e, opts.output);
      }
      return join(opts.output, basename(derive()));
    }
    if (count > 1) throw new FlowzipError('USAGE', '-o with several inputs must name a directory (end it with / to create it)');
    return opts.output;
  }
  return derive();
}

/** --rm: the input goes once its output is safely written; never with -c (as gzip and zstd). */
function removeInput(file: string, opts: CommonOptions): void {
  if (opts.rm && !opts.keep && !opts.stdout && file !== '-') unlinkSync(file);
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
    options: op === 'compress' ? { model: opts.model, kind: opts.kind, name: basename(file), backend, maxPixels: opts.maxPixels, effort: opts.effort } : { model: opts.model, backend, ...limits(opts) },
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
      copyTimesAndMode(file, target);
      if (opts.verbose) say(op === 'compress' ? compressedLine(file, statSync(file).size, result.bytes.length) : `${file}: restored ${target}`, bar);
      removeInput(file, opts);
    } catch (e) {
      report(file, e, bar);
    }
    bar.update(index, 1, file);
  });
  bar.clear();
  return true;
}


/** Files named on the command line, directories walked (sorted), as archive members named by relative path. */
function archiveInputs(paths: string[]): ArchiveInput[] {
  const inputs: ArchiveInput[] = [];
  const add = (name: string, path: string) => {
    const st = statSync(path);
    inputs.push({ name, bytes: readInput(path), mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o7777 });
  };
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile()) add(`${prefix}${entry.name}`, path);
      // Not followed or read, but said: an archive never silently leaves something out.
      else process.stderr.write(`flowzip: ${path}: skipped (${entry.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'})\n`);
    }
  };
  for (const p of paths) {
    if (p === '-') throw new FlowzipError('USAGE', 'an archive cannot read standard input');
    if (statSync(p).isDirectory()) walk(p, '');
    else add(basename(p), p);
  }
  if (inputs.length === 0) throw new FlowzipError('BAD_INPUT', 'no files to archive');
  return inputs;
}

/** Archive mode: --archive, a directory among the inputs, or several inputs with -o naming a file. */
function wantsArchive(files: string[], opts: CommonOptions): boolean {
  if (opts.archive) return true;
  if (files.some((f) => f !== '-' && existsSync(f) && statSync(f).isDirectory())) return true;
  return files.length > 1 && opts.output !== undefined && !isDirectoryOutput(opts.output);
}

async function runCompressArchive(files: string[], opts: CommonOptions): Promise<void> {
  const dirs = files.filter((f) => f !== '-' && existsSync(f) && statSync(f).isDirectory());
  const target = opts.stdout
    ? undefined
    : (opts.output ?? (files.length === 1 && dirs.length === 1 ? `${resolve(files[0])}.flz` : undefined));
  if (!opts.stdout && target === undefined) throw new FlowzipError('USAGE', 'name the archive with -o FILE.flz');
  const inputs = archiveInputs(files);
  const bar = new ProgressBar(1, !!opts.quiet);
  const { bytes } = await compressArchive(inputs, { model: opts.model, effort: opts.effort, progress: (f) => bar.update(0, f, target ?? 'archive') });
  bar.clear();
  if (target === undefined) await writeStdout(bytes);
  else writeOutput(target, bytes, !!opts.force, files);
  if (opts.rm && !opts.keep) for (const f of files) if (!dirs.includes(f)) unlinkSync(f);
}

function isArchiveFile(file: string): boolean {
  if (file === '-' || !existsSync(file) || statSync(file).isDirectory()) return false;
  // Only the header's first bytes (magic, version, header length, kind): the file is read once, later.
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return peekKind(head.subarray(0, read)) === 'archive';
}

/**
 * Where each member is restored, relative to the folder: its name, or for images coded from samples
 * (restored as PNG) its name + .png unless it ends so already or that name is another member's.
 * Distinct members never share a target (CORRUPT before anything is written).
 */
function memberTargets(members: { name: string; kind: string; method: string }[]): string[] {
  const names = new Set(members.map((m) => m.name));
  const targets = members.map((m) =>
    m.kind === 'image' && m.method !== 'original' && !m.name.toLowerCase().endsWith('.png') && !names.has(`${m.name}.png`) ? `${m.name}.png` : m.name,
  );
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t)) throw new FlowzipError('CORRUPT', `two archive members would both be restored as ${t}`);
    seen.add(t);
  }
  return targets;
}

/** Refuse to write through a symbolic link (or a non-folder) anywhere between the folder and the file. */
function checkNoLinks(dir: string, target: string): void {
  let path = dir;
  for (const part of target.split('/').slice(0, -1)) {
    path = join(path, part);
    if (!existsSync(path)) return;
    const st = lstatSync(path);
    if (st.isSymbolicLink()) throw new FlowzipError('IO', `refusing to extract through the symbolic link ${path}`);
    if (!st.isDirectory()) throw new FlowzipError('IO', `cannot extract into ${path}: not a directory`);
  }
  const file = join(dir, target);
  if (existsSync(file) && lstatSync(file).isSymbolicLink()) throw new FlowzipError('IO', `refusing to replace the symbolic link ${file}`);
}

async function runDecompressArchive(file: string, opts: CommonOptions): Promise<void> {
  const bar = new ProgressBar(1, !!opts.quiet);
  const { members } = await decompressArchive(readInput(file), { model: opts.model, ...limits(opts), progress: (f) => bar.update(0, f, file) });
  bar.clear();
  if (opts.stdout) throw new FlowzipError('USAGE', `${file} is an archive: extract it with -o DIR`);
  const dir = opts.output ?? (file.endsWith('.flz') ? file.slice(0, -4) : `${file}.d`);
  const targets = memberTargets(members);
  // Everything is decoded and checked before the first file is written; nothing is overwritten without -f,
  // and no member is written through a symbolic link.
  for (const t of targets) {
    checkNoLinks(dir, t);
    if (!opts.force && existsSync(join(dir, t))) throw new FlowzipError('IO', `${join(dir, t)} already exists (use -f to overwrite it, or -o to extract elsewhere)`);
  }
  // All members go to a temporary folder inside the destination first, then move into place: a failure
  // leaves nothing behind.
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw outputError(e, dir);
  }
  const staging = mkdtempSync(join(dir, '.flowzip-'));
  try {
    members.forEach((m, i) => {
      const staged = join(staging, String(i));
      writeFileSync(staged, m.data, { flag: 'wx' });
      if (m.mode !== undefined) chmodSync(staged, m.mode);
      if (m.mtimeMs !== undefined) utimesSync(staged, new Date(m.mtimeMs), new Date(m.mtimeMs));
    });
    targets.forEach((name, i) => {
      const target = join(dir, name);
      mkdirSync(dirname(target), { recursive: true });
      renameSync(join(staging, String(i)), target);
      if (opts.verbose) say(`${file}: restored ${target}`);
    });
  } catch (e) {
    throw outputError(e, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function printArchiveReport(r: ArchiveReport, label: string, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ file: label, ...r }) + '\n');
    return;
  }
  for (const m of r.members)
    process.stdout.write(
      `  ${m.name}: ${m.kind}, ${m.method}, ${m.dims} dims, net ${(m.netBits / Math.max(1, m.dims)).toFixed(4)} bits/dim` +
        `${m.floatBits !== undefined ? `, bound ${(m.floatBits / Math.max(1, m.dims)).toFixed(4)}` : ''}` +
        `${m.initialBits > 0 ? `, initial bits ${m.initialBits}` : ''}\n`,
    );
  process.stdout.write(
    `${label}: archive of ${r.members.length} files (model ${r.model}), ${r.dims} dims, ${r.fileBytes} bytes = ` +
      `${r.bitsPerDim.toFixed(4)} bits/dim; net ${r.netBitsPerDim.toFixed(4)} bits/dim + initial bits ${r.initialBits} (one-time)\n`,
  );
}

async function runCompress(files: string[], opts: CommonOptions): Promise<void> {
  if (opts.threads !== undefined) setTileThreads(opts.threads);
  if (wantsArchive(files, opts)) {
    if (opts.stdout && process.stdout.isTTY) throw new FlowzipError('USAGE', 'refusing to write compressed data to a terminal (use -o FILE or a pipe)');
    try {
      await runCompressArchive(files, opts);
    } catch (e) {
      report(opts.output ?? files.join(' '), e);
    }
    return;
  }
  if ((opts.stdout || (files.includes('-') && !opts.output)) && process.stdout.isTTY)
    throw new FlowzipError('USAGE', 'refusing to write compressed data to a terminal (use -o FILE or a pipe)');
  files = files.filter((file) => checkCompressible(file, opts));
  if (await runParallel('compress', files, opts)) return;
  // Files one by one, each image's bands on -T threads: the workers start while the first file is read.
  startPartWorkers();
  const bar = new ProgressBar(files.map(sizeOf), !!opts.quiet);
  for (const [index, file] of files.entries()) {
    try {
      const input = readInput(file);
      const target = outputFor(file, opts, files.length, () => `${file}.flz`);
      const bytes = await compress(input, {
        model: opts.model,
        kind: opts.kind,
        name: file === '-' ? undefined : basename(file),
        maxPixels: opts.maxPixels,
        effort: opts.effort,
        progress: (f) => bar.update(index, f, file),
      });
      bar.update(index, 1, file);
      if (target === undefined) await writeStdout(bytes);
      else {
        writeOutput(target, bytes, !!opts.force, files);
        if (file !== '-') copyTimesAndMode(file, target);
      }
      if (opts.verbose) say(compressedLine(file, input.length, bytes.length), bar);
      removeInput(file, opts);
    } catch (e) {
      report(file, e, bar);
    }
  }
  bar.clear();
}

/** gzip's rule: a .flz is not compressed again (without -f); says so and skips it. */
function checkCompressible(file: string, opts: CommonOptions): boolean {
  if (!file.toLowerCase().endsWith('.flz') || opts.force) return true;
  report(file, new FlowzipError('USAGE', `${file} already has the .flz suffix -- unchanged (-f compresses it anyway)`));
  return false;
}

function sizeOf(file: string): number {
  try {
    return file === '-' ? 0 : statSync(file).size;
  } catch {
    return 0;
  }
}

/** A message line on stderr (verbose reports), clear of the progress bar. */
function say(line: string, bar?: ProgressBar): void {
  bar?.clear();
  process.stderr.write(`${line}\n`);
}

function compressedLine(file: string, before: number, after: number): string {
  return `${file}: ${before} -> ${after} bytes (${before > 0 ? ((100 * after) / before).toFixed(1) : '-'}%)`;
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
  const archives = files.filter(isArchiveFile);
  for (const file of archives) {
    try {
      await runDecompressArchive(file, opts);
      removeInput(file, opts);
    } catch (e) {
      report(file, e);
    }
  }
  files = files.filter((f) => !archives.includes(f));
  if (files.length === 0) return;
  if (await runParallel('decompress', files, opts)) return;
  startPartWorkers();
  const bar = new ProgressBar(files.map(sizeOf), !!opts.quiet);
  for (const [index, file] of files.entries()) {
    try {
      const input = readInput(file);
      // Several containers back to back (compress -c a b > ab.flz) restore to their data back to back, as zstd frames do.
      const parts = splitContainers(input);
      const results: Awaited<ReturnType<typeof decompress>>[] = [];
      for (const [i, part] of parts.entries())
        results.push(await decompress(part, { model: opts.model, ...limits(opts), progress: (f) => bar.update(index, (i + f) / parts.length, file) }));
      bar.update(index, 1, file);
      const data = results.length === 1 ? results[0].data : Buffer.concat(results.map((r) => r.data));
      const target = outputFor(file, opts, files.length, () => restoredName(file, results[0].kind, results.length === 1 ? results[0].format : undefined));
      if (target === undefined) await writeStdout(data);
      else {
        writeOutput(target, data, !!opts.force, files);
        if (file !== '-') copyTimesAndMode(file, target);
      }
      if (opts.verbose) say(`${file}: restored ${target ?? 'standard output'}${parts.length > 1 ? ` (${parts.length} files back to back)` : ''}`, bar);
      removeInput(file, opts);
    } catch (e) {
      report(file, e, bar);
    }
  }
  bar.clear();
}

async function runVerify(files: string[], opts: CommonOptions): Promise<void> {
  if (opts.archive) {
    try {
      const bar = new ProgressBar(1, !!opts.quiet || !!opts.json);
      const r = await verifyArchive(archiveInputs(files), { model: opts.model, effort: opts.effort, progress: (f) => bar.update(0, f, 'archive') });
      bar.clear();
      printArchiveReport(r, 'archive', !!opts.json);
    } catch (e) {
      report(files.join(' '), e);
    }
    return;
  }
  const bar = new ProgressBar(files.map(sizeOf), !!opts.quiet || !!opts.json);
  for (const [index, file] of files.entries()) {
    try {
      const input = readInput(file);
      if (hasFlzMagic(input)) {
        // A .flz is verified as what it is: decoded and checked, as --test does.
        bar.clear();
        printListing(file, await testFlz(input, { model: opts.model, ...limits(opts) }), opts, 'OK');
        continue;
      }
      const r = await verify(input, { model: opts.model, kind: opts.kind, file, name: basename(file), heatmap: !!opts.heatmap, maxPixels: opts.maxPixels, effort: opts.effort, progress: (f) => bar.update(index, f, file) });
      if (opts.heatmap && r.heatmap) {
        const path = files.length > 1 ? opts.heatmap.replace(/(\.png)?$/i, `-${basename(file)}.png`) : opts.heatmap;
        writeOutput(path, await renderHeatmap(r.heatmap.bits, r.heatmap.width, r.heatmap.height), !!opts.force, files);
      }
      bar.clear();
      if (opts.json) {
        const { file: f, kind, model, method, dims, modelBits, codedBits, fileBytes, bitsPerDim, overheadPct, floatBits, initialBits, details, note } = r;
        process.stdout.write(JSON.stringify({ file: f, kind, model, method, dims, floatBits, modelBits, initialBits, ...details, codedBits, fileBytes, bitsPerDim, overheadPct, note }) + '\n');
      } else {
        process.stdout.write(
          `${file}: ${r.kind}, ${r.dims} dims, model ${r.model}: ${r.floatBits !== undefined ? `float model ${r.floatBits.toFixed(1)} bits, ` : ''}` +
            `integer model ${r.modelBits.toFixed(1)} bits, ${r.initialBits !== undefined ? `initial bits ${r.initialBits} (one-time, borrowed), ` : ''}` +
            `${r.details?.flowTiles !== undefined ? `tiles ${r.details.flowTiles} flow + ${r.details.bootstrapTiles} bootstrap (baseline, instead of borrowing), ` : ''}` +
            `${r.details?.stripRows !== undefined ? `${r.details.stripRows} rows by ${r.details.stripCoder} (${r.details.stripBits} of those bits, outside the flow's likelihood), ` : ''}` +
            `${r.details?.levels !== undefined ? `levels packed (${r.details.levels} in use; their bitmaps in those bits), ` : ''}coded ${r.codedBits} bits ` +
            `(overhead ${r.overheadPct.toFixed(3)}%), round trip exact; the file is ${r.fileBytes} bytes = ${r.bitsPerDim.toFixed(4)} bits/dim, ` +
            `method ${r.method}${r.note ? ` (${r.note})` : ''}\n`,
        );
      }
    } catch (e) {
      report(file, e, bar);
    }
  }
  bar.clear();
}

/** --list and --test: one line per container (archives: and per member), or JSON. */
function printListing(file: string, listing: Listing[], opts: CommonOptions, verdict?: string): void {
  for (const l of listing) {
    if (opts.json) {
      process.stdout.write(JSON.stringify({ file, ...(verdict ? { test: verdict } : {}), ...l }) + '\n');
      continue;
    }
    const what = l.kind === 'archive' ? `archive of ${l.members!.length} files` : `${l.kind}${l.name ? ` ${l.name}` : ''}`;
    process.stdout.write(
      `${file}: ${verdict ? `${verdict}, ` : ''}${what}, ${l.rawBytes} -> ${l.fileBytes} bytes (${(100 * l.ratio).toFixed(1)}%), ` +
        `${l.bitsPerDim.toFixed(4)} bits/dim, ${l.method === 'model' ? `model ${l.model}` : l.method}` +
        `${l.restores === 'pixels' ? ', images restore pixel-exact as PNG' : ''}${l.note ? ` (${l.note})` : ''}\n`,
    );
    for (const m of l.members ?? [])
      process.stdout.write(`  ${m.name}: ${m.kind}, ${m.rawBytes} bytes, ${m.method}, net ${(m.netBits / Math.max(1, m.dims)).toFixed(4)} bits/dim\n`);
  }
}

async function runTestOrList(files: string[], opts: CommonOptions, test: boolean): Promise<void> {
  for (const file of files) {
    try {
      const input = readInput(file);
      printListing(file, test ? await testFlz(input, { model: opts.model, ...limits(opts) }) : listFlz(input), opts, test ? 'OK' : undefined);
    } catch (e) {
      report(file, e);
    }
  }
}

function runInfo(files: string[], opts: CommonOptions): void {
  for (const file of files) {
    try {
      for (const bytes of splitContainers(readInput(file))) describeContainer(file, bytes, opts);
    } catch (e) {
      report(file, e);
    }
  }
}

function describeContainer(file: string, bytes: Uint8Array, opts: CommonOptions): void {
  const c = readContainer(bytes, { deferPayloadCrc: true });
  // Checks the payload checksum and, for archives, every member field before anything is shown.
  listFlz(bytes);
  if (c.kind === 'archive') {
    const members = c.meta.members as Record<string, unknown>[];
    if (opts.json) process.stdout.write(JSON.stringify({ file, kind: c.kind, model: c.modelId, fileBytes: bytes.length, initialBits: c.meta.initialBits, members }) + '\n');
    else {
      process.stdout.write(`${file}: archive of ${members.length} files (model ${c.modelId}), ${bytes.length} bytes, initial bits ${String(c.meta.initialBits)} (one-time)\n`);
      for (const m of members) {
        const dims = (m.shape as number[]).reduce((a, b) => a * b, 1);
        const net = (m.codedBits as number) - (m.initialBits as number);
        process.stdout.write(`  ${String(m.name)}: ${String(m.kind)} ${String(m.dtype)} ${(m.shape as number[]).join('x')}, ${String(m.method)}, net ${(net / Math.max(1, dims)).toFixed(4)} bits/dim\n`);
      }
    }
    return;
  }
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
}

/** --max-output: bytes, with an optional K, M, G or T suffix (powers of 1024). */
function byteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m) throw new FlowzipError('USAGE', `--max-output takes a size such as 512M or 16G, not '${value}'`);
  return Math.floor(Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' '));
}

function positiveCount(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new FlowzipError('USAGE', `${flag} takes a positive whole number, not '${value}'`);
    return n;
  };
}

/** -T: a positive whole number of threads. */
function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new FlowzipError('USAGE', `-T takes a number of threads from 1 to 1024, not '${value}'`);
  return n;
}

/** -e: how hard to work, 1 to MAX_EFFORT. */
function effortLevel(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_EFFORT) throw new FlowzipError('USAGE', `-e takes an effort from 1 to ${MAX_EFFORT}, not '${value}'`);
  return n;
}

/** zstd/gzip habits: -1 .. -19 are compression levels there; flowzip's is -e (effort). */
function noLevels(files: string[]): string[] {
  const level = files.find((f) => /^-\d+$/.test(f));
  if (level) throw new FlowzipError('USAGE', `${level}: flowzip's levels are -e 1 to -e ${MAX_EFFORT} (effort; see flowzip compress --help)`);
  return files;
}

const effortOption = () => new Option('-e, --effort <n>', `how hard to work, 1 (default) to ${MAX_EFFORT}: 2 codes photos 3-4% smaller at ~3x the time, 3 1-2% smaller again at ~7x, both ways`).argParser(effortLevel);

const kindOption = () =>
  new Option('--kind <kind>', 'read the input as').choices(['auto', 'image', 'array', 'bytes']).default('auto');

const program = new Command();

function main(argv: string[]): Promise<void> {
  // gzip/zstd-style shorthands: `flowzip -d f.flz`, `-t` (test), `-l` (list).
  const args = argv.slice(2);
  const shorthand: Record<string, string> = { '-d': 'decompress', '--decompress': 'decompress', '-t': 'test', '--test': 'test', '-l': 'list', '--list': 'list' };
  if (args[0] in shorthand) args[0] = shorthand[args[0]];

  program
    .name('flowzip')
    .description('Lossless compression with learned flow models: -log2 p(x) becomes a file size.')
    .version(VERSION)
    .option('--backend <name>', 'tfjs backend: cpu, wasm or node (default: fastest available; also FLOWZIP_BACKEND)')
    .hook('preAction', async (cmd) => {
      // Only a preference: tfjs loads when a model that runs nets on it is used.
      preferBackend(cmd.opts().backend as BackendName | undefined);
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
      .option('-v, --verbose', 'a line per file: sizes and ratio, or where it was restored')
      .option('-T, --threads <n>', 'worker threads: for several files, or for the bands and tiles of one large image (default: cores)', threadCount)
      .option('--max-pixels <n>', 'images with more pixels: coded as bytes (compress), refused (decompress); default 268M', positiveCount('--max-pixels'));

  withIo(program.command('compress').description('compress files to <file>.flz ("-" reads stdin)'))
    .argument('<files...>')
    .option('-m, --model <name>', 'model to use (see `flowzip models`)')
    .addOption(kindOption())
    .addOption(effortOption())
    .option('-a, --archive', 'one archive of all inputs (also: a directory input, or several inputs with -o FILE)')
    .action((files: string[], opts: CommonOptions) => runCompress(noLevels(files), opts));

  withIo(program.command('decompress').alias('d').description('restore files from .flz'))
    .argument('<files...>')
    .option('-m, --model <dir>', 'model directory, for files made with --model DIR')
    .option('--max-output <size>', 'refuse files that would restore to more (e.g. 512M, 16G; default 4G)', byteSize)
    .action((files: string[], opts: CommonOptions) => runDecompress(noLevels(files), opts));

  program
    .command('test')
    .description('decode .flz files and check everything (checksums, every archive member); writes nothing (also: flowzip -t)')
    .argument('<files...>')
    .option('-m, --model <dir>', 'model directory, for files made with --model DIR')
    .option('--json', 'one JSON object per file (and per container)')
    .option('--max-output <size>', 'refuse files that would restore to more (default 4G)', byteSize)
    .option('--max-pixels <n>', 'refuse images with more pixels (default 268M)', positiveCount('--max-pixels'))
    .action((files: string[], opts: CommonOptions) => runTestOrList(files, opts, true));

  program
    .command('list')
    .description('what .flz files hold, from their headers: sizes, ratio, bits/dim, model, method (also: flowzip -l)')
    .argument('<files...>')
    .option('--json', 'one JSON object per file (and per container)')
    .action((files: string[], opts: CommonOptions) => runTestOrList(files, opts, false));

  program
    .command('verify')
    .description("round-trip files and report the model's -log2 p(x) against the real coded size")
    .argument('<files...>')
    .option('-m, --model <name>', 'model to use')
    .addOption(kindOption())
    .option('--json', 'one JSON object per input')
    .addOption(effortOption())
    .option('--heatmap <png>', 'write a bits-per-pixel heatmap (several inputs: <png>-<file>.png)')
    .option('-f, --force', 'overwrite an existing heatmap file')
    .option('-a, --archive', 'verify one archive of all inputs (directories walked): net and initial bits')
    .option('-q, --quiet', 'no progress bar')
    .action((files: string[], opts: CommonOptions) => runVerify(files, opts));

  program
    .command('info')
    .description('describe .flz files (checks their checksums)')
    .argument('<files...>')
    .option('--json', 'one JSON object per file')
    .action((files: string[], opts: CommonOptions) => runInfo(files, opts));

  // Every trainable kind's flags, declared once each; a flag says which kinds take it.
  const trainable = MODEL_KINDS.filter((k) => k.trainer);
  const trainFlags = new Map<string, { kinds: string[]; byDescription: Map<string, string[]> }>();
  for (const kind of trainable)
    for (const flag of kind.trainer!.flags) {
      const entry = trainFlags.get(flag.flags) ?? { kinds: [], byDescription: new Map<string, string[]>() };
      entry.kinds.push(kind.id);
      entry.byDescription.set(flag.description, [...(entry.byDescription.get(flag.description) ?? []), kind.id]);
      trainFlags.set(flag.flags, entry);
    }
  const trainCommand = program
    .command('train')
    .description(
      'train a model on images and export it to --out; kinds:\n' + trainable.map((k) => `  ${k.id}: ${k.trainer!.summary}`).join('\n'),
    )
    .requiredOption('--data <paths...>', 'training images: directories or files')
    .requiredOption('--out <dir>', 'model directory: train.log, model.json (+ weights, checkpoints)')
    .addOption(new Option('--kind <kind>', 'which model to train').choices(trainable.map((k) => k.id)).default('ar'))
    .option('-q, --quiet', 'no progress bar');
  for (const [flags, { kinds, byDescription }] of trainFlags) {
    const text = byDescription.size === 1 ? [...byDescription.keys()][0] : [...byDescription].map(([d, ks]) => `${ks.join(', ')}: ${d}`).join('; ');
    trainCommand.option(flags, `[${kinds.join(', ')}] ${text}`);
  }
  trainCommand.action(async (opts: Record<string, unknown> & { data: string[]; out: string; kind: string; quiet?: boolean }, command: Command) => {
    const kind = trainable.find((k) => k.id === opts.kind)!;
    const options: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(opts)) {
      if (['data', 'out', 'kind', 'quiet'].includes(name) || command.getOptionValueSource(name) !== 'cli') continue;
      const flag = kind.trainer!.flags.find((f) => command.options.find((o) => o.flags === f.flags)?.attributeName() === name);
      if (!flag) {
        const takers = [...trainFlags].find(([flags]) => command.options.find((o) => o.flags === flags)?.attributeName() === name)?.[1].kinds ?? [];
        throw new FlowzipError('USAGE', `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --kind ${takers.join(' or ')}, not ${kind.id}`);
      }
      options[name] = flag.parse ? flag.parse(value as string) : value;
    }
    const bar = new ProgressBar(1, !!opts.quiet);
    const { trainKind } = await import('../src/train.js');
    const summary = await trainKind(kind.id, {
      ...options,
      data: opts.data,
      out: opts.out,
      onProgress: (f, step) => bar.update(0, f, `step ${step}`),
      onLog: (r) => {
        if (r.event !== undefined || !process.stderr.isTTY) {
          bar.clear();
          process.stderr.write(JSON.stringify(r) + '\n');
        }
      },
    });
    bar.clear();
    const bits = (v: number | undefined) => (v === undefined ? 'not measured' : `${v.toFixed(4)} bits/dim`);
    process.stderr.write(
      `trained ${kind.id} in ${summary.out}: ${bits(summary.heldOutBitsPerDim)} on ${summary.measuredOn}` +
        `${summary.shippedBitsPerDim !== undefined ? `; the shipped ${kind.id} model: ${bits(summary.shippedBitsPerDim)} on the same images` : ''}\n` +
        `use it: flowzip compress --model ${summary.out} FILE   (and decompress --model ${summary.out} FILE.flz)\n`,
    );
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
// A closed pipe or a full disk on standard output is an I/O error (exit 5), not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // A reader that stopped early (`| head`) is no news to the user; anything else is said.
  if (e.code !== 'EPIPE') process.stderr.write(`flowzip: IO: cannot write to standard output: ${errnoReason(e)}\n`);
  process.exit(EXIT_STATUS.IO);
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
