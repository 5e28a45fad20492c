/** Where the face detector looks (pure geometry, no model) and how overlapping looks merge. */
import { CONFIRM_WINDOW, confirmLooks, mergeDetections, planFaceSearch, type FaceConfirm, type FaceSearchOptions, type PixelRegion } from '../../../../core/adapters/local/face-tiles.js';

const SSD: FaceSearchOptions = { inputSide: 512, detectableSide: 24, minFaceSide: 48, maxTiles: 8, wholeMaxSide: 1024 };

/** True when every pixel of a `width` × `height` copy lies in some region. */
function covers(regions: PixelRegion[], width: number, height: number): boolean {
  for (let y = 0; y < height; y += 7) {
    for (let x = 0; x < width; x += 7) {
      if (!regions.some((r) => x >= r.left && x < r.left + r.width && y >= r.top && y < r.top + r.height)) return false;
    }
  }
  return true;
}

describe('planFaceSearch', () => {
  test.each([
    ['a 512 px portrait', 512, 600],
    ['a 1024 px photo', 1024, 768],
  ])('%s: one look at the whole image, as before', (_name, width, height) => {
    const plan = planFaceSearch({ width, height }, SSD);
    expect(plan.regions).toEqual([{ left: 0, top: 0, width: Math.round((width * plan.copySide) / Math.max(width, height)), height: Math.round((height * plan.copySide) / Math.max(width, height)) }]);
    expect(plan.copySide).toBe(Math.min(1024, Math.max(width, height)));
  });

  test('a 2400 × 1600 photo: a copy where a 48 px face is 24 px, the whole of it and overlapping tiles of the input side', () => {
    const plan = planFaceSearch({ width: 2400, height: 1600 }, SSD);
    expect(plan.copySide).toBe(1200);
    const [whole, ...tiles] = plan.regions;
    expect(whole).toEqual({ left: 0, top: 0, width: 1200, height: 800 });
    expect(tiles).toHaveLength(6); // 3 × 2
    for (const tile of tiles) {
      expect(tile).toMatchObject({ width: 512, height: 512 });
      expect(tile.left + tile.width).toBeLessThanOrEqual(1200);
      expect(tile.top + tile.height).toBeLessThanOrEqual(800);
    }
    expect(covers(tiles, 1200, 800)).toBe(true);
    // Neighbours overlap by more than the largest face the tiles are responsible for (the whole look finds larger ones).
    const lefts = [...new Set(tiles.map((tile) => tile.left))].sort((a, b) => a - b);
    expect(lefts[0]! + 512 - lefts[1]!).toBeGreaterThanOrEqual((24 * 1200) / 512);
  });

  test.each([
    ['12 MP (4000 × 3000)', 4000, 3000],
    ['a 50 MP panorama (12000 × 4000)', 12000, 4000],
    ['a tall strip (1000 × 9000)', 1000, 9000],
  ])('%s: never more than 1 + maxTiles looks, and the tiles still cover the copy', (_name, width, height) => {
    const plan = planFaceSearch({ width, height }, SSD);
    expect(plan.regions.length).toBeLessThanOrEqual(1 + SSD.maxTiles);
    const [whole, ...tiles] = plan.regions;
    expect(covers(tiles, whole!.width, whole!.height)).toBe(true);
    expect(plan.copySide).toBeLessThanOrEqual(Math.max(width, height));
  });

  test('a cap of 0 tiles means the whole-image look only', () => {
    expect(planFaceSearch({ width: 2400, height: 1600 }, { ...SSD, maxTiles: 0 }).regions).toHaveLength(1);
  });
});

describe('planFaceSearch for a detector that sees any size (SSD MobileNet, anySize)', () => {
  const NATIVE: FaceSearchOptions = { inputSide: 512, detectableSide: 18, minFaceSide: 48, maxTiles: 8, wholeMaxSide: 1024, anySize: true };

  test('a 1024 px photo: one look at the whole image, as before', () => {
    expect(planFaceSearch({ width: 1024, height: 768 }, NATIVE)).toEqual({ copySide: 1024, regions: [{ left: 0, top: 0, width: 1024, height: 768 }] });
  });

  test('a 2400 × 1600 photo: the copy where a 48 px face is 18 px, seen once pixel for pixel, and once shrunk for close-ups', () => {
    const plan = planFaceSearch({ width: 2400, height: 1600 }, NATIVE);
    expect(plan.copySide).toBe(900);
    expect(plan.regions).toEqual([
      { left: 0, top: 0, width: 900, height: 600, scale: 256 / 900 },
      { left: 0, top: 0, width: 900, height: 600, scale: 1 },
    ]);
  });

  test.each([
    ['12 MP (4000 × 3000)', 4000, 3000],
    ['a 50 MP panorama (12000 × 4000)', 12000, 4000],
    ['a tall strip (1000 × 9000)', 1000, 9000],
  ])('%s: strips of at most 2.25 input squares that cover the copy and overlap by more than a face the coarse look misses', (_name, width, height) => {
    const plan = planFaceSearch({ width, height }, NATIVE);
    const [coarse, ...strips] = plan.regions;
    expect(coarse!.scale).toBeCloseTo(256 / plan.copySide, 6);
    const copy = { width: coarse!.width, height: coarse!.height };
    expect(copy.width * copy.height).toBeLessThanOrEqual(NATIVE.maxTiles * 512 ** 2);
    expect(covers(strips, copy.width, copy.height)).toBe(true);
    const overlap = (1.25 * 18 * plan.copySide) / 256;
    for (const [index, strip] of strips.entries()) {
      expect(strip.scale).toBe(1);
      expect(strip.width * strip.height).toBeLessThanOrEqual(2.25 * 512 ** 2);
      const next = strips[index + 1];
      if (next) expect(Math.max(strip.left + strip.width - next.left, strip.top + strip.height - next.top)).toBeGreaterThanOrEqual(overlap);
    }
  });

  test('a cap of 0 means the whole-image look only', () => {
    expect(planFaceSearch({ width: 2400, height: 1600 }, { ...NATIVE, maxTiles: 0 }).regions).toEqual([{ left: 0, top: 0, width: 1024, height: 683 }]);
  });
});

describe('planFaceSearch with proposals (a cheaper first look, confirmed at full scale)', () => {
  const PROPOSING: FaceSearchOptions = { inputSide: 512, detectableSide: 18, minFaceSide: 48, maxTiles: 8, wholeMaxSide: 1024, anySize: true, proposalSide: 12, proposalScore: 0.2 };

  test('a 1024 px photo: one look at the whole image, nothing to confirm', () => {
    expect(planFaceSearch({ width: 1024, height: 768 }, PROPOSING)).toEqual({ copySide: 1024, regions: [{ left: 0, top: 0, width: 1024, height: 768 }] });
  });

  test('a 2400 × 1600 photo: the 18 px copy seen at 12 px faces (and shrunk for close-ups, which find faces from 127 px); its small detections confirmed pixel for pixel', () => {
    const plan = planFaceSearch({ width: 2400, height: 1600 }, PROPOSING);
    expect(plan.copySide).toBe(900);
    expect(plan.regions).toEqual([
      { left: 0, top: 0, width: 900, height: 600, scale: 256 / 900 },
      { left: 0, top: 0, width: 900, height: 600, scale: 12 / 18, maxFace: Math.ceil((2 * 18 * 900) / 256) },
    ]);
    expect(plan.confirm).toEqual({ proposalScore: 0.2, maxSide: 54, window: CONFIRM_WINDOW, width: 900, height: 600, fallback: [{ left: 0, top: 0, width: 900, height: 600, scale: 1 }] });
  });

  test('the window around a proposal is the default one unless the options name another', () => {
    expect(CONFIRM_WINDOW % 32).toBe(0);
    expect(planFaceSearch({ width: 2400, height: 1600 }, { ...PROPOSING, confirmWindow: 224 }).confirm!.window).toBe(224);
  });

  test('no proposal side, or one not below the detectable side: the whole copy at full scale (session 5)', () => {
    for (const proposalSide of [0, 18, 24]) expect(planFaceSearch({ width: 2400, height: 1600 }, { ...PROPOSING, proposalSide })).toEqual(planFaceSearch({ width: 2400, height: 1600 }, { ...PROPOSING, proposalSide: undefined }));
  });

  test.each([
    ['12 MP (4000 × 3000)', 4000, 3000],
    ['a 50 MP panorama (12000 × 4000)', 12000, 4000],
  ])('%s: the first look in strips of at most 2.25 input squares at its scale, covering the copy; the fallback covers it at full scale', (_name, width, height) => {
    const plan = planFaceSearch({ width, height }, PROPOSING);
    const [coarse, ...strips] = plan.regions;
    expect(coarse!.scale).toBeCloseTo(256 / plan.copySide, 6);
    const copy = { width: coarse!.width, height: coarse!.height };
    expect(covers(strips, copy.width, copy.height)).toBe(true);
    for (const strip of strips) {
      expect(strip.scale).toBeCloseTo(12 / 18, 6);
      expect(strip.maxFace! * coarse!.scale!).toBeGreaterThanOrEqual(2 * 18);
      expect(strip.width * strip.height * (12 / 18) ** 2).toBeLessThanOrEqual(2.25 * 512 ** 2 + 1);
    }
    expect(covers(plan.confirm!.fallback, copy.width, copy.height)).toBe(true);
    expect(strips.length).toBeLessThanOrEqual(plan.confirm!.fallback.length);
  });
});

describe('confirmLooks', () => {
  const CONFIRM: FaceConfirm = { proposalScore: 0.2, maxSide: 54, window: 160, width: 900, height: 600, fallback: [{ left: 0, top: 0, width: 900, height: 600, scale: 1 }] };
  const box = (left: number, top: number, side: number, score: number) => ({ left, top, width: side, height: side, score });

  test('a small proposal is seen again in a window around it, on the 32 px grid, the face well inside', () => {
    const proposal = box(520, 300, 20, 0.3);
    const { stand, looks } = confirmLooks([proposal], CONFIRM, 0.5);
    expect(stand).toEqual([]);
    expect(looks).toEqual([{ left: 448, top: 224, width: 160, height: 160, scale: 1, maxFace: 108 }]);
    const [look] = looks;
    expect(look!.left % 32).toBe(0);
    expect(proposal.left - look!.left).toBeGreaterThanOrEqual(24);
    expect(look!.left + look!.width - (proposal.left + proposal.width)).toBeGreaterThanOrEqual(24);
  });

  test('a small proposal is confirmed even when it scored enough already: the full-scale look decides', () => {
    expect(confirmLooks([box(100, 100, 20, 0.9)], CONFIRM, 0.5)).toEqual({ stand: [], looks: [{ left: 32, top: 32, width: 160, height: 160, scale: 1, maxFace: 108 }] });
  });

  test('a large face stands as found when it scored enough, and is dropped when it did not', () => {
    const large = box(100, 100, 80, 0.9);
    expect(confirmLooks([large, box(400, 100, 80, 0.3)], CONFIRM, 0.5)).toEqual({ stand: [large], looks: [] });
  });

  test('a proposal below the proposal score is not looked at again', () => {
    expect(confirmLooks([box(100, 100, 20, 0.1)], CONFIRM, 0.5).looks).toEqual([]);
  });

  test('at the edges: windows stay inside the copy, and the last one reaches its end', () => {
    const { looks } = confirmLooks([box(0, 0, 20, 0.3), box(885, 585, 15, 0.3)], CONFIRM, 0.5);
    expect(looks).toEqual([
      { left: 0, top: 0, width: 160, height: 160, scale: 1, maxFace: 108 },
      { left: 736, top: 416, width: 164, height: 184, scale: 1, maxFace: 108 },
    ]);
  });

  test('a copy smaller than a window: the window is the copy', () => {
    expect(confirmLooks([box(40, 30, 20, 0.3)], { ...CONFIRM, width: 100, height: 90 }, 0.5).looks).toEqual([{ left: 0, top: 0, width: 100, height: 90, scale: 1, maxFace: 108 }]);
  });

  test('proposals close together share one window', () => {
    expect(confirmLooks([box(500, 300, 20, 0.3), box(505, 302, 18, 0.6)], CONFIRM, 0.5).looks).toHaveLength(1);
  });

  test('a crowd: when the windows would cost more than half of the full-scale looks, those looks instead', () => {
    const crowd = Array.from({ length: 40 }, (_, index) => box((index % 8) * 110 + 10, Math.floor(index / 8) * 110 + 10, 20, 0.4));
    expect(confirmLooks(crowd, CONFIRM, 0.5).looks).toEqual(CONFIRM.fallback);
  });
});

describe('mergeDetections', () => {
  const box = (left: number, top: number, side: number, score: number) => ({ left, top, width: side, height: side, score });

  test('keeps the best of boxes that overlap, and faces apart from each other', () => {
    const merged = mergeDetections([box(100, 100, 50, 0.7), box(104, 98, 52, 0.95), box(400, 100, 50, 0.8)]);
    expect(merged).toEqual([box(104, 98, 52, 0.95), box(400, 100, 50, 0.8)]);
  });

  test('drops half a face seen by a tile that cut it, inside the whole face another look saw', () => {
    expect(mergeDetections([box(100, 100, 60, 0.9), { left: 100, top: 100, width: 25, height: 60, score: 0.92 }])).toHaveLength(1);
  });

  test('drops a box more than half inside a close-up face (the pixel-for-pixel look seeing a face in its lower half)', () => {
    const face = { left: 430, top: 75, width: 1505, height: 1525, score: 0.99 };
    const part = { left: 1357, top: 1368, width: 1015, height: 232, score: 0.8 }; // 57 % inside
    expect(mergeDetections([face, part])).toEqual([face]);
  });

  test('no detections, no faces', () => {
    expect(mergeDetections([])).toEqual([]);
  });
});
