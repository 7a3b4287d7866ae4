#include "data/aiproxy/model_call.h"

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "data/data_plane.h"
#include "http/error_response.h"
#include "proxy/anthropic.h"
#include "proxy/anthropic_stream.h"
#include "proxy/sse.h"

namespace tv::data {
namespace {

constexpr size_t kMaxCachedStreamBytes = size_t{4} << 20;
constexpr size_t kMaxErrorBodyBytes = size_t{1} << 20;

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

std::string OpenAiErrorEvent(std::string_view message, std::string_view type) {
  return json::serialize(
      json::object{{"error", json::object{{"message", message}, {"type", type}, {"code", nullptr}}}});
}

}  // namespace

Result<std::unique_ptr<ModelCall>> ModelCall::Prepare(DataPlane& dp, http::RequestContext& ctx, Spec spec) {
  std::unique_ptr<ModelCall> call(new ModelCall(dp));
  const json::object& body = spec.body;
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty())
    return InvalidArgument("'model' is required and must be a non-empty string");
  call->model_ = std::string(model->as_string());
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
    call->streaming_ = s->as_bool();
  }
  if (call->streaming_ && spec.endpoint == ModelEndpoint::kEmbeddings)
    return InvalidArgument("embeddings cannot be streamed");

  const http::Request& req = ctx.request();
  std::optional<std::string> org_name;
  if (auto h = req.headers.Get("x-bt-org-name")) org_name = std::string(*h);
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  call->org_id_ = org.org_id;
  std::optional<std::string> project_id;
  if (auto h = req.headers.Get("x-bt-project-id"); h && !h->empty()) {
    TV_ASSIGN_OR_RETURN(ObjectInfo project, dp.tenancy().Require(ctx, ObjectType::kProject, *h));
    if (project.org_id != call->org_id_) return NotFound("project '{}' not found", *h);
    project_id = project.id;
  }
  TV_ASSIGN_OR_RETURN(std::vector<ProviderSecret> secrets,
                      dp.secrets().ResolveProviderSecrets(ctx, call->org_id_, project_id));
  TV_ASSIGN_OR_RETURN(call->route_, proxy::RouteModel(call->model_, secrets));
  if (call->route_.format == proxy::WireFormat::kAnthropic) {
    if (spec.endpoint != ModelEndpoint::kChat)
      return InvalidArgument("model '{}' is served in Anthropic's format, which answers chat completions only",
                             call->model_);
    TV_ASSIGN_OR_RETURN(call->upstream_body_, proxy::OpenAiToAnthropicRequest(body));
    call->url_ = call->route_.base_url + "/messages";
  } else {
    call->upstream_body_ = body;
    call->url_ = call->route_.base_url + std::string(Info(spec.endpoint).path);
  }
  TV_RETURN_IF_ERROR(dp.options().proxy_allowed_hosts.Check(call->url_));

  if (spec.parent) {
    TV_ASSIGN_OR_RETURN(call->parent_, ResolveParent(dp, ctx, std::move(*spec.parent)));
  }
  proxy::CacheHeaders ch;
  if (auto h = req.headers.Get("x-bt-use-cache")) ch.use_cache = *h;
  if (auto h = req.headers.Get("x-bt-cache-ttl")) ch.ttl = *h;
  if (auto h = req.headers.Get("cache-control")) ch.cache_control = *h;
  TV_ASSIGN_OR_RETURN(call->cache_, proxy::DecideCache(ch, body, spec.endpoint == ModelEndpoint::kEmbeddings));
  if (call->cache_.read || call->cache_.write)
    call->cache_key_ = ProxyCache::Key(call->org_id_, Info(spec.endpoint).path, call->route_.base_url, body);

  call->token_ = std::string(req.BearerToken().value_or(""));
  call->request_ = req;
  call->request_.body.clear();  // the span keeps what it needs; the copy only carries headers
  call->caller_ = ctx.principal();
  if (spec.span_name.empty()) spec.span_name = std::string(Info(spec.endpoint).span_name);
  if (spec.span_input.is_null()) spec.span_input = *input;
  call->spec_ = std::move(spec);
  return call;
}

http::ClientRequest ModelCall::UpstreamRequest(bool add_usage) const {
  http::ClientRequest out;
  out.method = http::Method::kPost;
  out.url = url_;
  out.timeout = streaming_ ? dp_.options().proxy_timeout : dp_.options().proxy_buffered_timeout;
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

std::optional<ModelAnswer> ModelCall::CacheLookup() {
  if (!cache_.read) return std::nullopt;
  auto keys = dp_.secrets().keys();
  if (!keys.ok()) return std::nullopt;
  auto hit = dp_.proxy_cache().Get(**keys, org_id_, cache_key_, cache_.max_age_seconds);
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
  auto keys = dp_.secrets().keys();
  if (!keys.ok()) return;
  CachedResponse entry{answer.status, answer.content_type, answer.body, streamed, 0};
  Status s = dp_.proxy_cache().Put(**keys, org_id_, cache_key_, entry, cache_.ttl_seconds);
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
  double end = Seconds(dp_.clock().NowMicros());
  span.metrics = json::object{{"start", start_}, {"end", end}};
  int64_t prompt = IntField(usage, "prompt_tokens"), completion = IntField(usage, "completion_tokens");
  if (usage.contains("prompt_tokens")) span.metrics["prompt_tokens"] = prompt;
  if (usage.contains("completion_tokens")) span.metrics["completion_tokens"] = completion;
  if (!usage.empty())
    span.metrics["tokens"] = usage.contains("total_tokens") ? IntField(usage, "total_tokens") : prompt + completion;
  if (first_token_seconds) span.metrics["time_to_first_token"] = *first_token_seconds;
  span.error = std::move(error);
  auto written = WriteLlmSpan(dp_, request_, caller_, *parent_, span);
  if (!written.ok()) spdlog::warn("proxy: the llm span was not logged: {}", written.status().message());
}

Result<ModelAnswer> ModelCall::Run() {
  start_ = Seconds(dp_.clock().NowMicros());
  if (std::optional<ModelAnswer> hit = CacheLookup()) {
    auto o = ParseJsonObject(hit->body);
    json::object usage;
    if (o.ok() && o->contains("usage") && o->at("usage").is_object()) usage = o->at("usage").as_object();
    Log(o.ok() && o->contains("choices") ? o->at("choices") : json::value(), usage, std::nullopt, std::nullopt);
    return *hit;
  }
  http::OutboundCall oc;
  oc.token = token_;
  oc.org_id = org_id_;
  Result<http::ClientResponse> r = dp_.outbound().Fetch(UpstreamRequest(false), oc);
  if (!r.ok()) {
    Log(nullptr, {}, r.status().message(), std::nullopt);
    return r.status();
  }
  ModelAnswer a;
  a.status = r->status;
  bool ok = r->status / 100 == 2;
  if (route_.format == proxy::WireFormat::kAnthropic) {
    if (ok) {
      auto o = ParseJsonObject(r->body);
      Result<json::object> translated =
          o.ok() ? proxy::AnthropicToOpenAiResponse(*o, dp_.clock().NowMicros() / 1'000'000)
                 : Result<json::object>(Unavailable("The provider's answer is not JSON: {}", o.status().message()));
      if (!translated.ok()) {
        Log(nullptr, {}, translated.status().message(), std::nullopt);
        return translated.status();
      }
      a.body = json::serialize(*translated);
    } else {
      a.body = json::serialize(proxy::AnthropicErrorToOpenAi(std::string_view(r->body)));
    }
  } else {
    a.body = std::move(r->body);
    if (auto ct = r->headers.Get("content-type")) a.content_type = std::string(*ct);
  }
  if (!ok) {
    Log(nullptr, {}, ErrorMessage(a.status, a.body), std::nullopt);
    return a;
  }
  auto o = ParseJsonObject(a.body);
  json::object usage;
  if (o.ok() && o->contains("usage") && o->at("usage").is_object()) usage = o->at("usage").as_object();
  json::value output;
  if (o.ok() && spec_.endpoint == ModelEndpoint::kEmbeddings) {
    size_t n = o->contains("data") && o->at("data").is_array() ? o->at("data").as_array().size() : 0;
    output = json::object{{"embedding_count", n}};
  } else if (o.ok() && o->contains("choices")) {
    output = o->at("choices");
  }
  Log(output, usage, std::nullopt, std::nullopt);
  CacheStore(a, false);
  return a;
}

void ModelCall::RunStream(StreamSink& sink) {
  start_ = Seconds(dp_.clock().NowMicros());
  if (std::optional<ModelAnswer> hit = CacheLookup(); hit && hit->content_type == "text/event-stream") {
    if (sink.Start(true)) sink.Raw(hit->body);
    Log(nullptr, {}, std::nullopt, std::nullopt);
    return;
  }
  const bool anthropic = route_.format == proxy::WireFormat::kAnthropic;
  bool client_usage = false;
  if (const auto* so = spec_.body.if_contains("stream_options"); so && so->is_object())
    if (const auto* u = so->as_object().if_contains("include_usage"); u && u->is_bool()) client_usage = u->as_bool();
  const bool add_usage = !anthropic && parent_ && !client_usage;

  bool started = false, error_mode = false, aborted = false, done = false;
  int error_status = 0;
  std::string error_body, recorded, text, finish_reason;
  bool recording = cache_.write;
  json::object usage;
  std::optional<double> first_token;

  auto on_event = [&](const proxy::SseEvent& e) {
    if (aborted) return;
    const std::string& data = e.data;
    if (data == "[DONE]") {
      done = true;
    } else if (auto o = ParseJsonObject(data); o.ok()) {
      bool usage_only = false;
      if (const auto* u = o->if_contains("usage"); u && u->is_object()) {
        usage = u->as_object();
        const auto* ch = o->if_contains("choices");
        usage_only = ch && ch->is_array() && ch->as_array().empty();
      }
      if (const auto* ch = o->if_contains("choices"); ch && ch->is_array() && !ch->as_array().empty()) {
        const json::value& c0 = ch->as_array()[0];
        if (c0.is_object()) {
          const json::object& c = c0.as_object();
          const json::value* piece = nullptr;
          if (const auto* d = c.if_contains("delta"); d && d->is_object())
            piece = d->as_object().if_contains("content");
          else
            piece = c.if_contains("text");
          if (piece && piece->is_string() && !piece->as_string().empty()) {
            if (!first_token) first_token = Seconds(dp_.clock().NowMicros()) - start_;
            text += piece->as_string();
          }
          if (const auto* f = c.if_contains("finish_reason"); f && f->is_string()) finish_reason = f->as_string();
        }
      }
      if (usage_only && add_usage) return;  // the caller did not ask for it
    }
    if (recording) {
      recorded += "data: " + data + "\n\n";
      if (recorded.size() > kMaxCachedStreamBytes) recording = false;
    }
    if (!sink.Event(data)) aborted = true;
  };
  proxy::SseParser events(on_event);
  proxy::AnthropicStreamTranslator translator({dp_.clock().NowMicros() / 1'000'000, /*include_usage=*/client_usage});

  auto on_head = [&](int status, const http::Headers&) {
    if (status / 100 != 2) {
      error_mode = true;
      error_status = status;
      return true;
    }
    started = true;
    if (!sink.Start(false)) aborted = true;
    return !aborted;
  };
  auto on_data = [&](std::string_view bytes) {
    if (error_mode) {
      if (error_body.size() < kMaxErrorBodyBytes) error_body.append(bytes);
      return true;
    }
    events.Feed(anthropic ? std::string_view(translator.Feed(bytes)) : bytes);
    return !aborted;
  };
  http::OutboundCall oc;
  oc.token = token_;
  oc.org_id = org_id_;
  oc.idle_timeout = dp_.options().proxy_idle_timeout;
  Result<int> r = dp_.outbound().FetchStream(UpstreamRequest(add_usage), oc, on_head, on_data);

  auto output = [&] {
    return json::array{
        json::object{{"index", 0},
                     {"message", json::object{{"role", "assistant"}, {"content", text}}},
                     {"finish_reason", finish_reason.empty() ? json::value() : json::value(finish_reason)}}};
  };
  if (anthropic) {
    usage = json::object{{"prompt_tokens", translator.input_tokens()},
                         {"completion_tokens", translator.output_tokens()},
                         {"total_tokens", translator.input_tokens() + translator.output_tokens()}};
  }
  if (!r.ok() && !aborted) {
    std::string message = r.status().message();
    if (!started) {
      // Nothing was streamed: the client gets a plain error (the upstream's
      // status when it had sent one).
      http::Response er = http::ErrorResponse(r.status());
      sink.Fail(error_mode ? error_status : er.status, er.body, er.headers);
    } else {
      sink.Event(OpenAiErrorEvent(message, "upstream_error"));
    }
    Log(output(), usage, message, first_token);
    return;
  }
  if (error_mode) {
    std::string body =
        anthropic ? json::serialize(proxy::AnthropicErrorToOpenAi(std::string_view(error_body))) : error_body;
    http::Headers h;
    h.Set("Content-Type", "application/json");
    sink.Fail(error_status, body, h);
    Log(nullptr, {}, ErrorMessage(error_status, body), std::nullopt);
    return;
  }
  if (anthropic) events.Feed(translator.Finish());
  events.Finish();
  if (aborted) {
    Log(output(), usage, "The client closed the stream before it ended", first_token);
    return;
  }
  if (!done) {
    // Ended without [DONE] (an Anthropic translation error already said why).
    std::string message = "The provider ended the stream before it was complete";
    if (!anthropic) sink.Event(OpenAiErrorEvent(message, "upstream_error"));
    Log(output(), usage, message, first_token);
    return;
  }
  Log(output(), usage, std::nullopt, first_token);
  if (recording) CacheStore(ModelAnswer{200, "text/event-stream", recorded, false, 0}, true);
}

}  // namespace tv::data
