/**
 * Where Lambda code comes from: built bundles are used as they are; a bundle that other work
 * has not delivered yet becomes a visible, failing stub; a missing image handler stops synthesis.
 */
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledCode } from '../../infra/lambda-code.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'shutter-bundles-'));
mkdirSync(path.join(dir, 'image-handler'));
writeFileSync(path.join(dir, 'image-handler', 'index.mjs'), 'export const handler = async () => ({});');
const source = bundledCode(dir, { optional: ['task-render'] });

test('a built bundle is an asset of its folder', () => {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Built');
  const code = source.code(stack, 'image-handler').bind(stack);
  expect(code.s3Location).toBeDefined();
});

test('a pending bundle becomes a stub that fails with NotImplementedError, and synthesis warns', () => {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Pending');
  new CfnWaitConditionHandle(stack, 'SomethingToSynthesize');
  const code = source.code(stack, 'task-render').bind(stack);
  expect(code.inlineCode).toContain("error.name = 'NotImplementedError'");
  Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('No bundle for "task-render"'));
});

test('a missing required bundle stops synthesis and says how to build it', () => {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Missing');
  expect(() => source.code(stack, 'events-archiver')).toThrow(/npm run build:lambdas/);
});
