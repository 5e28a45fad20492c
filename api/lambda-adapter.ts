/**
 * API Gateway (REST v1 and HTTP API v2) events in, Lambda proxy results out; a few dozen lines
 * with no logic of their own. Bodies go out base64 (binary media); a result over Lambda's 6 MB
 * response limit is SIH's 413 TooLargeImageException unless a `storeLarge` hook (result bucket +
 * redirect) is given.
 */
import { Readable } from 'node:stream';
import { LIMITS } from '../core/limits.js';
import type { HttpRequest, HttpResponse } from './http.js';
import { errorResponse, withSecurityHeaders } from './responses.js';
import { RequestError } from '../core/errors.js';

export interface ApiGatewayV1Event {
  httpMethod: string;
  path: string;
  headers?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { requestId?: string; elb?: unknown; identity?: { sourceIp?: string } };
}

export interface ApiGatewayV2Event {
  version: '2.0';
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string; sourceIp?: string }; requestId?: string };
}

export interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export function fromApiGatewayEvent(event: ApiGatewayV1Event | ApiGatewayV2Event): HttpRequest {
  const v2 = 'version' in event && event.version === '2.0';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) query[name] = value;
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  const requestId = event.requestContext?.requestId;
  const peer = v2 ? (event as ApiGatewayV2Event).requestContext.http.sourceIp : (event as ApiGatewayV1Event).requestContext?.identity?.sourceIp;
  return {
    method: v2 ? (event as ApiGatewayV2Event).requestContext.http.method : (event as ApiGatewayV1Event).httpMethod,
    path: v2 ? (event as ApiGatewayV2Event).rawPath : (event as ApiGatewayV1Event).path,
    query,
    headers,
    ...(body ? { body } : {}),
    ...(requestId ? { requestId } : {}),
    ...(peer ? { peer } : {}),
  };
}

export async function toLambdaResult(
  response: HttpResponse,
  options: { storeLarge?: (body: Buffer, response: HttpResponse) => Promise<HttpResponse>; cors: { enabled: boolean; origin: string } },
): Promise<LambdaResult> {
  let body = response.body;
  if (body instanceof Readable) body = await readAll(body);
  if (body === undefined) return { statusCode: response.status, headers: response.headers, body: '', isBase64Encoded: false };
  if (typeof body === 'string') return { statusCode: response.status, headers: response.headers, body, isBase64Encoded: false };
  const encodedLength = Math.ceil(body.length / 3) * 4;
  if (encodedLength > LIMITS.lambdaResponseBytes) {
    // Answers made here bypass the router: they get its security headers here.
    if (options.storeLarge) return toLambdaResult(withSecurityHeaders(await options.storeLarge(body, response)), options);
    const failure = withSecurityHeaders(errorResponse(new RequestError('TooLargeImageException', 'The converted image is too large to return.', 413), options));
    return { statusCode: failure.status, headers: failure.headers, body: failure.body as string, isBase64Encoded: false };
  }
  return { statusCode: response.status, headers: response.headers, body: body.toString('base64'), isBase64Encoded: true };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

