-- Seed: comparison operators and three-valued logic.
SELECT 1 = 1, 1 == 2, 1 != 2, 1 <> 1, 1 < 2, 2 <= 2, 3 > 4, 4 >= 4;
SELECT NULL = NULL, NULL AND FALSE, NULL OR TRUE, NOT NULL, NOT (1 < 2);
SELECT 'abc' < 'abd', x'00' < x'01', 1 = 1.0, 'a' = 'A';
