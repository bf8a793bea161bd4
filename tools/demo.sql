-- A short tour of forks in SQL, on the in-memory database:
--   build/release/tools/forkdb -f tools/demo.sql
-- (tools/quickstart runs it). A fork is an instant, writable copy of a whole
-- database; each fork sees its own writes only.
.headers on
.mode table

-- Fork main: a table and a few rows.
CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance REAL);
INSERT INTO accounts VALUES (1, 'ada', 100.0), (2, 'grace', 250.0), (3, 'linus', 75.5);

-- A fork of main as it is now: O(1), whatever the database's size.
CREATE FORK staging;

-- Write on the fork: give everyone a bonus and add an account.
USE FORK staging;
UPDATE accounts SET balance = balance + 10;
INSERT INTO accounts VALUES (4, 'barbara', 0.0);
SELECT 'staging' AS fork, * FROM accounts ORDER BY id;

-- Write on main too: the fork does not see it, main does not see the fork.
USE FORK main;
DELETE FROM accounts WHERE owner = 'linus';
SELECT 'main' AS fork, * FROM accounts ORDER BY id;

-- Each fork's own totals.
SELECT count(*) AS accounts, sum(balance) AS total FROM accounts;
USE FORK staging;
SELECT count(*) AS accounts, sum(balance) AS total FROM accounts;

-- The fork tree: staging's parent is main; own_pages are the pages a fork
-- has written since, shared_pages those it still shares.
SHOW FORKS;

-- Replication: fork green follows main. A background thread applies each
-- commit of main to green; WAIT FOR REPLICATION waits until it caught up.
USE FORK main;
CREATE FORK green;
START REPLICATION FROM main TO green;
INSERT INTO accounts VALUES (5, 'margaret', 500.0);
UPDATE accounts SET balance = balance * 2 WHERE owner = 'ada';
WAIT FOR REPLICATION TO green;
USE FORK green;
SELECT 'green' AS fork, * FROM accounts ORDER BY id;
SHOW REPLICATION;

-- Divergence: two forks of staging write on their own. Both change ada's
-- balance, differently (a conflict); each also changes an account the other
-- leaves alone (no conflict).
USE FORK staging;
CREATE FORK alice;
CREATE FORK bob;
USE FORK alice;
UPDATE accounts SET balance = 120.0 WHERE owner = 'ada';
UPDATE accounts SET balance = 300.0 WHERE owner = 'grace';
USE FORK bob;
UPDATE accounts SET balance = 90.0 WHERE owner = 'ada';
UPDATE accounts SET balance = 5.0 WHERE owner = 'barbara';
-- The rows both forks changed since they split, differently: ada's only,
-- with its value in their common base and on each side.
SHOW DIVERGENCE BETWEEN alice AND bob;
-- Every row whose value differs between the two now: ada, grace, barbara.
SHOW DIFF BETWEEN alice AND bob;
