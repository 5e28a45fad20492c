/**
 * The real thing, as a user runs it: `cdk synth` through the CLI and cdk.json, offline (no AWS
 * account, no Docker), which builds the Lambda bundles, runs cdk-nag and must exit 0; then
 * cfn-lint (PyPI, installed by test/services/install.sh) on the template it wrote. How long
 * each took goes to test-artifacts/cdk-synth.json.
 */
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
  openSync,
  readSync,
  closeSync,
  readdirSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve('.');

/** cfn-lint findings accepted, each with why. Anything else (and any error) fails. */
const ACCEPTED_CFN_LINT = new Map([
  [
    'W3005',
    "CDK adds a DependsOn on a function's role next to the GetAtt that already implies it; harmless and not ours to remove",
  ],
]);

interface CfnLintFinding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Location: { Path: unknown[] };
}

let outdir: string;
let template: {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
};
const timings: Record<string, number> = {};

beforeAll(async () => {
  outdir = mkdtempSync(path.join(os.tmpdir(), 'shutter-cdk-cli-'));
  const started = performance.now();
  await run(
    process.execPath,
    [path.join(root, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--no-notices', '--quiet', '--output', outdir],
    {
      cwd: root,
      env: {
        ...process.env,
        // The app runs on the same Node as this test (22), whatever `node` the shell would find.
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        // No AWS account here: do not wait for an instance-metadata endpoint that is not there.
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  timings.cdkSynthMilliseconds = Math.round(performance.now() - started);
  template = JSON.parse(readFileSync(path.join(outdir, 'Shutter.template.json'), 'utf8')) as typeof template;
}, 600_000);

afterAll(() => {
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync(
    path.join('test-artifacts', 'cdk-synth.json'),
    `${JSON.stringify({ command: 'npx cdk synth', ...timings }, null, 2)}\n`,
  );
});

test('`cdk synth` exits 0 with cdk-nag passing and writes the stack', () => {
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: unknown[] }>;
  };
  expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  expect(Object.keys(template.Resources).length).toBeGreaterThan(100);
});

test('the image handler ships as an ESM bundle with sharp built for linux-arm64', () => {
  const [, handler] = Object.entries(template.Resources).find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      String(resource.Metadata?.['aws:cdk:path']).endsWith('Delivery/ImageHandler/Function/Resource'),
  )!;
  const assetDir = path.join(outdir, String(handler.Metadata!['aws:asset:path']));
  expect(readdirSync(assetDir)).toEqual(expect.arrayContaining(['index.mjs', 'node_modules']));
  const addon = path.join(assetDir, 'node_modules/@img/sharp-linux-arm64/lib');
  const binary = readdirSync(addon).find((file) => file.endsWith('.node'))!;
  // ELF header: e_machine (offset 18, little-endian) 183 is AArch64.
  const header = Buffer.alloc(20);
  const fd = openSync(path.join(addon, binary), 'r');
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(header.readUInt16LE(18)).toBe(183);
});

test('cfn-lint finds no error, and no warning beyond the accepted ones', async () => {
  const started = performance.now();
  const file = path.join(outdir, 'Shutter.template.json');
  // cfn-lint exits non-zero whenever it finds anything; the JSON on stdout is what counts.
  const output = await run('cfn-lint', ['--format', 'json', file], { maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string; code?: number }) => {
      if (!error.stdout)
        throw new Error(
          `cfn-lint failed to run (is it installed? test/services/install.sh): ${error.stderr ?? error.code}`,
        );
      return { stdout: error.stdout };
    },
  );
  timings.cfnLintMilliseconds = Math.round(performance.now() - started);
  const findings = JSON.parse(output.stdout || '[]') as CfnLintFinding[];
  const unexpected = findings
    .filter((finding) => finding.Level === 'Error' || !ACCEPTED_CFN_LINT.has(finding.Rule.Id))
    .map(
      (finding) =>
        `${finding.Level} ${finding.Rule.Id} at ${finding.Location.Path.join('/')}: ${finding.Message}`,
    );
  expect(unexpected).toEqual([]);
}, 300_000);
