/**
 * The route table: a path skips the routes it cannot match by their literal start, without running
 * their patterns (an image request walks every route before the image fallback), and the skip never
 * changes which route answers.
 */
import fc from 'fast-check';
import { createRouter, literalPrefix, type Route } from '../../api/router.js';
import { createTestApp } from '../helpers/app.js';

const config = { cors: { enabled: false, origin: '*' }, trustProxyHops: 0 };

test.each<[string | RegExp, string]>([
  ['/health', '/health'],
  ['/api/', '/api/'],
  [/^\/api\/analytics\/?$/, '/api/analytics'],
  [/^\/api\/buckets\/([^/]+)\/objects$/, '/api/buckets/'],
  [/^\/console\/((?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]*)$/, '/console/'],
  [/^\/r\/(.+)$/, '/r/'],
  [/^\/meta\d+/, '/meta'],
  [/^\/a\u0062c/, '/a'],
  [/^\/ab*c/, '/a'],
  [/^\/a{2}/, '/'],
  [/\/api\//, ''],
  [/^\/a|^\/b/, ''],
  [/^\/API/i, ''],
])('literalPrefix(%s) is %j', (path, prefix) => {
  expect(literalPrefix(path)).toBe(prefix);
});

test("every path a route of the app matches starts with the route's literal prefix", async () => {
  const { app } = await createTestApp();
  const patterns = app.routes.map((route) => route.path).filter((path): path is RegExp => path instanceof RegExp);
  expect(patterns.length).toBeGreaterThan(5);
  const segment = fc.stringMatching(/^[A-Za-z0-9_.%-]{0,8}$/);
  for (const pattern of patterns) {
    const prefix = literalPrefix(pattern);
    // Paths around the prefix: cut short, extended, with the route's own words.
    const path = fc.tuple(fc.nat({ max: prefix.length }), fc.array(fc.oneof(segment, fc.constantFrom('objects', 'previews', 'definition', '')), { maxLength: 4 }), fc.boolean()).map(
      ([cut, segments, slash]) => `${prefix.slice(0, cut)}${segments.join('/')}${slash ? '/' : ''}`,
    );
    fc.assert(
      fc.property(path, (candidate) => {
        if (pattern.test(candidate)) expect(candidate.startsWith(prefix)).toBe(true);
      }),
      { numRuns: 200 },
    );
  }
});

test("an image request runs none of the routes' patterns, and the route that answers is the same as before", async () => {
  const answered: string[] = [];
  const route = (name: string, path: string | RegExp, method: string | string[] = 'GET'): Route => ({
    name,
    method,
    path,
    handle: async (_request, params) => (answered.push(`${name}(${params.join(',')})`), { status: 200, headers: {} }),
  });
  const patterns = [/^\/api\/buckets\/([^/]+)\/objects$/, /^\/console\/(.*)$/, /^\/api\/analytics\/?$/];
  const runs: string[] = [];
  for (const pattern of patterns) {
    const exec = pattern.exec.bind(pattern);
    pattern.exec = (text: string) => (runs.push(pattern.source), exec(text));
  }
  const router = createRouter(
    [route('health', '/health', ['GET', 'HEAD']), route('objects', patterns[0]!), route('console', patterns[1]!), route('analytics', patterns[2]!), route('api', '/api/', ['GET', 'POST'])],
    async () => (answered.push('image'), { status: 200, headers: {} }),
    config,
  );
  const get = (path: string) => router({ method: 'GET', path, query: {}, headers: {} });

  await get('/c0-photo-2mp.jpg');
  await get('/fit-in/300x300/filters:grayscale()/photo.jpg');
  expect(runs).toEqual([]);
  expect(answered).toEqual(['image', 'image']);

  answered.length = 0;
  for (const path of ['/health', '/api/buckets/images/objects', '/console/app.js', '/api/analytics/', '/api/analytics', '/api/other', '/consoles', '/apix']) await get(path);
  expect(answered).toEqual(['health()', 'objects(images)', 'console(app.js)', 'analytics()', 'analytics()', 'api()', 'image', 'image']);
});
