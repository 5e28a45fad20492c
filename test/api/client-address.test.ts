/**
 * The client's address: the connection's peer, unless TRUST_PROXY_HOPS says which proxies'
 * X-Forwarded-For entries to believe; the access log carries it.
 */
import { jest } from '@jest/globals';
import { clientAddressOf, type HttpRequest } from '../../api/http.js';
import { startServer } from '../../api/local-server.js';
import { logger } from '../../core/observability/logger.js';
import { createTestApp } from '../helpers/app.js';

const request = (headers: Record<string, string>, peer = '10.0.0.9'): HttpRequest => ({ method: 'GET', path: '/', query: {}, headers, peer });

test('without a trusted proxy, X-Forwarded-For is ignored: the peer is the client', () => {
  expect(clientAddressOf(request({ 'x-forwarded-for': '1.2.3.4' }), 0)).toBe('10.0.0.9');
});

test('behind trusted proxies, the entry they appended; what the client wrote further left is ignored', () => {
  const forwarded = { 'x-forwarded-for': '6.6.6.6, 203.0.113.5, 10.0.0.2' };
  expect(clientAddressOf(request(forwarded), 1)).toBe('10.0.0.2');
  expect(clientAddressOf(request(forwarded), 2)).toBe('203.0.113.5');
  // Fewer entries than proxies: the leftmost is the outermost proxy's. No header: the peer.
  expect(clientAddressOf(request({ 'x-forwarded-for': '203.0.113.5' }), 2)).toBe('203.0.113.5');
  expect(clientAddressOf(request({}), 1)).toBe('10.0.0.9');
  // Not an address (a forged line break, a name): ignored.
  expect(clientAddressOf(request({ 'x-forwarded-for': 'evil\nlevel=error' }), 1)).toBe('10.0.0.9');
  expect(clientAddressOf(request({ 'x-forwarded-for': '2001:db8::1' }), 1)).toBe('2001:db8::1');
});

test.each([
  [{}, '127.0.0.1'],
  [{ TRUST_PROXY_HOPS: '1' }, '198.51.100.4'],
])('the access log line names the client (%j)', async (env, expected) => {
  const t = await createTestApp(env);
  const server = await startServer(t.app.handle, { port: 0, host: '127.0.0.1' });
  const lines = jest.spyOn(logger, 'info');
  try {
    const response = await fetch(`${server.url}/health`, { headers: { 'x-forwarded-for': '198.51.100.4' } });
    expect(response.status).toBe(200);
    const line = lines.mock.calls.find(([fields, message]) => message === 'request' && (fields as { route?: string }).route === 'health');
    expect(line?.[0]).toMatchObject({ client: expect.stringContaining(expected) });
  } finally {
    lines.mockRestore();
    await server.close();
  }
});
