/**
 * SIH's thumbor-mapper unit tests (source/image-handler/test/thumbor-mapper/*.spec.ts in
 * aws-solutions/dynamic-image-transformation-for-amazon-cloudfront, and thumbor-mapper.spec.ts in
 * aws-solutions/serverless-image-handler), carried over as HTTP requests to the local server: SIH
 * asserts the edits its mapper produces, these assert the image those edits give.
 */
import { expectAnswer, startSihServer, type Case, type SihServer } from './sih-server.js';

let server: SihServer;
beforeAll(async () => (server = await startSihServer()), 60_000);
afterAll(() => server.close());

const FILTER = 'thumbor-mapper/filter.spec.ts';
const MAPPER = 'thumbor-mapper.spec.ts (SIH v6)';

const CASES: Case[] = [
  { sih: `${MAPPER} › "/fit-in/400x300/test-image-001.jpg" → resize inside`, path: '/fit-in/200x200/test-image-001.jpg', expected: { format: 'jpeg', width: 200, height: 150, like: (i) => i.resize(200, 200, { fit: 'inside' }) } },
  { sih: `${MAPPER} › "/400x300/test-image-001.jpg" → resize (sharp's cover)`, path: '/100x100/test-image-001.jpg', expected: { format: 'jpeg', width: 100, height: 100, like: (i) => i.resize(100, 100) } },
  { sih: `${MAPPER} › "/0x300/…" → width null, fit inside`, path: '/0x150/test-image-001.jpg', expected: { format: 'jpeg', width: 200, height: 150 } },
  { sih: `${MAPPER} › "/400x0/…" → height null, fit inside`, path: '/200x0/test-image-001.jpg', expected: { format: 'jpeg', width: 200, height: 150 } },
  { sih: `${MAPPER} › "/10x0:100x200/test-image-001.jpg" → crop`, path: '/10x0:100x200/test-image-001.jpg', expected: { format: 'jpeg', width: 90, height: 200, like: (i) => i.extract({ left: 10, top: 0, width: 90, height: 200 }) } },
  { sih: `${MAPPER} › "/10x0:100x200/10x20/…" → crop, then resize`, path: '/10x0:100x200/10x20/test-image-001.jpg', expected: { format: 'jpeg', width: 10, height: 20 } },
  { sih: `${FILTER} › "Thumbor:autojpg()"`, path: '/filters:autojpg()/src.png', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:background_color()"`, path: '/filters:background_color(ffff)/src.png', expected: { format: 'png', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:blur()" (60 → sigma 30)`, path: '/filters:blur(60)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.blur(30) } },
  { sih: `${FILTER} › "Thumbor:blur()" (60, 2 → sigma 2)`, path: '/filters:blur(60,2)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.blur(2) } },
  { sih: `${FILTER} › "Thumbor:convolution()"`, path: '/filters:convolution(1;2;1;2;4;2;1;2;1,3,true)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.convolve({ width: 3, height: 3, kernel: [1, 2, 1, 2, 4, 2, 1, 2, 1] }) } },
  { sih: `${FILTER} › "Thumbor:equalize()"`, path: '/filters:equalize()/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.normalise() } },
  { sih: `${FILTER} › "Thumbor:fill()"`, path: '/fit-in/200x200/filters:fill(fff)/src.jpg', expected: { format: 'jpeg', width: 200, height: 200 } },
  { sih: `${FILTER} › "Thumbor:format()"`, path: '/filters:format(png)/src.jpg', expected: { format: 'png', width: 400, height: 300 } },
  { sih: `${FILTER} › "Should map Thumbor:format(tif) to tiff"`, path: '/filters:format(tif)/src.jpg', expected: { format: 'tiff', width: 400, height: 300 } },
  { sih: `${FILTER} › "Should return undefined if an accepted file format is not specified" (issue 14, point 3)`, path: '/filters:format(test)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:no_upscale()"`, path: '/800x600/filters:no_upscale()/src.jpg', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:proportion()" (with a size)`, path: '/200x200/filters:proportion(0.3)/src.jpg', expected: { format: 'jpeg', width: 60, height: 60 } },
  { sih: `${FILTER} › "Thumbor:resize()" (proportion alone → ratio)`, path: '/filters:proportion(0.5)/src.jpg', expected: { format: 'jpeg', width: 200, height: 150 } },
  { sih: `${FILTER} › "Thumbor:quality()" (jpg)`, path: '/filters:quality(50)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:rgb()"`, path: '/filters:rgb(10,10,10)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.tint({ r: 25.5, g: 25.5, b: 25.5 }) } },
  { sih: `${FILTER} › "Thumbor:rotate()"`, path: '/filters:rotate(90)/src.jpg', expected: { format: 'jpeg', width: 300, height: 400, like: (i) => i.rotate(90) } },
  { sih: `${FILTER} › "Thumbor:sharpen()" (75, 5 → sigma 3.5)`, path: '/filters:sharpen(75,5)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.sharpen({ sigma: 3.5 }) } },
  { sih: `${FILTER} › "Thumbor:stretch()"`, path: '/100x100/filters:stretch()/src.jpg', expected: { format: 'jpeg', width: 100, height: 100, like: (i) => i.resize(100, 100, { fit: 'fill' }) } },
  { sih: `${FILTER} › "Thumbor:stretch()" (kept inside after fit-in)`, path: '/fit-in/100x100/filters:stretch()/src.jpg', expected: { format: 'jpeg', width: 100, height: 75 } },
  { sih: `${FILTER} › "Thumbor:upscale()"`, path: '/800x800/filters:upscale()/src.jpg', expected: { format: 'jpeg', width: 800, height: 600 } },
  { sih: `${FILTER} › "Thumbor:watermark()"`, path: '/filters:watermark(images,mark.png,10,10,0)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:grayscale()"`, path: '/filters:grayscale()/src.jpg', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.greyscale() } },
  { sih: `${FILTER} › "notSupportedFilter()" → no edit`, path: '/filters:notSupportedFilter()/src.jpg', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${FILTER} › "Thumbor:animated()" on a still image`, path: '/filters:animated(false)/src.jpg', expected: { format: 'jpeg', width: 400, height: 300 } },
  // SIH's thumbor order: crop, resize, then the filters; a path size is resized before the rotation.
  { sih: `${MAPPER} › mapPathToEdits merges crop, resize, then filters (issue 14, point 1)`, path: '/200x0/filters:rotate(90)/src.jpg', expected: { format: 'jpeg', width: 150, height: 200, like: (i) => i.resize({ width: 200 }).rotate(90) } },
  { sih: `${MAPPER} › halign/valign are Thumbor's (SIH drops them; issue 14, point 9)`, path: '/300x480/right/bottom/src.jpg', expected: { format: 'jpeg', width: 300, height: 480, like: (i) => i.resize(300, 480, { position: 'right bottom' }) } },
];

describe('SIH thumbor-mapper tests, over HTTP', () => {
  test.each(CASES)('$sih: $path', (c) => expectAnswer(server, c));
});
