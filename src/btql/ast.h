// The BTQL abstract syntax tree. Three front ends produce it (the JSON AST the
// SDKs post, BTQL clause text, and the SQL form); the planner (plan.h) turns
// it into what the span store can narrow by plus a residual predicate, and the
// executor (exec.h) shapes, sorts, groups and projects what the store returns.
// docs/btql.md is the language as implemented.
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
    kIn,         // children[0] IN children[1] (an array value, usually a kArray node)
    kLike,       // children[0] LIKE children[1] (% and _, backslash escapes)
    kILike,      // the same, case-insensitive
    kIncludes,   // children[0] (haystack: array, object or string) includes children[1]
    kAdd,        // children[0] + children[1] (numbers; timestamp +/- interval)
    kSub,
    kMul,
    kDiv,
    kMod,
    kNeg,       // -children[0]
    kIf,        // cond0, then0, cond1, then1, ..., else (odd count; else may be null literal)
    kCall,      // name(children...): scalar functions and aggregates (functions.h)
    kInterval,  // value (a number) of unit `name` (year ... microsecond, singular)
    kArray,     // [children...] as a JSON array
    kAnySpan,   // any_span(children[0]): in traces / summary, some span of the trace satisfies it
  };
  Op op = Op::kLiteral;
  json::value value;           // kLiteral, kInterval (the amount)
  std::vector<PathPart> path;  // kIdent
  std::string name;            // kCall (lowercase), kInterval (unit)
  std::vector<Expr> children;
};

enum class Shape { kSpans, kTraces, kSummary };

struct Source {
  std::string function;          // "experiment", "dataset", "project_logs", ...
  std::vector<std::string> ids;  // the literal arguments
  Shape shape = Shape::kSpans;
};

// `expr AS alias`; front ends fill a missing alias from the expression
// (DefaultAlias in clause_rules.h).
struct AliasExpr {
  Expr expr;
  std::string alias;
};

struct SortItem {
  Expr expr;
  bool descending = false;
};

// `sample: 25%` (a rate in 0..1) or `sample: 10` (a count of rows or traces).
struct Sample {
  bool is_rate = true;
  double value = 1;
  std::optional<uint64_t> seed;
};

// `unpivot: expr as (key, value)` for objects, `expr as elem` for arrays: one
// output row per entry, the entry bound to the alias name(s).
struct Unpivot {
  Expr expr;
  std::vector<std::string> aliases;  // one (array element) or two (object key, value)
};

struct Query {
  bool select_star = true;            // `select: *`, or no select/dimensions at all
  std::vector<AliasExpr> select;      // the projection when !select_star
  std::vector<AliasExpr> dimensions;  // group-by keys (with measures: an aggregate query)
  std::vector<AliasExpr> measures;    // aggregate expressions
  std::vector<AliasExpr> pivot;       // dimension expressions whose values become columns
  std::vector<Unpivot> unpivot;
  Source from;
  std::optional<Expr> filter;
  std::vector<SortItem> sort;
  std::optional<int64_t> limit;  // rows (spans) or traces (traces, summary); the endpoint applies the default
  std::optional<std::string> cursor;
  std::optional<Sample> sample;
  std::optional<int64_t> preview_length;  // summary shape: characters of each root-field preview

  bool IsAggregate() const { return !dimensions.empty() || !measures.empty(); }
};

}  // namespace tv::btql
