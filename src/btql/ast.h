// The BTQL abstract syntax tree. Three front ends produce it (the JSON AST the
// SDKs post, BTQL clause text, and later the SQL form); the planner turns it
// into a store::ScanSpec plus a residual predicate. This first slice covers
// what the SDKs' object fetchers send; docs/btql.md lists what is accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/json.h"

namespace tv::btql {

// One step of a field path: a key, or an array index (negative from the end).
using PathPart = std::variant<std::string, int64_t>;

struct Expr {
  enum class Op {
    kLiteral,    // value
    kIdent,      // path
    kEq,         // children[0] = children[1]
    kNe,         // children[0] != children[1]
    kIsNull,     // children[0] IS NULL (absent counts as null)
    kIsNotNull,  // children[0] IS NOT NULL
    kAnd,        // all children (any count >= 1)
    kOr,         // any child
    kNot,        // !children[0]
    kMatch,      // children[0] MATCH children[1]: full-text, whole words (text/tokenizer.h)
    kLt,         // children[0] < children[1]
    kLe,         // children[0] <= children[1]
    kGt,         // children[0] > children[1]
    kGe,         // children[0] >= children[1]
  };
  Op op = Op::kLiteral;
  json::value value;             // kLiteral
  std::vector<PathPart> path;    // kIdent
  std::vector<Expr> children;
};

enum class Shape { kSpans, kTraces, kSummary };

struct Source {
  std::string function;          // "experiment", "dataset", "project_logs", ...
  std::vector<std::string> ids;  // the literal arguments
  Shape shape = Shape::kSpans;
};

struct Query {
  bool select_star = true;       // the slice supports `select: *` only
  Source from;
  std::optional<Expr> filter;
  std::optional<int64_t> limit;  // rows; the endpoint applies the default
  std::optional<std::string> cursor;
};

}  // namespace tv::btql
