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
  /** 5 MB: Rekognition's limit for image bytes sent in the request; larger images are downscaled first. */
  rekognitionMaxBytes: 5 * 1024 * 1024,
  /** 15 MB: Rekognition's limit for an image it reads from S3 itself. */
  rekognitionMaxS3Bytes: 15 * 1024 * 1024,
  /** 80 px: Rekognition refuses images whose shorter side is below this (InvalidParameterException). */
  rekognitionMinSide: 80,
  /** 4096 px: downscaled copies for Rekognition keep at most this long side; a face stays far above its 40 px minimum. */
  rekognitionMaxSide: 4096,
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
  /** libvips operation cache: off, since every request is a new image and cache memory is better spent on results. */
  sharpCacheMemoryMb: 0,
  /**
   * Rekognition attempts per call when throttled or failing transiently: 4 (1 + 3 retries) with full-jitter
   * backoff from 200 ms, capped at 2 s, stays well inside the 20 s processing timeout.
   */
  rekognitionAttempts: 4,
  rekognitionBackoffBaseMs: 200,
  rekognitionBackoffMaxMs: 2000,
  /**
   * Analysis results kept in memory: 2000 entries of a few hundred bytes each (boxes and labels, never pixels)
   * is well under 2 MB, and covers the working set of a busy on-demand server.
   */
  analysisCacheEntries: 2000,
  /**
   * Moderation is asked of the analyzer at this confidence floor at most, whatever the request's threshold, so one
   * cached answer serves every later threshold at or above it. 50 is Rekognition's own default floor.
   */
  analysisCacheMinConfidence: 50,
  /**
   * Longest side the local face detector sees: 1024 px keeps a face that is 3 % of a 12 MP photo's width about
   * 30 px wide, above the detectors' useful minimum; larger only costs decode time (the models resize anyway).
   */
  faceDetectionMaxSide: 1024,
  /** Face detector score below which a detection is dropped (0..1): face-api's own default for SSD MobileNet. */
  faceMinScore: 0.5,
} as const;
