/** The CLI as a user runs it: a real process, real files, exit codes and what is left on disk. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli/flowzip.js', import.meta.url));

function flowzip(args: string[], opts: { cwd?: string; input?: Uint8Array } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, input: opts.input, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

let dir: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  dir = mkdtempSync(join(tmpdir(), 'flowzip-cli-'));
  for (const f of ['photo-rgb.png', 'dem-int16.npy', 'text.txt', 'depth-grey16.png']) copyFileSync(FIXTURES + f, join(dir, f));
});

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |Error:.*\n.*node:/);

describe('flowzip CLI', () => {
  it('compress then decompress restores files, keeping inputs', () => {
    const r = flowzip(['compress', '-q', 'dem-int16.npy', 'text.txt'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'dem-int16.npy'))).toBe(true);
    const out = join(dir, 'out');
    flowzip(['compress', '-q', 'photo-rgb.png'], { cwd: dir });
    mkdirSync(out, { recursive: true });
    const d = flowzip(['decompress', '-q', '-o', out, 'dem-int16.npy.flz', 'text.txt.flz', 'photo-rgb.png.flz'], { cwd: dir });
    expect(d.status).toBe(0);
    expect(readFileSync(join(out, 'dem-int16.npy'))).toEqual(readFileSync(join(dir, 'dem-int16.npy')));
    expect(readFileSync(join(out, 'text.txt'))).toEqual(readFileSync(join(dir, 'text.txt')));
    expect(existsSync(join(out, 'photo-rgb.png'))).toBe(true);
  });

  it('--threads: several files through worker threads, same files as one thread', () => {
    const names = ['photo-rgb.png', 'dem-int16.npy', 'text.txt'];
    const one = join(dir, 't1');
    const two = join(dir, 't2');
    mkdirSync(one);
    mkdirSync(two);
    expect(flowzip(['compress', '-q', '-T', '1', '-o', one, ...names], { cwd: dir }).status).toBe(0);
    expect(flowzip(['compress', '-q', '-T', '2', '-o', two, ...names], { cwd: dir }).status).toBe(0);
    for (const n of names) expect(readFileSync(join(two, `${n}.flz`))).toEqual(readFileSync(join(one, `${n}.flz`)));
    const back = join(dir, 't3');
    mkdirSync(back);
    const d = flowzip(['decompress', '-q', '-T', '2', '-o', back, ...names.map((n) => join(two, `${n}.flz`))], { cwd: dir });
    expect(d.status).toBe(0);
    expect(readFileSync(join(back, 'text.txt'))).toEqual(readFileSync(join(dir, 'text.txt')));
    expect(readFileSync(join(back, 'dem-int16.npy'))).toEqual(readFileSync(join(dir, 'dem-int16.npy')));
    const bad = flowzip(['compress', '-q', '-T', '2', '-o', two, 'missing.txt', 'text.txt'], { cwd: dir });
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/missing.txt: BAD_INPUT/);
  });

  it('-d shorthand, -c to stdout and - for stdin', () => {
    const input = readFileSync(join(dir, 'text.txt'));
    const c = flowzip(['compress', '-'], { cwd: dir, input });
    expect(c.status).toBe(0);
    const d = flowzip(['-d', '-c', '-'], { cwd: dir, input: c.stdout });
    expect(d.status).toBe(0);
    expect(Buffer.compare(d.stdout, input)).toBe(0);
  });

  it('refuses to overwrite without -f and leaves the existing file untouched', () => {
    writeFileSync(join(dir, 'keep.txt'), 'precious');
    writeFileSync(join(dir, 'keep.txt.flz'), 'not mine');
    const r = flowzip(['compress', 'keep.txt'], { cwd: dir });
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/already exists/);
    expect(readFileSync(join(dir, 'keep.txt.flz'), 'utf8')).toBe('not mine');
    expect(flowzip(['compress', '-f', 'keep.txt'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('precious');
  });

  it('--rm removes the input only after the output is written', () => {
    writeFileSync(join(dir, 'gone.txt'), 'bye bye');
    expect(flowzip(['compress', '--rm', 'gone.txt'], { cwd: dir }).status).toBe(0);
    expect(existsSync(join(dir, 'gone.txt'))).toBe(false);
    expect(flowzip(['-d', 'gone.txt.flz'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, 'gone.txt'), 'utf8')).toBe('bye bye');
  });

  it('errors: one line, specific exit codes, no partial files', () => {
    const missing = flowzip(['compress', 'no-such-file.png'], { cwd: dir });
    expect(missing.status).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    noStack(missing.stderr);

    const flz = readFileSync(join(dir, 'dem-int16.npy.flz'));
    writeFileSync(join(dir, 'broken.npy.flz'), flz.subarray(0, flz.length - 10));
    const truncated = flowzip(['decompress', 'broken.npy.flz'], { cwd: dir });
    expect(truncated.status).toBe(4);
    expect(truncated.stderr).toMatch(/TRUNCATED/);
    expect(existsSync(join(dir, 'broken.npy'))).toBe(false);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);

    const flipped = Buffer.from(flz);
    flipped[flipped.length - 100] ^= 4;
    writeFileSync(join(dir, 'flipped.npy.flz'), flipped);
    const bad = flowzip(['decompress', 'flipped.npy.flz'], { cwd: dir });
    expect(bad.status).toBe(4);
    expect(bad.stderr).toMatch(/CHECKSUM/);
    noStack(bad.stderr);

    expect(flowzip(['decompress', 'text.txt'], { cwd: dir }).status).toBe(4);
    expect(flowzip(['compress', '--model', 'nope', 'text.txt', '-c'], { cwd: dir }).status).toBe(2);
    expect(flowzip(['compress', '--kind', 'weird', 'text.txt'], { cwd: dir }).status).toBe(2);
    expect(flowzip(['frobnicate'], { cwd: dir }).status).toBe(2);
    expect(flowzip(['compress', '--kind', 'image', 'text.txt', '-c'], { cwd: dir }).status).toBe(3);
  });

  it('one bad file does not stop the others, and the exit status reports it', () => {
    const r = flowzip(['compress', '-f', '-q', 'missing.txt', 'text.txt'], { cwd: dir });
    expect(r.status).toBe(3);
    expect(statSync(join(dir, 'text.txt.flz')).size).toBeGreaterThan(0);
  });

  it('verify --json prints exactly the documented fields', () => {
    const r = flowzip(['verify', '--json', 'photo-rgb.png', 'dem-int16.npy', 'depth-grey16.png'], { cwd: dir });
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    // floatBits: only where the model has a float counterpart (the default model's flow route: the photo).
    expect('floatBits' in lines[0]).toBe(true);
    for (const o of lines) {
      const documented = ['file', 'kind', 'model', 'method', 'dims', 'floatBits', 'modelBits', 'codedBits', 'fileBytes', 'bitsPerDim', 'overheadPct', 'note'];
      expect(Object.keys(o)).toEqual(documented.filter((k) => (k !== 'floatBits' || 'floatBits' in o) && (k !== 'note' || o.method !== 'model')));
      // The 8-bit photo stays with the default; the 2-D array and the 16-bit image go to grid (smaller).
      expect(o.model).toBe(o.file === 'photo-rgb.png' ? 'ar' : 'grid');
      // The fixed route byte and rANS head (<= 56 bits) aside, coding costs < 0.5% (see library.test.ts).
      expect(o.codedBits).toBeLessThanOrEqual(o.modelBits * 1.001 + 64);
      if (o.modelBits >= 20_000) expect(o.overheadPct).toBeLessThan(0.5);
    }
  });

  it('train (default kind ar) writes a model that compress --model DIR uses; --minutes is a usage error for it', () => {
    const out = join(dir, 'my-model');
    const data = [FIXTURES + 'photo-rgb.png', FIXTURES + 'rgb-37x29.png', FIXTURES + 'grey-67x53.png'];
    const r = flowzip(['train', '-q', '--data', ...data, '--out', out, '--steps', '5', '--samples', '500', '--hidden', '4,4']);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    expect(flowzip(['compress', '-f', '-q', '--model', out, 'photo-rgb.png', '-o', 'mine.flz'], { cwd: dir }).status).toBe(0);
    expect(flowzip(['decompress', '-f', '-q', '--model', out, 'mine.flz', '-o', 'mine.png'], { cwd: dir }).status).toBe(0);
    expect(flowzip(['train', '--data', ...data, '--out', join(dir, 'x'), '--minutes', '1']).status).toBe(2);
    expect(flowzip(['train', '--data', ...data, '--out', join(dir, 'x'), '--hidden', '4,0']).status).toBe(2);
  });

  it.skipIf(!existsSync(new URL('../models/fixedpoint/rgb/model.json', import.meta.url)))('verify --json of a bits-back model adds the float bound, initial bits and tile routes', () => {
    const r = flowzip(['verify', '--json', '--model', 'fixedpoint', FIXTURES + 'photo-300x72.png'], { cwd: dir });
    expect(r.status, r.stderr.toString()).toBe(0);
    const o = JSON.parse(r.stdout.toString());
    expect(Object.keys(o)).toEqual(['file', 'kind', 'model', 'method', 'dims', 'floatBits', 'modelBits', 'initialBits', 'flowTiles', 'bootstrapTiles', 'codedBits', 'fileBytes', 'bitsPerDim', 'overheadPct']);
    expect(o).toMatchObject({ initialBits: 0, flowTiles: 1, bootstrapTiles: 1 });
    expect(o.overheadPct).toBeLessThan(0.5);
  }, 60_000);

  it('info and models describe what is there', () => {
    const info = flowzip(['info', '--json', 'dem-int16.npy.flz'], { cwd: dir });
    expect(info.status).toBe(0);
    const o = JSON.parse(info.stdout.toString());
    expect(o.kind).toBe('array');
    expect(o.shape).toEqual([61, 89]);
    const models = flowzip(['models', '--json']);
    expect(JSON.parse(models.stdout.toString()).some((m: { isDefault: boolean }) => m.isDefault)).toBe(true);
    expect(flowzip(['--version']).status).toBe(0);
  });
});
