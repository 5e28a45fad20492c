/**
 * The image workflow's CDK definition, rendered to ASL here (not read from the committed copy),
 * run by the local engine with the real Middy task handlers: every path of the state machine.
 */
import { randomBytes } from 'node:crypto';
import { prepareDefinition } from '../../workflows/engine/asl-workflow-engine.js';
import { AttentionAnalyzer } from '../../core/adapters/local/attention-analyzer.js';
import type { ExecutionDescription, HistoryEvent } from '../../core/ports/workflow-engine.js';
import { manifestKey, renditionKey } from '../../core/renditions.js';
import { reviewKey } from '../../tasks/quarantine.js';
import { renderImageWorkflowAsl } from '../../workflows/render-asl.js';
import { createLocalWorkflows, type LocalWorkflows } from '../../workflows/local-runtime.js';
import { FixedAnalyzer } from '../helpers/fake-analyzers.js';
import { imageInfo, makeImage } from '../helpers/images.js';
import { prepareWorkflowDefinitions, testPlatform, type TestPlatform } from '../helpers/workflow-platform.js';
import { silentLogger } from '../../core/observability/logger.js';

let asl: Record<string, unknown>;
beforeAll(() => {
  asl = renderImageWorkflowAsl();
  prepareDefinition(asl);
  prepareWorkflowDefinitions();
}, 180_000);

interface Harness extends TestPlatform {
  workflows: LocalWorkflows;
  upload(key: string, body: Buffer): Promise<ExecutionDescription>;
  history(arn: string): Promise<HistoryEvent[]>;
  close(): Promise<void>;
}

async function harness(options: Parameters<typeof testPlatform>[0] = {}): Promise<Harness> {
  const test = await testPlatform(options);
  // Retries wait 0 ms here; their backoff shape is asserted on the definition itself.
  const retryIntervalOverrides = Object.fromEntries(['Inspect', 'Moderate', 'SmartCrop', 'RenderRendition', 'Publish', 'Quarantine', 'HandleFailure'].map((state) => [state, 0]));
  const workflows = createLocalWorkflows(test.platform, { asl: { image: asl }, log: silentLogger, sweep: false, retryIntervalOverrides, pollMs: 50 });
  return {
    ...test,
    workflows,
    async upload(key, body) {
      const { etag } = await test.platform.storage.put('uploads', key, body);
      const started = await workflows.startUpload(key, etag);
      return workflows.engine.settled(started.executionArn);
    },
    async history(arn) {
      return (await workflows.engine.history(arn)).events;
    },
    async close() {
      await workflows.close();
      await test.cleanup();
    },
  };
}

const stateNames = (events: HistoryEvent[]) =>
  events.filter((event) => event.type.endsWith('StateEntered')).map((event) => (event.stateEnteredEventDetails as { name: string }).name);

describe('image workflow, locally', () => {
  test('happy path: inspects, moderates, crops around the subject, renders every preset × format, publishes', async () => {
    const analyzer = new FixedAnalyzer({ face: { left: 0, top: 0, width: 0.25, height: 0.25 } });
    const h = await harness({ analyzer });
    try {
      const photo = await makeImage(64, 32, 'jpeg');
      const execution = await h.upload('albums/cat.jpg', photo);
      expect(execution.status).toBe('SUCCEEDED');
      const output = execution.output as Record<string, Record<string, unknown>>;
      expect(output.inspection).toMatchObject({ type: 'jpeg', width: 64, height: 32, bytes: photo.length });
      expect(output.moderation).toMatchObject({ status: 'passed', labels: [] });
      expect(output.focus).toMatchObject({ basis: 'face', focus: { x: 0.125, y: 0.125 } });
      expect(output.published).toMatchObject({ manifest: { bucket: 'renditions', key: manifestKey('albums/cat.jpg') }, renditions: 3 });

      const thumb = await h.platform.storage.get('renditions', renditionKey('albums/cat.jpg', 'thumb', 'webp'));
      expect(await imageInfo(thumb.body)).toMatchObject({ format: 'webp', width: 8, height: 8 });
      const jpeg = await h.platform.storage.get('renditions', renditionKey('albums/cat.jpg', 'thumb', 'jpeg'));
      expect(await imageInfo(jpeg.body)).toMatchObject({ format: 'jpeg', width: 8, height: 8 });
      const small = await h.platform.storage.get('renditions', renditionKey('albums/cat.jpg', 'small', 'avif'));
      expect(await imageInfo(small.body)).toMatchObject({ format: 'heif', width: 16, height: 8 });

      const manifest = JSON.parse((await h.platform.storage.get('renditions', manifestKey('albums/cat.jpg'))).body.toString());
      expect(manifest).toMatchObject({
        source: { bucket: 'uploads', key: 'albums/cat.jpg' },
        hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        width: 64,
        height: 32,
        moderation: { status: 'passed' },
        focalPoint: { x: 0.125, y: 0.125, basis: 'face' },
      });
      expect(manifest.renditions).toHaveLength(3);
      expect(manifest.renditions[0]).toEqual(
        expect.objectContaining({ preset: 'thumb', format: 'webp', key: 'albums/cat.jpg/thumb.webp', width: 8, height: 8, bytes: thumb.body.length }),
      );
      // Each rendition by URL, versioned by the source's content hash (served by api/renditions-route.ts).
      expect(manifest.renditions[0].url).toBe(`/r/albums/cat.jpg/thumb.webp?v=${manifest.hash.slice('sha256:'.length, 'sha256:'.length + 16)}`);

      expect(h.events.ofType('image.rendition.created')).toHaveLength(3);
      const [completed] = h.events.ofType('image.workflow.completed');
      // Each rendition carries its own render time, not the whole workflow's.
      const workflowMs = (completed!.data as { duration_ms: number }).duration_ms;
      for (const created of h.events.ofType('image.rendition.created')) {
        expect((created.data as { duration_ms: number }).duration_ms).toBeGreaterThanOrEqual(0);
        expect((created.data as { duration_ms: number }).duration_ms).toBeLessThan(workflowMs);
      }
      expect(completed).toMatchObject({ subject: execution.input && (execution.input as { imageId: string }).imageId, data: { renditions: expect.arrayContaining([expect.objectContaining({ format: expect.any(String), bytes: expect.any(Number) })]) } });
      expect((completed!.data as { renditions: unknown[] }).renditions).toHaveLength(3);
      expect(completed!.data).toMatchObject({ image: { key: 'albums/cat.jpg' }, manifest: { bucket: 'renditions' }, moderation: { flagged: false } });
      expect((completed!.data as { duration_ms: number }).duration_ms).toBeGreaterThan(0);

      const events = await h.history(execution.executionArn);
      expect(events[0]).toMatchObject({ id: 1, previousEventId: 0, type: 'ExecutionStarted' });
      expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
      expect(stateNames(events)).toEqual(
        expect.arrayContaining(['Inspect', 'Moderate', 'IsFlagged', 'SmartCrop', 'RenderRenditions', 'RenderRendition', 'Publish']),
      );
      expect(events.filter((event) => event.type === 'MapIterationSucceeded')).toHaveLength(2);
      expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    } finally {
      await h.close();
    }
  });

  test('moderation unavailable (no analyzer can moderate): recorded as such, and the image is still rendered', async () => {
    const h = await harness({ analyzer: new AttentionAnalyzer() });
    try {
      const execution = await h.upload('plain.png', await makeImage(20, 20, 'png'));
      expect(execution.status).toBe('SUCCEEDED');
      expect((execution.output as { moderation: unknown }).moderation).toMatchObject({ status: 'unavailable', analyzer: 'libvips-attention' });
      expect((execution.output as { focus: unknown }).focus).toMatchObject({ basis: 'saliency' });
    } finally {
      await h.close();
    }
  });

  test('flagged path: quarantined, image.moderation.flagged published, nothing rendered', async () => {
    const h = await harness({ analyzer: new FixedAnalyzer({ flag: true }) });
    try {
      const execution = await h.upload('bad.jpg', await makeImage(16, 16, 'jpeg'));
      expect(execution.status).toBe('SUCCEEDED');
      const events = await h.history(execution.executionArn);
      expect(stateNames(events)).toEqual(['Inspect', 'Moderate', 'IsFlagged', 'NeedsReview', 'Quarantine', 'Quarantined']);
      expect(await h.platform.storage.head('quarantine', 'bad.jpg')).toBeDefined();
      expect(await h.platform.storage.head('renditions', manifestKey('bad.jpg'))).toBeUndefined();
      const [flagged] = h.events.ofType('image.moderation.flagged');
      expect(flagged!.data).toMatchObject({ labels: [{ name: 'Explicit Nudity', confidence: 99 }], action: 'quarantine' });
      expect(h.events.ofType('image.workflow.completed')).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  test('flagged with review: waits for the operator; approval renders, rejection keeps it in quarantine', async () => {
    const h = await harness({ analyzer: new FixedAnalyzer({ flag: true }), env: { MODERATION_REVIEW: 'Yes' } });
    try {
      const decide = async (key: string, approved: boolean) => {
        const { etag } = await h.platform.storage.put('uploads', key, await makeImage(16, 16, 'jpeg', approved ? '#ff0000' : '#00ff00'));
        const started = await h.workflows.startUpload(key, etag);
        // The quarantine task records the token where an operator (the decision route) finds it.
        let review;
        for (let attempt = 0; attempt < 200 && !review; attempt++) {
          review = await h.platform.storage.head('quarantine', reviewKey(started.name));
          if (!review) await new Promise((resolve) => setTimeout(resolve, 25));
        }
        expect((await h.workflows.engine.describe(started.executionArn)).status).toBe('RUNNING');
        const record = JSON.parse((await h.platform.storage.get('quarantine', reviewKey(started.name))).body.toString());
        await h.workflows.engine.sendTaskSuccess(record.taskToken, { approved, by: 'test', note: 'looked at it' });
        await expect(h.workflows.engine.sendTaskSuccess(record.taskToken, { approved })).rejects.toMatchObject({ code: 'TaskDoesNotExist' });
        return h.workflows.engine.settled(started.executionArn);
      };
      const approved = await decide('approved.jpg', true);
      expect(approved.status).toBe('SUCCEEDED');
      expect(stateNames(await h.history(approved.executionArn))).toEqual(
        expect.arrayContaining(['QuarantineAndAwaitDecision', 'IsApproved', 'SmartCrop', 'Publish']),
      );
      const manifest = JSON.parse((await h.platform.storage.get('renditions', manifestKey('approved.jpg'))).body.toString());
      expect(manifest.moderation).toMatchObject({ status: 'flagged', decision: { approved: true, by: 'test' } });

      const rejected = await decide('rejected.jpg', false);
      expect(rejected.status).toBe('SUCCEEDED');
      expect(stateNames(await h.history(rejected.executionArn)).at(-1)).toBe('Rejected');
      expect(await h.platform.storage.head('renditions', manifestKey('rejected.jpg'))).toBeUndefined();
    } finally {
      await h.close();
    }
  });

  test('flagged images waiting for review hold no workflow slot: later uploads run meanwhile (WORKFLOW_CONCURRENCY=1)', async () => {
    /** Flags the first two images it sees, passes the rest. */
    class FlagFirstTwo extends FixedAnalyzer {
      override async moderate() {
        const result = await super.moderate();
        return this.moderateCalls <= 2 ? { ...result, labels: [{ name: 'Explicit Nudity', parentName: '', confidence: 99 }] } : result;
      }
    }
    const h = await harness({ analyzer: new FlagFirstTwo(), env: { MODERATION_REVIEW: 'Yes', WORKFLOW_CONCURRENCY: '1' } });
    try {
      const start = async (key: string) => {
        const { etag } = await h.platform.storage.put('uploads', key, await makeImage(16, 16, 'jpeg'));
        return h.workflows.startUpload(key, etag);
      };
      const flagged = [await start('flagged-1.jpg'), await start('flagged-2.jpg')];
      for (const execution of flagged) {
        while (!(await h.platform.storage.head('quarantine', reviewKey(execution.name)))) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // Both wait for an operator, and an unrelated upload still runs to the end.
      const later = await start('unrelated.jpg');
      expect((await h.workflows.engine.settled(later.executionArn)).status).toBe('SUCCEEDED');
      for (const execution of flagged) expect((await h.workflows.engine.describe(execution.executionArn)).status).toBe('RUNNING');
      const record = JSON.parse((await h.platform.storage.get('quarantine', reviewKey(flagged[0]!.name))).body.toString());
      await h.workflows.engine.sendTaskSuccess(record.taskToken, { approved: true, by: 'test' });
      expect((await h.workflows.engine.settled(flagged[0]!.executionArn)).status).toBe('SUCCEEDED');
      expect(await h.platform.storage.head('renditions', manifestKey('flagged-1.jpg'))).toBeDefined();
    } finally {
      await h.close();
    }
  });

  test('retry then success: a transient failure is retried and the execution succeeds', async () => {
    const analyzer = new FixedAnalyzer();
    analyzer.failSubjects = 2;
    const h = await harness({ analyzer });
    try {
      const execution = await h.upload('flaky.jpg', await makeImage(16, 16, 'jpeg'));
      expect(execution.status).toBe('SUCCEEDED');
      const events = await h.history(execution.executionArn);
      const smartCropTasks = events.filter((event) => event.type.startsWith('Task') && !event.type.includes('State'));
      const failures = smartCropTasks.filter((event) => event.type === 'TaskFailed');
      expect(failures).toHaveLength(2);
      expect(failures[0]!.taskFailedEventDetails).toMatchObject({ resource: 'smart-crop', error: 'TransientError', cause: expect.stringContaining('[Analyzer::Busy|smart-crop]') });
      expect(h.events.ofType('image.workflow.completed')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  test('permanent failure caught: a non-image fails fast to the failure path, which publishes image.workflow.failed', async () => {
    const analyzer = new FixedAnalyzer();
    const h = await harness({ analyzer });
    try {
      const execution = await h.upload('notes.jpg', Buffer.from('this is not an image at all'));
      expect(execution).toMatchObject({ status: 'FAILED', error: 'ImageError', cause: expect.stringContaining('[ImageSource::UnsupportedFormat|inspect]') });
      const events = await h.history(execution.executionArn);
      expect(stateNames(events)).toEqual(['Inspect', 'HandleFailure', 'Failed']);
      expect(events.filter((event) => event.type === 'TaskFailed')).toHaveLength(1); // terminal: not retried
      expect(analyzer.moderateCalls).toBe(0);
      const [failed] = h.events.ofType('image.workflow.failed');
      expect(failed!.data).toMatchObject({ state: 'Inspect', error: { name: 'ImageError', code: 'ImageSource::UnsupportedFormat' }, image: { key: 'notes.jpg' } });
    } finally {
      await h.close();
    }
  });

  test('corrupt image: a JPEG header in front of random bytes fails Inspect with ImageSource::CorruptImage, nothing rendered or published', async () => {
    const analyzer = new FixedAnalyzer();
    const h = await harness({ analyzer });
    try {
      // What a user published as grey renditions: a real JPEG's headers, then megabytes of junk.
      const jpeg = await makeImage(1200, 800, 'jpeg');
      const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
      const padded = Buffer.concat([jpeg.subarray(0, scan + 200), randomBytes(4 * 1024 * 1024)]);
      const execution = await h.upload('padded.jpg', padded);
      expect(execution).toMatchObject({ status: 'FAILED', error: 'ImageError', cause: expect.stringContaining('[ImageSource::CorruptImage|inspect]') });
      expect(stateNames(await h.history(execution.executionArn))).toEqual(['Inspect', 'HandleFailure', 'Failed']);
      expect(analyzer.moderateCalls).toBe(0);
      expect((await h.platform.storage.list('renditions')).objects).toEqual([]);
      expect(h.events.ofType('image.workflow.completed')).toHaveLength(0);
      expect(h.events.ofType('image.workflow.failed')[0]!.data).toMatchObject({ error: { code: 'ImageSource::CorruptImage' } });
      // A clean image of the same size still passes the decode check.
      expect((await h.upload('clean.jpg', jpeg)).status).toBe('SUCCEEDED');
    } finally {
      await h.close();
    }
  });

  test('duplicate upload: the same object announced twice is one execution', async () => {
    const h = await harness({ analyzer: new FixedAnalyzer() });
    try {
      const image = await makeImage(16, 16, 'png');
      const { etag } = await h.platform.storage.put('uploads', 'twice.png', image);
      const first = await h.workflows.startUpload('twice.png', etag);
      const again = await h.workflows.startUpload('twice.png'); // ETag read from storage: same object, same name
      expect(again).toMatchObject({ executionArn: first.executionArn, existing: true });
      // Uploading the same bytes again keeps the ETag: still nothing new.
      const { etag: etagAgain } = await h.platform.storage.put('uploads', 'twice.png', image);
      expect((await h.workflows.startUpload('twice.png', etagAgain)).existing).toBe(true);
      await h.workflows.engine.settled(first.executionArn);
      expect((await h.workflows.engine.list()).executions).toHaveLength(1);
      expect(h.events.ofType('image.workflow.completed')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  test('redrive: a failed execution runs again from where it failed, skipping the tasks that succeeded', async () => {
    const analyzer = new FixedAnalyzer();
    analyzer.failSubjects = 10; // more than the retries
    const h = await harness({ analyzer });
    try {
      const failed = await h.upload('later.jpg', await makeImage(16, 16, 'jpeg'));
      expect(failed).toMatchObject({ status: 'FAILED', error: 'TransientError' });
      expect(analyzer.moderateCalls).toBe(1);
      analyzer.failSubjects = 0;
      await h.workflows.engine.redrive(failed.executionArn);
      const redriven = await h.workflows.engine.settled(failed.executionArn);
      expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
      expect(analyzer.moderateCalls).toBe(1); // Moderate succeeded before: not asked again
      const events = await h.history(failed.executionArn);
      expect(events.map((event) => event.type)).toContain('ExecutionRedriven');
      await expect(h.workflows.engine.redrive(failed.executionArn)).rejects.toMatchObject({ status: 409 });
    } finally {
      await h.close();
    }
  });
});
