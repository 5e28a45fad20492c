/**
 * The command tree of `shutter`: every command, argument and option, with their help and
 * validation, in one place. Actions are injected, so the tree is also what shell completion and
 * the docs read. Parsing is commander's; this file only declares.
 *
 * Exit codes: 0 done (help and version included), 1 the command failed, 2 a usage error (unknown
 * command or option, missing argument, invalid value, or a bare `shutter`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { EVENT_CATALOG } from '../core/events/event-catalog.js';
import type { ExecutionStatus } from '../core/ports/workflow-engine.js';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];
export const EVENT_TYPES = Object.keys(EVENT_CATALOG);
/** Most executions one listing prints: the history store pages beyond that. */
export const MAX_LIST_LIMIT = 1000;

export interface ExecutionsOptions {
  status?: ExecutionStatus;
  prefix?: string;
  limit: number;
  json?: boolean;
}
export interface ProcessOptions {
  prefix?: string;
  set?: string;
  quiet?: boolean;
}
export interface TailOptions {
  follow?: boolean;
  type?: string;
  fromEnd?: boolean;
}

/** What each command does; `bin/shutter.ts` binds them to the platform. */
export interface Actions {
  serve(): Promise<void>;
  sign(path: string, query: Record<string, string>): Promise<void>;
  process(dir: string, options: ProcessOptions): Promise<void>;
  executions(id: string | undefined, options: ExecutionsOptions): Promise<void>;
  eventsTail(options: TailOptions): Promise<void>;
  eventsSample(options: { days: number }): Promise<void>;
  query(name: string | undefined, options: { json?: boolean }): Promise<void>;
  completion(shell: string, program: Command): void;
}

/** An integer within bounds, or a message that says what to type instead. */
export function integerOption(
  name: string,
  min: number,
  max: number,
  example: number,
): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number from ${min} to ${max}, like ${name} ${example}.`,
      );
    }
    return number;
  };
}

/** `name=value` pairs of a URL's query, as `shutter sign` takes them. */
function queryPair(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0)
    throw new InvalidArgumentError(`"${value}" is not a query parameter: write name=value, like width=400.`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

const SETTINGS = `
Settings come from environment variables (PORT, HOST, SHUTTER_DATA_DIR, ENABLE_SIGNATURE, ...),
validated at start: see docs/configuration.md.`;

export function buildProgram(actions: Actions, version: string): Command {
  const program = new Command('shutter')
    .description(
      'An image platform: SIH-compatible on-demand transforms and a bulk workflow, on one sharp core.',
    )
    .version(version, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    // Throw instead of exiting (bin/shutter.ts maps usage errors to exit 2); subcommands inherit it.
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(shutter --help lists the commands and options)')
    .addHelpText(
      'after',
      `${SETTINGS}\n\nExamples:\n  shutter serve\n  shutter sign /photo.jpg width=400\n  shutter executions --status FAILED --limit 20\n  shutter completion bash >> ~/.bashrc`,
    );

  program
    .command('serve')
    .description('serve the image API, the bulk workflow and the operator console (what npm start runs)')
    .addHelpText('after', `${SETTINGS}\nPORT=0 picks a free port.`)
    .action(() => actions.serve());

  program
    .command('sign')
    .description('print a URL path signed for ENABLE_SIGNATURE=Yes, with the key the server reads')
    .argument(
      '<path>',
      'the URL path, with its leading slash: /photo.jpg or /fit-in/300x300/photo.jpg',
      urlPath,
    )
    .argument('[name=value...]', 'query parameters to sign with it, like width=400 format=webp', queryPair)
    .addHelpText(
      'after',
      '\nThe key is the SECRET_KEY field of the secret SECRETS_MANAGER names\n(locally $SHUTTER_DATA_DIR/secrets/<SECRETS_MANAGER>.json).',
    )
    .action((path: string, query: Record<string, string> | undefined) => actions.sign(path, query ?? {}));

  program
    .command('process')
    .description('upload a folder and run the bulk workflow on every file; exits 1 if any failed')
    .argument('<dir>', 'the folder (read recursively; names starting with "." are skipped)')
    .option('--prefix <key-prefix>', 'upload under this key prefix, like photos/2024')
    .option('--set <rendition-set>', 'the rendition set to render (default: "default")')
    .option('-q, --quiet', 'no progress bar')
    .action((dir: string, options: ProcessOptions) => actions.process(dir, options));

  program
    .command('executions')
    .description('list workflow executions, newest first, or show one with its history')
    .argument('[name-or-arn]', 'one execution to show')
    .addOption(
      new Option('--status <status>', 'only executions in this status')
        .choices(EXECUTION_STATUSES)
        .argParser(statusOption),
    )
    .option('--prefix <key>', 'only executions of uploads whose key starts with this')
    .option(
      '--limit <n>',
      `at most this many (1-${MAX_LIST_LIMIT})`,
      integerOption('--limit', 1, MAX_LIST_LIMIT, 50),
      50,
    )
    .option('--json', 'print JSON instead of a table')
    .action((id: string | undefined, options: ExecutionsOptions) => actions.executions(id, options));

  const events = program
    .command('events')
    .description('print the platform events, or write a synthetic history');
  events
    .command('tail')
    .description('print events as JSON lines (from the local files, or from Kafka when KAFKA_BROKERS is set)')
    .option('-f, --follow', 'keep printing new events')
    .addOption(new Option('--type <type>', 'only events of this type').choices(EVENT_TYPES))
    .option('--from-end', 'start after the last event')
    .action((options: TailOptions) => actions.eventsTail(options));
  events
    .command('sample')
    .description('write a synthetic event history, so the dashboards have something to show')
    .option('--days <n>', 'days of history (1-366)', integerOption('--days', 1, 366, 7), 7)
    .action((options: { days: number }) => actions.eventsSample(options));

  program
    .command('query')
    .description('list the named analytics queries, or run one and print its rows')
    .argument('[name]', 'the query, like uploads_per_day')
    .option('--json', 'print JSON instead of a table')
    .action((name: string | undefined, options: { json?: boolean }) => actions.query(name, options));

  program
    .command('completion')
    .description('print a shell completion script: shutter completion bash >> ~/.bashrc')
    .argument('<shell>', 'bash or zsh', shellArgument)
    .action((shell: string) => actions.completion(shell, program));

  return program;
}

/** `--status failed` works too: statuses are matched without regard to case. */
function statusOption(value: string): ExecutionStatus {
  const status = value.toUpperCase() as ExecutionStatus;
  if (!EXECUTION_STATUSES.includes(status)) {
    throw new InvalidArgumentError(
      `"${value}" is not an execution status. Choose one of ${EXECUTION_STATUSES.join(', ')}.`,
    );
  }
  return status;
}

function urlPath(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError(`the path must start with "/", like /${value}`);
  return value;
}

function shellArgument(value: string): string {
  if (value !== 'bash' && value !== 'zsh')
    throw new InvalidArgumentError(`"${value}" is not a supported shell: choose bash or zsh.`);
  return value;
}
