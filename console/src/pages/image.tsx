/**
 * One image: the source with its focal point (and subject box) drawn on it, its moderation
 * labels, its renditions side by side, its manifest, and the executions that processed it.
 */
import { api, ApiError, withQuery, type Session } from '../api.js';
import { JsonView } from '../components/json-view.js';
import { RenditionUrls } from '../components/rendition-urls.js';
import { StatusBadge } from '../components/status-badge.js';
import { formatBytes, formatTime } from '../format.js';
import { manifestKey, objectUrl, previewUrl, type Manifest } from '../images.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import type { ExecutionList } from '../workflow/api-types.js';

export function ImagePage({ bucket, imageKey, session }: { bucket: string; imageKey: string; session: Session }) {
  const { renditions, quarantine } = session.buckets;
  const sourceKey = imageKey;
  const manifest = usePolling(
    async (signal) => {
      try {
        return await api.get<Manifest>(objectUrl(renditions, manifestKey(sourceKey)), signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    5000,
    [sourceKey],
  );
  const executions = usePolling(
    (signal) => api.get<ExecutionList>(withQuery('/api/executions', { prefix: sourceKey, limit: 10 }), signal).catch(() => undefined),
    5000,
    [sourceKey],
  );
  const data = manifest.data ?? undefined;
  const inQuarantine = bucket === quarantine;

  return (
    <section class="image-page">
      <p class="crumbs">
        <a href={href(['images'], { bucket })}>Images</a> / {bucket}
      </p>
      <div class="page-header">
        <h1 class="wrap">{sourceKey}</h1>
        <div class="actions">
          {!inQuarantine && (
            <a class="button secondary" href={href(['playground'], { key: sourceKey, bucket })}>
              Open in playground
            </a>
          )}
        </div>
      </div>
      <div class="image-layout">
        <div class="card source-card">
          <h2>Source</h2>
          <div class="focal-frame">
            <img src={previewUrl(bucket, sourceKey, 960)} alt={`Source image ${sourceKey}`} />
            {data && <FocalOverlay manifest={data} />}
          </div>
          {data && (
            <p class="muted small">
              Focal point at {(data.focalPoint.x * 100).toFixed(0)}% × {(data.focalPoint.y * 100).toFixed(0)}% ({data.focalPoint.basis})
            </p>
          )}
        </div>
        <div class="card facts-card">
          <h2>Facts</h2>
          {manifest.data === null && (
            <p class="muted">{inQuarantine ? 'Flagged by moderation: kept in quarantine, no renditions.' : 'No manifest yet: the workflow has not published this image.'}</p>
          )}
          {data && (
            <dl class="facts vertical">
              <div>
                <dt>Size</dt>
                <dd>
                  {data.width} × {data.height} {data.type}, {formatBytes(data.bytes)}
                </dd>
              </div>
              <div>
                <dt>Content hash</dt>
                <dd class="mono">{data.hash.slice(0, 24)}…</dd>
              </div>
              <div>
                <dt>Processed</dt>
                <dd>{formatTime(data.createdAt)}</dd>
              </div>
              <div>
                <dt>Moderation</dt>
                <dd>
                  <span class={`badge moderation-${data.moderation.status}`}>{data.moderation.status}</span> by {data.moderation.analyzer}
                  {data.moderation.reason && <span class="muted"> ({data.moderation.reason})</span>}
                </dd>
              </div>
              {data.moderation.decision && (
                <div>
                  <dt>Decision</dt>
                  <dd>{decisionText(data.moderation.decision)}</dd>
                </div>
              )}
              {data.exif && (
                <div>
                  <dt>EXIF</dt>
                  <dd>
                    {Object.entries(data.exif)
                      .map(([name, value]) => `${name}: ${value}`)
                      .join(' · ')}
                  </dd>
                </div>
              )}
            </dl>
          )}
          {data && <ModerationLabels labels={data.moderation.labels} />}
          <h3>Executions</h3>
          <ul class="plain">
            {(executions.data?.executions ?? []).map((execution) => (
              <li key={execution.executionArn}>
                <StatusBadge status={execution.status} /> <a href={href(['executions', execution.executionArn])}>{formatTime(execution.startDate)}</a>
              </li>
            ))}
            {executions.data && executions.data.executions.length === 0 && <li class="muted">None</li>}
          </ul>
        </div>
      </div>
      {data && data.renditions.length > 0 && (
        <div class="card">
          <h2>Renditions ({data.renditions.length})</h2>
          <ul class="renditions">
            {data.renditions.map((rendition) => (
              <li key={rendition.key} data-rendition={`${rendition.preset}.${rendition.format}`}>
                <div class="rendition-image">
                  <img src={objectUrl(rendition.bucket, rendition.key)} alt={`${rendition.preset} ${rendition.format}`} loading="lazy" />
                </div>
                <strong>
                  {rendition.preset} · {rendition.format}
                </strong>
                <span class="muted small">
                  {rendition.width} × {rendition.height} · {formatBytes(rendition.bytes)} ({Math.round((rendition.bytes / data.bytes) * 100)}% of source)
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {data && data.renditions.length > 0 && (
        <div class="card">
          <h2>Public URLs</h2>
          <RenditionUrls renditions={data.renditions} alt={sourceKey} />
        </div>
      )}
      {data && (
        <div class="card">
          <details>
            <summary>
              <h2 class="inline">Manifest</h2> <span class="muted small">{`${renditions}/${manifestKey(sourceKey)}`}</span>
            </summary>
            <JsonView value={data} />
          </details>
        </div>
      )}
    </section>
  );
}

/** The focal point as a crosshair, and the subject box when the analyzer found one, over the image. */
function FocalOverlay({ manifest }: { manifest: Manifest }) {
  const { width, height, focalPoint } = manifest;
  const x = focalPoint.x * width;
  const y = focalPoint.y * height;
  const r = Math.max(width, height) * 0.025;
  const box = focalPoint.box;
  return (
    <svg class="focal-overlay" viewBox={`0 0 ${width} ${height}`} aria-label="Focal point" data-focal={`${focalPoint.x.toFixed(3)},${focalPoint.y.toFixed(3)}`}>
      {box && <rect class="subject-box" x={box.left * width} y={box.top * height} width={box.width * width} height={box.height * height} />}
      <circle class="focal-ring" cx={x} cy={y} r={r} />
      <line class="focal-cross" x1={x - r * 2} y1={y} x2={x + r * 2} y2={y} />
      <line class="focal-cross" x1={x} y1={y - r * 2} x2={x} y2={y + r * 2} />
    </svg>
  );
}

export function ModerationLabels({ labels }: { labels: { name: string; parentName?: string; confidence: number }[] }) {
  if (!labels.length) return <p class="muted small">No moderation labels.</p>;
  return (
    <ul class="labels">
      {labels.map((label) => (
        <li key={`${label.parentName}/${label.name}`}>
          <span>
            {label.name}
            {label.parentName && <span class="muted"> ({label.parentName})</span>}
          </span>
          <meter min={0} max={100} value={label.confidence} />
          <span class="mono">{label.confidence.toFixed(1)}%</span>
        </li>
      ))}
    </ul>
  );
}

function decisionText(decision: Record<string, unknown>): string {
  const verdict = decision.approved === true ? 'Approved' : 'Rejected';
  return [verdict, decision.by ? `by ${String(decision.by)}` : '', decision.note ? `: “${String(decision.note)}”` : ''].filter(Boolean).join(' ');
}
