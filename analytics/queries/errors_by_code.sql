-- title: Errors by code
-- description: Failed workflow executions and failed on-demand requests (scaled by the sampling rate), by error code.
WITH failures AS (
  SELECT 'workflow' AS origin, data.error.code AS code, CAST(1 AS DOUBLE) AS weight
  FROM events_once
  WHERE type = 'image.workflow.failed'
  UNION ALL
  SELECT 'api' AS origin, data.error_code AS code, 1 / data.sample_rate AS weight
  FROM events_once
  WHERE type = 'image.request.served' AND data.error_code IS NOT NULL
)
SELECT origin, code, CAST(round(sum(weight)) AS BIGINT) AS errors
FROM failures
GROUP BY origin, code
ORDER BY errors DESC, origin, code
