-- title: Cache hit ratio
-- description: Per day, on-demand requests answered without rendering (ETag revalidation, 304) over all requests, scaled by the sampling rate.
WITH e AS (
  -- Each event once (delivery is at least once), with only the columns this query reads.
  SELECT * FROM (
    SELECT
      id,
      dt,
      data.cache AS cache,
      data.sample_rate AS sample_rate,
      row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type = 'image.request.served'
  ) AS numbered
  WHERE copy = 1
)
SELECT
  dt AS day,
  CAST(round(sum(1 / sample_rate)) AS BIGINT) AS requests,
  CAST(round(sum(CASE WHEN cache = 'hit' THEN 1 / sample_rate ELSE 0 END)) AS BIGINT) AS hits,
  round(sum(CASE WHEN cache = 'hit' THEN 1 / sample_rate ELSE 0 END) / sum(1 / sample_rate), 4) AS hit_ratio
FROM e
GROUP BY dt
ORDER BY dt
