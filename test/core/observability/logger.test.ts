/** One line shape for the server and the tasks, with secrets redacted whoever logs them. */
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
