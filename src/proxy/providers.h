// Provider routing for the AI proxy (docs/ai-proxy.md, "Routing"): which
// upstream answers a model, with which credential, in which wire format, and
// whether the upstream's host may be called at all.
//
// Pure functions over the provider secrets a request may use; no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/provider_secret.h"
#include "common/status.h"

namespace tv::proxy {

enum class WireFormat { kOpenAI, kAnthropic };

// Where one call goes.
struct Route {
  WireFormat format = WireFormat::kOpenAI;
  std::string base_url;  // no trailing slash, e.g. "https://api.openai.com/v1"
  std::string api_key;   // the provider secret, plaintext
  std::string provider;  // the secret's type, e.g. "openai"
  std::string secret_name;
  bool project_level = false;
};

// The provider a model name belongs to by convention ("openai" for gpt-*,
// o1/o3/o4*, text-embedding-*, …; "anthropic" for claude-*), or nullopt.
std::optional<std::string> ProviderOfModel(std::string_view model);

// Picks the route for `model` among `secrets` (project-level ones already
// replace org-level ones of the same name):
//   1. a secret whose metadata.models lists the model exactly;
//   2. else a secret whose type is the model's conventional provider.
// The base URL is metadata.api_base, else the provider's public default; the
// format is metadata.format ("openai" | "anthropic"), else by type.
// Errors: InvalidArgument for an unknown model or a bad api_base, NotFound
// when no secret serves a known provider.
Result<Route> RouteModel(std::string_view model, const std::vector<ProviderSecret>& secrets);

// The endpoints the proxy may call. Each entry names a scheme, a host and a
// port, and a URL passes only when all three match:
//   "host"                   https on 443
//   "host:port"              https on that port
//   "https://host[:port]"    https on that port (default 443)
//   "http://host[:port]"     plain http on that port (default 80); for model
//                            servers on a private network or loopback
// Hosts compare case-insensitively. An empty list allows nothing.
class AllowList {
 public:
  // Comma- or space-separated entries; "*" allows every host (tests of
  // allow-list behaviour only, never a default).
  static Result<AllowList> Parse(std::string_view spec);
  static std::string_view DefaultSpec() { return "api.openai.com,api.anthropic.com"; }
  static AllowList Defaults() { return *Parse(DefaultSpec()); }

  // OK, or PermissionDenied naming the host and the flag that allows it.
  // Only http and https URLs with a host pass.
  Status Check(std::string_view url) const;

 private:
  struct Entry {
    std::string scheme;  // "https" or "http"
    std::string host;    // lowercase; an IPv6 literal keeps its brackets
    int port = 443;
  };
  static Result<Entry> ParseEntry(std::string_view item);
  std::vector<Entry> entries_;
  bool any_ = false;
};

}  // namespace tv::proxy
