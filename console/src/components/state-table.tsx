/**
 * The states of an execution as a table, as the Step Functions console's "Table view": each
 * state in the definition's order, its type, outcome, when it was entered, how long it ran
 * (its last visit), attempts and visits. Selecting a row inspects the state, as in the graph.
 */
import type { AslStateMachine } from '../workflow/asl.js';
import { allStates } from '../workflow/asl.js';
import { formatMs } from '../workflow/durations.js';
import type { StateRun } from '../workflow/state-runs.js';
import { formatTime } from '../format.js';
import { OUTCOME_LABELS } from './state-graph.js';

export function StateTable({ definition, runs, selected, onSelect }: { definition: AslStateMachine; runs: Map<string, StateRun>; selected: string | undefined; onSelect: (state: string) => void }) {
  const states = [...allStates(definition)];
  return (
    <div class="table-scroll">
      <table class="table compact state-table">
        <caption class="sr-only">States of the execution, in the definition's order</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Type</th>
            <th scope="col">Outcome</th>
            <th scope="col">Entered</th>
            <th scope="col">Duration</th>
            <th scope="col">Attempts</th>
            <th scope="col">Visits</th>
          </tr>
        </thead>
        <tbody>
          {states.map(([name, state]) => {
            const run = runs.get(name);
            const visit = run?.visits[run.visits.length - 1];
            const outcome = run?.outcome ?? 'not-run';
            const ms = visit?.exitedAt ? Date.parse(visit.exitedAt) - Date.parse(visit.enteredAt) : undefined;
            return (
              <tr key={name} data-state-row={name} class={selected === name ? 'selected' : ''}>
                <td>
                  <button type="button" class="link" aria-pressed={selected === name} onClick={() => onSelect(name)}>
                    {name}
                  </button>
                </td>
                <td>{state.Type}</td>
                <td>
                  <span class={`outcome-pill outcome-${outcome}`}>{OUTCOME_LABELS[outcome]}</span>
                </td>
                <td>{visit ? formatTime(visit.enteredAt) : '–'}</td>
                <td data-duration-ms={ms ?? ''}>{visit && !visit.exitedAt ? 'running' : formatMs(ms)}</td>
                <td>{visit?.attempts ?? '–'}</td>
                <td>{run?.iterations?.started ? `${run.iterations.started} iterations` : (run?.visits.length ?? 0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
