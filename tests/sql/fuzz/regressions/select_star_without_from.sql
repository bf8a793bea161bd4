-- Regression (sql_fuzz, invariant 3): SELECT * without FROM is refused by
-- Prepare with InvalidArgument "SELECT * needs a FROM clause", which has no
-- LINE:COLUMN and names nothing; forkdb/sql.h promises a position.
SELECT *;
