/**
 * The Thumbor door's path test against SIH's two regexes, side by side on hostile 8 KB paths
 * (CloudFront's longest): SIH's backtrack over the whole path, shutter's read its end.
 *
 *   node scripts/run-ts.mjs bench/thumbor-path.ts
 */
import { isThumborPath } from '../api/doors/thumbor-door.js';

/** SIH's regexes, verbatim (source/image-handler/image-request.ts). */
const SIH_NO_EXTENSION = /^((.(?!(\.[^.\\/]+$)))*$)/i;
const SIH_EXTENSION = /.*(\.jpg$|\.jpeg$|.\.png$|\.webp$|\.tiff$|\.tif$|\.svg$|\.gif$|\.avif$)/i;
const sih = (p: string) => SIH_NO_EXTENSION.test(p) || SIH_EXTENSION.test(p);
for (const [name, path] of [['8 KB, .bmp at the end', `/${'a'.repeat(8186)}.bmp`], ['8 KB of "a."', `/${'a.'.repeat(4095)}x`]] as const) {
  for (const [label, fn] of [['SIH regexes', sih], ['shutter', isThumborPath]] as const) {
    fn(path);
    const n = 50;
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(path);
    console.log(`${name.padEnd(24)} ${label.padEnd(12)} ${((performance.now() - t) / n).toFixed(3)} ms per path`);
  }
}
