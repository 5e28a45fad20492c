/** The parts of Amazon States Language the console draws. */

export interface AslStateMachine {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

export interface AslChoiceRule {
  Next?: string;
  Variable?: string;
  And?: AslChoiceRule[];
  Or?: AslChoiceRule[];
  Not?: AslChoiceRule;
  Condition?: string;
  [comparison: string]: unknown;
}

export interface AslState {
  Type: 'Task' | 'Choice' | 'Map' | 'Parallel' | 'Pass' | 'Wait' | 'Succeed' | 'Fail' | string;
  Comment?: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Default?: string;
  Choices?: AslChoiceRule[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  ItemProcessor?: AslStateMachine;
  Iterator?: AslStateMachine;
  Branches?: AslStateMachine[];
}

/** A task that waits for an operator (or any callback) until its token is sent back. */
export function waitsForTaskToken(state: AslState): boolean {
  return typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
}

/** Every state of a machine, nested ones included, by name (names are unique across a machine). */
export function allStates(machine: AslStateMachine): Map<string, AslState> {
  const states = new Map<string, AslState>();
  const visit = (m: AslStateMachine) => {
    for (const [name, state] of Object.entries(m.States)) {
      states.set(name, state);
      for (const inner of innerMachines(state)) visit(inner);
    }
  };
  visit(machine);
  return states;
}

export function innerMachines(state: AslState): AslStateMachine[] {
  if (state.Type === 'Map') return [state.ItemProcessor ?? state.Iterator].filter((m): m is AslStateMachine => !!m);
  if (state.Type === 'Parallel') return state.Branches ?? [];
  return [];
}

/** A short, readable form of a Choice rule: `$.moderation.status == "flagged"`. */
export function describeRule(rule: AslChoiceRule): string {
  if (rule.And) return rule.And.map(describeRule).join(' and ');
  if (rule.Or) return rule.Or.map(describeRule).join(' or ');
  if (rule.Not) return `not (${describeRule(rule.Not)})`;
  if (typeof rule.Condition === 'string') return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  const variable = rule.Variable ?? '';
  for (const [name, value] of Object.entries(rule)) {
    if (name === 'Variable' || name === 'Next') continue;
    const operator = OPERATORS.find(([suffix]) => name.replace(/Path$/, '').endsWith(suffix));
    if (name.startsWith('Is')) return `${variable} ${value === false ? 'is not' : 'is'} ${name.slice(2).toLowerCase()}`;
    if (operator) return `${variable} ${operator[1]} ${JSON.stringify(value)}`;
  }
  return variable;
}

const OPERATORS: [string, string][] = [
  ['GreaterThanEquals', '≥'],
  ['LessThanEquals', '≤'],
  ['GreaterThan', '>'],
  ['LessThan', '<'],
  ['Equals', '=='],
  ['Matches', '~'],
];
