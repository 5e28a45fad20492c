-- title: Estimated cost per day
-- description: A rough AWS bill per day from the events (us-east-1 list prices): Lambda compute and invocations, data transfer out, Rekognition moderation, Step Functions transitions.
WITH e AS (
  SELECT dt, type, data.duration_ms AS duration_ms, data.bytes AS bytes, data.sample_rate AS sample_rate
  FROM events_once
  WHERE type IN ('image.workflow.completed', 'image.workflow.failed', 'image.rendition.created', 'image.request.served')
),
prices AS (
  SELECT
    CAST(0.0000166667 AS DOUBLE) AS lambda_gb_second, -- Lambda x86, per GB-second
    CAST(1.769 AS DOUBLE) AS lambda_gb,               -- 1769 MB: one full vCPU for sharp
    CAST(0.0000002 AS DOUBLE) AS lambda_invocation,   -- $0.20 per million requests
    CAST(0.085 AS DOUBLE) AS transfer_gb,             -- CloudFront, first 10 TB
    CAST(0.001 AS DOUBLE) AS moderation_image,        -- Rekognition DetectModerationLabels, first million
    CAST(0.000025 AS DOUBLE) AS sfn_transition,       -- Step Functions standard
    CAST(10 AS DOUBLE) AS transitions_per_image,      -- Inspect → … → Publish, with the rendition Map
    CAST(4 AS DOUBLE) AS tasks_per_image              -- Inspect, Moderate, SmartCrop, Publish invocations
),
usage AS (
  SELECT
    dt,
    count_if(type IN ('image.workflow.completed', 'image.workflow.failed')) AS images,
    sum(CASE WHEN type = 'image.request.served' THEN 1 / sample_rate ELSE 0 END) AS requests,
    count_if(type = 'image.rendition.created') AS renditions,
    sum(CASE
      WHEN type = 'image.rendition.created' THEN duration_ms
      WHEN type = 'image.request.served' THEN duration_ms / sample_rate
      ELSE 0
    END) / 1000 AS compute_seconds,
    sum(CASE WHEN type = 'image.request.served' THEN bytes / sample_rate ELSE 0 END) AS bytes_out
  FROM e
  GROUP BY dt
),
costs AS (
  SELECT
    usage.dt,
    usage.images,
    usage.requests,
    usage.compute_seconds * prices.lambda_gb * prices.lambda_gb_second AS compute_usd,
    (usage.requests + usage.renditions + usage.images * prices.tasks_per_image) * prices.lambda_invocation AS invocations_usd,
    usage.bytes_out / 1073741824 * prices.transfer_gb AS transfer_usd,
    usage.images * prices.moderation_image AS moderation_usd,
    usage.images * prices.transitions_per_image * prices.sfn_transition AS workflow_usd
  FROM usage
  CROSS JOIN prices
)
SELECT
  dt AS day,
  images,
  CAST(round(requests) AS BIGINT) AS requests,
  round(compute_usd, 6) AS compute_usd,
  round(invocations_usd, 6) AS invocations_usd,
  round(transfer_usd, 6) AS transfer_usd,
  round(moderation_usd, 6) AS moderation_usd,
  round(workflow_usd, 6) AS workflow_usd,
  round(compute_usd + invocations_usd + transfer_usd + moderation_usd + workflow_usd, 6) AS total_usd
FROM costs
ORDER BY dt
