#include "btql/plan.h"

#include <algorithm>

namespace tv::btql {

namespace {

// The field name when `e` is an identifier of one plain key.
const std::string* TopLevelField(const Expr& e) {
  if (e.op != Expr::Op::kIdent || e.path.size() != 1) return nullptr;
  return std::get_if<std::string>(&e.path[0]);
}

const json::string* StringLiteral(const Expr& e) { return e.op == Expr::Op::kLiteral ? e.value.if_string() : nullptr; }

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

void CollectMatch(const Expr& m, Pushdown& out) {
  const Expr& target = m.children[0];
  const json::string* query = StringLiteral(m.children[1]);
  if (target.op != Expr::Op::kIdent || !query) return;
  Pushdown::Match match{{}, std::string(*query)};
  for (const auto& part : target.path) {
    if (const std::string* key = std::get_if<std::string>(&part)) {
      match.path.push_back(*key);
    } else {
      match.path.push_back(std::to_string(std::get<int64_t>(part)));
    }
  }
  out.matches.push_back(std::move(match));
}

void Collect(const Expr& e, Pushdown& out) {
  if (e.op == Expr::Op::kEq) CollectTerm(e, out);
  if (e.op == Expr::Op::kMatch) CollectMatch(e, out);
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
