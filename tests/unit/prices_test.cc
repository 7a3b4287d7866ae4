// Unit tests for btql/prices.h: the model price table behind estimated_cost.
#include <gtest/gtest.h>

#include "btql/prices.h"
#include "common/json.h"

namespace tv::btql {
namespace {

json::value Json(std::string_view text) {
  Result<json::value> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : json::value();
}

Status ParseError(std::string_view text) {
  Result<PriceTable> t = PriceTable::FromJson(Json(text));
  EXPECT_FALSE(t.ok()) << text;
  return t.ok() ? Status::Ok() : t.status();
}

TEST(PriceTable, DefaultsCoverTheCommonProviders) {
  PriceTable t = PriceTable::Defaults();
  for (const char* model : {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini", "claude-3-5-sonnet", "claude-sonnet-4",
                            "gemini-2.5-pro", "gemini-1.5-flash"}) {
    EXPECT_NE(t.Find(model), nullptr) << model;
  }
  EXPECT_EQ(t.Find("no-such-model"), nullptr);
}

TEST(PriceTable, CostIsPerMillionTokens) {
  PriceTable t = PriceTable::Defaults();
  // gpt-4o: $2.50 in, $10 out.
  std::optional<double> c = t.Cost("gpt-4o", 1'000'000, 1'000'000, 0);
  ASSERT_TRUE(c.has_value());
  EXPECT_DOUBLE_EQ(*c, 12.5);
  EXPECT_DOUBLE_EQ(*t.Cost("gpt-4o", 1000, 500, 0), (1000 * 2.5 + 500 * 10.0) / 1e6);
  EXPECT_DOUBLE_EQ(*t.Cost("gpt-4o", 0, 0, 0), 0);
}

TEST(PriceTable, CachedTokensArePartOfThePromptAndChargedAtTheCachedPrice) {
  PriceTable t = PriceTable::Defaults();
  // gpt-4o: 400 uncached at $2.50, 600 cached at $1.25.
  EXPECT_DOUBLE_EQ(*t.Cost("gpt-4o", 1000, 0, 600), (400 * 2.5 + 600 * 1.25) / 1e6);
  // More cached than prompt tokens is clamped to the prompt.
  EXPECT_DOUBLE_EQ(*t.Cost("gpt-4o", 100, 0, 1000), 100 * 1.25 / 1e6);
  // Negative counts count as zero.
  EXPECT_DOUBLE_EQ(*t.Cost("gpt-4o", -5, -5, -5), 0);
}

TEST(PriceTable, ExactNameThenLongestPrefixAtANameBoundary) {
  PriceTable t = PriceTable::Defaults();
  // Dated snapshots fall back to their family.
  EXPECT_EQ(t.Find("gpt-4o-2024-08-06"), t.Find("gpt-4o"));
  EXPECT_EQ(t.Find("gpt-4o-mini-2024-07-18"), t.Find("gpt-4o-mini"));
  EXPECT_EQ(t.Find("claude-3-5-sonnet-20241022"), t.Find("claude-3-5-sonnet"));
  EXPECT_EQ(t.Find("claude-opus-4-1-20250805"), t.Find("claude-opus-4-1"));
  EXPECT_EQ(t.Find("claude-opus-4-20250514"), t.Find("claude-opus-4"));
  // An exact dated entry wins over its family.
  EXPECT_DOUBLE_EQ(t.Find("gpt-4o-2024-05-13")->input_per_mtok, 5.0);
  EXPECT_DOUBLE_EQ(t.Find("gpt-4o-2024-08-06")->input_per_mtok, 2.5);
  // A prefix must end at a boundary: "gpt-4" does not price "gpt-4.5-preview",
  // and "o1" does not price "o1x".
  EXPECT_EQ(t.Find("gpt-4.5-preview"), nullptr);
  EXPECT_EQ(t.Find("o1x"), nullptr);
  EXPECT_EQ(t.Cost("unknown-model-2025", 10, 10, 0), std::nullopt);
}

TEST(PriceTable, FromJsonReadsPricesAndDefaultsCachedToInput) {
  Result<PriceTable> t = PriceTable::FromJson(
      Json(R"({"my-model": {"input": 1, "output": 2}, "other": {"input": 3, "output": 4, "cached_input": 0.5}})"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->size(), 2u);
  EXPECT_DOUBLE_EQ(t->Find("my-model")->cached_input_per_mtok, 1.0);
  EXPECT_DOUBLE_EQ(t->Find("other")->cached_input_per_mtok, 0.5);
  EXPECT_DOUBLE_EQ(*t->Cost("my-model-v2", 1'000'000, 1'000'000, 0), 3.0);
  EXPECT_TRUE(PriceTable::FromJson(Json("{}")).ok());
}

TEST(PriceTable, OverrideReplacesAndExtendsTheDefaults) {
  PriceTable t = PriceTable::Defaults();
  size_t n = t.size();
  t.Override(
      *PriceTable::FromJson(Json(R"({"gpt-4o": {"input": 1, "output": 1}, "house-llm": {"input": 0, "output": 0}})")));
  EXPECT_EQ(t.size(), n + 1);
  EXPECT_DOUBLE_EQ(t.Find("gpt-4o-2024-08-06")->output_per_mtok, 1.0);
  EXPECT_DOUBLE_EQ(*t.Cost("house-llm", 1000, 1000, 0), 0);
}

TEST(PriceTable, FromJsonErrorsNameTheModelAndField) {
  auto expect = [](std::string_view text, std::string_view fragment) {
    Status s = ParseError(text);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
  };
  expect("[]", "must be a JSON object");
  expect(R"({"m": 3})", "'m' must be an object");
  expect(R"({"m": {"output": 1}})", "'m' has no 'input' price");
  expect(R"({"m": {"input": 1}})", "'m' has no 'output' price");
  expect(R"({"m": {"input": "1", "output": 1}})", "'m'.input must be a number");
  expect(R"({"m": {"input": 1, "output": -2}})", "'m'.output must not be negative");
  expect(R"({"m": {"input": 1, "output": 2, "cached_input": null}})", "'m'.cached_input must be a number");
  expect(R"({"m": {"input": 1, "output": 2, "cache": 1}})", "unknown field 'cache'");
  expect(R"({"": {"input": 1, "output": 2}})", "empty");
}

}  // namespace
}  // namespace tv::btql
