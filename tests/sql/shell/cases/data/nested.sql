-- Read by errors.sql: .read nests, and positions count from this file.
SELECT 'in nested.sql', count(*) FROM t;
  SELECT )
