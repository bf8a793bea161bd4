-- Seed: the aggregates, over empty and non-empty tables.
CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL);
SELECT count(*), count(n), sum(n), total(n), avg(n), min(n), max(n) FROM t;
INSERT INTO t VALUES (1, 1, 0.5), (2, NULL, 1.5), (3, 5, NULL);
SELECT count(*), count(n), sum(n), total(r), avg(r), min(r), max(n) FROM t;
SELECT n, count(*) FROM t GROUP BY n ORDER BY n;
