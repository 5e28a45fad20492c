/**
 * Playground: build a transformation with controls, see the image, and the URL that asks for
 * it in every dialect (SIH base64 Default, Thumbor, query form). When ENABLE_SIGNATURE is on,
 * the server signs each URL (POST /api/sign): the secret never reaches the page.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { imageUrls, FITS, type Dialect, type DialectUrl, type Transformation } from '../../../api/doors/image-urls.js';
import { api, ApiError, errorText, withQuery, type Session } from '../api.js';
import { DraftInput } from '../components/draft-input.js';
import { SelectField } from '../components/select-field.js';
import { formatBytes } from '../format.js';
import { defaultBucket, isImageKey, objectsPath, type ObjectList } from '../images.js';
import { usePolling } from '../polling.js';
import { updateQuery } from '../route.js';
import { UploadPlayground } from '../delivery/upload-playground.js';

const DIALECT_LABELS: Record<Dialect, string> = { default: 'SIH Default (base64)', thumbor: 'Thumbor', query: 'Query parameters' };
const FORMATS = [
  ['', 'Keep the original'],
  ['auto', 'auto (from Accept)'],
  ['jpeg', 'JPEG'],
  ['png', 'PNG'],
  ['webp', 'WebP'],
  ['avif', 'AVIF'],
] as const;
const ROTATIONS = [
  ['', '0°'],
  ['90', '90°'],
  ['180', '180°'],
  ['270', '270°'],
] as const;
const EXPIRIES = [
  ['', 'never'],
  ['3600', 'in an hour'],
  ['86400', 'in a day'],
] as const;

interface SignedUrl extends DialectUrl {
  url: string;
  signed: boolean;
}

interface Rendered {
  objectUrl?: string;
  contentType?: string;
  bytes?: number;
  width?: number;
  height?: number;
  error?: string;
  ignored?: string;
  /** Set while the server sheds the request (503) and the preview waits to retry. */
  busy?: string;
}

export function PlaygroundPage({ session, query }: { session: Session; query: Record<string, string> }) {
  // An upload is not in a source bucket, so the image API cannot transform it: show its renditions.
  if (query.bucket === session.buckets.uploads && query.key) return <UploadPlayground session={session} imageKey={query.key} />;
  return <SourcePlayground session={session} query={query} />;
}

function SourcePlayground({ session, query }: { session: Session; query: Record<string, string> }) {
  const bucket = query.bucket && session.buckets.sources.includes(query.bucket) ? query.bucket : defaultBucket(session);
  const images = usePolling((signal) => api.get<ObjectList>(withQuery(objectsPath(bucket), { limit: 200 }), signal), undefined, [bucket]);
  const keys = (images.data?.objects ?? []).map((object) => object.key).filter(isImageKey);
  const t = transformationOf(query, bucket, keys[0]);
  const set = (changes: Record<string, string | undefined>) => updateQuery(changes);

  const [dialect, setDialect] = useState<Dialect>('default');
  const [expires, setExpires] = useState('');
  const [signedUrls, setSignedUrls] = useState<SignedUrl[]>();
  const [signError, setSignError] = useState<string>();
  const [rendered, setRendered] = useState<Rendered>({});
  const urls = useMemo(() => (t ? imageUrls(t, { defaultBucket: defaultBucket(session) }) : []), [JSON.stringify(t), session]);

  // Sign (or just echo) each dialect's URL, a moment after the controls settle.
  useEffect(() => {
    if (!urls.length) return;
    let cancelled = false;
    const timer = setTimeout(async () => {
      try {
        const expiry = expires ? { expires: expiryStamp(Number(expires)) } : {};
        const signed = await Promise.all(
          urls.map(async (url) => {
            const answer = await api.post<{ url: string; signed: boolean; query: Record<string, string> }>('/api/sign', {
              path: url.path,
              query: { ...url.query, ...expiry },
            });
            return { ...url, query: answer.query, url: answer.url, signed: answer.signed };
          }),
        );
        if (!cancelled) {
          setSignedUrls(signed);
          setSignError(undefined);
        }
      } catch (failure) {
        if (!cancelled) setSignError(failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure));
      }
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [urls, expires]);

  // Fetch the chosen dialect's image, to show it with its real type, size and any ignored edits.
  const previewed = signedUrls?.find((url) => url.dialect === dialect);
  useEffect(() => {
    if (!previewed) return;
    const controller = new AbortController();
    let objectUrl: string | undefined;
    (async () => {
      try {
        const response = await fetchImage(previewed.url, controller.signal, (busy) => setRendered((r) => ({ ...r, busy })));
        const blob = await response.blob();
        if (controller.signal.aborted) return;
        if (!response.ok) {
          setRendered({ error: `${response.status} ${await errorText(blob)}` });
          return;
        }
        objectUrl = URL.createObjectURL(blob);
        setRendered({
          objectUrl,
          contentType: response.headers.get('content-type') ?? blob.type,
          bytes: blob.size,
          ignored: response.headers.get('x-shutter-ignored-edits') ?? undefined,
        });
      } catch (failure) {
        if (!controller.signal.aborted) setRendered({ error: String(failure) });
      }
    })();
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [previewed?.url]);

  if (images.error) return <p class="error-box">{images.error.message}</p>;
  if (!t) return <p class="muted">{images.loading ? 'Loading images…' : `No images in bucket ${bucket} yet.`}</p>;

  return (
    <section class="playground">
      <div class="page-header">
        <h1>Playground</h1>
        <span class="muted">{session.signatureEnabled ? 'Signatures are on: every URL is signed by the server.' : 'Signatures are off: URLs are unsigned.'}</span>
      </div>
      <div class="playground-layout">
        <form class="card controls" onSubmit={(event) => event.preventDefault()}>
          <SelectField label="Image" name="key" value={t.key} options={keys} onChange={(value) => set({ key: value })} />
          <div class="row">
            <NumberField label="Width" name="width" value={query.width} onChange={(value) => set({ width: value })} />
            <NumberField label="Height" name="height" value={query.height} onChange={(value) => set({ height: value })} />
          </div>
          <SelectField label="Fit" name="fit" value={t.fit ?? 'cover'} options={FITS} onChange={(value) => set({ fit: value })} />
          <div class="row">
            <SelectField label="Format" name="format" value={query.format ?? ''} options={FORMATS} onChange={(value) => set({ format: value })} />
            <NumberField label="Quality" name="quality" value={query.quality} min={1} max={100} placeholder="default" onChange={(value) => set({ quality: value })} />
          </div>
          <div class="row">
            <SelectField label="Rotate" name="rotate" value={query.rotate ?? ''} options={ROTATIONS} onChange={(value) => set({ rotate: value })} />
            <NumberField label="Blur σ" name="blur" value={query.blur} min={0.3} max={100} step={0.1} placeholder="off" onChange={(value) => set({ blur: value })} />
            <NumberField label="Sharpen σ" name="sharpen" value={query.sharpen} min={1} max={10} step={0.5} placeholder="off" onChange={(value) => set({ sharpen: value })} />
          </div>
          <fieldset class="checks">
            {(['grayscale', 'flip', 'flop', 'smartCrop'] as const).map((name) => (
              <label key={name} class="check">
                <input type="checkbox" name={name} checked={query[name] === '1'} onChange={(event) => set({ [name]: event.currentTarget.checked ? '1' : undefined })} />
                {name === 'smartCrop' ? 'smart crop (faces)' : name}
              </label>
            ))}
          </fieldset>
          <SelectField label="URL expires" name="expires" value={expires} options={EXPIRIES} onChange={setExpires} />
        </form>
        <div class="card preview">
          <div class="preview-image" data-preview={previewed?.url ?? ''}>
            {rendered.objectUrl && <img src={rendered.objectUrl} alt="Transformed image" onLoad={(event) => setRendered((r) => ({ ...r, width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight }))} />}
            {rendered.error && <p class="error-box">{rendered.error}</p>}
            {rendered.busy && <p class="muted small">{rendered.busy}</p>}
          </div>
          {rendered.objectUrl && (
            <p class="muted small result-facts">
              {rendered.width ?? '?'} × {rendered.height ?? '?'} · {rendered.contentType} · {formatBytes(rendered.bytes)}
              {rendered.ignored && <span class="error-text"> · ignored: {rendered.ignored}</span>}
            </p>
          )}
        </div>
      </div>
      <div class="card urls">
        <h2>URLs</h2>
        {signError && <p class="error-box">{signError}</p>}
        {(signedUrls ?? []).map((url) => (
          <UrlRow key={url.dialect} url={url} previewed={url.dialect === dialect} onPreview={() => setDialect(url.dialect)} />
        ))}
      </div>
    </section>
  );
}

function UrlRow({ url, previewed, onPreview }: { url: SignedUrl; previewed: boolean; onPreview: () => void }) {
  const absolute = `${location.origin}${url.url}`;
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(absolute).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class={`url-row${previewed ? ' previewed' : ''}`} data-dialect={url.dialect} data-signed={String(url.signed)}>
      <div class="url-head">
        <strong>{DIALECT_LABELS[url.dialect]}</strong>
        {url.signed && <span class="badge status-succeeded">signed</span>}
        {url.omitted.length > 0 && <span class="muted small">cannot say: {url.omitted.join(', ')}</span>}
        <span class="spacer" />
        <button type="button" class="secondary small" onClick={onPreview} disabled={previewed}>
          {previewed ? 'Shown above' : 'Show'}
        </button>
        <button type="button" class="secondary small" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <a class="button secondary small" href={url.url} target="_blank" rel="noreferrer">
          Open
        </a>
      </div>
      <code class="url">{absolute}</code>
    </div>
  );
}

function NumberField(props: { label: string; name: string; value: string | undefined; onChange: (value: string | undefined) => void; min?: number; max?: number; step?: number; placeholder?: string }) {
  return (
    <label>
      {props.label}
      <DraftInput
        type="number"
        name={props.name}
        value={props.value ?? ''}
        min={props.min ?? 1}
        max={props.max ?? 8192}
        step={props.step ?? 1}
        placeholder={props.placeholder ?? 'auto'}
        onCommit={(value) => props.onChange(value || undefined)}
      />
    </label>
  );
}

/** The controls live in the route's query, so a playground state is a link. */
function transformationOf(query: Record<string, string>, bucket: string, firstKey: string | undefined): Transformation | undefined {
  const key = query.key ?? firstKey;
  if (!key) return undefined;
  const number = (name: string) => {
    const value = Number(query[name]);
    return query[name] && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const t: Transformation = { bucket, key };
  const width = number('width');
  const height = number('height');
  if (width) t.width = Math.round(width);
  if (height) t.height = Math.round(height);
  t.fit = (FITS as readonly string[]).includes(query.fit ?? '') ? (query.fit as Transformation['fit']) : 'cover';
  if (['jpeg', 'png', 'webp', 'avif', 'auto'].includes(query.format ?? '')) t.format = query.format as Transformation['format'];
  const quality = number('quality');
  if (quality) t.quality = Math.min(100, Math.round(quality));
  if (['90', '180', '270'].includes(query.rotate ?? '')) t.rotate = Number(query.rotate) as 90 | 180 | 270;
  const blur = number('blur');
  if (blur && blur >= 0.3) t.blur = blur;
  const sharpen = number('sharpen');
  if (sharpen) t.sharpen = sharpen;
  if (query.grayscale === '1') t.grayscale = true;
  if (query.flip === '1') t.flip = true;
  if (query.flop === '1') t.flop = true;
  if (query.smartCrop === '1') t.smartCrop = true;
  return t;
}

const BUSY_RETRIES = 5;

/**
 * GETs an image, retrying a 503 after its Retry-After (the server sheds load that way, and a
 * busy moment should not leave the preview on an error): `onBusy` says so while it waits.
 */
async function fetchImage(url: string, signal: AbortSignal, onBusy: (message: string | undefined) => void): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, { signal });
    if (response.status !== 503 || attempt > BUSY_RETRIES) {
      onBusy(undefined);
      return response;
    }
    const seconds = Math.min(10, Number(response.headers.get('retry-after')) || 1);
    onBusy(`The server is busy; retrying in ${seconds} s (${attempt}/${BUSY_RETRIES}).`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    if (signal.aborted) throw signal.reason;
  }
}

/** `expires` as SIH wants it: YYYYMMDDTHHmmssZ, `seconds` from now. */
function expiryStamp(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

