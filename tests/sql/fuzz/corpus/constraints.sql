-- Seed: primary key, UNIQUE and NOT NULL violations leave no trace.
CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE, nn INTEGER NOT NULL);
INSERT INTO t VALUES (1, 'a', 1);
INSERT INTO t VALUES (1, 'b', 2);
INSERT INTO t VALUES (2, 'a', 2);
INSERT INTO t VALUES (3, 'c', NULL);
INSERT INTO t VALUES (4, 'd', 4), (4, 'e', 5);
UPDATE t SET id = 9;
SELECT * FROM t;
