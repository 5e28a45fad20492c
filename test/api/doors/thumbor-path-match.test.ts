/**
 * The Thumbor door's path test gives SIH's answers without SIH's backtracking: checked against
 * SIH's own two regexes (kept here as the reference) on generated paths made of the characters
 * that matter (dots, slashes, backslashes, line breaks, extensions).
 */
import fc from 'fast-check';
import { isThumborPath } from '../../../api/doors/thumbor-door.js';

/** SIH's regexes, verbatim (source/image-handler/image-request.ts). */
const SIH_NO_EXTENSION = /^((.(?!(\.[^.\\/]+$)))*$)/i;
const SIH_EXTENSION = /.*(\.jpg$|\.jpeg$|.\.png$|\.webp$|\.tiff$|\.tif$|\.svg$|\.gif$|\.avif$)/i;
const sihAnswer = (path: string) => SIH_NO_EXTENSION.test(path) || SIH_EXTENSION.test(path);

const piece = fc.constantFrom('.', '/', '\\', '\n', '\r', '\u2028', 'a', 'Z', '0', ' ', '%', 'é', '\ud83d', 'x.', '.png', '.PNG', '.jpeg', '.jpg', '.tif', '.tiff', '.heic', '.svg', '.bmp', '.xml', 'fit-in/', 'filters:q(1)/');
const paths = fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join(''));

test('agrees with SIH on generated paths', () => {
  fc.assert(fc.property(paths, (path) => isThumborPath(path) === sihAnswer(path)), { numRuns: 20_000 });
});

test.each(['/image.jpg', '/image', '/image.AVIF', '/a/b.c/d', '/x.png', '.png', 'a\n.png', '/a.b\\c', '/a.', '.x', '/12x12e24d234r2ewxsad123d34r.bmp', '/image.xml', 'a\nb'])('%j as SIH', (path) => {
  expect(isThumborPath(path)).toBe(sihAnswer(path));
});

test('an 8 KB path is answered from its end: the same answer as SIH', () => {
  for (const path of [`/${'a.'.repeat(4096)}`, `/${'a'.repeat(8190)}.bmp`, `/${'.'.repeat(8191)}x`, `/${'/a.b'.repeat(2048)}`]) {
    expect(isThumborPath(path)).toBe(sihAnswer(path));
  }
});
