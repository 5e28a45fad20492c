/** The rehearsal's reading of CloudFormation expressions: every reference bound on purpose, or an error. */
import { resolve } from './cloud-assembly.js';

const bindings = { Logs1234: 'rehearsal-logs1234', 'Fn5678.Arn': 'arn:aws:lambda:eu-west-1:123456789012:function:Fn5678', 'Brokers.BootstrapBrokerStringSaslIam': '127.0.0.1:9092' };
const pseudo = { 'AWS::Region': 'eu-west-1', 'AWS::Partition': 'aws' };

test.each([
  ['a literal', 'events/', 'events/'],
  ['Ref of a bucket', { Ref: 'Logs1234' }, 'rehearsal-logs1234'],
  ['a pseudo parameter', { Ref: 'AWS::Region' }, 'eu-west-1'],
  ['GetAtt (array and dotted forms)', { 'Fn::GetAtt': ['Fn5678', 'Arn'] }, 'arn:aws:lambda:eu-west-1:123456789012:function:Fn5678'],
  ['GetAtt of the brokers custom resource', { 'Fn::GetAtt': 'Brokers.BootstrapBrokerStringSaslIam' }, '127.0.0.1:9092'],
  ['Join', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Logs1234' }]] }, 'arn:aws:s3:::rehearsal-logs1234'],
  ['Sub with a variable and a reference', { 'Fn::Sub': ['${Bucket}/${AWS::Region}', { Bucket: { Ref: 'Logs1234' } }] }, 'rehearsal-logs1234/eu-west-1'],
  ['Select over Split', { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] }, 'b'],
])('%s', (_name, expression, expected) => {
  expect(resolve(expression, bindings, pseudo)).toBe(expected);
});

test('an unbound reference or an unknown function is an error, never a guess', () => {
  expect(() => resolve({ Ref: 'Nowhere' }, bindings, pseudo)).toThrow(/no local binding for Ref Nowhere/);
  expect(() => resolve({ 'Fn::GetAtt': ['Logs1234', 'DomainName'] }, bindings, pseudo)).toThrow(/GetAtt Logs1234.DomainName/);
  expect(() => resolve({ 'Fn::ImportValue': 'x' }, bindings, pseudo)).toThrow(/Fn::ImportValue is not resolved locally/);
});
