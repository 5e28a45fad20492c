/**
 * The deployable stack: the validated context settings (`platform-config.ts`) mapped onto one
 * {@link ImagePlatform}, plus the outputs an operator needs. Nothing else lives here.
 */
import { CfnOutput, Stack, Token, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import { ImagePlatform, PENDING_BUNDLES } from './image-platform.js';
import { bundledCode, type LambdaCodeSource } from './lambda-code.js';
import type { PlatformSettings } from './platform-config.js';
import { EDGE_REGION, EdgeSecurityStack, ImageWebAcl } from './edge-security.js';
import { parseProductionContext, type ProductionSettings } from './production-config.js';
import { SmokeTestRole } from './smoke/smoke-test-role.js';
import { DisasterRecovery, originSecretName } from './disaster-recovery.js';
import type { DrStandbyStack } from './dr-standby-stack.js';

export interface ShutterStackProps extends StackProps {
  settings: Readonly<PlatformSettings>;
  /** The deployment pipeline's account: a role for its smoke test (`smoke/smoke-test-role.ts`). @default no pipeline */
  pipelineAccount?: string;
  /** The DR standby (`disaster-recovery.ts`): replication to it, fail-over to its API. @default none */
  standby?: DrStandbyStack;
  /** This stack is a DR standby of that primary: its image handler also accepts the primary's origin secret. @default none */
  primaryStackName?: string;
  /** @default the production defaults (WAF on, canary rollout, 1000 USD budget) */
  production?: Readonly<ProductionSettings>;
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
  /** The us-east-1 stack holding the web ACL, when this stack is in another Region. */
  readonly edge: EdgeSecurityStack | undefined;

  constructor(scope: Construct, id: string, props: ShutterStackProps) {
    const production = props.production ?? parseProductionContext(() => undefined);
    const region = props.env?.region;
    const separateEdge = !!production.waf && !props.settings.webAclArn && !!region && !Token.isUnresolved(region) && region !== EDGE_REGION;
    super(scope, id, {
      description: 'shutter: on-demand and bulk image processing (SIH-compatible)',
      ...props,
      // The web ACL's ARN comes from the us-east-1 stack (CDK passes it through SSM).
      crossRegionReferences: props.crossRegionReferences || separateEdge || !!props.standby,
    });
    const s = props.settings;
    let webAclArn = s.webAclArn;
    if (production.waf && !webAclArn) {
      if (separateEdge) {
        this.edge = new EdgeSecurityStack(scope, `${id}-Edge`, {
          stackName: `${props.stackName ?? id}-edge`,
          env: props.env,
          rateLimit: production.waf.rateLimit,
        });
        webAclArn = this.edge.webAcl.arn;
      } else webAclArn = new ImageWebAcl(this, 'Edge', { rateLimit: production.waf.rateLimit }).arn;
    }
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
      webAclArn,
      originShieldRegion: production.originShieldRegion,
      imageHandlerConcurrency: production.imageHandlerConcurrency,
      allowUnsignedAnalysis: production.allowUnsignedAnalysis,
      rollout: production.rollout,
      monthlyBudget: production.monthlyBudget,
      fargate: production.engine.kind === 'fargate' ? { size: production.engine.size } : undefined,
      failoverOrigin: props.standby
        ? {
            domainName: `${props.standby.platform.delivery.api.restApiId}.execute-api.${props.standby.region}.amazonaws.com`,
            originPath: `/${props.standby.platform.delivery.api.deploymentStage.stageName}`,
          }
        : undefined,
      acceptedOriginSecrets: props.primaryStackName ? [originSecretName(props.primaryStackName)] : undefined,
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
    if (props.standby) {
      new DisasterRecovery(this, 'DisasterRecovery', {
        storage,
        standby: props.standby,
        signingSecret: this.platform.signing && !s.signature?.secretName ? this.platform.signing.secret : undefined,
        originSecret: this.platform.originSecret,
        topic: monitoring.topic,
      });
    }
    if (props.pipelineAccount) new SmokeTestRole(this, 'SmokeTest', { platform: this.platform, pipelineAccount: props.pipelineAccount });
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
