-- title: Processing time p50/p95
-- description: Per day and stage (whole workflow, one rendition, one on-demand request), the median and 95th percentile duration in ms.
WITH durations AS (
  SELECT
    dt,
    CASE type
      WHEN 'image.workflow.completed' THEN 'workflow'
      WHEN 'image.rendition.created' THEN 'rendition'
      ELSE 'request'
    END AS stage,
    data.duration_ms AS duration_ms
  FROM events_once
  WHERE type IN ('image.workflow.completed', 'image.rendition.created')
    OR (type = 'image.request.served' AND data.status < 400)
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
