/**
 * The jobs every engine runs: one source, one width, one output format, the same encoder
 * settings (shutter's defaults: JPEG/WebP q80, WebP effort 4, AVIF q50 effort 2, GIF effort 3,
 * metadata stripped). Each engine has its own way to ask for a job; they all live here so they cannot drift.
 */
import sharp, { type FormatEnum, type Region, type SharpOptions } from 'sharp';
import type { InputName } from './inputs.js';

export interface Job {
  id: string;
  label: string;
  input: InputName;
  width: number;
  format: 'jpeg' | 'webp' | 'avif' | 'png' | 'gif';
  animated?: boolean;
}

export const JOBS: readonly Job[] = [
  { id: '12mp-jpeg', label: 'JPEG 12 MP → JPEG 800', input: 'photo-12mp.jpg', width: 800, format: 'jpeg' },
  { id: '12mp-webp', label: 'JPEG 12 MP → WebP 800', input: 'photo-12mp.jpg', width: 800, format: 'webp' },
  { id: '12mp-avif', label: 'JPEG 12 MP → AVIF 800', input: 'photo-12mp.jpg', width: 800, format: 'avif' },
  { id: '2mp-jpeg', label: 'JPEG 2 MP → JPEG 800', input: 'photo-2mp.jpg', width: 800, format: 'jpeg' },
  { id: '2mp-webp', label: 'JPEG 2 MP → WebP 800', input: 'photo-2mp.jpg', width: 800, format: 'webp' },
  { id: 'png-alpha', label: 'PNG alpha → WebP 400', input: 'alpha.png', width: 400, format: 'webp' },
  { id: 'gif-anim', label: 'GIF animated → GIF 200', input: 'anim.gif', width: 200, format: 'gif', animated: true },
];

/** Smoke runs shrink widths with the inputs (10×), keeping every job's shape. */
export function scaled(job: Job, smoke: boolean): Job {
  return smoke ? { ...job, width: Math.max(16, Math.round(job.width / 10)) } : job;
}

export const QUALITY = { jpeg: 80, webp: 80, avif: 50 } as const;

/** The encoder options as sharp takes them. */
export function sharpEncoder(job: Job): [keyof FormatEnum | 'avif', Record<string, unknown>] {
  switch (job.format) {
    case 'jpeg':
      return ['jpeg', { quality: QUALITY.jpeg, mozjpeg: false }];
    case 'webp':
      return ['webp', { quality: QUALITY.webp, effort: 4 }];
    case 'avif':
      return ['avif', { quality: QUALITY.avif, effort: 2 }];
    case 'gif':
      return ['gif', { effort: 3 }];
    default:
      return [job.format, {}];
  }
}

/**
 * Raw sharp, the in-process ceiling: decode (shrink-on-load), orient, resize, encode. An
 * `extract` before the resize (the whole image, say) defeats shrink-on-load, for comparison.
 */
export function rawSharp(job: Job, input: Buffer | string, options: SharpOptions = {}, extract?: Region): Promise<Buffer> {
  const [format, encoder] = sharpEncoder(job);
  const image = sharp(input, { ...(job.animated ? { pages: -1 } : {}), ...options });
  if (extract) image.extract(extract);
  return image
    .autoOrient()
    .resize(job.width)
    .toFormat(format, encoder)
    .toBuffer();
}

/** vipsthumbnail's output suffix for a job: format by extension, options in brackets. */
export function vipsOutput(job: Job): string {
  switch (job.format) {
    case 'jpeg':
      return `.jpg[Q=${QUALITY.jpeg},strip]`;
    case 'webp':
      return `.webp[Q=${QUALITY.webp},effort=4,strip]`;
    case 'avif':
      return `.avif[Q=${QUALITY.avif},effort=2,strip]`;
    case 'png':
      return '.png[strip]';
    case 'gif':
      return '.gif[effort=3]';
  }
}

/** shutter's query door (the readable one); the other doors are measured in their own scenario. */
export function shutterPath(job: Job, file: string): string {
  return `/${file}?width=${job.width}&format=${job.format}`;
}

/** The raw-sharp HTTP server's URL (bench/servers/node-server.ts). */
export function rawSharpPath(job: Job, file: string): string {
  const options = encodeURIComponent(JSON.stringify(sharpEncoder(job)[1]));
  return `/${file}?width=${job.width}&format=${job.format}&options=${options}${job.animated ? '&animated=1' : ''}`;
}

/** The go-vips stand-in's URL (bench/peers/go-vips). */
export function goVipsPath(job: Job, file: string): string {
  const quality = QUALITY[job.format as keyof typeof QUALITY] ?? 100;
  return `/?file=${encodeURIComponent(file)}&w=${job.width}&fmt=${job.format}&q=${quality}${job.animated ? '&anim=1' : ''}`;
}

/** thumbor's URL: unsafe (no signing, as shutter runs without signatures), fit by width. */
export function thumborPath(job: Job, file: string): string {
  const quality = QUALITY[job.format as keyof typeof QUALITY];
  const filters = [`format(${job.format})`, ...(quality ? [`quality(${quality})`] : []), 'strip_exif()', 'strip_icc()'];
  return `/unsafe/${job.width}x0/filters:${filters.join(':')}/${file}`;
}

/** SIH's Default door: base64 JSON, as SIH users write it (its emulation decodes the same). */
export function sihPath(job: Job, file: string): string {
  const request = {
    bucket: 'images',
    key: file,
    edits: { resize: { width: job.width }, ...(job.animated ? { animated: true } : {}) },
    outputFormat: job.format,
    // The job's encoder settings, so every engine does the same work (SIH would pass them as edits).
    options: sharpEncoder(job)[1],
  };
  return `/${Buffer.from(JSON.stringify(request)).toString('base64')}`;
}
