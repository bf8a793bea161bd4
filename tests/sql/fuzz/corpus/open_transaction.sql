-- Seed: a script that ends inside a transaction (the session rolls it back).
CREATE TABLE t (id INTEGER PRIMARY KEY);
BEGIN TRANSACTION;
INSERT INTO t VALUES (1), (2);
CREATE TABLE u (x TEXT);
