/**
 * The console's API alone, what the console Lambda runs: its API Gateway routes only `/api/*`
 * there, so it loads no URL decoding, no image handler and (until the first preview) no pipeline.
 * `shutter serve` mounts the same routes on the on-demand app (app.ts).
 */
import { NotFoundError } from '../../core/errors.js';
import type { Platform } from '../../core/compose.js';
import { json } from '../../api/http.js';
import type { App } from '../../api/image-app.js';
import { createRouter, type Route } from '../../api/router.js';
import { createConsoleAuth } from './auth.js';
import { apiNotFoundRoute, consoleRoutes, guardConsoleApi, type ConsoleBuckets } from './console-routes.js';
import { openApiDocument } from './openapi.js';

/** The OpenAPI document of every route here (console/server/openapi.ts); the image Lambda alone does not serve it. */
const openApiRoute: Route = {
  name: 'openapi',
  method: ['GET', 'HEAD'],
  path: '/openapi.json',
  handle: async () => json(200, openApiDocument(), { 'Cache-Control': 'max-age=300' }),
};

/**
 * The console's routes and `extraRoutes`: every /api/ route, the capabilities' included, answers
 * only to the console's operators (the guard passes every other path through untouched).
 */
export function consoleApi(platform: Platform, extraRoutes: Route[] = []): Route[] {
  const { config } = platform;
  const auth = createConsoleAuth(config);
  const buckets: ConsoleBuckets = { sources: config.sourceBuckets, ...config.workflow.buckets };
  return guardConsoleApi(
    [openApiRoute, ...consoleRoutes(platform, auth, buckets), ...extraRoutes, apiNotFoundRoute],
    auth,
  );
}

export function createConsoleApp(platform: Platform, extraRoutes: Route[] = []): App {
  const routes = consoleApi(platform, extraRoutes);
  // No image requests, so no access records to hand over.
  const app: App = { handle: async () => ({ status: 500, headers: {} }), routes, ready: false, flush: async () => undefined };
  // Image URLs are the image API's: a GET no console route claims is a 404, not an image lookup.
  app.handle = createRouter(
    routes,
    async (request) => {
      throw new NotFoundError(
        'Api::NoSuchRoute',
        `There is no route ${request.method} ${request.path} here: images are served by the image API.`,
      );
    },
    platform.config,
  );
  return app;
}
