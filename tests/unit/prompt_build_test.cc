// BuildPrompt against the real SDK's prompt.build() (fixtures/prompt_build.json, made
// by fixtures/gen-prompt-build.mjs), plus the pieces it is built from.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "proxy/js_text.h"
#include "proxy/mustache_render.h"
#include "proxy/prompt_build.h"
#include "proxy/prompt_template.h"

namespace tv::proxy {
namespace {

namespace json = boost::json;

struct Fixture {
  std::string name;
  json::object c;
};

std::vector<Fixture> LoadFixtures() {
  std::ifstream in(std::string(TV_FIXTURE_DIR) + "/prompt_build.json");
  std::stringstream text;
  text << in.rdbuf();
  std::vector<Fixture> out;
  json::value all = json::parse(text.str());
  for (json::value& c : all.as_array()) {
    std::string name;
    for (char ch : std::string(c.at("name").as_string())) {
      name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    }
    out.push_back({name, c.as_object()});
  }
  return out;
}

BuildOptions OptionsOf(const json::object& c) {
  BuildOptions options;
  const json::object& o = c.at("options").as_object();
  if (const json::value* f = o.if_contains("flavor"); f && *f == "completion") {
    options.flavor = PromptFlavor::kCompletion;
  }
  if (const json::value* s = o.if_contains("strict")) options.strict = s->as_bool();
  if (const json::value* t = o.if_contains("templateFormat")) {
    options.template_format = *ParseTemplateFormat(t->as_string());
  }
  if (const json::value* m = o.if_contains("messages")) options.messages = m->as_array();
  options.defaults = c.at("defaults").as_object();
  return options;
}

class SdkFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(SdkFixture, MatchesSdkBuild) {
  const json::object& c = GetParam().c;
  Result<json::object> built = BuildPrompt(c.at("prompt_data").as_object(), c.at("args"), OptionsOf(c));
  if (const json::value* error = c.if_contains("error")) {
    ASSERT_FALSE(built.ok()) << "SDK failed with: " << error->as_string() << "\nwe built: " << json::serialize(*built);
    EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
    return;
  }
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(json::value(*built), c.at("expected"))
      << "ours: " << json::serialize(*built) << "\nsdk:  " << json::serialize(c.at("expected"));
}

INSTANTIATE_TEST_SUITE_P(PromptBuild, SdkFixture, ::testing::ValuesIn(LoadFixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& info) { return info.param.name; });

TEST(PromptBuild, FixtureFileHasCases) { EXPECT_GE(LoadFixtures().size(), 40u); }

TEST(JsText, NumbersPrintAsJavaScript) {
  EXPECT_EQ(JsNumberText(1), "1");
  EXPECT_EQ(JsNumberText(2.5), "2.5");
  EXPECT_EQ(JsNumberText(-0.0), "0");
  EXPECT_EQ(JsNumberText(0.1), "0.1");
  EXPECT_EQ(JsNumberText(1e21), "1e+21");
  EXPECT_EQ(JsNumberText(1e20), "100000000000000000000");
  EXPECT_EQ(JsNumberText(1.5e-7), "1.5e-7");
  EXPECT_EQ(JsNumberText(0.000001), "0.000001");
  EXPECT_EQ(JsNumberText(123.456), "123.456");
  EXPECT_EQ(JsNumberText(-1.25e+300), "-1.25e+300");
  EXPECT_EQ(JsJsonStringify(json::parse(R"({"a":[1,2.0,"x\u0001\n"],"b":null})")),
            R"({"a":[1,2,"x\u0001\n"],"b":null})");
  EXPECT_EQ(JsStringConversion(json::parse(R"([1,[2,3],null,{"a":1},true])")), "1,2,3,,[object Object],true");
}

TEST(RenderTemplate, FormatsAndErrors) {
  json::value args = json::parse(R"({"name":"Ada","n":0})");
  EXPECT_EQ(*RenderTemplate("Hi {{name}} {{n}}", args, "mustache"), "Hi Ada 0");
  EXPECT_EQ(*RenderTemplate("Hi {{name}}", args, "none"), "Hi {{name}}");
  EXPECT_EQ(RenderTemplate("x", args, "nunjucks").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderTemplate("x", args, "jinja").status().code(), StatusCode::kInvalidArgument);
  Result<std::string> bad = RenderTemplate("{{#a}}", args, "mustache");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Unclosed section"), std::string::npos);
  Result<std::string> strict = RenderTemplate("{{nope}}", args, "mustache", true);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().message(), "Variable 'nope' does not exist.");
}

TEST(RenderMustache, StandaloneLinesAndLengths) {
  json::value view = json::parse(R"({"s":"héllo🚀","a":[1,2,3],"list":["x"]})");
  EXPECT_EQ(*RenderMustache("{{s.length}} {{a.length}} {{a.1}} {{s.1}}", view, false), "7 3 2 é");
  EXPECT_EQ(*RenderMustache("a\n  {{#list}}  \n{{.}}\n  {{/list}}\nb", view, false), "a\nx\nb");
  EXPECT_EQ(*RenderMustache("{{#list}}{{.}}{{/list}}  \n", view, false), "x  \n");
}

json::value HundredItems() {
  json::array a;
  for (int i = 0; i < 100; ++i) a.push_back(i);
  return json::object{{"a", std::move(a)}};
}

TEST(TemplateBudget, NestedSectionsStopAtTheDefaultBudget) {
  // 100^4 = 10^8 bytes unbounded; the default budget is 10 MiB.
  Result<std::string> out = RenderMustache("{{#a}}{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}{{/a}}", HundredItems(), false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("budget of 10 MiB"), std::string::npos) << out.status().ToString();
  // Sections that render nothing still spend a byte a pass.
  Result<std::string> silent =
      RenderMustache("{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}", HundredItems(), false);
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.status().message().find("budget"), std::string::npos);
  // Lookups that make values (lengths) spend too.
  Result<std::string> lengths = RenderMustache(
      "{{#a}}{{#a}}{{#a}}{{#a}}{{#a.length}}{{/a.length}}{{/a}}{{/a}}{{/a}}{{/a}}", HundredItems(), false);
  ASSERT_FALSE(lengths.ok());
}

TEST(TemplateBudget, OutputNeverGrowsPastTheBudget) {
  TemplateBudget budget(1000);
  Result<std::string> out = RenderMustache("{{#a}}{{#a}}0123456789{{/a}}{{/a}}", HundredItems(), false, &budget);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("budget of 1000 bytes"), std::string::npos) << out.status().ToString();
  EXPECT_LE(budget.used(), 1000u);
  TemplateBudget enough(200000);
  Result<std::string> fits = RenderMustache("{{#a}}{{#a}}0123456789{{/a}}{{/a}}", HundredItems(), false, &enough);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->size(), 100000u) << "100 · 100 · 10 bytes";
}

TEST(TemplateBudget, BuildPromptSharesOneBudgetAcrossMessages) {
  json::object prompt_data = json::parse(R"({"prompt":{"type":"chat","messages":[
      {"role":"system","content":"{{#a}}{{#a}}{{s}}{{/a}}{{/a}}"},
      {"role":"user","content":"{{#a}}{{#a}}{{s}}{{/a}}{{/a}}"}]},
      "options":{"model":"gpt-4o-mini"}})")
                                 .as_object();
  json::object args = HundredItems().as_object();
  args["s"] = std::string(60, 's');  // 600 KB a message
  BuildOptions options;
  options.template_output_bytes = 1 << 20;
  Result<json::object> built = BuildPrompt(prompt_data, args, options);
  ASSERT_FALSE(built.ok()) << "each message fits alone, both together do not";
  EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(built.status().message().find("budget of 1 MiB"), std::string::npos) << built.status().ToString();
  options.template_output_bytes = 2 << 20;
  Result<json::object> fits = BuildPrompt(prompt_data, args, options);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  // The default is 10 MiB: 100^3 · 60 bytes is past it.
  json::object deep =
      json::parse(R"({"prompt":{"type":"completion","content":"{{#a}}{{#a}}{{#a}}{{s}}{{/a}}{{/a}}{{/a}}"},
      "options":{"model":"gpt-4o-mini"}})")
          .as_object();
  BuildOptions completion;
  completion.flavor = PromptFlavor::kCompletion;
  Result<json::object> refused = BuildPrompt(deep, args, completion);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("budget of 10 MiB"), std::string::npos) << refused.status().ToString();
}

}  // namespace
}  // namespace tv::proxy
