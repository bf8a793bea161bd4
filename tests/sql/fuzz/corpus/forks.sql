-- Seed: forks: create, use, write on both sides, show, drop.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t VALUES (1, 'base');
CREATE FORK a;
CREATE FORK b FROM main READ ONLY;
USE FORK a;
UPDATE t SET v = 'on a';
INSERT INTO t VALUES (2, 'only a');
USE FORK main;
SELECT * FROM t;
SHOW FORKS;
DROP FORK a;
DROP FORK IF EXISTS a;
