/**
 * The CloudFront Function that shapes the cache key, run here on CloudFront's event shape: it
 * keeps exactly what `api/negotiate-format.ts` reads from Accept, and nothing when Accept
 * cannot change the answer.
 */
import { CACHE_KEY_QUERY_PARAMETERS, QUERY_PARAMETERS } from '../../api/doors/query-params.js';
import { bucketDpr, bucketWidth } from '../../api/client-hints.js';
import { CLIENT_HINT_HEADERS, acceptNormalizerCode, type AcceptNormalizerSettings } from '../../infra/accept-normalizer.js';

interface CloudFrontRequest {
  headers: Record<string, { value: string }>;
  querystring: Record<string, { value: string }>;
}

function viewerRequest(
  settings: AcceptNormalizerSettings,
  accept: string | undefined,
  query: Record<string, string> = {},
): CloudFrontRequest {
  // The code is a plain function declaration, as CloudFront Functions expect.
  const handler = new Function(`${acceptNormalizerCode(settings)}; return handler;`)() as (event: {
    request: CloudFrontRequest;
  }) => CloudFrontRequest;
  const request: CloudFrontRequest = {
    headers: accept === undefined ? {} : { accept: { value: accept } },
    querystring: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, { value }])),
  };
  return handler({ request });
}

const run = (...args: Parameters<typeof viewerRequest>): string | undefined =>
  viewerRequest(...args).headers.accept?.value;

const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const SAFARI_OLD = 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5';
const FIREFOX_OLD = 'image/png,image/*;q=0.8,*/*;q=0.5';

test.each([
  ['AutoWebP only', { autoWebp: true, autoAvif: false }, CHROME, {}, 'image/webp'],
  ['AutoWebP and AutoAvif', { autoWebp: true, autoAvif: true }, CHROME, {}, 'image/avif,image/webp'],
  ['AutoAvif only, client without AVIF', { autoWebp: false, autoAvif: true }, SAFARI_OLD, {}, undefined],
  ['auto off', { autoWebp: false, autoAvif: false }, CHROME, {}, undefined],
  [
    'auto off but ?format=auto',
    { autoWebp: false, autoAvif: false },
    CHROME,
    { format: 'auto' },
    'image/avif,image/webp',
  ],
  [
    '?format=AUTO is case-insensitive',
    { autoWebp: false, autoAvif: false },
    SAFARI_OLD,
    { format: 'AUTO' },
    'image/webp',
  ],
  ['explicit ?format=png', { autoWebp: false, autoAvif: false }, CHROME, { format: 'png' }, undefined],
  ['a client that takes neither', { autoWebp: true, autoAvif: true }, FIREFOX_OLD, {}, undefined],
  ['no Accept at all', { autoWebp: true, autoAvif: true }, undefined, {}, undefined],
  ['upper-case types', { autoWebp: true, autoAvif: false }, 'IMAGE/WEBP,*/*', {}, 'image/webp'],
])('%s', (_, settings, accept, query, expected) => {
  expect(run(settings, accept, query)).toBe(expected);
});

test('browsers with different Accept strings but the same capabilities share one cache key', () => {
  const settings = { autoWebp: true, autoAvif: true };
  const variants = [CHROME, 'image/avif,image/webp,*/*', 'image/webp,image/avif;q=0.9,image/*'];
  expect(new Set(variants.map((accept) => run(settings, accept))).size).toBe(1);
});

describe('query parameters', () => {
  const settings = { autoWebp: false, autoAvif: false };
  const kept = (query: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(viewerRequest(settings, undefined, query).querystring).map(([name, { value }]) => [name, value]),
    );

  test('a random parameter (cache buster) is dropped before the cache key', () => {
    expect(kept({ x: String(Math.random()), v: '2', utm_source: 'mail' })).toEqual({});
  });

  test('every parameter the query door reads, and the signature check, survive', () => {
    const all = Object.fromEntries(CACHE_KEY_QUERY_PARAMETERS.map((name) => [name, '1']));
    expect(kept({ ...all, junk: '1' })).toEqual(all);
    expect(CACHE_KEY_QUERY_PARAMETERS).toEqual(expect.arrayContaining([...QUERY_PARAMETERS, 'signature', 'expires']));
  });

  test("SIH v7's query parameters are all kept", () => {
    const sihV7 = ['format', 'fit', 'width', 'height', 'rotate', 'flip', 'flop', 'grayscale', 'greyscale', 'dpr'];
    expect(CACHE_KEY_QUERY_PARAMETERS).toEqual(expect.arrayContaining(sihV7));
  });

  test('names are case-sensitive, as the handler reads them', () => {
    expect(kept({ Width: '10', width: '20' })).toEqual({ width: '20' });
  });

  test('a prototype name is not mistaken for a kept parameter', () => {
    expect(kept({ constructor: '1', toString: '2', __proto__x: '3' })).toEqual({});
  });
});

describe('client hints in the cache key', () => {
  const hinted = (headers: Record<string, string>, clientHints = true) => {
    const handler = new Function(`${acceptNormalizerCode({ autoWebp: false, autoAvif: false, clientHints })}; return handler;`)() as (event: {
      request: CloudFrontRequest;
    }) => CloudFrontRequest;
    const request = handler({ request: { headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { value }])), querystring: {} } });
    return Object.fromEntries(Object.entries(request.headers).map(([name, { value }]) => [name, value]));
  };

  it('buckets every hint as the handler does, under its standard name, and drops the legacy ones', () => {
    expect(hinted({ 'sec-ch-dpr': '2.625', width: '333', 'viewport-width': '390', dpr: '1' })).toEqual({
      'sec-ch-dpr': String(bucketDpr(2.625)),
      'sec-ch-width': String(bucketWidth(333)),
      'sec-ch-viewport-width': String(bucketWidth(390)),
    });
    expect(hinted({ 'sec-ch-width': '99999' })).toEqual({ 'sec-ch-width': String(bucketWidth(99999)) });
  });

  it('drops malformed hints, and leaves hints alone when the stack does not use them', () => {
    expect(hinted({ 'sec-ch-dpr': 'abc', 'sec-ch-width': '-4' })).toEqual({});
    expect(hinted({ 'sec-ch-dpr': '3' }, false)).toEqual({ 'sec-ch-dpr': '3' });
  });

  it('names the headers the cache policy keys on', () => {
    expect(CLIENT_HINT_HEADERS).toEqual(['sec-ch-dpr', 'sec-ch-width', 'sec-ch-viewport-width']);
  });
});
