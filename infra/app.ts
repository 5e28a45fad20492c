/**
 * The CDK app (`cdk.json` runs it through scripts/cdk-app.mjs): one {@link ShutterStack} from the
 * context settings, checked by cdk-nag's AwsSolutions pack — an unacknowledged finding fails
 * `cdk synth`, so nothing insecure can be deployed by accident.
 *
 * @example
 * npx cdk synth -c AutoWebP=Yes -c SourceBuckets=my-photos
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../core/errors.js';
import { parsePlatformContext, type PlatformSettings } from './platform-config.js';
import { ShutterStack } from './shutter-stack.js';

const app = new App();
let settings: Readonly<PlatformSettings>;
try {
  settings = parsePlatformContext((key) => app.node.tryGetContext(key));
} catch (error) {
  // Every problem at once, without a stack trace: this is the user's input, not a bug.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
new ShutterStack(app, settings.stackName, {
  settings,
  stackName: settings.stackName,
  // Environment-agnostic unless the CLI found credentials: synthesis never needs an account.
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT || undefined,
    region: process.env.CDK_DEFAULT_REGION || undefined,
  },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
