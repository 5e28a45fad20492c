/** Where the console finds an image's objects: previews, renditions, its manifest. */
import type { Session } from './api.js';
import type { Rendition } from './rendition.js';

export type { Rendition };

export interface BucketObject {
  key: string;
  size: number;
  lastModified: string;
  etag: string;
  contentType?: string;
}

export interface ObjectList {
  bucket: string;
  objects: BucketObject[];
  cursor?: string;
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export function objectsPath(bucket: string): string {
  return `/api/buckets/${encodeURIComponent(bucket)}/objects`;
}

export function objectUrl(bucket: string, key: string): string {
  return `/api/buckets/${encodeURIComponent(bucket)}/objects/${encodeKey(key)}`;
}

export function previewUrl(bucket: string, key: string, width: number, version?: string): string {
  return `/api/buckets/${encodeURIComponent(bucket)}/previews/${encodeKey(key)}?width=${width}${version ? `&v=${encodeURIComponent(version)}` : ''}`;
}

/** The manifest the workflow's Publish task writes next to an image's renditions. */
export function manifestKey(sourceKey: string): string {
  return `${sourceKey}/manifest.json`;
}

export function isImageKey(key: string): boolean {
  return /\.(jpe?g|png|webp|avif|gif|tiff?|heic|heif|svg)$/i.test(key);
}

export function defaultBucket(session: Session): string {
  return session.buckets.sources[0] ?? 'images';
}

export interface Manifest {
  imageId: string;
  executionId: string;
  source: { bucket: string; key: string; etag?: string };
  type: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  hash: string;
  exif?: Record<string, string | number>;
  moderation: {
    status: 'passed' | 'flagged' | 'unavailable';
    labels: { name: string; parentName?: string; confidence: number }[];
    analyzer: string;
    reason?: string;
    decision?: Record<string, unknown>;
  };
  focalPoint: { x: number; y: number; basis: string; box?: { left: number; top: number; width: number; height: number } };
  /** `url`: the rendition's public URL (`/r/<key>?v=…`, or under RENDITIONS_BASE_URL); manifests written before it have none. */
  renditions: Rendition[];
  createdAt: string;
}
