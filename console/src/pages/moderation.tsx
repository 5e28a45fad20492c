/**
 * Moderation queue: flagged images whose workflow waits for an operator. Approving resumes the
 * workflow (the image is rendered and published); rejecting ends it with the image kept in
 * quarantine. The waiting task's token travels with the review record, never typed by hand.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, withQuery, type Session } from '../api.js';
import { formatTime } from '../format.js';
import { objectsPath, objectUrl, previewUrl, type ObjectList } from '../images.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import { ModerationLabels } from './image.js';

/** A pending review, as the Quarantine task records it (`_reviews/<execution>.json` in quarantine). */
export interface Review {
  executionId: string;
  imageId: string;
  source: { bucket: string; key: string };
  quarantine: { bucket: string; key: string };
  labels: { name: string; parentName: string; confidence: number }[];
  taskToken: string;
  requestedAt: string;
}

const REVIEWS_PREFIX = '_reviews/';

async function loadReviews(quarantine: string, signal: AbortSignal): Promise<{ key: string; review: Review }[]> {
  const list = await api.get<ObjectList>(withQuery(objectsPath(quarantine), { prefix: REVIEWS_PREFIX, limit: 200 }), signal);
  const reviews = await Promise.all(
    list.objects.map(async (object) => {
      try {
        return { key: object.key, review: await api.get<Review>(objectUrl(quarantine, object.key), signal) };
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined; // decided meanwhile
        throw error;
      }
    }),
  );
  return reviews.filter((entry): entry is { key: string; review: Review } => !!entry).sort((a, b) => a.review.requestedAt.localeCompare(b.review.requestedAt));
}

export async function decide(review: Review, approved: boolean, note: string): Promise<void> {
  await api.post('/api/moderation/decisions', { taskToken: review.taskToken, approved, ...(note ? { note } : {}) });
}

export function ModerationPage({ session }: { session: Session }) {
  const { quarantine } = session.buckets;
  const [decided, setDecided] = useState<Record<string, string>>({});
  const reviews = usePolling((signal) => loadReviews(quarantine, signal), 3000, [quarantine]);
  const pending = (reviews.data ?? []).filter(({ key }) => !decided[key]);

  return (
    <section>
      <div class="page-header">
        <h1>Moderation queue</h1>
        <span class="muted">{reviews.data ? `${pending.length} waiting for a decision` : ''}</span>
      </div>
      {reviews.error && <p class="error-box">{reviews.error.message}</p>}
      {Object.entries(decided).map(([key, text]) => (
        <p key={key} class="info-box">
          {text}
        </p>
      ))}
      {reviews.data && pending.length === 0 && <p class="muted">Nothing to review: no flagged image is waiting.</p>}
      <ul class="review-list">
        {pending.map(({ key, review }) => (
          <ReviewCard key={key} review={review} onDecided={(text) => setDecided((all) => ({ ...all, [key]: text }))} />
        ))}
      </ul>
    </section>
  );
}

function ReviewCard({ review, onDecided }: { review: Review; onDecided: (text: string) => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const executionArn = review.executionId;
  const submit = async (approved: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await decide(review, approved, note.trim());
      onDecided(`${approved ? 'Approved' : 'Rejected'} ${review.source.key}: the workflow ${approved ? 'goes on to render it' : 'ends, the image stays in quarantine'}.`);
    } catch (failure) {
      setError(failure instanceof ApiError ? `${failure.code}: ${failure.message}` : String(failure));
      setBusy(false);
    }
  };
  return (
    <li class="card review" data-review={review.source.key}>
      <a href={href(['images', review.quarantine.bucket, review.quarantine.key])}>
        <img src={previewUrl(review.quarantine.bucket, review.quarantine.key, 480)} alt={`Flagged image ${review.source.key}`} />
      </a>
      <div class="review-body">
        <h2 class="wrap">{review.source.key}</h2>
        <p class="muted small">
          Flagged {formatTime(review.requestedAt)} · <a href={href(['executions', executionArn])}>execution</a> ·{' '}
          <a href={objectUrl(review.quarantine.bucket, review.quarantine.key)} target="_blank" rel="noreferrer">
            original
          </a>
        </p>
        <ModerationLabels labels={review.labels} />
        <label>
          Note (optional)
          <input value={note} maxLength={500} onInput={(event) => setNote(event.currentTarget.value)} placeholder="why" />
        </label>
        {error && <p class="error-box">{error}</p>}
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => submit(true)}>
            Approve
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => submit(false)}>
            Reject
          </button>
        </div>
      </div>
    </li>
  );
}
