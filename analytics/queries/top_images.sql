-- title: Top images
-- description: The 20 most requested images on the on-demand API, with the bytes served (scaled by the sampling rate).
WITH e AS (
  -- Each event once (delivery is at least once), with only the columns this query reads.
  SELECT * FROM (
    SELECT
      id,
      subject,
      data.image IS NOT NULL AS has_image,
      data.bytes AS bytes,
      data.sample_rate AS sample_rate,
      row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type = 'image.request.served'
  ) AS numbered
  WHERE copy = 1
)
SELECT
  subject AS image,
  CAST(round(sum(1 / sample_rate)) AS BIGINT) AS requests,
  CAST(round(sum(bytes / sample_rate)) AS BIGINT) AS bytes_served
FROM e
WHERE has_image
GROUP BY subject
ORDER BY requests DESC, image
LIMIT 20
