/**
 * Lays out a state machine's graph the way the Step Functions console draws it: Start on top,
 * states in ranks, Choice branches and Catch edges labelled, End at the bottom. Map and Parallel
 * states are boxes holding their own graph, laid out first (recursively) so the outer layout
 * knows their size. Layout by dagre; drawing is the component's job.
 */
import dagre from '@dagrejs/dagre';
import { describeRule, innerMachines, type AslState, type AslStateMachine } from './asl.js';

export interface Point {
  x: number;
  y: number;
}

export interface LaidOutNode {
  /** The state's name, or `__start__`/`__end__` (unique per machine level). */
  id: string;
  label: string;
  kind: 'start' | 'end' | 'state';
  type: string;
  /** Centre and size, in the SVG's coordinates. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** For Map and Parallel: the graphs inside, already placed in the same coordinates. */
  inner?: LaidOutGraph[];
}

export interface LaidOutEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  label?: string;
  /** The full label, when `label` is shortened. */
  title?: string;
  points: Point[];
  labelAt?: Point;
}

export interface LaidOutGraph {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
}

export const START = '__start__';
export const END = '__end__';

const NODE_HEIGHT = 38;
const CHAR_WIDTH = 7.4;
const LABEL_MAX = 34;
/** Room around a nested graph for its container's title. */
const INNER_PADDING = { x: 14, top: 30, bottom: 12 };

export function layoutStateMachine(machine: AslStateMachine, level = 0): LaidOutGraph {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 14, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  const start = level === 0 ? START : `${START}${level}`;
  const end = level === 0 ? END : `${END}${level}`;
  const innerGraphs = new Map<string, LaidOutGraph[]>();

  graph.setNode(start, { width: 28, height: 28 });
  graph.setNode(end, { width: 28, height: 28 });
  for (const [name, state] of Object.entries(machine.States)) {
    const inner = innerMachines(state).map((m) => layoutStateMachine(m, level + 1));
    if (inner.length) {
      innerGraphs.set(name, inner);
      const width = inner.reduce((sum, g) => sum + g.width, 0) + INNER_PADDING.x * (inner.length + 1);
      const height = Math.max(...inner.map((g) => g.height)) + INNER_PADDING.top + INNER_PADDING.bottom;
      graph.setNode(name, { width: Math.max(width, labelWidth(name)), height });
    } else graph.setNode(name, { width: labelWidth(name), height: NODE_HEIGHT });
  }

  const edges: Omit<LaidOutEdge, 'points'>[] = [{ from: start, to: machine.StartAt, kind: 'next' }];
  for (const [name, state] of Object.entries(machine.States)) edges.push(...edgesOf(name, state, end));
  edges.forEach((edge, index) => {
    const label = edge.label ? { width: edge.label.length * 6.2 + 8, height: 16, labelpos: 'c' } : {};
    graph.setEdge({ v: edge.from, w: edge.to, name: String(index) }, label);
  });

  dagre.layout(graph);

  const nodes: LaidOutNode[] = graph.nodes().map((id: string) => {
    const placed = graph.node(id) as { x: number; y: number; width: number; height: number };
    const state = machine.States[id];
    const node: LaidOutNode = {
      id,
      label: id === start ? 'Start' : id === end ? 'End' : id,
      kind: id === start ? 'start' : id === end ? 'end' : 'state',
      type: state?.Type ?? '',
      x: placed.x,
      y: placed.y,
      width: placed.width,
      height: placed.height,
    };
    const inner = innerGraphs.get(id);
    if (inner) node.inner = placeInside(inner, placed);
    return node;
  });
  const laidOutEdges: LaidOutEdge[] = edges.map((edge, index) => {
    const placed = graph.edge({ v: edge.from, w: edge.to, name: String(index) }) as { points: Point[]; x?: number; y?: number };
    return { ...edge, points: placed.points, ...(placed.x !== undefined && placed.y !== undefined && edge.label ? { labelAt: { x: placed.x, y: placed.y } } : {}) };
  });
  const { width = 0, height = 0 } = graph.graph() as { width?: number; height?: number };
  return { nodes, edges: laidOutEdges, width, height };
}

function edgesOf(name: string, state: AslState, end: string): Omit<LaidOutEdge, 'points'>[] {
  const edges: Omit<LaidOutEdge, 'points'>[] = [];
  if (state.Type === 'Choice') {
    for (const rule of state.Choices ?? []) {
      if (!rule.Next) continue;
      const full = describeRule(rule);
      edges.push({ from: name, to: rule.Next, kind: 'choice', label: shorten(full), ...(full.length > LABEL_MAX ? { title: full } : {}) });
    }
    if (state.Default) edges.push({ from: name, to: state.Default, kind: 'default', label: 'otherwise' });
  }
  if (state.Next) edges.push({ from: name, to: state.Next, kind: 'next' });
  if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') edges.push({ from: name, to: end, kind: 'next' });
  for (const handler of state.Catch ?? []) {
    const errors = handler.ErrorEquals.join(', ');
    edges.push({ from: name, to: handler.Next, kind: 'catch', label: shorten(`catch ${errors}`), title: `Catch ${errors}` });
  }
  return edges;
}

/** Moves nested graphs into their container, side by side under its title. */
function placeInside(inner: LaidOutGraph[], box: { x: number; y: number; width: number; height: number }): LaidOutGraph[] {
  const total = inner.reduce((sum, g) => sum + g.width, 0) + INNER_PADDING.x * (inner.length - 1);
  let left = box.x - total / 2;
  const top = box.y - box.height / 2 + INNER_PADDING.top;
  return inner.map((g) => {
    const dx = left;
    left += g.width + INNER_PADDING.x;
    return translate(g, dx, top);
  });
}

function translate(g: LaidOutGraph, dx: number, dy: number): LaidOutGraph {
  const move = (p: Point) => ({ x: p.x + dx, y: p.y + dy });
  return {
    ...g,
    nodes: g.nodes.map((n) => ({ ...n, ...move(n), ...(n.inner ? { inner: n.inner.map((i) => translate(i, dx, dy)) } : {}) })),
    edges: g.edges.map((e) => ({ ...e, points: e.points.map(move), ...(e.labelAt ? { labelAt: move(e.labelAt) } : {}) })),
  };
}

function labelWidth(label: string): number {
  return Math.max(120, Math.round(label.length * CHAR_WIDTH + 36));
}

function shorten(text: string): string {
  return text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text;
}
