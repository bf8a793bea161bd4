-- Seed: SELECT without FROM, one row of expressions.
SELECT 1, 'two', 3.0, NULL, TRUE, FALSE, x'41';
SELECT 1 + 2 * 3 - 4 / 2 % 3, 'a' || 'b', -(-5), +7;
