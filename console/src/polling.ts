/** Live data by polling: reloads every `intervalMs` while the tab is visible, and at once when it shows again. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.js';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload: () => void;
}

export function usePolling<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number | undefined, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    setData(undefined);
    setLoading(true);
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
      } catch (failure) {
        if (controller.signal.aborted) return;
        setError(failure as Error);
      } finally {
        if (!controller.signal.aborted) {
          setLoading(false);
          if (intervalMs) timer = setTimeout(() => (document.hidden ? undefined : run()), intervalMs);
        }
      }
    };
    const onVisible = () => {
      if (!document.hidden && intervalMs) {
        clearTimeout(timer);
        void run();
      }
    };
    void run();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [...deps, intervalMs, tick]);

  return { data, error, loading, reload };
}
