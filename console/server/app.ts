/**
 * The whole HTTP application: the on-demand app (image-app.ts) with the console's API mounted. Used
 * by the local server and the console Lambda; the image Lambda uses `createImageApp` alone.
 */
import { createConsoleAuth } from './auth.js';
import { apiNotFoundRoute, consoleRoutes, guardConsoleApi, type ConsoleBuckets } from './console-routes.js';
import { createImageApp, type App } from '../../api/image-app.js';
import { json } from '../../api/http.js';
import { openApiDocument } from './openapi.js';
import type { Route } from '../../api/router.js';
import type { Platform } from '../../core/compose.js';

export type { App } from '../../api/image-app.js';

/** The OpenAPI document of every route here (console/server/openapi.ts); the image Lambda alone does not serve it. */
const openApiRoute: Route = {
  name: 'openapi',
  method: ['GET', 'HEAD'],
  path: '/openapi.json',
  handle: async () => json(200, openApiDocument(), { 'Cache-Control': 'max-age=300' }),
};

export function createApp(platform: Platform, extraRoutes: Route[] = []): App {
  const { config } = platform;
  // Every /api/ route, the capabilities' included, answers only to the console's operators
  // (the guard passes every other path through untouched).
  const auth = createConsoleAuth(config);
  const buckets: ConsoleBuckets = { sources: config.sourceBuckets, ...config.workflow.buckets };
  return createImageApp(platform, guardConsoleApi([openApiRoute, ...consoleRoutes(platform, auth, buckets), ...extraRoutes, apiNotFoundRoute], auth));
}
