/** How a named query's rows become a chart, whatever columns the query returns. */
import { formatValue, toChartData } from '../../console/src/analytics.js';

describe('toChartData', () => {
  test('a log axis when the values span more than two orders of magnitude (a 108 s review wait beside 40 ms renditions)', () => {
    const rows = [
      { day: '2030-01-01', stage: 'workflow', samples: 2, p50_ms: 108_000, p95_ms: 110_000 },
      { day: '2030-01-01', stage: 'rendition', samples: 12, p50_ms: 40, p95_ms: 90 },
    ];
    expect(toChartData(rows)).toMatchObject({ unit: 'ms', scale: 'log' });
    expect(toChartData(rows.slice(1)).scale).toBe('linear');
    expect(toChartData([{ day: '2030-01-01', hit_ratio: 0.001 }, { day: '2030-01-02', hit_ratio: 0.9 }]).scale).toBe('linear');
  });

  test('days along x; counts are the headline over bytes', () => {
    expect(
      toChartData([
        { day: '2030-01-01', uploads: 3, completed: 3, failed: 0, source_bytes: 120_000 },
        { day: '2030-01-02', uploads: 5, completed: 4, failed: 1, source_bytes: 90_000 },
      ]),
    ).toEqual({
      kind: 'line',
      unit: 'count',
      scale: 'linear',
      labels: ['2030-01-01', '2030-01-02'],
      series: [
        { name: 'uploads', values: [3, 5] },
        { name: 'completed', values: [3, 4] },
        { name: 'failed', values: [0, 1] },
      ],
    });
  });

  test('a ratio is the headline, shown as a percentage', () => {
    const data = toChartData([{ day: '2030-01-01', requests: 1000, hits: 800, hit_ratio: 0.8 }]);
    expect(data).toMatchObject({ kind: 'bar', unit: 'ratio', series: [{ name: 'hit_ratio', values: [0.8] }] });
    expect(formatValue(0.8, 'ratio')).toBe('80%');
  });

  test('day and stage: a series per stage and measure', () => {
    const data = toChartData([
      { day: '2030-01-01', stage: 'workflow', samples: 4, p50_ms: 900, p95_ms: 2000 },
      { day: '2030-01-01', stage: 'request', samples: 40, p50_ms: 12, p95_ms: 80 },
      { day: '2030-01-02', stage: 'workflow', samples: 2, p50_ms: 800, p95_ms: 1500 },
    ]);
    expect(data.unit).toBe('ms');
    expect(data.labels).toEqual(['2030-01-01', '2030-01-02']);
    expect(data.series).toEqual([
      { name: 'workflow p50_ms', values: [900, 800] },
      { name: 'workflow p95_ms', values: [2000, 1500] },
      { name: 'request p50_ms', values: [12, null] },
      { name: 'request p95_ms', values: [80, null] },
    ]);
  });

  test('categories joined into one label; numeric strings read as numbers; money before counts', () => {
    expect(toChartData([{ origin: 'api', code: 'NoSuchKey', errors: '7' }])).toMatchObject({ labels: ['api · NoSuchKey'], series: [{ name: 'errors', values: [7] }] });
    expect(toChartData([{ day: '2030-01-01', requests: 10, moderation_usd: 0.001, total_usd: 0.0123 }])).toMatchObject({
      unit: 'usd',
      series: [{ name: 'moderation_usd' }, { name: 'total_usd' }],
    });
    expect(formatValue(0.0123, 'usd')).toBe('$0.0123');
    expect(formatValue(2_500_000, 'bytes')).toBe('2.4 MB');
  });

  test('no rows, no series', () => {
    expect(toChartData([])).toEqual({ kind: 'bar', unit: 'count', scale: 'linear', labels: [], series: [] });
  });
});
