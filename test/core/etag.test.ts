import { bareEtag, quotedEtag, sameEtag } from '../../core/etag.js';

describe('ETags', () => {
  // How S3 HeadObject, an S3 event notification and an HTTP client spell the same version.
  test.each([
    ['"9b2c1e"', '9b2c1e', '"9b2c1e"'],
    ['9b2c1e', '9b2c1e', '"9b2c1e"'],
    ['W/"9b2c1e"', '9b2c1e', '"9b2c1e"'],
    [' "9b2c1e-3" ', '9b2c1e-3', '"9b2c1e-3"'],
  ])('%s is %s bare and %s quoted', (etag, bare, quoted) => {
    expect(bareEtag(etag)).toBe(bare);
    expect(quotedEtag(etag)).toBe(quoted);
    expect(quotedEtag(quotedEtag(etag))).toBe(quoted);
  });

  test('the three spellings of one version are the same ETag; another version is not', () => {
    expect(sameEtag('"9b2c1e"', '9b2c1e')).toBe(true);
    expect(sameEtag('W/"9b2c1e"', '"9b2c1e"')).toBe(true);
    expect(sameEtag('"9b2c1e"', '"9b2c1f"')).toBe(false);
    expect(sameEtag('"9b2c1e"', '"9b2c1e-2"')).toBe(false);
  });
});
