// Parser: a recursive-descent parser from tokens to the syntax tree of
// ast.h, one statement at a time (SQL.md is the grammar).
//
// Errors are InvalidArgument with "LINE:COLUMN: " first, naming what was
// expected and what was found there: "1:10: expected end of statement,
// found 'FORM'". Statements that SQL.md defines but that later
// work will bring (divergence, online DDL, migrations) parse their leading
// words and are NotSupported with the statement's name.
//
// Extensions to SQL.md: PURGE BINLOG [FOR FORK f] BEFORE seq, and
// WAIT FOR REPLICATION [TO dst] [TIMEOUT seconds] (replication runs in the
// background; scripts wait for it to catch up).
#ifndef FORKDB_SQL_PARSER_H_
#define FORKDB_SQL_PARSER_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "forkdb/sql.h"
#include "forkdb/status.h"
#include "sql-lite-frontend/ast.h"

namespace forkdb::sql {

// Parses the first statement of `sql`; `*tail` receives the offset past its
// ';' (or the end). Returns nullopt for text holding only blanks, comments
// and stray ';'. O(size of the statement).
Result<std::optional<ParsedStatement>> ParseStatement(std::string_view sql,
                                                      size_t* tail,
                                                      SourceLocation start);

// Whether `word` (any case) is reserved: a name spelled like one must be
// quoted. SHOW CREATE TABLE uses it to write text that parses again.
bool IsReservedWord(std::string_view word);

}  // namespace forkdb::sql

#endif  // FORKDB_SQL_PARSER_H_
