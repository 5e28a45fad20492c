/** The `<picture>` snippet the image view offers: built from the manifest's renditions by format and width. */
import { absoluteUrl, pictureSnippet } from '../../console/src/renditions-snippet.js';
import type { Rendition } from '../../console/src/rendition.js';
import type { RenditionFormat } from '../../core/rendition.js';

const rendition = (preset: string, format: RenditionFormat, width: number, url: string | null = `/r/cat.jpg/${preset}.${format}?v=4f1c`): Rendition => ({
  preset,
  format,
  bucket: 'renditions',
  key: `cat.jpg/${preset}.${format}`,
  width,
  height: Math.round(width * 0.75),
  bytes: width * 10,
  contentType: `image/${format}`,
  ...(url ? { url } : {}),
});

const origin = 'https://img.example.com';

describe('pictureSnippet', () => {
  test('modern formats as <source>s, best first; the widely supported one as <img srcset>, narrowest first', () => {
    const snippet = pictureSnippet(
      [rendition('medium', 'jpeg', 800), rendition('small', 'webp', 320), rendition('small', 'jpeg', 320), rendition('medium', 'webp', 800), rendition('small', 'avif', 320)],
      { origin, alt: 'A "cat" & co' },
    );
    expect(snippet?.split('\n')).toEqual([
      '<picture>',
      '  <source type="image/avif" srcset="https://img.example.com/r/cat.jpg/small.avif?v=4f1c 320w" sizes="(max-width: 800px) 100vw, 800px">',
      '  <source type="image/webp" srcset="https://img.example.com/r/cat.jpg/small.webp?v=4f1c 320w, https://img.example.com/r/cat.jpg/medium.webp?v=4f1c 800w" sizes="(max-width: 800px) 100vw, 800px">',
      '  <img src="https://img.example.com/r/cat.jpg/medium.jpeg?v=4f1c" srcset="https://img.example.com/r/cat.jpg/small.jpeg?v=4f1c 320w, https://img.example.com/r/cat.jpg/medium.jpeg?v=4f1c 800w" sizes="(max-width: 800px) 100vw, 800px" width="800" height="600" alt="A &quot;cat&quot; &amp; co" loading="lazy" decoding="async">',
      '</picture>',
    ]);
  });

  test('one format: a plain <img srcset>; renditions without a URL are left out; none at all: no snippet', () => {
    const snippet = pictureSnippet([rendition('small', 'webp', 320), rendition('large', 'webp', 1600, null)], { origin, alt: '' });
    // (the 1600 px one has no URL: it neither appears nor widens `sizes`)
    expect(snippet).toBe(
      '<img src="https://img.example.com/r/cat.jpg/small.webp?v=4f1c" srcset="https://img.example.com/r/cat.jpg/small.webp?v=4f1c 320w" sizes="(max-width: 320px) 100vw, 320px" width="320" height="240" alt="" loading="lazy" decoding="async">',
    );
    expect(pictureSnippet([rendition('small', 'webp', 320, null)], { origin, alt: '' })).toBeUndefined();
  });

  test('`sizes` reaches the widest rendition of any format, the <img> keeps its own largest', () => {
    const snippet = pictureSnippet([rendition('thumbnail', 'jpeg', 120), rendition('small', 'avif', 240)], { origin, alt: '' })!;
    expect(snippet).toContain('<source type="image/avif" srcset="https://img.example.com/r/cat.jpg/small.avif?v=4f1c 240w" sizes="(max-width: 240px) 100vw, 240px">');
    expect(snippet).toContain('sizes="(max-width: 240px) 100vw, 240px" width="120" height="90"');
  });

  test('URLs under RENDITIONS_BASE_URL are absolute already and stay as they are', () => {
    expect(absoluteUrl('https://cdn.example.com/r/a.jpg/small.webp?v=1', origin)).toBe('https://cdn.example.com/r/a.jpg/small.webp?v=1');
    expect(absoluteUrl('/r/a.jpg/small.webp?v=1', origin)).toBe('https://img.example.com/r/a.jpg/small.webp?v=1');
  });
});
