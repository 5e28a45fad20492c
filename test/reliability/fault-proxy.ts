/**
 * A fault-injecting HTTP proxy for tests: sits between an S3 client and a real S3-compatible
 * server (moto_server) on loopback and, as told, answers 500 or 503 the way S3 does, delays
 * answers, resets connections, cuts bodies in half, or never answers. Counts what it injected.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export type FaultKind = 'http-500' | 'http-503' | 'slow' | 'reset' | 'truncate' | 'hang';

export interface FaultPlan {
  kind: FaultKind;
  /** Share of requests that get the fault (1: all). */
  probability?: number;
  /** For `slow`: how long to wait before forwarding. */
  delayMs?: number;
}

const S3_ERRORS: Record<'http-500' | 'http-503', [number, string, string]> = {
  'http-500': [500, 'InternalError', 'We encountered an internal error. Please try again.'],
  'http-503': [503, 'SlowDown', 'Please reduce your request rate.'],
};

export class FaultProxy {
  /** Faults injected so far, by kind. */
  readonly injected: Record<FaultKind, number> = { 'http-500': 0, 'http-503': 0, slow: 0, reset: 0, truncate: 0, hang: 0 };
  forwarded = 0;
  private plan: FaultPlan | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new http.Agent({ keepAlive: true });

  private constructor(
    private readonly server: http.Server,
    private readonly target: URL,
    readonly url: string,
  ) {}

  static async start(target: string, random: () => number = Math.random): Promise<FaultProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new FaultProxy(server, new URL(target), `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    server.on('request', (request, response) => void proxy.handle(request, response, random));
    return proxy;
  }

  /** Injects `plan` from now on; `undefined` heals the link. */
  setFault(plan: FaultPlan | undefined): void {
    this.plan = plan;
  }

  get totalInjected(): number {
    return Object.values(this.injected).reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse, random: () => number): Promise<void> {
    const plan = this.plan && random() < (this.plan.probability ?? 1) ? this.plan : undefined;
    if (plan) this.injected[plan.kind]++;
    switch (plan?.kind) {
      case 'http-500':
      case 'http-503': {
        const [status, code, message] = S3_ERRORS[plan.kind];
        request.resume();
        response.writeHead(status, { 'Content-Type': 'application/xml', 'x-amz-request-id': 'FAULT' });
        response.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAULT</RequestId></Error>`);
        return;
      }
      case 'reset':
        request.socket.destroy();
        return;
      case 'hang':
        return; // never answers; the client's timeout must fire
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, plan.delayMs ?? 1000));
        break;
      default:
        break;
    }
    this.forward(request, response, plan?.kind === 'truncate');
  }

  private forward(request: http.IncomingMessage, response: http.ServerResponse, truncate: boolean): void {
    this.forwarded++;
    const upstream = http.request(
      { host: this.target.hostname, port: this.target.port, method: request.method, path: request.url, headers: request.headers, agent: this.agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!truncate || request.method === 'HEAD' || !Number(answer.headers['content-length'])) {
          answer.pipe(response);
          return;
        }
        // Half the body, then the connection drops: a reader must not take it for the whole object.
        const length = Number(answer.headers['content-length'] ?? 0);
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          const room = Math.max(0, Math.floor(length / 2) - sent);
          if (room > 0) response.write(chunk.subarray(0, room));
          sent += chunk.length;
          if (sent >= length / 2) {
            answer.destroy();
            response.socket?.destroy();
          }
        });
      },
    );
    upstream.on('error', () => response.socket?.destroy());
    request.pipe(upstream);
  }
}
