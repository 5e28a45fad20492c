/**
 * An execution's state graph: the workflow's ASL laid out (see `layout-graph.ts`), each state
 * coloured by what happened to it. Click a state to inspect it.
 */
import { useMemo } from 'preact/hooks';
import type { AslStateMachine } from '../workflow/asl.js';
import { layoutStateMachine, type LaidOutEdge, type LaidOutGraph, type LaidOutNode, type Point } from '../workflow/layout-graph.js';
import type { Outcome, StateRun } from '../workflow/state-runs.js';

export const OUTCOME_LABELS: Record<Outcome, string> = {
  'not-run': 'Not run',
  running: 'In progress',
  waiting: 'Waiting for a decision',
  succeeded: 'Succeeded',
  caught: 'Caught error',
  failed: 'Failed',
  aborted: 'Aborted',
};

interface Props {
  definition: AslStateMachine;
  runs: Map<string, StateRun>;
  selected?: string | undefined;
  onSelect?: (state: string) => void;
}

export function StateGraph({ definition, runs, selected, onSelect }: Props) {
  const graph = useMemo(() => layoutStateMachine(definition), [definition]);
  return (
    <figure class="state-graph">
      <svg
        viewBox={`0 0 ${Math.ceil(graph.width)} ${Math.ceil(graph.height)}`}
        width={Math.ceil(graph.width)}
        role="img"
        aria-label="State graph of the execution"
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        <Graph graph={graph} runs={runs} selected={selected} onSelect={onSelect} />
      </svg>
      <figcaption class="legend">
        {(Object.keys(OUTCOME_LABELS) as Outcome[]).map((outcome) => (
          <span key={outcome} class={`legend-item outcome-${outcome}`}>
            <i />
            {OUTCOME_LABELS[outcome]}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function Graph({ graph, runs, selected, onSelect }: { graph: LaidOutGraph } & Omit<Props, 'definition'>) {
  return (
    <g>
      {graph.edges.map((edge, index) => (
        <Edge key={index} edge={edge} />
      ))}
      {graph.nodes.map((node) => (
        <Node key={node.id} node={node} run={runs.get(node.id)} selected={selected === node.id} onSelect={onSelect} runs={runs} current={selected} />
      ))}
    </g>
  );
}

function Node({
  node,
  run,
  selected,
  onSelect,
  runs,
  current,
}: {
  node: LaidOutNode;
  run: StateRun | undefined;
  selected: boolean;
  onSelect?: ((state: string) => void) | undefined;
  runs: Map<string, StateRun>;
  current: string | undefined;
}) {
  if (node.kind !== 'state') {
    return (
      <g class={`terminal ${node.kind}`}>
        <circle cx={node.x} cy={node.y} r={node.width / 2} />
        <text x={node.x} y={node.y + node.height / 2 + 13} text-anchor="middle">
          {node.label}
        </text>
      </g>
    );
  }
  const outcome = run?.outcome ?? 'not-run';
  const left = node.x - node.width / 2;
  const top = node.y - node.height / 2;
  const badge = badgeOf(run);
  const select = () => onSelect?.(node.id);
  return (
    <g
      class={`state type-${node.type.toLowerCase()} outcome-${outcome}${selected ? ' selected' : ''}${node.inner ? ' container' : ''}`}
      data-state={node.id}
      data-outcome={outcome}
      tabIndex={0}
      role="button"
      aria-label={`${node.id}: ${OUTCOME_LABELS[outcome]}`}
      onClick={(event) => {
        event.stopPropagation();
        select();
      }}
      onKeyDown={(event) => (event.key === 'Enter' || event.key === ' ') && select()}
    >
      <title>{`${node.id} (${node.type}): ${OUTCOME_LABELS[outcome]}`}</title>
      <rect x={left} y={top} width={node.width} height={node.height} rx={node.type === 'Choice' ? 18 : 6} />
      <text x={node.x} y={node.inner ? top + 19 : node.y + 4.5} text-anchor="middle" class="state-label">
        {node.label}
      </text>
      {badge && (
        <text x={left + node.width - 8} y={top + 13} text-anchor="end" class="state-badge">
          {badge}
        </text>
      )}
      {node.inner?.map((inner, index) => (
        <Graph key={index} graph={inner} runs={runs} selected={current} onSelect={onSelect} />
      ))}
    </g>
  );
}

/** Retries and Map iterations, in a corner of the state. */
function badgeOf(run: StateRun | undefined): string | undefined {
  if (!run) return undefined;
  if (run.iterations && run.iterations.started) {
    const { started, succeeded, failed } = run.iterations;
    return `${succeeded}/${started}${failed ? ` · ${failed} failed` : ''}`;
  }
  const retries = Math.max(0, ...run.visits.map((visit) => visit.attempts - 1));
  if (run.visits.length > 1) return `×${run.visits.length}`;
  return retries ? `↻${retries}` : undefined;
}

function Edge({ edge }: { edge: LaidOutEdge }) {
  return (
    <g class={`edge edge-${edge.kind}`}>
      {edge.title && <title>{edge.title}</title>}
      <path d={pathOf(edge.points)} marker-end="url(#arrow)" />
      {edge.label && edge.labelAt && (
        <g class="edge-label">
          <rect x={edge.labelAt.x - (edge.label.length * 6.2 + 8) / 2} y={edge.labelAt.y - 8} width={edge.label.length * 6.2 + 8} height={16} rx={3} />
          <text x={edge.labelAt.x} y={edge.labelAt.y + 4} text-anchor="middle">
            {edge.label}
          </text>
        </g>
      )}
    </g>
  );
}

/** A smooth path through dagre's points (quadratic joins at the bends). */
function pathOf(points: Point[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  if (rest.length < 2) return `M${first!.x},${first!.y}${rest.map((p) => ` L${p.x},${p.y}`).join('')}`;
  let d = `M${first!.x},${first!.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const control = rest[i]!;
    const next = rest[i + 1]!;
    const end = i === rest.length - 2 ? next : { x: (control.x + next.x) / 2, y: (control.y + next.y) / 2 };
    d += ` Q${control.x},${control.y} ${end.x},${end.y}`;
  }
  return d;
}
