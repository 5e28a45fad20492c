/**
 * What the CDK app deploys, from the validated settings: the platform stack; with
 * `DisasterRecovery=Yes` its standby in the DR Region first; with `Pipeline=Yes` the pipeline
 * stack instead, which deploys the platform stage by stage. `app.ts` calls it; tests too.
 */
import type { App, Environment } from 'aws-cdk-lib';
import { ConfigError } from '../core/errors.js';
import { signingSecretName } from './disaster-recovery.js';
import { DrStandbyStack } from './dr-standby-stack.js';
import type { LambdaCodeSource } from './lambda-code.js';
import type { PlatformSettings } from './platform-config.js';
import { ShutterPipelineStack } from './pipeline.js';
import type { ProductionSettings } from './production-config.js';
import { ShutterStack } from './shutter-stack.js';

export interface ShutterStacks {
  primary: ShutterStack | undefined;
  standby: DrStandbyStack | undefined;
  pipeline: ShutterPipelineStack | undefined;
}

export function createShutterStacks(
  app: App,
  settings: Readonly<PlatformSettings>,
  production: Readonly<ProductionSettings>,
  env: Environment,
  code?: LambdaCodeSource,
): ShutterStacks {
  if (production.pipeline) {
    // The pipeline deploys the stages; it lives in the account the CLI uses (else production's).
    const prod = production.pipeline.stages.find((stage) => stage.name === 'Prod')!.env;
    const pipeline = new ShutterPipelineStack(app, `${settings.stackName}-pipeline`, {
      settings,
      production,
      env: env.account && env.region ? env : prod,
      code,
    });
    return { primary: undefined, standby: undefined, pipeline };
  }
  let standby: DrStandbyStack | undefined;
  if (production.disasterRecovery) {
    if (!env.region || env.region === production.disasterRecovery.region)
      throw new ConfigError([
        'DrRegion: DisasterRecovery needs the primary Region known at synthesis (CDK_DEFAULT_REGION, or a profile) and different from DrRegion',
      ]);
    const name = `${settings.stackName}-dr`;
    standby = new DrStandbyStack(app, name, {
      settings: {
        ...settings,
        stackName: name,
        // The replica of the primary's signing secret, under the primary's name for it.
        signature: settings.signature && { secretName: settings.signature.secretName ?? signingSecretName(settings.stackName), secretKey: settings.signature.secretKey },
      },
      production: { ...production, disasterRecovery: undefined },
      primaryStackName: settings.stackName,
      stackName: name,
      env: { account: env.account, region: production.disasterRecovery.region },
      crossRegionReferences: true,
      code,
    });
  }
  const primary = new ShutterStack(app, settings.stackName, { settings, production, stackName: settings.stackName, env, standby, code });
  return { primary, standby, pipeline: undefined };
}
