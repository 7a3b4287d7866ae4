#include "btql/clause_rules.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace tv::btql {

namespace {

constexpr std::array<std::string_view, 5> kClauses = {"select", "from", "filter", "limit",
                                                      "cursor"};
constexpr std::array<std::string_view, 3> kSources = {"experiment", "dataset", "project_logs"};
constexpr std::array<std::string_view, 9> kLaterSources = {
    "playground_logs", "prompt",          "function",  "view",         "project_prompts",
    "project_functions", "org_prompts", "org_functions", "prompt_session"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Status NotSupportedYet(std::string_view name, std::string_view where) {
  return InvalidArgument("BTQL: '{}' is not supported yet{}", name, where);
}

bool IsSupportedClause(std::string_view name) { return Contains(kClauses, Lowercase(name)); }

Status CheckSourceFunction(std::string_view name, std::string_view where) {
  if (Contains(kSources, name)) return Status::Ok();
  if (Contains(kLaterSources, name)) return NotSupportedYet(name, where);
  return InvalidArgument("BTQL: unknown source '{}'{}; expected experiment, dataset or "
                         "project_logs",
                         name, where);
}

bool IsShapeName(std::string_view name) {
  std::string lower = Lowercase(name);
  return lower == "spans" || lower == "traces" || lower == "summary";
}

Shape ShapeFromName(std::string_view name) {
  std::string lower = Lowercase(name);
  if (lower == "traces") return Shape::kTraces;
  if (lower == "summary") return Shape::kSummary;
  return Shape::kSpans;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lowercase(a) == Lowercase(b);
}

}  // namespace tv::btql
