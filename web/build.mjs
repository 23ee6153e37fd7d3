// Builds the browser version (web/dist): esbuild bundles the page, its worker and the library module
// from the same sources as Node's build, with the browser's pieces swapped in (web/platform for the
// asset reader and the image library, web/shims for the few Node modules that decoding never really
// calls), and copies the shipped models' assets beside them. `npm run build:web`; `npm run web` serves.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const web = dirname(fileURLToPath(import.meta.url));
const root = resolve(web, '..');
const out = join(web, 'dist');

/** What the models read (models/shared/assets.ts paths), served as dist/assets/<path>: the shared tables and kernel, */
const SHARED_ASSETS = ['models/shared/baseline-tables.bin', 'models/shared/prior-tables.bin', 'models/shared/fine-prior-tables.bin', 'models/ar/dense.wasm'];
/** and each kind's shipped model directory, effort siblings and retired versions (from the built registry: `npm run build` runs tsc first). */
const MODEL_FILES = ['model.json', 'weights.bin'];
async function modelAssets() {
  const { MODEL_KINDS } = await import(pathToFileURL(join(root, 'dist/models/index.js')).href);
  const dirs = MODEL_KINDS.flatMap((k) => [k.shippedDir, ...Object.values(k.effortDirs ?? {}), ...(k.retiredDirs ?? [])]).filter((d) => d !== undefined);
  return dirs.flatMap((dir) => MODEL_FILES.map((f) => `${dir}/${f}`)).filter((p) => existsSync(join(root, p)));
}

/** Project modules replaced by browser versions (the only two that touch the platform). */
const SWAPPED = {
  [join(root, 'models/shared/assets.ts')]: join(web, 'platform/assets.ts'),
  [join(root, 'src/image.ts')]: join(web, 'platform/image.ts'),
};
const NODE_SHIMS = ['fs', 'path', 'url', 'os', 'crypto', 'zlib', 'worker_threads'];
const LEFT_OUT = ['sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-backend-wasm'];

const browserPieces = {
  name: 'flowzip-browser',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      const name = args.path.slice('node:'.length);
      if (!NODE_SHIMS.includes(name)) return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser shim` }] };
      return { path: join(web, 'shims', `${name}.ts`) };
    });
    b.onResolve({ filter: new RegExp(`^(${LEFT_OUT.map((p) => p.replace(/[/@.-]/g, '\\$&')).join('|')})$`) }, () => ({ path: join(web, 'shims/unavailable.ts') }));
    // Sources import each other as './x.js': the swap is decided on the resolved TypeScript file.
    b.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith('.') || !args.importer.startsWith(root)) return undefined;
      const ts = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.ts'));
      // Trainers (loaded by `flowzip train` only) stay out of the page.
      if (ts.includes('/train/')) return { path: join(web, 'shims/unavailable.ts') };
      if (SWAPPED[ts] && !args.importer.startsWith(join(web, 'platform'))) return { path: SWAPPED[ts] };
      return undefined;
    });
  },
};

export async function buildWeb({ minify = true } = {}) {
  rmSync(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { page: 'web/src/page.ts', worker: 'web/src/worker.ts', 'flowzip-web': 'web/src/flowzip-web.ts' },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify,
    logLevel: 'warning',
    define: { 'process.env.FLOWZIP_BACKEND': 'undefined', 'process.env.FLOWZIP_THREADS': '"1"', 'process.env.NODE_ENV': '"production"' },
    resolveExtensions: ['.ts', '.js', '.mjs'],
    plugins: [browserPieces],
  });
  for (const asset of [...SHARED_ASSETS, ...(await modelAssets())]) {
    mkdirSync(dirname(join(out, 'assets', asset)), { recursive: true });
    copyFileSync(join(root, asset), join(out, 'assets', asset));
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildWeb({ minify: !process.argv.includes('--no-minify') });
  const size = (f) => (statSync(join(out, f)).size / 1024).toFixed(0);
  process.stderr.write(`web/dist built in ${Date.now() - started} ms (worker.js ${size('worker.js')} KiB, page.js ${size('page.js')} KiB)\n`);
}
