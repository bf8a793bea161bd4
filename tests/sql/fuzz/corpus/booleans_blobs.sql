-- Seed: BOOLEAN and BLOB columns.
CREATE TABLE t (id INTEGER PRIMARY KEY, f BOOLEAN, b BLOB);
INSERT INTO t VALUES (1, TRUE, x''), (2, FALSE, x'deadbeef'), (3, NULL, NULL);
SELECT id, NOT f, length(b), typeof(f) FROM t WHERE f OR b IS NULL;
SELECT f + 1, b || x'00' FROM t;
