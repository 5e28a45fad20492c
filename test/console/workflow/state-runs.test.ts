/** Reading an execution's history into per-state outcomes, for Step Functions' and the local engine's histories. */
import { readHistory, type HistoryEvent } from '../../../console/src/workflow/state-runs.js';

/** Builds a history; `after` chains an event to another (Step Functions style), else to the one before. */
function history(events: [type: string, details?: Record<string, unknown>, after?: number][]): HistoryEvent[] {
  return events.map(([type, details, after], index) => {
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1).replace(/(Entered|Exited)$/, '')}EventDetails`;
    const detailKey = /StateEntered$/.test(type) ? 'stateEnteredEventDetails' : /StateExited$/.test(type) ? 'stateExitedEventDetails' : key;
    return {
      id: index + 1,
      previousEventId: after ?? index,
      timestamp: new Date(Date.UTC(2030, 0, 1, 0, 0, index)).toISOString(),
      type,
      ...(details ? { [detailKey]: details } : {}),
    };
  });
}

describe('readHistory', () => {
  test('a run that succeeded after a retry, through a Choice', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', { input: '{"imageId":"i1"}' }],
        ['TaskStateEntered', { name: 'Inspect', input: '{"imageId":"i1"}' }],
        ['TaskScheduled', { resource: 'inspect' }],
        ['TaskFailed', { error: 'TransientError', cause: 'S3 throttled' }],
        ['TaskScheduled', { resource: 'inspect' }],
        ['TaskSucceeded', { output: '{"width":10}' }],
        ['TaskStateExited', { name: 'Inspect', output: '{"inspection":{"width":10}}' }],
        ['ChoiceStateEntered', { name: 'IsFlagged' }],
        ['ChoiceStateExited', { name: 'IsFlagged' }],
        ['ExecutionSucceeded', { output: '{"ok":true}' }],
      ]),
    );
    expect(run.input).toEqual({ imageId: 'i1' });
    expect(run.output).toEqual({ ok: true });
    const inspect = run.states.get('Inspect')!;
    expect(inspect.outcome).toBe('succeeded');
    expect(inspect.visits).toEqual([
      expect.objectContaining({ attempts: 2, input: { imageId: 'i1' }, output: { inspection: { width: 10 } }, error: 'TransientError', cause: 'S3 throttled' }),
    ]);
    expect(run.states.get('IsFlagged')!.outcome).toBe('succeeded');
    expect(run.states.has('Publish')).toBe(false);
  });

  test('a caught failure goes down the failure path and the execution fails', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', { input: '{}' }],
        ['TaskStateEntered', { name: 'Inspect', input: '{}' }],
        ['TaskScheduled', {}],
        ['TaskFailed', { error: 'ImageError', cause: 'corrupt' }],
        ['TaskStateExited', { name: 'Inspect', output: '{"error":{}}' }],
        ['TaskStateEntered', { name: 'HandleFailure', input: '{}' }],
        ['TaskScheduled', {}],
        ['TaskSucceeded', {}],
        ['TaskStateExited', { name: 'HandleFailure', output: '{}' }],
        ['FailStateEntered', { name: 'Failed', input: '{}' }],
        ['ExecutionFailed', { error: 'ImageError', cause: 'corrupt' }],
      ]),
    );
    expect([...run.states.values()].map((state) => [state.name, state.outcome])).toEqual([
      ['Inspect', 'caught'],
      ['HandleFailure', 'succeeded'],
      ['Failed', 'failed'],
    ]);
    expect(run.states.get('Failed')!.visits[0]).toMatchObject({ error: 'ImageError', cause: 'corrupt' });
    expect(run).toMatchObject({ error: 'ImageError', cause: 'corrupt' });
  });

  test('an uncaught failure fails its state; states after it never ran', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', {}],
        ['TaskStateEntered', { name: 'Publish' }],
        ['TaskScheduled', {}],
        ['TaskFailed', { error: 'States.TaskFailed', cause: 'broker down' }],
        ['ExecutionFailed', { error: 'States.TaskFailed', cause: 'broker down' }],
      ]),
    );
    expect(run.states.get('Publish')).toMatchObject({ outcome: 'failed', visits: [{ error: 'States.TaskFailed', cause: 'broker down' }] });
  });

  test('a task waiting for its token is waiting; a stopped execution aborts it', () => {
    const events = history([
      ['ExecutionStarted', {}],
      ['TaskStateEntered', { name: 'QuarantineAndAwaitDecision' }],
      ['TaskScheduled', {}],
      ['TaskStarted', {}],
      ['TaskSubmitted', {}],
    ]);
    expect(readHistory(events, new Set(['QuarantineAndAwaitDecision'])).states.get('QuarantineAndAwaitDecision')!.outcome).toBe('waiting');
    expect(readHistory(events).states.get('QuarantineAndAwaitDecision')!.outcome).toBe('running');
    const stopped = [...events, ...history([['ExecutionAborted', {}]]).map((event) => ({ ...event, id: 6, previousEventId: 5 }))];
    expect(readHistory(stopped, new Set(['QuarantineAndAwaitDecision'])).states.get('QuarantineAndAwaitDecision')!.outcome).toBe('aborted');
  });

  test('Map iterations, chained per iteration as Step Functions does', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', {}], // 1
        ['MapStateEntered', { name: 'RenderRenditions' }], // 2
        ['MapStateStarted', {}], // 3
        ['MapIterationStarted', { name: 'RenderRenditions', index: 0 }, 3], // 4
        ['MapIterationStarted', { name: 'RenderRenditions', index: 1 }, 3], // 5
        ['TaskStateEntered', { name: 'RenderRendition', input: '{"preset":"small"}' }, 4], // 6
        ['TaskStateEntered', { name: 'RenderRendition', input: '{"preset":"large"}' }, 5], // 7
        ['TaskScheduled', {}, 6], // 8
        ['TaskScheduled', {}, 7], // 9
        ['TaskSucceeded', {}, 9], // 10
        ['TaskFailed', { error: 'TransientError', cause: 'slow' }, 8], // 11
        ['TaskScheduled', {}, 11], // 12
        ['TaskStateExited', { name: 'RenderRendition', output: '{"large":1}' }, 10], // 13
        ['TaskSucceeded', {}, 12], // 14
        ['TaskStateExited', { name: 'RenderRendition', output: '{"small":1}' }, 14], // 15
        ['MapIterationSucceeded', { name: 'RenderRenditions', index: 1 }, 13], // 16
        ['MapIterationSucceeded', { name: 'RenderRenditions', index: 0 }, 15], // 17
        ['MapStateSucceeded', {}, 17], // 18
        ['MapStateExited', { name: 'RenderRenditions', output: '{}' }, 18], // 19
      ]),
    );
    expect(run.states.get('RenderRenditions')).toMatchObject({ outcome: 'succeeded', iterations: { started: 2, succeeded: 2, failed: 0 } });
    const inner = run.states.get('RenderRendition')!;
    expect(inner.outcome).toBe('succeeded');
    expect(inner.visits.map((visit) => [visit.input, visit.attempts, visit.output])).toEqual([
      [{ preset: 'small' }, 2, { small: 1 }],
      [{ preset: 'large' }, 1, { large: 1 }],
    ]);
  });

  test('a history whose events simply follow each other (the local engine) reads the same', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', {}],
        ['MapStateEntered', { name: 'RenderRenditions' }],
        ['MapIterationStarted', { name: 'RenderRenditions', index: 0 }],
        ['TaskStateEntered', { name: 'RenderRendition' }],
        ['MapIterationStarted', { name: 'RenderRenditions', index: 1 }],
        ['TaskStateEntered', { name: 'RenderRendition' }],
        ['TaskScheduled', {}],
        ['TaskScheduled', {}],
        ['TaskSucceeded', {}],
        ['TaskStateExited', { name: 'RenderRendition' }],
        ['MapIterationSucceeded', { name: 'RenderRenditions', index: 0 }],
        ['TaskSucceeded', {}],
        ['TaskStateExited', { name: 'RenderRendition' }],
        ['MapIterationSucceeded', { name: 'RenderRenditions', index: 1 }],
        ['MapStateExited', { name: 'RenderRenditions' }],
        ['TaskStateEntered', { name: 'Publish' }],
      ]),
    );
    expect(run.states.get('RenderRenditions')).toMatchObject({ outcome: 'succeeded', iterations: { started: 2, succeeded: 2, failed: 0 } });
    expect(run.states.get('RenderRendition')).toMatchObject({ outcome: 'succeeded', visits: [{ outcome: 'succeeded' }, { outcome: 'succeeded' }] });
    expect(run.states.get('Publish')!.outcome).toBe('running');
  });

  test('after a redrive, a state that failed and then succeeded shows as succeeded', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', {}],
        ['TaskStateEntered', { name: 'Inspect' }],
        ['TaskStateExited', { name: 'Inspect' }],
        ['TaskStateEntered', { name: 'Publish' }],
        ['TaskScheduled', {}],
        ['TaskFailed', { error: 'States.TaskFailed', cause: 'broker down' }],
        ['ExecutionFailed', { error: 'States.TaskFailed', cause: 'broker down' }],
        ['ExecutionRedriven', { redriveCount: 1 }],
        ['TaskStateEntered', { name: 'Publish' }],
        ['TaskScheduled', {}],
        ['TaskSucceeded', {}],
        ['TaskStateExited', { name: 'Publish' }],
        ['ExecutionSucceeded', { output: '{}' }],
      ]),
    );
    expect(run.states.get('Inspect')!.outcome).toBe('succeeded');
    expect(run.states.get('Publish')).toMatchObject({ outcome: 'succeeded', visits: [{ outcome: 'succeeded', attempts: 1 }] });
    expect(run.error).toBeUndefined();
  });

  test('a redrive that replays states which had succeeded does not count them twice (no "×2")', () => {
    const run = readHistory(
      history([
        ['ExecutionStarted', {}],
        ['TaskStateEntered', { name: 'Inspect' }],
        ['TaskScheduled', {}],
        ['TaskSucceeded', {}],
        ['TaskStateExited', { name: 'Inspect' }],
        ['TaskStateEntered', { name: 'Publish' }],
        ['TaskScheduled', {}],
        ['TaskFailed', { error: 'States.TaskFailed', cause: 'broker down' }],
        ['ExecutionFailed', { error: 'States.TaskFailed', cause: 'broker down' }],
        ['ExecutionRedriven', { redriveCount: 1 }],
        // The local engine re-enters Inspect (its result is reused, no task runs), then Publish runs.
        ['TaskStateEntered', { name: 'Inspect' }],
        ['TaskStateExited', { name: 'Inspect' }],
        ['TaskStateEntered', { name: 'Publish' }],
        ['TaskScheduled', {}],
        ['TaskSucceeded', {}],
        ['TaskStateExited', { name: 'Publish' }],
        ['ExecutionSucceeded', { output: '{}' }],
      ]),
    );
    expect(run.states.get('Inspect')).toMatchObject({ outcome: 'succeeded', visits: [{ outcome: 'succeeded' }] });
    expect(run.states.get('Publish')).toMatchObject({ outcome: 'succeeded', visits: [{ outcome: 'succeeded', attempts: 1 }] });
  });
});
