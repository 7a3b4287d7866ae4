#include "btql/plan.h"

#include <algorithm>

namespace tv::btql {

namespace {

// The field name when `e` is an identifier of one plain key.
const std::string* TopLevelField(const Expr& e) {
  if (e.op != Expr::Op::kIdent || e.path.size() != 1) return nullptr;
  return std::get_if<std::string>(&e.path[0]);
}

const json::string* StringLiteral(const Expr& e) {
  return e.op == Expr::Op::kLiteral ? e.value.if_string() : nullptr;
}

void Add(std::optional<std::vector<std::string>>& set, std::string_view value) {
  if (!set) set.emplace();
  if (std::find(set->begin(), set->end(), value) == set->end()) set->emplace_back(value);
}

void CollectTerm(const Expr& eq, Pushdown& out) {
  for (int side = 0; side < 2; ++side) {
    const std::string* field = TopLevelField(eq.children[side]);
    const json::string* value = StringLiteral(eq.children[1 - side]);
    if (!field || !value) continue;
    if (*field == "id") Add(out.ids, *value);
    if (*field == "root_span_id") Add(out.root_span_ids, *value);
    return;
  }
}

void Collect(const Expr& e, Pushdown& out) {
  if (e.op == Expr::Op::kEq) CollectTerm(e, out);
  if (e.op != Expr::Op::kAnd) return;
  for (const Expr& child : e.children) Collect(child, out);
}

}  // namespace

Pushdown ExtractPushdown(const Expr& filter) {
  Pushdown out;
  Collect(filter, out);
  return out;
}

}  // namespace tv::btql
