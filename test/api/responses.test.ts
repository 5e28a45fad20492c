/** Security headers on every answer (api/responses.ts): what each kind of body gets, and what a route set itself stays. */
import { securityHeaders, withSecurityHeaders } from '../../api/responses.js';

test('an image gets the image set, after its own headers, and the response is otherwise the same', () => {
  const response = { status: 200, headers: { 'Content-Type': 'image/jpeg', ETag: '"e"' }, body: Buffer.from('x'), meta: { door: 'Thumbor' } };
  const secured = withSecurityHeaders(response);
  expect(secured).toEqual({ ...response, headers: { ...response.headers, ...securityHeaders('image/jpeg') } });
  expect(Object.keys(secured.headers).slice(0, 2)).toEqual(['Content-Type', 'ETag']);
  expect(secured.headers['Cross-Origin-Resource-Policy']).toBe('cross-origin');
  expect(response.headers).toEqual({ 'Content-Type': 'image/jpeg', ETag: '"e"' }); // not changed in place
});

test('JSON, a body without a type and a lower-case content-type get the strict set', () => {
  for (const headers of [{ 'Content-Type': 'application/json' }, {}, { 'content-type': 'text/html' }] as Array<Record<string, string>>) {
    expect(withSecurityHeaders({ status: 200, headers }).headers).toEqual({ ...headers, ...securityHeaders(undefined) });
  }
  expect(withSecurityHeaders({ status: 200, headers: { 'content-type': 'image/png' } }).headers['Content-Security-Policy']).toBe(securityHeaders('image/png')['Content-Security-Policy']);
});

test("a route's own security header stays, whatever its case; with all of them set, the response itself is returned", () => {
  const own = { 'Content-Type': 'text/html', 'content-security-policy': "default-src 'self'" };
  const secured = withSecurityHeaders({ status: 200, headers: own });
  expect(secured.headers['content-security-policy']).toBe("default-src 'self'");
  expect(secured.headers['Content-Security-Policy']).toBeUndefined();
  const complete = { status: 200, headers: { 'Content-Type': 'image/gif', ...securityHeaders('image/gif') } };
  expect(withSecurityHeaders(complete)).toBe(complete);
});
