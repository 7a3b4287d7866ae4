#include "proxy/prompt_messages.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <span>

#include <boost/json/array.hpp>

namespace tv::proxy {

namespace json = boost::json;

namespace {

using Keys = std::initializer_list<std::string_view>;
using KeySpan = std::span<const std::string_view>;

json::object KeepKeys(const json::object& o, KeySpan keys) {
  json::object out;
  for (const auto& [key, value] : o) {
    if (std::find(keys.begin(), keys.end(), std::string_view(key)) != keys.end()) {
      out[key] = value;
    }
  }
  return out;
}

json::object KeepKeys(const json::object& o, Keys keys) { return KeepKeys(o, KeySpan(keys.begin(), keys.size())); }

// The fields the SDK's message schema keeps for each role.
Result<KeySpan> MessageKeys(std::string_view role) {
  static constexpr std::string_view kPlain[] = {"content", "role", "name"};
  static constexpr std::string_view kAssistant[] = {"role",       "content",   "function_call",      "name",
                                                    "tool_calls", "reasoning", "reasoning_signature"};
  static constexpr std::string_view kTool[] = {"content", "role", "tool_call_id"};
  static constexpr std::string_view kModel[] = {"role", "content"};
  if (role == "system" || role == "user" || role == "developer" || role == "function") {
    return KeySpan(kPlain);
  }
  if (role == "assistant") return KeySpan(kAssistant);
  if (role == "tool") return KeySpan(kTool);
  if (role == "model") return KeySpan(kModel);
  return InvalidArgument("Unknown message role '{}'", role);
}

// The SDK's isURL: `new URL(s.trim())` with an http or https protocol.
bool IsHttpUrl(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  std::string lower;
  for (char c : s.substr(0, 6)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t scheme = lower.rfind("https:", 0) == 0 ? 6 : lower.rfind("http:", 0) == 0 ? 5 : 0;
  if (scheme == 0) return false;
  std::string_view rest = s.substr(scheme);
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
  size_t host_end = rest.find_first_of("/?#\\");
  std::string_view host = rest.substr(0, host_end);
  return !host.empty() && host.find(' ') == std::string_view::npos;
}

bool IsAttachmentReference(const json::value& v) {
  const json::object* o = v.if_object();
  const json::value* type = o ? o->if_contains("type") : nullptr;
  if (!type || !type->is_string()) return false;
  std::string_view t = type->get_string();
  return t == "braintrust_attachment" || t == "external_attachment" || t == "inline_attachment";
}

// "{{ images }}" naming an array of URLs or attachments expands before templating.
const json::array* ExpandableImageArray(std::string_view url, const json::value& variables) {
  if (url.size() < 4 || url.substr(0, 2) != "{{" || url.substr(url.size() - 2) != "}}") {
    return nullptr;
  }
  std::string_view path = url.substr(2, url.size() - 4);
  while (!path.empty() && std::isspace(static_cast<unsigned char>(path.front()))) path.remove_prefix(1);
  while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back()))) path.remove_suffix(1);
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
  if (path.empty() || !std::all_of(path.begin(), path.end(), word)) return nullptr;
  const json::value* cur = &variables;
  size_t start = 0;
  while (cur && start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string_view key = path.substr(start, dot - start);
    if (!cur->is_object()) return nullptr;
    cur = cur->get_object().if_contains(key);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const json::array* items = cur ? cur->if_array() : nullptr;
  if (!items) return nullptr;
  for (const json::value& item : *items) {
    bool url_item = item.is_string() && IsHttpUrl(item.get_string());
    if (!url_item && !IsAttachmentReference(item)) return nullptr;
  }
  return items;
}

class MessageRenderer {
 public:
  MessageRenderer(const json::value& variables, const TemplateRenderFn& render, size_t index)
      : variables_(variables), render_(render), index_(index) {}

  Result<json::object> Render(const json::value& message) {
    const json::object* in = message.if_object();
    if (!in) return InvalidArgument("messages[{}] must be an object", index_);
    const json::value* role = in->if_contains("role");
    if (!role || !role->is_string()) {
      return InvalidArgument("messages[{}].role must be a string", index_);
    }
    TV_ASSIGN_OR_RETURN(KeySpan keys, MessageKeys(role->get_string()));
    json::object out = KeepKeys(*in, keys);
    if (role->get_string() == "tool" && !out.contains("tool_call_id")) out["tool_call_id"] = "";
    if (json::value* fc = out.if_contains("function_call"); fc && fc->is_object()) {
      *fc = KeepKeys(fc->get_object(), {"arguments", "name"});
    }
    TV_RETURN_IF_ERROR(RenderContent(out));
    TV_RETURN_IF_ERROR(RenderToolCalls(out));
    if (json::value* id = out.if_contains("tool_call_id")) {
      TV_ASSIGN_OR_RETURN(*id, RenderString(*id, "tool_call_id"));
    }
    return out;
  }

 private:
  Result<json::value> RenderString(const json::value& v, std::string_view field) {
    if (!v.is_string()) return InvalidArgument("messages[{}].{} must be a string", index_, field);
    TV_ASSIGN_OR_RETURN(std::string text, render_(v.get_string()));
    return json::value(text);
  }

  Status RenderContent(json::object& out) {
    json::value* content = out.if_contains("content");
    if (!content) return Status::Ok();
    if (content->is_null()) {
      out.erase("content");
      return Status::Ok();
    }
    if (content->is_string()) {
      TV_ASSIGN_OR_RETURN(*content, RenderString(*content, "content"));
      return Status::Ok();
    }
    if (!content->is_array()) {
      return InvalidArgument("messages[{}].content must be a string, an array or null", index_);
    }
    json::array parts;
    for (const json::value& part : content->get_array()) TV_RETURN_IF_ERROR(RenderPart(part, parts));
    *content = std::move(parts);
    return Status::Ok();
  }

  Status RenderPart(const json::value& part, json::array& parts) {
    const json::object* p = part.if_object();
    const json::value* type = p ? p->if_contains("type") : nullptr;
    if (!type || !type->is_string()) {
      return InvalidArgument("messages[{}].content parts need a string type", index_);
    }
    std::string_view t = type->get_string();
    if (t == "text") return RenderTextPart(*p, parts);
    if (t == "image_url") return RenderImagePart(*p, parts);
    if (t == "input_audio") return RenderNestedField(*p, "input_audio", {"data", "format"}, "data", parts);
    if (t == "file") return RenderFilePart(*p, parts);
    return InvalidArgument("messages[{}].content has an unsupported part type '{}'", index_, t);
  }

  Status RenderTextPart(const json::object& p, json::array& parts) {
    json::object out = KeepKeys(p, {"text", "type", "cache_control"});
    if (!out.contains("text")) out["text"] = "";
    TV_ASSIGN_OR_RETURN(out["text"], RenderString(out["text"], "content[].text"));
    parts.push_back(std::move(out));
    return Status::Ok();
  }

  Status RenderImagePart(const json::object& p, json::array& parts) {
    const json::value* image = p.if_contains("image_url");
    const json::value* url = image && image->is_object() ? image->get_object().if_contains("url") : nullptr;
    if (url && url->is_object()) {
      return InvalidArgument("Attachments must be replaced with URLs before calling `build()`");
    }
    if (url && url->is_string()) {
      if (const json::array* items = ExpandableImageArray(url->get_string(), variables_)) {
        for (const json::value& item : *items) {
          parts.push_back(json::object{{"type", "image_url"}, {"image_url", json::object{{"url", item}}}});
        }
        return Status::Ok();
      }
    }
    return RenderNestedField(p, "image_url", {"url", "detail"}, "url", parts);
  }

  // A part whose `outer` object has one templated string field.
  Status RenderNestedField(const json::object& p, std::string_view outer, Keys inner_keys, std::string_view field,
                           json::array& parts) {
    json::object out = KeepKeys(p, {outer, "type", "cache_control"});
    json::value* inner = out.if_contains(outer);
    if (!inner || !inner->is_object()) {
      return InvalidArgument("messages[{}].content[].{} must be an object", index_, outer);
    }
    json::object kept = KeepKeys(inner->get_object(), inner_keys);
    const json::value* value = kept.if_contains(field);
    if (!value) return InvalidArgument("messages[{}].content[].{}.{} is required", index_, outer, field);
    TV_ASSIGN_OR_RETURN(kept[field], RenderString(*value, field));
    *inner = std::move(kept);
    parts.push_back(std::move(out));
    return Status::Ok();
  }

  Status RenderFilePart(const json::object& p, json::array& parts) {
    json::object out = KeepKeys(p, {"file", "type", "cache_control"});
    const json::value* file = out.if_contains("file");
    if (!file || !file->is_object()) {
      return InvalidArgument("messages[{}].content[].file must be an object", index_);
    }
    json::object rendered;
    for (std::string_view key : {"file_data", "file_id", "filename"}) {
      const json::value* v = file->get_object().if_contains(key);
      if (!v || (v->is_string() && v->get_string().empty())) continue;  // falsy fields drop
      TV_ASSIGN_OR_RETURN(rendered[key], RenderString(*v, key));
    }
    out["file"] = std::move(rendered);
    parts.push_back(std::move(out));
    return Status::Ok();
  }

  Status RenderToolCalls(json::object& out) {
    json::value* calls = out.if_contains("tool_calls");
    if (!calls) return Status::Ok();
    if (calls->is_null()) {
      out.erase("tool_calls");
      return Status::Ok();
    }
    if (!calls->is_array()) return InvalidArgument("messages[{}].tool_calls must be an array", index_);
    json::array rendered;
    for (const json::value& call : calls->get_array()) {
      const json::object* c = call.if_object();
      const json::value* fn = c ? c->if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) {
        return InvalidArgument("messages[{}].tool_calls[].function must be an object", index_);
      }
      const json::object& f = fn->get_object();
      json::object function;
      TV_ASSIGN_OR_RETURN(function["name"], RenderString(Field(f, "name"), "tool_calls[].function.name"));
      TV_ASSIGN_OR_RETURN(function["arguments"],
                          RenderString(Field(f, "arguments"), "tool_calls[].function.arguments"));
      json::object r;
      r["type"] = Field(*c, "type");
      TV_ASSIGN_OR_RETURN(r["id"], RenderString(Field(*c, "id"), "tool_calls[].id"));
      r["function"] = std::move(function);
      rendered.push_back(std::move(r));
    }
    *calls = std::move(rendered);
    return Status::Ok();
  }

  static json::value Field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? *v : json::value();
  }

  const json::value& variables_;
  const TemplateRenderFn& render_;
  size_t index_;
};

}  // namespace

Result<json::object> RenderChatMessage(const json::value& message, const json::value& variables,
                                       const TemplateRenderFn& render, size_t index) {
  return MessageRenderer(variables, render, index).Render(message);
}

}  // namespace tv::proxy
