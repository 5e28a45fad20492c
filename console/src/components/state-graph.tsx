/**
 * An execution's state graph: the workflow's ASL laid out (see `layout-graph.ts`), each state
 * coloured by what happened to it. Click a state, or Tab to it and press Enter, to inspect it;
 * arrow keys move between states. Zoom with the buttons (or + / − / 0 on the graph, Ctrl+wheel)
 * and drag to pan; Fit shows the whole graph again.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
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

interface View {
  scale: number;
  x: number;
  y: number;
}
const FIT: View = { scale: 1, x: 0, y: 0 };
const ZOOM_STEP = 1.25;
const MIN_SCALE = 0.5;
const MAX_SCALE = 4;

export function StateGraph({ definition, runs, selected, onSelect }: Props) {
  const graph = useMemo(() => layoutStateMachine(definition), [definition]);
  const [view, setView] = useState<View>(FIT);
  const svg = useRef<SVGSVGElement>(null);
  const drag = useRef<{ pointer: number; x: number; y: number } | undefined>(undefined);
  const width = Math.ceil(graph.width);
  const height = Math.ceil(graph.height);
  // Zooms about the centre of the view, so what the operator looks at stays in place.
  const zoom = (factor: number) =>
    setView((current) => {
      const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, current.scale * factor));
      const ratio = scale / current.scale;
      return { scale, x: width / 2 - (width / 2 - current.x) * ratio, y: height / 2 - (height / 2 - current.y) * ratio };
    });
  // Screen pixels to graph units: the SVG is scaled to its box.
  const unitsPerPixel = () => width / Math.max(1, svg.current?.getBoundingClientRect().width ?? width);
  const order = useMemo(() => stateOrder(graph), [graph]);
  const move = (from: string, step: number) => {
    const next = order[(order.indexOf(from) + step + order.length) % order.length];
    if (next) (svg.current?.querySelector(`[data-focus="${CSS.escape(next)}"]`) as SVGGElement | null)?.focus();
  };
  return (
    <figure class="state-graph">
      <div class="graph-tools" role="toolbar" aria-label="Graph view">
        <button type="button" class="secondary small" onClick={() => zoom(ZOOM_STEP)} aria-label="Zoom in" title="Zoom in (+)">
          +
        </button>
        <button type="button" class="secondary small" onClick={() => zoom(1 / ZOOM_STEP)} aria-label="Zoom out" title="Zoom out (−)">
          −
        </button>
        <button type="button" class="secondary small" onClick={() => setView(FIT)} title="Show the whole graph (0)">
          Fit
        </button>
        <span class="muted small" data-zoom={view.scale.toFixed(2)}>
          {Math.round(view.scale * 100)}%
        </span>
      </div>
      <svg
        ref={svg}
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        role="group"
        aria-label="State graph of the execution: Tab to a state, arrow keys to move, Enter to inspect it"
        class={drag.current ? 'panning' : ''}
        onKeyDown={(event) => {
          if (event.key === '+' || event.key === '=') zoom(ZOOM_STEP);
          else if (event.key === '-') zoom(1 / ZOOM_STEP);
          else if (event.key === '0') setView(FIT);
          else return;
          event.preventDefault();
        }}
        onWheel={(event) => {
          if (!event.ctrlKey && !event.metaKey) return; // plain wheel scrolls the page
          event.preventDefault();
          zoom(event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP);
        }}
        onPointerDown={(event) => {
          if ((event.target as Element).closest('.state')) return; // a click on a state selects it
          drag.current = { pointer: event.pointerId, x: event.clientX, y: event.clientY };
          svg.current?.setPointerCapture(event.pointerId);
        }}
        onPointerMove={(event) => {
          const start = drag.current;
          if (!start || start.pointer !== event.pointerId) return;
          const k = unitsPerPixel();
          const dx = (event.clientX - start.x) * k;
          const dy = (event.clientY - start.y) * k;
          drag.current = { ...start, x: event.clientX, y: event.clientY };
          setView((current) => ({ ...current, x: current.x + dx, y: current.y + dy }));
        }}
        onPointerUp={() => (drag.current = undefined)}
        onPointerCancel={() => (drag.current = undefined)}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        <g class="viewport" transform={`translate(${view.x} ${view.y}) scale(${view.scale})`}>
          <Graph graph={graph} runs={runs} selected={selected} onSelect={onSelect} onMove={move} />
        </g>
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

/** States in reading order (top to bottom, then left to right), containers before what they hold. */
function stateOrder(graph: LaidOutGraph): string[] {
  const nodes = [...graph.nodes].filter((node) => node.kind === 'state').sort((a, b) => a.y - b.y || a.x - b.x);
  return nodes.flatMap((node) => [node.id, ...(node.inner ?? []).flatMap(stateOrder)]);
}

type Move = (from: string, step: number) => void;

function Graph({ graph, runs, selected, onSelect, onMove }: { graph: LaidOutGraph; onMove: Move } & Omit<Props, 'definition'>) {
  return (
    <g>
      {graph.edges.map((edge, index) => (
        <Edge key={index} edge={edge} />
      ))}
      {graph.nodes.map((node) => (
        <Node key={node.id} node={node} run={runs.get(node.id)} selected={selected === node.id} onSelect={onSelect} runs={runs} current={selected} onMove={onMove} />
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
  onMove,
}: {
  node: LaidOutNode;
  onMove: Move;
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
  // The focusable part: the whole state, or for a container (Map) only its own box and title,
  // so no control nests inside another (its inner states are controls of their own).
  const control = {
    'data-focus': node.id,
    // Lower case: SVG attributes are case-sensitive, and "tabIndex" on a <g> makes nothing focusable.
    tabindex: 0,
    role: 'button' as const,
    'aria-pressed': selected,
    // The visible text ("Label ×2") first, then what happened.
    'aria-label': `${node.label}${badge ? ` ${badge}` : ''}: ${OUTCOME_LABELS[outcome]}`,
    onKeyDown: (event: KeyboardEvent) => {
      const step = ({ ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 } as Record<string, number>)[event.key];
      if (event.key === 'Enter' || event.key === ' ') select();
      else if (step) onMove(node.id, step);
      else return;
      event.preventDefault();
      event.stopPropagation();
    },
  };
  const labelY = node.inner ? top + 19 : node.y + 4.5;
  const face = (
    <>
      {/* One text, so its words read as the accessible name does: "Label ×2". */}
      <text x={node.x} y={labelY} text-anchor="middle" class="state-label">
        {node.label}
        {badge && (
          <tspan x={left + node.width - 8} y={top + 13} text-anchor="end" class="state-badge">
            {` ${badge}`}
          </tspan>
        )}
      </text>
    </>
  );
  return (
    <g
      class={`state type-${node.type.toLowerCase()} outcome-${outcome}${selected ? ' selected' : ''}${node.inner ? ' container' : ''}`}
      data-state={node.id}
      data-outcome={outcome}
      {...(node.inner ? {} : control)}
      onClick={(event) => {
        event.stopPropagation();
        select();
      }}
    >
      <title>{`${node.id} (${node.type}): ${OUTCOME_LABELS[outcome]}`}</title>
      <rect x={left} y={top} width={node.width} height={node.height} rx={node.type === 'Choice' ? 18 : 6} />
      {node.inner ? (
        <g class="state-head" {...control}>
          <rect class="hit" x={left} y={top} width={node.width} height={28} rx={6} />
          {face}
        </g>
      ) : (
        face
      )}
      {node.inner?.map((inner, index) => (
        <Graph key={index} graph={inner} runs={runs} selected={current} onSelect={onSelect} onMove={onMove} />
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
