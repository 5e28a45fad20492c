/**
 * The on-demand application: health, metrics, `/meta/…` and the image fallback over one platform,
 * plus the routes a caller adds. The image Lambda runs exactly this; `createApp` (app.ts) mounts
 * the console's API on it for the local server and the console Lambda, so the image Lambda's
 * bundle holds no console, workflow or analytics code.
 */
import { json, type HttpRequest, type HttpResponse } from './http.js';
import { createImageHandler } from './image-handler.js';
import { describeImage } from './meta.js';
import { decodeImageRequest } from './decode-request.js';
import { renditionsRoute } from './renditions-route.js';
import { createRouter, healthRoute, metricsRoute, type Route } from './router.js';
import { withDeadline } from './deadline.js';
import { signatureGuard } from './signature.js';
import type { Platform } from '../core/compose.js';
import { createAccessRecorder } from '../core/events/record-access.js';

export interface App {
  handle: (request: HttpRequest) => Promise<HttpResponse>;
  /** Routes other capabilities (workflow API, console, metrics) add before the image fallback. */
  routes: Route[];
  ready: boolean;
}

export function createImageApp(platform: Platform, extraRoutes: Route[] = []): App {
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
  app.routes = [healthRoute(() => app.ready), metricsRoute, metaRoute, renditionsRoute(storage, config.workflow.buckets.renditions, image), ...extraRoutes];
  app.handle = createRouter(app.routes, image, config);
  return app;
}
