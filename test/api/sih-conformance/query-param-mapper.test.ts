/**
 * SIH v7's query-param-mapper unit tests (source/image-handler/test/image-handler/query-param-mapper.spec.ts
 * and the query cases of image-request/setup.spec.ts in
 * aws-solutions/dynamic-image-transformation-for-amazon-cloudfront), carried over as HTTP requests.
 * Where shutter differs on purpose (width/height/fit merge into a door's resize) the case says so.
 */
import { defaultPath, expectAnswer, startSihServer, type Case, type SihServer } from './sih-server.js';

let server: SihServer;
beforeAll(async () => (server = await startSihServer()), 60_000);
afterAll(() => server.close());

const MAPPER = 'query-param-mapper.spec.ts';
const SETUP = 'image-request/setup.spec.ts';

const CASES: Case[] = [
  { sih: `${MAPPER} › {format:"jpeg"} → toFormat jpeg`, path: '/src.png?format=jpeg', expected: { format: 'jpeg', width: 400, height: 300 } },
  { sih: `${MAPPER} › {width:"100",height:"200",fit:"cover"} → resize`, path: '/src.jpg?width=100&height=200&fit=cover', expected: { format: 'jpeg', width: 100, height: 200, like: (i) => i.resize(100, 200) } },
  { sih: `${MAPPER} › {width:"0",height:"200"} → width null`, path: '/src.jpg?width=0&height=150', expected: { format: 'jpeg', width: 200, height: 150 } },
  { sih: `${MAPPER} › {flip:"true",flop:"false",grayscale:"true"}`, path: '/src.jpg?flip=true&flop=false&grayscale=true', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.flip().greyscale() } },
  { sih: `${MAPPER} › {rotate:"90"} → rotate 90`, path: '/src.jpg?rotate=90', expected: { format: 'jpeg', width: 300, height: 400, like: (i) => i.rotate(90) } },
  { sih: `${MAPPER} › {flip:"0"} → false, {flop:"1"} → true`, path: '/src.jpg?flip=0&flop=1', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.flop() } },
  { sih: `${MAPPER} › greyscale alias`, path: '/src.jpg?greyscale=1', expected: { format: 'jpeg', width: 400, height: 300, like: (i) => i.greyscale() } },
  { sih: `${SETUP} › "/test-image-001.jpg?format=png" → Thumbor, image/png`, path: '/test-image-001.jpg?format=png', expected: { format: 'png', width: 400, height: 300 } },
  { sih: `${SETUP} › Default request + ?format=png overrides outputFormat webp`, path: `${defaultPath({ key: 'src.jpg', outputFormat: 'webp' })}?format=png`, expected: { format: 'png', width: 400, height: 300 } },
  { sih: `${SETUP} › unknown parameters are dropped`, path: '/src.jpg?cachebuster=123&width=100', expected: { format: 'jpeg', width: 100, height: 75 } },
  // SIH merges `{ ...pathEdits, ...queryEdits }`: a query width comes after a path rotation, so the rotated image is resized.
  { sih: `${SETUP} › query edits merge after the path's (issue 14, point 1)`, path: '/filters:rotate(90)/src.jpg?width=100', expected: { format: 'jpeg', width: 100, height: 133, like: (i) => i.rotate(90).resize({ width: 100 }) } },
  { sih: `${SETUP} › a Default rotate, then a query width`, path: `${defaultPath({ key: 'src.jpg', edits: { rotate: 90 } })}?width=100`, expected: { format: 'jpeg', width: 100, height: 133 } },
  { sih: 'image-handler resize validation › a negative query width is InvalidResizeException (issue 14, point 7)', path: '/src.jpg?width=-10', expected: { status: 400, code: 'InvalidResizeException' } },
];

describe('SIH query-param-mapper tests, over HTTP', () => {
  test.each(CASES)('$sih: $path', (c) => expectAnswer(server, c));
});
