// BTQL text for AST nodes: what error messages and default aliases show, and
// what tests compare when they check that the three front ends agree. The
// text is BTQL clause syntax that parses back to an equal tree (object
// literals excepted: they print as JSON, which the text grammar lacks).
#pragma once

#include <string>

#include "btql/ast.h"

namespace tv::btql {

// `e` as a BTQL expression, parenthesized only where precedence needs it:
// "metadata.model = 'gpt-4' and count(error) / count(1) > 0.5".
std::string ExprText(const Expr& e);

// The whole query as BTQL clauses joined with " | ", in a fixed clause order
// and with every alias written out.
std::string QueryText(const Query& q);

// Structural equality (JSON values compared as JSON, so 1 and 1.0 differ).
bool SameExpr(const Expr& a, const Expr& b);

}  // namespace tv::btql
