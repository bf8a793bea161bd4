-- Seed: dropping and re-creating tables and indexes, inside and outside a transaction.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t VALUES (1, 'a');
CREATE INDEX iv ON t (v);
BEGIN;
DROP TABLE t;
CREATE TABLE t (id INTEGER PRIMARY KEY, w REAL);
INSERT INTO t VALUES (1, 1.5);
ROLLBACK;
SELECT * FROM t;
DROP TABLE t;
CREATE TABLE t (x TEXT);
INSERT INTO t VALUES ('no key');
SELECT * FROM t;
