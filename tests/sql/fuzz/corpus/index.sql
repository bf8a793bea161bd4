-- Seed: indexes, unique indexes and lookups through them.
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);
CREATE INDEX ia ON t (a);
CREATE UNIQUE INDEX IF NOT EXISTS ib ON t (b, a);
INSERT INTO t VALUES (1, 'x', 10), (2, 'y', 20), (3, 'x', 30);
SELECT id FROM t WHERE a = 'x' ORDER BY id;
INSERT INTO t VALUES (4, 'x', 10);
DROP INDEX ia;
DROP INDEX IF EXISTS ia;
