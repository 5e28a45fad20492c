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
  let loading: Promise<T> | undefined;
  // A failed import is not cached: the next call tries again (and reports its own error).
  const loaded = () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  const adapter: Record<string, unknown> = {};
  for (const [key, how] of Object.entries(shape as Record<string, unknown>)) {
    if (how === 'load' || how === 'skip-until-loaded') {
      adapter[key] = async (...args: unknown[]) => {
        if (how === 'skip-until-loaded' && !loading) return undefined;
        const target = (await loaded()) as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>;
        // An optional method (`close?()`) the loaded adapter does not have: nothing to do.
        return target[key]?.(...args);
      };
    } else adapter[key] = how;
  }
  return adapter as T;
}
