-- Seed: the scalar functions.
SELECT abs(-3), abs(-2.5), length('héllo'), length(x'0102'), lower('ABC'), upper('abc');
SELECT substr('abcdef', 2, 3), substr('abcdef', -2), substr('abc', 0);
SELECT coalesce(NULL, NULL, 3), ifnull(NULL, 'x'), nullif(1, 1), nullif(1, 2);
SELECT typeof(1), typeof(1.0), typeof('a'), typeof(x'00'), typeof(NULL), typeof(TRUE);
SELECT min(3, 1, 2), max('a', 'b'), min(1, NULL);
