/**
 * A policy at work: a sample image from the first source bucket, as stored and rendered through
 * `/<key>?preset=<policy>` (the URL a site would use, signed by the server when signatures are on),
 * side by side, with each answer's size, type and bytes.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, withQuery, type Session } from '../api.js';
import { SelectField } from '../components/select-field.js';
import { formatBytes } from '../format.js';
import { defaultBucket, isImageKey, objectsPath, type ObjectList } from '../images.js';
import { usePolling } from '../polling.js';

interface Answer {
  url: string;
  objectUrl?: string;
  contentType?: string;
  bytes?: number;
  width?: number;
  height?: number;
  error?: string;
}

export function PolicyPreview({ policy, session }: { policy: string; session: Session }) {
  const bucket = defaultBucket(session);
  const images = usePolling((signal) => api.get<ObjectList>(withQuery(objectsPath(bucket), { limit: 200 }), signal), undefined, [bucket]);
  const keys = (images.data?.objects ?? []).map((object) => object.key).filter(isImageKey);
  const [chosen, setChosen] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const key = chosen && keys.includes(chosen) ? chosen : keys[0];

  if (images.error) return <p class="error-box">{images.error.message}</p>;
  if (!key) return <p class="muted">{images.loading ? 'Loading sample images…' : `No images in bucket ${bucket} to preview with.`}</p>;
  const path = `/${key.split('/').map(encodeURIComponent).join('/')}`;
  return (
    <section class="policy-preview" aria-label={`Preview of ${policy}`}>
      <div class="preview-controls">
        <SelectField label="Sample image" value={key} options={keys} onChange={setChosen} />
        <button type="button" class="secondary small" onClick={() => setAttempt((n) => n + 1)}>
          Render again
        </button>
      </div>
      <div class="preview-pair">
        <PreviewImage title="Original" path={path} query={{}} attempt={attempt} />
        <PreviewImage title={`?preset=${policy}`} path={path} query={{ preset: policy }} attempt={attempt} />
      </div>
    </section>
  );
}

function PreviewImage({ title, path, query, attempt }: { title: string; path: string; query: Record<string, string>; attempt: number }) {
  const [answer, setAnswer] = useState<Answer>();
  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    (async () => {
      setAnswer(undefined);
      try {
        const { url } = await api.post<{ url: string }>('/api/sign', { path, query });
        const response = await fetch(url, { signal: controller.signal, cache: 'no-store' });
        const blob = await response.blob();
        if (controller.signal.aborted) return;
        if (!response.ok) {
          setAnswer({ url, error: `${response.status} ${await errorText(blob)}` });
          return;
        }
        objectUrl = URL.createObjectURL(blob);
        setAnswer({ url, objectUrl, contentType: response.headers.get('content-type') ?? blob.type, bytes: blob.size });
      } catch (failure) {
        if (!controller.signal.aborted) setAnswer({ url: path, error: String(failure) });
      }
    })();
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [path, JSON.stringify(query), attempt]);

  return (
    <figure class="preview-side" data-preview-side={title}>
      <figcaption>
        <strong>{title}</strong>
        {answer?.objectUrl && (
          <span class="muted small result-facts">
            {' '}
            {answer.width ?? '?'} × {answer.height ?? '?'} · {answer.contentType} · {formatBytes(answer.bytes)}
          </span>
        )}
      </figcaption>
      <div class="preview-image">
        {answer?.objectUrl && (
          <img
            src={answer.objectUrl}
            alt={`${title} rendering`}
            onLoad={(event) => {
              const { naturalWidth, naturalHeight } = event.currentTarget;
              setAnswer((a) => a && { ...a, width: naturalWidth, height: naturalHeight });
            }}
          />
        )}
        {answer?.error && <p class="error-box">{answer.error}</p>}
        {!answer && <p class="muted small">Rendering…</p>}
      </div>
      {answer && <code class="url">{answer.url}</code>}
    </figure>
  );
}
