-- title: Top images
-- description: The 20 most requested images on the on-demand API, with the bytes served (scaled by the sampling rate).
SELECT
  subject AS image,
  CAST(round(sum(1 / data.sample_rate)) AS BIGINT) AS requests,
  CAST(round(sum(data.bytes / data.sample_rate)) AS BIGINT) AS bytes_served
FROM events_once
WHERE type = 'image.request.served' AND data.image IS NOT NULL
GROUP BY subject
ORDER BY requests DESC, image
LIMIT 20
