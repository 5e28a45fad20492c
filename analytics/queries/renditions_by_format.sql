-- title: Renditions and bytes per format
-- description: Renditions written by the workflow, per output format: count, total and average size.
WITH e AS (
  -- Each event once (delivery is at least once), with only the columns this query reads.
  SELECT * FROM (
    SELECT
      id,
      data.rendition.format AS format,
      data.rendition.bytes AS bytes,
      row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type = 'image.rendition.created'
  ) AS numbered
  WHERE copy = 1
)
SELECT
  format,
  count(*) AS renditions,
  CAST(sum(bytes) AS BIGINT) AS bytes,
  CAST(round(avg(bytes)) AS BIGINT) AS avg_bytes
FROM e
GROUP BY format
ORDER BY renditions DESC, format
