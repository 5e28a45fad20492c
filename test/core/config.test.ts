import { loadConfig, parseRewritePattern } from '../../core/config.js';

describe('config', () => {
  test('embedded defaults: local storage, bucket "images", port 8080', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, storage: 'local', sourceBuckets: ['images'], autoWebp: false, cors: { enabled: false, origin: '*' } });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('SIH names and meanings', () => {
    const config = loadConfig({
      SOURCE_BUCKETS: 'bucket-a, bucket-b',
      AUTO_WEBP: 'Yes',
      CORS_ENABLED: 'Yes',
      CORS_ORIGIN: 'https://example.com',
      ENABLE_SIGNATURE: 'Yes',
      SECRETS_MANAGER: 'my-secret',
      SECRET_KEY: 'signatureKey',
      REWRITE_MATCH_PATTERN: '/(filters-)/gm',
      REWRITE_SUBSTITUTION: 'filters:',
      SHARP_SIZE_LIMIT: '1000000',
    });
    expect(config.sourceBuckets).toEqual(['bucket-a', 'bucket-b']);
    expect(config.cors).toEqual({ enabled: true, origin: 'https://example.com' });
    expect(config.signature).toEqual({ enabled: true, secretName: 'my-secret', secretKey: 'signatureKey' });
    expect(config.rewrite?.pattern.flags).toBe('gm');
    expect(config.limits.maxInputPixels).toBe(1_000_000);
  });

  test('inside Lambda the storage is S3 and SOURCE_BUCKETS is required', () => {
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toThrow(/SOURCE_BUCKETS/);
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn', SOURCE_BUCKETS: 'b1b' }).storage).toBe('s3');
  });

  test('RESULT_CACHE_MB: 128 MB locally, off in Lambda, 0 turns it off, negatives refused', () => {
    expect(loadConfig({}).resultCacheBytes).toBe(128 * 1024 * 1024);
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'f', SOURCE_BUCKETS: 'bucket-a' }).resultCacheBytes).toBe(0);
    expect(loadConfig({ RESULT_CACHE_MB: '0' }).resultCacheBytes).toBe(0);
    expect(loadConfig({ RESULT_CACHE_MB: '16' }).resultCacheBytes).toBe(16 * 1024 * 1024);
    expect(() => loadConfig({ RESULT_CACHE_MB: '-1' })).toThrow(/RESULT_CACHE_MB/);
  });

  test('MEMORY_IDLE_SECONDS: memory goes back after 10 idle seconds by default, or the seconds given; 0 never; not a count refused', () => {
    expect(loadConfig({}).memoryIdleMs).toBe(10_000);
    expect(loadConfig({ MEMORY_IDLE_SECONDS: '60' }).memoryIdleMs).toBe(60_000);
    expect(loadConfig({ MEMORY_IDLE_SECONDS: '0' }).memoryIdleMs).toBe(0);
    expect(() => loadConfig({ MEMORY_IDLE_SECONDS: 'soon' })).toThrow(/MEMORY_IDLE_SECONDS/);
    expect(() => loadConfig({ MEMORY_IDLE_SECONDS: '-5' })).toThrow(/MEMORY_IDLE_SECONDS/);
  });

  test('every problem is reported at once', () => {
    try {
      loadConfig({ PORT: 'eighty', AUTO_WEBP: 'maybe', ENABLE_SIGNATURE: 'Yes', SOURCE_BUCKETS: 'Bad_Bucket' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      const { problems } = error as { problems: string[] };
      expect(problems).toHaveLength(2);
      expect(problems.join('\n')).toMatch(/PORT/);
      expect(problems.join('\n')).toMatch(/AUTO_WEBP/);
    }
    try {
      loadConfig({ ENABLE_SIGNATURE: 'Yes', SOURCE_BUCKETS: 'Bad_Bucket', ENABLE_DEFAULT_FALLBACK_IMAGE: 'Yes' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      const { problems } = error as { problems: string[] };
      expect(problems).toHaveLength(3);
    }
  });

  test('load and timeout settings: MAX_QUEUED_RENDERS, REQUEST_TIMEOUT_MS, STORAGE_TIMEOUT_MS, PORT=0', () => {
    expect(loadConfig({})).toMatchObject({ maxConcurrentRenders: 2, maxQueuedRenders: 16, limits: { requestTimeoutMs: 25_000, storageTimeoutMs: 5_000 } });
    const config = loadConfig({ MAX_QUEUED_RENDERS: '0', REQUEST_TIMEOUT_MS: '3000', PROCESSING_TIMEOUT_MS: '2000', STORAGE_TIMEOUT_MS: '500', PORT: '0' });
    expect(config).toMatchObject({ port: 0, maxQueuedRenders: 0, limits: { requestTimeoutMs: 3000, processingTimeoutMs: 2000, storageTimeoutMs: 500 } });
    try {
      loadConfig({ MAX_QUEUED_RENDERS: '-1', REQUEST_TIMEOUT_MS: 'soon', PORT: '-5' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as { problems: string[] }).problems.join('\n')).toMatch(/MAX_QUEUED_RENDERS[\s\S]*REQUEST_TIMEOUT_MS|REQUEST_TIMEOUT_MS[\s\S]*MAX_QUEUED_RENDERS/);
    }
    // Unset, the deadline follows a raised processing timeout; set, it must leave the render's own timeout room to report first.
    expect(loadConfig({ PROCESSING_TIMEOUT_MS: '40000' }).limits.requestTimeoutMs).toBe(45_000);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '1000' })).toThrow(/REQUEST_TIMEOUT_MS \(1000\) must be larger than PROCESSING_TIMEOUT_MS \(20000\)/);
  });

  test('a rewrite literal parses as SIH parses it', () => {
    expect(parseRewritePattern('/(filters-)/gm')).toEqual(/(filters-)/gm);
    expect(parseRewritePattern('/a\\/b/')).toEqual(/a\/b/);
    expect(parseRewritePattern('plain')).toEqual(/plain/);
  });
});
