/**
 * The Rekognition cost guard (ANALYSIS_UNSIGNED): with the billed analyzer, an unsigned URL may
 * not ask for smartCrop or contentModeration itself; a preset or a signed URL may.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '../../api/signature.js';
import { loadConfig } from '../../core/config.js';
import { base64Path, createTestApp, writeSecret } from '../helpers/app.js';
import { imageInfo, samplePhoto } from '../helpers/images.js';

const smartCropPath = base64Path({ bucket: 'images', key: 'astronaut.jpg', edits: { smartCrop: true, resize: { width: 40, height: 40 } } });

async function presetsFile(): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'shutter-presets-')), 'presets.json');
  await writeFile(file, JSON.stringify({ face: { edits: { smartCrop: true, resize: { width: 40, height: 40 } } } }));
  return file;
}

describe('config: who may start image analysis', () => {
  test('with Rekognition, unsigned requests may not, unless ANALYSIS_UNSIGNED says Yes', () => {
    const base = { SHUTTER_DATA_DIR: tmpdir(), SOURCE_BUCKETS: 'images' };
    expect(loadConfig({ ...base, ANALYZER: 'rekognition' }).analysis.unsignedRequests).toBe(false);
    expect(loadConfig({ ...base, ANALYZER: 'rekognition', ANALYSIS_UNSIGNED: 'Yes' }).analysis.unsignedRequests).toBe(true);
    // Inside Lambda the analyzer defaults to Rekognition, so the guard is on by default there.
    expect(loadConfig({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'image-handler', SHUTTER_STORAGE: 's3' }).analysis.unsignedRequests).toBe(false);
    // The local analyzers cost nothing: open by default.
    expect(loadConfig({ ...base, ANALYZER: 'local' }).analysis.unsignedRequests).toBe(true);
  });

  test('a bad value is a config error', () => {
    expect(() => loadConfig({ SHUTTER_DATA_DIR: tmpdir(), ANALYSIS_UNSIGNED: 'perhaps' })).toThrow(/ANALYSIS_UNSIGNED/);
  });
});

describe('image handler: the analysis guard', () => {
  test('refuses an unsigned URL that asks for smartCrop or contentModeration, 403 Analysis::SignatureRequired', async () => {
    const t = await createTestApp({ ANALYSIS_UNSIGNED: 'No' });
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    for (const path of [smartCropPath, base64Path({ bucket: 'images', key: 'astronaut.jpg', edits: { contentModeration: true } })]) {
      const refused = await t.request(path);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.bytes.toString())).toMatchObject({ status: 403, code: 'Analysis::SignatureRequired' });
    }
    // Edits that do not call the analyzer are untouched.
    expect((await t.request('/40x40/astronaut.jpg')).status).toBe(200);
  });

  test('a preset that smart-crops is served: the operator wrote it', async () => {
    const t = await createTestApp({ ANALYSIS_UNSIGNED: 'No', PRESETS_FILE: await presetsFile() });
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    const response = await t.request('/astronaut.jpg?preset=face');
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ width: 40, height: 40 });
  });

  test('a signed URL may smart-crop', async () => {
    const t = await createTestApp({ ANALYSIS_UNSIGNED: 'No', ENABLE_SIGNATURE: 'Yes', SECRETS_MANAGER: 'shutter-signing', SECRET_KEY: 'signatureKey' });
    await writeSecret(t.dataDir, 'shutter-signing', { signatureKey: 'secret' });
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    const response = await t.request(`${smartCropPath}?signature=${sign('secret', smartCropPath)}`);
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ width: 40, height: 40 });
  });

  test('ANALYSIS_UNSIGNED=Yes lets unsigned URLs smart-crop (SIH behaviour)', async () => {
    const t = await createTestApp({ ANALYSIS_UNSIGNED: 'Yes' });
    await t.platform.storage.put('images', 'astronaut.jpg', samplePhoto('astronaut'));
    expect((await t.request(smartCropPath)).status).toBe(200);
  });
});
