// The expression grammar of BTQL text and of the SQL form, over a
// TokenCursor. Used by the clause parser (text_query.cc), the SQL parser
// (sql_query.cc) and ParseTextExpr; callers outside src/btql use
// text_query.h / sql_query.h instead. Loosest binding first:
//
//   expr       := or_expr ['?' expr ':' expr]      (c ? a : b; else-chains flatten into one kIf)
//   or_expr    := and_expr (OR and_expr)*          (flat kOr)
//   and_expr   := not_expr (AND not_expr)*         (flat kAnd)
//   not_expr   := NOT not_expr | comparison
//   comparison := additive [ ('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') additive
//                          | [NOT] IN ('(' [expr (',' expr)*] ')' | additive)
//                          | [NOT] (LIKE | ILIKE | MATCH | INCLUDES | CONTAINS) additive
//                          | IS [NOT] NULL | ISNULL | ISNOTNULL ]
//   additive   := multiplicative (('+' | '-') multiplicative)*
//   multiplicative := unary (('*' | '/' | '%') unary)*
//   unary      := '-' unary | primary              (-<number> is a negative literal)
//   primary    := literal | path | '(' expr ')' | '[' [expr (',' expr)*] ']'
//               | name '(' [expr (',' expr)* | '*'] ')'      (count(*) = count(1))
//               | any_span '(' expr ')' | CAST '(' expr AS type ')'
//               | INTERVAL ['-'] (number | 'string') unit | INTERVAL 'number unit'
//               | CASE [expr] (WHEN expr THEN expr)+ [ELSE expr] END
//   path       := name ('.' name | '[' ['-'] int ']' | '[' 'string' ']')*
//   name       := word | `quoted` | "quoted"
//   literal    := 'string' | number | TRUE | FALSE | NULL
//
// The ternary sits below OR, as in C: `a > 1 or b ? 'x' : 'y'` tests the
// whole OR. As an operand of a comparison or arithmetic it needs parentheses.
#pragma once

#include "btql/ast.h"
#include "btql/lexer.h"
#include "common/status.h"

namespace tv::btql {

enum class Dialect {
  kBtql,
  kSql,  // SQL clause keywords (FROM, WHERE, GROUP, ...) cannot start a path; subqueries and OVER are refused
};

// Every nesting construct (parentheses, NOT, unary minus, calls, arrays, IN
// lists, CASE, the branches of ?:, and each operator of an arithmetic chain)
// counts one level; deeper input is a parse error, so hostile text cannot
// exhaust the stack. AND / OR chains are flat and do not count.
inline constexpr int kMaxExprDepth = 200;

// Parses one expression starting at the cursor and leaves the cursor on the
// first token after it. Function calls are checked against functions.h.
Result<Expr> ParseExpr(TokenCursor& cursor, Dialect dialect = Dialect::kBtql);

// An array of elements: a kLiteral JSON array when every element is a
// literal, otherwise a kArray node.
Expr MakeArrayExpr(std::vector<Expr> elements);

}  // namespace tv::btql
