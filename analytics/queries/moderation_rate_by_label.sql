-- title: Moderation rate by label
-- description: For each moderation label, the images flagged with it and their share of all processed images.
WITH e AS (
  SELECT type, data.execution_id AS execution_id, data.labels AS labels
  FROM events_once
  WHERE type IN ('image.workflow.completed', 'image.workflow.failed', 'image.moderation.flagged')
),
processed AS (
  SELECT count(DISTINCT execution_id) AS images FROM e
),
flags AS (
  SELECT labels.label, count(DISTINCT e.execution_id) AS flagged
  FROM e
  CROSS JOIN UNNEST(transform(e.labels, l -> l.name)) AS labels (label)
  WHERE e.type = 'image.moderation.flagged'
  GROUP BY labels.label
)
SELECT
  flags.label,
  flags.flagged,
  processed.images,
  round(CAST(flags.flagged AS DOUBLE) / processed.images, 4) AS rate
FROM flags
CROSS JOIN processed
ORDER BY flags.flagged DESC, flags.label
