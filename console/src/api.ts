/**
 * The console's calls to its API: same origin, the session cookie rides along, and every
 * state-changing call carries the CSRF token the session answered with. A 401 anywhere sends
 * the operator back to the sign-in form.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  operator: string;
  authRequired: boolean;
  csrfToken: string;
  signatureEnabled: boolean;
  buckets: { sources: string[]; uploads: string; renditions: string; quarantine: string };
  aws: { region: string | null } | null;
}

let csrfToken = '';
const signedOutListeners = new Set<() => void>();

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when the API answers 401: the session ended or never began. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

async function request<T>(method: string, path: string, body?: unknown, init: { raw?: BodyInit; contentType?: string; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (init.raw !== undefined) {
    payload = init.raw;
    headers['Content-Type'] = init.contentType ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body: payload ?? null, credentials: 'same-origin', signal: init.signal ?? null });
  const text = await response.text();
  const value = text ? safeParse(text) : undefined;
  if (!response.ok) {
    const error = (value ?? {}) as { code?: string; message?: string };
    if (response.status === 401 && !path.endsWith('/api/console/session')) signedOutListeners.forEach((listener) => listener());
    throw new ApiError(response.status, error.code ?? `HTTP${response.status}`, error.message ?? (text || response.statusText));
  }
  return value as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal ? { signal } : {}),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, raw: BodyInit, contentType: string) => request<T>('PUT', path, undefined, { raw, contentType }),
  delete: <T>(path: string, headers?: Record<string, string>) => request<T>('DELETE', path, undefined, headers ? { headers } : {}),
  /** A JSON body with extra headers (`If-Match`, `If-None-Match`). */
  putJson: <T>(path: string, body: unknown, headers: Record<string, string> = {}) => request<T>('PUT', path, body, { headers }),
};

/** `/api/…` with each path segment encoded. */
export function apiPath(...segments: string[]): string {
  return `/api/${segments.map(encodeURIComponent).join('/')}`;
}

/** A query string from the defined values only. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** An error answer (an image URL's, fetched as a blob) as `code: message` when it is the API's JSON, else its text. */
export async function errorText(blob: Blob): Promise<string> {
  const body = await blob.text();
  try {
    const parsed = JSON.parse(body) as { code?: string; message?: string };
    return `${parsed.code}: ${parsed.message}`;
  } catch {
    return body; // not JSON: shown as is
  }
}
