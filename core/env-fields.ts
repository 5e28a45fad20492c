/**
 * Readers of environment variables: each turns a variable's text (or its absence) into a typed
 * value, or into the problem a person reads in the config error. The configuration is ~90 such
 * variables read once per process; plain functions replace the zod schema that read them, because
 * building that schema (~360 zod instances) was the largest single piece of the image Lambda's
 * cold start above sharp's own (+27 M instructions of +143 M, callgrind, session 9). The messages
 * are the ones that schema gave, zod's own wording for its built-in checks included.
 *
 * @example
 * const ENV = { PORT: nonNegativeInt(8080), AUTO_WEBP: flag(false) };
 * const { values, problems } = readEnv(ENV, process.env); // values.PORT: number, values.AUTO_WEBP: boolean
 */

/** What a reader makes of one variable: its value, or what is wrong with it. */
type Read<T> = { value: T } | { problem: string };

/** Reads one variable, given its text (undefined when unset). */
export type EnvField<T> = (text: string | undefined) => Read<T>;

/** The values a set of readers gives, by variable. */
export type EnvValues<Fields extends Record<string, EnvField<unknown>>> = { [K in keyof Fields]: Fields[K] extends EnvField<infer T> ? T : never };

const blank = (text: string | undefined): text is undefined => text === undefined || text.trim() === '';

/** SIH's flags are the strings "Yes"/"No"; we also accept true/false/1/0 and on/off. Unset or blank: `fallback`. */
export const flag =
  <T extends boolean | undefined>(fallback: T): EnvField<boolean | T> =>
  (text) => {
    if (blank(text)) return { value: fallback };
    const normalized = text.trim().toLowerCase();
    if (['yes', 'true', '1', 'on'].includes(normalized)) return { value: true };
    if (['no', 'false', '0', 'off'].includes(normalized)) return { value: false };
    return { problem: `expected Yes or No, got "${text}"` };
  };

/** A whole number ≥ `minimum`; unset or blank: `fallback`. */
export const wholeNumber =
  <T extends number | undefined>(fallback: T, minimum: number): EnvField<number | T> =>
  (text) => {
    if (blank(text)) return { value: fallback };
    const number = Number(text);
    if (!Number.isInteger(number) || number < minimum) return { problem: `expected a whole number ≥ ${minimum}, got "${text}"` };
    return { value: number };
  };

export const positiveInt = (fallback: number) => wholeNumber(fallback, 1);
export const nonNegativeInt = (fallback: number) => wholeNumber(fallback, 0);

/** The text trimmed; unset or blank: undefined. */
export const optionalString: EnvField<string | undefined> = (text) => ({ value: blank(text) ? undefined : text.trim() });

/** The text as it is (blank included); unset: `fallback`. */
export const text =
  <T extends string | undefined>(fallback: T): EnvField<string | T> =>
  (value) => ({ value: value ?? fallback });

/** One of `options`, exactly; unset: `fallback`. */
export const oneOf =
  <const Options extends readonly string[], T extends Options[number] | undefined>(options: Options, fallback: T): EnvField<Options[number] | T> =>
  (value) => {
    if (value === undefined) return { value: fallback };
    if (options.includes(value)) return { value };
    return { problem: `Invalid option: expected one of ${options.map((option) => JSON.stringify(option)).join('|')}` };
  };

/** Text that matches `pattern` (`problem` says what it must be); unset: `fallback`. */
export const matching =
  (pattern: RegExp, problem: string, fallback: string): EnvField<string> =>
  (value) => {
    if (value === undefined) return { value: fallback };
    return pattern.test(value) ? { value } : { problem };
  };

/** Reads every variable `fields` names from `env`; problems read `NAME: what is wrong`, in the fields' order. */
export function readEnv<Fields extends Record<string, EnvField<unknown>>>(fields: Fields, env: Record<string, string | undefined>): { values: EnvValues<Fields>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, read] of Object.entries(fields)) {
    const result = read(env[name]);
    if ('problem' in result) problems.push(`${name}: ${result.problem}`);
    else values[name] = result.value;
  }
  return { values: values as EnvValues<Fields>, problems };
}
