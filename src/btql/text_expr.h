// The expression grammar of BTQL text, over a TokenCursor. Used by the clause
// parser (text_query.cc) for `filter:` and by ParseTextExpr; callers outside
// src/btql use text_query.h instead.
//
//   or_expr    := and_expr (OR and_expr)*
//   and_expr   := not_expr (AND not_expr)*
//   not_expr   := NOT not_expr | comparison
//   comparison := operand [ ('=' | '!=' | '<>') operand | IS [NOT] NULL ]
//   operand    := literal | path | '(' or_expr ')'
//   path       := name ('.' name | '[' ['-'] int ']' | '[' string ']')*
//   name       := word | `quoted` | "quoted"
//   literal    := 'string' | ['-'] number | TRUE | FALSE | NULL
#pragma once

#include "btql/ast.h"
#include "btql/lexer.h"
#include "common/status.h"

namespace tv::btql {

// Parses one expression starting at the cursor and leaves the cursor on the
// first token after it. Operators of the full language that this slice lacks
// (<, LIKE, IN, function calls, ...) are NotSupportedYet with their position.
Result<Expr> ParseOrExpr(TokenCursor& cursor);

}  // namespace tv::btql
