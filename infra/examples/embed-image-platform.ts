/**
 * An app of your own that embeds shutter: one stack holding your resources and the
 * {@link ImagePlatform}, configured in code rather than through `cdk.json` context. Run it as a
 * CDK app (`npx cdk synth --app "node scripts/cdk-app.mjs infra/examples/embed-image-platform.ts"`
 * style, or from your own entry point); `test/infra/embed-example.test.ts` synthesizes it.
 *
 * @example
 * const { app } = exampleApp();
 * app.synth();
 */
import { App, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ImagePlatform, bundledCode, type LambdaCodeSource } from '../index.js';

export interface PhotoSiteProps extends StackProps {
  /** Where the Lambda bundles come from. @default `dist/lambda/` (`npm run build:lambdas`) */
  code?: LambdaCodeSource;
}

/** Your stack: your resources next to the platform, wired to each other in code. */
export class PhotoSiteStack extends Stack {
  readonly images: ImagePlatform;

  constructor(scope: Construct, id: string, props: PhotoSiteProps = {}) {
    super(scope, id, props);
    this.images = new ImagePlatform(this, 'Images', {
      code: props.code ?? bundledCode('dist/lambda'),
      // An existing bucket of yours first: URLs without a bucket read from it.
      sourceBuckets: ['my-existing-photos'],
      autoWebp: true,
      autoAvif: true,
      signature: {}, // a signing secret is created; its name is an output
      streaming: false, // no MSK: about $580/month less (docs/cost-model.md)
    });
    new CfnOutput(this, 'ImageUrl', { value: this.images.delivery.url, description: 'Base URL of on-demand images' });
  }
}

export function exampleApp(options: { code?: LambdaCodeSource; outdir?: string } = {}): { app: App; stack: PhotoSiteStack } {
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  const stack = new PhotoSiteStack(app, 'PhotoSite', options.code ? { code: options.code } : {});
  return { app, stack };
}
