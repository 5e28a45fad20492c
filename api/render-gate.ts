/**
 * The on-demand path's admission control, shared by every route that decodes pixels (renders
 * and `/meta`): one process has so many cores, whichever URL asks for them.
 *
 * - `admission` bounds the requests holding (or about to hold) a source in memory; beyond it a
 *   request is shed at once with 503 + Retry-After.
 * - `loads` bounds the sources read into memory at once: one per render that can run (8 small
 *   ones; 2 large ones rendering and 6 read ahead), while admitted requests wait as cheap promises.
 *   More only held bytes: a 32-request burst of 12 MP photos once held 32 sources (bench/README.md).
 * - `renders` gives the cores out as a pixel budget: `maxConcurrentRenders` slots, a render taking
 *   its {@link renderShare} of one, so a large source holds a slot alone and small ones share it.
 * - `meta` is `/meta`'s own pool: it decodes a whole source (up to the pixel limit) for a 100 px
 *   preview, so a flood of it must neither take every core nor queue ahead of ordinary renders.
 *   It holds its sources itself (at most its slots + queue), apart from `loads`.
 *
 * A slot is released only when its work has really ended, not when the request's deadline
 * answered 503: work that ignores the deadline keeps its slot, so it cannot pile up unseen.
 */
import type { Config } from '../core/config.js';
import { Semaphore } from '../core/concurrency.js';
import { DEFAULTS } from '../core/limits.js';
import { renderQueueDepth, rendersInFlight } from '../core/observability/metrics.js';

export interface RenderGate {
  admission: Semaphore;
  loads: Semaphore;
  renders: Semaphore;
  meta: Semaphore;
}

export function createRenderGate(config: Pick<Config, 'maxConcurrentRenders' | 'maxQueuedRenders'>): RenderGate {
  const mostRenders = Math.floor(config.maxConcurrentRenders / DEFAULTS.minRenderShare);
  return {
    admission: new Semaphore(config.maxConcurrentRenders + config.maxQueuedRenders, 0),
    loads: new Semaphore(mostRenders),
    renders: new Semaphore(config.maxConcurrentRenders, Number.POSITIVE_INFINITY, (running, pending) => {
      rendersInFlight.set(running);
      renderQueueDepth.set(pending);
    }),
    meta: new Semaphore(DEFAULTS.metaConcurrency, DEFAULTS.maxQueuedMeta),
  };
}

/**
 * The share of a render slot a source takes: its pixels (every frame's, when animated) over
 * `DEFAULTS.renderSlotPixels`, at least `DEFAULTS.minRenderShare`, at most one slot.
 *
 * @example renderShare({ width: 2000, height: 2000, pages: 1 }) // 0.5: two such renders share a slot
 */
export function renderShare(source: { width: number; height: number; pages: number }, animated = source.pages > 1): number {
  const pixels = source.width * source.height * (animated ? source.pages : 1);
  return Math.min(1, Math.max(DEFAULTS.minRenderShare, pixels / DEFAULTS.renderSlotPixels));
}
