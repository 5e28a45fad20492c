/** The HTTP application: the route table over one platform. Used by the local server and the Lambda. */
import { json, type HttpRequest, type HttpResponse } from './http.js';
import { createImageHandler } from './image-handler.js';
import { describeImage } from './meta.js';
import { decodeImageRequest } from './decode-request.js';
import { renditionsRoute } from './renditions-route.js';
import { createRouter, healthRoute, metricsRoute, type Route } from './router.js';
import { withDeadline } from './deadline.js';
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
  const image = createImageHandler({
    ...platform,
    recordAccess: createAccessRecorder(platform.events, { sampleRate: config.events.accessSampleRate }),
  });
  const checkSignature = signatureGuard(config, platform.secrets);
  const app: App = { handle: async () => ({ status: 500, headers: {} }), routes: [], ready: false };
  const metaRoute: Route = {
    name: 'meta',
    method: ['GET', 'HEAD'],
    path: /^\/meta(\/.+)$/,
    handle: (request, [imagePath]) =>
      // Metadata and a ThumbHash preview reveal the image: signed deployments sign `/meta/…` URLs too.
      withDeadline(config.limits.requestTimeoutMs, request.signal, async (signal) => {
        await checkSignature(request.path, request.query);
        const { request: decoded } = decodeImageRequest(imagePath!, request.query, config, platform.presets);
        const source = await storage.get(decoded.source.bucket, decoded.source.key, { maxBytes: config.limits.maxSourceBytes, signal });
        const meta = await describeImage(source.body, config.limits);
        return json(200, { bucket: decoded.source.bucket, key: decoded.source.key, ...meta }, { 'Cache-Control': 'max-age=300,public' });
      }),
  };
  // Every /api/ route, the capabilities' included, answers only to the console's operators.
  const auth = createConsoleAuth(config);
  const buckets: ConsoleBuckets = { sources: config.sourceBuckets, ...config.workflow.buckets };
  app.routes = guardConsoleApi(
    [healthRoute(() => app.ready), metricsRoute, metaRoute, renditionsRoute(storage, config.workflow.buckets.renditions, image), ...consoleRoutes(platform, auth, buckets), ...extraRoutes, apiNotFoundRoute],
    auth,
  );
  app.handle = createRouter(app.routes, image, config);
  return app;
}
