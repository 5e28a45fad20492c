/**
 * The CDK constructs another app may import: the whole platform as one construct, and where its
 * Lambda code comes from. Everything else under `infra/` is how these are built. See
 * `infra/examples/embed-image-platform.ts` and docs/embedding.md.
 */
export { ImagePlatform, type ImagePlatformProps } from './image-platform.js';
export { bundledCode, stubCode, type LambdaCodeSource } from './lambda-code.js';
export { ShutterStack } from './shutter-stack.js';
