/** The HTTP application: the route table over one platform. Used by the local server and the Lambda. */
import { type HttpRequest, type HttpResponse } from './http.js';
import { createImageHandler } from './image-handler.js';
import { metaRoute } from './meta.js';
import { createRenderGate } from './render-gate.js';
import { renditionsRoute } from './renditions-route.js';
import { createRouter, healthRoute, metricsRoute, type Route } from './router.js';
import { signatureGuard } from './signature.js';
import { createConsoleAuth } from './console-auth.js';
import { apiNotFoundRoute, consoleRoutes, guardConsoleApi, type ConsoleBuckets } from './console-routes.js';
import type { Platform } from '../core/compose.js';
import { createAccessRecorder } from '../core/events/record-access.js';

export interface App {
  handle: (request: HttpRequest) => Promise<HttpResponse>;
  /** Routes other capabilities (workflow API, console, metrics) add before the image fallback. */
  routes: Route[];
  ready: boolean;
}

export function createApp(platform: Platform, extraRoutes: Route[] = []): App {
  const { config, storage } = platform;
  // Renders and /meta decode pixels: they share one admission control (render-gate.ts).
  const gate = createRenderGate(config);
  const image = createImageHandler(
    { ...platform, recordAccess: createAccessRecorder(platform.events, { sampleRate: config.events.accessSampleRate }) },
    { gate },
  );
  const checkSignature = signatureGuard(config, platform.secrets);
  const app: App = { handle: async () => ({ status: 500, headers: {} }), routes: [], ready: false };
  // Every /api/ route, the capabilities' included, answers only to the console's operators.
  const auth = createConsoleAuth(config);
  const buckets: ConsoleBuckets = { sources: config.sourceBuckets, ...config.workflow.buckets };
  app.routes = guardConsoleApi(
    [
      healthRoute(() => app.ready),
      metricsRoute,
      metaRoute(platform, gate, checkSignature),
      renditionsRoute(storage, config.workflow.buckets.renditions, image),
      ...consoleRoutes(platform, auth, buckets),
      ...extraRoutes,
      apiNotFoundRoute,
    ],
    auth,
  );
  app.handle = createRouter(app.routes, image, config);
  return app;
}
