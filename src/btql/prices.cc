#include "btql/prices.h"

#include <algorithm>

namespace tv::btql {
namespace {

struct DefaultPrice {
  const char* model;
  ModelPrice price;
};

// Public list prices (USD per million tokens, standard tier, shortest
// context tier) as published in 2025. Estimates: see prices.h.
constexpr DefaultPrice kDefaults[] = {
    // OpenAI
    {"gpt-5", {1.25, 10.00, 0.125}},
    {"gpt-5-mini", {0.25, 2.00, 0.025}},
    {"gpt-5-nano", {0.05, 0.40, 0.005}},
    {"gpt-4.1", {2.00, 8.00, 0.50}},
    {"gpt-4.1-mini", {0.40, 1.60, 0.10}},
    {"gpt-4.1-nano", {0.10, 0.40, 0.025}},
    {"gpt-4o", {2.50, 10.00, 1.25}},
    {"gpt-4o-2024-05-13", {5.00, 15.00, 5.00}},
    {"gpt-4o-mini", {0.15, 0.60, 0.075}},
    {"gpt-4-turbo", {10.00, 30.00, 10.00}},
    {"gpt-4", {30.00, 60.00, 30.00}},
    {"gpt-3.5-turbo", {0.50, 1.50, 0.50}},
    {"o1", {15.00, 60.00, 7.50}},
    {"o1-mini", {1.10, 4.40, 0.55}},
    {"o3", {2.00, 8.00, 0.50}},
    {"o3-mini", {1.10, 4.40, 0.55}},
    {"o4-mini", {1.10, 4.40, 0.275}},
    // Anthropic (cache reads at a tenth of the input price)
    {"claude-opus-4-1", {15.00, 75.00, 1.50}},
    {"claude-opus-4", {15.00, 75.00, 1.50}},
    {"claude-sonnet-4-5", {3.00, 15.00, 0.30}},
    {"claude-sonnet-4", {3.00, 15.00, 0.30}},
    {"claude-haiku-4-5", {1.00, 5.00, 0.10}},
    {"claude-3-7-sonnet", {3.00, 15.00, 0.30}},
    {"claude-3-5-sonnet", {3.00, 15.00, 0.30}},
    {"claude-3-5-haiku", {0.80, 4.00, 0.08}},
    {"claude-3-opus", {15.00, 75.00, 1.50}},
    {"claude-3-haiku", {0.25, 1.25, 0.03}},
    // Google
    {"gemini-2.5-pro", {1.25, 10.00, 0.31}},
    {"gemini-2.5-flash", {0.30, 2.50, 0.075}},
    {"gemini-2.5-flash-lite", {0.10, 0.40, 0.025}},
    {"gemini-2.0-flash", {0.10, 0.40, 0.025}},
    {"gemini-2.0-flash-lite", {0.075, 0.30, 0.075}},
    {"gemini-1.5-pro", {1.25, 5.00, 0.3125}},
    {"gemini-1.5-flash", {0.075, 0.30, 0.01875}},
};

bool IsNameBoundary(char c) { return c == '-' || c == ':' || c == '@' || c == '/'; }

Result<double> Price(const std::string& model, const json::object& entry, std::string_view field) {
  const json::value* v = entry.if_contains(field);
  if (!v) return InvalidArgument("model prices: '{}' has no '{}' price (USD per million tokens)", model, field);
  if (!v->is_number())
    return InvalidArgument("model prices: '{}'.{} must be a number (USD per million tokens)", model, field);
  double d = v->to_number<double>();
  if (!(d >= 0)) return InvalidArgument("model prices: '{}'.{} must not be negative", model, field);
  return d;
}

Result<ModelPrice> ParseEntry(const std::string& model, const json::value& v) {
  if (!v.is_object())
    return InvalidArgument("model prices: '{}' must be an object {{\"input\", \"output\", \"cached_input\"?}}", model);
  const json::object& o = v.as_object();
  for (const auto& kv : o) {
    std::string_view k = kv.key();
    if (k != "input" && k != "output" && k != "cached_input")
      return InvalidArgument("model prices: '{}' has an unknown field '{}' (input, output, cached_input)", model, k);
  }
  ModelPrice p;
  TV_ASSIGN_OR_RETURN(p.input_per_mtok, Price(model, o, "input"));
  TV_ASSIGN_OR_RETURN(p.output_per_mtok, Price(model, o, "output"));
  p.cached_input_per_mtok = p.input_per_mtok;
  if (o.contains("cached_input")) {
    TV_ASSIGN_OR_RETURN(p.cached_input_per_mtok, Price(model, o, "cached_input"));
  }
  return p;
}

}  // namespace

PriceTable PriceTable::Defaults() {
  PriceTable t;
  for (const auto& d : kDefaults) t.prices_[d.model] = d.price;
  return t;
}

Result<PriceTable> PriceTable::FromJson(const json::value& v) {
  if (!v.is_object())
    return InvalidArgument("model prices must be a JSON object: {{\"<model>\": {{\"input\": ..., \"output\": ...}}}}");
  PriceTable t;
  for (const auto& kv : v.as_object()) {
    std::string model(kv.key());
    if (model.empty()) return InvalidArgument("model prices: a model name is empty");
    TV_ASSIGN_OR_RETURN(t.prices_[model], ParseEntry(model, kv.value()));
  }
  return t;
}

void PriceTable::Override(const PriceTable& other) {
  for (const auto& [model, price] : other.prices_) prices_[model] = price;
}

const ModelPrice* PriceTable::Find(std::string_view model) const {
  if (auto it = prices_.find(model); it != prices_.end()) return &it->second;
  // Walk back from the longest candidate: every shorter prefix of `model`
  // that ends at a boundary is a candidate, longest first.
  for (size_t len = model.size(); len-- > 0;) {
    if (!IsNameBoundary(model[len])) continue;
    if (auto it = prices_.find(model.substr(0, len)); it != prices_.end()) return &it->second;
  }
  return nullptr;
}

std::optional<double> PriceTable::Cost(std::string_view model, double prompt_tokens, double completion_tokens,
                                       double cached_tokens) const {
  const ModelPrice* p = Find(model);
  if (!p) return std::nullopt;
  double cached = std::clamp(cached_tokens, 0.0, std::max(prompt_tokens, 0.0));
  double uncached = std::max(prompt_tokens, 0.0) - cached;
  double usd = uncached * p->input_per_mtok + cached * p->cached_input_per_mtok +
               std::max(completion_tokens, 0.0) * p->output_per_mtok;
  return usd / 1e6;
}

}  // namespace tv::btql
