// Template formats of stored prompts and rendering one template string as the
// Braintrust SDK does (`template_format` in prompt_data).
//
// Thread-safe; pure functions.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/status.h"
#include "proxy/mustache_render.h"

namespace tv::proxy {

enum class TemplateFormat {
  kMustache,  // the default, also for a null or absent template_format
  kNone,      // the text is used as-is
};

// "mustache" or "none". "nunjucks" is InvalidArgument (the SDK needs an extra plugin
// for it and tracevault has none), as is anything else.
Result<TemplateFormat> ParseTemplateFormat(std::string_view name);

// The root context the SDK renders with: `{input: args, ...args}` — every top-level
// key of an object argument, plus `input` bound to the whole argument (a key named
// "input" in `args` wins). Non-object arguments are reachable only as `input`.
boost::json::value TemplateVariables(const boost::json::value& args);

// Renders `tmpl` over TemplateVariables(args) in `format` ("mustache" or "none").
// Invalid templates, unsupported formats and output past the budget
// (proxy/mustache_render.h; a fresh default one when null) are InvalidArgument.
Result<std::string> RenderTemplate(std::string_view tmpl, const boost::json::value& args, std::string_view format,
                                   bool strict = false, TemplateBudget* budget = nullptr);

// The same over variables already built with TemplateVariables.
Result<std::string> RenderWithVariables(std::string_view tmpl, const boost::json::value& variables,
                                        TemplateFormat format, bool strict, TemplateBudget* budget = nullptr);

}  // namespace tv::proxy
