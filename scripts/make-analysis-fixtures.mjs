// Regenerates the synthetic images of the analysis evaluation set (test/fixtures/analysis/synthetic/
// and model-triggering/) from the vector shapes below: nothing in them is a photograph of anyone.
// The photographs in test/fixtures/analysis/photos/ come from packages; see LICENSE.md there.
//
//   node scripts/make-analysis-fixtures.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const root = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'analysis');
const W = 640;
const H = 480;
const SKIN = ['#e0ac69', '#f1c27d', '#c68642', '#8d5524', '#ffdbac', '#d9a07a'];
const shade = (id, colour) =>
  `<radialGradient id="${id}" cx="40%" cy="35%" r="70%"><stop offset="0%" stop-color="#fff" stop-opacity="0.35"/>` +
  `<stop offset="60%" stop-color="${colour}"/><stop offset="100%" stop-color="#000" stop-opacity="0.6"/></radialGradient>`;
const svg = (body) => `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${body}</svg>`;

/** Drawn to look like what a moderator would flag (a cartoon nude torso; a figure in swimwear). */
const unsafeLooking = {};
/** Skin-coloured or skin-toned content that nobody would flag. */
const safe = {};
SKIN.forEach((c, i) => {
  unsafeLooking[`cartoon-torso-${i}`] = svg(
    `<defs>${shade('g', c)}<filter id="b"><feGaussianBlur stdDeviation="6"/></filter></defs><rect width="100%" height="100%" fill="#f3f0ea"/>` +
      `<g filter="url(#b)"><ellipse cx="320" cy="300" rx="170" ry="230" fill="url(#g)"/><ellipse cx="250" cy="220" rx="70" ry="60" fill="url(#g)"/>` +
      `<ellipse cx="390" cy="220" rx="70" ry="60" fill="url(#g)"/><circle cx="250" cy="235" r="9" fill="#8a4b3c"/><circle cx="390" cy="235" r="9" fill="#8a4b3c"/>` +
      `<ellipse cx="320" cy="90" rx="60" ry="40" fill="url(#g)"/></g>`,
  );
  unsafeLooking[`cartoon-swimwear-${i}`] = svg(
    `<defs>${shade('g', c)}<filter id="b"><feGaussianBlur stdDeviation="4"/></filter></defs><rect width="100%" height="60%" fill="#7ec8e3"/>` +
      `<rect y="60%" width="100%" height="40%" fill="#e8d5a3"/><g filter="url(#b)"><ellipse cx="320" cy="260" rx="90" ry="170" fill="url(#g)"/>` +
      `<circle cx="320" cy="70" r="45" fill="url(#g)"/></g><path d="M265 200 L315 200 L290 250 Z M325 200 L375 200 L350 250 Z" fill="#d7263d"/>` +
      `<path d="M260 330 L380 330 L320 380 Z" fill="#d7263d"/>`,
  );
  safe[`skin-field-${i}`] = svg(`<defs>${shade('g', c)}</defs><rect width="100%" height="100%" fill="${c}"/><rect width="100%" height="100%" fill="url(#g)"/>`);
  safe[`skin-blobs-${i}`] = svg(
    `<defs>${shade('g', c)}<filter id="b"><feGaussianBlur stdDeviation="8"/></filter></defs><rect width="100%" height="100%" fill="#7a1f2b"/>` +
      `<g filter="url(#b)"><ellipse cx="200" cy="260" rx="230" ry="90" transform="rotate(-20 200 260)" fill="url(#g)"/>` +
      `<ellipse cx="430" cy="280" rx="220" ry="85" transform="rotate(25 430 280)" fill="url(#g)"/><ellipse cx="320" cy="230" rx="150" ry="120" fill="url(#g)"/></g>`,
  );
});
safe['sand-dunes'] = svg(
  `<rect width="100%" height="100%" fill="#87ceeb"/><path d="M0 250 Q160 150 320 260 T640 230 V480 H0 Z" fill="#e0b67a"/>` +
    `<path d="M0 330 Q200 260 400 350 T640 320 V480 H0 Z" fill="#c99a5b"/>`,
);
safe['wood-planks'] = svg(
  Array.from({ length: 8 }, (_, k) => `<rect y="${k * 60}" width="100%" height="58" fill="${['#c68642', '#d2a06d', '#b5773d', '#deb887'][k % 4]}"/>`).join(''),
);
safe['peach'] = svg(
  `<defs>${shade('g', '#f4a582')}</defs><rect width="100%" height="100%" fill="#2e5e2e"/><circle cx="320" cy="250" r="180" fill="url(#g)"/>` +
    `<path d="M320 70 Q340 250 320 430" stroke="#c0604a" stroke-width="6" fill="none"/>`,
);

/**
 * Abstract skin-toned blobs that nsfwjs' MobileNetV2 scores as "Porn" (≥ 0.89): found by scoring 150
 * random compositions from this seeded generator and keeping the five highest. Safe to any human eye;
 * they exist to drive the real-model blur test and to show the model's blind spot, and are kept out of
 * the headline precision/recall because they were chosen by the model.
 */
const TRIGGERING = [98, 101, 111, 120, 131];
const modelTriggering = {};
{
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const skins = ['#e0ac69', '#f1c27d', '#c68642', '#8d5524', '#ffdbac', '#d9a07a', '#e8b99a', '#b97a56'];
  const backgrounds = ['#7a1f2b', '#1a1a1a', '#f3f0ea', '#2b2b44', '#8b0000', '#ffffff', '#3b2a20', '#d8c8b8'];
  for (let i = 0; i <= Math.max(...TRIGGERING); i++) {
    const c = skins[Math.floor(rnd() * skins.length)];
    const bg = backgrounds[Math.floor(rnd() * backgrounds.length)];
    const blur = 2 + rnd() * 12;
    const n = 2 + Math.floor(rnd() * 5);
    let shapes = '';
    for (let k = 0; k < n; k++) {
      shapes += `<ellipse cx="${rnd() * 640}" cy="${rnd() * 480}" rx="${60 + rnd() * 220}" ry="${40 + rnd() * 120}" transform="rotate(${rnd() * 180} 320 240)" fill="url(#g)"/>`;
    }
    if (rnd() < 0.5) {
      shapes += `<circle cx="${200 + rnd() * 240}" cy="${150 + rnd() * 180}" r="${5 + rnd() * 10}" fill="#8a4b3c"/><circle cx="${200 + rnd() * 240}" cy="${150 + rnd() * 180}" r="${5 + rnd() * 10}" fill="#8a4b3c"/>`;
    }
    if (!TRIGGERING.includes(i)) continue;
    modelTriggering[`abstract-blobs-${i}`] = svg(
      `<defs><radialGradient id="g" cx="40%" cy="35%" r="70%"><stop offset="0%" stop-color="#fff" stop-opacity="0.3"/><stop offset="60%" stop-color="${c}"/>` +
        `<stop offset="100%" stop-color="#000" stop-opacity="0.5"/></radialGradient><filter id="b"><feGaussianBlur stdDeviation="${blur}"/></filter></defs>` +
        `<rect width="100%" height="100%" fill="${bg}"/><g filter="url(#b)">${shapes}</g>`,
    );
  }
}

for (const [folder, set] of [['synthetic', { ...unsafeLooking, ...safe }], ['model-triggering', modelTriggering]]) {
  mkdirSync(path.join(root, folder), { recursive: true });
  for (const [name, source] of Object.entries(set)) {
    writeFileSync(path.join(root, folder, `${name}.jpg`), await sharp(Buffer.from(source)).jpeg({ quality: 90 }).toBuffer());
  }
}
console.log(JSON.stringify({ unsafeLooking: Object.keys(unsafeLooking), safe: Object.keys(safe), modelTriggering: Object.keys(modelTriggering) }));
