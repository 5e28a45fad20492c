/**
 * A CloudFront Function (viewer request) that reduces `Accept` to what the image handler's
 * format negotiation reads (`api/negotiate-format.ts`): `image/avif` and/or `image/webp`, and
 * only when Accept can decide the format (AUTO_WEBP, AUTO_AVIF or `?format=auto`); otherwise it
 * drops the header. The cache policy keys on the result, so browsers that send a hundred
 * different Accept strings share at most four cache entries per URL, and URLs whose format
 * cannot depend on Accept share one.
 */

export interface AcceptNormalizerSettings {
  autoWebp: boolean;
  autoAvif: boolean;
}

/** The function's source (cloudfront-js-2.0; written in ES5 to stay within its subset). */
export function acceptNormalizerCode(settings: AcceptNormalizerSettings): string {
  return `function handler(event) {
  var request = event.request;
  var headers = request.headers;
  var format = request.querystring.format;
  var auto = !!format && String(format.value).toLowerCase() === 'auto';
  var mayAvif = auto || ${settings.autoAvif};
  var mayWebp = auto || ${settings.autoWebp};
  var accept = headers.accept ? String(headers.accept.value).toLowerCase() : '';
  var kept = [];
  if (mayAvif && accept.indexOf('image/avif') !== -1) kept.push('image/avif');
  if (mayWebp && accept.indexOf('image/webp') !== -1) kept.push('image/webp');
  if (kept.length > 0) headers.accept = { value: kept.join(',') };
  else delete headers.accept;
  return request;
}
`;
}
