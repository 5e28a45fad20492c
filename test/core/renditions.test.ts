import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { parseImageRequest } from '../../core/image-request.js';
import {
  DEFAULT_RENDITION_SETS,
  focusCrop,
  loadRenditionSets,
  manifestKey,
  parseRenditionSets,
  renditionKey,
  renditionRequest,
} from '../../core/renditions.js';

test('the default set: thumbnail, small, medium, large, each in AVIF, WebP and JPEG', () => {
  const presets = parseRenditionSets(DEFAULT_RENDITION_SETS).default!;
  expect(presets.map((preset) => preset.name)).toEqual(['thumbnail', 'small', 'medium', 'large']);
  for (const preset of presets) expect(preset.formats).toEqual(['avif', 'webp', 'jpeg']);
});

test('a rendition file extends the defaults; every problem in it is reported at once', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shutter-renditions-'));
  try {
    const good = path.join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ avatars: [{ name: 'avatar', width: 96, height: 96, fit: 'cover', formats: ['webp'], quality: { webp: 70 } }] }));
    const sets = loadRenditionSets(good);
    expect(Object.keys(sets)).toEqual(['default', 'avatars']);
    expect(sets.avatars![0]).toMatchObject({ withoutEnlargement: true, quality: { webp: 70 } });

    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ x: [{ name: 'Big One', formats: ['gif'], colour: 'red' }], y: [{ name: 'a', width: 10 }, { name: 'a', width: 20 }] }));
    let error: unknown;
    try {
      loadRenditionSets(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/x\.0\.name/);
    expect(problems).toMatch(/x\.0\.formats/);
    expect(problems).toMatch(/colour/);
    expect(problems).toMatch(/"a" appears twice/);
    expect(() => loadRenditionSets(path.join(dir, 'missing.json'))).toThrow(/could not be read/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('output keys are deterministic and never collide between sources', () => {
  expect(renditionKey('shoots/cat.jpg', 'small', 'jpeg')).toBe('shoots/cat.jpg/small.jpg');
  expect(renditionKey('shoots/cat.png', 'small', 'jpeg')).toBe('shoots/cat.png/small.jpg');
  expect(manifestKey('shoots/cat.jpg')).toBe('shoots/cat.jpg/manifest.json');
});

test.each([
  // source, target, focus → crop box
  [{ width: 400, height: 200 }, { width: 100, height: 100 }, { x: 0.5, y: 0.5 }, { left: 100, top: 0, width: 200, height: 200 }],
  [{ width: 400, height: 200 }, { width: 100, height: 100 }, { x: 0.05, y: 0.5 }, { left: 0, top: 0, width: 200, height: 200 }],
  [{ width: 400, height: 200 }, { width: 100, height: 100 }, { x: 0.95, y: 0.5 }, { left: 200, top: 0, width: 200, height: 200 }],
  [{ width: 200, height: 400 }, { width: 200, height: 100 }, { x: 0.5, y: 0.2 }, { left: 0, top: 30, width: 200, height: 100 }],
  [{ width: 300, height: 300 }, { width: 10, height: 10 }, { x: 0, y: 1 }, { left: 0, top: 0, width: 300, height: 300 }],
])('focusCrop(%j → %j around %j) = %j', (source, target, focus, expected) => {
  expect(focusCrop(source, target, focus)).toEqual(expected);
});

test('a rendition is a valid ImageRequest: crop around the focus for cover, plain resize otherwise', () => {
  const [thumbnail, small] = DEFAULT_RENDITION_SETS.default!;
  const cover = renditionRequest({ bucket: 'uploads', key: 'a.jpg' }, thumbnail!, 'avif', { width: 400, height: 200 }, { x: 0.9, y: 0.5 });
  expect(parseImageRequest(cover)).toEqual(cover);
  expect(cover.edits).toEqual({ crop: { left: 200, top: 0, width: 200, height: 200 }, resize: { width: 150, height: 150, fit: 'cover', withoutEnlargement: true } });
  const inside = renditionRequest({ bucket: 'uploads', key: 'a.jpg' }, { ...small!, quality: 60 }, 'webp', { width: 400, height: 200 });
  expect(inside).toMatchObject({ edits: { resize: { width: 320, fit: 'inside' } }, output: { format: 'webp', quality: 60 }, preset: 'small' });
  expect(inside.edits.crop).toBeUndefined();
});
