-- title: Processing time p50/p95
-- description: Per day and stage (whole workflow, one rendition, one on-demand request), the median and 95th percentile duration in ms.
WITH e AS (
  -- Each event once (delivery is at least once), with only the columns this query reads.
  SELECT * FROM (
    SELECT
      id,
      dt,
      type,
      data.duration_ms AS duration_ms,
      data.status AS status,
      row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type IN ('image.workflow.completed', 'image.rendition.created', 'image.request.served')
  ) AS numbered
  WHERE copy = 1
),
durations AS (
  SELECT
    dt,
    CASE type
      WHEN 'image.workflow.completed' THEN 'workflow'
      WHEN 'image.rendition.created' THEN 'rendition'
      ELSE 'request'
    END AS stage,
    duration_ms
  FROM e
  WHERE type <> 'image.request.served' OR status < 400
)
SELECT
  dt AS day,
  stage,
  count(*) AS samples,
  approx_percentile(duration_ms, 0.5) AS p50_ms,
  approx_percentile(duration_ms, 0.95) AS p95_ms
FROM durations
GROUP BY dt, stage
ORDER BY dt, stage
