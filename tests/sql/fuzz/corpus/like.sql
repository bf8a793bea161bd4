-- Seed: LIKE with % and _, case-insensitive for ASCII.
SELECT 'Hello' LIKE 'h%', 'abc' LIKE 'a_c', 'abc' NOT LIKE '%d', '' LIKE '%', 'a%' LIKE 'a%%';
CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);
INSERT INTO t VALUES (1, 'apple'), (2, 'Banana'), (3, NULL);
SELECT s FROM t WHERE s LIKE '%an%';
