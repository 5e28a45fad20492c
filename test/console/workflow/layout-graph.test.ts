/** The state graph's layout: every state placed once, nothing overlapping, nested graphs inside their box. */
import { IMAGE_WORKFLOW_ASL } from '../../../workflows/asl/image-workflow.asl.js';
import type { AslStateMachine } from '../../../console/src/workflow/asl.js';
import { describeRule } from '../../../console/src/workflow/asl.js';
import { END, layoutStateMachine, START, type LaidOutGraph, type LaidOutNode } from '../../../console/src/workflow/layout-graph.js';

const MACHINE: AslStateMachine = {
  StartAt: 'Inspect',
  States: {
    Inspect: { Type: 'Task', Resource: 'arn:fn:inspect', Next: 'IsFlagged', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'HandleFailure' }] },
    IsFlagged: {
      Type: 'Choice',
      Choices: [{ Variable: '$.moderation.status', StringEquals: 'flagged', Next: 'Quarantined' }],
      Default: 'Render',
    },
    Quarantined: { Type: 'Succeed' },
    Render: {
      Type: 'Map',
      Next: 'Publish',
      ItemProcessor: { StartAt: 'RenderOne', States: { RenderOne: { Type: 'Task', Resource: 'arn:fn:render', End: true } } },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'HandleFailure' }],
    },
    Publish: { Type: 'Task', Resource: 'arn:fn:publish', End: true },
    HandleFailure: { Type: 'Task', Resource: 'arn:fn:failure', Next: 'Failed' },
    Failed: { Type: 'Fail' },
  },
};

const overlap = (a: LaidOutNode, b: LaidOutNode) =>
  Math.abs(a.x - b.x) * 2 < a.width + b.width && Math.abs(a.y - b.y) * 2 < a.height + b.height;

describe('layoutStateMachine', () => {
  const graph = layoutStateMachine(MACHINE);

  test('every state once, with Start and End, none overlapping, all inside the drawing', () => {
    expect(graph.nodes.map((node) => node.id).sort()).toEqual([START, END, ...Object.keys(MACHINE.States)].sort());
    for (const [i, a] of graph.nodes.entries()) {
      expect(a.x - a.width / 2).toBeGreaterThanOrEqual(0);
      expect(a.y + a.height / 2).toBeLessThanOrEqual(graph.height);
      for (const b of graph.nodes.slice(i + 1)) expect({ pair: [a.id, b.id], overlap: overlap(a, b) }).toEqual({ pair: [a.id, b.id], overlap: false });
    }
  });

  test('Start is on top, the flow goes down, End is at the bottom', () => {
    const y = (id: string) => graph.nodes.find((node) => node.id === id)!.y;
    expect(y(START)).toBeLessThan(y('Inspect'));
    expect(y('Inspect')).toBeLessThan(y('IsFlagged'));
    expect(y('Render')).toBeLessThan(y('Publish'));
    expect(y(END)).toBe(Math.max(...graph.nodes.map((node) => node.y)));
  });

  test('edges: next, labelled choices and default, dashed catches, terminal states to End', () => {
    const edges = graph.edges.map((edge) => [edge.from, edge.to, edge.kind, edge.label ?? '']);
    expect(edges).toEqual(
      expect.arrayContaining([
        [START, 'Inspect', 'next', ''],
        ['IsFlagged', 'Quarantined', 'choice', '$.moderation.status == "flagged"'],
        ['IsFlagged', 'Render', 'default', 'otherwise'],
        ['Inspect', 'HandleFailure', 'catch', 'catch States.ALL'],
        ['Quarantined', END, 'next', ''],
        ['Failed', END, 'next', ''],
        ['Publish', END, 'next', ''],
      ]),
    );
    for (const edge of graph.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
  });

  test("a Map's own graph is drawn inside its box", () => {
    const map = graph.nodes.find((node) => node.id === 'Render')!;
    const inner = map.inner![0] as LaidOutGraph;
    const task = inner.nodes.find((node) => node.id === 'RenderOne')!;
    expect(task.x - task.width / 2).toBeGreaterThanOrEqual(map.x - map.width / 2);
    expect(task.x + task.width / 2).toBeLessThanOrEqual(map.x + map.width / 2);
    expect(task.y - task.height / 2).toBeGreaterThanOrEqual(map.y - map.height / 2);
    expect(task.y + task.height / 2).toBeLessThanOrEqual(map.y + map.height / 2);
  });

  test('the image workflow as deployed: every state drawn once, nothing overlapping', () => {
    const real = layoutStateMachine(IMAGE_WORKFLOW_ASL as unknown as AslStateMachine);
    const drawn = [...real.nodes, ...real.nodes.flatMap((node) => node.inner?.flatMap((inner) => inner.nodes) ?? [])].filter((node) => node.kind === 'state');
    expect(drawn.map((node) => node.id).sort()).toEqual(
      ['Inspect', 'Moderate', 'IsFlagged', 'NeedsReview', 'Quarantine', 'Quarantined', 'QuarantineAndAwaitDecision', 'IsApproved', 'Rejected', 'SmartCrop', 'RenderRenditions', 'RenderRendition', 'Publish', 'HandleFailure', 'Failed'].sort(),
    );
    for (const [i, a] of real.nodes.entries()) for (const b of real.nodes.slice(i + 1)) expect({ pair: [a.id, b.id], overlap: overlap(a, b) }).toEqual({ pair: [a.id, b.id], overlap: false });
  });

  test('Choice rules read as conditions', () => {
    expect(describeRule({ And: [{ Variable: '$.a', IsPresent: true }, { Variable: '$.a', BooleanEquals: true }] })).toBe('$.a is present and $.a == true');
    expect(describeRule({ Not: { Variable: '$.n', NumericGreaterThanEquals: 3 } })).toBe('not ($.n ≥ 3)');
    expect(describeRule({ Variable: '$.t', TimestampLessThanPath: '$.u' })).toBe('$.t < "$.u"');
  });
});
