-- title: Renditions and bytes per format
-- description: Renditions written by the workflow, per output format: count, total and average size.
WITH e AS (
  SELECT * FROM (
    SELECT events.*, row_number() OVER (PARTITION BY id ORDER BY "time") AS copy
    FROM events
    WHERE type = 'image.rendition.created'
  ) AS numbered
  WHERE copy = 1
)
SELECT
  data.rendition.format AS format,
  count(*) AS renditions,
  CAST(sum(data.rendition.bytes) AS BIGINT) AS bytes,
  CAST(round(avg(data.rendition.bytes)) AS BIGINT) AS avg_bytes
FROM e
GROUP BY data.rendition.format
ORDER BY renditions DESC, format
