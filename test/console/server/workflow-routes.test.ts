/**
 * The workflow's HTTP routes on the real local server (port 0): uploads start executions,
 * operators read, redrive, stop and decide; a burst of 1,000 uploads is accepted, processed in
 * order of arrival, none dropped.
 */
import { createApp } from '../../../console/server/app.js';
import { startServer, type LocalServer } from '../../../api/local-server.js';
import { workflowRoutes } from '../../../console/server/workflow-routes.js';
import type { ExecutionStatus } from '../../../core/ports/workflow-engine.js';
import { createLocalWorkflows, type LocalWorkflows } from '../../../workflows/local-runtime.js';
import { FixedAnalyzer } from '../../helpers/fake-analyzers.js';
import { makeImage } from '../../helpers/images.js';
import { prepareWorkflowDefinitions, testPlatform, type TestPlatform } from '../../helpers/workflow-platform.js';
import { silentLogger } from '../../../core/observability/logger.js';

beforeAll(prepareWorkflowDefinitions, 120_000);

interface Server extends TestPlatform {
  server: LocalServer;
  workflows: LocalWorkflows;
  close(): Promise<void>;
}

async function serve(options: Parameters<typeof testPlatform>[0] & { autoStart?: boolean } = {}): Promise<Server> {
  // Silent: the 1,000-upload burst would otherwise print a thousand access-log lines; nothing here reads the log.
  const test = await testPlatform({ analyzer: new FixedAnalyzer(), ...options, env: { LOG_LEVEL: 'silent', ...options.env } });
  const workflows = createLocalWorkflows(test.platform, { log: silentLogger, sweep: false, pollMs: 50, ...(options.autoStart === false ? { autoStart: false } : {}) });
  const app = createApp(test.platform, workflowRoutes({ config: test.platform.config, storage: test.platform.storage, engine: workflows.engine, startUpload: workflows.startUpload }));
  app.ready = true;
  const server = await startServer(app.handle, { port: 0, host: '127.0.0.1' });
  return {
    ...test,
    server,
    workflows,
    async close() {
      await server.close();
      await workflows.close();
      await test.cleanup();
    },
  };
}

const put = (base: string, key: string, body: Buffer) => fetch(`${base}/api/uploads/${key}`, { method: 'PUT', body: new Uint8Array(body) });

async function until(base: string, name: string, statuses: ExecutionStatus[]) {
  for (;;) {
    const body = (await (await fetch(`${base}/api/executions/${name}`)).json()) as { status: ExecutionStatus; history: Array<{ type: string }> };
    if (statuses.includes(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('PUT /api/uploads/<key> answers 202 with the execution; GET /api/executions/<id> shows status, output and history', async () => {
  const s = await serve();
  try {
    const response = await put(s.server.url, 'shoots/2024/red%20door.png', await makeImage(12, 12, 'png'));
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { name: string; executionArn: string; existing: boolean; source: { key: string } };
    expect(accepted).toMatchObject({ existing: false, source: { key: 'shoots/2024/red door.png' }, name: expect.stringMatching(/^shoots-2024-red-door-png-[0-9a-f]{32}$/) });
    expect(response.headers.get('location')).toBe(`/api/executions/${accepted.name}`);
    const done = await until(s.server.url, accepted.name, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { published: { renditions: 3 } } });
    expect(done.history[0]!.type).toBe('ExecutionStarted');
    // By ARN too, percent-encoded.
    expect((await fetch(`${s.server.url}/api/executions/${encodeURIComponent(accepted.executionArn)}`)).status).toBe(200);

    const again = (await (await put(s.server.url, 'shoots/2024/red%20door.png', await makeImage(12, 12, 'png'))).json()) as { existing: boolean; name: string };
    expect(again).toMatchObject({ existing: true, name: accepted.name });

    const list = (await (await fetch(`${s.server.url}/api/executions?status=SUCCEEDED&prefix=shoots/&limit=10`)).json()) as { executions: unknown[] };
    expect(list.executions).toHaveLength(1);
    expect(((await (await fetch(`${s.server.url}/api/executions?prefix=elsewhere/`)).json()) as { executions: unknown[] }).executions).toHaveLength(0);
    expect((await fetch(`${s.server.url}/api/executions?status=DONE`)).status).toBe(400);
    expect(await (await fetch(`${s.server.url}/api/executions/nothing-here`)).json()).toMatchObject({ status: 404, code: 'ExecutionDoesNotExist' });
  } finally {
    await s.close();
  }
});

test('uploads that are not images, too large, or under a reserved key are refused and nothing is stored', async () => {
  const s = await serve({ env: { MAX_SOURCE_BYTES: '2000' } });
  try {
    const text = await put(s.server.url, 'notes.jpg', Buffer.from('hello, not an image'));
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 'ImageSource::UnsupportedFormat' });
    const big = await put(s.server.url, 'big.png', await makeImage(300, 300, 'png', '#123456').then(async (image) => Buffer.concat([image, Buffer.alloc(5000)])));
    expect(big.status).toBe(413);
    expect((await put(s.server.url, '_reviews/x.png', await makeImage(4, 4))).status).toBe(400);
    expect((await s.platform.storage.list('uploads')).objects).toEqual([]);
    expect((await s.workflows.engine.list()).executions).toEqual([]);
  } finally {
    await s.close();
  }
});

test('stop, redrive and the moderation decision through the routes', async () => {
  const s = await serve({ analyzer: new FixedAnalyzer({ flag: true }), env: { MODERATION_REVIEW: 'Yes' }, autoStart: false });
  try {
    const first = (await (await put(s.server.url, 'one.png', await makeImage(8, 8, 'png', '#ff0000'))).json()) as { name: string };
    const second = (await (await put(s.server.url, 'two.png', await makeImage(8, 8, 'png', '#00ff00'))).json()) as { name: string };
    expect((await fetch(`${s.server.url}/api/executions/${first.name}/stop`, { method: 'POST' })).status).toBe(200);
    expect(await until(s.server.url, first.name, ['ABORTED'])).toMatchObject({ status: 'ABORTED' });
    expect((await fetch(`${s.server.url}/api/executions/${first.name}/stop`, { method: 'POST' })).status).toBe(409);
    s.workflows.engine.resume();
    // Flagged and waiting for a decision.
    for (;;) {
      const body = (await (await fetch(`${s.server.url}/api/executions/${second.name}`)).json()) as { history: Array<{ type: string }> };
      if (body.history.some((event) => event.type === 'TaskSubmitted')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const bad = await fetch(`${s.server.url}/api/executions/${second.name}/decision`, { method: 'POST', body: JSON.stringify({ approved: 'yes' }) });
    expect(bad.status).toBe(400);
    const decided = await fetch(`${s.server.url}/api/executions/${second.name}/decision`, { method: 'POST', body: JSON.stringify({ approved: true, by: 'ops' }) });
    expect(decided.status).toBe(202);
    expect(await until(s.server.url, second.name, ['SUCCEEDED', 'FAILED'])).toMatchObject({ status: 'SUCCEEDED' });
    expect((await fetch(`${s.server.url}/api/executions/${second.name}/decision`, { method: 'POST', body: JSON.stringify({ approved: true }) })).status).toBe(404);

    expect((await fetch(`${s.server.url}/api/executions/${first.name}/redrive`, { method: 'POST' })).status).toBe(202);
    expect((await until(s.server.url, first.name, ['SUCCEEDED', 'FAILED', 'RUNNING'])).status).not.toBe('ABORTED');
  } finally {
    await s.close();
  }
});

test('a burst of 1,000 uploads: every one accepted, none dropped, run in order of arrival, each processed once', async () => {
  // Eight at a time: the executions wait on fsync more than on the CPU.
  const s = await serve({ env: { WORKFLOW_CONCURRENCY: '8' }, renditions: { default: [{ name: 'dot', width: 2, height: 2, fit: 'cover', formats: ['jpeg'], withoutEnlargement: true }] } });
  try {
    const image = await makeImage(4, 4, 'png');
    const total = 1000;
    const accepted: string[] = [];
    let next = 0;
    // 50 in flight at a time: a burst for the server, not a connection storm for the test.
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < total) {
          const index = next++;
          const response = await put(s.server.url, `burst/${String(index).padStart(4, '0')}.png`, image);
          expect(response.status).toBe(202);
          accepted.push(((await response.json()) as { name: string }).name);
        }
      }),
    );
    expect(new Set(accepted).size).toBe(total);
    const store = s.workflows.engine.store;
    while ((store.counts().SUCCEEDED ?? 0) + (store.counts().FAILED ?? 0) < total) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.counts()).toEqual({ SUCCEEDED: total });
    const rows = store.db.prepare(`SELECT seq, run_ms, redrive_count FROM executions ORDER BY seq`).all() as Array<{ seq: number; run_ms: number; redrive_count: number }>;
    // Taken from the queue in order of arrival: each began no earlier than the one accepted before it.
    for (let index = 1; index < rows.length; index++) expect(rows[index]!.run_ms).toBeGreaterThanOrEqual(rows[index - 1]!.run_ms);
    expect(rows.every((row) => row.redrive_count === 0)).toBe(true);
    expect(s.events.ofType('image.workflow.completed')).toHaveLength(total);
    expect(new Set(s.events.ofType('image.workflow.completed').map((event) => event.subject)).size).toBe(total);
  } finally {
    await s.close();
  }
}, 180_000);

test('malformed percent-escapes are a 400 with a stable code; a backfill prefix that leaves the bucket is a 400 and starts nothing', async () => {
  const s = await serve({ autoStart: false });
  try {
    for (const path of ['/api/executions/%E0%A4%A', '/api/executions/%', '/api/executions/a%zz/stop']) {
      const response = await fetch(`${s.server.url}${path}`, { method: path.endsWith('/stop') ? 'POST' : 'GET' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'Request::InvalidEncoding' });
    }
    for (const prefix of ['../../../../etc/', '/etc/pass', 'a/../../b']) {
      const response = await fetch(`${s.server.url}/api/backfills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prefix }) });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { code: string; message: string };
      expect(body.code).toBe('Storage::InvalidPrefix');
      expect(body.message).not.toContain('passwd');
    }
    expect((await s.workflows.engine.list({ workflow: 'backfill' })).executions).toEqual([]);
  } finally {
    await s.close();
  }
});
