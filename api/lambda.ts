/**
 * The on-demand Lambda: API Gateway event → the on-demand app (the local server's, without the
 * console's API, which has its own Lambda) → proxy result.
 * Config and adapters are built once per container, outside the handler.
 */
import { loadConfig } from '../core/config.js';
import { createPlatform } from '../core/compose.js';
// Every image request here reads S3: its signed reads (not the S3 client) load at init, not in the first request.
import '../core/adapters/aws/s3-signed-requests.js';
import { largeResultStore } from './large-results.js';
import { emfLine } from '../core/observability/emf.js';
import { createImageApp } from './image-app.js';
import { fromApiGatewayEvent, toLambdaResult, type ApiGatewayV1Event, type ApiGatewayV2Event, type LambdaResult } from './lambda-adapter.js';
import { originGuard } from './origin-guard.js';
import { errorResponse } from './responses.js';

const config = loadConfig(process.env);
const platform = createPlatform(config);
const app = createImageApp(platform);
app.ready = true;
// Only what CloudFront forwards is served: its cache and WAF cannot be bypassed (no-op without ORIGIN_SECRET).
const checkOrigin = originGuard(config.originSecret, platform.secrets);
const storeLarge = config.resultBucket
  ? largeResultStore({ storage: platform.storage, s3: async () => (await import('../core/adapters/aws/s3-client.js')).s3Client(config), bucket: config.resultBucket })
  : undefined;

export async function handler(event: ApiGatewayV1Event | ApiGatewayV2Event): Promise<LambdaResult> {
  const started = performance.now();
  const request = fromApiGatewayEvent(event);
  const response = await checkOrigin(request).then(
    () => app.handle(request),
    (error: unknown) => errorResponse(error, config),
  );
  const result = await toLambdaResult(response, { cors: config.cors, ...(storeLarge ? { storeLarge } : {}) });
  // The dimensions of /metrics' request counter: the router's route name, the door, the status.
  console.log(
    emfLine({
      route: response.meta?.route ?? 'unknown',
      door: response.meta?.door ?? '',
      status: result.statusCode,
      latencyMs: performance.now() - started,
      bytes: Buffer.byteLength(result.body, result.isBase64Encoded ? 'base64' : 'utf8'),
    }),
  );
  return result;
}
