/**
 * TensorFlow.js backend selection. `--backend cpu|wasm|node` or FLOWZIP_BACKEND; the default is the
 * fastest available: tfjs-node (or -gpu) when the user has installed it (an optional peer that cannot
 * be installed everywhere), else wasm. Integer models decode identically on all of them.
 */
import * as tf from '@tensorflow/tfjs';
import { fail } from '../codec/index.js';

export type BackendName = 'cpu' | 'wasm' | 'node';

let chosen: Promise<string> | undefined;

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

async function activate(name: BackendName | undefined): Promise<string> {
  tf.env().set('PROD', true); // no debug checks, and no console advice about tfjs-node
  const want = name ?? (process.env.FLOWZIP_BACKEND as BackendName | undefined);
  if (want !== undefined && !['cpu', 'wasm', 'node'].includes(want)) fail('USAGE', `unknown backend '${want}' (cpu, wasm, node)`);
  if (want === 'node' || want === undefined) {
    if (await tryNode()) {
      await tf.setBackend('tensorflow');
      return 'tensorflow';
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

/** Activate a backend once per process (the first call decides). Returns its tfjs name. */
export function useBackend(name?: BackendName): Promise<string> {
  if (!chosen) chosen = activate(name);
  return chosen;
}

/** The active backend as a `--backend` name (for worker threads), once one has been chosen. */
export function currentBackend(): BackendName | undefined {
  const name = tf.getBackend();
  return name === 'tensorflow' ? 'node' : name === 'cpu' || name === 'wasm' ? name : undefined;
}

/** Switch backend explicitly (tests that compare backends). */
export async function switchBackend(name: BackendName): Promise<string> {
  chosen = activate(name);
  return chosen;
}
