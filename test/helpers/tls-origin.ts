/**
 * A real HTTPS image origin on 127.0.0.1 for tests: a throw-away CA (made with openssl) that only
 * the test trusts, a server certificate for `origin.test`, `localhost` and 127.0.0.1, and routes
 * the test defines (status, headers, body, or a body that never ends).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TlsMaterial {
  ca: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate signed by it (openssl, a few hundred milliseconds). */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(path.join(tmpdir(), 'shutter-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=shutter test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=origin.test', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('san.ext'), 'subjectAltName=DNS:origin.test,DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('san.ext'), '-out', file('server.pem'));
  return { ca: readFileSync(file('ca.pem'), 'utf8'), key: readFileSync(file('server.key'), 'utf8'), cert: readFileSync(file('server.pem'), 'utf8') };
}

export type Route = (request: IncomingMessage, response: ServerResponse) => void;

export interface TlsOrigin {
  server: Server;
  port: number;
  /** `https://127.0.0.1:<port>` */
  origin: string;
  routes: Map<string, Route>;
  /** Requests seen, by path (query included). */
  hits: string[];
  close(): Promise<void>;
}

export async function startTlsOrigin(material: TlsMaterial): Promise<TlsOrigin> {
  const routes = new Map<string, Route>();
  const hits: string[] = [];
  const server = createServer({ key: material.key, cert: material.cert }, (request, response) => {
    hits.push(request.url ?? '');
    const route = routes.get(request.url ?? '');
    if (route) route(request, response);
    else response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `https://127.0.0.1:${port}`,
    routes,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A route answering `body` with the given headers (HEAD gets the headers only). */
export const serve =
  (body: Buffer | string, headers: Record<string, string> = {}, status = 200): Route =>
  (request, response) => {
    response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
