/** One line shape for the server and the tasks, with secrets redacted whoever logs them. */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../core/observability/logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  return { log, lines };
}

test('a line: level as a word, ISO time, service, message, then the fields', () => {
  const { log, lines } = capture();
  log.child({ task: 'inspect', executionId: 'arn:x' }).warn({ ms: 3 }, 'task failed');
  expect(lines).toEqual([{ level: 'warn', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), service: 'shutter', task: 'inspect', executionId: 'arn:x', ms: 3, msg: 'task failed' }]);
});

test('signatures, secrets, authorization headers and cookies never reach a line', () => {
  const { log, lines } = capture();
  log.info({ query: { signature: 'abc', w: '10' }, headers: { authorization: 'Bearer t', cookie: 'c=1', accept: '*/*' }, key: { secret: 's' } }, 'request');
  const text = JSON.stringify(lines);
  for (const secret of ['abc', 'Bearer t', 'c=1', '"s"']) expect(text).not.toContain(secret);
  expect(lines[0]).toMatchObject({ query: { signature: '[redacted]', w: '10' }, headers: { authorization: '[redacted]', accept: '*/*' }, key: { secret: '[redacted]' } });
});

test("a child logger's bindings are censored too, and errors keep their serializer", () => {
  const { log, lines } = capture();
  const original = { authorization: 'Bearer t', accept: '*/*' };
  log.child({ headers: original }).child({ task: 't' }).error({ err: Object.assign(new Error('boom'), { code: 'X' }), n: 1 }, 'failed');
  expect(lines[0]).toMatchObject({ headers: { authorization: '[redacted]', accept: '*/*' }, task: 't', err: { type: 'Error', message: 'boom', code: 'X', stack: expect.stringContaining('boom') }, n: 1 });
  // The caller's object is left as it was: the line gets a censored copy.
  expect(original.authorization).toBe('Bearer t');
});

test('the default logger writes a line to stdout before the call returns: no trip through the thread pool per line', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'shutter-log-')), 'stdout.log');
  const stdout = openSync(file, 'a');
  try {
    const child = spawnSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', 'scripts/run-ts.mjs', 'test/fixtures/logging/log-then-read-stdout.ts', file],
      { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toContain('already in the file');
    expect(child.status).toBe(0);
  } finally {
    closeSync(stdout);
  }
  const [line] = readFileSync(file, 'utf8').trim().split('\n');
  expect(JSON.parse(line!)).toMatchObject({ level: 'info', service: 'shutter', probe: true, msg: 'written before the call returns' });
});

/** One error for both loggers of a case, so its stack is the same. */
const leakyError = Object.assign(new Error('x'), { secret: 'k' });

describe("the lines are those pino's Node build wrote (the logger before session 6), field for field", () => {
  /** pino's Node build with the options shutter's logger had, for the comparison. */
  async function nodePino(lines: Array<Record<string, unknown>>) {
    const { pino } = await import('pino');
    return pino(
      {
        level: 'info',
        base: { service: 'shutter' },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: ['*.signature', '*.secret', '*.authorization', 'query.signature', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
      },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
  }
  const failure = Object.assign(new Error('settings table unreachable'), { code: 'ECONNREFUSED' });
  const calls: Array<[string, (log: ReturnType<typeof createLogger>) => void]> = [
    ['the access line', (log) => log.info({ requestId: 'r-1', client: '10.0.0.1', method: 'GET', path: '/fit-in/10x10/a.jpg', route: 'image', door: 'thumbor', status: 200, ms: 3.4, bytes: 120 }, 'request')],
    ['a message alone', (log) => log.warn('uploads sweep failed')],
    ['fields alone', (log) => log.error({ dropped: 3 })],
    ['a child with bindings, then fields', (log) => log.child({ task: 'inspect', executionId: 'arn:x' }).child({ imageId: 'b/k' }).info({ ms: 7 }, 'task succeeded')],
    ['an error under `err` (the standard serializer)', (log) => log.warn({ err: failure }, 'delivery settings could not be read')],
    ['secrets at every redacted path', (log) => log.info({ query: { signature: 's', w: '1' }, headers: { authorization: 'a', cookie: 'c', accept: '*/*' }, key: { secret: 'k' }, token: { authorization: 't' } }, 'request')],
    ["secrets in a child's bindings and in an error's own fields", (log) => log.child({ headers: { authorization: 'b', accept: '*/*' } }).error({ err: leakyError }, 'failed')],
    ['below the level: nothing', (log) => log.debug({ a: 1 }, 'hidden')],
  ];

  test.each(calls)('%s', async (_what, call) => {
    const expected: Array<Record<string, unknown>> = [];
    call((await nodePino(expected)) as unknown as ReturnType<typeof createLogger>);
    const { log, lines } = capture();
    call(log);
    const withoutTime = (line: Record<string, unknown>) => ({ ...line, time: typeof line.time });
    expect(lines.map(withoutTime)).toEqual(expected.map(withoutTime));
  });
});

test('levels: below the level writes nothing, a new level takes effect, silent writes nothing at all', () => {
  const { log, lines } = capture();
  log.debug('not yet');
  log.level = 'debug';
  log.debug('now');
  log.level = 'silent';
  log.fatal('never');
  expect(lines.map((line) => [line.level, line.msg])).toEqual([['debug', 'now']]);
});

test('fields JSON cannot write (a cycle) cost the line its fields, never the caller an exception', () => {
  const { log, lines } = capture();
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  expect(() => log.info({ cyclic }, 'with a cycle')).not.toThrow();
  expect(lines).toEqual([{ level: 'info', time: expect.any(String), service: 'shutter', msg: 'with a cycle', logError: expect.stringContaining('fields not serializable') }]);
});
