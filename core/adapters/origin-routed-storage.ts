/**
 * One Storage over buckets and remote origins: a source whose bucket is an origin
 * (`https://host[:port]`, see `core/origins.ts`) is fetched from it, every other bucket is the
 * bucket storage's. Callers never branch on where an image lives.
 */
import { isRemoteOrigin } from '../origins.js';
import type { Storage } from '../ports/storage.js';

export class OriginRoutedStorage implements Storage {
  /** The buckets' open files when they have them; a remote origin's object is handed as its bytes. */
  readonly withFile?: Storage['withFile'];

  constructor(
    private readonly buckets: Storage,
    private readonly origins: Storage,
  ) {
    if (buckets.withFile) {
      this.withFile = (bucket, key, options, use) =>
        isRemoteOrigin(bucket) ? this.origins.get(bucket, key, options).then(use) : buckets.withFile!(bucket, key, options, use);
    }
  }

  private for(bucket: string): Storage {
    return isRemoteOrigin(bucket) ? this.origins : this.buckets;
  }

  get: Storage['get'] = (bucket, key, options) => this.for(bucket).get(bucket, key, options);
  head: Storage['head'] = (bucket, key) => this.for(bucket).head(bucket, key);
  openRead: Storage['openRead'] = (bucket, key) => this.for(bucket).openRead(bucket, key);
  put: Storage['put'] = (bucket, key, body, options) => this.for(bucket).put(bucket, key, body, options);
  list: Storage['list'] = (bucket, prefix, options) => this.for(bucket).list(bucket, prefix, options);
  delete: Storage['delete'] = (bucket, key) => this.for(bucket).delete(bucket, key);
}
