-- Seed: syntax errors on several lines; the script goes on after each.
SELECT 1 FORM t;
SELECT (1 + ;
CREATE TABLE (x INTEGER);
INSERT INTO t VALUES (1,);
  SELECT 'unterminated;
SELECT 2;
