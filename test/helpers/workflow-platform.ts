/**
 * A platform over a temporary data dir for workflow tests: tiny rendition presets (so renders
 * stay fast on 2 cores), an in-memory event sink, and whatever analyzer the test passes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareDefinition } from '../../workflows/engine/asl-workflow-engine.js';
import { createPlatform, type Platform } from '../../core/compose.js';
import { loadConfig } from '../../core/config.js';
import type { Analyzer } from '../../core/ports/analyzer.js';
import type { RenditionSets } from '../../core/renditions.js';
import { BACKFILL_WORKFLOW_ASL } from '../../workflows/asl/backfill-workflow.asl.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';
import { MemoryEventSink } from './memory-event-sink.js';

/** Two presets, three formats between them: every code path, a few milliseconds per image. */
export const TEST_RENDITIONS: RenditionSets = {
  default: [
    { name: 'thumb', width: 8, height: 8, fit: 'cover', formats: ['webp', 'jpeg'], withoutEnlargement: true },
    { name: 'small', width: 16, fit: 'inside', formats: ['avif'], withoutEnlargement: true },
  ],
};

export interface TestPlatform {
  platform: Platform;
  events: MemoryEventSink;
  dataDir: string;
  cleanup(): Promise<void>;
}

/**
 * A temporary folder in memory where the machine has one: storage fsyncs every object it writes
 * (durability), which on a disk costs ~30 ms a write and would make the tests measure the disk.
 */
export function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

export async function testPlatform(options: { analyzer?: Analyzer; env?: Record<string, string>; renditions?: RenditionSets } = {}): Promise<TestPlatform> {
  const dataDir = await mkdtemp(path.join(scratchRoot(), 'shutter-workflow-'));
  const config = loadConfig({ SHUTTER_DATA_DIR: dataDir, WATCH_UPLOADS: 'No', SHUTTER_SEED_SAMPLES: 'No', ...options.env });
  const events = new MemoryEventSink();
  const platform = createPlatform(config, {
    events,
    renditions: options.renditions ?? TEST_RENDITIONS,
    ...(options.analyzer ? { analyzer: options.analyzer } : {}),
  });
  return { platform, events, dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

/**
 * Validates the workflows' ASL once for the test file (it compiles JSON schemas: seconds, more
 * on a busy machine), so no single test pays it against its timeout. Use in `beforeAll`.
 */
export function prepareWorkflowDefinitions(): void {
  prepareDefinition(IMAGE_WORKFLOW_ASL);
  prepareDefinition(BACKFILL_WORKFLOW_ASL);
}
