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
import { parsePlatformContext } from './platform-config.js';
import { parseProductionContext } from './production-config.js';
import { createShutterStacks } from './shutter-app.js';

const app = new App();
const context = (key: string) => app.node.tryGetContext(key) as unknown;
// Both sets of settings are read before failing, so every problem is reported at once.
const problems: string[] = [];
function read<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}
const settings = read(() => parsePlatformContext(context));
const production = read(() => parseProductionContext(context));
if (!settings || !production) {
  // Without a stack trace: this is the user's input, not a bug.
  console.error(new ConfigError(problems).message);
  process.exit(1);
}
// Environment-agnostic unless the CLI found credentials: synthesis never needs an account.
try {
  createShutterStacks(app, settings, production, {
    account: process.env.CDK_DEFAULT_ACCOUNT || undefined,
    region: process.env.CDK_DEFAULT_REGION || undefined,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
