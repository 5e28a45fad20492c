/**
 * Synthesizes the platform the way `cdk synth` does (cdk.json's context, the same stack), but
 * with stub Lambda code so no bundle is needed. Synthesis takes seconds: call it once per test
 * file, in beforeAll.
 */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stubCode } from '../../infra/lambda-code.js';
import { parsePlatformContext } from '../../infra/platform-config.js';
import { ShutterStack } from '../../infra/shutter-stack.js';

export interface NagViolation {
  ruleName: string;
  description: string;
  paths: string[];
}

export interface SynthesizedPlatform {
  app: App;
  stack: ShutterStack;
  template: Template;
  outdir: string;
  /** Unacknowledged cdk-nag findings (only when synthesized with `nag: true`). */
  violations: NagViolation[];
  /** Wall-clock time: depends on what else the machine runs. */
  milliseconds: number;
  /** CPU time of the synthesis itself: comparable across runs. */
  cpuMilliseconds: number;
}

const CDK_CONTEXT = JSON.parse(readFileSync(path.resolve('cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;

export function synthPlatform(
  options: {
    context?: Record<string, unknown>;
    nag?: boolean;
    /** As `cdk deploy` sets it (CDK_DEFAULT_ACCOUNT/REGION). @default environment-agnostic */
    env?: { account?: string; region?: string };
  } = {},
): SynthesizedPlatform {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'shutter-cdk-'));
  // Path metadata, as the cdk CLI turns on, so tests can find resources by construct path.
  const app = new App({
    outdir,
    context: { ...CDK_CONTEXT, 'aws:cdk:enable-path-metadata': true, ...options.context },
    // CDK's own template rules cost seconds per synthesis; the CLI test (cdk-synth.test.ts) runs
    // them, and cfn-lint, on the real `cdk synth`.
    builtinCloudFormationValidation: false,
  });
  const settings = parsePlatformContext((key) => app.node.tryGetContext(key));
  const stack = new ShutterStack(app, settings.stackName, {
    settings,
    stackName: settings.stackName,
    code: stubCode(),
    ...(options.env ? { env: options.env } : {}),
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let violations: NagViolation[] = [];
  try {
    app.synth();
  } catch (error) {
    const report = path.join(outdir, 'validation-report.json');
    if (!existsSync(report)) throw error;
    violations = readViolations(report);
  }
  // Read what synthesis wrote (even when validation failed) instead of synthesizing again.
  const template = Template.fromJSON(
    JSON.parse(readFileSync(path.join(outdir, stack.templateFile), 'utf8')) as Record<string, unknown>,
  );
  const cpu = process.cpuUsage(cpuStarted);
  return {
    app,
    stack,
    template,
    outdir,
    violations,
    milliseconds: performance.now() - started,
    cpuMilliseconds: (cpu.user + cpu.system) / 1000,
  };
}

function readViolations(file: string): NagViolation[] {
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    pluginReports: Array<{
      violations: Array<{
        ruleName: string;
        description: string;
        violatingConstructs: Array<{ constructPath: string }>;
      }>;
    }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((violation) => ({
      ruleName: violation.ruleName,
      description: violation.description,
      paths: violation.violatingConstructs.map((construct) => construct.constructPath),
    })),
  );
}
