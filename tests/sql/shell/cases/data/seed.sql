-- Shared by the -f and .read cases: a table and three rows.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');
SELECT count(*) FROM t;
