/** Images: the uploads, source and quarantine buckets as grids of previews; open one for its renditions. */
import { useState } from 'preact/hooks';
import { api, withQuery, type Session } from '../api.js';
import { DraftInput } from '../components/draft-input.js';
import { formatBytes, formatTime } from '../format.js';
import { isImageKey, objectsPath, previewUrl, type BucketObject, type ObjectList } from '../images.js';
import { usePolling } from '../polling.js';
import { href, updateQuery } from '../route.js';

export function ImagesPage({ session, query }: { session: Session; query: Record<string, string> }) {
  // Uploads first: the workflow's sources, with their renditions and manifests.
  const buckets = [...new Set([session.buckets.uploads, ...session.buckets.sources, session.buckets.quarantine])];
  const bucket = query.bucket && buckets.includes(query.bucket) ? query.bucket : session.buckets.uploads;
  const prefix = query.prefix ?? '';
  const [more, setMore] = useState<ObjectList>();
  const list = usePolling((signal) => api.get<ObjectList>(withQuery(objectsPath(bucket), { prefix, limit: 60 }), signal), 10_000, [bucket, prefix]);
  const objects: BucketObject[] = [...(list.data?.objects ?? []), ...(more?.objects ?? [])].filter((object) => isImageKey(object.key));
  const cursor = more ? more.cursor : list.data?.cursor;
  const loadMore = async () => {
    const page = await api.get<ObjectList>(withQuery(objectsPath(bucket), { prefix, limit: 60, cursor }));
    setMore({ ...page, objects: [...(more?.objects ?? []), ...page.objects] });
  };
  const setFilter = (name: string, value: string) => {
    setMore(undefined);
    updateQuery({ [name]: value });
  };

  return (
    <section>
      <div class="page-header">
        <h1>Images</h1>
      </div>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Bucket
          <select value={bucket} onChange={(event) => setFilter('bucket', event.currentTarget.value)}>
            {buckets.map((name) => (
              <option key={name} value={name}>
                {name}
                {name === session.buckets.quarantine ? ' (flagged)' : name === session.buckets.uploads ? ' (workflow uploads)' : ' (on-demand sources)'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Key starts with
          <DraftInput value={prefix} placeholder="folder/" onCommit={(value) => setFilter('prefix', value.trim())} />
        </label>
      </form>
      {list.error && <p class="error-box">{list.error.message}</p>}
      <ul class="image-grid">
        {objects.map((object) => (
          <li key={object.key}>
            <a href={href(['images', bucket, object.key])} title={object.key}>
              <img src={previewUrl(bucket, object.key, 320, object.etag)} alt={object.key} loading="lazy" width={160} height={160} />
              <span class="caption">{object.key}</span>
              <span class="muted small">
                {formatBytes(object.size)} · {formatTime(object.lastModified)}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {!list.loading && objects.length === 0 && <p class="muted">No images here yet.</p>}
      {cursor && (
        <button type="button" class="secondary" onClick={loadMore}>
          Load more
        </button>
      )}
    </section>
  );
}
