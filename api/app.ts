/**
 * The whole HTTP application: the on-demand app (image-app.ts) with the console's API mounted. Used
 * by the local server and the console Lambda; the image Lambda uses `createImageApp` alone.
 */
import { createConsoleAuth } from './console-auth.js';
import { apiNotFoundRoute, consoleRoutes, guardConsoleApi, type ConsoleBuckets } from './console-routes.js';
import { createImageApp, type App } from './image-app.js';
import type { Route } from './router.js';
import type { Platform } from '../core/compose.js';

export type { App } from './image-app.js';

export function createApp(platform: Platform, extraRoutes: Route[] = []): App {
  const { config } = platform;
  // Every /api/ route, the capabilities' included, answers only to the console's operators
  // (the guard passes every other path through untouched).
  const auth = createConsoleAuth(config);
  const buckets: ConsoleBuckets = { sources: config.sourceBuckets, ...config.workflow.buckets };
  return createImageApp(platform, guardConsoleApi([...consoleRoutes(platform, auth, buckets), ...extraRoutes, apiNotFoundRoute], auth));
}
