/**
 * The package as a consumer gets it: what the tarball holds, types that check under strict tsc without
 * skipLibCheck, a library that loads no tfjs to code with the default model, a fast-starting CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('package', () => {
  it('the tarball has the license and what decoding needs, and no training checkpoints', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString()) as { files: { path: string }[] }[];
    const paths = pack.files.map((f) => f.path);
    expect(paths).toContain('LICENSE');
    for (const needed of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/train.js', 'dist/codec/index.js', 'models/ar/photo-mix/model.json', 'models/ar/photo/model.json', 'models/ar/dense.wasm', 'models/shared/baseline-tables.bin'])
      expect(paths).toContain(needed);
    expect(paths.filter((p) => p.includes('checkpoint'))).toEqual([]);
  }, 60_000);

  it("a consumer's strict tsc (no skipLibCheck) accepts flowzip and flowzip/codec", () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowzip-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'flowzip'));
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'));
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import { compress, decompress, listModels, verify, compressArchive, type CompressReport } from 'flowzip';",
        "import { Message, categorical, bitsBack } from 'flowzip/codec';",
        'export const table = categorical([1, 2, 3], 8);',
        'export const message: Message = new Message();',
        'export const codec = bitsBack;',
        'export async function roundTrip(bytes: Uint8Array): Promise<number> {',
        '  const back = await decompress(await compress(bytes));',
        '  const report: CompressReport | undefined = undefined;',
        '  void report; void verify; void compressArchive;',
        '  return back.data.length + listModels().length;',
        '}',
      ].join('\n'),
    );
    const options = { strict: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['consumer.ts'] }));
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  /** Module URLs a script resolves (test/tools/trace-imports.mjs). */
  function importsOf(script: string): string[] {
    const log = join(mkdtempSync(join(tmpdir(), 'flowzip-imports-')), 'imports.log');
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test/tools/trace-imports.mjs'), '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, FLOWZIP_IMPORT_LOG: log },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return readFileSync(log, 'utf8').split('\n');
  }

  it('import("flowzip") and coding with the default model load no tfjs; a model that runs nets on it does', () => {
    const photo = JSON.stringify(join(ROOT, 'fixtures/photo-rgb.png'));
    const withDefault = importsOf(
      `import { readFileSync } from 'node:fs'; const f = await import('flowzip'); await f.decompress(await f.compress(readFileSync(${photo})));`,
    );
    expect(withDefault.some((u) => u.includes('/dist/models/ar/model.js'))).toBe(true);
    expect(withDefault.filter((u) => u.includes('tensorflow'))).toEqual([]);
    const withIdf = importsOf(`import { readFileSync } from 'node:fs'; const f = await import('flowzip'); await f.compress(readFileSync(${photo}), { model: 'idf' });`);
    expect(withIdf.some((u) => u.includes('@tensorflow/tfjs'))).toBe(true);
  }, 120_000);
});
