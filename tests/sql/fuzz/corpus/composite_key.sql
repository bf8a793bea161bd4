-- Seed: a composite primary key, range reads and updates through it.
CREATE TABLE t (a INTEGER, b TEXT, v REAL, PRIMARY KEY (a, b));
INSERT INTO t VALUES (1, 'x', 1.0), (1, 'y', 2.0), (2, 'x', 3.0);
SELECT * FROM t WHERE a = 1 ORDER BY b DESC;
UPDATE t SET b = 'z' WHERE a = 2;
INSERT INTO t VALUES (1, 'x', 9.0);
DELETE FROM t WHERE a = 1 AND b = 'y';
SELECT * FROM t;
