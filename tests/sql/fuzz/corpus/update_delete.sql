-- Seed: UPDATE and DELETE with and without WHERE.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);
UPDATE t SET v = upper(v), n = n * 10 WHERE id >= 2;
UPDATE t SET n = n + 1;
DELETE FROM t WHERE v = 'A';
DELETE FROM t;
SELECT count(*) FROM t;
