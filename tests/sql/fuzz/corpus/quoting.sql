/* Seed: quoted identifiers, strings with quotes, case-insensitivity,
   block and line comments. */
CREATE TABLE "Mixed Case" ("select" INTEGER PRIMARY KEY, `v` TEXT);
insert into "Mixed Case" values (1, 'it''s'), (2, ''); -- trailing comment
SeLeCt "select", V FROM "Mixed Case" wHeRe V <> 'x';
SELECT 'semi;colon', "select" FROM "Mixed Case"; /* ; inside */ SELECT 1;
