/**
 * The SVG cost estimate: ordinary documents pass, documents built to burn librsvg's CPU are
 * refused from their markup (`ImageSource::TooComplex`), and the real renderer agrees that what
 * passes is cheap.
 */
import sharp from 'sharp';
import { checkSvgCost, estimateSvgCost } from '../../../core/pipeline/svg-cost.js';
import { inspectImage, DEFAULT_IMAGE_LIMITS } from '../../../core/pipeline/sharp-factory.js';
import { LIMITS } from '../../../core/limits.js';
import { filterBomb, nestedUse } from '../../helpers/hostile-images.js';

const svg = (width: number, height: number, body: string, extra = '') =>
  `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}"${extra}>${body}</svg>`;

const ordinary: Array<[string, string, { width: number; height: number }]> = [
  ['a circle', svg(40, 30, '<circle cx="20" cy="15" r="10" fill="red"/>'), { width: 40, height: 30 }],
  [
    'a logo with a drop shadow, 2000×2000',
    svg(2000, 2000, '<filter id="s"><feGaussianBlur stdDeviation="8"/><feOffset dx="4" dy="4"/><feMerge><feMergeNode/><feMergeNode in="SourceGraphic"/></feMerge></filter><g filter="url(#s)"><path d="M10 10h500v500z"/></g>'),
    { width: 2000, height: 2000 },
  ],
  ['icons reused 500 times through <use> and <symbol>', svg(512, 512, `<symbol id="i"><circle r="3"/><rect width="2" height="2"/></symbol>${'<use href="#i" x="5" y="5"/>'.repeat(500)}`), { width: 512, height: 512 }],
  ['a small turbulence texture', filterBomb('<feTurbulence baseFrequency="0.05" numOctaves="4"/>', 800), { width: 800, height: 800 }],
  ['an Illustrator-style namespace entity', `<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x" [<!ENTITY ns_svg "http://www.w3.org/2000/svg">]><svg xmlns="&ns_svg;" width="10" height="10"><rect width="5" height="5"/></svg>`, { width: 10, height: 10 }],
];

describe('SVG cost estimate', () => {
  test.each(ordinary)('%s passes', (_name, document, size) => {
    expect(() => checkSvgCost(Buffer.from(document), size, LIMITS)).not.toThrow();
  });

  test.each([
    ['feMorphology radius 300 on 4000×4000 (ran > 100 s)', filterBomb('<feMorphology radius="300"/>')],
    ['feTurbulence with 100 octaves on 4000×4000 (27 s on 2000×2000)', filterBomb('<feTurbulence numOctaves="100" baseFrequency="0.5"/>')],
    ['feConvolveMatrix order 30 on 4000×4000', filterBomb(`<feConvolveMatrix order="30" kernelMatrix="${'1 '.repeat(900)}"/>`)],
    ['a cheap filter applied to 400 elements over 9000×9000', svg(9000, 9000, `<filter id="f"><feGaussianBlur stdDeviation="2"/></filter>${'<rect width="9000" height="9000" filter="url(#f)"/>'.repeat(400)}`)],
    ['a filter applied by a stylesheet', svg(9000, 9000, `<style>rect { filter: url(#f) }</style><filter id="f"><feMorphology radius="40"/></filter><rect width="9000" height="9000"/>`)],
    ['a radius in a viewBox scaled 100×', svg(4000, 4000, '<filter id="f"><feMorphology radius="3"/></filter><rect width="40" height="40" filter="url(#f)"/>', ' viewBox="0 0 40 40"')],
    ['nested <use>, 10^8 instances', nestedUse(8)],
    ['nested <use>, 10^300 instances', nestedUse(300)],
    ['a <use> cycle', svg(10, 10, '<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>')],
    ['an entity expanding to markup', `<!DOCTYPE svg [<!ENTITY a "<rect/>">]><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">&a;</svg>`],
    ['entities expanding to entities (billion laughs)', `<!DOCTYPE svg [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>&b;</text></svg>`],
    ['500,000 elements in the markup', svg(10, 10, '<defs>' + '<rect/>'.repeat(500_000) + '</defs>')],
    ['a chain of 30,000 <use>, deeper than the stack', svg(10, 10, `<defs><g id="u0"/>${Array.from({ length: 30_000 }, (_, i) => `<g id="u${i + 1}"><use href="#u${i}"/></g>`).join('')}</defs><use href="#u30000"/>`)],
  ])('%s is refused: ImageSource::TooComplex (422)', (_name, document) => {
    const size = { width: Number(/width="(\d+)"/.exec(document)![1]), height: Number(/height="(\d+)"/.exec(document)![1]) };
    expect(() => checkSvgCost(Buffer.from(document), size, LIMITS)).toThrow(expect.objectContaining({ code: 'ImageSource::TooComplex', status: 422 }));
  });

  test.each([
    ['unclosed tags', '<a'.repeat(1_000_000)],
    ['unclosed comments', '<!--'.repeat(500_000)],
    ['unclosed stylesheets', '<style>'.repeat(300_000)],
    ['document types', '<!DOCTYPE x ['.repeat(200_000)],
    ['an unclosed quote before many tags', `<a "${'<b '.repeat(500_000)}`],
    ['200,000 filters', `<defs>${'<filter id="f"><feFlood/></filter>'.repeat(100_000)}</defs><g>${'<rect/>'.repeat(100_000)}</g>`],
  ])('markup built against the scanner (%s) is estimated in linear time, or refused', (_name, body) => {
    const document = svg(10, 10, body);
    try {
      checkSvgCost(Buffer.from(document), { width: 10, height: 10 }, LIMITS);
    } catch (error) {
      expect(error).toMatchObject({ code: 'ImageSource::TooComplex' });
    }
  });

  test('instances follow <use> into <defs> and <symbol>, which do not draw where they stand', () => {
    expect(estimateSvgCost(nestedUse(3), { width: 64, height: 64 }).instances).toBe(1 + (1 + 10 * (1 + (1 + 10 * (1 + (1 + 10 * (1 + 2)))))));
  });

  test('inspectImage refuses a costly SVG from its header, before librsvg renders a pixel', async () => {
    await expect(inspectImage(Buffer.from(filterBomb('<feMorphology radius="300"/>', 2000)), DEFAULT_IMAGE_LIMITS)).rejects.toMatchObject({ code: 'ImageSource::TooComplex' });
  });

  test('what passes renders: librsvg draws every ordinary case', async () => {
    for (const [, document, size] of ordinary) {
      const { info } = await sharp(Buffer.from(document)).resize(64).png().toBuffer({ resolveWithObject: true });
      expect(info.width).toBe(64);
      expect(size.width).toBeGreaterThan(0);
    }
  });
});
