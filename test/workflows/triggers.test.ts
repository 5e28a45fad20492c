/**
 * The local triggers: a file dropped into the watched uploads folder, uploads present at start
 * (reconciled), a backfill over a prefix (the backfill state machine, inline Map), and the
 * 7-day expiry sweep.
 */
import { utimes, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { sweepExpiredUploads } from '../../workflows/uploads-sweep.js';
import { createLocalWorkflows } from '../../workflows/local-runtime.js';
import { FixedAnalyzer } from '../helpers/fake-analyzers.js';
import { makeImage } from '../helpers/images.js';
import { prepareWorkflowDefinitions, testPlatform } from '../helpers/workflow-platform.js';
import { silentLogger } from '../../core/observability/logger.js';

beforeAll(prepareWorkflowDefinitions, 120_000);

async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a file dropped into the uploads folder starts the workflow; uploads present at start are reconciled', async () => {
  const test = await testPlatform({ analyzer: new FixedAnalyzer() });
  try {
    await test.platform.storage.put('uploads', 'before/start.png', await makeImage(8, 8));
    const workflows = createLocalWorkflows(test.platform, { watch: true, sweep: false, log: silentLogger, pollMs: 50 });
    try {
      expect(await workflows.watcher!.ready).toEqual({ reconciled: 1 });
      const folder = path.join(test.dataDir, 'buckets', 'uploads', 'dropped');
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, 'by-hand.jpg'), await makeImage(8, 8, 'jpeg'));
      const executions = await waitFor(async () => {
        const { executions } = await workflows.engine.list();
        return executions.length === 2 && executions.every((execution) => execution.status === 'SUCCEEDED') ? executions : undefined;
      });
      expect(executions.map((execution) => execution.name).sort()).toEqual([
        expect.stringMatching(/^before-start-png-/),
        expect.stringMatching(/^dropped-by-hand-jpg-/),
      ]);
    } finally {
      await workflows.close();
    }
  } finally {
    await test.cleanup();
  }
});

test('a backfill starts the image workflow for every upload under a prefix, once', async () => {
  const test = await testPlatform({ analyzer: new FixedAnalyzer() });
  try {
    for (const key of ['old/a.png', 'old/b.png', 'old/sub/c.png', 'new/d.png']) await test.platform.storage.put('uploads', key, await makeImage(6, 6, 'png', key.length % 2 ? '#ff0000' : '#0000ff'));
    const workflows = createLocalWorkflows(test.platform, { watch: false, sweep: false, log: silentLogger, pollMs: 50 });
    try {
      const backfill = async (name: string) => {
        const { executionArn } = await workflows.engine.start('backfill', { name, input: { bucket: 'uploads', prefix: 'old/', set: 'default' } });
        return workflows.engine.settled(executionArn);
      };
      expect((await backfill('first')).status).toBe('SUCCEEDED');
      const images = await waitFor(async () => {
        const { executions } = await workflows.engine.list({ workflow: 'image' });
        return executions.length === 3 && executions.every((execution) => execution.status === 'SUCCEEDED') ? executions : undefined;
      });
      expect(images.map((execution) => execution.name).sort()).toEqual([
        expect.stringMatching(/^old-a-png-/),
        expect.stringMatching(/^old-b-png-/),
        expect.stringMatching(/^old-sub-c-png-/),
      ]);
      expect((await backfill('again')).status).toBe('SUCCEEDED');
      expect((await workflows.engine.list({ workflow: 'image' })).executions).toHaveLength(3);
    } finally {
      await workflows.close();
    }
  } finally {
    await test.cleanup();
  }
});

test('uploads older than the retention are swept; younger ones and other buckets are kept', async () => {
  const test = await testPlatform();
  try {
    const { storage } = test.platform;
    await storage.put('uploads', 'old.png', await makeImage(4, 4));
    await storage.put('uploads', 'fresh.png', await makeImage(4, 4));
    await storage.put('renditions', 'old.png/manifest.json', Buffer.from('{}'));
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    await utimes(path.join(test.dataDir, 'buckets', 'uploads', 'old.png'), eightDaysAgo, eightDaysAgo);
    expect(await sweepExpiredUploads(storage, 'uploads', { retentionDays: 7 })).toEqual({ deleted: ['old.png'] });
    expect((await storage.list('uploads')).objects.map((object) => object.key)).toEqual(['fresh.png']);
    expect(await storage.head('renditions', 'old.png/manifest.json')).toBeDefined();
  } finally {
    await test.cleanup();
  }
});
