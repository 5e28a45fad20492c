-- title: Uploads per day
-- description: Workflow executions that finished each day: completed, failed, and the bytes uploaded.
SELECT
  dt AS day,
  count(*) AS uploads,
  count_if(type = 'image.workflow.completed') AS completed,
  count_if(type = 'image.workflow.failed') AS failed,
  CAST(coalesce(sum(data.bytes), 0) AS BIGINT) AS source_bytes
FROM events_once
WHERE type IN ('image.workflow.completed', 'image.workflow.failed')
GROUP BY dt
ORDER BY dt
