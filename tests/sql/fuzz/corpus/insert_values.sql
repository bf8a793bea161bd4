-- Seed: INSERT with and without a column list, several rows, defaults.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT DEFAULT 'd', r REAL, b BLOB);
INSERT INTO t VALUES (1, 'one', 1.5, x'00ff');
INSERT INTO t (id) VALUES (2);
INSERT INTO t (id, r) VALUES (3, 7), (4, -0.0), (5, 1e300);
SELECT * FROM t;
