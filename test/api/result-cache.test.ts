import { ResultCache } from '../../api/result-cache.js';

const result = (bytes: number, fill = 1) => ({ body: Buffer.alloc(bytes, fill), contentType: 'image/webp' });
const photo = (etag: string) => ({ bucket: 'images', key: 'photo.jpg', etag });

describe('ResultCache', () => {
  test('answers what was stored for the same key and source version', () => {
    const cache = new ResultCache({ maxBytes: 1000, maxEntryBytes: 1000 });
    expect(cache.get('a', photo('"v1"'))).toBeUndefined();
    cache.set('a', photo('"v1"'), result(10, 7));
    const hit = cache.get('a', photo('"v1"'));
    expect(hit?.contentType).toBe('image/webp');
    expect(hit?.body.equals(Buffer.alloc(10, 7))).toBe(true);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 10, hits: 1, misses: 1 });
  });

  test('stays within its byte bound, evicting the least recently used first', () => {
    const cache = new ResultCache({ maxBytes: 300, maxEntryBytes: 300 });
    cache.set('a', { ...photo('"1"'), key: 'a.jpg' }, result(100));
    cache.set('b', { ...photo('"1"'), key: 'b.jpg' }, result(100));
    cache.set('c', { ...photo('"1"'), key: 'c.jpg' }, result(100));
    cache.get('a', { ...photo('"1"'), key: 'a.jpg' }); // a is now the most recently used
    cache.set('d', { ...photo('"1"'), key: 'd.jpg' }, result(100));
    expect(cache.stats().bytes).toBeLessThanOrEqual(300);
    expect(cache.get('b', { ...photo('"1"'), key: 'b.jpg' })).toBeUndefined();
    expect(cache.get('a', { ...photo('"1"'), key: 'a.jpg' })).toBeDefined();
    expect(cache.get('d', { ...photo('"1"'), key: 'd.jpg' })).toBeDefined();
  });

  test('does not keep a result larger than maxEntryBytes', () => {
    const cache = new ResultCache({ maxBytes: 1000, maxEntryBytes: 50 });
    cache.set('small', photo('"1"'), result(50));
    cache.set('big', photo('"1"'), result(51));
    expect(cache.get('small', photo('"1"'))).toBeDefined();
    expect(cache.get('big', photo('"1"'))).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 50 });
  });

  test('a new ETag of a source drops every result rendered from the old one, and only those', () => {
    const cache = new ResultCache({ maxBytes: 1000, maxEntryBytes: 1000 });
    const other = { bucket: 'images', key: 'other.jpg', etag: '"o1"' };
    cache.set('small-v1', photo('"v1"'), result(10));
    cache.set('large-v1', photo('"v1"'), result(20));
    cache.set('other', other, result(30));
    // The source changed: the next lookup (with any key) sees its new ETag.
    expect(cache.get('small-v2', photo('"v2"'))).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 30 });
    expect(cache.get('large-v1', photo('"v1"'))).toBeUndefined();
    expect(cache.get('other', other)).toBeDefined();
  });

  test('replacing an entry keeps the byte count right', () => {
    const cache = new ResultCache({ maxBytes: 1000, maxEntryBytes: 1000 });
    cache.set('a', photo('"1"'), result(100));
    cache.set('a', photo('"1"'), result(40));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 40 });
    expect(cache.get('a', photo('"1"'))?.body.length).toBe(40);
  });

  test('invalidate() drops a source’s results whatever their version', () => {
    const cache = new ResultCache({ maxBytes: 1000, maxEntryBytes: 1000 });
    cache.set('a', photo('"1"'), result(10));
    cache.set('b', photo('"1"'), result(10));
    cache.invalidate({ bucket: 'images', key: 'photo.jpg' });
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});
