/**
 * Writes what a synthesis showed into test-artifacts/: how long it took (never asserted: timing
 * is a record, not a test) and every cdk-nag acknowledgement with its reason.
 */
import { Validations } from 'aws-cdk-lib';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SynthesizedPlatform } from './synth-platform.js';

export interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/** Every `Validations.acknowledge` in the app's tree. */
export function acknowledgements(platform: SynthesizedPlatform): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of platform.app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found;
}

export function recordSynth(name: string, platform: SynthesizedPlatform): void {
  const dir = path.resolve('test-artifacts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `infra-synth-${name}.json`),
    `${JSON.stringify(
      {
        synthMilliseconds: Math.round(platform.milliseconds),
        synthCpuMilliseconds: Math.round(platform.cpuMilliseconds),
        violations: platform.violations,
        acknowledgements: acknowledgements(platform),
      },
      null,
      2,
    )}\n`,
  );
}
