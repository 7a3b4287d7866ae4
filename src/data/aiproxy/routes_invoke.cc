// POST /function/invoke and POST /v1/function/{id}/invoke: run a stored
// prompt function (docs/ai-proxy.md, "Function invocation"). The prompt is
// built exactly as the SDK's prompt.build() would build it, then sent through
// the same ModelCall as /v1/proxy: routing, allow-list, outbound limits,
// cache and the llm span.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "data/aiproxy/model_call.h"
#include "data/aiproxy/proxy_sse.h"
#include "data/aiproxy/room.h"
#include "data/functions/functions.h"
#include "http/json_io.h"
#include "proxy/prompt_build.h"
#include "proxy/sse.h"

namespace tv::data {
namespace {

// A string field of a provider's answer, when it is one.
std::optional<std::string> TextAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

Result<FunctionLookup> LookupOf(const http::RequestContext& ctx, const json::object& body) {
  FunctionLookup q;
  for (std::string_view unsupported : {"global_function", "prompt_session_id", "prompt_session_function_id"})
    if (body.contains(unsupported) && !body.at(unsupported).is_null())
      return InvalidArgument("'{}' is not supported: invoke a stored function by function_id or project + slug",
                             unsupported);
  TV_ASSIGN_OR_RETURN(q.id, OptString(body, "function_id"));
  if (auto id = ctx.Param("id"); !id.empty()) q.id = std::string(id);
  TV_ASSIGN_OR_RETURN(q.project_name, OptString(body, "project_name"));
  TV_ASSIGN_OR_RETURN(q.project_id, OptString(body, "project_id"));
  if (!q.project_id)
    if (auto h = ctx.request().headers.Get("x-bt-project-id"); h && !h->empty()) q.project_id = std::string(*h);
  TV_ASSIGN_OR_RETURN(q.slug, OptString(body, "slug"));
  if (auto h = ctx.request().headers.Get("x-bt-org-name")) q.org_name = std::string(*h);
  if (const auto* v = body.if_contains("version"); v && !v->is_null()) {
    if (!v->is_string()) return InvalidArgument("'version' must be a string");
    TV_ASSIGN_OR_RETURN(q.version, store::ParseXact(v->as_string(), "version"));
  }
  if (!q.id && !q.slug) return InvalidArgument("Name the function with 'function_id', or a project and 'slug'");
  if (q.id) q.project_name.reset(), q.project_id.reset();
  return q;
}

// The prompt's variables: the body's `input`, or an empty object.
json::value InputOf(const json::object& body) {
  return body.contains("input") ? body.at("input") : json::value(json::object());
}

bool WantsJson(const json::object& built) {
  const auto* rf = built.if_contains("response_format");
  if (!rf || !rf->is_object()) return false;
  auto type = TextAt(rf->as_object(), "type");
  return type == "json_object" || type == "json_schema";
}

// The value invoke() returns: the text, parsed JSON for a JSON response
// format, or a tool call's parsed arguments.
// Model-written JSON goes through the strict parser: a number no JSON text can
// carry is kept as the model's text, never returned or logged as Infinity.
Result<json::value> OutputOf(const std::string& answer, bool json_output) {
  Result<json::value> parsed_answer = ParseJson(answer);
  if (!parsed_answer.ok() || !parsed_answer->is_object()) return Unavailable("The provider's answer is not JSON");
  const json::value& v = *parsed_answer;
  const auto* choices = v.as_object().if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty() || !choices->as_array()[0].is_object())
    return Unavailable("The provider's answer has no choices");
  const json::object& c = choices->as_array()[0].as_object();
  if (auto text = TextAt(c, "text")) return json::value(*text);
  const auto* m = c.if_contains("message");
  if (!m || !m->is_object()) return Unavailable("The provider's answer has no message");
  const json::object& msg = m->as_object();
  if (const auto* calls = msg.if_contains("tool_calls"); calls && calls->is_array() && !calls->as_array().empty()) {
    const json::object* call = calls->as_array()[0].if_object();
    const json::value* fn = call ? call->if_contains("function") : nullptr;
    if (fn && fn->is_object()) {
      auto args = TextAt(fn->as_object(), "arguments").value_or("{}");
      Result<json::value> parsed = ParseJson(args);
      return parsed.ok() ? std::move(*parsed) : json::value(args);
    }
  }
  std::string content = TextAt(msg, "content").value_or("");
  if (json_output) {
    if (Result<json::value> parsed = ParseJson(content); parsed.ok()) return std::move(*parsed);
  }
  return json::value(content);
}

// Turns the OpenAI stream into the events the SDK's invoke() reads:
// start, text_delta (JSON-encoded pieces), error, done.
class InvokeSink : public StreamSink {
 public:
  explicit InvokeSink(http::BodyWriter& out)
      : out_(out), replay_([this](const proxy::SseEvent& e) { Event(e.data); }) {}

  bool Start(bool cached) override {
    http::Headers h;
    h.Set("x-bt-cached", cached ? "HIT" : "MISS");
    out_.SetHead(200, h);
    return out_.Write(SseEvent("start", ""));
  }
  bool Event(std::string_view data) override {
    if (data == "[DONE]") return out_.Write(SseEvent("done", ""));
    boost::system::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) return true;
    const json::object& o = v.as_object();
    if (const auto* e = o.if_contains("error")) {
      std::string message = e->is_object() ? TextAt(e->as_object(), "message").value_or("error") : "error";
      return out_.Write(SseEvent("error", json::serialize(json::value(message))));
    }
    const auto* choices = o.if_contains("choices");
    if (!choices || !choices->is_array() || choices->as_array().empty()) return true;
    const auto& c = choices->as_array()[0];
    if (!c.is_object()) return true;
    std::optional<std::string> piece;
    if (const auto* d = c.as_object().if_contains("delta"); d && d->is_object()) {
      piece = TextAt(d->as_object(), "content");
      if (const auto* calls = d->as_object().if_contains("tool_calls"); calls && calls->is_array())
        for (const auto& call : calls->as_array())
          if (const auto* fn = call.is_object() ? call.as_object().if_contains("function") : nullptr;
              fn && fn->is_object())
            if (auto args = TextAt(fn->as_object(), "arguments")) piece = piece.value_or("") + *args;
    } else {
      piece = TextAt(c.as_object(), "text");
    }
    if (!piece || piece->empty()) return true;
    return out_.Write(SseEvent("text_delta", json::serialize(json::value(*piece))));
  }
  bool Raw(std::string_view bytes) override {
    replay_.Feed(bytes);
    replay_.Finish();
    return true;
  }
  void Fail(int status, std::string_view body, const http::Headers& headers) override {
    WriteFailure(out_, status, body, headers);
  }

 private:
  http::BodyWriter& out_;
  proxy::SseParser replay_;
};

// The model call a prompt function makes for one invoke request.
struct Invocation {
  ModelCall::Spec spec;
  bool stream = false;
  bool json_output = false;  // the prompt asks for JSON: the answer is parsed
};

// The function's prompt_data; InvalidArgument when it is not a prompt.
Result<const json::object*> PromptDataOf(const json::object& fn) {
  const auto* prompt_data = fn.if_contains("prompt_data");
  if (!prompt_data || !prompt_data->is_object() || !prompt_data->as_object().contains("prompt"))
    return InvalidArgument("Function '{}' is not a prompt; only prompt functions can be invoked here",
                           TextAt(fn, "slug").value_or(""));
  return &prompt_data->as_object();
}

bool IsCompletion(const json::object& prompt_data) {
  const auto* prompt = prompt_data.at("prompt").if_object();
  return prompt && TextAt(*prompt, "type") == "completion";
}

// The OpenAI request of the prompt, built from the request's input and messages.
Result<json::object> BuildRequest(const json::object& prompt_data, bool completion, const json::object& body) {
  proxy::BuildOptions build;
  build.flavor = completion ? proxy::PromptFlavor::kCompletion : proxy::PromptFlavor::kChat;
  if (const auto* s = body.if_contains("strict"); s && s->is_bool()) build.strict = s->as_bool();
  if (const auto* m = body.if_contains("messages"); m && !m->is_null()) {
    if (!m->is_array()) return InvalidArgument("'messages' must be an array");
    build.messages = m->as_array();
  }
  return proxy::BuildPrompt(prompt_data, InputOf(body), build);
}

Result<Invocation> InvocationOf(const json::object& fn, const json::object& body) {
  TV_ASSIGN_OR_RETURN(const json::object* prompt_data, PromptDataOf(fn));
  bool completion = IsCompletion(*prompt_data);
  TV_ASSIGN_OR_RETURN(json::object built, BuildRequest(*prompt_data, completion, body));
  Invocation inv;
  if (const auto* s = body.if_contains("stream"); s && s->is_bool()) inv.stream = s->as_bool();
  built["stream"] = inv.stream;
  inv.json_output = WantsJson(built);
  ModelCall::Spec& spec = inv.spec;
  spec.endpoint = completion ? ModelEndpoint::kCompletions : ModelEndpoint::kChat;
  spec.body = std::move(built);
  spec.span_name = TextAt(fn, "name").value_or("invoke");
  spec.span_metadata["prompt"] =
      json::object{{"id", fn.contains("id") ? fn.at("id") : json::value()},
                   {"project_id", fn.contains("project_id") ? fn.at("project_id") : json::value()},
                   {"version", fn.contains("_xact_id") ? fn.at("_xact_id") : json::value()},
                   {"variables", InputOf(body)}};
  if (const auto* p = body.if_contains("parent"); p && !p->is_null() && !(p->is_string() && p->as_string().empty())) {
    TV_ASSIGN_OR_RETURN(spec.parent, proxy::ParseSpanParent(*p, "parent"));
  }
  return inv;
}

// invoke()'s value, or the provider's error as it answered.
Result<http::Response> BufferedResponse(ModelCall& call, bool json_output) {
  TV_ASSIGN_OR_RETURN(ModelAnswer answer, call.Run());
  if (answer.status / 100 != 2) {
    http::Response r;
    r.status = answer.status;
    r.body = std::move(answer.body);
    r.headers.Set("Content-Type", "application/json");
    return r;
  }
  TV_ASSIGN_OR_RETURN(json::value out, OutputOf(answer.body, json_output));
  return http::JsonOk(out);
}

Result<http::Response> HandleInvoke(const std::shared_ptr<const AiProxyRoom>& room, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(FunctionLookup lookup, LookupOf(ctx, body));
  TV_ASSIGN_OR_RETURN(json::object fn, room->functions.Find(ctx, lookup));
  TV_ASSIGN_OR_RETURN(Invocation inv, InvocationOf(fn, body));
  TV_ASSIGN_OR_RETURN(std::unique_ptr<ModelCall> call, ModelCall::Prepare(room->calls, ctx, std::move(inv.spec)));
  if (!inv.stream) return BufferedResponse(*call, inv.json_output);
  // The stream holds `room`: the call runs on after this handler, on its dependencies.
  return StreamedResponse([room, call = std::shared_ptr<ModelCall>(std::move(call))](http::BodyWriter& out) {
    InvokeSink sink(out);
    call->RunStream(sink);
  });
}

}  // namespace

void AddInvokeRoutes(http::Router& router, std::shared_ptr<const AiProxyRoom> room) {
  auto handler = [room](http::RequestContext& ctx) { return HandleInvoke(room, ctx); };
  router.Add(http::Method::kPost, "/function/invoke", handler, http::RequestClass::kModel);
  router.Add(http::Method::kPost, "/v1/function/:id/invoke", handler, http::RequestClass::kModel);
}

}  // namespace tv::data
