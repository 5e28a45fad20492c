/**
 * An adapter whose module is imported on first use, so a process pays (load time, memory, bundle
 * size on its start path) only for the adapters it calls: the image Lambda never loads kafkajs,
 * the Step Functions or Athena clients, and `shutter serve` never loads DuckDB until a dashboard
 * asks. Powertools' per-provider packages are the model; a dynamic `import()` is the mechanism,
 * which esbuild turns into a separate chunk.
 *
 * Every port's methods are async, so a method can wait for the import without changing its type.
 *
 * @example
 * const events = lazyAdapter<EventSink>(async () => new (await import('./aws/kafka-event-sink.js')).KafkaEventSink(...), {
 *   publish: 'load', flush: 'skip-until-loaded', close: 'skip-until-loaded',
 * });
 */

// Optional methods too (`close?()`): the loaded adapter has them or the shape says to skip them.
type AsyncMethodKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * For each async method: `load` imports the adapter on the first call; `skip-until-loaded` answers
 * without loading it when it was never loaded (flush or close of a sink nothing was sent to).
 * Every other member (a name, say) is given as its value, known without the adapter.
 */
export type LazyShape<T> = {
  [K in keyof T]-?: K extends AsyncMethodKeys<T> ? 'load' | 'skip-until-loaded' : T[K];
};

export function lazyAdapter<T extends object>(load: () => Promise<T>, shape: LazyShape<T>): T {
  type Target = Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>;
  let loading: Promise<T> | undefined;
  /** The adapter once loaded: its methods are then called straight, without a wait per call (a storage read is on every render's path). */
  let target: Target | undefined;
  // A failed import is not cached: the next call tries again (and reports its own error).
  const loaded = () =>
    (loading ??= load().then(
      (adapter) => (target = adapter as Target) as T,
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    ));
  // An optional method (`close?()`) the loaded adapter does not have: nothing to do.
  const call = (on: Target, key: string, args: unknown[]) => on[key]?.(...args);
  const adapter: Record<string, unknown> = {};
  for (const [key, how] of Object.entries(shape as Record<string, unknown>)) {
    if (how === 'load' || how === 'skip-until-loaded') {
      adapter[key] = (...args: unknown[]): Promise<unknown> => {
        if (target) {
          try {
            return Promise.resolve(call(target, key, args));
          } catch (error) {
            return Promise.reject(error);
          }
        }
        if (how === 'skip-until-loaded' && !loading) return Promise.resolve(undefined);
        return loaded().then((on) => call(on as Target, key, args));
      };
    } else adapter[key] = how;
  }
  return adapter as T;
}
