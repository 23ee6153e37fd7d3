/** The bench harness runs end to end on a tiny dataset and writes its JSON and SVG (no timing asserted). */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers.js';

const BENCH = fileURLToPath(new URL('../dist/bench/bench.js', import.meta.url));

describe('npm run bench', () => {
  it('measures flowzip and the peers on the same files, round trips exact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-bench-test-'));
    const data = join(dir, 'tiny');
    mkdirSync(data);
    for (const f of ['photo-rgb.png', 'grey-67x53.png']) copyFileSync(FIXTURES + f, join(data, f));
    const arrays = join(dir, 'arrays');
    mkdirSync(arrays);
    for (const f of ['depth-uint16.npy', 'ecg-uint16.npy', 'float32.npy']) copyFileSync(FIXTURES + f, join(arrays, f));
    const browser = join(dir, 'browser');
    mkdirSync(browser);
    for (const f of ['photo-rgb.png', 'ecg-uint16.npy']) copyFileSync(FIXTURES + f, join(browser, f));
    const r = spawnSync(process.execPath, [BENCH, '--quick', '--models', 'baseline', '--data', data, '--arrays', arrays, '--browser', browser, '--json', join(dir, 'b.json'), '--plot', join(dir, 'b.svg')], { timeout: 120_000 });
    expect(r.status, r.stderr.toString()).toBe(0);
    const out = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
    expect(out.browser[0].files.map((f: { file: string; exact: boolean }) => [f.file, f.exact])).toEqual([['ecg-uint16.npy', true], ['photo-rgb.png', true]]);
    expect(out.rans.map((x: { precision: number }) => x.precision)).toEqual([12, 16, 24]);
    const flowzip = out.results.find((x: { codec: string }) => x.codec === 'flowzip:baseline');
    expect(flowzip.roundTripExact).toBe(true);
    expect(flowzip.files).toBe(2);
    expect(out.results.some((x: { codec: string }) => x.codec.startsWith('png'))).toBe(true);
    expect(readFileSync(join(dir, 'b.svg'), 'utf8')).toMatch(/^<svg/);
    expect(r.stdout.toString()).toMatch(/\| dataset \| codec \|/);
    // The arrays section: every file decoded byte-exact, pooled per kind, throughput rows.
    const [bench] = out.arrays;
    expect(bench.files.map((f: { file: string }) => f.file)).toEqual(['depth-uint16.npy', 'ecg-uint16.npy', 'float32.npy']);
    expect(bench.files.every((f: { exact: boolean }) => f.exact)).toBe(true);
    expect(bench.kinds.length).toBeGreaterThan(0);
    expect(bench.throughput.some((t: { codec: string }) => t.codec === 'flowzip (default)')).toBe(true);
    expect(r.stdout.toString()).toMatch(/## Arrays \(arrays\)/);
  }, 120_000);
});
