import path from 'node:path';
import { loadConfig } from '../../core/config.js';

describe('events and analytics settings', () => {
  test('defaults: local JSON lines under the data folder, every request recorded, DuckDB', () => {
    const config = loadConfig({ SHUTTER_DATA_DIR: '/srv/shutter' });
    expect(config.events).toEqual({ dir: '/srv/shutter/events', kafka: undefined, outboxDir: '/srv/shutter/outbox', outboxMaxBytes: 256 * 1024 * 1024, accessSampleRate: 1, retention: { maxAgeDays: 90, maxBytes: 1024 * 1024 * 1024 }, lakeBucket: undefined, lakePrefix: 'events/' });
    expect(config.analytics.engine).toBe('duckdb');
  });

  test('EVENTS_RETENTION_DAYS and EVENTS_MAX_MB set the local log’s retention (0: no limit); nonsense is refused', () => {
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '7', EVENTS_MAX_MB: '0' }).events.retention).toEqual({ maxAgeDays: 7, maxBytes: 0 });
    expect(() => loadConfig({ EVENTS_RETENTION_DAYS: '-1', EVENTS_MAX_MB: 'lots' })).toThrow(/EVENTS_RETENTION_DAYS[\s\S]*EVENTS_MAX_MB|EVENTS_MAX_MB[\s\S]*EVENTS_RETENTION_DAYS/);
  });

  test('KAFKA_BROKERS selects Kafka; IAM auth implies TLS; the outbox moves to /tmp in Lambda', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'b-1.msk.example:9098, b-2.msk.example:9098', KAFKA_SASL: 'iam', AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'fn', SOURCE_BUCKETS: 'images' });
    expect(config.events.kafka).toEqual({ brokers: ['b-1.msk.example:9098', 'b-2.msk.example:9098'], topic: 'shutter.image-events', sasl: 'iam', tls: true, clientId: 'shutter' });
    expect(config.events.outboxDir).toBe('/tmp/shutter-outbox');
  });

  test('EVENTS_OUTBOX_DIR and the sample rate are honoured; ATHENA_WORKGROUP selects Athena', () => {
    const config = loadConfig({ EVENTS_OUTBOX_DIR: 'spool', EVENTS_ACCESS_SAMPLE_RATE: '0.05', ATHENA_WORKGROUP: 'shutter', ATHENA_OUTPUT_LOCATION: 's3://results/' });
    expect(config.events.outboxDir).toBe(path.resolve('spool'));
    expect(config.events.accessSampleRate).toBe(0.05);
    expect(config.analytics).toEqual({ engine: 'athena', athena: { workgroup: 'shutter', database: 'shutter', catalog: 'AwsDataCatalog', outputLocation: 's3://results/' } });
  });

  test('every problem is reported at once', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ KAFKA_BROKERS: 'nohost', KAFKA_SASL: 'iam', KAFKA_TLS: 'No', EVENTS_ACCESS_SAMPLE_RATE: '2', QUERY_ENGINE: 'athena', ATHENA_OUTPUT_LOCATION: 'results' });
    } catch (error) {
      problems = (error as { problems: readonly string[] }).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KAFKA_BROKERS: "nohost"/),
        expect.stringMatching(/^KAFKA_SASL is iam.*TLS/),
        expect.stringMatching(/^KAFKA_SASL is iam, so AWS_REGION/),
        expect.stringMatching(/^EVENTS_ACCESS_SAMPLE_RATE/),
        expect.stringMatching(/^QUERY_ENGINE is athena/),
        expect.stringMatching(/^ATHENA_OUTPUT_LOCATION/),
      ]),
    );
  });

  test('an unknown KAFKA_SASL mechanism is refused', () => {
    expect(() => loadConfig({ KAFKA_SASL: 'scram' })).toThrow(/KAFKA_SASL/);
  });
});
