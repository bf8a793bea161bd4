-- Seed: ? parameters (the fuzz target binds them; unbound ones are NULL).
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, r REAL);
INSERT INTO t VALUES (?, ?, ?);
INSERT INTO t VALUES (4, ?, ?);
SELECT ?, ? + 1, ? || 'x', coalesce(?, 'null');
SELECT * FROM t WHERE id = ? OR v = ?;
