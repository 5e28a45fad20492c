/**
 * The operator console's API in Lambda, behind `/api/*` of the console's CloudFront distribution
 * (`infra/console-api.ts`): the app `shutter serve` builds, with the Step Functions engine
 * (`WORKFLOW_ENGINE=stepfunctions`), S3 storage and Athena (`QUERY_ENGINE=athena`), through the
 * same API Gateway adapter as the image Lambda.
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
import { createApp } from './app.js';
import { withConsoleSecret } from './auth.js';
import { fromApiGatewayEvent, toLambdaResult, type ApiGatewayV1Event, type ApiGatewayV2Event, type LambdaResult } from '../../api/lambda-adapter.js';
import { operatorRoutes, stepFunctionsWorkflows } from './operator-routes.js';

const settings = loadConfig(process.env);
const secrets = createSecrets(settings);
const config = await withConsoleSecret(settings, secrets);
const platform = createPlatform(config, { secrets });
const app = createApp(platform, operatorRoutes(platform, { workflows: stepFunctionsWorkflows(platform), queries: createQueryEngine(config, TABLES) }));
app.ready = true;

export async function handler(event: ApiGatewayV1Event | ApiGatewayV2Event): Promise<LambdaResult> {
  return toLambdaResult(await app.handle(fromApiGatewayEvent(event)), { cors: config.cors });
}
