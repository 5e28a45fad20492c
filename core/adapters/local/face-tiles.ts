/**
 * Where the face detector looks, decided from the photo's size before any pixel is decoded, and how
 * the answers of several looks become one list of faces.
 *
 * A detector resizes whatever it is given to its input square (512 px for SSD MobileNet), so in a
 * 2400 px photo a 50 px face shrinks to about 10 px: too small to find. Below a size the whole-image
 * look cannot see, the photo is decoded at the scale where the smallest face wanted reaches the size
 * the detector finds reliably, and that copy is seen at full resolution: by a detector that takes any
 * input size (SSD, `anySize`) in one look, or a few strips, plus a shrunk look for close-ups; by any
 * other in overlapping tiles of its input side besides the whole-image look. The pixels seen are
 * capped (`maxTiles` input squares), so the cost is bounded (the smallest face found grows instead on
 * very large photos).
 *
 * With `proposalSide`, SSD sees the copy pixel for pixel at a smaller scale first (faces of 12 px
 * instead of 18: under half the pixels), keeping what it finds down to a low score as proposals; only
 * around the small proposals does it look again at full scale (`confirmLooks`), whose answer decides.
 * The cost is the cheap look plus a few 192 px windows instead of the whole copy at full scale.
 */
/** A rectangle in whole pixels of the decoded copy. */
export interface PixelRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** One detector run: the region it sees, and how. */
export interface FaceLook extends PixelRegion {
  /**
   * Absent: the detector squeezes the region into its input square (how face-api runs it). A number:
   * the region is seen at this scale of the copy, pixel for pixel whatever its size (SSD MobileNet
   * with its anchors laid out for the size: `ssd-anchors.ts`).
   */
  scale?: number;
  /**
   * Detections whose longer side (px of the copy) is above this are dropped: faces that large are
   * another look's to find, and this look, seeing them near its anchors' reach, also finds parts of
   * them (a close-up's cheek as a face of its own: found in a test).
   */
  maxFace?: number;
}

export interface FaceSearchOptions {
  /** The detector's input side (px): a region of this side is seen at full resolution. */
  inputSide: number;
  /** The smallest face (px) the detector finds reliably in its input. */
  detectableSide: number;
  /** The smallest face (px of the photo) to find. */
  minFaceSide: number;
  /**
   * The cost cap, in detector inputs (inputSide²) besides the whole-image look: at most this many tiles,
   * or a native look of at most this many inputs' pixels. 0: the whole-image look only.
   */
  maxTiles: number;
  /** The detector can see a region of any size pixel for pixel (`FaceLook.scale`): one look replaces the tiles. */
  anySize?: boolean;
  /** With anySize, one look's pixels at most, in input squares (memory); default 2.25 (a 2400 × 1600 photo in one look). */
  maxLookArea?: number;
  /** Longest side of the copy when no tile is needed (the whole-image look only). */
  wholeMaxSide: number;
  /**
   * With anySize: the face size (px of the look) of a first, cheaper pixel-for-pixel look whose detections
   * are proposals, confirmed at full scale (`FaceSearchPlan.confirm`). Absent, or not below detectableSide:
   * the copy is seen at full scale everywhere.
   */
  proposalSide?: number;
  /** With proposalSide: detections of the first looks scoring at least this (0..1) are proposals. */
  proposalScore?: number;
  /** With proposalSide: the side of the window around a proposal (px of the copy); default `CONFIRM_WINDOW`. */
  confirmWindow?: number;
}

export interface FaceSearchPlan {
  /** Longest side of the decoded copy (never above the photo's own). */
  copySide: number;
  /** The detector runs on the copy: the whole copy first, then the tiles or the pixel-for-pixel look. */
  regions: FaceLook[];
  /** Present when `regions` only propose faces: how they are confirmed (`confirmLooks`). */
  confirm?: FaceConfirm;
}

/** How the proposals of a cheaper first look are confirmed at full scale. */
export interface FaceConfirm {
  /** Detections of the first looks scoring at least this are proposals (below the detector's threshold included). */
  proposalScore: number;
  /**
   * A proposal whose longer side (px of the copy) is at most this is looked at again at full scale; a
   * larger face was seen by the first look at a size it finds reliably, and stands if it scored enough.
   */
  maxSide: number;
  /** The side of the window around a proposal (px of the copy), a multiple of 32. */
  window: number;
  /** The copy's size. */
  width: number;
  height: number;
  /** When the windows would cost more than half of them, these looks instead: the copy pixel for pixel. */
  fallback: FaceLook[];
}

/**
 * The side of the window (px of the copy) around a proposal: 192, about ten faces of 18 px across, a
 * multiple of the look's 32 px cells. The network reads far around a face, so a small window changes its
 * score and box: one 50 px face at 32 places in a 2400 px photo scored at least 0.48 confirmed in 160 px
 * windows (found at 31), 0.50 in 192 px ones (32), 0.52 at 224 and 0.51 at 256 px, as in the whole copy;
 * a face near the copy's edge got a box 5 px narrower in a 128 px window, the whole copy's box at 192.
 * Each step up costs about 0.015 CPU s a window (`bench/face-cost.ts`).
 */
export const CONFIRM_WINDOW = 192;
/**
 * Windows start on multiples of 32 px of the copy, so a face falls on the detector's 16 and 32 px grids
 * where it falls in the whole copy's look, and scores what it would score there.
 */
const CONFIRM_GRID = 32;

/**
 * The copy to decode and the regions to search for a photo of `width` × `height` (as displayed).
 *
 * @example
 * // 2400 × 1600, SSD (512 px input), faces from 48 px: an 800 px copy, the whole of it and 2 × 2 tiles.
 * planFaceSearch({ width: 2400, height: 1600 }, { inputSide: 512, detectableSide: 16, minFaceSide: 48, maxTiles: 8, wholeMaxSide: 1024 })
 * // The same with anySize: the 800 × 533 copy once pixel for pixel, and once shrunk to 256 × 171 (scale 0.32).
 */
export function planFaceSearch(size: { width: number; height: number }, options: FaceSearchOptions): FaceSearchPlan {
  const long = Math.max(size.width, size.height);
  const wholeCopy = Math.min(long, options.wholeMaxSide);
  // The smallest face (px of the photo) the whole-image look finds: the detector sees the long side at inputSide.
  const wholeFinds = (options.detectableSide * long) / options.inputSide;
  if (wholeFinds <= options.minFaceSide) return { copySide: wholeCopy, regions: [whole(size, wholeCopy)] };
  // The copy in which the smallest face wanted is detectableSide px.
  let copySide = Math.min(long, Math.ceil((long * options.detectableSide) / options.minFaceSide));
  if (options.maxTiles <= 0) return { copySide: wholeCopy, regions: [whole(size, wholeCopy)] };
  if (options.anySize) return options.proposalSide && options.proposalSide < options.detectableSide ? proposalPlan(size, copySide, options) : nativePlan(size, copySide, options);
  // Tiles of the input side, the copy shrunk until they fit the cap.
  let tiles = tile(size, copySide, options);
  while (tiles.length > Math.max(1, options.maxTiles)) {
    copySide = Math.floor(copySide * 0.9);
    tiles = tile(size, copySide, options);
  }
  // One tile covering the whole copy would only repeat the whole-image look.
  return { copySide, regions: [whole(size, copySide), ...(tiles.length > 1 ? tiles : [])] };
}

/**
 * A detector that sees any size: the copy pixel for pixel (shrunk until its pixels fit the cap), which
 * finds faces from detectableSide up to about its input side, in one look or, on very large copies,
 * in a few overlapping strips across it (a look's memory grows with its pixels: ~135 MB per input
 * square); and, when the copy is larger than the input, one more look at the copy shrunk to half the
 * input side for the faces bigger still (a close-up), at about a sixth of an input's cost. Against
 * 512 px tiles this saves their overlap, their padding and the whole-image look at full input size.
 */
function nativePlan(size: { width: number; height: number }, fineSide: number, options: FaceSearchOptions, lookScale = 1): FaceSearchPlan {
  const square = options.inputSide ** 2;
  let copySide = fineSide;
  for (let copy = scaled(size, copySide); copy.width * copy.height > options.maxTiles * square; copy = scaled(size, copySide)) copySide = Math.floor(copySide * 0.95);
  const copy = whole(size, copySide);
  const coarseSide = Math.floor(options.inputSide / 2);
  const coarse = copySide * lookScale > options.inputSide ? [{ ...copy, scale: coarseSide / copySide }] : [];
  // Strips overlap by the largest face they must find whole: anything larger, the coarse look finds.
  const overlap = Math.ceil((1.25 * options.detectableSide * copySide) / coarseSide);
  const wide = copy.width >= copy.height;
  const [long, short] = wide ? [copy.width, copy.height] : [copy.height, copy.width];
  // The cap is on the pixels the detector sees: the strip's, at the look's scale.
  const maxArea = ((options.maxLookArea ?? NATIVE_LOOK_AREA) * square) / lookScale ** 2;
  let count = 1;
  while (Math.ceil((long + (count - 1) * overlap) / count) * short > maxArea && Math.ceil((long + count * overlap) / (count + 1)) > 2 * overlap) count++;
  const length = Math.min(long, Math.ceil((long + (count - 1) * overlap) / count));
  const strips = Array.from({ length: count }, (_, index) => {
    const start = count === 1 ? 0 : Math.round((index * (long - length)) / (count - 1));
    return wide ? { left: start, top: 0, width: length, height: short, scale: lookScale } : { left: 0, top: start, width: short, height: length, scale: lookScale };
  });
  return { copySide, regions: [...coarse, ...strips] };
}

/**
 * The pixel-for-pixel plan seen at proposalSide / detectableSide of the copy's scale (strips and the
 * coarse look as `nativePlan` lays them out for that scale), its detections confirmed at full scale.
 */
function proposalPlan(size: { width: number; height: number }, fineSide: number, options: FaceSearchOptions): FaceSearchPlan {
  const lookScale = options.proposalSide! / options.detectableSide;
  const fine = nativePlan(size, fineSide, options);
  const plan = nativePlan(size, fine.copySide, options, lookScale);
  const copy = scaled(size, plan.copySide);
  // With a coarse look, faces it sees at twice the detectable size are its to find.
  const coarse = plan.regions.find((look) => look.scale !== lookScale);
  const maxFace = coarse ? Math.ceil((2 * options.detectableSide) / coarse.scale!) : undefined;
  return {
    ...plan,
    regions: maxFace ? plan.regions.map((look) => (look === coarse ? look : { ...look, maxFace })) : plan.regions,
    confirm: {
      proposalScore: options.proposalScore ?? 0,
      // Up to three times the detectable size: a face of 34 px in the copy (22 px in the first look) stood with
      // its first-look box at 2 × (5 px off, so a tight crop cut it); looked at again, it matched the full look.
      maxSide: 3 * options.detectableSide,
      window: options.confirmWindow ?? CONFIRM_WINDOW,
      ...copy,
      fallback: fine.regions.filter((look) => look.scale === 1),
    },
  };
}

/**
 * What to do with the first looks' detections (`proposals`, in the copy's pixels): the faces that stand
 * as found (larger than `maxSide` and scoring `minScore`), and the looks that confirm the small ones at
 * full scale: a window around each (one for proposals close together), or the fallback looks when the
 * windows would cover more than half of them (a crowd).
 */
export function confirmLooks<T extends ScoredBox>(proposals: readonly T[], confirm: FaceConfirm, minScore: number): { stand: T[]; looks: FaceLook[] } {
  const stand = proposals.filter((box) => Math.max(box.width, box.height) > confirm.maxSide && box.score >= minScore);
  const looks: FaceLook[] = [];
  for (const box of proposals) {
    if (Math.max(box.width, box.height) > confirm.maxSide || box.score < confirm.proposalScore) continue;
    const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
    // A window whose middle half holds the proposal's centre holds the whole face, with context around it.
    const middle = (start: number, length: number, at: number) => at >= start + length / 4 && at <= start + (3 * length) / 4;
    if (looks.some((look) => middle(look.left, look.width, x) && middle(look.top, look.height, y))) continue;
    const [left, width] = span(x, confirm.width, confirm.window);
    const [top, height] = span(y, confirm.height, confirm.window);
    looks.push({ left, top, width, height, scale: 1, maxFace: 2 * confirm.maxSide });
  }
  const cost = (regions: readonly FaceLook[]) => regions.reduce((sum, look) => sum + look.width * look.height, 0);
  return { stand, looks: cost(looks) > cost(confirm.fallback) / 2 ? confirm.fallback : looks };
}

/**
 * Where a `window` px window around `centre` starts on an axis of `length` px, and its length: on the
 * grid, inside the copy; the last window on an axis reaches its end (up to a grid cell more than `window`).
 */
function span(centre: number, length: number, window: number): [number, number] {
  const last = Math.max(0, Math.floor((length - window) / CONFIRM_GRID) * CONFIRM_GRID);
  const start = Math.min(last, Math.max(0, Math.round((centre - window / 2) / CONFIRM_GRID) * CONFIRM_GRID));
  return [start, start === last ? length - start : window];
}

/** A native look's pixels at most, in input squares (~135 MB of activations each for SSD MobileNet). */
const NATIVE_LOOK_AREA = 2.25;

function scaled(size: { width: number; height: number }, copySide: number): { width: number; height: number } {
  const factor = copySide / Math.max(size.width, size.height);
  return { width: Math.max(1, Math.round(size.width * factor)), height: Math.max(1, Math.round(size.height * factor)) };
}

function whole(size: { width: number; height: number }, copySide: number): PixelRegion {
  return { left: 0, top: 0, ...scaled(size, copySide) };
}

/**
 * Overlapping tiles of the detector's input side covering a copy of `copySide`. The overlap is the
 * largest face the tiles must find whole: anything larger, the whole-image look finds.
 */
function tile(size: { width: number; height: number }, copySide: number, options: FaceSearchOptions): PixelRegion[] {
  const copy = scaled(size, copySide);
  const side = options.inputSide;
  const overlap = Math.min(Math.floor(side / 2), Math.ceil((1.25 * options.detectableSide * copySide) / options.inputSide));
  const starts = (length: number): number[] => {
    if (length <= side) return [0];
    const count = Math.ceil((length - overlap) / (side - overlap));
    return Array.from({ length: count }, (_, index) => Math.round((index * (length - side)) / (count - 1)));
  };
  const regions: PixelRegion[] = [];
  for (const top of starts(copy.height)) {
    for (const left of starts(copy.width)) regions.push({ left, top, width: Math.min(side, copy.width), height: Math.min(side, copy.height) });
  }
  return regions;
}

export interface ScoredBox {
  left: number;
  top: number;
  width: number;
  height: number;
  score: number;
}

/**
 * One box per face from overlapping looks (non-maximum suppression): the best-scoring box is kept and
 * any other that overlaps it (IoU above `iou`), or lies more than half inside it or around it, is
 * dropped: a tile that cut a face in two sees half a face, and the pixel-for-pixel look, given a
 * close-up face beyond its anchors' reach, may see a face in its lower half (57 % inside: found in a test).
 */
export function mergeDetections<T extends ScoredBox>(boxes: readonly T[], iou = 0.3, contained = 0.5): T[] {
  const kept: T[] = [];
  for (const box of [...boxes].sort((a, b) => b.score - a.score)) {
    const duplicate = kept.some((other) => {
      const shared = intersection(box, other);
      const smaller = Math.min(area(box), area(other));
      return shared / (area(box) + area(other) - shared) > iou || (smaller > 0 && shared / smaller > contained);
    });
    if (!duplicate) kept.push(box);
  }
  return kept;
}

const area = (box: ScoredBox) => box.width * box.height;

function intersection(a: ScoredBox, b: ScoredBox): number {
  const x = Math.max(0, Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left));
  const y = Math.max(0, Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top));
  return x * y;
}
