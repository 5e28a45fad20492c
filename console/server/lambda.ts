/**
 * The operator console's API in Lambda, behind `/api/*` of the console's CloudFront distribution
 * (`infra/console-api.ts`): the console's API as `shutter serve` answers it (without the image
 * routes, which are the image API's), with the Step Functions engine (`WORKFLOW_ENGINE=stepfunctions`),
 * S3 storage and Athena (`QUERY_ENGINE=athena`), through the same API Gateway adapter as the image Lambda.
 *
 * Like the image API, it answers only requests that carry the origin header its CloudFront
 * distribution adds (ORIGIN_SECRET, `api/origin-guard.ts`); anything else gets 403
 * `CloudFront::Required` before the app sees it.
 *
 * Built once per container, outside the handler: the console's credentials are read from the
 * CONSOLE_SECRET secret here (so they never sit in the function's environment); a secret that
 * cannot be read or holds no valid credentials fails the container's start, with the reason in
 * its log, rather than letting it answer.
 *
 * @example
 * // API Gateway (REST, proxy) event in, proxy result out:
 * await handler({ httpMethod: 'GET', path: '/api/executions', headers: { Authorization: `Bearer ${token}` } });
 */
import { TABLES } from '../../analytics/tables.js';
import { loadConfig } from '../../core/config.js';
import { createPlatform, createQueryEngine, createSecrets } from '../../core/compose.js';
import { createConsoleApp } from './console-app.js';
import { withConsoleSecret } from './auth.js';
import {
  fromApiGatewayEvent,
  toLambdaResult,
  type ApiGatewayV1Event,
  type ApiGatewayV2Event,
  type LambdaResult,
} from '../../api/lambda-adapter.js';
import { originGuard } from '../../api/origin-guard.js';
import { errorResponse } from '../../api/responses.js';
import { operatorRoutes, stepFunctionsWorkflows } from './operator-routes.js';

const settings = loadConfig(process.env);
const secrets = createSecrets(settings);
const config = await withConsoleSecret(settings, secrets);
const platform = createPlatform(config, { secrets });
const app = createConsoleApp(
  platform,
  operatorRoutes(platform, {
    workflows: stepFunctionsWorkflows(platform),
    queries: createQueryEngine(config, TABLES),
  }),
);
app.ready = true;
// As the image API: only what the console's CloudFront forwards (its WAF, its logs) is answered.
const checkOrigin = originGuard(config.originSecret, secrets);

export async function handler(event: ApiGatewayV1Event | ApiGatewayV2Event): Promise<LambdaResult> {
  const request = fromApiGatewayEvent(event);
  const response = await checkOrigin(request).then(
    () => app.handle(request),
    (error: unknown) => errorResponse(error, config),
  );
  return toLambdaResult(response, { cors: config.cors });
}
