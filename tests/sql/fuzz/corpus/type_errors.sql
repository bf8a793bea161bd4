-- Seed: declared types are enforced on write.
CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BOOLEAN);
INSERT INTO t VALUES (1, 2, 3, 'x', TRUE);
INSERT INTO t VALUES (2, 'no', 1.0, 'x', FALSE);
INSERT INTO t VALUES (3, 1, 'no', 'x', TRUE);
INSERT INTO t VALUES (4, 1, 1.0, 5, TRUE);
UPDATE t SET i = 1.5 WHERE id = 1;
SELECT * FROM t;
