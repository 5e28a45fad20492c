/**
 * blameSource: a sharp failure whose message explains nothing (libvips' process-wide error buffer
 * read empty: "Unknown error") is the client's when the source does not decode alone, ours when it does.
 */
import { ImageError } from '../../../core/errors.js';
import { blameSource, DEFAULT_IMAGE_LIMITS } from '../../../core/pipeline/sharp-factory.js';
import { samplePhoto } from '../../helpers/images.js';

const lost = () => new Error('Unknown error');

test('a failure without its message, on a truncated source, is the client’s 422 CorruptImage', async () => {
  const truncated = samplePhoto('chelsea').subarray(0, 2000);
  const blamed = await blameSource(lost(), truncated, DEFAULT_IMAGE_LIMITS);
  expect(blamed).toBeInstanceOf(ImageError);
  expect(blamed).toMatchObject({ code: 'ImageSource::CorruptImage', status: 422 });
});

test('a failure without its message, on a source that decodes, stands as it is (a fault of ours)', async () => {
  const error = lost();
  expect(await blameSource(error, samplePhoto('chelsea'), DEFAULT_IMAGE_LIMITS)).toBe(error);
});

test('a failure whose message names the cause is mapped from it, without decoding again', async () => {
  const blamed = await blameSource(new Error('VipsJpeg: premature end of JPEG image'), Buffer.alloc(0), DEFAULT_IMAGE_LIMITS);
  expect(blamed).toMatchObject({ name: 'ImageError', code: 'ImageSource::CorruptImage', status: 422 });
});
