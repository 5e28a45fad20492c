/** How a named query's rows become a chart, whatever columns the query returns. */
import { toChartData } from '../../console/src/analytics.js';

describe('toChartData', () => {
  test('the first text column labels the axis; numeric columns (numbers or numeric strings) are series', () => {
    expect(
      toChartData([
        { day: '2030-01-01T00:00:00.000Z', uploads: 3, bytes: '1200' },
        { day: '2030-01-02T00:00:00.000Z', uploads: 5, bytes: '900' },
      ]),
    ).toEqual({
      labels: ['2030-01-01', '2030-01-02'],
      series: [
        { name: 'uploads', values: [3, 5] },
        { name: 'bytes', values: [1200, 900] },
      ],
      ratio: false,
    });
  });

  test('ratios between 0 and 1 are flagged to show as percentages', () => {
    expect(toChartData([{ day: 'mon', hit_ratio: 0.8 }, { day: 'tue', hit_ratio: 0.95 }]).ratio).toBe(true);
    expect(toChartData([{ code: 'NoSuchKey', errors: 0.5 }]).ratio).toBe(false);
  });

  test('no rows, no series', () => {
    expect(toChartData([])).toEqual({ labels: [], series: [], ratio: false });
  });
});
