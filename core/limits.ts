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
  /**
   * GIF palette effort 3 of 10: sharp's default 7 took 7.7 s for a 12-frame 480×320 → 200 px GIF
   * here, effort 3 took 1.4 s for 3% more bytes and a mean pixel error of 1.3 instead of 1.0 (of 255).
   */
  gifEffort: 3,
  /** SIH's default moderation confidence threshold. */
  minModerationConfidence: 75,
  /** SIH's default blur sigma when moderation flags an image. */
  moderationBlur: 50,
  /**
   * libvips worker threads per image: this machine and a 1769 MB Lambda both have 2 cores.
   * Measured (bench/results/tune.md, 4 requests in flight): 4 threads won 12% on 12 MP but lost
   * 28% on 2 MP; 1 thread lost 19% on 12 MP. 2 is the only setting never far behind.
   */
  sharpConcurrency: 2,
  /**
   * Images rendered in parallel by one process: one per core. Measured: 4 lost 20% (12 MP) to 38%
   * (2 MP), more only thrashes the CPU caches; 1 was even on JPEG but lost 8% on PNG.
   */
  maxConcurrentRenders: 2,
  /**
   * Sources read into memory at once, per render slot: 2 lets the next read overlap the current
   * render; more only holds bytes while waiting (a 32-request burst of 12 MP photos held 32 sources).
   */
  sourcesPerRender: 2,
  /**
   * libvips operation cache: off. Every request decodes new bytes, so it rarely hits (measured:
   * 50 MB changed nothing on JPEG beyond noise); memory is better spent on the result cache.
   */
  sharpCacheMemoryMb: 0,
  /**
   * Result cache, local server: 128 MB holds ~2,500 typical 50 KB renders, and a hit answers in
   * well under a millisecond instead of tens of ms of CPU (bench/README.md).
   */
  resultCacheMb: 128,
  /**
   * Result cache in Lambda: off. CloudFront is the result cache there, and checking this one
   * would cost an S3 HEAD before every miss; Lambda memory is billed by the GB-second.
   */
  lambdaResultCacheMb: 0,
  /** A result above 8 MB is not cached: one huge render must not flush hundreds of small ones. */
  resultCacheMaxEntryMb: 8,
} as const;
