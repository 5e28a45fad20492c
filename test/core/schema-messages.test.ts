/**
 * The request, config, settings and event schemas are built with zod/mini (core/zod.ts): the
 * messages clients and operators read must stay exactly those full zod gave. Expected values were
 * produced by the same cases on full zod (main at e5b2e87). This file imports core/ only, so full
 * zod is not loaded here: without core/zod.ts's English locale every message reads "Invalid input".
 */
import { loadConfig } from '../../core/config.js';
import { SETTING_SCHEMAS } from '../../core/delivery-settings.js';
import { parseEvent } from '../../core/events/build-event.js';
import { parseImageRequest } from '../../core/image-request.js';
import { PresetCatalog } from '../../core/presets.js';
import { parseRenditionSets } from '../../core/renditions.js';

const src = { bucket: 'images', key: 'cat.jpg' };
const req = (edits: unknown, output: unknown = {}, extra: object = {}) => ({
  source: src,
  edits,
  output,
  ...extra,
});
const CASES: Array<[string, () => unknown]> = [
  [
    'request: int, too small, too big, unknown key',
    () => parseImageRequest(req({ resize: { width: 0.5, height: 0, fit: 'squash', foo: 1 }, rotate: 4000 })),
  ],
  [
    'request: unions and arrays',
    () =>
      parseImageRequest(
        req({
          affine: [1, 2, 3],
          recomb: [[1]],
          gamma: [0.5],
          tint: { r: 300 },
          linear: 'x',
          sharpen: { m1: 1 },
        }),
      ),
  ],
  [
    'request: strings, regex, enum, literal',
    () =>
      parseImageRequest(
        req(
          {
            overlayWith: { bucket: '', key: 'k', options: { left: '10x' } },
            toColourspace: 'rgbx',
            extractChannel: 'pink',
          },
          { format: 'bmp', quality: 0, options: { avif: { bitdepth: 9 } }, dpr: 99 },
          { headers: { 'Bad Header': 'x\r\n' } },
        ),
      ),
  ],
  [
    'request: source',
    () => parseImageRequest({ source: { bucket: 'A..b', key: '' }, edits: {}, output: {} }),
  ],
  ['request: wrong types', () => parseImageRequest({ source: 'x', edits: [], output: 3 })],
  [
    'request: smartCrop, contentModeration, roundCrop',
    () =>
      parseImageRequest(
        req({
          smartCrop: { faceIndex: -1, padding: 1.5 },
          contentModeration: { moderationLabels: 'x' },
          roundCrop: { rx: -1 },
          convolve: { width: 2, height: 3, kernel: [] },
        }),
      ),
  ],
  [
    'config: flags, numbers, enums, regex',
    () =>
      loadConfig({
        AUTO_WEBP: 'maybe',
        PORT: '-3',
        MAX_SOURCE_BYTES: '1.5',
        SHUTTER_STORAGE: 'ftp',
        MAPPING_HOST_HEADER: 'X-Host',
        LOG_LEVEL: 'loud',
      }),
  ],
  [
    'renditions',
    () =>
      parseRenditionSets({
        web: [
          { name: 'A b', formats: [] },
          { name: 'x', width: 10, formats: ['jpeg', 'jpeg'] },
          { name: 'x', width: 10, quality: { gif: 3 } },
        ],
        '': [],
      }),
  ],
  [
    'settings: origin',
    () =>
      SETTING_SCHEMAS.origins
        .safeParse({ type: 'https', url: 'ftp://x?y', timeoutMs: 5 })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  ],
  [
    'settings: origin type',
    () =>
      SETTING_SCHEMAS.origins
        .safeParse({ type: 'gcs' })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  ],
  [
    'settings: mapping',
    () =>
      SETTING_SCHEMAS.mappings
        .safeParse({ origin: 'Photos!', host: 'a b' })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  ],
  [
    'settings: mapping without host or prefix',
    () =>
      SETTING_SCHEMAS.mappings
        .safeParse({ origin: 'photos' })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  ],
  [
    'settings: policy',
    () =>
      SETTING_SCHEMAS.policies
        .safeParse({
          edits: { blur: 0 },
          output: { quality: 101 },
          rules: [{ when: { accepts: [], minDpr: 0 } }],
        })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  ],
  [
    'presets',
    () =>
      PresetCatalog.safeParse({ 'bad name': {}, ok: { edits: { flip: 'yes' } } }).error?.issues.map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      ),
  ],
  [
    'event envelope',
    () => parseEvent({ specversion: '0.3', id: '', type: 'image.nope', time: 'yesterday', data: [] }),
  ],
  [
    'event data',
    () =>
      parseEvent({
        specversion: '1.0',
        id: 'e1',
        type: 'image.request.served',
        source: 's',
        subject: 'x',
        time: '2026-12-05T09:00:00Z',
        datacontenttype: 'application/json',
        data: { method: '', path: '/', status: 99.5, bytes: -1, cache: 'warm', sample_rate: 0, extra: 1 },
      }),
  ],
];

/** What each case gave on full zod. */
const EXPECTED: Record<string, unknown> = {
  'request: int, too small, too big, unknown key': {
    code: 'ImageEdits::InvalidEdit',
    message:
      'The image request is invalid: edits.resize.width: Invalid input: expected int, received number; edits.resize.height: Too small: expected number to be >=1; edits.resize.fit: Invalid option: expected one of "cover"|"contain"|"fill"|"inside"|"outside"; edits.resize: Unrecognized key: "foo"; edits.rotate: Too big: expected number to be <=3600.',
  },
  'request: unions and arrays': {
    code: 'ImageEdits::InvalidEdit',
    message:
      'The image request is invalid: edits.affine: Too small: expected array to have exactly 4 items; edits.sharpen: Invalid input; edits.gamma.0: Too small: expected number to be >=1; edits.gamma: Too small: expected array to have exactly 2 items; edits.linear: Invalid input; edits.recomb: Invalid input; edits.tint: Invalid input.',
  },
  'request: strings, regex, enum, literal': {
    code: 'ImageEdits::InvalidEdit',
    message:
      'The image request is invalid: edits.overlayWith.bucket: Too small: expected string to have >=1 characters; edits.overlayWith.options.left: a pixel offset or a percentage such as "10p" or "-5p"; edits.toColourspace: Invalid option: expected one of "multiband"|"b-w"|"histogram"|"xyz"|"lab"|"cmyk"|"labq"|"rgb"|"cmc"|"lch"|"labs"|"srgb"|"yxy"|"fourier"|"rgb16"|"grey16"|"matrix"|"scrgb"|"hsv"; edits.extractChannel: Invalid input; output.format: Invalid option: expected one of "jpeg"|"png"|"webp"|"avif"|"gif"|"tiff"|"heif"; output.quality: Too small: expected number to be >=1; output.options.avif.bitdepth: Invalid input; output.dpr: Too big: expected number to be <=4; headers.Bad Header: Invalid key in record.',
  },
  'request: source': {
    code: 'ImageEdits::InvalidEdit',
    message:
      'The image request is invalid: source.bucket: Invalid input; source.key: Too small: expected string to have >=1 characters.',
  },
  'request: wrong types': {
    code: 'ImageEdits::InvalidEdit',
    message:
      'The image request is invalid: source: Invalid input: expected object, received string; edits: Invalid input: expected object, received array; output: Invalid input: expected object, received number.',
  },
  'request: smartCrop, contentModeration, roundCrop': {
    code: 'ImageEdits::InvalidEdit',
    message:
      'The image request is invalid: edits.roundCrop.rx: Too small: expected number to be >=0; edits.smartCrop: Invalid input; edits.contentModeration: Invalid input; edits.convolve.width: Too small: expected number to be >=3.',
  },
  'config: flags, numbers, enums, regex': {
    code: 'ConfigError',
    message:
      'Invalid configuration:\n  - PORT: expected a whole number ≥ 0, got "-3"\n  - SHUTTER_STORAGE: Invalid option: expected one of "local"|"s3"\n  - MAPPING_HOST_HEADER: a lower-case header name\n  - AUTO_WEBP: expected Yes or No, got "maybe"\n  - MAX_SOURCE_BYTES: expected a whole number ≥ 1, got "1.5"\n  - LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    problems: [
      'PORT: expected a whole number ≥ 0, got "-3"',
      'SHUTTER_STORAGE: Invalid option: expected one of "local"|"s3"',
      'MAPPING_HOST_HEADER: a lower-case header name',
      'AUTO_WEBP: expected Yes or No, got "maybe"',
      'MAX_SOURCE_BYTES: expected a whole number ≥ 1, got "1.5"',
      'LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"',
    ],
  },
  renditions: {
    code: 'ConfigError',
    message:
      'Invalid configuration:\n  - rendition sets: web.0.name: lower-case letters, digits, "-" or "_", at most 64\n  - rendition sets: web.0.formats: Too small: expected array to have >=1 items\n  - rendition sets: web.0: a preset needs a width, a height or both\n  - rendition sets: web.1: formats must not repeat\n  - rendition sets: web.2.quality: Unrecognized key: "gif"\n  - rendition sets: web.2.name: "x" appears twice in the set\n  - rendition sets: (root): Invalid key in record',
    problems: [
      'rendition sets: web.0.name: lower-case letters, digits, "-" or "_", at most 64',
      'rendition sets: web.0.formats: Too small: expected array to have >=1 items',
      'rendition sets: web.0: a preset needs a width, a height or both',
      'rendition sets: web.1: formats must not repeat',
      'rendition sets: web.2.quality: Unrecognized key: "gif"',
      'rendition sets: web.2.name: "x" appears twice in the set',
      'rendition sets: (root): Invalid key in record',
    ],
  },
  'settings: origin': [
    'baseUrl: Invalid input: expected string, received undefined',
    'timeoutMs: Too small: expected number to be >=100',
    ': Unrecognized key: "url"',
  ],
  'settings: origin type': ["type: Invalid discriminator value. Expected 's3' | 'https'"],
  'settings: mapping': [
    'host: a host name, or *.example.com',
    'origin: lower-case letters, digits, "-" or "_", at most 64',
  ],
  'settings: mapping without host or prefix': [': a mapping needs a host, a path prefix or both'],
  'settings: policy': [
    'edits.blur: Too small: expected number to be >=0.3',
    'output.quality: Too big: expected number to be <=100',
    'rules.0.when.accepts: Too small: expected array to have >=1 items',
    'rules.0.when.minDpr: Too small: expected number to be >=1',
  ],
  presets: [
    'bad name: Invalid key in record',
    'ok.edits.flip: Invalid input: expected boolean, received string',
  ],
  'event envelope': {
    code: 'InvalidEvent',
    message:
      'Invalid event: specversion: Invalid input: expected "1.0"; id: Too small: expected string to have >=1 characters; type: Invalid option: expected one of "image.workflow.completed"|"image.workflow.failed"|"image.moderation.flagged"|"image.rendition.created"|"image.request.served"|"settings.changed"; source: Invalid input: expected string, received undefined; subject: Invalid input: expected string, received undefined; time: Invalid ISO datetime; datacontenttype: Invalid input: expected "application/json"; data: Invalid input: expected record, received array',
  },
  'event data': {
    code: 'InvalidEvent',
    message:
      'Invalid image.request.served data: method: Too small: expected string to have >=1 characters; status: Invalid input: expected int, received number; bytes: Too small: expected number to be >=0; duration_ms: Invalid input: expected number, received undefined; cache: Invalid option: expected one of "hit"|"miss"; sample_rate: Too small: expected number to be >0; (event): Unrecognized key: "extra"',
  },
};

/** The issues a case reports: a thrown error's code and message, or the issues as `path: message`. */
function outcome(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    const { code, message, problems } = error as { code?: string; message: string; problems?: string[] };
    return { code, message, ...(problems ? { problems } : {}) };
  }
}

test.each(CASES)('%s: the messages full zod gave', (name, run) => {
  expect(EXPECTED[name]).toBeDefined();
  expect(outcome(run)).toEqual(EXPECTED[name]);
});
