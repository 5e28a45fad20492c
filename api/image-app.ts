/**
 * The on-demand application: health, metrics, `/meta/…` and the image fallback over one platform,
 * plus the routes a caller adds. The image Lambda runs exactly this; `createApp` (app.ts) mounts
 * the console's API on it for the local server and the console Lambda, so the image Lambda's
 * bundle holds no console, workflow or analytics code.
 */
import type { HttpRequest, HttpResponse } from './http.js';
import { createImageHandler } from './image-handler.js';
import { metaRoute } from './meta.js';
import { createRenderGate } from './render-gate.js';
import { renditionsRoute } from './renditions-route.js';
import { createRouter, healthRoute, metricsRoute, type Route } from './router.js';
import { signatureGuard } from './signature.js';
import type { Platform } from '../core/compose.js';
import { createAccessRecorder } from '../core/events/record-access.js';
import { DEFAULTS } from '../core/limits.js';

export interface App {
  handle: (request: HttpRequest) => Promise<HttpResponse>;
  /** Routes other capabilities (workflow API, console, metrics) add before the image fallback. */
  routes: Route[];
  ready: boolean;
  /** Hands what is still buffered (access records) to the event sink: at shutdown, once requests have drained, before the sink closes. */
  flush(): Promise<void>;
}

export function createImageApp(platform: Platform, extraRoutes: Route[] = []): App {
  const { config, storage } = platform;
  // Renders and /meta decode pixels: they share one admission control (render-gate.ts).
  const gate = createRenderGate(config);
  const recordAccess = createAccessRecorder(platform.events, {
    sampleRate: config.events.accessSampleRate,
    batchMs: config.inLambda ? 0 : DEFAULTS.accessBatchMs,
  });
  const image = createImageHandler({ ...platform, recordAccess }, { gate });
  const checkSignature = signatureGuard(config, platform.secrets);
  const app: App = { handle: async () => ({ status: 500, headers: {} }), routes: [], ready: false, flush: () => recordAccess.flush() };
  app.routes = [
    healthRoute(() => app.ready),
    metricsRoute,
    metaRoute(platform, gate, checkSignature),
    renditionsRoute(storage, config.workflow.buckets.renditions, image),
    ...extraRoutes,
  ];
  app.handle = createRouter(app.routes, image, config);
  return app;
}
