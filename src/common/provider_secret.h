// ProviderSecret: an AI provider credential in plaintext, as the AI proxy
// needs it. Built by the plane that stores the secret (org-level: control,
// project-level: data) only for the resolution call; never serialized into an
// API response other than the inter-plane reveal route (docs/security.md).
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace tv {

struct ProviderSecret {
  std::string id;
  std::string name;
  std::string type;              // the provider: "openai", "anthropic", or another OpenAI-compatible name
  std::string secret;            // plaintext; empty when the secret has no value
  boost::json::object metadata;  // may carry api_base (a base URL) and models (names it serves)
  bool project_level = false;
};

}  // namespace tv
