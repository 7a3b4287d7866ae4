// OpenAiToAnthropicRequest (declared in proxy/anthropic.h).
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "proxy/anthropic.h"

namespace tv::proxy {

namespace json = boost::json;

namespace {

const json::value* Present(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

// "data:image/png;base64,AAAA" → Anthropic's base64 image source; http(s) → url source.
Result<json::object> ImageBlock(const json::value& image_url, std::string_view field) {
  const json::value* url = image_url.is_object() ? Present(image_url.get_object(), "url") : nullptr;
  if (!url || !url->is_string()) return InvalidArgument("{}.image_url.url must be a string", field);
  std::string_view u = url->get_string();
  if (u.rfind("data:", 0) == 0) {
    size_t marker = u.find(";base64,");
    if (marker == std::string_view::npos) {
      return InvalidArgument("{}.image_url.url: only base64 data URLs are supported", field);
    }
    json::object source{{"type", "base64"}, {"media_type", u.substr(5, marker - 5)}, {"data", u.substr(marker + 8)}};
    return json::object{{"type", "image"}, {"source", std::move(source)}};
  }
  if (u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0) {
    return json::object{{"type", "image"}, {"source", json::object{{"type", "url"}, {"url", u}}}};
  }
  return InvalidArgument("{}.image_url.url must be a data: or http(s) URL", field);
}

// OpenAI content (string or parts) → Anthropic content blocks.
Result<json::array> ContentBlocks(const json::value& content, std::string_view field, bool images) {
  json::array blocks;
  if (content.is_null()) return blocks;
  if (content.is_string()) {
    if (!content.get_string().empty()) blocks.push_back(json::object{{"type", "text"}, {"text", content}});
    return blocks;
  }
  if (!content.is_array()) return InvalidArgument("{} must be a string or an array of parts", field);
  for (const json::value& part : content.get_array()) {
    const json::object* p = part.if_object();
    const json::value* type = p ? Present(*p, "type") : nullptr;
    if (type && *type == "text") {
      const json::value* text = Present(*p, "text");
      if (!text || !text->is_string()) return InvalidArgument("{}[].text must be a string", field);
      blocks.push_back(json::object{{"type", "text"}, {"text", *text}});
    } else if (type && *type == "image_url" && images) {
      TV_ASSIGN_OR_RETURN(json::object block, ImageBlock(p->at("image_url"), field));
      blocks.push_back(std::move(block));
    } else {
      std::string t = type && type->is_string() ? std::string(type->get_string()) : "?";
      return InvalidArgument("{}: content part type '{}' is not supported for Anthropic", field, t);
    }
  }
  return blocks;
}

// A single text block reads as a plain string, as clients usually write it.
json::value Simplify(json::array blocks) {
  if (blocks.size() == 1 && blocks[0].at("type") == "text") return blocks[0].at("text");
  return blocks;
}

Result<json::array> ToolUseBlocks(const json::value& calls, std::string_view field) {
  if (!calls.is_array()) return InvalidArgument("{}.tool_calls must be an array", field);
  json::array blocks;
  for (const json::value& call : calls.get_array()) {
    const json::object* c = call.if_object();
    const json::value* fn = c ? Present(*c, "function") : nullptr;
    const json::value* id = c ? Present(*c, "id") : nullptr;
    if (!fn || !fn->is_object() || !id || !id->is_string()) {
      return InvalidArgument("{}.tool_calls[] needs an id and a function", field);
    }
    const json::value* name = Present(fn->get_object(), "name");
    const json::value* args = Present(fn->get_object(), "arguments");
    if (!name || !name->is_string()) return InvalidArgument("{}.tool_calls[].function.name must be a string", field);
    json::value input = json::object();
    if (args && args->is_string() && !args->get_string().empty()) {
      boost::system::error_code ec;
      input = json::parse(args->get_string(), ec);
      if (ec || !input.is_object()) {
        return InvalidArgument("{}.tool_calls[].function.arguments must be a JSON object", field);
      }
    }
    blocks.push_back(json::object{{"type", "tool_use"}, {"id", *id}, {"name", *name}, {"input", std::move(input)}});
  }
  return blocks;
}

class MessageMapper {
 public:
  Status Add(const json::value& message, size_t i) {
    std::string field = "messages[" + std::to_string(i) + "]";
    const json::object* m = message.if_object();
    const json::value* role = m ? Present(*m, "role") : nullptr;
    if (!role || !role->is_string()) return InvalidArgument("{}.role must be a string", field);
    std::string_view r = role->get_string();
    const json::value* content = Present(*m, "content");
    json::value none;
    const json::value& c = content ? *content : none;
    if (r == "system" || r == "developer") {
      TV_ASSIGN_OR_RETURN(json::array blocks, ContentBlocks(c, field + ".content", false));
      for (json::value& b : blocks) system_.push_back(std::move(b));
      return Status::Ok();
    }
    if (r == "user") {
      TV_ASSIGN_OR_RETURN(json::array blocks, ContentBlocks(c, field + ".content", true));
      return Append("user", std::move(blocks));
    }
    if (r == "assistant") {
      TV_ASSIGN_OR_RETURN(json::array blocks, ContentBlocks(c, field + ".content", false));
      if (const json::value* calls = Present(*m, "tool_calls")) {
        TV_ASSIGN_OR_RETURN(json::array uses, ToolUseBlocks(*calls, field));
        for (json::value& u : uses) blocks.push_back(std::move(u));
      }
      return Append("assistant", std::move(blocks));
    }
    if (r == "tool") return AddToolResult(*m, c, field);
    return InvalidArgument("{}.role '{}' is not supported for Anthropic", field, r);
  }

  json::array TakeMessages() { return std::move(messages_); }
  json::array& system() { return system_; }

 private:
  Status AddToolResult(const json::object& m, const json::value& content, const std::string& field) {
    const json::value* id = Present(m, "tool_call_id");
    if (!id || !id->is_string()) return InvalidArgument("{}.tool_call_id must be a string", field);
    TV_ASSIGN_OR_RETURN(json::array blocks, ContentBlocks(content, field + ".content", false));
    json::object result{{"type", "tool_result"}, {"tool_use_id", *id}, {"content", Simplify(std::move(blocks))}};
    return Append("user", json::array{std::move(result)});
  }

  // Consecutive messages of one role merge: Anthropic wants turns to alternate and all
  // tool results for a turn in one user message.
  Status Append(std::string_view role, json::array blocks) {
    if (!messages_.empty() && messages_.back().at("role").as_string() == role) {
      json::array& prev = messages_.back().as_object()["content"].as_array();
      for (json::value& b : blocks) prev.push_back(std::move(b));
      return Status::Ok();
    }
    messages_.push_back(json::object{{"role", role}, {"content", std::move(blocks)}});
    return Status::Ok();
  }

  json::array messages_;
  json::array system_;
};

Result<json::array> Tools(const json::value& tools) {
  if (!tools.is_array()) return InvalidArgument("tools must be an array");
  json::array out;
  for (const json::value& t : tools.get_array()) {
    const json::object* o = t.if_object();
    const json::value* fn = o ? Present(*o, "function") : nullptr;
    const json::value* type = o ? Present(*o, "type") : nullptr;
    if (!type || *type != "function" || !fn || !fn->is_object()) {
      return InvalidArgument("tools[]: only type 'function' tools are supported for Anthropic");
    }
    const json::object& f = fn->get_object();
    const json::value* name = Present(f, "name");
    if (!name || !name->is_string()) return InvalidArgument("tools[].function.name must be a string");
    json::object tool{{"name", *name}};
    if (const json::value* d = Present(f, "description")) tool["description"] = *d;
    const json::value* params = Present(f, "parameters");
    tool["input_schema"] = params ? *params : json::object{{"type", "object"}, {"properties", json::object()}};
    out.push_back(std::move(tool));
  }
  return out;
}

Result<json::object> ToolChoice(const json::value* choice, bool parallel_disabled) {
  json::object out{{"type", "auto"}};
  if (choice && choice->is_string()) {
    std::string_view c = choice->get_string();
    if (c == "required")
      out["type"] = "any";
    else if (c == "none")
      out["type"] = "none";
    else if (c != "auto")
      return InvalidArgument("tool_choice '{}' is not supported", c);
  } else if (choice && choice->is_object()) {
    const json::value* fn = Present(choice->get_object(), "function");
    const json::value* name = fn && fn->is_object() ? Present(fn->get_object(), "name") : nullptr;
    if (!name || !name->is_string()) return InvalidArgument("tool_choice.function.name must be a string");
    out = json::object{{"type", "tool"}, {"name", *name}};
  } else if (choice) {
    return InvalidArgument("tool_choice must be a string or an object");
  }
  if (parallel_disabled && out["type"] != "none") out["disable_parallel_tool_use"] = true;
  return out;
}

Status CheckUnsupported(const json::object& in) {
  if (const json::value* n = Present(in, "n"); n && !(n->is_number() && n->to_number<double>() == 1)) {
    return InvalidArgument("n: Anthropic returns one choice; n must be 1");
  }
  if (const json::value* rf = Present(in, "response_format")) {
    const json::value* type = rf->is_object() ? rf->get_object().if_contains("type") : nullptr;
    if (!type || *type != "text")
      return InvalidArgument("response_format: only type 'text' is supported for Anthropic");
  }
  if (const json::value* lp = Present(in, "logprobs"); lp && *lp != false) {
    return InvalidArgument("logprobs are not supported for Anthropic");
  }
  if (Present(in, "audio") || Present(in, "modalities")) {
    return InvalidArgument("audio output is not supported for Anthropic");
  }
  if (Present(in, "functions") || Present(in, "function_call")) {
    return InvalidArgument("functions/function_call are not supported; use tools");
  }
  return Status::Ok();
}

Status CopySampling(const json::object& in, json::object& out) {
  for (std::string_view key : {"temperature", "top_p"}) {
    if (const json::value* v = Present(in, key)) {
      if (!v->is_number()) return InvalidArgument("{} must be a number", key);
      out[key] = *v;
    }
  }
  if (const json::value* stop = Present(in, "stop")) {
    if (stop->is_string()) {
      out["stop_sequences"] = json::array{*stop};
    } else if (stop->is_array()) {
      out["stop_sequences"] = *stop;
    } else {
      return InvalidArgument("stop must be a string or an array of strings");
    }
  }
  const json::value* max = Present(in, "max_completion_tokens");
  if (!max) max = Present(in, "max_tokens");
  if (max && !max->is_number()) return InvalidArgument("max_tokens must be a number");
  out["max_tokens"] = max ? *max : json::value(kDefaultAnthropicMaxTokens);
  return Status::Ok();
}

}  // namespace

Result<json::object> OpenAiToAnthropicRequest(const json::object& in) {
  TV_RETURN_IF_ERROR(CheckUnsupported(in));
  const json::value* model = Present(in, "model");
  if (!model || !model->is_string()) return InvalidArgument("model must be a string");
  const json::value* messages = Present(in, "messages");
  if (!messages || !messages->is_array()) return InvalidArgument("messages must be an array");
  MessageMapper mapper;
  for (size_t i = 0; i < messages->get_array().size(); ++i) {
    TV_RETURN_IF_ERROR(mapper.Add(messages->get_array()[i], i));
  }
  json::object out{{"model", *model}};
  if (!mapper.system().empty()) out["system"] = Simplify(std::move(mapper.system()));
  out["messages"] = mapper.TakeMessages();
  TV_RETURN_IF_ERROR(CopySampling(in, out));
  if (const json::value* tools = Present(in, "tools")) {
    TV_ASSIGN_OR_RETURN(out["tools"], Tools(*tools));
  }
  const json::value* parallel = Present(in, "parallel_tool_calls");
  bool parallel_disabled = parallel && *parallel == false;
  if (Present(in, "tool_choice") || (parallel_disabled && out.contains("tools"))) {
    TV_ASSIGN_OR_RETURN(out["tool_choice"], ToolChoice(Present(in, "tool_choice"), parallel_disabled));
  }
  if (const json::value* stream = Present(in, "stream")) out["stream"] = *stream;
  if (const json::value* user = Present(in, "user"); user && user->is_string()) {
    out["metadata"] = json::object{{"user_id", *user}};
  }
  return out;
}

}  // namespace tv::proxy
