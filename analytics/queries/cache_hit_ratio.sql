-- title: Cache hit ratio
-- description: Per day, on-demand requests answered without rendering (ETag revalidation, 304) over all requests, scaled by the sampling rate.
SELECT
  dt AS day,
  CAST(round(sum(1 / data.sample_rate)) AS BIGINT) AS requests,
  CAST(round(sum(CASE WHEN data.cache = 'hit' THEN 1 / data.sample_rate ELSE 0 END)) AS BIGINT) AS hits,
  round(sum(CASE WHEN data.cache = 'hit' THEN 1 / data.sample_rate ELSE 0 END) / sum(1 / data.sample_rate), 4) AS hit_ratio
FROM events_once
WHERE type = 'image.request.served'
GROUP BY dt
ORDER BY dt
