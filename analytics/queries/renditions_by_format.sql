-- title: Renditions and bytes per format
-- description: Renditions written by the workflow, per output format: count, total and average size.
SELECT
  data.rendition.format AS format,
  count(*) AS renditions,
  CAST(sum(data.rendition.bytes) AS BIGINT) AS bytes,
  CAST(round(avg(data.rendition.bytes)) AS BIGINT) AS avg_bytes
FROM events_once
WHERE type = 'image.rendition.created'
GROUP BY data.rendition.format
ORDER BY renditions DESC, format
