// Small constructors for Expr nodes, shared by the front ends and the tests.
#pragma once

#include <utility>
#include <vector>

#include "btql/ast.h"

namespace tv::btql {

inline Expr MakeLiteral(json::value v) {
  Expr e;
  e.op = Expr::Op::kLiteral;
  e.value = std::move(v);
  return e;
}

inline Expr MakeIdent(std::vector<PathPart> path) {
  Expr e;
  e.op = Expr::Op::kIdent;
  e.path = std::move(path);
  return e;
}

// An operator node (eq, ne, isnull, isnotnull, and, or, not) over `children`.
inline Expr MakeNode(Expr::Op op, std::vector<Expr> children) {
  Expr e;
  e.op = op;
  e.children = std::move(children);
  return e;
}

}  // namespace tv::btql
