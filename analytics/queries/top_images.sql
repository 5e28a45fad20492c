-- title: Top images
-- description: The 20 most requested images on the on-demand API, with the bytes served (scaled by the sampling rate).
WITH e AS (
  SELECT * FROM (
    SELECT events.*, row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type = 'image.request.served'
  ) AS numbered
  WHERE copy = 1
)
SELECT
  subject AS image,
  CAST(round(sum(1 / data.sample_rate)) AS BIGINT) AS requests,
  CAST(round(sum(data.bytes / data.sample_rate)) AS BIGINT) AS bytes_served
FROM e
WHERE data.image IS NOT NULL
GROUP BY subject
ORDER BY requests DESC, image
LIMIT 20
