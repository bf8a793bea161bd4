-- Seed: unknown tables, columns, functions and indexes.
SELECT * FROM nowhere;
CREATE TABLE t (id INTEGER PRIMARY KEY);
SELECT missing FROM t;
SELECT nofunc(1);
SELECT count(*, 1) FROM t;
DROP INDEX nothere;
DROP TABLE nothere;
INSERT INTO t (nope) VALUES (1);
UPDATE t SET nope = 1;
