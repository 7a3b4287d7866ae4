#include "proxy/prompt_template.h"

#include <boost/json/object.hpp>

#include "proxy/mustache_render.h"

namespace tv::proxy {

namespace json = boost::json;

Result<TemplateFormat> ParseTemplateFormat(std::string_view name) {
  if (name == "mustache") return TemplateFormat::kMustache;
  if (name == "none") return TemplateFormat::kNone;
  if (name == "nunjucks") {
    return InvalidArgument("template_format 'nunjucks' is not supported; use 'mustache' or 'none'");
  }
  return InvalidArgument("Unknown template_format '{}'; expected 'mustache' or 'none'", name);
}

json::value TemplateVariables(const json::value& args) {
  json::object vars;
  vars["input"] = args;
  if (const json::object* o = args.if_object()) {
    for (const auto& [key, value] : *o) vars[key] = value;
  }
  return vars;
}

Result<std::string> RenderWithVariables(std::string_view tmpl, const json::value& variables, TemplateFormat format,
                                        bool strict, TemplateBudget* budget) {
  if (format == TemplateFormat::kNone) return std::string(tmpl);
  return RenderMustache(tmpl, variables, strict, budget);
}

Result<std::string> RenderTemplate(std::string_view tmpl, const json::value& args, std::string_view format, bool strict,
                                   TemplateBudget* budget) {
  TV_ASSIGN_OR_RETURN(TemplateFormat f, ParseTemplateFormat(format));
  return RenderWithVariables(tmpl, TemplateVariables(args), f, strict, budget);
}

}  // namespace tv::proxy
