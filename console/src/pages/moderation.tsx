/**
 * Moderation queue: flagged images whose workflow waits for an operator. Approving resumes the
 * workflow (the image is rendered and published); rejecting ends it with the image kept in
 * quarantine. The waiting task's token stays on the server.
 */
import { useState } from 'preact/hooks';
import type { PendingReview } from '../../server/moderation-routes.js';
import { api, ApiError, type Session } from '../api.js';
import { formatTime } from '../format.js';
import { objectUrl, previewUrl } from '../images.js';
import { executionApiPath } from '../workflow/api-types.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import { ModerationLabels } from './image.js';

/** A pending review, as GET /api/moderation/reviews answers (never with its task token). */
export type Review = PendingReview;

/** Answers the waiting task: the server finds its token and resumes the workflow. */
export async function decide(review: Review, approved: boolean, note: string): Promise<void> {
  await api.post(executionApiPath(review.executionArn, 'decision'), { approved, ...(note ? { note } : {}) });
}

export function ModerationPage({ session }: { session: Session }) {
  const [decided, setDecided] = useState<Record<string, string>>({});
  const reviews = usePolling((signal) => api.get<{ reviews: Review[]; truncated?: boolean }>('/api/moderation/reviews', signal), 3000, [session.operator]);
  const pending = (reviews.data?.reviews ?? []).filter((review) => !decided[review.executionArn]);

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
      {reviews.data?.truncated && <p class="muted">Showing the oldest reviews only; decide these to see more.</p>}
      {reviews.data && pending.length === 0 && <p class="muted">Nothing to review: no flagged image is waiting.</p>}
      <ul class="review-list">
        {pending.map((review) => (
          <ReviewCard key={review.executionArn} review={review} onDecided={(text) => setDecided((all) => ({ ...all, [review.executionArn]: text }))} />
        ))}
      </ul>
    </section>
  );
}

function ReviewCard({ review, onDecided }: { review: Review; onDecided: (text: string) => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const { executionArn } = review;
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
