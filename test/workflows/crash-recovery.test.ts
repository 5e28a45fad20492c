/**
 * Kill the process mid-batch (SIGKILL: no chance to clean up) and start it again: every upload
 * ends processed exactly once. Runs the real CLI, `shutter process <dir>`, as a child process.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stop } from 'esbuild';
import { bundleForNode } from '../../scripts/bundle-node.mjs';
import { SqliteExecutionStore } from '../../workflows/engine/sqlite-execution-store.js';
import type { ShutterEvent } from '../../core/ports/event-sink.js';
import { manifestKey } from '../../core/renditions.js';
import { FsStorage } from '../../core/adapters/local/fs-storage.js';
import { readEventLog } from '../../core/adapters/local/jsonl-event-log.js';
import { ROOT, makeImage } from '../helpers/images.js';
import { scratchRoot } from '../helpers/workflow-platform.js';
import { EVENT_FAULTS, recordRow } from '../reliability/report-store.js';

const TOTAL = 40;
let cli: string;
let dir: string;

beforeAll(async () => {
  // Bundled next to node_modules so the child resolves packages as the real CLI does.
  cli = path.join(ROOT, '.cache', 'test-bin', `shutter-${process.pid}.mjs`);
  await bundleForNode(path.join(ROOT, 'bin/shutter.ts'), cli);
  await stop(); // esbuild's service process would keep jest alive
  dir = await mkdtemp(path.join(scratchRoot(), 'shutter-crash-'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(cli, { force: true });
});

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

test('killed with SIGKILL mid-batch, then started again: all uploads processed, each exactly once', async () => {
  const photos = path.join(dir, 'photos');
  const dataDir = path.join(dir, 'data');
  await mkdir(photos, { recursive: true });
  for (let index = 0; index < TOTAL; index++) {
    const colour = `#${(index * 6).toString(16).padStart(2, '0')}80${(255 - index * 6).toString(16).padStart(2, '0')}`;
    await writeFile(path.join(photos, `photo-${String(index).padStart(2, '0')}.jpg`), await makeImage(24, 16, 'jpeg', colour));
  }
  const renditionsFile = path.join(dir, 'renditions.json');
  await writeFile(renditionsFile, JSON.stringify({ default: [{ name: 'thumb', width: 8, height: 8, fit: 'cover', formats: ['webp', 'jpeg'] }] }));
  const env = { SHUTTER_DATA_DIR: dataDir, RENDITIONS_FILE: renditionsFile, WORKFLOW_CONCURRENCY: '2', SHUTTER_SEED_SAMPLES: 'No' };

  // First run: killed once a few executions have finished.
  const first = runCli(['process', photos, '--prefix', 'batch', '--quiet'], env);
  const historyFile = path.join(dataDir, 'workflows', 'history.db');
  let countsAtKill: Record<string, number> = {};
  // A run that ends on its own (a crash at start, say) fails the test at once instead of leaving it polling.
  let endedEarly: Awaited<typeof first.exited> | undefined;
  void first.exited.then((result) => (endedEarly = result));
  for (;;) {
    if (endedEarly) throw new Error(`The first run ended before it could be killed (code ${endedEarly.code}): ${endedEarly.stderr.slice(-2000)}`);
    const store = await new Promise<SqliteExecutionStore | undefined>((resolve) => {
      try {
        resolve(new SqliteExecutionStore(historyFile));
      } catch {
        resolve(undefined);
      }
    });
    if (store) {
      countsAtKill = store.counts();
      store.close();
      if ((countsAtKill.SUCCEEDED ?? 0) >= 3) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  first.child.kill('SIGKILL');
  const killed = await first.exited;
  expect(killed.signal).toBe('SIGKILL');
  expect(countsAtKill.SUCCEEDED ?? 0).toBeLessThan(TOTAL); // really mid-batch

  const between = new SqliteExecutionStore(historyFile);
  const left = between.db.prepare(`SELECT name FROM executions WHERE status = 'RUNNING'`).all() as Array<{ name: string }>;
  between.close();

  // Second run: the same command resumes; executions left RUNNING are redriven.
  const second = await runCli(['process', photos, '--prefix', 'batch', '--quiet'], env).exited;
  expect(second.stderr).not.toMatch(/FAILED|Error/);
  expect(second.code).toBe(0);
  expect(JSON.parse(second.stdout.trim().split('\n').at(-1)!)).toMatchObject({ total: TOTAL, succeeded: TOTAL, failed: 0 });

  // A third run finds everything done and starts nothing.
  const third = await runCli(['process', photos, '--prefix', 'batch', '--quiet'], env).exited;
  expect(third.code).toBe(0);

  const store = new SqliteExecutionStore(historyFile);
  let executionRows: Array<{ input: string }> = [];
  try {
    const rows = store.db.prepare(`SELECT seq, name, status, input, redrive_count FROM executions ORDER BY seq`).all() as Array<{
      seq: number;
      name: string;
      status: string;
      input: string;
      redrive_count: number;
    }>;
    executionRows = rows;
    expect(rows).toHaveLength(TOTAL); // one execution per upload, across three processes
    expect(rows.every((row) => row.status === 'SUCCEEDED')).toBe(true);
    expect(new Set(rows.map((row) => (JSON.parse(row.input) as { source: { key: string } }).source.key)).size).toBe(TOTAL);
    for (const name of left.map((row) => row.name)) {
      const row = rows.find((candidate) => candidate.name === name)!;
      expect(row.redrive_count).toBeGreaterThanOrEqual(1);
      const types = store.events(row.seq, { afterId: 0, limit: 1000, reverse: false }).map((event) => event.type);
      // Redriven after the events it had recorded (none, if it was killed the moment it was claimed).
      expect(types.filter((type) => type === 'ExecutionStarted')).toHaveLength(1);
      expect(types.filter((type) => type === 'ExecutionRedriven').length).toBeLessThanOrEqual(row.redrive_count);
      expect(types.at(-1)).toBe('ExecutionSucceeded');
    }
  } finally {
    store.close();
  }

  const storage = new FsStorage(path.join(dataDir, 'buckets'));
  const keys = Array.from({ length: TOTAL }, (_, index) => `batch/photo-${String(index).padStart(2, '0')}.jpg`);
  const manifests = await Promise.all(keys.map((key) => storage.head('renditions', manifestKey(key)).catch(() => undefined)));
  // Events are delivered at least once; a re-run task re-sends the same ids, so consumers see each once.
  const lines: ShutterEvent[] = [];
  for await (const line of readEventLog(path.join(dataDir, 'events'))) lines.push(JSON.parse(line) as ShutterEvent);
  const completed = lines.filter((event) => event.type === 'image.workflow.completed');
  const completedIds = new Set(completed.map((event) => event.id));
  const completedSubjects = new Set(completed.map((event) => event.subject));
  const executions = executionRows.length;
  const executedKeys = new Set(executionRows.map((row) => (JSON.parse(row.input) as { source: { key: string } }).source.key));

  recordRow(EVENT_FAULTS, 'Process killed (SIGKILL) mid-batch, then started again', {
    cases: TOTAL,
    'faults injected': 1,
    'delivered once': completedSubjects.size,
    lost: keys.filter((_, index) => !manifests[index]).length + (TOTAL - completedSubjects.size),
    duplicated: executions - executedKeys.size + (completedIds.size - completedSubjects.size),
    'same-id copies (dropped by consumers)': completed.length - completedIds.size,
    counted: 'uploads: one execution, one manifest, one image.workflow.completed id each',
    'succeeded before the kill': countsAtKill.SUCCEEDED ?? 0,
    'running at the kill, redriven': left.length,
  }, import.meta.filename);

  expect(manifests.every(Boolean)).toBe(true);
  expect(completedIds.size).toBe(TOTAL);
  expect(completedSubjects.size).toBe(TOTAL);
}, 900_000);
