-- Seed: a bigger table: many rows, updates that touch them all.
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
INSERT INTO t VALUES (1,'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',1),(2,'b',2),(3,'c',3),(4,'d',4),(5,'e',5),(6,'f',6),(7,'g',7),(8,'h',8),(9,'i',9),(10,'j',10),(11,'k',11),(12,'l',12),(13,'m',13),(14,'n',14),(15,'o',15),(16,'p',16);
UPDATE t SET v = v || v;
UPDATE t SET v = v || v WHERE n % 2 = 0;
SELECT n % 3, count(*), min(v), max(length(v)) FROM t GROUP BY n % 3;
DELETE FROM t WHERE id BETWEEN 3 AND 12;
SELECT sum(n) FROM t;
