-- Errors inside a file count lines from the file's own start.
SELECT 'in errors.sql';

SELECT oops FROM t;
.read data/nested.sql
