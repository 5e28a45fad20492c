/**
 * cfn-lint (PyPI, installed by test/services/install.sh) on a synthesized template: the findings
 * left after the accepted ones, as readable lines (an empty list is clean).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Accepted findings, each with why (the same list as cdk-synth.test.ts). */
const ACCEPTED = new Map([
  ['W3005', "CDK adds a DependsOn on a function's role next to the GetAtt that already implies it; harmless and not ours to remove"],
]);

export async function cfnLint(file: string): Promise<string[]> {
  const output = await run('cfn-lint', ['--format', 'json', file], { maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string; code?: number }) => {
      if (!error.stdout) throw new Error(`cfn-lint failed to run (is it installed? test/services/install.sh): ${error.stderr ?? error.code}`);
      return { stdout: error.stdout };
    },
  );
  const findings = JSON.parse(output.stdout || '[]') as Array<{ Rule: { Id: string }; Level: string; Message: string; Location: { Path: unknown[] } }>;
  return findings
    .filter((finding) => finding.Level === 'Error' || !ACCEPTED.has(finding.Rule.Id))
    .map((finding) => `${finding.Level} ${finding.Rule.Id} at ${finding.Location.Path.join('/')}: ${finding.Message}`);
}
