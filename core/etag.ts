/**
 * ETags, spelled one way. S3 returns them quoted (`"9b2c…"`) from GetObject and HeadObject but bare
 * (`9b2c…`) in event notifications, and an HTTP client may send one weak (`W/"9b2c…"`); the
 * characters inside the quotes are what identify a version. Every comparison and every ETag
 * stored in a workflow input goes through here, so the three spellings never count as three versions.
 */

/**
 * The opaque part of an ETag, without `W/` and quotes.
 *
 * @example bareEtag('W/"9b2c"') // '9b2c'
 */
export function bareEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * The strong, quoted form that S3's HeadObject returns: what a workflow input records.
 *
 * @example quotedEtag('9b2c') // '"9b2c"'
 */
export function quotedEtag(etag: string): string {
  return `"${bareEtag(etag)}"`;
}

/** Whether two ETags name the same version, whatever their quoting (weak comparison, RFC 9110 §8.8.3.2). */
export function sameEtag(a: string, b: string): boolean {
  return bareEtag(a) === bareEtag(b);
}
