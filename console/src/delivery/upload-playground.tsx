/**
 * The playground for an upload. The image API transforms only the source buckets (SOURCE_BUCKETS):
 * uploads are private until the workflow has moderated them. What an upload has in public is its
 * renditions, so this shows them by their public URLs (the manifest's `url`), one at a time as the
 * browser gets it, with the `<picture>` snippet that uses them all.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, type Session } from '../api.js';
import { RenditionUrls } from '../components/rendition-urls.js';
import { formatBytes } from '../format.js';
import { manifestKey, objectUrl, type Manifest } from '../images.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import { absoluteUrl } from '../renditions-snippet.js';

export function UploadPlayground({ session, imageKey }: { session: Session; imageKey: string }) {
  const { uploads, renditions } = session.buckets;
  const manifest = usePolling(
    async (signal) => {
      try {
        return await api.get<Manifest>(objectUrl(renditions, manifestKey(imageKey)), signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    5000,
    [imageKey],
  );
  const [chosen, setChosen] = useState(0);
  const published = (manifest.data?.renditions ?? []).filter((rendition) => rendition.url);
  const shown = published[Math.min(chosen, published.length - 1)];

  return (
    <section class="playground upload-playground">
      <p class="crumbs">
        <a href={href(['images', uploads, ...imageKey.split('/')])}>{`${uploads}/${imageKey}`}</a>
      </p>
      <div class="page-header">
        <h1>Playground: {imageKey}</h1>
      </div>
      <p class="muted">
        An upload is served by its renditions' public URLs: the image API transforms only the source buckets ({session.buckets.sources.join(', ')}), and uploads stay private until
        moderated.
      </p>
      {manifest.error && <p class="error-box">{manifest.error.message}</p>}
      {manifest.data === null && <p class="muted">No manifest yet: the workflow has not published this image.</p>}
      {manifest.data && !shown && <p class="muted">This manifest predates public rendition URLs: process the image again to get them.</p>}
      {manifest.data && shown && (
        <>
          <div class="playground-layout">
            <form class="card controls" onSubmit={(event) => event.preventDefault()}>
              <label>
                Rendition
                <select name="rendition" value={String(published.indexOf(shown))} onChange={(event) => setChosen(Number(event.currentTarget.value))}>
                  {published.map((rendition, index) => (
                    <option key={rendition.key} value={String(index)}>
                      {rendition.preset} · {rendition.format} ({rendition.width} × {rendition.height})
                    </option>
                  ))}
                </select>
              </label>
            </form>
            <div class="card preview">
              <div class="preview-image" data-preview={shown.url}>
                <img src={shown.url} alt={`Rendition ${shown.preset} ${shown.format}`} />
              </div>
              <p class="muted small result-facts">
                {shown.width} × {shown.height} · {shown.contentType} · {formatBytes(shown.bytes)}
              </p>
              <code class="url">{absoluteUrl(shown.url!, location.origin)}</code>
            </div>
          </div>
          <div class="card">
            <h2>Public URLs</h2>
            <RenditionUrls renditions={manifest.data.renditions} alt={imageKey} />
          </div>
        </>
      )}
    </section>
  );
}
