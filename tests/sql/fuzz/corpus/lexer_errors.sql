-- Seed: bytes and literals the lexer cannot read.
SELECT x'0g';
SELECT x'123';
SELECT 1 @ 2;
SELECT "unterminated;
SELECT 3 /* open comment
