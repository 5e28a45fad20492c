/**
 * One TensorFlow.js runtime for every local model, on the WebAssembly backend: it runs on the CPU
 * with no native build and no download at install (tfjs-node's install fetches libtensorflow, which
 * cannot work offline), and its .wasm binaries ship inside `@tensorflow/tfjs-backend-wasm` itself.
 *
 * The packages are CommonJS and are required lazily, so a process that never analyses locally (a
 * Lambda using Rekognition) never loads them. nsfwjs and face-api both require `@tensorflow/tfjs`,
 * so all models share this one engine and backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfjsModule from '@tensorflow/tfjs';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';

export type Tfjs = typeof TfjsModule;

/** `require` for the CommonJS model packages, resolved from this file. */
export const requireModule = createRequire(import.meta.url);

let runtime: Promise<Tfjs> | undefined;

/** The shared tfjs engine with the wasm backend ready; loaded on first call, then reused. */
export function loadTfjs(): Promise<Tfjs> {
  runtime ??= initialise().catch((error: unknown) => {
    // A failed start (a missing package, say) is reported to this caller and retried by the next.
    runtime = undefined;
    throw error;
  });
  return runtime;
}

async function initialise(): Promise<Tfjs> {
  const tf = requireModule('@tensorflow/tfjs') as Tfjs;
  const wasm = requireModule('@tensorflow/tfjs-backend-wasm') as typeof TfjsWasm;
  // The package's own binaries, read from disk: without this the backend would fetch them from a CDN.
  const wasmDir = path.dirname(requireModule.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(wasmDir + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its WebAssembly backend.');
  await tf.ready();
  // Drops per-op debug checks (NaN scans) that cost time on every inference.
  tf.enableProdMode();
  return tf;
}

/**
 * The installed version of a package, read from its package.json (found by walking up from its
 * entry point, since packages with an `exports` map refuse `require('<name>/package.json')`).
 * Part of every analyzer's name, so cached results never outlive a model upgrade.
 */
export function packageVersion(name: string): string {
  let dir = path.dirname(requireModule.resolve(name));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === name && parsed.version) return parsed.version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
