/**
 * Where each Lambda's code comes from. The platform never bundles at synth time (no Docker, no
 * network): `npm run build:lambdas` (scripts/build-lambdas.mjs) writes one folder per function
 * under `dist/lambda/<name>/` — an esbuild ESM bundle `index.mjs` plus, for the functions that
 * use sharp, sharp's linux-arm64 build in `node_modules/`. Tests pass a stub source instead.
 */
import { Annotations } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Gives the code of the function called `name` (e.g. `image-handler`, `task-inspect`). */
export interface LambdaCodeSource {
  code(scope: Construct, name: string): Code;
}

/** The handler every bundle exports: `index.mjs` exporting `handler`. */
export const BUNDLE_HANDLER = 'index.handler';

/**
 * Code from the folders `npm run build:lambdas` writes. A function in `optional` whose folder is
 * missing (its source is not in this checkout yet) gets a stub that fails every invocation with
 * `NotImplementedError` and a synth warning; any other missing folder is an error, so a deploy
 * can never ship without the image handler.
 */
export function bundledCode(
  directory: string,
  options: { optional?: readonly string[] } = {},
): LambdaCodeSource {
  return {
    code(scope, name) {
      const folder = path.resolve(directory, name);
      if (existsSync(path.join(folder, 'index.mjs'))) return Code.fromAsset(folder);
      if (options.optional?.includes(name)) {
        Annotations.of(scope).addWarningV2(
          'shutter:lambda-not-built',
          `No bundle for "${name}" in ${directory}: deploying a stub that fails with NotImplementedError. Its source is not in this checkout yet.`,
        );
        return notBuiltStub(name);
      }
      throw new Error(
        `No Lambda bundle for "${name}" in ${folder}. Run \`npm run build:lambdas\` first (\`npx cdk synth\` does it for you).`,
      );
    },
  };
}

/** A stub for every function: for tests, where only the template matters. */
export function stubCode(): LambdaCodeSource {
  return { code: (_scope, name) => notBuiltStub(name) };
}

function notBuiltStub(name: string): Code {
  return Code.fromInline(
    `exports.handler = async () => { const error = new Error(${JSON.stringify(`shutter: the "${name}" function was not built`)}); error.name = 'NotImplementedError'; throw error; };`,
  );
}
