/** An image's renditions by their public URLs, and the `<picture>` snippet that uses them. */
import { formatBytes } from '../format.js';
import type { Rendition } from '../images.js';
import { absoluteUrl, pictureSnippet } from '../renditions-snippet.js';
import { CopyButton } from './copy-button.js';

export function RenditionUrls({ renditions, alt }: { renditions: readonly Rendition[]; alt: string }) {
  const snippet = pictureSnippet(renditions, { origin: location.origin, alt });
  if (!snippet) return <p class="muted small">This manifest predates public rendition URLs: process the image again to get them.</p>;
  return (
    <div class="rendition-urls">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Rendition</th>
            <th scope="col">Size</th>
            <th scope="col">Public URL</th>
            <th scope="col">
              <span class="visually-hidden">Copy</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {renditions.map((rendition) => {
            const url = rendition.url ? absoluteUrl(rendition.url, location.origin) : undefined;
            return (
              <tr key={rendition.key} data-rendition-url={`${rendition.preset}.${rendition.format}`}>
                <td>
                  {rendition.preset} · {rendition.format}
                </td>
                <td class="nowrap">
                  {rendition.width} × {rendition.height} · {formatBytes(rendition.bytes)}
                </td>
                <td>{url ? <a class="mono url" href={url} target="_blank" rel="noreferrer">{url}</a> : <span class="muted">none</span>}</td>
                <td>{url && <CopyButton text={url} label={`Copy the URL of ${rendition.preset} ${rendition.format}`} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="snippet-head">
        <h3>HTML</h3>
        <CopyButton text={snippet} label="Copy the picture snippet" />
      </div>
      <pre class="json snippet" aria-label="picture snippet" tabIndex={0}>
        {snippet}
      </pre>
    </div>
  );
}
