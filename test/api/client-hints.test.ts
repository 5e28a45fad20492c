import { applyClientHints, bucketDpr, bucketWidth } from '../../api/client-hints.js';
import { parseImageRequest } from '../../core/image-request.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { imageInfo, makeImage } from '../helpers/images.js';

const request = (edits: Record<string, unknown> = {}, output: Record<string, unknown> = {}) =>
  parseImageRequest({ source: { bucket: 'images', key: 'a.jpg' }, edits, output });
const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('client hints, as a pure function', () => {
  it('buckets DPR to halves in [1, 4] and widths up to the next 100 px in [100, 8192]', () => {
    expect([0.5, 1, 1.1, 1.5, 2.625, 3, 9].map(bucketDpr)).toEqual([1, 1, 1.5, 1.5, 3, 3, 4]);
    expect([1, 100, 101, 333, 1170, 99_999].map(bucketWidth)).toEqual([100, 100, 200, 400, 1200, 8192]);
  });

  it('multiplies a URL’s size by the DPR hint, unless the URL sets dpr', () => {
    const hinted = applyClientHints(request({ resize: { width: 300 } }), headers({ 'sec-ch-dpr': '2' }));
    expect(hinted.request.output.dpr).toBe(2);
    expect(hinted.vary).toEqual(['Sec-CH-DPR', 'DPR']);
    const explicit = applyClientHints(request({ resize: { width: 300 } }, { dpr: 1 }), headers({ 'sec-ch-dpr': '3' }));
    expect(explicit.request.output.dpr).toBe(1);
    expect(explicit.vary).toEqual([]);
  });

  it('sizes an unsized URL from Width, capped by the viewport × DPR, never enlarging', () => {
    const byWidth = applyClientHints(request(), headers({ 'sec-ch-width': '333' }));
    expect(byWidth.request.edits.resize).toEqual({ width: 400, withoutEnlargement: true });
    const capped = applyClientHints(request(), headers({ width: '2000', 'viewport-width': '390', dpr: '3' }));
    expect(capped.request.edits.resize).toEqual({ width: 1200, withoutEnlargement: true });
    expect(capped.vary).toEqual(expect.arrayContaining(['Sec-CH-Width', 'Width', 'Sec-CH-Viewport-Width', 'Viewport-Width', 'Sec-CH-DPR', 'DPR']));
  });

  it('prefers the standard hint to the legacy one, and a URL dpr does not multiply a hinted width twice', () => {
    const hinted = applyClientHints(request({}, { dpr: 2 }), headers({ 'sec-ch-viewport-width': '500', 'viewport-width': '900' }));
    expect(hinted.request.edits.resize?.width).toBe(1000);
    expect(hinted.request.output.dpr).toBeUndefined();
  });

  it.each(['abc', '-5', '0', '', 'Infinity'])('ignores a malformed hint %p', (value) => {
    const hinted = applyClientHints(request(), headers({ 'sec-ch-width': value, 'sec-ch-viewport-width': value }));
    expect(hinted.request.edits.resize).toBeUndefined();
  });
});

describe('client hints in the handler', () => {
  let on: TestApp;
  let off: TestApp;
  beforeAll(async () => {
    on = await createTestApp({ CLIENT_HINTS: 'Yes' });
    off = await createTestApp();
    for (const app of [on, off]) {
      await app.platform.storage.put('images', 'wide.jpg', await makeImage(2000, 1000, 'jpeg'));
      await app.platform.storage.put('images', 'small.png', await makeImage(300, 200, 'png'));
    }
  });

  it('is off by default: hints change nothing and no Accept-CH is sent', async () => {
    const response = await off.request('/wide.jpg', { headers: { 'sec-ch-width': '400' } });
    expect(await imageInfo(response.bytes)).toMatchObject({ width: 2000 });
    expect(response.headers['Accept-CH']).toBeUndefined();
  });

  it('serves an unsized image at the hinted width, asks for hints and varies on them', async () => {
    const response = await on.request('/wide.jpg', { headers: { 'sec-ch-width': '333' } });
    expect(response.status).toBe(200);
    expect(await imageInfo(response.bytes)).toMatchObject({ format: 'jpeg', width: 400, height: 200 });
    expect(response.headers['Accept-CH']).toBe('Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width');
    expect(response.headers.Vary).toContain('Sec-CH-Width');
  });

  it('caps an unsized image at the viewport × DPR and never enlarges a small one', async () => {
    const phone = { 'sec-ch-viewport-width': '390', 'sec-ch-dpr': '3' };
    expect(await imageInfo((await on.request('/wide.jpg', { headers: phone })).bytes)).toMatchObject({ width: 1200 });
    expect(await imageInfo((await on.request('/small.png', { headers: phone })).bytes)).toMatchObject({ width: 300 });
  });

  it('applies DPR to a URL’s width, and varies only on DPR', async () => {
    const response = await on.request('/wide.jpg?width=300', { headers: { 'sec-ch-dpr': '2' } });
    expect(await imageInfo(response.bytes)).toMatchObject({ width: 600 });
    expect(response.headers.Vary).toBe('Sec-CH-DPR, DPR');
  });

  it('gives different ETags to different hinted answers, so caches keep them apart', async () => {
    const one = await on.request('/wide.jpg', { headers: { 'sec-ch-width': '400' } });
    const two = await on.request('/wide.jpg', { headers: { 'sec-ch-width': '800' } });
    expect(one.headers.ETag).not.toBe(two.headers.ETag);
  });
});
