#include "proxy/providers.h"

#include <algorithm>
#include <cctype>

#include <boost/url/parse.hpp>

#include "common/strings.h"

namespace tv::proxy {
namespace {

std::string_view DefaultBaseUrl(std::string_view provider) {
  if (provider == "openai") return "https://api.openai.com/v1";
  if (provider == "anthropic") return "https://api.anthropic.com/v1";
  return "";
}

bool ListsModel(const ProviderSecret& s, std::string_view model) {
  const auto* models = s.metadata.if_contains("models");
  if (!models || !models->is_array()) return false;
  for (const auto& m : models->as_array())
    if (m.is_string() && m.as_string() == model) return true;
  return false;
}

Result<Route> RouteFor(const ProviderSecret& s, std::string_view model) {
  Route r;
  r.provider = s.type;
  r.api_key = s.secret;
  r.secret_name = s.name;
  r.project_level = s.project_level;
  r.format = s.type == "anthropic" ? WireFormat::kAnthropic : WireFormat::kOpenAI;
  if (const auto* f = s.metadata.if_contains("format"); f && f->is_string()) {
    if (f->as_string() == "openai")
      r.format = WireFormat::kOpenAI;
    else if (f->as_string() == "anthropic")
      r.format = WireFormat::kAnthropic;
    else
      return InvalidArgument("AI secret '{}' has metadata.format '{}'; expected \"openai\" or \"anthropic\"", s.name,
                             std::string_view(f->as_string()));
  }
  if (const auto* b = s.metadata.if_contains("api_base"); b && b->is_string() && !b->as_string().empty()) {
    r.base_url = std::string(b->as_string());
  } else {
    r.base_url = std::string(DefaultBaseUrl(s.type));
    if (r.base_url.empty())
      return InvalidArgument("AI secret '{}' (type '{}') serves model '{}' but has no metadata.api_base", s.name,
                             s.type, model);
  }
  while (!r.base_url.empty() && r.base_url.back() == '/') r.base_url.pop_back();
  if (r.api_key.empty()) return NotFound("AI secret '{}' has no value; set one to use model '{}'", s.name, model);
  return r;
}

}  // namespace

std::optional<std::string> ProviderOfModel(std::string_view model) {
  static constexpr std::string_view kOpenAI[] = {
      "gpt-",           "o1", "o3", "o4", "chatgpt-", "text-embedding-", "davinci", "babbage", "text-moderation",
      "omni-moderation"};
  for (auto p : kOpenAI)
    if (model.starts_with(p)) return "openai";
  if (model.starts_with("claude-") || model.starts_with("claude")) return "anthropic";
  return std::nullopt;
}

Result<Route> RouteModel(std::string_view model, const std::vector<ProviderSecret>& secrets) {
  if (model.empty()) return InvalidArgument("'model' is required");
  // Project-level secrets first: they were chosen for this project.
  std::vector<const ProviderSecret*> ordered;
  for (const auto& s : secrets)
    if (s.project_level) ordered.push_back(&s);
  for (const auto& s : secrets)
    if (!s.project_level) ordered.push_back(&s);
  for (const auto* s : ordered)
    if (ListsModel(*s, model)) return RouteFor(*s, model);
  std::optional<std::string> provider = ProviderOfModel(model);
  if (!provider)
    return InvalidArgument(
        "Unknown model '{}': no AI secret lists it in metadata.models, and it is not an OpenAI or Anthropic model name",
        model);
  for (const auto* s : ordered)
    if (s->type == *provider && !s->metadata.contains("models")) return RouteFor(*s, model);
  for (const auto* s : ordered)
    if (s->type == *provider) return RouteFor(*s, model);
  return NotFound(
      "No AI secret for provider '{}' (model '{}'): add one with POST /v1/ai_secret (organization) or "
      "/v1/env_var (project)",
      *provider, model);
}

Result<AllowList::Entry> AllowList::ParseEntry(std::string_view item) {
  Entry e;
  e.scheme = "https";
  if (size_t sep = item.find("://"); sep != std::string_view::npos) {
    e.scheme = AsciiLower(item.substr(0, sep));
    if (e.scheme != "https" && e.scheme != "http")
      return InvalidArgument("Proxy allow-list entry '{}' must use https:// or http://", item);
    item = item.substr(sep + 3);
    if (item.ends_with('/')) item.remove_suffix(1);
    if (item.find_first_of("/?#@") != std::string_view::npos)
      return InvalidArgument("Proxy allow-list entry '{}' must be scheme://host[:port], without a path or user", item);
  }
  e.port = e.scheme == "https" ? 443 : 80;
  size_t colon = item.rfind(':');
  bool bracketed = item.starts_with('[');
  if (colon != std::string_view::npos && (!bracketed || (colon > 0 && item[colon - 1] == ']'))) {
    std::string_view port = item.substr(colon + 1);
    int p = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || p > 65535)
        return InvalidArgument("Proxy allow-list entry '{}' has a bad port", item);
      p = p * 10 + (c - '0');
    }
    if (port.empty() || p == 0 || p > 65535) return InvalidArgument("Proxy allow-list entry '{}' has a bad port", item);
    e.port = p;
    item = item.substr(0, colon);
  }
  if (item.empty()) return InvalidArgument("Proxy allow-list entry has no host");
  e.host = AsciiLower(item);
  return e;
}

Result<AllowList> AllowList::Parse(std::string_view spec) {
  AllowList list;
  for (std::string_view item : SplitList(spec, ", ", ListItems::kVerbatim)) {
    if (item == "*") {
      list.any_ = true;
      continue;
    }
    TV_ASSIGN_OR_RETURN(Entry e, ParseEntry(item));
    list.entries_.push_back(std::move(e));
  }
  return list;
}

Status AllowList::Check(std::string_view url) const {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return InvalidArgument("Provider URL '{}' is not a valid URL", url);
  std::string scheme = AsciiLower(parsed->scheme());
  if (scheme != "http" && scheme != "https") return InvalidArgument("Provider URL '{}' must be http or https", url);
  std::string host = AsciiLower(parsed->encoded_host());
  if (host.empty()) return InvalidArgument("Provider URL '{}' has no host", url);
  int port = parsed->has_port() ? static_cast<int>(parsed->port_number()) : (scheme == "https" ? 443 : 80);
  if (any_) return Status::Ok();
  for (const auto& e : entries_)
    if (e.scheme == scheme && e.host == host && e.port == port) return Status::Ok();
  return PermissionDenied(
      "The proxy may not call '{}://{}:{}': it is not in the provider allow-list (--proxy-allowed-hosts; an entry "
      "'host' or 'host:port' allows https only, plain http needs 'http://host:port')",
      scheme, host, port);
}

}  // namespace tv::proxy
