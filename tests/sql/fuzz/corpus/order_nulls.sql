-- Seed: ORDER BY over mixed types and NULLs, DESC, expressions.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n REAL);
INSERT INTO t VALUES (1, NULL, 2.5), (2, 'b', NULL), (3, 'a', -1), (4, 'B', 0);
SELECT id FROM t ORDER BY v;
SELECT id FROM t ORDER BY n DESC, id;
SELECT id, n * 2 AS m FROM t ORDER BY m ASC LIMIT 3;
SELECT id FROM t ORDER BY lower(v) DESC LIMIT 2 OFFSET 1;
