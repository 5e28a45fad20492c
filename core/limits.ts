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
  /**
   * 65500 px per side of a source: JPEG's own maximum, more than any camera or stitcher writes in
   * a format libvips streams. Under the pixel limit, a longer side is a bomb of another kind: libvips
   * holds whole lines, so a 151-byte PNG declaring 2621488×32 took 300 MB to refuse (found by the
   * fuzzer); 65535×1500 takes 139 MB, 10000×10000 takes 11 MB.
   */
  maxInputSide: 65_500,
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
  /**
   * 10 s for one fetch from a remote origin (SOURCE_URLS), redirects included: an image server's
   * first byte takes tens to hundreds of milliseconds; 10 s leaves time to render within the request timeout.
   */
  originTimeoutMs: 10_000,
  /** 3 attempts per storage call: the AWS SDK's standard retry mode; absorbs a lone 500/503 or reset. */
  storageMaxAttempts: 3,
  /** 6 MB: the Lambda synchronous response limit, base64 included (SIH's TooLargeImageException). */
  lambdaResponseBytes: 6 * 1024 * 1024,
  /** 8 KB: the longest URL path CloudFront accepts; anything longer is refused before decoding. */
  maxPathLength: 8192,
  /**
   * 200,000 element instances in an SVG, `<use>` expanded: a detailed map or chart draws tens of
   * thousands; librsvg's own cut-off is 500,000 and it reaches it only after seconds of CPU.
   */
  maxSvgInstances: 200_000,
  /**
   * 5 s of one core, estimated, for an SVG's filters at its declared size (core/pipeline/svg-cost.ts):
   * a drop shadow over 2000×2000 passes. librsvg cannot be stopped once it renders, so the budget is
   * a quarter of the processing timeout, leaving room for an estimate that is off by a few times.
   */
  maxSvgFilterMs: 5_000,
  /**
   * 1024 characters of a path or key in an access record: real image URLs are a few hundred; an
   * 8 KB path would make each record of a flood 8 KB on disk.
   */
  accessRecordChars: 1024,
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
  /** 16 characters: ~95 bits from a random alphanumeric token, beyond any online guessing. */
  minConsoleTokenLength: 16,
  /** 12 characters: NIST's floor for a memorised secret is 8; the console can stop executions. */
  minConsolePasswordLength: 12,
  /**
   * Console credential guessing (sign-in form and Authorization headers), see `sign-in-throttle.ts`.
   * 5 free failures per client address: room for typos; after that each failure doubles the wait.
   */
  consoleFailuresPerClient: 5,
  /** 20 free failures per account (user name, or the token) across all clients: many clients guessing one account slow each other. */
  consoleFailuresPerAccount: 20,
  /** 1 s: the first wait after the free failures; each further failure doubles it. */
  consoleBackoffBaseMs: 1000,
  /** 5 minutes: the longest wait, so after ~14 failures a guesser gets a dozen tries an hour. */
  consoleBackoffMaxMs: 5 * 60 * 1000,
  /** 15 minutes without a failure forgives the earlier ones (OWASP's usual lock-out observation window). */
  consoleFailureWindowMs: 15 * 60 * 1000,
  /** Largest JSON body a console API call may send (a sign or decision request is a few hundred bytes). */
  consoleJsonBodyBytes: 64 * 1024,
  /** Longest side of a console preview: a retina thumbnail grid or a detail view, never a full-size render. */
  maxConsolePreviewSide: 1600,
  /** Reviews the moderation queue reads per refresh: more than an operator works through at once. */
  consoleMaxReviews: 200,
} as const;

export const DEFAULTS = {
  /** 10 s: a changed policy or mapping reaches every server (and Lambda) within seconds, at one settings read per 10 s each. */
  settingsCacheSeconds: 10,
  /** Loopback: a fresh `npm start` is reachable from this machine only, so the console needs no credentials. */
  host: '127.0.0.1',
  /** 12 hours: a working day at the console, then sign in again. */
  consoleSessionSeconds: 12 * 60 * 60,
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
   * 8 MP: a render slot's worth of source pixels. A source of 8 MP or more takes a whole slot (a
   * burst of 12 MP photos renders 2 at a time: its peak RSS is the memory target's); a smaller one
   * takes its share, down to `minRenderShare`, so small images overlap their fixed costs (read,
   * header, encode, the event loop) where one slot each left the cores idle between steps. At most
   * 2 slots × 8 MP of sources render at once, under the 2 × 12 MP of a large burst.
   */
  renderSlotPixels: 8_000_000,
  /**
   * A quarter of a slot at least, so at most 4 renders per slot (8 on 2 cores): a 2 MP source's
   * share. libuv runs only 4 of them at once; the others wait in its queue, so a render that ends
   * hands its thread to the next without a turn of the event loop. Measured (2 MP → 400 px, 8 in
   * flight, 7 rounds, against raw sharp reading the file): 4 admitted 0.90–0.94×, 8 admitted
   * 0.97–0.99×, the main thread's CPU per image 0.63 → 0.52 ms (bench/README.md, session 8).
   */
  minRenderShare: 0.25,
  /**
   * Requests allowed to wait for a render slot. At the ~10–30 renders/s two cores manage, 16
   * waiting is about a second of queue, well inside the request timeout; beyond it a prompt 503 +
   * Retry-After lets the client or CDN retry instead of piling up. It also caps the source images
   * held in memory at (renders + queue) × their size.
   */
  maxQueuedRenders: 16,
  /**
   * `/meta` decodes at once: one. It reads a whole source (a 100 MP PNG is seconds of one core) for
   * a preview; a flood of it then holds one core at most and ordinary renders keep the other.
   */
  metaConcurrency: 1,
  /** `/meta` requests allowed to wait: 4, about one source's decode each; beyond, 503 + Retry-After. */
  maxQueuedMeta: 4,
  /** Seconds a client is asked to wait (Retry-After) after a 503: a render slot frees in well under one. */
  retryAfterSeconds: 1,
  /** libvips operation cache: off, since every request is a new image and cache memory is better spent on results. */
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
  /**
   * 1 MB of sources' header facts (size, frames, orientation) remembered by ETag: ~4,000 entries
   * with keys of ~100 characters, fewer with longer keys. A page asks for the same photo at several
   * widths (srcset) and formats; each render still reads and decodes it, but inspects its header once.
   */
  sourceInfoBytes: 1024 * 1024,
  /** A result above 8 MB is not cached: one huge render must not flush hundreds of small ones. */
  resultCacheMaxEntryMb: 8,
  /** 64 MB per local events file: big enough that DuckDB opens few files, small enough to copy or delete a day by hand. */
  eventSegmentBytes: 64 * 1024 * 1024,
  /**
   * 90 days of local event files: the dashboards' longest window; older days are deleted (the
   * lake in S3 keeps history in AWS, under its own lifecycle rules).
   */
  eventRetentionDays: 90,
  /**
   * 1 GB of local event files at most (~2 million events): months of a small deployment's
   * history, yet a request flood cannot fill the disk; the oldest files go first.
   */
  eventLogMaxMb: 1024,
  /** 256 MB of undelivered events (~500k events) in the outbox: hours of a busy workflow while the broker is down, yet bounded on a small disk. */
  outboxMaxBytes: 256 * 1024 * 1024,
  /** 8 MB outbox segments: a delivered segment is deleted whole, so disk is given back soon after the broker returns. */
  outboxSegmentBytes: 8 * 1024 * 1024,
  /** 500 events per produce request: ~250 KB gzip-compressed, well under Kafka's 1 MB message.max.bytes. */
  kafkaBatchEvents: 500,
  /** First retry 200 ms after a failed send, doubling up to 30 s: quick recovery from a blip, no hammering of a broker that is down. */
  kafkaRetryBackoffMs: { initial: 200, max: 30_000 },
  /** `flush()` waits up to 10 s for delivery; after that the events stay durably queued in the outbox and flush returns. */
  eventFlushTimeoutMs: 10_000,
  /** Record every on-demand request (1.0): a small deployment wants exact numbers; lower it when request volume makes the lake costly. */
  accessSampleRate: 1,
  /**
   * 15 s for the local server's shutdown steps after requests have drained: the event flush may
   * take its 10 s, the rest closes in well under a second. Past it the process exits 1 anyway.
   */
  shutdownAfterDrainMs: 15_000,
  /**
   * Error answers recorded at the full rate per second: 50 covers any honest burst of 404s; beyond
   * it a client is flooding, and its errors are sampled (next line) instead of filling the disk.
   */
  accessErrorsPerSecond: 50,
  /**
   * Access records handed to the local sink once a second: its every publish is fsync'd, and one
   * fsync per request cost a small render ~4 % of its CPU. A second of records is what a crash may
   * lose; a CDN's access logs arrive minutes late. Lambda hands each over at once (0): a frozen
   * function runs no timer.
   */
  accessBatchMs: 1000,
  /** ...or as soon as 500 are waiting: one fsync for a burst of cache hits, a few hundred KB of JSON at most. */
  accessBatchSize: 500,
  /** 1 in 100: the share of a flood's error records kept, each weighted by it in the dashboards. */
  accessErrorFloodSampleRate: 0.01,
  /** The Kafka topic of image events. */
  kafkaTopic: 'shutter.image-events',
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
  /**
   * The smallest face (px of the photo) the local detector looks for: 48 px, a face in a group photo or a
   * passer-by in a 2400 px street scene. Photos too large for the whole-image look to see it are tiled.
   */
  faceMinSide: 48,
  /** The search's cost cap besides the whole-image look, in detector inputs (512² px for SSD): 8 tiles, or one look at that many pixels. */
  faceDetectionMaxTiles: 8,
  /**
   * The face size (px of its 512 px input) the local search decodes for: 18. SSD MobileNet's score for a small
   * face depends on where it falls on its 16 px anchor grid: one 50 px face at 32 places in a 2400 px photo
   * was found at 30 with the copy at 16 px faces (weakest 0.42), 32 at 18 px (weakest 0.51), 31 at 20 px
   * (`bench/face-cost.ts --placements`); it missed 11 px faces.
   */
  faceDetectableSide: 18,
  /**
   * The face search's revision, part of the local analyzer's name (which the analysis cache keys on): raise it
   * whenever the search's plan or its figures above change, so faces found by an older search are not served
   * from cache. 3: SSD sees the copy at 12 px faces and looks again at 18 px only around what that proposes
   * (2: the whole copy pixel for pixel at 18 px faces; 1: tiles at 16 px; 0: one 1024 px look).
   */
  faceSearchRevision: 3,
  /**
   * The face size (px of the look) of the local search's first, cheaper look: 12, under half the pixels of
   * the 18 px look. Its detections are only proposals, confirmed at 18 px around them: one 50 px face at 8
   * places, and two in two photos, scored 0.41–0.94 there, other things at most 0.23 (`bench/face-cost.ts`);
   * at 10 px faces scored from 0.27 and other things up to 0.31.
   */
  faceProposalSide: 12,
  /** A detection of the first look scoring at least this (0..1) is a proposal: half the weakest face's score seen at 12 px. */
  faceProposalScore: 0.2,
  /**
   * The local models' worker thread ends after 5 minutes without an analysis, giving back their memory (~270 MB);
   * the next analysis reloads them (1–2 s), a small cost next to analyses that come in bursts (uploads, backfills).
   */
  analysisWorkerIdleMs: 300_000,
  /**
   * 10 s without work in flight (requests, workflow tasks), then shutter gives back what a burst left
   * (a full GC and glibc's malloc_trim: core/memory/): long enough that a steady trickle of work never
   * pays for it, short enough that RSS is back near idle soon after a burst. A release blocks the main
   * thread for tens of ms on a small heap, ~0.2–0.45 s after a bulk burst's (loaded machine; bench/README.md,
   * "Session 6: memory back near idle"): a request arriving then waits that long, once per pause.
   */
  memoryIdleMs: 10_000,
  /**
   * 8 MB: a pause releases memory only when RSS has grown at least this much since the last release
   * (a load balancer's health check every few seconds is work too, but leaves nothing worth a full GC).
   */
  memoryReleaseMinGrowthMb: 8,
  /** Face detector score below which a detection is dropped (0..1): face-api's own default for SSD MobileNet. */
  faceMinScore: 0.5,
} as const;

/** The bulk workflow's limits and defaults (see `workflows/` and `tasks/`). */
export const WORKFLOW = {
  /**
   * Executions run at once by the local engine: 3, so that while one waits on analysis (a single
   * worker) or writes its files, the others' renders keep both cores busy. Renders themselves take
   * turns (`localRenders`), so a third execution costs a source's bytes, not a decoded image.
   */
  concurrency: 3,
  /**
   * Presets rendered at once by the local engine, across all its executions: one per core, as the
   * on-demand path (each render uses libvips' 2 threads; `npm run bench:tune` measured 4 renders at
   * once 20–38 % slower than 2, and each holds a decoded source). In AWS each render is its own Lambda.
   */
  localRenders: 2,
  /**
   * SmartCrop looks at a copy of the upload whose long side is at most this (oriented, shrunk on
   * load): a rendition's focal point is the main subject, which a 1024 px copy shows, and the
   * analysis then costs the same for a 12 MP upload as for a 1 MP one. Searching every upload for
   * 48 px faces in tiles (the on-demand smartCrop's job) measured 1.76 CPU s an upload against
   * 0.43, more than rendering all 12 renditions, and capped the workflow at 0.26× sharp alone.
   */
  smartCropMaxSide: 1024,
  /** Renditions rendered at once inside one execution (the Map's MaxConcurrency): one per core. */
  renditionConcurrency: 2,
  /** Retry on transient errors: 1 s, 2 s, 4 s (full jitter), then give up; a dependency that stays down longer is an incident, not a blip. */
  retry: { intervalSeconds: 1, maxAttempts: 3, backoffRate: 2, maxDelaySeconds: 30 },
  /** A task's timeout: a 100 MP source renders every preset in well under this on one core; beyond it something hangs. */
  taskTimeoutSeconds: 300,
  /** How long a flagged image waits for an operator's decision: a working week, then the execution times out visibly. */
  reviewTimeoutSeconds: 7 * 24 * 3600,
  /** Uploads expire after 7 days (the S3 lifecycle rule and the local sweep): renditions are kept, the upload is only an inbox. */
  uploadRetentionDays: 7,
  /** The local sweep runs hourly: expiry is a storage-cost matter, not a deadline to the minute. */
  sweepIntervalMs: 60 * 60 * 1000,
  /** Restarts an execution survives before it is failed: a source that crashes the process must not crash it forever. */
  maxRecoveries: 3,
  /** Quiet time before a file dropped into the watched uploads folder is started: a copy in progress changes size meanwhile. */
  watchSettleMs: 500,
  /** Executions a list answers at most: one page of the operator console. */
  maxListLimit: 1000,
} as const;
