-- title: Uploads per day
-- description: Workflow executions that finished each day: completed, failed, and the bytes uploaded.
WITH e AS (
  -- Each event once (delivery is at least once), with only the columns this query reads.
  SELECT * FROM (
    SELECT
      id,
      dt,
      type,
      data.bytes AS bytes,
      row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type IN ('image.workflow.completed', 'image.workflow.failed')
  ) AS numbered
  WHERE copy = 1
)
SELECT
  dt AS day,
  count(*) AS uploads,
  count_if(type = 'image.workflow.completed') AS completed,
  count_if(type = 'image.workflow.failed') AS failed,
  CAST(coalesce(sum(bytes), 0) AS BIGINT) AS source_bytes
FROM e
GROUP BY dt
ORDER BY dt
