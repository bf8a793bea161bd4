-- Seed: fork errors: read-only writes, missing forks, dropping the current fork.
CREATE TABLE t (id INTEGER PRIMARY KEY);
CREATE FORK ro READ ONLY;
USE FORK ro;
INSERT INTO t VALUES (1);
USE FORK nowhere;
USE FORK main;
DROP FORK main;
CREATE FORK ro;
CREATE FORK child FROM ro;
DROP FORK ro;
