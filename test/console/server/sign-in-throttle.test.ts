/** Credential guessing: per client and per account, with backoff, forgiven after a quiet window. */
import { SignInThrottle } from '../../../console/server/sign-in-throttle.js';

const options = { freePerClient: 2, freePerAccount: 4, baseMs: 1000, maxMs: 8000, windowMs: 60_000 };

test('a client waits after its free failures, each further failure doubling the wait up to the ceiling', () => {
  let now = 0;
  const throttle = new SignInThrottle(options, () => now);
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    throttle.failed('a', 'ops');
    waits.push(throttle.wait('a', 'ops'));
    now += throttle.wait('a', 'ops');
  }
  expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000]);
  throttle.failed('a', 'ops');
  expect(throttle.wait('a', 'ops')).toBe(8000);
});

test("an account's wait holds clients that failed, never one that did not; a success clears the client", () => {
  const now = 0;
  const throttle = new SignInThrottle(options, () => now);
  for (const client of ['b1', 'b2', 'b3', 'b4', 'b5']) throttle.failed(client, 'ops');
  // Each client failed once (free), but together they passed the account's four free failures.
  expect(throttle.wait('b1', 'ops')).toBe(1000);
  expect(throttle.wait('b1', 'other-account')).toBe(0);
  expect(throttle.wait('clean', 'ops')).toBe(0);
  throttle.succeeded('b1');
  expect(throttle.wait('b1', 'ops')).toBe(0);
});

test('failures are forgotten after the quiet window', () => {
  let now = 0;
  const throttle = new SignInThrottle(options, () => now);
  for (let i = 0; i < 3; i++) throttle.failed('c', 'ops');
  expect(throttle.wait('c', 'ops')).toBe(1000);
  now += 60_001;
  expect(throttle.wait('c', 'ops')).toBe(0);
  throttle.failed('c', 'ops');
  expect(throttle.wait('c', 'ops')).toBe(0); // counting starts again
});
