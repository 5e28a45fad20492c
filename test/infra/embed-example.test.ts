/**
 * The example of embedding shutter in another CDK app (`infra/examples/`) synthesizes, through
 * the public entry point `infra/index.ts`, with the settings it passes in code.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exampleApp } from '../../infra/examples/embed-image-platform.js';
import { stubCode } from '../../infra/index.js';

let template: Template;

beforeAll(() => {
  const { stack } = exampleApp({ code: stubCode(), outdir: mkdtempSync(path.join(os.tmpdir(), 'shutter-embed-')) });
  template = Template.fromStack(stack);
}, 120_000);

test('the embedding app gets the delivery path, with its settings', () => {
  template.resourceCountIs('AWS::CloudFront::Distribution', 1);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ AUTO_WEBP: 'Yes', AUTO_AVIF: 'Yes', ENABLE_SIGNATURE: 'Yes', SOURCE_BUCKETS: Match.anyValue() }) },
  });
  // The app's own bucket comes first (the default bucket), the platform's after it.
  expect(JSON.stringify(template.toJSON())).toMatch(/"SOURCE_BUCKETS":\{"Fn::Join":\["",\["my-existing-photos,/);
  template.hasOutput('ImageUrl', {});
});

test('streaming off means no MSK cluster', () => {
  template.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
});
