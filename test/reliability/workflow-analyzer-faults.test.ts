/**
 * The analyzer failing under the bulk workflow (the local engine running the committed ASL with
 * the real task handlers): a batch of uploads, each meeting one kind of failure in Moderate or
 * SmartCrop. Passing faults are retried and the execution succeeds; faults that outlast the
 * retries, and crashes, end the execution FAILED with an `image.workflow.failed` event (visible,
 * never silent); once the analyzer is healthy again, redriving the failed executions completes
 * them. Counted at the end: every upload one execution, one manifest and one completion event.
 */
import { createHash } from 'node:crypto';
import { TransientError } from '../../core/errors.js';
import type { Analyzer, ModerationResult, SubjectsResult } from '../../core/ports/analyzer.js';
import { manifestKey } from '../../core/renditions.js';
import { createLocalWorkflows, type LocalWorkflows } from '../../workflows/local-runtime.js';
import { makeImage } from '../helpers/images.js';
import { prepareWorkflowDefinitions, testPlatform, type TestPlatform } from '../helpers/workflow-platform.js';
import { EVENT_FAULTS, recordRow } from './report-store.js';
import { silentLogger } from '../../core/observability/logger.js';

/** What the analyzer does for one image: which call fails, how, and how many times before it answers. */
interface Fault {
  name: string;
  call: 'moderate' | 'detectSubjects';
  error: () => Error;
  times: number;
  /** How the execution must end before any redrive. */
  expect: 'SUCCEEDED' | 'FAILED';
}

const networkError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const FAULTS: Fault[] = [
  { name: 'busy twice (TransientError)', call: 'detectSubjects', error: () => new TransientError('Analyzer::Busy', 'busy (test)'), times: 2, expect: 'SUCCEEDED' },
  { name: 'throttled once (Rekognition ThrottlingException)', call: 'moderate', error: throttled, times: 1, expect: 'SUCCEEDED' },
  { name: 'connection reset once', call: 'detectSubjects', error: networkError, times: 1, expect: 'SUCCEEDED' },
  { name: 'down past the retries', call: 'moderate', error: () => new TransientError('Analyzer::Unavailable', 'down (test)'), times: 1_000, expect: 'FAILED' },
  { name: 'crash (unexpected exception)', call: 'detectSubjects', error: () => new TypeError("Cannot read properties of undefined (reading 'shape')"), times: 1_000, expect: 'FAILED' },
];
const IMAGES_PER_FAULT = 3;

/** Fails each image's calls as its fault says, by content hash (the analyzer sees bytes, not keys); `heal()` ends every fault. */
class FaultyAnalyzer implements Analyzer {
  readonly name = 'faulty-test-analyzer';
  readonly failures = new Map<string, number>();
  private readonly plan = new Map<string, Fault>();
  private healed = false;

  assign(body: Buffer, fault: Fault): void {
    this.plan.set(hash(body), fault);
  }

  heal(): void {
    this.healed = true;
  }

  async moderate(body: Buffer): Promise<ModerationResult> {
    this.maybeFail(body, 'moderate');
    return { analyzer: this.name, ms: 0, labels: [] };
  }

  async detectSubjects(body: Buffer): Promise<SubjectsResult> {
    this.maybeFail(body, 'detectSubjects');
    return { analyzer: this.name, ms: 0, faces: [] };
  }

  private maybeFail(body: Buffer, call: Fault['call']): void {
    const key = hash(body);
    const fault = this.plan.get(key);
    if (this.healed || !fault || fault.call !== call) return;
    const failed = this.failures.get(key) ?? 0;
    if (failed >= fault.times) return;
    this.failures.set(key, failed + 1);
    throw fault.error();
  }
}

const hash = (body: Buffer) => createHash('sha256').update(body).digest('hex');

let test0: TestPlatform;
let workflows: LocalWorkflows;
beforeAll(prepareWorkflowDefinitions, 120_000);
afterAll(async () => {
  await workflows?.close();
  await test0?.cleanup();
});

test('analyzer faults in the workflow: passing ones retried, lasting ones fail visibly, all complete once after a redrive', async () => {
  const analyzer = new FaultyAnalyzer();
  test0 = await testPlatform({ analyzer, env: { LOG_LEVEL: 'silent' } });
  // Retries wait 0 ms here; their backoff is the definition's (asserted in test/workflows).
  const retryIntervalOverrides = Object.fromEntries(['Inspect', 'Moderate', 'SmartCrop', 'RenderRendition', 'Publish', 'Quarantine', 'HandleFailure'].map((state) => [state, 0]));
  workflows = createLocalWorkflows(test0.platform, { log: silentLogger, sweep: false, retryIntervalOverrides, pollMs: 50 });

  const uploads: Array<{ key: string; body: Buffer; fault: Fault }> = [];
  for (const [f, fault] of FAULTS.entries()) {
    for (let n = 0; n < IMAGES_PER_FAULT; n++) {
      const body = await makeImage(16 + n, 16 + f, 'jpeg'); // distinct bytes per image
      analyzer.assign(body, fault);
      uploads.push({ key: `faults/${f}-${n}.jpg`, body, fault });
    }
  }
  const started = [];
  for (const { key, body } of uploads) {
    const { etag } = await test0.platform.storage.put('uploads', key, body);
    started.push(await workflows.startUpload(key, etag));
  }
  const first = await Promise.all(started.map((execution) => workflows.engine.settled(execution.executionArn)));
  const failedEvents = test0.events.ofType('image.workflow.failed');
  const retried = await Promise.all(
    first.map(async (execution) => (await workflows.engine.history(execution.executionArn)).events.filter((event) => event.type === 'TaskFailed').length),
  );

  // The analyzer is back: the failed executions are redriven (an operator's button, or `shutter executions redrive`).
  analyzer.heal();
  for (const execution of first.filter((candidate) => candidate.status === 'FAILED')) await workflows.engine.redrive(execution.executionArn);
  const final = await Promise.all(first.map((execution) => workflows.engine.settled(execution.executionArn)));

  const executions = (await workflows.engine.list()).executions;
  const manifests = await Promise.all(uploads.map(({ key }) => test0.platform.storage.head('renditions', manifestKey(key)).catch(() => undefined)));
  const completed = test0.events.ofType('image.workflow.completed');
  const completedSubjects = new Set(completed.map((event) => event.subject));
  const completedIds = new Set(completed.map((event) => event.id));
  const failedVisibly = first.filter((execution) => execution.status === 'FAILED' && failedEvents.some((event) => event.subject === (execution.input as { imageId: string }).imageId)).length;

  recordRow(EVENT_FAULTS, 'Analyzer failures in the workflow (Moderate, SmartCrop)', {
    cases: uploads.length,
    'faults injected': [...analyzer.failures.values()].reduce((sum, count) => sum + count, 0),
    'delivered once': completedSubjects.size,
    lost: manifests.filter((manifest) => !manifest).length + (uploads.length - completedSubjects.size),
    duplicated: executions.length - uploads.length + (completedIds.size - completedSubjects.size),
    'same-id copies (dropped by consumers)': completed.length - completedIds.size,
    counted: 'uploads: one execution, one manifest, one image.workflow.completed id each',
    'outcomes before the redrive': FAULTS.map((fault) => `${fault.name} → ${[...new Set(first.filter((_, index) => uploads[index]!.fault === fault).map((execution) => execution.status))].join('/')}`).join('; '),
    'task failures in the history (retried, or caught)': retried.reduce((sum, count) => sum + count, 0),
    'failed visibly (FAILED + image.workflow.failed)': failedVisibly,
    'completed after the redrive': final.filter((execution) => execution.status === 'SUCCEEDED').length,
  }, import.meta.filename);

  uploads.forEach(({ key, fault }, index) => expect({ key, status: first[index]!.status }).toEqual({ key, status: fault.expect }));
  // Lasting transient faults were tried 1 + MaxAttempts (3) times; a crash is caught at once, not retried.
  const attempts = (name: string) => uploads.filter(({ fault }) => fault.name.startsWith(name)).map(({ body }) => analyzer.failures.get(hash(body)));
  expect(attempts('down')).toEqual([4, 4, 4]);
  expect(attempts('crash')).toEqual([1, 1, 1]);
  // Each failed execution said why, in its own failure event, with the analyzer's error as the cause.
  expect(failedEvents).toHaveLength(first.filter((execution) => execution.status === 'FAILED').length);
  expect(failedVisibly).toBe(failedEvents.length);
  for (const event of failedEvents) expect(event.data).toMatchObject({ error: { name: expect.stringMatching(/^(TransientError|ShutterError)$/) } });
  expect(final.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
  expect(executions).toHaveLength(uploads.length);
  expect(manifests.every(Boolean)).toBe(true);
  expect(completedSubjects.size).toBe(uploads.length);
  expect(completedIds.size).toBe(uploads.length);
}, 300_000);
