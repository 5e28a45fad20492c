import { fitsOutputLimits, plannedOperationSize } from '../../../core/pipeline/plan-geometry.js';

const size = { width: 300, height: 200 };

describe('plannedOperationSize: the geometry of sharp operations, before rendering', () => {
  test.each([
    ['extend by a number', 'extend', 10, { width: 320, height: 220 }],
    ['extend per side', 'extend', { top: 1, bottom: 2, left: 3, right: 4 }, { width: 307, height: 203 }],
    ['affine scale', 'affine', [2, 0, 0, 3], { width: 600, height: 600 }],
    ['affine as a 2×2 matrix with shear', 'affine', [[1, 0.5], [0, 1]], { width: 400, height: 200 }],
    ['rotate 90', 'rotate', 90, { width: 200, height: 300 }],
    ['rotate -270', 'rotate', -270, { width: 200, height: 300 }],
    ['rotate 45 (bounding box)', 'rotate', 45, { width: 354, height: 354 }],
    ['extract', 'extract', { left: 0, top: 0, width: 10, height: 20 }, { width: 10, height: 20 }],
    ['a colour operation keeps the size', 'grayscale', true, size],
  ])('%s', (_name, operation, value, expected) => {
    expect(plannedOperationSize(size, operation, value)).toEqual(expected);
  });

  test('the output limits apply per side and in all', () => {
    const limits = { maxOutputDimension: 1000, maxOutputPixels: 500_000 };
    expect(fitsOutputLimits({ width: 1000, height: 500 }, limits)).toBe(true);
    expect(fitsOutputLimits({ width: 1001, height: 10 }, limits)).toBe(false);
    expect(fitsOutputLimits({ width: 800, height: 800 }, limits)).toBe(false);
  });
});
