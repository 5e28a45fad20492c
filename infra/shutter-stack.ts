/**
 * The deployable stack: the validated context settings (`platform-config.ts`) mapped onto one
 * {@link ImagePlatform}, plus the outputs an operator needs. Nothing else lives here.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import { ImagePlatform, PENDING_BUNDLES } from './image-platform.js';
import { bundledCode, type LambdaCodeSource } from './lambda-code.js';
import type { PlatformSettings } from './platform-config.js';

export interface ShutterStackProps extends StackProps {
  settings: Readonly<PlatformSettings>;
  /** @default the bundles in `settings.lambdaAssetsDir` */
  code?: LambdaCodeSource;
}

const PRICE_CLASS: Record<PlatformSettings['priceClass'], cloudfront.PriceClass> = {
  PriceClass_All: cloudfront.PriceClass.PRICE_CLASS_ALL,
  PriceClass_200: cloudfront.PriceClass.PRICE_CLASS_200,
  PriceClass_100: cloudfront.PriceClass.PRICE_CLASS_100,
};

export class ShutterStack extends Stack {
  readonly platform: ImagePlatform;

  constructor(scope: Construct, id: string, props: ShutterStackProps) {
    super(scope, id, {
      description: 'shutter: on-demand and bulk image processing (SIH-compatible)',
      ...props,
    });
    const s = props.settings;
    this.platform = new ImagePlatform(this, 'Platform', {
      code: props.code ?? bundledCode(s.lambdaAssetsDir, { optional: PENDING_BUNDLES }),
      logRetentionDays: s.logRetentionDays,
      sourceBuckets: s.sourceBuckets,
      autoWebp: s.autoWebp,
      autoAvif: s.autoAvif,
      clientHints: s.clientHints,
      cors: s.cors.enabled ? { origin: s.cors.origin } : undefined,
      signature: s.signature,
      fallbackImage: s.fallbackImage,
      rewrite: s.rewrite,
      priceClass: PRICE_CLASS[s.priceClass],
      domain: s.domain,
      webAclArn: s.webAclArn,
      replication: s.replication,
      streaming: s.streaming,
      athenaBytesScannedLimit: s.athenaBytesScannedLimit,
      quickSight: s.quickSight,
      alarmEmail: s.alarmEmail,
      workflow: { backfill: s.backfill },
      console: s.console,
      originSecretRotation: s.originSecretRotation,
    });

    const { storage, delivery, workflows, analytics, monitoring } = this.platform;
    // SIH's output name for the image URL base.
    new CfnOutput(this, 'ApiEndpoint', { value: delivery.url, description: 'Image URLs start here' });
    new CfnOutput(this, 'ImagesBucket', {
      value: storage.images.bucketName,
      description: 'Source images (the default source bucket)',
    });
    new CfnOutput(this, 'UploadsBucket', {
      value: storage.uploads.bucketName,
      description: 'Drop images here to run the bulk workflow (kept 7 days)',
    });
    new CfnOutput(this, 'RenditionsBucket', { value: storage.renditions.bucketName });
    new CfnOutput(this, 'LogsBucket', { value: storage.logs.bucketName });
    for (const [name, machine] of Object.entries(workflows.stateMachines)) {
      new CfnOutput(this, `StateMachine${name.replace(/\W/g, '')}`, {
        value: machine.stateMachineArn,
        description: `Workflow "${name}"`,
      });
    }
    new CfnOutput(this, 'AthenaWorkGroup', { value: analytics.workGroup.name });
    new CfnOutput(this, 'GlueDatabase', { value: analytics.databaseName });
    new CfnOutput(this, 'AlarmTopic', { value: monitoring.topic.topicArn });
    if (this.platform.console)
      new CfnOutput(this, 'ConsoleUrl', { value: this.platform.console.url, description: 'The operator console' });
    if (this.platform.consoleApi)
      new CfnOutput(this, 'ConsoleSecret', {
        value: this.platform.consoleApi.credentials.secretArn,
        description: 'The console sign-in token: its SecretString is {"token": "..."}',
      });
    if (this.platform.signing)
      new CfnOutput(this, 'SigningSecret', { value: this.platform.signing.secretId });
  }
}
