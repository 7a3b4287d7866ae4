#include "data/aiproxy/model_call.h"

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "data/aiproxy/model_stream.h"
#include "proxy/anthropic.h"

namespace tv::data {
namespace {

// What differs between the three endpoints.
struct EndpointInfo {
  std::string_view path;         // under the provider's base URL
  std::string_view span_name;    // the llm span's default name
  std::string_view input_field;  // the request field holding what the model reads
};

const EndpointInfo& Info(ModelEndpoint e) {
  static constexpr EndpointInfo kChat{"/chat/completions", "Chat Completion", "messages"};
  static constexpr EndpointInfo kCompletions{"/completions", "Completion", "prompt"};
  static constexpr EndpointInfo kEmbeddings{"/embeddings", "Embedding", "input"};
  switch (e) {
    case ModelEndpoint::kChat:
      return kChat;
    case ModelEndpoint::kCompletions:
      return kCompletions;
    case ModelEndpoint::kEmbeddings:
      return kEmbeddings;
  }
  return kChat;
}

double Seconds(int64_t micros) { return static_cast<double>(micros) / 1e6; }

int64_t IntField(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return 0;
}

// An OpenAI error body's message, or the body itself.
std::string ErrorMessage(int status, std::string_view body) {
  if (auto o = ParseJsonObject(body); o.ok()) {
    if (const auto* e = o->if_contains("error"); e && e->is_object())
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string())
        return fmt::format("provider answered {}: {}", status, std::string_view(m->as_string()));
  }
  return fmt::format("provider answered {}: {}", status, body.substr(0, 500));
}

// The `usage` object of an OpenAI answer, or none.
json::object UsageOf(const Result<json::object>& answer) {
  if (answer.ok() && answer->contains("usage") && answer->at("usage").is_object())
    return answer->at("usage").as_object();
  return {};
}

}  // namespace

Result<std::unique_ptr<ModelCall>> ModelCall::Prepare(const ModelCallDeps& deps, http::RequestContext& ctx, Spec spec) {
  std::unique_ptr<ModelCall> call(new ModelCall(deps));
  TV_RETURN_IF_ERROR(call->CheckBody(spec));
  TV_RETURN_IF_ERROR(call->ChooseRoute(ctx, spec));
  if (spec.parent) {
    TV_ASSIGN_OR_RETURN(call->parent_, deps.spans.ResolveParent(ctx, std::move(*spec.parent)));
  }
  const http::Request& req = ctx.request();
  TV_RETURN_IF_ERROR(call->DecideCache(req, spec));
  call->token_ = std::string(req.BearerToken().value_or(""));
  call->request_ = req;
  call->request_.body.clear();  // the span keeps what it needs; the copy only carries headers
  call->caller_ = ctx.principal();
  if (spec.span_name.empty()) spec.span_name = std::string(Info(spec.endpoint).span_name);
  if (spec.span_input.is_null()) spec.span_input = spec.body.at(Info(spec.endpoint).input_field);
  call->spec_ = std::move(spec);
  return call;
}

// The model, the input the endpoint reads and `stream`.
Status ModelCall::CheckBody(const Spec& spec) {
  const json::object& body = spec.body;
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty())
    return InvalidArgument("'model' is required and must be a non-empty string");
  model_ = std::string(model->as_string());
  std::string_view input_field = Info(spec.endpoint).input_field;
  const auto* input = body.if_contains(input_field);
  if (!input || input->is_null()) return InvalidArgument("'{}' is required", input_field);
  if (spec.endpoint == ModelEndpoint::kChat && (!input->is_array() || input->as_array().empty()))
    return InvalidArgument("'messages' must be a non-empty array");
  for (size_t i = 0; spec.endpoint == ModelEndpoint::kChat && i < input->as_array().size(); ++i) {
    const json::value& m = input->as_array()[i];
    if (!m.is_object() || !m.as_object().contains("role") || !m.as_object().at("role").is_string())
      return InvalidArgument("messages[{}] must be an object with a string 'role'", i);
  }
  if (const auto* s = body.if_contains("stream"); s && !s->is_null()) {
    if (!s->is_bool()) return InvalidArgument("'stream' must be a boolean");
    streaming_ = s->as_bool();
  }
  if (streaming_ && spec.endpoint == ModelEndpoint::kEmbeddings)
    return InvalidArgument("embeddings cannot be streamed");
  return Status::Ok();
}

// The organization and project the call acts in, the provider that answers
// the model (with the caller's secrets), its URL and the allow-list check.
Status ModelCall::ChooseRoute(http::RequestContext& ctx, const Spec& spec) {
  const http::Request& req = ctx.request();
  std::optional<std::string> org_name;
  if (auto h = req.headers.Get("x-bt-org-name")) org_name = std::string(*h);
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  org_id_ = org.org_id;
  std::optional<std::string> project_id;
  if (auto h = req.headers.Get("x-bt-project-id"); h && !h->empty()) {
    TV_ASSIGN_OR_RETURN(ObjectInfo project, deps_.tenancy.Require(ctx, ObjectType::kProject, *h));
    if (project.org_id != org_id_) return NotFound("project '{}' not found", *h);
    project_id = project.id;
  }
  TV_ASSIGN_OR_RETURN(std::vector<ProviderSecret> secrets, deps_.provider_secrets(ctx, org_id_, project_id));
  TV_ASSIGN_OR_RETURN(route_, proxy::RouteModel(model_, secrets));
  if (route_.format == proxy::WireFormat::kAnthropic) {
    if (spec.endpoint != ModelEndpoint::kChat)
      return InvalidArgument("model '{}' is served in Anthropic's format, which answers chat completions only", model_);
    TV_ASSIGN_OR_RETURN(upstream_body_, proxy::OpenAiToAnthropicRequest(spec.body));
    url_ = route_.base_url + "/messages";
  } else {
    upstream_body_ = spec.body;
    url_ = route_.base_url + std::string(Info(spec.endpoint).path);
  }
  return deps_.options.allowed_hosts.Check(url_);
}

// Whether the cache is read and written (the cache headers), and the key.
Status ModelCall::DecideCache(const http::Request& req, const Spec& spec) {
  proxy::CacheHeaders ch;
  if (auto h = req.headers.Get("x-bt-use-cache")) ch.use_cache = *h;
  if (auto h = req.headers.Get("x-bt-cache-ttl")) ch.ttl = *h;
  if (auto h = req.headers.Get("cache-control")) ch.cache_control = *h;
  TV_ASSIGN_OR_RETURN(cache_, proxy::DecideCache(ch, spec.body, spec.endpoint == ModelEndpoint::kEmbeddings));
  if (cache_.read || cache_.write)
    cache_key_ = ProxyCache::Key(org_id_, Info(spec.endpoint).path, route_.base_url, spec.body);
  return Status::Ok();
}

http::ClientRequest ModelCall::UpstreamRequest(bool add_usage) const {
  http::ClientRequest out;
  out.method = http::Method::kPost;
  out.url = url_;
  out.timeout = streaming_ ? deps_.options.timeout : deps_.options.buffered_timeout;
  out.headers.Add("Content-Type", "application/json");
  if (route_.format == proxy::WireFormat::kAnthropic) {
    out.headers.Add("x-api-key", route_.api_key);
    out.headers.Add("anthropic-version", "2023-06-01");
    out.headers.Add("Accept", streaming_ ? "text/event-stream" : "application/json");
  } else {
    out.headers.Add("Authorization", "Bearer " + route_.api_key);
  }
  json::object body = upstream_body_;
  if (add_usage) {
    json::object opts;
    if (const auto* so = body.if_contains("stream_options"); so && so->is_object()) opts = so->as_object();
    opts["include_usage"] = true;
    body["stream_options"] = std::move(opts);
  }
  out.body = json::serialize(body);
  return out;
}

http::OutboundCall ModelCall::Outbound() const {
  http::OutboundCall oc;
  oc.token = token_;
  oc.org_id = org_id_;
  return oc;
}

void ModelCall::Begin() { start_ = Now(); }

double ModelCall::Now() const { return Seconds(deps_.clock.NowMicros()); }

std::optional<ModelAnswer> ModelCall::CacheLookup() {
  if (!cache_.read) return std::nullopt;
  auto keys = deps_.cache_keys();
  if (!keys.ok()) return std::nullopt;
  auto hit = deps_.cache.Get(**keys, org_id_, cache_key_, cache_.max_age_seconds);
  if (!hit.ok()) {
    spdlog::warn("proxy cache read failed: {}", hit.status().message());
    return std::nullopt;
  }
  if (!*hit) return std::nullopt;
  ModelAnswer a;
  a.status = (*hit)->status;
  a.content_type = (*hit)->content_type;
  a.body = std::move((*hit)->body);
  a.cached = true;
  a.age_seconds = (*hit)->age_seconds;
  return a;
}

void ModelCall::CacheStore(const ModelAnswer& answer, bool streamed) {
  if (!cache_.write) return;
  auto keys = deps_.cache_keys();
  if (!keys.ok()) return;
  CachedResponse entry{answer.status, answer.content_type, answer.body, streamed, 0};
  Status s = deps_.cache.Put(**keys, org_id_, cache_key_, entry, cache_.ttl_seconds);
  if (!s.ok()) spdlog::warn("proxy cache write failed: {}", s.message());
}

void ModelCall::Log(const json::value& output, const json::object& usage, std::optional<std::string> error,
                    std::optional<double> first_token_seconds) {
  if (!parent_) return;
  LlmSpan span;
  span.name = spec_.span_name;
  span.input = spec_.span_input;
  span.output = output;
  span.metadata = json::object{{"model", model_}, {"provider", route_.provider}};
  for (const auto& [k, v] : spec_.body)
    if (k != Info(spec_.endpoint).input_field && k != "model" && k != "stream_options") span.metadata[k] = v;
  for (const auto& [k, v] : spec_.span_metadata) span.metadata[k] = v;
  span.metrics = json::object{{"start", start_}, {"end", Now()}};
  int64_t prompt = IntField(usage, "prompt_tokens"), completion = IntField(usage, "completion_tokens");
  if (usage.contains("prompt_tokens")) span.metrics["prompt_tokens"] = prompt;
  if (usage.contains("completion_tokens")) span.metrics["completion_tokens"] = completion;
  if (!usage.empty())
    span.metrics["tokens"] = usage.contains("total_tokens") ? IntField(usage, "total_tokens") : prompt + completion;
  if (first_token_seconds) span.metrics["time_to_first_token"] = *first_token_seconds;
  span.error = std::move(error);
  auto written = deps_.spans.Write(request_, caller_, *parent_, span);
  if (!written.ok()) spdlog::warn("proxy: the llm span was not logged: {}", written.status().message());
}

void ModelCall::LogProviderError(int status, std::string_view body) {
  Log(nullptr, {}, ErrorMessage(status, body), std::nullopt);
}

Result<ModelAnswer> ModelCall::Run() {
  Begin();
  if (std::optional<ModelAnswer> hit = CacheLookup()) {
    auto o = ParseJsonObject(hit->body);
    Log(o.ok() && o->contains("choices") ? o->at("choices") : json::value(), UsageOf(o), std::nullopt, std::nullopt);
    return *hit;
  }
  Result<http::ClientResponse> r = deps_.outbound.Fetch(UpstreamRequest(false), Outbound());
  if (!r.ok()) {
    Log(nullptr, {}, r.status().message(), std::nullopt);
    return r.status();
  }
  Result<ModelAnswer> a = Translate(std::move(*r));
  if (!a.ok()) {
    Log(nullptr, {}, a.status().message(), std::nullopt);
    return a.status();
  }
  if (a->status / 100 != 2) {
    LogProviderError(a->status, a->body);
    return a;
  }
  LogAnswer(*a);
  CacheStore(*a, false);
  return a;
}

// The provider's answer in OpenAI's format. An Anthropic success that does
// not translate is an error.
Result<ModelAnswer> ModelCall::Translate(http::ClientResponse response) {
  ModelAnswer a;
  a.status = response.status;
  if (route_.format != proxy::WireFormat::kAnthropic) {
    a.body = std::move(response.body);
    if (auto ct = response.headers.Get("content-type")) a.content_type = std::string(*ct);
    return a;
  }
  if (a.status / 100 != 2) {
    a.body = json::serialize(proxy::AnthropicErrorToOpenAi(std::string_view(response.body)));
    return a;
  }
  auto o = ParseJsonObject(response.body);
  Result<json::object> translated =
      o.ok() ? proxy::AnthropicToOpenAiResponse(*o, deps_.clock.NowMicros() / 1'000'000)
             : Result<json::object>(Unavailable("The provider's answer is not JSON: {}", o.status().message()));
  TV_RETURN_IF_ERROR(translated.status());
  a.body = json::serialize(*translated);
  return a;
}

// The llm span of a successful answer: the choices (or the embedding count)
// and the usage.
void ModelCall::LogAnswer(const ModelAnswer& answer) {
  auto o = ParseJsonObject(answer.body);
  json::value output;
  if (o.ok() && spec_.endpoint == ModelEndpoint::kEmbeddings) {
    size_t n = o->contains("data") && o->at("data").is_array() ? o->at("data").as_array().size() : 0;
    output = json::object{{"embedding_count", n}};
  } else if (o.ok() && o->contains("choices")) {
    output = o->at("choices");
  }
  Log(output, UsageOf(o), std::nullopt, std::nullopt);
}

void ModelCall::RunStream(StreamSink& sink) { ModelStream(*this, sink).Run(); }

}  // namespace tv::data
