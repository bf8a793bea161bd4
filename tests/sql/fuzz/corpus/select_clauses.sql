-- Seed: SELECT with every clause.
CREATE TABLE t (id INTEGER PRIMARY KEY, g TEXT, n INTEGER);
INSERT INTO t VALUES (1, 'a', 5), (2, 'b', 3), (3, 'a', 8), (4, 'c', NULL), (5, 'b', 1);
SELECT g, count(*) AS c, sum(n) FROM t WHERE id > 1 GROUP BY g HAVING count(*) >= 1 ORDER BY c DESC, g ASC LIMIT 2 OFFSET 1;
SELECT * FROM t ORDER BY n;
SELECT id FROM t LIMIT 0;
