/**
 * A short fuzzing run (test/fuzz/fuzz.ts) on every CI run: thousands of hostile and corrupted files, each
 * refused with a documented code or decoded to exactly its seed's data, none over its time or memory
 * limit. Long runs: `npm run fuzz -- --cases 100000` (README).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('fuzzing the decoder', () => {
  it('3000 structure-aware and raw mutations of every golden file: no finding', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'flowzip-fuzz-')), 'report.json');
    const fuzz = fileURLToPath(new URL('../dist/test/fuzz/fuzz.js', import.meta.url));
    const r = spawnSync(process.execPath, [fuzz, '--cases', '3000', '--seed', '11', '--no-save', '--json', json], { encoding: 'utf8', timeout: 300_000 });
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.findings, r.stderr).toEqual([]);
    expect(report).toMatchObject({ cases: 3000, undocumented: 0, overTime: 0, overMemory: 0, silentlyDifferent: 0 });
    expect(report.refused).toBeGreaterThan(1000);
    expect(r.status).toBe(0);
  }, 300_000);
});
