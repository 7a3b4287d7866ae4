-- pgbench script: one transaction inserting 100 spans of about 2 KB as JSONB,
-- the peer of one 100-span POST /logs3.
INSERT INTO spans (id, project_id, root_span_id, created, row)
SELECT md5(random()::text || i), 'p1', md5(random()::text), now(),
       jsonb_build_object('input', jsonb_build_object('text', repeat('alpha bravo charlie delta ', 70)),
                          'output', 'ok', 'scores', jsonb_build_object('quality', 0.5),
                          'metrics', jsonb_build_object('start', 1795425629.024, 'end', 1795425629.5, 'tokens', i))
FROM generate_series(1, :rows) AS i;
