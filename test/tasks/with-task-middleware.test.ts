/**
 * The middleware every task shares: input validation, structured logs with execution and image
 * ids, and errors mapped to the names the state machine's Retry and Catch match.
 */
import { ImageError, RETRYABLE_ERROR_NAMES, TERMINAL_ERROR_NAMES } from '../../core/errors.js';
import { classifyError, parseWireMessage } from '../../tasks/middleware/map-errors.js';
import * as inspect from '../../tasks/inspect.js';
import { createLogger } from '../../core/observability/logger.js';
import { taskDepsFrom } from '../../tasks/task-deps.js';
import { FixedAnalyzer } from '../helpers/fake-analyzers.js';
import { makeImage } from '../helpers/images.js';
import { testPlatform } from '../helpers/workflow-platform.js';

test('a task handler validates, logs one line with its ids, and maps errors to Retry/Catch names', async () => {
  const test = await testPlatform({ analyzer: new FixedAnalyzer() });
  try {
    // The server's logger, writing to a list: task lines have the server's shape.
    const logs: Array<Record<string, unknown>> = [];
    const deps = taskDepsFrom(test.platform, { log: createLogger({ destination: { write: (line: string) => logs.push(JSON.parse(line)) } }) });
    const handler = inspect.handler.withDeps(deps);
    const { etag } = await test.platform.storage.put('uploads', 'ok.png', await makeImage(10, 6));
    const ids = { executionId: 'arn:aws:states:local:000000000000:execution:image:ok', imageId: 'img_1' };
    await expect(handler({ ...ids, source: { bucket: 'uploads', key: 'ok.png', etag } })).resolves.toMatchObject({ type: 'png', width: 10, height: 6 });
    expect(logs.at(-1)).toMatchObject({ level: 'info', msg: 'task succeeded', task: 'inspect', ...ids, ms: expect.any(Number) });
    expect(logs.at(-1)).toMatchObject({ service: 'shutter', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), requestId: expect.any(String) });

    // Invalid input: a RequestError, its code in the message, never retried.
    const invalid = await handler({ ...ids, source: { bucket: 'Not A Bucket', key: '' } }).catch((error: Error) => error);
    expect(invalid).toMatchObject({ name: 'RequestError', message: expect.stringMatching(/^\[Task::InvalidInput(\|[^\]]+)?\] .*source\.bucket/) });
    expect(TERMINAL_ERROR_NAMES).toContain((invalid as Error).name);
    expect(logs.at(-1)).toMatchObject({ level: 'error', msg: 'task failed', code: 'Task::InvalidInput', imageId: 'img_1' });

    // A missing object: NotFoundError, terminal.
    const missing = await handler({ ...ids, source: { bucket: 'uploads', key: 'gone.png' } }).catch((error: Error) => error);
    expect(missing).toMatchObject({ name: 'NotFoundError', message: expect.stringContaining('[NoSuchKey|') });

    // A newer upload replaced the object: this execution stops, the newer one renders.
    const superseded = await handler({ ...ids, source: { bucket: 'uploads', key: 'ok.png', etag: '"0000"' } }).catch((error: Error) => error);
    expect(superseded).toMatchObject({ name: 'RequestError', message: expect.stringContaining('[Upload::Superseded|') });
  } finally {
    await test.cleanup();
  }
});

test.each([
  [Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), 'TransientError'],
  [Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }), 'TransientError'],
  [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'TransientError'],
  [new ImageError('ImageSource::CorruptImage', 'corrupt'), 'ImageError'],
  [new TypeError('x is undefined'), 'ShutterError'],
])('classifyError(%s) is a %s', (error, name) => {
  const classified = classifyError(error);
  expect(classified.name).toBe(name);
  if (name === 'TransientError') expect(RETRYABLE_ERROR_NAMES).toContain(classified.name);
});

test('the code travels in the message and comes back out', () => {
  expect(parseWireMessage('[ImageSource::TooLarge] The upload is too large.')).toEqual({ code: 'ImageSource::TooLarge', message: 'The upload is too large.' });
  expect(parseWireMessage('plain message')).toEqual({ code: undefined, message: 'plain message' });
});
