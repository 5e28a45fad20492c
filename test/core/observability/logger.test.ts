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
