/**
 * TensorFlow.js backend selection, for the kinds whose integer nets run on tfjs (idf, fixedpoint) and
 * for training. `--backend cpu|wasm|node` or FLOWZIP_BACKEND; the default is the fastest available:
 * tfjs-node (or -gpu) when the user has installed it (an optional peer that cannot be installed
 * everywhere), else wasm. Integer models decode identically on all of them. tfjs itself loads on first
 * use, so decoders that need no nets never load it.
 */
import { fail } from '../../codec/index.js';

export type BackendName = 'cpu' | 'wasm' | 'node';

let requested: BackendName | undefined;
let chosen: Promise<BackendName> | undefined;

async function tryNode(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      return true;
    } catch {
      /* not installed */
    }
  }
  return false;
}

function checkName(name: string | undefined): BackendName | undefined {
  if (name !== undefined && !['cpu', 'wasm', 'node'].includes(name)) fail('USAGE', `unknown backend '${name}' (cpu, wasm, node)`);
  return name as BackendName | undefined;
}

async function activate(want: BackendName | undefined): Promise<BackendName> {
  const tf = await import('@tensorflow/tfjs');
  tf.env().set('PROD', true); // no debug checks, and no console advice about tfjs-node
  if (want === 'node' || want === undefined) {
    if (await tryNode()) {
      await tf.setBackend('tensorflow');
      return 'node';
    }
    if (want === 'node') fail('USAGE', 'backend node needs @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node)');
  }
  if (want === 'cpu') {
    await tf.setBackend('cpu');
    return 'cpu';
  }
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  return 'wasm';
}

/**
 * Say which backend to use when one is first needed (the CLI's --backend): loads nothing. A name
 * given after a backend was activated has no effect.
 */
export function preferBackend(name?: string): void {
  requested = checkName(name);
}

/** Activate a backend once per process (the first call decides; tfjs loads now). Returns its name. */
export function useBackend(name?: BackendName): Promise<BackendName> {
  if (!chosen) chosen = activate(checkName(name ?? requested ?? process.env.FLOWZIP_BACKEND));
  return chosen;
}

/** The backend in use, once one has been activated (for worker threads: they use the same). */
export function currentBackend(): Promise<BackendName | undefined> {
  return chosen ?? Promise.resolve(undefined);
}
