-- title: Errors by code
-- description: Failed workflow executions and failed on-demand requests (scaled by the sampling rate), by error code.
WITH e AS (
  -- Each event once (delivery is at least once), with only the columns this query reads.
  SELECT * FROM (
    SELECT
      id,
      type,
      data.error.code AS workflow_code,
      data.error_code AS api_code,
      data.sample_rate AS sample_rate,
      row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type IN ('image.workflow.failed', 'image.request.served')
  ) AS numbered
  WHERE copy = 1
),
failures AS (
  SELECT 'workflow' AS origin, workflow_code AS code, CAST(1 AS DOUBLE) AS weight
  FROM e
  WHERE type = 'image.workflow.failed'
  UNION ALL
  SELECT 'api' AS origin, api_code AS code, 1 / sample_rate AS weight
  FROM e
  WHERE type = 'image.request.served' AND api_code IS NOT NULL
)
SELECT origin, code, CAST(round(sum(weight)) AS BIGINT) AS errors
FROM failures
GROUP BY origin, code
ORDER BY errors DESC, origin, code
