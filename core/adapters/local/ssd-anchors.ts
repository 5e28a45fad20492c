/**
 * SSD MobileNet's anchor boxes for an input of any size, so the detector can see a whole photo copy
 * pixel for pixel instead of squeezed into its 512 px square (or cut into 512 px tiles).
 *
 * The network is convolutional: on a larger input its feature maps simply grow, and a face of 16 px
 * excites the same features as in a 512 px input. Only the last step is tied to 512 px: each output
 * is an offset from a fixed anchor box, and face-api ships those anchors (`Output/extra_dim`) laid out
 * for 512 × 512. The layout is regular (checked against the shipped ones in the tests): six feature
 * maps at strides 16 … 512 px, cells in row order, per cell the same few box shapes (sizes in pixels
 * of the input), centred on the cell. This lays the same shapes out on the grids of a larger input.
 * Like `face-model.ts`, pure and free of TypeScript-only syntax (it runs in the analysis worker).
 */

/** The feature maps SSD MobileNet v1 predicts from (face-api's `predictionLayer`): stride in px, boxes per cell. */
export const SSD_LAYERS = [
  { stride: 16, boxes: 3 },
  { stride: 32, boxes: 6 },
  { stride: 64, boxes: 6 },
  { stride: 128, boxes: 6 },
  { stride: 256, boxes: 6 },
  { stride: 512, boxes: 6 },
] as const;

/** The side of the input the shipped anchors are laid out for. */
export const SSD_INPUT_SIDE = 512;

/**
 * Anchors ([ymin, xmin, ymax, xmax] per box, normalised to the input, in the network's output order)
 * for a `height` × `width` input, with the box shapes read from the shipped 512 × 512 anchors.
 * A layer's grid is ceil(side / stride) cells (convolutions padded 'same', stride 2 at each step).
 */
export function ssdAnchors(shipped: Float32Array, height: number, width: number): Float32Array {
  const expected = SSD_LAYERS.reduce((sum, { stride, boxes }) => sum + (SSD_INPUT_SIDE / stride) ** 2 * boxes, 0);
  if (shipped.length !== expected * 4) throw new Error(`expected ${expected} shipped SSD anchors, got ${shipped.length / 4}`);
  const out = new Float32Array(anchorCount(height, width) * 4);
  let from = 0;
  let to = 0;
  for (const { stride, boxes } of SSD_LAYERS) {
    // The shapes of the first cell of this layer (centred at stride / 2), in pixels.
    const shapes = Array.from({ length: boxes }, (_, box) => {
      const at = (from + box) * 4;
      return { height: (shipped[at + 2]! - shipped[at]!) * SSD_INPUT_SIDE, width: (shipped[at + 3]! - shipped[at + 1]!) * SSD_INPUT_SIDE };
    });
    const rows = Math.ceil(height / stride);
    const columns = Math.ceil(width / stride);
    for (let row = 0; row < rows; row++) {
      const y = (row + 0.5) * stride;
      for (let column = 0; column < columns; column++) {
        const x = (column + 0.5) * stride;
        for (const shape of shapes) {
          out[to++] = (y - shape.height / 2) / height;
          out[to++] = (x - shape.width / 2) / width;
          out[to++] = (y + shape.height / 2) / height;
          out[to++] = (x + shape.width / 2) / width;
        }
      }
    }
    from += (SSD_INPUT_SIDE / stride) ** 2 * boxes;
  }
  return out;
}

/** How many anchors (and so outputs) the network has for a `height` × `width` input. */
export function anchorCount(height: number, width: number): number {
  return SSD_LAYERS.reduce((sum, { stride, boxes }) => sum + Math.ceil(height / stride) * Math.ceil(width / stride) * boxes, 0);
}
