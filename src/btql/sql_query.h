// The SQL front end of BTQL (reference §5.4): one SELECT over one source,
// mapped onto the same Query the clause text produces.
//
//   SELECT (* | expr [AS alias] (',' expr [AS alias])*)
//   FROM source('id' (',' 'id')* [',' shape => 'spans'|'traces'|'summary'])
//        (UNPIVOT '(' value FOR key IN '(' expr ')' ')')*
//   [WHERE expr] [GROUP BY (expr | ordinal) (',' ...)*]
//   [ORDER BY expr [ASC|DESC] (',' ...)*] [LIMIT n] [';']
//
// Expressions are the text grammar (text_expr.h) in its SQL dialect: single
// quotes are strings, double quotes are names, IN (a, b), CAST(x AS type),
// CASE, COUNT(DISTINCT x). With GROUP BY, aggregate select items become
// measures and the others dimensions (each must be grouped by, through its
// expression, its alias or its ordinal); GROUP BY keys that are not selected
// become dimensions too. Without GROUP BY a select list of only aggregates is
// measures without dimensions (one group). HAVING, JOIN, subqueries, UNION,
// window functions, WITH, OFFSET, DISTINCT and PIVOT are refused with a
// positioned error, never ignored.
#pragma once

#include <string_view>

#include "btql/ast.h"
#include "common/status.h"

namespace tv::btql {

Result<Query> ParseSqlQuery(std::string_view text);

}  // namespace tv::btql
