import type { Output } from '../../core/image-request.js';

export type RequestType = 'Default' | 'Thumbor' | 'Custom';

/** What a door decodes from a URL, before query parameters, presets and validation. */
export interface RawImageRequest {
  type: RequestType;
  bucket: string;
  /** True when the URL named the bucket (base64 `bucket` or a Thumbor `s3:` segment). */
  bucketExplicit: boolean;
  key: string;
  edits: Record<string, unknown>;
  output: Output;
  ignored: string[];
  headers?: Record<string, string> | undefined;
  preset?: string;
}
