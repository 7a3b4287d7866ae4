#include "proxy/prompt_build.h"

#include <string>

#include <boost/json/parse.hpp>

#include "proxy/prompt_messages.h"

namespace tv::proxy {

namespace json = boost::json;

namespace {

bool IsBraintrustParam(std::string_view key) {
  return key == "use_cache" || key == "reasoning_enabled" || key == "reasoning_budget";
}

const json::object* ObjectField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

// Only the fields the SDK's schema knows survive its parse of response_format.
json::value NormalizeResponseFormat(const json::value& rf) {
  const json::object* o = rf.if_object();
  const json::value* type = o ? o->if_contains("type") : nullptr;
  if (!type || !type->is_string()) return rf;
  json::object out{{"type", *type}};
  if (type->get_string() != "json_schema") return out;
  const json::object* schema = ObjectField(*o, "json_schema");
  if (!schema) return rf;
  json::object kept;
  for (std::string_view key : {"name", "description", "schema", "strict"}) {
    if (const json::value* v = schema->if_contains(key)) kept[key] = *v;
  }
  out["json_schema"] = std::move(kept);
  return out;
}

Result<json::object> MergeParams(const json::object& prompt_data, const json::object& defaults) {
  json::object params = defaults;
  const json::object* options = ObjectField(prompt_data, "options");
  if (options) {
    if (const json::object* p = ObjectField(*options, "params")) {
      for (const auto& [key, value] : *p) {
        if (IsBraintrustParam(key)) continue;
        params[key] = key == "response_format" ? NormalizeResponseFormat(value) : value;
      }
    }
    const json::value* model = options->if_contains("model");
    if (model && !model->is_null()) params["model"] = *model;
  }
  if (const json::value* rf = params.if_contains("response_format"); rf && rf->is_null()) {
    params.erase("response_format");
  }
  const json::value* model = params.if_contains("model");
  if (!model || model->is_null()) {
    return InvalidArgument("No model specified. Either specify it in the prompt or as a default");
  }
  return params;
}

// Strings anywhere in `v` rendered; keys and other values kept (renderTemplatedObject).
Result<json::value> RenderStrings(const json::value& v, const TemplateRenderFn& render) {
  if (v.is_string()) {
    TV_ASSIGN_OR_RETURN(std::string s, render(v.get_string()));
    return json::value(s);
  }
  if (const json::array* a = v.if_array()) {
    json::array out;
    for (const json::value& item : *a) {
      TV_ASSIGN_OR_RETURN(json::value r, RenderStrings(item, render));
      out.push_back(std::move(r));
    }
    return json::value(std::move(out));
  }
  if (const json::object* o = v.if_object()) {
    json::object out;
    for (const auto& [key, item] : *o) {
      TV_ASSIGN_OR_RETURN(out[key], RenderStrings(item, render));
    }
    return json::value(std::move(out));
  }
  return v;
}

// A JSON schema given as a template string reads as JSON once rendered; blank is null
// and unparsable text stays a string.
json::value ParseRenderedSchema(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n\v\f") == std::string::npos) return nullptr;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  return ec ? json::value(text) : parsed;
}

// renderPromptParams: only a json_schema response_format's schema is templated.
Status RenderParams(json::object& params, const TemplateRenderFn& render) {
  json::value* rf = params.if_contains("response_format");
  json::object* rf_obj = rf ? rf->if_object() : nullptr;
  const json::value* type = rf_obj ? rf_obj->if_contains("type") : nullptr;
  if (!type || !type->is_string() || type->get_string() != "json_schema") return Status::Ok();
  json::value* js = rf_obj->if_contains("json_schema");
  json::object* schema_obj = js ? js->if_object() : nullptr;
  const json::value* name = schema_obj ? schema_obj->if_contains("name") : nullptr;
  if (!name || !name->is_string()) return Status::Ok();
  json::value* schema = schema_obj->if_contains("schema");
  if (!schema) return Status::Ok();
  TV_ASSIGN_OR_RETURN(json::value rendered, RenderStrings(*schema, render));
  *schema = rendered.is_string() ? ParseRenderedSchema(std::string(rendered.get_string())) : std::move(rendered);
  return Status::Ok();
}

Result<json::array> ParseTools(const std::string& text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec) return InvalidArgument("The prompt's tools are not valid JSON: {}", ec.message());
  if (!parsed.is_array()) return InvalidArgument("The prompt's tools must be a JSON array");
  json::array tools;
  for (const json::value& t : parsed.get_array()) {
    const json::object* o = t.if_object();
    const json::object* fn = o ? ObjectField(*o, "function") : nullptr;
    const json::value* name = fn ? fn->if_contains("name") : nullptr;
    const json::value* type = o ? o->if_contains("type") : nullptr;
    if (!name || !name->is_string() || !type || *type != "function") {
      return InvalidArgument("Each tool needs type 'function' and a function.name string");
    }
    json::object function;
    for (std::string_view key : {"name", "description", "parameters"}) {
      if (const json::value* v = fn->if_contains(key)) function[key] = *v;
    }
    tools.push_back(json::object{{"function", std::move(function)}, {"type", "function"}});
  }
  return tools;
}

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos; }

bool HasSystemMessage(const json::array& messages) {
  for (const json::value& m : messages) {
    const json::value* role = m.is_object() ? m.get_object().if_contains("role") : nullptr;
    if (role && *role == "system") return true;
  }
  return false;
}

Status BuildChat(const json::object& prompt, const json::value& variables, const TemplateRenderFn& render,
                 const BuildOptions& options, json::object& out) {
  json::array messages;
  if (const json::value* stored = prompt.if_contains("messages"); stored && !stored->is_null()) {
    if (!stored->is_array()) return InvalidArgument("prompt.messages must be an array");
    size_t i = 0;
    for (const json::value& m : stored->get_array()) {
      TV_ASSIGN_OR_RETURN(json::object rendered, RenderChatMessage(m, variables, render, i++));
      messages.push_back(std::move(rendered));
    }
  }
  bool has_system = HasSystemMessage(messages);
  if (options.messages) {
    for (const json::value& m : *options.messages) {
      if (has_system && HasSystemMessage(json::array{m})) continue;
      messages.push_back(m);
    }
  }
  out["messages"] = std::move(messages);
  const json::value* tools = prompt.if_contains("tools");
  if (tools && tools->is_string() && !IsBlank(tools->get_string())) {
    TV_ASSIGN_OR_RETURN(std::string text, render(tools->get_string()));
    TV_ASSIGN_OR_RETURN(out["tools"], ParseTools(text));
  }
  return Status::Ok();
}

Status BuildCompletion(const json::object& prompt, const TemplateRenderFn& render, const BuildOptions& options,
                       json::object& out) {
  if (options.messages) {
    return InvalidArgument("extra messages are not supported for completion prompts");
  }
  const json::value* content = prompt.if_contains("content");
  if (!content || !content->is_string()) return InvalidArgument("prompt.content must be a string");
  TV_ASSIGN_OR_RETURN(std::string text, render(content->get_string()));
  out["prompt"] = std::move(text);
  return Status::Ok();
}

Result<TemplateFormat> ResolveFormat(const json::object& prompt_data, const BuildOptions& options) {
  if (options.template_format) return *options.template_format;
  const json::value* f = prompt_data.if_contains("template_format");
  if (!f || f->is_null()) return TemplateFormat::kMustache;
  if (!f->is_string()) return InvalidArgument("template_format must be a string");
  return ParseTemplateFormat(f->get_string());
}

}  // namespace

Result<json::object> BuildPrompt(const json::object& prompt_data, const json::value& args,
                                 const BuildOptions& options) {
  TV_ASSIGN_OR_RETURN(json::object out, MergeParams(prompt_data, options.defaults));
  const json::object* prompt = ObjectField(prompt_data, "prompt");
  if (!prompt) return InvalidArgument("Empty prompt");
  TV_ASSIGN_OR_RETURN(TemplateFormat format, ResolveFormat(prompt_data, options));
  json::value variables = TemplateVariables(args);
  TemplateBudget budget(options.template_output_bytes);
  TemplateRenderFn render = [&](std::string_view tmpl) {
    return RenderWithVariables(tmpl, variables, format, options.strict, &budget);
  };
  const json::value* type = prompt->if_contains("type");
  bool chat = type && *type == "chat";
  bool completion = type && *type == "completion";
  if (!chat && !completion) return InvalidArgument("prompt.type must be 'chat' or 'completion'");
  if (options.flavor == PromptFlavor::kChat && !chat) {
    return InvalidArgument("Prompt is a completion prompt. Use buildCompletion() instead");
  }
  if (options.flavor == PromptFlavor::kCompletion && !completion) {
    return InvalidArgument("Prompt is a chat prompt. Use flavor: 'chat' instead");
  }
  TV_RETURN_IF_ERROR(RenderParams(out, render));
  if (chat) {
    TV_RETURN_IF_ERROR(BuildChat(*prompt, variables, render, options, out));
  } else {
    TV_RETURN_IF_ERROR(BuildCompletion(*prompt, render, options, out));
  }
  return out;
}

}  // namespace tv::proxy
