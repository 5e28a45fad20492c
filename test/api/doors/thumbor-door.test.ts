import { decodeThumbor, isThumborPath, parseFilters } from '../../../api/doors/thumbor-door.js';

const buckets = ['images', 'some-test-bucket', 'my.bucket'];
const decode = (path: string) => decodeThumbor(path, { allowedBuckets: buckets });

describe('Thumbor door: key extraction (SIH test vectors)', () => {
  test.each([
    ['/filters:rotate(90)/filters:grayscale()/thumbor-image.jpg', 'images', 'thumbor-image.jpg'],
    ['/filters:rotate(90)/filters:grayscale()/thumbor-image%20(1).jpg', 'images', 'thumbor-image (1).jpg'],
    ['/filters:rotate(90)/s3:some-test-bucket/filters:grayscale()/thumbor-image%20(1).jpg', 'some-test-bucket', 'thumbor-image (1).jpg'],
    ['/filters:grayscale()/s3:my.bucket/thumbor-image.jpg', 'my.bucket', 'thumbor-image.jpg'],
    ['/filters:grayscale()/s3:myXbucket/thumbor-image.jpg', 'images', 's3:myXbucket/thumbor-image.jpg'],
    ['/filters:rotate(90)/filters:grayscale()/thumbor-image%20(1.jpg', 'images', 'thumbor-image (1.jpg'],
    ['/filters:rotate(90)/filters:grayscale()/thumbor-image%201).jpg', 'images', 'thumbor-image 1).jpg'],
    ['/10x10:100x100/filters:rotate(90)/filters:grayscale()/thumbor-image%20(1)%20suffix.jpg', 'images', 'thumbor-image (1) suffix.jpg'],
    ['/10x20:100x200/10x10/filters:rotate(90)/filters:grayscale()/thumbor-image%20(1)%20suffix.jpg', 'images', 'thumbor-image (1) suffix.jpg'],
    ['/fit-in/400x0/filters:fill(ffffff)/fit-in-thumbor-image%20(1)%20suffix.jpg', 'images', 'fit-in-thumbor-image (1) suffix.jpg'],
    ['/100x100/test-100x100/test/beach-100x100.jpg', 'images', 'test-100x100/test/beach-100x100.jpg'],
    ['/fit-in/400x400/filters:watermark(images,folder/key.png,0,0)/image.jpg', 'images', 'image.jpg'],
    ['/photos/%E2%82%AC/caf%C3%A9.jpg', 'images', 'photos/€/café.jpg'],
    ['/unsafe/200x100/photo.jpg', 'images', 'photo.jpg'],
  ])('%s → %s/%s', (path, bucket, key) => {
    const decoded = decode(path);
    expect(decoded.bucket).toBe(bucket);
    expect(decoded.key).toBe(key);
  });

  test('a malformed percent escape is a 400, not a crash', () => {
    expect(() => decode('/photo%E2.jpg')).toThrow(expect.objectContaining({ status: 400, code: 'DecodeRequest::CannotReadPath' }));
  });

  test('the request type test matches SIH', () => {
    expect(isThumborPath('/image.jpg')).toBe(true);
    expect(isThumborPath('/image')).toBe(true);
    expect(isThumborPath('/image.AVIF')).toBe(true);
    expect(isThumborPath('/12x12e24d234r2ewxsad123d34r.bmp')).toBe(false);
    expect(isThumborPath('/image.xml')).toBe(false);
  });
});

describe('Thumbor door: edits (SIH test vectors)', () => {
  test.each<[string, Record<string, unknown>]>([
    ['/fit-in/400x300/test-image-001.jpg', { resize: { width: 400, height: 300, fit: 'inside' } }],
    ['/fit-in/test-image-001.jpg', { resize: { fit: 'inside' } }],
    ['/400x300/test-image-001.jpg', { resize: { width: 400, height: 300 } }],
    ['/0x300/test-image-001.jpg', { resize: { width: null, height: 300, fit: 'inside' } }],
    ['/400x0/test-image-001.jpg', { resize: { width: 400, height: null, fit: 'inside' } }],
    ['/10x0:100x200/test-image-001.jpg', { crop: { left: 10, top: 0, width: 90, height: 200 } }],
    ['/10x0:100x200/10x20/test-image-001.jpg', { crop: { left: 10, top: 0, width: 90, height: 200 }, resize: { width: 10, height: 20 } }],
    ['/fit-in/200x300/filters:grayscale()/test-image-001.jpg', { resize: { width: 200, height: 300, fit: 'inside' }, grayscale: true }],
    ['/filters:background_color(ffff)/a.jpg', { flatten: { background: '#ffff' } }],
    ['/filters:blur(60)/a.jpg', { blur: 30 }],
    ['/filters:blur(60,%202)/a.jpg', { blur: 2 }],
    ['/filters:convolution(1;2;1;2;4;2;1;2;1,3,true)/a.jpg', { convolve: { width: 3, height: 3, kernel: [1, 2, 1, 2, 4, 2, 1, 2, 1] } }],
    ['/filters:equalize()/a.jpg', { normalise: true }],
    ['/filters:fill(fff)/a.jpg', { resize: { fit: 'contain', background: '#fff' } }],
    ['/filters:no_upscale()/a.jpg', { resize: { withoutEnlargement: true } }],
    ['/200x200/filters:proportion(0.3)/a.jpg', { resize: { width: 60, height: 60 } }],
    ['/filters:proportion(0.3)/a.jpg', { resize: { ratio: 0.3 } }],
    ['/filters:rgb(10,10,10)/a.jpg', { tint: { r: 25.5, g: 25.5, b: 25.5 } }],
    ['/filters:rotate(75)/a.jpg', { rotate: 75 }],
    ['/filters:sharpen(75,5)/a.jpg', { sharpen: 3.5 }],
    ['/200x200/filters:stretch()/a.jpg', { resize: { width: 200, height: 200, fit: 'fill' } }],
    ['/filters:strip_exif()/a.jpg', { rotate: null }],
    ['/filters:upscale()/a.jpg', { resize: { fit: 'inside' } }],
    ['/filters:animated(false)/a.gif', { animated: false }],
    ['/filters:smart_crop(1,10)/a.jpg', { smartCrop: { faceIndex: 1, padding: 10 } }],
    ['/filters:watermark(images,key.png,100,100,0)/a.jpg', { overlayWith: { bucket: 'images', key: 'key.png', alpha: 0, options: { left: 100, top: 100 } } }],
    ['/filters:watermark(images,key.png,50p,-30p,0,10,10)/a.jpg', { overlayWith: { bucket: 'images', key: 'key.png', alpha: 0, wRatio: 10, hRatio: 10, options: { left: '50p', top: '-30p' } } }],
    ['/filters:watermark(images,key.png,x,x,0)/a.jpg', { overlayWith: { bucket: 'images', key: 'key.png', alpha: 0, options: {} } }],
  ])('%s', (path, edits) => {
    expect(decode(path).edits).toEqual(edits);
  });

  test('format and quality filters set the output, in either order', () => {
    expect(decode('/filters:format(jpeg)/filters:quality(50)/image_without_extension').output).toEqual({ format: 'jpeg', quality: 50 });
    expect(decode('/filters:quality(50):format(png)/a.jpg').output).toEqual({ format: 'png', quality: 50 });
    expect(decode('/filters:format(jpg)/a.svg').output).toEqual({ format: 'jpeg' });
  });

  test('Thumbor features SIH ignores get their Thumbor meaning', () => {
    expect(decode('/-300x-200/a.jpg').edits).toEqual({ flop: true, flip: true, resize: { width: 300, height: 200 } });
    expect(decode('/300x200/left/top/a.jpg').edits).toEqual({ resize: { width: 300, height: 200, position: 'left top' } });
    expect(decode('/300x480/right/bottom/a.jpg').edits).toEqual({ resize: { width: 300, height: 480, position: 'right bottom' } });
    expect(decode('/300x200/smart/a.jpg').edits).toEqual({ resize: { width: 300, height: 200, position: 'attention' } });
    expect(decode('/trim/a.jpg').edits).toEqual({ trim: true });
    // Without a size, "left" is a folder of the key, as in SIH.
    expect(decode('/left/a.jpg').key).toBe('left/a.jpg');
  });

  test('unknown filters are ignored, as SIH does, and reported', () => {
    const decoded = decode('/filters:noise(10)/filters:grayscale()/a.jpg');
    expect(decoded.edits).toEqual({ grayscale: true });
    expect(decoded.ignored).toEqual(['filters:noise']);
  });

  test('a format filter SIH does not accept is ignored, as SIH does, and reported', () => {
    const decoded = decode('/filters:format(bmp)/a.jpg');
    expect(decoded.output).toEqual({});
    expect(decoded.ignored).toEqual(['filters:format(bmp)']);
    // Only letters and digits reach the header that reports it.
    expect(decode('/filters:format(x%0D%0Ay)/a.jpg').ignored).toEqual(['filters:format(xy)']);
  });

  test('filter chains split correctly, keeping parentheses and colons inside arguments', () => {
    expect(parseFilters('filters:watermark(b,a:b/c.png,1,2):grayscale()')).toEqual([
      { name: 'watermark', args: 'b,a:b/c.png,1,2' },
      { name: 'grayscale', args: '' },
    ]);
  });
});
