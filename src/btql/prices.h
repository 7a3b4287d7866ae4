// PriceTable: list prices of LLM models, used to estimate what a span cost
// when the caller did not log `metrics.estimated_cost` itself. The defaults
// are public list prices as of 2025 and are estimates: providers change them,
// and discounts, batch pricing, long-context tiers and cache writes are not
// modelled. Operators replace or extend them with `--model-prices FILE`
// (docs/configuration.md).
//
// Thread-safety: immutable after construction; safe to share across threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

// USD per million tokens.
struct ModelPrice {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
  double cached_input_per_mtok = 0;  // prompt tokens served from the provider's cache
};

class PriceTable {
 public:
  PriceTable() = default;

  // Common OpenAI, Anthropic and Google models.
  static PriceTable Defaults();

  // {"gpt-4o": {"input": 2.5, "output": 10, "cached_input": 1.25}, ...} in
  // USD per million tokens; `cached_input` defaults to `input`. Anything else
  // (unknown keys, negative or non-numeric prices) is InvalidArgument naming
  // the model and the field.
  static Result<PriceTable> FromJson(const json::value& v);

  // Adds `other`'s models, replacing same-named ones.
  void Override(const PriceTable& other);

  // The price of `model`: an exact match, else the longest known name that
  // is a prefix of `model` followed by '-', ':', '@' or '/' (so a dated
  // snapshot such as gpt-4o-2024-08-06 is priced as gpt-4o). nullptr when none.
  const ModelPrice* Find(std::string_view model) const;

  // USD for one call. `prompt_tokens` includes `cached_tokens` (as the
  // OpenAI usage object reports them); cached tokens are charged at the
  // cached-input price. nullopt for an unknown model.
  std::optional<double> Cost(std::string_view model, double prompt_tokens, double completion_tokens,
                             double cached_tokens) const;

  size_t size() const { return prices_.size(); }

 private:
  std::map<std::string, ModelPrice, std::less<>> prices_;
};

}  // namespace tv::btql
