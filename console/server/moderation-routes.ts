/**
 * The moderation queue for the console: flagged images whose workflow is waiting for an
 * operator's decision. The Quarantine task records each wait in the quarantine bucket
 * (`_reviews/<execution name>.json`, with the task token); this route answers those still
 * waiting, without their tokens: the decision route (`POST /api/executions/<id>/decision`)
 * finds the token itself, so it never reaches a browser.
 *
 * | route | what |
 * | --- | --- |
 * | `GET /api/moderation/reviews` | `{ reviews: [{ executionArn, executionName, imageId, source, quarantine, labels, requestedAt }] }`, oldest first |
 */
import type { Config } from '../../core/config.js';
import { NotFoundError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import type { Storage } from '../../core/ports/storage.js';
import type { WorkflowEngine } from '../../core/ports/workflow-engine.js';
import { json } from '../../api/http.js';
import type { Route } from '../../api/router.js';

/** Where the Quarantine task keeps pending reviews (see `tasks/quarantine.ts`). */
export const REVIEWS_PREFIX = '_reviews/';

export interface PendingReview {
  executionArn: string;
  executionName: string;
  imageId: string;
  source: { bucket: string; key: string };
  quarantine: { bucket: string; key: string };
  labels: { name: string; parentName: string; confidence: number }[];
  requestedAt: string;
}

interface ReviewRecord extends Omit<PendingReview, 'executionArn' | 'executionName'> {
  executionId: string;
  taskToken: string;
}

export function moderationRoutes(deps: { config: Readonly<Config>; storage: Storage; engine: WorkflowEngine }): Route[] {
  const { config, storage, engine } = deps;
  const bucket = config.workflow.buckets.quarantine;

  /** Waiting: the execution runs and its last task event is the callback's submission. */
  async function isWaiting(executionArn: string): Promise<boolean> {
    const execution = await engine.describe(executionArn).catch((error: unknown) => (error instanceof NotFoundError ? undefined : Promise.reject(error)));
    if (execution?.status !== 'RUNNING') return false;
    const { events } = await engine.history(executionArn, { reverse: true, limit: 10 });
    const last = events.find((event) => /^Task(Submitted|Succeeded|Failed|TimedOut|Aborted)$/.test(event.type));
    return last?.type === 'TaskSubmitted';
  }

  return [
    {
      name: 'moderation-reviews',
      method: 'GET',
      path: '/api/moderation/reviews',
      handle: async () => {
        const page = await storage.list(bucket, REVIEWS_PREFIX, { limit: LIMITS.consoleMaxReviews });
        const reviews = await Promise.all(
          page.objects.map(async (object): Promise<PendingReview | undefined> => {
            const record = await storage
              .get(bucket, object.key)
              .then((stored) => JSON.parse(stored.body.toString('utf8')) as ReviewRecord)
              .catch(() => undefined); // decided and cleaned up meanwhile, or unreadable: not pending
            if (!record || !(await isWaiting(record.executionId))) return undefined;
            return {
              executionArn: record.executionId,
              executionName: object.key.slice(REVIEWS_PREFIX.length).replace(/\.json$/, ''),
              imageId: record.imageId,
              source: record.source,
              quarantine: record.quarantine,
              labels: record.labels,
              requestedAt: record.requestedAt,
            };
          }),
        );
        const pending = reviews.filter((review): review is PendingReview => !!review).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
        return json(200, { reviews: pending, ...(page.cursor ? { truncated: true } : {}) });
      },
    },
  ];
}
