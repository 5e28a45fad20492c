/**
 * The moderation queue the console reads: flagged images whose workflow waits for a decision,
 * never with their task tokens; the operator who decides is the one the console let in.
 */
import { createApp } from '../../../console/server/app.js';
import { startServer, type LocalServer } from '../../../api/local-server.js';
import { moderationRoutes, type PendingReview } from '../../../console/server/moderation-routes.js';
import { workflowRoutes } from '../../../console/server/workflow-routes.js';
import { createLocalWorkflows, type LocalWorkflows } from '../../../workflows/local-runtime.js';
import { FixedAnalyzer } from '../../helpers/fake-analyzers.js';
import { makeImage } from '../../helpers/images.js';
import { testPlatform, type TestPlatform } from '../../helpers/workflow-platform.js';
import { silentLogger } from '../../../core/observability/logger.js';

const TOKEN = 'moderation-test-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('GET /api/moderation/reviews', () => {
  let t: TestPlatform;
  let workflows: LocalWorkflows;
  let server: LocalServer;
  const get = (path: string) => fetch(`${server.url}${path}`, { headers: auth });

  beforeAll(async () => {
    t = await testPlatform({ analyzer: new FixedAnalyzer({ flag: true }), env: { MODERATION_REVIEW: 'Yes', CONSOLE_TOKEN: TOKEN, LOG_LEVEL: 'silent' } });
    workflows = createLocalWorkflows(t.platform, { log: silentLogger, sweep: false, pollMs: 50 });
    const { config, storage } = t.platform;
    const app = createApp(t.platform, [
      ...workflowRoutes({ config, storage, engine: workflows.engine, startUpload: workflows.startUpload }),
      ...moderationRoutes({ config, storage, engine: workflows.engine }),
    ]);
    app.ready = true;
    server = await startServer(app.handle, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.close();
    await workflows.close();
    await t.cleanup();
  });

  async function pending(): Promise<PendingReview[]> {
    return ((await (await get('/api/moderation/reviews')).json()) as { reviews: PendingReview[] }).reviews;
  }
  async function untilPending(count: number): Promise<PendingReview[]> {
    for (;;) {
      const reviews = await pending();
      if (reviews.length === count) return reviews;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  test('a flagged image waits in the queue; approving it resumes the workflow and records who decided', async () => {
    const upload = await fetch(`${server.url}/api/uploads/flagged/one.png`, { method: 'PUT', body: new Uint8Array(await makeImage(16, 16)), headers: auth });
    const { executionArn } = (await upload.json()) as { executionArn: string };
    const [review] = await untilPending(1);
    expect(review).toEqual({
      executionArn,
      executionName: executionArn.split(':').pop(),
      imageId: expect.stringMatching(/^img_/),
      source: expect.objectContaining({ bucket: 'uploads', key: 'flagged/one.png' }),
      quarantine: { bucket: 'quarantine', key: 'flagged/one.png' },
      labels: [{ name: 'Explicit Nudity', parentName: '', confidence: 99 }],
      requestedAt: expect.any(String),
    });
    const text = await (await get('/api/moderation/reviews')).text();
    expect(text).not.toMatch(/taskToken|[0-9a-f]{64}/);

    // The record with the token is not readable through the bucket routes, nor listed.
    const record = await get(`/api/buckets/quarantine/objects/_reviews/${review!.executionName}.json`);
    expect(record.status).toBe(403);
    expect(((await record.json()) as { code: string }).code).toBe('Console::ReservedKey');
    const listing = (await (await get('/api/buckets/quarantine/objects')).json()) as { objects: { key: string }[] };
    expect(listing.objects.map((object) => object.key)).toEqual(['flagged/one.png']);

    const decision = await fetch(`${server.url}/api/executions/${encodeURIComponent(executionArn)}/decision`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ approved: true, note: 'fine', by: 'someone else' }),
    });
    expect(decision.status).toBe(202);
    const done = await workflows.engine.settled(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(await pending()).toEqual([]);
    const manifest = JSON.parse((await t.platform.storage.get('renditions', 'flagged/one.png/manifest.json')).body.toString()) as {
      moderation: { decision: Record<string, unknown> };
    };
    expect(manifest.moderation.decision).toMatchObject({ approved: true, note: 'fine', by: 'token' });
  });

  test('a stopped execution is no longer waiting, though its record remains', async () => {
    const upload = await fetch(`${server.url}/api/uploads/flagged/two.png`, { method: 'PUT', body: new Uint8Array(await makeImage(8, 8)), headers: auth });
    const { executionArn } = (await upload.json()) as { executionArn: string };
    await untilPending(1);
    await workflows.engine.stop(executionArn);
    expect(await pending()).toEqual([]);
  });

  test('the queue is behind the console authentication', async () => {
    expect((await fetch(`${server.url}/api/moderation/reviews`)).status).toBe(401);
  });

  test('workflow definitions, for the graph', async () => {
    const image = (await (await get('/api/workflows/image/definition')).json()) as { StartAt: string; States: Record<string, unknown> };
    expect(image.StartAt).toBe('Inspect');
    expect(Object.keys(image.States)).toEqual(expect.arrayContaining(['Moderate', 'QuarantineAndAwaitDecision', 'RenderRenditions', 'Publish']));
    expect((await get('/api/workflows/backfill/definition')).status).toBe(200);
    expect((await get('/api/workflows/nope/definition')).status).toBe(404);
  });
});
