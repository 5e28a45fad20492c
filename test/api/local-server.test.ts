/**
 * The local server's own duties: a graceful close that drains in-flight requests, a request
 * timeout for slow clients, JSON answers to malformed HTTP, and aborting the work of a client
 * that went away.
 */
import http from 'node:http';
import { connect } from 'node:net';
import type { HttpRequest, HttpResponse } from '../../api/http.js';
import { startServer } from '../../api/local-server.js';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

function get(url: string, agent?: http.Agent): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { ...(agent ? { agent } : {}) }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
      })
      .on('error', reject);
  });
}

/** Sends raw bytes and resolves with everything the server wrote before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(data));
    socket.write(bytes);
  });
}

describe('local server: graceful close', () => {
  test('stops accepting, lets in-flight requests finish, then resolves', async () => {
    const release = gate();
    let started = 0;
    const server = await startServer(
      async () => {
        started++;
        await release.opened;
        return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'done' };
      },
      { port: 0, host: '127.0.0.1' },
    );
    const agent = new http.Agent({ keepAlive: true });
    const inFlight = [get(server.url, agent), get(server.url, agent), get(server.url, agent)];
    while (started < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.inFlight).toBe(3);

    let closed = false;
    const closing = server.close({ graceMs: 10_000 }).then(() => (closed = true));
    await expect(get(server.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(closed).toBe(false);

    release.open();
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => [answer.status, answer.body])).toEqual([[200, 'done'], [200, 'done'], [200, 'done']]);
    // Answers written while closing tell keep-alive clients not to reuse the connection.
    expect(answers.every((answer) => answer.headers.connection === 'close')).toBe(true);
    await closing;
    expect(closed).toBe(true);
    agent.destroy();
  });

  test('a request still running after the grace period is cut and the close completes', async () => {
    const server = await startServer(() => new Promise<HttpResponse>(() => {}), { port: 0, host: '127.0.0.1' });
    const stuck = get(server.url).catch((error: Error) => error);
    // In flight before the close (a fixed 100 ms let a busy machine close first: ECONNREFUSED).
    for (const deadline = Date.now() + 30_000; server.inFlight === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.inFlight).toBe(1);
    await server.close({ graceMs: 200 });
    expect(String(await stuck)).toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('local server: slow, broken and vanishing clients', () => {
  test('a client that never finishes its headers gets 408 Request::Timeout', async () => {
    const server = await startServer(async () => ({ status: 200, headers: {}, body: 'ok' }), { port: 0, host: '127.0.0.1', requestTimeoutMs: 1000 });
    const answer = await raw(Number(new URL(server.url).port), 'GET /a.jpg HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 408, code: 'Request::Timeout' });
    await server.close();
  });

  test.each([
    ['a request line that is not HTTP', 'HELLO\r\n\r\n'],
    ['a control character in the target', 'GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET / HTTP/1.1\r\nBroken header\r\n\r\n'],
  ])('%s gets a JSON 400 Request::Malformed with the security headers', async (_name, bytes) => {
    const server = await startServer(async () => ({ status: 200, headers: {}, body: 'ok' }), { port: 0, host: '127.0.0.1' });
    const answer = await raw(Number(new URL(server.url).port), bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/X-Frame-Options: DENY/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'Request::Malformed' });
    await server.close();
  });

  test('headers over the size limit get 431 Request::HeadersTooLarge', async () => {
    const server = await startServer(async () => ({ status: 200, headers: {}, body: 'ok' }), { port: 0, host: '127.0.0.1' });
    const answer = await raw(Number(new URL(server.url).port), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/Request::HeadersTooLarge/);
    await server.close();
  });

  test('a client that goes away aborts the signal its request carries', async () => {
    let seen: HttpRequest | undefined;
    const aborted = gate();
    const server = await startServer(
      (request) => {
        seen = request;
        request.signal?.addEventListener('abort', () => aborted.open());
        return new Promise<HttpResponse>(() => {});
      },
      { port: 0, host: '127.0.0.1' },
    );
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    socket.write('GET /a.jpg HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!seen) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.destroy();
    await aborted.opened;
    expect(seen.signal?.aborted).toBe(true);
    await server.close({ graceMs: 100 });
  });
});
