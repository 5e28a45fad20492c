/**
 * `Pipeline=Yes` (issue #15): CDK Pipelines from a CodeStar connection through Dev, Staging and
 * Prod, each a ShutterStack in its own account and Region, a `cdk diff` before each, a manual
 * approval before Prod, smoke tests after each. One in-process synthesis with cdk-nag.
 */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stubCode } from '../../infra/lambda-code.js';
import { parsePlatformContext } from '../../infra/platform-config.js';
import { parseProductionContext } from '../../infra/production-config.js';
import { ShutterPipelineStack } from '../../infra/pipeline.js';
import { CDK_CONTEXT } from './synth-platform.js';

const CONTEXT: Record<string, string> = {
  Pipeline: 'Yes',
  PipelineRepository: 'acme/shutter',
  PipelineBranch: 'release',
  PipelineConnectionArn: 'arn:aws:codeconnections:eu-west-1:000000000000:connection/11111111-2222-3333-4444-555555555555',
  DevEnv: '111111111111/eu-west-1',
  StagingEnv: '222222222222/eu-west-1',
  ProdEnv: '333333333333/us-east-1',
  EnableSignature: 'Yes',
};

let pipelineStack: ShutterPipelineStack;
let template: Template;
let violations: unknown[] = [];

beforeAll(() => {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'shutter-pipeline-'));
  const app = new App({ outdir, context: { ...CDK_CONTEXT, ...CONTEXT }, builtinCloudFormationValidation: false });
  const get = (key: string) => app.node.tryGetContext(key) as unknown;
  pipelineStack = new ShutterPipelineStack(app, 'Shutter-pipeline', {
    settings: parsePlatformContext(get),
    production: parseProductionContext(get),
    env: { account: '000000000000', region: 'eu-west-1' },
    code: stubCode(),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch (error) {
    const report = path.join(outdir, 'validation-report.json');
    if (!existsSync(report)) throw error;
    violations = (JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: Array<{ violations: unknown[] }> }).pluginReports.flatMap((p) => p.violations);
  }
  template = Template.fromJSON(JSON.parse(readFileSync(path.join(outdir, pipelineStack.templateFile), 'utf8')) as Record<string, unknown>);
}, 300_000);

test('cdk-nag reports no unacknowledged finding in the pipeline and its stages', () => {
  expect(violations).toEqual([]);
});

test('source → build → update → assets → Dev → Staging → Prod', () => {
  const [, pipeline] = Object.entries(template.findResources('AWS::CodePipeline::Pipeline'))[0]!;
  const stages = (pipeline.Properties.Stages as Array<{ Name: string; Actions: Array<{ Name: string; ActionTypeId: { Category: string; Provider: string }; Configuration?: Record<string, unknown> }> }>);
  expect(stages.map((stage) => stage.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev', 'Staging', 'Prod']);
  expect(stages[0]!.Actions[0]!.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
  expect(stages[0]!.Actions[0]!.Configuration).toMatchObject({ FullRepositoryId: 'acme/shutter', BranchName: 'release' });
  const actions = (name: string) => stages.find((stage) => stage.Name === name)!.Actions.map((action) => action.Name);
  for (const name of ['Dev', 'Staging', 'Prod']) {
    expect(actions(name)).toEqual(expect.arrayContaining([`${name}Diff`, `${name}Smoke`, `Shutter-${name.toLowerCase()}.Prepare`, `Shutter-${name.toLowerCase()}.Deploy`]));
  }
  const prod = stages.find((stage) => stage.Name === 'Prod')!.Actions;
  const approval = prod.find((action) => action.ActionTypeId.Category === 'Approval')!;
  expect(approval.Name).toBe('ApproveProd');
  // Diff, then approval, then deployment, then the smoke test.
  const order = (name: string) => (prod.find((action) => action.Name === name) as unknown as { RunOrder: number }).RunOrder;
  expect(order('ProdDiff')).toBeLessThan(order('ApproveProd'));
  expect(order('ApproveProd')).toBeLessThan(order('Shutter-prod.Prepare'));
  expect(order('Shutter-prod.Deploy')).toBeLessThan(order('ProdSmoke'));
  expect(actions('Dev')).not.toContain('ApproveProd');
});

test('the build runs npm ci from the lockfile, the full test suite and cdk synth', () => {
  const buildSpecs = Object.values(template.findResources('AWS::CodeBuild::Project')).map((project) => JSON.stringify(project.Properties.Source.BuildSpec));
  const synth = buildSpecs.find((spec) => spec.includes('npx cdk synth'))!;
  expect(synth).toMatch(/npm ci.*bash test\/services\/install\.sh.*npm test.*npx cdk synth/);
  const smoke = buildSpecs.filter((spec) => spec.includes('infra/smoke/smoke-test.ts'));
  expect(smoke).toHaveLength(3);
  expect(smoke[0]).toContain('credential_source = EcsContainer');
  expect(smoke[0]).toContain('$SMOKE_TEST_ROLE');
  expect(buildSpecs.filter((spec) => /aws-cdk@2 diff --app \./.test(spec))).toHaveLength(3);
});

test('each stage is a ShutterStack in its account and Region, with a stage-unique name and a smoke-test role', () => {
  const { Dev, Prod } = pipelineStack.stages;
  expect(Dev!.stack.account).toBe('111111111111');
  expect(Prod!.stack.region).toBe('us-east-1');
  expect(Prod!.stack.stackName).toBe('Shutter-prod');
  const prod = Template.fromStack(Prod!.stack);
  // The smoke-test role, trusted by the pipeline's account only.
  const trusted = Object.values(prod.findResources('AWS::IAM::Role')).filter((role) =>
    JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes(':iam::000000000000:root'),
  );
  expect(trusted).toHaveLength(1);
  expect(JSON.stringify(prod.findOutputs('*'))).toMatch(/SmokeTestArn/);
  // The production stack keeps its guards: canary rollout, WAF (in us-east-1 here, inline).
  expect(Object.keys(prod.findResources('AWS::CodeDeploy::DeploymentGroup')).length).toBeGreaterThan(5);
  expect(Object.keys(prod.findResources('AWS::WAFv2::WebACL'))).toHaveLength(1);
  // Dev in eu-west-1: its web ACL is a us-east-1 stack of the same stage.
  expect(Dev!.stack.edge?.region).toBe('us-east-1');
});

test('Pipeline=Yes needs a repository and a production environment', () => {
  expect(() => parseProductionContext((key) => ({ Pipeline: 'Yes' })[key])).toThrow(/PipelineRepository[\s\S]*ProdEnv/);
  expect(() => parseProductionContext((key) => ({ Pipeline: 'Yes', PipelineRepository: 'a/b', ProdEnv: 'prod' })[key])).toThrow(/ProdEnv: expected account\/region/);
});
