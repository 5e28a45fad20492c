/**
 * Every limit and default of shutter, in one place, each with the reason for its value.
 * Config (see `config.ts`) may override those marked as settings; the rest are constants.
 */
export const LIMITS = {
  /** 100 MP: sharp's own default guard (268 MP) is too generous for a 2-core Lambda; 100 MP covers 12000×8000 medium-format photos. */
  maxInputPixels: 100_000_000,
  /** 50 MB: the largest photo a camera or phone produces; bigger sources are almost always a mistake or an attack. */
  maxSourceBytes: 50 * 1024 * 1024,
  /** 8192 px per side: above what any screen shows at 2× DPR, and AVIF/WebP encoders slow sharply past it. */
  maxOutputDimension: 8192,
  /** 25 MP of output: bounds encoder memory even when both sides are near the per-side limit. */
  maxOutputPixels: 25_000_000,
  /** 1000 frames: a long animated GIF; beyond that decoding time explodes (GIF bombs). */
  maxAnimationFrames: 1000,
  /** 20 s: API Gateway's integration timeout is 29 s; leave room to answer with a clean error. */
  processingTimeoutMs: 20_000,
  /**
   * 25 s: the most one on-demand request may take, storage reads included, before it is answered
   * 503 + Retry-After. Above the processing timeout (so libvips reports its own timeout first) and
   * under API Gateway's 29 s (so the client gets our clean error, not the gateway's 504).
   */
  requestTimeoutMs: 25_000,
  /**
   * 5 s per storage call attempt: S3's first byte arrives in tens of milliseconds; an answer that
   * has not started after 5 s is not coming, and three attempts still fit in the request timeout.
   */
  storageTimeoutMs: 5_000,
  /** 3 attempts per storage call: the AWS SDK's standard retry mode; absorbs a lone 500/503 or reset. */
  storageMaxAttempts: 3,
  /** 6 MB: the Lambda synchronous response limit, base64 included (SIH's TooLargeImageException). */
  lambdaResponseBytes: 6 * 1024 * 1024,
  /** 8 KB: the longest URL path CloudFront accepts; anything longer is refused before decoding. */
  maxPathLength: 8192,
  /** Largest blur/sharpen sigma: libvips cost grows with sigma²; 100 already wipes any detail. */
  maxSigma: 100,
  /** Largest convolution kernel side: cost grows with its area. */
  maxKernelSize: 15,
  /** Max device pixel ratio multiplier accepted on `dpr`. */
  maxDpr: 4,
} as const;

export const DEFAULTS = {
  /** SIH's default Cache-Control for successful images: they are immutable by URL. */
  cacheControl: 'max-age=31536000,public',
  /** Errors are cached briefly so a hot bad URL does not hammer the origin, yet fixes show quickly. */
  errorCacheControl: 'max-age=10,public',
  /** Quality per output format: visually lossless for photos at the smallest size for each codec. */
  quality: { jpeg: 80, webp: 80, avif: 50, heif: 50, png: 100, tiff: 80, gif: 100 } as Record<string, number>,
  /** AVIF effort 2 of 9: sharp's default 4 took ~860 ms for a 3000×2000 → 800 px resize here; 2 is much faster for a few % more bytes. */
  avifEffort: 2,
  /** WebP effort 4 of 6: sharp's default, the knee of the size/time curve. */
  webpEffort: 4,
  /** SIH's default moderation confidence threshold. */
  minModerationConfidence: 75,
  /** SIH's default blur sigma when moderation flags an image. */
  moderationBlur: 50,
  /** libvips worker threads per image: this machine and a 1769 MB Lambda both have 2 cores. */
  sharpConcurrency: 2,
  /** Images decoded in parallel by one process: one per core, more only thrashes the cache. */
  maxConcurrentRenders: 2,
  /**
   * Requests allowed to wait for a render slot. At the ~10–30 renders/s two cores manage, 16
   * waiting is about a second of queue, well inside the request timeout; beyond it a prompt 503 +
   * Retry-After lets the client or CDN retry instead of piling up. It also caps the source images
   * held in memory at (renders + queue) × their size.
   */
  maxQueuedRenders: 16,
  /** Seconds a client is asked to wait (Retry-After) after a 503: a render slot frees in well under one. */
  retryAfterSeconds: 1,
  /** libvips operation cache: off, since every request is a new image and cache memory is better spent on results. */
  sharpCacheMemoryMb: 0,
} as const;
