/**
 * fast-check generators for hostile URLs, one family per door: SIH Default (base64 JSON),
 * Thumbor paths, query parameters, and paths for a Custom rewrite. They mix well-formed pieces
 * (so requests get past the decoders and reach the renderer) with garbage, odd encodings and
 * unicode (so the decoders see what the internet sends).
 */
import fc from 'fast-check';
import { THUMBOR_FILTERS } from '../../api/doors/thumbor-filters.js';
import { EDIT_NAMES } from '../../core/edits.js';

/** Keys the fuzz app holds (tiny images, so renders stay fast; `dot.gif` is a 1×1 spacer, below what some edits accept), plus misses. */
export const STORED_KEYS = ['a.jpg', 'b.png', 'anim.gif', 'dir/c.webp', 'w.png', 'dot.gif'] as const;

export const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STORED_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('missing.jpg', '../secret.txt', 'a.jpg/', '/a.jpg', 'dir//c.webp', '.', '..', 'dir/../a.jpg') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);

const smallInt = fc.integer({ min: -20, max: 300 });
const anyNumber = fc.oneof(smallInt, fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e9, Number.MAX_SAFE_INTEGER, 0.1, 0.5));
const numberish = fc.oneof(anyNumber, anyNumber.map(String), fc.constantFrom('', ' ', 'NaN', '1e3', '0x10', '10p', '-10p', 'null'));
const color = fc.oneof(
  fc.constantFrom('#fff', '#000000', 'red', 'transparent', 'rgb(1,2,3)', 'rgba(0,0,0,0.5)', '#zzz', '', 'notacolour'),
  fc.record({ r: smallInt, g: smallInt, b: smallInt, alpha: fc.double({ min: -1, max: 2 }) }, { requiredKeys: [] }),
);
const jsonish = fc.jsonValue({ maxDepth: 2 });

/** Plausible values per edit (mostly near the valid range), with arbitrary JSON mixed in. */
const EDIT_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  resize: fc.record(
    {
      width: fc.oneof(numberish, fc.constant(null)),
      height: fc.oneof(numberish, fc.constant(null)),
      fit: fc.constantFrom('cover', 'contain', 'fill', 'inside', 'outside', 'bogus'),
      position: fc.oneof(fc.constantFrom('centre', 'attention', 'entropy', 'north', 'nowhere'), smallInt),
      background: color,
      withoutEnlargement: fc.boolean(),
      ratio: fc.oneof(fc.double({ min: -1, max: 20 }), numberish),
      kernel: fc.constantFrom('nearest', 'lanczos3', 'bogus'),
    },
    { requiredKeys: [] },
  ),
  crop: fc.record({ left: smallInt, top: smallInt, width: smallInt, height: smallInt }, { requiredKeys: [] }),
  extract: fc.record({ left: smallInt, top: smallInt, width: smallInt, height: smallInt }, { requiredKeys: [] }),
  extend: fc.oneof(smallInt, fc.integer({ min: 0, max: 9000 }), fc.record({ top: smallInt, bottom: smallInt, left: smallInt, right: smallInt, extendWith: fc.constantFrom('copy', 'mirror', 'repeat', 'background', 'x'), background: color }, { requiredKeys: [] })),
  affine: fc.oneof(fc.array(anyNumber, { minLength: 4, maxLength: 4 }), fc.array(fc.array(anyNumber, { minLength: 2, maxLength: 2 }), { minLength: 2, maxLength: 2 }), jsonish),
  rotate: fc.oneof(anyNumber, fc.constant(null)),
  overlayWith: fc.record(
    {
      bucket: fc.constantFrom('images', 'other', '..', 'images/../x', ''),
      key: key,
      wRatio: numberish,
      hRatio: numberish,
      alpha: numberish,
      options: fc.record({ left: numberish, top: numberish, gravity: fc.constantFrom('north', 'centre', 'x'), blend: fc.constantFrom('over', 'multiply', 'bogus'), tile: fc.boolean() }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
  roundCrop: fc.oneof(fc.boolean(), fc.record({ rx: anyNumber, ry: anyNumber, top: anyNumber, left: anyNumber }, { requiredKeys: [] })),
  smartCrop: fc.oneof(fc.boolean(), fc.record({ faceIndex: numberish, padding: numberish }, { requiredKeys: [] })),
  contentModeration: fc.oneof(fc.boolean(), fc.record({ minConfidence: anyNumber, blur: anyNumber }, { requiredKeys: [] })),
  convolve: fc.record({ width: smallInt, height: smallInt, kernel: fc.array(anyNumber, { maxLength: 30 }), scale: anyNumber, offset: anyNumber }, { requiredKeys: [] }),
  recomb: fc.array(fc.array(anyNumber, { minLength: 3, maxLength: 4 }), { minLength: 3, maxLength: 4 }),
  linear: fc.oneof(anyNumber, fc.tuple(fc.oneof(anyNumber, fc.array(anyNumber, { maxLength: 5 })), fc.oneof(anyNumber, fc.array(anyNumber, { maxLength: 5 })))),
  modulate: fc.record({ brightness: anyNumber, saturation: anyNumber, hue: anyNumber, lightness: anyNumber }, { requiredKeys: [] }),
  tint: color,
  flatten: fc.oneof(fc.boolean(), fc.record({ background: color }, { requiredKeys: [] })),
  toColourspace: fc.constantFrom('srgb', 'b-w', 'cmyk', 'lab', 'bogus', 'rgb16', 'multiband'),
  pipelineColourspace: fc.constantFrom('srgb', 'rgb16', 'lab', 'bogus', 'cmyk'),
  extractChannel: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.constantFrom('red', 'green', 'blue', 'alpha')),
  threshold: fc.oneof(fc.boolean(), smallInt, fc.record({ threshold: smallInt, greyscale: fc.boolean() }, { requiredKeys: [] })),
  trim: fc.oneof(fc.boolean(), fc.record({ background: color, threshold: anyNumber, lineArt: fc.boolean() }, { requiredKeys: [] })),
  clahe: fc.record({ width: smallInt, height: smallInt, maxSlope: smallInt }, { requiredKeys: [] }),
};

const editValue = (name: string) => fc.oneof({ weight: 4, arbitrary: (Object.hasOwn(EDIT_VALUES, name) ? EDIT_VALUES[name] : undefined) ?? fc.oneof(fc.boolean(), anyNumber) }, { weight: 1, arbitrary: jsonish });
const EDIT_KEYS = [...EDIT_NAMES, 'toFormat', 'jpeg', 'png', 'webp', 'avif', 'resise', '__proto__', 'constructor'];

export const edits = fc
  .array(fc.constantFrom(...EDIT_KEYS).chain((name) => editValue(name).map((value) => [name, value] as const)), { maxLength: 4 })
  .map((entries) => Object.fromEntries(entries));

const formatName = fc.constantFrom('jpeg', 'jpg', 'png', 'webp', 'avif', 'gif', 'tiff', 'heif', 'heic', 'bmp', 'JPEG', ' png', 'auto');

/** A Default-door request object: SIH's fields with plausible and hostile values. */
export const defaultRequest = fc.record(
  {
    bucket: fc.oneof(fc.constant('images'), fc.constantFrom('other', '..', 'Images', 'images/..', ''), fc.string({ maxLength: 10 })),
    key,
    edits: fc.oneof({ weight: 5, arbitrary: edits }, { weight: 1, arbitrary: jsonish }),
    outputFormat: fc.oneof(formatName, jsonish),
    effort: fc.oneof(fc.integer({ min: -2, max: 10 }), jsonish),
    headers: fc.oneof(
      fc.dictionary(fc.oneof(fc.constantFrom('Cache-Control', 'X-Test', 'Content-Type', 'Set-Cookie', 'Bad Name', 'X-A\r\nInjected', ''), fc.string({ maxLength: 8 })), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a\r\nSet-Cookie: x=1', 'ok', '\u0000', 'é', '\u2028')), { maxKeys: 3 }),
      jsonish,
    ),
    preset: fc.oneof(fc.constantFrom('thumbnail', 'small', 'nope', '__proto__', 'constructor'), jsonish),
  },
  { requiredKeys: [] },
);

export const base64Of = (value: unknown) => `/${Buffer.from(JSON.stringify(value) ?? 'null').toString('base64')}`;

/** Pieces that change what a path means once decoded. */
const ENCODINGS = ['%2e', '%2E%2e', '%2f', '%2F', '%252f', '%252e%252e%252f', '%00', '%zz', '%', '%c0%ae', '%e2%80%a5', '\\', '..\\', '../', '//', '/./', '%5c', '\u2025', '\uff0e\uff0e/', '\u0000', '😀', '%F0%9F%98%80', '?', '#', ';', '%3f'];
const encodingPiece = fc.constantFrom(...ENCODINGS);

/** Inserts hostile encodings at random places in a path. */
export function mangle(path: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(path, fc.array(fc.tuple(fc.nat(), encodingPiece), { maxLength: 3 }))
    .map(([text, insertions]) => insertions.reduce((acc, [at, piece]) => acc.slice(0, at % (acc.length + 1)) + piece + acc.slice(at % (acc.length + 1)), text));
}

const size = fc.tuple(fc.constantFrom('', '', '-'), fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 300 }).map(String), fc.nat().map(String)), fc.constantFrom('', '', '-'), fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 300 }).map(String), fc.nat().map(String))).map(([a, w, b, h]) => `${a}${w}x${b}${h}`);
const cropBox = fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 }), fc.nat({ max: 60 }), fc.nat({ max: 60 })).map(([a, b, c, d]) => `${a}x${b}:${c}x${d}`);
const filterArgs = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.array(numberish.map(String), { maxLength: 4 }).map((parts) => parts.join(',')),
  fc.tuple(fc.constantFrom('images', 'other', '..'), key, numberish, numberish, numberish, numberish, numberish).map((parts) => parts.map(String).join(',')),
  fc.constantFrom('webp', 'png', 'bmp', 'fff', 'transparent', 'red', '90', '-1', '0', '1000', 'thumbnail', 'x(y)', '%2e%2e'),
);
const filterName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.keys(THUMBOR_FILTERS)) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z_]{1,10}$/) });
const filters = fc
  .array(fc.tuple(filterName, filterArgs).map(([name, args]) => `${name}(${args})`), { minLength: 1, maxLength: 4 })
  .map((list) => `filters:${list.join(':')}`);
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('unsafe', 'trim', 'trim:top-left:10', 'fit-in', 'full-fit-in', 'adaptive-fit-in', 'smart', 'left', 'center', 'right', 'top', 'middle', 'bottom', 's3:images', 's3:other', 's3:..', '') },
  { weight: 3, arbitrary: size },
  { weight: 1, arbitrary: cropBox },
  { weight: 3, arbitrary: filters },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);

/** A Thumbor path: option segments in any order, then a key, with hostile encodings sprinkled in. */
export const thumborPath = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.array(segment, { maxLength: 6 }), key).map(([segments, k]) => `/${[...segments, k].join('/')}`) },
  { weight: 2, arbitrary: mangle(fc.tuple(fc.array(segment, { maxLength: 4 }), key).map(([segments, k]) => `/${[...segments, k].join('/')}`)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => `/${text}`) },
);

const queryName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('format', 'fit', 'width', 'height', 'w', 'h', 'rotate', 'flip', 'flop', 'grayscale', 'greyscale', 'quality', 'q', 'dpr', 'preset', 'expires', 'signature') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);
const queryValue = fc.oneof(numberish.map(String), formatName, fc.constantFrom('cover', 'inside', 'bogus', 'true', 'false', '0', '1', 'thumbnail', '20991231T235959Z', '20200101T000000Z', '2099-12-31'), fc.string({ maxLength: 10 }));

/** Query parameters, on top of a valid path from any door. */
export const query = fc.dictionary(queryName, queryValue, { maxKeys: 5 }).map((entries) => ({ ...entries }) as Record<string, string>);

export const basePath = fc.constantFrom('/a.jpg', '/b.png', '/anim.gif', '/dir/c.webp', '/fit-in/20x20/a.jpg', '/filters:grayscale()/b.png', base64Of({ key: 'a.jpg' }), base64Of({ key: 'b.png', edits: { resize: { width: 10 } } }), '/missing.jpg');

/** Paths for the Custom rewrite `/(filters-)/gm` → `filters:` (SIH's documented example). */
export const customPath = fc.oneof(
  mangle(fc.tuple(fc.array(fc.oneof(segment, filters.map((text) => text.replace('filters:', 'filters-'))), { maxLength: 4 }), key).map(([segments, k]) => `/${[...segments, k].join('/')}`)),
  fc.string({ maxLength: 30 }).map((text) => `/${text}`),
);
