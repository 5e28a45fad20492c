/**
 * The deployment pipeline (context `Pipeline=Yes`), with CDK Pipelines:
 *
 * source (a CodeStar connection to GitHub/GitLab/Bitbucket, or CodeCommit) → synth (`npm ci`
 * from the lockfile, the services the tests need, the full test suite, `cdk synth`) → the
 * pipeline updates itself → assets (the Lambda bundles; the Fargate image built on arm64) →
 * **Dev** → **Staging** → **Prod**, each stage an account/Region of its own (`DevEnv`,
 * `StagingEnv`, `ProdEnv`). Before each deployment a `cdk diff` of the stage is printed in the
 * build log; before Prod an operator approves, having read it. After each deployment the
 * smoke test (`infra/smoke/smoke-test.ts`) calls the deployed image URL and sends one upload
 * through the workflow; a failure stops the pipeline there.
 *
 * Within a stage, CodeDeploy then moves every function's alias gradually (`safe-rollout.ts`).
 *
 * @example
 * npx cdk deploy -c Pipeline=Yes -c PipelineRepository=acme/shutter \
 *   -c PipelineConnectionArn=arn:aws:codeconnections:... -c ProdEnv=111111111111/eu-west-1
 */
import { Stack, Stage, type CfnOutput, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcards } from './acknowledge.js';
import type { LambdaCodeSource } from './lambda-code.js';
import type { PlatformSettings } from './platform-config.js';
import type { DeployEnv, ProductionSettings } from './production-config.js';
import { IMAGE_STATE_MACHINE } from './workflow-tasks.js';
import { ShutterStack } from './shutter-stack.js';
import type { SmokeTestRole } from './smoke/smoke-test-role.js';

export interface ShutterPipelineStackProps extends StackProps {
  settings: Readonly<PlatformSettings>;
  production: Readonly<ProductionSettings>;
  /** @default the bundles in `settings.lambdaAssetsDir` */
  code?: LambdaCodeSource;
}

/** The CDK bootstrap's default qualifier: the diff step assumes that bootstrap's lookup role. */
const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** One environment of the platform: its ShutterStack, named for the stage so names stay unique. */
export class ShutterStage extends Stage {
  readonly stack: ShutterStack;

  constructor(
    scope: Construct,
    id: string,
    props: {
      env: DeployEnv;
      settings: Readonly<PlatformSettings>;
      production: Readonly<ProductionSettings>;
      pipelineAccount: string;
      code?: LambdaCodeSource;
    },
  ) {
    super(scope, id, { env: props.env });
    const stackName = `${props.settings.stackName}-${id.toLowerCase()}`;
    this.stack = new ShutterStack(this, props.settings.stackName, {
      settings: props.settings,
      pipelineAccount: props.pipelineAccount,
      code: props.code,
      production: { ...props.production, pipeline: undefined },
      stackName,
      env: props.env,
    });
  }

  output(id: string): CfnOutput {
    return this.stack.node.findChild(id) as CfnOutput;
  }
}

export class ShutterPipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: Record<string, ShutterStage> = {};

  constructor(scope: Construct, id: string, props: ShutterPipelineStackProps) {
    super(scope, id, { description: 'shutter: the deployment pipeline (dev → staging → prod)', ...props });
    const settings = props.production.pipeline;
    if (!settings) throw new Error('ShutterPipelineStack needs the pipeline settings (context Pipeline=Yes)');
    const source = settings.connectionArn
      ? pipelines.CodePipelineSource.connection(settings.repository, settings.branch, { connectionArn: settings.connectionArn })
      : pipelines.CodePipelineSource.codeCommit(codecommit.Repository.fromRepositoryName(this, 'Repository', settings.repository), settings.branch);

    const buildImage = codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0;
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: `${props.settings.stackName}-pipeline`,
      // Stages live in other accounts: artifacts are encrypted with a key they can be granted.
      crossAccountKeys: true,
      enableKeyRotation: true,
      synth: new pipelines.ShellStep('Synth', {
        input: source,
        installCommands: ['npm ci', 'bash test/services/install.sh'],
        // The same gate as a developer's: every test, then the synthesis with cdk-nag and cfn-lint.
        commands: ['npm test', 'npx cdk synth --no-notices'],
        primaryOutputDirectory: 'cdk.out',
      }),
      codeBuildDefaults: {
        // arm64 builders: the Lambda bundles and the Fargate image target arm64, natively.
        buildEnvironment: { buildImage, computeType: codebuild.ComputeType.LARGE },
      },
      dockerEnabledForSynth: false,
      publishAssetsInParallel: false,
    });

    for (const { name, env } of settings.stages) {
      const stage = new ShutterStage(this, name, { env, settings: props.settings, production: props.production, pipelineAccount: this.account, code: props.code });
      this.stages[name] = stage;
      const diff = new pipelines.CodeBuildStep(`${name}Diff`, {
        input: this.pipeline.synth.primaryOutput,
        commands: [`npx --yes aws-cdk@2 diff --app . --no-notices ${stage.stack.artifactId} || true`],
        rolePolicyStatements: [lookupRoleStatement(this, env)],
      });
      const pre: pipelines.Step[] = [diff];
      if (name === 'Prod') {
        const approval = new pipelines.ManualApprovalStep('ApproveProd', {
          comment: 'Read the ProdDiff step log (cdk diff of production), then approve the deployment to production.',
        });
        approval.addStepDependency(diff);
        pre.push(approval);
      }
      this.pipeline.addStage(stage, { pre, post: [this.smokeTest(name, stage, source)] });
    }
    this.pipeline.buildPipeline();
    this.acknowledgeFindings();
  }

  /** After a stage deploys: the image URL answers, and one upload goes through the workflow. */
  private smokeTest(name: string, stage: ShutterStage, source: pipelines.IFileSetProducer): pipelines.CodeBuildStep {
    const role = stage.stack.node.findChild('SmokeTest') as SmokeTestRole;
    return new pipelines.CodeBuildStep(`${name}Smoke`, {
      input: source,
      commands: [
        // The smoke test runs as the stage account's SmokeTestRole (least privilege, see smoke-test-role.ts).
        `printf '[profile smoke]\\nrole_arn = %s\\ncredential_source = EcsContainer\\n' "$SMOKE_TEST_ROLE" > "$CODEBUILD_SRC_DIR/.aws-config"`,
        'export AWS_CONFIG_FILE="$CODEBUILD_SRC_DIR/.aws-config" AWS_PROFILE=smoke',
        'npm ci',
        'node scripts/run-ts.mjs infra/smoke/smoke-test.ts',
      ],
      env: {
        AWS_REGION: stage.stack.region,
        ...(stage.stack.platform.signing ? { SIGNING_SECRET_KEY: stage.stack.platform.signing.secretKey } : {}),
      },
      envFromCfnOutputs: {
        SMOKE_TEST_ROLE: role.output,
        API_ENDPOINT: stage.output('ApiEndpoint'),
        IMAGES_BUCKET: stage.output('ImagesBucket'),
        UPLOADS_BUCKET: stage.output('UploadsBucket'),
        STATE_MACHINE_ARN: stage.output(`StateMachine${IMAGE_STATE_MACHINE.replace(/\W/g, '')}`),
        ...(stage.stack.platform.signing ? { SIGNING_SECRET: stage.output('SigningSecret') } : {}),
      },
      rolePolicyStatements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [smokeRoleArnPattern(this, stage)] })],
    });
  }

  /**
   * CDK Pipelines generates the pipeline's roles and buckets; their wildcards are its (log groups
   * and report groups per CodeBuild project, artifact objects, the bootstrap roles). shutter adds
   * one statement per step: the diff's lookup role and the smoke test's role, one per stage.
   */
  private acknowledgeFindings(): void {
    acknowledgeWildcards(
      this.pipeline,
      "CDK Pipelines' generated roles: CodeBuild log and report groups are named per project with a suffix, artifacts are objects of the pipeline's own bucket, bootstrap roles are found by pattern; shutter's own statements name one role per stage.",
    );
    acknowledge(
      this.pipeline,
      'AwsSolutions-S1',
      "The pipeline's artifact bucket holds build outputs only, encrypted with the pipeline's key; CloudTrail records access to it.",
    );
    // Cross-Region stages get a replication bucket in a support stack CDK adds next to this one.
    for (const child of this.node.root.node.children) {
      if (child instanceof Stack && child !== this && child.artifactId.startsWith('cross-region-stack-')) {
        acknowledge(child, 'AwsSolutions-S1', "CDK Pipelines' cross-Region replication bucket holds artifacts for one pipeline, encrypted with its key.");
        acknowledgeWildcards(child, "CDK Pipelines' cross-Region support stack: its grants cover the replication bucket's objects and key only.");
      }
    }
  }
}

/** The stage's smoke-test role: its name is CloudFormation's, so only its stack's prefix is known. */
function smokeRoleArnPattern(scope: Construct, stage: ShutterStage): string {
  return `arn:${Stack.of(scope).partition}:iam::${stage.account}:role/${stage.stack.stackName}-SmokeTest*`;
}

/** The CDK bootstrap lookup role of a stage's account: read-only, what `cdk diff` needs. */
function lookupRoleStatement(scope: Construct, env: DeployEnv): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['sts:AssumeRole'],
    resources: [`arn:${Stack.of(scope).partition}:iam::${env.account}:role/cdk-${BOOTSTRAP_QUALIFIER}-lookup-role-${env.account}-${env.region}`],
  });
}
