/**
 * The whole HTTP application of `shutter serve`: the on-demand app (api/image-app.ts) with the
 * console's API (console-app.ts) mounted, one process answering image URLs and the console. The
 * image Lambda runs `createImageApp` alone, the console Lambda `createConsoleApp`.
 */
import type { Platform } from '../../core/compose.js';
import { createImageApp, type App } from '../../api/image-app.js';
import type { Route } from '../../api/router.js';
import { consoleApi } from './console-app.js';
// `shutter serve` answers Prometheus at /metrics: prom-client backs core's metrics from the start.
import '../../core/observability/prometheus.js';

export type { App } from '../../api/image-app.js';

export function createApp(platform: Platform, extraRoutes: Route[] = []): App {
  return createImageApp(platform, consoleApi(platform, extraRoutes));
}
