/**
 * `parseImageRequest` validates with the schema narrowed to the edits, output options and optional
 * fields a request names (a cost of the small renders' main thread, bench/README.md sessions 6 and
 * 7): every answer and every issue must be those of the whole `ImageRequest` schema, for valid and
 * invalid values alike.
 */
import fc from 'fast-check';
import { inInputOrder } from '../../core/edits.js';
import { ImageRequest, parseImageRequest } from '../../core/image-request.js';

/** What parseImageRequest answered before: the whole schema, issues joined the same way. */
function wholeSchema(value: unknown): unknown {
  const result = ImageRequest.safeParse(value);
  if (result.success) return { ...result.data, edits: inInputOrder(result.data.edits, (value as { edits?: unknown }).edits) };
  return `The image request is invalid: ${result.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`).join('; ')}.`;
}

function narrowed(value: unknown): unknown {
  try {
    return parseImageRequest(value);
  } catch (error) {
    return (error as Error).message;
  }
}

const source = { bucket: 'images', key: 'cat.jpg' };
/** Values for some edits: valid ones and the client's mistakes. */
const POOL: Record<string, unknown[]> = {
  resize: [{ width: 400 }, { width: 0.5, fit: 'squash' }, { width: 100, height: 50, fit: 'cover' }, 'big'],
  rotate: [90, null, 4000, 'left'],
  flip: [true, 3],
  grayscale: [true, 'yes'],
  blur: [3, -1],
  sharpen: [true, { sigma: 2 }, { sigma: -5 }],
  smartCrop: [true, { faceIndex: 0, padding: 10 }, { padding: 'x' }],
  roundCrop: [true, { rx: 10, ry: 10 }],
  tint: [{ r: 255, g: 0, b: 0 }, '#zzz'],
  extract: [{ left: 0, top: 0, width: 10, height: 10 }, { left: -1 }],
  animated: [false, 'no'],
  notAnEdit: [1],
};

test.each<[string, unknown]>([
  ['one edit', { source, edits: { resize: { width: 400 } }, output: { format: 'jpeg' } }],
  ['edits in the order the client listed them', { source, edits: { rotate: 90, resize: { width: 300 }, grayscale: true }, output: {} }],
  ['several invalid edits: issues in the model order', { source, edits: { rotate: 4000, resize: { width: 0.5, fit: 'squash', foo: 1 } }, output: {} }],
  ['an unknown edit', { source, edits: { resize: { width: 10 }, sepiaa: true }, output: {} }],
  ['__proto__ as an edit name', { source, edits: JSON.parse('{"__proto__": {"x": 1}, "resize": {"width": 10}}'), output: {} }],
  ['no edits', { source, edits: {}, output: {} }],
  ['edits not an object', { source, edits: [1, 2], output: {} }],
  ['edits missing', { source, output: {} }],
  ['not an object at all', 'resize'],
  ['bad source and bad output besides', { source: { bucket: 'A', key: '' }, edits: { blur: -1 }, output: { quality: 101 } }],
  ['several output options, valid and not', { source, edits: {}, output: { quality: 0, format: 'bmp', dpr: 2, keepMetadata: 'yes' } }],
  ['an unknown output option', { source, edits: {}, output: { format: 'png', lossless: true } }],
  ['output not an object', { source, edits: {}, output: 'jpeg' }],
  ['output missing', { source, edits: { resize: { width: 10 } } }],
  ['source missing', { edits: { resize: { width: 10 } }, output: {} }],
  ['headers and preset, valid and not', { source, edits: {}, output: {}, headers: { 'Cache-Control': 'max-age=1', 'bad name': 'x' }, preset: 'x'.repeat(65) }],
  ['an unknown field', { source, edits: {}, output: {}, signature: 'abc' }],
])('%s: the same answer as the whole schema', (_name, value) => {
  expect(narrowed(value)).toEqual(wholeSchema(value));
});

/** Output options and optional fields, valid ones and the client's mistakes. */
const OUTPUT_POOL: Record<string, unknown[]> = {
  format: ['webp', 'jpeg', 'bmp', undefined],
  quality: [80, 0, 'high'],
  auto: [true, 1],
  dpr: [2, 9],
  keepMetadata: [false, 'no'],
  options: [{ jpeg: { mozjpeg: true } }, { bmp: {} }],
  lossless: [true],
};
const FIELD_POOL: Record<string, unknown[]> = {
  headers: [{ 'Cache-Control': 'no-store' }, { 'a b': 'c' }, 'x'],
  preset: ['thumb', 7],
  signature: ['abc'],
};

const entriesOf = (pool: Record<string, unknown[]>) =>
  fc.array(fc.constantFrom(...Object.keys(pool)).chain((name) => fc.constantFrom(...pool[name]!).map((value) => [name, value] as const)), { maxLength: 6 });

test('any mix of known, unknown, valid and invalid edits, output options and fields: the same answer as the whole schema, past the sets kept', () => {
  fc.assert(
    fc.property(entriesOf(POOL), entriesOf(OUTPUT_POOL), entriesOf(FIELD_POOL), (edits, output, fields) => {
      const value = { source, edits: Object.fromEntries(edits), output: Object.fromEntries(output), ...Object.fromEntries(fields) };
      expect(narrowed(value)).toEqual(wholeSchema(value));
    }),
    { numRuns: 600 },
  );
});
