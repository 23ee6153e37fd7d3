/**
 * Determinism across tfjs backends, in separate processes: each model writes the same bytes under cpu
 * and wasm, and each decodes the other's files to the same output (the ar coder uses no backend at all).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli/flowzip.js', import.meta.url));
const shipped = (model: string, dir: string) => existsSync(fileURLToPath(new URL(`../models/${model}/${dir}/model.json`, import.meta.url)));

function run(backend: string, args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, FLOWZIP_BACKEND: backend }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r;
}

const CASES = [
  { model: 'ar', dir: 'photo', files: ['photo-rgb.png'] },
  { model: 'idf', dir: 'rgb', files: ['photo-rgb.png', 'rgb-37x29.png'] },
  { model: 'fixedpoint', dir: 'rgb', files: ['photo-300x72.png'] },
];

describe('every backend writes and reads the same bytes (separate processes)', () => {
  for (const { model, dir, files } of CASES)
    for (const name of files)
      it.skipIf(!shipped(model, dir))(`${model}, ${name}: cpu and wasm write identical files and decode each other's`, () => {
        const out = mkdtempSync(join(tmpdir(), 'flowzip-xb-'));
        const input = join(FIXTURES, name);
        for (const b of ['cpu', 'wasm']) run(b, ['compress', '-q', '--model', model, '--kind', 'image', input, '-o', join(out, `${b}.flz`)]);
        expect(readFileSync(join(out, 'cpu.flz')).equals(readFileSync(join(out, 'wasm.flz')))).toBe(true);
        run('wasm', ['decompress', '-q', join(out, 'cpu.flz'), '-o', join(out, 'from-cpu.png')]);
        run('cpu', ['decompress', '-q', join(out, 'wasm.flz'), '-o', join(out, 'from-wasm.png')]);
        expect(readFileSync(join(out, 'from-cpu.png')).equals(readFileSync(join(out, 'from-wasm.png')))).toBe(true);
      }, 120_000);
});
